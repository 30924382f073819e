//! Webhooks; needs the `administrative` scope.

use crate::models::Webhook;
use crate::{Client, Error};

impl Client {
    pub async fn get_webhooks(&self) -> Result<Vec<Webhook>, Error> {
        Ok(self
            .call("get_webhooks", Vec::new())
            .await?
            .data
            .unwrap_or_default())
    }
}

//! Webhooks; needs the `administrative` scope.

use bytes::Bytes;
use serde::Serialize;

use crate::action::Action;
use crate::client::Client;
use crate::error::Error;
use crate::models::Webhook;
use crate::transport::list;

/// `get_webhooks`.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct GetWebhooks {}

impl Action for GetWebhooks {
    const NAME: &'static str = "get_webhooks";
    type Answer = Vec<Webhook>;
    fn read(body: &Bytes) -> Result<Vec<Webhook>, Error> {
        list(body)
    }
}

impl Client {
    pub async fn get_webhooks(&self) -> Result<Vec<Webhook>, Error> {
        self.send(&GetWebhooks {}).await
    }
}

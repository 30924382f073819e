//! Running timers.

use serde_json::Value;

use crate::models::{MyTimer, Timer};
use crate::{Client, Error};

impl Client {
    /// Everyone's running timers.
    pub async fn get_timers(&self) -> Result<Vec<Timer>, Error> {
        Ok(self
            .call("get_timers", Vec::new())
            .await?
            .data
            .unwrap_or_default())
    }

    /// The signed-in user's timer, if one runs (OAuth2 only).
    pub async fn get_my_timer(&self) -> Result<Option<MyTimer>, Error> {
        self.require_user("get_my_timer")?;
        // No timer comes back as `[]` (PHP's empty array).
        match self.call::<Value>("get_my_timer", Vec::new()).await?.data {
            None => Ok(None),
            Some(Value::Array(a)) if a.is_empty() => Ok(None),
            Some(Value::Object(m)) if m.is_empty() => Ok(None),
            Some(v) => serde_json::from_value(v)
                .map(Some)
                .map_err(|e| Error::BadResponse {
                    detail: format!("unexpected timer: {e}"),
                }),
        }
    }
}

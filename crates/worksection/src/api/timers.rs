//! Running timers.

use bytes::Bytes;
use serde::Serialize;
use serde_json::Value;

use crate::action::Action;
use crate::client::Client;
use crate::error::Error;
use crate::models::{MyTimer, Timer};
use crate::transport::{decode, list};

/// `get_timers`: everyone's running timers.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct GetTimers {}

impl Action for GetTimers {
    const NAME: &'static str = "get_timers";
    type Answer = Vec<Timer>;
    fn read(body: &Bytes) -> Result<Vec<Timer>, Error> {
        list(body)
    }
}

/// `get_my_timer`: the signed-in user's timer, if one runs (OAuth2 only).
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct GetMyTimer {}

impl Action for GetMyTimer {
    const NAME: &'static str = "get_my_timer";
    const USER_ONLY: bool = true;
    type Answer = Option<MyTimer>;
    fn read(body: &Bytes) -> Result<Option<MyTimer>, Error> {
        // No timer comes back as `[]` (PHP's empty array).
        match decode::<Value>(body)?.data {
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

impl Client {
    /// Everyone's running timers.
    pub async fn get_timers(&self) -> Result<Vec<Timer>, Error> {
        self.send(&GetTimers {}).await
    }

    /// The signed-in user's timer, if one runs (OAuth2 only).
    pub async fn get_my_timer(&self) -> Result<Option<MyTimer>, Error> {
        self.send(&GetMyTimer {}).await
    }
}

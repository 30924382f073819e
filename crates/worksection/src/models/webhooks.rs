//! Webhooks (administrative scope).

use serde::{Deserialize, Serialize};

use super::common::{Extra, Id, Undecoded, lenient, record};

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(remote = "Self")]
pub struct Webhook {
    pub id: Id,
    #[serde(default, deserialize_with = "lenient::string")]
    pub url: String,
    /// Comma-separated event names.
    #[serde(default, deserialize_with = "lenient::string")]
    pub events: String,
    /// `active` or `paused`.
    #[serde(default, deserialize_with = "lenient::string")]
    pub status: String,
    /// Comma-separated project ids, when limited to some.
    #[serde(
        default,
        deserialize_with = "lenient::opt_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub projects: Option<String>,
    /// What did not decode, kept as it came (see `Record`).
    #[serde(skip_deserializing, skip_serializing_if = "Option::is_none")]
    pub undecoded: Option<Undecoded>,
    #[serde(flatten)]
    pub extra: Extra,
}

record!(Webhook);

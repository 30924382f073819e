//! Webhooks (administrative scope).

use serde::{Deserialize, Serialize};

use super::common::{Extra, Id, Undecoded, record};
use super::lenient::Text;

#[serde_with::apply(Option => #[serde(default, skip_serializing_if = "Option::is_none")], String => #[serde(default)])]
#[serde_with::serde_as]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(remote = "Self")]
pub struct Webhook {
    pub id: Id,
    #[serde_as(deserialize_as = "Text")]
    pub url: String,
    /// Comma-separated event names.
    #[serde_as(deserialize_as = "Text")]
    pub events: String,
    /// `active` or `paused`.
    #[serde_as(deserialize_as = "Text")]
    pub status: String,
    /// Comma-separated project ids, when limited to some.
    #[serde_as(deserialize_as = "Text")]
    pub projects: Option<String>,
    /// What did not decode, kept as it came (see `Record`).
    #[serde(skip_deserializing)]
    pub undecoded: Option<Undecoded>,
    #[serde(flatten)]
    pub extra: Extra,
}

record!(Webhook);

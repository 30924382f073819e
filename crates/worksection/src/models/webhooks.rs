//! Webhooks (administrative scope).

use serde::{Deserialize, Serialize};

use super::common::{Extra, Id};

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Webhook {
    pub id: Id,
    #[serde(default)]
    pub url: String,
    /// Comma-separated event names.
    #[serde(default)]
    pub events: String,
    /// `active` or `paused`.
    #[serde(default)]
    pub status: String,
    /// Comma-separated project ids, when limited to some.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub projects: Option<String>,
    #[serde(flatten)]
    pub extra: Extra,
}

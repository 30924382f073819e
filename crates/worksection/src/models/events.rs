//! The activity log (`get_events`).

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::common::{Extra, Id, UserRef};

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Event {
    /// `post`, `update`, `close`, ...
    #[serde(default)]
    pub action: String,
    pub object: EventObject,
    #[serde(default)]
    pub date_added: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_from: Option<UserRef>,
    /// What changed to, for `post` and `update`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub new: Option<Value>,
    /// What it was, for `update`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub old: Option<Value>,
    #[serde(flatten)]
    pub extra: Extra,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct EventObject {
    /// `project`, `task` or `comment`.
    #[serde(rename = "type", default)]
    pub kind: String,
    pub id: Id,
    #[serde(default)]
    pub page: String,
    #[serde(flatten)]
    pub extra: Extra,
}

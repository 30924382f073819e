//! Account members, teams, contacts and contact folders.

use serde::{Deserialize, Serialize};

use super::common::{Extra, Id, lenient};

/// An account member (`get_users`, `me`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct User {
    pub id: Id,
    #[serde(default)]
    pub first_name: String,
    #[serde(default)]
    pub last_name: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub title: String,
    /// Hourly rate; `get_users` only.
    #[serde(
        default,
        deserialize_with = "lenient::opt_f64",
        skip_serializing_if = "Option::is_none"
    )]
    pub rate: Option<f64>,
    #[serde(default)]
    pub avatar: String,
    /// Team name.
    #[serde(default)]
    pub group: String,
    #[serde(default)]
    pub department: String,
    #[serde(default)]
    pub role: String,
    #[serde(default)]
    pub email: String,
    #[serde(flatten)]
    pub extra: Extra,
}

/// A team (`get_user_groups`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct UserGroup {
    pub id: Id,
    #[serde(default)]
    pub title: String,
    #[serde(rename = "type", default)]
    pub kind: String,
    /// An external client team.
    #[serde(
        default,
        deserialize_with = "lenient::opt_bool",
        skip_serializing_if = "Option::is_none"
    )]
    pub client: Option<bool>,
    #[serde(flatten)]
    pub extra: Extra,
}

/// A contact (`get_contacts`); phones and addresses stay in `extra`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Contact {
    pub id: Id,
    #[serde(default)]
    pub first_name: String,
    #[serde(default)]
    pub last_name: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub group: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(flatten)]
    pub extra: Extra,
}

/// A contact folder: presets have numeric ids, user folders string ids.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ContactGroup {
    pub id: Id,
    #[serde(default)]
    pub title: String,
    /// `preset` or `folder`.
    #[serde(rename = "type", default)]
    pub kind: String,
    #[serde(flatten)]
    pub extra: Extra,
}

//! Account members, teams, contacts and contact folders.

use serde::{Deserialize, Serialize};

use super::common::{Extra, Id, Undecoded, lenient, record};

/// An account member (`get_users`, `me`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(remote = "Self")]
pub struct User {
    pub id: Id,
    #[serde(default, deserialize_with = "lenient::string")]
    pub first_name: String,
    #[serde(default, deserialize_with = "lenient::string")]
    pub last_name: String,
    #[serde(default, deserialize_with = "lenient::string")]
    pub name: String,
    #[serde(default, deserialize_with = "lenient::string")]
    pub title: String,
    /// Hourly rate; `get_users` only.
    #[serde(
        default,
        deserialize_with = "lenient::opt_f64",
        skip_serializing_if = "Option::is_none"
    )]
    pub rate: Option<f64>,
    #[serde(default, deserialize_with = "lenient::string")]
    pub avatar: String,
    /// Team name.
    #[serde(default, deserialize_with = "lenient::string")]
    pub group: String,
    #[serde(default, deserialize_with = "lenient::string")]
    pub department: String,
    #[serde(default, deserialize_with = "lenient::string")]
    pub role: String,
    #[serde(default, deserialize_with = "lenient::string")]
    pub email: String,
    /// What did not decode, kept as it came (see `Record`).
    #[serde(skip_deserializing, skip_serializing_if = "Option::is_none")]
    pub undecoded: Option<Undecoded>,
    #[serde(flatten)]
    pub extra: Extra,
}

/// A team (`get_user_groups`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(remote = "Self")]
pub struct UserGroup {
    pub id: Id,
    #[serde(default, deserialize_with = "lenient::string")]
    pub title: String,
    #[serde(rename = "type", default, deserialize_with = "lenient::string")]
    pub kind: String,
    /// An external client team.
    #[serde(
        default,
        deserialize_with = "lenient::opt_bool",
        skip_serializing_if = "Option::is_none"
    )]
    pub client: Option<bool>,
    /// What did not decode, kept as it came (see `Record`).
    #[serde(skip_deserializing, skip_serializing_if = "Option::is_none")]
    pub undecoded: Option<Undecoded>,
    #[serde(flatten)]
    pub extra: Extra,
}

/// A contact (`get_contacts`); phones and addresses stay in `extra`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(remote = "Self")]
pub struct Contact {
    pub id: Id,
    #[serde(default, deserialize_with = "lenient::string")]
    pub first_name: String,
    #[serde(default, deserialize_with = "lenient::string")]
    pub last_name: String,
    #[serde(default, deserialize_with = "lenient::string")]
    pub name: String,
    #[serde(default, deserialize_with = "lenient::string")]
    pub title: String,
    #[serde(default, deserialize_with = "lenient::string")]
    pub group: String,
    #[serde(
        default,
        deserialize_with = "lenient::opt_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub email: Option<String>,
    /// What did not decode, kept as it came (see `Record`).
    #[serde(skip_deserializing, skip_serializing_if = "Option::is_none")]
    pub undecoded: Option<Undecoded>,
    #[serde(flatten)]
    pub extra: Extra,
}

/// A contact folder: presets have numeric ids, user folders string ids.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(remote = "Self")]
pub struct ContactGroup {
    pub id: Id,
    #[serde(default, deserialize_with = "lenient::string")]
    pub title: String,
    /// `preset` or `folder`.
    #[serde(rename = "type", default, deserialize_with = "lenient::string")]
    pub kind: String,
    /// What did not decode, kept as it came (see `Record`).
    #[serde(skip_deserializing, skip_serializing_if = "Option::is_none")]
    pub undecoded: Option<Undecoded>,
    #[serde(flatten)]
    pub extra: Extra,
}

record!(User, UserGroup, Contact, ContactGroup);

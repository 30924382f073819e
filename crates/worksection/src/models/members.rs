//! People: account members, teams, contacts and contact folders, and a
//! person as other records embed them.

use serde::{Deserialize, Serialize};

use super::common::{Extra, Id, Undecoded, record};
use super::lenient::{Flag, Num, Text};

/// A person as Worksection embeds them: `{"id","email","name"}`.
#[serde_with::apply(Option => #[serde(default, skip_serializing_if = "Option::is_none")], String => #[serde(default)])]
#[serde_with::serde_as]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct UserRef {
    #[serde(default)]
    pub id: Id,
    #[serde_as(deserialize_as = "Text")]
    pub email: String,
    #[serde_as(deserialize_as = "Text")]
    pub name: String,
    #[serde(flatten)]
    pub extra: Extra,
}

/// Worksection's stand-ins for "nobody" and "anybody".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PseudoUser {
    /// `NOONE`: no assignee or no manager.
    Nobody,
    /// `ANY`: anyone may take the task.
    Anyone,
}

impl UserRef {
    /// `Some` when this is not a real person.
    pub fn pseudo(&self) -> Option<PseudoUser> {
        match self.email.as_str() {
            "NOONE" => Some(PseudoUser::Nobody),
            "ANY" => Some(PseudoUser::Anyone),
            _ => None,
        }
    }
}

/// An account member (`get_users`, `me`).
#[serde_with::apply(Option => #[serde(default, skip_serializing_if = "Option::is_none")], String => #[serde(default)])]
#[serde_with::serde_as]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(remote = "Self")]
pub struct User {
    pub id: Id,
    #[serde_as(deserialize_as = "Text")]
    pub first_name: String,
    #[serde_as(deserialize_as = "Text")]
    pub last_name: String,
    #[serde_as(deserialize_as = "Text")]
    pub name: String,
    #[serde_as(deserialize_as = "Text")]
    pub title: String,
    /// Hourly rate; `get_users` only.
    #[serde_as(deserialize_as = "Num")]
    pub rate: Option<f64>,
    #[serde_as(deserialize_as = "Text")]
    pub avatar: String,
    /// Team name.
    #[serde_as(deserialize_as = "Text")]
    pub group: String,
    #[serde_as(deserialize_as = "Text")]
    pub department: String,
    #[serde_as(deserialize_as = "Text")]
    pub role: String,
    #[serde_as(deserialize_as = "Text")]
    pub email: String,
    /// What did not decode, kept as it came (see `Record`).
    #[serde(skip_deserializing)]
    pub undecoded: Option<Undecoded>,
    #[serde(flatten)]
    pub extra: Extra,
}

/// A team (`get_user_groups`).
#[serde_with::apply(Option => #[serde(default, skip_serializing_if = "Option::is_none")], String => #[serde(default)])]
#[serde_with::serde_as]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(remote = "Self")]
pub struct UserGroup {
    pub id: Id,
    #[serde_as(deserialize_as = "Text")]
    pub title: String,
    #[serde(rename = "type")]
    #[serde_as(deserialize_as = "Text")]
    pub kind: String,
    /// An external client team.
    #[serde_as(deserialize_as = "Flag")]
    pub client: Option<bool>,
    /// What did not decode, kept as it came (see `Record`).
    #[serde(skip_deserializing)]
    pub undecoded: Option<Undecoded>,
    #[serde(flatten)]
    pub extra: Extra,
}

/// A contact (`get_contacts`); phones and addresses stay in `extra`.
#[serde_with::apply(Option => #[serde(default, skip_serializing_if = "Option::is_none")], String => #[serde(default)])]
#[serde_with::serde_as]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(remote = "Self")]
pub struct Contact {
    pub id: Id,
    #[serde_as(deserialize_as = "Text")]
    pub first_name: String,
    #[serde_as(deserialize_as = "Text")]
    pub last_name: String,
    #[serde_as(deserialize_as = "Text")]
    pub name: String,
    #[serde_as(deserialize_as = "Text")]
    pub title: String,
    #[serde_as(deserialize_as = "Text")]
    pub group: String,
    #[serde_as(deserialize_as = "Text")]
    pub email: Option<String>,
    /// What did not decode, kept as it came (see `Record`).
    #[serde(skip_deserializing)]
    pub undecoded: Option<Undecoded>,
    #[serde(flatten)]
    pub extra: Extra,
}

/// A contact folder: presets have numeric ids, user folders string ids.
#[serde_with::apply(Option => #[serde(default, skip_serializing_if = "Option::is_none")], String => #[serde(default)])]
#[serde_with::serde_as]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(remote = "Self")]
pub struct ContactGroup {
    pub id: Id,
    #[serde_as(deserialize_as = "Text")]
    pub title: String,
    /// `preset` or `folder`.
    #[serde(rename = "type")]
    #[serde_as(deserialize_as = "Text")]
    pub kind: String,
    /// What did not decode, kept as it came (see `Record`).
    #[serde(skip_deserializing)]
    pub undecoded: Option<Undecoded>,
    #[serde(flatten)]
    pub extra: Extra,
}

record!(User, UserGroup, Contact, ContactGroup);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pseudo_users() {
        let u: UserRef =
            serde_json::from_str(r#"{"id":"2","email":"ANY","name":"Anyone"}"#).expect("user");
        assert_eq!(u.pseudo(), Some(PseudoUser::Anyone));
        let u: UserRef =
            serde_json::from_str(r#"{"id":"1","email":"NOONE","name":"x"}"#).expect("user");
        assert_eq!(u.pseudo(), Some(PseudoUser::Nobody));
    }
}

//! Projects and project folders.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::common::{Extra, Id, Undecoded, parse_date, record};
use super::lenient::{Block, Flag, Keyed, Num, Tags, Text};
use super::members::UserRef;

#[serde_with::apply(Option => #[serde(default, skip_serializing_if = "Option::is_none")], String => #[serde(default)])]
#[serde_with::serde_as]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(remote = "Self")]
pub struct Project {
    pub id: Id,
    #[serde_as(deserialize_as = "Text")]
    pub name: String,
    #[serde_as(deserialize_as = "Text")]
    pub page: String,
    /// `active`, `pending` (sleeping) or `archive`.
    #[serde_as(deserialize_as = "Text")]
    pub status: String,
    /// The folder or team the project is in.
    #[serde_as(deserialize_as = "Text")]
    pub company: String,
    #[serde_as(deserialize_as = "Block")]
    pub user_from: Option<UserRef>,
    /// The manager; the `NOONE` pseudo-user when there is none.
    #[serde_as(deserialize_as = "Block")]
    pub user_to: Option<UserRef>,
    /// `extra=text` (or `html`).
    #[serde_as(deserialize_as = "Text")]
    pub text: Option<String>,
    #[serde_as(deserialize_as = "Text")]
    pub date_added: String,
    #[serde_as(deserialize_as = "Text")]
    pub date_start: Option<String>,
    #[serde_as(deserialize_as = "Text")]
    pub date_end: Option<String>,
    /// `extra=options`: restriction flags.
    #[serde_as(deserialize_as = "Keyed")]
    pub options: Option<BTreeMap<String, serde_json::Value>>,
    /// Planned hours.
    #[serde_as(deserialize_as = "Num")]
    pub max_time: Option<f64>,
    /// Planned budget.
    #[serde_as(deserialize_as = "Num")]
    pub max_money: Option<f64>,
    /// Tag id to tag name.
    #[serde_as(deserialize_as = "Tags")]
    pub tags: Option<BTreeMap<String, String>>,
    /// `extra=users`: the team.
    #[serde_as(deserialize_as = "Keyed")]
    pub users: Option<Vec<UserRef>>,
    /// What did not decode, kept as it came (see `Record`).
    #[serde(skip_deserializing)]
    pub undecoded: Option<Undecoded>,
    #[serde(flatten)]
    pub extra: Extra,
}

impl Project {
    pub fn start(&self) -> Option<NaiveDate> {
        self.date_start.as_deref().and_then(parse_date)
    }

    pub fn end(&self) -> Option<NaiveDate> {
        self.date_end.as_deref().and_then(parse_date)
    }
}

/// The project block inside tasks.
#[serde_with::apply(Option => #[serde(default, skip_serializing_if = "Option::is_none")], String => #[serde(default)])]
#[serde_with::serde_as]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ProjectRef {
    pub id: Id,
    #[serde_as(deserialize_as = "Text")]
    pub name: String,
    #[serde_as(deserialize_as = "Text")]
    pub page: String,
    #[serde(flatten)]
    pub extra: Extra,
}

/// A project folder (`type: folder`) or a team shown as one (`type: company`).
#[serde_with::apply(Option => #[serde(default, skip_serializing_if = "Option::is_none")], String => #[serde(default)])]
#[serde_with::serde_as]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(remote = "Self")]
pub struct ProjectGroup {
    pub id: Id,
    #[serde_as(deserialize_as = "Text")]
    pub title: String,
    #[serde(rename = "type")]
    #[serde_as(deserialize_as = "Text")]
    pub kind: String,
    #[serde_as(deserialize_as = "Flag")]
    pub client: Option<bool>,
    /// What did not decode, kept as it came (see `Record`).
    #[serde(skip_deserializing)]
    pub undecoded: Option<Undecoded>,
    #[serde(flatten)]
    pub extra: Extra,
}

record!(Project, ProjectGroup);

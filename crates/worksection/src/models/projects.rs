//! Projects and project folders.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::common::{Extra, Id, Undecoded, UserRef, lenient, parse_date, record};

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(remote = "Self")]
pub struct Project {
    pub id: Id,
    #[serde(default, deserialize_with = "lenient::string")]
    pub name: String,
    #[serde(default, deserialize_with = "lenient::string")]
    pub page: String,
    /// `active`, `pending` (sleeping) or `archive`.
    #[serde(default, deserialize_with = "lenient::string")]
    pub status: String,
    /// The folder or team the project is in.
    #[serde(default, deserialize_with = "lenient::string")]
    pub company: String,
    #[serde(
        default,
        deserialize_with = "lenient::opt_block",
        skip_serializing_if = "Option::is_none"
    )]
    pub user_from: Option<UserRef>,
    /// The manager; the `NOONE` pseudo-user when there is none.
    #[serde(
        default,
        deserialize_with = "lenient::opt_block",
        skip_serializing_if = "Option::is_none"
    )]
    pub user_to: Option<UserRef>,
    /// `extra=text` (or `html`).
    #[serde(
        default,
        deserialize_with = "lenient::opt_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub text: Option<String>,
    #[serde(default, deserialize_with = "lenient::string")]
    pub date_added: String,
    #[serde(
        default,
        deserialize_with = "lenient::opt_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub date_start: Option<String>,
    #[serde(
        default,
        deserialize_with = "lenient::opt_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub date_end: Option<String>,
    /// `extra=options`: restriction flags.
    #[serde(
        default,
        deserialize_with = "lenient::opt_map",
        skip_serializing_if = "Option::is_none"
    )]
    pub options: Option<BTreeMap<String, serde_json::Value>>,
    /// Planned hours.
    #[serde(
        default,
        deserialize_with = "lenient::opt_f64",
        skip_serializing_if = "Option::is_none"
    )]
    pub max_time: Option<f64>,
    /// Planned budget.
    #[serde(
        default,
        deserialize_with = "lenient::opt_f64",
        skip_serializing_if = "Option::is_none"
    )]
    pub max_money: Option<f64>,
    /// Tag id to tag name.
    #[serde(
        default,
        deserialize_with = "lenient::opt_tag_map",
        skip_serializing_if = "Option::is_none"
    )]
    pub tags: Option<BTreeMap<String, String>>,
    /// `extra=users`: the team.
    #[serde(
        default,
        deserialize_with = "lenient::opt_vec",
        skip_serializing_if = "Option::is_none"
    )]
    pub users: Option<Vec<UserRef>>,
    /// What did not decode, kept as it came (see `Record`).
    #[serde(skip_deserializing, skip_serializing_if = "Option::is_none")]
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
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ProjectRef {
    pub id: Id,
    #[serde(default, deserialize_with = "lenient::string")]
    pub name: String,
    #[serde(default, deserialize_with = "lenient::string")]
    pub page: String,
    #[serde(flatten)]
    pub extra: Extra,
}

/// A project folder (`type: folder`) or a team shown as one (`type: company`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(remote = "Self")]
pub struct ProjectGroup {
    pub id: Id,
    #[serde(default, deserialize_with = "lenient::string")]
    pub title: String,
    #[serde(rename = "type", default, deserialize_with = "lenient::string")]
    pub kind: String,
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

record!(Project, ProjectGroup);

//! Projects and project folders.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::common::{Extra, Id, UserRef, lenient, parse_date};

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Project {
    pub id: Id,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub page: String,
    /// `active`, `pending` (sleeping) or `archive`.
    #[serde(default)]
    pub status: String,
    /// The folder or team the project is in.
    #[serde(default)]
    pub company: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_from: Option<UserRef>,
    /// The manager; the `NOONE` pseudo-user when there is none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_to: Option<UserRef>,
    /// `extra=text` (or `html`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    #[serde(default)]
    pub date_added: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date_start: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date_end: Option<String>,
    /// `extra=options`: restriction flags.
    #[serde(default, skip_serializing_if = "Option::is_none")]
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
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub page: String,
    #[serde(flatten)]
    pub extra: Extra,
}

/// A project folder (`type: folder`) or a team shown as one (`type: company`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ProjectGroup {
    pub id: Id,
    #[serde(default)]
    pub title: String,
    #[serde(rename = "type", default)]
    pub kind: String,
    #[serde(
        default,
        deserialize_with = "lenient::opt_bool",
        skip_serializing_if = "Option::is_none"
    )]
    pub client: Option<bool>,
    #[serde(flatten)]
    pub extra: Extra,
}

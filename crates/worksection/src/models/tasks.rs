//! Tasks and subtasks, with their optional blocks.

use std::collections::BTreeMap;

use chrono::{NaiveDate, NaiveDateTime};
use serde::{Deserialize, Serialize};

use super::comments::Comment;
use super::common::{Extra, Id, Undecoded, UserRef, lenient, parse_date, parse_datetime, record};
use super::files::FileRef;
use super::projects::ProjectRef;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(remote = "Self")]
pub struct Task {
    pub id: Id,
    #[serde(default, deserialize_with = "lenient::string")]
    pub name: String,
    #[serde(default, deserialize_with = "lenient::string")]
    pub page: String,
    /// `active` or `done`.
    #[serde(default, deserialize_with = "lenient::string")]
    pub status: String,
    /// 0..=10 (Worksection sends a string).
    #[serde(
        default,
        deserialize_with = "lenient::opt_u8",
        skip_serializing_if = "Option::is_none"
    )]
    pub priority: Option<u8>,
    #[serde(
        default,
        deserialize_with = "lenient::opt_block",
        skip_serializing_if = "Option::is_none"
    )]
    pub user_from: Option<UserRef>,
    /// The assignee; a pseudo-user (`NOONE`, `ANY`) when nobody in particular.
    #[serde(
        default,
        deserialize_with = "lenient::opt_block",
        skip_serializing_if = "Option::is_none"
    )]
    pub user_to: Option<UserRef>,
    #[serde(
        default,
        deserialize_with = "lenient::opt_block",
        skip_serializing_if = "Option::is_none"
    )]
    pub project: Option<ProjectRef>,
    /// `extra=text` (or `html`).
    #[serde(
        default,
        deserialize_with = "lenient::opt_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub text: Option<String>,
    #[serde(
        default,
        deserialize_with = "lenient::opt_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub date_added: Option<String>,
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
    #[serde(
        default,
        deserialize_with = "lenient::opt_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub time_start: Option<String>,
    #[serde(
        default,
        deserialize_with = "lenient::opt_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub time_end: Option<String>,
    #[serde(
        default,
        deserialize_with = "lenient::opt_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub date_closed: Option<String>,
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
    #[serde(
        default,
        deserialize_with = "lenient::opt_bool",
        skip_serializing_if = "Option::is_none"
    )]
    pub has_comments: Option<bool>,
    /// `extra=files`: files of the description.
    #[serde(
        default,
        deserialize_with = "lenient::opt_vec",
        skip_serializing_if = "Option::is_none"
    )]
    pub files: Option<Vec<FileRef>>,
    /// `extra=comments`: the five latest.
    #[serde(
        default,
        deserialize_with = "lenient::opt_vec",
        skip_serializing_if = "Option::is_none"
    )]
    pub comments: Option<Vec<Comment>>,
    /// `extra=relations`.
    #[serde(
        default,
        deserialize_with = "lenient::opt_block",
        skip_serializing_if = "Option::is_none"
    )]
    pub relations: Option<Relations>,
    /// `extra=subtasks`, recursively.
    #[serde(
        default,
        deserialize_with = "lenient::opt_vec",
        skip_serializing_if = "Option::is_none"
    )]
    pub child: Option<Vec<Task>>,
    /// `extra=subscribers`.
    #[serde(
        default,
        deserialize_with = "lenient::opt_vec",
        skip_serializing_if = "Option::is_none"
    )]
    pub subscribers: Option<Vec<UserRef>>,
    /// What did not decode, kept as it came (see `Record`).
    #[serde(skip_deserializing, skip_serializing_if = "Option::is_none")]
    pub undecoded: Option<Undecoded>,
    #[serde(flatten)]
    pub extra: Extra,
}

impl Task {
    pub fn is_done(&self) -> bool {
        self.status == "done"
    }

    pub fn start(&self) -> Option<NaiveDate> {
        self.date_start.as_deref().and_then(parse_date)
    }

    pub fn end(&self) -> Option<NaiveDate> {
        self.date_end.as_deref().and_then(parse_date)
    }

    pub fn added(&self) -> Option<NaiveDateTime> {
        self.date_added.as_deref().and_then(parse_datetime)
    }

    pub fn closed(&self) -> Option<NaiveDateTime> {
        self.date_closed.as_deref().and_then(parse_datetime)
    }

    /// This task and all its subtasks, depth first.
    pub fn flatten(&self) -> Vec<&Task> {
        let mut out = vec![self];
        for c in self.child.iter().flatten() {
            out.extend(c.flatten());
        }
        out
    }
}

/// Dependencies: `from` lists tasks this one waits for, `to` those waiting
/// for it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Relations {
    #[serde(
        default,
        deserialize_with = "lenient::opt_vec",
        skip_serializing_if = "Option::is_none"
    )]
    pub from: Option<Vec<Relation>>,
    #[serde(
        default,
        deserialize_with = "lenient::opt_vec",
        skip_serializing_if = "Option::is_none"
    )]
    pub to: Option<Vec<Relation>>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Relation {
    /// `finish-to-start`, `start-to-start`, ...
    #[serde(rename = "type", default, deserialize_with = "lenient::string")]
    pub kind: String,
    pub task: TaskRef,
}

/// A task as relations name it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TaskRef {
    pub id: Id,
    #[serde(default, deserialize_with = "lenient::string")]
    pub name: String,
    #[serde(default, deserialize_with = "lenient::string")]
    pub page: String,
    #[serde(default, deserialize_with = "lenient::string")]
    pub status: String,
    #[serde(
        default,
        deserialize_with = "lenient::opt_u8",
        skip_serializing_if = "Option::is_none"
    )]
    pub priority: Option<u8>,
    #[serde(flatten)]
    pub extra: Extra,
}

record!(Task);

//! Tasks and subtasks, with their optional blocks.

use std::collections::BTreeMap;

use chrono::{NaiveDate, NaiveDateTime};
use serde::{Deserialize, Serialize};

use super::comments::Comment;
use super::common::{Extra, Id, Undecoded, parse_date, parse_datetime, record};
use super::files::FileRef;
use super::lenient::{Block, Flag, Keyed, Num, Tags, Text};
use super::members::UserRef;
use super::projects::ProjectRef;

#[serde_with::apply(Option => #[serde(default, skip_serializing_if = "Option::is_none")], String => #[serde(default)])]
#[serde_with::serde_as]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(remote = "Self")]
pub struct Task {
    pub id: Id,
    #[serde_as(deserialize_as = "Text")]
    pub name: String,
    #[serde_as(deserialize_as = "Text")]
    pub page: String,
    /// `active` or `done`.
    #[serde_as(deserialize_as = "Text")]
    pub status: String,
    /// 0..=10 (Worksection sends a string).
    #[serde_as(deserialize_as = "Num")]
    pub priority: Option<u8>,
    #[serde_as(deserialize_as = "Block")]
    pub user_from: Option<UserRef>,
    /// The assignee; a pseudo-user (`NOONE`, `ANY`) when nobody in particular.
    #[serde_as(deserialize_as = "Block")]
    pub user_to: Option<UserRef>,
    #[serde_as(deserialize_as = "Block")]
    pub project: Option<ProjectRef>,
    /// `extra=text` (or `html`).
    #[serde_as(deserialize_as = "Text")]
    pub text: Option<String>,
    #[serde_as(deserialize_as = "Text")]
    pub date_added: Option<String>,
    #[serde_as(deserialize_as = "Text")]
    pub date_start: Option<String>,
    #[serde_as(deserialize_as = "Text")]
    pub date_end: Option<String>,
    #[serde_as(deserialize_as = "Text")]
    pub time_start: Option<String>,
    #[serde_as(deserialize_as = "Text")]
    pub time_end: Option<String>,
    #[serde_as(deserialize_as = "Text")]
    pub date_closed: Option<String>,
    /// Planned hours.
    #[serde_as(deserialize_as = "Num")]
    pub max_time: Option<f64>,
    /// Planned budget.
    #[serde_as(deserialize_as = "Num")]
    pub max_money: Option<f64>,
    /// Tag id to tag name.
    #[serde_as(deserialize_as = "Tags")]
    pub tags: Option<BTreeMap<String, String>>,
    #[serde_as(deserialize_as = "Flag")]
    pub has_comments: Option<bool>,
    /// `extra=files`: files of the description.
    #[serde_as(deserialize_as = "Keyed")]
    pub files: Option<Vec<FileRef>>,
    /// `extra=comments`: the five latest.
    #[serde_as(deserialize_as = "Keyed")]
    pub comments: Option<Vec<Comment>>,
    /// `extra=relations` (boxed: most lists carry none, and a task is held
    /// by the thousand).
    #[serde_as(deserialize_as = "Block")]
    pub relations: Option<Box<Relations>>,
    /// `extra=subtasks`, recursively.
    #[serde_as(deserialize_as = "Keyed")]
    pub child: Option<Vec<Task>>,
    /// `extra=subscribers`.
    #[serde_as(deserialize_as = "Keyed")]
    pub subscribers: Option<Vec<UserRef>>,
    /// What did not decode, kept as it came (see `Record`); boxed, as
    /// `relations`.
    #[serde(skip_deserializing)]
    pub undecoded: Option<Box<Undecoded>>,
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
#[serde_with::apply(Option => #[serde(default, skip_serializing_if = "Option::is_none")], String => #[serde(default)])]
#[serde_with::serde_as]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Relations {
    #[serde_as(deserialize_as = "Keyed")]
    pub from: Option<Vec<Relation>>,
    #[serde_as(deserialize_as = "Keyed")]
    pub to: Option<Vec<Relation>>,
}

#[serde_with::apply(Option => #[serde(default, skip_serializing_if = "Option::is_none")], String => #[serde(default)])]
#[serde_with::serde_as]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Relation {
    /// `finish-to-start`, `start-to-start`, ...
    #[serde(rename = "type")]
    #[serde_as(deserialize_as = "Text")]
    pub kind: String,
    pub task: TaskRef,
}

/// A task as relations name it.
#[serde_with::apply(Option => #[serde(default, skip_serializing_if = "Option::is_none")], String => #[serde(default)])]
#[serde_with::serde_as]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TaskRef {
    pub id: Id,
    #[serde_as(deserialize_as = "Text")]
    pub name: String,
    #[serde_as(deserialize_as = "Text")]
    pub page: String,
    #[serde_as(deserialize_as = "Text")]
    pub status: String,
    #[serde_as(deserialize_as = "Num")]
    pub priority: Option<u8>,
    #[serde(flatten)]
    pub extra: Extra,
}

record!(Task);

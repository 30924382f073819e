//! The activity log (`get_events`).

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::common::{Extra, Id, Undecoded, record};
use super::lenient::{Block, NonEmpty, Text};
use super::members::UserRef;

#[serde_with::apply(Option => #[serde(default, skip_serializing_if = "Option::is_none")], String => #[serde(default)])]
#[serde_with::serde_as]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(remote = "Self")]
pub struct Event {
    /// `post`, `update`, `close`, ...
    #[serde_as(deserialize_as = "Text")]
    pub action: String,
    pub object: EventObject,
    #[serde_as(deserialize_as = "Text")]
    pub date_added: String,
    #[serde_as(deserialize_as = "Block")]
    pub user_from: Option<UserRef>,
    /// What changed to, for `post` and `update`.
    #[serde_as(deserialize_as = "NonEmpty")]
    pub new: Option<Value>,
    /// What it was, for `update`.
    #[serde_as(deserialize_as = "NonEmpty")]
    pub old: Option<Value>,
    /// What did not decode, kept as it came (see `Record`).
    #[serde(skip_deserializing)]
    pub undecoded: Option<Undecoded>,
    #[serde(flatten)]
    pub extra: Extra,
}

/// What an event is about. Its `page` is where that thing lives: the
/// collections write `/project/{p}/` and `/project/{p}/{t}/` (a comment's
/// with `#com{c}`); real accounts also write `/task/{t}/`, which names the
/// task but not its project ([`EventObject::place`] keeps both forms).
#[serde_with::apply(Option => #[serde(default, skip_serializing_if = "Option::is_none")], String => #[serde(default)])]
#[serde_with::serde_as]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct EventObject {
    /// `project`, `task` or `comment`.
    #[serde(rename = "type")]
    #[serde_as(deserialize_as = "Text")]
    pub kind: String,
    pub id: Id,
    #[serde_as(deserialize_as = "Text")]
    pub page: String,
    #[serde(flatten)]
    pub extra: Extra,
}

record!(Event);

/// Where an event's object lives, read from its page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place {
    /// `/project/{project}/`, `/project/{project}/{task}/`, or with a
    /// subtask after the task.
    Project {
        project: u64,
        task: Option<u64>,
        subtask: Option<u64>,
    },
    /// `/task/{task}/`: the task (or subtask) alone; its project is found
    /// through the task list.
    Task { task: u64 },
}

impl Place {
    /// The innermost task the page names, if it names one.
    pub fn task(self) -> Option<u64> {
        match self {
            Self::Project { task, subtask, .. } => subtask.or(task),
            Self::Task { task } => Some(task),
        }
    }

    /// The project, when the page says it.
    pub fn project(self) -> Option<u64> {
        match self {
            Self::Project { project, .. } => Some(project),
            Self::Task { .. } => None,
        }
    }
}

impl EventObject {
    /// Where the object lives; `None` for a page of another form or none
    /// (a deleted task's events have no page).
    pub fn place(&self) -> Option<Place> {
        let path = self.page.split('#').next().unwrap_or_default();
        let mut parts = path.split('/').filter(|s| !s.is_empty());
        let kind = parts.next()?;
        let ids: Vec<u64> = parts.map(|p| p.parse().ok()).collect::<Option<_>>()?;
        match (kind, ids.as_slice()) {
            ("project", [project, rest @ ..]) if rest.len() <= 2 => Some(Place::Project {
                project: *project,
                task: rest.first().copied(),
                subtask: rest.get(1).copied(),
            }),
            ("task", [task]) => Some(Place::Task { task: *task }),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn object(page: &str) -> EventObject {
        EventObject {
            page: page.to_owned(),
            ..EventObject::default()
        }
    }

    #[test]
    fn pages_of_both_forms() {
        let project = |project, task, subtask| {
            Some(Place::Project {
                project,
                task,
                subtask,
            })
        };
        assert_eq!(object("/project/8506/").place(), project(8506, None, None));
        assert_eq!(
            object("/project/6622/330090/").place(),
            project(6622, Some(330090), None)
        );
        assert_eq!(
            object("/project/6622/330090/331000/#com19870").place(),
            project(6622, Some(330090), Some(331000))
        );
        assert_eq!(
            object("/task/331786/").place(),
            Some(Place::Task { task: 331786 })
        );
        assert_eq!(
            object("/task/331786/").place().and_then(Place::task),
            Some(331786)
        );
        assert_eq!(
            object("/task/331786/").place().and_then(Place::project),
            None
        );
        for odd in [
            "",
            "/",
            "/project/x/",
            "/task/",
            "/task/1/2/",
            "/user/5/",
            "project",
        ] {
            assert_eq!(object(odd).place(), None, "{odd}");
        }
    }
}

//! Tasks: of all projects, of one project, one task, and search.

use bytes::Bytes;
use serde::Serialize;
use serde_with::skip_serializing_none;

use super::{active, add_unique, comma, not};
use crate::action::Action;
use crate::client::Client;
use crate::error::Error;
use crate::models::Task;
use crate::transport::{list, one};

/// Optional blocks of a task.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TaskExtra {
    Text,
    Html,
    /// Files of the description.
    Files,
    /// The five latest comments.
    Comments,
    Relations,
    /// Subtasks, in `child`.
    Subtasks,
    Subscribers,
    /// Tasks of archived projects too (`get_all_tasks`).
    Archive,
}

impl AsRef<str> for TaskExtra {
    fn as_ref(&self) -> &str {
        match self {
            Self::Text => "text",
            Self::Html => "html",
            Self::Files => "files",
            Self::Comments => "comments",
            Self::Relations => "relations",
            Self::Subtasks => "subtasks",
            Self::Subscribers => "subscribers",
            Self::Archive => "archive",
        }
    }
}

/// A task's state, for `search_tasks`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum TaskState {
    Active,
    Done,
}

impl TaskState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Done => "done",
        }
    }
}

/// `get_all_tasks`. Worksection can only filter open tasks (`active_only`);
/// completed-only filtering is the caller's job.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct GetAllTasks {
    #[serde(
        rename = "filter",
        serialize_with = "active",
        skip_serializing_if = "not"
    )]
    active_only: bool,
    #[serde(serialize_with = "comma", skip_serializing_if = "Vec::is_empty")]
    extra: Vec<TaskExtra>,
}

impl GetAllTasks {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn active_only(mut self) -> Self {
        self.active_only = true;
        self
    }

    pub fn extra(mut self, extra: impl IntoIterator<Item = TaskExtra>) -> Self {
        add_unique(&mut self.extra, extra);
        self
    }
}

/// `get_tasks`: one project's tasks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GetTasks {
    #[serde(rename = "id_project")]
    project: u64,
    #[serde(
        rename = "filter",
        serialize_with = "active",
        skip_serializing_if = "not"
    )]
    active_only: bool,
    #[serde(serialize_with = "comma", skip_serializing_if = "Vec::is_empty")]
    extra: Vec<TaskExtra>,
}

impl GetTasks {
    pub fn new(project: u64) -> Self {
        Self {
            project,
            active_only: false,
            extra: Vec::new(),
        }
    }

    pub fn active_only(mut self) -> Self {
        self.active_only = true;
        self
    }

    pub fn extra(mut self, extra: impl IntoIterator<Item = TaskExtra>) -> Self {
        add_unique(&mut self.extra, extra);
        self
    }
}

/// `get_task`: one task or subtask.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GetTask {
    #[serde(rename = "id_task")]
    task: u64,
    #[serde(
        rename = "filter",
        serialize_with = "active",
        skip_serializing_if = "not"
    )]
    active_subtasks_only: bool,
    #[serde(serialize_with = "comma", skip_serializing_if = "Vec::is_empty")]
    extra: Vec<TaskExtra>,
}

impl GetTask {
    pub fn new(task: u64) -> Self {
        Self {
            task,
            active_subtasks_only: false,
            extra: Vec::new(),
        }
    }

    /// With `Subtasks`: only open subtasks.
    pub fn active_subtasks_only(mut self) -> Self {
        self.active_subtasks_only = true;
        self
    }

    pub fn extra(mut self, extra: impl IntoIterator<Item = TaskExtra>) -> Self {
        add_unique(&mut self.extra, extra);
        self
    }
}

/// `search_tasks`: at least one of project, task, author, assignee or
/// filter is required.
#[skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SearchTasks {
    #[serde(rename = "id_project")]
    project: Option<u64>,
    #[serde(rename = "id_task")]
    task: Option<u64>,
    #[serde(rename = "email_user_from")]
    author_email: Option<String>,
    #[serde(rename = "email_user_to")]
    assignee_email: Option<String>,
    filter: Option<String>,
    #[serde(rename = "status")]
    state: Option<TaskState>,
    #[serde(serialize_with = "comma", skip_serializing_if = "Vec::is_empty")]
    extra: Vec<TaskExtra>,
}

impl SearchTasks {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn project(mut self, project: u64) -> Self {
        self.project = Some(project);
        self
    }

    pub fn task(mut self, task: u64) -> Self {
        self.task = Some(task);
        self
    }

    pub fn author_email(mut self, email: impl Into<String>) -> Self {
        self.author_email = Some(email.into());
        self
    }

    pub fn assignee_email(mut self, email: impl Into<String>) -> Self {
        self.assignee_email = Some(email.into());
        self
    }

    /// A filter expression; build it with `crate::filter::Filter` so user
    /// text cannot change its meaning.
    pub fn filter(mut self, filter: impl std::fmt::Display) -> Self {
        self.filter = Some(filter.to_string());
        self
    }

    pub fn state(mut self, state: TaskState) -> Self {
        self.state = Some(state);
        self
    }

    /// Only `Text`, `Html` and `Files` apply to search.
    pub fn extra(mut self, extra: impl IntoIterator<Item = TaskExtra>) -> Self {
        add_unique(&mut self.extra, extra);
        self
    }
}

impl Action for GetAllTasks {
    const NAME: &'static str = "get_all_tasks";
    type Answer = Vec<Task>;
    fn read(body: &Bytes) -> Result<Vec<Task>, Error> {
        list(body)
    }
}

impl Action for GetTasks {
    const NAME: &'static str = "get_tasks";
    type Answer = Vec<Task>;
    fn read(body: &Bytes) -> Result<Vec<Task>, Error> {
        list(body)
    }
}

impl Action for GetTask {
    const NAME: &'static str = "get_task";
    type Answer = Task;
    fn read(body: &Bytes) -> Result<Task, Error> {
        one(body, Self::NAME)
    }
}

impl Action for SearchTasks {
    const NAME: &'static str = "search_tasks";
    type Answer = Vec<Task>;

    fn check(&self) -> Result<(), Error> {
        if self.project.is_none()
            && self.task.is_none()
            && self.author_email.is_none()
            && self.assignee_email.is_none()
            && self.filter.is_none()
        {
            return Err(Error::InvalidArgument(
                "search_tasks needs at least one of: project, task, author, assignee or a filter"
                    .into(),
            ));
        }
        Ok(())
    }

    fn read(body: &Bytes) -> Result<Vec<Task>, Error> {
        list(body)
    }
}

impl Client {
    /// Tasks of all projects (subtasks only inside `child` with `Subtasks`).
    pub async fn get_all_tasks(&self, p: GetAllTasks) -> Result<Vec<Task>, Error> {
        self.send(&p).await
    }

    pub async fn get_tasks(&self, p: GetTasks) -> Result<Vec<Task>, Error> {
        self.send(&p).await
    }

    pub async fn get_task(&self, p: GetTask) -> Result<Task, Error> {
        self.send(&p).await
    }

    pub async fn search_tasks(&self, p: SearchTasks) -> Result<Vec<Task>, Error> {
        self.send(&p).await
    }
}

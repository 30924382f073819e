//! Tasks: of all projects, of one project, one task, and search.

use super::members::required;
use super::{Query, add_unique};
use crate::models::Task;
use crate::{Client, Error};

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
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
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
#[derive(Debug, Clone, Default)]
pub struct GetAllTasks {
    active_only: bool,
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
#[derive(Debug, Clone)]
pub struct GetTasks {
    project: u64,
    active_only: bool,
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
#[derive(Debug, Clone)]
pub struct GetTask {
    task: u64,
    active_subtasks_only: bool,
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
#[derive(Debug, Clone, Default)]
pub struct SearchTasks {
    project: Option<u64>,
    task: Option<u64>,
    author_email: Option<String>,
    assignee_email: Option<String>,
    filter: Option<String>,
    state: Option<TaskState>,
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

impl Client {
    /// Tasks of all projects (subtasks only inside `child` with `Subtasks`).
    pub async fn get_all_tasks(&self, p: GetAllTasks) -> Result<Vec<Task>, Error> {
        let q = Query::default()
            .opt("filter", p.active_only.then_some("active"))
            .extras(&p.extra)
            .done();
        Ok(self
            .call("get_all_tasks", q)
            .await?
            .data
            .unwrap_or_default())
    }

    pub async fn get_tasks(&self, p: GetTasks) -> Result<Vec<Task>, Error> {
        let q = Query::default()
            .push("id_project", p.project)
            .opt("filter", p.active_only.then_some("active"))
            .extras(&p.extra)
            .done();
        Ok(self.call("get_tasks", q).await?.data.unwrap_or_default())
    }

    pub async fn get_task(&self, p: GetTask) -> Result<Task, Error> {
        let q = Query::default()
            .push("id_task", p.task)
            .opt("filter", p.active_subtasks_only.then_some("active"))
            .extras(&p.extra)
            .done();
        required(self.call("get_task", q).await?.data, "get_task")
    }

    pub async fn search_tasks(&self, p: SearchTasks) -> Result<Vec<Task>, Error> {
        if p.project.is_none()
            && p.task.is_none()
            && p.author_email.is_none()
            && p.assignee_email.is_none()
            && p.filter.is_none()
        {
            return Err(Error::InvalidArgument(
                "search_tasks needs at least one of: project, task, author, assignee or a filter"
                    .into(),
            ));
        }
        let q = Query::default()
            .opt("id_project", p.project)
            .opt("id_task", p.task)
            .opt("email_user_from", p.author_email)
            .opt("email_user_to", p.assignee_email)
            .opt("filter", p.filter)
            .opt("status", p.state.map(TaskState::as_str))
            .extras(&p.extra)
            .done();
        Ok(self.call("search_tasks", q).await?.data.unwrap_or_default())
    }
}

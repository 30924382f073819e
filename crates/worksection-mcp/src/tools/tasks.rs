//! Tasks: of the whole account, of one project, one task and its parts,
//! and search.

use std::sync::Arc;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use worksection::api::tasks::{GetAllTasks, GetTask, SearchTasks, TaskExtra, TaskState};
use worksection::filter::Filter;
use worksection::models::Task;

use super::analytics::summary;
use super::answer::{Listed, Object, OfTask, RecordAnswer, Ref, Summary};
use super::files::{Attachment, links};
use super::{Detail, Scope, TaskStatus, ToolDef, Upstream, def};
use crate::account::Account;
use crate::args::{self, IdArg};
use crate::compact::{self, Record, Refs, Tables};
use crate::error::ToolError;
use crate::output::List;

pub fn tools() -> Vec<ToolDef> {
    vec![
        def(
            "get_all_tasks",
            "All tasks",
            "Tasks of every project (for one project: get_tasks).",
            Upstream::new(1, &["get_all_tasks"], &[Scope::TasksRead]),
            get_all_tasks,
        ),
        def(
            "get_tasks",
            "Project tasks",
            "One project's tasks, subtasks on request.",
            Upstream::new(1, &["get_tasks"], &[Scope::TasksRead]),
            get_tasks,
        ),
        def(
            "get_task",
            "Task",
            "One task: status, assignee, dates, priority, budget.",
            Upstream::new(1, &["get_task"], &[Scope::TasksRead]),
            get_task,
        ),
        def(
            "search_tasks",
            "Search tasks",
            "Tasks by name words, project, parent, assignee or author email, or raw filter.",
            Upstream::new(1, &["search_tasks"], &[Scope::TasksRead]),
            search_tasks,
        ),
        def(
            "get_task_subtasks",
            "Subtasks",
            "A task's subtasks, nested, with status and assignee.",
            Upstream::new(1, &["get_task"], &[Scope::TasksRead]).note("`extra=subtasks`"),
            get_task_subtasks,
        ),
        def(
            "get_task_relations",
            "Task dependencies",
            "The tasks this task depends on, and those that depend on it.",
            Upstream::new(1, &["get_task"], &[Scope::TasksRead]).note("`extra=relations`"),
            get_task_relations,
        ),
        def(
            "get_task_subscribers",
            "Task watchers",
            "The people watching a task.",
            Upstream::new(1, &["get_task"], &[Scope::TasksRead]).note("`extra=subscribers`"),
            get_task_subscribers,
        ),
    ]
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, serde::Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum TaskStatusFilter {
    Active,
    Done,
    #[default]
    All,
}

const LIST_EXTRAS: &[(&str, TaskExtra)] = &[
    ("text", TaskExtra::Text),
    ("files", TaskExtra::Files),
    ("comments", TaskExtra::Comments),
    ("relations", TaskExtra::Relations),
    ("subtasks", TaskExtra::Subtasks),
    ("archive", TaskExtra::Archive),
];

const TASK_EXTRAS: &[(&str, TaskExtra)] = &[
    ("text", TaskExtra::Text),
    ("html", TaskExtra::Html),
    ("files", TaskExtra::Files),
    ("comments", TaskExtra::Comments),
    ("relations", TaskExtra::Relations),
    ("subtasks", TaskExtra::Subtasks),
    ("subscribers", TaskExtra::Subscribers),
];

const SEARCH_EXTRAS: &[(&str, TaskExtra)] = &[
    ("text", TaskExtra::Text),
    ("html", TaskExtra::Html),
    ("files", TaskExtra::Files),
];

/// Tasks as a list answer: every field, or the analytics' summary of each.
fn task_list<'a>(
    ws: &Account,
    tasks: impl Iterator<Item = &'a Task>,
    detail: Detail,
) -> Result<List, ToolError> {
    match detail {
        Detail::Full => compact::list(tasks),
        Detail::Summary => {
            let today = ws.today();
            compact::list(tasks.map(|t| summary(t, today)))
        }
    }
}

/// Keeps the tasks the filter asks for. Worksection can only narrow to open
/// tasks, so `done` is applied here.
fn by_status(tasks: &[Task], filter: TaskStatusFilter) -> impl Iterator<Item = &Task> {
    tasks.iter().filter(move |t| match filter {
        TaskStatusFilter::All => true,
        TaskStatusFilter::Active => !t.is_done(),
        TaskStatusFilter::Done => t.is_done(),
    })
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GetAllTasksArgs {
    /// active (open), done or all.
    #[serde(default)]
    pub status_filter: TaskStatusFilter,
    /// Comma-separated: text, files, comments, relations, subtasks, archive (archived projects' tasks).
    pub extra: Option<String>,
    /// Default full.
    #[serde(default)]
    pub detail: Detail,
}

/// A task list's summary: which tasks it holds.
#[derive(Debug, Serialize, JsonSchema)]
pub struct TasksOf {
    status_filter: TaskStatusFilter,
}

impl Summary for TasksOf {}

async fn get_all_tasks(ws: Arc<Account>, a: GetAllTasksArgs) -> Result<Listed<TasksOf>, ToolError> {
    let extra = args::extras("extra", &a.extra, LIST_EXTRAS)?;
    let mut p = GetAllTasks::new().extra(extra);
    if a.status_filter == TaskStatusFilter::Active {
        p = p.active_only();
    }
    let tasks = ws.all_tasks(p).await?;
    Listed::new(
        task_list(&ws, by_status(&tasks, a.status_filter), a.detail)?,
        TasksOf {
            status_filter: a.status_filter,
        },
    )
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GetTasksArgs {
    /// Project id.
    pub project_id: IdArg,
    /// active (open), done or all.
    #[serde(default)]
    pub status_filter: TaskStatusFilter,
    /// Comma-separated: text, files, comments, relations, subtasks.
    pub extra: Option<String>,
    /// Default full.
    #[serde(default)]
    pub detail: Detail,
}

async fn get_tasks(ws: Arc<Account>, a: GetTasksArgs) -> Result<Listed<TasksOf>, ToolError> {
    let project = args::id("project_id", &a.project_id)?;
    let extra = args::extras("extra", &a.extra, LIST_EXTRAS)?;
    let active_only = a.status_filter == TaskStatusFilter::Active;
    let tasks = ws.tasks(project, &extra, active_only).await?;
    Listed::new(
        task_list(&ws, by_status(&tasks, a.status_filter), a.detail)?,
        TasksOf {
            status_filter: a.status_filter,
        },
    )
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GetTaskArgs {
    /// Task id.
    pub task_id: IdArg,
    /// Comma-separated: text, html, files, comments, relations, subtasks, subscribers.
    pub extra: Option<String>,
}

async fn get_task(ws: Arc<Account>, a: GetTaskArgs) -> Result<Object<RecordAnswer>, ToolError> {
    let id = args::id("task_id", &a.task_id)?;
    let extra = args::extras("extra", &a.extra, TASK_EXTRAS)?;
    let task = ws.task(GetTask::new(id).extra(extra)).await?;
    let files: Vec<Attachment> = task
        .files
        .iter()
        .flatten()
        .map(|f| Attachment::new(f, "task", None))
        .collect();
    Ok(Object::new(RecordAnswer::new(&*task)?)?.with_blocks(links(&files)))
}

fn default_max_results() -> i64 {
    100
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SearchTasksArgs {
    /// Words that must all be in the task's name.
    pub query: Option<String>,
    /// Raw Worksection filter, e.g. `dateend < '01.12.2026' and project = 123`.
    pub filter_query: Option<String>,
    /// Only tasks of this project.
    pub project_id: Option<IdArg>,
    /// Only this task's subtasks (and the task).
    pub task_id: Option<IdArg>,
    /// Only tasks assigned to this person.
    pub assignee_email: Option<String>,
    /// Only tasks created by this person.
    pub author_email: Option<String>,
    /// active (open) or done.
    pub status: Option<TaskStatus>,
    /// Comma-separated: text, html, files.
    pub extra: Option<String>,
    /// Default full.
    #[serde(default)]
    pub detail: Detail,
    /// Most tasks.
    #[serde(default = "default_max_results")]
    #[schemars(range(min = 1, max = 10000))]
    pub max_results: i64,
}

/// `search_tasks`' summary: the Worksection filter it ran, if any.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Searched {
    #[serde(skip_serializing_if = "Option::is_none")]
    filter: Option<String>,
}

impl Summary for Searched {}

async fn search_tasks(ws: Arc<Account>, a: SearchTasksArgs) -> Result<Listed<Searched>, ToolError> {
    let max = args::max_results(Some(a.max_results), 100, 10_000)?;
    let extra = args::extras("extra", &a.extra, SEARCH_EXTRAS)?;
    let mut p = SearchTasks::new().extra(extra);
    let mut criteria = 0;
    if let Some(project) = args::opt_id("project_id", &a.project_id)? {
        p = p.project(project);
        criteria += 1;
    }
    if let Some(task) = args::opt_id("task_id", &a.task_id)? {
        p = p.task(task);
        criteria += 1;
    }
    if let Some(email) = a.assignee_email.as_deref().filter(|s| !s.trim().is_empty()) {
        p = p.assignee_email(args::email("assignee_email", email)?);
        criteria += 1;
    }
    if let Some(email) = a.author_email.as_deref().filter(|s| !s.trim().is_empty()) {
        p = p.author_email(args::email("author_email", email)?);
        criteria += 1;
    }
    let words: Option<Filter> = match a.query.as_deref().filter(|s| !s.trim().is_empty()) {
        None => None,
        Some(q) => {
            let q = args::text("query", q, 500)?;
            q.split_whitespace()
                .map(Filter::name_has)
                .reduce(Filter::and)
        }
    };
    let raw = match a.filter_query.as_deref().filter(|s| !s.trim().is_empty()) {
        None => None,
        Some(f) => Some(args::text("filter_query", f, 2_000)?),
    };
    let filter = match (raw, words) {
        (Some(raw), Some(words)) => Some(format!("({raw}) and {words}")),
        (Some(raw), None) => Some(raw),
        (None, Some(words)) => Some(words.to_string()),
        (None, None) => None,
    };
    if let Some(filter) = &filter {
        p = p.filter(filter);
        criteria += 1;
    }
    if criteria == 0 {
        return Err(ToolError::argument(
            "query",
            "search_tasks needs at least one of query, filter_query, project_id, task_id, assignee_email or author_email",
        ));
    }
    if let Some(status) = a.status {
        p = p.state(match status {
            TaskStatus::Active => TaskState::Active,
            TaskStatus::Done => TaskState::Done,
        });
    }
    let tasks = ws.search_tasks(p).await?;
    Listed::new(
        task_list(&ws, tasks.iter(), a.detail)?.max_results(max),
        Searched { filter },
    )
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TaskIdArgs {
    /// Task id.
    pub task_id: IdArg,
}

async fn get_task_subtasks(ws: Arc<Account>, a: TaskIdArgs) -> Result<Listed<OfTask>, ToolError> {
    let id = args::id("task_id", &a.task_id)?;
    let task = ws
        .task(GetTask::new(id).extra([TaskExtra::Subtasks]))
        .await?;
    let children = task.child.clone().unwrap_or_default();
    Listed::new(
        compact::list(children)?,
        OfTask {
            task: Ref::new(&task.id, &task.name),
        },
    )
}

/// `get_task_relations`' answer. Both lists are always there, empty when
/// the task has no such dependency.
#[derive(Debug, Serialize, JsonSchema)]
pub struct RelationsAnswer {
    task: Ref,
    relations: Dependencies,
    /// How many tasks this one waits for (`relations.from`).
    depends_on_count: usize,
    /// How many tasks wait for this one (`relations.to`).
    blocks_count: usize,
    #[serde(flatten)]
    tables: Tables,
}

/// A task's dependencies: `from` the tasks it waits for, `to` those that
/// wait for it, each with its kind (`type`) and task.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Dependencies {
    from: Vec<Record>,
    to: Vec<Record>,
}

async fn get_task_relations(
    ws: Arc<Account>,
    a: TaskIdArgs,
) -> Result<Object<RelationsAnswer>, ToolError> {
    let id = args::id("task_id", &a.task_id)?;
    let task = ws
        .task(GetTask::new(id).extra([TaskExtra::Relations]))
        .await?;
    let relations = task.relations.clone().unwrap_or_default();
    let mut refs = Refs::new();
    let from = relations
        .from
        .iter()
        .flatten()
        .map(|r| refs.compact(r))
        .collect::<Result<Vec<_>, _>>()?;
    let to = relations
        .to
        .iter()
        .flatten()
        .map(|r| refs.compact(r))
        .collect::<Result<Vec<_>, _>>()?;
    Object::new(RelationsAnswer {
        task: Ref::new(&task.id, &task.name),
        depends_on_count: from.len(),
        blocks_count: to.len(),
        relations: Dependencies { from, to },
        tables: refs.tables(),
    })
}

async fn get_task_subscribers(
    ws: Arc<Account>,
    a: TaskIdArgs,
) -> Result<Listed<OfTask>, ToolError> {
    let id = args::id("task_id", &a.task_id)?;
    let task = ws
        .task(GetTask::new(id).extra([TaskExtra::Subscribers]))
        .await?;
    let subscribers = task.subscribers.clone().unwrap_or_default();
    Listed::new(
        compact::list(subscribers)?,
        OfTask {
            task: Ref::new(&task.id, &task.name),
        },
    )
}

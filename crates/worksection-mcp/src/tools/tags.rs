//! Tags: task and project tags (statuses and labels) and their groups, a
//! task with its tags named, and the tasks carrying a tag.

use std::sync::Arc;

use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::json;
use worksection::api::tags::{TagAccess, TagKind, TagQuery};
use worksection::api::tasks::{GetTask, TaskExtra};

use super::{Shape, ToolDef, def};
use crate::account::Account;
use crate::args::{self, IdArg};
use crate::compact;
use crate::error::ToolError;
use crate::output::Answer;

pub fn tools() -> Vec<ToolDef> {
    vec![
        def(
            "get_task_tags",
            "Task tags",
            "Task tags (custom statuses and labels) with their group.",
            Shape::List,
            get_task_tags,
        ),
        def(
            "get_task_tag_groups",
            "Task tag groups",
            "The groups of task tags.",
            Shape::List,
            get_task_tag_groups,
        ),
        def(
            "get_project_tags",
            "Project tags",
            "Project tags with their group.",
            Shape::List,
            get_project_tags,
        ),
        def(
            "get_project_tag_groups",
            "Project tag groups",
            "The groups of project tags.",
            Shape::List,
            get_project_tag_groups,
        ),
        def(
            "get_task_with_tags",
            "Task with tags",
            "A task with its tags named (which stage is it in?).",
            Shape::Object(&["task", "tags"]),
            get_task_with_tags,
        ),
        def(
            "search_tasks_by_tag",
            "Tasks by tag",
            "A project's tasks (subtasks too) carrying a tag.",
            Shape::List,
            search_tasks_by_tag,
        ),
    ]
}

#[derive(Debug, Clone, Copy, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum TagType {
    Status,
    Label,
}

#[derive(Debug, Clone, Copy, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Access {
    Public,
    Private,
}

fn query(
    group: Option<&str>,
    kind: Option<TagType>,
    access: Option<Access>,
) -> Result<TagQuery, ToolError> {
    let mut q = TagQuery::new();
    if let Some(g) = group.filter(|g| !g.trim().is_empty()) {
        q = q.group(args::text("group", g, 200)?);
    }
    if let Some(k) = kind {
        q = q.kind(match k {
            TagType::Status => TagKind::Status,
            TagType::Label => TagKind::Label,
        });
    }
    if let Some(a) = access {
        q = q.access(match a {
            Access::Public => TagAccess::Public,
            Access::Private => TagAccess::Private,
        });
    }
    Ok(q)
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TagsArgs {
    /// A tag group's name or id.
    pub group: Option<String>,
    /// Tag kind.
    pub tag_type: Option<TagType>,
    /// Visibility.
    pub access: Option<Access>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TagGroupsArgs {
    /// Tag kind.
    pub tag_type: Option<TagType>,
    /// Visibility.
    pub access: Option<Access>,
}

async fn get_task_tags(ws: Arc<Account>, a: TagsArgs) -> Result<Answer, ToolError> {
    let q = query(a.group.as_deref(), a.tag_type, a.access)?;
    compact::list(ws.task_tags(q).await?.iter())?.finish()
}

async fn get_task_tag_groups(ws: Arc<Account>, a: TagGroupsArgs) -> Result<Answer, ToolError> {
    let q = query(None, a.tag_type, a.access)?;
    compact::list(ws.task_tag_groups(q).await?.iter())?.finish()
}

async fn get_project_tags(ws: Arc<Account>, a: TagsArgs) -> Result<Answer, ToolError> {
    let q = query(a.group.as_deref(), a.tag_type, a.access)?;
    compact::list(ws.project_tags(q).await?.iter())?.finish()
}

async fn get_project_tag_groups(ws: Arc<Account>, a: TagGroupsArgs) -> Result<Answer, ToolError> {
    let q = query(None, a.tag_type, a.access)?;
    compact::list(ws.project_tag_groups(q).await?.iter())?.finish()
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TaskIdArgs {
    /// Task id.
    pub task_id: IdArg,
}

async fn get_task_with_tags(ws: Arc<Account>, a: TaskIdArgs) -> Result<Answer, ToolError> {
    let id = args::id("task_id", &a.task_id)?;
    let task = ws.task(GetTask::new(id)).await?;
    let tags: Vec<_> = task
        .tags
        .iter()
        .flatten()
        .map(|(id, name)| json!({"id": id, "name": name}))
        .collect();
    compact::object(json!({"task": &*task, "tags": tags}))
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SearchByTagArgs {
    /// The tag's name (case-insensitive) or id.
    pub tag: String,
    /// Project id.
    pub project_id: IdArg,
}

async fn search_tasks_by_tag(ws: Arc<Account>, a: SearchByTagArgs) -> Result<Answer, ToolError> {
    let project = args::id("project_id", &a.project_id)?;
    let tag = args::text("tag", &a.tag, 200)?;
    let tasks = ws.tasks(project, &[TaskExtra::Subtasks], false).await?;
    let matching: Vec<_> = tasks
        .iter()
        .flat_map(|t| t.flatten())
        .filter(|t| {
            t.tags.iter().flatten().any(|(id, name)| {
                id == &tag
                    || name.trim().eq_ignore_ascii_case(&tag)
                    || name.trim().to_lowercase() == tag.to_lowercase()
            })
        })
        .map(|t| {
            let mut t = t.clone();
            t.child = None;
            t
        })
        .collect();
    compact::list(matching)?
        .field("tag", &tag)
        .field("project_id", project.to_string())
        .finish()
}

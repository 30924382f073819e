//! Tags: task and project tags (statuses and labels) and their groups, a
//! task with its tags named, and the tasks carrying a tag.

use std::sync::Arc;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use worksection::api::tags::{TagAccess, TagKind, TagQuery};
use worksection::api::tasks::{GetTask, TaskExtra};
use worksection::models::Task;

use super::answer::{Listed, Nothing, Object, Ref, Summary};
use super::{Scope, ToolDef, Upstream, def};
use crate::account::Account;
use crate::args::{self, IdArg};
use crate::compact::{self, Record, Refs, Tables};
use crate::error::ToolError;

pub fn tools() -> Vec<ToolDef> {
    vec![
        def(
            "get_task_tags",
            "Task tags",
            "Task tags (custom statuses and labels) with their group.",
            Upstream::new(
                2,
                &["get_task_tags", "get_task_tag_groups"],
                &[Scope::TagsRead],
            )
            .note("the groups only when a tag names its group alone"),
            get_task_tags,
        ),
        def(
            "get_task_tag_groups",
            "Task tag groups",
            "The groups of task tags.",
            Upstream::new(1, &["get_task_tag_groups"], &[Scope::TagsRead]),
            get_task_tag_groups,
        ),
        def(
            "get_project_tags",
            "Project tags",
            "Project tags with their group.",
            Upstream::new(
                2,
                &["get_project_tags", "get_project_tag_groups"],
                &[Scope::TagsRead],
            )
            .note("the groups only when a tag names its group alone"),
            get_project_tags,
        ),
        def(
            "get_project_tag_groups",
            "Project tag groups",
            "The groups of project tags.",
            Upstream::new(1, &["get_project_tag_groups"], &[Scope::TagsRead]),
            get_project_tag_groups,
        ),
        def(
            "get_task_with_tags",
            "Task with tags",
            "A task with its tags named (which stage is it in?).",
            Upstream::new(1, &["get_task"], &[Scope::TasksRead]),
            get_task_with_tags,
        ),
        def(
            "search_tasks_by_tag",
            "Tasks by tag",
            "A project's tasks (subtasks too) carrying a tag.",
            Upstream::new(1, &["get_tasks"], &[Scope::TasksRead]),
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

async fn get_task_tags(ws: Arc<Account>, a: TagsArgs) -> Result<Listed<Nothing>, ToolError> {
    let q = query(a.group.as_deref(), a.tag_type, a.access)?;
    Listed::new(compact::list(ws.task_tags(q).await?.iter())?, Nothing {})
}

async fn get_task_tag_groups(
    ws: Arc<Account>,
    a: TagGroupsArgs,
) -> Result<Listed<Nothing>, ToolError> {
    let q = query(None, a.tag_type, a.access)?;
    Listed::new(
        compact::list(ws.task_tag_groups(q).await?.iter())?,
        Nothing {},
    )
}

async fn get_project_tags(ws: Arc<Account>, a: TagsArgs) -> Result<Listed<Nothing>, ToolError> {
    let q = query(a.group.as_deref(), a.tag_type, a.access)?;
    Listed::new(compact::list(ws.project_tags(q).await?.iter())?, Nothing {})
}

async fn get_project_tag_groups(
    ws: Arc<Account>,
    a: TagGroupsArgs,
) -> Result<Listed<Nothing>, ToolError> {
    let q = query(None, a.tag_type, a.access)?;
    Listed::new(
        compact::list(ws.project_tag_groups(q).await?.iter())?,
        Nothing {},
    )
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TaskIdArgs {
    /// Task id.
    pub task_id: IdArg,
}

/// `get_task_with_tags`' answer: the task, and its tags (`[]` when it has
/// none).
#[derive(Debug, Serialize, JsonSchema)]
pub struct TaskWithTags {
    task: Record,
    tags: Vec<Ref>,
    #[serde(flatten)]
    tables: Tables,
}

async fn get_task_with_tags(
    ws: Arc<Account>,
    a: TaskIdArgs,
) -> Result<Object<TaskWithTags>, ToolError> {
    let id = args::id("task_id", &a.task_id)?;
    let task = ws.task(GetTask::new(id)).await?;
    Object::new(with_tags(&task)?)
}

/// The task, compact, and its tags named.
fn with_tags(task: &Task) -> Result<TaskWithTags, ToolError> {
    let tags = task
        .tags
        .iter()
        .flatten()
        .map(|(id, name)| Ref::new(id, name.as_str()))
        .collect();
    let mut refs = Refs::new();
    let task = refs.compact(task)?;
    Ok(TaskWithTags {
        task,
        tags,
        tables: refs.tables(),
    })
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SearchByTagArgs {
    /// The tag's name (case-insensitive) or id.
    pub tag: String,
    /// Project id.
    pub project_id: IdArg,
}

/// `search_tasks_by_tag`'s summary: the tag and project searched.
#[derive(Debug, Serialize, JsonSchema)]
pub struct ByTag {
    tag: String,
    project_id: String,
}

impl Summary for ByTag {}

async fn search_tasks_by_tag(
    ws: Arc<Account>,
    a: SearchByTagArgs,
) -> Result<Listed<ByTag>, ToolError> {
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
    Listed::new(
        compact::list(matching)?,
        ByTag {
            tag,
            project_id: project.to_string(),
        },
    )
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use serde_json::{Value, json};
    use worksection::models::Id;

    use super::*;
    use crate::tools::answer::Shaped;

    /// A task with no tags (Worksection leaves `tags` out, or sends PHP's
    /// `[]`) answers `tags: []`, where the answer used to leave `tags` out
    /// and the TypeScript SDK refused it; here from a record built by hand,
    /// in `tests/answer_schemas.rs` from the demo account's.
    #[test]
    fn a_task_with_no_tags_answers_an_empty_list() {
        let schema = Value::Object(Object::<TaskWithTags>::output_schema());
        let validator = jsonschema::draft202012::new(&schema).expect("schema");
        for tags in [None, Some(BTreeMap::new())] {
            let task = Task {
                id: Id::new("7"),
                name: "Landing".into(),
                tags,
                ..Task::default()
            };
            let answer = Object::new(with_tags(&task).expect("answer"))
                .expect("object")
                .into_answer()
                .into_body();
            let answer = Value::Object(answer);
            assert_eq!(answer["tags"], json!([]));
            assert_eq!(answer["task"], json!({"id": "7", "name": "Landing"}));
            let errors: Vec<String> = validator
                .iter_errors(&answer)
                .map(|e| e.to_string())
                .collect();
            assert!(errors.is_empty(), "{errors:?}");
        }
    }
}

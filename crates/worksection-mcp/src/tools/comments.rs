//! Comments: a task's comments, and the whole discussion with its files.

use std::collections::BTreeSet;
use std::sync::Arc;

use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::json;
use worksection::models::Comment;

use super::files::{discussion, links};
use super::{Shape, ToolDef, def};
use crate::account::Account;
use crate::args::{self, IdArg};
use crate::compact::{self, Refs};
use crate::error::ToolError;
use crate::output::Answer;

pub fn tools() -> Vec<ToolDef> {
    vec![
        def(
            "get_comments",
            "Task comments",
            "A task's comments, oldest first, with author and date.",
            Shape::List,
            get_comments,
        ),
        def(
            "get_task_discussion",
            "Task discussion",
            "A task with its description, every comment and attachment (resource_uri). Read \
             it before saying what happened in a task.",
            Shape::Object(&["task", "comments", "attachments", "images", "summary"]),
            get_task_discussion,
        ),
    ]
}

/// Worksection lists comments newest first; a discussion reads oldest
/// first, and `max_results` then keeps the start of the conversation.
fn oldest_first(comments: &[Comment]) -> Vec<&Comment> {
    let mut sorted: Vec<&Comment> = comments.iter().collect();
    sorted.sort_by(|a, b| {
        a.date_added
            .cmp(&b.date_added)
            .then_with(|| a.id.as_u64().cmp(&b.id.as_u64()))
    });
    sorted
}

fn default_max_results() -> i64 {
    100
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GetCommentsArgs {
    /// Task id.
    pub task_id: IdArg,
    /// Add each comment's files.
    #[serde(default)]
    pub include_files: bool,
    /// Most comments.
    #[serde(default = "default_max_results")]
    #[schemars(range(min = 1, max = 1000))]
    pub max_results: i64,
}

async fn get_comments(ws: Arc<Account>, a: GetCommentsArgs) -> Result<Answer, ToolError> {
    let id = args::id("task_id", &a.task_id)?;
    let max = args::max_results(Some(a.max_results), 100, 1_000)?;
    let comments = ws.comments(id, a.include_files).await?;
    compact::list(oldest_first(&comments))?
        .max_results(max)
        .finish()
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TaskIdArgs {
    /// Task id.
    pub task_id: IdArg,
}

async fn get_task_discussion(ws: Arc<Account>, a: TaskIdArgs) -> Result<Answer, ToolError> {
    let id = args::id("task_id", &a.task_id)?;
    task_context(&ws, id).await
}

/// The task, its comments, attachments, images and a summary: the answer
/// of get_task_discussion and of the `worksection://task/{id}/context`
/// resource.
pub async fn task_context(ws: &Account, id: u64) -> Result<Answer, ToolError> {
    let d = discussion(ws, id).await?;
    let participants: BTreeSet<&str> = d
        .task
        .user_from
        .iter()
        .chain(d.comments.iter().filter_map(|c| c.user_from.as_ref()))
        .map(|u| u.name.as_str())
        .filter(|n| !n.is_empty())
        .collect();
    let images: Vec<&str> = d
        .attachments
        .iter()
        .filter(|f| f.is_image)
        .map(|f| f.id.as_str())
        .collect();
    // The files are in `attachments`, each once: not again in the task and
    // its comments.
    let mut refs = Refs::new();
    let mut task = (*d.task).clone();
    task.files = None;
    let task = refs.record(&task)?;
    let comments = refs.records(oldest_first(&d.comments).into_iter().map(|c| {
        let mut c = c.clone();
        c.files = None;
        c
    }))?;
    let links = links(&d.attachments);
    compact::table(refs, comments)?
        .key("comments")
        .field("task", task)
        .field("attachments", &d.attachments)
        .field("images", &images)
        .field(
            "summary",
            json!({
                "comments": d.comments.len(),
                "attachments": d.attachments.len(),
                "images": images.len(),
                "participants": participants,
                "status": d.task.status,
                "has_description": d.task.text.as_deref().is_some_and(|t| !t.trim().is_empty()),
            }),
        )
        .finish()
        .map(|a| a.with_blocks(links))
}

//! Comments: a task's comments, and the whole discussion with its files.

use std::collections::BTreeSet;
use std::sync::Arc;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use worksection::models::Comment;

use super::answer::{Listed, Nothing, Shaped, Summary};
use super::files::{Attachment, discussion, links};
use super::{Scope, ToolDef, Upstream, def};
use crate::account::Account;
use crate::args::{self, IdArg};
use crate::compact::{self, Record, Refs};
use crate::error::ToolError;
use crate::output::Answer;

pub fn tools() -> Vec<ToolDef> {
    vec![
        def(
            "get_comments",
            "Task comments",
            "A task's comments, oldest first, with author and date.",
            Upstream::new(1, &["get_comments"], &[Scope::CommentsRead]),
            get_comments,
        ),
        def(
            "get_task_discussion",
            "Task discussion",
            "A task with its description, every comment and attachment (resource_uri). Read \
             it before saying what happened in a task.",
            Upstream::new(
                2,
                &["get_task", "get_comments"],
                &[Scope::TasksRead, Scope::CommentsRead],
            ),
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

async fn get_comments(ws: Arc<Account>, a: GetCommentsArgs) -> Result<Listed<Nothing>, ToolError> {
    let id = args::id("task_id", &a.task_id)?;
    let max = args::max_results(Some(a.max_results), 100, 1_000)?;
    let comments = ws.comments(id, a.include_files).await?;
    Listed::new(
        compact::list(oldest_first(&comments))?.max_results(max),
        Nothing {},
    )
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TaskIdArgs {
    /// Task id.
    pub task_id: IdArg,
}

async fn get_task_discussion(
    ws: Arc<Account>,
    a: TaskIdArgs,
) -> Result<Listed<Discussion>, ToolError> {
    let id = args::id("task_id", &a.task_id)?;
    discussion_of(&ws, id).await
}

/// What a discussion says before its comments.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Discussion {
    /// The task, with its description (its files are in `attachments`).
    task: Record,
    /// Every file of the task and of its comments, each once.
    attachments: Vec<Attachment>,
    /// The ids of the attachments that are images.
    images: Vec<String>,
    summary: DiscussionSummary,
}

impl Summary for Discussion {
    const KEY: &'static str = "comments";
}

/// A discussion in figures.
#[derive(Debug, Serialize, JsonSchema)]
pub struct DiscussionSummary {
    comments: usize,
    attachments: usize,
    images: usize,
    /// The names of the task's author and of everyone who commented.
    participants: Vec<String>,
    status: String,
    has_description: bool,
}

/// The task, its comments, attachments, images and a summary: the answer
/// of the `worksection://task/{id}/context` resource (as get_task_discussion
/// answers it).
pub async fn task_context(ws: &Account, id: u64) -> Result<Answer, ToolError> {
    discussion_of(ws, id).await.map(Shaped::into_answer)
}

async fn discussion_of(ws: &Account, id: u64) -> Result<Listed<Discussion>, ToolError> {
    let d = discussion(ws, id).await?;
    let participants: BTreeSet<String> = d
        .task
        .user_from
        .iter()
        .chain(d.comments.iter().filter_map(|c| c.user_from.as_ref()))
        .map(|u| u.name.clone())
        .filter(|n| !n.is_empty())
        .collect();
    let images: Vec<String> = d
        .attachments
        .iter()
        .filter(|f| f.is_image)
        .map(|f| f.id.clone())
        .collect();
    // The files are in `attachments`, each once: not again in the task and
    // its comments.
    let mut refs = Refs::new();
    let mut task = (*d.task).clone();
    task.files = None;
    let task = refs.compact(&task)?;
    let comments = refs.records(oldest_first(&d.comments).into_iter().map(|c| {
        let mut c = c.clone();
        c.files = None;
        c
    }))?;
    let links = links(&d.attachments);
    let summary = DiscussionSummary {
        comments: d.comments.len(),
        attachments: d.attachments.len(),
        images: images.len(),
        participants: participants.into_iter().collect(),
        status: d.task.status.clone(),
        has_description: d.task.text.as_deref().is_some_and(|t| !t.trim().is_empty()),
    };
    Ok(Listed::new(
        compact::table(refs, comments)?,
        Discussion {
            task,
            attachments: d.attachments,
            images,
            summary,
        },
    )?
    .with_blocks(links))
}

//! Files: listing attachments, and reading them (bytes, images a vision
//! model can see, and extracted text).
//!
//! Every listed file carries a `resource_uri` (`worksection://file/{id}`)
//! that the assistant can read as an MCP resource. Downloads go through the
//! file cache, so a file read twice costs one upstream request. MIME types
//! of downloaded files are sniffed from their bytes; names are the
//! uploader's and are only ever shown, never used as paths.

use std::sync::Arc;

use base64::Engine;
use chrono::{DateTime, Utc};
use rmcp::model::{ContentBlock, Resource};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use worksection::api::files::GetFiles;
use worksection::api::tasks::{GetTask, TaskExtra};
use worksection::models::{Comment, FileRef, Task};

use super::answer::{Listed, Nothing, Object, OfTask, Ref};
use super::{Scope, ToolDef, Upstream, def};
use crate::account::Account;
use crate::args::{self, IdArg};
use crate::compact;
use crate::error::ToolError;
use worksection_content as content;

/// Text longer than this is cut (and the answer says so); it keeps a
/// document answer well inside MCP's 1 MB even when every character is
/// escaped twice.
pub const MAX_TEXT_CHARS: usize = 100_000;

/// The largest file returned inline as base64: base64 grows by a third and
/// the text copy doubles it, so this keeps the answer under 1 MB.
pub const MAX_INLINE_BYTES: u64 = 560 * 1024;

/// Image bytes are sent once (an image block, not JSON), so they may be
/// larger than other inline files.
pub const MAX_IMAGE_BYTES: u64 = 700 * 1024;

pub fn tools() -> Vec<ToolDef> {
    vec![
        def(
            "get_task_files",
            "Task files",
            "Files of a task's description (get_all_task_attachments adds comments').",
            Upstream::new(1, &["get_task"], &[Scope::TasksRead]).note("`extra=files`"),
            get_task_files,
        ),
        def(
            "get_all_task_attachments",
            "Task attachments",
            "Files of a task and its comments, each with its source and resource_uri.",
            Upstream::new(
                2,
                &["get_task", "get_comments"],
                &[Scope::TasksRead, Scope::CommentsRead],
            ),
            get_all_task_attachments,
        ),
        def(
            "get_project_files",
            "Files",
            "Files of a project or of a task.",
            Upstream::new(1, &["get_files"], &[Scope::FilesRead]),
            get_project_files,
        ),
        def(
            "download_file",
            "Download a file",
            "Fetches a file into the local cache: name, size, real type, resource_uri.",
            Upstream::new(1, &["download"], &[Scope::FilesRead]).note("kept in the file cache"),
            download_file,
        ),
        def(
            "get_file_as_base64",
            "File bytes",
            "A file's bytes: an image as an image, others as base64.",
            Upstream::new(1, &["download"], &[Scope::FilesRead]).note("kept in the file cache"),
            get_file_as_base64,
        ),
        def(
            "get_file_content",
            "File text",
            "A file's text (txt, CSV, JSON, HTML, PDF, DOCX, XLSX, PPTX; up to 100,000 \
             characters); an image as an image.",
            Upstream::new(1, &["download"], &[Scope::FilesRead]).note("kept in the file cache"),
            get_file_content,
        ),
        def(
            "list_image_attachments",
            "Image attachments",
            "Images of a task (comments included) or a project, with resource_uri.",
            Upstream::new(
                2,
                &["get_task", "get_comments", "get_files"],
                &[Scope::TasksRead, Scope::CommentsRead, Scope::FilesRead],
            )
            .note("a task's: `get_task` + `get_comments`; a project's: `get_files`"),
            list_image_attachments,
        ),
    ]
}

/// The MCP resource that serves a file.
pub fn file_uri(id: impl std::fmt::Display) -> String {
    format!("worksection://file/{id}")
}

/// Whether a file name looks like an image a vision model can read.
pub fn is_image_name(name: &str) -> bool {
    let ext = name.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase());
    matches!(
        ext.as_deref(),
        Some("png" | "jpg" | "jpeg" | "gif" | "webp" | "bmp")
    )
}

/// A file as the listing tools show it.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Attachment {
    pub id: String,
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub size: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub date_added: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub author: Option<String>,
    /// `task`, `comment` or `project`.
    pub source: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub comment_id: Option<String>,
    pub is_image: bool,
    pub resource_uri: String,
}

impl Attachment {
    pub fn new(f: &FileRef, source: &'static str, comment_id: Option<String>) -> Self {
        Self {
            id: f.id.to_string(),
            name: f.name.clone(),
            size: f.size,
            date_added: f.date_added.clone(),
            author: f.user_from.as_ref().map(|u| u.name.clone()),
            source,
            comment_id,
            is_image: is_image_name(&f.name),
            resource_uri: file_uri(&f.id),
        }
    }
}

/// A `resource_link` block to each file, for clients that fetch or show
/// them (the JSON names the same files by `resource_uri`).
pub fn links<'a>(files: impl IntoIterator<Item = &'a Attachment>) -> Vec<ContentBlock> {
    files
        .into_iter()
        .map(|f| {
            let mut r = Resource::new(f.resource_uri.clone(), f.name.clone());
            r.size = f.size;
            ContentBlock::resource_link(r)
        })
        .collect()
}

/// A task with all its comments and every attachment of both.
pub struct Discussion {
    pub task: Arc<Task>,
    pub comments: Arc<Vec<Comment>>,
    pub attachments: Vec<Attachment>,
}

/// Two upstream requests (task with text and files, comments with files),
/// fetched together.
pub async fn discussion(ws: &Account, task: u64) -> Result<Discussion, ToolError> {
    let (t, c) = tokio::join!(
        ws.task(GetTask::new(task).extra([TaskExtra::Text, TaskExtra::Files])),
        ws.comments(task, true)
    );
    let (task, comments) = (t?, c?);
    let mut attachments: Vec<Attachment> = task
        .files
        .iter()
        .flatten()
        .map(|f| Attachment::new(f, "task", None))
        .collect();
    for c in comments.iter() {
        attachments.extend(
            c.files
                .iter()
                .flatten()
                .map(|f| Attachment::new(f, "comment", Some(c.id.to_string()))),
        );
    }
    Ok(Discussion {
        task,
        comments,
        attachments,
    })
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TaskIdArgs {
    /// Task id.
    pub task_id: IdArg,
}

async fn get_task_files(ws: Arc<Account>, a: TaskIdArgs) -> Result<Listed<OfTask>, ToolError> {
    let id = args::id("task_id", &a.task_id)?;
    let task = ws.task(GetTask::new(id).extra([TaskExtra::Files])).await?;
    let files = task
        .files
        .iter()
        .flatten()
        .map(|f| Attachment::new(f, "task", None))
        .collect::<Vec<_>>();
    Ok(Listed::new(
        compact::list(&files)?,
        OfTask {
            task: Ref::new(&task.id, &task.name),
        },
    )?
    .with_blocks(links(&files)))
}

async fn get_all_task_attachments(
    ws: Arc<Account>,
    a: TaskIdArgs,
) -> Result<Listed<OfTask>, ToolError> {
    let id = args::id("task_id", &a.task_id)?;
    let d = discussion(&ws, id).await?;
    Ok(Listed::new(
        compact::list(&d.attachments)?,
        OfTask {
            task: Ref::new(&d.task.id, &d.task.name),
        },
    )?
    .with_blocks(links(&d.attachments)))
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ProjectOrTaskArgs {
    /// Project id (or task_id).
    pub project_id: Option<IdArg>,
    /// Task id (or project_id).
    pub task_id: Option<IdArg>,
}

fn one_of(a: &ProjectOrTaskArgs) -> Result<GetFiles, ToolError> {
    match (
        args::opt_id("project_id", &a.project_id)?,
        args::opt_id("task_id", &a.task_id)?,
    ) {
        (Some(p), None) => Ok(GetFiles::Project(p)),
        (None, Some(t)) => Ok(GetFiles::Task(t)),
        (Some(_), Some(_)) => Err(ToolError::argument(
            "project_id",
            "give either project_id or task_id, not both",
        )),
        (None, None) => Err(ToolError::argument(
            "project_id",
            "give project_id or task_id",
        )),
    }
}

fn listed(files: &[FileRef], of: GetFiles) -> Vec<Attachment> {
    let source = match of {
        GetFiles::Project(_) => "project",
        GetFiles::Task(_) => "task",
    };
    files
        .iter()
        .map(|f| Attachment::new(f, source, None))
        .collect()
}

async fn get_project_files(
    ws: Arc<Account>,
    a: ProjectOrTaskArgs,
) -> Result<Listed<Nothing>, ToolError> {
    let of = one_of(&a)?;
    let files = listed(&ws.files_of(of).await?, of);
    Ok(Listed::new(compact::list(&files)?, Nothing {})?.with_blocks(links(&files)))
}

async fn list_image_attachments(
    ws: Arc<Account>,
    a: ProjectOrTaskArgs,
) -> Result<Listed<Nothing>, ToolError> {
    let images: Vec<Attachment> = match one_of(&a)? {
        GetFiles::Task(task) => discussion(&ws, task).await?.attachments,
        of @ GetFiles::Project(_) => listed(&ws.files_of(of).await?, of),
    }
    .into_iter()
    .filter(|f| f.is_image)
    .collect();
    Ok(Listed::new(compact::list(&images)?, Nothing {})?.with_blocks(links(&images)))
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FileIdArgs {
    /// File id.
    pub file_id: IdArg,
}

/// A file in the local cache, as `download_file` answers it.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Downloaded {
    id: String,
    name: String,
    size: u64,
    /// Sniffed from the bytes.
    mime_type: String,
    is_image: bool,
    resource_uri: String,
    #[schemars(with = "String")]
    cached_at: DateTime<Utc>,
}

async fn download_file(ws: Arc<Account>, a: FileIdArgs) -> Result<Object<Downloaded>, ToolError> {
    let id = args::id("file_id", &a.file_id)?;
    let (meta, _) = ws.file(id, None).await?;
    Object::new(Downloaded {
        id: id.to_string(),
        is_image: content::is_image(&meta.mime),
        name: meta.name,
        size: meta.size,
        mime_type: meta.mime,
        resource_uri: file_uri(id),
        cached_at: meta.fetched_at,
    })
}

/// A file's bytes: an image follows as an image block, any other file is
/// in `base64`.
#[derive(Debug, Serialize, JsonSchema)]
pub struct FileBytes {
    id: String,
    name: String,
    size: u64,
    mime_type: String,
    resource_uri: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    base64: Option<String>,
}

async fn get_file_as_base64(
    ws: Arc<Account>,
    a: FileIdArgs,
) -> Result<Object<FileBytes>, ToolError> {
    let id = args::id("file_id", &a.file_id)?;
    let (meta, bytes) = ws.file(id, None).await?;
    let b64 = || base64::engine::general_purpose::STANDARD.encode(&bytes);
    let image = content::is_image(&meta.mime);
    let limit = if image {
        MAX_IMAGE_BYTES
    } else {
        MAX_INLINE_BYTES
    };
    if meta.size > limit {
        return Err(too_large(&meta.name, meta.size, limit));
    }
    let facts = FileBytes {
        id: id.to_string(),
        name: meta.name,
        size: meta.size,
        mime_type: meta.mime.clone(),
        resource_uri: file_uri(id),
        base64: (!image).then(b64),
    };
    let answer = Object::new(facts)?;
    Ok(if image {
        answer.with_image(b64(), &meta.mime)
    } else {
        answer
    })
}

fn too_large(name: &str, size: u64, limit: u64) -> ToolError {
    ToolError::File(format!(
        "{} is {} KB, more than the {} KB that fit in one answer; use get_file_content to read its text, or read its resource_uri.",
        args::shorten(name),
        size / 1024,
        limit / 1024
    ))
}

/// A file's text (`format`: `text`, `pdf`, `docx`, `xlsx`, `pptx`), or, for
/// an image (`format: image`), its facts with the image as an image block.
#[derive(Debug, Serialize, JsonSchema)]
pub struct FileText {
    id: String,
    name: String,
    mime_type: String,
    size: u64,
    format: &'static str,
    /// Pages, sheets or slides, for the formats that have them.
    #[serde(skip_serializing_if = "Option::is_none")]
    parts: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    text: Option<String>,
    /// Whether `text` stops before the file's text does.
    #[serde(skip_serializing_if = "Option::is_none")]
    truncated: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    total_chars: Option<usize>,
    note: String,
}

async fn get_file_content(ws: Arc<Account>, a: FileIdArgs) -> Result<Object<FileText>, ToolError> {
    let id = args::id("file_id", &a.file_id)?;
    let (meta, bytes) = ws.file(id, None).await?;
    if content::is_image(&meta.mime) {
        if meta.size > MAX_IMAGE_BYTES {
            return Err(too_large(&meta.name, meta.size, MAX_IMAGE_BYTES));
        }
        let data = base64::engine::general_purpose::STANDARD.encode(&bytes);
        return Ok(Object::new(FileText {
            id: id.to_string(),
            name: meta.name,
            mime_type: meta.mime.clone(),
            size: meta.size,
            format: "image",
            parts: None,
            text: None,
            truncated: None,
            total_chars: None,
            note: "The image follows as an image block.".to_owned(),
        })?
        .with_image(data, &meta.mime));
    }
    // Parsing a document is CPU work; keep it off the async workers so
    // other calls keep flowing meanwhile.
    let mime = meta.mime.clone();
    let extracted =
        tokio::task::spawn_blocking(move || content::extract_text(&bytes, &mime, MAX_TEXT_CHARS))
            .await
            .map_err(|_| {
                ToolError::File(format!(
                    "Reading {} failed unexpectedly.",
                    args::shorten(&meta.name)
                ))
            })?
            .map_err(|e| {
                ToolError::File(format!("Could not read {}: {e}", args::shorten(&meta.name)))
            })?;
    let note = if extracted.truncated {
        format!(
            "The text was cut at {MAX_TEXT_CHARS} characters of about {}.",
            extracted.total_chars
        )
    } else {
        "The whole text.".to_owned()
    };
    Object::new(FileText {
        id: id.to_string(),
        name: meta.name,
        mime_type: meta.mime,
        size: meta.size,
        format: extracted.format,
        parts: extracted.parts,
        text: Some(extracted.text),
        truncated: Some(extracted.truncated),
        total_chars: Some(extracted.total_chars),
        note,
    })
}

//! The resources: files (so a vision model sees screenshots as images), a
//! task's whole context, the file cache's statistics, and offloaded answers.
//!
//! `worksection://file/{file_id}` answers a blob with the file's real MIME
//! type (sniffed from its bytes) or text for text types;
//! `worksection://task/{task_id}/context` answers the same JSON as the
//! `get_task_discussion` tool; `worksection://cache/stats` the cache's
//! figures; `worksection://offload/{response_id}` an answer that was too
//! large for the budget, as the JSON it was. The images already in the file cache (the ones recently looked
//! at) are listed as concrete resources, so a client can offer them.

use base64::Engine;
use rmcp::ErrorData as McpError;
use rmcp::model::{Resource, ResourceContents, ResourceTemplate};
use serde_json::json;

use crate::account::Account;
use crate::args::{self, IdArg};
use crate::error::ToolError;
use crate::offload::{OFFLOAD_URI_PREFIX, OffloadStore};
use crate::output::MCP_MESSAGE_LIMIT;
use crate::tools::file_uri;
use worksection_content as content;

pub const CACHE_STATS_URI: &str = "worksection://cache/stats";

/// The largest file served as a resource: its base64 must fit in one MCP
/// message.
const MAX_RESOURCE_BYTES: u64 = (MCP_MESSAGE_LIMIT as u64 - 64 * 1024) / 4 * 3;

pub fn templates() -> Vec<ResourceTemplate> {
    vec![
        ResourceTemplate::new("worksection://file/{file_id}", "file")
            .with_title("A Worksection file")
            .with_description(
                "An attached file by id: images (screenshots) as images, documents as their bytes \
                 with their real MIME type, text files as text.",
            ),
        ResourceTemplate::new("worksection://task/{task_id}/context", "task-context")
            .with_title("A task with its discussion")
            .with_description(
                "JSON: the task, all its comments, every attachment with its resource URI, the \
                 images among them, and summary counts.",
            )
            .with_mime_type("application/json"),
        ResourceTemplate::new("worksection://offload/{response_id}", "offload")
            .with_title("An offloaded answer")
            .with_description(
                "JSON: a tool answer that was larger than the budget, whole (its `offload_id`).",
            )
            .with_mime_type("application/json"),
    ]
}

pub async fn list(ws: &Account) -> Vec<Resource> {
    let mut out = vec![
        Resource::new(CACHE_STATS_URI, "cache-stats")
            .with_title("File cache statistics")
            .with_description("Files, bytes, hit rate, oldest entry, retention and size limit of the local file cache.")
            .with_mime_type("application/json"),
    ];
    for f in ws.files().cached_images().await {
        out.push(
            Resource::new(file_uri(f.id), f.name.clone())
                .with_description("An image attachment viewed recently")
                .with_mime_type(f.mime.clone())
                .with_size(f.size),
        );
    }
    out
}

pub async fn read(
    ws: &Account,
    offloads: &OffloadStore,
    uri: &str,
) -> Result<Vec<ResourceContents>, McpError> {
    if let Some(id) = uri.strip_prefix(OFFLOAD_URI_PREFIX) {
        let bytes = offloads.bytes(id).await.map_err(|e| match e {
            ToolError::NotFound(m) => McpError::resource_not_found(m, None),
            other => invalid(other),
        })?;
        if bytes.len() as u64 > MAX_RESOURCE_BYTES {
            return Err(McpError::invalid_params(
                "This offloaded answer is too large for one MCP message; read it with the read_offloaded_response_text tool.",
                None,
            ));
        }
        let text = String::from_utf8_lossy(&bytes).into_owned();
        return Ok(vec![
            ResourceContents::text(text, uri).with_mime_type("application/json"),
        ]);
    }
    if uri == CACHE_STATS_URI {
        let stats = ws.files().stats().await;
        return Ok(vec![
            ResourceContents::text(json!(stats).to_string(), uri)
                .with_mime_type("application/json"),
        ]);
    }
    if let Some(id) = uri.strip_prefix("worksection://file/") {
        let id = args::id("file_id", &IdArg(id.to_owned())).map_err(invalid)?;
        let (meta, bytes) = ws.file(id, None).await.map_err(failed)?;
        if content::is_text(&meta.mime) {
            let text = String::from_utf8_lossy(&bytes).into_owned();
            if text.len() as u64 > MAX_RESOURCE_BYTES {
                return Err(too_large(&meta.name));
            }
            return Ok(vec![
                ResourceContents::text(text, uri).with_mime_type(meta.mime),
            ]);
        }
        if meta.size > MAX_RESOURCE_BYTES {
            return Err(too_large(&meta.name));
        }
        let blob = base64::engine::general_purpose::STANDARD.encode(&bytes);
        return Ok(vec![
            ResourceContents::blob(blob, uri).with_mime_type(meta.mime),
        ]);
    }
    if let Some(id) = uri
        .strip_prefix("worksection://task/")
        .and_then(|rest| rest.strip_suffix("/context"))
    {
        let id = args::id("task_id", &IdArg(id.to_owned())).map_err(invalid)?;
        let answer = crate::tools::task_context(ws, id).await.map_err(failed)?;
        let body = serde_json::Value::Object(answer.into_body()).to_string();
        return Ok(vec![
            ResourceContents::text(body, uri).with_mime_type("application/json"),
        ]);
    }
    Err(McpError::resource_not_found(
        format!(
            "No resource {}; this server serves worksection://file/{{file_id}}, worksection://task/{{task_id}}/context, worksection://offload/{{response_id}} and {CACHE_STATS_URI}.",
            args::shorten(uri)
        ),
        // The URI asked for, as the spec suggests (a long one shortened).
        Some(
            serde_json::json!({"uri": if uri.len() <= 1000 { uri.to_owned() } else { args::shorten(uri) }}),
        ),
    ))
}

fn invalid(e: ToolError) -> McpError {
    McpError::invalid_params(e.to_string(), None)
}

fn failed(e: ToolError) -> McpError {
    match &e {
        ToolError::Upstream(inner) if matches!(**inner, worksection::Error::NotFound { .. }) => {
            McpError::resource_not_found(e.to_string(), None)
        }
        _ => McpError::internal_error(e.to_string(), None),
    }
}

fn too_large(name: &str) -> McpError {
    McpError::invalid_params(
        format!(
            "{} is too large to send as one MCP message; use the get_file_content tool to read its text.",
            args::shorten(name)
        ),
        None,
    )
}

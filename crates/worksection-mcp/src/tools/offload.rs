//! Reading offloaded answers back: the reference Python server's
//! `get_offloaded_response_info` and `read_offloaded_response_text`, same
//! names and parameters. They read the local store only, never Worksection.

use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::answer::Object;
use super::{Ctx, ToolDef, Upstream, def_ctx};
use crate::error::ToolError;
use crate::offload::{Chunk, Offloaded};

pub fn tools() -> Vec<ToolDef> {
    vec![
        def_ctx(
            "get_offloaded_response_info",
            "Offloaded answer facts",
            "Size, SHA-256, type, created and expiry time of an offloaded answer.",
            Upstream::LOCAL,
            false,
            info,
        ),
        def_ctx(
            "read_offloaded_response_text",
            "Read an offloaded answer",
            "A chunk of an offloaded answer's JSON from offset; repeat with next_offset until \
             has_more is false.",
            Upstream::LOCAL,
            false,
            read,
        ),
    ]
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct InfoArgs {
    /// The answer's offload_id.
    response_id: String,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct ReadArgs {
    /// The answer's offload_id.
    response_id: String,
    /// 0, or the last next_offset.
    #[serde(default)]
    #[schemars(range(min = 0))]
    offset: i64,
    /// Most bytes (default: what fits).
    #[schemars(range(min = 4, max = 1048576))]
    max_bytes: Option<i64>,
}

/// The facts of an offloaded answer.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Info {
    response_id: String,
    size_bytes: u64,
    sha256: String,
    mime_type: &'static str,
    #[schemars(with = "String")]
    created_at: DateTime<Utc>,
    #[schemars(with = "String")]
    expires_at: DateTime<Utc>,
    resource_uri: String,
}

impl From<Offloaded> for Info {
    fn from(o: Offloaded) -> Self {
        Self {
            response_id: o.response_id,
            size_bytes: o.size_bytes,
            sha256: o.sha256,
            mime_type: o.mime_type,
            created_at: o.created_at,
            expires_at: o.expires_at,
            resource_uri: o.resource_uri,
        }
    }
}

/// One chunk of an offloaded answer's JSON text.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Text {
    response_id: String,
    content: String,
    offset: u64,
    returned_bytes: u64,
    has_more: bool,
    total_size_bytes: u64,
    /// Where the next chunk starts (`null` at the end).
    next_offset: Option<u64>,
}

impl From<Chunk> for Text {
    fn from(c: Chunk) -> Self {
        Self {
            response_id: c.response_id,
            content: c.content,
            offset: c.offset,
            returned_bytes: c.returned_bytes,
            has_more: c.has_more,
            total_size_bytes: c.total_size_bytes,
            next_offset: c.next_offset,
        }
    }
}

async fn info(ctx: Ctx, a: InfoArgs) -> Result<Object<Info>, ToolError> {
    let facts = ctx.answers.offload().info(a.response_id.trim()).await?;
    Object::new(Info::from(facts))
}

async fn read(ctx: Ctx, a: ReadArgs) -> Result<Object<Text>, ToolError> {
    let offset = u64::try_from(a.offset).map_err(|_| {
        ToolError::argument(
            "offset",
            "must be 0 or more (the previous chunk's next_offset)",
        )
    })?;
    let max_bytes = match a.max_bytes {
        None => None,
        Some(n @ 4..=1_048_576) => Some(usize::try_from(n).unwrap_or(usize::MAX)),
        Some(n) => {
            return Err(ToolError::argument(
                "max_bytes",
                format!(
                    "{n} is out of range; give 4 (a whole character) to 1048576 (chunks are cut to the answer budget anyway)"
                ),
            ));
        }
    };
    let chunk = ctx
        .answers
        .read_chunk(a.response_id.trim(), offset, max_bytes)
        .await?;
    Object::new(Text::from(chunk))
}

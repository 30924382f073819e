//! Reading offloaded answers back: the reference Python server's
//! `get_offloaded_response_info` and `read_offloaded_response_text`, same
//! names and parameters. They read the local store only, never Worksection.

use schemars::JsonSchema;
use serde::Deserialize;

use super::{Ctx, Shape, ToolDef, def_ctx};
use crate::error::ToolError;
use crate::output::Answer;

pub fn tools() -> Vec<ToolDef> {
    vec![
        def_ctx(
            "get_offloaded_response_info",
            "Offloaded answer facts",
            "Size, SHA-256, type, created and expiry time of an offloaded answer.",
            Shape::Object(&["response_id", "size_bytes", "sha256"]),
            false,
            info,
        ),
        def_ctx(
            "read_offloaded_response_text",
            "Read an offloaded answer",
            "A chunk of an offloaded answer's JSON from offset; repeat with next_offset until \
             has_more is false.",
            Shape::Object(&[
                "content",
                "offset",
                "returned_bytes",
                "has_more",
                "total_size_bytes",
            ]),
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

async fn info(ctx: Ctx, a: InfoArgs) -> Result<Answer, ToolError> {
    Answer::object(ctx.answers.offload().info(a.response_id.trim()).await?)
}

async fn read(ctx: Ctx, a: ReadArgs) -> Result<Answer, ToolError> {
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
    Answer::object(
        ctx.answers
            .read_chunk(a.response_id.trim(), offset, max_bytes)
            .await?,
    )
}

//! What a tool answers: [`Answer`], and the size cap on lists.
//!
//! A tool answer carries the same JSON twice, as MCP asks: once as
//! `structuredContent` for clients that read structured output, once as a
//! text block for those that do not. MCP clients refuse messages over 1 MB,
//! so lists are cut to fit *before* they are sent: every item is serialized
//! once, straight to JSON text, its size (and the size it takes again,
//! escaped, inside the text block) is summed, and a binary search over those
//! sums finds how many items fit under [`RESPONSE_BUDGET`]. Nothing is
//! re-serialized to probe, and only the items kept become JSON values again:
//! a list of 10,000 tasks cut to a few hundred never exists as 10,000 value
//! trees.
//! A cut list says so: `total_count`, `returned_count`, `truncated`,
//! `truncation_reason`.

use rmcp::model::{CallToolResult, ContentBlock};
use serde::Serialize;
use serde_json::{Map, Value, json};

use crate::error::ToolError;

/// MCP's limit on one message.
pub const MCP_MESSAGE_LIMIT: usize = 1024 * 1024;

/// What a tool answer may take, leaving room for the JSON-RPC envelope,
/// image blocks' headers and a safety margin.
pub const RESPONSE_BUDGET: usize = MCP_MESSAGE_LIMIT - 48 * 1024;

/// A successful tool answer: one JSON object, plus any image blocks.
#[derive(Debug)]
pub struct Answer {
    body: Map<String, Value>,
    images: Vec<ContentBlock>,
}

impl Answer {
    /// An answer from anything that serializes to a JSON object.
    pub fn object(value: impl Serialize) -> Result<Self, ToolError> {
        match serde_json::to_value(value) {
            Ok(Value::Object(body)) => Ok(Self {
                body,
                images: Vec::new(),
            }),
            Ok(other) => Ok(Self {
                body: Map::from_iter([("data".to_owned(), other)]),
                images: Vec::new(),
            }),
            Err(e) => Err(ToolError::File(format!("could not encode the answer: {e}"))),
        }
    }

    /// Adds an image block (base64 data and its MIME type) after the JSON.
    pub fn with_image(mut self, base64: String, mime: &str) -> Self {
        self.images.push(ContentBlock::image(base64, mime));
        self
    }

    pub fn body(&self) -> &Map<String, Value> {
        &self.body
    }

    pub fn into_body(self) -> Map<String, Value> {
        self.body
    }

    pub fn into_result(self) -> CallToolResult {
        let structured = Value::Object(self.body);
        let text = structured.to_string();
        let mut content = vec![ContentBlock::text(text)];
        content.extend(self.images);
        let mut result = CallToolResult::success(content);
        result.structured_content = Some(structured);
        result
    }
}

/// Why a list came back shorter than it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Truncation {
    None,
    MaxResults,
    SizeCap,
    Both,
}

/// A list answer in the making: `{data, total_count, returned_count,
/// truncated, truncation_reason}` plus any summary fields.
pub struct List {
    /// Each item as the JSON text it is sent as.
    items: Vec<String>,
    key: &'static str,
    max_results: Option<usize>,
    fields: Map<String, Value>,
}

impl List {
    pub fn new<T: Serialize>(items: impl IntoIterator<Item = T>) -> Result<Self, ToolError> {
        let items = items
            .into_iter()
            .map(|item| serde_json::to_string(&item))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| ToolError::File(format!("could not encode the answer: {e}")))?;
        Ok(Self {
            items,
            key: "data",
            max_results: None,
            fields: Map::new(),
        })
    }

    /// Names the list something more telling than `data` (the answer's
    /// other fields then describe what the list belongs to).
    pub fn key(mut self, key: &'static str) -> Self {
        self.key = key;
        self
    }

    /// Keeps at most `n` items (after the size cap has its say).
    pub fn max_results(mut self, n: usize) -> Self {
        self.max_results = Some(n);
        self
    }

    /// Adds a summary field beside the list.
    pub fn field(mut self, key: &str, value: impl Serialize) -> Self {
        self.fields.insert(
            key.to_owned(),
            serde_json::to_value(value).unwrap_or(Value::Null),
        );
        self
    }

    pub fn finish(self) -> Result<Answer, ToolError> {
        let total = self.items.len();
        let wanted = self.max_results.map_or(total, |m| m.min(total));
        let (raw, escaped): (Vec<usize>, Vec<usize>) = self.items[..wanted]
            .iter()
            .map(|s| (s.len(), s.len() + escape_overhead(s)))
            .unzip();

        // The answer without items, as it would be sent with every
        // count at its widest, so the sums below are an upper bound.
        let mut skeleton = self.fields.clone();
        skeleton.insert(self.key.into(), json!([]));
        skeleton.insert("total_count".into(), json!(total));
        skeleton.insert("returned_count".into(), json!(total));
        skeleton.insert("truncated".into(), json!(false));
        skeleton.insert("truncation_reason".into(), json!("max_results"));
        let skeleton = Value::Object(skeleton).to_string();
        // Sent twice: as JSON, and as a quoted, escaped string; inside the
        // tool result's own fields.
        let base =
            skeleton.len() + skeleton.len() + escape_overhead(&skeleton) + 2 + *RESULT_ENVELOPE;

        if base > RESPONSE_BUDGET {
            return Err(ToolError::File(
                "The answer would exceed MCP's 1 MB message limit even without its list (a field such as a description is too large); ask for fewer extra blocks.".to_owned(),
            ));
        }

        // prefix[n] = bytes that the first n items add, twice over.
        let mut prefix = Vec::with_capacity(wanted + 1);
        prefix.push(0usize);
        let mut sum = 0usize;
        for (i, (r, e)) in raw.iter().zip(&escaped).enumerate() {
            let commas = if i == 0 { 0 } else { 2 };
            sum = sum.saturating_add(r + e + commas);
            prefix.push(sum);
        }
        let fits = prefix.partition_point(|bytes| base.saturating_add(*bytes) <= RESPONSE_BUDGET);
        let returned = fits.saturating_sub(1).min(wanted);

        let by_max = wanted < total;
        let by_size = returned < wanted;
        let reason = match (by_max, by_size) {
            (false, false) => Truncation::None,
            (true, false) => Truncation::MaxResults,
            (false, true) => Truncation::SizeCap,
            (true, true) => Truncation::Both,
        };
        let mut items = self.items;
        items.truncate(returned);
        // The same JSON the sizes were taken from, read back into values
        // for the answer: the text is what was measured, so the cut holds.
        let items = items
            .iter()
            .map(|s| serde_json::from_str::<Value>(s))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| ToolError::File(format!("could not encode the answer: {e}")))?;

        let mut body = Map::new();
        body.insert(self.key.into(), Value::Array(items));
        body.insert("total_count".into(), json!(total));
        body.insert("returned_count".into(), json!(returned));
        body.insert("truncated".into(), json!(reason != Truncation::None));
        body.insert("truncation_reason".into(), json!(reason));
        body.extend(self.fields);
        Ok(Answer {
            body,
            images: Vec::new(),
        })
    }
}

/// Bytes a tool result adds around its two copies of the answer
/// (`{"content":[{"type":"text","text":…}],"structuredContent":…,…}`),
/// measured once on an empty answer so it follows rmcp's field names.
static RESULT_ENVELOPE: std::sync::LazyLock<usize> = std::sync::LazyLock::new(|| {
    let empty = Answer {
        body: Map::new(),
        images: Vec::new(),
    };
    // The empty answer's two copies: `{}` and `"{}"`.
    serde_json::to_string(&empty.into_result()).map_or(256, |s| s.len().saturating_sub(6))
});

/// Bytes serde_json adds when it writes `s` inside a JSON string (the
/// escapes; the two quotes are not counted).
fn escape_overhead(s: &str) -> usize {
    s.bytes()
        .map(|b| match b {
            b'"' | b'\\' | b'\n' | b'\r' | b'\t' | 0x08 | 0x0c => 1,
            0..=0x1f => 5,
            _ => 0,
        })
        .sum::<usize>()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wire_size(answer: Answer) -> usize {
        serde_json::to_string(&answer.into_result())
            .map(|s| s.len())
            .unwrap_or(usize::MAX)
    }

    #[test]
    fn small_lists_pass_whole() {
        let a = List::new(["a", "b"]).and_then(List::finish).expect("list");
        assert_eq!(a.body()["returned_count"], 2);
        assert_eq!(a.body()["truncation_reason"], "none");
    }

    #[test]
    fn kept_items_are_the_values_they_were_encoded_from() {
        // Items are measured as JSON text and read back: nothing may change
        // on the way (key order, numbers, escapes).
        let items = vec![
            json!({"z": 1, "a": [1.5, -0.0, 1e300, "say \"hi\"\n"], "n": null, "u": u64::MAX}),
            json!("é\u{1}"),
        ];
        let a = List::new(items.clone())
            .and_then(List::finish)
            .expect("list");
        assert_eq!(a.body()["data"], Value::Array(items.clone()));
        assert_eq!(
            a.body()["data"].to_string(),
            Value::Array(items).to_string()
        );
    }

    #[test]
    fn max_results_cuts_first() {
        let a = List::new(0..10)
            .map(|l| l.max_results(3))
            .and_then(List::finish)
            .expect("list");
        assert_eq!(a.body()["total_count"], 10);
        assert_eq!(a.body()["returned_count"], 3);
        assert_eq!(a.body()["truncation_reason"], "max_results");
    }

    #[test]
    fn size_cap_fits_tightly_under_the_limit() {
        // Quotes and newlines make the escaped copy larger than the raw one.
        let item = |i: usize| json!({"id": i.to_string(), "text": "say \"hi\"\n".repeat(40)});
        let items: Vec<Value> = (0..5000).map(item).collect();
        let a = List::new(items.clone())
            .and_then(List::finish)
            .expect("list");
        let returned = a.body()["returned_count"].as_u64().expect("count") as usize;
        assert_eq!(a.body()["truncation_reason"], "size_cap");
        assert!(returned > 100 && returned < 5000);
        assert!(wire_size(a) <= RESPONSE_BUDGET);
        // One more item would not have fitted.
        let mut body = Map::new();
        body.insert("data".into(), Value::Array(items[..=returned].to_vec()));
        body.insert("total_count".into(), json!(5000));
        body.insert("returned_count".into(), json!(returned + 1));
        body.insert("truncated".into(), json!(true));
        body.insert("truncation_reason".into(), json!("size_cap"));
        let over = wire_size(Answer {
            body,
            images: Vec::new(),
        });
        assert!(
            over > RESPONSE_BUDGET,
            "{over} vs {RESPONSE_BUDGET}, returned {returned}"
        );
    }

    #[test]
    fn escape_overhead_matches_serde() {
        let s = "a\"b\\c\nd\u{1}e\u{7f}é";
        let encoded = serde_json::to_string(s).expect("encode");
        assert_eq!(encoded.len(), s.len() + escape_overhead(s) + 2);
    }
}

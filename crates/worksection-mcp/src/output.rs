//! What a tool answers ([`Answer`]), and how an answer is cut to a page
//! that fits the assistant's budget.
//!
//! A tool answer carries the same JSON twice, as MCP asks: once as
//! `structuredContent`, once as a text block, which is what the model
//! reads. The text must fit a budget in tokens (`MCP_MAX_ANSWER_TOKENS`,
//! estimated by [`crate::tokens`]), and the whole message MCP's 1 MB limit,
//! the hard ceiling. A list answer ([`List`]) keeps every item as the JSON
//! text it is sent as; [`page`] then takes items from an offset while the
//! page's text stays within the budget (and the page size the assistant
//! asked for), never splitting an item. Summary fields (counts, totals) come
//! first in the answer and the list last. A page that does not hold the
//! whole list says so (`truncated`, `truncation_reason`) and what to ask
//! next (`next_cursor`, added by the server, which also keeps the whole
//! answer for the next pages and offloads it to disk: see `paging` and
//! `offload`).

use std::borrow::Cow;
use std::collections::BTreeMap;

use rmcp::model::{CallToolResult, ContentBlock};
use schemars::JsonSchema;
use serde::Serialize;
use serde_json::{Map, Value, json};

use crate::error::ToolError;
use crate::tokens;

/// MCP's limit on one message.
pub const MCP_MESSAGE_LIMIT: usize = 1024 * 1024;

/// What a tool answer may take on the wire, leaving room for the JSON-RPC
/// envelope, image blocks' headers and a safety margin.
pub const RESPONSE_BUDGET: usize = MCP_MESSAGE_LIMIT - 48 * 1024;

/// The default budget of an answer's text, in estimated tokens (Claude
/// Code refuses tool results over 25,000 tokens by default).
pub const DEFAULT_ANSWER_TOKENS: usize = 25_000;

/// A successful tool answer: one JSON object or a list, plus any image
/// blocks.
#[derive(Debug)]
pub struct Answer {
    body: Body,
    images: Vec<ContentBlock>,
}

#[derive(Debug)]
enum Body {
    Object(Map<String, Value>),
    List(List),
}

impl Answer {
    /// An answer from anything that serializes to a JSON object.
    pub fn object(value: impl Serialize) -> Result<Self, ToolError> {
        let body = match serde_json::to_value(value) {
            Ok(Value::Object(body)) => body,
            Ok(other) => Map::from_iter([("data".to_owned(), other)]),
            Err(e) => return Err(encode_error(e)),
        };
        Ok(Self {
            body: Body::Object(body),
            images: Vec::new(),
        })
    }

    /// Adds an image block (base64 data and its MIME type) after the JSON.
    pub fn with_image(mut self, base64: String, mime: &str) -> Self {
        self.images.push(ContentBlock::image(base64, mime));
        self
    }

    /// Adds blocks after the JSON (`resource_link`s to the files an answer
    /// names). A list answer carries them when it fits one page.
    pub fn with_blocks(mut self, blocks: impl IntoIterator<Item = ContentBlock>) -> Self {
        self.images.extend(blocks);
        self
    }

    /// The list, when the answer is one.
    pub fn list(&self) -> Option<&List> {
        match &self.body {
            Body::List(l) => Some(l),
            Body::Object(_) => None,
        }
    }

    /// Splits the answer into its list (if it is one) and its images.
    pub fn into_parts(self) -> (Result<List, Map<String, Value>>, Vec<ContentBlock>) {
        match self.body {
            Body::List(l) => (Ok(l), self.images),
            Body::Object(o) => (Err(o), self.images),
        }
    }

    /// The whole answer as one JSON object, every item of a list included
    /// (what is offloaded, and what a resource serves).
    pub fn into_body(self) -> Map<String, Value> {
        match self.body {
            Body::Object(o) => o,
            Body::List(l) => l.whole(),
        }
    }

    /// The first page within the default budget, as a tool result (without
    /// a cursor store or offloading; the server adds those).
    pub fn into_result(self) -> CallToolResult {
        let (body, images) = self.into_parts();
        let body = match body {
            Ok(list) => page(&list, 0, None, DEFAULT_ANSWER_TOKENS, &Map::new()).body,
            Err(o) => o,
        };
        result(body, images)
    }
}

/// A tool result: the JSON as text and as `structuredContent`, then any
/// other blocks.
pub fn result(body: Map<String, Value>, extra: Vec<ContentBlock>) -> CallToolResult {
    let structured = Value::Object(body);
    let text = structured.to_string();
    let mut content = vec![ContentBlock::text(text)];
    content.extend(extra);
    let mut result = CallToolResult::success(content);
    result.structured_content = Some(structured);
    result
}

/// Why a page does not hold the whole list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Truncation {
    None,
    /// `max_results` kept fewer items than there are.
    MaxResults,
    /// The token budget (or the 1 MB ceiling) ended the page.
    SizeCap,
    /// The page size asked for (`limit`) ended the page.
    Limit,
    /// `max_results` and a page end both.
    Both,
}

/// A list answer: `{summary fields…, total_count, returned_count,
/// truncated, truncation_reason, next_cursor?, data: [...]}`.
///
/// Serialized (serde), it is the list as kept for its next pages between
/// replicas (see `paging`), not an answer: answers are [`List::whole`] and
/// [`page`].
#[derive(Debug, Serialize, serde::Deserialize)]
pub struct List {
    /// Each item as the JSON text it is sent as.
    items: Vec<String>,
    /// How many items there were before `max_results`.
    total: usize,
    key: Cow<'static, str>,
    max_results: Option<usize>,
    fields: Map<String, Value>,
}

impl List {
    pub fn new<T: Serialize>(items: impl IntoIterator<Item = T>) -> Result<Self, ToolError> {
        let items = items
            .into_iter()
            .map(|item| serde_json::to_string(&item))
            .collect::<Result<Vec<_>, _>>()
            .map_err(encode_error)?;
        Ok(Self::from_texts(items))
    }

    /// A list of items already written as JSON text.
    pub(crate) fn from_texts(items: Vec<String>) -> Self {
        Self {
            total: items.len(),
            items,
            key: Cow::Borrowed("data"),
            max_results: None,
            fields: Map::new(),
        }
    }

    /// Names the list something more telling than `data` (the answer's
    /// other fields then describe what the list belongs to).
    pub fn key(mut self, key: &'static str) -> Self {
        self.key = Cow::Borrowed(key);
        self
    }

    /// Keeps at most `n` items.
    pub fn max_results(mut self, n: usize) -> Self {
        self.max_results = Some(n);
        self
    }

    /// Adds a summary field beside the list; a null (an argument the call
    /// did not give, a figure Worksection did not send) is left out, as
    /// empty fields are everywhere else.
    pub fn field(mut self, key: &str, value: impl Serialize) -> Self {
        match serde_json::to_value(value) {
            Ok(Value::Null) | Err(_) => {}
            Ok(v) => {
                self.fields.insert(key.to_owned(), v);
            }
        }
        self
    }

    pub fn finish(mut self) -> Result<Answer, ToolError> {
        if let Some(max) = self.max_results {
            self.items.truncate(max);
        }
        Ok(Answer {
            body: Body::List(self),
            images: Vec::new(),
        })
    }

    /// Items kept (after `max_results`).
    pub fn len(&self) -> usize {
        self.items.len()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// Items there were before `max_results`.
    pub fn total(&self) -> usize {
        self.total
    }

    /// The whole list as one answer, every kept item in it.
    pub fn whole(&self) -> Map<String, Value> {
        let reason = if self.items.len() < self.total {
            Truncation::MaxResults
        } else {
            Truncation::None
        };
        let mut body = self.head(self.items.len(), reason);
        body.insert(
            self.key.to_string(),
            Value::Array(self.values(0..self.items.len())),
        );
        body
    }

    /// [`Self::whole`] as JSON text, written straight from the items' text.
    pub fn whole_text(&self) -> String {
        let reason = if self.items.len() < self.total {
            Truncation::MaxResults
        } else {
            Truncation::None
        };
        let head = Value::Object(self.head(self.items.len(), reason)).to_string();
        let mut out = String::with_capacity(head.len() + self.item_bytes() + self.items.len() + 16);
        out.push_str(&head[..head.len() - 1]);
        if head.len() > 2 {
            out.push(',');
        }
        out.push_str(&Value::String(self.key.to_string()).to_string());
        out.push_str(":[");
        for (i, item) in self.items.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            out.push_str(item);
        }
        out.push_str("]}");
        out
    }

    /// Bytes of the kept items' JSON text.
    pub fn item_bytes(&self) -> usize {
        self.items.iter().map(String::len).sum()
    }

    fn head(&self, returned: usize, reason: Truncation) -> Map<String, Value> {
        let mut body = self.fields.clone();
        body.insert("total_count".into(), json!(self.total));
        body.insert("returned_count".into(), json!(returned));
        body.insert("truncated".into(), json!(reason != Truncation::None));
        body.insert("truncation_reason".into(), json!(reason));
        body
    }

    /// The items of `range` as values, read back from the very text that
    /// was measured, so the cut holds.
    fn values(&self, range: std::ops::Range<usize>) -> Vec<Value> {
        self.items[range]
            .iter()
            .map(|s| serde_json::from_str::<Value>(s).unwrap_or(Value::Null))
            .collect()
    }
}

/// One page of a list.
#[derive(Debug)]
pub struct Page {
    pub body: Map<String, Value>,
    /// Where the next page starts, when items remain.
    pub next: Option<usize>,
}

/// The page of `list` from `offset`: as many whole items as fit within
/// `budget` tokens of text (and MCP's byte ceiling) and `limit`. `extra`
/// fields (a cursor placeholder of full length, the offload's facts) are
/// counted and placed before the list. An item too large for the budget on
/// its own is left out of the page and named in `skipped` (it is in the
/// offloaded answer), so a walk always moves on.
pub fn page(
    list: &List,
    offset: usize,
    limit: Option<usize>,
    budget: usize,
    extra: &Map<String, Value>,
) -> Page {
    let len = list.items.len();
    let offset = offset.min(len);
    let wanted = limit.map_or(len - offset, |l| l.min(len - offset));

    // The answer without items, every count at its widest: an upper bound.
    let mut skeleton = list.head(list.total, Truncation::MaxResults);
    skeleton.extend(extra.clone());
    skeleton.insert(list.key.to_string(), json!([]));
    let skeleton = Value::Object(skeleton).to_string();
    let base_tokens = tokens::estimate(&skeleton) + 2;
    let base_bytes = skeleton.len() * 2 + escape_overhead(&skeleton) + 2 + *RESULT_ENVELOPE + 64;

    let mut used_tokens = base_tokens;
    let mut used_bytes = base_bytes;
    let mut end = offset;
    let mut skipped = None;
    while end < offset + wanted {
        let item = &list.items[end];
        // One comma (or bracket) and the item, twice on the wire.
        let t = tokens::estimate(item) + 1;
        let b = item.len() * 2 + escape_overhead(item) + 2;
        if used_tokens + t > budget || used_bytes + b > RESPONSE_BUDGET {
            if end == offset {
                // Too large on its own: name it and move past it.
                skipped = Some(json!({"index": end, "estimated_tokens": t}));
                end += 1;
            }
            break;
        }
        used_tokens += t;
        used_bytes += b;
        end += 1;
    }
    let first = if skipped.is_some() { end } else { offset };
    let returned = end - first;
    let by_max = len < list.total;
    let by_page = end < len;
    let ended_by = if !by_page {
        Truncation::None
    } else if limit.is_some_and(|l| end - offset >= l) {
        Truncation::Limit
    } else {
        Truncation::SizeCap
    };
    let mut reason = match (by_max, ended_by) {
        (false, r) => r,
        (true, Truncation::None) => Truncation::MaxResults,
        (true, _) => Truncation::Both,
    };
    if reason == Truncation::None && returned < list.total {
        // A later page of a walk, the last one: still not the whole list.
        reason = Truncation::Limit;
    }
    let mut body = list.head(returned, reason);
    body.extend(extra.clone());
    if let Some(s) = skipped {
        body.insert(
            "skipped".into(),
            json!([{"item": s, "why": "larger than the answer budget on its own; read it in the offloaded answer (read_offloaded_response_text)"}]),
        );
    }
    body.insert(list.key.to_string(), Value::Array(list.values(first..end)));
    Page {
        body,
        next: by_page.then_some(end),
    }
}

fn encode_error(e: serde_json::Error) -> ToolError {
    ToolError::File(format!("could not encode the answer: {e}"))
}

/// Bytes a tool result adds around its two copies of the answer
/// (`{"content":[{"type":"text","text":…}],"structuredContent":…,…}`),
/// measured once on an empty answer so it follows rmcp's field names.
static RESULT_ENVELOPE: std::sync::LazyLock<usize> = std::sync::LazyLock::new(|| {
    // The empty answer's two copies: `{}` and `"{}"`.
    serde_json::to_string(&result(Map::new(), Vec::new()))
        .map_or(256, |s| s.len().saturating_sub(6))
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

/// The shape of a list answer's page, as [`List`] and [`page`] write it
/// and the server's paging (`paging`) adds to it, with the tool's summary
/// `S` (`tools::answer::Summary`) before the list: the schema every list
/// tool's `outputSchema` is generated from. Only its schema is read (the
/// page itself is written from the items' text); the tests below and the
/// sweep over the demo account (`tests/answer_schemas.rs`) hold every page
/// to it.
#[derive(Serialize, JsonSchema)]
pub struct ListEnvelope<S> {
    #[serde(flatten)]
    summary: S,
    /// Project id → name, for the records' `project_id`.
    #[serde(skip_serializing_if = "Option::is_none")]
    projects: Option<BTreeMap<String, String>>,
    /// Person id → email, for the people the records name `{id, name}`.
    #[serde(skip_serializing_if = "Option::is_none")]
    emails: Option<BTreeMap<String, String>>,
    /// What every record of the list says alike, said once.
    #[serde(skip_serializing_if = "Option::is_none")]
    every: Option<Map<String, Value>>,
    /// The fields of each row of `data`, in order (`null`: no such field).
    #[serde(skip_serializing_if = "Option::is_none")]
    columns: Option<Vec<String>>,
    /// Items of the whole list (before `max_results`).
    total_count: usize,
    /// Items on this page.
    returned_count: usize,
    truncated: bool,
    truncation_reason: Truncation,
    /// Pass it as `cursor` for the next page.
    #[serde(skip_serializing_if = "Option::is_none")]
    next_cursor: Option<String>,
    #[serde(flatten)]
    offload: Option<OffloadFields>,
    /// Items too large for the budget on their own, left out of the page
    /// (they are in the offloaded answer).
    #[serde(skip_serializing_if = "Option::is_none")]
    skipped: Option<Vec<Skipped>>,
    /// The records: each a row of `columns`, or (one record alone) an
    /// object.
    data: Vec<Row>,
}

/// Where the whole answer was kept on disk: `offload_id` (also
/// `response_id`), for `read_offloaded_response_text`.
#[derive(Serialize, JsonSchema)]
pub struct OffloadFields {
    offload_id: String,
    response_id: String,
    offload_size_bytes: u64,
    offload_sha256: String,
    offload_uri: String,
}

#[derive(Serialize, JsonSchema)]
struct Skipped {
    item: SkippedItem,
    why: String,
}

#[derive(Serialize, JsonSchema)]
struct SkippedItem {
    index: usize,
    estimated_tokens: usize,
}

/// A record of a list: a row of `columns`, or an object.
#[derive(Serialize)]
struct Row(Value);

impl JsonSchema for Row {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Row".into()
    }

    fn inline_schema() -> bool {
        true
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({"type": ["array", "object"]})
    }
}

/// What an object answer over the budget is replaced by (see `paging`):
/// where the whole answer is, and an outline of it. Every object tool's
/// schema allows it.
#[derive(Serialize, JsonSchema)]
pub struct OffloadedObject {
    offloaded: bool,
    estimated_tokens: usize,
    budget_tokens: usize,
    #[serde(flatten)]
    offload: OffloadFields,
    how_to_read: String,
    /// The answer's fields: short ones as they are, lists and objects by
    /// their size.
    outline: Map<String, Value>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list_of(items: Vec<Value>) -> List {
        List::new(items).expect("list")
    }

    fn text_tokens(body: &Map<String, Value>) -> usize {
        tokens::estimate(&Value::Object(body.clone()).to_string())
    }

    #[test]
    fn small_lists_pass_whole() {
        let l = list_of(vec![json!("a"), json!("b")]);
        let p = page(&l, 0, None, DEFAULT_ANSWER_TOKENS, &Map::new());
        assert_eq!(p.body["returned_count"], 2);
        assert_eq!(p.body["truncation_reason"], "none");
        assert_eq!(p.next, None);
    }

    #[test]
    fn summaries_come_before_the_list() {
        let l = list_of(vec![json!(1)]).field("totals", json!({"time": "1:00"}));
        let p = page(&l, 0, None, DEFAULT_ANSWER_TOKENS, &Map::new());
        let keys: Vec<&str> = p.body.keys().map(String::as_str).collect();
        assert_eq!(keys.first(), Some(&"totals"));
        assert_eq!(keys.last(), Some(&"data"));
    }

    #[test]
    fn a_summary_field_with_nothing_in_it_is_left_out() {
        let l = list_of(vec![json!(1)])
            .field("project_id", None::<String>)
            .field("today", "2026-12-03");
        let p = page(&l, 0, None, DEFAULT_ANSWER_TOKENS, &Map::new());
        assert!(!p.body.contains_key("project_id"));
        assert_eq!(p.body["today"], "2026-12-03");
    }

    #[test]
    fn kept_items_are_the_values_they_were_encoded_from() {
        // Items are measured as JSON text and read back: nothing may change
        // on the way (key order, numbers, escapes).
        let items = vec![
            json!({"z": 1, "a": [1.5, -0.0, 1e300, "say \"hi\"\n"], "n": null, "u": u64::MAX}),
            json!("é\u{1}"),
        ];
        let l = list_of(items.clone());
        let p = page(&l, 0, None, DEFAULT_ANSWER_TOKENS, &Map::new());
        assert_eq!(p.body["data"], Value::Array(items.clone()));
        assert_eq!(p.body["data"].to_string(), Value::Array(items).to_string());
    }

    #[test]
    fn max_results_cuts_first() {
        let a = List::new(0..10)
            .map(|l| l.max_results(3))
            .and_then(List::finish)
            .expect("list");
        let l = a.list().expect("a list");
        let p = page(l, 0, None, DEFAULT_ANSWER_TOKENS, &Map::new());
        assert_eq!(p.body["total_count"], 10);
        assert_eq!(p.body["returned_count"], 3);
        assert_eq!(p.body["truncation_reason"], "max_results");
        assert_eq!(p.next, None);
    }

    #[test]
    fn pages_fit_the_budget_and_walk_every_item_once() {
        let items: Vec<Value> = (0..3000)
            .map(|i| json!({"id": i.to_string(), "name": format!("Задача {i} 🚀"), "text": "say \"hi\"\n".repeat(i % 7)}))
            .collect();
        let l = list_of(items.clone());
        for (budget, limit) in [
            (2_000, None),
            (5_000, Some(100)),
            (25_000, None),
            (300, None),
        ] {
            let mut seen = Vec::new();
            let mut offset = 0;
            let mut pages = 0;
            loop {
                let p = page(&l, offset, limit, budget, &Map::new());
                assert!(text_tokens(&p.body) <= budget, "budget {budget}");
                let data = p.body["data"].as_array().expect("data");
                assert_eq!(p.body["returned_count"], data.len());
                if let Some(limit) = limit {
                    assert!(data.len() <= limit);
                }
                assert!(p.body.get("skipped").is_none());
                seen.extend(data.iter().cloned());
                pages += 1;
                match p.next {
                    Some(n) => {
                        assert_eq!(p.body["truncated"], true);
                        offset = n;
                    }
                    None => break,
                }
            }
            assert!(pages > 1, "budget {budget}");
            assert_eq!(seen, items, "budget {budget}");
        }
    }

    #[test]
    fn an_item_too_large_alone_is_named_and_passed() {
        let items = vec![json!("small"), json!("x".repeat(10_000)), json!("after")];
        let l = list_of(items);
        let p = page(&l, 0, None, 500, &Map::new());
        assert_eq!(p.body["returned_count"], 1);
        assert_eq!(p.next, Some(1));
        let p = page(&l, 1, None, 500, &Map::new());
        assert_eq!(p.body["returned_count"], 0);
        assert_eq!(p.body["skipped"][0]["item"]["index"], 1);
        assert_eq!(p.next, Some(2));
        let p = page(&l, 2, None, 500, &Map::new());
        assert_eq!(p.body["data"], json!(["after"]));
        assert_eq!(p.next, None);
    }

    #[test]
    fn byte_ceiling_holds_even_for_a_huge_budget() {
        let item = |i: usize| json!({"id": i.to_string(), "text": "say \"hi\"\n".repeat(40)});
        let items: Vec<Value> = (0..5000).map(item).collect();
        let l = list_of(items);
        let p = page(&l, 0, None, usize::MAX / 2, &Map::new());
        assert_eq!(p.body["truncation_reason"], "size_cap");
        let wire = serde_json::to_string(&result(p.body, Vec::new())).expect("json");
        assert!(wire.len() <= RESPONSE_BUDGET);
    }

    #[test]
    fn whole_text_is_the_whole_answer() {
        let l = list_of(vec![json!({"a": "é\n"}), json!(2)]).field("totals", json!({"n": 2}));
        let text = l.whole_text();
        let parsed: Value = serde_json::from_str(&text).expect("json");
        assert_eq!(parsed, Value::Object(l.whole()));
        let empty = List::new(Vec::<u8>::new()).expect("list");
        let parsed: Value = serde_json::from_str(&empty.whole_text()).expect("json");
        assert_eq!(parsed, Value::Object(empty.whole()));
    }

    #[test]
    fn escape_overhead_matches_serde() {
        let s = "a\"b\\c\nd\u{1}e\u{7f}é";
        let encoded = serde_json::to_string(s).expect("encode");
        assert_eq!(encoded.len(), s.len() + escape_overhead(s) + 2);
    }
}

//! Fuzzes how list answers are cut into pages (`worksection_mcp::page`):
//! arbitrary lists — any text (quotes, control characters, non-ASCII), any
//! numbers, nested objects, repeated until they are megabytes long — with
//! any `max_results`, summary fields, page `limit` and token budget.
//!
//! The properties: every page as sent (the `CallToolResult`, with its JSON
//! twice over) stays under the byte ceiling below MCP's 1 MB limit, and its
//! text within the token budget unless it holds a single item; walking the
//! pages gives every kept item exactly once, in order (an item too large
//! for any page is named in `skipped` instead, never dropped silently); the
//! counts tell the truth; and a page cut for size was not cut much earlier
//! than it had to be.
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use serde_json::{Map, Value, json};
use worksection_mcp::{List, RESPONSE_BUDGET, estimate_tokens, page};

#[derive(Debug, Arbitrary)]
enum Item {
    Text(String),
    Number(i64),
    Float(f64),
    Flag(bool),
    Null,
    Object(Vec<(String, String)>),
    Nested(Vec<Item>),
}

#[derive(Debug, Arbitrary)]
struct Input {
    items: Vec<Item>,
    /// How many times the items are repeated, and each text within them.
    copies: u16,
    stretch: u16,
    max_results: Option<u16>,
    fields: Vec<(String, String)>,
    limit: Option<u16>,
    budget: u16,
}

fn value(item: &Item, stretch: usize, depth: usize) -> Value {
    match item {
        Item::Text(s) => Value::String(s.repeat(stretch)),
        Item::Number(n) => json!(n),
        Item::Float(f) => json!(f),
        Item::Flag(b) => json!(b),
        Item::Null => Value::Null,
        Item::Object(pairs) => Value::Object(
            pairs
                .iter()
                .map(|(k, v)| (k.clone(), Value::String(v.repeat(stretch))))
                .collect::<Map<_, _>>(),
        ),
        Item::Nested(items) if depth < 4 => {
            Value::Array(items.iter().map(|i| value(i, stretch, depth + 1)).collect())
        }
        Item::Nested(_) => Value::Null,
    }
}

fn wire_size(body: Map<String, Value>) -> usize {
    // The answer as the server sends it: JSON text block + structuredContent.
    let text = Value::Object(body.clone()).to_string();
    let result = json!({
        "content": [{"type": "text", "text": text}],
        "structuredContent": Value::Object(body),
        "isError": false,
    });
    result.to_string().len()
}

fuzz_target!(|input: Input| {
    if input.items.is_empty() {
        return;
    }
    let stretch = usize::from(input.stretch % 512).max(1);
    let copies = usize::from(input.copies % 2048).max(1);
    let one_round: Vec<Value> = input.items.iter().map(|i| value(i, stretch, 0)).collect();
    // At most about 4 MB of items, so one input stays quick.
    let round_bytes: usize = one_round.iter().map(|v| v.to_string().len() + 1).sum();
    let copies = copies.min((4 << 20) / round_bytes.max(1)).max(1);
    let items: Vec<Value> = one_round
        .iter()
        .cycle()
        .take(one_round.len() * copies)
        .cloned()
        .collect();
    let mut list = List::new(items.clone()).expect("values always encode");
    if let Some(m) = input.max_results {
        list = list.max_results(usize::from(m));
    }
    for (k, v) in input.fields.iter().take(8) {
        list = list.field(&format!("f_{k}"), v);
    }
    let Ok(Ok(list)) = list.finish().map(|answer| answer.into_parts().0) else {
        return;
    };
    let total = items.len();
    let kept = input
        .max_results
        .map_or(total, |m| total.min(usize::from(m)));
    let limit = input.limit.map(|l| usize::from(l).max(1));
    // From 2,000 tokens (the smallest setting) to about 66,000.
    let budget = 2_000 + usize::from(input.budget);
    let mut offset = 0;
    let mut walked: Vec<Value> = Vec::new();
    let mut skipped = 0;
    for _ in 0..=kept {
        let p = page(&list, offset, limit, budget, &Map::new());
        let body = p.body;
        let data = body["data"].as_array().expect("data").clone();
        assert_eq!(body["total_count"].as_u64(), Some(total as u64));
        assert_eq!(
            body["returned_count"].as_u64(),
            Some(data.len() as u64),
            "returned_count"
        );
        let size = wire_size(body.clone());
        assert!(
            size <= RESPONSE_BUDGET,
            "{size} bytes sent, over the {RESPONSE_BUDGET}-byte ceiling"
        );
        let text = Value::Object(body.clone()).to_string();
        if data.len() > 1 {
            assert!(
                estimate_tokens(&text) <= budget,
                "a page of {} items over the {budget}-token budget",
                data.len()
            );
        }
        let skips = body
            .get("skipped")
            .and_then(Value::as_array)
            .map_or(0, Vec::len);
        skipped += skips;
        let end = offset + skips + data.len();
        assert!(end <= kept, "a page past the kept items");
        assert!(
            data[..] == items[offset + skips..end],
            "not the next items of the list"
        );
        walked.extend(data);
        match p.next {
            Some(next) => {
                assert_eq!(
                    next, end,
                    "the next page does not start where this one ends"
                );
                assert!(end > offset, "a page that does not move on");
                if limit.is_none_or(|l| end - offset < l) && skips == 0 {
                    // Cut for size: one more item would not have fitted
                    // (each item's estimate is rounded up, and its comma
                    // counted, so a page may fall short by two tokens an
                    // item, besides the counts' widest widths).
                    let mut more = body;
                    more.insert("data".into(), Value::Array(items[offset..=end].to_vec()));
                    let over = wire_size(more.clone());
                    let tokens = estimate_tokens(&Value::Object(more).to_string());
                    assert!(
                        over > RESPONSE_BUDGET - 1024 || tokens + 64 + 2 * (end - offset) > budget,
                        "cut at {end} though one more item takes only {over} bytes and {tokens} tokens"
                    );
                }
                offset = next;
            }
            None => {
                assert_eq!(end, kept, "the walk ended before the last kept item");
                break;
            }
        }
    }
    assert_eq!(walked.len() + skipped, kept, "an item given twice or lost");
});

//! Fuzzes the size cap on tool answers (`worksection_mcp::output::List`):
//! arbitrary lists — any text (quotes, control characters, non-ASCII), any
//! numbers, nested objects, repeated until they are megabytes long — with
//! any `max_results` and summary fields.
//!
//! The properties: the answer as sent (the `CallToolResult`, with its JSON
//! twice over) never exceeds the budget under MCP's 1 MB message limit; the
//! counts and the truncation reason tell the truth; what is returned is a
//! prefix of the list; and a list cut for size was not cut much earlier
//! than it had to be.
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use serde_json::{Map, Value, json};
use worksection_mcp::{List, RESPONSE_BUDGET};

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
    let mut field_bytes = 0;
    for (k, v) in input.fields.iter().take(8) {
        field_bytes += k.len() + v.len();
        list = list.field(&format!("f_{k}"), v);
    }
    let answer = match list.finish() {
        Ok(a) => a,
        Err(e) => {
            assert!(
                field_bytes > 64 * 1024,
                "refused a list whose fields are small: {e}"
            );
            return;
        }
    };
    let body = answer.body().clone();
    let total = items.len();
    let wanted = input
        .max_results
        .map_or(total, |m| total.min(usize::from(m)));
    let returned = body["returned_count"].as_u64().expect("returned_count") as usize;
    let data = body["data"].as_array().expect("data");
    assert_eq!(data.len(), returned);
    assert_eq!(body["total_count"].as_u64(), Some(total as u64));
    assert!(returned <= wanted);
    assert!(data[..] == items[..returned], "not a prefix of the list");
    let reason = body["truncation_reason"].as_str().expect("reason");
    let by_max = wanted < total;
    let by_size = returned < wanted;
    let expected = match (by_max, by_size) {
        (false, false) => "none",
        (true, false) => "max_results",
        (false, true) => "size_cap",
        (true, true) => "both",
    };
    assert_eq!(reason, expected);
    assert_eq!(body["truncated"].as_bool(), Some(expected != "none"));
    let size = wire_size(body.clone());
    assert!(
        size <= RESPONSE_BUDGET,
        "{size} bytes sent, over the {RESPONSE_BUDGET}-byte budget"
    );
    if by_size {
        // One more item would not have fitted (with a little slack for the
        // counts' widths).
        let mut more = body;
        more.insert("data".into(), Value::Array(items[..=returned].to_vec()));
        let over = wire_size(more);
        assert!(
            over > RESPONSE_BUDGET - 1024,
            "cut at {returned} items ({size} bytes) though {} items take only {over}",
            returned + 1
        );
    }
});

//! What each tool answers, as a Rust type: the answer's JSON
//! (`structuredContent`) is that type serialized, and the tool's
//! `outputSchema` is that type's JSON Schema (schemars, for what `Serialize`
//! writes), so the two cannot drift. A tool's function returns one of:
//!
//! - [`Object<T>`]: one object, `T` serialized as it is. Records from
//!   Worksection inside it are compact ([`Record`]), but `T`'s own fields
//!   are never dropped: what its schema requires is always there (an empty
//!   list stays `[]`).
//! - [`Listed<S>`]: a list ([`List`]) with the tool's summary `S` said
//!   before it. Its schema is the list envelope ([`ListEnvelope`]) with
//!   `S`'s fields; the list is named [`Summary::KEY`].
//!
//! [`def`](super::def) reads the schema off the function's return type. An
//! object answer over the token budget is replaced by an account of where
//! it was offloaded ([`OffloadedObject`]); every object schema allows that
//! too. The rule for what is required and what may be left out is written
//! once, in `TOOLS.md` (see `tests/toolsnaps.rs`).

use std::collections::BTreeMap;
use std::marker::PhantomData;

use rmcp::handler::server::common::schema_for_output;
use rmcp::model::{ContentBlock, JsonObject};
use schemars::JsonSchema;
use serde::Serialize;
use serde_json::{Value, json};

use crate::compact::{Record, Refs, Tables};
use crate::error::ToolError;
use crate::output::{Answer, List, ListEnvelope, OffloadedObject};

/// An answer type a tool may return: its schema, whether it is a list
/// (paged: the tool takes `limit` and `cursor`), and the answer itself.
pub trait Shaped: Send + 'static {
    const PAGED: bool;

    /// The tool's `outputSchema`.
    fn output_schema() -> JsonObject;

    fn into_answer(self) -> Answer;
}

/// One object of type `T`, serialized as it is.
#[derive(Debug)]
pub struct Object<T> {
    answer: Answer,
    shape: PhantomData<fn() -> T>,
}

impl<T: Serialize + JsonSchema + 'static> Object<T> {
    pub fn new(value: T) -> Result<Self, ToolError> {
        Ok(Self {
            answer: Answer::object(value)?,
            shape: PhantomData,
        })
    }

    /// Adds an image block (base64 data and its MIME type) after the JSON.
    pub fn with_image(mut self, base64: String, mime: &str) -> Self {
        self.answer = self.answer.with_image(base64, mime);
        self
    }

    /// Adds blocks after the JSON (`resource_link`s to the files it names).
    pub fn with_blocks(mut self, blocks: impl IntoIterator<Item = ContentBlock>) -> Self {
        self.answer = self.answer.with_blocks(blocks);
        self
    }
}

impl<T: Serialize + JsonSchema + 'static> Shaped for Object<T> {
    const PAGED: bool = false;

    fn output_schema() -> JsonObject {
        let mut schema = schema_for_output::<T>().as_ref().clone();
        lean(&mut schema);
        ordered(or_offloaded(schema))
    }

    fn into_answer(self) -> Answer {
        self.answer
    }
}

/// What a list tool says beside its list: counts, totals, the arguments
/// it echoes. Its fields go before the list, in their order; an `Option`
/// field must be skipped when `None` (`skip_serializing_if`), as a list
/// leaves out a null summary field.
pub trait Summary: Serialize + JsonSchema + Send + 'static {
    /// The list's name in the answer.
    const KEY: &'static str = "data";
}

/// A list with nothing said beside it.
#[derive(Debug, Default, Serialize, JsonSchema)]
pub struct Nothing {}

impl Summary for Nothing {}

/// A list answer with the summary `S`.
#[derive(Debug)]
pub struct Listed<S> {
    answer: Answer,
    shape: PhantomData<fn() -> S>,
}

impl<S: Summary> Listed<S> {
    /// `list` (its `max_results` already set) with `summary` before it.
    pub fn new(list: List, summary: S) -> Result<Self, ToolError> {
        let fields = match serde_json::to_value(&summary) {
            Ok(Value::Object(fields)) => fields,
            Ok(other) => {
                return Err(ToolError::File(format!(
                    "could not encode the answer: a summary is {other}, not an object"
                )));
            }
            Err(e) => return Err(ToolError::File(format!("could not encode the answer: {e}"))),
        };
        let mut list = list.key(S::KEY);
        for (key, value) in fields {
            debug_assert!(!value.is_null(), "summary field {key} is null");
            list = list.field(&key, value);
        }
        Ok(Self {
            answer: list.finish()?,
            shape: PhantomData,
        })
    }

    /// Adds blocks after the JSON (`resource_link`s to the files it names).
    pub fn with_blocks(mut self, blocks: impl IntoIterator<Item = ContentBlock>) -> Self {
        self.answer = self.answer.with_blocks(blocks);
        self
    }
}

impl<S: Summary> Shaped for Listed<S> {
    const PAGED: bool = true;

    fn output_schema() -> JsonObject {
        let mut schema = schema_for_output::<ListEnvelope<S>>().as_ref().clone();
        if S::KEY != "data" {
            rename_property(&mut schema, "data", S::KEY);
        }
        lean(&mut schema);
        ordered(schema)
    }

    fn into_answer(self) -> Answer {
        self.answer
    }
}

/// A person, task or project named by reference: its id, and its name
/// when it has one.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Ref {
    pub id: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub name: String,
}

impl Ref {
    pub fn new(id: impl ToString, name: impl Into<String>) -> Self {
        Self {
            id: id.to_string(),
            name: name.into(),
        }
    }
}

/// A list's summary that names the task it belongs to.
#[derive(Debug, Serialize, JsonSchema)]
pub struct OfTask {
    pub task: Ref,
}

impl Summary for OfTask {}

/// One record as the whole answer (a task, a project, a person): compact,
/// with the tables of the people and projects it names. Its `id` is always
/// there.
#[derive(Debug, Serialize, JsonSchema)]
pub struct RecordAnswer {
    pub id: String,
    /// The record's other fields, compact.
    #[serde(flatten)]
    pub record: Record,
    /// Why this record answers (the signed-in person, with the admin key).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<&'static str>,
    #[serde(flatten)]
    pub tables: Tables,
}

impl RecordAnswer {
    /// `item` in its compact shape; an error when it has no id.
    pub fn new(item: impl Serialize) -> Result<Self, ToolError> {
        let mut refs = Refs::new();
        let Record(mut record) = refs.compact(item)?;
        let id = match record.shift_remove("id") {
            Some(Value::String(id)) => id,
            Some(Value::Number(n)) => n.to_string(),
            _ => {
                return Err(ToolError::File(
                    "Worksection answered a record without an id; try again, and report it if it stays.".to_owned(),
                ));
            }
        };
        Ok(Self {
            id,
            record: Record(record),
            note: None,
            tables: refs.tables(),
        })
    }

    pub fn with_note(mut self, note: &'static str) -> Self {
        self.note = Some(note);
        self
    }
}

/// Figures keyed by something (a status, a priority, an event type).
pub type Counts = BTreeMap<String, usize>;

/// The object schema `schema`, or the account of an offloaded answer:
/// `schema`'s `required` keys become one branch of an `anyOf`, the
/// offloaded account the other, so its properties still describe every
/// field of the answer.
fn or_offloaded(mut schema: JsonObject) -> JsonObject {
    let mut defs = match schema.remove("$defs") {
        Some(Value::Object(defs)) => defs,
        _ => JsonObject::new(),
    };
    let mut offloaded = schema_for_output::<OffloadedObject>().as_ref().clone();
    lean(&mut offloaded);
    if let Some(Value::Object(more)) = offloaded.remove("$defs") {
        defs.extend(more);
    }
    offloaded.remove("$schema");
    defs.insert("OffloadedObject".into(), Value::Object(offloaded));
    let alternative = json!({"$ref": "#/$defs/OffloadedObject"});
    let plain = schema.keys().all(|k| {
        matches!(
            k.as_str(),
            "$schema" | "type" | "properties" | "required" | "additionalProperties"
        )
    }) && schema.get("additionalProperties") != Some(&Value::Bool(false));
    let mut out = JsonObject::new();
    if let Some(dialect) = schema.remove("$schema") {
        out.insert("$schema".into(), dialect);
    }
    out.insert("type".into(), json!("object"));
    if plain {
        let required = schema.remove("required").unwrap_or_else(|| json!([]));
        out.extend(schema);
        out.insert("anyOf".into(), json!([{"required": required}, alternative]));
    } else {
        out.insert("anyOf".into(), json!([Value::Object(schema), alternative]));
    }
    out.insert("$defs".into(), Value::Object(defs));
    out
}

fn rename_property(schema: &mut JsonObject, from: &str, to: &str) {
    if let Some(Value::Object(props)) = schema.get_mut("properties")
        && let Some(spec) = props.shift_remove(from)
    {
        props.insert(to.to_owned(), spec);
    }
    if let Some(Value::Array(required)) = schema.get_mut("required") {
        for r in required.iter_mut() {
            if r == from {
                *r = json!(to);
            }
        }
    }
}

/// What an output schema says that no client needs: the integer widths
/// schemars writes as `format` (`uint64`, `uint`: not JSON Schema formats,
/// and Ajv, in the TypeScript SDK, warns on each); `null` as a type of a
/// field that is not required (such a field is left out, never `null`:
/// `skip_serializing_if`); and enums written as a `oneOf` of constants
/// (variants with doc comments), as a plain `enum`.
fn lean(schema: &mut JsonObject) {
    if let Some(Value::String(f)) = schema.get("format")
        && !STANDARD_FORMATS.contains(&f.as_str())
    {
        schema.remove("format");
    }
    if let Some(values) = schema
        .get("oneOf")
        .and_then(Value::as_array)
        .and_then(|options| string_constants(options))
    {
        schema.remove("oneOf");
        schema.insert("type".into(), json!("string"));
        schema.insert("enum".into(), Value::Array(values));
    }
    let required: Vec<Value> = match schema.get("required") {
        Some(Value::Array(r)) => r.clone(),
        _ => Vec::new(),
    };
    if let Some(Value::Object(props)) = schema.get_mut("properties") {
        for (name, spec) in props.iter_mut() {
            if let (Value::Object(spec), false) = (spec, required.contains(&json!(name))) {
                not_null(spec);
            }
        }
    }
    for value in schema.values_mut() {
        match value {
            Value::Object(o) => lean(o),
            Value::Array(a) => {
                for o in a.iter_mut().filter_map(Value::as_object_mut) {
                    lean(o);
                }
            }
            _ => {}
        }
    }
}

/// The values of a `oneOf` whose options are each a string constant (or
/// an enum of strings).
fn string_constants(options: &[Value]) -> Option<Vec<Value>> {
    let mut values = Vec::new();
    for option in options {
        match (option.get("const"), option.get("enum")) {
            (Some(c @ Value::String(_)), None) => values.push(c.clone()),
            (None, Some(Value::Array(e))) if e.iter().all(Value::is_string) => {
                values.extend(e.iter().cloned());
            }
            _ => return None,
        }
    }
    Some(values)
}

/// A field's schema without `null`: `[string, null]` as `string`, and
/// `anyOf: [X, {type: null}]` as `X`.
fn not_null(spec: &mut JsonObject) {
    let null = json!("null");
    if let Some(Value::Array(types)) = spec.get("type") {
        let rest: Vec<Value> = types.iter().filter(|t| **t != null).cloned().collect();
        match rest.as_slice() {
            [one] => {
                spec.insert("type".into(), one.clone());
            }
            _ => {
                spec.insert("type".into(), Value::Array(rest));
            }
        }
    }
    let options = match spec.get("anyOf") {
        Some(Value::Array(options)) => options.clone(),
        _ => return,
    };
    let rest: Vec<&Value> = options
        .iter()
        .filter(|o| **o != json!({"type": "null"}))
        .collect();
    if let ([Value::Object(one)], true) = (rest.as_slice(), rest.len() < options.len()) {
        spec.remove("anyOf");
        for (k, v) in one {
            spec.entry(k.clone()).or_insert_with(|| v.clone());
        }
    }
}

/// The schema's keys in reading order: what it is, its fields, what is
/// required, then the definitions.
fn ordered(mut schema: JsonObject) -> JsonObject {
    let mut out = JsonObject::new();
    for key in [
        "$schema",
        "type",
        "properties",
        "required",
        "additionalProperties",
        "anyOf",
    ] {
        if let Some(v) = schema.remove(key) {
            out.insert(key.into(), v);
        }
    }
    let defs = schema.remove("$defs");
    out.extend(schema);
    if let Some(defs) = defs {
        out.insert("$defs".into(), defs);
    }
    out
}

/// The formats JSON Schema 2020-12 defines.
const STANDARD_FORMATS: &[&str] = &[
    "date-time",
    "date",
    "time",
    "duration",
    "email",
    "idn-email",
    "hostname",
    "idn-hostname",
    "ipv4",
    "ipv6",
    "uri",
    "uri-reference",
    "iri",
    "iri-reference",
    "uuid",
    "uri-template",
    "json-pointer",
    "relative-json-pointer",
    "regex",
];

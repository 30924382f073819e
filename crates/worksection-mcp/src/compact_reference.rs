//! The compact shapes as they were first written, over `serde_json`
//! values: each record turned into a value tree, compacted, then cut into
//! rows. Slow on large lists, but plain to read, so it stays as the
//! reference the tests hold `shape` (which writes the same text straight
//! from the typed records) to, answer by answer: while [`Reference`] is
//! held on a thread, `compact` answers that thread's calls this way.

use std::cell::Cell;
use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::{Map, Value};

use crate::error::ToolError;
use crate::output::List;

thread_local! {
    static ON: Cell<bool> = const { Cell::new(false) };
}

/// Whether `compact` answers this thread the reference way.
pub(crate) fn on() -> bool {
    ON.with(Cell::get)
}

/// While held, `compact` answers this thread the reference way.
pub(crate) struct Reference(());

impl Reference {
    pub(crate) fn enter() -> Self {
        ON.with(|on| on.set(true));
        Self(())
    }
}

impl Drop for Reference {
    fn drop(&mut self) {
        ON.with(|on| on.set(false));
    }
}

/// What every record says alike, and the columns of the rows.
type Rows = Option<(Map<String, Value>, Vec<String>)>;

/// Compact records as a list (rows of columns when two or more objects).
pub(crate) fn table(items: Vec<Value>) -> Result<(List, Rows), ToolError> {
    let (every, columns) = {
        let objects: Option<Vec<&Map<String, Value>>> =
            items.iter().map(Value::as_object).collect();
        let Some(objects) = objects.filter(|o| o.len() > 1) else {
            return Ok((List::new(items)?, None));
        };
        let first = objects[0];
        let every: Map<String, Value> = first
            .iter()
            .filter(|(k, v)| objects[1..].iter().all(|o| o.get(*k) == Some(*v)))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        let mut columns: Vec<String> = Vec::new();
        for o in &objects {
            for k in o.keys() {
                if !every.contains_key(k) && !columns.contains(k) {
                    columns.push(k.clone());
                }
            }
        }
        (every, columns)
    };
    let rows = items.into_iter().map(|v| match v {
        Value::Object(mut o) => Value::Array(
            columns
                .iter()
                .map(|c| o.remove(c).unwrap_or(Value::Null))
                .collect(),
        ),
        other => other,
    });
    Ok((List::new(rows)?, Some((every, columns))))
}

/// A record in its compact shape, its references noted in the tables.
pub(crate) fn record(
    projects: &mut BTreeMap<String, String>,
    emails: &mut BTreeMap<String, String>,
    item: impl Serialize,
) -> Result<Value, ToolError> {
    let v = serde_json::to_value(item)
        .map_err(|e| ToolError::File(format!("could not encode the answer: {e}")))?;
    let mut refs = Refs {
        projects: std::mem::take(projects),
        emails: std::mem::take(emails),
    };
    let v = refs.value(v);
    *projects = refs.projects;
    *emails = refs.emails;
    Ok(v)
}

/// Fields that hold one person.
const PERSON: &[&str] = &["user_from", "user_to", "assignee", "author"];

/// Fields that hold a list of people.
const PEOPLE: &[&str] = &["subscribers"];

struct Refs {
    projects: BTreeMap<String, String>,
    emails: BTreeMap<String, String>,
}

impl Refs {
    /// `v` in its compact shape, its references noted.
    fn value(&mut self, v: Value) -> Value {
        match v {
            Value::Object(o) => Value::Object(self.object(o)),
            Value::Array(a) => Value::Array(a.into_iter().map(|x| self.value(x)).collect()),
            other => other,
        }
    }

    fn object(&mut self, o: Map<String, Value>) -> Map<String, Value> {
        let mut out = Map::with_capacity(o.len());
        for (k, v) in o {
            if is_empty(&v) {
                continue;
            }
            if PERSON.contains(&k.as_str()) {
                out.insert(k, self.person(v));
            } else if PEOPLE.contains(&k.as_str()) {
                let v = match v {
                    Value::Array(a) => {
                        Value::Array(a.into_iter().map(|p| self.person(p)).collect())
                    }
                    other => other,
                };
                out.insert(k, v);
            } else if k == "project" && v.get("id").is_some() {
                if let Some(id) = self.project(&v) {
                    out.insert("project_id".into(), Value::String(id));
                } else {
                    out.insert(k, self.value(v));
                }
            } else {
                out.insert(k, self.value(v));
            }
        }
        short_page(out)
    }

    /// `{id, name}`, the email noted; anything else about the person kept.
    fn person(&mut self, v: Value) -> Value {
        let Value::Object(mut p) = v else {
            return v;
        };
        let Some(id) = p.get("id").and_then(id_text) else {
            return Value::Object(self.object(p));
        };
        if let Some(Value::String(email)) = p.remove("email")
            && !email.is_empty()
        {
            self.emails.insert(id, email);
        }
        Value::Object(self.object(p))
    }

    /// The project's id, its name noted; `None` when the project holds
    /// more than an id, a name and its page (then it stays as it is).
    fn project(&mut self, v: &Value) -> Option<String> {
        let p = v.as_object()?;
        let id = p.get("id").and_then(id_text)?;
        let page = format!("/project/{id}/");
        let plain = p.iter().all(|(k, v)| match k.as_str() {
            "id" => true,
            "name" => v.is_string(),
            "page" => v.as_str().is_none_or(|s| s.is_empty() || s == page),
            _ => is_empty(v),
        });
        if !plain {
            return None;
        }
        let name = p.get("name").and_then(Value::as_str).unwrap_or_default();
        self.projects.insert(id.clone(), name.to_owned());
        Some(id)
    }
}

fn short_page(o: Map<String, Value>) -> Map<String, Value> {
    let (Some(Value::String(id)), Some(Value::String(page)), Some(Value::String(project))) =
        (o.get("id"), o.get("page"), o.get("project_id"))
    else {
        return o;
    };
    let parts: Vec<&str> = page.split('/').filter(|s| !s.is_empty()).collect();
    let parent = match parts.as_slice() {
        ["project", p, t] if p == project && t == id => None,
        ["project", p, parent, t] if p == project && t == id => Some(parent.to_string()),
        _ => return o,
    };
    o.into_iter()
        .filter_map(|(k, v)| match (k.as_str(), &parent) {
            ("page", None) => None,
            ("page", Some(parent)) => Some(("parent_id".to_owned(), Value::String(parent.clone()))),
            _ => Some((k, v)),
        })
        .collect()
}

fn id_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// Null, `""`, `[]` or `{}`: nothing to say.
pub(crate) fn is_empty(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::String(s) => s.is_empty(),
        Value::Array(a) => a.is_empty(),
        Value::Object(o) => o.is_empty(),
        _ => false,
    }
}

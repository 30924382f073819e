//! Compact shapes: what an answer's records look like to the assistant.
//!
//! Worksection repeats whole nested objects on every record: a task names
//! its project (`{id, name, page}`) and both its people (`{id, email,
//! name}`), a comment and an event their author, a file its uploader. An
//! answer here names each person inline as `{id, name}` and each project
//! as `project_id`, and says once, beside the list, what that leaves out:
//! `projects` (project id → name) and `emails` (person id → email). A
//! task's page (`/project/{project}/{parent}/{task}/`) says no more than
//! its ids, so only a subtask's `parent_id` is kept of it. Empty and null
//! fields are dropped. No fact is lost: every name, email and page can be
//! read back from the answer.
//!
//! [`Refs`] does this to any serialized record (a task, a comment, an
//! event…) by the field names Worksection uses, so every tool shapes its
//! records the same way. Only records are compacted: an object answer holds
//! them as [`Record`]s beside its own fields, which are written as they are
//! (what its schema requires is never dropped), with their [`Tables`]
//! (`tools::answer`). A list of records ([`table`]) then says once what
//! every record says alike (`every`: `{"status": "active"}` in a list of
//! open tasks) and gives the records as rows of `columns` (`null` where a
//! record has no such field), which spares the field names repeated on
//! every record: about a third of a list's bytes. The tables go first in
//! the answer, the rows last (see `output`).

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::Serialize;
use serde_json::{Map, Value};

use crate::error::ToolError;
use crate::output::List;

/// A list answer of records in their compact shape, with their tables.
pub fn list<T: Serialize>(items: impl IntoIterator<Item = T>) -> Result<List, ToolError> {
    let mut refs = Refs::new();
    let items = refs.records(items)?;
    table(refs, items)
}

/// Compact records as a list answer: its reference tables, then what every
/// record says alike (`every`), then the records as rows of `columns`
/// (two records or more; a single record stays an object).
pub fn table(refs: Refs, items: Vec<Value>) -> Result<List, ToolError> {
    let (every, columns) = {
        let objects: Option<Vec<&Map<String, Value>>> =
            items.iter().map(Value::as_object).collect();
        let Some(objects) = objects.filter(|o| o.len() > 1) else {
            return Ok(refs.into_list(List::new(items)?));
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
    // Each record becomes its row and is written out at once, so the
    // records, their rows and their text are never all held together.
    let rows = items.into_iter().map(|v| match v {
        Value::Object(mut o) => Value::Array(
            columns
                .iter()
                .map(|c| o.remove(c).unwrap_or(Value::Null))
                .collect(),
        ),
        other => other,
    });
    let mut list = refs.into_list(List::new(rows)?);
    if !every.is_empty() {
        list = list.field("every", every);
    }
    Ok(list.field("columns", columns))
}

/// The first record of a list answer as one object: a row of `columns`
/// read back with `every` (the reverse of [`table`]), for code that reads
/// answers itself (the check).
pub fn first_record(body: &Value) -> Option<Value> {
    let first = body.get("data")?.as_array()?.first()?;
    let (Some(Value::Array(columns)), Value::Array(row)) = (body.get("columns"), first) else {
        return Some(first.clone());
    };
    let mut record = body
        .get("every")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    for (column, value) in columns.iter().zip(row) {
        if let (Some(column), false) = (column.as_str(), value.is_null()) {
            record.insert(column.to_owned(), value.clone());
        }
    }
    Some(Value::Object(record))
}

/// A record from Worksection, compact: its empty fields left out, people
/// as `{id, name}`, projects by `project_id`. (Its schema says no more:
/// what Worksection sends varies by record, account and `extra`.)
#[derive(Debug, Clone, Default, PartialEq, Serialize, JsonSchema)]
#[serde(transparent)]
pub struct Record(pub Map<String, Value>);

/// The tables of an answer's records, each left out when empty: `projects`
/// (project id → name, for the records' `project_id`) and `emails` (person
/// id → email, for the people named `{id, name}`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, JsonSchema)]
pub struct Tables {
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub projects: BTreeMap<String, String>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub emails: BTreeMap<String, String>,
}

/// Fields that hold one person.
const PERSON: &[&str] = &["user_from", "user_to", "assignee", "author"];

/// Fields that hold a list of people.
const PEOPLE: &[&str] = &["subscribers"];

/// The projects and people an answer's records refer to, each named once.
#[derive(Debug, Default)]
pub struct Refs {
    projects: BTreeMap<String, String>,
    emails: BTreeMap<String, String>,
}

impl Refs {
    pub fn new() -> Self {
        Self::default()
    }

    /// A record in its compact shape.
    pub fn record(&mut self, item: impl Serialize) -> Result<Value, ToolError> {
        let v = serde_json::to_value(item)
            .map_err(|e| ToolError::File(format!("could not encode the answer: {e}")))?;
        Ok(self.value(v))
    }

    /// A record in its compact shape, for an answer's field; an error when
    /// it is not an object.
    pub fn compact(&mut self, item: impl Serialize) -> Result<Record, ToolError> {
        match self.record(item)? {
            Value::Object(o) => Ok(Record(o)),
            other => Err(ToolError::File(format!(
                "could not encode the answer: a record is {}, not an object",
                crate::args::shorten(&other.to_string())
            ))),
        }
    }

    /// Notes a project's name, for records that name it by `project_id`
    /// only.
    pub fn note_project(&mut self, id: impl Into<String>, name: impl Into<String>) {
        self.projects.insert(id.into(), name.into());
    }

    /// Records in their compact shape.
    pub fn records<T: Serialize>(
        &mut self,
        items: impl IntoIterator<Item = T>,
    ) -> Result<Vec<Value>, ToolError> {
        items.into_iter().map(|i| self.record(i)).collect()
    }

    /// `v` in its compact shape, its references noted.
    pub fn value(&mut self, v: Value) -> Value {
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

    /// Adds the tables (those not empty) to a list answer, before its list.
    pub fn into_list(self, mut list: List) -> List {
        if !self.projects.is_empty() {
            list = list.field("projects", self.projects);
        }
        if !self.emails.is_empty() {
            list = list.field("emails", self.emails);
        }
        list
    }

    /// The tables, for a one-object answer.
    pub fn tables(self) -> Tables {
        Tables {
            projects: self.projects,
            emails: self.emails,
        }
    }
}

/// A task's page says its project, its parent and itself: with the
/// project and the task at hand, only the parent (of a subtask) is left to
/// say, as `parent_id`.
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
pub fn is_empty(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::String(s) => s.is_empty(),
        Value::Array(a) => a.is_empty(),
        Value::Object(o) => o.is_empty(),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn people_and_projects_become_references_and_nothing_is_lost() {
        let mut refs = Refs::new();
        let task = json!({
            "id": "7", "name": "Landing", "page": "/project/3/7/", "text": "",
            "user_from": {"id": "1", "email": "ann@x.io", "name": "Ann"},
            "user_to": {"id": "2", "email": "NOONE", "name": "Nobody"},
            "project": {"id": "3", "name": "Site", "page": "/project/3/"},
            "tags": {}, "max_time": 0, "has_comments": false,
            "child": [{"id": "8", "page": "/project/3/7/8/", "project": {"id": "3", "name": "Site"},
                       "user_to": {"id": "1", "email": "ann@x.io", "name": "Ann"}, "date_end": null}],
            "subscribers": [{"id": "1", "email": "ann@x.io", "name": "Ann"}],
        });
        let got = refs.value(task);
        assert_eq!(
            got,
            json!({
                "id": "7", "name": "Landing",
                "user_from": {"id": "1", "name": "Ann"},
                "user_to": {"id": "2", "name": "Nobody"},
                "project_id": "3",
                "max_time": 0, "has_comments": false,
                "child": [{"id": "8", "parent_id": "7", "project_id": "3", "user_to": {"id": "1", "name": "Ann"}}],
                "subscribers": [{"id": "1", "name": "Ann"}],
            })
        );
        assert_eq!(
            serde_json::to_value(refs.tables()).expect("json"),
            json!({"projects": {"3": "Site"}, "emails": {"1": "ann@x.io", "2": "NOONE"}})
        );
    }

    #[test]
    fn a_list_is_rows_of_columns_with_what_every_record_shares_said_once() {
        let items = vec![
            json!({"id": "1", "status": "active", "project": {"id": "3", "name": "Site"}, "priority": 2}),
            json!({"id": "2", "status": "active", "project": {"id": "3", "name": "Site"}, "date_end": "2026-01-02"}),
        ];
        let a = list(items).and_then(List::finish).expect("list");
        let body = a.into_body();
        assert_eq!(body["projects"], json!({"3": "Site"}));
        assert_eq!(
            body["every"],
            json!({"status": "active", "project_id": "3"})
        );
        assert_eq!(body["columns"], json!(["id", "priority", "date_end"]));
        assert_eq!(
            body["data"],
            json!([["1", 2, null], ["2", null, "2026-01-02"]])
        );
        // Read back, the first row is its record again.
        assert_eq!(
            first_record(&Value::Object(body.clone())),
            Some(json!({"id": "1", "status": "active", "project_id": "3", "priority": 2}))
        );
        // One record stays an object.
        let a = list([json!({"id": "1", "name": ""})])
            .and_then(List::finish)
            .expect("list");
        let body = a.into_body();
        assert_eq!(body["data"], json!([{"id": "1"}]));
        assert_eq!(
            first_record(&Value::Object(body.clone())),
            Some(json!({"id": "1"}))
        );
    }

    #[test]
    fn a_project_with_more_than_a_name_stays_whole() {
        let mut refs = Refs::new();
        let v = json!({"project": {"id": 3, "name": "Site", "status": "active"}});
        assert_eq!(refs.value(v.clone()), v);
        assert_eq!(refs.tables(), Tables::default());
    }
}

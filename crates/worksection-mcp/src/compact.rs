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
use crate::shape::{self, Note};

/// A list answer of records in their compact shape, with their tables.
pub fn list<T: Serialize>(items: impl IntoIterator<Item = T>) -> Result<List, ToolError> {
    let mut refs = Refs::new();
    #[cfg(test)]
    if crate::compact_reference::on() {
        let items = refs.records(items)?;
        return table(refs, items);
    }
    let records = items
        .into_iter()
        .map(|item| refs.shaped(&item))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(rows(refs, records))
}

/// Compact records as a list answer: its reference tables, then what every
/// record says alike (`every`), then the records as rows of `columns`
/// (two records or more; a single record stays an object).
pub fn table(refs: Refs, items: Vec<Value>) -> Result<List, ToolError> {
    #[cfg(test)]
    if crate::compact_reference::on() {
        let (list, rows) = crate::compact_reference::table(items)?;
        let mut list = refs.into_list(list);
        if let Some((every, columns)) = rows {
            if !every.is_empty() {
                list = list.field("every", every);
            }
            list = list.field("columns", columns);
        }
        return Ok(list);
    }
    Ok(rows(refs, items.iter().map(shape::Record::plain).collect()))
}

fn rows(refs: Refs, records: Vec<shape::Record>) -> List {
    let table = shape::table(records);
    let mut list = refs.into_list(List::from_texts(table.items));
    if let Some(columns) = table.columns {
        if !table.every.is_empty() {
            list = list.field("every", table.every);
        }
        list = list.field("columns", columns);
    }
    list
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
        #[cfg(test)]
        if crate::compact_reference::on() {
            return crate::compact_reference::record(&mut self.projects, &mut self.emails, item);
        }
        let text = self.shaped(&item)?.into_text();
        serde_json::from_str(&text).map_err(encode_error)
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

    /// A record in its compact shape, as its fields' text; what it refers
    /// to is noted.
    fn shaped(&mut self, item: &impl Serialize) -> Result<shape::Record, ToolError> {
        let mut notes = Vec::new();
        let record = shape::record(item, &mut notes).map_err(encode_error)?;
        for note in notes {
            match note {
                Note::Project { id, name } => self.projects.insert(id, name),
                Note::Email { id, email } => self.emails.insert(id, email),
            };
        }
        Ok(record)
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

fn encode_error(e: serde_json::Error) -> ToolError {
    ToolError::File(format!("could not encode the answer: {e}"))
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
        let got = refs.record(task).expect("record");
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
        assert_eq!(refs.record(v.clone()).expect("record"), v);
        assert_eq!(refs.tables(), Tables::default());
    }
}

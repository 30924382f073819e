//! Properties of the compact shapes, over arbitrary records: compacted
//! (`compact::list`, `RecordAnswer`) and read back (`expand`, the reverse
//! of what `TOOLS.md` says the shapes do), every record comes back, less
//! only its empty and null fields; and every answer built from them
//! validates against its tool's output schema.
//!
//! The records are task-like, as Worksection sends them: an id, a page that
//! says the project (and parent) it belongs to, people as `{id, email,
//! name, ...}` with one email per person, projects as `{id, name, page}`
//! (one name per project) or with more in them, subtasks, and any other
//! fields with any JSON in them (empty and null values included).

use std::collections::BTreeMap;

use proptest::prelude::*;
use serde_json::{Map, Value, json};

use super::answer::{Listed, Nothing, Object, RecordAnswer, Shaped};
use crate::compact;

/// Fields that hold people, as `compact` knows them.
const PERSON: [&str; 4] = ["user_from", "user_to", "assignee", "author"];

/// Names of the other fields: none of the names `compact` gives a meaning.
const PLAIN: [&str; 10] = [
    "status",
    "priority",
    "text",
    "date_end",
    "tags",
    "max_time",
    "has_comments",
    "files",
    "custom",
    "comment",
];

/// The people and projects records may name: (id, name, email) and (id,
/// name).
fn people() -> Vec<(Value, &'static str, &'static str)> {
    vec![
        (json!("1"), "Ann", "ann@example.com"),
        (json!("2"), "", "NOONE"),
        (json!("3"), "Bo", ""),
        (json!(4), "Cy", "cy@example.com"),
        (json!("5"), "Dee Ли", "dee@example.com"),
    ]
}

fn projects() -> Vec<(&'static str, &'static str)> {
    vec![("10", "Site"), ("11", ""), ("12", "Сайт \"2\"")]
}

/// Any JSON value, empty ones often.
fn any_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        Just(json!("")),
        Just(json!([])),
        Just(json!({})),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        (-100_000i64..100_000).prop_map(|n| json!(n as f64 / 100.0)),
        "[a-zA-Z0-9 :/.\"\\\\é\n-]{0,12}".prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::vec((prop::sample::select(PLAIN.to_vec()), inner), 0..4)
                .prop_map(|kv| Value::Object(kv.into_iter().map(|(k, v)| (k.into(), v)).collect())),
        ]
    })
}

fn person() -> impl Strategy<Value = Value> {
    (
        prop::sample::select(people()),
        any::<bool>(),
        prop::option::of(any_value()),
    )
        .prop_map(|((id, name, email), with_email, more)| {
            let mut p = Map::new();
            p.insert("id".into(), id);
            p.insert("name".into(), json!(name));
            if with_email || !email.is_empty() {
                p.insert("email".into(), json!(email));
            }
            if let Some(v) = more {
                p.insert("avatar".into(), v);
            }
            Value::Object(p)
        })
}

/// A project as records name it: plain (`{id, name, page}`) or with more.
fn project() -> impl Strategy<Value = Value> {
    (
        prop::sample::select(projects()),
        prop::option::of(any_value()),
    )
        .prop_map(|((id, name), more)| {
            let mut p = json!({"id": id, "name": name, "page": format!("/project/{id}/")});
            if let Some(v) = more {
                p["status"] = v;
            }
            p
        })
}

/// A task-like record: `id`, page, project, people, other fields, and
/// (at `depth` > 0) subtasks.
fn record(depth: u32) -> BoxedStrategy<Value> {
    let children = if depth == 0 {
        Just(None).boxed()
    } else {
        prop::option::of(prop::collection::vec(record(depth - 1), 0..3)).boxed()
    };
    (
        1u64..1_000_000,
        prop::option::of(project()),
        prop::option::of(1u64..1_000_000),
        prop::collection::vec((prop::sample::select(PERSON.to_vec()), person()), 0..3),
        prop::option::of(prop::collection::vec(person(), 0..3)),
        prop::collection::vec((prop::sample::select(PLAIN.to_vec()), any_value()), 0..5),
        "[a-zA-Z ]{0,8}",
        children,
    )
        .prop_map(
            |(id, project, parent, persons, subscribers, fields, name, child)| {
                let id = id.to_string();
                let mut r = Map::new();
                r.insert("id".into(), json!(id));
                r.insert("name".into(), json!(name));
                match &project {
                    // A task's page says its project, and its parent.
                    Some(p) => {
                        let pid = p["id"].as_str().unwrap_or_default();
                        let page = match parent {
                            Some(parent) => format!("/project/{pid}/{parent}/{id}/"),
                            None => format!("/project/{pid}/{id}/"),
                        };
                        r.insert("page".into(), json!(page));
                    }
                    None if parent.is_some() => {
                        r.insert("page".into(), json!(format!("/task/{id}/")));
                    }
                    None => {}
                }
                if let Some(p) = project {
                    r.insert("project".into(), p);
                }
                for (k, p) in persons {
                    r.insert(k.into(), p);
                }
                if let Some(s) = subscribers {
                    r.insert("subscribers".into(), Value::Array(s));
                }
                for (k, v) in fields {
                    r.insert(k.into(), v);
                }
                if let Some(c) = child {
                    r.insert("child".into(), Value::Array(c));
                }
                Value::Object(r)
            },
        )
        .boxed()
}

/// What compacting keeps of a record: every field but the empty and null
/// ones (`null`, `""`, `[]`, `{}`), at any depth.
fn without_empty(v: &Value) -> Value {
    match v {
        Value::Object(o) => Value::Object(
            o.iter()
                .filter(|(_, v)| !crate::compact_reference::is_empty(v))
                .map(|(k, v)| (k.clone(), without_empty(v)))
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.iter().map(without_empty).collect()),
        other => other.clone(),
    }
}

/// The records of a list answer, read back: rows of `columns` with `every`
/// again as objects, then each record restored from the tables.
fn expand(body: &Map<String, Value>) -> Vec<Value> {
    let tables = Tables::of(body);
    let every = body.get("every").and_then(Value::as_object);
    let columns = body.get("columns").and_then(Value::as_array);
    let rows = body
        .get("data")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    rows.into_iter()
        .map(|row| {
            let record = match (columns, row) {
                (Some(columns), Value::Array(row)) => {
                    let mut r = every.cloned().unwrap_or_default();
                    for (c, v) in columns.iter().zip(row) {
                        if let (Some(c), false) = (c.as_str(), v.is_null()) {
                            r.insert(c.to_owned(), v);
                        }
                    }
                    Value::Object(r)
                }
                (_, record) => record,
            };
            tables.restore(record)
        })
        .collect()
}

/// `projects` and `emails`, as an answer gives them.
struct Tables {
    projects: BTreeMap<String, String>,
    emails: BTreeMap<String, String>,
}

impl Tables {
    fn of(body: &Map<String, Value>) -> Self {
        let table = |key: &str| -> BTreeMap<String, String> {
            body.get(key)
                .and_then(|t| serde_json::from_value(t.clone()).ok())
                .unwrap_or_default()
        };
        Self {
            projects: table("projects"),
            emails: table("emails"),
        }
    }

    /// A record with what the compact shape says by reference said in
    /// full again: a person's email, a project, a task's page.
    fn restore(&self, v: Value) -> Value {
        match v {
            Value::Object(o) => {
                let mut out = Map::new();
                let project = o
                    .get("project_id")
                    .and_then(Value::as_str)
                    .map(str::to_owned);
                let id = o.get("id").and_then(Value::as_str).map(str::to_owned);
                if let (Some(p), Some(id), false) = (&project, &id, o.contains_key("page")) {
                    let page = match o.get("parent_id").and_then(Value::as_str) {
                        Some(parent) => format!("/project/{p}/{parent}/{id}/"),
                        None => format!("/project/{p}/{id}/"),
                    };
                    out.insert("page".into(), json!(page));
                }
                for (k, v) in o {
                    match k.as_str() {
                        "parent_id" if project.is_some() => {}
                        "project_id" => {
                            let id = v.as_str().unwrap_or_default();
                            let mut p = Map::new();
                            p.insert("id".into(), json!(id));
                            if let Some(name) = self.projects.get(id).filter(|n| !n.is_empty()) {
                                p.insert("name".into(), json!(name));
                            }
                            p.insert("page".into(), json!(format!("/project/{id}/")));
                            out.insert("project".into(), Value::Object(p));
                        }
                        k if PERSON.contains(&k) => {
                            out.insert(k.to_owned(), self.person(v));
                        }
                        "subscribers" => {
                            let v = match v {
                                Value::Array(a) => {
                                    Value::Array(a.into_iter().map(|p| self.person(p)).collect())
                                }
                                other => self.restore(other),
                            };
                            out.insert(k, v);
                        }
                        _ => {
                            out.insert(k, self.restore(v));
                        }
                    }
                }
                Value::Object(out)
            }
            Value::Array(a) => Value::Array(a.into_iter().map(|v| self.restore(v)).collect()),
            other => other,
        }
    }

    fn person(&self, v: Value) -> Value {
        let mut v = self.restore(v);
        let id = match v.get("id") {
            Some(Value::String(s)) => Some(s.clone()),
            Some(Value::Number(n)) => Some(n.to_string()),
            _ => None,
        };
        if let (Some(id), Some(o)) = (id, v.as_object_mut())
            && let Some(email) = self.emails.get(&id)
        {
            o.insert("email".into(), json!(email));
        }
        v
    }
}

fn validator<R: Shaped>() -> jsonschema::Validator {
    let schema = Value::Object(R::output_schema());
    jsonschema::draft202012::new(&schema).expect("schema compiles")
}

fn valid(v: &jsonschema::Validator, answer: &Value) -> Result<(), TestCaseError> {
    let errors: Vec<String> = v.iter_errors(answer).map(|e| e.to_string()).collect();
    prop_assert!(errors.is_empty(), "{errors:?} in {answer}");
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn a_list_of_records_reads_back_less_only_its_empty_fields(
        records in prop::collection::vec(record(1), 0..6)
    ) {
        let list = compact::list(&records).expect("compact");
        let answer = Listed::new(list, Nothing {}).expect("answer").into_answer();
        let (Ok(list), _) = answer.into_parts() else {
            panic!("a list answer");
        };
        let whole = list.whole();
        let back = expand(&whole);
        let want: Vec<Value> = records.iter().map(without_empty).collect();
        prop_assert_eq!(back, want);
        let v = validator::<Listed<Nothing>>();
        valid(&v, &Value::Object(whole))?;
        // The first page within a small budget validates too.
        let page = crate::output::page(&list, 0, Some(2), 400, &Map::new());
        valid(&v, &Value::Object(page.body))?;
    }

    #[test]
    fn a_record_alone_reads_back_less_only_its_empty_fields(record in record(2)) {
        let answer = Object::new(RecordAnswer::new(&record).expect("a record")).expect("answer");
        let body = answer.into_answer().into_body();
        valid(&validator::<Object<RecordAnswer>>(), &Value::Object(body.clone()))?;
        let tables = Tables::of(&body);
        let mut fields = body;
        fields.shift_remove("projects");
        fields.shift_remove("emails");
        let back = tables.restore(Value::Object(fields));
        prop_assert_eq!(back, without_empty(&record));
    }
}

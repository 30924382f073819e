//! The simulator answers every read action in the shape of Worksection's own
//! examples.
//!
//! For each read action of the Postman collection in `shared/`, the success
//! example's request is replayed against the simulator (ids swapped for ids
//! of the generated account) and every field of the example must appear in
//! the answer with the same JSON type, recursively. Error examples are
//! replayed with ids that do not exist and must answer the same
//! `status_code` and `message`.

mod common;

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;
use worksection_sim::Simulator;
use worksection_sim::data::{Attachment, TaskStatus};

const COLLECTION: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../../shared/worksection-api/ws_client_api_postman_collection.json"
);

const READ_ACTIONS: &[&str] = &[
    "me",
    "get_users",
    "get_user_groups",
    "get_contacts",
    "get_contact_groups",
    "get_projects",
    "get_project",
    "get_project_groups",
    "get_events",
    "get_all_tasks",
    "get_tasks",
    "get_task",
    "search_tasks",
    "get_comments",
    "get_task_tags",
    "get_task_tag_groups",
    "get_project_tags",
    "get_project_tag_groups",
    "get_costs",
    "get_costs_total",
    "get_timers",
    "get_my_timer",
    "get_files",
    "download",
    "get_webhooks",
];

struct Example {
    action: String,
    query: Vec<(String, String)>,
    body: String,
}

fn examples() -> Vec<Example> {
    let text = std::fs::read_to_string(COLLECTION)
        .expect("the shared API collection is beside the repository");
    let collection: Value = serde_json::from_str(&text).expect("collection is JSON");
    let mut out = Vec::new();
    for group in collection["item"].as_array().expect("groups") {
        for item in group["item"].as_array().expect("items") {
            let name = item["name"].as_str().unwrap_or_default();
            if !READ_ACTIONS.contains(&name) {
                continue;
            }
            for resp in item["response"].as_array().into_iter().flatten() {
                let query = resp["originalRequest"]["url"]["query"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter(|q| q["disabled"] != Value::Bool(true))
                    .map(|q| {
                        (
                            q["key"].as_str().unwrap_or_default().to_owned(),
                            q["value"].as_str().unwrap_or_default().to_owned(),
                        )
                    })
                    .collect();
                out.push(Example {
                    action: name.to_owned(),
                    query,
                    body: resp["body"].as_str().unwrap_or_default().to_owned(),
                });
            }
        }
    }
    out
}

/// The JSON types a field takes across the elements of a list, recursively.
#[derive(Debug, Default)]
struct Shape {
    types: BTreeSet<&'static str>,
    fields: BTreeMap<String, Shape>,
    items: Option<Box<Shape>>,
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// Objects keyed by ids (`tags: {"105554": "inner"}`) are maps, not records.
fn is_id_map(m: &serde_json::Map<String, Value>) -> bool {
    !m.is_empty() && m.keys().all(|k| k.chars().all(|c| c.is_ascii_digit()))
}

impl Shape {
    fn add(&mut self, v: &Value) {
        self.types.insert(kind(v));
        match v {
            Value::Object(m) if is_id_map(m) => {
                let items = self.items.get_or_insert_with(Box::default);
                m.values().for_each(|x| items.add(x));
            }
            Value::Object(m) => {
                for (k, x) in m {
                    self.fields.entry(k.clone()).or_default().add(x);
                }
            }
            Value::Array(a) => {
                let items = self.items.get_or_insert_with(Box::default);
                a.iter().for_each(|x| items.add(x));
            }
            _ => {}
        }
    }

    fn of(v: &Value) -> Self {
        let mut s = Shape::default();
        s.add(v);
        s
    }

    /// Every field and type of `self` (the example) is in `other` (the simulator).
    fn missing_in(&self, other: &Shape, path: &str, out: &mut Vec<String>) {
        for t in &self.types {
            // An empty example list says nothing about its items' type.
            if !other.types.contains(t) {
                out.push(format!(
                    "{path}: example is {t}, simulator gives {:?}",
                    other.types
                ));
            }
        }
        for (k, sub) in &self.fields {
            match other.fields.get(k) {
                Some(o) => sub.missing_in(o, &format!("{path}.{k}"), out),
                None => out.push(format!("{path}.{k}: missing in the simulator's answer")),
            }
        }
        if let (Some(a), Some(b)) = (&self.items, &other.items) {
            a.missing_in(b, &format!("{path}[]"), out);
        } else if self.items.as_ref().is_some_and(|a| !a.types.is_empty()) {
            out.push(format!("{path}[]: the simulator's list is empty"));
        }
    }
}

/// Ids of the generated account that have what the examples show: a
/// project with tasks and files, a task with comments, subtasks, relations
/// and files.
struct Ids {
    project_with_files: String,
    project_with_tasks: String,
    task: String,
    file: String,
    search_word: String,
}

fn pick_ids(sim: &Simulator) -> Ids {
    let d = sim.dataset();
    // The task with the most of what the examples show: comments (with
    // files), files, subtasks with subtasks, relations both ways, times and
    // limits, in a project with dates, limits and tags.
    let score = |t: &worksection_sim::data::Task| -> usize {
        let project = d.projects.iter().find(|p| p.id == t.project);
        let kids: Vec<u64> = d
            .tasks
            .iter()
            .filter(|c| c.parent == Some(t.id))
            .map(|c| c.id)
            .collect();
        let comments: Vec<u64> = d
            .comments
            .iter()
            .filter(|c| c.task == t.id)
            .map(|c| c.id)
            .collect();
        [
            !comments.is_empty(),
            d.files
                .iter()
                .any(|f| f.attached_to == Attachment::Task(t.id)),
            d.files
                .iter()
                .any(|f| matches!(f.attached_to, Attachment::Comment(c) if comments.contains(&c))),
            d.tasks
                .iter()
                .any(|g| g.parent.is_some_and(|p| kids.contains(&p))),
            d.relations.iter().any(|r| r.from == t.id),
            d.relations.iter().any(|r| r.to == t.id),
            t.time_start.is_some() && t.max_time.is_some() && t.max_money.is_some(),
            project.is_some_and(|p| {
                p.date_start.is_some()
                    && p.date_end.is_some()
                    && p.max_time.is_some()
                    && !p.tags.is_empty()
            }),
        ]
        .iter()
        .filter(|b| **b)
        .count()
    };
    let rich_task = d
        .tasks
        .iter()
        .filter(|t| t.parent.is_none())
        .max_by_key(|t| score(t))
        .expect("tasks exist");
    assert_eq!(score(rich_task), 8, "some task has every optional block");
    let project_with_files = d
        .files
        .iter()
        .find_map(|f| match f.attached_to {
            Attachment::Project(p) => Some(p),
            _ => None,
        })
        .expect("a project has files");
    let search_word = rich_task
        .name
        .split_whitespace()
        .next()
        .unwrap_or("a")
        .to_owned();
    Ids {
        project_with_files: project_with_files.to_string(),
        project_with_tasks: rich_task.project.to_string(),
        task: rich_task.id.to_string(),
        file: d.files.first().expect("files exist").id.to_string(),
        search_word,
    }
}

#[tokio::test]
async fn every_read_action_answers_in_the_examples_shape() {
    let sim = common::start_unlimited().await;
    let token = common::sign_in(&sim, &format!("{},administrative", common::READ_SCOPES)).await;
    let token = token["access_token"]
        .as_str()
        .expect("access token")
        .to_owned();
    let ids = pick_ids(&sim);
    assert!(
        sim.dataset()
            .tasks
            .iter()
            .any(|t| t.status == TaskStatus::Done),
        "the dataset has done tasks"
    );
    let mut problems = Vec::new();
    let mut checked = BTreeSet::new();
    for ex in examples() {
        let expected: Value = match json5::from_str(&ex.body) {
            Ok(v) => v,
            // `download`'s example is the raw file.
            Err(_) => {
                assert_eq!(ex.action, "download", "only download's example is not JSON");
                continue;
            }
        };
        let is_error = expected["status"] == "error";
        let query: Vec<(String, String)> = ex
            .query
            .iter()
            .map(|(k, v)| {
                let v = match (k.as_str(), is_error) {
                    ("id_project" | "id_task" | "id_file", true) => "999999999".to_owned(),
                    ("id_project", false) if ex.action == "get_files" => {
                        ids.project_with_files.clone()
                    }
                    ("id_project", false) => ids.project_with_tasks.clone(),
                    ("id_task", false) => ids.task.clone(),
                    ("id_file", false) => ids.file.clone(),
                    ("filter", false) if ex.action == "search_tasks" => {
                        format!("name has '{}'", ids.search_word)
                    }
                    ("period", false) => "30d".to_owned(),
                    // Worksection's example requests list extras with spaces.
                    ("extra", _) => v.replace(' ', ""),
                    _ => v.clone(),
                };
                (k.clone(), v)
            })
            .collect();
        let pairs: Vec<(&str, &str)> = query
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let got = if ex.action == "me" || ex.action == "get_my_timer" {
            common::bearer(&sim, &token, &pairs).await
        } else {
            common::admin(&sim, &pairs).await
        };
        let label = format!(
            "{} ({})",
            ex.action,
            if is_error { "error" } else { "success" }
        );
        if is_error {
            for field in ["status", "status_code", "message", "message_details"] {
                if expected[field] != got[field] {
                    problems.push(format!(
                        "{label}: {field} is {} in the example, {} here",
                        expected[field], got[field]
                    ));
                }
            }
        } else {
            Shape::of(&expected).missing_in(&Shape::of(&got), &label, &mut problems);
        }
        checked.insert(ex.action.clone());
    }
    let unchecked: Vec<_> = READ_ACTIONS
        .iter()
        .filter(|a| !checked.contains(**a) && **a != "download")
        .collect();
    assert!(
        unchecked.is_empty(),
        "actions without an example: {unchecked:?}"
    );
    assert!(
        problems.is_empty(),
        "shape differences:\n{}",
        problems.join("\n")
    );
}

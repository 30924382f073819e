//! Every tool's answer, written by `shape` and by the reference, page
//! by page: byte for byte the same, over the demo and large accounts,
//! plain and with the simulator's quirks.

use std::sync::Arc;
use std::time::Duration;

use chrono::Duration as Days;
use rmcp::model::{JsonObject, Tool};
use serde::Serialize;
use serde_json::{Map, Value, json};
use worksection::Client;
use worksection::api::files::GetFiles;
use worksection::api::tags::TagQuery;
use worksection::api::tasks::{GetAllTasks, TaskExtra};
use worksection_sim::{DatasetKind, SimConfig, Simulator};

use super::{Ctx, Registry};
use crate::account::Account;
use crate::cache::ResponseCache;
use crate::compact_reference::Reference;
use crate::error::ToolError;
use crate::file_cache::FileCache;
use crate::output::{Answer, DEFAULT_ANSWER_TOKENS, List, page};

/// Ids to call the tools with.
#[derive(Default)]
struct Ids {
    project_id: Vec<String>,
    task_id: Vec<String>,
    user_id: Vec<String>,
    file_id: Vec<String>,
    tag: Vec<String>,
}

impl Ids {
    fn of(&self, name: &str) -> Option<&[String]> {
        Some(match name {
            "project_id" => &self.project_id,
            "task_id" => &self.task_id,
            "user_id" => &self.user_id,
            "file_id" => &self.file_id,
            "tag" => &self.tag,
            _ => return None,
        })
    }
}

async fn ids(ws: &Account) -> Ids {
    let mut ids = Ids::default();
    let projects = ws.projects(None, &[]).await.expect("projects");
    ids.project_id = projects.iter().map(|p| p.id.to_string()).collect();
    let tasks = ws
        .all_tasks(GetAllTasks::new().extra([TaskExtra::Subtasks, TaskExtra::Archive]))
        .await
        .expect("tasks");
    ids.task_id = tasks
        .iter()
        .flat_map(|t| t.flatten())
        .map(|t| t.id.to_string())
        .collect();
    ids.user_id = ws
        .users()
        .await
        .expect("users")
        .iter()
        .map(|u| u.id.to_string())
        .collect();
    for p in projects.iter().filter_map(|p| p.id.as_u64()) {
        let files = ws.files_of(GetFiles::Project(p)).await.expect("files");
        ids.file_id.extend(
            files
                .iter()
                .map(|f| f.id.to_string())
                .filter(|f| !f.is_empty()),
        );
    }
    ids.tag = ws
        .task_tags(TagQuery::default())
        .await
        .expect("tags")
        .iter()
        .map(|t| t.id.to_string())
        .collect();
    ids
}

/// The calls of one tool: its required arguments over every id (or the
/// first `per_id`), then each optional argument in each of its values.
fn calls_of(tool: &Tool, ids: &Ids, per_id: usize, today: chrono::NaiveDate) -> Vec<JsonObject> {
    let schema = &tool.input_schema;
    let props = schema
        .get("properties")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    let required: Vec<&str> = schema
        .get("required")
        .and_then(Value::as_array)
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let start = (today - Days::days(29)).format("%Y-%m-%d").to_string();
    let end = today.format("%Y-%m-%d").to_string();
    let values = |name: &str, spec: &Value| -> Vec<Value> {
        if let Some(ids) = ids.of(name) {
            return ids.iter().map(|i| json!(i)).collect();
        }
        if let Some(e) = spec.get("enum").and_then(Value::as_array) {
            return e.iter().filter(|v| !v.is_null()).cloned().collect();
        }
        match name {
            "date_start" => vec![json!(start)],
            "date_end" => vec![json!(end)],
            "priority" => vec![json!(0), json!(5)],
            "max_results" => vec![json!(3)],
            "include_files" | "is_timer" => vec![json!(true), json!(false)],
            // Every extra the description lists, at once.
            "extra" => spec
                .get("description")
                .and_then(Value::as_str)
                .and_then(|d| d.split_once(':'))
                .map(|(_, list)| {
                    let list: Vec<&str> = list
                        .split(',')
                        .map(|e| e.trim().trim_end_matches('.'))
                        .filter(|e| !e.is_empty())
                        .collect();
                    vec![json!(list.join(","))]
                })
                .unwrap_or_default(),
            _ => Vec::new(),
        }
    };
    let mut base = vec![JsonObject::new()];
    for name in &required {
        let spec = props.get(*name).cloned().unwrap_or_default();
        let mut vals = values(name, &spec);
        if vals.is_empty() {
            return Vec::new();
        }
        // The first required id runs over every id; the others take
        // their first value.
        let n = if ids.of(name).is_some() && base.len() == 1 {
            per_id
        } else {
            1
        };
        vals.truncate(n);
        base = base
            .into_iter()
            .flat_map(|b| {
                vals.iter().map(move |v| {
                    let mut b = b.clone();
                    b.insert((*name).into(), v.clone());
                    b
                })
            })
            .collect();
    }
    let mut out = base.clone();
    let Some(first) = base.first() else {
        return out;
    };
    for (name, spec) in &props {
        if required.contains(&name.as_str()) || matches!(name.as_str(), "limit" | "cursor") {
            continue;
        }
        for v in values(name, spec).into_iter().take(3) {
            let mut args = first.clone();
            args.insert(name.clone(), v);
            if name == "date_start" {
                args.insert("date_end".into(), json!(end));
            }
            out.push(args);
        }
    }
    out
}

/// Everything an answer says, as text: its error; or the whole list
/// and each page of it, or the object; and the blocks after the JSON.
fn said(answer: Result<Answer, ToolError>) -> Vec<String> {
    let answer = match answer {
        Err(e) => return vec![format!("error: {e}")],
        Ok(a) => a,
    };
    let mut out = Vec::new();
    let (body, blocks) = answer.into_parts();
    match body {
        Ok(list) => {
            out.push(list.whole_text());
            let mut offset = 0;
            loop {
                let p = page(&list, offset, None, DEFAULT_ANSWER_TOKENS, &Map::new());
                out.push(Value::Object(p.body).to_string());
                match p.next {
                    Some(next) => offset = next,
                    None => break,
                }
            }
        }
        Err(object) => out.push(Value::Object(object).to_string()),
    }
    out.push(serde_json::to_string(&blocks).unwrap_or_default());
    out
}

/// Calls every tool (but those whose answer moves by itself) both
/// ways; returns how many calls and pages were compared.
async fn sweep(dataset: DatasetKind, quirks: bool, per_id: usize) -> (usize, usize) {
    let sim = Simulator::start(SimConfig {
        dataset,
        quirks,
        rps: 0.0,
        ..SimConfig::default()
    })
    .await
    .expect("simulator");
    let info = sim.info().clone();
    let client = Client::builder()
        .account_url(info.account_url.clone())
        .api_key(info.api_key.clone())
        .requests_per_second(1000.0)
        .build()
        .expect("client");
    let dir = tempfile::tempdir().expect("temp dir");
    let ws = Arc::new(Account::new(
        client,
        ResponseCache::new(Duration::from_secs(3600)),
        FileCache::new(
            dir.path().join("files"),
            Duration::from_secs(3600),
            8 << 20,
            64 << 20,
        ),
        "test".into(),
    ));
    let ids = ids(&ws).await;
    let registry = Registry::new();
    let ctx = Ctx::new(ws.clone());
    let (mut calls, mut pages) = (0, 0);
    for tool in registry.list() {
        // Its latency moves from call to call; the offload readers read
        // what other calls stored.
        if matches!(
            tool.name.as_ref(),
            "health_check" | "get_offloaded_response_info" | "read_offloaded_response_text"
        ) {
            continue;
        }
        for args in calls_of(tool, &ids, per_id, ws.today()) {
            let call = || {
                registry
                    .call(&tool.name, ctx.clone(), args.clone())
                    .expect("tool")
            };
            let want = {
                let _reference = Reference::enter();
                said(call().await)
            };
            let got = said(call().await);
            assert_eq!(got.len(), want.len(), "{} {args:?}", tool.name);
            for (i, (got, want)) in got.iter().zip(&want).enumerate() {
                assert!(
                    got == want,
                    "{} {args:?} ({dataset:?}, quirks {quirks}), part {i}:\n new: {got}\n reference: {want}",
                    tool.name
                );
            }
            calls += 1;
            pages += got.len();
        }
    }
    (calls, pages)
}

/// Shapes no record of the simulator has, both ways.
#[test]
fn odd_shapes_are_written_as_the_reference_writes_them() {
    use std::collections::BTreeMap;

    #[derive(Serialize)]
    enum Odd {
        #[serde(rename = "user_to")]
        Person(Value),
        #[serde(rename = "subscribers")]
        People(Value, Value),
        #[serde(rename = "project")]
        Project {
            id: u32,
            name: &'static str,
        },
        Unit,
    }
    #[derive(Serialize)]
    struct Unit;
    #[derive(Serialize)]
    struct Flat {
        id: &'static str,
        page: &'static str,
        #[serde(flatten)]
        extra: Map<String, Value>,
    }
    let mut extra = Map::new();
    extra.insert("id".into(), json!("9"));
    extra.insert("project_id".into(), json!("3"));
    extra.insert(
        "user_from".into(),
        json!({"id": 1, "email": "a@x", "name": "A", "role": "r"}),
    );
    let flat = Flat {
        id: "7",
        page: "/project/3/8/9/",
        extra,
    };
    #[derive(Serialize)]
    struct Keys {
        k: BTreeMap<u32, f32>,
        b: BTreeMap<bool, Option<char>>,
        bytes: &'static [u8],
        t: (u8, Unit, Odd),
    }
    let keys = || Keys {
        k: [(1, 0.1), (2, f32::NAN)].into(),
        b: [(true, Some('é')), (false, None)].into(),
        bytes: b"ab",
        t: (1, Unit, Odd::Unit),
    };
    let records: Vec<Value> = vec![
        serde_json::to_value(Odd::Person(json!([{"id": 1, "email": "a@x"}]))).expect("v"),
        json!({"user_to": {"name": "no id", "email": "b@x", "tags": {}}}),
        json!({"subscribers": {"1": {"id": 1, "email": "c@x"}}, "project": {"id": "", "name": "x"}}),
        json!({"project": {"id": 3, "name": 4, "page": {"user_to": {"id": 5, "email": "d@x"}}}}),
        json!({"project": {"id": 3.5, "page": 7}, "assignee": {"id": 2, "email": "", "name": "E"}}),
        json!({"a": {"x": 1, "y": [0.0]}, "b": -0.0, "c": 1, "d": [{"author": {"id": "1", "email": "e@x"}}]}),
        json!({"a": {"y": [-0.0], "x": 1}, "b": 0.0, "c": 1.0, "d": [{"author": {"id": "1", "email": "f@x"}}]}),
    ];
    let lists: Vec<Vec<Value>> = vec![
        records.clone(),
        records[5..].to_vec(),
        vec![
            serde_json::to_value(Odd::People(json!({"id": 1, "email": "g@x"}), json!(null)))
                .expect("v"),
            serde_json::to_value(Odd::Project { id: 4, name: "P" }).expect("v"),
            serde_json::to_value(Odd::Unit).expect("v"),
        ],
    ];
    let both = |f: &dyn Fn() -> Result<Answer, ToolError>| {
        let want = {
            let _reference = Reference::enter();
            said(f())
        };
        assert_eq!(said(f()), want);
    };
    for list in &lists {
        both(&|| crate::compact::list(list.iter()).and_then(List::finish));
    }
    both(&|| crate::compact::list([&flat, &flat]).and_then(List::finish));
    both(&|| crate::compact::list([&flat]).and_then(List::finish));
    both(&|| {
        crate::compact::list([Odd::Person(json!({"id": 1, "email": "h@x"})), Odd::Unit])
            .and_then(List::finish)
    });
    both(&|| {
        crate::compact::list([
            Odd::Project { id: 4, name: "P" },
            Odd::Project { id: 5, name: "Q" },
        ])
        .and_then(List::finish)
    });
    both(&|| crate::compact::list([keys(), keys()]).and_then(List::finish));
    both(&|| crate::compact::list([keys()]).and_then(List::finish));
    both(&|| crate::compact::list([Unit, Unit]).and_then(List::finish));
    both(&|| crate::compact::list([1.5f32, 2.0]).and_then(List::finish));
    both(&|| {
        crate::compact::Refs::new()
            .record(&flat)
            .and_then(crate::output::Answer::object)
    });
}

#[tokio::test]
async fn every_answer_on_the_demo_account_is_the_reference_answer() {
    for quirks in [false, true] {
        let (calls, pages) = sweep(DatasetKind::Demo, quirks, usize::MAX).await;
        println!("demo, quirks {quirks}: {calls} calls, {pages} parts the same");
        assert!(calls > 500, "{calls} calls");
    }
}

#[tokio::test]
async fn every_answer_on_the_large_account_is_the_reference_answer() {
    for quirks in [false, true] {
        let (calls, pages) = sweep(DatasetKind::Large, quirks, 3).await;
        println!("large, quirks {quirks}: {calls} calls, {pages} parts the same");
        assert!(calls > 100, "{calls} calls");
    }
}

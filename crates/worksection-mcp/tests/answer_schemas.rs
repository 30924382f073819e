//! Every answer against its own `outputSchema`: every tool called with every
//! id of the demo account (every project, task and subtask, person and
//! file), against the simulator on a random loopback port, plainly and
//! with its `--quirks`; every `structuredContent` (every page of a list
//! walked by its cursors) must validate against the tool's schema (JSON
//! Schema 2020-12), name no field the schema does not, and no call may be
//! an error except the refusals the tools document. The TypeScript SDK in
//! Claude, Cursor and VS Code validates the same way and turns a mismatch
//! into error -32602.
//!
//! Also here: the schemas themselves are valid 2020-12 and free of what the
//! SDK's validator (Ajv) warns about; a server with a tiny budget, where
//! every object answer is offloaded and every list pages, validates too;
//! and the case that failed in the clients is named: a task with no
//! relations, and a task with no tags.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Duration;

use chrono::Duration as Days;
use rmcp::model::{CallToolResult, JsonObject};
use serde_json::{Value, json};
use worksection::auth::{Bearer, OAuthApp, StaticToken, read_scopes};
use worksection::{Client, ExposeSecret, SecretString};
use worksection_mcp::{Account, FileCache, Registry, ResponseCache, WorksectionServer};
use worksection_sim::data::Dataset;
use worksection_sim::{SimConfig, Simulator};

/// The simulator, its account served by a server with every tool.
struct Served {
    sim: Simulator,
    _dir: tempfile::TempDir,
    registry: Arc<Registry>,
    admin: WorksectionServer,
}

async fn serve(quirks: bool, budget: Option<usize>) -> Served {
    let sim = Simulator::start(SimConfig {
        rps: 0.0,
        quirks,
        ..SimConfig::default()
    })
    .await
    .expect("simulator");
    let client = Client::builder()
        .account_url(&sim.info().account_url)
        .api_key(sim.info().api_key.as_str())
        .requests_per_second(1000.0)
        .build()
        .expect("client");
    let dir = tempfile::tempdir().expect("temp dir");
    let registry = Arc::new(Registry::new());
    let admin = server(client, dir.path().join("admin"), &registry, budget);
    Served {
        sim,
        _dir: dir,
        registry,
        admin,
    }
}

fn server(
    client: Client,
    files: std::path::PathBuf,
    registry: &Arc<Registry>,
    budget: Option<usize>,
) -> WorksectionServer {
    let account = Arc::new(Account::new(
        client,
        ResponseCache::new(Duration::from_secs(3600)),
        FileCache::new(files, Duration::from_secs(3600), 20 << 20, 500 << 20),
        "demo".into(),
    ));
    match budget {
        Some(b) => WorksectionServer::with_budget(account, registry.clone(), b),
        None => WorksectionServer::new(account, registry.clone()),
    }
}

/// A server signed in as the demo account's user (OAuth), for the tools
/// the admin key cannot answer.
async fn signed_in(served: &Served) -> WorksectionServer {
    let i = served.sim.info();
    let app = OAuthApp::new(
        &i.client_id,
        i.client_secret.as_str(),
        &i.redirect_uri,
        &i.oauth_url,
    )
    .expect("app");
    let (url, _) = app.authorize_url(&read_scopes()).expect("authorize url");
    let code = worksection_sim::consent::allow(&url)
        .await
        .expect("consent")
        .query_pairs()
        .find(|(k, _)| k == "code")
        .map(|(_, v)| v.into_owned())
        .expect("code");
    let tokens = app
        .exchange_code(&SecretString::from(code))
        .await
        .expect("tokens");
    let client = Client::builder()
        .account_url(&i.account_url)
        .bearer(Bearer::new(Arc::new(StaticToken::new(
            tokens.access_token.clone(),
        ))))
        .requests_per_second(1000.0)
        .build()
        .expect("client");
    assert!(!tokens.access_token.expose_secret().is_empty());
    server(
        client,
        served._dir.path().join("user"),
        &served.registry,
        None,
    )
}

/// Calls, validations and what came of them.
struct Sweep {
    validators: BTreeMap<String, (JsonObject, jsonschema::Validator)>,
    calls: usize,
    validations: usize,
    /// Documented refusals, by why.
    refused: BTreeMap<&'static str, usize>,
    /// The tools that answered (not an error) at least once.
    answered: BTreeSet<String>,
    failures: Vec<String>,
}

impl Sweep {
    fn new(registry: &Registry) -> Self {
        let mut validators = BTreeMap::new();
        for tool in registry.list() {
            let schema = tool
                .output_schema
                .as_deref()
                .cloned()
                .unwrap_or_else(|| panic!("{} has no outputSchema", tool.name));
            let value = Value::Object(schema.clone());
            let validator = jsonschema::draft202012::new(&value)
                .unwrap_or_else(|e| panic!("{}'s outputSchema does not compile: {e}", tool.name));
            validators.insert(tool.name.to_string(), (schema, validator));
        }
        Self {
            validators,
            calls: 0,
            validations: 0,
            refused: BTreeMap::new(),
            answered: BTreeSet::new(),
            failures: Vec::new(),
        }
    }

    /// Calls `tool`, checks its answer (and walks a list's pages), and
    /// gives its first page's `structuredContent` when it answered.
    async fn call(&mut self, server: &WorksectionServer, tool: &str, args: Value) -> Option<Value> {
        let first = self.one(server, tool, &args).await?;
        let mut cursor = first
            .get("next_cursor")
            .and_then(Value::as_str)
            .map(str::to_owned);
        let mut pages = 0;
        while let Some(c) = cursor.take() {
            pages += 1;
            if pages > 5000 {
                self.failures
                    .push(format!("{tool} {args}: more than 5000 pages"));
                break;
            }
            let mut next = args.clone();
            next["cursor"] = json!(c);
            let page = self.one(server, tool, &next).await?;
            cursor = page
                .get("next_cursor")
                .and_then(Value::as_str)
                .map(str::to_owned);
        }
        Some(first)
    }

    async fn one(&mut self, server: &WorksectionServer, tool: &str, args: &Value) -> Option<Value> {
        self.calls += 1;
        let object = args.as_object().cloned().unwrap_or_default();
        let result: CallToolResult = match server.call(tool, object).await {
            Ok(r) => r,
            Err(e) => {
                self.failures
                    .push(format!("{tool} {args}: protocol error {e:?}"));
                return None;
            }
        };
        if result.is_error.unwrap_or(false) {
            let text = text_of(&result);
            match documented(tool, args, &text) {
                Some(why) => *self.refused.entry(why).or_default() += 1,
                None => self.failures.push(format!("{tool} {args}: error: {text}")),
            }
            return None;
        }
        let Some(structured) = result.structured_content.clone() else {
            self.failures
                .push(format!("{tool} {args}: no structuredContent"));
            return None;
        };
        self.check(tool, args, &structured);
        self.answered.insert(tool.to_owned());
        Some(structured)
    }

    fn check(&mut self, tool: &str, args: &Value, answer: &Value) {
        let Some((schema, validator)) = self.validators.get(tool) else {
            self.failures.push(format!("{tool}: not in the registry"));
            return;
        };
        self.validations += 1;
        let errors: Vec<String> = validator
            .iter_errors(answer)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect();
        if !errors.is_empty() {
            self.failures.push(format!(
                "{tool} {args}: does not match its outputSchema: {}",
                errors.join("; ")
            ));
        }
        // Every field the answer has is one its schema names.
        for key in unnamed(schema, answer) {
            self.failures
                .push(format!("{tool} {args}: `{key}` is not in its outputSchema"));
        }
    }

    fn report(&self, label: &str) {
        println!(
            "{label}: {} calls, {} answers validated against their outputSchema, {} documented refusals {:?}",
            self.calls,
            self.validations,
            self.refused.values().sum::<usize>(),
            self.refused
        );
        assert!(
            self.failures.is_empty(),
            "{label}: {} of {} calls failed:\n{}",
            self.failures.len(),
            self.calls,
            self.failures.join("\n")
        );
    }
}

/// The top-level fields of `answer` its schema does not name (when the
/// schema names its fields: a record answered alone has any).
fn unnamed(schema: &JsonObject, answer: &Value) -> Vec<String> {
    if schema
        .get("additionalProperties")
        .is_some_and(|a| a != &json!(false))
    {
        return Vec::new();
    }
    let root = Value::Object(schema.clone());
    let named: BTreeSet<String> = [
        Some(&root),
        schema.get("$defs").and_then(|d| d.get("OffloadedObject")),
    ]
    .into_iter()
    .flatten()
    .filter_map(|s| s.get("properties").and_then(Value::as_object))
    .flat_map(|props| props.keys().cloned())
    .collect();
    let Some(fields) = answer.as_object() else {
        return vec!["(not an object)".into()];
    };
    fields
        .keys()
        .filter(|k| !named.contains(*k))
        .cloned()
        .collect()
}

fn text_of(result: &CallToolResult) -> String {
    result
        .content
        .iter()
        .filter_map(|c| c.as_text().map(|t| t.text.clone()))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Why an error is one the tools document (TOOLS.md and the tools'
/// descriptions), or `None` when it is a failure.
fn documented(tool: &str, args: &Value, text: &str) -> Option<&'static str> {
    match tool {
        // "not with the admin API key" (its description).
        "get_my_timer" if text.contains("admin") || text.contains("user") => {
            Some("get_my_timer with the admin key")
        }
        // "refuses files over the size limit".
        "get_file_as_base64" | "get_file_content" if text.contains("KB, more than") => {
            Some("a file over the inline size limit")
        }
        // Formats it does not read.
        "get_file_content" if text.starts_with("Could not read") => Some("a file with no text"),
        // "clear error if unknown": Worksection lists active members only.
        "get_user" if text.contains("No member with id") => Some("an inactive member"),
        // "needs the administrative permission, and says so".
        "get_webhooks" if text.contains("administrative") => {
            Some("webhooks without the administrative scope")
        }
        _ => {
            let _ = args;
            None
        }
    }
}

/// Calls every tool with every id of the account.
async fn sweep_account(sweep: &mut Sweep, server: &WorksectionServer, d: &Dataset) {
    let today = d.today;
    let since = (today - Days::days(90)).to_string();
    let until = today.to_string();
    let s = |tool: &'static str, args: Value| (tool, args);
    let mut calls: Vec<(&'static str, Value)> = Vec::new();

    // The account as a whole.
    for status in [None, Some("active"), Some("pending"), Some("archive")] {
        let mut a = json!({"extra": "text,options,users"});
        if let Some(st) = status {
            a["status_filter"] = json!(st);
        }
        calls.push(s("get_projects", a));
    }
    calls.push(s("get_projects", json!({})));
    calls.push(s("get_project_groups", json!({})));
    for a in [
        json!({}),
        json!({"status_filter": "active"}),
        json!({"status_filter": "done", "extra": "text,files,comments,relations,subtasks,archive"}),
        json!({"detail": "summary"}),
    ] {
        calls.push(s("get_all_tasks", a));
    }
    calls.push(s("get_users", json!({})));
    calls.push(s(
        "get_users",
        json!({"status_filter": "all", "detail": "summary"}),
    ));
    for tool in [
        "get_current_user",
        "get_user_groups",
        "get_contacts",
        "get_contact_groups",
        "get_task_tag_groups",
        "get_project_tag_groups",
        "get_timers",
        "get_my_timer",
        "health_check",
        "get_webhooks",
    ] {
        calls.push(s(tool, json!({})));
    }
    for a in [
        json!({}),
        json!({"tag_type": "status"}),
        json!({"tag_type": "label", "access": "public"}),
    ] {
        calls.push(s("get_task_tags", a.clone()));
        calls.push(s("get_project_tags", a));
    }
    calls.push(s("get_costs", json!({})));
    calls.push(s(
        "get_costs",
        json!({"date_start": since, "date_end": until, "is_timer": false}),
    ));
    for by in [None, Some("projects"), Some("tasks")] {
        let mut a = json!({});
        if let Some(by) = by {
            a["by"] = json!(by);
        }
        calls.push(s("get_costs_total", a));
    }
    calls.push(s("get_overdue_tasks", json!({})));
    calls.push(s("get_team_workload_summary", json!({})));
    calls.push(s(
        "get_team_workload_summary",
        json!({"date_start": since, "date_end": until}),
    ));
    for filter in [None, Some("project"), Some("task"), Some("comment")] {
        let mut a = json!({"period": "30d"});
        if let Some(f) = filter {
            a["event_filter"] = json!(f);
        }
        calls.push(s("get_activity_log", a));
    }
    calls.push(s("get_activity_log", json!({})));
    for word in d
        .tasks
        .iter()
        .filter_map(|t| t.name.split_whitespace().next())
        .take(10)
    {
        calls.push(s("search_tasks", json!({"query": word})));
    }

    // Every project.
    let tag_names: BTreeSet<&str> = d.task_tags.iter().map(|t| t.title.as_str()).collect();
    for p in &d.projects {
        let id = p.id.to_string();
        calls.push(s("get_project", json!({"project_id": id})));
        calls.push(s(
            "get_project",
            json!({"project_id": id, "extra": "text,options,users"}),
        ));
        calls.push(s("get_project_team", json!({"project_id": id})));
        calls.push(s("get_tasks", json!({"project_id": id})));
        calls.push(s(
            "get_tasks",
            json!({"project_id": id, "status_filter": "done", "extra": "text,files,comments,relations,subtasks"}),
        ));
        calls.push(s(
            "get_tasks",
            json!({"project_id": id, "status_filter": "active", "detail": "summary"}),
        ));
        calls.push(s("get_project_files", json!({"project_id": id})));
        calls.push(s("list_image_attachments", json!({"project_id": id})));
        calls.push(s("get_costs", json!({"project_id": id})));
        calls.push(s("get_costs_total", json!({"project_id": id})));
        calls.push(s(
            "get_costs_total",
            json!({"project_id": id, "date_start": since, "date_end": until, "by": "tasks"}),
        ));
        calls.push(s("get_project_time_report", json!({"project_id": id})));
        calls.push(s(
            "get_project_time_report",
            json!({"project_id": id, "date_start": since, "date_end": until}),
        ));
        calls.push(s("get_project_stats", json!({"project_id": id})));
        calls.push(s("get_overdue_tasks", json!({"project_id": id})));
        calls.push(s(
            "get_tasks_by_status",
            json!({"project_id": id, "status": "active"}),
        ));
        calls.push(s(
            "get_tasks_by_status",
            json!({"project_id": id, "status": "done"}),
        ));
        for priority in 0..=10 {
            calls.push(s(
                "get_tasks_by_priority",
                json!({"project_id": id, "priority": priority}),
            ));
        }
        calls.push(s("get_team_workload_summary", json!({"project_id": id})));
        calls.push(s("search_tasks", json!({"project_id": id})));
        calls.push(s(
            "get_activity_log",
            json!({"project_id": id, "period": "30d"}),
        ));
        for tag in &tag_names {
            calls.push(s(
                "search_tasks_by_tag",
                json!({"project_id": id, "tag": tag}),
            ));
        }
    }

    // Every task and subtask.
    for t in &d.tasks {
        let id = t.id.to_string();
        calls.push(s("get_task", json!({"task_id": id})));
        calls.push(s(
            "get_task",
            json!({"task_id": id, "extra": "text,html,files,comments,relations,subtasks,subscribers"}),
        ));
        for tool in [
            "get_task_subtasks",
            "get_task_relations",
            "get_task_subscribers",
            "get_task_discussion",
            "get_task_files",
            "get_all_task_attachments",
            "get_task_with_tags",
        ] {
            calls.push(s(tool, json!({"task_id": id})));
        }
        calls.push(s("get_comments", json!({"task_id": id})));
        calls.push(s(
            "get_comments",
            json!({"task_id": id, "include_files": true}),
        ));
        calls.push(s("get_project_files", json!({"task_id": id})));
        calls.push(s("list_image_attachments", json!({"task_id": id})));
        calls.push(s("get_costs", json!({"task_id": id})));
        calls.push(s("search_tasks", json!({"task_id": id})));
    }

    // Every person.
    for u in &d.users {
        let id = u.id.to_string();
        calls.push(s("get_user", json!({"user_id": id})));
        calls.push(s("get_user_assignments", json!({"user_id": id})));
        calls.push(s(
            "get_user_workload",
            json!({"user_id": id, "date_start": since, "date_end": until}),
        ));
        calls.push(s(
            "get_user_activity",
            json!({"user_id": id, "period": "30d"}),
        ));
        calls.push(s("get_costs", json!({"user_id": id})));
        calls.push(s("search_tasks", json!({"assignee_email": u.email})));
        calls.push(s(
            "search_tasks",
            json!({"author_email": u.email, "status": "done"}),
        ));
    }

    // Every file.
    for f in &d.files {
        let id = f.id.to_string();
        for tool in ["download_file", "get_file_as_base64", "get_file_content"] {
            calls.push(s(tool, json!({"file_id": id})));
        }
    }

    for (tool, args) in calls {
        sweep.call(server, tool, args).await;
    }
}

/// Every tool with every id, and the user-only tools signed in.
async fn sweep(quirks: bool) {
    let served = serve(quirks, None).await;
    let mut sweep = Sweep::new(&served.registry);
    let d = served.sim.dataset();
    sweep_account(&mut sweep, &served.admin, d).await;
    let user = signed_in(&served).await;
    for tool in ["get_my_timer", "get_current_user", "health_check"] {
        sweep.call(&user, tool, json!({})).await;
    }
    // Every tool answered (the offload readers: see below).
    let silent: Vec<&str> = served
        .registry
        .list()
        .iter()
        .map(|t| t.name.as_ref())
        .filter(|n| !n.contains("offloaded") && !sweep.answered.contains(*n))
        .collect();
    assert!(silent.is_empty(), "never answered: {silent:?}");
    sweep.report(if quirks {
        "demo account with quirks"
    } else {
        "demo account"
    });
    served.sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_answer_of_the_demo_account_matches_its_schema() {
    sweep(false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_answer_of_the_demo_account_with_quirks_matches_its_schema() {
    sweep(true).await;
}

/// With a budget of a hundred tokens every object answer is offloaded
/// (replaced by where it is kept) and every list pages (its items too
/// large alone are `skipped`): both shapes validate, every page of a walk
/// does, and the offload readers answer for what was kept.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn offloaded_answers_and_pages_match_their_schemas() {
    let served = serve(true, Some(100)).await;
    let mut sweep = Sweep::new(&served.registry);
    let d = served.sim.dataset();
    let server = &served.admin;
    let mut offloaded = Vec::new();
    let task = d.tasks.first().expect("a task").id.to_string();
    let project = d.projects.first().expect("a project").id.to_string();
    for (tool, args) in [
        (
            "get_task",
            json!({"task_id": task, "extra": "text,files,comments,subtasks"}),
        ),
        ("get_task_relations", json!({"task_id": task})),
        ("get_task_with_tags", json!({"task_id": task})),
        (
            "get_project",
            json!({"project_id": project, "extra": "text,options,users"}),
        ),
        ("get_project_stats", json!({"project_id": project})),
        ("get_project_time_report", json!({"project_id": project})),
        ("get_costs_total", json!({"by": "tasks"})),
        ("health_check", json!({})),
        ("get_all_tasks", json!({})),
        ("get_costs", json!({})),
        ("get_task_discussion", json!({"task_id": task})),
    ] {
        let Some(answer) = sweep.call(server, tool, args).await else {
            continue;
        };
        let list = served.registry.is_paged(tool);
        if list {
            assert!(
                answer.get("next_cursor").is_some(),
                "{tool} pages: {answer}"
            );
        } else {
            assert_eq!(answer["offloaded"], true, "{tool} is offloaded: {answer}");
        }
        let id = answer["offload_id"].as_str().expect("an offload id");
        offloaded.push(id.to_owned());
    }
    for id in offloaded.iter().take(3) {
        sweep
            .call(
                server,
                "get_offloaded_response_info",
                json!({"response_id": id}),
            )
            .await
            .expect("info");
        let mut offset = 0;
        loop {
            let chunk = sweep
                .call(
                    server,
                    "read_offloaded_response_text",
                    json!({"response_id": id, "offset": offset}),
                )
                .await
                .expect("chunk");
            match chunk.get("next_offset").and_then(Value::as_u64) {
                Some(next) => offset = next,
                None => break,
            }
        }
    }
    sweep.report("budget of 100 tokens");
    served.sim.shutdown().await;
}

/// A task with no dependencies says so with two empty lists, where the
/// answer used to leave `relations` out (47 of the demo's 71 top-level
/// tasks; the TypeScript SDK refused every one).
#[tokio::test]
async fn a_task_with_no_relations_answers_two_empty_lists() {
    let served = serve(false, None).await;
    let d = served.sim.dataset();
    let lone = d
        .tasks
        .iter()
        .find(|t| !d.relations.iter().any(|r| r.from == t.id || r.to == t.id))
        .expect("a task with no relations");
    let mut sweep = Sweep::new(&served.registry);
    let answer = sweep
        .call(
            &served.admin,
            "get_task_relations",
            json!({"task_id": lone.id.to_string()}),
        )
        .await
        .expect("an answer");
    sweep.report("a task with no relations");
    assert_eq!(answer["relations"], json!({"from": [], "to": []}));
    assert_eq!(answer["depends_on_count"], 0);
    assert_eq!(answer["blocks_count"], 0);
    assert_eq!(answer["task"]["id"], lone.id.to_string());
}

/// A task nobody tagged answers `tags: []`, where the answer used to leave
/// `tags` out (the TypeScript SDK refused it).
#[tokio::test]
async fn a_task_with_no_tags_answers_an_empty_list() {
    let served = serve(false, None).await;
    let d = served.sim.dataset();
    let bare = d
        .tasks
        .iter()
        .find(|t| t.tags.is_empty())
        .expect("a task with no tags in the demo account");
    let mut sweep = Sweep::new(&served.registry);
    let answer = sweep
        .call(
            &served.admin,
            "get_task_with_tags",
            json!({"task_id": bare.id.to_string()}),
        )
        .await
        .expect("an answer");
    sweep.report("a task with no tags");
    assert_eq!(answer["tags"], json!([]));
    assert_eq!(answer["task"]["id"], bare.id.to_string());
}

/// The schemas clients get: valid JSON Schema 2020-12, an object at the
/// root (the TypeScript SDK's `Tool` type requires it), and no `format`
/// Ajv does not know (it warns on each one, on every client).
#[test]
fn every_output_schema_is_valid_2020_12_and_quiet_in_ajv() {
    const AJV_FORMATS: [&str; 4] = ["date-time", "date", "uri", "email"];
    fn formats<'a>(v: &'a Value, out: &mut Vec<&'a str>) {
        match v {
            Value::Object(o) => {
                if let Some(Value::String(f)) = o.get("format") {
                    out.push(f);
                }
                o.values().for_each(|v| formats(v, out));
            }
            Value::Array(a) => a.iter().for_each(|v| formats(v, out)),
            _ => {}
        }
    }
    let registry = Registry::new();
    for tool in registry.list() {
        let schema = Value::Object(tool.output_schema.as_deref().cloned().expect("schema"));
        if let Err(e) = jsonschema::draft202012::meta::validate(&schema) {
            panic!("{}: not valid JSON Schema 2020-12: {e}", tool.name);
        }
        assert_eq!(schema["type"], "object", "{}", tool.name);
        assert_eq!(
            schema["$schema"], "https://json-schema.org/draft/2020-12/schema",
            "{}",
            tool.name
        );
        let mut found = Vec::new();
        formats(&schema, &mut found);
        assert!(
            found.iter().all(|f| AJV_FORMATS.contains(f)),
            "{}: formats {found:?}",
            tool.name
        );
        // An object answer may be offloaded; a field the offloaded account
        // shares with the answer is the same in both (its `properties`
        // hold for either).
        if let Some(Value::Object(theirs)) = schema.pointer("/$defs/OffloadedObject/properties") {
            let own = schema["properties"]
                .as_object()
                .cloned()
                .unwrap_or_default();
            for (k, spec) in theirs {
                if let Some(mine) = own.get(k) {
                    assert_eq!(mine, spec, "{}: {k}", tool.name);
                }
            }
        }
    }
}

/// The schema says what the answer's type says: a list's envelope and
/// summary fields required, echoed arguments optional; an object's own
/// fields required.
#[test]
fn required_fields_are_the_ones_always_there() {
    let registry = Registry::new();
    let required = |tool: &str| -> Vec<String> {
        let t = registry.get(tool).expect("tool");
        let s = t.output_schema.as_deref().expect("schema");
        let r = s
            .get("required")
            .or_else(|| s.get("anyOf")?.get(0)?.get("required"))
            .cloned()
            .unwrap_or_default();
        serde_json::from_value(r).expect("names")
    };
    let has = |tool: &str, keys: &[&str]| {
        let r = required(tool);
        for k in keys {
            assert!(r.iter().any(|x| x == k), "{tool} requires {k}: {r:?}");
        }
    };
    has(
        "get_task_relations",
        &["task", "relations", "depends_on_count", "blocks_count"],
    );
    has("get_task_with_tags", &["task", "tags"]);
    has("get_task", &["id"]);
    has(
        "get_tasks",
        &[
            "data",
            "total_count",
            "returned_count",
            "truncated",
            "truncation_reason",
            "status_filter",
        ],
    );
    has(
        "get_task_discussion",
        &["comments", "task", "attachments", "images", "summary"],
    );
    has(
        "get_project_time_report",
        &["project_id", "totals", "by_person", "by_task"],
    );
    for optional in [
        "filter",
        "next_cursor",
        "projects",
        "emails",
        "every",
        "columns",
    ] {
        assert!(
            !required("search_tasks").iter().any(|r| r == optional),
            "{optional}"
        );
    }
    let relations = registry.get("get_task_relations").expect("tool");
    let schema = Value::Object(relations.output_schema.as_deref().cloned().expect("schema"));
    let def = schema
        .pointer("/properties/relations/$ref")
        .and_then(Value::as_str);
    let deps = def
        .and_then(|r| schema.pointer(&r.replace("#/", "/")))
        .unwrap_or(&Value::Null);
    assert_eq!(deps["required"], json!(["from", "to"]), "{schema}");
}

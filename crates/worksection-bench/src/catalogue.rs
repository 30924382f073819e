//! Which calls the benchmark makes: real ids read from the account through
//! the tools themselves, every tool of TOOLS.md with valid arguments and its
//! upstream ceiling, and the scripted weekly-report session.
//!
//! The ceilings are TOOLS.md's "upstream" column counted: one per action a
//! tool needs. They are written out here, not read from the server, so the
//! benchmark checks the server against the contract rather than against
//! itself.

use std::collections::{BTreeMap, HashMap};

use anyhow::{Context, Result, anyhow, bail};
use chrono::{Duration, Local, NaiveDate};
use rmcp::model::{CallToolRequestParams, CallToolResult, JsonObject};
use serde_json::{Value, json};

use crate::harness::Client;

/// One tool call of the benchmark.
#[derive(Debug, Clone)]
pub struct Call {
    pub tool: &'static str,
    pub args: Value,
    /// Upstream requests TOOLS.md allows this call (a cold cache).
    pub ceiling: u64,
    /// TOOLS.md's "upstream" column, for the report.
    pub upstream: &'static str,
}

impl Call {
    pub(crate) fn new(
        tool: &'static str,
        args: Value,
        ceiling: u64,
        upstream: &'static str,
    ) -> Self {
        Self {
            tool,
            args,
            ceiling,
            upstream,
        }
    }

    pub fn params(&self) -> CallToolRequestParams {
        let args: JsonObject = self.args.as_object().cloned().unwrap_or_default();
        CallToolRequestParams::new(self.tool).with_arguments(args)
    }
}

/// Calls a tool and returns its structured answer, every page of a list
/// in `data` (the server answers a long list page by page); a tool error
/// is an error.
pub async fn call(client: &Client, tool: &'static str, args: Value) -> Result<Value> {
    let c = Call::new(tool, args.clone(), 0, "");
    let result = client
        .call_tool(c.params())
        .await
        .with_context(|| format!("calling {tool}"))?;
    let mut whole = answer(tool, result)?;
    let mut next = whole.get("next_cursor").cloned();
    while let Some(cursor) = next {
        let mut page_args = args.clone();
        if let Some(o) = page_args.as_object_mut() {
            o.insert("cursor".into(), cursor);
        }
        let c = Call::new(tool, page_args, 0, "");
        let result = client
            .call_tool(c.params())
            .await
            .with_context(|| format!("calling {tool} for its next page"))?;
        let page = answer(tool, result)?;
        next = page.get("next_cursor").cloned();
        let items = page.get("data").and_then(Value::as_array).cloned();
        if let (Some(all), Some(items)) =
            (whole.get_mut("data").and_then(Value::as_array_mut), items)
        {
            all.extend(items);
        }
    }
    Ok(whole)
}

/// The structured content of a successful tool result.
pub fn answer(tool: &str, result: CallToolResult) -> Result<Value> {
    if result.is_error == Some(true) {
        let said: Vec<String> = result
            .content
            .iter()
            .filter_map(|c| c.as_text().map(|t| t.text.clone()))
            .collect();
        bail!("{tool} answered with an error: {}", said.join(" "));
    }
    result
        .structured_content
        .map(records)
        .ok_or_else(|| anyhow!("{tool} answered without structured content"))
}

/// A list answer with its records as objects: the server sends two or more
/// as rows of `columns`, with what every record shares in `every`.
fn records(mut body: Value) -> Value {
    let Some(o) = body.as_object_mut() else {
        return body;
    };
    let Some(Value::Array(columns)) = o.remove("columns") else {
        return body;
    };
    let every = match o.remove("every") {
        Some(Value::Object(e)) => e,
        _ => serde_json::Map::new(),
    };
    for key in ["data", "comments"] {
        if let Some(Value::Array(rows)) = o.get_mut(key) {
            for row in rows.iter_mut() {
                let Value::Array(cells) = std::mem::take(row) else {
                    continue;
                };
                let mut record = every.clone();
                for (c, v) in columns.iter().zip(cells) {
                    if let (Some(c), false) = (c.as_str(), v.is_null()) {
                        record.insert(c.to_owned(), v);
                    }
                }
                *row = Value::Object(record);
            }
        }
    }
    body
}

/// Real ids of the account, found through the tools.
#[derive(Debug, Clone)]
pub struct Ids {
    /// The project with the most tasks that has screenshots.
    pub project: String,
    /// Two tasks of it whose descriptions carry an image.
    pub discussed: [String; 2],
    /// An image file of each of those tasks.
    pub images: [String; 2],
    /// A document (PDF, DOCX, XLSX, PPTX or text) somewhere in the account.
    pub document: String,
    pub with_subtasks: String,
    pub with_relations: String,
    /// A tag carried by a task of `project`.
    pub tag: String,
    /// The person with the most open tasks in `project`.
    pub user: String,
    /// A priority some open task of `project` has.
    pub priority: u64,
    /// The last seven days, `YYYY-MM-DD`.
    pub week: (String, String),
}

fn is_image(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    [".png", ".jpg", ".jpeg", ".gif", ".webp"]
        .iter()
        .any(|e| n.ends_with(e))
}

fn is_document(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    [".pdf", ".docx", ".xlsx", ".pptx", ".txt", ".md", ".csv"]
        .iter()
        .any(|e| n.ends_with(e))
}

fn id_of(v: &Value) -> Option<String> {
    match v.get("id")? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn list(v: &Value) -> &[Value] {
    v.get("data")
        .and_then(Value::as_array)
        .map_or(&[], Vec::as_slice)
}

/// Reads the ids the benchmark needs with four tool calls (projects, every
/// task with its files, relations and subtasks, people), as an assistant
/// would before asking about them.
pub async fn discover(client: &Client) -> Result<Ids> {
    let projects = call(client, "get_projects", json!({"status_filter": "all"})).await?;
    let tasks = call(
        client,
        "get_all_tasks",
        json!({"extra": "files,relations,subtasks"}),
    )
    .await?;
    let users = call(client, "get_users", json!({"status_filter": "all"})).await?;
    let projects = list(&projects);
    let tasks = list(&tasks);
    if projects.is_empty() || tasks.is_empty() {
        bail!("the account has no projects or no tasks");
    }

    // A task names its project by `project_id` (the compact shape).
    let project_of = |t: &Value| {
        t.get("project_id")
            .and_then(Value::as_str)
            .map(str::to_owned)
            .or_else(|| t.get("project").and_then(id_of))
    };
    let files_of = |t: &Value| -> Vec<(String, String)> {
        t.get("files")
            .and_then(Value::as_array)
            .map(|fs| {
                fs.iter()
                    .filter_map(|f| Some((id_of(f)?, f.get("name")?.as_str()?.to_owned())))
                    .collect()
            })
            .unwrap_or_default()
    };
    let image_of = |t: &Value| {
        files_of(t)
            .into_iter()
            .find(|(_, name)| is_image(name))
            .map(|(id, _)| id)
    };

    // The project with the most tasks among those with two illustrated tasks.
    let mut per_project: HashMap<String, (usize, Vec<(String, String)>)> = HashMap::new();
    for t in tasks {
        let Some(p) = project_of(t) else { continue };
        let entry = per_project.entry(p).or_default();
        entry.0 += 1;
        if let (Some(id), Some(img)) = (id_of(t), image_of(t)) {
            entry.1.push((id, img));
        }
    }
    let (project, (_, illustrated)) = per_project
        .into_iter()
        .filter(|(_, (_, ill))| ill.len() >= 2)
        .max_by_key(|(p, (n, _))| (*n, std::cmp::Reverse(p.clone())))
        .ok_or_else(|| anyhow!("no project has two tasks with screenshots"))?;
    let discussed = [illustrated[0].0.clone(), illustrated[1].0.clone()];
    let images = [illustrated[0].1.clone(), illustrated[1].1.clone()];

    let document = tasks
        .iter()
        .flat_map(files_of)
        .find(|(_, name)| is_document(name))
        .map(|(id, _)| id)
        .ok_or_else(|| anyhow!("no task has a document attached"))?;
    let nonempty = |t: &Value, key: &str| match t.get(key) {
        Some(Value::Array(a)) => !a.is_empty(),
        Some(Value::Object(o)) => o
            .values()
            .any(|v| v.as_array().is_some_and(|a| !a.is_empty())),
        _ => false,
    };
    let with_subtasks = tasks
        .iter()
        .find(|t| nonempty(t, "child"))
        .and_then(id_of)
        .ok_or_else(|| anyhow!("no task has subtasks"))?;
    let with_relations = tasks
        .iter()
        .find(|t| nonempty(t, "relations"))
        .and_then(id_of)
        .ok_or_else(|| anyhow!("no task has relations"))?;

    let in_project: Vec<&Value> = tasks
        .iter()
        .filter(|t| project_of(t).as_deref() == Some(project.as_str()))
        .collect();
    let tag = in_project
        .iter()
        .filter_map(|t| t.get("tags").and_then(Value::as_object))
        .flat_map(|m| m.values())
        .filter_map(Value::as_str)
        .next()
        .map(str::to_owned)
        .ok_or_else(|| anyhow!("no task of project {project} carries a tag"))?;
    let open = |t: &&&Value| t.get("status").and_then(Value::as_str) != Some("done");
    let mut load: BTreeMap<String, usize> = BTreeMap::new();
    for t in in_project.iter().filter(open) {
        if let Some(u) = t.get("user_to").and_then(id_of) {
            *load.entry(u).or_default() += 1;
        }
    }
    let members: Vec<String> = list(&users).iter().filter_map(id_of).collect();
    let user = load
        .into_iter()
        .filter(|(u, _)| members.contains(u))
        .max_by_key(|(_, n)| *n)
        .map(|(u, _)| u)
        .or_else(|| members.first().cloned())
        .ok_or_else(|| anyhow!("the account has no members"))?;
    let priority = in_project
        .iter()
        .filter(open)
        .find_map(|t| t.get("priority").and_then(Value::as_u64))
        .unwrap_or(0);

    let today: NaiveDate = Local::now().date_naive();
    let week = ((today - Duration::days(6)).to_string(), today.to_string());
    Ok(Ids {
        project,
        discussed,
        images,
        document,
        with_subtasks,
        with_relations,
        tag,
        user,
        priority,
        week,
    })
}

/// Every tool of TOOLS.md once, with valid arguments and its ceiling.
pub fn every_tool(ids: &Ids) -> Vec<Call> {
    let p = ids.project.as_str();
    let t = ids.discussed[0].as_str();
    let (from, to) = (ids.week.0.as_str(), ids.week.1.as_str());
    vec![
        // Projects
        Call::new("get_projects", json!({}), 1, "get_projects"),
        Call::new("get_project", json!({"project_id": p}), 1, "get_project"),
        Call::new("get_project_groups", json!({}), 1, "get_project_groups"),
        Call::new(
            "get_project_team",
            json!({"project_id": p}),
            1,
            "get_project extra=users",
        ),
        // Tasks
        Call::new(
            "get_all_tasks",
            json!({"status_filter": "active"}),
            1,
            "get_all_tasks",
        ),
        Call::new("get_tasks", json!({"project_id": p}), 1, "get_tasks"),
        Call::new(
            "get_task",
            json!({"task_id": t, "extra": "text,files"}),
            1,
            "get_task",
        ),
        Call::new(
            "search_tasks",
            json!({"project_id": p, "status": "active"}),
            1,
            "search_tasks",
        ),
        Call::new(
            "get_task_subtasks",
            json!({"task_id": ids.with_subtasks}),
            1,
            "get_task extra=subtasks",
        ),
        Call::new(
            "get_task_relations",
            json!({"task_id": ids.with_relations}),
            1,
            "get_task extra=relations",
        ),
        Call::new(
            "get_task_subscribers",
            json!({"task_id": t}),
            1,
            "get_task extra=subscribers",
        ),
        // Comments
        Call::new("get_comments", json!({"task_id": t}), 1, "get_comments"),
        Call::new(
            "get_task_discussion",
            json!({"task_id": t}),
            2,
            "get_task + get_comments",
        ),
        // Files
        Call::new(
            "get_task_files",
            json!({"task_id": t}),
            1,
            "get_task extra=files",
        ),
        Call::new(
            "get_all_task_attachments",
            json!({"task_id": t}),
            2,
            "get_task + get_comments",
        ),
        Call::new(
            "get_project_files",
            json!({"project_id": p}),
            1,
            "get_files",
        ),
        Call::new(
            "download_file",
            json!({"file_id": ids.document}),
            1,
            "download",
        ),
        Call::new(
            "get_file_as_base64",
            json!({"file_id": ids.images[0]}),
            1,
            "download",
        ),
        Call::new(
            "get_file_content",
            json!({"file_id": ids.document}),
            1,
            "download",
        ),
        Call::new(
            "list_image_attachments",
            json!({"task_id": t}),
            2,
            "as get_task_discussion",
        ),
        // Time and money
        Call::new(
            "get_costs",
            json!({"project_id": p, "date_start": from, "date_end": to}),
            1,
            "get_costs",
        ),
        Call::new(
            "get_costs_total",
            json!({"project_id": p}),
            1,
            "get_costs_total",
        ),
        Call::new(
            "get_user_workload",
            json!({"user_id": ids.user, "date_start": from, "date_end": to}),
            1,
            "get_costs",
        ),
        Call::new(
            "get_project_time_report",
            json!({"project_id": p}),
            1,
            "get_costs",
        ),
        Call::new("get_timers", json!({}), 1, "get_timers"),
        Call::new("get_my_timer", json!({}), 1, "get_my_timer"),
        // People
        Call::new("get_users", json!({}), 1, "get_users"),
        Call::new("get_user", json!({"user_id": ids.user}), 1, "get_users"),
        Call::new("get_current_user", json!({}), 1, "me"),
        Call::new("get_user_groups", json!({}), 1, "get_user_groups"),
        Call::new("get_contacts", json!({}), 1, "get_contacts"),
        Call::new("get_contact_groups", json!({}), 1, "get_contact_groups"),
        Call::new(
            "get_user_assignments",
            json!({"user_id": ids.user}),
            1,
            "search_tasks or get_all_tasks",
        ),
        // Tags
        Call::new("get_task_tags", json!({}), 1, "get_task_tags"),
        Call::new("get_task_tag_groups", json!({}), 1, "get_task_tag_groups"),
        Call::new("get_project_tags", json!({}), 1, "get_project_tags"),
        Call::new(
            "get_project_tag_groups",
            json!({}),
            1,
            "get_project_tag_groups",
        ),
        Call::new("get_task_with_tags", json!({"task_id": t}), 1, "get_task"),
        Call::new(
            "search_tasks_by_tag",
            json!({"tag": ids.tag, "project_id": p}),
            1,
            "get_tasks",
        ),
        // Analytics
        Call::new(
            "get_project_stats",
            json!({"project_id": p}),
            2,
            "get_tasks + get_costs_total",
        ),
        Call::new(
            "get_overdue_tasks",
            json!({"project_id": p}),
            1,
            "get_tasks or get_all_tasks",
        ),
        Call::new(
            "get_tasks_by_status",
            json!({"project_id": p, "status": "active"}),
            1,
            "get_tasks",
        ),
        Call::new(
            "get_tasks_by_priority",
            json!({"project_id": p, "priority": ids.priority}),
            1,
            "get_tasks",
        ),
        Call::new(
            "get_team_workload_summary",
            json!({"project_id": p}),
            2,
            "tasks + get_costs",
        ),
        // Activity
        Call::new("get_activity_log", json!({"period": "7d"}), 1, "get_events"),
        Call::new(
            "get_user_activity",
            json!({"user_id": ids.user, "period": "7d"}),
            1,
            "get_events",
        ),
        // System
        Call::new("health_check", json!({}), 1, "me"),
        Call::new("get_webhooks", json!({}), 1, "get_webhooks"),
    ]
}

/// Tools whose repeated call is meant to reach Worksection again:
/// `health_check` measures the API's reachability and latency now, so it
/// never answers from the cache.
pub const UNCACHED_BY_DESIGN: &[&str] = &["health_check"];

/// What a person preparing a weekly report of one project would have an
/// assistant do: the project, its numbers, overdue work, the team's
/// workload and time, the week's activity, two task discussions with their
/// screenshots, and one person's assignments and timesheet.
pub fn weekly_report(ids: &Ids) -> Vec<Call> {
    let p = ids.project.as_str();
    let u = ids.user.as_str();
    let (from, to) = (ids.week.0.as_str(), ids.week.1.as_str());
    let mut calls = vec![
        Call::new("get_current_user", json!({}), 1, "me"),
        Call::new(
            "get_projects",
            json!({"status_filter": "active"}),
            1,
            "get_projects",
        ),
        Call::new("get_project", json!({"project_id": p}), 1, "get_project"),
        Call::new(
            "get_project_team",
            json!({"project_id": p}),
            1,
            "get_project extra=users",
        ),
        Call::new(
            "get_project_stats",
            json!({"project_id": p}),
            2,
            "get_tasks + get_costs_total",
        ),
        Call::new(
            "get_tasks",
            json!({"project_id": p, "status_filter": "active"}),
            1,
            "get_tasks",
        ),
        Call::new(
            "get_overdue_tasks",
            json!({"project_id": p}),
            1,
            "get_tasks",
        ),
        Call::new(
            "get_tasks_by_status",
            json!({"project_id": p, "status": "done"}),
            1,
            "get_tasks",
        ),
        Call::new(
            "get_tasks_by_priority",
            json!({"project_id": p, "priority": ids.priority}),
            1,
            "get_tasks",
        ),
        Call::new(
            "get_team_workload_summary",
            json!({"project_id": p, "date_start": from, "date_end": to}),
            2,
            "tasks + get_costs",
        ),
        Call::new(
            "get_project_time_report",
            json!({"project_id": p, "date_start": from, "date_end": to}),
            1,
            "get_costs",
        ),
        Call::new(
            "get_costs_total",
            json!({"project_id": p, "date_start": from, "date_end": to}),
            1,
            "get_costs_total",
        ),
        Call::new(
            "get_activity_log",
            json!({"project_id": p, "period": "7d"}),
            1,
            "get_events",
        ),
    ];
    for (task, image) in ids.discussed.iter().zip(&ids.images) {
        calls.push(Call::new(
            "get_task_discussion",
            json!({"task_id": task}),
            2,
            "get_task + get_comments",
        ));
        calls.push(Call::new(
            "get_file_content",
            json!({"file_id": image}),
            1,
            "download",
        ));
    }
    calls.extend([
        Call::new("get_users", json!({}), 1, "get_users"),
        Call::new("get_user", json!({"user_id": u}), 1, "get_users"),
        Call::new(
            "get_user_assignments",
            json!({"user_id": u}),
            1,
            "get_all_tasks",
        ),
        Call::new(
            "get_user_workload",
            json!({"user_id": u, "date_start": from, "date_end": to}),
            1,
            "get_costs",
        ),
        Call::new(
            "get_user_activity",
            json!({"user_id": u, "period": "7d"}),
            1,
            "get_events",
        ),
        Call::new("get_overdue_tasks", json!({}), 1, "get_all_tasks"),
        Call::new(
            "get_team_workload_summary",
            json!({"date_start": from, "date_end": to}),
            2,
            "tasks + get_costs",
        ),
    ]);
    calls
}

/// The cached call whose latency is measured: a small, typical answer.
pub fn cached_call(ids: &Ids) -> Call {
    Call::new(
        "get_project",
        json!({"project_id": ids.project}),
        1,
        "get_project",
    )
}

/// The call that ten clients make at once to check coalescing: one
/// upstream action, so ten identical calls must make exactly one request.
pub fn coalesced_call(ids: &Ids) -> Call {
    Call::new(
        "get_tasks",
        json!({"project_id": ids.project}),
        1,
        "get_tasks",
    )
}

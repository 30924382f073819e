//! Which calls the benchmark makes: real ids read from the account through
//! the tools themselves, every tool of the registry with valid arguments
//! and its upstream ceiling, and the scripted weekly-report session.
//!
//! The ceilings are what each tool declares beside its registration
//! (`worksection_mcp::Upstream`, shown in TOOLS.md's "upstream cost"
//! column): the most requests one call makes with nothing cached. One
//! truth, read from the server's library; the benchmark then counts the
//! requests the server's binary really makes, at the simulator, and holds
//! them to it.

use std::collections::{BTreeMap, HashMap};
use std::sync::LazyLock;

use anyhow::{Context, Result, anyhow, bail};
use chrono::{Duration, Local, NaiveDate};
use rmcp::model::{CallToolRequestParams, CallToolResult, JsonObject};
use serde_json::{Value, json};

use crate::harness::Client;

/// The server's tools, each with what it declares of Worksection.
static REGISTRY: LazyLock<worksection_mcp::Registry> =
    LazyLock::new(worksection_mcp::Registry::new);

/// One tool call of the benchmark.
#[derive(Debug, Clone)]
pub struct Call {
    pub tool: &'static str,
    pub args: Value,
    /// Upstream requests the tool declares for a call with nothing cached.
    pub ceiling: u64,
    /// The tool's declared upstream cost in words (TOOLS.md's "upstream
    /// cost" column), for the report.
    pub upstream: String,
    /// Whether the tool declares that a repeated call makes no request
    /// (all but `health_check`, which measures Worksection now).
    pub cached: bool,
}

impl Call {
    /// A call of `tool`, with the ceiling it declares (none, and so any
    /// request over it, for a name the registry does not know).
    pub(crate) fn new(tool: &'static str, args: Value) -> Self {
        let declared = REGISTRY.upstream(tool);
        Self {
            tool,
            args,
            ceiling: declared.map_or(0, |u| u64::from(u.requests())),
            upstream: declared.map_or_else(|| "not a tool of the server".to_owned(), |u| u.cost()),
            cached: declared.is_none_or(|u| u.is_cached()),
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
    let c = Call::new(tool, args.clone());
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
        let c = Call::new(tool, page_args);
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

/// Every tool of the registry that reaches Worksection once, with valid
/// arguments (a test below holds the list to the registry).
pub fn every_tool(ids: &Ids) -> Vec<Call> {
    let p = ids.project.as_str();
    let t = ids.discussed[0].as_str();
    let (from, to) = (ids.week.0.as_str(), ids.week.1.as_str());
    vec![
        // Projects
        Call::new("get_projects", json!({})),
        Call::new("get_project", json!({"project_id": p})),
        Call::new("get_project_groups", json!({})),
        Call::new("get_project_team", json!({"project_id": p})),
        // Tasks
        Call::new("get_all_tasks", json!({"status_filter": "active"})),
        Call::new("get_tasks", json!({"project_id": p})),
        Call::new("get_task", json!({"task_id": t, "extra": "text,files"})),
        Call::new("search_tasks", json!({"project_id": p, "status": "active"})),
        Call::new("get_task_subtasks", json!({"task_id": ids.with_subtasks})),
        Call::new("get_task_relations", json!({"task_id": ids.with_relations})),
        Call::new("get_task_subscribers", json!({"task_id": t})),
        // Comments
        Call::new("get_comments", json!({"task_id": t})),
        Call::new("get_task_discussion", json!({"task_id": t})),
        // Files
        Call::new("get_task_files", json!({"task_id": t})),
        Call::new("get_all_task_attachments", json!({"task_id": t})),
        Call::new("get_project_files", json!({"project_id": p})),
        Call::new("download_file", json!({"file_id": ids.document})),
        Call::new("get_file_as_base64", json!({"file_id": ids.images[0]})),
        Call::new("get_file_content", json!({"file_id": ids.document})),
        Call::new("list_image_attachments", json!({"task_id": t})),
        // Time and money
        Call::new(
            "get_costs",
            json!({"project_id": p, "date_start": from, "date_end": to}),
        ),
        Call::new("get_costs_total", json!({"project_id": p})),
        Call::new(
            "get_user_workload",
            json!({"user_id": ids.user, "date_start": from, "date_end": to}),
        ),
        Call::new("get_project_time_report", json!({"project_id": p})),
        Call::new("get_timers", json!({})),
        Call::new("get_my_timer", json!({})),
        // People
        Call::new("get_users", json!({})),
        Call::new("get_user", json!({"user_id": ids.user})),
        Call::new("get_current_user", json!({})),
        Call::new("get_user_groups", json!({})),
        Call::new("get_contacts", json!({})),
        Call::new("get_contact_groups", json!({})),
        Call::new("get_user_assignments", json!({"user_id": ids.user})),
        // Tags
        Call::new("get_task_tags", json!({})),
        Call::new("get_task_tag_groups", json!({})),
        Call::new("get_project_tags", json!({})),
        Call::new("get_project_tag_groups", json!({})),
        Call::new("get_task_with_tags", json!({"task_id": t})),
        Call::new(
            "search_tasks_by_tag",
            json!({"tag": ids.tag, "project_id": p}),
        ),
        // Analytics
        Call::new("get_project_stats", json!({"project_id": p})),
        Call::new("get_overdue_tasks", json!({"project_id": p})),
        Call::new(
            "get_tasks_by_status",
            json!({"project_id": p, "status": "active"}),
        ),
        Call::new(
            "get_tasks_by_priority",
            json!({"project_id": p, "priority": ids.priority}),
        ),
        Call::new("get_team_workload_summary", json!({"project_id": p})),
        // Activity
        Call::new("get_activity_log", json!({"period": "7d"})),
        Call::new(
            "get_user_activity",
            json!({"user_id": ids.user, "period": "7d"}),
        ),
        // System
        Call::new("health_check", json!({})),
        Call::new("get_webhooks", json!({})),
    ]
}

/// What a person preparing a weekly report of one project would have an
/// assistant do: the project, its numbers, overdue work, the team's
/// workload and time, the week's activity, two task discussions with their
/// screenshots, and one person's assignments and timesheet.
pub fn weekly_report(ids: &Ids) -> Vec<Call> {
    let p = ids.project.as_str();
    let u = ids.user.as_str();
    let (from, to) = (ids.week.0.as_str(), ids.week.1.as_str());
    let mut calls = vec![
        Call::new("get_current_user", json!({})),
        Call::new("get_projects", json!({"status_filter": "active"})),
        Call::new("get_project", json!({"project_id": p})),
        Call::new("get_project_team", json!({"project_id": p})),
        Call::new("get_project_stats", json!({"project_id": p})),
        Call::new(
            "get_tasks",
            json!({"project_id": p, "status_filter": "active"}),
        ),
        Call::new("get_overdue_tasks", json!({"project_id": p})),
        Call::new(
            "get_tasks_by_status",
            json!({"project_id": p, "status": "done"}),
        ),
        Call::new(
            "get_tasks_by_priority",
            json!({"project_id": p, "priority": ids.priority}),
        ),
        Call::new(
            "get_team_workload_summary",
            json!({"project_id": p, "date_start": from, "date_end": to}),
        ),
        Call::new(
            "get_project_time_report",
            json!({"project_id": p, "date_start": from, "date_end": to}),
        ),
        Call::new(
            "get_costs_total",
            json!({"project_id": p, "date_start": from, "date_end": to}),
        ),
        Call::new("get_activity_log", json!({"project_id": p, "period": "7d"})),
    ];
    for (task, image) in ids.discussed.iter().zip(&ids.images) {
        calls.push(Call::new("get_task_discussion", json!({"task_id": task})));
        calls.push(Call::new("get_file_content", json!({"file_id": image})));
    }
    calls.extend([
        Call::new("get_users", json!({})),
        Call::new("get_user", json!({"user_id": u})),
        Call::new("get_user_assignments", json!({"user_id": u})),
        Call::new(
            "get_user_workload",
            json!({"user_id": u, "date_start": from, "date_end": to}),
        ),
        Call::new("get_user_activity", json!({"user_id": u, "period": "7d"})),
        Call::new("get_overdue_tasks", json!({})),
        Call::new(
            "get_team_workload_summary",
            json!({"date_start": from, "date_end": to}),
        ),
    ]);
    calls
}

/// The cached call whose latency is measured: a small, typical answer.
pub fn cached_call(ids: &Ids) -> Call {
    Call::new("get_project", json!({"project_id": ids.project}))
}

/// The call that ten clients make at once to check coalescing: one
/// upstream action, so ten identical calls must make exactly one request.
pub fn coalesced_call(ids: &Ids) -> Call {
    Call::new("get_tasks", json!({"project_id": ids.project}))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids() -> Ids {
        Ids {
            project: "1".into(),
            discussed: ["2".into(), "3".into()],
            images: ["4".into(), "5".into()],
            document: "6".into(),
            with_subtasks: "7".into(),
            with_relations: "8".into(),
            tag: "9".into(),
            user: "10".into(),
            priority: 0,
            week: ("2026-01-01".into(), "2026-01-07".into()),
        }
    }

    #[test]
    fn every_tool_that_reaches_worksection_is_measured_once_at_its_declared_ceiling() {
        let ids = ids();
        let mut measured: Vec<&str> = every_tool(&ids).iter().map(|c| c.tool).collect();
        measured.sort_unstable();
        let mut declared: Vec<&str> = REGISTRY
            .list()
            .iter()
            .map(|t| t.name.as_ref())
            .filter(|n| REGISTRY.upstream(n).is_some_and(|u| u.requests() > 0))
            .collect();
        declared.sort_unstable();
        assert_eq!(measured, declared);
        let session = weekly_report(&ids);
        for c in every_tool(&ids).iter().chain(&session) {
            let up = REGISTRY.upstream(c.tool).expect("a tool of the registry");
            assert_eq!(c.ceiling, u64::from(up.requests()), "{}", c.tool);
            assert!(c.ceiling > 0 && c.upstream == up.cost(), "{}", c.tool);
            assert_eq!(c.cached, c.tool != "health_check", "{}", c.tool);
        }
        let unknown = Call::new("no_such_tool", json!({}));
        assert_eq!((unknown.ceiling, unknown.cached), (0, true));
    }
}

//! The check a person runs against their own account: every tool called
//! once, read-only, with a report they can paste into a bug report
//! (`worksection-mcp check`, and "Check every tool" in the desktop app's
//! Health card, both through [`check`]).
//!
//! The tools run through the same [`WorksectionServer`] the assistant
//! talks to, so an answer is exactly what an assistant would get, at the
//! account's pace (the client's rate limiter, shared with anything else
//! serving the account). Arguments are chosen from earlier answers: the
//! project list gives a project, the task list a task (and its project),
//! the files of either a file, the members a person, the tags a tag. A
//! tool whose required argument none of those gave is skipped, with why.
//!
//! What did not decode comes from the client: every answer's records that
//! kept fields as they came (`worksection::models::Undecoded`) are noted
//! per request, with the field's path, what was expected and what kind of
//! value came; the account tells which requests a tool's answer used
//! (fetched or cached), so each tool shows its own. The report never holds
//! record data (names, emails, texts): counts, field paths, kinds of
//! values, Worksection's own error words, the versions and the account's
//! host.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Arc;
use std::time::Instant;

use chrono::{Duration as Days, Utc};
use rmcp::model::{CallToolResult, JsonObject};
use serde::Serialize;
use serde_json::{Value, json};

use crate::account::{Account, with_requests_used};
use crate::server::WorksectionServer;
use crate::tools::Registry;

/// What one tool came to.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Outcome {
    /// It answered; `count` is how many items a list answer had.
    Answered { count: Option<u64> },
    /// It answered a list with nothing in it.
    Empty,
    /// Not called: a required argument could not be chosen.
    Skipped { why: String },
    /// It answered an error: the words the assistant would read.
    Failed { said: String },
}

/// One tool's line of the report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ToolCheck {
    pub tool: String,
    #[serde(flatten)]
    pub outcome: Outcome,
    /// Fields of its answer's records that did not decode: record type and
    /// field path, what was expected, what kind of value came.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub undecoded: Vec<String>,
}

/// The whole check.
#[derive(Debug, Clone, Serialize)]
pub struct CheckReport {
    /// `worksection-mcp 0.1.0 (linux x86_64)`.
    pub version: String,
    /// The account's host.
    pub account: String,
    /// `admin API key` or `signed in`.
    pub auth: &'static str,
    pub at: chrono::DateTime<Utc>,
    pub seconds: u64,
    pub tools: Vec<ToolCheck>,
}

impl CheckReport {
    pub fn count(&self, f: impl Fn(&Outcome) -> bool) -> usize {
        self.tools.iter().filter(|t| f(&t.outcome)).count()
    }

    pub fn failed(&self) -> usize {
        self.count(|o| matches!(o, Outcome::Failed { .. }))
    }

    /// Tools whose answers had fields that did not decode.
    pub fn undecoded(&self) -> usize {
        self.tools
            .iter()
            .filter(|t| !t.undecoded.is_empty())
            .count()
    }

    /// Whether everything answered as it should (what the CLI's exit code
    /// says): nothing failed and every field decoded.
    pub fn is_clean(&self) -> bool {
        self.failed() == 0 && self.undecoded() == 0
    }

    /// One line: how many answered, were empty, skipped, failed.
    pub fn summary(&self) -> String {
        let mut s = format!(
            "{} tools: {} answered, {} empty, {} skipped, {} failed",
            self.tools.len(),
            self.count(|o| matches!(o, Outcome::Answered { .. })),
            self.count(|o| matches!(o, Outcome::Empty)),
            self.count(|o| matches!(o, Outcome::Skipped { .. })),
            self.failed(),
        );
        if self.undecoded() > 0 {
            let _ = write!(s, "; {} with fields that did not decode", self.undecoded());
        }
        s
    }

    /// The report as text, to read and to paste into a bug report.
    pub fn text(&self) -> String {
        let mut out = format!(
            "Worksection MCP check: {}, account {} ({}), {} UTC, {} s\n\n",
            self.version,
            self.account,
            self.auth,
            self.at.format("%Y-%m-%d %H:%M"),
            self.seconds
        );
        for t in &self.tools {
            out.push_str(&line(t));
            out.push('\n');
            for u in &t.undecoded {
                let _ = writeln!(out, "    did not decode: {u}");
            }
        }
        let _ = writeln!(out, "\n{}", self.summary());
        out
    }
}

/// One tool's line of the text report.
pub fn line(t: &ToolCheck) -> String {
    match &t.outcome {
        Outcome::Answered { count: Some(n) } => format!("answered  {} ({n})", t.tool),
        Outcome::Answered { count: None } => format!("answered  {}", t.tool),
        Outcome::Empty => format!("empty     {}", t.tool),
        Outcome::Skipped { why } => format!("skipped   {}: {why}", t.tool),
        Outcome::Failed { said } => format!("FAILED    {}: {said}", t.tool),
    }
}

/// Ids and values earlier answers gave, for the tools that need them.
#[derive(Default)]
struct Found {
    values: BTreeMap<&'static str, String>,
    /// An answer that was offloaded, for the offload readers.
    offloaded: Option<String>,
}

/// Tools that find what the others need, in the order they run.
const FINDERS: [&str; 7] = [
    "get_projects",
    "get_all_tasks",
    "get_tasks",
    "get_project_files",
    "get_all_task_attachments",
    "get_users",
    "get_task_tags",
];

/// Tools with no required argument that still need a project (or a task).
const ONE_OF_PROJECT_OR_TASK: [&str; 3] = [
    "get_project_files",
    "list_image_attachments",
    "search_tasks",
];

/// Calls every tool once, read-only, against `account` (through a server
/// of its own with every tool, sharing the account's client and caches),
/// and reports each; `progress` sees each tool's line as it is done.
pub async fn check(account: Arc<Account>, mut progress: impl FnMut(&ToolCheck)) -> CheckReport {
    let started = Instant::now();
    let at = Utc::now();
    let registry = Arc::new(Registry::new());
    let server = WorksectionServer::new(account.clone(), registry.clone());
    let mut order: Vec<String> = FINDERS
        .iter()
        .filter(|t| registry.get(t).is_some())
        .map(|t| (*t).to_owned())
        .collect();
    let mut rest: Vec<String> = registry
        .list()
        .iter()
        .map(|t| t.name.to_string())
        .filter(|n| !order.contains(n))
        .collect();
    // The offload readers last: they read what the others offloaded.
    rest.sort_by_key(|n| registry.toolset(n).is_none());
    order.extend(rest);
    let user_only = account.client().auth_kind() == worksection::auth::AuthKind::ApiKey;
    let mut found = Found::default();
    let today = account.today();
    found
        .values
        .insert("date_end", today.format("%Y-%m-%d").to_string());
    found.values.insert(
        "date_start",
        (today - Days::days(29)).format("%Y-%m-%d").to_string(),
    );
    found.values.insert("priority", "0".into());
    found.values.insert("status", "active".into());
    let mut tools = Vec::new();
    for name in order {
        let Some(tool) = registry.get(&name) else {
            continue;
        };
        let outcome = if user_only && matches!(name.as_str(), "get_current_user" | "get_my_timer") {
            Err("needs a person signed in; this account is served with the admin API key".into())
        } else {
            arguments(&tool.input_schema, &found).map(|mut args| {
                // Tools that take a project or a task, either one.
                if ONE_OF_PROJECT_OR_TASK.contains(&name.as_str())
                    && let Some(p) = found.values.get("project_id")
                {
                    args.insert("project_id".into(), Value::String(p.clone()));
                }
                args
            })
        };
        let check = match outcome {
            Err(why) => ToolCheck {
                tool: name,
                outcome: Outcome::Skipped { why },
                undecoded: Vec::new(),
            },
            Ok(args) => {
                let (result, used) = with_requests_used(server.call(&name, args)).await;
                let mut undecoded: Vec<String> = used
                    .iter()
                    .flat_map(|k| account.client().decode_problems(k))
                    .collect();
                undecoded.dedup();
                let outcome = match result {
                    Ok(r) => {
                        learn(&name, &r, &mut found);
                        outcome_of(&r)
                    }
                    Err(e) => Outcome::Failed {
                        said: e.message.to_string(),
                    },
                };
                ToolCheck {
                    tool: name,
                    outcome,
                    undecoded,
                }
            }
        };
        progress(&check);
        tools.push(check);
    }
    CheckReport {
        version: format!(
            "worksection-mcp {} ({} {})",
            env!("CARGO_PKG_VERSION"),
            std::env::consts::OS,
            std::env::consts::ARCH
        ),
        // The host alone: the account's label carries the person's name.
        account: account
            .client()
            .account_url()
            .host_str()
            .unwrap_or("?")
            .to_owned(),
        auth: if user_only {
            "admin API key"
        } else {
            "signed in"
        },
        at,
        seconds: started.elapsed().as_secs(),
        tools,
    }
}

/// The tool's required arguments from what was found, or why not.
fn arguments(schema: &JsonObject, found: &Found) -> Result<JsonObject, String> {
    let required = schema
        .get("required")
        .and_then(Value::as_array)
        .map(|r| r.iter().filter_map(Value::as_str).collect::<Vec<_>>())
        .unwrap_or_default();
    let mut args = JsonObject::new();
    for name in required {
        let value = match name {
            "response_id" => found.offloaded.clone().ok_or(
                "no answer of this check was large enough to be offloaded, so there is none to read",
            )?,
            "priority" => {
                args.insert(name.into(), json!(0));
                continue;
            }
            _ => found
                .values
                .get(name)
                .cloned()
                .ok_or_else(|| match name {
                    "file_id" => "no file found in the project's or the task's files".to_owned(),
                    "task_id" => "the account has no task to ask about".to_owned(),
                    "project_id" => "the account has no project to ask about".to_owned(),
                    "user_id" => "the account has no member to ask about".to_owned(),
                    "tag" => "the account has no task tag to ask about".to_owned(),
                    other => format!("needs `{other}`, which the check does not choose"),
                })?,
        };
        args.insert(name.into(), Value::String(value));
    }
    Ok(args)
}

/// What an answer says about the tool: answered (how many), empty, or
/// failed with the words the assistant would read.
fn outcome_of(r: &CallToolResult) -> Outcome {
    if r.is_error.unwrap_or(false) {
        let said: Vec<&str> = r
            .content
            .iter()
            .filter_map(|c| c.as_text().map(|t| t.text.as_str()))
            .collect();
        return Outcome::Failed {
            said: said.join(" "),
        };
    }
    let count = r
        .structured_content
        .as_ref()
        .and_then(|s| s.get("total_count"))
        .and_then(Value::as_u64);
    match count {
        Some(0) => Outcome::Empty,
        count => Outcome::Answered { count },
    }
}

/// Takes from an answer what later tools need: the first item's id (and a
/// task's project), and an offloaded answer's id.
fn learn(tool: &str, r: &CallToolResult, found: &mut Found) {
    let Some(body) = r.structured_content.as_ref() else {
        return;
    };
    if let Some(id) = body.get("offload_id").and_then(Value::as_str) {
        found.offloaded.get_or_insert_with(|| id.to_owned());
    }
    let Some(first) = crate::compact::first_record(body) else {
        return;
    };
    let first = &first;
    let id = |v: &Value, keys: &[&str]| {
        keys.iter().find_map(|k| match v.get(*k) {
            Some(Value::String(s)) if !s.is_empty() => Some(s.clone()),
            Some(Value::Number(n)) => Some(n.to_string()),
            _ => None,
        })
    };
    let values = &mut found.values;
    let mut set = |key: &'static str, value: Option<String>| {
        if let Some(v) = value {
            values.entry(key).or_insert(v);
        }
    };
    match tool {
        "get_projects" => set("project_id", id(first, &["id"])),
        "get_all_tasks" | "get_tasks" => {
            // A task and its own project, so the two belong together.
            let task = id(first, &["id"]);
            let project = first
                .get("project")
                .and_then(|p| id(p, &["id"]))
                .or_else(|| id(first, &["project_id"]));
            if task.is_some() && !values.contains_key("task_id") {
                if let Some(p) = project {
                    values.insert("project_id", p);
                }
                values.insert("task_id", task.unwrap_or_default());
            }
        }
        "get_project_files" | "get_all_task_attachments" => {
            set("file_id", id(first, &["id", "file_id"]));
        }
        "get_users" => set("user_id", id(first, &["id"])),
        "get_task_tags" => set("tag", id(first, &["id"])),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arguments_come_from_what_was_found_or_say_why_not() {
        let schema = |req: Value| {
            json!({"type": "object", "required": req})
                .as_object()
                .cloned()
                .unwrap_or_default()
        };
        let mut found = Found::default();
        let why = arguments(&schema(json!(["file_id"])), &found).expect_err("no file");
        assert!(why.contains("no file"), "{why}");
        found.values.insert("task_id", "7".into());
        let args = arguments(&schema(json!(["task_id", "priority"])), &found).expect("args");
        assert_eq!(Value::Object(args), json!({"task_id": "7", "priority": 0}));
        assert_eq!(arguments(&schema(json!([])), &found), Ok(JsonObject::new()));
        let why = arguments(&schema(json!(["response_id"])), &found).expect_err("none");
        assert!(why.contains("offloaded"), "{why}");
    }

    #[test]
    fn the_text_report_counts_every_outcome() {
        let t = |tool: &str, outcome: Outcome| ToolCheck {
            tool: tool.into(),
            outcome,
            undecoded: Vec::new(),
        };
        let mut odd = t("get_tasks", Outcome::Answered { count: Some(3) });
        odd.undecoded = vec!["Task.priority: expected an integer, got a boolean".into()];
        let report = CheckReport {
            version: "worksection-mcp 0 (os arch)".into(),
            account: "acme.worksection.com".into(),
            auth: "signed in",
            at: Utc::now(),
            seconds: 1,
            tools: vec![
                odd,
                t("get_timers", Outcome::Empty),
                t(
                    "download_file",
                    Outcome::Skipped {
                        why: "no file".into(),
                    },
                ),
                t(
                    "get_costs",
                    Outcome::Failed {
                        said: "Action is invalid".into(),
                    },
                ),
            ],
        };
        let text = report.text();
        assert!(text.contains("answered  get_tasks (3)"), "{text}");
        assert!(text.contains("did not decode: Task.priority"), "{text}");
        assert!(
            text.contains("FAILED    get_costs: Action is invalid"),
            "{text}"
        );
        assert!(
            text.contains("4 tools: 1 answered, 1 empty, 1 skipped, 1 failed; 1 with fields that did not decode"),
            "{text}"
        );
        assert!(!report.is_clean());
    }
}

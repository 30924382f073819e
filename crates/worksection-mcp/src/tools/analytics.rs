//! Analytics computed from the account's data: project statistics, overdue
//! work, tasks by status or priority, and the team's workload.
//!
//! Everything is counted from real task lists, never estimated. The task
//! lists include subtasks (Worksection nests them under `child`), and each
//! answer says what it counted. "Overdue" means an open task whose
//! `date_end` is before today's date. All tools read a project's tasks with
//! the same request, so after the first, the others answer from the cache.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::NaiveDate;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use worksection::api::tasks::{GetAllTasks, TaskExtra};
use worksection::models::{Minutes, Money, Task};

use super::answer::{Counts, Listed, Object, Summary};
use super::{Scope, TaskStatus, ToolDef, Upstream, def};
use crate::account::{Account, CostQuery};
use crate::args::{self, IdArg};
use crate::compact;
use crate::error::ToolError;

pub fn tools() -> Vec<ToolDef> {
    vec![
        def(
            "get_project_stats",
            "Project stats",
            "A project in numbers: tasks by status and priority, overdue, completion, planned \
             vs logged time and money.",
            Upstream::new(
                2,
                &["get_tasks", "get_costs_total"],
                &[Scope::TasksRead, Scope::CostsRead],
            ),
            get_project_stats,
        ),
        def(
            "get_overdue_tasks",
            "Overdue tasks",
            "Open tasks past due, most overdue first; one project or the account.",
            Upstream::new(1, &["get_tasks", "get_all_tasks"], &[Scope::TasksRead])
                .note("`get_all_tasks` without `project_id`"),
            get_overdue_tasks,
        ),
        def(
            "get_tasks_by_status",
            "Tasks by status",
            "A project's tasks (subtasks too) that are active or done.",
            Upstream::new(1, &["get_tasks"], &[Scope::TasksRead]),
            get_tasks_by_status,
        ),
        def(
            "get_tasks_by_priority",
            "Tasks by priority",
            "A project's tasks (subtasks too) of one priority.",
            Upstream::new(1, &["get_tasks"], &[Scope::TasksRead]),
            get_tasks_by_priority,
        ),
        def(
            "get_team_workload_summary",
            "Team workload",
            "Per person: open and overdue tasks, time logged in a date range.",
            Upstream::new(
                2,
                &["get_tasks", "get_all_tasks", "get_costs"],
                &[Scope::TasksRead, Scope::CostsRead],
            )
            .note(
                "`get_tasks` with `project_id`, else `get_all_tasks`; 3 when the project list is \
                 cached and the account has too many lines for one answer",
            ),
            get_team_workload_summary,
        ),
    ]
}

/// Every task of a project, subtasks included (one shared request).
async fn project_tasks(ws: &Account, project: u64) -> Result<Vec<Task>, ToolError> {
    let tasks = ws.tasks(project, &[TaskExtra::Subtasks], false).await?;
    Ok(flat(&tasks))
}

/// Open tasks of the whole account, subtasks included (one shared request).
///
/// Not `filter=active`: Worksection's filter drops a closed task together
/// with everything under it, and an open subtask under a closed parent is
/// still open work. So every task is read and the open ones kept here.
pub(super) async fn open_tasks(ws: &Account) -> Result<Vec<Task>, ToolError> {
    let tasks = ws
        .all_tasks(GetAllTasks::new().extra([TaskExtra::Subtasks]))
        .await?;
    Ok(flat(&tasks).into_iter().filter(|t| !t.is_done()).collect())
}

fn flat(tasks: &[Task]) -> Vec<Task> {
    tasks
        .iter()
        .flat_map(|t| t.flatten())
        .map(|t| {
            let mut t = t.clone();
            t.child = None;
            t
        })
        .collect()
}

pub(super) fn is_overdue(t: &Task, today: NaiveDate) -> bool {
    !t.is_done() && t.end().is_some_and(|d| d < today)
}

/// A task as the analytics lists show it: the facts needed to act on it;
/// `days_overdue` only on an overdue task.
pub(super) fn summary(t: &Task, today: NaiveDate) -> Value {
    let mut v = json!({
        "id": t.id,
        "name": t.name,
        "page": t.page,
        "status": t.status,
        "priority": t.priority,
        "project": t.project,
        "assignee": t.user_to,
        "date_start": t.date_start,
        "date_end": t.date_end,
    });
    if let Some(d) = t.end().filter(|_| is_overdue(t, today)) {
        v["days_overdue"] = json!((today - d).num_days());
    }
    v
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ProjectIdArgs {
    /// Project id.
    pub project_id: IdArg,
}

/// `get_project_stats`' answer.
#[derive(Debug, Serialize, JsonSchema)]
pub struct ProjectStats {
    project_id: String,
    today: String,
    /// What was counted.
    counted: String,
    tasks: TaskCounts,
    /// Tasks per status.
    by_status: Counts,
    /// Tasks per priority (0 to 10).
    by_priority: Counts,
    overdue: usize,
    /// Done tasks in percent of all, to a tenth.
    completion_rate: f64,
    time: TimeFigures,
    money: MoneyFigures,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct TaskCounts {
    total: usize,
    open: usize,
    done: usize,
}

/// Planned (the tasks' `max_time`) and logged (the cost lines) time.
#[derive(Debug, Serialize, JsonSchema)]
pub struct TimeFigures {
    #[schemars(with = "String")]
    planned: Minutes,
    planned_hours: f64,
    #[schemars(with = "String")]
    logged: Minutes,
    logged_hours: f64,
}

/// Planned (the tasks' `max_money`) and logged (the cost lines) money.
#[derive(Debug, Serialize, JsonSchema)]
pub struct MoneyFigures {
    #[schemars(with = "String")]
    planned: Money,
    #[schemars(with = "String")]
    logged: Money,
}

async fn get_project_stats(
    ws: Arc<Account>,
    a: ProjectIdArgs,
) -> Result<Object<ProjectStats>, ToolError> {
    let project = args::id("project_id", &a.project_id)?;
    let (nested, total) = tokio::join!(
        ws.tasks(project, &[TaskExtra::Subtasks], false),
        ws.costs_total(CostQuery {
            project: Some(project),
            ..CostQuery::default()
        })
    );
    let (nested, total) = (nested?, total?);
    let tasks = flat(&nested);
    let today = ws.today();
    let top_level = nested.len();
    let done = tasks.iter().filter(|t| t.is_done()).count();
    let open = tasks.len() - done;
    let overdue = tasks.iter().filter(|t| is_overdue(t, today)).count();
    let mut by_priority: BTreeMap<u8, usize> = BTreeMap::new();
    let mut by_status = Counts::new();
    for t in &tasks {
        *by_priority.entry(t.priority.unwrap_or(0)).or_default() += 1;
        *by_status.entry(t.status.clone()).or_default() += 1;
    }
    let planned_minutes: f64 = tasks.iter().filter_map(|t| t.max_time).sum::<f64>() * 60.0;
    let planned_money: f64 = tasks.iter().filter_map(|t| t.max_money).sum();
    let logged_time = total.time.unwrap_or_default();
    let logged_money = total.money.unwrap_or_default();
    let rate = if tasks.is_empty() {
        0.0
    } else {
        (done as f64 / tasks.len() as f64 * 1000.0).round() / 10.0
    };
    let planned_time = Minutes(planned_minutes.round() as u64);
    let planned_money = Money {
        cents: (planned_money * 100.0).round() as i64,
    };
    Object::new(ProjectStats {
        project_id: project.to_string(),
        today: today.to_string(),
        counted: format!(
            "{} tasks: every task of the project, {} top-level and {} subtasks at any depth",
            tasks.len(),
            top_level,
            tasks.len() - top_level
        ),
        tasks: TaskCounts {
            total: tasks.len(),
            open,
            done,
        },
        by_status,
        by_priority: by_priority
            .into_iter()
            .map(|(p, n)| (p.to_string(), n))
            .collect(),
        overdue,
        completion_rate: rate,
        time: TimeFigures {
            planned: planned_time,
            planned_hours: planned_time.hours(),
            logged: logged_time,
            logged_hours: (logged_time.hours() * 100.0).round() / 100.0,
        },
        money: MoneyFigures {
            planned: planned_money,
            logged: logged_money,
        },
    })
}

fn default_max_results() -> i64 {
    100
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OverdueArgs {
    /// Only this project.
    pub project_id: Option<IdArg>,
    /// Most tasks.
    #[serde(default = "default_max_results")]
    #[schemars(range(min = 1, max = 10000))]
    pub max_results: i64,
}

/// `get_overdue_tasks`' summary.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Overdue {
    today: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    project_id: Option<String>,
}

impl Summary for Overdue {}

async fn get_overdue_tasks(ws: Arc<Account>, a: OverdueArgs) -> Result<Listed<Overdue>, ToolError> {
    let project = args::opt_id("project_id", &a.project_id)?;
    let max = args::max_results(Some(a.max_results), 100, 10_000)?;
    let tasks = match project {
        Some(p) => project_tasks(&ws, p).await?,
        None => open_tasks(&ws).await?,
    };
    let today = ws.today();
    let mut overdue: Vec<&Task> = tasks.iter().filter(|t| is_overdue(t, today)).collect();
    overdue.sort_by_key(|t| (t.end(), t.id.as_u64()));
    Listed::new(
        compact::list(overdue.iter().map(|t| summary(t, today)))?.max_results(max),
        Overdue {
            today: today.to_string(),
            project_id: project.map(|p| p.to_string()),
        },
    )
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ByStatusArgs {
    /// Project id.
    pub project_id: IdArg,
    /// active (open) or done.
    pub status: TaskStatus,
    /// Most tasks.
    #[serde(default = "default_max_results")]
    #[schemars(range(min = 1, max = 10000))]
    pub max_results: i64,
}

/// `get_tasks_by_status`' summary.
#[derive(Debug, Serialize, JsonSchema)]
pub struct InStatus {
    status: TaskStatus,
}

impl Summary for InStatus {}

async fn get_tasks_by_status(
    ws: Arc<Account>,
    a: ByStatusArgs,
) -> Result<Listed<InStatus>, ToolError> {
    let project = args::id("project_id", &a.project_id)?;
    let max = args::max_results(Some(a.max_results), 100, 10_000)?;
    let tasks = project_tasks(&ws, project).await?;
    let today = ws.today();
    let wanted = a.status == TaskStatus::Done;
    let list = compact::list(
        tasks
            .iter()
            .filter(|t| t.is_done() == wanted)
            .map(|t| summary(t, today)),
    )?;
    Listed::new(list.max_results(max), InStatus { status: a.status })
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ByPriorityArgs {
    /// Project id.
    pub project_id: IdArg,
    /// 0 (none) to 10 (highest).
    #[schemars(range(min = 0, max = 10))]
    pub priority: i64,
    /// Most tasks.
    #[serde(default = "default_max_results")]
    #[schemars(range(min = 1, max = 10000))]
    pub max_results: i64,
}

/// `get_tasks_by_priority`' summary.
#[derive(Debug, Serialize, JsonSchema)]
pub struct OfPriority {
    priority: u8,
}

impl Summary for OfPriority {}

async fn get_tasks_by_priority(
    ws: Arc<Account>,
    a: ByPriorityArgs,
) -> Result<Listed<OfPriority>, ToolError> {
    let project = args::id("project_id", &a.project_id)?;
    let max = args::max_results(Some(a.max_results), 100, 10_000)?;
    let priority = u8::try_from(a.priority)
        .ok()
        .filter(|p| *p <= 10)
        .ok_or_else(|| {
            ToolError::argument(
                "priority",
                format!("{} is out of range; use 0 to 10", a.priority),
            )
        })?;
    let tasks = project_tasks(&ws, project).await?;
    let today = ws.today();
    let list = compact::list(
        tasks
            .iter()
            .filter(|t| t.priority.unwrap_or(0) == priority)
            .map(|t| summary(t, today)),
    )?;
    Listed::new(list.max_results(max), OfPriority { priority })
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct WorkloadArgs {
    /// Only this project.
    pub project_id: Option<IdArg>,
    /// From this day, YYYY-MM-DD (default: 6 days before date_end).
    pub date_start: Option<String>,
    /// To this day, YYYY-MM-DD (default: today).
    pub date_end: Option<String>,
}

#[derive(Default)]
struct Load {
    name: String,
    email: String,
    open: usize,
    overdue: usize,
    minutes: u64,
    money: Money,
}

/// `get_team_workload_summary`'s summary.
#[derive(Debug, Serialize, JsonSchema)]
pub struct TeamWorkload {
    #[serde(skip_serializing_if = "Option::is_none")]
    project_id: Option<String>,
    date_start: String,
    date_end: String,
    today: String,
    unassigned_open_tasks: usize,
    counted: &'static str,
}

impl Summary for TeamWorkload {}

async fn get_team_workload_summary(
    ws: Arc<Account>,
    a: WorkloadArgs,
) -> Result<Listed<TeamWorkload>, ToolError> {
    let project = args::opt_id("project_id", &a.project_id)?;
    let today = ws.today();
    let end = args::opt_date("date_end", &a.date_end)?.unwrap_or(today);
    let start =
        args::opt_date("date_start", &a.date_start)?.unwrap_or(end - chrono::Duration::days(6));
    args::range(Some(start), Some(end))?;
    let costs_query = CostQuery {
        project,
        from: Some(start),
        to: Some(end),
        ..CostQuery::default()
    };
    let (tasks, costs) = tokio::join!(
        async {
            match project {
                Some(p) => project_tasks(&ws, p).await,
                None => open_tasks(&ws).await,
            }
        },
        ws.costs(costs_query)
    );
    let (tasks, costs) = (tasks?, costs?);
    let mut people: BTreeMap<String, Load> = BTreeMap::new();
    for t in tasks.iter().filter(|t| !t.is_done()) {
        let Some(u) = t
            .user_to
            .as_ref()
            .filter(|u| u.pseudo().is_none() && !u.id.as_str().is_empty())
        else {
            continue;
        };
        let load = people.entry(u.id.to_string()).or_default();
        load.name.clone_from(&u.name);
        load.email.clone_from(&u.email);
        load.open += 1;
        if is_overdue(t, today) {
            load.overdue += 1;
        }
    }
    for c in &costs.lines {
        let Some(u) = c.user_from.as_ref() else {
            continue;
        };
        let load = people.entry(u.id.to_string()).or_default();
        if load.name.is_empty() {
            load.name.clone_from(&u.name);
            load.email.clone_from(&u.email);
        }
        load.minutes += c.time.unwrap_or_default().0;
        load.money = load.money + c.money.unwrap_or_default();
    }
    let mut rows: Vec<(String, Load)> = people.into_iter().collect();
    rows.sort_by(|a, b| {
        (b.1.overdue, b.1.open, b.1.minutes).cmp(&(a.1.overdue, a.1.open, a.1.minutes))
    });
    let unassigned = tasks
        .iter()
        .filter(|t| {
            !t.is_done()
                && t.user_to
                    .as_ref()
                    .is_none_or(|u| u.pseudo().is_some() || u.id.as_str().is_empty())
        })
        .count();
    let items = rows.into_iter().map(|(id, l)| {
        json!({
            "user_id": id,
            "name": l.name,
            "email": l.email,
            "open_tasks": l.open,
            "overdue_tasks": l.overdue,
            "logged_minutes": l.minutes,
            "logged_time": Minutes(l.minutes),
            "logged_money": l.money,
        })
    });
    Listed::new(
        compact::list(items)?,
        TeamWorkload {
            project_id: project.map(|p| p.to_string()),
            date_start: start.to_string(),
            date_end: end.to_string(),
            today: today.to_string(),
            unassigned_open_tasks: unassigned,
            counted: "open tasks and subtasks by assignee; overdue = open with date_end before today; time = cost entries dated within the range",
        },
    )
}

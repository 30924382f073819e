//! Time and money: cost lines, totals, a person's workload, a project's
//! time report, and running timers.
//!
//! Times are Worksection's `H:MM` strings, parsed exactly into minutes and
//! summed as integers (no floating-point hours until the very end), so the
//! totals here add up to what `get_costs_total` says upstream.
//!
//! A cost line is answered compactly ([`Line`]): Worksection repeats the
//! whole task (its people, its project) on every line, so the line keeps
//! the task as `{id, name}` with `project_id`, the person as `{id, name}`,
//! and the answer names each project once (`projects`). Times and money
//! come as numbers (`minutes`, `amount`) beside Worksection's text.

use std::collections::BTreeMap;
use std::sync::Arc;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use worksection::models::{Cost, Extra, Id, Minutes, Money};

use super::answer::{Listed, Nothing, Object, Ref, Summary};
use super::{NoArgs, Scope, ToolDef, Upstream, def};
use crate::account::{Account, CostQuery};
use crate::args::{self, IdArg};
use crate::compact::{self, Record, Refs, Tables};
use crate::error::ToolError;

pub fn tools() -> Vec<ToolDef> {
    vec![
        def(
            "get_costs",
            "Time entries",
            "Time and money entries (who, when, task) with totals. For totals alone use \
             get_costs_total.",
            Upstream::new(1, &["get_costs"], &[Scope::CostsRead]).note(
                "2 when the project list is cached and the account has too many lines for one \
                 answer",
            ),
            get_costs,
        ),
        def(
            "get_costs_total",
            "Time totals",
            "Total time and money of the account or a project, for any dates.",
            Upstream::new(1, &["get_costs_total"], &[Scope::CostsRead])
                .note("none when cached cost lines hold the total"),
            get_costs_total,
        ),
        def(
            "get_user_workload",
            "Timesheet",
            "One person's timesheet in a date range, with totals per project and day.",
            Upstream::new(1, &["get_costs"], &[Scope::CostsRead]).note(
                "2 when the project list is cached and the account has too many lines for one \
                 answer",
            ),
            get_user_workload,
        ),
        def(
            "get_project_time_report",
            "Project time report",
            "A project's time and money per person and per task, with totals.",
            Upstream::new(1, &["get_costs"], &[Scope::CostsRead]).note(
                "2 when the project list is cached and the account has too many lines for one \
                 answer",
            ),
            get_project_time_report,
        ),
        def(
            "get_timers",
            "Running timers",
            "Timers running now: who tracks time on which task.",
            Upstream::new(1, &["get_timers"], &[Scope::CostsRead]),
            get_timers,
        ),
        def(
            "get_my_timer",
            "My timer",
            "The signed-in person's running timer (not with the admin API key).",
            Upstream::new(1, &["get_my_timer"], &[Scope::CostsRead]).signed_in_only(),
            get_my_timer,
        ),
    ]
}

/// Summed time and money of some cost lines.
#[derive(Debug, Clone, Default, Serialize, JsonSchema)]
pub struct Totals {
    lines: usize,
    minutes: u64,
    /// `H:MM`.
    #[schemars(with = "String")]
    time: Minutes,
    #[schemars(with = "String")]
    money: Money,
}

impl Totals {
    fn of<'a>(lines: impl IntoIterator<Item = &'a Cost>) -> Self {
        let mut t = Totals::default();
        for c in lines {
            t.add(c);
        }
        t
    }

    fn add(&mut self, c: &Cost) {
        self.lines += 1;
        self.time = self.time + c.time.unwrap_or_default();
        self.minutes = self.time.0;
        self.money = self.money + c.money.unwrap_or_default();
    }
}

/// A cost line as answered: references instead of the repeated task.
#[derive(Debug, Serialize)]
struct Line<'a> {
    id: &'a Id,
    #[serde(skip_serializing_if = "str::is_empty")]
    date: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    time: Option<Minutes>,
    #[serde(skip_serializing_if = "Option::is_none")]
    minutes: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    money: Option<Money>,
    #[serde(skip_serializing_if = "Option::is_none")]
    amount: Option<f64>,
    #[serde(skip_serializing_if = "str::is_empty")]
    comment: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    is_timer: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    user_from: Option<LineRef<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    task: Option<LineRef<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    project_id: Option<&'a Id>,
    /// Anything else Worksection sent, unless empty.
    #[serde(flatten)]
    extra: Extra,
}

/// A person, task or project named by reference.
#[derive(Debug, Serialize)]
struct LineRef<'a> {
    id: &'a Id,
    #[serde(skip_serializing_if = "str::is_empty")]
    name: &'a str,
}

impl<'a> Line<'a> {
    fn of(c: &'a Cost) -> Self {
        let extra = c
            .extra
            .iter()
            .filter(|(_, v)| !is_empty(v))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        Self {
            id: &c.id,
            date: &c.date,
            time: c.time,
            minutes: c.time.map(|t| t.0),
            money: c.money,
            amount: c.money.map(|m| m.cents as f64 / 100.0),
            comment: &c.comment,
            is_timer: c.is_timer,
            user_from: c.user_from.as_ref().map(|u| LineRef {
                id: &u.id,
                name: &u.name,
            }),
            task: c.task.as_ref().map(|t| LineRef {
                id: &t.id,
                name: &t.name,
            }),
            project_id: c
                .task
                .as_ref()
                .and_then(|t| t.project.as_ref())
                .map(|p| &p.id),
            extra,
        }
    }
}

fn is_empty(v: &serde_json::Value) -> bool {
    match v {
        serde_json::Value::Null => true,
        serde_json::Value::String(s) => s.is_empty(),
        serde_json::Value::Array(a) => a.is_empty(),
        serde_json::Value::Object(o) => o.is_empty(),
        _ => false,
    }
}

fn user_of(c: &Cost) -> Option<&str> {
    c.user_from.as_ref().map(|u| u.id.as_str())
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GetCostsArgs {
    /// Only this project.
    pub project_id: Option<IdArg>,
    /// Only this task.
    pub task_id: Option<IdArg>,
    /// Only this person.
    pub user_id: Option<IdArg>,
    /// From this day, YYYY-MM-DD.
    pub date_start: Option<String>,
    /// To this day, YYYY-MM-DD.
    pub date_end: Option<String>,
    /// true: timer entries only; false: manual ones only.
    pub is_timer: Option<bool>,
    /// Raw Worksection filter.
    pub filter_query: Option<String>,
}

/// A raw `filter_query`, checked; none when empty.
fn filter(raw: &Option<String>) -> Result<Option<String>, ToolError> {
    match raw.as_deref().filter(|s| !s.trim().is_empty()) {
        None => Ok(None),
        Some(f) => Ok(Some(args::text("filter_query", f, 2_000)?)),
    }
}

fn costs_params(
    project: Option<u64>,
    task: Option<u64>,
    start: &Option<String>,
    end: &Option<String>,
) -> Result<CostQuery, ToolError> {
    let (from, to) = args::range(
        args::opt_date("date_start", start)?,
        args::opt_date("date_end", end)?,
    )?;
    Ok(CostQuery {
        project,
        task,
        from,
        to,
        timer: None,
        filter: None,
    })
}

/// `get_costs`' summary: the lines' totals, and Worksection's own total of
/// every line the query matched (unless a person was picked here).
#[derive(Debug, Serialize, JsonSchema)]
pub struct CostLines {
    totals: Totals,
    #[serde(skip_serializing_if = "Option::is_none")]
    upstream_total: Option<Record>,
}

impl Summary for CostLines {}

async fn get_costs(ws: Arc<Account>, a: GetCostsArgs) -> Result<Listed<CostLines>, ToolError> {
    let project = args::opt_id("project_id", &a.project_id)?;
    let task = args::opt_id("task_id", &a.task_id)?;
    let user = args::opt_id("user_id", &a.user_id)?.map(|u| u.to_string());
    let p = CostQuery {
        timer: a.is_timer,
        filter: filter(&a.filter_query)?,
        ..costs_params(project, task, &a.date_start, &a.date_end)?
    };
    let costs = ws.costs(p).await?;
    let lines: Vec<&Cost> = costs
        .lines
        .iter()
        .filter(|c| user.as_deref().is_none_or(|u| user_of(c) == Some(u)))
        .collect();
    let totals = Totals::of(lines.iter().copied());
    let mut refs = Refs::new();
    note_projects(&mut refs, lines.iter().copied());
    let upstream_total = match user {
        None => Some(refs.compact(&costs.total)?),
        Some(_) => None,
    };
    let items = refs.records(lines.iter().map(|c| Line::of(c)))?;
    Listed::new(
        compact::table(refs, items)?,
        CostLines {
            totals,
            upstream_total,
        },
    )
}

/// Notes the projects the lines refer to (by `project_id`), each once.
fn note_projects<'a>(refs: &mut Refs, lines: impl IntoIterator<Item = &'a Cost>) {
    for p in lines
        .into_iter()
        .filter_map(|c| c.task.as_ref()?.project.as_ref())
    {
        refs.note_project(p.id.to_string(), p.name.clone());
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GetCostsTotalArgs {
    /// Only this project.
    pub project_id: Option<IdArg>,
    /// From this day, YYYY-MM-DD.
    pub date_start: Option<String>,
    /// To this day, YYYY-MM-DD.
    pub date_end: Option<String>,
    /// Raw Worksection filter.
    pub filter_query: Option<String>,
    /// Add totals per project and month (tasks: and per task).
    pub by: Option<Breakdown>,
}

/// What `get_costs_total` adds per project.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Breakdown {
    Projects,
    Tasks,
}

async fn get_costs_total(
    ws: Arc<Account>,
    a: GetCostsTotalArgs,
) -> Result<Object<Total>, ToolError> {
    let project = args::opt_id("project_id", &a.project_id)?;
    let p = CostQuery {
        filter: filter(&a.filter_query)?,
        ..costs_params(project, None, &a.date_start, &a.date_end)?
    };
    let (total, projects) = match a.by {
        None => ((*ws.costs_total(p).await?).clone(), None),
        Some(by) => {
            let answer = ws.costs_by_project(p, by == Breakdown::Tasks).await?;
            (answer.total.clone(), Some(answer.projects.clone()))
        }
    };
    let projects = match projects {
        None => None,
        Some(projects) => {
            let mut refs = Refs::new();
            let records = projects.iter().map(|p| refs.compact(p));
            Some(records.collect::<Result<Vec<_>, _>>()?)
        }
    };
    let time = total.time.unwrap_or_default();
    Object::new(Total {
        project_id: project.map(|p| p.to_string()),
        date_start: a.date_start,
        date_end: a.date_end,
        time,
        minutes: time.0,
        hours: (time.hours() * 100.0).round() / 100.0,
        money: total.money.unwrap_or_default(),
        projects,
    })
}

/// `get_costs_total`'s answer.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Total {
    #[serde(skip_serializing_if = "Option::is_none")]
    project_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    date_start: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    date_end: Option<String>,
    /// `H:MM`.
    #[schemars(with = "String")]
    time: Minutes,
    minutes: u64,
    hours: f64,
    #[schemars(with = "String")]
    money: Money,
    /// With `by`: Worksection's own figures, each project's `time`, `money`
    /// and `monthly` (`YYYY-MM`), and with tasks each task's.
    #[serde(skip_serializing_if = "Option::is_none")]
    projects: Option<Vec<Record>>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GetUserWorkloadArgs {
    /// Person id.
    pub user_id: IdArg,
    /// From this day, YYYY-MM-DD.
    pub date_start: String,
    /// To this day, YYYY-MM-DD.
    pub date_end: String,
}

/// `get_user_workload`'s summary: the person, the range, and the totals
/// of the whole range, per project and per day.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Timesheet {
    user: Ref,
    date_start: String,
    date_end: String,
    totals: Totals,
    by_project: Vec<ProjectTotals>,
    by_day: Vec<DayTotals>,
}

impl Summary for Timesheet {}

/// One project's totals (`project_id` empty for lines of no project).
#[derive(Debug, Serialize, JsonSchema)]
pub struct ProjectTotals {
    project_id: String,
    project: String,
    totals: Totals,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct DayTotals {
    date: String,
    totals: Totals,
}

async fn get_user_workload(
    ws: Arc<Account>,
    a: GetUserWorkloadArgs,
) -> Result<Listed<Timesheet>, ToolError> {
    let user = args::id("user_id", &a.user_id)?.to_string();
    let p = costs_params(
        None,
        None,
        &Some(a.date_start.clone()),
        &Some(a.date_end.clone()),
    )?;
    let costs = ws.costs(p).await?;
    let lines: Vec<&Cost> = costs
        .lines
        .iter()
        .filter(|c| user_of(c) == Some(user.as_str()))
        .collect();
    let mut by_project: BTreeMap<String, (String, Totals)> = BTreeMap::new();
    let mut by_day: BTreeMap<String, Totals> = BTreeMap::new();
    for c in &lines {
        let project = c.task.as_ref().and_then(|t| t.project.as_ref());
        let (pid, pname) = project.map_or((String::new(), String::new()), |p| {
            (p.id.to_string(), p.name.clone())
        });
        by_project
            .entry(pid)
            .or_insert_with(|| (pname, Totals::default()))
            .1
            .add(c);
        by_day.entry(c.date.clone()).or_default().add(c);
    }
    let by_project = by_project
        .into_iter()
        .map(|(project_id, (project, totals))| ProjectTotals {
            project_id,
            project,
            totals,
        })
        .collect();
    let by_day = by_day
        .into_iter()
        .map(|(date, totals)| DayTotals { date, totals })
        .collect();
    let name = lines
        .iter()
        .find_map(|c| c.user_from.as_ref().map(|u| u.name.clone()))
        .unwrap_or_default();
    let totals = Totals::of(lines.iter().copied());
    Listed::new(
        compact::list(lines.iter().map(|c| Line::of(c)))?,
        Timesheet {
            user: Ref::new(&user, name),
            date_start: a.date_start,
            date_end: a.date_end,
            totals,
            by_project,
            by_day,
        },
    )
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GetProjectTimeReportArgs {
    /// Project id.
    pub project_id: IdArg,
    /// From this day, YYYY-MM-DD.
    pub date_start: Option<String>,
    /// To this day, YYYY-MM-DD.
    pub date_end: Option<String>,
    /// Only this person.
    pub user_id: Option<IdArg>,
}

/// `get_project_time_report`'s answer: the totals, and per person and per
/// task, most time first.
#[derive(Debug, Serialize, JsonSchema)]
pub struct TimeReport {
    project_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    date_start: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    date_end: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    user_id: Option<String>,
    totals: Totals,
    by_person: Vec<PersonTotals>,
    by_task: Vec<TaskTotals>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct PersonTotals {
    user_id: String,
    name: String,
    totals: Totals,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct TaskTotals {
    task_id: String,
    name: String,
    totals: Totals,
}

async fn get_project_time_report(
    ws: Arc<Account>,
    a: GetProjectTimeReportArgs,
) -> Result<Object<TimeReport>, ToolError> {
    let project = args::id("project_id", &a.project_id)?;
    let user = args::opt_id("user_id", &a.user_id)?.map(|u| u.to_string());
    let p = costs_params(Some(project), None, &a.date_start, &a.date_end)?;
    let costs = ws.costs(p).await?;
    let mut people: BTreeMap<String, (String, Totals)> = BTreeMap::new();
    let mut tasks: BTreeMap<String, (String, Totals)> = BTreeMap::new();
    let mut totals = Totals::default();
    for c in costs
        .lines
        .iter()
        .filter(|c| user.as_deref().is_none_or(|u| user_of(c) == Some(u)))
    {
        totals.add(c);
        let (uid, uname) = c
            .user_from
            .as_ref()
            .map_or((String::new(), String::new()), |u| {
                (u.id.to_string(), u.name.clone())
            });
        people
            .entry(uid)
            .or_insert_with(|| (uname, Totals::default()))
            .1
            .add(c);
        let (tid, tname) = c.task.as_ref().map_or((String::new(), String::new()), |t| {
            (t.id.to_string(), t.name.clone())
        });
        tasks
            .entry(tid)
            .or_insert_with(|| (tname, Totals::default()))
            .1
            .add(c);
    }
    let mut by_person: Vec<_> = people.into_iter().collect();
    by_person.sort_by_key(|p| std::cmp::Reverse(p.1.1.minutes));
    let mut by_task: Vec<_> = tasks.into_iter().collect();
    by_task.sort_by_key(|t| std::cmp::Reverse(t.1.1.minutes));
    Object::new(TimeReport {
        project_id: project.to_string(),
        date_start: a.date_start,
        date_end: a.date_end,
        user_id: user,
        totals,
        by_person: by_person
            .into_iter()
            .map(|(user_id, (name, totals))| PersonTotals {
                user_id,
                name,
                totals,
            })
            .collect(),
        by_task: by_task
            .into_iter()
            .map(|(task_id, (name, totals))| TaskTotals {
                task_id,
                name,
                totals,
            })
            .collect(),
    })
}

async fn get_timers(ws: Arc<Account>, _: NoArgs) -> Result<Listed<Nothing>, ToolError> {
    Listed::new(compact::list(ws.timers().await?.iter())?, Nothing {})
}

/// `get_my_timer`'s answer: whether a timer runs, and which.
#[derive(Debug, Serialize, JsonSchema)]
pub struct MyTimer {
    running: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    timer: Option<Record>,
    #[serde(flatten)]
    tables: Tables,
}

async fn get_my_timer(ws: Arc<Account>, _: NoArgs) -> Result<Object<MyTimer>, ToolError> {
    let timer = ws.my_timer().await?;
    let mut refs = Refs::new();
    let timer = match timer.as_ref() {
        Some(t) => Some(refs.compact(t)?),
        None => None,
    };
    Object::new(MyTimer {
        running: timer.is_some(),
        timer,
        tables: refs.tables(),
    })
}

//! Activity: what happened in the account (or one project) over a recent
//! period, and what one person did.

use std::sync::Arc;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use worksection::api::events::Period;
use worksection::models::Event;

use super::answer::{Counts, Listed, Summary};
use super::{Scope, ToolDef, Upstream, def};
use crate::account::Account;
use crate::args::{self, IdArg};
use crate::compact;
use crate::error::ToolError;

pub fn tools() -> Vec<ToolDef> {
    vec![
        def(
            "get_activity_log",
            "Activity log",
            "Recent events (tasks created, closed, changed; comments), counted by type.",
            Upstream::new(1, &["get_events"], &[Scope::ProjectsRead, Scope::TasksRead]).note(
                "2 with `project_id` once the project list is cached: the account's \
                 `get_events`, then `get_all_tasks` when an event names only its task",
            ),
            get_activity_log,
        ),
        def(
            "get_user_activity",
            "Person's activity",
            "One person's recent events.",
            Upstream::new(1, &["get_events"], &[Scope::ProjectsRead]),
            get_user_activity,
        ),
    ]
}

#[derive(Debug, Clone, Copy, Deserialize, JsonSchema, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum EventFilter {
    Project,
    Task,
    Comment,
}

impl EventFilter {
    fn as_str(self) -> &'static str {
        match self {
            Self::Project => "project",
            Self::Task => "task",
            Self::Comment => "comment",
        }
    }
}

fn default_period() -> String {
    "1d".to_owned()
}

fn period(raw: &str) -> Result<Period, ToolError> {
    raw.parse::<Period>()
        .map_err(|e| ToolError::argument("period", e.to_string()))
}

/// Events per type (`object.type`).
fn type_counts(events: &[Event]) -> Counts {
    let mut counts = Counts::new();
    for e in events {
        *counts.entry(e.object.kind.clone()).or_default() += 1;
    }
    counts
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ActivityLogArgs {
    /// Only this project's events.
    pub project_id: Option<IdArg>,
    /// How far back: 1m..360m, 1h..72h or 1d..30d.
    #[serde(default = "default_period")]
    pub period: String,
    /// project, task or comment events only.
    pub event_filter: Option<EventFilter>,
    /// Most events.
    #[schemars(range(min = 1))]
    pub max_results: Option<i64>,
}

/// `get_activity_log`'s summary: the period, the filter, and the events
/// per type over the whole period (before the filter).
#[derive(Debug, Serialize, JsonSchema)]
pub struct Log {
    period: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    event_filter: Option<EventFilter>,
    event_types: Counts,
}

impl Summary for Log {}

async fn get_activity_log(ws: Arc<Account>, a: ActivityLogArgs) -> Result<Listed<Log>, ToolError> {
    let project = args::opt_id("project_id", &a.project_id)?;
    let period = period(&a.period)?;
    let max = args::max_results(a.max_results, usize::MAX, 100_000)?;
    let events = ws.events(period, project).await?;
    let shown = events
        .iter()
        .filter(|e| a.event_filter.is_none_or(|f| e.object.kind == f.as_str()));
    Listed::new(
        compact::list(shown)?.max_results(max),
        Log {
            period: period.to_string(),
            event_filter: a.event_filter,
            event_types: type_counts(&events),
        },
    )
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UserActivityArgs {
    /// Person id.
    pub user_id: IdArg,
    /// How far back: 1m..360m, 1h..72h or 1d..30d.
    #[serde(default = "default_period")]
    pub period: String,
    /// Most events.
    #[schemars(range(min = 1))]
    pub max_results: Option<i64>,
}

/// `get_user_activity`'s summary: the person, the period, and their events
/// per type.
#[derive(Debug, Serialize, JsonSchema)]
pub struct TheirLog {
    user_id: String,
    period: String,
    event_types: Counts,
}

impl Summary for TheirLog {}

async fn get_user_activity(
    ws: Arc<Account>,
    a: UserActivityArgs,
) -> Result<Listed<TheirLog>, ToolError> {
    let user = args::id("user_id", &a.user_id)?.to_string();
    let period = period(&a.period)?;
    let max = args::max_results(a.max_results, usize::MAX, 100_000)?;
    let events = ws.events(period, None).await?;
    let theirs: Vec<Event> = events
        .iter()
        .filter(|e| e.user_from.as_ref().is_some_and(|u| u.id.as_str() == user))
        .cloned()
        .collect();
    let event_types = type_counts(&theirs);
    Listed::new(
        compact::list(&theirs)?.max_results(max),
        TheirLog {
            user_id: user,
            period: period.to_string(),
            event_types,
        },
    )
}

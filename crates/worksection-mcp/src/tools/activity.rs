//! Activity: what happened in the account (or one project) over a recent
//! period, and what one person did.

use std::collections::BTreeMap;
use std::sync::Arc;

use schemars::JsonSchema;
use serde::Deserialize;
use worksection::api::events::Period;
use worksection::models::Event;

use super::{Shape, ToolDef, def};
use crate::account::Account;
use crate::args::{self, IdArg};
use crate::compact;
use crate::error::ToolError;
use crate::output::Answer;

pub fn tools() -> Vec<ToolDef> {
    vec![
        def(
            "get_activity_log",
            "Activity log",
            "Recent events (tasks created, closed, changed; comments), counted by type.",
            Shape::List,
            get_activity_log,
        ),
        def(
            "get_user_activity",
            "Person's activity",
            "One person's recent events.",
            Shape::List,
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

fn type_counts(events: &[Event]) -> BTreeMap<&str, usize> {
    let mut counts = BTreeMap::new();
    for e in events {
        *counts.entry(e.object.kind.as_str()).or_default() += 1;
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

async fn get_activity_log(ws: Arc<Account>, a: ActivityLogArgs) -> Result<Answer, ToolError> {
    let project = args::opt_id("project_id", &a.project_id)?;
    let period = period(&a.period)?;
    let max = args::max_results(a.max_results, usize::MAX, 100_000)?;
    let events = ws.events(period, project).await?;
    let shown = events
        .iter()
        .filter(|e| a.event_filter.is_none_or(|f| e.object.kind == f.as_str()));
    compact::list(shown)?
        .max_results(max)
        .field("period", period.to_string())
        .field("event_filter", a.event_filter)
        .field("event_types", type_counts(&events))
        .finish()
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

async fn get_user_activity(ws: Arc<Account>, a: UserActivityArgs) -> Result<Answer, ToolError> {
    let user = args::id("user_id", &a.user_id)?.to_string();
    let period = period(&a.period)?;
    let max = args::max_results(a.max_results, usize::MAX, 100_000)?;
    let events = ws.events(period, None).await?;
    let theirs: Vec<Event> = events
        .iter()
        .filter(|e| e.user_from.as_ref().is_some_and(|u| u.id.as_str() == user))
        .cloned()
        .collect();
    let counts: BTreeMap<String, usize> = type_counts(&theirs)
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
    compact::list(&theirs)?
        .max_results(max)
        .field("user_id", &user)
        .field("period", period.to_string())
        .field("event_types", counts)
        .finish()
}

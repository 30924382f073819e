//! Time and money costs: line by line (`get_costs`) and in total
//! (`get_costs_total`, optionally per project, task and month).

use std::collections::BTreeMap;

use bytes::Bytes;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use serde_with::skip_serializing_none;

use super::{comma, day, flag};
use crate::action::Action;
use crate::client::Client;
use crate::error::Error;
use crate::models::lenient::{Keyed, Text};
use crate::models::{CostTotals, Costs, Id};
use crate::transport::decode;

/// Which cost lines: the filters `get_costs` and `get_costs_total` share.
#[skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct GetCosts {
    #[serde(rename = "id_project")]
    project: Option<u64>,
    #[serde(rename = "id_task")]
    task: Option<u64>,
    #[serde(rename = "datestart", serialize_with = "day")]
    from: Option<NaiveDate>,
    #[serde(rename = "dateend", serialize_with = "day")]
    to: Option<NaiveDate>,
    #[serde(rename = "is_timer", serialize_with = "flag")]
    timer: Option<bool>,
    filter: Option<String>,
}

impl GetCosts {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn project(mut self, project: u64) -> Self {
        self.project = Some(project);
        self
    }

    /// Costs of a task (and its subtasks).
    pub fn task(mut self, task: u64) -> Self {
        self.task = Some(task);
        self
    }

    /// From this day on, inclusive.
    pub fn from(mut self, day: NaiveDate) -> Self {
        self.from = Some(day);
        self
    }

    /// Up to this day, inclusive.
    pub fn to(mut self, day: NaiveDate) -> Self {
        self.to = Some(day);
        self
    }

    /// Only timer lines (`true`) or only manual ones (`false`).
    pub fn timer(mut self, timer: bool) -> Self {
        self.timer = Some(timer);
        self
    }

    /// A filter expression over `id`, `project`, `comment` and `dateadd`;
    /// build it with `crate::filter` so user text cannot change its meaning.
    pub fn filter(mut self, filter: impl std::fmt::Display) -> Self {
        self.filter = Some(filter.to_string());
        self
    }
}

impl Action for GetCosts {
    const NAME: &'static str = "get_costs";
    type Answer = Costs;
    fn read(body: &Bytes) -> Result<Costs, Error> {
        let env = decode(body)?;
        Ok(Costs {
            lines: env.data.unwrap_or_default(),
            total: env.total.unwrap_or_default(),
        })
    }
}

/// What `get_costs_total` adds beside the total.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum CostsTotalExtra {
    /// The total of each project, with its figures per month.
    Projects,
    /// Within each project, the total of each task.
    Tasks,
}

impl AsRef<str> for CostsTotalExtra {
    fn as_ref(&self) -> &str {
        match self {
            Self::Projects => "projects",
            Self::Tasks => "tasks",
        }
    }
}

/// `get_costs_total`: the same filters as `get_costs`, and optionally the
/// totals per project (with months) and per task.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct GetCostsTotal {
    #[serde(flatten)]
    costs: GetCosts,
    #[serde(serialize_with = "comma", skip_serializing_if = "Vec::is_empty")]
    extra: Vec<CostsTotalExtra>,
}

impl GetCostsTotal {
    /// The total of the lines `costs` selects.
    pub fn new(costs: GetCosts) -> Self {
        Self {
            costs,
            extra: Vec::new(),
        }
    }

    pub fn extra(mut self, extra: impl IntoIterator<Item = CostsTotalExtra>) -> Self {
        super::add_unique(&mut self.extra, extra);
        self
    }
}

/// The answer of `get_costs_total`.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct CostsTotal {
    pub total: CostTotals,
    /// With `extra=projects`: each project's total (`tasks` filled too
    /// with `extra=tasks`).
    pub projects: Vec<ProjectCosts>,
}

/// One project's costs in `get_costs_total` (as the official SDKs model
/// it: `CostProject` in `worksection/python-api-client` and
/// `worksection/php-api-client`).
#[serde_with::apply(String => #[serde(default)])]
#[serde_with::serde_as]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ProjectCosts {
    pub id: Id,
    #[serde_as(deserialize_as = "Text")]
    pub name: String,
    #[serde_as(deserialize_as = "Text")]
    pub page: String,
    /// The project's total over the selected lines.
    #[serde(flatten)]
    pub total: CostTotals,
    /// Per month, keyed `YYYY-MM` (`{"2024-04": {"time": "2:00", "money":
    /// "20.00"}}` in the PHP SDK's model; PHP's `[]` when there is none).
    #[serde_as(deserialize_as = "Keyed")]
    #[serde(default)]
    pub monthly: BTreeMap<String, CostTotals>,
    /// With `extra=tasks`: a keyed collection, as `projects` is.
    #[serde_as(deserialize_as = "Keyed")]
    #[serde(default)]
    pub tasks: Vec<TaskCosts>,
}

/// One task's costs in `get_costs_total` with `extra=tasks`.
#[serde_with::apply(String => #[serde(default)])]
#[serde_with::serde_as]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TaskCosts {
    pub id: Id,
    #[serde_as(deserialize_as = "Text")]
    pub name: String,
    #[serde_as(deserialize_as = "Text")]
    pub page: String,
    #[serde(flatten)]
    pub total: CostTotals,
}

impl Action for GetCostsTotal {
    const NAME: &'static str = "get_costs_total";
    type Answer = CostsTotal;
    fn read(body: &Bytes) -> Result<CostsTotal, Error> {
        /// A keyed collection: a list, or (as Worksection's API page shows
        /// it) an object keyed by project id.
        #[serde_with::serde_as]
        #[derive(Deserialize)]
        struct Projects {
            #[serde_as(deserialize_as = "Keyed")]
            #[serde(default)]
            projects: Vec<ProjectCosts>,
        }
        let env = decode::<serde::de::IgnoredAny>(body)?;
        let total = env.total.ok_or_else(|| Error::BadResponse {
            detail: "get_costs_total answered without a total".into(),
        })?;
        let projects = serde_json::from_slice::<Projects>(body)
            .map_err(|e| Error::BadResponse {
                detail: format!("unexpected projects in get_costs_total: {e}"),
            })?
            .projects;
        Ok(CostsTotal { total, projects })
    }
}

impl Client {
    pub async fn get_costs(&self, p: GetCosts) -> Result<Costs, Error> {
        self.send(&p).await
    }

    /// The total of the lines `p` selects.
    pub async fn get_costs_total(&self, p: GetCosts) -> Result<CostTotals, Error> {
        Ok(self.send(&GetCostsTotal::new(p)).await?.total)
    }
}

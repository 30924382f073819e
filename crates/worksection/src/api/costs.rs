//! Time and money costs, line by line and in total.

use chrono::NaiveDate;

use super::Query;
use crate::models::{CostTotals, Costs};
use crate::{Client, Error};

/// `get_costs` (with `filter`) and `get_costs_total` (without).
#[derive(Debug, Clone, Default)]
pub struct GetCosts {
    project: Option<u64>,
    task: Option<u64>,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
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

    /// A filter expression (`get_costs` only); see `crate::filter`.
    pub fn filter(mut self, filter: impl std::fmt::Display) -> Self {
        self.filter = Some(filter.to_string());
        self
    }

    fn query(&self, with_filter: bool) -> Vec<(String, String)> {
        Query::default()
            .opt("id_project", self.project)
            .opt("id_task", self.task)
            .date("datestart", self.from)
            .date("dateend", self.to)
            .opt("is_timer", self.timer.map(u8::from))
            .opt("filter", self.filter.as_ref().filter(|_| with_filter))
            .done()
    }
}

impl Client {
    pub async fn get_costs(&self, p: GetCosts) -> Result<Costs, Error> {
        let env = self.call("get_costs", p.query(true)).await?;
        Ok(Costs {
            lines: env.data.unwrap_or_default(),
            total: env.total.unwrap_or_default(),
        })
    }

    /// Totals only; `filter` does not apply here.
    pub async fn get_costs_total(&self, p: GetCosts) -> Result<CostTotals, Error> {
        let env = self
            .call::<serde_json::Value>("get_costs_total", p.query(false))
            .await?;
        env.total.ok_or_else(|| Error::BadResponse {
            detail: "get_costs_total answered without a total".into(),
        })
    }
}

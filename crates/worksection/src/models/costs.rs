//! Time and money costs.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::common::{Extra, Id, Minutes, Money, Undecoded, parse_date, record};
use super::lenient::{Block, Flag, HoursMinutes, Num, Text};
use super::members::UserRef;
use super::tasks::Task;

/// One cost line.
#[serde_with::apply(Option => #[serde(default, skip_serializing_if = "Option::is_none")], String => #[serde(default)])]
#[serde_with::serde_as]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(remote = "Self")]
pub struct Cost {
    pub id: Id,
    #[serde_as(deserialize_as = "Text")]
    pub comment: String,
    /// Logged time (`H:MM`).
    #[serde_as(deserialize_as = "HoursMinutes")]
    pub time: Option<Minutes>,
    #[serde_as(deserialize_as = "Num")]
    pub money: Option<Money>,
    #[serde_as(deserialize_as = "Text")]
    pub date: String,
    /// From the timer rather than entered by hand.
    #[serde_as(deserialize_as = "Flag")]
    pub is_timer: Option<bool>,
    #[serde_as(deserialize_as = "Block")]
    pub user_from: Option<UserRef>,
    #[serde_as(deserialize_as = "Block")]
    pub task: Option<Task>,
    /// What did not decode, kept as it came (see `Record`).
    #[serde(skip_deserializing)]
    pub undecoded: Option<Undecoded>,
    #[serde(flatten)]
    pub extra: Extra,
}

impl Cost {
    pub fn day(&self) -> Option<NaiveDate> {
        parse_date(&self.date)
    }
}

/// Totals of time and money.
#[serde_with::apply(Option => #[serde(default, skip_serializing_if = "Option::is_none")], String => #[serde(default)])]
#[serde_with::serde_as]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CostTotals {
    #[serde_as(deserialize_as = "HoursMinutes")]
    pub time: Option<Minutes>,
    #[serde_as(deserialize_as = "Num")]
    pub money: Option<Money>,
    #[serde(flatten)]
    pub extra: Extra,
}

/// `get_costs`: the lines and Worksection's total of them.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Costs {
    pub lines: Vec<Cost>,
    pub total: CostTotals,
}

record!(Cost);

//! Time and money costs.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::common::{Extra, Id, Minutes, Money, Undecoded, UserRef, lenient, parse_date, record};
use super::tasks::Task;

/// One cost line.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(remote = "Self")]
pub struct Cost {
    pub id: Id,
    #[serde(default, deserialize_with = "lenient::string")]
    pub comment: String,
    /// Logged time (`H:MM`).
    #[serde(
        default,
        deserialize_with = "lenient::opt_minutes",
        skip_serializing_if = "Option::is_none"
    )]
    pub time: Option<Minutes>,
    #[serde(
        default,
        deserialize_with = "lenient::opt_money",
        skip_serializing_if = "Option::is_none"
    )]
    pub money: Option<Money>,
    #[serde(default, deserialize_with = "lenient::string")]
    pub date: String,
    /// From the timer rather than entered by hand.
    #[serde(
        default,
        deserialize_with = "lenient::opt_bool",
        skip_serializing_if = "Option::is_none"
    )]
    pub is_timer: Option<bool>,
    #[serde(
        default,
        deserialize_with = "lenient::opt_block",
        skip_serializing_if = "Option::is_none"
    )]
    pub user_from: Option<UserRef>,
    #[serde(
        default,
        deserialize_with = "lenient::opt_block",
        skip_serializing_if = "Option::is_none"
    )]
    pub task: Option<Task>,
    /// What did not decode, kept as it came (see `Record`).
    #[serde(skip_deserializing, skip_serializing_if = "Option::is_none")]
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
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CostTotals {
    #[serde(
        default,
        deserialize_with = "lenient::opt_minutes",
        skip_serializing_if = "Option::is_none"
    )]
    pub time: Option<Minutes>,
    #[serde(
        default,
        deserialize_with = "lenient::opt_money",
        skip_serializing_if = "Option::is_none"
    )]
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

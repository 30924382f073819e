//! Running timers.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::common::{Extra, Id, Undecoded, record};
use super::lenient::{Block, Num, Text};
use super::members::UserRef;
use super::tasks::Task;

/// A running timer (`get_timers`): `time` is `HH:MM:SS`.
#[serde_with::apply(Option => #[serde(default, skip_serializing_if = "Option::is_none")], String => #[serde(default)])]
#[serde_with::serde_as]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(remote = "Self")]
pub struct Timer {
    pub id: Id,
    #[serde_as(deserialize_as = "Text")]
    pub time: String,
    #[serde_as(deserialize_as = "Text")]
    pub date_started: String,
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

impl Timer {
    /// How long it has run, from `HH:MM:SS`.
    pub fn elapsed(&self) -> Option<Duration> {
        let mut parts = self.time.split(':').map(|p| p.parse::<u64>().ok());
        let (h, m, s) = (parts.next()??, parts.next()??, parts.next()??);
        Some(Duration::from_secs(h * 3600 + m * 60 + s))
    }
}

/// The signed-in user's timer (`get_my_timer`): `time` in seconds.
#[serde_with::apply(Option => #[serde(default, skip_serializing_if = "Option::is_none")], String => #[serde(default)])]
#[serde_with::serde_as]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(remote = "Self")]
pub struct MyTimer {
    #[serde_as(deserialize_as = "Num")]
    pub time: Option<u64>,
    #[serde_as(deserialize_as = "Text")]
    pub date_started: String,
    #[serde_as(deserialize_as = "Block")]
    pub task: Option<Task>,
    /// What did not decode, kept as it came (see `Record`).
    #[serde(skip_deserializing)]
    pub undecoded: Option<Undecoded>,
    #[serde(flatten)]
    pub extra: Extra,
}

record!(Timer, MyTimer);

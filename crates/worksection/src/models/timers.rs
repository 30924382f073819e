//! Running timers.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::common::{Extra, Id, Undecoded, UserRef, lenient, record};
use super::tasks::Task;

/// A running timer (`get_timers`): `time` is `HH:MM:SS`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(remote = "Self")]
pub struct Timer {
    pub id: Id,
    #[serde(default, deserialize_with = "lenient::string")]
    pub time: String,
    #[serde(default, deserialize_with = "lenient::string")]
    pub date_started: String,
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

impl Timer {
    /// How long it has run, from `HH:MM:SS`.
    pub fn elapsed(&self) -> Option<Duration> {
        let mut parts = self.time.split(':').map(|p| p.parse::<u64>().ok());
        let (h, m, s) = (parts.next()??, parts.next()??, parts.next()??);
        Some(Duration::from_secs(h * 3600 + m * 60 + s))
    }
}

/// The signed-in user's timer (`get_my_timer`): `time` in seconds.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(remote = "Self")]
pub struct MyTimer {
    #[serde(
        default,
        deserialize_with = "lenient::opt_u64",
        skip_serializing_if = "Option::is_none"
    )]
    pub time: Option<u64>,
    #[serde(default, deserialize_with = "lenient::string")]
    pub date_started: String,
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

record!(Timer, MyTimer);

//! The activity log over a recent period.

use std::fmt;
use std::str::FromStr;

use bytes::Bytes;
use serde::Serialize;
use serde_with::{DisplayFromStr, serde_as, skip_serializing_none};

use crate::action::Action;
use crate::client::Client;
use crate::error::Error;
use crate::models::Event;
use crate::transport::list;

/// How far back `get_events` looks: `1m..360m`, `1h..72h` or `1d..30d`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Period {
    Minutes(u16),
    Hours(u8),
    Days(u8),
}

impl Period {
    pub fn minutes(n: u16) -> Result<Self, Error> {
        check(u32::from(n), 360, "m").map(|_| Self::Minutes(n))
    }

    pub fn hours(n: u8) -> Result<Self, Error> {
        check(u32::from(n), 72, "h").map(|_| Self::Hours(n))
    }

    pub fn days(n: u8) -> Result<Self, Error> {
        check(u32::from(n), 30, "d").map(|_| Self::Days(n))
    }

    /// The period as a duration.
    pub fn duration(self) -> chrono::Duration {
        match self {
            Self::Minutes(n) => chrono::Duration::minutes(n.into()),
            Self::Hours(n) => chrono::Duration::hours(n.into()),
            Self::Days(n) => chrono::Duration::days(n.into()),
        }
    }
}

fn check(n: u32, max: u32, unit: &str) -> Result<(), Error> {
    if (1..=max).contains(&n) {
        Ok(())
    } else {
        Err(Error::InvalidArgument(format!(
            "period {n}{unit} is out of range; use 1m..360m, 1h..72h or 1d..30d"
        )))
    }
}

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Minutes(n) => write!(f, "{n}m"),
            Self::Hours(n) => write!(f, "{n}h"),
            Self::Days(n) => write!(f, "{n}d"),
        }
    }
}

impl FromStr for Period {
    type Err = Error;

    /// `"6h"`, `"30d"`, `"90m"`.
    fn from_str(s: &str) -> Result<Self, Error> {
        let s = s.trim();
        let bad = || {
            Error::InvalidArgument(format!(
                "period `{s}` is not like 6h, 30d or 90m (1m..360m, 1h..72h, 1d..30d)"
            ))
        };
        let unit = s.chars().last().ok_or_else(bad)?;
        let n: u32 = s
            .get(..s.len() - unit.len_utf8())
            .and_then(|n| n.parse().ok())
            .ok_or_else(bad)?;
        match unit {
            'm' => Self::minutes(u16::try_from(n).map_err(|_| bad())?),
            'h' => Self::hours(u8::try_from(n).map_err(|_| bad())?),
            'd' => Self::days(u8::try_from(n).map_err(|_| bad())?),
            _ => Err(bad()),
        }
    }
}

/// `get_events`.
#[serde_as]
#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GetEvents {
    #[serde_as(as = "DisplayFromStr")]
    period: Period,
    #[serde(rename = "id_project")]
    project: Option<u64>,
}

impl GetEvents {
    pub fn new(period: Period) -> Self {
        Self {
            period,
            project: None,
        }
    }

    pub fn project(mut self, project: u64) -> Self {
        self.project = Some(project);
        self
    }
}

impl Action for GetEvents {
    const NAME: &'static str = "get_events";
    type Answer = Vec<Event>;
    fn read(body: &Bytes) -> Result<Vec<Event>, Error> {
        list(body)
    }
}

impl Client {
    /// What happened in the period, oldest first.
    pub async fn get_events(&self, p: GetEvents) -> Result<Vec<Event>, Error> {
        self.send(&p).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods_are_validated() {
        assert_eq!("6h".parse::<Period>().ok(), Some(Period::Hours(6)));
        assert_eq!("30d".parse::<Period>().ok(), Some(Period::Days(30)));
        assert_eq!("360m".parse::<Period>().ok(), Some(Period::Minutes(360)));
        for bad in [
            "60d",
            "0h",
            "73h",
            "361m",
            "",
            "d",
            "5w",
            "-1d",
            "1.5h",
            "999999999999d",
            "ñ",
        ] {
            let e = bad.parse::<Period>().expect_err(bad);
            assert!(e.to_string().contains("1d..30d"), "{bad}: {e}");
        }
        assert_eq!(Period::Days(7).to_string(), "7d");
    }
}

//! Types every area shares, and the lenient parsing Worksection needs.
//!
//! Worksection's shapes are loose: ids are strings except where they are
//! numbers, priorities and sizes are strings, money is a decimal string,
//! time is `H:MM`, flags are booleans or 0/1, and an empty object may come as
//! `[]` (PHP's empty array). These helpers accept every form seen and never
//! fail a whole answer over one odd field: an unreadable optional value
//! becomes `None`.

use std::collections::BTreeMap;
use std::fmt;

use chrono::{NaiveDate, NaiveDateTime};
use serde::de::{self, Deserializer};
use serde::{Deserialize, Serialize, Serializer};
use serde_json::{Map, Value};

/// Fields a type does not model, kept as they came.
pub type Extra = Map<String, Value>;

/// An id, as Worksection's canonical string. Numbers are accepted too.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct Id(String);

impl Id {
    pub fn new(id: impl Into<String>) -> Self {
        Self(id.into())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn as_u64(&self) -> Option<u64> {
        self.0.parse().ok()
    }
}

impl fmt::Display for Id {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<u64> for Id {
    fn from(n: u64) -> Self {
        Self(n.to_string())
    }
}

impl<'de> Deserialize<'de> for Id {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match Value::deserialize(d)? {
            Value::String(s) => Ok(Self(s)),
            Value::Number(n) => Ok(Self(n.to_string())),
            other => Err(de::Error::custom(format!(
                "an id must be a string or a number, not {other}"
            ))),
        }
    }
}

/// A person as Worksection embeds them: `{"id","email","name"}`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct UserRef {
    #[serde(default)]
    pub id: Id,
    #[serde(default)]
    pub email: String,
    #[serde(default)]
    pub name: String,
    #[serde(flatten)]
    pub extra: Extra,
}

/// Worksection's stand-ins for "nobody" and "anybody".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PseudoUser {
    /// `NOONE`: no assignee or no manager.
    Nobody,
    /// `ANY`: anyone may take the task.
    Anyone,
}

impl UserRef {
    /// `Some` when this is not a real person.
    pub fn pseudo(&self) -> Option<PseudoUser> {
        match self.email.as_str() {
            "NOONE" => Some(PseudoUser::Nobody),
            "ANY" => Some(PseudoUser::Anyone),
            _ => None,
        }
    }
}

/// Money, exactly, in cents. Worksection writes `"75.17"`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Money {
    pub cents: i64,
}

impl Money {
    /// Parses `"75.17"`, `"5436"`, `"-3.5"`, `"1 200.00"`; `None` otherwise.
    pub fn parse(s: &str) -> Option<Self> {
        let s: String = s
            .trim()
            .chars()
            .filter(|c| !c.is_whitespace() && *c != ',')
            .collect();
        let (neg, digits) = match s.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, s.as_str()),
        };
        let (whole, frac) = digits.split_once('.').unwrap_or((digits, ""));
        if whole.is_empty() && frac.is_empty() || frac.len() > 2 {
            return None;
        }
        if !whole
            .chars()
            .chain(frac.chars())
            .all(|c| c.is_ascii_digit())
        {
            return None;
        }
        let whole: i64 = if whole.is_empty() {
            0
        } else {
            whole.parse().ok()?
        };
        let frac: i64 = match frac.len() {
            0 => 0,
            1 => frac.parse::<i64>().ok()? * 10,
            _ => frac.parse().ok()?,
        };
        let cents = whole.checked_mul(100)?.checked_add(frac)?;
        Some(Self {
            cents: if neg { -cents } else { cents },
        })
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.cents < 0 { "-" } else { "" };
        let abs = self.cents.unsigned_abs();
        write!(f, "{sign}{}.{:02}", abs / 100, abs % 100)
    }
}

impl std::ops::Add for Money {
    type Output = Money;
    fn add(self, o: Money) -> Money {
        Money {
            cents: self.cents.saturating_add(o.cents),
        }
    }
}

impl std::iter::Sum for Money {
    fn sum<I: Iterator<Item = Money>>(it: I) -> Money {
        it.fold(Money::default(), |a, b| a + b)
    }
}

impl Serialize for Money {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// A duration in whole minutes. Worksection writes `"H:MM"`, hours unbounded
/// (`"103:39"`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Minutes(pub u64);

impl Minutes {
    /// Parses `"6:50"`, `"103:39"`, `"0:05"`; `None` otherwise.
    pub fn parse(s: &str) -> Option<Self> {
        let (h, m) = s.trim().split_once(':')?;
        if h.is_empty() || m.len() != 2 || !h.chars().chain(m.chars()).all(|c| c.is_ascii_digit()) {
            return None;
        }
        let (h, m): (u64, u64) = (h.parse().ok()?, m.parse().ok()?);
        if m >= 60 {
            return None;
        }
        Some(Self(h.checked_mul(60)?.checked_add(m)?))
    }

    pub fn hours(self) -> f64 {
        self.0 as f64 / 60.0
    }
}

impl fmt::Display for Minutes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{:02}", self.0 / 60, self.0 % 60)
    }
}

impl std::ops::Add for Minutes {
    type Output = Minutes;
    fn add(self, o: Minutes) -> Minutes {
        Minutes(self.0.saturating_add(o.0))
    }
}

impl std::iter::Sum for Minutes {
    fn sum<I: Iterator<Item = Minutes>>(it: I) -> Minutes {
        it.fold(Minutes::default(), |a, b| a + b)
    }
}

impl Serialize for Minutes {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// `YYYY-MM-DD`, Worksection's output date format.
pub fn parse_date(s: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").ok()
}

/// `YYYY-MM-DD HH:MM`, Worksection's output timestamp format.
pub fn parse_datetime(s: &str) -> Option<NaiveDateTime> {
    NaiveDateTime::parse_from_str(s.trim(), "%Y-%m-%d %H:%M").ok()
}

/// Lenient deserializers, for `#[serde(deserialize_with = "...")]` together
/// with `#[serde(default)]`.
pub(crate) mod lenient {
    use super::*;

    fn number(v: &Value) -> Option<f64> {
        match v {
            Value::Number(n) => n.as_f64(),
            Value::String(s) => s.trim().parse().ok(),
            _ => None,
        }
    }

    pub fn opt_f64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
        Ok(number(&Value::deserialize(d)?))
    }

    pub fn opt_u64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
        Ok(number(&Value::deserialize(d)?)
            .filter(|n| *n >= 0.0 && n.fract() == 0.0)
            .map(|n| n as u64))
    }

    pub fn opt_u8<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u8>, D::Error> {
        Ok(opt_u64(d)?.and_then(|n| u8::try_from(n).ok()))
    }

    pub fn opt_bool<'de, D: Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
        Ok(match Value::deserialize(d)? {
            Value::Bool(b) => Some(b),
            Value::Number(n) => n.as_i64().map(|n| n != 0),
            Value::String(s) => match s.trim() {
                "1" | "true" => Some(true),
                "0" | "false" | "" => Some(false),
                _ => None,
            },
            _ => None,
        })
    }

    pub fn opt_money<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Money>, D::Error> {
        Ok(match Value::deserialize(d)? {
            Value::String(s) => Money::parse(&s),
            Value::Number(n) => n.as_f64().map(|f| Money {
                cents: (f * 100.0).round() as i64,
            }),
            _ => None,
        })
    }

    pub fn opt_minutes<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Minutes>, D::Error> {
        Ok(match Value::deserialize(d)? {
            Value::String(s) => Minutes::parse(&s),
            _ => None,
        })
    }

    /// `{"105554": "inner"}`, or `[]` when empty (PHP).
    pub fn opt_tag_map<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Option<BTreeMap<String, String>>, D::Error> {
        Ok(match Value::deserialize(d)? {
            Value::Object(m) => Some(
                m.into_iter()
                    .map(|(k, v)| {
                        (
                            k,
                            v.as_str()
                                .map(str::to_owned)
                                .unwrap_or_else(|| v.to_string()),
                        )
                    })
                    .collect(),
            ),
            Value::Array(a) if a.is_empty() => Some(BTreeMap::new()),
            _ => None,
        })
    }

    /// A list, or nothing; a list with an unreadable item is an error, since
    /// silently dropping records would hide data.
    pub fn opt_vec<'de, D: Deserializer<'de>, T: serde::de::DeserializeOwned>(
        d: D,
    ) -> Result<Option<Vec<T>>, D::Error> {
        match Value::deserialize(d)? {
            Value::Array(a) => a
                .into_iter()
                .map(|v| serde_json::from_value(v).map_err(de::Error::custom))
                .collect::<Result<Vec<T>, _>>()
                .map(Some),
            Value::Null => Ok(None),
            Value::Object(m) if m.is_empty() => Ok(Some(Vec::new())),
            other => Err(de::Error::custom(format!("expected a list, got {other}"))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_from_strings_and_numbers() {
        let ids: Vec<Id> = serde_json::from_str(r#"["3993", 97, "-4"]"#).expect("ids");
        assert_eq!(ids, [Id::new("3993"), Id::new("97"), Id::new("-4")]);
        assert_eq!(ids[0].as_u64(), Some(3993));
        assert_eq!(ids[2].as_u64(), None);
        assert!(serde_json::from_str::<Id>("null").is_err());
    }

    #[test]
    fn money_is_exact() {
        assert_eq!(Money::parse("75.17"), Some(Money { cents: 7517 }));
        assert_eq!(Money::parse("5436.00"), Some(Money { cents: 543_600 }));
        assert_eq!(Money::parse("0.5"), Some(Money { cents: 50 }));
        assert_eq!(Money::parse("12"), Some(Money { cents: 1200 }));
        assert_eq!(Money::parse("-3.05"), Some(Money { cents: -305 }));
        assert_eq!(Money::parse("1 200.00"), Some(Money { cents: 120_000 }));
        for bad in ["", "-", "abc", "1.234", "1.2.3", "."] {
            assert_eq!(Money::parse(bad), None, "{bad}");
        }
        let total: Money = ["75.17", "0.10", "0.20"]
            .iter()
            .filter_map(|s| Money::parse(s))
            .sum();
        assert_eq!(total.to_string(), "75.47", "no floating-point drift");
        assert_eq!(Money { cents: -5 }.to_string(), "-0.05");
    }

    #[test]
    fn minutes_parse_h_mm() {
        assert_eq!(Minutes::parse("6:50"), Some(Minutes(410)));
        assert_eq!(Minutes::parse("103:39"), Some(Minutes(6219)));
        assert_eq!(Minutes::parse("0:05"), Some(Minutes(5)));
        for bad in ["", "-", "5", "1:5", "1:60", "a:10", ":10", "1:100"] {
            assert_eq!(Minutes::parse(bad), None, "{bad}");
        }
        assert_eq!(Minutes(6219).to_string(), "103:39");
        assert_eq!(Minutes(5).to_string(), "0:05");
    }

    #[test]
    fn pseudo_users() {
        let u: UserRef =
            serde_json::from_str(r#"{"id":"2","email":"ANY","name":"Anyone"}"#).expect("user");
        assert_eq!(u.pseudo(), Some(PseudoUser::Anyone));
        let u: UserRef =
            serde_json::from_str(r#"{"id":"1","email":"NOONE","name":"x"}"#).expect("user");
        assert_eq!(u.pseudo(), Some(PseudoUser::Nobody));
    }

    #[test]
    fn dates() {
        assert_eq!(
            parse_date("2021-02-16"),
            NaiveDate::from_ymd_opt(2021, 2, 16)
        );
        assert!(parse_datetime("2021-01-07 10:01").is_some());
        assert_eq!(parse_date(""), None);
    }
}

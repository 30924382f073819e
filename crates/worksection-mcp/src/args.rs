//! Tool arguments: the shared parameter types and their checks.
//!
//! Arguments arrive as JSON from a model, so every one is checked before
//! anything is sent upstream: ids must be digits, dates must be real dates
//! in `YYYY-MM-DD` or `DD.MM.YYYY`, counts must be in range. Each check
//! fails with a [`ToolError::Argument`] that names the argument and says
//! what a good value looks like. Ids are declared as strings in the schema
//! (Worksection's ids are digit strings) but a bare JSON number is accepted
//! too, because models send one often enough.

use chrono::NaiveDate;
use schemars::JsonSchema;
use serde::{Deserialize, Deserializer};

use crate::error::ToolError;

/// An id as the model sent it: a digit string (or a number), checked by
/// [`id`] when the tool runs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IdArg(pub String);

impl<'de> Deserialize<'de> for IdArg {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match serde_json::Value::deserialize(d)? {
            serde_json::Value::String(s) => Ok(Self(s)),
            serde_json::Value::Number(n) => Ok(Self(n.to_string())),
            other => Err(serde::de::Error::custom(format!(
                "expected an id as a string of digits such as \"12345\", got {}",
                kind(&other)
            ))),
        }
    }
}

impl JsonSchema for IdArg {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Id".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "string",
            "pattern": "^[0-9]+$",
        })
    }

    fn inline_schema() -> bool {
        true
    }
}

fn kind(v: &serde_json::Value) -> &'static str {
    match v {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "a boolean",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Array(_) => "a list",
        serde_json::Value::Object(_) => "an object",
    }
}

/// The id as a number, or an error naming `name`.
pub fn id(name: &'static str, raw: &IdArg) -> Result<u64, ToolError> {
    let s = raw.0.trim();
    if s.is_empty() {
        return Err(ToolError::argument(
            name,
            "is empty; give an id such as \"12345\"",
        ));
    }
    if s.len() > 19 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ToolError::argument(
            name,
            format!(
                "{} is not an id; ids are digits such as \"12345\"",
                shorten(s)
            ),
        ));
    }
    match s.parse::<u64>() {
        Ok(0) | Err(_) => Err(ToolError::argument(
            name,
            format!(
                "{} is not an id; ids are positive numbers such as \"12345\"",
                shorten(s)
            ),
        )),
        Ok(n) => Ok(n),
    }
}

/// An optional id.
pub fn opt_id(name: &'static str, raw: &Option<IdArg>) -> Result<Option<u64>, ToolError> {
    raw.as_ref().map(|r| id(name, r)).transpose()
}

/// A date in `YYYY-MM-DD` or `DD.MM.YYYY`.
pub fn date(name: &'static str, raw: &str) -> Result<NaiveDate, ToolError> {
    let s = raw.trim();
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .or_else(|_| NaiveDate::parse_from_str(s, "%d.%m.%Y"))
        .ok()
        // Worksection writes years with four digits; chrono would accept
        // year 0, negative and five-digit years.
        .filter(|d| (1..=9999).contains(&chrono::Datelike::year(d)))
        .ok_or_else(|| {
            ToolError::argument(
                name,
                format!(
                    "{} is not a date; use YYYY-MM-DD (or DD.MM.YYYY)",
                    shorten(s)
                ),
            )
        })
}

pub fn opt_date(name: &'static str, raw: &Option<String>) -> Result<Option<NaiveDate>, ToolError> {
    raw.as_deref()
        .filter(|s| !s.trim().is_empty())
        .map(|s| date(name, s))
        .transpose()
}

/// A start/end pair in order.
pub fn range(
    start: Option<NaiveDate>,
    end: Option<NaiveDate>,
) -> Result<(Option<NaiveDate>, Option<NaiveDate>), ToolError> {
    if let (Some(s), Some(e)) = (start, end)
        && s > e
    {
        return Err(ToolError::argument(
            "date_start",
            format!("{s} is after date_end {e}; swap them"),
        ));
    }
    Ok((start, end))
}

/// `max_results`: 1..=limit.
pub fn max_results(raw: Option<i64>, default: usize, limit: usize) -> Result<usize, ToolError> {
    match raw {
        None => Ok(default),
        Some(n) if n >= 1 && (n as u64) <= limit as u64 => Ok(n as usize),
        Some(n) => Err(ToolError::argument(
            "max_results",
            format!("{n} is out of range; use 1 to {limit}"),
        )),
    }
}

/// An email address, loosely: something@something.
pub fn email(name: &'static str, raw: &str) -> Result<String, ToolError> {
    let s = raw.trim();
    let ok = s.len() <= 254
        && s.split_once('@').is_some_and(|(u, d)| {
            !u.is_empty() && !d.is_empty() && !s.chars().any(char::is_whitespace)
        });
    if ok {
        Ok(s.to_owned())
    } else {
        Err(ToolError::argument(
            name,
            format!("{} is not an email address", shorten(s)),
        ))
    }
}

/// A bounded free text (search words, tag names).
pub fn text(name: &'static str, raw: &str, limit: usize) -> Result<String, ToolError> {
    let s = raw.trim();
    if s.is_empty() {
        return Err(ToolError::argument(name, "is empty"));
    }
    if s.chars().count() > limit {
        return Err(ToolError::argument(
            name,
            format!(
                "is {} characters long; keep it under {limit}",
                s.chars().count()
            ),
        ));
    }
    Ok(s.to_owned())
}

/// A value quoted back in an error, cut so a 1 MB argument does not come
/// back as a 1 MB error.
pub fn shorten(s: &str) -> String {
    const MAX: usize = 40;
    if s.chars().count() <= MAX {
        format!("\"{s}\"")
    } else {
        let head: String = s.chars().take(MAX).collect();
        format!("\"{head}…\"")
    }
}

/// A comma-separated `extra` list checked against the allowed words, in
/// the order of `allowed` and without repeats, so the same request always
/// has the same cache key.
pub fn extras<T: Copy>(
    name: &'static str,
    raw: &Option<String>,
    allowed: &[(&'static str, T)],
) -> Result<Vec<T>, ToolError> {
    let Some(raw) = raw else {
        return Ok(Vec::new());
    };
    let mut picked = vec![false; allowed.len()];
    for word in raw.split(',').map(str::trim).filter(|w| !w.is_empty()) {
        match allowed
            .iter()
            .position(|(w, _)| w.eq_ignore_ascii_case(word))
        {
            Some(i) => picked[i] = true,
            None => {
                let names: Vec<&str> = allowed.iter().map(|(w, _)| *w).collect();
                return Err(ToolError::argument(
                    name,
                    format!("{} is not one of {}", shorten(word), names.join(", ")),
                ));
            }
        }
    }
    Ok(allowed
        .iter()
        .zip(picked)
        .filter(|(_, p)| *p)
        .map(|((_, v), _)| *v)
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids() {
        assert_eq!(id("task_id", &IdArg("123".into())).ok(), Some(123));
        for bad in [
            "",
            "abc",
            "../../etc/passwd",
            "-1",
            "0",
            "1e5",
            "99999999999999999999",
        ] {
            let e = id("task_id", &IdArg(bad.into()))
                .expect_err(bad)
                .to_string();
            assert!(e.contains("`task_id`"), "{e}");
        }
        let parsed: IdArg = serde_json::from_str("42").expect("number id");
        assert_eq!(parsed.0, "42");
        assert!(serde_json::from_str::<IdArg>("null").is_err());
    }

    #[test]
    fn dates() {
        let d = NaiveDate::from_ymd_opt(2026, 3, 1);
        assert_eq!(date("d", "2026-03-01").ok(), d);
        assert_eq!(date("d", "01.03.2026").ok(), d);
        assert!(date("d", "2026-02-30").is_err());
        for bad in ["0000-01-01", "+12345-01-01", "-0001-01-01", "01.2.0"] {
            assert!(date("d", bad).is_err(), "{bad}");
        }
        assert!(range(d, NaiveDate::from_ymd_opt(2026, 1, 1)).is_err());
    }

    #[test]
    fn long_values_are_shortened_in_errors() {
        let huge = "x".repeat(1_000_000);
        let e = id("task_id", &IdArg(huge)).expect_err("huge").to_string();
        assert!(e.len() < 200);
    }

    #[test]
    fn extras_are_checked() {
        let allowed = [("text", 1), ("files", 2)];
        assert_eq!(
            extras("extra", &Some("FILES, text,files".into()), &allowed).ok(),
            Some(vec![1, 2])
        );
        let e = extras("extra", &Some("text,bogus".into()), &allowed).expect_err("bogus");
        assert!(e.to_string().contains("bogus"));
    }
}

//! Types every area shares, and the lenient parsing Worksection needs.
//!
//! Worksection's shapes are loose: ids are strings except where they are
//! numbers, priorities and sizes are strings, money is a decimal string,
//! time is `H:MM`, flags are booleans or 0/1, an empty object may come as
//! `[]` (PHP's empty array), `null` may stand where a string is usual, and a
//! one-object answer may come as a one-element list. The `lenient`
//! deserializers accept every such form (`reconciliation` lists them, with
//! their sources).
//!
//! What no form explains is never guessed at: a record with a field that
//! does not decode is still kept ([`Record`]), with that field left out of
//! its typed fields and kept as it came in [`Undecoded`], together with the
//! field's name, what was expected and what kind of value came (never the
//! value itself), and a `debug!` line. One odd record never fails a list,
//! and a tool can show what it could not read instead of hiding it.

use std::collections::BTreeMap;
use std::fmt;

use chrono::{NaiveDate, NaiveDateTime};
use serde::de::{self, Deserializer};
use serde::{Deserialize, Serialize, Serializer};
use serde_json::{Map, Value};
use tracing::debug;

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
                "invalid type: {}, expected an id (a string or a number)",
                kind(&other)
            ))),
        }
    }
}

impl Id {
    /// No id: a record Worksection sent without one (see [`Undecoded`]).
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// What kind of JSON value `v` is, for messages that must not repeat the
/// value itself (it is account data).
pub fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(s) if s.is_empty() => "an empty string",
        Value::String(_) => "a string",
        Value::Array(a) if a.is_empty() => "an empty list",
        Value::Array(_) => "a list",
        Value::Object(m) if m.is_empty() => "an empty object",
        Value::Object(_) => "an object",
    }
}

/// The fields of a record that did not decode, kept as they came.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Undecoded {
    /// One line per field: its name, what was expected, what kind of value
    /// came (`"user_from: expected struct UserRef, got a number"`); `.` for
    /// the record as a whole (a required field missing).
    pub problems: Vec<String>,
    /// Those fields as Worksection sent them (every field, when the record
    /// as a whole did not decode).
    pub fields: Extra,
}

/// A record of Worksection's answers (a task, a project, a cost line...):
/// it decodes leniently, field by field, and keeps what it could not read
/// in [`Undecoded`] instead of failing the answer it is in.
pub trait Record: Default {
    /// What of this record did not decode; `None` for a whole record.
    fn undecoded(&self) -> Option<&Undecoded>;
}

/// A strict decode's failure: where in the record (`user_from.id`; `.`
/// for the record itself) and serde's error.
pub(crate) struct Failure {
    pub(crate) path: String,
    pub(crate) error: serde_json::Error,
}

thread_local! {
    /// The decode problems of the answer being read on this thread, when
    /// someone collects them ([`collect_problems`]).
    static PROBLEMS: std::cell::RefCell<Option<Vec<String>>> = const { std::cell::RefCell::new(None) };
}

/// Runs `read` (a synchronous decode of one answer) and returns what it
/// returned with every decode problem of the records in it, one line each
/// (`Task.user_from.id: expected an id (a string or a number), got a
/// boolean`): the record's type, the field's path, what was expected and
/// what kind of value came, never the value. `Client::send` keeps them per
/// request, for a check to read.
pub(crate) fn collect_problems<T>(read: impl FnOnce() -> T) -> (T, Vec<String>) {
    let outer = PROBLEMS.with(|p| p.borrow_mut().replace(Vec::new()));
    let out = read();
    let problems = PROBLEMS.with(|p| std::mem::replace(&mut *p.borrow_mut(), outer));
    (out, problems.unwrap_or_default())
}

fn note_problems(type_name: &str, problems: &[String]) {
    PROBLEMS.with(|p| {
        if let Some(list) = p.borrow_mut().as_mut() {
            list.extend(problems.iter().map(|line| match line.strip_prefix(". ") {
                Some(rest) => format!(
                    "{type_name}{}",
                    rest.trim_start_matches(&format!("({type_name})"))
                ),
                None => format!("{type_name}.{line}"),
            }));
        }
    });
}

/// Decodes one record: the strict derive first; when that fails, the record
/// without each field that does not decode, those fields kept in
/// [`Undecoded`]. A one-element list is its one element (one-object actions
/// answer so at times, and the official SDKs take the first item); any other
/// non-object is an error, for the caller (a list, the envelope) to report.
pub(crate) fn decode_record<T: Record>(
    raw: Value,
    strict: fn(&Value) -> Result<T, Failure>,
    set: fn(&mut T, Undecoded),
    type_name: &'static str,
) -> Result<T, String> {
    let raw = match raw {
        Value::Array(mut a) if a.len() == 1 => a.remove(0),
        other => other,
    };
    let first = match strict(&raw) {
        Ok(t) => return Ok(t),
        Err(e) => e,
    };
    let Value::Object(mut fields) = raw else {
        return Err(format!("expected {type_name}, got {}", kind(&raw)));
    };
    let mut undecoded = Undecoded::default();
    let mut failure = first;
    loop {
        let error = failure.error.to_string();
        // The field whose absence changes the error is the one that caused it.
        let culprit = fields.keys().find_map(|k| {
            let mut without = fields.clone();
            let v = without.remove(k)?;
            match strict(&Value::Object(without)) {
                Ok(_) => Some((k.clone(), v)),
                // Leaving out a required field changes the error too, but
                // says nothing about this one.
                Err(e) if e.error.to_string().starts_with("missing field") => None,
                Err(e) if e.error.to_string() != error => Some((k.clone(), v)),
                Err(_) => None,
            }
        });
        let Some((key, value)) = culprit else {
            // Nothing to leave out helps: a required field is missing or
            // unreadable. The whole record is kept as it came.
            undecoded
                .problems
                .push(format!(". ({type_name}): {}", expected(&failure.error)));
            undecoded.fields = fields;
            let mut t = T::default();
            debug!(record = type_name, problems = ?undecoded.problems, "kept a record that did not decode");
            note_problems(type_name, &undecoded.problems);
            set(&mut t, undecoded);
            return Ok(t);
        };
        // The path serde was at names the field inside `key` that failed
        // (`user_from.id`, deeper when a nested decode says where); the
        // kind is of the value there.
        let full = match split_at(&error) {
            Some((inner, _)) if inner.starts_with('[') => format!("{}{inner}", failure.path),
            Some((inner, _)) => format!("{}.{inner}", failure.path),
            None => failure.path.clone(),
        };
        let (path, got) = match at_path(&full, &key, &value) {
            Some(inner) => (full.clone(), kind(inner)),
            None => match at_path(&failure.path, &key, &value) {
                Some(inner) => (failure.path.clone(), kind(inner)),
                None => (key.clone(), kind(&value)),
            },
        };
        undecoded
            .problems
            .push(format!("{path}: {}, got {got}", expected(&failure.error)));
        fields.remove(&key);
        undecoded.fields.insert(key, value);
        match strict(&Value::Object(fields.clone())) {
            Ok(mut t) => {
                debug!(record = type_name, problems = ?undecoded.problems, "kept a record with fields that did not decode");
                note_problems(type_name, &undecoded.problems);
                set(&mut t, undecoded);
                return Ok(t);
            }
            Err(e) => failure = e,
        }
    }
}

/// A nested decode's error message placed under `prefix`: `at `p`: msg`,
/// where an inner `at `q`: ` is joined to it (`p.q`, `p[0]`).
pub(crate) fn within(prefix: &str, msg: &str) -> String {
    match split_at(msg) {
        Some((inner, rest)) => {
            let sep = if inner.starts_with('[') { "" } else { "." };
            format!("at `{prefix}{sep}{inner}`: {rest}")
        }
        None => format!("at `{prefix}`: {msg}"),
    }
}

/// `at `path`: rest` as its path and rest.
fn split_at(msg: &str) -> Option<(&str, &str)> {
    let rest = msg.strip_prefix("at `")?;
    let (path, rest) = rest.split_once("`: ")?;
    Some((path, rest))
}

/// The value at a dotted path (`user_from.id`, `tags[0]`) that starts at
/// the field `key`, when the path does.
fn at_path<'v>(path: &str, key: &str, value: &'v Value) -> Option<&'v Value> {
    let rest = path.strip_prefix(key)?;
    let mut at = value;
    let mut segments = rest;
    while !segments.is_empty() {
        if let Some(r) = segments.strip_prefix('.') {
            let end = r.find(['.', '[']).unwrap_or(r.len());
            at = at.get(&r[..end])?;
            segments = &r[end..];
        } else if let Some(r) = segments.strip_prefix('[') {
            let end = r.find(']')?;
            at = at.get(r[..end].parse::<usize>().ok()?)?;
            segments = &r[end + 1..];
        } else {
            return None;
        }
    }
    Some(at)
}

/// What a serde error says was expected, without the value it saw.
pub(crate) fn expected(e: &serde_json::Error) -> String {
    let msg = e.to_string();
    // serde_json adds where in the text; not a place in the record. Where
    // in the record (a nested decode's `at `path`: `) is the caller's.
    let msg = msg.split(" at line ").next().unwrap_or(&msg);
    let msg = split_at(msg).map_or(msg, |(_, rest)| rest);
    // The last ", expected" is serde's: a value quoted before it may hold one.
    match msg.rsplit_once(", expected ") {
        Some((_, exp)) => format!("expected {exp}"),
        None if msg.starts_with("missing field") => msg.to_owned(),
        // A record's own error (`decode_record`): "expected Task, got a number".
        None if msg.starts_with("expected ") => {
            msg.split(", got ").next().unwrap_or(msg).to_owned()
        }
        None => "not readable".to_owned(),
    }
}

/// Makes a model type a [`Record`]: its `#[serde(remote = "Self")]` derive
/// is the strict decode, and the trait impls decode through
/// [`decode_record`]. The type needs `undecoded: Option<Undecoded>` with
/// `#[serde(skip_deserializing, skip_serializing_if = "Option::is_none")]`.
macro_rules! record {
    ($($t:ident),* $(,)?) => {$(
        impl<'de> ::serde::Deserialize<'de> for $t {
            fn deserialize<D: ::serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let raw = <::serde_json::Value as ::serde::Deserialize>::deserialize(d)?;
                $crate::models::common::decode_record(
                    raw,
                    |v: &::serde_json::Value| {
                        let mut track = ::serde_path_to_error::Track::new();
                        $t::deserialize(::serde_path_to_error::Deserializer::new(v, &mut track))
                            .map_err(|error| $crate::models::common::Failure {
                                path: track.path().to_string(),
                                error,
                            })
                    },
                    |t: &mut $t, u| t.undecoded = Some(u),
                    stringify!($t),
                )
                .map_err(<D::Error as ::serde::de::Error>::custom)
            }
        }

        impl ::serde::Serialize for $t {
            fn serialize<S: ::serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                $t::serialize(self, s)
            }
        }

        impl $crate::models::common::Record for $t {
            fn undecoded(&self) -> Option<&$crate::models::common::Undecoded> {
                self.undecoded.as_ref()
            }
        }
    )*};
}
pub(crate) use record;

/// A person as Worksection embeds them: `{"id","email","name"}`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct UserRef {
    #[serde(default)]
    pub id: Id,
    #[serde(default, deserialize_with = "lenient::string")]
    pub email: String,
    #[serde(default, deserialize_with = "lenient::string")]
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
///
/// Absent, `null` and `""` are "not set" (`None`, or an empty string); every
/// form Worksection is known to send is read; anything else is an error,
/// which the enclosing [`Record`] keeps in its [`Undecoded`] rather than
/// guess a value.
pub(crate) mod lenient {
    use super::*;

    fn unreadable<E: de::Error>(v: &Value, expected: &str) -> E {
        E::custom(format!("invalid type: {}, expected {expected}", kind(v)))
    }

    fn is_unset(v: &Value) -> bool {
        matches!(v, Value::Null) || v.as_str().is_some_and(|s| s.trim().is_empty())
    }

    /// A string; `null` is empty, a number or a boolean is written out.
    pub fn string<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
        match Value::deserialize(d)? {
            Value::Null => Ok(String::new()),
            Value::String(s) => Ok(s),
            Value::Number(n) => Ok(n.to_string()),
            Value::Bool(b) => Ok(b.to_string()),
            other => Err(unreadable(&other, "a string")),
        }
    }

    /// An optional string: `null` is `None`.
    pub fn opt_string<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
        match Value::deserialize(d)? {
            Value::Null => Ok(None),
            Value::String(s) => Ok(Some(s)),
            Value::Number(n) => Ok(Some(n.to_string())),
            Value::Bool(b) => Ok(Some(b.to_string())),
            other => Err(unreadable(&other, "a string")),
        }
    }

    /// An optional block (a person, a project, a task...): `null`, `[]`,
    /// `{}`, `""` and `false` mean none (PHP writes an empty array for an
    /// empty object, and an empty value where there is nothing).
    pub fn opt_block<'de, D: Deserializer<'de>, T: serde::de::DeserializeOwned>(
        d: D,
    ) -> Result<Option<T>, D::Error> {
        match Value::deserialize(d)? {
            Value::Null | Value::Bool(false) => Ok(None),
            Value::Array(a) if a.is_empty() => Ok(None),
            Value::Object(m) if m.is_empty() => Ok(None),
            Value::String(s) if s.is_empty() => Ok(None),
            v => nested(&v).map(Some),
        }
    }

    /// `v` read as a `T`; an error says where inside it (`at `id`: ...`),
    /// so a record's problem names the whole path (`user_from.id`).
    fn nested<T: serde::de::DeserializeOwned, E: de::Error>(v: &Value) -> Result<T, E> {
        let mut track = serde_path_to_error::Track::new();
        T::deserialize(serde_path_to_error::Deserializer::new(v, &mut track)).map_err(|e| {
            let path = track.path().to_string();
            let msg = e.to_string();
            if path == "." || path.is_empty() {
                E::custom(msg)
            } else {
                E::custom(super::within(&path, &msg))
            }
        })
    }

    /// Any value, where nothing (`null`, `[]`, `{}`) is `None`: an event's
    /// `new` and `old`.
    pub fn opt_value<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Value>, D::Error> {
        Ok(match Value::deserialize(d)? {
            Value::Null => None,
            Value::Array(a) if a.is_empty() => None,
            Value::Object(m) if m.is_empty() => None,
            v => Some(v),
        })
    }

    /// A map of flags or values (`options`): `[]` is an empty map.
    pub fn opt_map<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Option<BTreeMap<String, Value>>, D::Error> {
        match Value::deserialize(d)? {
            Value::Null => Ok(None),
            Value::Object(m) => Ok(Some(m.into_iter().collect())),
            Value::Array(a) if a.is_empty() => Ok(Some(BTreeMap::new())),
            other => Err(unreadable(&other, "a map")),
        }
    }

    fn number<E: de::Error>(v: &Value) -> Result<Option<f64>, E> {
        match v {
            _ if is_unset(v) => Ok(None),
            Value::Number(n) => Ok(n.as_f64()),
            Value::String(s) => s.trim().parse().map(Some).map_err(|_| {
                E::custom("invalid value: a string that is not a number, expected a number")
            }),
            other => Err(unreadable(other, "a number")),
        }
    }

    pub fn opt_f64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
        number(&Value::deserialize(d)?)
    }

    pub fn opt_u64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
        match number::<D::Error>(&Value::deserialize(d)?)? {
            None => Ok(None),
            Some(n) if n >= 0.0 && n.fract() == 0.0 && n <= u64::MAX as f64 => Ok(Some(n as u64)),
            Some(_) => Err(de::Error::custom(
                "invalid value: a number, expected a whole number of at least 0",
            )),
        }
    }

    pub fn opt_u8<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u8>, D::Error> {
        match opt_u64(d)? {
            None => Ok(None),
            Some(n) => u8::try_from(n).map(Some).map_err(|_| {
                de::Error::custom("invalid value: a number, expected a number from 0 to 255")
            }),
        }
    }

    pub fn opt_bool<'de, D: Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
        match Value::deserialize(d)? {
            Value::Null => Ok(None),
            Value::Bool(b) => Ok(Some(b)),
            Value::Number(n) if n.as_i64().is_some() => Ok(n.as_i64().map(|n| n != 0)),
            Value::String(s) => match s.trim() {
                "1" | "true" => Ok(Some(true)),
                "0" | "false" | "" => Ok(Some(false)),
                _ => Err(de::Error::custom(
                    "invalid value: a string, expected a flag (0/1, true/false)",
                )),
            },
            other => Err(unreadable(&other, "a flag (0/1, true/false)")),
        }
    }

    /// `"75.17"`, or a number (`75.17`).
    pub fn opt_money<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Money>, D::Error> {
        match Value::deserialize(d)? {
            v if is_unset(&v) => Ok(None),
            Value::String(s) => Money::parse(&s).map(Some).ok_or_else(|| {
                de::Error::custom("invalid value: a string, expected an amount like 75.17")
            }),
            Value::Number(n) => Money::parse(&n.to_string()).map(Some).ok_or_else(|| {
                de::Error::custom("invalid value: a number, expected an amount in cents at most")
            }),
            other => Err(unreadable(&other, "an amount like 75.17")),
        }
    }

    /// `"H:MM"`. A bare number is not read: Worksection's inputs take hours
    /// there, its timers seconds, so a number would be a guess.
    pub fn opt_minutes<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Minutes>, D::Error> {
        match Value::deserialize(d)? {
            v if is_unset(&v) => Ok(None),
            Value::String(s) => Minutes::parse(&s).map(Some).ok_or_else(|| {
                de::Error::custom("invalid value: a string, expected a time like 6:50")
            }),
            other => Err(unreadable(&other, "a time like 6:50")),
        }
    }

    /// `{"105554": "inner"}`, or a list of `{"id", "title"}` (or `"name"`)
    /// blocks. No tags (`[]`, PHP's empty array, or `{}`) is `None`, as when
    /// Worksection leaves the field out.
    pub fn opt_tag_map<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Option<BTreeMap<String, String>>, D::Error> {
        let text = |v: &Value| {
            v.as_str()
                .map(str::to_owned)
                .unwrap_or_else(|| v.to_string())
        };
        match Value::deserialize(d)? {
            Value::Null => Ok(None),
            Value::Array(a) if a.is_empty() => Ok(None),
            Value::Object(m) if m.is_empty() => Ok(None),
            Value::Object(m) => Ok(Some(m.iter().map(|(k, v)| (k.clone(), text(v))).collect())),
            Value::Array(a) => a
                .iter()
                .map(|item| {
                    let id = item.get("id").filter(|v| v.is_string() || v.is_number());
                    let name = item.get("title").or_else(|| item.get("name"));
                    match (id, name) {
                        (Some(id), Some(name)) => Ok((text(id), text(name))),
                        _ => Err(unreadable(item, "tags as id: name")),
                    }
                })
                .collect::<Result<_, _>>()
                .map(Some),
            other => Err(unreadable(&other, "tags as id: name")),
        }
    }

    /// A list, or nothing (`null`; `{}` is an empty list). Each item decodes
    /// on its own, so a [`Record`] item that is odd is kept, not dropped.
    pub fn opt_vec<'de, D: Deserializer<'de>, T: serde::de::DeserializeOwned>(
        d: D,
    ) -> Result<Option<Vec<T>>, D::Error> {
        match Value::deserialize(d)? {
            Value::Array(a) => a
                .iter()
                .enumerate()
                .map(|(i, v)| {
                    nested::<T, D::Error>(v).map_err(|e| {
                        de::Error::custom(super::within(&format!("[{i}]"), &e.to_string()))
                    })
                })
                .collect::<Result<Vec<T>, _>>()
                .map(Some),
            Value::Null => Ok(None),
            Value::Object(m) if m.is_empty() => Ok(Some(Vec::new())),
            other => Err(unreadable(&other, "a list")),
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

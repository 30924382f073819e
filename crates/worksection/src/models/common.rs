//! Types every area shares, and the lenient parsing Worksection needs.
//!
//! Worksection's shapes are loose: ids are strings except where they are
//! numbers, priorities and sizes are strings, money is a decimal string,
//! time is `H:MM`, flags are booleans or 0/1, an empty object may come as
//! `[]` (PHP's empty array), `null` may stand where a string is usual, a
//! one-object answer may come as a one-element list, and a collection may
//! come as a list or as an object keyed by id. The `lenient` adapters
//! accept every such form (`reconciliation` lists them, with their
//! sources).
//!
//! What no form explains is never guessed at: a record with a field that
//! does not decode is still kept ([`Record`]), with that field left out of
//! its typed fields and kept as it came in [`Undecoded`], together with the
//! field's name, what was expected and what kind of value came (never the
//! value itself), and a `debug!` line. One odd record never fails a list,
//! and a tool can show what it could not read instead of hiding it.

use std::fmt;

use chrono::{NaiveDate, NaiveDateTime};
use serde::de::{self, Deserializer};
use serde::{Deserialize, Serialize, Serializer};
use serde_json::{Map, Value};
use tracing::debug;

/// Fields a type does not model, kept as they came: a JSON object's map
/// (read and written through `Deref`), held on the heap only when it has
/// something in it. Most records carry nothing unmodelled, and an empty
/// map held inline would be 72 bytes of every task and of every person and
/// project in it (10,000 tasks: over 2 MB of nothing).
#[derive(Clone, Default)]
pub struct Extra(Option<Box<Map<String, Value>>>);

/// What an `Extra` with nothing in it reads as.
static NO_FIELDS: std::sync::LazyLock<Map<String, Value>> = std::sync::LazyLock::new(Map::new);

impl Extra {
    pub fn new() -> Self {
        Self(None)
    }

    /// The fields as a map of their own.
    pub fn into_map(self) -> Map<String, Value> {
        self.0.map(|m| *m).unwrap_or_default()
    }
}

impl std::ops::Deref for Extra {
    type Target = Map<String, Value>;

    fn deref(&self) -> &Map<String, Value> {
        self.0.as_deref().unwrap_or(&NO_FIELDS)
    }
}

impl std::ops::DerefMut for Extra {
    fn deref_mut(&mut self) -> &mut Map<String, Value> {
        self.0.get_or_insert_with(Box::default)
    }
}

impl From<Map<String, Value>> for Extra {
    fn from(m: Map<String, Value>) -> Self {
        Self((!m.is_empty()).then(|| Box::new(m)))
    }
}

impl From<Extra> for Map<String, Value> {
    fn from(e: Extra) -> Self {
        e.into_map()
    }
}

impl FromIterator<(String, Value)> for Extra {
    fn from_iter<I: IntoIterator<Item = (String, Value)>>(iter: I) -> Self {
        Map::from_iter(iter).into()
    }
}

impl<'a> IntoIterator for &'a Extra {
    type Item = (&'a String, &'a Value);
    type IntoIter = serde_json::map::Iter<'a>;

    fn into_iter(self) -> Self::IntoIter {
        (**self).iter()
    }
}

impl IntoIterator for Extra {
    type Item = (String, Value);
    type IntoIter = serde_json::map::IntoIter;

    fn into_iter(self) -> Self::IntoIter {
        self.into_map().into_iter()
    }
}

impl PartialEq for Extra {
    fn eq(&self, other: &Self) -> bool {
        **self == **other
    }
}

impl fmt::Debug for Extra {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        (**self).fmt(f)
    }
}

impl Serialize for Extra {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        (**self).serialize(s)
    }
}

impl<'de> Deserialize<'de> for Extra {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Map::deserialize(d).map(Self::from)
    }
}

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

thread_local! {
    /// Whether the answer being read on this thread is read in one strict
    /// pass ([`strict_pass`]).
    static STRICT: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Runs `read` (a synchronous decode of one answer) with every record read
/// strictly, straight from the bytes: no value per record, no path tracked
/// for the error. A record that does not decode so fails the whole pass,
/// and the caller reads the answer again the lenient way
/// ([`decode_record`]). Nearly every answer passes (it is what a healthy
/// account sends, odd shapes included: the adapters of `lenient` take them),
/// and 10,000 tasks read this way cost a fraction of the lenient read.
pub(crate) fn strict_pass<T>(read: impl FnOnce() -> T) -> T {
    struct Restore(bool);
    impl Drop for Restore {
        fn drop(&mut self) {
            STRICT.set(self.0);
        }
    }
    let _restore = Restore(STRICT.replace(true));
    read()
}

/// Whether a record is being read in a [`strict_pass`].
pub(crate) fn in_strict_pass() -> bool {
    STRICT.get()
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
            undecoded.fields = fields.into();
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
            // An index of a list, or a key of a collection keyed by id.
            let end = r.find(']')?;
            at = match at {
                Value::Object(m) => m.get(&r[..end])?,
                _ => at.get(r[..end].parse::<usize>().ok()?)?,
            };
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
                if $crate::models::common::in_strict_pass() {
                    return $t::deserialize(d);
                }
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
                    |t: &mut $t, u| t.undecoded = Some(u.into()),
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
                self.undecoded.as_ref().map(::std::borrow::Borrow::borrow)
            }
        }
    )*};
}
pub(crate) use record;

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
    fn dates() {
        assert_eq!(
            parse_date("2021-02-16"),
            NaiveDate::from_ymd_opt(2021, 2, 16)
        );
        assert!(parse_datetime("2021-01-07 10:01").is_some());
        assert_eq!(parse_date(""), None);
    }

    /// The strict pass and the lenient read give the same records: a clean
    /// answer passes strictly; an answer with one odd record (a record as a
    /// one-element list, a field of the wrong type in a subtask) fails the
    /// strict pass and is read leniently, odd record included.
    #[test]
    fn the_strict_pass_reads_what_the_lenient_read_reads() {
        use crate::models::Task;
        let task = |id: u32, child: serde_json::Value| {
            serde_json::json!({
                "id": id.to_string(), "name": format!("Task {id}"), "page": format!("/project/1/{id}/"),
                "status": "active", "priority": "5", "child": child
            })
        };
        let lenient = |body: &[u8]| {
            serde_json::from_slice::<Vec<Task>>(body)
                .map(|t| serde_json::to_value(t).expect("serialises"))
                .map_err(|e| e.to_string())
        };
        let strict = |body: &[u8]| {
            strict_pass(|| serde_json::from_slice::<Vec<Task>>(body))
                .map(|t| serde_json::to_value(t).expect("serialises"))
        };
        let decoded = |body: &[u8]| {
            let bytes = bytes::Bytes::from(format!(
                r#"{{"status":"ok","data":{}}}"#,
                std::str::from_utf8(body).expect("text")
            ));
            let tasks = crate::decode::<Vec<Task>>(&bytes)
                .expect("decodes")
                .data
                .expect("data");
            serde_json::to_value(tasks).expect("serialises")
        };

        let clean = serde_json::json!([
            task(1, serde_json::json!([task(2, serde_json::json!([]))])),
            task(3, serde_json::Value::Null)
        ]);
        let clean = clean.to_string();
        let want = lenient(clean.as_bytes()).expect("the lenient read");
        assert_eq!(strict(clean.as_bytes()).expect("passes strictly"), want);
        assert_eq!(decoded(clean.as_bytes()), want);

        let mut bad_child = task(5, serde_json::Value::Null);
        bad_child["priority"] = serde_json::json!({"not": "a number"});
        let odd = serde_json::json!([
            serde_json::json!([task(4, serde_json::Value::Null)]),
            task(6, serde_json::json!([bad_child]))
        ]);
        let odd = odd.to_string();
        assert!(
            strict(odd.as_bytes()).is_err(),
            "an odd record fails the strict pass"
        );
        let want = lenient(odd.as_bytes()).expect("the lenient read");
        assert_eq!(want[0]["id"], "4", "a one-element list is its record");
        assert!(want[1]["child"][0].get("undecoded").is_some(), "{want}");
        assert_eq!(decoded(odd.as_bytes()), want);
    }
}

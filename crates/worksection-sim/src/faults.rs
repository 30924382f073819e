//! Switchable failure modes, so tests can prove the client and the server
//! survive a misbehaving Worksection.
//!
//! A fault spec is a comma-separated list of items. Each item is a fault name
//! with a trigger: `NAME=P` fires on each client-API request with probability
//! `P` (0..1, drawn from a seeded generator, so a run is repeatable), and
//! `NAME*N` fires on exactly the next `N` requests. The flag `revoke` revokes
//! every token once, and `none` clears everything.
//!
//! Fault names: `500`, `429` (with `Retry-After: 1`), `429bare` (without it),
//! `429ok` (the rate limit answered as HTTP 200 with `status: error`),
//! `slow:MS` (answers after MS milliseconds), `slowbody:MS` (sends the body in
//! pieces over MS milliseconds), `malformed` (200 with truncated JSON), `html`
//! (200 with an HTML error page), `drop` (the connection closes mid-answer),
//! `hang` (never answers).
//!
//! `shape:ACTION:FIELD` takes no trigger: every answer of `ACTION` has its
//! first record's `FIELD` (a dotted path, `user_from.id`) replaced by a
//! list, a value of the wrong type for any field, so the lenient decoding
//! and `worksection-mcp check` can be tested against one odd record.
//!
//! Example: `500=0.1,429*3,slow:1500=0.2,shape:get_tasks:priority`.

use std::fmt;
use std::str::FromStr;
use std::sync::Mutex;
use std::time::Duration;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// The `--faults` syntax, for `--help`.
pub const SPEC_HELP: &str = "Comma-separated faults, each NAME=P (probability per request) or NAME*N \
(the next N requests). Names: 500, 429 (Retry-After: 1), 429bare (no Retry-After), 429ok \
(HTTP 200 with status: error \"Too many requests\"), slow:MS, \
slowbody:MS, malformed (truncated JSON), html (HTML error page), drop (connection closed \
mid-answer), hang (never answers). Flags: revoke (revoke all tokens), none (clear). \
shape:ACTION:FIELD (no trigger): every answer of ACTION has its first record's FIELD (dotted \
path) of the wrong type. Example: 500=0.1,429*3,slow:1500=0.2,shape:get_tasks:priority";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaultKind {
    Status500,
    TooManyRequests {
        retry_after: bool,
    },
    /// The rate limit answered as HTTP 200 with `status: error`.
    TooManyRequestsOk,
    Slow(Duration),
    SlowBody(Duration),
    Malformed,
    Html,
    Drop,
    Hang,
}

impl fmt::Display for FaultKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Status500 => f.write_str("500"),
            Self::TooManyRequests { retry_after: true } => f.write_str("429"),
            Self::TooManyRequests { retry_after: false } => f.write_str("429bare"),
            Self::TooManyRequestsOk => f.write_str("429ok"),
            Self::Slow(d) => write!(f, "slow:{}", d.as_millis()),
            Self::SlowBody(d) => write!(f, "slowbody:{}", d.as_millis()),
            Self::Malformed => f.write_str("malformed"),
            Self::Html => f.write_str("html"),
            Self::Drop => f.write_str("drop"),
            Self::Hang => f.write_str("hang"),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Trigger {
    Probability(f64),
    Next(u32),
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FaultRule {
    pub kind: FaultKind,
    pub trigger: Trigger,
}

/// A parsed `--faults` value.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FaultSpec {
    pub rules: Vec<FaultRule>,
    /// Revoke every token when the spec is applied.
    pub revoke: bool,
    /// `shape:ACTION:FIELD`: the action and the field its answers get
    /// wrong.
    pub shapes: Vec<(String, String)>,
}

impl FaultSpec {
    pub fn none() -> Self {
        Self::default()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid fault spec item `{item}`: {reason}")]
pub struct FaultSpecError {
    pub item: String,
    pub reason: String,
}

impl FromStr for FaultSpec {
    type Err = FaultSpecError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let mut spec = FaultSpec::default();
        for item in s.split(',').map(str::trim).filter(|i| !i.is_empty()) {
            let err = |reason: &str| FaultSpecError {
                item: item.to_owned(),
                reason: reason.to_owned(),
            };
            match item {
                "none" => spec = FaultSpec::default(),
                "revoke" => spec.revoke = true,
                _ if item.starts_with("shape:") => {
                    let rest = &item["shape:".len()..];
                    match rest.split_once(':') {
                        Some((action, field)) if !action.is_empty() && !field.is_empty() => {
                            spec.shapes.push((action.to_owned(), field.to_owned()));
                        }
                        _ => return Err(err("expected shape:ACTION:FIELD")),
                    }
                }
                _ => {
                    let (name, trigger) = if let Some((name, p)) = item.split_once('=') {
                        let p: f64 = p
                            .trim()
                            .parse()
                            .map_err(|_| err("the probability after `=` must be a number"))?;
                        if !(0.0..=1.0).contains(&p) {
                            return Err(err("the probability must be between 0 and 1"));
                        }
                        (name.trim(), Trigger::Probability(p))
                    } else if let Some((name, n)) = item.split_once('*') {
                        let n: u32 = n
                            .trim()
                            .parse()
                            .map_err(|_| err("the count after `*` must be a whole number"))?;
                        (name.trim(), Trigger::Next(n))
                    } else {
                        return Err(err("expected NAME=PROBABILITY or NAME*COUNT"));
                    };
                    let kind = parse_kind(name).map_err(|r| err(&r))?;
                    spec.rules.push(FaultRule { kind, trigger });
                }
            }
        }
        Ok(spec)
    }
}

fn parse_kind(name: &str) -> Result<FaultKind, String> {
    let millis = |v: &str| -> Result<Duration, String> {
        v.trim_end_matches("ms")
            .parse::<u64>()
            .map(Duration::from_millis)
            .map_err(|_| format!("`{v}` is not a number of milliseconds"))
    };
    Ok(match name {
        "500" => FaultKind::Status500,
        "429" => FaultKind::TooManyRequests { retry_after: true },
        "429bare" => FaultKind::TooManyRequests { retry_after: false },
        "429ok" => FaultKind::TooManyRequestsOk,
        "malformed" => FaultKind::Malformed,
        "html" => FaultKind::Html,
        "drop" => FaultKind::Drop,
        "hang" => FaultKind::Hang,
        _ => {
            if let Some(ms) = name.strip_prefix("slow:") {
                FaultKind::Slow(millis(ms)?)
            } else if let Some(ms) = name.strip_prefix("slowbody:") {
                FaultKind::SlowBody(millis(ms)?)
            } else {
                return Err(format!(
                    "unknown fault `{name}`; known: 500, 429, 429bare, 429ok, slow:MS, slowbody:MS, \
                     malformed, html, drop, hang"
                ));
            }
        }
    })
}

/// The faults in force, with their remaining counts and the seeded dice.
#[derive(Debug)]
pub struct Faults {
    state: Mutex<FaultState>,
}

#[derive(Debug)]
struct FaultState {
    rules: Vec<FaultRule>,
    shapes: Vec<(String, String)>,
    rng: ChaCha8Rng,
}

impl Faults {
    pub fn new(spec: &FaultSpec, seed: u64) -> Self {
        Self {
            state: Mutex::new(FaultState {
                rules: spec.rules.clone(),
                shapes: spec.shapes.clone(),
                rng: ChaCha8Rng::seed_from_u64(seed ^ 0x0fa1_7500),
            }),
        }
    }

    /// Replaces the rules in force (the `revoke` flag is the caller's job).
    pub fn set(&self, spec: &FaultSpec) {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        state.rules = spec.rules.clone();
        state.shapes = spec.shapes.clone();
    }

    /// Gives the first record of an answer of `action` a field of the
    /// wrong type, when a `shape:` fault names the action.
    pub fn misshape(&self, action: &str, answer: &mut serde_json::Value) {
        let state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        for (_, field) in state.shapes.iter().filter(|(a, _)| a == action) {
            let record = match answer.get_mut("data") {
                Some(serde_json::Value::Array(items)) => items.first_mut(),
                Some(one) => Some(one),
                None => None,
            };
            let Some(mut at) = record else {
                continue;
            };
            let mut names = field.split('.').peekable();
            while let Some(name) = names.next() {
                let Some(obj) = at.as_object_mut() else {
                    break;
                };
                if names.peek().is_none() {
                    obj.insert(name.to_owned(), serde_json::json!(["wrong", "type"]));
                    break;
                }
                at = obj
                    .entry(name.to_owned())
                    .or_insert_with(|| serde_json::json!({}));
            }
        }
    }

    /// Decides which faults hit this request: at most one delay (`slow`)
    /// and at most one answer-changing fault, in the order of the spec.
    pub fn draw(&self) -> Drawn {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let FaultState { rules, rng, .. } = &mut *state;
        let mut drawn = Drawn::default();
        for rule in rules.iter_mut() {
            let is_delay = matches!(rule.kind, FaultKind::Slow(_));
            if (is_delay && drawn.delay.is_some()) || (!is_delay && drawn.answer.is_some()) {
                continue;
            }
            let fires = match &mut rule.trigger {
                Trigger::Probability(p) => rng.random_bool(*p),
                Trigger::Next(0) => false,
                Trigger::Next(n) => {
                    *n -= 1;
                    true
                }
            };
            if fires {
                match rule.kind {
                    FaultKind::Slow(d) => drawn.delay = Some(d),
                    kind => drawn.answer = Some(kind),
                }
            }
        }
        rules.retain(|r| r.trigger != Trigger::Next(0));
        drawn
    }
}

/// The faults drawn for one request.
#[derive(Debug, Default, Clone, Copy)]
pub struct Drawn {
    pub delay: Option<Duration>,
    pub answer: Option<FaultKind>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_kind_and_trigger() {
        let spec: FaultSpec =
            "500=0.1, 429*3,429bare=1,slow:1500=0.2,slowbody:200ms*1,malformed*1,html=0,drop*2,hang*1,revoke"
                .parse()
                .expect("valid spec");
        assert!(spec.revoke);
        assert_eq!(spec.rules.len(), 9);
        assert_eq!(spec.rules[0].kind, FaultKind::Status500);
        assert_eq!(spec.rules[1].trigger, Trigger::Next(3));
        assert_eq!(
            spec.rules[3].kind,
            FaultKind::Slow(Duration::from_millis(1500))
        );
        assert_eq!(
            spec.rules[4].kind,
            FaultKind::SlowBody(Duration::from_millis(200))
        );
    }

    #[test]
    fn a_shape_fault_gives_one_field_of_the_first_record_the_wrong_type() {
        let spec: FaultSpec = "shape:get_tasks:user_from.id".parse().expect("valid");
        assert_eq!(
            spec.shapes,
            vec![("get_tasks".into(), "user_from.id".into())]
        );
        let faults = Faults::new(&spec, 1);
        let mut answer = serde_json::json!({"status": "ok", "data": [
            {"id": "1", "user_from": {"id": "5", "email": "a@b.c"}},
            {"id": "2", "user_from": {"id": "6"}}
        ]});
        let before = answer.clone();
        faults.misshape("get_task", &mut answer);
        assert_eq!(answer, before);
        faults.misshape("get_tasks", &mut answer);
        assert_eq!(
            answer["data"][0]["user_from"]["id"],
            serde_json::json!(["wrong", "type"])
        );
        assert_eq!(answer["data"][0]["user_from"]["email"], "a@b.c");
        assert_eq!(answer["data"][1], before["data"][1]);
        assert!("shape:get_tasks".parse::<FaultSpec>().is_err());
    }

    #[test]
    fn rejects_bad_items_with_a_reason() {
        for (spec, needle) in [
            ("500", "expected NAME=PROBABILITY"),
            ("500=2", "between 0 and 1"),
            ("500=x", "must be a number"),
            ("boom=0.5", "unknown fault `boom`"),
            ("slow:abc*1", "not a number of milliseconds"),
            ("429*-1", "whole number"),
        ] {
            let err = spec.parse::<FaultSpec>().expect_err(spec);
            assert!(err.to_string().contains(needle), "{spec}: {err}");
        }
    }

    #[test]
    fn counted_faults_fire_exactly_n_times() {
        let faults = Faults::new(&"500*2,slow:10*1".parse().expect("valid"), 1);
        let drawn: Vec<_> = (0..4).map(|_| faults.draw()).collect();
        assert_eq!(drawn[0].answer, Some(FaultKind::Status500));
        assert_eq!(drawn[0].delay, Some(Duration::from_millis(10)));
        assert_eq!(drawn[1].answer, Some(FaultKind::Status500));
        assert_eq!(drawn[1].delay, None);
        assert!(drawn[2].answer.is_none() && drawn[3].answer.is_none());
    }

    #[test]
    fn probabilities_are_repeatable_for_a_seed() {
        let spec: FaultSpec = "500=0.5".parse().expect("valid");
        let run = |seed| {
            let f = Faults::new(&spec, seed);
            (0..64)
                .map(|_| f.draw().answer.is_some())
                .collect::<Vec<_>>()
        };
        assert_eq!(run(7), run(7));
        let hits = run(7).into_iter().filter(|h| *h).count();
        assert!((16..=48).contains(&hits), "{hits} of 64 at p=0.5");
    }
}

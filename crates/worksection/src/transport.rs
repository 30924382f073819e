//! One API request, start to finish: wait for the rate limiter, sign, send,
//! classify the answer, retry what is worth retrying, decode.
//!
//! Every call has one budget of `max_attempts` for every kind of failure:
//! 429, 5xx, timeouts, connection errors and resets, truncated bodies,
//! HTTP-200 answers that are HTML or broken JSON (a proxy or maintenance
//! page), and Worksection's own "too many requests" sent as HTTP 200 with
//! `status: error`; each is retried with jittered exponential backoff, and
//! `Retry-After` is honoured. A refusal of the credentials is shown to the
//! auth, which may sign again a bounded number of times (refresh the token
//! once; switch the admin key's scheme), so one call makes at most
//! `max_attempts` plus that many requests. Never retried: Worksection's
//! other `status: error` answers. Every attempt goes through the limiter,
//! so retries never break the rate limit.
//!
//! Logs carry the action, attempt, status and duration — never the URL,
//! which may hold the admin hash, and never a token.

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use bytes::Bytes;
use rand::Rng;
use secrecy::ExposeSecret;
use serde::de::DeserializeOwned;
use serde_json::Value;
use tracing::{Instrument, debug, warn};

use crate::Error;
use crate::action::{Action, Params};
use crate::auth::{AuthKind, Signed};
use crate::client::Client;
use crate::error::{ApiMessage, AuthProblem};
use crate::models::CostTotals;
use crate::models::common::{collect_problems, expected, kind, strict_pass};

/// Retry-After values above this are not waited out.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(60);

/// What one attempt came to.
enum Outcome<T> {
    Done(Result<T, Error>),
    Retry {
        error: Error,
        after: Option<Duration>,
    },
    Refused(Option<ApiMessage>),
}

impl Client {
    /// Sends `action` and reads its answer.
    pub async fn send<A: Action>(&self, action: &A) -> Result<A::Answer, Error> {
        self.send_keeping_body(action)
            .await
            .map(|(answer, _)| answer)
    }

    /// [`Self::send`], and the body the answer was read from: what a cache
    /// shared between processes keeps, to read again with
    /// [`Self::read_kept`] (which gives exactly what this call gave).
    pub async fn send_keeping_body<A: Action>(
        &self,
        action: &A,
    ) -> Result<(A::Answer, Bytes), Error> {
        if A::USER_ONLY {
            self.require_user(A::NAME)?;
        }
        action.check()?;
        let params = Params::of(action)?;
        let key = params.key(A::NAME);
        self.exchange(A::NAME, &params, |resp| {
            let key = key.clone();
            async move {
                let status = resp.status();
                match resp.bytes().await {
                    Err(e) => Read::Unreadable(cut_off(e, status)),
                    Ok(body) => match collect_problems(|| A::read(&body)) {
                        // An HTML page or broken JSON is a proxy or an outage
                        // talking: worth another try. Valid JSON of the wrong
                        // shape is not.
                        (Err(e @ Error::BadResponse { .. }), _) if !is_json(&body) => {
                            Read::Unreadable(e)
                        }
                        (Ok(answer), problems) => {
                            self.note_decoded(key, problems);
                            Read::Done(Ok((answer, body)))
                        }
                        (Err(e), _) => Read::Done(Err(e)),
                    },
                }
            }
        })
        .await
    }

    /// Reads `action`'s answer from a body kept by
    /// [`Self::send_keeping_body`], by the same lenient decode, noting its
    /// decode problems under the request's key as a fresh answer's are.
    pub fn read_kept<A: Action>(&self, action: &A, body: &Bytes) -> Result<A::Answer, Error> {
        let key = Params::of(action)?.key(A::NAME);
        let (answer, problems) = collect_problems(|| A::read(body));
        let answer = answer?;
        self.note_decoded(key, problems);
        Ok(answer)
    }

    /// How long one attempt of a request may take.
    pub fn request_timeout(&self) -> Duration {
        self.inner.timeout
    }

    /// Sends a file action and returns the response once it carries a file
    /// (`Content-Disposition`, as every Worksection download does). An
    /// answer without one is Worksection's JSON error, classified as usual,
    /// or a proxy's page or a cut-off body, retried like `send` does, so a
    /// maintenance page is never taken for the file.
    pub(crate) async fn send_file<A: Action>(
        &self,
        action: &A,
        max_bytes: u64,
    ) -> Result<reqwest::Response, Error> {
        let params = Params::of(action)?;
        self.exchange(A::NAME, &params, |resp| async move {
            if resp
                .headers()
                .contains_key(reqwest::header::CONTENT_DISPOSITION)
            {
                return Read::Done(Ok(resp));
            }
            if resp.content_length().is_some_and(|n| n > max_bytes) {
                return Read::Done(Err(Error::TooLarge { limit: max_bytes }));
            }
            let status = resp.status();
            match resp.bytes().await {
                Err(e) => Read::Unreadable(cut_off(e, status)),
                Ok(body) => match decode::<Value>(&body) {
                    Err(e @ Error::BadResponse { .. }) if !is_json(&body) => Read::Unreadable(e),
                    Err(e) => Read::Done(Err(e)),
                    Ok(_) => Read::Done(Err(Error::BadResponse {
                        detail: "Worksection answered the download without a file".into(),
                    })),
                },
            }
        })
        .await
    }

    /// Sends `action` until `read` makes something of an answer, within
    /// the call's one budget.
    async fn exchange<T, F, Fut>(
        &self,
        action: &'static str,
        params: &Params,
        read: F,
    ) -> Result<T, Error>
    where
        F: Fn(reqwest::Response) -> Fut,
        Fut: Future<Output = Read<T>>,
    {
        let span = tracing::debug_span!("worksection", action, auth = ?self.inner.auth.kind());
        self.exchange_in_span(action, params, read)
            .instrument(span)
            .await
    }

    async fn exchange_in_span<T, F, Fut>(
        &self,
        action: &'static str,
        params: &Params,
        read: F,
    ) -> Result<T, Error>
    where
        F: Fn(reqwest::Response) -> Fut,
        Fut: Future<Output = Read<T>>,
    {
        let inner = &self.inner;
        let kind = inner.auth.kind();
        let url = inner
            .account_url
            .join(kind.path())
            .map_err(|e| Error::Config(format!("cannot build the API URL: {e}")))?;
        let mut failures = 0;
        let mut resigns = 0;
        let mut attempt = 0;
        loop {
            attempt += 1;
            self.wait_for_limiter().await;
            let signed = inner.auth.sign(action, params).await?;
            let started = Instant::now();
            let outcome = match self.attempt(&url, &signed).await {
                Attempted::Answer(resp) => {
                    let status = resp.status().as_u16();
                    match read(resp).await {
                        Read::Done(Ok(value)) => {
                            debug!(action, attempt, status, took = ?started.elapsed(), "worksection request");
                            return Ok(value);
                        }
                        Read::Done(Err(Error::RateLimited { retry_after })) => Outcome::Retry {
                            error: Error::RateLimited { retry_after },
                            after: retry_after,
                        },
                        Read::Done(Err(Error::Auth {
                            problem: AuthProblem::BadApiKey,
                            said,
                        })) if kind == AuthKind::ApiKey => Outcome::Refused(said),
                        Read::Done(other) => Outcome::Done(other),
                        Read::Unreadable(error) => Outcome::Retry { error, after: None },
                    }
                }
                Attempted::Retry { error, after } => Outcome::Retry { error, after },
                Attempted::Refused(said) => Outcome::Refused(said),
            };
            let took = started.elapsed();
            match outcome {
                Outcome::Done(result) => return result,
                Outcome::Refused(said) => {
                    warn!(
                        action,
                        attempt,
                        ?took,
                        "worksection refused the credentials"
                    );
                    if resigns < inner.auth.resigns() && inner.auth.refused(&signed).await? {
                        resigns += 1;
                        continue;
                    }
                    return Err(refusal(kind, said));
                }
                Outcome::Retry { error, after } => {
                    failures += 1;
                    if failures >= inner.max_attempts {
                        warn!(
                            action,
                            attempt,
                            ?took,
                            "worksection request failed: {error}"
                        );
                        return Err(error);
                    }
                    let delay = after.unwrap_or_else(|| self.backoff(failures));
                    debug!(
                        action,
                        attempt,
                        ?took,
                        ?delay,
                        "retrying worksection request: {error}"
                    );
                    tokio::time::sleep(delay).await;
                }
            }
        }
    }

    async fn wait_for_limiter(&self) {
        let inner = &self.inner;
        inner.waiting.fetch_add(1, Ordering::Relaxed);
        match &inner.pace {
            Some(pace) => pace.until_ready().await,
            None => inner.limiter.until_ready().await,
        }
        inner.waiting.fetch_sub(1, Ordering::Relaxed);
    }

    /// Full jitter: a random delay up to the exponential step, at least half.
    fn backoff(&self, attempt: u32) -> Duration {
        let step = self
            .inner
            .backoff
            .saturating_mul(1 << attempt.saturating_sub(1).min(5));
        let step = step.min(Duration::from_secs(8));
        let half = step / 2;
        half + step.mul_f64(rand::rng().random_range(0.0..0.5))
    }

    async fn attempt(&self, url: &url::Url, signed: &Signed) -> Attempted {
        let inner = &self.inner;
        let mut url = url.clone();
        // The request itself is where the signed query and header must be seen.
        url.set_query(Some(signed.query.expose_secret()));
        let mut req = inner.http.post(url).timeout(inner.timeout);
        if let Some(value) = &signed.authorization {
            req = req.header(reqwest::header::AUTHORIZATION, value.expose_secret());
        }
        if let Some(body) = &signed.body {
            req = req
                .header(
                    reqwest::header::CONTENT_TYPE,
                    "application/json; charset=utf-8",
                )
                .body(body.clone());
        }
        let resp = match req.send().await {
            Ok(r) => r,
            Err(e) => {
                let what = if e.is_timeout() {
                    "timed out"
                } else {
                    "connection failed"
                };
                return Attempted::Retry {
                    error: Error::Upstream {
                        detail: format!("{what}: {}", e.without_url()),
                        status: None,
                    },
                    after: None,
                };
            }
        };
        let status = resp.status();
        if status == reqwest::StatusCode::TOO_MANY_REQUESTS {
            let after = retry_after(&resp);
            return Attempted::Retry {
                error: Error::RateLimited { retry_after: after },
                after,
            };
        }
        if status.is_server_error() {
            return Attempted::Retry {
                error: Error::Upstream {
                    detail: format!("HTTP {status}"),
                    status: Some(status.as_u16()),
                },
                after: retry_after(&resp),
            };
        }
        if status == reqwest::StatusCode::UNAUTHORIZED || status == reqwest::StatusCode::FORBIDDEN {
            let said = resp
                .json::<Value>()
                .await
                .ok()
                .map(|v| oauth_message(&v, status.as_u16()));
            return Attempted::Refused(said);
        }
        Attempted::Answer(resp)
    }

    /// Refuses user methods up front when the credentials cannot call them.
    pub(crate) fn require_user(&self, action: &'static str) -> Result<(), Error> {
        match self.inner.auth.kind() {
            AuthKind::OAuth2 => Ok(()),
            AuthKind::ApiKey => Err(Error::Auth {
                problem: AuthProblem::UserMethodWithApiKey(action),
                said: None,
            }),
        }
    }
}

/// What the wire said to one attempt, before its body is read.
enum Attempted {
    Answer(reqwest::Response),
    Retry {
        error: Error,
        after: Option<Duration>,
    },
    Refused(Option<ApiMessage>),
}

/// The error of credentials refused for good.
fn refusal(kind: AuthKind, said: Option<ApiMessage>) -> Error {
    let problem = match kind {
        AuthKind::ApiKey => AuthProblem::BadApiKey,
        AuthKind::OAuth2 => match said.as_ref().map(|s| s.message.to_ascii_lowercase()) {
            Some(m) if m.contains("expired") => AuthProblem::TokenExpired,
            _ => AuthProblem::TokenInvalid,
        },
    };
    Error::Auth { problem, said }
}

/// A list answer's `data` (absent means none).
pub(crate) fn list<T: DeserializeOwned>(body: &Bytes) -> Result<Vec<T>, Error> {
    let mut records = decode::<Vec<T>>(body)?.data.unwrap_or_default();
    // Kept as long as the answer is cached: without the room a growing
    // list leaves (up to as much again).
    records.shrink_to_fit();
    Ok(records)
}

/// A one-record answer's `data`. Worksection (and its SDKs, which take the
/// first item) may send the record as a one-element list.
pub(crate) fn one<T: DeserializeOwned>(body: &Bytes, action: &str) -> Result<T, Error> {
    let data = decode::<Value>(body)?.data;
    let record = match data {
        Some(Value::Array(items)) => items.into_iter().next(),
        other => other,
    };
    let record = record.ok_or_else(|| Error::BadResponse {
        detail: format!("{action} answered without data"),
    })?;
    typed(&record, "data")
}

/// `value` read as a `T`; when it does not fit, an error that says where
/// (`data[3].user_from`), what was expected and what kind of value came,
/// never the value (it is account data).
fn typed<T: DeserializeOwned>(value: &Value, what: &str) -> Result<T, Error> {
    let mut track = serde_path_to_error::Track::new();
    T::deserialize(serde_path_to_error::Deserializer::new(value, &mut track)).map_err(|e| {
        let path = track.path();
        let mut at = Some(value);
        let mut place = what.to_owned();
        for segment in path.iter() {
            match segment {
                serde_path_to_error::Segment::Seq { index } => {
                    at = at.and_then(|v| v.get(*index));
                    place.push_str(&format!("[{index}]"));
                }
                serde_path_to_error::Segment::Map { key } => {
                    at = at.and_then(|v| v.get(key));
                    place.push('.');
                    place.push_str(key);
                }
                _ => at = None,
            }
        }
        let got = at.map_or("something else", kind);
        Error::BadResponse {
            detail: format!("unexpected shape at {place}: {}, got {got}", expected(&e)),
        }
    })
}

/// What reading one answer came to.
enum Read<T> {
    /// The result to return, success or a final error.
    Done(Result<T, Error>),
    /// Not Worksection's answer, or not all of it: worth another request.
    Unreadable(Error),
}

fn cut_off(e: reqwest::Error, status: reqwest::StatusCode) -> Error {
    Error::Upstream {
        detail: format!("the answer was cut off: {}", e.without_url()),
        status: Some(status.as_u16()),
    }
}

fn looks_like_json(body: &[u8]) -> bool {
    body.iter()
        .find(|b| !b.is_ascii_whitespace())
        .is_some_and(|b| *b == b'{' || *b == b'[')
}

fn is_json(body: &[u8]) -> bool {
    serde_json::from_slice::<serde::de::IgnoredAny>(body).is_ok()
}

fn retry_after(resp: &reqwest::Response) -> Option<Duration> {
    let secs: u64 = resp
        .headers()
        .get(reqwest::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()?;
    Some(Duration::from_secs(secs).min(MAX_RETRY_AFTER))
}

/// The message of a 401/403 body (OAuth2 resource-server style).
fn oauth_message(v: &Value, status: u16) -> ApiMessage {
    let text = |k: &str| v.get(k).and_then(Value::as_str).map(str::to_owned);
    ApiMessage {
        status_code: Some(i64::from(status)),
        message: text("hint")
            .or_else(|| text("errorDescription"))
            .or_else(|| text("message"))
            .unwrap_or_else(|| "unauthorized".to_owned()),
        details: text("error"),
    }
}

/// A successful answer: `data` and, for costs, `total`.
#[derive(Debug)]
pub struct Envelope<T> {
    pub data: Option<T>,
    pub total: Option<CostTotals>,
}

/// Decodes a client-API answer body: Worksection's `status: error` becomes
/// a classified `Error`; `status: ok` yields `data` typed as `T`. This is the
/// one decode path for every action (and what the contract tests use).
pub fn decode<T: DeserializeOwned>(body: &Bytes) -> Result<Envelope<T>, Error> {
    // An `ok` answer goes straight from the bytes into its types. Building a
    // `Value` tree first would hold the whole answer a second time, several
    // times its size (10,000 tasks: a 5 MB body, a tree of tens of MB), only
    // to be converted and dropped. Anything else (an error, a wrong shape)
    // takes the general path below, which says exactly what is wrong.
    // The records are read strictly first (one pass, no value per record);
    // only an answer with a record that does not fit is read again
    // leniently, record by record.
    // A body that is UTF-8 (as Worksection's always is) is checked so once,
    // as a whole, rather than string by string as the records are read.
    let read = || match std::str::from_utf8(body) {
        Ok(text) => serde_json::from_str::<Typed<T>>(text),
        Err(_) => serde_json::from_slice::<Typed<T>>(body),
    };
    let typed = strict_pass(read).or_else(|_| read());
    if let Ok(typed) = typed
        && typed.status.as_deref() == Some("ok")
    {
        return Ok(Envelope {
            data: typed.data,
            total: typed.total,
        });
    }
    decode_value(body)
}

/// The fields of a successful answer, typed; the rest is skipped unread.
#[derive(serde::Deserialize)]
#[serde(bound = "T: DeserializeOwned")]
struct Typed<T> {
    status: Option<String>,
    #[serde(default)]
    data: Option<T>,
    #[serde(default)]
    total: Option<CostTotals>,
}

/// The general decode, through a `Value`: classifies errors and says which
/// part of an answer has an unexpected shape.
fn decode_value<T: DeserializeOwned>(body: &Bytes) -> Result<Envelope<T>, Error> {
    let value: Value = serde_json::from_slice(body).map_err(|e| Error::BadResponse {
        detail: if looks_like_json(body) {
            format!("broken JSON ({e})")
        } else {
            "not JSON (an HTML page or plain text)".to_owned()
        },
    })?;
    let Value::Object(mut map) = value else {
        return Err(Error::BadResponse {
            detail: "the answer is not a JSON object".into(),
        });
    };
    match map.get("status").and_then(Value::as_str) {
        Some("ok") => {}
        Some("error") => {
            let text = |v: Option<&Value>| match v {
                Some(Value::String(s)) => Some(s.clone()),
                Some(Value::Null) | None => None,
                Some(other) => Some(other.to_string()),
            };
            return Err(Error::from_api(ApiMessage {
                status_code: map
                    .get("status_code")
                    .and_then(|c| c.as_i64().or_else(|| c.as_str()?.parse().ok())),
                message: text(map.get("message")).unwrap_or_else(|| "unknown error".into()),
                details: text(map.get("message_details")),
            }));
        }
        other => {
            return Err(Error::BadResponse {
                detail: format!("unexpected status {other:?}"),
            });
        }
    }
    let data = match map.remove("data") {
        None | Some(Value::Null) => None,
        Some(v) => Some(typed(&v, "data")?),
    };
    let total = match map.remove("total") {
        None | Some(Value::Null) => None,
        Some(v) => Some(typed(&v, "total")?),
    };
    Ok(Envelope { data, total })
}

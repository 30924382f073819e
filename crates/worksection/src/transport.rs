//! One API request, start to finish: wait for the rate limiter, sign, send,
//! classify the answer, retry what is worth retrying, decode.
//!
//! Retried, with jittered exponential backoff and `Retry-After` honoured:
//! 429, 5xx, timeouts, connection errors and resets, truncated bodies, and
//! HTTP-200 answers that are HTML or broken JSON (a proxy or maintenance
//! page). Never retried: Worksection's own `status: error` answers. A 401 is
//! shown to the auth, which may refresh the token once. Every attempt goes
//! through the limiter, so retries never break the rate limit.
//!
//! Logs carry the action, attempt, status and duration — never the URL,
//! which holds the admin hash, and never a token.

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use bytes::Bytes;
use rand::Rng;
use serde::de::DeserializeOwned;
use serde_json::Value;
use tracing::{Instrument, debug, warn};

use crate::Error;
use crate::auth::{AuthKind, Signature};
use crate::client::Client;
use crate::error::{ApiMessage, AuthProblem};
use crate::models::CostTotals;

/// Retry-After values above this are not waited out.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(60);

/// What one attempt came to.
enum Outcome {
    Done(reqwest::Response),
    Retry {
        error: Error,
        after: Option<Duration>,
    },
    Rejected(Signature, Option<ApiMessage>),
}

impl Client {
    /// Sends `action` and returns the successful HTTP response (whose body
    /// may still be a `status: error` answer, for `download`).
    pub(crate) async fn send(
        &self,
        action: &'static str,
        params: Vec<(String, String)>,
    ) -> Result<reqwest::Response, Error> {
        let span = tracing::debug_span!("worksection", action, auth = ?self.inner.auth.kind());
        self.send_in_span(action, params).instrument(span).await
    }

    async fn send_in_span(
        &self,
        action: &'static str,
        params: Vec<(String, String)>,
    ) -> Result<reqwest::Response, Error> {
        let inner = &self.inner;
        let mut query = vec![("action".to_owned(), action.to_owned())];
        query.extend(params);
        let url = inner
            .account_url
            .join(inner.auth.kind().path())
            .map_err(|e| Error::Config(format!("cannot build the API URL: {e}")))?;
        let mut refreshed = false;
        let mut attempt = 0;
        loop {
            attempt += 1;
            self.wait_for_limiter().await;
            let signature = inner.auth.sign(&query).await?;
            let started = Instant::now();
            let outcome = self.attempt(&url, &query, &signature).await;
            let took = started.elapsed();
            match outcome {
                Outcome::Done(resp) => {
                    debug!(
                        action,
                        attempt,
                        status = resp.status().as_u16(),
                        ?took,
                        "worksection request"
                    );
                    return Ok(resp);
                }
                Outcome::Rejected(sig, said) => {
                    warn!(
                        action,
                        attempt,
                        ?took,
                        "worksection rejected the credentials"
                    );
                    if !refreshed && inner.auth.rejected(&sig).await? {
                        refreshed = true;
                        attempt -= 1;
                        continue;
                    }
                    let problem = match said.as_ref().map(|s| s.message.to_ascii_lowercase()) {
                        Some(m) if m.contains("expired") => AuthProblem::TokenExpired,
                        _ => AuthProblem::TokenInvalid,
                    };
                    return Err(Error::Auth { problem, said });
                }
                Outcome::Retry { error, after } => {
                    if attempt >= inner.max_attempts {
                        warn!(
                            action,
                            attempt,
                            ?took,
                            "worksection request failed: {error}"
                        );
                        return Err(error);
                    }
                    let delay = after.unwrap_or_else(|| self.backoff(attempt));
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
        inner.limiter.until_ready().await;
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

    async fn attempt(
        &self,
        url: &url::Url,
        query: &[(String, String)],
        signature: &Signature,
    ) -> Outcome {
        let inner = &self.inner;
        let mut req = inner
            .http
            .post(url.clone())
            .query(query)
            .timeout(inner.timeout);
        match signature {
            Signature::Bearer(token) => req = req.bearer_auth(token.expose()),
            Signature::Hash(hash) => req = req.query(&[("hash", hash.expose())]),
        }
        let resp = match req.send().await {
            Ok(r) => r,
            Err(e) => {
                let what = if e.is_timeout() {
                    "timed out"
                } else {
                    "connection failed"
                };
                return Outcome::Retry {
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
            return Outcome::Retry {
                error: Error::RateLimited { retry_after: after },
                after,
            };
        }
        if status.is_server_error() {
            return Outcome::Retry {
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
            return Outcome::Rejected(signature.clone(), said);
        }
        Outcome::Done(resp)
    }

    /// Sends `action` and decodes its JSON answer, retrying unreadable ones.
    pub(crate) async fn call<T: DeserializeOwned>(
        &self,
        action: &'static str,
        params: Vec<(String, String)>,
    ) -> Result<Envelope<T>, Error> {
        self.send_and_read(action, params, |resp| async move {
            let status = resp.status();
            match resp.bytes().await {
                Err(e) => Read::Unreadable(cut_off(e, status)),
                Ok(body) => match decode::<T>(&body) {
                    // An HTML page or broken JSON is a proxy or an outage
                    // talking: worth another try. Valid JSON of the wrong
                    // shape is not.
                    Err(e @ Error::BadResponse { .. }) if !is_json(&body) => Read::Unreadable(e),
                    other => Read::Done(other),
                },
            }
        })
        .await
    }

    /// Sends a file action and returns the response once it carries a file
    /// (`Content-Disposition`, as every Worksection download does). An
    /// answer without one is Worksection's JSON error, classified as usual,
    /// or a proxy's page or a cut-off body, retried like `call` does, so a
    /// maintenance page is never taken for the file.
    pub(crate) async fn send_file(
        &self,
        action: &'static str,
        params: Vec<(String, String)>,
        max_bytes: u64,
    ) -> Result<reqwest::Response, Error> {
        self.send_and_read(action, params, |resp| async move {
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

    /// Sends `action` and reads its answer with `read`; an answer `read`
    /// finds unreadable (cut off, or a proxy's page instead of
    /// Worksection's) is asked for again after a backoff, up to the
    /// client's attempts, and the last one's error is returned.
    async fn send_and_read<T, F, Fut>(
        &self,
        action: &'static str,
        params: Vec<(String, String)>,
        read: F,
    ) -> Result<T, Error>
    where
        F: Fn(reqwest::Response) -> Fut,
        Fut: Future<Output = Read<T>>,
    {
        let mut unreadable = 0;
        loop {
            let resp = self.send(action, params.clone()).await?;
            match read(resp).await {
                Read::Done(result) => return result,
                Read::Unreadable(error) => {
                    unreadable += 1;
                    if unreadable >= self.inner.max_attempts {
                        return Err(error);
                    }
                    debug!(action, "unreadable answer, retrying: {error}");
                    tokio::time::sleep(self.backoff(unreadable)).await;
                }
            }
        }
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
    if let Ok(typed) = serde_json::from_slice::<Typed<T>>(body)
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
        Some(v) => Some(serde_json::from_value(v).map_err(|e| Error::BadResponse {
            detail: format!("unexpected shape: {e}"),
        })?),
    };
    let total = match map.remove("total") {
        None | Some(Value::Null) => None,
        Some(v) => Some(serde_json::from_value(v).map_err(|e| Error::BadResponse {
            detail: format!("unexpected totals: {e}"),
        })?),
    };
    Ok(Envelope { data, total })
}

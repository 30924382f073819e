//! The client: one per Worksection account, cheap to clone.
//!
//! It owns what must be shared by every request to one account: the HTTP
//! connection pool, the credentials, and the rate limiter (Worksection
//! allows about one request per second per account, so two clients for the
//! same account would each think they had the whole budget). Requests go
//! out through `Client::send` (see `transport`), one action at a time.

use std::collections::HashMap;
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use url::Url;

use crate::auth::{ApiKey, Auth, Bearer};
use crate::error::Error;
use crate::http::default_http;
use crate::pace::Pace;

/// A typed client for one Worksection account.
#[derive(Debug, Clone)]
pub struct Client {
    pub(crate) inner: Arc<Inner>,
}

#[derive(Debug)]
pub(crate) struct Inner {
    pub(crate) http: reqwest::Client,
    pub(crate) account_url: Url,
    pub(crate) auth: Arc<dyn Auth>,
    pub(crate) limiter: DefaultDirectRateLimiter,
    /// A pace shared with other clients of the account, used instead of
    /// `limiter` when set.
    pub(crate) pace: Option<Arc<dyn Pace>>,
    /// Requests waiting for the limiter right now.
    pub(crate) waiting: AtomicUsize,
    pub(crate) timeout: Duration,
    pub(crate) max_attempts: u32,
    pub(crate) backoff: Duration,
    /// What did not decode in the latest answer of each request (by
    /// [`crate::request_key`]), for a check to read.
    pub(crate) decoded: Mutex<HashMap<String, Vec<String>>>,
}

/// How many requests' decode problems a client remembers.
const DECODE_LOG_CAPACITY: usize = 512;

impl Client {
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    pub fn account_url(&self) -> &Url {
        &self.inner.account_url
    }

    /// How many requests are waiting for the rate limiter now.
    pub fn queued(&self) -> usize {
        self.inner.waiting.load(Ordering::Relaxed)
    }

    pub fn auth_kind(&self) -> crate::auth::AuthKind {
        self.inner.auth.kind()
    }

    /// What did not decode in the latest answer to the request `key` (see
    /// [`crate::request_key`]): one line per field, its record type and
    /// path, what was expected and what kind of value came; never the
    /// value. Empty when all of it decoded (or it was never asked).
    pub fn decode_problems(&self, key: &str) -> Vec<String> {
        self.inner
            .decoded
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(key)
            .cloned()
            .unwrap_or_default()
    }

    /// Keeps the decode problems of the latest answer to `key`.
    pub(crate) fn note_decoded(&self, key: String, problems: Vec<String>) {
        let mut log = self.inner.decoded.lock().unwrap_or_else(|p| p.into_inner());
        if problems.is_empty() {
            log.remove(&key);
            return;
        }
        if log.len() >= DECODE_LOG_CAPACITY && !log.contains_key(&key) {
            // Any one goes: a check reads answers it has just asked for.
            if let Some(old) = log.keys().next().cloned() {
                log.remove(&old);
            }
        }
        log.insert(key, problems);
    }
}

/// Builds a `Client`; only the account URL and the credentials are required.
#[derive(Debug)]
pub struct ClientBuilder {
    account_url: Option<String>,
    auth: Option<Arc<dyn Auth>>,
    requests_per_second: f64,
    timeout: Duration,
    max_attempts: u32,
    backoff: Duration,
    http: Option<reqwest::Client>,
    pace: Option<Arc<dyn Pace>>,
}

impl Default for ClientBuilder {
    fn default() -> Self {
        Self {
            account_url: None,
            auth: None,
            requests_per_second: 1.0,
            timeout: Duration::from_secs(30),
            max_attempts: 4,
            backoff: Duration::from_millis(500),
            http: None,
            pace: None,
        }
    }
}

impl ClientBuilder {
    /// `https://youraccount.worksection.com` (`WORKSECTION_ACCOUNT_URL`).
    pub fn account_url(mut self, url: impl Into<String>) -> Self {
        self.account_url = Some(url.into());
        self
    }

    pub(crate) fn auth(mut self, auth: Arc<dyn Auth>) -> Self {
        self.auth = Some(auth);
        self
    }

    /// The admin API key (`WORKSECTION_API_KEY`).
    pub fn api_key(self, key: impl Into<secrecy::SecretString>) -> Self {
        self.auth(Arc::new(ApiKey::new(key)))
    }

    /// OAuth2 bearer tokens from a source (static or refreshing).
    pub fn bearer(self, bearer: Bearer) -> Self {
        self.auth(Arc::new(bearer))
    }

    /// Requests per second to this account (default 1; fractions allowed).
    pub fn requests_per_second(mut self, rps: f64) -> Self {
        self.requests_per_second = rps;
        self
    }

    /// Time limit of one attempt (default 30 s).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Attempts per request including the first (default 4).
    pub fn max_attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = attempts.max(1);
        self
    }

    /// The first retry's delay; later ones double, with jitter (default 500 ms).
    pub fn backoff(mut self, backoff: Duration) -> Self {
        self.backoff = backoff;
        self
    }

    /// Keeps to a pace shared with other clients of the same account (a
    /// team server's people) instead of a limiter of its own; see
    /// [`crate::pace`].
    pub fn pace(mut self, pace: Arc<dyn Pace>) -> Self {
        self.pace = Some(pace);
        self
    }

    /// Shares a connection pool.
    pub fn http_client(mut self, http: reqwest::Client) -> Self {
        self.http = Some(http);
        self
    }

    pub fn build(self) -> Result<Client, Error> {
        let raw = self
            .account_url
            .ok_or_else(|| Error::Config("no account URL was given".into()))?;
        let account_url = Url::parse(raw.trim_end_matches('/')).map_err(|e| {
            Error::Config(format!("the account URL `{raw}` is not a valid URL ({e}); it looks like https://youraccount.worksection.com"))
        })?;
        if !matches!(account_url.scheme(), "http" | "https") || account_url.host().is_none() {
            return Err(Error::Config(format!(
                "the account URL `{raw}` must look like https://youraccount.worksection.com"
            )));
        }
        let auth = self.auth.ok_or_else(|| {
            Error::Config("no credentials were given (an admin API key or a bearer)".into())
        })?;
        if !(self.requests_per_second.is_finite() && self.requests_per_second > 0.0) {
            return Err(Error::Config(format!(
                "requests per second must be a positive number, not {}",
                self.requests_per_second
            )));
        }
        let period =
            Duration::from_secs_f64(1.0 / self.requests_per_second).max(Duration::from_micros(1));
        let quota = Quota::with_period(period)
            .ok_or_else(|| Error::Config("the request rate is too high".into()))?
            .allow_burst(NonZeroU32::MIN);
        let http = match self.http {
            Some(h) => h,
            None => default_http()?,
        };
        Ok(Client {
            inner: Arc::new(Inner {
                http,
                account_url,
                auth,
                limiter: RateLimiter::direct(quota),
                pace: self.pace,
                waiting: AtomicUsize::new(0),
                timeout: self.timeout,
                max_attempts: self.max_attempts,
                decoded: Mutex::new(HashMap::new()),
                backoff: self.backoff,
            }),
        })
    }
}

#[cfg(test)]
mod tests {
    use secrecy::SecretString;

    use super::*;
    use crate::auth::{Bearer, OAuthApp, TokenSet};

    /// A setup mistake is a configuration error, in words that suit any
    /// caller (no variable names, no commands).
    #[test]
    fn setup_mistakes_are_configuration_errors() {
        for e in [
            Client::builder().api_key("k").build(),
            Client::builder()
                .account_url("https://acme.worksection.com")
                .build(),
        ]
        .into_iter()
        .map(|r| r.expect_err("a setup mistake"))
        {
            assert!(e.is_config(), "{e}");
            assert!(!e.to_string().contains("WORKSECTION_"), "{e}");
        }
    }

    /// Every credential this crate holds prints without its secret.
    #[test]
    fn credentials_debug_print_no_secret() {
        let app = OAuthApp::new(
            "client-id",
            "CLIENT-SECRET-5f1",
            "https://localhost:8080/oauth/callback",
            "https://worksection.com",
        )
        .expect("app");
        let client = Client::builder()
            .account_url("https://acme.worksection.com")
            .api_key("API-KEY-77a")
            .build()
            .expect("client");
        let tokens = TokenSet {
            access_token: SecretString::from("ACCESS-9c2"),
            refresh_token: Some(SecretString::from("REFRESH-4d8")),
            expires_at: None,
            account_url: None,
            scopes: Vec::new(),
            expires_in: None,
        };
        let key = ApiKey::new("API-KEY-77a");
        let shown = format!(
            "{app:?} {client:?} {tokens:?} {key:?} {:?} {:?}",
            Bearer::token("ACCESS-9c2"),
            key.authorization("me", 1)
        );
        for secret in [
            "CLIENT-SECRET-5f1",
            "API-KEY-77a",
            "ACCESS-9c2",
            "REFRESH-4d8",
        ] {
            assert!(!shown.contains(secret), "{secret} in {shown}");
        }
    }
}

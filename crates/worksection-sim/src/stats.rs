//! Request counters, so tests and benchmarks can count upstream calls.
//!
//! Served at `GET /__sim/stats`. A request counts once in `total`; those that
//! reach an action also count under their action and auth mode, those
//! refused by the rate limit count as `throttled`, and those answered by an
//! injected fault count as `faulted`.

use std::collections::BTreeMap;
use std::sync::Mutex;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatsSnapshot {
    /// Every request to the client API (`/api/oauth2`, `/api/admin/v2`).
    pub total: u64,
    /// Requests that reached an action, by action name.
    pub by_action: BTreeMap<String, u64>,
    /// Requests that reached an action, by auth mode (`oauth2`, `admin`).
    pub by_auth: BTreeMap<String, u64>,
    /// Requests refused with 429 by the simulator's own rate limit.
    pub throttled: u64,
    /// Requests answered by an injected fault.
    pub faulted: u64,
    /// Requests refused for authentication (bad/expired token, bad hash).
    pub unauthorized: u64,
    /// OAuth2 endpoint calls: `authorize`, `token`, `refresh`, `resource`.
    pub oauth: BTreeMap<String, u64>,
    /// Admin-key requests let in, by scheme (`hmac`, `md5`).
    #[serde(default)]
    pub admin_accepted: BTreeMap<String, u64>,
    /// Admin-key requests refused, by the scheme they tried (`hmac`, `md5`).
    #[serde(default)]
    pub admin_refused: BTreeMap<String, u64>,
}

#[derive(Debug, Default)]
pub struct Stats {
    inner: Mutex<StatsSnapshot>,
}

impl Stats {
    pub fn snapshot(&self) -> StatsSnapshot {
        self.with(|s| s.clone())
    }

    pub fn reset(&self) {
        self.with(|s| *s = StatsSnapshot::default());
    }

    pub fn request(&self) {
        self.with(|s| s.total += 1);
    }

    pub fn served(&self, action: &str, auth: &str) {
        self.with(|s| {
            *s.by_action.entry(action.to_owned()).or_default() += 1;
            *s.by_auth.entry(auth.to_owned()).or_default() += 1;
        });
    }

    pub fn throttled(&self) {
        self.with(|s| s.throttled += 1);
    }

    pub fn faulted(&self) {
        self.with(|s| s.faulted += 1);
    }

    pub fn unauthorized(&self) {
        self.with(|s| s.unauthorized += 1);
    }

    pub fn admin_accepted(&self, scheme: &str) {
        self.with(|s| *s.admin_accepted.entry(scheme.to_owned()).or_default() += 1);
    }

    pub fn admin_refused(&self, scheme: &str) {
        self.with(|s| *s.admin_refused.entry(scheme.to_owned()).or_default() += 1);
    }

    pub fn oauth(&self, endpoint: &str) {
        self.with(|s| *s.oauth.entry(endpoint.to_owned()).or_default() += 1);
    }

    fn with<T>(&self, f: impl FnOnce(&mut StatsSnapshot) -> T) -> T {
        // A poisoned lock only means another request panicked mid-update;
        // the counters are still meaningful, so keep counting.
        let mut guard = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        f(&mut guard)
    }
}

//! What every request handler shares: the account, its tokens, counters,
//! faults, the rate limit and the simulated clock.

use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use chrono::NaiveDateTime;
use governor::DefaultDirectRateLimiter;
use governor::clock::{Clock, DefaultClock};

use crate::config::{AdminAuth, Md5Over, SimInfo};
use crate::data::Account;
use crate::faults::{FaultSpec, Faults};
use crate::quirks::Quirks;
use crate::stats::Stats;
use crate::tokens::{Grant, TokenProblem, Tokens};

/// Everything a request handler may need.
#[derive(Debug)]
pub struct AppState {
    pub account: Account,
    pub info: SimInfo,
    pub stats: Stats,
    pub faults: Faults,
    pub redirect_uris: Vec<String>,
    /// The admin-key schemes accepted, and what md5 is checked over.
    pub admin_auth: AdminAuth,
    pub md5_over: Md5Over,
    /// `--quirks`: reshapes answers (see `quirks`).
    pub quirks: Option<Quirks>,
    tokens: Mutex<Tokens>,
    limiter: Option<DefaultDirectRateLimiter>,
    /// The dataset's `now` and the instant it was taken, so the simulated
    /// clock runs on from the moment the account was generated.
    epoch: (NaiveDateTime, Instant),
}

impl AppState {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        account: Account,
        info: SimInfo,
        stats: Stats,
        faults: Faults,
        redirect_uris: Vec<String>,
        tokens: Tokens,
        limiter: Option<DefaultDirectRateLimiter>,
        epoch: (NaiveDateTime, Instant),
        (admin_auth, md5_over): (AdminAuth, Md5Over),
        quirks: Option<Quirks>,
    ) -> Self {
        Self {
            account,
            info,
            stats,
            faults,
            redirect_uris,
            admin_auth,
            md5_over,
            quirks,
            tokens: Mutex::new(tokens),
            limiter,
            epoch,
        }
    }

    pub fn tokens(&self) -> MutexGuard<'_, Tokens> {
        self.tokens.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The account's current local time.
    pub fn now(&self) -> NaiveDateTime {
        let elapsed = chrono::Duration::from_std(self.epoch.1.elapsed()).unwrap_or_default();
        self.epoch.0 + elapsed
    }

    /// `None` when the request may go ahead, else how long to wait.
    pub fn check_rate(&self) -> Option<Duration> {
        let limiter = self.limiter.as_ref()?;
        limiter
            .check()
            .err()
            .map(|not_until| not_until.wait_time_from(DefaultClock::default().now()))
    }

    /// The grant of an access token (from the `Authorization: Bearer`
    /// header or the `access_token` parameter).
    pub fn bearer_grant(&self, token: Option<&str>) -> Result<Grant, TokenProblem> {
        let token = token.ok_or(TokenProblem::Missing)?;
        self.tokens().check(token)
    }

    /// Applies a fault spec: its rules replace the ones in force, and its
    /// `revoke` flag revokes every token now.
    pub fn apply_faults(&self, spec: &FaultSpec) {
        self.faults.set(spec);
        if spec.revoke {
            self.tokens().revoke_all();
        }
    }
}

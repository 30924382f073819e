//! One pace per Worksection account, shared fairly by its people.
//!
//! Worksection allows about one request a second per account, whoever
//! sends it. Every person's client of one account keeps to one
//! [`AccountPace`] (through the client's [`Pace`] hook, one lane per
//! person); the pace hands out turns at the account's rate (a `governor`
//! limiter), and when several people wait it serves them round-robin: the
//! next turn goes to the person after the one served last, so one person's
//! two hundred queued requests delay another person's single question by
//! at most one turn per person waiting, not by two hundred.
//!
//! Turns are given by one small task per account that wakes only while
//! someone waits. How long each request waited for its turn is recorded
//! (`worksection_team_pace_wait_seconds`).
//!
//! Replicas ([`AccountPace::shared`]): each replica keeps its own
//! round-robin across people, but every turn is granted by Redis, so the
//! replicas together keep the account's one pace: a GCRA (the generic cell
//! rate algorithm) as one Lua script on one key per account (the hash of
//! its address), run with Redis's clock. The script either takes the turn
//! or answers how long to wait; the replica sleeps that long and asks
//! again. While Redis is down the replica paces itself with a local
//! limiter at the account's rate divided by the replicas last seen alive
//! ([`Shared::replicas`]), and asks Redis again on the next turn once it
//! is back: no restart.

use std::collections::VecDeque;
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};

use futures_util::future::BoxFuture;
use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use redis::Script;
use tokio::sync::{Notify, oneshot};
use worksection::pace::Pace;

use crate::shared::{Shared, SharedError};

/// One turn of an account's pace (burst of one): `KEYS[1]` holds the
/// theoretical arrival time of the next turn in microseconds of Redis's
/// clock; `ARGV[1]` is the emission interval in microseconds. Returns 0
/// when the turn is taken, else the microseconds to wait.
const GCRA: &str = r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local interval = tonumber(ARGV[1])
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
if tat < now then tat = now end
if tat > now then return tat - now end
redis.call('SET', KEYS[1], string.format('%.0f', tat + interval), 'PX', math.ceil(interval / 1000) + 1000)
return 0
";

/// An account's pace kept in Redis, with the local fallback.
struct Distributed {
    shared: Shared,
    /// `pace:<hash of the account>`.
    key: String,
    interval_us: u64,
    rps: f64,
    script: Script,
    /// The degraded limiter and the replica count it divides by.
    local: Mutex<Option<(usize, Arc<DefaultDirectRateLimiter>)>>,
}

impl Distributed {
    /// Waits for one turn: Redis's, or the local one while it is down.
    async fn turn(&self) {
        loop {
            match self
                .shared
                .script::<i64, _>(&self.script, &[&self.key], &[self.interval_us])
                .await
            {
                Ok(wait) if wait <= 0 => return,
                Ok(wait) => {
                    let wait = Duration::from_micros(u64::try_from(wait).unwrap_or_default());
                    tokio::time::sleep(wait.min(Duration::from_secs(60))).await;
                }
                Err(e) => {
                    if !matches!(e, SharedError::Down) {
                        tracing::warn!(error = %e, "the shared pace failed; this replica paces itself");
                    }
                    self.local().until_ready().await;
                    return;
                }
            }
        }
    }

    /// The local limiter at the account's rate divided by the replicas.
    fn local(&self) -> Arc<DefaultDirectRateLimiter> {
        let replicas = self.shared.replicas();
        let mut local = self.local.lock().unwrap_or_else(|p| p.into_inner());
        match &*local {
            Some((n, limiter)) if *n == replicas => limiter.clone(),
            _ => {
                let limiter = Arc::new(limiter(self.rps / replicas as f64));
                *local = Some((replicas, limiter.clone()));
                limiter
            }
        }
    }
}

/// A limiter of `rps` turns a second, burst of one.
fn limiter(rps: f64) -> DefaultDirectRateLimiter {
    let period = Duration::from_secs_f64(1.0 / rps.max(0.001)).max(Duration::from_micros(1));
    let quota = Quota::with_period(period)
        .unwrap_or_else(|| Quota::per_second(NonZeroU32::MIN))
        .allow_burst(NonZeroU32::MIN);
    RateLimiter::direct(quota)
}

/// The queue of one person.
struct Lane {
    person: String,
    waiting: VecDeque<oneshot::Sender<()>>,
}

#[derive(Default)]
struct Queues {
    /// People with requests waiting, in the order they are served next.
    lanes: VecDeque<Lane>,
    dispatcher: bool,
}

struct State {
    queues: Mutex<Queues>,
    wake: Notify,
    limiter: DefaultDirectRateLimiter,
    /// With replicas: the turns are Redis's.
    distributed: Option<Distributed>,
}

impl State {
    async fn turn(&self) {
        match &self.distributed {
            Some(d) => d.turn().await,
            None => self.limiter.until_ready().await,
        }
    }
}

/// One account's pace.
#[derive(Clone)]
pub struct AccountPace {
    state: Arc<State>,
}

impl std::fmt::Debug for AccountPace {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AccountPace(..)")
    }
}

impl AccountPace {
    /// `requests_per_second` for the whole account (0.05 to 50).
    pub fn new(requests_per_second: f64) -> Self {
        Self::with(requests_per_second, None)
    }

    /// The pace of the account `account` (its address or key) kept in
    /// `shared`'s Redis for all replicas together, `requests_per_second`
    /// for the whole account (0.05 to 50).
    pub fn shared(requests_per_second: f64, shared: Shared, account: &str) -> Self {
        let rps = requests_per_second.clamp(0.05, 50.0);
        let interval = Duration::from_secs_f64(1.0 / rps);
        Self::with(
            requests_per_second,
            Some(Distributed {
                shared,
                key: format!("pace:{}", crate::secrets::hash(account)),
                interval_us: u64::try_from(interval.as_micros()).unwrap_or(u64::MAX),
                rps,
                script: Script::new(GCRA),
                local: Mutex::new(None),
            }),
        )
    }

    fn with(requests_per_second: f64, distributed: Option<Distributed>) -> Self {
        let rps = requests_per_second.clamp(0.05, 50.0);
        Self {
            state: Arc::new(State {
                queues: Mutex::new(Queues::default()),
                wake: Notify::new(),
                limiter: limiter(rps),
                distributed,
            }),
        }
    }

    /// The lane of one person: what their client waits on.
    pub fn lane(&self, person: &str) -> Arc<dyn Pace> {
        Arc::new(PersonLane {
            person: person.to_owned(),
            pace: self.clone(),
        })
    }

    /// How many requests wait now, all people together.
    pub fn waiting(&self) -> usize {
        self.lock().lanes.iter().map(|l| l.waiting.len()).sum()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Queues> {
        self.state.queues.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Waits for `person`'s next turn.
    async fn turn(&self, person: &str) {
        let started = Instant::now();
        let (tx, rx) = oneshot::channel();
        let start_dispatcher = {
            let mut q = self.lock();
            match q.lanes.iter_mut().find(|l| l.person == person) {
                Some(lane) => lane.waiting.push_back(tx),
                None => q.lanes.push_back(Lane {
                    person: person.to_owned(),
                    waiting: VecDeque::from([tx]),
                }),
            }
            !std::mem::replace(&mut q.dispatcher, true)
        };
        if start_dispatcher {
            tokio::spawn(dispatch(Arc::downgrade(&self.state)));
        }
        self.state.wake.notify_one();
        // The dispatcher never drops a sender unanswered while it runs.
        let _ = rx.await;
        metrics::histogram!("worksection_team_pace_wait_seconds")
            .record(started.elapsed().as_secs_f64());
        metrics::counter!("worksection_team_upstream_requests_total").increment(1);
    }
}

/// Hands out turns while anyone waits; ends when the pace is dropped.
async fn dispatch(shared: Weak<State>) {
    loop {
        let Some(s) = shared.upgrade() else { return };
        let empty = {
            let q = s.queues.lock().unwrap_or_else(|p| p.into_inner());
            q.lanes.is_empty()
        };
        if empty {
            // Woken by the next request; re-checked before waiting, so a
            // request queued between the check and here is not missed
            // (`notify_one` stores a permit).
            let wake = s.wake.notified();
            tokio::select! {
                () = wake => {}
                () = tokio::time::sleep(Duration::from_secs(30)) => {}
            }
            continue;
        }
        s.turn().await;
        // The turn goes to the first person in line who still waits; a
        // person whose request gave up passes their turn on at once.
        let mut q = s.queues.lock().unwrap_or_else(|p| p.into_inner());
        while let Some(mut lane) = q.lanes.pop_front() {
            let mut served = false;
            while let Some(tx) = lane.waiting.pop_front() {
                if tx.send(()).is_ok() {
                    served = true;
                    break;
                }
            }
            if !lane.waiting.is_empty() {
                q.lanes.push_back(lane);
            }
            if served {
                break;
            }
        }
    }
}

/// One person's lane of an account's pace.
struct PersonLane {
    person: String,
    pace: AccountPace,
}

impl std::fmt::Debug for PersonLane {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PersonLane(..)")
    }
}

impl Pace for PersonLane {
    fn until_ready(&self) -> BoxFuture<'_, ()> {
        Box::pin(self.pace.turn(&self.person))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A flood of one person and one request of another: the other's
    /// request is served second, not after the flood (order, not time).
    #[tokio::test]
    async fn a_flood_does_not_starve_a_single_request() {
        let pace = AccountPace::new(50.0);
        let a = pace.lane("a");
        let b = pace.lane("b");
        let order = Arc::new(Mutex::new(Vec::new()));
        let mut tasks = Vec::new();
        for i in 0..20 {
            let a = a.clone();
            let order = order.clone();
            tasks.push(tokio::spawn(async move {
                a.until_ready().await;
                order.lock().expect("lock").push(format!("a{i}"));
            }));
            tokio::task::yield_now().await;
        }
        let order_b = order.clone();
        let tb = tokio::spawn(async move {
            b.until_ready().await;
            order_b.lock().expect("lock").push("b".to_owned());
        });
        tb.await.expect("b served");
        for t in tasks {
            t.await.expect("a served");
        }
        let order = order.lock().expect("lock").clone();
        let at = order.iter().position(|x| x == "b").expect("b in order");
        assert!(at <= 2, "b waited behind {at} of a's requests: {order:?}");
        assert_eq!(order.len(), 21);
        assert_eq!(pace.waiting(), 0);
    }

    /// Two people with many requests each alternate.
    #[tokio::test]
    async fn people_take_turns() {
        let pace = AccountPace::new(50.0);
        let order = Arc::new(Mutex::new(Vec::new()));
        let mut tasks = Vec::new();
        for who in ["a", "b"] {
            for _ in 0..5 {
                let lane = pace.lane(who);
                let order = order.clone();
                tasks.push(tokio::spawn(async move {
                    lane.until_ready().await;
                    order.lock().expect("lock").push(who);
                }));
            }
        }
        for t in tasks {
            t.await.expect("served");
        }
        let order = order.lock().expect("lock").clone();
        let switches = order.windows(2).filter(|w| w[0] != w[1]).count();
        assert!(switches >= 7, "served in turns: {order:?}");
    }
}

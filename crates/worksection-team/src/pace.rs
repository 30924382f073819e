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

use std::collections::VecDeque;
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};

use futures_util::future::BoxFuture;
use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use tokio::sync::{Notify, oneshot};
use worksection::pace::Pace;

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

struct Shared {
    queues: Mutex<Queues>,
    wake: Notify,
    limiter: DefaultDirectRateLimiter,
}

/// One account's pace.
#[derive(Clone)]
pub struct AccountPace {
    shared: Arc<Shared>,
}

impl std::fmt::Debug for AccountPace {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AccountPace(..)")
    }
}

impl AccountPace {
    /// `requests_per_second` for the whole account (0.05 to 50).
    pub fn new(requests_per_second: f64) -> Self {
        let rps = requests_per_second.clamp(0.05, 50.0);
        let period = Duration::from_secs_f64(1.0 / rps).max(Duration::from_micros(1));
        let quota = Quota::with_period(period)
            .unwrap_or_else(|| Quota::per_second(NonZeroU32::MIN))
            .allow_burst(NonZeroU32::MIN);
        Self {
            shared: Arc::new(Shared {
                queues: Mutex::new(Queues::default()),
                wake: Notify::new(),
                limiter: RateLimiter::direct(quota),
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
        self.shared.queues.lock().unwrap_or_else(|p| p.into_inner())
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
            tokio::spawn(dispatch(Arc::downgrade(&self.shared)));
        }
        self.shared.wake.notify_one();
        // The dispatcher never drops a sender unanswered while it runs.
        let _ = rx.await;
        metrics::histogram!("worksection_team_pace_wait_seconds")
            .record(started.elapsed().as_secs_f64());
        metrics::counter!("worksection_team_upstream_requests_total").increment(1);
    }
}

/// Hands out turns while anyone waits; ends when the pace is dropped.
async fn dispatch(shared: Weak<Shared>) {
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
        s.limiter.until_ready().await;
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

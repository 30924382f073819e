//! Single-flight: callers asking for the same thing at the same time share
//! one run of the work that produces it. Both caches use it: the response
//! cache for upstream answers, the file cache for downloads.
//!
//! The first caller for a key starts a flight; every caller that arrives
//! before it lands waits for the same outcome, failures included. The
//! entry goes as soon as the flight lands (keeping what landed is each
//! cache's business, so this map holds only what is under way and never
//! grows), and also when every waiter gives up (a tool call's time limit),
//! so the next caller starts afresh instead of joining a flight that may
//! never land.

use std::collections::HashMap;
use std::future::Future;
use std::hash::Hash;
use std::pin::Pin;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};

use futures_util::FutureExt;
use futures_util::future::{BoxFuture, Shared};

type Flight<V> = Shared<BoxFuture<'static, V>>;

struct Entry<V> {
    flight: Flight<V>,
    /// Tells this flight from a later one under the same key.
    generation: u64,
}

/// How a caller got its value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Joined {
    /// From what the cache already had (see [`Flights::run`]).
    Kept,
    /// From a flight another caller had started.
    Shared,
    /// From a flight this caller started.
    Started,
}

/// The flights under way, by key.
pub(crate) struct Flights<K, V> {
    under_way: Mutex<HashMap<K, Entry<V>>>,
    generation: AtomicU64,
}

impl<K, V> Flights<K, V>
where
    K: Hash + Eq + Clone,
    V: Clone + Send + Sync + 'static,
{
    pub(crate) fn new() -> Self {
        Self {
            under_way: Mutex::new(HashMap::new()),
            generation: AtomicU64::new(0),
        }
    }

    /// The value for `key`: joins the flight under way; else takes what
    /// `kept` finds; else starts `start`'s work. `kept` runs while no
    /// flight for `key` can start or land, so a value a flight keeps before
    /// it lands is never missed (no second flight for an answer just in).
    pub(crate) async fn run<F>(
        &self,
        key: K,
        kept: impl FnOnce() -> Option<V>,
        start: impl FnOnce() -> F,
    ) -> (V, Joined)
    where
        F: Future<Output = V> + Send + 'static,
    {
        let (flight, generation, joined) = {
            let mut under_way = self.lock();
            if let Some(e) = under_way.get(&key) {
                (e.flight.clone(), e.generation, Joined::Shared)
            } else if let Some(value) = kept() {
                return (value, Joined::Kept);
            } else {
                let generation = self.generation.fetch_add(1, Ordering::Relaxed);
                let flight = start().boxed().shared();
                let entry = Entry {
                    flight: flight.clone(),
                    generation,
                };
                under_way.insert(key.clone(), entry);
                (flight, generation, Joined::Started)
            }
        };
        let value = Waiter {
            flights: self,
            key: &key,
            generation,
            flight,
        }
        .await;
        self.remove_if(&key, generation, |_| true);
        (value, joined)
    }

    /// Flights under way now.
    pub(crate) fn len(&self) -> usize {
        self.lock().len()
    }

    /// Forgets an unfinished flight whose last waiter gives up. Called
    /// while that waiter still holds its share: two shares left (the map's
    /// and the waiter's) means nobody else waits.
    fn abandoned(&self, key: &K, generation: u64) {
        self.remove_if(key, generation, |e| {
            e.flight.peek().is_none() && e.flight.strong_count() == Some(2)
        });
    }

    fn remove_if(&self, key: &K, generation: u64, also: impl FnOnce(&Entry<V>) -> bool) {
        let mut under_way = self.lock();
        if under_way
            .get(key)
            .is_some_and(|e| e.generation == generation && also(e))
        {
            under_way.remove(key);
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<K, Entry<V>>> {
        // Every change to the map is one call, so a panic elsewhere while
        // holding the lock cannot leave it half-changed.
        self.under_way.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// One caller's share of a flight; dropping it unfinished may abandon it.
struct Waiter<'a, K, V>
where
    K: Hash + Eq + Clone,
    V: Clone + Send + Sync + 'static,
{
    flights: &'a Flights<K, V>,
    key: &'a K,
    generation: u64,
    flight: Flight<V>,
}

impl<K, V> Future for Waiter<'_, K, V>
where
    K: Hash + Eq + Clone,
    V: Clone + Send + Sync + 'static,
{
    type Output = V;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<V> {
        self.flight.poll_unpin(cx)
    }
}

impl<K, V> Drop for Waiter<'_, K, V>
where
    K: Hash + Eq + Clone,
    V: Clone + Send + Sync + 'static,
{
    fn drop(&mut self) {
        self.flights.abandoned(self.key, self.generation);
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::AtomicUsize;
    use std::time::Duration;

    use super::*;

    #[tokio::test]
    async fn concurrent_callers_share_one_run_and_the_map_empties() {
        let flights = Arc::new(Flights::<u32, u32>::new());
        let runs = Arc::new(AtomicUsize::new(0));
        let calls = (0..10).map(|_| {
            let (flights, runs) = (flights.clone(), runs.clone());
            async move {
                flights
                    .run(
                        7,
                        || None,
                        || async move {
                            runs.fetch_add(1, Ordering::SeqCst);
                            tokio::time::sleep(Duration::from_millis(50)).await;
                            42
                        },
                    )
                    .await
            }
        });
        let out = futures_util::future::join_all(calls).await;
        assert_eq!(runs.load(Ordering::SeqCst), 1);
        assert!(out.iter().all(|(v, _)| *v == 42));
        let started = out.iter().filter(|(_, j)| *j == Joined::Started).count();
        assert_eq!(started, 1);
        assert_eq!(flights.len(), 0, "a landed flight leaves the map");
    }

    #[tokio::test]
    async fn kept_values_start_nothing_and_given_up_flights_are_forgotten() {
        let flights = Flights::<u32, u32>::new();
        let (v, j) = flights.run(1, || Some(5), || async { 6 }).await;
        assert_eq!((v, j), (5, Joined::Kept));

        let hung = flights.run(2, || None, std::future::pending::<u32>);
        assert!(
            tokio::time::timeout(Duration::from_millis(20), hung)
                .await
                .is_err()
        );
        assert_eq!(flights.len(), 0, "nobody waits, so the flight is gone");
        let (v, j) = flights.run(2, || None, || async { 9 }).await;
        assert_eq!((v, j), (9, Joined::Started));
    }
}

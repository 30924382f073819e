//! The response cache: upstream answers kept for a short TTL, with
//! single-flight.
//!
//! Worksection allows about one request per second per account, so the
//! cheapest request is the one not sent. Every upstream read goes through
//! [`ResponseCache::get_or_fetch`] under a key made of the action and its
//! parameters. While a fetch is in flight, identical calls wait for it
//! instead of sending their own (ten concurrent `get_tasks` for one project
//! make one request); once it lands, the answer is reused until the TTL runs
//! out. Failures are shared with the callers that were already waiting but
//! never kept, so the next call after a fault tries again; nor is a fetch
//! every caller gave up on, so the next call never joins a hung one.

use std::any::Any;
use std::collections::HashMap;
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures_util::FutureExt;
use futures_util::future::{BoxFuture, Shared};

type Value = Arc<dyn Any + Send + Sync>;
type Outcome = Result<(Value, Instant), Arc<worksection::Error>>;
type Flight = Shared<BoxFuture<'static, Outcome>>;

struct Entry {
    flight: Flight,
    /// Tells this entry from a newer one under the same key, so a failed
    /// fetch removes only itself.
    generation: u64,
}

/// Upstream answers by key, for a TTL, fetched once however many ask.
pub struct ResponseCache {
    ttl: Duration,
    entries: Mutex<HashMap<String, Entry>>,
    generation: AtomicU64,
    hits: AtomicU64,
    misses: AtomicU64,
}

/// Counters for the health tool and the dashboard.
#[derive(Debug, Clone, Copy, serde::Serialize)]
pub struct CacheStats {
    pub entries: usize,
    pub hits: u64,
    pub misses: u64,
    pub ttl_seconds: u64,
}

impl ResponseCache {
    /// A TTL of zero keeps nothing once a fetch lands, but still coalesces
    /// calls that arrive while it is in flight.
    pub fn new(ttl: Duration) -> Self {
        Self {
            ttl,
            entries: Mutex::new(HashMap::new()),
            generation: AtomicU64::new(0),
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
        }
    }

    /// The cached answer under `key`, or the answer of `fetch` (run at most
    /// once for all concurrent callers).
    pub async fn get_or_fetch<T, F, Fut>(
        &self,
        key: String,
        fetch: F,
    ) -> Result<Arc<T>, Arc<worksection::Error>>
    where
        T: Send + Sync + 'static,
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<T, worksection::Error>> + Send + 'static,
    {
        let (flight, generation) = {
            let mut entries = self.lock();
            let now = Instant::now();
            let reusable = entries.get(&key).and_then(|e| match e.flight.peek() {
                None => Some((e.flight.clone(), e.generation)),
                Some(Ok((_, at))) if now.duration_since(*at) < self.ttl => {
                    Some((e.flight.clone(), e.generation))
                }
                Some(_) => None,
            });
            match reusable {
                Some(found) => {
                    self.hits.fetch_add(1, Ordering::Relaxed);
                    found
                }
                None => {
                    self.misses.fetch_add(1, Ordering::Relaxed);
                    if entries.len() > 256 {
                        self.sweep(&mut entries, now);
                    }
                    let generation = self.generation.fetch_add(1, Ordering::Relaxed);
                    let fut = fetch();
                    let flight = async move {
                        match fut.await {
                            Ok(v) => Ok((Arc::new(v) as Value, Instant::now())),
                            Err(e) => Err(Arc::new(e)),
                        }
                    }
                    .boxed()
                    .shared();
                    entries.insert(
                        key.clone(),
                        Entry {
                            flight: flight.clone(),
                            generation,
                        },
                    );
                    (flight, generation)
                }
            }
        };
        let outcome = Waiter {
            cache: self,
            key: &key,
            generation,
            flight,
        }
        .await;
        if outcome.is_err() || self.ttl.is_zero() {
            let mut entries = self.lock();
            if entries
                .get(&key)
                .is_some_and(|e| e.generation == generation)
            {
                entries.remove(&key);
            }
        }
        let (value, _) = outcome?;
        // The key names the action, and one action always stores one type;
        // a mismatch would be a bug in a caller's key, so fail loudly but
        // without a panic.
        value.downcast::<T>().map_err(|_| {
            Arc::new(worksection::Error::Config(format!(
                "internal: cache key {key} holds another type"
            )))
        })
    }

    /// The answer under `key` if it has landed and is still within the TTL;
    /// never fetches and never waits. For serving a narrower question from a
    /// wider answer already at hand (a project from the project list, say):
    /// when there is none, the caller asks upstream the usual way.
    pub fn peek<T: Send + Sync + 'static>(&self, key: &str) -> Option<Arc<T>> {
        let entries = self.lock();
        let value = match entries.get(key)?.flight.peek()? {
            Ok((value, at)) if at.elapsed() < self.ttl => value.clone(),
            _ => return None,
        };
        drop(entries);
        let found = value.downcast::<T>().ok()?;
        self.hits.fetch_add(1, Ordering::Relaxed);
        Some(found)
    }

    /// Forgets every answer (the tray's "Clear cache", or after a re-sign-in).
    pub fn clear(&self) {
        self.lock().clear();
    }

    pub fn stats(&self) -> CacheStats {
        CacheStats {
            entries: self.lock().len(),
            hits: self.hits.load(Ordering::Relaxed),
            misses: self.misses.load(Ordering::Relaxed),
            ttl_seconds: self.ttl.as_secs(),
        }
    }

    /// Forgets an unfinished fetch whose last waiter gives up (every caller
    /// hit the tool-call time limit, say), so the next identical call starts
    /// afresh instead of joining a fetch that may never end. Called while
    /// that waiter still holds its share: two shares left (the map's and
    /// the waiter's) means nobody else waits.
    fn abandoned(&self, key: &str, generation: u64) {
        let mut entries = self.lock();
        let orphan = entries.get(key).is_some_and(|e| {
            e.generation == generation
                && e.flight.peek().is_none()
                && e.flight.strong_count() == Some(2)
        });
        if orphan {
            entries.remove(key);
        }
    }

    fn sweep(&self, entries: &mut HashMap<String, Entry>, now: Instant) {
        entries.retain(|_, e| match e.flight.peek() {
            None => true,
            Some(Ok((_, at))) => now.duration_since(*at) < self.ttl,
            Some(Err(_)) => false,
        });
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Entry>> {
        // A panic while holding the lock cannot leave the map half-changed
        // (every mutation is one call), so a poisoned lock is still usable.
        self.entries.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// One caller's share of a flight; see [`ResponseCache::abandoned`].
struct Waiter<'a> {
    cache: &'a ResponseCache,
    key: &'a str,
    generation: u64,
    flight: Flight,
}

impl Future for Waiter<'_> {
    type Output = Outcome;

    fn poll(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Outcome> {
        self.flight.poll_unpin(cx)
    }
}

impl Drop for Waiter<'_> {
    fn drop(&mut self) {
        self.cache.abandoned(self.key, self.generation);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;

    #[tokio::test]
    async fn concurrent_identical_calls_fetch_once() {
        let cache = Arc::new(ResponseCache::new(Duration::from_secs(60)));
        let fetches = Arc::new(AtomicUsize::new(0));
        let mut joins = Vec::new();
        for _ in 0..10 {
            let (cache, fetches) = (cache.clone(), fetches.clone());
            joins.push(tokio::spawn(async move {
                cache
                    .get_or_fetch("k".into(), || async move {
                        fetches.fetch_add(1, Ordering::SeqCst);
                        tokio::time::sleep(Duration::from_millis(20)).await;
                        Ok::<_, worksection::Error>(7u32)
                    })
                    .await
            }));
        }
        for j in joins {
            assert_eq!(*j.await.expect("join").expect("value"), 7);
        }
        assert_eq!(fetches.load(Ordering::SeqCst), 1);
        assert_eq!(cache.stats().misses, 1);
        assert_eq!(cache.stats().hits, 9);
    }

    #[tokio::test]
    async fn a_fetch_everyone_gave_up_on_is_not_joined() {
        let cache = ResponseCache::new(Duration::from_secs(60));
        let fetches = Arc::new(AtomicUsize::new(0));
        let fetch = |fetches: Arc<AtomicUsize>, hang: bool| {
            move || async move {
                fetches.fetch_add(1, Ordering::SeqCst);
                if hang {
                    std::future::pending::<()>().await;
                }
                Ok::<_, worksection::Error>(7u32)
            }
        };
        let gave_up = tokio::time::timeout(
            Duration::from_millis(20),
            cache.get_or_fetch("k".into(), fetch(fetches.clone(), true)),
        )
        .await;
        assert!(gave_up.is_err());
        let value = cache
            .get_or_fetch("k".into(), fetch(fetches.clone(), false))
            .await
            .expect("value");
        assert_eq!(*value, 7);
        assert_eq!(fetches.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn one_waiter_giving_up_leaves_the_fetch_to_the_others() {
        let cache = Arc::new(ResponseCache::new(Duration::from_secs(60)));
        let fetches = Arc::new(AtomicUsize::new(0));
        let slow = {
            let fetches = fetches.clone();
            move || async move {
                fetches.fetch_add(1, Ordering::SeqCst);
                tokio::time::sleep(Duration::from_millis(50)).await;
                Ok::<_, worksection::Error>(7u32)
            }
        };
        let patient = {
            let cache = cache.clone();
            tokio::spawn(async move { cache.get_or_fetch("k".into(), slow).await })
        };
        tokio::time::sleep(Duration::from_millis(5)).await;
        let impatient = tokio::time::timeout(
            Duration::from_millis(5),
            cache.get_or_fetch("k".into(), || async { Ok::<_, worksection::Error>(0u32) }),
        )
        .await;
        assert!(impatient.is_err());
        assert_eq!(*patient.await.expect("join").expect("value"), 7);
        assert_eq!(fetches.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn failures_are_not_kept() {
        let cache = ResponseCache::new(Duration::from_secs(60));
        let first = cache
            .get_or_fetch::<u32, _, _>("k".into(), || async {
                Err(worksection::Error::Upstream {
                    detail: "down".into(),
                    status: None,
                })
            })
            .await;
        assert!(first.is_err());
        let second = cache
            .get_or_fetch("k".into(), || async { Ok::<_, worksection::Error>(1u32) })
            .await;
        assert_eq!(*second.expect("value"), 1);
    }

    #[tokio::test]
    async fn peek_sees_only_fresh_landed_answers() {
        let cache = ResponseCache::new(Duration::from_millis(50));
        assert!(cache.peek::<u32>("k").is_none());
        cache
            .get_or_fetch("k".into(), || async { Ok::<_, worksection::Error>(7u32) })
            .await
            .expect("value");
        assert_eq!(cache.peek::<u32>("k").as_deref(), Some(&7));
        assert!(cache.peek::<String>("k").is_none(), "another type");
        tokio::time::sleep(Duration::from_millis(60)).await;
        assert!(cache.peek::<u32>("k").is_none(), "stale");
    }

    #[tokio::test]
    async fn zero_ttl_keeps_nothing() {
        let cache = ResponseCache::new(Duration::ZERO);
        for expected in [1u32, 2] {
            let got = cache
                .get_or_fetch("k".into(), || async move {
                    Ok::<_, worksection::Error>(expected)
                })
                .await;
            assert_eq!(*got.expect("value"), expected);
        }
        assert_eq!(cache.stats().entries, 0);
    }
}

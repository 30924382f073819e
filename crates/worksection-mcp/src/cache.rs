//! The response cache: upstream answers kept for a short TTL, with
//! single-flight.
//!
//! Worksection allows about one request per second per account, so the
//! cheapest request is the one not sent. Every upstream read goes through
//! [`ResponseCache::get_or_fetch`] under a key made of the action and its
//! parameters. A `moka` cache does the work: while a fetch is in flight,
//! identical calls wait for it instead of sending their own (ten
//! concurrent `get_tasks` for one project make one request:
//! `try_get_with`); once it lands, the answer is reused until the TTL runs
//! out (`time_to_live`). Failures are shared with the callers that were
//! already waiting but never kept, so the next call after a fault tries
//! again; a fetch whose caller gives up is handed to one still waiting
//! (which starts it afresh), and one every caller gave up on is never
//! joined.

use std::any::Any;
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use moka::future::Cache;

type Value = Arc<dyn Any + Send + Sync>;

/// Upstream answers by key, for a TTL, fetched once however many ask.
pub struct ResponseCache {
    ttl: Duration,
    answers: Cache<String, Value>,
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
            answers: Cache::builder().time_to_live(ttl).build(),
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
        let mut started = false;
        let outcome = self
            .answers
            .try_get_with_by_ref(&key, async {
                started = true;
                Ok(Arc::new(fetch().await?) as Value)
            })
            .await;
        let counter = if started { &self.misses } else { &self.hits };
        counter.fetch_add(1, Ordering::Relaxed);
        // The key names the action, and one action always stores one type;
        // a mismatch would be a bug in a caller's key, so fail loudly but
        // without a panic.
        outcome?.downcast::<T>().map_err(|_| {
            Arc::new(worksection::Error::Local(format!(
                "internal: cache key {key} holds another type"
            )))
        })
    }

    /// The answer under `key` if it has landed and is still within the TTL;
    /// never fetches and never waits. For serving a narrower question from a
    /// wider answer already at hand (a project from the project list, say):
    /// when there is none, the caller asks upstream the usual way.
    pub async fn peek<T: Send + Sync + 'static>(&self, key: &str) -> Option<Arc<T>> {
        let found = self.answers.get(key).await?.downcast::<T>().ok()?;
        self.hits.fetch_add(1, Ordering::Relaxed);
        Some(found)
    }

    /// Forgets every answer (the tray's "Clear cache", or after a re-sign-in).
    pub fn clear(&self) {
        self.answers.invalidate_all();
    }

    pub fn stats(&self) -> CacheStats {
        CacheStats {
            entries: self.answers.iter().count(),
            hits: self.hits.load(Ordering::Relaxed),
            misses: self.misses.load(Ordering::Relaxed),
            ttl_seconds: self.ttl.as_secs(),
        }
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
        assert!(cache.peek::<u32>("k").await.is_none());
        cache
            .get_or_fetch("k".into(), || async { Ok::<_, worksection::Error>(7u32) })
            .await
            .expect("value");
        assert_eq!(cache.peek::<u32>("k").await.as_deref(), Some(&7));
        assert!(cache.peek::<String>("k").await.is_none(), "another type");
        tokio::time::sleep(Duration::from_millis(60)).await;
        assert!(cache.peek::<u32>("k").await.is_none(), "stale");
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

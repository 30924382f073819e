//! The response cache: upstream answers kept for a short TTL, with
//! single-flight, in this process and (team mode with `--redis-url`)
//! across replicas.
//!
//! Worksection allows about one request per second per account, so the
//! cheapest request is the one not sent. Every upstream read goes through
//! [`ResponseCache::get_or_fetch`] under a key made of the action and
//! its parameters. A `moka` cache does the work locally: while a fetch is
//! in flight, identical calls wait for it instead of sending their own (ten
//! concurrent `get_tasks` for one project make one request:
//! `try_get_with`); once it lands, the answer is reused until its TTL runs
//! out (each entry carries its own: a fresh answer the cache's TTL, one
//! read from the shared store what is left of it). Failures are shared
//! with the callers that were already waiting but never kept, so the next
//! call after a fault tries again; a fetch whose caller gives up is handed
//! to one still waiting (which starts it afresh), and one every caller
//! gave up on is never joined.
//!
//! Across replicas ([`ResponseCache::with_shared`]): on a local miss, the
//! one local fetch first reads the person's shared entry
//! (`cache:{person}:{action key}`), the upstream's raw answer bytes,
//! compressed, read back through the same lenient decode a fresh answer
//! goes through, so it is exactly what a fetch would give. Without one it
//! takes the lock `lock:{person}:{action key}` (set-if-absent, a random
//! owner, an expiry a little over the client's request timeout), fetches,
//! stores the body with the cache's TTL (unless over
//! [`SHARED_ANSWER_CAP`] compressed: then it stays local) and releases the
//! lock if it still owns it. A replica that finds the lock taken waits for
//! the winner's answer, polling the entry (from 20 ms, doubling to 200 ms:
//! a loopback GET is cheaper than keeping a subscription per replica, and
//! the wait is bounded by the lock's expiry anyway) and never fetches while
//! the lock lives; when the lock goes without an answer (the winner failed,
//! died, or its answer was over the cap), one waiter takes the lock over.
//! Any failure of the store is logged and the call goes on as a local one
//! (degraded), never failing for it.

use std::any::Any;
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime};

use bytes::Bytes;
use moka::Expiry;
use moka::future::Cache;

use crate::shared::{SharedSpace, random_owner};

type Value = Arc<dyn Any + Send + Sync>;

/// Most bytes of one answer in the shared store, once compressed; a larger
/// answer is kept by the replica that fetched it only.
pub const SHARED_ANSWER_CAP: usize = 2 << 20;
/// How often a waiter first looks for the winner's answer, and at most.
const POLL_FIRST: Duration = Duration::from_millis(20);
const POLL_MAX: Duration = Duration::from_millis(200);
/// How many times a waiter takes over a lock that went without an answer
/// before it fetches without one.
const TAKEOVERS: usize = 3;

/// An answer with the time it may be kept for.
#[derive(Clone)]
struct Kept {
    value: Value,
    ttl: Duration,
}

/// Each entry expires after its own TTL.
struct KeptFor;

impl Expiry<String, Kept> for KeptFor {
    fn expire_after_create(&self, _: &String, kept: &Kept, _: Instant) -> Option<Duration> {
        Some(kept.ttl)
    }
}

/// The shared store of a replicated team server, for one person.
#[derive(Clone)]
struct SharedAnswers {
    space: SharedSpace,
    lock_ttl: Duration,
}

/// Upstream answers by key, for a TTL, fetched once however many ask.
pub struct ResponseCache {
    ttl: Duration,
    answers: Cache<String, Kept>,
    shared: Option<SharedAnswers>,
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
            answers: Cache::builder().expire_after(KeptFor).build(),
            shared: None,
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
        }
    }

    /// Shares answers (and their fetches) with the other replicas through
    /// one person's `space`; a fetch holds its lock for at most `lock_ttl`
    /// (a little over the client's request timeout).
    pub fn with_shared(mut self, space: SharedSpace, lock_ttl: Duration) -> Self {
        self.shared = Some(SharedAnswers { space, lock_ttl });
        self
    }

    /// The cached answer under `key`, or the answer of `fetch` (run at most
    /// once for all concurrent callers). `fetch` gives the upstream answer
    /// and the body it was read from; `read` reads an answer from such a
    /// body. With a shared store, the body is what replicas share (see the
    /// module's doc); without one, the answer is kept here only.
    pub async fn get_or_fetch<T, F, Fut, R>(
        &self,
        key: String,
        fetch: F,
        read: R,
    ) -> Result<Arc<T>, Arc<worksection::Error>>
    where
        T: Send + Sync + 'static,
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<(T, Bytes), worksection::Error>> + Send,
        R: Fn(&Bytes) -> Result<T, worksection::Error>,
    {
        let ttl = self.ttl;
        let shared = self.shared.clone().filter(|_| !ttl.is_zero());
        let shared_key = key.clone();
        self.lookup(key, async move {
            let (answer, ttl) = match shared {
                Some(shared) => shared.fetch(&shared_key, ttl, fetch, &read).await?,
                None => (fetch().await?.0, ttl),
            };
            Ok(Kept {
                value: Arc::new(answer),
                ttl,
            })
        })
        .await
    }

    async fn lookup<T: Send + Sync + 'static>(
        &self,
        key: String,
        init: impl Future<Output = Result<Kept, worksection::Error>>,
    ) -> Result<Arc<T>, Arc<worksection::Error>> {
        let mut started = false;
        let outcome = self
            .answers
            .try_get_with_by_ref(&key, async {
                started = true;
                init.await
            })
            .await;
        let counter = if started { &self.misses } else { &self.hits };
        counter.fetch_add(1, Ordering::Relaxed);
        // The key names the action, and one action always stores one type;
        // a mismatch would be a bug in a caller's key, so fail loudly but
        // without a panic.
        outcome?.value.downcast::<T>().map_err(|_| {
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
        let found = self.answers.get(key).await?.value.downcast::<T>().ok()?;
        self.hits.fetch_add(1, Ordering::Relaxed);
        Some(found)
    }

    /// [`Self::peek`], and with a shared store the answer another replica
    /// fetched (read from its body by `read`, then kept here for what is
    /// left of its TTL).
    pub async fn peek_kept<T, R>(&self, key: &str, read: R) -> Option<Arc<T>>
    where
        T: Send + Sync + 'static,
        R: Fn(&Bytes) -> Result<T, worksection::Error>,
    {
        if let Some(found) = self.peek(key).await {
            return Some(found);
        }
        let shared = self.shared.as_ref().filter(|_| !self.ttl.is_zero())?;
        let (answer, ttl) = shared.entry(key, self.ttl, &read).await?;
        let answer = Arc::new(answer);
        self.answers
            .insert(
                key.to_owned(),
                Kept {
                    value: answer.clone(),
                    ttl,
                },
            )
            .await;
        self.hits.fetch_add(1, Ordering::Relaxed);
        Some(answer)
    }

    /// Forgets every answer (the tray's "Clear cache", or after a
    /// re-sign-in). This replica's only: shared entries expire by their TTL.
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

/// A lock this replica holds: released by [`Held::release`], or, when
/// the fetch is dropped first (every caller gave up), by a task of its own,
/// so the other replicas need not wait for it to expire.
struct Held {
    space: SharedSpace,
    lock: String,
    owner: String,
    released: bool,
}

impl Held {
    async fn release(mut self) {
        self.space.unlock(&self.lock, self.owner.as_bytes()).await;
        self.released = true;
    }
}

impl Drop for Held {
    fn drop(&mut self) {
        if self.released {
            return;
        }
        let space = self.space.clone();
        let lock = std::mem::take(&mut self.lock);
        let owner = std::mem::take(&mut self.owner);
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(async move { space.unlock(&lock, owner.as_bytes()).await });
        }
    }
}

/// What a waiter saw.
enum Waited<T> {
    Answer((T, Duration)),
    /// The lock went (or expired) without an answer.
    Gone,
    /// The store failed.
    Down,
}

impl SharedAnswers {
    /// The shared answer of `key`, or one fetch across replicas (see the
    /// module's doc); the answer and how long it may be kept.
    async fn fetch<T, F, Fut, R>(
        &self,
        key: &str,
        ttl: Duration,
        fetch: F,
        read: &R,
    ) -> Result<(T, Duration), worksection::Error>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<(T, Bytes), worksection::Error>>,
        R: Fn(&Bytes) -> Result<T, worksection::Error>,
    {
        let lock = self.space.key("lock", key);
        let owner = random_owner();
        for _ in 0..=TAKEOVERS {
            if let Some(found) = self.entry(key, ttl, read).await {
                return Ok(found);
            }
            match self
                .space
                .lock(&lock, owner.as_bytes(), self.lock_ttl)
                .await
            {
                None => break,
                Some(true) => {
                    let held = Held {
                        space: self.space.clone(),
                        lock: lock.clone(),
                        owner: owner.clone(),
                        released: false,
                    };
                    // The lock's last holder may have stored its answer
                    // between the read above and this lock: read again
                    // before asking upstream a second time.
                    if let Some(found) = self.entry(key, ttl, read).await {
                        held.release().await;
                        return Ok(found);
                    }
                    let fetched = fetch().await;
                    if let Ok((_, body)) = &fetched {
                        let entry = self.space.key("cache", key);
                        self.space
                            .put(&entry, body, SystemTime::now(), ttl, SHARED_ANSWER_CAP)
                            .await;
                    }
                    held.release().await;
                    return fetched.map(|(answer, _)| (answer, ttl));
                }
                Some(false) => match self.wait(key, &lock, ttl, read).await {
                    Waited::Answer(found) => return Ok(found),
                    Waited::Gone => {}
                    Waited::Down => break,
                },
            }
        }
        fetch().await.map(|(answer, _)| (answer, ttl))
    }

    /// Waits for the answer of the lock's holder, until the lock goes.
    async fn wait<T, R>(&self, key: &str, lock: &str, ttl: Duration, read: &R) -> Waited<T>
    where
        R: Fn(&Bytes) -> Result<T, worksection::Error>,
    {
        let deadline = tokio::time::Instant::now() + self.lock_ttl + POLL_MAX;
        let mut every = POLL_FIRST;
        while tokio::time::Instant::now() < deadline {
            tokio::time::sleep(every).await;
            every = (every * 2).min(POLL_MAX);
            if let Some(found) = self.entry(key, ttl, read).await {
                return Waited::Answer(found);
            }
            match self.space.exists(lock).await {
                Some(true) => {}
                // The answer may have landed between the two reads.
                Some(false) => {
                    return match self.entry(key, ttl, read).await {
                        Some(found) => Waited::Answer(found),
                        None => Waited::Gone,
                    };
                }
                None => return Waited::Down,
            }
        }
        Waited::Gone
    }

    /// The shared answer of `key`, read by `read`, with what is left of
    /// its TTL; `None` when there is none (or it no longer reads).
    async fn entry<T, R>(&self, key: &str, ttl: Duration, read: &R) -> Option<(T, Duration)>
    where
        R: Fn(&Bytes) -> Result<T, worksection::Error>,
    {
        let found = self.space.get(&self.space.key("cache", key)).await?;
        let left = ttl.saturating_sub(found.age());
        match read(&Bytes::from(found.bytes)) {
            Ok(answer) => Some((answer, left)),
            Err(e) => {
                tracing::warn!(error = %e, "a shared answer did not read; fetching afresh");
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;

    impl ResponseCache {
        /// [`ResponseCache::get_or_fetch`] of a value with no body: these
        /// tests have no shared store, which alone reads bodies back.
        async fn plain<T, F, Fut>(
            &self,
            key: String,
            fetch: F,
        ) -> Result<Arc<T>, Arc<worksection::Error>>
        where
            T: Send + Sync + 'static,
            F: FnOnce() -> Fut,
            Fut: Future<Output = Result<T, worksection::Error>> + Send,
        {
            let no_body = |_: &Bytes| {
                Err(worksection::Error::Upstream {
                    detail: "no body to read in these tests".into(),
                    status: None,
                })
            };
            self.get_or_fetch(
                key,
                || {
                    let answer = fetch();
                    async move { Ok((answer.await?, Bytes::new())) }
                },
                no_body,
            )
            .await
        }
    }

    #[tokio::test]
    async fn concurrent_identical_calls_fetch_once() {
        let cache = Arc::new(ResponseCache::new(Duration::from_secs(60)));
        let fetches = Arc::new(AtomicUsize::new(0));
        let mut joins = Vec::new();
        for _ in 0..10 {
            let (cache, fetches) = (cache.clone(), fetches.clone());
            joins.push(tokio::spawn(async move {
                cache
                    .plain("k".into(), || async move {
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
            cache.plain("k".into(), fetch(fetches.clone(), true)),
        )
        .await;
        assert!(gave_up.is_err());
        let value = cache
            .plain("k".into(), fetch(fetches.clone(), false))
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
            tokio::spawn(async move { cache.plain("k".into(), slow).await })
        };
        tokio::time::sleep(Duration::from_millis(5)).await;
        let impatient = tokio::time::timeout(
            Duration::from_millis(5),
            cache.plain("k".into(), || async { Ok::<_, worksection::Error>(0u32) }),
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
            .plain::<u32, _, _>("k".into(), || async {
                Err(worksection::Error::Upstream {
                    detail: "down".into(),
                    status: None,
                })
            })
            .await;
        assert!(first.is_err());
        let second = cache
            .plain("k".into(), || async { Ok::<_, worksection::Error>(1u32) })
            .await;
        assert_eq!(*second.expect("value"), 1);
    }

    #[tokio::test]
    async fn peek_sees_only_fresh_landed_answers() {
        let cache = ResponseCache::new(Duration::from_millis(50));
        assert!(cache.peek::<u32>("k").await.is_none());
        cache
            .plain("k".into(), || async { Ok::<_, worksection::Error>(7u32) })
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
                .plain("k".into(), || async move {
                    Ok::<_, worksection::Error>(expected)
                })
                .await;
            assert_eq!(*got.expect("value"), expected);
        }
        assert_eq!(cache.stats().entries, 0);
    }
}

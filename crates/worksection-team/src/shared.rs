//! The Redis (or Valkey) that a team server's replicas share: one handle,
//! [`Shared`], for everything kept there (the store, the account's pace,
//! the answers cache of `worksection-mcp`).
//!
//! The handle is a `redis` `ConnectionManager`: one multiplexed connection
//! (concurrent commands are pipelined on one socket, which is what a pool
//! would buy) that reconnects by itself, with a connection timeout and a
//! response timeout on every call. Every call keeps an up/down flag: a
//! call that cannot reach Redis marks it down, and while it is down calls
//! fail at once with [`SharedError::Down`] (the callers' degraded mode)
//! instead of each waiting for a timeout. A background task pings Redis
//! every [`HEARTBEAT`] and marks it up again when it answers, so replicas
//! return to sharing without a restart.
//!
//! The same task is the replicas' heartbeat: each replica registers itself
//! (a random id, scored with Redis's clock, in one sorted set) and drops
//! those not seen for [`REPLICA_TTL`]; [`Shared::replicas`] is how many are
//! alive, the last count seen while Redis is down.
//!
//! Every key starts with `wsmcp:` (added here; callers pass the rest). No
//! key holds a secret: callers key by the hashes the store already uses.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Weak};
use std::time::Duration;

use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::{FromRedisValue, RedisError, Script, ToRedisArgs};

/// The prefix of every key.
const PREFIX: &str = "wsmcp:";
/// How often a replica says it is alive (and pings while Redis is down).
pub const HEARTBEAT: Duration = Duration::from_secs(2);
/// A replica not heard from for this long is counted gone.
pub const REPLICA_TTL: Duration = Duration::from_secs(6);
/// The sorted set of live replicas (after the prefix).
const REPLICAS_KEY: &str = "replicas";
/// Connecting to Redis, each attempt.
const CONNECTION_TIMEOUT: Duration = Duration::from_secs(1);
/// Every command's answer.
const RESPONSE_TIMEOUT: Duration = Duration::from_secs(2);

/// Registers the replica `ARGV[1]` in the set `KEYS[1]` with Redis's own
/// clock (replicas' clocks may differ), forgets those older than `ARGV[2]`
/// milliseconds, and counts the living.
const HEARTBEAT_SCRIPT: &str = r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local ttl = tonumber(ARGV[2])
redis.call('ZADD', KEYS[1], now, ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - ttl)
redis.call('PEXPIRE', KEYS[1], ttl)
return redis.call('ZCARD', KEYS[1])
";

/// Deletes `KEYS[1]` only while it holds `ARGV[1]`.
const DELETE_IF_SCRIPT: &str = r"
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
";

/// Why a call to the shared Redis failed.
#[derive(Debug, thiserror::Error)]
pub enum SharedError {
    /// The URL given is not one to reach Redis by.
    #[error("--redis-url (MCP_REDIS_URL) {0}")]
    Url(String),
    /// Redis did not answer lately; the caller works alone (degraded)
    /// until the heartbeat finds it again.
    #[error("Redis is not answering; this replica works alone until it is back")]
    Down,
    /// Redis answered with an error, or an answer of another shape.
    #[error("Redis failed: {0}")]
    Redis(String),
    /// No Tokio runtime to run the handle's heartbeat on.
    #[error("the Redis handle needs a Tokio runtime")]
    NoRuntime,
}

/// The Redis (or Valkey) the replicas share. Cheap to clone.
#[derive(Clone)]
pub struct Shared {
    inner: Arc<Inner>,
}

struct Inner {
    conn: ConnectionManager,
    up: AtomicBool,
    /// This replica's id in the set of replicas (random, not a secret).
    replica: String,
    replicas: AtomicUsize,
    heartbeat: Script,
    delete_if: Script,
}

impl Drop for Inner {
    /// The last handle gone: this replica leaves the set at once rather
    /// than after [`REPLICA_TTL`] (best effort).
    fn drop(&mut self) {
        if let Ok(rt) = tokio::runtime::Handle::try_current() {
            let mut conn = self.conn.clone();
            let replica = std::mem::take(&mut self.replica);
            rt.spawn(async move {
                let _: Result<i64, RedisError> = redis::cmd("ZREM")
                    .arg(format!("{PREFIX}{REPLICAS_KEY}"))
                    .arg(replica)
                    .query_async(&mut conn)
                    .await;
            });
        }
    }
}

impl std::fmt::Debug for Shared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Shared")
            .field("up", &self.is_up())
            .field("replicas", &self.replicas())
            .finish_non_exhaustive()
    }
}

impl Shared {
    /// Connects to `url` (redis:// or rediss://). A malformed URL is an error naming the problem;
    /// a Redis that does not answer yet is not: the handle starts down and reconnects by itself.
    pub async fn connect(url: &str) -> Result<Self, SharedError> {
        let shared = Self::open(url)?;
        shared.beat().await;
        Ok(shared)
    }

    /// [`Shared::connect`] without waiting for Redis's first answer: the
    /// handle starts down and its heartbeat (starting now) finds Redis.
    /// Needs a Tokio runtime.
    pub fn open(url: &str) -> Result<Self, SharedError> {
        let url = url.trim();
        let scheme = url.split_once("://").map(|(s, _)| s).unwrap_or_default();
        if !matches!(scheme, "redis" | "rediss") {
            return Err(SharedError::Url(
                "must start with redis:// or rediss://, like redis://redis:6379".to_owned(),
            ));
        }
        if scheme == "rediss" {
            // Two TLS backends are linked in this process; name the one
            // rustls uses (a no-op when already chosen).
            let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
        }
        // The URL may hold a password: the error names the problem only.
        let client = redis::Client::open(url)
            .map_err(|e| SharedError::Url(format!("is not a usable Redis URL: {e}")))?;
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(CONNECTION_TIMEOUT))
            .set_response_timeout(Some(RESPONSE_TIMEOUT))
            .set_number_of_retries(2)
            .set_max_delay(Duration::from_millis(500));
        let rt = tokio::runtime::Handle::try_current().map_err(|_| SharedError::NoRuntime)?;
        let conn = {
            let _guard = rt.enter();
            ConnectionManager::new_lazy_with_config(client, config)
                .map_err(|e| SharedError::Url(format!("is not usable: {e}")))?
        };
        let replica = format!("{:016x}", rand::random::<u64>());
        let inner = Arc::new(Inner {
            conn,
            up: AtomicBool::new(false),
            replica,
            replicas: AtomicUsize::new(1),
            heartbeat: Script::new(HEARTBEAT_SCRIPT),
            delete_if: Script::new(DELETE_IF_SCRIPT),
        });
        metrics::gauge!("worksection_team_redis_up").set(0.0);
        rt.spawn(heartbeat(Arc::downgrade(&inner)));
        Ok(Self { inner })
    }

    /// Whether Redis answered the last call (degraded mode when false).
    pub fn is_up(&self) -> bool {
        self.inner.up.load(Ordering::Relaxed)
    }

    /// How many replicas were alive lately (>= 1; the last count seen while Redis is down).
    pub fn replicas(&self) -> usize {
        self.inner.replicas.load(Ordering::Relaxed).max(1)
    }

    pub async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, SharedError> {
        self.query(redis::cmd("GET").arg(prefixed(key))).await
    }

    pub async fn set(&self, key: &str, value: &[u8], ttl: Duration) -> Result<(), SharedError> {
        self.query(
            redis::cmd("SET")
                .arg(prefixed(key))
                .arg(value)
                .arg("PX")
                .arg(millis(ttl)),
        )
        .await
    }

    /// SET NX PX: true when this call set it (a lock taken).
    pub async fn set_if_absent(
        &self,
        key: &str,
        value: &[u8],
        ttl: Duration,
    ) -> Result<bool, SharedError> {
        let set: Option<String> = self
            .query(
                redis::cmd("SET")
                    .arg(prefixed(key))
                    .arg(value)
                    .arg("NX")
                    .arg("PX")
                    .arg(millis(ttl)),
            )
            .await?;
        Ok(set.is_some())
    }

    /// Deletes `key` only while it still holds `value` (a lock released by its owner), atomically.
    pub async fn delete_if(&self, key: &str, value: &[u8]) -> Result<bool, SharedError> {
        let deleted: i64 = self.script(&self.inner.delete_if, &[key], &[value]).await?;
        Ok(deleted > 0)
    }

    pub async fn delete(&self, key: &str) -> Result<(), SharedError> {
        let _: i64 = self.query(redis::cmd("DEL").arg(prefixed(key))).await?;
        Ok(())
    }

    /// Runs one command (its keys already prefixed by [`prefixed`]),
    /// keeping the up/down flag.
    pub(crate) async fn query<T: FromRedisValue>(
        &self,
        cmd: &mut redis::Cmd,
    ) -> Result<T, SharedError> {
        if !self.is_up() {
            return Err(SharedError::Down);
        }
        let mut conn = self.inner.conn.clone();
        let result = cmd.query_async(&mut conn).await;
        self.seen(result)
    }

    /// Runs a Lua script on `keys` (prefixed here) with `args`, keeping the
    /// up/down flag. `EVALSHA`, loading the script when Redis lacks it.
    pub(crate) async fn script<T: FromRedisValue, A: ToRedisArgs>(
        &self,
        script: &Script,
        keys: &[&str],
        args: &[A],
    ) -> Result<T, SharedError> {
        if !self.is_up() {
            return Err(SharedError::Down);
        }
        let mut invocation = script.prepare_invoke();
        for key in keys {
            invocation.key(prefixed(key));
        }
        for arg in args {
            invocation.arg(arg);
        }
        let mut conn = self.inner.conn.clone();
        let result = invocation.invoke_async(&mut conn).await;
        self.seen(result)
    }

    /// Runs a pipeline (atomic with `.atomic()`), keeping the flag.
    pub(crate) async fn pipeline<T: FromRedisValue>(
        &self,
        pipe: &redis::Pipeline,
    ) -> Result<T, SharedError> {
        if !self.is_up() {
            return Err(SharedError::Down);
        }
        let mut conn = self.inner.conn.clone();
        let result = pipe.query_async(&mut conn).await;
        self.seen(result)
    }

    /// Keeps the flag from one call's result.
    fn seen<T>(&self, result: Result<T, RedisError>) -> Result<T, SharedError> {
        match result {
            Ok(v) => {
                self.mark(true);
                Ok(v)
            }
            Err(e) => {
                metrics::counter!("worksection_team_redis_errors_total").increment(1);
                if unreachable(&e) {
                    tracing::warn!(error = %e, "Redis is not answering; working alone until it is back");
                    self.mark(false);
                    Err(SharedError::Down)
                } else {
                    self.mark(true);
                    Err(SharedError::Redis(e.to_string()))
                }
            }
        }
    }

    fn mark(&self, up: bool) {
        if self.inner.up.swap(up, Ordering::Relaxed) != up {
            metrics::gauge!("worksection_team_redis_up").set(if up { 1.0 } else { 0.0 });
            if up {
                tracing::info!("Redis answers again; sharing with the other replicas");
            }
        }
    }

    /// One heartbeat: says this replica is alive, counts the others, and
    /// keeps the flag (this is the ping that finds Redis again).
    pub(crate) async fn beat(&self) {
        let mut invocation = self.inner.heartbeat.prepare_invoke();
        invocation
            .key(format!("{PREFIX}{REPLICAS_KEY}"))
            .arg(&self.inner.replica)
            .arg(millis(REPLICA_TTL));
        let mut conn = self.inner.conn.clone();
        let result: Result<i64, RedisError> = invocation.invoke_async(&mut conn).await;
        if let Ok(Ok(n)) = self.seen(result).map(usize::try_from) {
            self.inner.replicas.store(n.max(1), Ordering::Relaxed);
        }
    }
}

/// The full key of `key`.
pub(crate) fn prefixed(key: &str) -> String {
    format!("{PREFIX}{key}")
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX).max(1)
}

/// Whether an error means Redis could not be reached (rather than that it
/// answered with an error).
fn unreachable(e: &RedisError) -> bool {
    e.is_io_error()
        || e.is_timeout()
        || e.is_connection_dropped()
        || e.is_connection_refusal()
        || e.is_unrecoverable_error()
}

/// Beats every [`HEARTBEAT`] until the last handle is dropped.
async fn heartbeat(inner: Weak<Inner>) {
    loop {
        let Some(strong) = inner.upgrade() else {
            return;
        };
        let shared = Shared { inner: strong };
        shared.beat().await;
        // Sooner while down: a replica shares again soon after Redis is back.
        let wait = if shared.is_up() {
            HEARTBEAT
        } else {
            HEARTBEAT / 4
        };
        drop(shared);
        tokio::time::sleep(wait).await;
    }
}

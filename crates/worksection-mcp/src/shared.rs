//! What replicas of a team server share: a narrow byte store (Redis in
//! production, through `worksection_team::Shared`), and one person's space
//! in it.
//!
//! [`SharedStore`] is the six calls the caches need: get, set with a TTL,
//! set-if-absent (a lock), delete-if (a lock released by its owner),
//! delete, and whether the store answered lately. It is implemented for
//! `worksection_team::Shared` behind the `team` feature; without it (the
//! desktop app, plain `serve`, team mode without `--redis-url`) nothing
//! here is ever made and every cache is local, exactly as before.
//!
//! [`SharedSpace`] is one person's part of it: every key is
//! `{kind}:{person}:{rest}` (the handle adds `wsmcp:`), so nothing of one
//! person is ever read for another. Values are packed (`pack`): a version byte,
//! the time they were made (milliseconds since the epoch, so a reader
//! knows what is left of the TTL) and the bytes, deflate-compressed;
//! anything over a caller's cap after compression is not stored (it stays
//! local). A store that fails is never an error for the caller: the call
//! is logged and answered as a miss (or a write not made), and the caches
//! carry on locally (degraded) until the store answers again.

use std::fmt;
use std::io::{Read as _, Write as _};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use futures_util::future::BoxFuture;

/// A store failure, as text (never a value or a key's secret: keys hold
/// person ids and request parameters, which are logged nowhere).
#[derive(Debug, Clone)]
pub struct StoreError(pub String);

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

type Reply<'a, T> = BoxFuture<'a, Result<T, StoreError>>;

/// The byte store replicas share.
pub trait SharedStore: Send + Sync {
    /// Whether the store answered its last call.
    fn is_up(&self) -> bool;
    fn get<'a>(&'a self, key: &'a str) -> Reply<'a, Option<Vec<u8>>>;
    fn set<'a>(&'a self, key: &'a str, value: &'a [u8], ttl: Duration) -> Reply<'a, ()>;
    /// Sets `key` only when it is absent; true when this call set it.
    fn set_if_absent<'a>(&'a self, key: &'a str, value: &'a [u8], ttl: Duration)
    -> Reply<'a, bool>;
    /// Deletes `key` only while it holds `value`, atomically.
    fn delete_if<'a>(&'a self, key: &'a str, value: &'a [u8]) -> Reply<'a, bool>;
    fn delete<'a>(&'a self, key: &'a str) -> Reply<'a, ()>;
}

#[cfg(feature = "team")]
impl SharedStore for worksection_team::Shared {
    fn is_up(&self) -> bool {
        worksection_team::Shared::is_up(self)
    }
    fn get<'a>(&'a self, key: &'a str) -> Reply<'a, Option<Vec<u8>>> {
        Box::pin(async move {
            worksection_team::Shared::get(self, key)
                .await
                .map_err(|e| StoreError(e.to_string()))
        })
    }
    fn set<'a>(&'a self, key: &'a str, value: &'a [u8], ttl: Duration) -> Reply<'a, ()> {
        Box::pin(async move {
            worksection_team::Shared::set(self, key, value, ttl)
                .await
                .map_err(|e| StoreError(e.to_string()))
        })
    }
    fn set_if_absent<'a>(
        &'a self,
        key: &'a str,
        value: &'a [u8],
        ttl: Duration,
    ) -> Reply<'a, bool> {
        Box::pin(async move {
            worksection_team::Shared::set_if_absent(self, key, value, ttl)
                .await
                .map_err(|e| StoreError(e.to_string()))
        })
    }
    fn delete_if<'a>(&'a self, key: &'a str, value: &'a [u8]) -> Reply<'a, bool> {
        Box::pin(async move {
            worksection_team::Shared::delete_if(self, key, value)
                .await
                .map_err(|e| StoreError(e.to_string()))
        })
    }
    fn delete<'a>(&'a self, key: &'a str) -> Reply<'a, ()> {
        Box::pin(async move {
            worksection_team::Shared::delete(self, key)
                .await
                .map_err(|e| StoreError(e.to_string()))
        })
    }
}

/// One person's space in the shared store. Cheap to clone.
#[derive(Clone)]
pub struct SharedSpace {
    store: Arc<dyn SharedStore>,
    person: Arc<str>,
}

impl fmt::Debug for SharedSpace {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SharedSpace")
            .field("person", &self.person)
            .finish_non_exhaustive()
    }
}

/// A value read back: its bytes and how long ago it was made.
pub(crate) struct Unpacked {
    pub bytes: Vec<u8>,
    pub made: SystemTime,
}

impl Unpacked {
    pub fn age(&self) -> Duration {
        SystemTime::now()
            .duration_since(self.made)
            .unwrap_or(Duration::ZERO)
    }
}

impl SharedSpace {
    pub fn new(store: Arc<dyn SharedStore>, person: &str) -> Self {
        Self {
            store,
            person: person.into(),
        }
    }

    pub fn is_up(&self) -> bool {
        self.store.is_up()
    }

    /// The key of `rest` of `kind` in this person's space.
    pub(crate) fn key(&self, kind: &str, rest: &str) -> String {
        format!("{kind}:{}:{rest}", self.person)
    }

    /// The packed value under `key`, unpacked; `None` when absent, broken
    /// or the store failed (logged).
    pub(crate) async fn get(&self, key: &str) -> Option<Unpacked> {
        match self.store.get(key).await {
            Ok(Some(raw)) => {
                let found = unpack(&raw);
                if found.is_none() {
                    tracing::warn!("a shared entry could not be unpacked; read as a miss");
                }
                found
            }
            Ok(None) => None,
            Err(e) => {
                tracing::warn!(error = %e, "the shared store failed a read; answering locally");
                None
            }
        }
    }

    /// Packs and stores `bytes` under `key` for `ttl`, made `made`; false
    /// when it was not stored (over `cap` once packed, or the store failed,
    /// which is logged).
    pub(crate) async fn put(
        &self,
        key: &str,
        bytes: &[u8],
        made: SystemTime,
        ttl: Duration,
        cap: usize,
    ) -> bool {
        if ttl.is_zero() {
            return false;
        }
        let Some(packed) = pack(bytes, made) else {
            return false;
        };
        if packed.len() > cap {
            tracing::debug!(
                bytes = packed.len(),
                cap,
                "a value is over the shared cap; kept locally"
            );
            return false;
        }
        match self.store.set(key, &packed, ttl).await {
            Ok(()) => true,
            Err(e) => {
                tracing::warn!(error = %e, "the shared store failed a write; kept locally");
                false
            }
        }
    }

    /// Takes the lock `key` for `owner`: `Some(true)` taken, `Some(false)`
    /// held by another, `None` the store failed (logged).
    pub(crate) async fn lock(&self, key: &str, owner: &[u8], ttl: Duration) -> Option<bool> {
        match self.store.set_if_absent(key, owner, ttl).await {
            Ok(taken) => Some(taken),
            Err(e) => {
                tracing::warn!(error = %e, "the shared store failed a lock; answering locally");
                None
            }
        }
    }

    /// Whether anything is kept under `key`, such as a lock held by anyone
    /// (`None`: the store failed).
    pub(crate) async fn exists(&self, key: &str) -> Option<bool> {
        match self.store.get(key).await {
            Ok(v) => Some(v.is_some()),
            Err(e) => {
                tracing::warn!(error = %e, "the shared store failed a read; answering locally");
                None
            }
        }
    }

    /// Forgets `key` (a failure is logged: the entry expires by itself).
    #[cfg(feature = "team")]
    pub(crate) async fn forget(&self, key: &str) {
        if let Err(e) = self.store.delete(key).await {
            tracing::warn!(error = %e, "the shared store failed a delete; the entry expires by itself");
        }
    }

    /// Releases the lock `key` if `owner` still holds it.
    pub(crate) async fn unlock(&self, key: &str, owner: &[u8]) {
        if let Err(e) = self.store.delete_if(key, owner).await {
            tracing::warn!(error = %e, "the shared store failed to release a lock; it expires by itself");
        }
    }
}

/// The packing's version byte.
const VERSION: u8 = 1;

/// `bytes` made at `made`, as stored: version, milliseconds since the epoch
/// (big-endian u64), deflate of the bytes.
pub(crate) fn pack(bytes: &[u8], made: SystemTime) -> Option<Vec<u8>> {
    let millis = made
        .duration_since(UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
        .unwrap_or(0);
    let mut out = Vec::with_capacity(bytes.len() / 4 + 16);
    out.push(VERSION);
    out.extend_from_slice(&millis.to_be_bytes());
    let mut z = flate2::write::DeflateEncoder::new(out, flate2::Compression::fast());
    z.write_all(bytes).ok()?;
    z.finish().ok()
}

/// What [`pack`] made, or `None` for anything else.
pub(crate) fn unpack(raw: &[u8]) -> Option<Unpacked> {
    let (&version, rest) = raw.split_first()?;
    if version != VERSION || rest.len() < 8 {
        return None;
    }
    let (millis, body) = rest.split_at(8);
    let millis = u64::from_be_bytes(millis.try_into().ok()?);
    let mut bytes = Vec::with_capacity(body.len() * 4);
    flate2::read::DeflateDecoder::new(body)
        .read_to_end(&mut bytes)
        .ok()?;
    Some(Unpacked {
        bytes,
        made: UNIX_EPOCH + Duration::from_millis(millis),
    })
}

/// A random lock owner (or id): 16 random bytes as hex.
pub(crate) fn random_owner() -> String {
    use rand::Rng;
    let bytes: [u8; 16] = rand::rng().random();
    hex::encode(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packing_round_trips_and_refuses_anything_else() {
        let made = UNIX_EPOCH + Duration::from_millis(1_765_000_000_123);
        for bytes in [&b""[..], b"{}", "Задача 🚀".repeat(1000).as_bytes()] {
            let packed = pack(bytes, made).expect("pack");
            let back = unpack(&packed).expect("unpack");
            assert_eq!(back.bytes, bytes);
            assert_eq!(back.made, made);
        }
        let big = br#"{"id":"1","name":"a task"}"#.repeat(1000);
        assert!(pack(&big, made).expect("pack").len() < big.len() / 10);
        assert!(unpack(b"").is_none());
        assert!(unpack(b"\x02rest of it").is_none());
        assert!(unpack(b"\x01short").is_none());
    }
}

//! What the team server remembers: registered clients, sign-ins in
//! progress, authorization codes, grants with their access and refresh
//! tokens, the people signed in (with Worksection's tokens, sealed), and
//! the audit log.
//!
//! [`Store`] is the one interface every caller uses. Behind it sits a
//! backend: the embedded one (`embedded`: SQLite compiled in, one file
//! under `--data-dir`, for one instance), or the shared one (`redis`: the
//! Redis of `--redis-url`, for replicas, which any of them reads and
//! writes). Callers never know which. The methods are async for the
//! shared one; the embedded backend answers in microseconds.
//!
//! The store never holds a secret of ours in the clear: tokens, codes,
//! client secrets and sign-in ids are kept as their SHA-256 (see
//! `secrets`), and Worksection's tokens are sealed with the store's key
//! (see `seal`), bound to their person's row.

mod embedded;
mod records;
mod redis;

use std::path::Path;
use std::sync::Arc;

pub use records::{
    AuditEntry, Client, CodeGrant, Flow, FlowStage, Grant, Person, PersonSummary, TokenCheck,
};

use crate::seal::{KeySource, Sealer};
use crate::shared::Shared;
use worksection::auth::TokenSet;

/// Why the store could not do something.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("the team store {path} could not be opened: {detail}")]
    Open { path: String, detail: String },
    #[error("the team store failed: {0}")]
    Backend(String),
    #[error(
        "the team key does not open the store's sealed values (was MCP_TEAM_KEY changed?); use the key the store was made with"
    )]
    WrongKey,
    #[error(
        "the team store in {0} has no key file beside it, so it was sealed with a key given in MCP_TEAM_KEY or MCP_TEAM_KEY_FILE, and neither is set here; set the same key the server is started with"
    )]
    KeyNotGiven(String),
    #[error("{0}")]
    Key(#[from] crate::seal::KeyError),
}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        Self::Backend(e.to_string())
    }
}

/// The team server's state, whatever holds it.
#[derive(Clone)]
pub struct Store {
    backend: Arc<Backend>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Store(..)")
    }
}

enum Backend {
    Embedded(embedded::Embedded),
    Redis(Box<redis::Redis>),
}

/// Calls the backend's method of the same name.
macro_rules! on {
    ($self:ident . $method:ident ( $($arg:expr),* )) => {
        match &*$self.backend {
            Backend::Embedded(b) => b.$method($($arg),*),
            Backend::Redis(b) => b.$method($($arg),*).await,
        }
    };
}

/// The file name of the embedded store under the data folder.
pub const STORE_FILE: &str = "team.sqlite3";
/// The file name of the generated key, when no key is given.
pub const KEY_FILE: &str = "team.key";

impl Store {
    /// The embedded store in `dir` (made when missing), sealed with the key
    /// from `key` (a generated key file in `dir` when `None`).
    pub fn open_embedded(dir: &Path, key: Option<KeySource>) -> Result<Self, StoreError> {
        std::fs::create_dir_all(dir).map_err(|e| StoreError::Open {
            path: dir.display().to_string(),
            detail: e.to_string(),
        })?;
        // A store made with a given key has no key file beside it: making
        // one now (for a `team people` run without the server's
        // environment) would only leave a wrong key behind.
        if key.is_none() && dir.join(STORE_FILE).exists() && !dir.join(KEY_FILE).exists() {
            return Err(StoreError::KeyNotGiven(dir.display().to_string()));
        }
        let key = key.unwrap_or_else(|| KeySource::Generated(dir.join(KEY_FILE)));
        let sealer = Sealer::open(&key)?;
        let embedded = embedded::Embedded::open(&dir.join(STORE_FILE), sealer)?;
        Ok(Self {
            backend: Arc::new(Backend::Embedded(embedded)),
        })
    }

    /// The shared store in `shared`'s Redis, sealed with the key from
    /// `key` (a generated key file in `dir` when `None`: replicas on one
    /// machine may share it; replicas elsewhere need the same
    /// `MCP_TEAM_KEY`, which [`Store::check_key`] verifies).
    pub fn open_redis(
        shared: Shared,
        dir: &Path,
        key: Option<KeySource>,
    ) -> Result<Self, StoreError> {
        let key = match key {
            Some(k) => k,
            None => {
                std::fs::create_dir_all(dir).map_err(|e| StoreError::Open {
                    path: dir.display().to_string(),
                    detail: e.to_string(),
                })?;
                KeySource::Generated(dir.join(KEY_FILE))
            }
        };
        let sealer = Sealer::open(&key)?;
        Ok(Self {
            backend: Arc::new(Backend::Redis(Box::new(redis::Redis::new(shared, sealer)))),
        })
    }

    /// Whether this store's key opens what the store holds (the shared
    /// store: what the first replica sealed; the embedded one is checked
    /// when opened).
    pub async fn check_key(&self) -> Result<(), StoreError> {
        match &*self.backend {
            Backend::Embedded(_) => Ok(()),
            Backend::Redis(r) => r.check_key().await,
        }
    }

    /// Whether the store answers (for `/readyz`).
    pub async fn ready(&self) -> Result<(), StoreError> {
        on!(self.ready())
    }

    // ---------------------------------------------------------------- clients

    pub async fn save_client(&self, client: &Client) -> Result<(), StoreError> {
        on!(self.save_client(client))
    }

    pub async fn client(&self, id: &str) -> Result<Option<Client>, StoreError> {
        on!(self.client(id))
    }

    // ---------------------------------------------------------------- flows

    /// Keeps a sign-in in progress under the hash of its id.
    pub async fn save_flow(&self, id_hash: &str, flow: &Flow) -> Result<(), StoreError> {
        on!(self.save_flow(id_hash, flow))
    }

    pub async fn flow(&self, id_hash: &str) -> Result<Option<Flow>, StoreError> {
        on!(self.flow(id_hash))
    }

    /// Takes a sign-in out (each step is taken once).
    pub async fn take_flow(&self, id_hash: &str) -> Result<Option<Flow>, StoreError> {
        on!(self.take_flow(id_hash))
    }

    // ---------------------------------------------------------------- codes

    pub async fn save_code(&self, code_hash: &str, code: &CodeGrant) -> Result<(), StoreError> {
        on!(self.save_code(code_hash, code))
    }

    /// Marks a code used and returns it, with whether it had been used
    /// before (a replay).
    pub async fn use_code(&self, code_hash: &str) -> Result<Option<(CodeGrant, bool)>, StoreError> {
        on!(self.use_code(code_hash))
    }

    // ---------------------------------------------------------------- grants and tokens

    pub async fn save_grant(&self, grant: &Grant) -> Result<(), StoreError> {
        on!(self.save_grant(grant))
    }

    pub async fn grant(&self, id: &str) -> Result<Option<Grant>, StoreError> {
        on!(self.grant(id))
    }

    /// Ends a grant: its access and refresh tokens stop working.
    pub async fn revoke_grant(&self, id: &str) -> Result<(), StoreError> {
        on!(self.revoke_grant(id))
    }

    pub async fn save_access(
        &self,
        hash: &str,
        grant: &str,
        audience: &str,
        expires: i64,
    ) -> Result<(), StoreError> {
        on!(self.save_access(hash, grant, audience, expires))
    }

    pub async fn save_refresh(
        &self,
        hash: &str,
        grant: &str,
        expires: i64,
    ) -> Result<(), StoreError> {
        on!(self.save_refresh(hash, grant, expires))
    }

    /// Looks an access token up by its hash.
    pub async fn access(&self, hash: &str) -> Result<Option<TokenCheck>, StoreError> {
        on!(self.access(hash))
    }

    /// Spends a refresh token: its check, with `spent` true when it had
    /// been spent before (a replay, which ends the grant).
    pub async fn spend_refresh(&self, hash: &str) -> Result<Option<TokenCheck>, StoreError> {
        on!(self.spend_refresh(hash))
    }

    /// The grant an access or refresh token (by hash) belongs to.
    pub async fn grant_of_token(&self, hash: &str) -> Result<Option<String>, StoreError> {
        on!(self.grant_of_token(hash))
    }

    // ---------------------------------------------------------------- people

    /// Saves a person and their Worksection tokens (sealed to their row).
    pub async fn save_person(&self, person: &Person, tokens: &TokenSet) -> Result<(), StoreError> {
        on!(self.save_person(person, tokens))
    }

    pub async fn person(&self, id: &str) -> Result<Option<Person>, StoreError> {
        on!(self.person(id))
    }

    /// A person's Worksection tokens (`None` when signed out).
    pub async fn upstream_tokens(&self, id: &str) -> Result<Option<TokenSet>, StoreError> {
        on!(self.upstream_tokens(id))
    }

    /// Replaces a person's Worksection tokens after a renewal.
    pub async fn save_upstream_tokens(
        &self,
        id: &str,
        tokens: &TokenSet,
    ) -> Result<(), StoreError> {
        on!(self.save_upstream_tokens(id, tokens))
    }

    /// Everyone who signed in, with their live grants.
    pub async fn people(&self) -> Result<Vec<PersonSummary>, StoreError> {
        on!(self.people())
    }

    /// Signs a person out: every grant ends and their Worksection tokens
    /// are forgotten. `false` when nobody has that id or email.
    pub async fn revoke_person(&self, id_or_email: &str) -> Result<bool, StoreError> {
        on!(self.revoke_person(id_or_email))
    }

    /// Forgets a person's Worksection tokens unless some client of theirs
    /// still has access (after a Deny: the server keeps no sign-in that
    /// nothing uses).
    pub async fn forget_unused_sign_in(&self, id: &str) -> Result<(), StoreError> {
        on!(self.forget_unused_sign_in(id))
    }

    /// Notes that a person used the server now.
    pub async fn seen(&self, id: &str, at: i64) -> Result<(), StoreError> {
        on!(self.seen(id, at))
    }

    // ---------------------------------------------------------------- audit

    pub async fn audit(&self, entry: &AuditEntry) -> Result<(), StoreError> {
        on!(self.audit(entry))
    }

    /// The latest `limit` audit entries (of one person, or everyone's).
    pub async fn audit_log(
        &self,
        person: Option<&str>,
        limit: usize,
    ) -> Result<Vec<AuditEntry>, StoreError> {
        on!(self.audit_log(person, limit))
    }

    /// Forgets what has expired (flows, codes, tokens); returns how many.
    pub async fn sweep(&self, now: i64) -> Result<usize, StoreError> {
        on!(self.sweep(now))
    }
}

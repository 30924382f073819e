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

/// A person's Worksection tokens, sealed for their row: how both backends
/// keep them.
fn seal_tokens(sealer: &Sealer, id: &str, tokens: &TokenSet) -> Result<Vec<u8>, StoreError> {
    let plain = zeroize::Zeroizing::new(
        serde_json::to_vec(tokens).map_err(|e| StoreError::Backend(e.to_string()))?,
    );
    Ok(sealer.seal(id, &plain))
}

/// What [`seal_tokens`] sealed for `id`; a key that cannot open it is not
/// the store's key.
fn open_tokens(sealer: &Sealer, id: &str, sealed: &[u8]) -> Result<TokenSet, StoreError> {
    let plain = sealer
        .open_sealed(id, sealed)
        .map_err(|_| StoreError::WrongKey)?;
    serde_json::from_slice(&plain)
        .map_err(|e| StoreError::Backend(format!("damaged Worksection tokens: {e}")))
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

#[cfg(test)]
#[path = "../../tests/support/mod.rs"]
mod test_redis;

/// The shared backend's promises across replicas, against a real
/// `redis-server`: what happens once happens once when two replicas race,
/// and sign-ins outlive every replica.
#[cfg(test)]
mod redis_tests {
    use super::test_redis::RedisServer;
    use super::*;
    use worksection::SecretString;

    /// One replica's store (replicas on one machine share the key file).
    async fn replica(url: &str, dir: &Path) -> Store {
        let shared = Shared::connect(url).await.expect("connect");
        assert!(shared.is_up());
        let store = Store::open_redis(shared, dir, None).expect("store");
        store.check_key().await.expect("the same key");
        store
    }

    fn grant(id: &str, person: &str) -> Grant {
        Grant {
            id: id.to_owned(),
            person: person.to_owned(),
            client_id: "client".to_owned(),
            scope: "mcp".to_owned(),
            resource: "https://mcp.example.com/mcp".to_owned(),
            created: 1,
            revoked: false,
        }
    }

    fn tokens(access: &str) -> TokenSet {
        TokenSet {
            access_token: SecretString::from(access.to_owned()),
            refresh_token: Some(SecretString::from("refresh".to_owned())),
            expires_at: None,
            account_url: Some("https://acme.worksection.com".to_owned()),
            scopes: vec!["tasks_read".to_owned()],
            expires_in: None,
        }
    }

    fn person(id: &str, email: &str) -> Person {
        Person {
            id: id.to_owned(),
            account_url: "https://acme.worksection.com".to_owned(),
            user_id: "1".to_owned(),
            email: email.to_owned(),
            name: "Ann".to_owned(),
            signed_in: 1,
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_code_is_used_once_and_a_refresh_token_spent_once_when_replicas_race() {
        let redis = RedisServer::start();
        let dir = tempfile::tempdir().expect("dir");
        let a = replica(&redis.url(), dir.path()).await;
        let b = replica(&redis.url(), dir.path()).await;
        let far = chrono::Utc::now().timestamp() + 600;
        for i in 0..25 {
            let code = CodeGrant {
                client_id: "client".to_owned(),
                redirect_uri: "http://127.0.0.1/cb".to_owned(),
                code_challenge: "c".to_owned(),
                resource: "r".to_owned(),
                scope: "mcp".to_owned(),
                person: "p".to_owned(),
                expires: far,
                grant: None,
            };
            let hash = format!("code{i}");
            a.save_code(&hash, &code).await.expect("save code");
            let (x, y) = tokio::join!(a.use_code(&hash), b.use_code(&hash));
            let replays = [x, y]
                .into_iter()
                .map(|r| r.expect("use").expect("the code").1)
                .collect::<Vec<_>>();
            assert_eq!(
                replays.iter().filter(|replay| !**replay).count(),
                1,
                "exactly one replica used code {i} first: {replays:?}"
            );

            let g = grant(&format!("g{i}"), "p");
            a.save_grant(&g).await.expect("grant");
            let hash = format!("refresh{i}");
            a.save_refresh(&hash, &g.id, far).await.expect("refresh");
            let (x, y) = tokio::join!(a.spend_refresh(&hash), b.spend_refresh(&hash));
            let spent = [x, y]
                .into_iter()
                .map(|r| r.expect("spend").expect("the token").spent)
                .collect::<Vec<_>>();
            assert_eq!(
                spent.iter().filter(|s| !**s).count(),
                1,
                "exactly one replica spent refresh token {i}: {spent:?}"
            );
        }
        assert!(a.use_code("unknown").await.expect("use").is_none());
        assert!(a.spend_refresh("unknown").await.expect("spend").is_none());
    }

    #[tokio::test]
    async fn sign_ins_outlive_every_replica() {
        let redis = RedisServer::start();
        let dir = tempfile::tempdir().expect("dir");
        let far = chrono::Utc::now().timestamp() + 600;
        {
            let a = replica(&redis.url(), dir.path()).await;
            a.save_person(&person("acme/1", "Ann@Acme.test"), &tokens("ws-access"))
                .await
                .expect("person");
            a.save_grant(&grant("g1", "acme/1")).await.expect("grant");
            a.save_access("acc1", "g1", "https://mcp.example.com/mcp", far)
                .await
                .expect("access");
            a.audit(&entry("list_tasks")).await.expect("audit");
        }
        // Every replica gone; a new one finds everything.
        let b = replica(&redis.url(), dir.path()).await;
        let check = b.access("acc1").await.expect("access").expect("the token");
        assert_eq!(check.grant.person, "acme/1");
        assert_eq!(check.expires, far);
        assert!(!check.grant.revoked);
        let upstream = b
            .upstream_tokens("acme/1")
            .await
            .expect("tokens")
            .expect("held");
        assert!(upstream.same_access_token(&SecretString::from("ws-access".to_owned())));
        let people = b.people().await.expect("people");
        assert_eq!(people.len(), 1);
        assert_eq!((people[0].grants, people[0].connected), (1, true));
        assert_eq!(b.audit_log(Some("acme/1"), 10).await.expect("log").len(), 1);

        // Signed out by email on another replica: every token ends.
        assert!(b.revoke_person("ann@acme.test").await.expect("revoke"));
        assert!(b.access("acc1").await.expect("access").is_none());
        assert!(b.upstream_tokens("acme/1").await.expect("tokens").is_none());
        assert!(!b.revoke_person("nobody@acme.test").await.expect("revoke"));
    }

    fn entry(tool: &str) -> AuditEntry {
        AuditEntry {
            at: 1,
            person: "acme/1".to_owned(),
            client_id: "client".to_owned(),
            tool: tool.to_owned(),
            ids: String::new(),
            outcome: "ok".to_owned(),
            bytes: 10,
            duration_ms: 5,
            upstream_requests: 1,
        }
    }

    #[tokio::test]
    async fn people_signed_in_keep_working_while_redis_is_down_and_nothing_waiting_is_lost() {
        let mut redis = RedisServer::start();
        let dir = tempfile::tempdir().expect("dir");
        let shared = Shared::connect(&redis.url()).await.expect("connect");
        let a = Store::open_redis(shared.clone(), dir.path(), None).expect("store");
        let far = chrono::Utc::now().timestamp() + 600;
        a.save_person(&person("acme/1", "ann@acme.test"), &tokens("ws-1"))
            .await
            .expect("person");
        a.save_grant(&grant("g1", "acme/1")).await.expect("grant");
        a.save_access("acc1", "g1", "r", far).await.expect("access");
        // Used lately on this replica.
        assert!(a.access("acc1").await.expect("access").is_some());
        assert!(a.person("acme/1").await.expect("person").is_some());
        assert!(a.upstream_tokens("acme/1").await.expect("tokens").is_some());

        redis.stop_saving();
        let check = a
            .access("acc1")
            .await
            .expect("remembered")
            .expect("the token");
        assert!(!shared.is_up());
        assert_eq!(check.grant.person, "acme/1");
        assert!(a.person("acme/1").await.expect("remembered").is_some());
        a.save_upstream_tokens("acme/1", &tokens("ws-2"))
            .await
            .expect("a renewal waits on the replica");
        let now = a
            .upstream_tokens("acme/1")
            .await
            .expect("tokens")
            .expect("held");
        assert!(now.same_access_token(&SecretString::from("ws-2".to_owned())));
        a.audit(&entry("while_down"))
            .await
            .expect("the entry waits");
        a.seen("acme/1", 5).await.expect("not worth an error");
        assert!(
            a.access("never-seen").await.is_err(),
            "an unknown token is an error while down, not a refusal"
        );

        redis.resume();
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while !shared.is_up() {
            assert!(std::time::Instant::now() < deadline, "Redis back");
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        a.audit(&entry("after")).await.expect("written");
        let b = replica(&redis.url(), dir.path()).await;
        let tools: Vec<String> = b
            .audit_log(Some("acme/1"), 10)
            .await
            .expect("log")
            .into_iter()
            .map(|e| e.tool)
            .collect();
        assert_eq!(tools, ["while_down", "after"]);
        let upstream = b
            .upstream_tokens("acme/1")
            .await
            .expect("tokens")
            .expect("held");
        assert!(
            upstream.same_access_token(&SecretString::from("ws-2".to_owned())),
            "the renewal made while Redis was down reached Redis"
        );
    }

    #[tokio::test]
    async fn a_replica_with_another_key_is_refused() {
        let redis = RedisServer::start();
        let dir = tempfile::tempdir().expect("dir");
        replica(&redis.url(), dir.path()).await;
        let shared = Shared::connect(&redis.url()).await.expect("connect");
        let other = Store::open_redis(
            shared,
            dir.path(),
            Some(KeySource::Value(SecretString::from("11".repeat(32)))),
        )
        .expect("store");
        assert!(matches!(other.check_key().await, Err(StoreError::WrongKey)));
    }
}

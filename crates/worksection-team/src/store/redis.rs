//! The shared backend: everything the team server remembers, in the Redis
//! the replicas share ([`Shared`]), so any replica answers any request and
//! sign-ins outlive every replica. For sign-ins to outlive Redis's own
//! restart too, run Redis with `appendonly yes` (its append-only file;
//! `appendfsync everysec` loses at most a second) or with RDB snapshots;
//! without either, a restart of Redis signs everyone out.
//!
//! Keys (after the handle's `wsmcp:`), each keyed by what the embedded
//! backend's rows are keyed by: hashes of secrets, ids of clients, grants
//! and people, never a secret:
//!
//! - `team:client:<client id>`: the client (JSON).
//! - `team:flow:<hash of the flow id>`: a sign-in in progress (JSON),
//!   gone an hour after it expires.
//! - `team:code:<hash>`: hash `data` (JSON), `used`; gone a day after the
//!   code expires, so a late replay is still known as one.
//! - `team:grant:<id>`: hash `data` (JSON), `revoked`;
//!   `team:grant-tokens:<id>`: the hashes of its tokens;
//!   `team:person-grants:<person>`: the person's grants.
//! - `team:token:<hash>`: hash `kind`, `grant`, `audience`, `expires`,
//!   `spent`; Redis forgets it an hour after it expires (the hour lets a
//!   late use be told "expired" rather than "unknown").
//! - `team:person:<person>`: hash `data` (JSON), `email`, `tokens`
//!   (Worksection's, sealed with the store's key to the person's id, as
//!   the embedded backend seals them), `last_seen`; `team:people`: the ids.
//! - `team:audit` and `team:audit:<person>`: the audit log, newest first,
//!   capped at [`AUDIT_CAP`] and [`AUDIT_CAP_PERSON`] entries.
//! - `team:key_check`: a constant sealed with the store's key, so a
//!   replica started with another key is refused at start.
//!
//! What must happen once happens in one Lua script: a code is used once,
//! a refresh token spent once, even when two replicas race.
//!
//! Redis down (degraded): each replica remembers the last answers it had
//! for token checks, people and their Worksection tokens, so people who
//! used it lately keep working; a sign-in renewed meanwhile and the audit
//! entries wait on the replica and are written once Redis is back (on the
//! next audit entry or lookup). New sign-ins and revocations need Redis.

use std::collections::HashMap;
use std::sync::Mutex;

use redis::Script;
use worksection::auth::TokenSet;

use super::records::{
    AuditEntry, Client, CodeGrant, Flow, Grant, Person, PersonSummary, TokenCheck,
};
use super::{StoreError, open_tokens, seal_tokens};
use crate::seal::Sealer;
use crate::shared::{Shared, SharedError, prefixed};

/// The audit log of everyone, most recent entries kept.
pub const AUDIT_CAP: isize = 100_000;
/// The audit log of one person, most recent entries kept.
pub const AUDIT_CAP_PERSON: isize = 10_000;
/// How long a flow or a token is kept past its expiry.
const GRACE: i64 = 3_600;
/// How long a code is kept past its expiry.
const CODE_GRACE: i64 = 86_400;
/// What the check value seals, to tell a wrong key at start.
const CHECK: &[u8] = b"worksection-team store key check";

/// Marks a code used: its data and whether it had been used (`1`), or nil.
const USE_CODE: &str = r"
local d = redis.call('HGET', KEYS[1], 'data')
if not d then return false end
local fresh = redis.call('HSET', KEYS[1], 'used', '1')
if fresh == 1 then return {d, 0} end
return {d, 1}
";

/// Keeps a code's data (and whether it was used), with its expiry.
const SAVE_CODE: &str = r"
redis.call('HSET', KEYS[1], 'data', ARGV[1])
redis.call('EXPIREAT', KEYS[1], ARGV[2])
return 1
";

/// A token of kind `ARGV[1]`, spent when `ARGV[2]` is `1`: grant,
/// audience, expires, spent before.
const TOKEN: &str = r"
local t = redis.call('HMGET', KEYS[1], 'kind', 'grant', 'audience', 'expires', 'spent')
if not t[1] or t[1] ~= ARGV[1] then return false end
local spent = t[5] or '0'
if ARGV[2] == '1' then redis.call('HSET', KEYS[1], 'spent', '1') end
return {t[2], t[3], t[4], spent}
";

/// Saves a token and files it under its grant.
const SAVE_TOKEN: &str = r"
redis.call('HSET', KEYS[1], 'kind', ARGV[1], 'grant', ARGV[2], 'audience', ARGV[3], 'expires', ARGV[4], 'spent', '0')
redis.call('EXPIREAT', KEYS[1], ARGV[5])
redis.call('SADD', KEYS[2], ARGV[6])
local ttl = redis.call('TTL', KEYS[2])
local want = tonumber(ARGV[5]) - tonumber(redis.call('TIME')[1])
if ttl < want then redis.call('EXPIREAT', KEYS[2], ARGV[5]) end
return 1
";

/// Ends a grant (`KEYS[1]`): revoked, and its tokens (`KEYS[2]`, a set of
/// hashes under the prefix `ARGV[1]`) deleted.
const REVOKE_GRANT: &str = r"
if redis.call('EXISTS', KEYS[1]) == 1 then redis.call('HSET', KEYS[1], 'revoked', '1') end
for _, h in ipairs(redis.call('SMEMBERS', KEYS[2])) do
  redis.call('DEL', ARGV[1] .. h)
end
redis.call('DEL', KEYS[2])
return 1
";

/// Sets field `ARGV[1]` of the hash `KEYS[1]` to `ARGV[2]` when it exists.
const SET_IF_EXISTS: &str = r"
if redis.call('EXISTS', KEYS[1]) == 1 then
  redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
  return 1
end
return 0
";

/// Forgets the person's (`KEYS[1]`) Worksection tokens unless a grant of
/// theirs (`KEYS[2]`, ids under the prefix `ARGV[1]`) is live.
const FORGET_UNUSED: &str = r"
for _, g in ipairs(redis.call('SMEMBERS', KEYS[2])) do
  local r = redis.call('HGET', ARGV[1] .. g, 'revoked')
  if r == '0' then return 0 end
end
redis.call('HDEL', KEYS[1], 'tokens')
return 1
";

/// Appends to the audit logs, capped.
const AUDIT: &str = r"
redis.call('LPUSH', KEYS[1], ARGV[1])
redis.call('LTRIM', KEYS[1], 0, tonumber(ARGV[2]) - 1)
redis.call('LPUSH', KEYS[2], ARGV[1])
redis.call('LTRIM', KEYS[2], 0, tonumber(ARGV[3]) - 1)
return 1
";

struct Scripts {
    use_code: Script,
    save_code: Script,
    token: Script,
    save_token: Script,
    revoke_grant: Script,
    set_if_exists: Script,
    forget_unused: Script,
    audit: Script,
}

pub struct Redis {
    shared: Shared,
    sealer: Sealer,
    scripts: Scripts,
    local: Mutex<Local>,
}

/// What a replica keeps for when Redis is down.
#[derive(Default)]
struct Local {
    access: HashMap<String, TokenCheck>,
    people: HashMap<String, Person>,
    upstream: HashMap<String, TokenSet>,
    /// Renewed Worksection tokens not yet written.
    pending_upstream: HashMap<String, TokenSet>,
    /// Audit entries not yet written.
    pending_audit: Vec<AuditEntry>,
}

/// The most entries of each kind a replica keeps locally.
const LOCAL_CAP: usize = 10_000;

/// Inserts, forgetting everything of the kind when full (a bound, not a
/// cache policy: it only matters while Redis is down).
fn keep<V>(map: &mut HashMap<String, V>, key: &str, value: V) {
    if map.len() >= LOCAL_CAP && !map.contains_key(key) {
        map.clear();
    }
    map.insert(key.to_owned(), value);
}

impl From<SharedError> for StoreError {
    fn from(e: SharedError) -> Self {
        Self::Backend(e.to_string())
    }
}

fn json<T: serde::Serialize>(v: &T) -> Result<String, StoreError> {
    serde_json::to_string(v).map_err(|e| StoreError::Backend(e.to_string()))
}

fn parse<T: serde::de::DeserializeOwned>(s: &[u8]) -> Result<T, StoreError> {
    serde_json::from_slice(s).map_err(|e| StoreError::Backend(format!("a damaged record: {e}")))
}

fn client_key(id: &str) -> String {
    format!("team:client:{id}")
}
fn flow_key(hash: &str) -> String {
    format!("team:flow:{hash}")
}
fn code_key(hash: &str) -> String {
    format!("team:code:{hash}")
}
fn grant_key(id: &str) -> String {
    format!("team:grant:{id}")
}
fn grant_tokens_key(id: &str) -> String {
    format!("team:grant-tokens:{id}")
}
fn person_grants_key(person: &str) -> String {
    format!("team:person-grants:{person}")
}
fn token_key(hash: &str) -> String {
    format!("team:token:{hash}")
}
fn person_key(id: &str) -> String {
    format!("team:person:{id}")
}
const PEOPLE_KEY: &str = "team:people";
const AUDIT_KEY: &str = "team:audit";
fn audit_person_key(person: &str) -> String {
    format!("team:audit:{person}")
}
const KEY_CHECK_KEY: &str = "team:key_check";

impl Redis {
    pub fn new(shared: Shared, sealer: Sealer) -> Self {
        Self {
            shared,
            sealer,
            scripts: Scripts {
                use_code: Script::new(USE_CODE),
                save_code: Script::new(SAVE_CODE),
                token: Script::new(TOKEN),
                save_token: Script::new(SAVE_TOKEN),
                revoke_grant: Script::new(REVOKE_GRANT),
                set_if_exists: Script::new(SET_IF_EXISTS),
                forget_unused: Script::new(FORGET_UNUSED),
                audit: Script::new(AUDIT),
            },
            local: Mutex::new(Local::default()),
        }
    }

    fn local(&self) -> std::sync::MutexGuard<'_, Local> {
        self.local.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A lookup's answer `found`, remembered under `key` in the replica's
    /// memory (`kept`: forgotten there when Redis no longer has it); while
    /// Redis is down, the answer remembered (`recall`) instead of the error.
    fn remembered<V: Clone>(
        &self,
        found: Result<Option<V>, StoreError>,
        key: &str,
        kept: impl FnOnce(&mut Local) -> &mut HashMap<String, V>,
        recall: impl FnOnce(&Local) -> Option<&V>,
    ) -> Result<Option<V>, StoreError> {
        match found {
            Ok(value) => {
                let mut local = self.local();
                let map = kept(&mut local);
                match &value {
                    Some(v) => keep(map, key, v.clone()),
                    None => {
                        map.remove(key);
                    }
                }
                Ok(value)
            }
            Err(e) if !self.shared.is_up() => recall(&self.local()).cloned().map(Some).ok_or(e),
            Err(e) => Err(e),
        }
    }

    /// Writes what waited on this replica while Redis was down.
    async fn flush(&self) {
        if !self.shared.is_up() {
            return;
        }
        let (upstream, audit) = {
            let mut local = self.local();
            if local.pending_upstream.is_empty() && local.pending_audit.is_empty() {
                return;
            }
            (
                std::mem::take(&mut local.pending_upstream),
                std::mem::take(&mut local.pending_audit),
            )
        };
        for (id, tokens) in upstream {
            if let Err(e) = self.write_upstream_tokens(&id, &tokens).await {
                tracing::warn!(error = %e, "a renewed sign-in still waits for Redis");
                keep(&mut self.local().pending_upstream, &id, tokens);
            }
        }
        let mut left = Vec::new();
        for entry in audit {
            if self.write_audit(&entry).await.is_err() {
                left.push(entry);
            }
        }
        if !left.is_empty() {
            let mut local = self.local();
            left.append(&mut local.pending_audit);
            left.truncate(LOCAL_CAP);
            local.pending_audit = left;
        }
    }

    /// Checks the store's key against the one the first replica sealed its
    /// check value with (and seals it, when this is the first).
    pub async fn check_key(&self) -> Result<(), StoreError> {
        let sealed = self.sealer.seal("key_check", CHECK);
        // No expiry: the check lives as long as the sign-ins it guards.
        let set: Option<String> = self
            .shared
            .query(
                redis::cmd("SET")
                    .arg(prefixed(KEY_CHECK_KEY))
                    .arg(sealed)
                    .arg("NX"),
            )
            .await?;
        if set.is_some() {
            return Ok(());
        }
        let stored: Option<Vec<u8>> = self.shared.get(KEY_CHECK_KEY).await?;
        match stored {
            Some(s) if self.sealer.open_sealed("key_check", &s).is_ok() => Ok(()),
            Some(_) => Err(StoreError::WrongKey),
            None => Ok(()),
        }
    }

    pub async fn ready(&self) -> Result<(), StoreError> {
        let _: String = self.shared.query(&mut redis::cmd("PING")).await?;
        Ok(())
    }

    async fn hgetall(&self, key: &str) -> Result<HashMap<String, Vec<u8>>, StoreError> {
        Ok(self
            .shared
            .query(redis::cmd("HGETALL").arg(prefixed(key)))
            .await?)
    }

    async fn hget(&self, key: &str, field: &str) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self
            .shared
            .query(redis::cmd("HGET").arg(prefixed(key)).arg(field))
            .await?)
    }

    async fn smembers(&self, key: &str) -> Result<Vec<String>, StoreError> {
        Ok(self
            .shared
            .query(redis::cmd("SMEMBERS").arg(prefixed(key)))
            .await?)
    }

    async fn set_if_exists(&self, key: &str, field: &str, value: &[u8]) -> Result<(), StoreError> {
        let _: i64 = self
            .shared
            .script(
                &self.scripts.set_if_exists,
                &[key],
                &[field.as_bytes(), value],
            )
            .await?;
        Ok(())
    }

    // ---------------------------------------------------------------- clients

    pub async fn save_client(&self, c: &Client) -> Result<(), StoreError> {
        let _: () = self
            .shared
            .query(
                redis::cmd("SET")
                    .arg(prefixed(&client_key(&c.client_id)))
                    .arg(json(c)?),
            )
            .await?;
        Ok(())
    }

    pub async fn client(&self, id: &str) -> Result<Option<Client>, StoreError> {
        self.shared
            .get(&client_key(id))
            .await?
            .map(|d| parse(&d))
            .transpose()
    }

    // ---------------------------------------------------------------- flows

    pub async fn save_flow(&self, id_hash: &str, f: &Flow) -> Result<(), StoreError> {
        let _: () = self
            .shared
            .query(
                redis::cmd("SET")
                    .arg(prefixed(&flow_key(id_hash)))
                    .arg(json(f)?)
                    .arg("EXAT")
                    .arg(f.expires.saturating_add(GRACE).max(1)),
            )
            .await?;
        Ok(())
    }

    pub async fn flow(&self, id_hash: &str) -> Result<Option<Flow>, StoreError> {
        self.shared
            .get(&flow_key(id_hash))
            .await?
            .map(|d| parse(&d))
            .transpose()
    }

    pub async fn take_flow(&self, id_hash: &str) -> Result<Option<Flow>, StoreError> {
        let data: Option<Vec<u8>> = self
            .shared
            .query(redis::cmd("GETDEL").arg(prefixed(&flow_key(id_hash))))
            .await?;
        data.map(|d| parse(&d)).transpose()
    }

    // ---------------------------------------------------------------- codes

    pub async fn save_code(&self, hash: &str, c: &CodeGrant) -> Result<(), StoreError> {
        let until = c.expires.saturating_add(CODE_GRACE).max(1).to_string();
        let _: i64 = self
            .shared
            .script(
                &self.scripts.save_code,
                &[&code_key(hash)],
                &[json(c)?.as_bytes(), until.as_bytes()],
            )
            .await?;
        Ok(())
    }

    pub async fn use_code(&self, hash: &str) -> Result<Option<(CodeGrant, bool)>, StoreError> {
        let row: Option<(Vec<u8>, i64)> = self
            .shared
            .script(&self.scripts.use_code, &[&code_key(hash)], &[] as &[&[u8]])
            .await?;
        row.map(|(d, used)| Ok((parse(&d)?, used != 0))).transpose()
    }

    // ---------------------------------------------------------------- grants and tokens

    pub async fn save_grant(&self, g: &Grant) -> Result<(), StoreError> {
        let revoked = if g.revoked { "1" } else { "0" };
        let mut pipe = redis::pipe();
        pipe.atomic()
            .cmd("HSET")
            .arg(prefixed(&grant_key(&g.id)))
            .arg("data")
            .arg(json(g)?)
            .arg("revoked")
            .arg(revoked)
            .ignore()
            .cmd("SADD")
            .arg(prefixed(&person_grants_key(&g.person)))
            .arg(&g.id)
            .ignore();
        let _: () = self.shared.pipeline(&pipe).await?;
        Ok(())
    }

    pub async fn grant(&self, id: &str) -> Result<Option<Grant>, StoreError> {
        let row = self.hgetall(&grant_key(id)).await?;
        let Some(data) = row.get("data") else {
            return Ok(None);
        };
        let mut grant: Grant = parse(data)?;
        grant.revoked = row.get("revoked").is_some_and(|r| r.as_slice() == b"1");
        Ok(Some(grant))
    }

    pub async fn revoke_grant(&self, id: &str) -> Result<(), StoreError> {
        let token_prefix = prefixed(&token_key(""));
        let _: i64 = self
            .shared
            .script(
                &self.scripts.revoke_grant,
                &[&grant_key(id), &grant_tokens_key(id)],
                &[token_prefix.as_bytes()],
            )
            .await?;
        Ok(())
    }

    async fn save_token(
        &self,
        hash: &str,
        kind: &str,
        grant: &str,
        audience: &str,
        expires: i64,
    ) -> Result<(), StoreError> {
        let expires_text = expires.to_string();
        let until = expires.saturating_add(GRACE).max(1).to_string();
        let _: i64 = self
            .shared
            .script(
                &self.scripts.save_token,
                &[&token_key(hash), &grant_tokens_key(grant)],
                &[
                    kind.as_bytes(),
                    grant.as_bytes(),
                    audience.as_bytes(),
                    expires_text.as_bytes(),
                    until.as_bytes(),
                    hash.as_bytes(),
                ],
            )
            .await?;
        Ok(())
    }

    pub async fn save_access(
        &self,
        hash: &str,
        grant: &str,
        audience: &str,
        expires: i64,
    ) -> Result<(), StoreError> {
        self.save_token(hash, "access", grant, audience, expires)
            .await
    }

    pub async fn save_refresh(
        &self,
        hash: &str,
        grant: &str,
        expires: i64,
    ) -> Result<(), StoreError> {
        self.save_token(hash, "refresh", grant, "", expires).await
    }

    async fn token(
        &self,
        hash: &str,
        kind: &str,
        spend: bool,
    ) -> Result<Option<TokenCheck>, StoreError> {
        let spend = if spend { "1" } else { "0" };
        let row: Option<(String, String, i64, String)> = self
            .shared
            .script(
                &self.scripts.token,
                &[&token_key(hash)],
                &[kind.as_bytes(), spend.as_bytes()],
            )
            .await?;
        let Some((grant_id, audience, expires, spent)) = row else {
            return Ok(None);
        };
        let Some(grant) = self.grant(&grant_id).await? else {
            return Ok(None);
        };
        Ok(Some(TokenCheck {
            grant,
            audience,
            expires,
            spent: spent == "1",
        }))
    }

    pub async fn access(&self, hash: &str) -> Result<Option<TokenCheck>, StoreError> {
        let found = self.token(hash, "access", false).await;
        self.remembered(found, hash, |l| &mut l.access, |l| l.access.get(hash))
    }

    pub async fn spend_refresh(&self, hash: &str) -> Result<Option<TokenCheck>, StoreError> {
        self.token(hash, "refresh", true).await
    }

    pub async fn grant_of_token(&self, hash: &str) -> Result<Option<String>, StoreError> {
        self.hget(&token_key(hash), "grant")
            .await?
            .map(|g| String::from_utf8(g).map_err(|e| StoreError::Backend(e.to_string())))
            .transpose()
    }

    // ---------------------------------------------------------------- people

    pub async fn save_person(&self, p: &Person, tokens: &TokenSet) -> Result<(), StoreError> {
        let sealed = seal_tokens(&self.sealer, &p.id, tokens)?;
        let mut pipe = redis::pipe();
        pipe.atomic()
            .cmd("HSET")
            .arg(prefixed(&person_key(&p.id)))
            .arg("data")
            .arg(json(p)?)
            .arg("email")
            .arg(p.email.to_ascii_lowercase())
            .arg("tokens")
            .arg(sealed)
            .ignore()
            .cmd("SADD")
            .arg(prefixed(PEOPLE_KEY))
            .arg(&p.id)
            .ignore();
        let _: () = self.shared.pipeline(&pipe).await?;
        Ok(())
    }

    pub async fn person(&self, id: &str) -> Result<Option<Person>, StoreError> {
        let found = match self.hget(&person_key(id), "data").await {
            Ok(d) => d.map(|d| parse::<Person>(&d)).transpose()?,
            Err(e) if !self.shared.is_up() => {
                return self.local().people.get(id).cloned().map(Some).ok_or(e);
            }
            Err(e) => return Err(e),
        };
        if let Some(p) = &found {
            keep(&mut self.local().people, id, p.clone());
        }
        Ok(found)
    }

    pub async fn upstream_tokens(&self, id: &str) -> Result<Option<TokenSet>, StoreError> {
        self.flush().await;
        let found = self.read_upstream_tokens(id).await;
        // A renewal still waiting for Redis is the newest.
        self.remembered(
            found,
            id,
            |l| &mut l.upstream,
            |l| l.pending_upstream.get(id).or_else(|| l.upstream.get(id)),
        )
    }

    async fn read_upstream_tokens(&self, id: &str) -> Result<Option<TokenSet>, StoreError> {
        let Some(sealed) = self.hget(&person_key(id), "tokens").await? else {
            return Ok(None);
        };
        open_tokens(&self.sealer, id, &sealed).map(Some)
    }

    /// Saves renewed tokens; while Redis is down they wait on this replica
    /// (which uses them meanwhile) and are written once it is back.
    pub async fn save_upstream_tokens(
        &self,
        id: &str,
        tokens: &TokenSet,
    ) -> Result<(), StoreError> {
        match self.write_upstream_tokens(id, tokens).await {
            Ok(()) => {
                let mut local = self.local();
                local.pending_upstream.remove(id);
                keep(&mut local.upstream, id, tokens.clone());
                Ok(())
            }
            Err(_) if !self.shared.is_up() => {
                tracing::warn!("a renewed sign-in waits on this replica until Redis is back");
                let mut local = self.local();
                keep(&mut local.pending_upstream, id, tokens.clone());
                keep(&mut local.upstream, id, tokens.clone());
                Ok(())
            }
            Err(e) => Err(e),
        }
    }

    async fn write_upstream_tokens(&self, id: &str, tokens: &TokenSet) -> Result<(), StoreError> {
        let sealed = seal_tokens(&self.sealer, id, tokens)?;
        self.set_if_exists(&person_key(id), "tokens", &sealed).await
    }

    async fn live_grants(&self, person: &str) -> Result<usize, StoreError> {
        let mut live = 0;
        for g in self.smembers(&person_grants_key(person)).await? {
            if self.hget(&grant_key(&g), "revoked").await?.as_deref() == Some(b"0") {
                live += 1;
            }
        }
        Ok(live)
    }

    pub async fn people(&self) -> Result<Vec<PersonSummary>, StoreError> {
        let mut out = Vec::new();
        for id in self.smembers(PEOPLE_KEY).await? {
            let row = self.hgetall(&person_key(&id)).await?;
            let Some(data) = row.get("data") else {
                continue;
            };
            let last_seen = row
                .get("last_seen")
                .and_then(|s| std::str::from_utf8(s).ok())
                .and_then(|s| s.parse().ok());
            out.push(PersonSummary {
                person: parse(data)?,
                last_seen,
                grants: self.live_grants(&id).await?,
                connected: row.contains_key("tokens"),
            });
        }
        out.sort_by(|a, b| {
            a.person
                .email
                .to_ascii_lowercase()
                .cmp(&b.person.email.to_ascii_lowercase())
        });
        Ok(out)
    }

    pub async fn revoke_person(&self, id_or_email: &str) -> Result<bool, StoreError> {
        let key = id_or_email.trim();
        let email = key.to_ascii_lowercase();
        let mut found = None;
        for id in self.smembers(PEOPLE_KEY).await? {
            if id == key
                || self.hget(&person_key(&id), "email").await?.as_deref() == Some(email.as_bytes())
            {
                found = Some(id);
                break;
            }
        }
        let Some(id) = found else {
            return Ok(false);
        };
        for g in self.smembers(&person_grants_key(&id)).await? {
            self.revoke_grant(&g).await?;
        }
        let _: i64 = self
            .shared
            .query(
                redis::cmd("HDEL")
                    .arg(prefixed(&person_key(&id)))
                    .arg("tokens"),
            )
            .await?;
        Ok(true)
    }

    pub async fn forget_unused_sign_in(&self, id: &str) -> Result<(), StoreError> {
        let grant_prefix = prefixed(&grant_key(""));
        let _: i64 = self
            .shared
            .script(
                &self.scripts.forget_unused,
                &[&person_key(id), &person_grants_key(id)],
                &[grant_prefix.as_bytes()],
            )
            .await?;
        Ok(())
    }

    pub async fn seen(&self, id: &str, at: i64) -> Result<(), StoreError> {
        match self
            .set_if_exists(&person_key(id), "last_seen", at.to_string().as_bytes())
            .await
        {
            // A last-seen time missed while Redis is down is not worth keeping.
            Err(_) if !self.shared.is_up() => Ok(()),
            other => other,
        }
    }

    // ---------------------------------------------------------------- audit

    /// Appends to the audit log; while Redis is down the entry waits on
    /// this replica (up to a bound) and is written once it is back.
    pub async fn audit(&self, e: &AuditEntry) -> Result<(), StoreError> {
        self.flush().await;
        match self.write_audit(e).await {
            Err(_) if !self.shared.is_up() => {
                let mut local = self.local();
                if local.pending_audit.len() < LOCAL_CAP {
                    local.pending_audit.push(e.clone());
                    Ok(())
                } else {
                    Err(StoreError::Backend(
                        "Redis is down and this replica holds as many audit entries as it keeps"
                            .to_owned(),
                    ))
                }
            }
            other => other,
        }
    }

    async fn write_audit(&self, e: &AuditEntry) -> Result<(), StoreError> {
        let cap = AUDIT_CAP.to_string();
        let cap_person = AUDIT_CAP_PERSON.to_string();
        let _: i64 = self
            .shared
            .script(
                &self.scripts.audit,
                &[AUDIT_KEY, &audit_person_key(&e.person)],
                &[json(e)?.as_bytes(), cap.as_bytes(), cap_person.as_bytes()],
            )
            .await?;
        Ok(())
    }

    pub async fn audit_log(
        &self,
        person: Option<&str>,
        limit: usize,
    ) -> Result<Vec<AuditEntry>, StoreError> {
        if limit == 0 {
            return Ok(Vec::new());
        }
        let key = match person {
            Some(p) => audit_person_key(p),
            None => AUDIT_KEY.to_owned(),
        };
        let last = isize::try_from(limit)
            .unwrap_or(isize::MAX)
            .saturating_sub(1);
        let rows: Vec<Vec<u8>> = self
            .shared
            .query(redis::cmd("LRANGE").arg(prefixed(&key)).arg(0).arg(last))
            .await?;
        let mut out = rows
            .iter()
            .map(|r| parse(r))
            .collect::<Result<Vec<AuditEntry>, _>>()?;
        out.reverse();
        Ok(out)
    }

    /// Redis forgets expired flows, codes and tokens by itself; the sweep
    /// drops what still points at them (a grant's forgotten tokens).
    pub async fn sweep(&self, _now: i64) -> Result<usize, StoreError> {
        let mut n = 0;
        for id in self.smembers(PEOPLE_KEY).await? {
            for g in self.smembers(&person_grants_key(&id)).await? {
                let key = grant_tokens_key(&g);
                for hash in self.smembers(&key).await? {
                    let exists: i64 = self
                        .shared
                        .query(redis::cmd("EXISTS").arg(prefixed(&token_key(&hash))))
                        .await?;
                    if exists == 0 {
                        let _: i64 = self
                            .shared
                            .query(redis::cmd("SREM").arg(prefixed(&key)).arg(&hash))
                            .await?;
                        n += 1;
                    }
                }
            }
        }
        Ok(n)
    }
}

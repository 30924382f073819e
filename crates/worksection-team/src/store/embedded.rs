//! The embedded backend: one SQLite file (`rusqlite`, SQLite compiled
//! in) in WAL mode, so `worksection-mcp team people` can read it while the
//! server runs, and a change made there (a revocation) is seen by the
//! server's next lookup. Records are kept as JSON in a few tables keyed
//! by hashes; Worksection's tokens are sealed (see `seal`).

use std::path::Path;
use std::sync::Mutex;

use rusqlite::{Connection, OptionalExtension, params};
use worksection::auth::TokenSet;

use super::records::{
    AuditEntry, Client, CodeGrant, Flow, Grant, Person, PersonSummary, TokenCheck,
};
use super::{StoreError, open_tokens, seal_tokens};
use crate::seal::Sealer;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS clients (id TEXT PRIMARY KEY, data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS flows (id_hash TEXT PRIMARY KEY, data TEXT NOT NULL, expires INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS codes (hash TEXT PRIMARY KEY, data TEXT NOT NULL, expires INTEGER NOT NULL, used INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS grants (id TEXT PRIMARY KEY, person TEXT NOT NULL, data TEXT NOT NULL, revoked INTEGER NOT NULL DEFAULT 0);
CREATE INDEX IF NOT EXISTS grants_person ON grants (person);
CREATE TABLE IF NOT EXISTS tokens (hash TEXT PRIMARY KEY, kind TEXT NOT NULL, grant_id TEXT NOT NULL, audience TEXT NOT NULL, expires INTEGER NOT NULL, spent INTEGER NOT NULL DEFAULT 0);
CREATE INDEX IF NOT EXISTS tokens_grant ON tokens (grant_id);
CREATE TABLE IF NOT EXISTS people (id TEXT PRIMARY KEY, email TEXT NOT NULL, data TEXT NOT NULL, tokens BLOB, last_seen INTEGER);
CREATE TABLE IF NOT EXISTS audit (seq INTEGER PRIMARY KEY AUTOINCREMENT, at INTEGER NOT NULL, person TEXT NOT NULL, data TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS audit_person ON audit (person, seq);
";

/// What the check value seals, to tell a wrong key at start.
const CHECK: &[u8] = b"worksection-team store key check";

pub struct Embedded {
    conn: Mutex<Connection>,
    sealer: Sealer,
}

fn json<T: serde::Serialize>(v: &T) -> Result<String, StoreError> {
    serde_json::to_string(v).map_err(|e| StoreError::Backend(e.to_string()))
}

fn parse<T: serde::de::DeserializeOwned>(s: &str) -> Result<T, StoreError> {
    serde_json::from_str(s).map_err(|e| StoreError::Backend(format!("a damaged record: {e}")))
}

impl Embedded {
    pub fn open(path: &Path, sealer: Sealer) -> Result<Self, StoreError> {
        let open_error = |e: rusqlite::Error| StoreError::Open {
            path: path.display().to_string(),
            detail: e.to_string(),
        };
        let conn = Connection::open(path).map_err(open_error)?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let _ = std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600));
        }
        conn.busy_timeout(std::time::Duration::from_secs(5))
            .map_err(open_error)?;
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(open_error)?;
        conn.pragma_update(None, "synchronous", "NORMAL")
            .map_err(open_error)?;
        conn.execute_batch(SCHEMA).map_err(open_error)?;
        let check: Option<Vec<u8>> = conn
            .query_row("SELECT value FROM meta WHERE key = 'key_check'", [], |r| {
                r.get(0)
            })
            .optional()
            .map_err(open_error)?;
        match check {
            Some(sealed) => {
                if sealer.open_sealed("key_check", &sealed).is_err() {
                    return Err(StoreError::WrongKey);
                }
            }
            None => {
                conn.execute(
                    "INSERT INTO meta (key, value) VALUES ('key_check', ?1)",
                    params![sealer.seal("key_check", CHECK)],
                )
                .map_err(open_error)?;
            }
        }
        Ok(Self {
            conn: Mutex::new(conn),
            sealer,
        })
    }

    fn conn(&self) -> std::sync::MutexGuard<'_, Connection> {
        // A panic while holding the lock leaves SQLite itself consistent.
        self.conn.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn ready(&self) -> Result<(), StoreError> {
        self.conn().query_row("SELECT 1", [], |_| Ok(()))?;
        Ok(())
    }

    pub fn save_client(&self, c: &Client) -> Result<(), StoreError> {
        self.conn().execute(
            "INSERT INTO clients (id, data) VALUES (?1, ?2) ON CONFLICT(id) DO UPDATE SET data = excluded.data",
            params![c.client_id, json(c)?],
        )?;
        Ok(())
    }

    pub fn client(&self, id: &str) -> Result<Option<Client>, StoreError> {
        let data: Option<String> = self
            .conn()
            .query_row("SELECT data FROM clients WHERE id = ?1", [id], |r| r.get(0))
            .optional()?;
        data.map(|d| parse(&d)).transpose()
    }

    pub fn save_flow(&self, id_hash: &str, f: &Flow) -> Result<(), StoreError> {
        self.conn().execute(
            "INSERT INTO flows (id_hash, data, expires) VALUES (?1, ?2, ?3)
             ON CONFLICT(id_hash) DO UPDATE SET data = excluded.data, expires = excluded.expires",
            params![id_hash, json(f)?, f.expires],
        )?;
        Ok(())
    }

    pub fn flow(&self, id_hash: &str) -> Result<Option<Flow>, StoreError> {
        let data: Option<String> = self
            .conn()
            .query_row(
                "SELECT data FROM flows WHERE id_hash = ?1",
                [id_hash],
                |r| r.get(0),
            )
            .optional()?;
        data.map(|d| parse(&d)).transpose()
    }

    pub fn take_flow(&self, id_hash: &str) -> Result<Option<Flow>, StoreError> {
        let data: Option<String> = self
            .conn()
            .query_row(
                "DELETE FROM flows WHERE id_hash = ?1 RETURNING data",
                [id_hash],
                |r| r.get(0),
            )
            .optional()?;
        data.map(|d| parse(&d)).transpose()
    }

    pub fn save_code(&self, hash: &str, c: &CodeGrant) -> Result<(), StoreError> {
        self.conn().execute(
            "INSERT INTO codes (hash, data, expires) VALUES (?1, ?2, ?3)
             ON CONFLICT(hash) DO UPDATE SET data = excluded.data",
            params![hash, json(c)?, c.expires],
        )?;
        Ok(())
    }

    pub fn use_code(&self, hash: &str) -> Result<Option<(CodeGrant, bool)>, StoreError> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        let row: Option<(String, i64)> = tx
            .query_row(
                "SELECT data, used FROM codes WHERE hash = ?1",
                [hash],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        let Some((data, used)) = row else {
            return Ok(None);
        };
        tx.execute("UPDATE codes SET used = 1 WHERE hash = ?1", [hash])?;
        tx.commit()?;
        Ok(Some((parse(&data)?, used != 0)))
    }

    pub fn save_grant(&self, g: &Grant) -> Result<(), StoreError> {
        self.conn().execute(
            "INSERT INTO grants (id, person, data, revoked) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT(id) DO UPDATE SET data = excluded.data, revoked = excluded.revoked",
            params![g.id, g.person, json(g)?, g.revoked],
        )?;
        Ok(())
    }

    pub fn grant(&self, id: &str) -> Result<Option<Grant>, StoreError> {
        let row: Option<(String, bool)> = self
            .conn()
            .query_row(
                "SELECT data, revoked FROM grants WHERE id = ?1",
                [id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        row.map(|(d, revoked)| {
            parse::<Grant>(&d).map(|mut g| {
                g.revoked = revoked;
                g
            })
        })
        .transpose()
    }

    pub fn revoke_grant(&self, id: &str) -> Result<(), StoreError> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        tx.execute("UPDATE grants SET revoked = 1 WHERE id = ?1", [id])?;
        tx.execute("DELETE FROM tokens WHERE grant_id = ?1", [id])?;
        tx.commit()?;
        Ok(())
    }

    pub fn save_access(
        &self,
        hash: &str,
        grant: &str,
        audience: &str,
        expires: i64,
    ) -> Result<(), StoreError> {
        self.conn().execute(
            "INSERT INTO tokens (hash, kind, grant_id, audience, expires) VALUES (?1, 'access', ?2, ?3, ?4)",
            params![hash, grant, audience, expires],
        )?;
        Ok(())
    }

    pub fn save_refresh(&self, hash: &str, grant: &str, expires: i64) -> Result<(), StoreError> {
        self.conn().execute(
            "INSERT INTO tokens (hash, kind, grant_id, audience, expires) VALUES (?1, 'refresh', ?2, '', ?3)",
            params![hash, grant, expires],
        )?;
        Ok(())
    }

    fn token(&self, hash: &str, kind: &str, spend: bool) -> Result<Option<TokenCheck>, StoreError> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        let row: Option<(String, String, i64, bool)> = tx
            .query_row(
                "SELECT grant_id, audience, expires, spent FROM tokens WHERE hash = ?1 AND kind = ?2",
                params![hash, kind],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
            )
            .optional()?;
        let Some((grant_id, audience, expires, spent)) = row else {
            return Ok(None);
        };
        if spend {
            tx.execute("UPDATE tokens SET spent = 1 WHERE hash = ?1", [hash])?;
        }
        let grant: Option<(String, bool)> = tx
            .query_row(
                "SELECT data, revoked FROM grants WHERE id = ?1",
                [&grant_id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        tx.commit()?;
        let Some((data, revoked)) = grant else {
            return Ok(None);
        };
        let mut grant: Grant = parse(&data)?;
        grant.revoked = revoked;
        Ok(Some(TokenCheck {
            grant,
            audience,
            expires,
            spent,
        }))
    }

    pub fn access(&self, hash: &str) -> Result<Option<TokenCheck>, StoreError> {
        self.token(hash, "access", false)
    }

    pub fn spend_refresh(&self, hash: &str) -> Result<Option<TokenCheck>, StoreError> {
        self.token(hash, "refresh", true)
    }

    pub fn grant_of_token(&self, hash: &str) -> Result<Option<String>, StoreError> {
        Ok(self
            .conn()
            .query_row("SELECT grant_id FROM tokens WHERE hash = ?1", [hash], |r| {
                r.get(0)
            })
            .optional()?)
    }

    pub fn save_person(&self, p: &Person, tokens: &TokenSet) -> Result<(), StoreError> {
        let sealed = seal_tokens(&self.sealer, &p.id, tokens)?;
        self.conn().execute(
            "INSERT INTO people (id, email, data, tokens) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT(id) DO UPDATE SET email = excluded.email, data = excluded.data, tokens = excluded.tokens",
            params![p.id, p.email.to_ascii_lowercase(), json(p)?, sealed],
        )?;
        Ok(())
    }

    pub fn person(&self, id: &str) -> Result<Option<Person>, StoreError> {
        let data: Option<String> = self
            .conn()
            .query_row("SELECT data FROM people WHERE id = ?1", [id], |r| r.get(0))
            .optional()?;
        data.map(|d| parse(&d)).transpose()
    }

    pub fn upstream_tokens(&self, id: &str) -> Result<Option<TokenSet>, StoreError> {
        let sealed: Option<Option<Vec<u8>>> = self
            .conn()
            .query_row("SELECT tokens FROM people WHERE id = ?1", [id], |r| {
                r.get(0)
            })
            .optional()?;
        let Some(Some(sealed)) = sealed else {
            return Ok(None);
        };
        open_tokens(&self.sealer, id, &sealed).map(Some)
    }

    pub fn save_upstream_tokens(&self, id: &str, tokens: &TokenSet) -> Result<(), StoreError> {
        let sealed = seal_tokens(&self.sealer, id, tokens)?;
        self.conn().execute(
            "UPDATE people SET tokens = ?2 WHERE id = ?1",
            params![id, sealed],
        )?;
        Ok(())
    }

    pub fn people(&self) -> Result<Vec<PersonSummary>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn.prepare(
            "SELECT p.data, p.last_seen, p.tokens IS NOT NULL,
                    (SELECT COUNT(*) FROM grants g WHERE g.person = p.id AND g.revoked = 0)
             FROM people p ORDER BY p.email",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, Option<i64>>(1)?,
                r.get::<_, bool>(2)?,
                r.get::<_, i64>(3)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (data, last_seen, connected, grants) = row?;
            out.push(PersonSummary {
                person: parse(&data)?,
                last_seen,
                grants: usize::try_from(grants).unwrap_or_default(),
                connected,
            });
        }
        Ok(out)
    }

    pub fn revoke_person(&self, id_or_email: &str) -> Result<bool, StoreError> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        let key = id_or_email.trim();
        let id: Option<String> = tx
            .query_row(
                "SELECT id FROM people WHERE id = ?1 OR email = ?2",
                params![key, key.to_ascii_lowercase()],
                |r| r.get(0),
            )
            .optional()?;
        let Some(id) = id else {
            return Ok(false);
        };
        tx.execute(
            "DELETE FROM tokens WHERE grant_id IN (SELECT id FROM grants WHERE person = ?1)",
            [&id],
        )?;
        tx.execute("UPDATE grants SET revoked = 1 WHERE person = ?1", [&id])?;
        tx.execute("UPDATE people SET tokens = NULL WHERE id = ?1", [&id])?;
        tx.commit()?;
        Ok(true)
    }

    pub fn forget_unused_sign_in(&self, id: &str) -> Result<(), StoreError> {
        self.conn().execute(
            "UPDATE people SET tokens = NULL WHERE id = ?1
             AND NOT EXISTS (SELECT 1 FROM grants WHERE person = ?1 AND revoked = 0)",
            [id],
        )?;
        Ok(())
    }

    pub fn seen(&self, id: &str, at: i64) -> Result<(), StoreError> {
        self.conn().execute(
            "UPDATE people SET last_seen = ?2 WHERE id = ?1",
            params![id, at],
        )?;
        Ok(())
    }

    pub fn audit(&self, e: &AuditEntry) -> Result<(), StoreError> {
        self.conn().execute(
            "INSERT INTO audit (at, person, data) VALUES (?1, ?2, ?3)",
            params![e.at, e.person, json(e)?],
        )?;
        Ok(())
    }

    pub fn audit_log(
        &self,
        person: Option<&str>,
        limit: usize,
    ) -> Result<Vec<AuditEntry>, StoreError> {
        let conn = self.conn();
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let mut out = Vec::new();
        match person {
            Some(p) => {
                let mut stmt = conn.prepare(
                    "SELECT data FROM audit WHERE person = ?1 ORDER BY seq DESC LIMIT ?2",
                )?;
                for d in stmt.query_map(params![p, limit], |r| r.get::<_, String>(0))? {
                    out.push(parse(&d?)?);
                }
            }
            None => {
                let mut stmt = conn.prepare("SELECT data FROM audit ORDER BY seq DESC LIMIT ?1")?;
                for d in stmt.query_map(params![limit], |r| r.get::<_, String>(0))? {
                    out.push(parse(&d?)?);
                }
            }
        }
        out.reverse();
        Ok(out)
    }

    pub fn sweep(&self, now: i64) -> Result<usize, StoreError> {
        let conn = self.conn();
        let mut n = conn.execute("DELETE FROM flows WHERE expires < ?1", [now])?;
        // Codes are kept a day past expiry so a late replay is still known
        // as one (and ends the grant it made).
        n += conn.execute("DELETE FROM codes WHERE expires < ?1", [now - 86_400])?;
        n += conn.execute("DELETE FROM tokens WHERE expires < ?1", [now])?;
        Ok(n)
    }
}

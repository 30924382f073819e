//! The admin API key, in the two schemes Worksection accepts.
//!
//! - HMAC (the default, as Worksection's SDKs 2.1 do it: `worksection/
//!   python-api-client` `worksection/client.py`, `worksection/
//!   php-api-client` `src/Client.php`): the header
//!   `Authorization: Admin <t>_<sig>`, where `t` is the time in unix
//!   seconds and `sig` the lowercase hex HMAC-SHA256, keyed with the API
//!   key, of the ASCII text `<action>:<t>`. The parameters travel as a JSON
//!   body. Nothing but the action and the time is hashed, so no encoding
//!   question arises.
//! - md5 (the API documentation's scheme, the fallback): the query carries
//!   `hash = md5(query + key)`. Which bytes "query" means, as sent or
//!   decoded, Worksection does not say; the query is written so that the
//!   two are the same wherever the syntax allows (see `action::md5_query`),
//!   and where they cannot be, the client tries the documented reading
//!   (decoded values) first and keeps whichever the account accepts.
//!
//! A client starts with HMAC. When Worksection refuses the header (status
//! 2, "Action hash is missed or invalid", as an account that predates it
//! answers), the client switches to md5 and stays there: the choice is
//! kept in the `ApiKey`, which every clone of a `Client` shares. The key
//! itself never leaves this process.

use std::sync::atomic::{AtomicU8, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use futures_util::future::BoxFuture;
use hmac::{Hmac, Mac};
use md5::{Digest, Md5};
use sha2::Sha256;

use super::{Auth, AuthKind, Scheme, Signed, with_json_body};
use crate::action::{Params, md5_query};
use crate::error::Error;
use secrecy::{ExposeSecret, SecretString};

const HMAC: u8 = 0;
const MD5_DECODED: u8 = 1;
const MD5_RECEIVED: u8 = 2;

/// Which admin-key scheme a client uses now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AdminScheme {
    /// `Authorization: Admin <time>_<hmac>`.
    Hmac,
    /// The `hash` query parameter.
    Md5,
}

#[derive(Debug)]
pub struct ApiKey {
    key: SecretString,
    mode: AtomicU8,
}

impl ApiKey {
    pub fn new(key: impl Into<SecretString>) -> Self {
        Self {
            key: key.into(),
            mode: AtomicU8::new(HMAC),
        }
    }

    /// The scheme the next request uses.
    pub fn scheme(&self) -> AdminScheme {
        match self.mode.load(Ordering::Relaxed) {
            HMAC => AdminScheme::Hmac,
            _ => AdminScheme::Md5,
        }
    }

    /// The `Authorization` header of `action` at unix time `time`:
    /// `Admin <time>_<hex hmac-sha256(key, "action:time")>`.
    pub fn authorization(&self, action: &str, time: u64) -> SecretString {
        // HMAC takes a key of any length, so this cannot fail.
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(self.key.expose_secret().as_bytes())
            .unwrap_or_else(|_| unreachable!("HMAC accepts every key length"));
        mac.update(format!("{action}:{time}").as_bytes());
        let sig = hex::encode(mac.finalize().into_bytes());
        SecretString::from(format!("Admin {time}_{sig}"))
    }

    /// The md5 scheme's hash of `signing` (the query string hashed).
    pub fn md5(&self, signing: &str) -> SecretString {
        SecretString::from(hex::encode(Md5::digest(format!(
            "{signing}{}",
            self.key.expose_secret()
        ))))
    }

    fn sign_now(&self, action: &str, params: &Params) -> Result<Signed, Error> {
        let mode = self.mode.load(Ordering::Relaxed);
        if mode == HMAC {
            let (query, body) = with_json_body(action, params)?;
            return Ok(Signed {
                scheme: Scheme::Hmac,
                authorization: Some(self.authorization(action, unix_now())),
                query,
                body,
            });
        }
        let (sent, differs) = md5_query(action, params);
        let received = mode == MD5_RECEIVED;
        let signing = if received || !differs {
            sent.clone()
        } else {
            // The documented construction: `key=value` pairs joined by `&`,
            // values as they are.
            let rest = params.canonical();
            if rest.is_empty() {
                format!("action={action}")
            } else {
                format!("action={action}&{rest}")
            }
        };
        let hash = self.md5(&signing);
        Ok(Signed {
            scheme: Scheme::Md5 { received, differs },
            authorization: None,
            query: SecretString::from(format!("{sent}&hash={}", hash.expose_secret())),
            body: None,
        })
    }
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default()
}

impl Auth for ApiKey {
    fn kind(&self) -> AuthKind {
        AuthKind::ApiKey
    }

    fn sign<'a>(
        &'a self,
        action: &'a str,
        params: &'a Params,
    ) -> BoxFuture<'a, Result<Signed, Error>> {
        Box::pin(async move { self.sign_now(action, params) })
    }

    /// Header refused, then md5 read one way, then the other.
    fn resigns(&self) -> u32 {
        2
    }

    fn refused<'a>(&'a self, signed: &'a Signed) -> BoxFuture<'a, Result<bool, Error>> {
        Box::pin(async move {
            match signed.scheme {
                Scheme::Hmac => {
                    if self
                        .mode
                        .compare_exchange(HMAC, MD5_DECODED, Ordering::Relaxed, Ordering::Relaxed)
                        .is_ok()
                    {
                        tracing::info!(
                            "Worksection refused the Admin header; this account is signed with the md5 query hash from now on"
                        );
                    }
                    Ok(true)
                }
                Scheme::Md5 {
                    received,
                    differs: true,
                } => {
                    let (from, to) = if received {
                        (MD5_RECEIVED, MD5_DECODED)
                    } else {
                        (MD5_DECODED, MD5_RECEIVED)
                    };
                    let _ =
                        self.mode
                            .compare_exchange(from, to, Ordering::Relaxed, Ordering::Relaxed);
                    Ok(true)
                }
                Scheme::Md5 { differs: false, .. } | Scheme::Bearer(_) => Ok(false),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn md5_follows_the_documented_construction() {
        let key = ApiKey::new("secretkey");
        // md5("action=search_tasks&filter=name has 'A B'secretkey"), computed
        // independently with coreutils' md5sum.
        assert_eq!(
            key.md5("action=search_tasks&filter=name has 'A B'")
                .expose_secret(),
            "e59cc94d4d781cac48485a726f220606"
        );
        assert!(!format!("{key:?}").contains("secretkey"));
    }
}

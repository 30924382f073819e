//! The OS-keychain token store: macOS Keychain, Windows Credential Manager,
//! or the Secret Service (GNOME Keyring, KWallet, KeePassXC) on Linux and
//! BSD, through the `keyring` crate.
//!
//! Why `keyring` 4: the 3.x line is finished, and 4.x is where the keyring
//! ecosystem is maintained (the platform stores now live in their own
//! crates under `keyring-core`). Its default `v1` feature picks the native
//! store per platform inside `keyring`'s own target cfgs; on Linux that is
//! the Secret Service spoken over zbus, which is pure Rust (no libdbus or
//! other system package to build against) and runs its own small executor,
//! so a call made from inside a tokio runtime blocks that thread but does
//! not panic.
//!
//! Layout: service `worksection-mcp`; one entry per account, named by its
//! key (`acme.worksection.com`), holding the JSON of its [`StoredSignIn`];
//! and one entry `#index` (no host can contain `#`) with the list of
//! accounts and the default, because keychains cannot list their entries.
//! Each entry is replaced whole by the keychain, so a sign-in is always the
//! old one or the new one. The index is written after the entry on save and
//! after the removal on delete: a crash in between leaves at worst an
//! account missing from the list until its next save (`load` still finds
//! it), never a listed account whose tokens are half-written. Updates of
//! the index are serialised in process; two processes saving different
//! accounts at the very same moment could drop one from the list.

use std::fmt;
use std::sync::Mutex;
use std::sync::mpsc;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use worksection::{ExposeSecret, SecretString};
use zeroize::Zeroizing;

use super::{
    BlockingStore, StoreError, StoreKind, StoredSignIn, account_key, json_error_summary,
    normalize_account, ordered_accounts, secret_name, settle_default,
};

/// The keychain service every entry is filed under.
pub const SERVICE: &str = "worksection-mcp";
/// The entry that lists the accounts.
const INDEX: &str = "#index";
/// The throwaway entry `probe` writes, reads and removes.
const PROBE: &str = "#probe";
/// Secrets ([`BlockingStore::save_secret`]) are entries named `#secret/<name>`,
/// which no account host can be.
const SECRET_PREFIX: &str = "#secret/";
/// How long `probe` waits for the keychain: a locked keyring on a machine
/// with no one to answer its unlock prompt may never answer.
const PROBE_TIMEOUT: Duration = Duration::from_secs(15);

/// The list of accounts, kept because keychains cannot list entries.
#[derive(Debug, Default, Serialize, Deserialize)]
struct Index {
    #[serde(default)]
    default: Option<String>,
    #[serde(default)]
    accounts: Vec<String>,
}

/// Sign-ins in the OS keychain. See the module docs.
pub struct KeyringStore {
    /// Serialises read-modify-write of the index.
    index_lock: Mutex<()>,
}

impl fmt::Debug for KeyringStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyringStore")
            .field("service", &SERVICE)
            .finish_non_exhaustive()
    }
}

impl KeyringStore {
    /// Opens the keychain and reads the index, so a missing or locked
    /// keychain shows at start.
    pub fn open() -> Result<Self, StoreError> {
        available()?;
        let store = Self {
            index_lock: Mutex::new(()),
        };
        store.read_index()?;
        Ok(store)
    }

    /// Opens the keychain only if it really works here: writes, reads back
    /// and removes a throwaway entry, giving up after a while.
    pub fn probe() -> Result<Self, StoreError> {
        let (tx, rx) = mpsc::channel();
        // On its own thread so a keychain that never answers cannot hang
        // the start; such a thread is left behind, blocked, and the file
        // store is used instead.
        let spawned = std::thread::Builder::new()
            .name("keychain-probe".into())
            .spawn(move || {
                let _ = tx.send(probe_once());
            });
        if spawned.is_err() {
            return Err(StoreError::KeychainUnavailable {
                reason: "no thread could be started to try it".into(),
            });
        }
        match rx.recv_timeout(PROBE_TIMEOUT) {
            Ok(Ok(())) => Self::open(),
            Ok(Err(e)) => Err(e),
            Err(_) => Err(StoreError::KeychainUnavailable {
                reason: format!(
                    "it did not answer within {} seconds",
                    PROBE_TIMEOUT.as_secs()
                ),
            }),
        }
    }

    fn read_index(&self) -> Result<Index, StoreError> {
        match read(INDEX, "read the list of accounts")? {
            None => Ok(Index::default()),
            Some(bytes) => serde_json::from_slice(&bytes).map_err(|e| StoreError::DamagedEntry {
                what: "that lists the accounts".into(),
                why: json_error_summary(&e),
            }),
        }
    }

    fn write_index(&self, index: &Index) -> Result<(), StoreError> {
        let bytes = serde_json::to_vec(index).map_err(|_| StoreError::Internal {
            what: "encode the list of accounts",
        })?;
        write(INDEX, &bytes, "save the list of accounts")
    }

    /// Reads the index, lets `change` edit it, and writes it back if it
    /// says it changed, under the index lock.
    fn update_index<R>(
        &self,
        change: impl FnOnce(&mut Index) -> Result<(R, bool), StoreError>,
    ) -> Result<R, StoreError> {
        // The guarded data is `()`: a poisoned lock is still good to use.
        let _guard = self.index_lock.lock().unwrap_or_else(|p| p.into_inner());
        let mut index = self.read_index()?;
        let (result, changed) = change(&mut index)?;
        if changed {
            self.write_index(&index)?;
        }
        Ok(result)
    }
}

impl BlockingStore for KeyringStore {
    fn kind(&self) -> StoreKind {
        StoreKind::Keyring
    }

    fn load(&self, account: &str) -> Result<Option<StoredSignIn>, StoreError> {
        let key = normalize_account(account)?;
        let Some(bytes) = read(&key, "read a sign-in")? else {
            return Ok(None);
        };
        serde_json::from_slice(&bytes)
            .map(Some)
            .map_err(|e| StoreError::DamagedEntry {
                what: format!("of {key}"),
                why: json_error_summary(&e),
            })
    }

    fn save(&self, sign_in: &StoredSignIn) -> Result<(), StoreError> {
        let key = account_key(&sign_in.account_url)?;
        let json = serde_json::to_vec(sign_in).map_err(|_| StoreError::Internal {
            what: "encode the sign-in",
        })?;
        let bytes = Zeroizing::new(json);
        // The entry first: an index naming an account whose entry is not
        // there yet would be worse than the other way round.
        write(&key, &bytes, "save the sign-in")?;
        self.update_index(|index| {
            let before = (index.default.clone(), index.accounts.len());
            if !index.accounts.contains(&key) {
                index.accounts.push(key.clone());
                index.accounts.sort();
            }
            settle_default(&mut index.default, &index.accounts);
            Ok(((), before != (index.default.clone(), index.accounts.len())))
        })
    }

    fn delete(&self, account: &str) -> Result<bool, StoreError> {
        let key = normalize_account(account)?;
        let had_entry = remove(&key, "remove the sign-in")?;
        let was_listed = self.update_index(|index| {
            let listed = index.accounts.contains(&key);
            index.accounts.retain(|k| *k != key);
            let default_before = index.default.clone();
            settle_default(&mut index.default, &index.accounts);
            Ok((listed, listed || default_before != index.default))
        })?;
        Ok(had_entry || was_listed)
    }

    fn accounts(&self) -> Result<Vec<String>, StoreError> {
        let index = self.read_index()?;
        Ok(ordered_accounts(index.default.as_deref(), &index.accounts))
    }

    fn set_default(&self, account: &str) -> Result<(), StoreError> {
        let key = normalize_account(account)?;
        self.update_index(|index| {
            let listed = index.accounts.contains(&key);
            if !listed {
                // A crash between saving an entry and listing it leaves an
                // unlisted account: take it in if its entry is there.
                if read(&key, "read a sign-in")?.is_none() {
                    return Err(StoreError::UnknownAccount { account: key });
                }
                index.accounts.push(key.clone());
                index.accounts.sort();
            }
            let changed = !listed || index.default.as_deref() != Some(key.as_str());
            index.default = Some(key);
            Ok(((), changed))
        })
    }

    fn load_secret(&self, name: &str) -> Result<Option<SecretString>, StoreError> {
        let user = format!("{SECRET_PREFIX}{}", secret_name(name)?);
        let Some(bytes) = read(&user, "read a saved secret")? else {
            return Ok(None);
        };
        String::from_utf8(bytes.to_vec())
            .map(|s| Some(SecretString::from(s)))
            .map_err(|_| StoreError::DamagedEntry {
                what: user.clone(),
                why: "it is not text".into(),
            })
    }

    fn save_secret(&self, name: &str, value: &SecretString) -> Result<(), StoreError> {
        let user = format!("{SECRET_PREFIX}{}", secret_name(name)?);
        write(&user, value.expose_secret().as_bytes(), "save a secret")
    }

    fn delete_secret(&self, name: &str) -> Result<bool, StoreError> {
        let user = format!("{SECRET_PREFIX}{}", secret_name(name)?);
        remove(&user, "remove a saved secret")
    }
}

/// Whether the platform keychain could be opened at all.
fn available() -> Result<(), StoreError> {
    match keyring::Entry::store_status() {
        Ok(()) => Ok(()),
        Err(e) => Err(StoreError::KeychainUnavailable { reason: reason(e) }),
    }
}

fn entry(user: &str) -> Result<keyring::Entry, StoreError> {
    available()?;
    keyring::Entry::new(SERVICE, user).map_err(|e| to_store_error(e, "open an entry"))
}

/// An entry's bytes; `None` when there is no such entry.
fn read(user: &str, action: &'static str) -> Result<Option<Zeroizing<Vec<u8>>>, StoreError> {
    match entry(user)?.get_secret() {
        Ok(bytes) => Ok(Some(Zeroizing::new(bytes))),
        Err(keyring::Error::NoEntry) => Ok(None),
        Err(e) => Err(to_store_error(e, action)),
    }
}

fn write(user: &str, bytes: &[u8], action: &'static str) -> Result<(), StoreError> {
    entry(user)?
        .set_secret(bytes)
        .map_err(|e| to_store_error(e, action))
}

/// Removes an entry; `false` when there was none.
fn remove(user: &str, action: &'static str) -> Result<bool, StoreError> {
    match entry(user)?.delete_credential() {
        Ok(()) => Ok(true),
        Err(keyring::Error::NoEntry) => Ok(false),
        Err(e) => Err(to_store_error(e, action)),
    }
}

fn probe_once() -> Result<(), StoreError> {
    available()?;
    let mut value = [0u8; 16];
    super::crypto::fill_random(&mut value)?;
    let value = hex::encode(value);
    write(PROBE, value.as_bytes(), "save a test entry")?;
    let back = read(PROBE, "read a test entry back");
    // Remove it whatever the read said, so the probe leaves nothing behind.
    let removed = remove(PROBE, "remove a test entry");
    if back?.as_deref().map(Vec::as_slice) != Some(value.as_bytes()) {
        return Err(StoreError::KeychainUnavailable {
            reason: "a test entry did not read back as written".into(),
        });
    }
    removed.map(|_| ())
}

fn to_store_error(e: keyring::Error, action: &'static str) -> StoreError {
    let why = reason(&e);
    match e {
        keyring::Error::NoDefaultStore => {
            // The store's own start-up error says more than "no store".
            match keyring::Entry::store_status() {
                Err(first) => StoreError::KeychainUnavailable {
                    reason: reason(first),
                },
                Ok(()) => StoreError::KeychainUnavailable { reason: why },
            }
        }
        keyring::Error::NoStorageAccess(_) => StoreError::KeychainLocked { reason: why },
        // Windows keeps at most 2,560 bytes per credential.
        keyring::Error::TooLong(_, limit) => StoreError::KeychainTooSmall { limit },
        keyring::Error::BadEncoding(_) | keyring::Error::BadDataFormat(..) => {
            StoreError::DamagedEntry {
                what: "of worksection-mcp".into(),
                why,
            }
        }
        _ => StoreError::Keychain {
            action,
            reason: why,
        },
    }
}

/// A keychain error in words, without the data some variants carry.
fn reason(e: &keyring::Error) -> String {
    let text = match e {
        keyring::Error::BadEncoding(_) => "the stored data is not text".to_owned(),
        keyring::Error::BadDataFormat(..) => "the stored data is malformed".to_owned(),
        keyring::Error::Ambiguous(entries) => {
            format!("{} keychain entries match the same name", entries.len())
        }
        // Platform messages: error codes and D-Bus error names, no data.
        // Their own words read better without keyring's prefix.
        keyring::Error::PlatformFailure(inner) | keyring::Error::NoStorageAccess(inner) => {
            inner.to_string()
        }
        other => other.to_string(),
    };
    // One line, and not a novel.
    let text: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(300)
        .collect();
    text.trim().trim_end_matches('.').to_owned()
}

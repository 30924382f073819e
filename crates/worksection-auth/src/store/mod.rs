//! Where OAuth2 sign-ins of Worksection accounts are kept between runs.
//!
//! `worksection-mcp login` signs a user in to an account and saves the
//! result here; `serve` loads every saved sign-in at start and saves again
//! each time the client rotates the tokens (Worksection's refresh tokens
//! are single-use, so a rotated set must reach the store before it is used).
//!
//! There are two stores behind one blocking trait, [`BlockingStore`]:
//!
//! - the OS keychain ([`KeyringStore`], `keychain.rs`): macOS Keychain,
//!   Windows Credential Manager, or the Secret Service on Linux and BSD;
//! - an encrypted file ([`FileStore`], `file.rs`, with its format in
//!   `crypto.rs`) for machines without a keychain: servers, containers, CI.
//!
//! Callers use neither directly but [`TokenStore`] (`handle.rs`), the one
//! async face of both: each call runs the blocking work (the keychain's
//! D-Bus round trips, the file's key derivation and disk I/O) on tokio's
//! blocking pool, so no caller ever blocks a thread that drives async tasks.
//!
//! [`StoreSettings::open`] picks a store from the settings `TOKEN_STORE`,
//! `TOKEN_STORAGE_PATH` and `TOKEN_ENCRYPTION_KEY`. Both stores key a
//! sign-in by the host of its account ([`account_key`]), keep one account
//! as the default (the one served at `/mcp`), and never print a token:
//! every `Debug` here redacts, and no [`StoreError`] message carries a
//! token, key or secret.

mod crypto;
mod file;
mod handle;
mod keychain;
#[cfg(test)]
mod tests;

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use worksection::SecretString;
use worksection::auth::TokenSet;

pub use file::{FileStore, default_file_path};
pub use handle::TokenStore;
pub use keychain::KeyringStore;

/// What is kept per account.
#[derive(Clone, Serialize, Deserialize)]
pub struct StoredSignIn {
    /// The account's address, `https://acme.worksection.com`.
    pub account_url: String,
    pub user_id: String,
    pub user_name: String,
    pub user_email: String,
    pub tokens: TokenSet,
    /// When this sign-in was saved (at sign-in, then at each rotation).
    pub saved_at: DateTime<Utc>,
}

// Written by hand so that the tokens never reach a log, even if `TokenSet`'s
// own `Debug` changes one day: only facts about them are shown.
impl fmt::Debug for StoredSignIn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StoredSignIn")
            .field("account_url", &self.account_url)
            .field("user_id", &self.user_id)
            .field("user_name", &self.user_name)
            .field("user_email", &self.user_email)
            .field("access_token", &"***")
            .field(
                "refresh_token",
                &self.tokens.refresh_token.as_ref().map(|_| "***"),
            )
            .field("expires_at", &self.tokens.expires_at)
            .field("scopes", &self.tokens.scopes)
            .field("saved_at", &self.saved_at)
            .finish()
    }
}

/// Which kind of store holds the sign-ins.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoreKind {
    /// The OS keychain.
    Keyring,
    /// The encrypted file.
    File,
}

impl fmt::Display for StoreKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            StoreKind::Keyring => "the OS keychain",
            StoreKind::File => "the encrypted token file",
        })
    }
}

/// Where sign-ins are kept, as a store implements it: every call blocks
/// its thread until the keychain or the file answered. Callers use
/// [`TokenStore`], which runs these calls on tokio's blocking pool.
///
/// Implementations are safe to share between threads, and each call is a
/// whole read or a whole write: `save` leaves either the old or the new
/// sign-in behind, never a mix, even if the process dies half-way.
pub trait BlockingStore: Send + Sync + fmt::Debug {
    fn kind(&self) -> StoreKind;

    /// The sign-in of `account` (a host such as `acme.worksection.com` or
    /// `127.0.0.1:8088`; an account URL works too), if one is stored.
    fn load(&self, account: &str) -> Result<Option<StoredSignIn>, StoreError>;

    /// Stores `sign_in` under the host of its `account_url`, replacing what
    /// was there. The first account saved becomes the default.
    fn save(&self, sign_in: &StoredSignIn) -> Result<(), StoreError>;

    /// Forgets `account`; `false` when nothing was stored for it. When the
    /// default goes, the first remaining account (by name) takes its place.
    fn delete(&self, account: &str) -> Result<bool, StoreError>;

    /// Hosts with a stored sign-in: the default first, then by name.
    fn accounts(&self) -> Result<Vec<String>, StoreError>;

    /// Makes `account`, which must have a stored sign-in, the one served
    /// at `/mcp`.
    fn set_default(&self, account: &str) -> Result<(), StoreError>;

    /// A secret kept beside the sign-ins under `name` (see
    /// [`secret_name`]): the desktop app's own OAuth2 app credentials or
    /// an admin API key, as the caller encoded them.
    fn load_secret(&self, name: &str) -> Result<Option<SecretString>, StoreError>;

    /// Keeps `value` under `name`, replacing what was there.
    fn save_secret(&self, name: &str, value: &SecretString) -> Result<(), StoreError>;

    /// Forgets the secret `name`; `false` when there was none.
    fn delete_secret(&self, name: &str) -> Result<bool, StoreError>;
}

/// Checks a secret's name: lowercase letters, digits and `-`, at most 40,
/// so it can never be mistaken for an account's host.
pub(crate) fn secret_name(name: &str) -> Result<&str, StoreError> {
    let ok = !name.is_empty()
        && name.len() <= 40
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if ok {
        Ok(name)
    } else {
        Err(StoreError::Internal {
            what: "name a secret (names are lowercase letters, digits and -)",
        })
    }
}

/// The key a sign-in is stored under: the host of `account_url`, with the
/// port when it is not the scheme's default, lowercased.
/// `https://Acme.Worksection.com/` gives `acme.worksection.com`,
/// `http://127.0.0.1:8088` gives `127.0.0.1:8088`. A bare host is taken as
/// `https://` followed by it.
pub fn account_key(account_url: &str) -> Result<String, StoreError> {
    let trimmed = account_url.trim();
    if trimmed.is_empty() {
        return Err(StoreError::BadAccountUrl { why: "it is empty" });
    }
    let with_scheme;
    let text = if trimmed.contains("://") {
        trimmed
    } else {
        with_scheme = format!("https://{trimmed}");
        &with_scheme
    };
    // The URL itself is never echoed back: one typed by hand may carry a
    // password (`https://user:pass@host`).
    let url = url::Url::parse(text).map_err(|_| StoreError::BadAccountUrl {
        why: "it is not a URL",
    })?;
    if !matches!(url.scheme(), "https" | "http") {
        return Err(StoreError::BadAccountUrl {
            why: "it is neither https:// nor http://",
        });
    }
    let host = url
        .host_str()
        .filter(|h| !h.is_empty())
        .ok_or(StoreError::BadAccountUrl {
            why: "it has no host",
        })?
        .to_ascii_lowercase();
    // `Url` already drops a port that is the scheme's default.
    Ok(match url.port() {
        Some(port) => format!("{host}:{port}"),
        None => host,
    })
}

/// The key for an account named by the caller: an account URL goes through
/// [`account_key`]; a key (`host[:port]`, as [`BlockingStore::accounts`] gives
/// them) is only trimmed and lowercased, so it always finds itself.
pub(crate) fn normalize_account(account: &str) -> Result<String, StoreError> {
    let trimmed = account.trim();
    if trimmed.contains("://") {
        return account_key(trimmed);
    }
    let key = trimmed.trim_end_matches('/').to_ascii_lowercase();
    if key.is_empty() || key.contains(['/', ' ', '@', '?', '#']) {
        return Err(StoreError::BadAccountUrl {
            why: "it is not a host such as acme.worksection.com",
        });
    }
    Ok(key)
}

/// Accounts in the order [`BlockingStore::accounts`] promises: the default
/// first, then the others by name.
pub(crate) fn ordered_accounts<'a>(
    default: Option<&str>,
    keys: impl IntoIterator<Item = &'a String>,
) -> Vec<String> {
    let mut all: Vec<String> = keys.into_iter().cloned().collect();
    all.sort();
    all.dedup();
    if let Some(default) = default
        && let Some(at) = all.iter().position(|k| k == default)
    {
        let default = all.remove(at);
        all.insert(0, default);
    }
    all
}

/// Keeps the default pointing at a stored account: the first account saved
/// becomes the default, and when the default is deleted the first remaining
/// account by name takes over, so `/mcp` always has an account to serve
/// while any is stored.
pub(crate) fn settle_default<'a>(
    default: &mut Option<String>,
    keys: impl IntoIterator<Item = &'a String>,
) {
    let keys: Vec<&String> = keys.into_iter().collect();
    let still_there = default.as_ref().is_some_and(|d| keys.contains(&d));
    if !still_there {
        *default = keys.into_iter().min().cloned();
    }
}

/// Which store [`open`] picks (`TOKEN_STORE`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum StoreChoice {
    /// The encrypted file when one already exists, else the OS keychain
    /// when it works here, else a new encrypted file.
    #[default]
    Auto,
    Keyring,
    File,
}

impl FromStr for StoreChoice {
    type Err = StoreError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            // An empty value is what a `.env` template leaves behind.
            "" | "auto" => Ok(StoreChoice::Auto),
            "keyring" | "keychain" => Ok(StoreChoice::Keyring),
            "file" => Ok(StoreChoice::File),
            _ => Err(StoreError::BadChoice {
                given: s.chars().take(40).collect(),
            }),
        }
    }
}

impl fmt::Display for StoreChoice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            StoreChoice::Auto => "auto",
            StoreChoice::Keyring => "keyring",
            StoreChoice::File => "file",
        })
    }
}

/// The token store a setup chooses (`TOKEN_STORE`, `TOKEN_STORAGE_PATH`,
/// `TOKEN_ENCRYPTION_KEY`); `Debug` redacts the key.
#[derive(Debug, Clone)]
pub struct StoreSettings {
    pub choice: StoreChoice,
    pub path: Option<PathBuf>,
    pub key: Option<SecretString>,
}

impl StoreSettings {
    /// Opens the store these settings choose (see [`open`]), on tokio's
    /// blocking pool: probing the keychain can take seconds.
    pub async fn open(&self) -> Result<TokenStore, StoreError> {
        let (choice, path, key) = (self.choice, self.path.clone(), self.key.clone());
        let opened = TokenStore::off_runtime(move || open(choice, path, key)).await?;
        Ok(TokenStore::from(Arc::<dyn BlockingStore>::from(opened)))
    }
}

/// Opens the store the settings choose.
///
/// `file_path` (`TOKEN_STORAGE_PATH`) and `encryption_key`
/// (`TOKEN_ENCRYPTION_KEY`) matter only for the file store. Opening checks
/// what can be checked now (the key's form, that an existing file decrypts,
/// that the keychain answers), so a bad setting stops the server at start
/// rather than at the first token rotation.
///
/// `Auto` keeps using an existing token file, so sign-ins made while the
/// keychain was missing do not vanish once it appears; otherwise it probes
/// the keychain with a throwaway entry and falls back to a new file.
fn open(
    choice: StoreChoice,
    file_path: Option<PathBuf>,
    encryption_key: Option<SecretString>,
) -> Result<Box<dyn BlockingStore>, StoreError> {
    match choice {
        StoreChoice::Keyring => {
            if file_path.is_some() || encryption_key.is_some() {
                tracing::debug!(
                    "TOKEN_STORE=keyring: TOKEN_STORAGE_PATH and TOKEN_ENCRYPTION_KEY are not used"
                );
            }
            Ok(Box::new(KeyringStore::open()?))
        }
        StoreChoice::File => Ok(Box::new(FileStore::open(file_path, encryption_key)?)),
        StoreChoice::Auto => {
            let path = match file_path {
                Some(p) => Some(p),
                None => default_file_path().ok(),
            };
            if let Some(p) = &path
                && file::store_exists(p)
            {
                return Ok(Box::new(FileStore::open(path, encryption_key)?));
            }
            match KeyringStore::probe() {
                Ok(store) => Ok(Box::new(store)),
                Err(e) => {
                    tracing::info!(
                        "the OS keychain is not usable here, so sign-ins go to an encrypted file: {e}"
                    );
                    Ok(Box::new(FileStore::open(path, encryption_key)?))
                }
            }
        }
    }
}

/// Why the store could not do what was asked. Every message is one sentence
/// that ends in what to do, and none carries a token, key or secret.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    #[error(
        "TOKEN_STORE must be auto, keyring or file, not {given:?}; set it to one of those three."
    )]
    BadChoice { given: String },

    #[error(
        "The account address is not usable ({why}); give the address of the Worksection account, such as https://acme.worksection.com."
    )]
    BadAccountUrl { why: &'static str },

    #[error("No sign-in is stored for {account}; sign in to it first.")]
    UnknownAccount { account: String },

    #[error(
        "TOKEN_ENCRYPTION_KEY is not usable ({why}); give 64 hex characters, the base64 of 32 bytes, or a passphrase of at least 16 characters."
    )]
    BadKey { why: &'static str },

    #[error(
        "No data directory was found for this user; set TOKEN_STORAGE_PATH to the file that should hold the sign-ins."
    )]
    NoDataDir,

    #[error(
        "Could not {action} {} ({source}); check that this user may use that place, or set TOKEN_STORAGE_PATH to another file.",
        path.display()
    )]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    #[error(
        "The token file {} was written with another key ({hint}); set TOKEN_ENCRYPTION_KEY to the key it was written with, or delete the file and sign in again.",
        path.display()
    )]
    WrongKey { path: PathBuf, hint: &'static str },

    #[error(
        "The token file {} needs its key, but TOKEN_ENCRYPTION_KEY is not set and {} is missing; set TOKEN_ENCRYPTION_KEY or restore the key file, or delete the token file and sign in again.",
        path.display(), key_path.display()
    )]
    MissingKey { path: PathBuf, key_path: PathBuf },

    #[error(
        "The key file {} is damaged ({why}); restore it, or delete it together with the token file next to it and sign in again.",
        path.display()
    )]
    BadKeyFile { path: PathBuf, why: &'static str },

    #[error(
        "The token file {} is damaged ({why}); restore it from a backup, or delete it and sign in again.",
        path.display()
    )]
    Corrupt { path: PathBuf, why: String },

    #[error(
        "The token file {} was written by a newer worksection-mcp (format {version}); upgrade worksection-mcp, or delete the file and sign in again.",
        path.display()
    )]
    NewerFormat { path: PathBuf, version: u8 },

    #[error(
        "The OS keychain is not available here ({reason}); start and unlock it (on Linux a Secret Service such as GNOME Keyring or KWallet), or set TOKEN_STORE=file to keep sign-ins in an encrypted file instead."
    )]
    KeychainUnavailable { reason: String },

    #[error(
        "The OS keychain is locked or refused access ({reason}); unlock it and try again, or set TOKEN_STORE=file to keep sign-ins in an encrypted file instead."
    )]
    KeychainLocked { reason: String },

    #[error(
        "The OS keychain could not {action} ({reason}); try again, or set TOKEN_STORE=file to keep sign-ins in an encrypted file instead."
    )]
    Keychain {
        action: &'static str,
        reason: String,
    },

    #[error(
        "The sign-in is larger than the OS keychain allows in one entry ({limit} bytes); set TOKEN_STORE=file to keep sign-ins in an encrypted file instead."
    )]
    KeychainTooSmall { limit: u32 },

    #[error(
        "The keychain entry {what} is damaged ({why}); sign out of that account (or remove the entry in the keychain's own app), and sign in again."
    )]
    DamagedEntry { what: String, why: String },

    #[error("The system's random number generator failed ({reason}); try again.")]
    Random { reason: String },

    #[error(
        "The token store could not {what}; this is a bug in worksection-mcp, please report it."
    )]
    Internal { what: &'static str },
}

/// What a JSON parse error may show: its category and position. serde's
/// messages can quote the input (`invalid type: string "…"`), and the input
/// here holds tokens.
pub(crate) fn json_error_summary(e: &serde_json::Error) -> String {
    let kind = match e.classify() {
        serde_json::error::Category::Io => "unreadable",
        serde_json::error::Category::Syntax => "not valid JSON",
        serde_json::error::Category::Data => "not a sign-in record",
        serde_json::error::Category::Eof => "cut short",
    };
    format!("{kind} at line {} column {}", e.line(), e.column())
}

//! The encrypted-file token store: every sign-in in one file, for machines
//! without a usable OS keychain (servers, containers, CI).
//!
//! The file (`tokens.enc` in the user's data directory, or
//! `TOKEN_STORAGE_PATH`) holds the JSON of all accounts, sealed as
//! `crypto.rs` describes. Its key is `TOKEN_ENCRYPTION_KEY` when set, else a
//! random key the store generates once into `tokens.key` next to the file.
//! A key file beside the data protects against a copied or backed-up token
//! file, not against someone who can read the directory; set
//! `TOKEN_ENCRYPTION_KEY` from a secret manager to do better.
//!
//! How it stays whole:
//! - a write goes to a temporary file in the same directory, is fsynced,
//!   then renamed over the old file (and the directory fsynced), so a crash
//!   leaves the old set or the new one, never a mix;
//! - writes hold a lock (a mutex in process, an advisory lock on
//!   `tokens.enc.lock` across processes) around read-modify-write, so
//!   concurrent saves of different accounts all survive; reads need no lock,
//!   since the rename is atomic;
//! - a file that cannot be decrypted (wrong key, damaged, cut short) stops
//!   every write with an error: it is never silently replaced;
//! - on Unix the file and key are created 0600 and new directories 0700.

use std::collections::BTreeMap;
use std::fmt;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde::{Deserialize, Serialize};
use worksection::{ExposeSecret, SecretString};
use zeroize::Zeroizing;

use crate::private_file::{sync_dir, write_private};

use super::crypto::{self, DecodeError, Key, KeyOrigin, UserKey};
use super::{
    BlockingStore, StoreError, StoreKind, StoredSignIn, account_key, json_error_summary,
    normalize_account, ordered_accounts, secret_name, settle_default,
};

/// The file's name in the data directory; the key file and lock file take
/// their names from it.
const FILE_NAME: &str = "tokens.enc";

/// Where the token file goes when `TOKEN_STORAGE_PATH` is not set: the
/// user's data directory (`~/.local/share/worksection-mcp` on Linux,
/// `~/Library/Application Support/com.Worksection-MCP.worksection-mcp` on
/// macOS, `%APPDATA%\Worksection MCP\worksection-mcp\data` on Windows).
pub fn default_file_path() -> Result<PathBuf, StoreError> {
    directories::ProjectDirs::from("com", "Worksection MCP", "worksection-mcp")
        .map(|d| d.data_dir().join(FILE_NAME))
        .ok_or(StoreError::NoDataDir)
}

/// Whether a token file exists at `path` (or in it, for a directory).
pub(crate) fn store_exists(path: &Path) -> bool {
    resolve_path(path.to_path_buf()).is_file()
}

/// A directory given as `TOKEN_STORAGE_PATH` means the file in it.
fn resolve_path(path: PathBuf) -> PathBuf {
    if path.is_dir() {
        path.join(FILE_NAME)
    } else {
        path
    }
}

/// What the file holds once decrypted.
#[derive(Default, Serialize, Deserialize)]
struct Contents {
    #[serde(default)]
    default: Option<String>,
    #[serde(default)]
    accounts: BTreeMap<String, StoredSignIn>,
    /// Secrets kept beside the sign-ins ([`BlockingStore::save_secret`]).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    secrets: BTreeMap<String, String>,
}

/// Sign-ins in an encrypted file. See the module docs.
pub struct FileStore {
    path: PathBuf,
    key_path: PathBuf,
    lock_path: PathBuf,
    user_key: Option<UserKey>,
    /// The default location is ours alone, so its directory is tightened to
    /// 0700 even when something else created it; a directory the user
    /// named may be shared and is left as it is.
    own_dir: bool,
    writing: Mutex<()>,
    /// The last passphrase-derived key: Argon2id is slow on purpose, and
    /// the salt only changes when the file is first written.
    derived: Mutex<Option<(KeyOrigin, Key)>>,
}

impl fmt::Debug for FileStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let key = match &self.user_key {
            Some(UserKey::Raw(_)) => "TOKEN_ENCRYPTION_KEY (32-byte key)",
            Some(UserKey::Passphrase(_)) => "TOKEN_ENCRYPTION_KEY (passphrase)",
            None => "key file",
        };
        f.debug_struct("FileStore")
            .field("path", &self.path)
            .field("key", &key)
            .finish_non_exhaustive()
    }
}

impl FileStore {
    /// Opens the store at `path` (default: [`default_file_path`]) with
    /// `encryption_key` (`TOKEN_ENCRYPTION_KEY`; without it, `tokens.key`
    /// next to the file). An existing file is decrypted once here, so a
    /// wrong key shows at start.
    pub fn open(
        path: Option<PathBuf>,
        encryption_key: Option<SecretString>,
    ) -> Result<Self, StoreError> {
        let own_dir = path.is_none();
        let path = match path {
            Some(p) => resolve_path(p),
            None => default_file_path()?,
        };
        let user_key = encryption_key
            .as_ref()
            .map(|k| UserKey::parse(k.expose_secret()))
            .transpose()?;
        let store = Self {
            key_path: sibling(&path, "key"),
            lock_path: sibling(&path, "lock"),
            path,
            user_key,
            own_dir,
            writing: Mutex::new(()),
            derived: Mutex::new(None),
        };
        store.read()?;
        Ok(store)
    }

    /// The token file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The decrypted contents, and how the key was made (so a rewrite keeps
    /// the passphrase salt). A missing file is an empty store.
    fn read(&self) -> Result<(Contents, Option<KeyOrigin>), StoreError> {
        let bytes = match fs::read(&self.path) {
            Ok(b) => b,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                return Ok((Contents::default(), None));
            }
            Err(e) => return Err(self.io("read", &self.path, e)),
        };
        let header = crypto::parse_header(&bytes).map_err(|e| self.decode_error(e))?;
        let key = self.key_for_reading(&header.origin)?;
        let plain = crypto::open_sealed(&bytes, &header, &key).map_err(|e| self.decode_error(e))?;
        let contents: Contents =
            serde_json::from_slice(&plain).map_err(|e| StoreError::Corrupt {
                path: self.path.clone(),
                why: format!("its contents are {}", json_error_summary(&e)),
            })?;
        Ok((contents, Some(header.origin)))
    }

    /// Reads, lets `change` edit, and writes back when it says it changed
    /// something, all under the write lock.
    fn update<R>(
        &self,
        change: impl FnOnce(&mut Contents) -> Result<(R, bool), StoreError>,
    ) -> Result<R, StoreError> {
        // The guarded data is `()`, so a panic elsewhere cannot have left
        // it half-changed: a poisoned lock is still good to use.
        let _in_process = self.writing.lock().unwrap_or_else(|p| p.into_inner());
        self.ensure_dir()?;
        let _across_processes = self.lock_file()?;
        let (mut contents, origin) = self.read()?;
        let (result, changed) = change(&mut contents)?;
        if changed {
            self.write(&contents, origin)?;
        }
        Ok(result)
    }

    fn write(&self, contents: &Contents, origin: Option<KeyOrigin>) -> Result<(), StoreError> {
        let (origin, key) = self.key_for_writing(origin)?;
        let plain =
            Zeroizing::new(
                serde_json::to_vec(contents).map_err(|_| StoreError::Internal {
                    what: "encode the sign-ins",
                })?,
            );
        let sealed = crypto::seal(&key, &origin, &plain)?;
        self.write_atomically(&self.path, &sealed)
    }

    fn key_for_reading(&self, origin: &KeyOrigin) -> Result<Key, StoreError> {
        match (&self.user_key, origin) {
            (Some(UserKey::Raw(key)), KeyOrigin::Raw) => Ok(key.clone()),
            (Some(UserKey::Passphrase(p)), KeyOrigin::Argon2id { .. }) => {
                self.derive(p.expose_secret(), origin)
            }
            (Some(UserKey::Raw(_)), KeyOrigin::Argon2id { .. }) => Err(StoreError::WrongKey {
                path: self.path.clone(),
                hint: "it was written with a passphrase, and TOKEN_ENCRYPTION_KEY now holds a 32-byte key",
            }),
            (Some(UserKey::Passphrase(_)), KeyOrigin::Raw) => Err(StoreError::WrongKey {
                path: self.path.clone(),
                hint: "it was written with a 32-byte key, and TOKEN_ENCRYPTION_KEY now holds a passphrase",
            }),
            (None, KeyOrigin::Argon2id { .. }) => Err(StoreError::WrongKey {
                path: self.path.clone(),
                hint: "it was written with a passphrase, and TOKEN_ENCRYPTION_KEY is not set",
            }),
            (None, KeyOrigin::Raw) => self.read_key_file()?.ok_or_else(|| StoreError::MissingKey {
                path: self.path.clone(),
                key_path: self.key_path.clone(),
            }),
        }
    }

    /// The key to write with. A passphrase keeps the salt of the file it
    /// rewrites; without `TOKEN_ENCRYPTION_KEY` the key file is made on the
    /// first write.
    fn key_for_writing(&self, previous: Option<KeyOrigin>) -> Result<(KeyOrigin, Key), StoreError> {
        match &self.user_key {
            Some(UserKey::Raw(key)) => Ok((KeyOrigin::Raw, key.clone())),
            Some(UserKey::Passphrase(p)) => {
                let origin = match previous {
                    Some(o @ KeyOrigin::Argon2id { .. }) => o,
                    _ => KeyOrigin::new_argon2id()?,
                };
                let key = self.derive(p.expose_secret(), &origin)?;
                Ok((origin, key))
            }
            None => Ok((KeyOrigin::Raw, self.key_file_for_writing()?)),
        }
    }

    fn derive(&self, passphrase: &str, origin: &KeyOrigin) -> Result<Key, StoreError> {
        let mut cache = self.derived.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((cached_origin, key)) = cache.as_ref()
            && cached_origin == origin
        {
            return Ok(key.clone());
        }
        let key = origin
            .derive(passphrase)
            .map_err(|e| self.decode_error(e))?;
        *cache = Some((origin.clone(), key.clone()));
        Ok(key)
    }

    /// The generated key, if its file exists.
    fn read_key_file(&self) -> Result<Option<Key>, StoreError> {
        let text = match fs::read_to_string(&self.key_path) {
            Ok(t) => Zeroizing::new(t),
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) if e.kind() == io::ErrorKind::InvalidData => {
                return Err(StoreError::BadKeyFile {
                    path: self.key_path.clone(),
                    why: "it is not text",
                });
            }
            Err(e) => return Err(self.io("read", &self.key_path, e)),
        };
        Key::from_hex(&text)
            .map(Some)
            .ok_or_else(|| StoreError::BadKeyFile {
                path: self.key_path.clone(),
                why: "it does not hold 64 hex characters",
            })
    }

    /// Reads the key file, or makes one. Called under the write lock, after
    /// the token file was read, so a damaged key file here belongs to no
    /// token file (a crash while making it): it is replaced.
    fn key_file_for_writing(&self) -> Result<Key, StoreError> {
        match self.read_key_file() {
            Ok(Some(key)) => return Ok(key),
            Ok(None) => {}
            Err(StoreError::BadKeyFile { .. }) if !self.path.exists() => {
                fs::remove_file(&self.key_path)
                    .map_err(|e| self.io("replace", &self.key_path, e))?;
            }
            Err(e) => return Err(e),
        }
        let key = Key::random()?;
        let mut text = key.to_hex();
        text.push('\n');
        // `create_new`: never overwrite a key some token file may need.
        let mut file = private_file()
            .create_new(true)
            .open(&self.key_path)
            .map_err(|e| self.io("create", &self.key_path, e))?;
        file.write_all(text.as_bytes())
            .and_then(|()| file.sync_all())
            .map_err(|e| self.io("write", &self.key_path, e))?;
        sync_dir(self.dir());
        Ok(key)
    }

    /// Writes `bytes` to `path` through a temporary file and a rename.
    fn write_atomically(&self, path: &Path, bytes: &[u8]) -> Result<(), StoreError> {
        write_private(path, bytes).map_err(|e| self.io("write", path, e))
    }

    /// Holds the cross-process lock until the returned file is dropped.
    fn lock_file(&self) -> Result<File, StoreError> {
        let file = private_file()
            .create(true)
            .truncate(false)
            .open(&self.lock_path)
            .map_err(|e| self.io("open", &self.lock_path, e))?;
        // Called through the trait: std's own `File::lock` is newer than
        // this crate's minimum Rust.
        fs4::FileExt::lock(&file).map_err(|e| self.io("lock", &self.lock_path, e))?;
        Ok(file)
    }

    fn dir(&self) -> &Path {
        self.path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."))
    }

    fn ensure_dir(&self) -> Result<(), StoreError> {
        let dir = self.dir();
        if !dir.exists() {
            let mut builder = fs::DirBuilder::new();
            builder.recursive(true);
            #[cfg(unix)]
            std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
            builder
                .create(dir)
                .map_err(|e| self.io("create the directory", dir, e))?;
        } else if self.own_dir {
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                let meta = fs::metadata(dir).map_err(|e| self.io("inspect", dir, e))?;
                if meta.permissions().mode() & 0o077 != 0 {
                    fs::set_permissions(dir, fs::Permissions::from_mode(0o700))
                        .map_err(|e| self.io("restrict access to", dir, e))?;
                }
            }
        }
        Ok(())
    }

    fn io(&self, action: &'static str, path: &Path, source: io::Error) -> StoreError {
        StoreError::Io {
            action,
            path: path.to_path_buf(),
            source,
        }
    }

    fn decode_error(&self, e: DecodeError) -> StoreError {
        let path = self.path.clone();
        match e {
            DecodeError::Damaged(why) => StoreError::Corrupt {
                path,
                why: why.to_owned(),
            },
            DecodeError::NewerFormat(version) => StoreError::NewerFormat { path, version },
            DecodeError::WrongKey => StoreError::WrongKey {
                path,
                hint: "the key does not match the one it was written with",
            },
        }
    }
}

impl BlockingStore for FileStore {
    fn kind(&self) -> StoreKind {
        StoreKind::File
    }

    fn load(&self, account: &str) -> Result<Option<StoredSignIn>, StoreError> {
        let key = normalize_account(account)?;
        let (mut contents, _) = self.read()?;
        Ok(contents.accounts.remove(&key))
    }

    fn save(&self, sign_in: &StoredSignIn) -> Result<(), StoreError> {
        let key = account_key(&sign_in.account_url)?;
        self.update(|c| {
            c.accounts.insert(key, sign_in.clone());
            settle_default(&mut c.default, c.accounts.keys());
            Ok(((), true))
        })
    }

    fn delete(&self, account: &str) -> Result<bool, StoreError> {
        let key = normalize_account(account)?;
        // Nothing to write when nothing is stored: a delete on a fresh
        // machine must not create files.
        if !self.path.exists() {
            return Ok(false);
        }
        self.update(|c| {
            let had = c.accounts.remove(&key).is_some();
            settle_default(&mut c.default, c.accounts.keys());
            Ok((had, had))
        })
    }

    fn accounts(&self) -> Result<Vec<String>, StoreError> {
        let (contents, _) = self.read()?;
        Ok(ordered_accounts(
            contents.default.as_deref(),
            contents.accounts.keys(),
        ))
    }

    fn set_default(&self, account: &str) -> Result<(), StoreError> {
        let key = normalize_account(account)?;
        if !self.path.exists() {
            return Err(StoreError::UnknownAccount { account: key });
        }
        self.update(|c| {
            if !c.accounts.contains_key(&key) {
                return Err(StoreError::UnknownAccount { account: key });
            }
            let changed = c.default.as_deref() != Some(key.as_str());
            c.default = Some(key);
            Ok(((), changed))
        })
    }

    fn load_secret(&self, name: &str) -> Result<Option<SecretString>, StoreError> {
        self.secret(name)
    }

    fn save_secret(&self, name: &str, value: &SecretString) -> Result<(), StoreError> {
        let name = secret_name(name)?;
        self.update(|c| {
            // Into the contents that are sealed and written next.
            c.secrets
                .insert(name.to_owned(), value.expose_secret().to_owned());
            Ok(((), true))
        })
    }

    fn delete_secret(&self, name: &str) -> Result<bool, StoreError> {
        let name = secret_name(name)?;
        if !self.path.exists() {
            return Ok(false);
        }
        self.update(|c| {
            let had = c.secrets.remove(name).is_some();
            Ok((had, had))
        })
    }
}

impl FileStore {
    fn secret(&self, name: &str) -> Result<Option<SecretString>, StoreError> {
        let name = secret_name(name)?;
        let (mut contents, _) = self.read()?;
        Ok(contents.secrets.remove(name).map(SecretString::from))
    }
}

/// `tokens.enc` → `tokens.key`, `tokens.enc.lock`.
fn sibling(path: &Path, what: &str) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| FILE_NAME.to_owned());
    let sibling = match what {
        "key" => match name.strip_suffix(".enc") {
            Some(stem) => format!("{stem}.key"),
            None => format!("{name}.key"),
        },
        other => format!("{name}.{other}"),
    };
    path.with_file_name(sibling)
}

/// Options for a file only this user may read (0600 on Unix).
fn private_file() -> OpenOptions {
    let mut options = OpenOptions::new();
    options.write(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options
}

//! [`TokenStore`]: the token store as every caller uses it, async.
//!
//! The stores themselves block ([`BlockingStore`]): the keychain answers
//! over D-Bus (or the OS's own API) and the file store derives its key and
//! writes to disk. Each call here runs one of those on tokio's blocking
//! pool and waits for it without holding a runtime thread, so a store that
//! is slow to answer (a keychain asking to be unlocked) never stalls the
//! server or the desktop app's other work. It needs a tokio runtime.

use std::fmt;
use std::sync::Arc;

use worksection::SecretString;

use super::{BlockingStore, FileStore, KeyringStore, StoreError, StoreKind, StoredSignIn};

/// Where sign-ins (and the secrets kept beside them) are kept: the OS
/// keychain or the encrypted file, whichever [`super::StoreSettings::open`]
/// chose. Cheap to clone; clones share the store.
#[derive(Clone)]
pub struct TokenStore {
    inner: Arc<dyn BlockingStore>,
}

impl fmt::Debug for TokenStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.inner.fmt(f)
    }
}

impl From<Arc<dyn BlockingStore>> for TokenStore {
    fn from(inner: Arc<dyn BlockingStore>) -> Self {
        Self { inner }
    }
}

impl From<FileStore> for TokenStore {
    fn from(store: FileStore) -> Self {
        Self {
            inner: Arc::new(store),
        }
    }
}

impl From<KeyringStore> for TokenStore {
    fn from(store: KeyringStore) -> Self {
        Self {
            inner: Arc::new(store),
        }
    }
}

impl TokenStore {
    /// Runs `work` on tokio's blocking pool. A call that panicked (a bug)
    /// is answered as an error rather than taking the caller down.
    pub(super) async fn off_runtime<T: Send + 'static>(
        work: impl FnOnce() -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        tokio::task::spawn_blocking(work)
            .await
            .unwrap_or(Err(StoreError::Internal {
                what: "finish reading or writing the sign-ins (the call stopped half-way)",
            }))
    }

    async fn call<T: Send + 'static>(
        &self,
        work: impl FnOnce(&dyn BlockingStore) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        let store = self.inner.clone();
        Self::off_runtime(move || work(store.as_ref())).await
    }

    pub fn kind(&self) -> StoreKind {
        self.inner.kind()
    }

    /// The sign-in of `account` (a host such as `acme.worksection.com` or
    /// `127.0.0.1:8088`; an account URL works too), if one is stored.
    pub async fn load(&self, account: &str) -> Result<Option<StoredSignIn>, StoreError> {
        let account = account.to_owned();
        self.call(move |s| s.load(&account)).await
    }

    /// Stores `sign_in` under the host of its `account_url`, replacing what
    /// was there. The first account saved becomes the default.
    pub async fn save(&self, sign_in: &StoredSignIn) -> Result<(), StoreError> {
        let sign_in = sign_in.clone();
        self.call(move |s| s.save(&sign_in)).await
    }

    /// Forgets `account`; `false` when nothing was stored for it. When the
    /// default goes, the first remaining account (by name) takes its place.
    pub async fn delete(&self, account: &str) -> Result<bool, StoreError> {
        let account = account.to_owned();
        self.call(move |s| s.delete(&account)).await
    }

    /// Hosts with a stored sign-in: the default first, then by name.
    pub async fn accounts(&self) -> Result<Vec<String>, StoreError> {
        self.call(|s| s.accounts()).await
    }

    /// Makes `account`, which must have a stored sign-in, the one served
    /// at `/mcp`.
    pub async fn set_default(&self, account: &str) -> Result<(), StoreError> {
        let account = account.to_owned();
        self.call(move |s| s.set_default(&account)).await
    }

    /// A secret kept beside the sign-ins under `name` (lowercase letters,
    /// digits and `-`): the desktop app's own OAuth2 app or an admin API
    /// key, as the caller encoded them.
    pub async fn load_secret(&self, name: &str) -> Result<Option<SecretString>, StoreError> {
        let name = name.to_owned();
        self.call(move |s| s.load_secret(&name)).await
    }

    /// Keeps `value` under `name`, replacing what was there.
    pub async fn save_secret(&self, name: &str, value: &SecretString) -> Result<(), StoreError> {
        let (name, value) = (name.to_owned(), value.clone());
        self.call(move |s| s.save_secret(&name, &value)).await
    }

    /// Forgets the secret `name`; `false` when there was none.
    pub async fn delete_secret(&self, name: &str) -> Result<bool, StoreError> {
        let name = name.to_owned();
        self.call(move |s| s.delete_secret(&name)).await
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;
    use std::sync::mpsc;
    use std::time::Duration;

    use super::*;

    /// A store whose `accounts` blocks its thread until told to answer.
    #[derive(Debug)]
    struct Slow {
        go: Mutex<mpsc::Receiver<()>>,
    }

    impl BlockingStore for Slow {
        fn kind(&self) -> StoreKind {
            StoreKind::File
        }
        fn load(&self, _: &str) -> Result<Option<StoredSignIn>, StoreError> {
            Ok(None)
        }
        fn save(&self, _: &StoredSignIn) -> Result<(), StoreError> {
            Ok(())
        }
        fn delete(&self, _: &str) -> Result<bool, StoreError> {
            Ok(false)
        }
        fn accounts(&self) -> Result<Vec<String>, StoreError> {
            let go = self.go.lock().unwrap_or_else(|p| p.into_inner());
            go.recv_timeout(Duration::from_secs(10))
                .map_err(|_| StoreError::Internal { what: "be told" })?;
            Ok(vec!["acme.worksection.com".into()])
        }
        fn set_default(&self, _: &str) -> Result<(), StoreError> {
            Ok(())
        }
        fn load_secret(&self, _: &str) -> Result<Option<SecretString>, StoreError> {
            Ok(None)
        }
        fn save_secret(&self, _: &str, _: &SecretString) -> Result<(), StoreError> {
            Ok(())
        }
        fn delete_secret(&self, _: &str) -> Result<bool, StoreError> {
            Ok(false)
        }
    }

    /// On a runtime with one thread, a store call that blocks its thread
    /// leaves that thread free: another task on it gets to run (and here
    /// is the one that lets the store answer).
    #[tokio::test(flavor = "current_thread")]
    async fn a_blocking_store_never_holds_the_runtimes_thread() {
        let (tx, rx) = mpsc::channel();
        let store =
            TokenStore::from(Arc::new(Slow { go: Mutex::new(rx) }) as Arc<dyn BlockingStore>);
        let asking = tokio::spawn({
            let store = store.clone();
            async move { store.accounts().await }
        });
        // Runs only if the runtime's one thread is free.
        tokio::task::yield_now().await;
        tx.send(()).expect("the store waits");
        let accounts = tokio::time::timeout(Duration::from_secs(20), asking)
            .await
            .expect("answered")
            .expect("the task ended")
            .expect("accounts");
        assert_eq!(accounts, ["acme.worksection.com"]);
        assert_eq!(store.kind(), StoreKind::File);
    }

    #[tokio::test]
    async fn a_call_that_panics_is_an_error_not_a_crash() {
        let err = TokenStore::off_runtime::<()>(|| panic!("a bug in a store"))
            .await
            .expect_err("an error");
        assert!(matches!(err, StoreError::Internal { .. }), "{err}");
        assert!(err.to_string().contains("please report it"), "{err}");
    }
}

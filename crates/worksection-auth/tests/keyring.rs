//! The OS-keychain token store against a real keychain.
//!
//! The unit tests of `token_store` cover the file store; the keychain store
//! needs a running Secret Service, which a developer's desktop has and CI
//! usually does not. So the tests that touch one run only with
//! `WS_KEYRING_TEST=1`, and `scripts/keyring-test` provides a throwaway one:
//! it starts GNOME Keyring, unlocked with a random password, inside a
//! private D-Bus session, and runs this file. Without the variable those
//! tests return at once with a note.
//!
//! One test needs no keychain and always runs on Linux and BSD: with the
//! D-Bus address pointing nowhere, the store must answer with its clear
//! "keychain unavailable" error (and `auto` must fall back to the file).
//! It runs in a child process, because the keyring crate sets up its
//! platform store once per process.
//!
//! Accounts here have made-up hosts with the process id in them, and each
//! test removes what it saved and puts the default back, so running this
//! against a real login keyring leaves it as it was.

use chrono::Utc;
use worksection::auth::TokenSet;
use worksection::{ExposeSecret, SecretString};
use worksection_auth::{
    BlockingStore as _, KeyringStore, StoreChoice, StoreError, StoreKind, StoreSettings,
    StoredSignIn, TokenStore,
};

async fn open(
    choice: StoreChoice,
    path: Option<std::path::PathBuf>,
) -> Result<TokenStore, StoreError> {
    StoreSettings {
        choice,
        path,
        key: None,
    }
    .open()
    .await
}

/// Every test shares the keychain's one list of accounts.
static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

fn enabled(test: &str) -> bool {
    if std::env::var("WS_KEYRING_TEST").as_deref() == Ok("1") {
        return true;
    }
    eprintln!(
        "note: {test} skipped: it needs a real Secret Service; run scripts/keyring-test, or set WS_KEYRING_TEST=1 where one is unlocked"
    );
    false
}

fn host(name: &str) -> String {
    format!("ws-keyring-test-{}-{name}.example", std::process::id())
}

fn sign_in(host: &str, tag: &str) -> StoredSignIn {
    let url = format!("https://{host}");
    StoredSignIn {
        account_url: url.clone(),
        user_id: "7".into(),
        user_name: "Keyring Test".into(),
        user_email: "keyring@example.com".into(),
        tokens: TokenSet {
            access_token: SecretString::from(format!("ACCESS-{tag}")),
            refresh_token: Some(SecretString::from(format!("REFRESH-{tag}"))),
            expires_at: Some(Utc::now()),
            account_url: Some(url),
            scopes: vec!["projects_read".into()],
            expires_in: None,
        },
        saved_at: Utc::now(),
    }
}

/// The default before a test, put back after it.
async fn restore_default(store: &TokenStore, default: Option<&String>) {
    if let Some(default) = default {
        store
            .set_default(default)
            .await
            .expect("restore the default");
    }
}

#[tokio::test]
async fn roundtrip_index_and_delete() {
    if !enabled("roundtrip_index_and_delete") {
        return;
    }
    let _serial = SERIAL.lock().await;
    let store = open(StoreChoice::Keyring, None)
        .await
        .expect("open the keychain");
    assert_eq!(store.kind(), StoreKind::Keyring);
    let before = store.accounts().await.expect("accounts");
    let (a, b) = (host("a"), host("b"));

    assert!(store.load(&a).await.expect("load").is_none());
    let saved = sign_in(&a, "a1");
    store.save(&saved).await.expect("save a");
    let loaded = store.load(&a).await.expect("load a").expect("a is stored");
    // Every field of the tokens, the secrets included, as the store keeps them.
    let kept = |t: &TokenSet| serde_json::to_value(t).expect("json");
    assert_eq!(kept(&loaded.tokens), kept(&saved.tokens));
    assert_eq!(loaded.user_email, saved.user_email);
    // By URL and in other case too.
    assert!(
        store
            .load(&format!("https://{}/", a.to_uppercase()))
            .await
            .expect("load by URL")
            .is_some()
    );

    // Saving again replaces the entry and lists the account once.
    let mut rotated = saved.clone();
    rotated.tokens.access_token = SecretString::from("ACCESS-a2");
    store.save(&rotated).await.expect("save a again");
    let loaded = store.load(&a).await.expect("load a").expect("a is stored");
    assert_eq!(loaded.tokens.access_token.expose_secret(), "ACCESS-a2");

    store.save(&sign_in(&b, "b1")).await.expect("save b");
    let accounts = store.accounts().await.expect("accounts");
    assert_eq!(
        accounts.iter().filter(|k| **k == a).count(),
        1,
        "{accounts:?}"
    );
    assert!(accounts.contains(&b), "{accounts:?}");
    if before.is_empty() {
        // The first account saved is the default.
        assert_eq!(accounts[0], a);
    }

    // The index is in the keychain: another store (another run) sees it.
    let other = KeyringStore::open().expect("open again");
    assert_eq!(other.accounts().expect("accounts"), accounts);

    store.set_default(&b).await.expect("set default");
    assert_eq!(store.accounts().await.expect("accounts")[0], b);
    let err = store
        .set_default(&host("never-saved"))
        .await
        .expect_err("an unknown account cannot be the default");
    assert!(matches!(err, StoreError::UnknownAccount { .. }), "{err}");

    // Deleting the default hands it on.
    assert!(store.delete(&b).await.expect("delete b"));
    assert!(!store.delete(&b).await.expect("delete b again"));
    assert!(store.load(&b).await.expect("load b").is_none());
    let accounts = store.accounts().await.expect("accounts");
    assert!(!accounts.contains(&b), "{accounts:?}");
    assert!(
        !accounts.is_empty() && accounts.contains(&a),
        "{accounts:?}"
    );

    assert!(store.delete(&a).await.expect("delete a"));
    assert!(store.load(&a).await.expect("load a").is_none());
    restore_default(&store, before.first()).await;
    assert_eq!(store.accounts().await.expect("accounts"), before);
}

#[tokio::test]
async fn open_keyring_and_auto() {
    if !enabled("open_keyring_and_auto") {
        return;
    }
    let _serial = SERIAL.lock().await;
    let store = open(StoreChoice::Keyring, None)
        .await
        .expect("open the keychain");
    assert_eq!(store.kind(), StoreKind::Keyring);
    assert!(format!("{store:?}").contains("worksection-mcp"));

    // With no token file yet, auto probes the keychain and takes it.
    let dir = tempfile::tempdir().expect("tempdir");
    let auto = open(StoreChoice::Auto, Some(dir.path().join("tokens.enc")))
        .await
        .expect("open auto");
    assert_eq!(auto.kind(), StoreKind::Keyring);
    // The probe left nothing behind, not even a file.
    assert!(!dir.path().join("tokens.enc").exists());
    assert!(!dir.path().join("tokens.key").exists());
}

#[test]
fn a_damaged_entry_gives_a_clear_error() {
    if !enabled("a_damaged_entry_gives_a_clear_error") {
        return;
    }
    let _serial = SERIAL.blocking_lock();
    let store = KeyringStore::open().expect("open the keychain");
    let broken = host("broken");
    let entry = keyring::Entry::new("worksection-mcp", &broken).expect("entry");
    entry
        .set_secret(b"{\"access_token\": \"ACCESS-not-a-sign-in\"")
        .expect("write junk");
    let err = store.load(&broken).expect_err("junk is not a sign-in");
    let message = err.to_string();
    assert!(matches!(err, StoreError::DamagedEntry { .. }), "{message}");
    assert!(!message.contains("ACCESS-not"), "{message}");
    assert!(message.contains("sign in again"), "{message}");
    assert!(store.delete(&broken).expect("delete"));
}

/// With no D-Bus to reach, the keychain store must say so clearly.
#[cfg(all(
    unix,
    not(any(target_os = "macos", target_os = "ios", target_os = "android"))
))]
#[test]
fn keychain_unavailable_gives_a_clear_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let exe = std::env::current_exe().expect("test binary");
    let output = std::process::Command::new(exe)
        .args([
            "--exact",
            "unavailable_child",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("WS_KEYRING_CHILD", dir.path())
        .env(
            "DBUS_SESSION_BUS_ADDRESS",
            format!("unix:path={}", dir.path().join("no-bus-here").display()),
        )
        .env_remove("WS_KEYRING_TEST")
        .output()
        .expect("run the child");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success() && stdout.contains("1 passed"),
        "child failed:\n{stdout}\n{stderr}"
    );
    assert!(stdout.contains("CHILD-CHECKED"), "{stdout}");
}

/// The child's half of `keychain_unavailable_gives_a_clear_error`; does
/// nothing when run on its own.
#[tokio::test]
async fn unavailable_child() {
    let Some(dir) = std::env::var_os("WS_KEYRING_CHILD") else {
        return;
    };
    let dir = std::path::PathBuf::from(dir);

    let err = open(StoreChoice::Keyring, None)
        .await
        .expect_err("no keychain here");
    let message = err.to_string();
    assert!(
        matches!(err, StoreError::KeychainUnavailable { .. }),
        "{message}"
    );
    assert!(message.contains("TOKEN_STORE=file"), "{message}");
    assert!(
        message.starts_with("The OS keychain is not available here"),
        "{message}"
    );
    let err = KeyringStore::probe().expect_err("no keychain here");
    assert!(
        matches!(err, StoreError::KeychainUnavailable { .. }),
        "{err}"
    );

    // Auto falls back to the encrypted file.
    let auto = StoreSettings {
        choice: StoreChoice::Auto,
        path: Some(dir.join("tokens.enc")),
        key: Some("a passphrase for this test only".into()),
    }
    .open()
    .await
    .expect("auto falls back");
    assert_eq!(auto.kind(), StoreKind::File);
    println!("CHILD-CHECKED: {message}");
}

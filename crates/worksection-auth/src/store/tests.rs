//! Tests of the token store's shared parts and of the file store, which
//! needs nothing but a temporary directory. The keychain store is tested
//! against a real Secret Service in `tests/token_store_keyring.rs`.

use std::path::Path;
use std::sync::Arc;

use base64::Engine as _;
use chrono::{TimeZone, Utc};
use worksection::auth::TokenSet;
use worksection::{ExposeSecret, SecretString};

use super::*;

const HEX_KEY: &str = "8f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0";

fn sign_in(account_url: &str, tag: &str) -> StoredSignIn {
    StoredSignIn {
        account_url: account_url.to_owned(),
        user_id: "42".into(),
        user_name: "Ada Lovelace".into(),
        user_email: "ada@example.com".into(),
        tokens: TokenSet {
            access_token: SecretString::from(format!("ACCESS-{tag}-7d1f0c")),
            refresh_token: Some(SecretString::from(format!("REFRESH-{tag}-99e2a1"))),
            expires_at: Some(
                Utc.with_ymd_and_hms(2030, 1, 2, 3, 4, 5)
                    .single()
                    .expect("date"),
            ),
            account_url: Some(account_url.to_owned()),
            scopes: vec!["projects_read".into(), "tasks_write".into()],
            expires_in: None,
        },
        saved_at: Utc
            .with_ymd_and_hms(2025, 6, 7, 8, 9, 10)
            .single()
            .expect("date"),
    }
}

fn store_at(dir: &Path, key: Option<&str>) -> FileStore {
    FileStore::open(Some(dir.join("tokens.enc")), key.map(SecretString::from)).expect("open")
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}

#[test]
fn account_keys() {
    let ok = |url: &str, want: &str| assert_eq!(account_key(url).expect(url), want, "{url}");
    ok("https://acme.worksection.com", "acme.worksection.com");
    ok("https://Acme.WorkSection.com/", "acme.worksection.com");
    ok(
        "https://acme.worksection.com:443/project/1/",
        "acme.worksection.com",
    );
    ok("http://127.0.0.1:8088", "127.0.0.1:8088");
    ok("http://localhost:80", "localhost");
    ok("acme.worksection.com", "acme.worksection.com");
    ok(
        "  https://user:pass@acme.worksection.com ",
        "acme.worksection.com",
    );
    for bad in [
        "",
        "   ",
        "ftp://acme.worksection.com",
        "https://",
        "not a url at all",
    ] {
        let err = account_key(bad).expect_err(bad);
        assert!(
            matches!(err, StoreError::BadAccountUrl { .. }),
            "{bad}: {err}"
        );
    }
    let err = account_key("ftp://user:hunter2@x").expect_err("ftp");
    assert!(!err.to_string().contains("hunter2"));
    assert_eq!(
        normalize_account(" ACME.worksection.com/ ").expect("key"),
        "acme.worksection.com"
    );
    assert_eq!(
        normalize_account("127.0.0.1:8088").expect("key"),
        "127.0.0.1:8088"
    );
    assert_eq!(
        normalize_account("https://acme.worksection.com/").expect("key"),
        "acme.worksection.com"
    );
}

#[test]
fn store_choice_from_str() {
    assert_eq!(
        "auto".parse::<StoreChoice>().expect("auto"),
        StoreChoice::Auto
    );
    assert_eq!(
        " Keyring ".parse::<StoreChoice>().expect("keyring"),
        StoreChoice::Keyring
    );
    assert_eq!(
        "FILE".parse::<StoreChoice>().expect("file"),
        StoreChoice::File
    );
    assert_eq!("".parse::<StoreChoice>().expect("empty"), StoreChoice::Auto);
    let err = "vault".parse::<StoreChoice>().expect_err("vault");
    assert_eq!(
        err.to_string(),
        "TOKEN_STORE must be auto, keyring or file, not \"vault\"; set it to one of those three."
    );
}

#[test]
fn debug_never_shows_tokens() {
    let s = sign_in("https://acme.worksection.com", "dbg");
    let shown = format!("{s:?}");
    assert!(!shown.contains("ACCESS-dbg"), "{shown}");
    assert!(!shown.contains("REFRESH-dbg"), "{shown}");
    assert!(shown.contains("acme.worksection.com"));
    let dir = tempfile::tempdir().expect("tempdir");
    let store = store_at(dir.path(), Some("a passphrase that is long enough"));
    let shown = format!("{store:?}");
    assert!(!shown.contains("passphrase that"), "{shown}");
}

#[test]
fn roundtrip() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = store_at(dir.path(), None);
    assert_eq!(store.kind(), StoreKind::File);
    assert!(store.accounts().expect("accounts").is_empty());
    assert!(store.load("acme.worksection.com").expect("load").is_none());

    let saved = sign_in("https://acme.worksection.com", "one");
    store.save(&saved).expect("save");
    let loaded = store
        .load("acme.worksection.com")
        .expect("load")
        .expect("stored");
    // Every field of the tokens, the secrets included, as the store keeps them.
    let kept = |t: &TokenSet| serde_json::to_value(t).expect("json");
    assert_eq!(kept(&loaded.tokens), kept(&saved.tokens));
    assert_eq!(loaded.account_url, saved.account_url);
    assert_eq!(loaded.user_email, saved.user_email);
    assert_eq!(loaded.saved_at, saved.saved_at);
    // The same account by URL and in other case.
    assert!(
        store
            .load("https://ACME.worksection.com/")
            .expect("load")
            .is_some()
    );

    // A second store on the same file (another run) sees it.
    let again = store_at(dir.path(), None);
    assert_eq!(
        again.accounts().expect("accounts"),
        ["acme.worksection.com"]
    );

    // Saving again replaces.
    let mut newer = saved.clone();
    newer.tokens.access_token = SecretString::from("ACCESS-rotated");
    store.save(&newer).expect("save");
    let loaded = again
        .load("acme.worksection.com")
        .expect("load")
        .expect("stored");
    assert_eq!(loaded.tokens.access_token.expose_secret(), "ACCESS-rotated");
    assert_eq!(again.accounts().expect("accounts").len(), 1);
}

#[test]
fn two_accounts_and_the_default() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = store_at(dir.path(), Some(HEX_KEY));
    store
        .save(&sign_in("https://zeta.worksection.com", "z"))
        .expect("save zeta");
    store
        .save(&sign_in("http://127.0.0.1:8088", "local"))
        .expect("save local");
    store
        .save(&sign_in("https://acme.worksection.com", "acme"))
        .expect("save acme");
    // The first saved is the default; the rest by name.
    assert_eq!(
        store.accounts().expect("accounts"),
        [
            "zeta.worksection.com",
            "127.0.0.1:8088",
            "acme.worksection.com"
        ]
    );
    let local = store.load("127.0.0.1:8088").expect("load").expect("stored");
    assert_eq!(
        local.tokens.access_token.expose_secret(),
        "ACCESS-local-7d1f0c"
    );
    let acme = store
        .load("acme.worksection.com")
        .expect("load")
        .expect("stored");
    assert_eq!(
        acme.tokens.access_token.expose_secret(),
        "ACCESS-acme-7d1f0c"
    );

    store
        .set_default("https://acme.worksection.com")
        .expect("set default");
    assert_eq!(
        store.accounts().expect("accounts")[0],
        "acme.worksection.com"
    );
    let err = store
        .set_default("other.worksection.com")
        .expect_err("unknown");
    assert!(matches!(err, StoreError::UnknownAccount { .. }), "{err}");
    assert_eq!(
        store.accounts().expect("accounts")[0],
        "acme.worksection.com"
    );

    // Deleting the default hands it to the first remaining by name.
    assert!(store.delete("acme.worksection.com").expect("delete"));
    assert_eq!(
        store.accounts().expect("accounts"),
        ["127.0.0.1:8088", "zeta.worksection.com"]
    );
}

#[test]
fn delete() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = store_at(dir.path(), None);
    // Deleting from a store that was never written creates nothing.
    assert!(!store.delete("acme.worksection.com").expect("delete"));
    assert!(!dir.path().join("tokens.enc").exists());
    assert!(!dir.path().join("tokens.key").exists());

    store
        .save(&sign_in("https://acme.worksection.com", "a"))
        .expect("save");
    store
        .save(&sign_in("https://beta.worksection.com", "b"))
        .expect("save");
    assert!(store.delete("ACME.worksection.com").expect("delete"));
    assert!(!store.delete("acme.worksection.com").expect("delete again"));
    assert!(store.load("acme.worksection.com").expect("load").is_none());
    assert_eq!(
        store.accounts().expect("accounts"),
        ["beta.worksection.com"]
    );
    assert!(store.delete("beta.worksection.com").expect("delete"));
    assert!(store.accounts().expect("accounts").is_empty());
    // The first account saved after that is the default again.
    store
        .save(&sign_in("https://gamma.worksection.com", "g"))
        .expect("save");
    store
        .save(&sign_in("https://alpha.worksection.com", "a"))
        .expect("save");
    assert_eq!(
        store.accounts().expect("accounts")[0],
        "gamma.worksection.com"
    );
}

#[test]
fn the_file_never_holds_a_token_in_clear() {
    let dir = tempfile::tempdir().expect("tempdir");
    for (i, key) in [None, Some(HEX_KEY), Some("correct horse battery staple")]
        .into_iter()
        .enumerate()
    {
        let sub = dir.path().join(format!("s{i}"));
        let store = FileStore::open(Some(sub.join("tokens.enc")), key.map(SecretString::from))
            .expect("open");
        let s = sign_in("https://acme.worksection.com", "cleartext");
        store.save(&s).expect("save");
        let bytes = std::fs::read(sub.join("tokens.enc")).expect("read");
        for needle in [
            s.tokens.access_token.expose_secret(),
            s.tokens
                .refresh_token
                .as_ref()
                .expect("refresh")
                .expose_secret(),
            "ACCESS-",
            "REFRESH-",
            "ada@example.com",
            "access_token",
        ] {
            assert!(
                !contains(&bytes, needle),
                "{needle} is in the file in clear"
            );
        }
        if let Some(key) = key {
            assert!(!contains(&bytes, key), "the key is in the file");
        }
    }
}

#[test]
fn secrets_live_beside_the_sign_ins_encrypted() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = store_at(dir.path(), Some(HEX_KEY));
    assert!(store.load_secret("oauth-app").expect("load").is_none());
    assert!(!store.delete_secret("oauth-app").expect("delete on nothing"));
    store
        .save_secret(
            "oauth-app",
            &SecretString::from("{\"secret\":\"SECRET-in-clear\"}"),
        )
        .expect("save");
    store
        .save(&sign_in("https://acme.worksection.com", "x"))
        .expect("save");
    let bytes = std::fs::read(dir.path().join("tokens.enc")).expect("read");
    assert!(!contains(&bytes, "SECRET-in-clear"));
    let back = store.load_secret("oauth-app").expect("load").expect("kept");
    assert!(back.expose_secret().contains("SECRET-in-clear"));
    // Secrets are not accounts, and sign-ins do not disturb them.
    assert_eq!(
        store.accounts().expect("accounts"),
        ["acme.worksection.com"]
    );
    assert!(store.delete_secret("oauth-app").expect("delete"));
    assert!(store.load_secret("oauth-app").expect("load").is_none());
    assert!(store.load_secret("Not A Name").is_err());
    assert!(
        store
            .save_secret("acme.worksection.com", &SecretString::from("x"))
            .is_err()
    );
}

#[test]
fn keys_from_hex_base64_and_passphrase() {
    let dir = tempfile::tempdir().expect("tempdir");
    let raw = hex::decode(HEX_KEY).expect("hex");
    let b64 = base64::engine::general_purpose::STANDARD.encode(&raw);
    let b64url = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&raw);

    // Written with the hex form, read with the base64 forms of the same key.
    let hex_dir = dir.path().join("hex");
    let store = store_at(&hex_dir, Some(HEX_KEY));
    store
        .save(&sign_in("https://acme.worksection.com", "hex"))
        .expect("save");
    for form in [
        HEX_KEY.to_uppercase(),
        b64.clone(),
        b64url,
        format!("{b64}\n"),
    ] {
        let other = store_at(&hex_dir, Some(&form));
        assert!(
            other.load("acme.worksection.com").expect("load").is_some(),
            "{form}"
        );
    }
    // No key file is made when TOKEN_ENCRYPTION_KEY is set.
    assert!(!hex_dir.join("tokens.key").exists());

    let pass_dir = dir.path().join("pass");
    let phrase = "a long and memorable passphrase";
    let store = store_at(&pass_dir, Some(phrase));
    store
        .save(&sign_in("https://acme.worksection.com", "pass"))
        .expect("save");
    store
        .save(&sign_in("https://beta.worksection.com", "pass"))
        .expect("save twice");
    let again = store_at(&pass_dir, Some(phrase));
    assert_eq!(again.accounts().expect("accounts").len(), 2);
    let err = FileStore::open(
        Some(pass_dir.join("tokens.enc")),
        Some("another long passphrase".into()),
    )
    .expect_err("wrong passphrase");
    assert!(matches!(err, StoreError::WrongKey { .. }), "{err}");
    assert!(!err.to_string().contains("passphrase that"));

    // Too short to be either.
    let err = FileStore::open(Some(dir.path().join("x.enc")), Some("short".into()))
        .expect_err("short key");
    assert!(matches!(err, StoreError::BadKey { .. }), "{err}");
    assert!(!err.to_string().contains("short\""));
}

#[test]
fn wrong_key() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("tokens.enc");
    let store = store_at(dir.path(), Some(HEX_KEY));
    store
        .save(&sign_in("https://acme.worksection.com", "wk"))
        .expect("save");
    let before = std::fs::read(&path).expect("read");

    let other = "00".repeat(32);
    let err =
        FileStore::open(Some(path.clone()), Some(other.clone().into())).expect_err("wrong key");
    assert!(matches!(err, StoreError::WrongKey { .. }), "{err}");
    let message = err.to_string();
    assert!(message.contains("TOKEN_ENCRYPTION_KEY"), "{message}");
    assert!(
        !message.contains(&other) && !message.contains(HEX_KEY),
        "{message}"
    );

    // A passphrase where a key was used, and no key at all (no tokens.key).
    let err = FileStore::open(Some(path.clone()), Some("a passphrase long enough".into()))
        .expect_err("passphrase");
    assert!(matches!(err, StoreError::WrongKey { .. }), "{err}");
    let err = FileStore::open(Some(path.clone()), None).expect_err("no key");
    assert!(matches!(err, StoreError::MissingKey { .. }), "{err}");

    // The key changes under a running store: saves fail, the file stays.
    let wk_dir = tempfile::tempdir().expect("tempdir");
    let running = store_at(wk_dir.path(), None);
    running
        .save(&sign_in("https://acme.worksection.com", "a"))
        .expect("save");
    let file_before = std::fs::read(wk_dir.path().join("tokens.enc")).expect("read");
    std::fs::write(
        wk_dir.path().join("tokens.key"),
        format!("{}\n", "11".repeat(32)),
    )
    .expect("key");
    let err = running
        .save(&sign_in("https://beta.worksection.com", "b"))
        .expect_err("save with the wrong key");
    assert!(matches!(err, StoreError::WrongKey { .. }), "{err}");
    assert_eq!(
        std::fs::read(wk_dir.path().join("tokens.enc")).expect("read"),
        file_before
    );
    assert_eq!(std::fs::read(&path).expect("read"), before);
}

#[test]
fn corrupt_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("tokens.enc");
    let store = store_at(dir.path(), None);
    store
        .save(&sign_in("https://acme.worksection.com", "c"))
        .expect("save");
    let good = std::fs::read(&path).expect("read");

    // One flipped bit in the ciphertext.
    let mut bad = good.clone();
    let last = bad.len() - 20;
    bad[last] ^= 0x40;
    std::fs::write(&path, &bad).expect("write");
    let err = store.load("acme.worksection.com").expect_err("corrupt");
    assert!(matches!(err, StoreError::Corrupt { .. }), "{err}");
    assert!(
        err.to_string().contains("delete it and sign in again"),
        "{err}"
    );
    // A save refuses to replace it.
    let err = store
        .save(&sign_in("https://beta.worksection.com", "b"))
        .expect_err("save over corrupt");
    assert!(matches!(err, StoreError::Corrupt { .. }), "{err}");
    assert_eq!(std::fs::read(&path).expect("read"), bad);

    // Not a token file at all.
    std::fs::write(&path, b"{\"accounts\": {}}").expect("write");
    let err = FileStore::open(Some(path.clone()), None).expect_err("not ours");
    assert!(matches!(err, StoreError::Corrupt { .. }), "{err}");

    // A later format.
    let mut newer = good.clone();
    newer[8] = 9;
    std::fs::write(&path, &newer).expect("write");
    let err = FileStore::open(Some(path.clone()), None).expect_err("newer");
    assert!(
        matches!(err, StoreError::NewerFormat { version: 9, .. }),
        "{err}"
    );

    // Back to the good bytes: all is well again.
    std::fs::write(&path, &good).expect("write");
    assert!(store.load("acme.worksection.com").expect("load").is_some());
}

#[test]
fn truncated_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("tokens.enc");
    let store = store_at(dir.path(), None);
    store
        .save(&sign_in("https://acme.worksection.com", "t"))
        .expect("save");
    let good = std::fs::read(&path).expect("read");
    for len in [
        0,
        1,
        7,
        8,
        9,
        10,
        30,
        49,
        50,
        60,
        good.len() / 2,
        good.len() - 1,
    ] {
        std::fs::write(&path, &good[..len]).expect("write");
        let err = store.accounts().expect_err("truncated");
        assert!(matches!(err, StoreError::Corrupt { .. }), "{len}: {err}");
    }
}

#[test]
fn key_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = store_at(dir.path(), None);
    // Nothing is created until the first save.
    assert!(!dir.path().join("tokens.key").exists());
    store
        .save(&sign_in("https://acme.worksection.com", "k"))
        .expect("save");
    let key = std::fs::read_to_string(dir.path().join("tokens.key")).expect("key file");
    assert_eq!(key.trim().len(), 64);
    // The generated key also works as TOKEN_ENCRYPTION_KEY.
    let with_env = store_at(dir.path(), Some(key.trim()));
    assert!(
        with_env
            .load("acme.worksection.com")
            .expect("load")
            .is_some()
    );

    // A key file left empty by a crash, with no token file, is replaced.
    let fresh = tempfile::tempdir().expect("tempdir");
    std::fs::write(fresh.path().join("tokens.key"), b"").expect("write");
    let store = store_at(fresh.path(), None);
    store
        .save(&sign_in("https://acme.worksection.com", "k"))
        .expect("save");
    assert!(store.load("acme.worksection.com").expect("load").is_some());

    // With a token file next to it, a damaged key file is an error.
    std::fs::write(fresh.path().join("tokens.key"), b"garbage").expect("write");
    let err = store.accounts().expect_err("bad key file");
    assert!(matches!(err, StoreError::BadKeyFile { .. }), "{err}");
}

#[test]
fn a_directory_as_the_path() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = FileStore::open(Some(dir.path().to_path_buf()), None).expect("open");
    store
        .save(&sign_in("https://acme.worksection.com", "d"))
        .expect("save");
    assert!(dir.path().join("tokens.enc").is_file());
    let opened = open(StoreChoice::File, Some(dir.path().to_path_buf()), None).expect("open");
    assert_eq!(opened.kind(), StoreKind::File);
    assert_eq!(
        opened.accounts().expect("accounts"),
        ["acme.worksection.com"]
    );
    // Auto keeps using an existing token file.
    let auto = open(StoreChoice::Auto, Some(dir.path().join("tokens.enc")), None).expect("open");
    assert_eq!(auto.kind(), StoreKind::File);
}

#[cfg(unix)]
#[test]
fn file_and_directory_modes() {
    use std::os::unix::fs::PermissionsExt;
    let mode = |p: &Path| std::fs::metadata(p).expect("metadata").permissions().mode() & 0o777;

    let dir = tempfile::tempdir().expect("tempdir");
    let nested = dir.path().join("a").join("b");
    let store = FileStore::open(Some(nested.join("tokens.enc")), None).expect("open");
    store
        .save(&sign_in("https://acme.worksection.com", "m"))
        .expect("save");
    assert_eq!(mode(&dir.path().join("a")), 0o700);
    assert_eq!(mode(&nested), 0o700);
    assert_eq!(mode(&nested.join("tokens.enc")), 0o600);
    assert_eq!(mode(&nested.join("tokens.key")), 0o600);
    assert_eq!(mode(&nested.join("tokens.enc.lock")), 0o600);

    // A rewrite keeps 0600 even if someone loosened the file.
    std::fs::set_permissions(
        nested.join("tokens.enc"),
        std::fs::Permissions::from_mode(0o644),
    )
    .expect("chmod");
    store
        .save(&sign_in("https://beta.worksection.com", "m"))
        .expect("save");
    assert_eq!(mode(&nested.join("tokens.enc")), 0o600);
    // No temporary file is left behind.
    let names: Vec<String> = std::fs::read_dir(&nested)
        .expect("read_dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    assert!(names.iter().all(|n| !n.ends_with(".tmp")), "{names:?}");
}

#[test]
fn concurrent_saves_keep_every_account() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("tokens.enc");
    let shared = Arc::new(store_at(dir.path(), None));
    let threads: Vec<_> = (0..8)
        .map(|t| {
            let shared = shared.clone();
            let path = path.clone();
            std::thread::spawn(move || {
                // Half share one store, half open their own (as separate
                // processes would), so both locks are exercised.
                let own;
                let store: &FileStore = if t % 2 == 0 {
                    &shared
                } else {
                    own = FileStore::open(Some(path), None).expect("open");
                    &own
                };
                for i in 0..4 {
                    let url = format!("https://t{t}-a{i}.worksection.com");
                    store
                        .save(&sign_in(&url, &format!("{t}-{i}")))
                        .expect("save");
                }
            })
        })
        .collect();
    for t in threads {
        t.join().expect("thread");
    }
    let accounts = shared.accounts().expect("accounts");
    assert_eq!(accounts.len(), 32, "{accounts:?}");
    for t in 0..8 {
        for i in 0..4 {
            let s = shared
                .load(&format!("t{t}-a{i}.worksection.com"))
                .expect("load")
                .expect("every account survives");
            assert_eq!(
                s.tokens.access_token.expose_secret(),
                format!("ACCESS-{t}-{i}-7d1f0c")
            );
        }
    }
}

/// A sign-in record as the stores have always written it (the tokens as
/// plain strings inside the sealed JSON): it still reads, and it writes
/// back byte for byte, so stores on people's machines keep loading.
#[test]
fn the_stored_record_keeps_its_format() {
    let stored = r#"{"account_url":"https://acme.worksection.com","user_id":"42","user_name":"Ada Lovelace","user_email":"ada@example.com","tokens":{"access_token":"ACCESS-fmt-7d1f0c","refresh_token":"REFRESH-fmt-99e2a1","expires_at":"2030-01-02T03:04:05Z","account_url":"https://acme.worksection.com","scopes":["projects_read","tasks_write"]},"saved_at":"2025-06-07T08:09:10Z"}"#;
    let record: StoredSignIn = serde_json::from_str(stored).expect("reads");
    assert_eq!(
        record.tokens.access_token.expose_secret(),
        "ACCESS-fmt-7d1f0c"
    );
    assert_eq!(serde_json::to_string(&record).expect("writes"), stored);
    assert_eq!(
        serde_json::to_string(&sign_in("https://acme.worksection.com", "fmt")).expect("writes"),
        stored
    );
    let without_refresh = stored.replace(r#""REFRESH-fmt-99e2a1""#, "null");
    let record: StoredSignIn = serde_json::from_str(&without_refresh).expect("reads");
    assert!(record.tokens.refresh_token.is_none());
    assert_eq!(
        serde_json::to_string(&record).expect("writes"),
        without_refresh
    );
}

/// The store's settings and records print without the key or a token.
#[test]
fn settings_and_records_debug_print_no_secret() {
    let settings = StoreSettings {
        choice: StoreChoice::File,
        path: None,
        key: Some(SecretString::from("a passphrase that must stay hidden")),
    };
    let record = sign_in("https://acme.worksection.com", "dbg");
    let shown = format!("{settings:?} {record:?} {:?}", record.tokens);
    for secret in [
        "a passphrase that must stay hidden",
        "ACCESS-dbg-7d1f0c",
        "REFRESH-dbg-99e2a1",
    ] {
        assert!(!shown.contains(secret), "{secret} in {shown}");
    }
}

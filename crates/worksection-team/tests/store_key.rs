//! The store's key as an operator meets it: a store sealed with a key
//! given in the environment, opened later without it (a `team people` run
//! from a shell that lacks the server's variables), is refused with a
//! sentence naming the variables, and no key file is left behind to
//! mislead the next start.

use worksection::SecretString;
use worksection_team::{KEY_FILE, KeySource, Store, StoreError};

const KEY: &str = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";

#[test]
fn a_store_sealed_with_a_given_key_is_not_opened_without_it() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let given = || Some(KeySource::Value(SecretString::from(KEY.to_owned())));
    drop(Store::open_embedded(dir.path(), given()).expect("made with the key"));

    let err = Store::open_embedded(dir.path(), None).expect_err("no key given");
    assert!(matches!(err, StoreError::KeyNotGiven(_)), "{err}");
    let text = err.to_string();
    assert!(
        text.contains("MCP_TEAM_KEY") && text.contains("MCP_TEAM_KEY_FILE"),
        "{text}"
    );
    assert!(!dir.path().join(KEY_FILE).exists(), "no key file made");

    Store::open_embedded(dir.path(), given()).expect("the same key still opens it");
}

#[test]
fn a_store_with_its_own_key_file_opens_without_a_key() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    drop(Store::open_embedded(dir.path(), None).expect("made with a key file"));
    assert!(dir.path().join(KEY_FILE).exists());
    Store::open_embedded(dir.path(), None).expect("reopened with its key file");
}

//! The three ways a person signs in from the app, with nothing from the
//! environment: the OAuth2 app built into this build, their own
//! Worksection OAuth2 app, or the account's admin API key.
//!
//! The built-in app's client id and secret come from the build
//! environment (`WORKSECTION_BUILTIN_CLIENT_ID`,
//! `WORKSECTION_BUILTIN_CLIENT_SECRET` at compile time), never from the
//! repository. A person's own app and an API key are kept beside the
//! sign-ins in the token store (the OS keychain or the encrypted token
//! file), never in the settings file; [`Saved`] reads and writes them.
//! The environment's `WORKSECTION_CLIENT_ID`/`_SECRET` still come first.

use serde::{Deserialize, Serialize};
use worksection::{ExposeSecret, SecretString};
use worksection_auth::TokenStore;

/// The store entry of a person's own OAuth2 app.
const OWN_APP: &str = "desktop-oauth-app";
/// The store entry of an admin API key.
const API_KEY: &str = "desktop-api-key";

/// An OAuth2 app's credentials. `Debug` redacts the secret; only the
/// store's write sees it (`worksection::secret::serialize`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AppCredentials {
    pub client_id: String,
    #[serde(serialize_with = "worksection::secret::serialize")]
    pub client_secret: SecretString,
}

/// An account's admin API key. `Debug` redacts the key; only the store's
/// write sees it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ApiKey {
    pub account_url: String,
    #[serde(serialize_with = "worksection::secret::serialize")]
    pub api_key: SecretString,
}

/// The app built into this build, if its builder supplied one.
pub fn builtin() -> Option<AppCredentials> {
    let id = option_env!("WORKSECTION_BUILTIN_CLIENT_ID")?;
    let secret = option_env!("WORKSECTION_BUILTIN_CLIENT_SECRET")?;
    (!id.is_empty() && !secret.is_empty()).then(|| AppCredentials {
        client_id: id.to_owned(),
        client_secret: secret.into(),
    })
}

/// What the token store holds for the app.
#[derive(Debug, Clone, Default)]
pub struct Saved {
    pub own_app: Option<AppCredentials>,
    pub api_key: Option<ApiKey>,
}

impl Saved {
    pub fn load(store: &dyn TokenStore) -> Result<Self, String> {
        Ok(Self {
            own_app: read(store, OWN_APP)?,
            api_key: read(store, API_KEY)?,
        })
    }
}

fn read<T: for<'de> Deserialize<'de>>(
    store: &dyn TokenStore,
    name: &str,
) -> Result<Option<T>, String> {
    let Some(text) = store.load_secret(name).map_err(|e| e.to_string())? else {
        return Ok(None);
    };
    // serde's message could quote the secret: say only that it is damaged.
    serde_json::from_str(text.expose_secret()).map(Some).map_err(|_| {
        format!(
            "The saved sign-in details in {} are damaged; remove them on the dashboard and enter them again.",
            store.kind()
        )
    })
}

fn write<T: Serialize>(store: &dyn TokenStore, name: &str, value: &T) -> Result<(), String> {
    let text = serde_json::to_string(value)
        .map(SecretString::from)
        .map_err(|_| "Could not encode the sign-in details.".to_owned())?;
    store.save_secret(name, &text).map_err(|e| e.to_string())
}

pub fn save_own_app(store: &dyn TokenStore, app: &AppCredentials) -> Result<(), String> {
    write(store, OWN_APP, app)
}

pub fn remove_own_app(store: &dyn TokenStore) -> Result<bool, String> {
    store.delete_secret(OWN_APP).map_err(|e| e.to_string())
}

pub fn save_api_key(store: &dyn TokenStore, key: &ApiKey) -> Result<(), String> {
    write(store, API_KEY, key)
}

pub fn remove_api_key(store: &dyn TokenStore) -> Result<bool, String> {
    store.delete_secret(API_KEY).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use worksection_auth::FileStore;

    use super::*;

    /// What `saved` holds, the secrets shown (for comparing).
    fn plain(saved: &Saved) -> (Option<[&str; 2]>, Option<[&str; 2]>) {
        (
            saved
                .own_app
                .as_ref()
                .map(|a| [a.client_id.as_str(), a.client_secret.expose_secret()]),
            saved
                .api_key
                .as_ref()
                .map(|k| [k.account_url.as_str(), k.api_key.expose_secret()]),
        )
    }

    #[test]
    fn saved_ways_round_trip_and_never_show_secrets() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = FileStore::open(
            Some(dir.path().join("tokens.enc")),
            Some("a-test-key-that-is-long-enough-000".into()),
        )
        .expect("store");
        let nothing = Saved::load(&store).expect("load");
        assert_eq!(plain(&nothing), (None, None));
        let app = AppCredentials {
            client_id: "id-1".into(),
            client_secret: "SECRET-1".into(),
        };
        let key = ApiKey {
            account_url: "https://acme.worksection.com".into(),
            api_key: "KEY-1".into(),
        };
        save_own_app(&store, &app).expect("save app");
        save_api_key(&store, &key).expect("save key");
        let saved = Saved::load(&store).expect("load");
        assert_eq!(
            plain(&saved),
            (
                Some(["id-1", "SECRET-1"]),
                Some(["https://acme.worksection.com", "KEY-1"])
            )
        );
        // The entries keep the form they always had, so details saved by
        // an earlier version still load.
        let entry = |name| {
            store
                .load_secret(name)
                .expect("load")
                .expect("kept")
                .expose_secret()
                .to_owned()
        };
        assert_eq!(
            entry(OWN_APP),
            r#"{"client_id":"id-1","client_secret":"SECRET-1"}"#
        );
        assert_eq!(
            entry(API_KEY),
            r#"{"account_url":"https://acme.worksection.com","api_key":"KEY-1"}"#
        );
        let shown = format!("{saved:?} {app:?} {key:?}");
        assert!(
            !shown.contains("SECRET-1") && !shown.contains("KEY-1"),
            "{shown}"
        );
        assert_eq!(remove_own_app(&store), Ok(true));
        assert_eq!(remove_api_key(&store), Ok(true));
        let gone = Saved::load(&store).expect("load");
        assert_eq!(plain(&gone), (None, None));
    }
}

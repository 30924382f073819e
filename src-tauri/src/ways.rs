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
//! The environment's `WORKSECTION_CLIENT_ID`/`_SECRET` still come first
//! ([`app_in_use`]).

use serde::{Deserialize, Serialize};
use worksection::{ExposeSecret, SecretString};
use worksection_auth::{OAuthSettings, TokenStore};
use worksection_mcp::{ConfigError, OAuthArgs};

use crate::error::Error;
use crate::settings::AppSettings;

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

/// Where an OAuth2 app for signing in comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AppSource {
    /// `WORKSECTION_CLIENT_ID` and `_SECRET` (started from a shell).
    Environment,
    /// The person's own app, saved from the dashboard.
    Own,
    /// The app built into this build.
    BuiltIn,
}

/// The OAuth2 app "Sign in" uses: the environment's (`env`), else the
/// person's own saved one, else the one built into this build.
pub fn app_in_use(env: &OAuthArgs, saved: Option<&Saved>) -> Option<(AppSource, AppCredentials)> {
    fn nonempty(v: Option<&str>) -> Option<&str> {
        v.map(str::trim).filter(|v| !v.is_empty())
    }
    if let (Some(client_id), Some(client_secret)) = (
        nonempty(env.client_id.as_deref()),
        nonempty(env.client_secret.as_ref().map(|s| s.expose_secret())),
    ) {
        let app = AppCredentials {
            client_id: client_id.to_owned(),
            client_secret: SecretString::from(client_secret),
        };
        return Some((AppSource::Environment, app));
    }
    if let Some(own) = saved.and_then(|s| s.own_app.clone()) {
        return Some((AppSource::Own, own));
    }
    builtin().map(|b| (AppSource::BuiltIn, b))
}

/// The sign-in settings for `app`: the redirect URI and scopes from the
/// environment (or their defaults), the sign-in server from the
/// dashboard's Advanced (or the environment, or Worksection's).
pub fn oauth_settings(
    env: &OAuthArgs,
    settings: &AppSettings,
    app: &AppCredentials,
) -> Result<OAuthSettings, Error> {
    let mut args = env.clone();
    args.client_id = Some(app.client_id.clone());
    args.client_secret = Some(app.client_secret.clone());
    args.administrative = settings.webhook_access;
    if let Some(url) = &settings.oauth_url {
        args.oauth_url.clone_from(url);
    }
    args.settings().map_err(|ConfigError(e)| Error::Invalid(e))
}

/// What the token store holds for the app.
#[derive(Debug, Clone, Default)]
pub struct Saved {
    pub own_app: Option<AppCredentials>,
    pub api_key: Option<ApiKey>,
}

impl Saved {
    pub async fn load(store: &TokenStore) -> Result<Self, Error> {
        Ok(Self {
            own_app: read(store, OWN_APP).await?,
            api_key: read(store, API_KEY).await?,
        })
    }
}

async fn read<T: for<'de> Deserialize<'de>>(
    store: &TokenStore,
    name: &str,
) -> Result<Option<T>, Error> {
    let Some(text) = store.load_secret(name).await? else {
        return Ok(None);
    };
    // serde's message could quote the secret: say only that it is damaged.
    serde_json::from_str(text.expose_secret()).map(Some).map_err(|_| {
        Error::Local(format!(
            "The saved sign-in details in {} are damaged; remove them on the dashboard and enter them again.",
            store.kind()
        ))
    })
}

async fn write<T: Serialize>(store: &TokenStore, name: &str, value: &T) -> Result<(), Error> {
    let text = serde_json::to_string(value)
        .map(SecretString::from)
        .map_err(|_| Error::Local("Could not encode the sign-in details.".to_owned()))?;
    Ok(store.save_secret(name, &text).await?)
}

pub async fn save_own_app(store: &TokenStore, app: &AppCredentials) -> Result<(), Error> {
    write(store, OWN_APP, app).await
}

pub async fn remove_own_app(store: &TokenStore) -> Result<bool, Error> {
    Ok(store.delete_secret(OWN_APP).await?)
}

pub async fn save_api_key(store: &TokenStore, key: &ApiKey) -> Result<(), Error> {
    write(store, API_KEY, key).await
}

pub async fn remove_api_key(store: &TokenStore) -> Result<bool, Error> {
    Ok(store.delete_secret(API_KEY).await?)
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

    #[tokio::test]
    async fn saved_ways_round_trip_and_never_show_secrets() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = TokenStore::from(
            FileStore::open(
                Some(dir.path().join("tokens.enc")),
                Some("a-test-key-that-is-long-enough-000".into()),
            )
            .expect("store"),
        );
        let nothing = Saved::load(&store).await.expect("load");
        assert_eq!(plain(&nothing), (None, None));
        let app = AppCredentials {
            client_id: "id-1".into(),
            client_secret: "SECRET-1".into(),
        };
        let key = ApiKey {
            account_url: "https://acme.worksection.com".into(),
            api_key: "KEY-1".into(),
        };
        save_own_app(&store, &app).await.expect("save app");
        save_api_key(&store, &key).await.expect("save key");
        let saved = Saved::load(&store).await.expect("load");
        assert_eq!(
            plain(&saved),
            (
                Some(["id-1", "SECRET-1"]),
                Some(["https://acme.worksection.com", "KEY-1"])
            )
        );
        // The entries keep the form they always had, so details saved by
        // an earlier version still load.
        let entry = async |name| {
            store
                .load_secret(name)
                .await
                .expect("load")
                .expect("kept")
                .expose_secret()
                .to_owned()
        };
        assert_eq!(
            entry(OWN_APP).await,
            r#"{"client_id":"id-1","client_secret":"SECRET-1"}"#
        );
        assert_eq!(
            entry(API_KEY).await,
            r#"{"account_url":"https://acme.worksection.com","api_key":"KEY-1"}"#
        );
        let shown = format!("{saved:?} {app:?} {key:?}");
        assert!(
            !shown.contains("SECRET-1") && !shown.contains("KEY-1"),
            "{shown}"
        );
        assert!(remove_own_app(&store).await.expect("remove app"));
        assert!(remove_api_key(&store).await.expect("remove key"));
        let gone = Saved::load(&store).await.expect("load");
        assert_eq!(plain(&gone), (None, None));
    }
}

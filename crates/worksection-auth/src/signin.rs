//! Signing in to Worksection: the OAuth2 flow that the CLI (`login`) and
//! the desktop app share.
//!
//! [`SignIn::begin`] builds the authorize URL with a fresh random `state`;
//! the person clicks "Allow" on Worksection's page (in the system browser
//! for the CLI, in the app's own webview for the desktop app); the redirect
//! URL comes back to [`SignIn::finish`], which checks `state`, exchanges the
//! code, asks `/oauth2/resource` who signed in and where their account
//! lives (the account URL is discovered, never typed), and saves the tokens
//! in the token store. Nothing is saved unless every step succeeded, so a
//! failed sign-in never leaves a half-written token set behind.

use chrono::Utc;
use subtle::ConstantTimeEq;
use url::Url;
use worksection::auth::{OAuthApp, read_scopes};
use worksection::{ExposeSecret, SecretString};

use crate::store::{StoredSignIn, TokenStore};

/// The OAuth2 app a person signs in through.
#[derive(Debug, Clone)]
pub struct OAuthSettings {
    pub client_id: String,
    pub client_secret: SecretString,
    /// Registered with the app; the desktop app intercepts it, the CLI
    /// listens on it.
    pub redirect_uri: String,
    /// `https://worksection.com` for the real service.
    pub oauth_url: String,
    /// Scopes asked for; the `_read` ones unless configured.
    pub scopes: Vec<String>,
}

impl OAuthSettings {
    /// The read scopes, plus `administrative` when asked (webhooks).
    pub fn default_scopes(administrative: bool) -> Vec<String> {
        let mut s: Vec<String> = read_scopes().into_iter().map(str::to_owned).collect();
        if administrative {
            s.push("administrative".to_owned());
        }
        s
    }

    pub fn app(&self) -> Result<OAuthApp, SignInError> {
        OAuthApp::new(
            &self.client_id,
            self.client_secret.clone(),
            &self.redirect_uri,
            &self.oauth_url,
        )
        .map_err(|e| SignInError::Config(e.to_string()))
    }
}

/// Why a sign-in did not complete; each is one sentence for the person.
#[derive(Debug, thiserror::Error)]
pub enum SignInError {
    #[error("The sign-in settings are wrong: {0}")]
    Config(String),
    #[error(
        "You chose not to allow access on Worksection's page, so nothing was saved; sign in again and click Allow to connect."
    )]
    Denied,
    #[error(
        "The sign-in answer did not match the sign-in that was started (wrong state), so it was ignored; start the sign-in again."
    )]
    WrongState,
    #[error("Worksection's answer to the sign-in had no code; start the sign-in again.")]
    NoCode,
    #[error("Worksection reported a sign-in problem: {0}; start the sign-in again.")]
    Provider(String),
    #[error("{0}")]
    Exchange(worksection::Error),
    #[error("Signed in, but the tokens could not be saved: {0}")]
    Store(crate::StoreError),
}

/// A sign-in in progress: the URL to open, and what to check the redirect
/// against.
pub struct SignIn {
    app: OAuthApp,
    url: Url,
    state: SecretString,
}

impl std::fmt::Debug for SignIn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SignIn").finish_non_exhaustive()
    }
}

impl SignIn {
    pub fn begin(settings: &OAuthSettings) -> Result<Self, SignInError> {
        let app = settings.app()?;
        let scopes: Vec<&str> = settings.scopes.iter().map(String::as_str).collect();
        let (url, state) = app
            .authorize_url(&scopes)
            .map_err(|e| SignInError::Config(e.to_string()))?;
        Ok(Self { app, url, state })
    }

    /// Worksection's consent page.
    pub fn url(&self) -> &Url {
        &self.url
    }

    /// Whether `url` is the redirect this sign-in waits for (same scheme,
    /// host, port and path as the registered redirect URI). The desktop app
    /// uses it to take the navigation before any request leaves.
    pub fn is_redirect(&self, url: &Url) -> bool {
        let r = self.app.redirect_uri();
        url.scheme() == r.scheme()
            && url.host_str() == r.host_str()
            && url.port_or_known_default() == r.port_or_known_default()
            && url.path() == r.path()
    }

    /// Finishes the sign-in from the redirect URL and saves it.
    pub async fn finish(
        self,
        redirect: &Url,
        store: &TokenStore,
    ) -> Result<StoredSignIn, SignInError> {
        let param = |k: &str| {
            redirect
                .query_pairs()
                .find(|(key, _)| key == k)
                .map(|(_, v)| v.into_owned())
        };
        let state_ok = param("state")
            .is_some_and(|s| bool::from(s.as_bytes().ct_eq(self.state.expose_secret().as_bytes())));
        if !state_ok {
            return Err(SignInError::WrongState);
        }
        if let Some(error) = param("error") {
            return Err(if error == "access_denied" {
                SignInError::Denied
            } else {
                let said: String = param("error_description")
                    .unwrap_or(error)
                    .chars()
                    .filter(|c| !c.is_control())
                    .take(200)
                    .collect();
                SignInError::Provider(said)
            });
        }
        let code = param("code")
            .filter(|c| !c.is_empty())
            .map(SecretString::from)
            .ok_or(SignInError::NoCode)?;
        let mut tokens = self
            .app
            .exchange_code(&code)
            .await
            .map_err(SignInError::Exchange)?;
        let owner = self
            .app
            .resource(&tokens.access_token)
            .await
            .map_err(SignInError::Exchange)?;
        let account_url = tokens
            .account_url
            .clone()
            .unwrap_or_else(|| owner.account_url.clone());
        tokens.account_url = Some(account_url.clone());
        let name = format!("{} {}", owner.first_name, owner.last_name)
            .trim()
            .to_owned();
        let signed_in = StoredSignIn {
            account_url,
            user_id: owner.id.to_string(),
            user_name: name,
            user_email: owner.email.clone(),
            tokens,
            saved_at: Utc::now(),
        };
        store.save(&signed_in).await.map_err(SignInError::Store)?;
        Ok(signed_in)
    }
}

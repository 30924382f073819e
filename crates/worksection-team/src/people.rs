//! The people signed in, and their way to Worksection.
//!
//! A person is one Worksection member of one account (`<account
//! host>/<user id>`), known from Worksection's own answer to their sign-in
//! (`/oauth2/resource`). Their Worksection tokens stay here: sealed in
//! the store, renewed by the server (the `worksection` client's
//! `RefreshingToken`, which saves each rotation to the store before using
//! it and reads the store before renewing, so a renewal by another
//! process or a revocation is seen), and never shown to an MCP client.

use std::sync::Arc;

use worksection::auth::{Bearer, OAuthApp, RefreshingToken, TokenSet};
use worksection::{Error, SecretString};

use crate::config::WorksectionApp;
use crate::store::{Person, Store};

/// Who is asking, for one MCP request: the person a valid access token
/// belongs to, and the client and grant it was issued to.
#[derive(Debug, Clone, PartialEq)]
pub struct Viewer {
    /// `<account host>/<user id>`: the key of everything kept for them.
    pub person: String,
    pub name: String,
    pub email: String,
    pub account_url: String,
    pub client_id: String,
    pub grant: String,
}

/// The company's app as the `worksection` client's OAuth2 app, with this
/// server's callback as its redirect URI.
pub fn oauth_app(app: &WorksectionApp, redirect: &str) -> Result<OAuthApp, Error> {
    OAuthApp::new(
        app.client_id.clone(),
        app.client_secret.clone(),
        redirect,
        &app.oauth_url,
    )
}

/// The account key of a Worksection account URL: its host (and port).
pub fn account_key(account_url: &str) -> String {
    url::Url::parse(account_url)
        .ok()
        .and_then(|u| {
            u.host_str().map(|h| match u.port() {
                Some(p) => format!("{}:{p}", h.to_ascii_lowercase()),
                None => h.to_ascii_lowercase(),
            })
        })
        .unwrap_or_else(|| account_url.to_ascii_lowercase())
}

/// A person's bearer credentials for the `worksection` client: their
/// tokens from the store, renewed through the company's app, each renewal
/// saved back (sealed) before it is used.
pub fn bearer(app: OAuthApp, store: Store, person: &str, tokens: TokenSet) -> Bearer {
    let save_store = store.clone();
    let save_id = person.to_owned();
    let load_id = person.to_owned();
    let refreshing = RefreshingToken::new(app, tokens)
        .on_rotate(Arc::new(move |rotated: TokenSet| {
            let store = save_store.clone();
            let id = save_id.clone();
            Box::pin(async move {
                store
                    .save_upstream_tokens(&id, &rotated)
                    .await
                    .map_err(|e| {
                        Error::Config(format!("the renewed sign-in could not be saved: {e}"))
                    })
            })
        }))
        .reload(Arc::new(move || {
            let store = store.clone();
            let id = load_id.clone();
            Box::pin(async move {
                store
                    .upstream_tokens(&id)
                    .await
                    .map_err(|e| Error::Config(format!("the saved sign-in could not be read: {e}")))
            })
        }));
    Bearer::new(Arc::new(refreshing))
}

/// What Worksection said of a fresh sign-in: the person and their tokens.
pub async fn identify(app: &OAuthApp, code: &str) -> Result<(Person, TokenSet), Error> {
    let tokens = app
        .exchange_code(&SecretString::from(code.to_owned()))
        .await?;
    let owner = app.resource(&tokens.access_token).await?;
    let account_url = owner.account_url.trim_end_matches('/').to_owned();
    let user_id = owner.id.to_string();
    let person = Person {
        id: format!("{}/{user_id}", account_key(&account_url)),
        account_url,
        user_id,
        email: owner.email.clone(),
        name: format!("{} {}", owner.first_name, owner.last_name)
            .trim()
            .to_owned(),
        signed_in: chrono::Utc::now().timestamp(),
    };
    Ok((person, tokens))
}

//! How requests prove who they are: one small trait, two ways.
//!
//! - [`ApiKey`] signs the admin API (`/api/admin/v2`). By default as
//!   Worksection's own SDKs do: an `Authorization: Admin <time>_<hmac>`
//!   header (HMAC-SHA256 of `action:time` keyed with the API key) and the
//!   parameters as a JSON body. When an account refuses the header it falls
//!   back, once and for good for that client, to the md5 query hash of the
//!   API's documentation (`hash = md5(query + key)`).
//! - [`Bearer`] sends an OAuth2 access token to `/api/oauth2` in the
//!   `Authorization` header, with the parameters as a JSON body, taking the
//!   token from a [`TokenSource`] that may refresh it (see `token`).
//!
//! `oauth` holds the sign-in side: the authorize URL, the code exchange, the
//! refresh and the resource lookup, adapted to Worksection's quirks;
//! `scope` names the scopes a sign-in asks for.

mod api_key;
pub mod oauth;
mod scope;
pub mod token;
mod token_set;

use std::fmt;
use std::sync::Arc;

use futures_util::future::BoxFuture;

pub use api_key::{AdminScheme, ApiKey};
pub use oauth::{OAuthApp, ResourceOwner};
pub use scope::{Scope, read_scopes};
pub use token::{RefreshingToken, StaticToken, TokenSet, TokenSource};

use crate::action::Params;
use crate::error::Error;
use secrecy::{ExposeSecret, SecretString};

/// How one request was signed: everything the transport puts on the wire
/// besides the URL's path.
#[derive(Debug, Clone)]
pub(crate) struct Signed {
    pub(crate) scheme: Scheme,
    /// The `Authorization` header, when the scheme has one.
    pub(crate) authorization: Option<SecretString>,
    /// The query after `?` (the md5 scheme's carries the hash).
    pub(crate) query: SecretString,
    /// The JSON body, when the scheme sends one and there are parameters.
    pub(crate) body: Option<Vec<u8>>,
}

/// Which way a request was signed.
#[derive(Debug, Clone)]
pub(crate) enum Scheme {
    /// With this access token.
    Bearer(SecretString),
    Hmac,
    /// md5 over the query as sent (`received`) or over its decoded values;
    /// `differs` when the two are not the same bytes for this query.
    Md5 {
        received: bool,
        differs: bool,
    },
}

/// The two ways to authenticate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthKind {
    OAuth2,
    ApiKey,
}

impl AuthKind {
    /// The API path under the account URL.
    pub fn path(self) -> &'static str {
        match self {
            Self::OAuth2 => "/api/oauth2",
            Self::ApiKey => "/api/admin/v2",
        }
    }
}

/// Authenticates requests to the client API.
pub(crate) trait Auth: Send + Sync + fmt::Debug {
    fn kind(&self) -> AuthKind;

    /// Signs one request of `action` with these parameters.
    fn sign<'a>(
        &'a self,
        action: &'a str,
        params: &'a Params,
    ) -> BoxFuture<'a, Result<Signed, Error>>;

    /// How many times one call may sign again after a refusal.
    fn resigns(&self) -> u32;

    /// Worksection refused `signed`. `Ok(true)`: signing again may succeed
    /// (a token was refreshed, another scheme is worth a try); `Ok(false)`:
    /// it will not.
    fn refused<'a>(&'a self, signed: &'a Signed) -> BoxFuture<'a, Result<bool, Error>>;
}

/// `action=NAME` and, for the header schemes, the JSON body.
fn with_json_body(action: &str, params: &Params) -> Result<(SecretString, Option<Vec<u8>>), Error> {
    let query = SecretString::from(format!("action={}", crate::action::encode(action)));
    if params.is_empty() {
        return Ok((query, None));
    }
    let body = serde_json::to_vec(params.json())
        .map_err(|e| Error::InvalidArgument(format!("the parameters of {action} ({e})")))?;
    Ok((query, Some(body)))
}

/// Bearer tokens from a token source.
#[derive(Debug, Clone)]
pub struct Bearer {
    source: Arc<dyn TokenSource>,
}

impl Bearer {
    pub fn new(source: Arc<dyn TokenSource>) -> Self {
        Self { source }
    }

    /// A fixed access token, never refreshed.
    pub fn token(token: impl Into<SecretString>) -> Self {
        Self::new(Arc::new(StaticToken::new(token.into())))
    }
}

impl Auth for Bearer {
    fn kind(&self) -> AuthKind {
        AuthKind::OAuth2
    }

    fn sign<'a>(
        &'a self,
        action: &'a str,
        params: &'a Params,
    ) -> BoxFuture<'a, Result<Signed, Error>> {
        Box::pin(async move {
            let token = self.source.access_token().await?;
            let (query, body) = with_json_body(action, params)?;
            Ok(Signed {
                authorization: Some(SecretString::from(format!(
                    "Bearer {}",
                    token.expose_secret()
                ))),
                scheme: Scheme::Bearer(token),
                query,
                body,
            })
        })
    }

    fn resigns(&self) -> u32 {
        1
    }

    fn refused<'a>(&'a self, signed: &'a Signed) -> BoxFuture<'a, Result<bool, Error>> {
        Box::pin(async move {
            match &signed.scheme {
                Scheme::Bearer(token) => {
                    self.source.refresh_after_rejection(token).await?;
                    Ok(true)
                }
                Scheme::Hmac | Scheme::Md5 { .. } => Ok(false),
            }
        })
    }
}

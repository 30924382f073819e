//! How requests prove who they are: one small trait, two ways.
//!
//! - `ApiKey` signs the admin API (`/api/admin/v2`): `hash = md5(query + key)`.
//! - `Bearer` sends an OAuth2 access token to `/api/oauth2`, taking it from a
//!   `TokenSource` that may refresh it (see `token`).
//!
//! `oauth` holds the sign-in side: the authorize URL, the code exchange, the
//! refresh and the resource lookup, adapted to Worksection's quirks.

mod api_key;
pub mod oauth;
pub mod token;

use std::fmt;
use std::sync::Arc;

use futures_util::future::BoxFuture;

pub use api_key::ApiKey;
pub use oauth::{OAuthApp, ResourceOwner, read_scopes};
pub use token::{RefreshingToken, StaticToken, TokenSet, TokenSource};

use crate::Error;
use crate::secret::Secret;

/// What a signed request carries.
#[derive(Debug, Clone)]
pub enum Signature {
    /// `Authorization: Bearer …`.
    Bearer(Secret),
    /// A `hash` query parameter.
    Hash(Secret),
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
pub trait Auth: Send + Sync + fmt::Debug {
    fn kind(&self) -> AuthKind;

    /// Signs a request with these query pairs (in the order they are sent).
    fn sign<'a>(&'a self, query: &'a [(String, String)])
    -> BoxFuture<'a, Result<Signature, Error>>;

    /// Worksection refused `signature` as unauthorized. `Ok(true)` means a
    /// new attempt may succeed (a token was refreshed); `Ok(false)` means it
    /// will not.
    fn rejected<'a>(&'a self, signature: &'a Signature) -> BoxFuture<'a, Result<bool, Error>>;
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
    pub fn token(token: impl Into<Secret>) -> Self {
        Self::new(Arc::new(StaticToken::new(token.into())))
    }
}

impl Auth for Bearer {
    fn kind(&self) -> AuthKind {
        AuthKind::OAuth2
    }

    fn sign<'a>(
        &'a self,
        _query: &'a [(String, String)],
    ) -> BoxFuture<'a, Result<Signature, Error>> {
        Box::pin(async move { Ok(Signature::Bearer(self.source.access_token().await?)) })
    }

    fn rejected<'a>(&'a self, signature: &'a Signature) -> BoxFuture<'a, Result<bool, Error>> {
        Box::pin(async move {
            match signature {
                Signature::Bearer(token) => {
                    self.source.refresh_after_rejection(token).await?;
                    Ok(true)
                }
                Signature::Hash(_) => Ok(false),
            }
        })
    }
}

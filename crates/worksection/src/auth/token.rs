//! OAuth2 tokens: the set Worksection issues, and where requests get their
//! access token from.
//!
//! `RefreshingToken` renews the access token a little before it expires and
//! after Worksection rejects it (a 401; "Access token is expired" is what
//! Worksection says of an expired one). "A little" is a tenth of the
//! token's lifetime, at most five minutes: a fixed margin longer than a
//! short-lived token's whole life would renew it on every request, while a
//! fraction below one means a fresh token is never renewed again, so one
//! expiry costs exactly one refresh whatever the lifetime. Renewals are single-flight: concurrent
//! callers wait for the one refresh in progress, and a caller whose rejected
//! token was already replaced simply gets the new one. Worksection rotates
//! refresh tokens (the old one dies when used), so the new set is handed to
//! `on_rotate` — the token store — before anything uses it: a crash at any
//! moment leaves a stored set that still works.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use futures_util::future::BoxFuture;
use tokio::sync::Mutex;

use super::oauth::OAuthApp;
pub use super::token_set::TokenSet;
use crate::error::{ApiMessage, AuthProblem, Error};
use secrecy::SecretString;

/// Where requests get their access token.
pub trait TokenSource: Send + Sync + fmt::Debug {
    /// A token to use now.
    fn access_token(&self) -> BoxFuture<'_, Result<SecretString, Error>>;

    /// Worksection rejected `rejected`: return a token worth trying instead,
    /// or an error when only a new sign-in helps.
    fn refresh_after_rejection<'a>(
        &'a self,
        rejected: &'a SecretString,
    ) -> BoxFuture<'a, Result<SecretString, Error>>;
}

/// A fixed access token.
#[derive(Debug, Clone)]
pub struct StaticToken(SecretString);

impl StaticToken {
    pub fn new(token: SecretString) -> Self {
        Self(token)
    }
}

impl TokenSource for StaticToken {
    fn access_token(&self) -> BoxFuture<'_, Result<SecretString, Error>> {
        Box::pin(async move { Ok(self.0.clone()) })
    }

    fn refresh_after_rejection<'a>(
        &'a self,
        _rejected: &'a SecretString,
    ) -> BoxFuture<'a, Result<SecretString, Error>> {
        Box::pin(async {
            Err(Error::Auth {
                problem: AuthProblem::TokenInvalid,
                said: None,
            })
        })
    }
}

/// Persists a rotated token set; called before the new tokens are used.
pub type OnRotate = Arc<dyn Fn(TokenSet) -> BoxFuture<'static, Result<(), Error>> + Send + Sync>;

/// Reads the saved tokens back (`None` when none are saved). Another
/// process may have saved newer ones: a new sign-in, or a renewal by a
/// second server sharing the store.
pub type Reload =
    Arc<dyn Fn() -> BoxFuture<'static, Result<Option<TokenSet>, Error>> + Send + Sync>;

/// The longest proactive margin.
const MAX_MARGIN: Duration = Duration::from_secs(300);

/// The proactive margin as a part of the token's lifetime (a tenth).
const MARGIN_DIVISOR: u32 = 10;

/// An access token that renews itself through the OAuth2 app.
pub struct RefreshingToken {
    app: OAuthApp,
    current: Mutex<Held>,
    /// A fixed margin instead of the lifetime's tenth.
    margin: Option<Duration>,
    on_rotate: Option<OnRotate>,
    reload: Option<Reload>,
}

/// The tokens in use and how long the access token lives.
struct Held {
    tokens: TokenSet,
    /// The access token's lifetime as issued (`expires_in`); unknown for
    /// tokens saved before it was kept.
    lifetime: Option<Duration>,
}

impl Held {
    fn new(tokens: TokenSet) -> Self {
        let lifetime = tokens.expires_in.map(Duration::from_secs);
        Self { tokens, lifetime }
    }
}

impl fmt::Debug for RefreshingToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RefreshingToken")
            .field("margin", &self.margin)
            .finish_non_exhaustive()
    }
}

impl RefreshingToken {
    /// Renews a tenth of the token's lifetime before expiry (at most five
    /// minutes before).
    pub fn new(app: OAuthApp, tokens: TokenSet) -> Self {
        Self {
            app,
            current: Mutex::new(Held::new(tokens)),
            margin: None,
            on_rotate: None,
            reload: None,
        }
    }

    /// Renews this long before expiry instead.
    pub fn margin(mut self, margin: Duration) -> Self {
        self.margin = Some(margin);
        self
    }

    /// How long before expiry the held token is renewed.
    fn margin_of(&self, held: &Held) -> Duration {
        self.margin.unwrap_or_else(|| {
            held.lifetime
                .map_or(MAX_MARGIN, |l| (l / MARGIN_DIVISOR).min(MAX_MARGIN))
        })
    }

    pub fn on_rotate(mut self, hook: OnRotate) -> Self {
        self.on_rotate = Some(hook);
        self
    }

    /// Looks at the saved tokens before every renewal, and takes them
    /// when they are not the ones in memory: a sign-in made while this
    /// process runs reaches it without a restart, and a refresh token
    /// another process already used is never sent again.
    pub fn reload(mut self, hook: Reload) -> Self {
        self.reload = Some(hook);
        self
    }

    /// The tokens in use now.
    pub async fn current(&self) -> TokenSet {
        self.current.lock().await.tokens.clone()
    }

    /// Refreshes while the caller holds the lock, so only one refresh runs.
    async fn refresh_locked(&self, held: &mut Held) -> Result<SecretString, Error> {
        if let Some(saved) = self.saved_elsewhere(&held.tokens).await {
            tracing::info!("using the sign-in saved by another process");
            *held = Held::new(saved);
            if !held.tokens.expires_within(self.margin_of(held))
                || held.tokens.refresh_token.is_none()
            {
                return Ok(held.tokens.access_token.clone());
            }
        }
        let tokens = &mut held.tokens;
        let Some(refresh) = tokens.refresh_token.clone() else {
            return Err(Error::Auth {
                problem: AuthProblem::SignInAgain,
                said: None,
            });
        };
        let mut fresh = match self.app.refresh(&refresh).await {
            Ok(t) => t,
            // Worksection refused the refresh token itself: it expired, was
            // revoked or was already used. Only a new sign-in helps.
            Err(Error::OAuth { error, description }) => {
                tracing::warn!(%error, "the refresh token was refused; a new sign-in is needed");
                return Err(Error::Auth {
                    problem: AuthProblem::SignInAgain,
                    said: Some(ApiMessage {
                        status_code: None,
                        message: description,
                        details: Some(error),
                    }),
                });
            }
            Err(other) => return Err(other),
        };
        // A refresh answer may carry the account (`account_url`, taken when
        // present, as the SDKs do); the scopes it never carries.
        if fresh.account_url.is_none() {
            fresh.account_url = tokens.account_url.clone();
        }
        if fresh.scopes.is_empty() {
            fresh.scopes = tokens.scopes.clone();
        }
        if let Some(store) = &self.on_rotate
            && let Err(e) = store(fresh.clone()).await
        {
            // The old refresh token is already dead, so keep the new set in
            // memory either way; this process keeps working.
            tracing::error!("could not store the refreshed tokens: {e}");
        }
        tracing::info!(expires_at = ?fresh.expires_at, "access token refreshed");
        *held = Held::new(fresh);
        Ok(held.tokens.access_token.clone())
    }
}

impl RefreshingToken {
    /// The saved tokens, when they differ from `tokens`. A store that
    /// cannot be read now is not a reason to fail the call: the renewal
    /// goes on with the tokens in memory.
    async fn saved_elsewhere(&self, tokens: &TokenSet) -> Option<TokenSet> {
        let reload = self.reload.as_ref()?;
        match reload().await {
            // Newer only: a store left behind by a failed save holds
            // tokens that expire no later than the ones in memory.
            Ok(Some(saved))
                if !saved.same_access_token(&tokens.access_token)
                    && saved.expires_at >= tokens.expires_at =>
            {
                Some(saved)
            }
            Ok(_) => None,
            Err(e) => {
                tracing::warn!("could not read the saved sign-in: {e}");
                None
            }
        }
    }
}

impl TokenSource for RefreshingToken {
    fn access_token(&self) -> BoxFuture<'_, Result<SecretString, Error>> {
        Box::pin(async move {
            let mut held = self.current.lock().await;
            if held.tokens.expires_within(self.margin_of(&held))
                && held.tokens.refresh_token.is_some()
            {
                return self.refresh_locked(&mut held).await;
            }
            Ok(held.tokens.access_token.clone())
        })
    }

    fn refresh_after_rejection<'a>(
        &'a self,
        rejected: &'a SecretString,
    ) -> BoxFuture<'a, Result<SecretString, Error>> {
        Box::pin(async move {
            let mut held = self.current.lock().await;
            if !held.tokens.same_access_token(rejected) {
                // Someone else refreshed while this request was in flight.
                return Ok(held.tokens.access_token.clone());
            }
            self.refresh_locked(&mut held).await
        })
    }
}

//! Tokens that renew themselves and are saved before they are used.
//!
//! Worksection rotates the refresh token on every renewal, so a renewed
//! token set that is not saved is a sign-in lost at the next start. The
//! bearer built here saves each rotation to the token store before the new
//! access token is used, and reloads from the store before renewing, so a
//! renewal made meanwhile by another process (the CLI beside the desktop
//! app) is picked up instead of spending an already-rotated refresh token.

use std::sync::Arc;

use worksection::auth::token::{OnRotate, Reload};
use worksection::auth::{Bearer, OAuthApp, RefreshingToken, TokenSet};

use crate::store::{StoredSignIn, TokenStore};

/// A bearer for `record`'s account whose rotations are saved to `store`.
/// `key` is the record's key in the store ([`crate::account_key`]).
pub fn saving_bearer(
    app: OAuthApp,
    store: TokenStore,
    key: String,
    record: StoredSignIn,
) -> Bearer {
    let tokens = record.tokens.clone();
    let save_store = store.clone();
    let on_rotate: OnRotate = Arc::new(move |tokens: TokenSet| {
        let store = save_store.clone();
        let mut record = record.clone();
        Box::pin(async move {
            record.tokens = tokens;
            record.saved_at = chrono::Utc::now();
            store
                .save(&record)
                .await
                .map_err(|e| failed("saving the renewed sign-in", e))
        })
    });
    let reload: Reload = Arc::new(move || {
        let (store, key) = (store.clone(), key.clone());
        Box::pin(async move {
            store
                .load(&key)
                .await
                .map(|record| record.map(|r| r.tokens))
                .map_err(|e| failed("reading the sign-in", e))
        })
    });
    let source = RefreshingToken::new(app, tokens)
        .on_rotate(on_rotate)
        .reload(reload);
    Bearer::new(Arc::new(source))
}

fn failed(what: &str, e: impl std::fmt::Display) -> worksection::Error {
    worksection::Error::Local(format!("{what} failed: {e}"))
}

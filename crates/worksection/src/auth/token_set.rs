//! The set of OAuth2 tokens Worksection issues at sign-in and on each
//! refresh; what the sign-in (`oauth`) produces and the refreshing token
//! source (`token`) holds.

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use secrecy::{ExposeSecret, SecretString};

/// What Worksection issues at sign-in and on each refresh.
/// The tokens are written out as plain strings only by `Serialize`, for
/// the token store (`crate::secret::serialize`); `Debug` redacts them.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TokenSet {
    #[serde(serialize_with = "crate::secret::serialize")]
    pub access_token: SecretString,
    #[serde(serialize_with = "crate::secret::serialize_option")]
    pub refresh_token: Option<SecretString>,
    /// When the access token expires.
    pub expires_at: Option<DateTime<Utc>>,
    /// The account the tokens belong to (`https://acme.worksection.com`).
    pub account_url: Option<String>,
    /// The scopes granted at sign-in.
    #[serde(default)]
    pub scopes: Vec<String>,
    /// The access token's lifetime in seconds as issued (`expires_in`), so
    /// a renewal can come a fixed part of it before the expiry.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_in: Option<u64>,
}

impl TokenSet {
    /// Whether `other` holds the same access token (the tokens themselves
    /// are compared, never shown).
    pub fn same_access_token(&self, other: &SecretString) -> bool {
        self.access_token.expose_secret() == other.expose_secret()
    }

    /// Whether the access token expires within `margin` from now.
    pub fn expires_within(&self, margin: Duration) -> bool {
        let margin = chrono::Duration::from_std(margin).unwrap_or(chrono::Duration::MAX);
        self.expires_at.is_some_and(|at| at - margin <= Utc::now())
    }
}

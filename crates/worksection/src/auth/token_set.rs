//! The set of OAuth2 tokens Worksection issues at sign-in and on each
//! refresh; what the sign-in (`oauth`) produces and the refreshing token
//! source (`token`) holds.

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::secret::Secret;

/// What Worksection issues at sign-in and on each refresh.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TokenSet {
    pub access_token: Secret,
    pub refresh_token: Option<Secret>,
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
    /// Whether the access token expires within `margin` from now.
    pub fn expires_within(&self, margin: Duration) -> bool {
        let margin = chrono::Duration::from_std(margin).unwrap_or(chrono::Duration::MAX);
        self.expires_at.is_some_and(|at| at - margin <= Utc::now())
    }
}

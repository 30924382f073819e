//! The HTTP client every request of this crate goes through: rustls, a
//! connect timeout, and our name. The API client and the OAuth2 app share
//! one (and so one connection pool) when they are built from the same.

use std::time::Duration;

use crate::Error;

pub(crate) const USER_AGENT: &str = concat!("worksection-mcp/", env!("CARGO_PKG_VERSION"));

/// The shared HTTP client's defaults.
pub(crate) fn default_http() -> Result<reqwest::Client, Error> {
    reqwest::Client::builder()
        .user_agent(USER_AGENT)
        .connect_timeout(Duration::from_secs(10))
        .build()
        .map_err(|e| Error::Config(format!("cannot set up HTTPS: {}", e.without_url())))
}

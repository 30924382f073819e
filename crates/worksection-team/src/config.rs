//! What a team server needs, checked: where it is reached, the company's
//! Worksection app, where its store lives, and its token lifetimes.

use std::net::IpAddr;
use std::path::PathBuf;
use std::time::Duration;

use url::Url;
use worksection::SecretString;

use crate::seal::KeySource;

/// How client ID metadata documents are fetched.
#[derive(Debug, Clone)]
pub struct FetchPolicy {
    /// Largest document read, in bytes.
    pub max_bytes: usize,
    /// The whole fetch, connection included.
    pub timeout: Duration,
    /// Loopback addresses allowed (tests); private and link-local never.
    pub allow_loopback: bool,
    /// Another root certificate to trust (PEM), for a test's own HTTPS.
    pub extra_root_pem: Option<Vec<u8>>,
}

impl Default for FetchPolicy {
    fn default() -> Self {
        Self {
            max_bytes: 16 * 1024,
            timeout: Duration::from_secs(5),
            allow_loopback: false,
            extra_root_pem: None,
        }
    }
}

/// The company's Worksection OAuth2 app.
#[derive(Debug, Clone)]
pub struct WorksectionApp {
    pub client_id: String,
    pub client_secret: SecretString,
    /// `https://worksection.com` (or the simulator's address).
    pub oauth_url: String,
    pub scopes: Vec<String>,
    /// Only people of this account may sign in, when set.
    pub account_url: Option<Url>,
}

/// A team server's settings.
#[derive(Debug, Clone)]
pub struct TeamConfig {
    /// Where clients reach the server (`https://mcp.example.com`), an
    /// origin without a path; the issuer and the resource hang off it.
    pub public_url: Url,
    pub app: WorksectionApp,
    pub data_dir: PathBuf,
    pub key: Option<KeySource>,
    pub access_ttl: Duration,
    pub refresh_ttl: Duration,
    pub fetch: FetchPolicy,
    /// Worksection's pace for one account, requests per second.
    pub requests_per_second: f64,
    /// The Redis (or Valkey) the replicas share (`--redis-url`); `None`:
    /// one instance, everything in the embedded store.
    pub redis_url: Option<String>,
}

/// A setting that is wrong, in one sentence naming it.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct TeamConfigError(pub String);

impl TeamConfig {
    /// Checks a public URL: https (http only on a loopback address, for
    /// tests), a host, no path, query or fragment.
    pub fn public_url(raw: &str) -> Result<Url, TeamConfigError> {
        let bad = |why: &str| {
            TeamConfigError(format!(
                "--public-url `{raw}` {why}; give the address people's assistants reach this server at, like https://mcp.example.com (MCP_PUBLIC_URL)."
            ))
        };
        let url = Url::parse(raw.trim()).map_err(|_| bad("is not a URL"))?;
        let loopback = url.host_str().is_some_and(|h| {
            h == "localhost"
                || h.trim_start_matches('[')
                    .trim_end_matches(']')
                    .parse::<IpAddr>()
                    .is_ok_and(|ip| ip.is_loopback())
        });
        match url.scheme() {
            "https" => {}
            "http" if loopback => {}
            _ => return Err(bad("must start with https://")),
        }
        if url.host().is_none() {
            return Err(bad("has no host"));
        }
        if !matches!(url.path(), "" | "/") || url.query().is_some() || url.fragment().is_some() {
            return Err(bad("must be only an origin (no path)"));
        }
        Ok(url)
    }

    /// The issuer: the public URL without a trailing slash.
    pub fn issuer(&self) -> String {
        self.public_url.as_str().trim_end_matches('/').to_owned()
    }

    /// The MCP endpoint, the resource tokens are for.
    pub fn resource(&self) -> String {
        format!("{}/mcp", self.issuer())
    }

    /// Worksection's redirect back to this server.
    pub fn worksection_redirect(&self) -> String {
        format!("{}/oauth/worksection/callback", self.issuer())
    }

    /// Whether `resource` names this server (its MCP endpoint, or its
    /// origin, which the root protected resource metadata describes).
    pub fn is_own_resource(&self, resource: &str) -> bool {
        let r = resource.trim_end_matches('/');
        let same = |a: &str, b: &str| a.eq_ignore_ascii_case(b);
        same(r, &self.resource()) || same(r, &self.issuer())
    }
}

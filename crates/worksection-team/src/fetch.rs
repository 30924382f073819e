//! Fetching a client ID metadata document without becoming a tool for
//! someone else's requests (server-side request forgery).
//!
//! A client's id is a URL the server fetches, so anyone can make it fetch
//! anything. The fetch is therefore held to: HTTPS only; a host whose
//! every address is public (no loopback, private, link-local, shared,
//! multicast or unspecified address; loopback only when the operator
//! allows it for tests), checked in the HTTP client's own resolver so the
//! address checked is the address connected to (no DNS rebinding between
//! check and use) and for IP literals before anything is sent; redirects
//! only to the same host, at most three; a time limit on the whole fetch;
//! and a size limit on the body, read in pieces so a huge or endless body
//! is cut off at the limit. What it fetches is parsed and checked by
//! `clients`.

use std::net::{IpAddr, SocketAddr, ToSocketAddrs};
use std::sync::Arc;

use futures_util::StreamExt;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use url::Url;

use crate::config::FetchPolicy;

/// Why a document could not be had.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum FetchError {
    #[error("the client id {0} is not an https URL with a path")]
    NotHttps(String),
    #[error(
        "the client id's host {0} is a private, loopback or link-local address, which this server does not fetch"
    )]
    Private(String),
    #[error("the client metadata document is larger than {0} bytes")]
    TooLarge(usize),
    #[error("the client metadata document did not arrive within {0} seconds")]
    TooSlow(u64),
    #[error("the client metadata document could not be fetched: {0}")]
    Failed(String),
}

/// Whether an address is one the server may fetch from.
pub fn public(ip: IpAddr, allow_loopback: bool) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            if v4.is_loopback() {
                return allow_loopback;
            }
            let o = v4.octets();
            !(v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_multicast()
                || v4.is_documentation()
                // 100.64.0.0/10, carrier-grade NAT (shared address space).
                || (o[0] == 100 && (o[1] & 0xc0) == 64)
                // 0.0.0.0/8 and 192.0.0.0/24 (IETF protocol assignments).
                || o[0] == 0
                || (o[0] == 192 && o[1] == 0 && o[2] == 0)
                // 198.18.0.0/15, benchmarking.
                || (o[0] == 198 && (o[1] & 0xfe) == 18)
                // 240.0.0.0/4, reserved.
                || o[0] >= 240)
        }
        IpAddr::V6(v6) => {
            if v6.is_loopback() {
                return allow_loopback;
            }
            if let Some(v4) = v6.to_ipv4_mapped() {
                return public(IpAddr::V4(v4), allow_loopback);
            }
            let s = v6.segments();
            !(v6.is_unspecified()
                || v6.is_multicast()
                // fc00::/7 unique local, fe80::/10 link-local.
                || (s[0] & 0xfe00) == 0xfc00
                || (s[0] & 0xffc0) == 0xfe80
                // 2001:db8::/32 documentation.
                || (s[0] == 0x2001 && s[1] == 0x0db8))
        }
    }
}

/// The HTTP client's resolver: the system's, with every address that is
/// not public taken out (and the lookup failed when none is left).
struct PublicOnly {
    allow_loopback: bool,
}

impl Resolve for PublicOnly {
    fn resolve(&self, name: Name) -> Resolving {
        let host = name.as_str().to_owned();
        let allow_loopback = self.allow_loopback;
        Box::pin(async move {
            let found: Vec<SocketAddr> = tokio::task::spawn_blocking(move || {
                (host.as_str(), 0)
                    .to_socket_addrs()
                    .map(|a| a.collect::<Vec<_>>())
            })
            .await
            .map_err(|e| Box::new(e) as Box<dyn std::error::Error + Send + Sync>)?
            .map_err(|e| Box::new(e) as Box<dyn std::error::Error + Send + Sync>)?;
            let allowed: Vec<SocketAddr> = found
                .into_iter()
                .filter(|a| public(a.ip(), allow_loopback))
                .collect();
            if allowed.is_empty() {
                return Err(Box::new(PrivateHost) as Box<dyn std::error::Error + Send + Sync>);
            }
            Ok(Box::new(allowed.into_iter()) as Addrs)
        })
    }
}

/// The resolver's refusal, recognised in the error chain.
#[derive(Debug, thiserror::Error)]
#[error("the host resolves only to private, loopback or link-local addresses")]
struct PrivateHost;

/// Fetches client ID metadata documents under a [`FetchPolicy`].
#[derive(Clone)]
pub struct Fetcher {
    http: reqwest::Client,
    policy: FetchPolicy,
}

impl std::fmt::Debug for Fetcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Fetcher")
            .field("policy", &self.policy.max_bytes)
            .finish()
    }
}

impl Fetcher {
    pub fn new(policy: FetchPolicy) -> Result<Self, String> {
        let allow_loopback = policy.allow_loopback;
        let redirects = reqwest::redirect::Policy::custom(|attempt| {
            let same_host = attempt
                .previous()
                .first()
                .is_some_and(|first| first.host_str() == attempt.url().host_str());
            if attempt.previous().len() > 3 || !same_host || attempt.url().scheme() != "https" {
                attempt.stop()
            } else {
                attempt.follow()
            }
        });
        let mut builder = reqwest::Client::builder()
            .dns_resolver(Arc::new(PublicOnly { allow_loopback }))
            .redirect(redirects)
            .timeout(policy.timeout)
            .connect_timeout(policy.timeout)
            .no_proxy()
            .user_agent(concat!("worksection-mcp-team/", env!("CARGO_PKG_VERSION")));
        if let Some(pem) = &policy.extra_root_pem {
            let certs = reqwest::Certificate::from_pem_bundle(pem)
                .map_err(|e| format!("the extra root certificate is not PEM: {e}"))?;
            builder = builder.tls_certs_merge(certs);
        }
        let http = builder.build().map_err(|e| e.to_string())?;
        Ok(Self { http, policy })
    }

    /// Fetches the document at `client_id` (already known to be a URL).
    pub async fn fetch(&self, client_id: &Url) -> Result<Vec<u8>, FetchError> {
        if client_id.scheme() != "https" || matches!(client_id.path(), "" | "/") {
            return Err(FetchError::NotHttps(client_id.to_string()));
        }
        let host = client_id.host_str().unwrap_or_default().to_owned();
        let literal = host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<IpAddr>()
            .ok();
        if let Some(ip) = literal
            && !public(ip, self.policy.allow_loopback)
        {
            return Err(FetchError::Private(host));
        }
        let secs = self.policy.timeout.as_secs().max(1);
        let fetch = async {
            let resp = self
                .http
                .get(client_id.clone())
                .header(reqwest::header::ACCEPT, "application/json")
                .send()
                .await
                .map_err(|e| classify(e, &host, secs))?;
            if !resp.status().is_success() {
                return Err(FetchError::Failed(format!("HTTP {}", resp.status())));
            }
            if resp
                .content_length()
                .is_some_and(|n| n > self.policy.max_bytes as u64)
            {
                return Err(FetchError::TooLarge(self.policy.max_bytes));
            }
            let mut body = Vec::new();
            let mut stream = resp.bytes_stream();
            while let Some(piece) = stream.next().await {
                let piece = piece.map_err(|e| classify(e, &host, secs))?;
                if body.len() + piece.len() > self.policy.max_bytes {
                    return Err(FetchError::TooLarge(self.policy.max_bytes));
                }
                body.extend_from_slice(&piece);
            }
            Ok(body)
        };
        tokio::time::timeout(self.policy.timeout, fetch)
            .await
            .unwrap_or(Err(FetchError::TooSlow(secs)))
    }
}

fn classify(e: reqwest::Error, host: &str, secs: u64) -> FetchError {
    let mut source: Option<&dyn std::error::Error> = Some(&e);
    while let Some(s) = source {
        if s.downcast_ref::<PrivateHost>().is_some() {
            return FetchError::Private(host.to_owned());
        }
        source = s.source();
    }
    if e.is_timeout() {
        return FetchError::TooSlow(secs);
    }
    if e.is_redirect() {
        return FetchError::Failed("it redirects to another host".into());
    }
    // The innermost cause says what happened (a refused certificate, a
    // refused connection); the URL is left out, it is the client id.
    let mut detail = None;
    let mut inner: Option<&dyn std::error::Error> = std::error::Error::source(&e);
    while let Some(s) = inner {
        detail = Some(s.to_string());
        inner = s.source();
    }
    let detail = detail.unwrap_or_else(|| e.without_url().to_string());
    FetchError::Failed(detail)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_public_addresses_are_fetched() {
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "224.0.0.1",
            "::1",
            "fe80::1",
            "fd00::1",
            "::ffff:10.0.0.1",
            "::",
        ] {
            let ip: IpAddr = ip.parse().expect("ip");
            assert!(!public(ip, false), "{ip} refused");
        }
        assert!(
            public("127.0.0.1".parse().expect("ip"), true),
            "loopback when allowed"
        );
        assert!(
            !public("10.0.0.1".parse().expect("ip"), true),
            "private never"
        );
        for ip in ["93.184.216.34", "2606:4700::1111", "8.8.8.8"] {
            assert!(public(ip.parse().expect("ip"), false), "{ip} allowed");
        }
    }

    #[tokio::test]
    async fn private_literals_and_plain_http_are_refused_before_any_request() {
        let f = Fetcher::new(FetchPolicy::default()).expect("fetcher");
        let url = |s: &str| Url::parse(s).expect("url");
        assert_eq!(
            f.fetch(&url("https://169.254.169.254/latest/meta-data"))
                .await,
            Err(FetchError::Private("169.254.169.254".into()))
        );
        assert_eq!(
            f.fetch(&url("https://[::1]/client.json")).await,
            Err(FetchError::Private("[::1]".into()))
        );
        assert!(matches!(
            f.fetch(&url("http://example.com/client.json")).await,
            Err(FetchError::NotHttps(_))
        ));
        assert!(matches!(
            f.fetch(&url("https://localhost/client.json")).await,
            Err(FetchError::Private(_))
        ));
    }
}

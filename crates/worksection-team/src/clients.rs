//! Who a client is: registered here (RFC 7591 dynamic registration, which
//! Cursor, VS Code and older clients use) or described by the client ID
//! metadata document its id points at (the MCP specification's first
//! choice), and which redirect URIs it may use.
//!
//! Redirect URIs must be HTTPS, a loopback `http` address (RFC 8252 §7.3),
//! or a private-use scheme of a native app (RFC 8252 §7.1: a reverse
//! domain name such as `com.example.app:/cb`, or the `cursor:` and
//! `vscode:` schemes editors register); never a fragment. An authorization
//! request's redirect URI must equal a registered one exactly, except that
//! a loopback URI's port may differ (RFC 8252 §7.3: a native app gets a
//! fresh port each time).

use serde::Deserialize;
use url::Url;

use crate::fetch::{FetchError, Fetcher};
use crate::secrets::{self, Kind};
use crate::store::Client;

/// An RFC 7591 registration request (the fields this server reads).
#[derive(Debug, Deserialize)]
pub struct Registration {
    #[serde(default)]
    pub redirect_uris: Vec<String>,
    #[serde(default)]
    pub client_name: Option<String>,
    #[serde(default)]
    pub token_endpoint_auth_method: Option<String>,
    #[serde(default)]
    pub grant_types: Option<Vec<String>>,
    #[serde(default)]
    pub response_types: Option<Vec<String>>,
}

/// A client ID metadata document (the fields this server reads).
#[derive(Debug, Deserialize)]
struct MetadataDocument {
    client_id: String,
    #[serde(default)]
    client_name: Option<String>,
    #[serde(default)]
    redirect_uris: Vec<String>,
    #[serde(default)]
    token_endpoint_auth_method: Option<String>,
}

/// Why a client was refused, with RFC 7591's or RFC 6749's error code.
#[derive(Debug, Clone, PartialEq)]
pub struct ClientError {
    pub code: &'static str,
    pub description: String,
}

impl ClientError {
    fn new(code: &'static str, description: impl Into<String>) -> Self {
        Self {
            code,
            description: description.into(),
        }
    }
}

const AUTH_METHODS: [&str; 3] = ["none", "client_secret_post", "client_secret_basic"];

/// Whether a redirect URI may be registered; why not, otherwise.
pub fn check_redirect_uri(raw: &str) -> Result<(), String> {
    let url = Url::parse(raw).map_err(|_| format!("`{raw}` is not an absolute URI"))?;
    if url.fragment().is_some() {
        return Err(format!("`{raw}` has a fragment"));
    }
    match url.scheme() {
        "https" => Ok(()),
        "http" if is_loopback(&url) => Ok(()),
        "http" => Err(format!(
            "`{raw}` is plain http to a host other than a loopback address"
        )),
        "javascript" | "data" | "file" | "about" | "blob" | "vbscript" | "ftp" | "ws" | "wss" => {
            Err(format!("`{raw}` has a scheme no redirect may use"))
        }
        // Private-use schemes of native apps.
        _ => Ok(()),
    }
}

fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        None => false,
    }
}

/// Whether `asked` is one of `registered`: exactly, or a loopback URI
/// equal to a registered one but for its port.
pub fn redirect_matches(registered: &[String], asked: &str) -> bool {
    if registered.iter().any(|r| r == asked) {
        return true;
    }
    let Ok(asked_url) = Url::parse(asked) else {
        return false;
    };
    if asked_url.scheme() != "http" || !is_loopback(&asked_url) {
        return false;
    }
    registered.iter().any(|r| {
        Url::parse(r).is_ok_and(|mut reg| {
            if reg.scheme() != "http" || !is_loopback(&reg) {
                return false;
            }
            let mut a = asked_url.clone();
            let _ = reg.set_port(None);
            let _ = a.set_port(None);
            reg == a
        })
    })
}

/// Registers a client (RFC 7591); the record to keep and the secret to
/// hand out once (for the secret methods).
pub fn register(req: Registration, now: i64) -> Result<(Client, Option<String>), ClientError> {
    if req.redirect_uris.is_empty() {
        return Err(ClientError::new(
            "invalid_redirect_uri",
            "redirect_uris is required: list the URIs this client receives codes at",
        ));
    }
    for uri in &req.redirect_uris {
        check_redirect_uri(uri).map_err(|why| ClientError::new("invalid_redirect_uri", why))?;
    }
    let method = req
        .token_endpoint_auth_method
        .clone()
        .unwrap_or_else(|| "client_secret_basic".to_owned());
    if !AUTH_METHODS.contains(&method.as_str()) {
        return Err(ClientError::new(
            "invalid_client_metadata",
            format!(
                "token_endpoint_auth_method `{method}` is not supported; use one of {}",
                AUTH_METHODS.join(", ")
            ),
        ));
    }
    if let Some(grants) = &req.grant_types
        && let Some(bad) = grants
            .iter()
            .find(|g| !matches!(g.as_str(), "authorization_code" | "refresh_token"))
    {
        return Err(ClientError::new(
            "invalid_client_metadata",
            format!(
                "grant type `{bad}` is not supported; this server grants authorization_code and refresh_token"
            ),
        ));
    }
    if let Some(types) = &req.response_types
        && types.iter().any(|t| t != "code")
    {
        return Err(ClientError::new(
            "invalid_client_metadata",
            "only the response type `code` is supported",
        ));
    }
    let name = req
        .client_name
        .as_deref()
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .map(|n| n.chars().take(100).collect())
        .unwrap_or_else(|| "An unnamed application".to_owned());
    let secret = (method != "none").then(|| secrets::new(Kind::ClientSecret));
    let client = Client {
        client_id: secrets::id("wsc_"),
        name,
        redirect_uris: req.redirect_uris,
        auth_method: method,
        secret_hash: secret.as_deref().map(secrets::hash),
        from_metadata: false,
        created: now,
    };
    Ok((client, secret))
}

/// Whether a client id is a metadata document's URL rather than an id
/// this server gave out.
pub fn is_metadata_url(client_id: &str) -> bool {
    client_id.starts_with("https://") || client_id.starts_with("http://")
}

/// Fetches and checks the metadata document a URL client id points at.
pub async fn from_metadata(
    fetcher: &Fetcher,
    client_id: &str,
    now: i64,
) -> Result<Client, ClientError> {
    let url = Url::parse(client_id)
        .map_err(|_| ClientError::new("invalid_client", "the client id is not a valid URL"))?;
    let bytes = fetcher.fetch(&url).await.map_err(|e| {
        let code = match e {
            FetchError::NotHttps(_) | FetchError::Private(_) => "invalid_client",
            _ => "invalid_client",
        };
        ClientError::new(code, e.to_string())
    })?;
    let doc: MetadataDocument = serde_json::from_slice(&bytes).map_err(|e| {
        ClientError::new(
            "invalid_client",
            format!("the client metadata document is not valid JSON metadata ({e})"),
        )
    })?;
    if doc.client_id != client_id {
        return Err(ClientError::new(
            "invalid_client",
            "the client metadata document's client_id is not the URL it was fetched from",
        ));
    }
    if doc.redirect_uris.is_empty() {
        return Err(ClientError::new(
            "invalid_client",
            "the client metadata document lists no redirect_uris",
        ));
    }
    for uri in &doc.redirect_uris {
        check_redirect_uri(uri).map_err(|why| {
            ClientError::new(
                "invalid_client",
                format!("the client metadata document's redirect URI {why}"),
            )
        })?;
    }
    let method = doc
        .token_endpoint_auth_method
        .unwrap_or_else(|| "none".to_owned());
    if method != "none" {
        return Err(ClientError::new(
            "invalid_client",
            format!(
                "a metadata document client must use token_endpoint_auth_method `none` here, not `{method}`"
            ),
        ));
    }
    let name = doc
        .client_name
        .as_deref()
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .map(|n| n.chars().take(100).collect())
        .or_else(|| url.host_str().map(str::to_owned))
        .unwrap_or_default();
    Ok(Client {
        client_id: client_id.to_owned(),
        name,
        redirect_uris: doc.redirect_uris,
        auth_method: method,
        secret_hash: None,
        from_metadata: true,
        created: now,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redirect_uris_match_exactly_or_by_loopback_port() {
        let reg = vec![
            "http://127.0.0.1/callback".to_owned(),
            "https://claude.ai/api/mcp/auth_callback".to_owned(),
            "cursor://anysphere.cursor-retrieval/oauth/callback".to_owned(),
        ];
        assert!(redirect_matches(&reg, "http://127.0.0.1:53121/callback"));
        assert!(redirect_matches(
            &reg,
            "https://claude.ai/api/mcp/auth_callback"
        ));
        assert!(redirect_matches(
            &reg,
            "cursor://anysphere.cursor-retrieval/oauth/callback"
        ));
        for bad in [
            "http://127.0.0.1:53121/other",
            "https://claude.ai/api/mcp/auth_callback/",
            "https://claude.ai:8443/api/mcp/auth_callback",
            "https://evil.example/api/mcp/auth_callback",
            "http://127.0.0.2:1/callback",
            "HTTPS://claude.ai/api/mcp/auth_callback?x=1",
        ] {
            assert!(!redirect_matches(&reg, bad), "{bad}");
        }
    }

    #[test]
    fn registration_checks_what_it_is_given() {
        let req = |uris: &[&str], method: Option<&str>| Registration {
            redirect_uris: uris.iter().map(|s| (*s).to_owned()).collect(),
            client_name: Some("Test".into()),
            token_endpoint_auth_method: method.map(str::to_owned),
            grant_types: None,
            response_types: None,
        };
        let (c, secret) =
            register(req(&["http://127.0.0.1:5000/cb"], Some("none")), 1).expect("ok");
        assert!(secret.is_none() && c.secret_hash.is_none());
        let (c, secret) = register(req(&["https://app.example/cb"], None), 1).expect("ok");
        let secret = secret.expect("a secret for client_secret_basic");
        assert_eq!(
            c.secret_hash.as_deref(),
            Some(secrets::hash(&secret).as_str())
        );
        for bad in [
            &["http://evil.example/cb"][..],
            &["javascript:alert(1)"],
            &["https://app.example/cb#frag"],
            &[],
        ] {
            let e = register(req(bad, Some("none")), 1).expect_err("refused");
            assert_eq!(e.code, "invalid_redirect_uri", "{bad:?}");
        }
        assert_eq!(
            register(req(&["https://a.example/cb"], Some("private_key_jwt")), 1)
                .expect_err("refused")
                .code,
            "invalid_client_metadata"
        );
    }
}

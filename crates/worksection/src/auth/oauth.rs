//! Signing in to Worksection with OAuth2, through the `oauth2` crate adapted
//! to Worksection's ways:
//!
//! - errors come back as HTTP 200 with `{"error", "errorDescription"}`
//!   (camelCase); the HTTP adapter below turns them into the standard 400
//!   with `error_description`, so the crate classifies them;
//! - refresh goes to `/oauth2/refresh`, not the token URL;
//! - scopes are comma-separated, and the client credentials travel in the
//!   request body;
//! - the token answer carries the `account_url`, and `/oauth2/resource`
//!   tells who signed in, so the account is discovered rather than typed.

use chrono::Utc;
use oauth2::basic::{
    BasicErrorResponse, BasicRevocationErrorResponse, BasicTokenIntrospectionResponse,
    BasicTokenType,
};
use oauth2::{
    AuthType, AuthUrl, AuthorizationCode, ClientId, ClientSecret, CsrfToken, EndpointNotSet,
    EndpointSet, ExtraTokenFields, RedirectUrl, RefreshToken, RequestTokenError, Scope,
    StandardRevocableToken, StandardTokenResponse, TokenResponse, TokenUrl,
};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use url::Url;

use super::token_set::TokenSet;
use crate::error::Error;
use crate::models::Id;
use secrecy::{ExposeSecret, SecretString};

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct WsFields {
    #[serde(default)]
    account_url: Option<String>,
}

impl ExtraTokenFields for WsFields {}

type WsTokenResponse = StandardTokenResponse<WsFields, BasicTokenType>;

type WsClient<HasAuthUrl> = oauth2::Client<
    BasicErrorResponse,
    WsTokenResponse,
    BasicTokenIntrospectionResponse,
    StandardRevocableToken,
    BasicRevocationErrorResponse,
    HasAuthUrl,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointSet,
>;

/// Who signed in (`/oauth2/resource`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResourceOwner {
    pub id: Id,
    #[serde(default)]
    pub first_name: String,
    #[serde(default)]
    pub last_name: String,
    #[serde(default)]
    pub email: String,
    pub account_url: String,
}

/// A Worksection OAuth2 application.
#[derive(Clone)]
pub struct OAuthApp {
    client_id: String,
    client_secret: SecretString,
    redirect_uri: Url,
    oauth_url: Url,
    http: reqwest::Client,
}

impl std::fmt::Debug for OAuthApp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OAuthApp")
            .field("client_id", &self.client_id)
            .field("redirect_uri", &self.redirect_uri.as_str())
            .field("oauth_url", &self.oauth_url.as_str())
            .finish_non_exhaustive()
    }
}

fn parse_url(what: &str, value: &str) -> Result<Url, Error> {
    let url = Url::parse(value)
        .map_err(|e| Error::Config(format!("{what} `{value}` is not a valid URL ({e})")))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(Error::Config(format!(
            "{what} `{value}` must start with https://"
        )));
    }
    Ok(url)
}

impl OAuthApp {
    /// `oauth_url` is `https://worksection.com` for the real service.
    pub fn new(
        client_id: impl Into<String>,
        client_secret: impl Into<SecretString>,
        redirect_uri: &str,
        oauth_url: &str,
    ) -> Result<Self, Error> {
        let client_id = client_id.into();
        if client_id.trim().is_empty() {
            return Err(Error::Config("the OAuth2 client id is empty".into()));
        }
        Ok(Self {
            client_id,
            client_secret: client_secret.into(),
            redirect_uri: parse_url("the redirect URI", redirect_uri)?,
            oauth_url: parse_url("the OAuth URL", oauth_url)?,
            http: crate::http::default_http()?,
        })
    }

    /// Shares an HTTP client (connection pool) with the API client.
    pub fn with_http(mut self, http: reqwest::Client) -> Self {
        self.http = http;
        self
    }

    pub fn redirect_uri(&self) -> &Url {
        &self.redirect_uri
    }

    fn endpoint(&self, path: &str) -> Result<Url, Error> {
        self.oauth_url
            .join(path)
            .map_err(|e| Error::Config(format!("cannot build the OAuth URL for {path}: {e}")))
    }

    fn client(&self, token_path: &str) -> Result<WsClient<EndpointSet>, Error> {
        let auth = AuthUrl::from_url(self.endpoint("/oauth2/authorize")?);
        let token = TokenUrl::from_url(self.endpoint(token_path)?);
        Ok(oauth2::Client::new(ClientId::new(self.client_id.clone()))
            .set_client_secret(ClientSecret::new(
                self.client_secret.expose_secret().to_owned(),
            ))
            .set_auth_type(AuthType::RequestBody)
            .set_auth_uri(auth)
            .set_token_uri(token)
            .set_redirect_uri(RedirectUrl::from_url(self.redirect_uri.clone())))
    }

    /// The URL that shows Worksection's consent page, and the fresh random
    /// `state` the redirect must carry back.
    pub fn authorize_url(&self, scopes: &[&str]) -> Result<(Url, SecretString), Error> {
        let (url, state) = self
            .client("/oauth2/token")?
            .authorize_url(CsrfToken::new_random)
            .add_scope(Scope::new(scopes.join(",")))
            .url();
        Ok((url, SecretString::from(state.secret().to_owned())))
    }

    /// Exchanges the code from the redirect for tokens.
    pub async fn exchange_code(&self, code: &SecretString) -> Result<TokenSet, Error> {
        let http = OAuthHttp(self.http.clone());
        let resp = self
            .client("/oauth2/token")?
            .exchange_code(AuthorizationCode::new(code.expose_secret().to_owned()))
            .request_async(&http)
            .await
            .map_err(token_error)?;
        Ok(token_set(&resp))
    }

    /// Exchanges a refresh token for a new set (the old refresh token dies).
    pub async fn refresh(&self, refresh_token: &SecretString) -> Result<TokenSet, Error> {
        let http = OAuthHttp(self.http.clone());
        let resp = self
            .client("/oauth2/refresh")?
            .exchange_refresh_token(&RefreshToken::new(refresh_token.expose_secret().to_owned()))
            .request_async(&http)
            .await
            .map_err(token_error)?;
        Ok(token_set(&resp))
    }

    /// Who the token belongs to, and their account URL.
    pub async fn resource(&self, access_token: &SecretString) -> Result<ResourceOwner, Error> {
        let form = [
            ("client_id", self.client_id.as_str()),
            ("client_secret", self.client_secret.expose_secret()),
            ("access_token", access_token.expose_secret()),
        ];
        let resp = self
            .http
            .post(self.endpoint("/oauth2/resource")?)
            .form(&form)
            .send()
            .await
            .map_err(|e| Error::Upstream {
                detail: e.without_url().to_string(),
                status: None,
            })?;
        let status = resp.status();
        let body = resp.bytes().await.map_err(|e| Error::Upstream {
            detail: e.without_url().to_string(),
            status: Some(status.as_u16()),
        })?;
        let value: Value = serde_json::from_slice(&body).map_err(|_| Error::BadResponse {
            detail: format!("the resource endpoint answered HTTP {status} without JSON"),
        })?;
        if let Some(error) = value.get("error").and_then(Value::as_str) {
            return Err(Error::OAuth {
                error: error.to_owned(),
                description: description(&value),
            });
        }
        serde_json::from_value(value).map_err(|e| Error::BadResponse {
            detail: format!("unexpected resource answer: {e}"),
        })
    }
}

fn description(v: &Value) -> String {
    v.get("errorDescription")
        .or_else(|| v.get("error_description"))
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned()
}

fn token_set(resp: &WsTokenResponse) -> TokenSet {
    TokenSet {
        access_token: SecretString::from(resp.access_token().secret().to_owned()),
        refresh_token: resp
            .refresh_token()
            .map(|r| SecretString::from(r.secret().to_owned())),
        expires_at: resp
            .expires_in()
            .and_then(|d| chrono::Duration::from_std(d).ok())
            .map(|d| Utc::now() + d),
        account_url: resp.extra_fields().account_url.clone(),
        scopes: resp
            .scopes()
            .map(|s| s.iter().map(|x| x.to_string()).collect())
            .unwrap_or_default(),
        expires_in: resp.expires_in().map(|d| d.as_secs()),
    }
}

fn token_error(e: RequestTokenError<HttpError, BasicErrorResponse>) -> Error {
    match e {
        RequestTokenError::ServerResponse(r) => Error::OAuth {
            error: r.error().as_ref().to_owned(),
            description: r.error_description().cloned().unwrap_or_default(),
        },
        RequestTokenError::Request(HttpError(detail)) => Error::Upstream {
            detail,
            status: None,
        },
        // The parse error names the field, never the body (it holds tokens).
        RequestTokenError::Parse(e, _) => Error::BadResponse {
            detail: format!("unexpected token answer at `{}`", e.path()),
        },
        RequestTokenError::Other(detail) => Error::BadResponse { detail },
    }
}

/// A transport failure talking to the OAuth2 endpoints (URL-free).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct HttpError(String);

/// Our reqwest client, as the `oauth2` crate's HTTP client.
struct OAuthHttp(reqwest::Client);

impl<'c> oauth2::AsyncHttpClient<'c> for OAuthHttp {
    type Error = HttpError;
    type Future = std::pin::Pin<
        Box<dyn std::future::Future<Output = Result<oauth2::HttpResponse, HttpError>> + Send + 'c>,
    >;

    fn call(&'c self, request: oauth2::HttpRequest) -> Self::Future {
        Box::pin(send(&self.0, request))
    }
}

/// Sends an `oauth2` request with our reqwest client, rewriting
/// Worksection's HTTP-200 error answers into standard OAuth2 errors.
async fn send(
    http: &reqwest::Client,
    req: oauth2::HttpRequest,
) -> Result<oauth2::HttpResponse, HttpError> {
    let (parts, body) = req.into_parts();
    let resp = http
        .request(parts.method, parts.uri.to_string())
        .headers(parts.headers)
        .body(body)
        .send()
        .await
        .map_err(|e| HttpError(e.without_url().to_string()))?;
    let mut status = resp.status();
    let bytes = resp
        .bytes()
        .await
        .map_err(|e| HttpError(e.without_url().to_string()))?;
    let mut body = bytes.to_vec();
    let json = serde_json::from_slice::<Value>(&bytes).ok();
    if let Some(Value::Object(mut m)) = json.clone()
        && m.contains_key("error")
    {
        if !m.contains_key("error_description") {
            m.insert(
                "error_description".into(),
                Value::String(description(&Value::Object(m.clone()))),
            );
        }
        status = http::StatusCode::BAD_REQUEST;
        body = serde_json::to_vec(&m).map_err(|e| HttpError(e.to_string()))?;
    }
    let mut builder = http::Response::builder().status(status);
    if json.is_some() {
        builder = builder.header(http::header::CONTENT_TYPE, "application/json");
    }
    builder.body(body).map_err(|e| HttpError(e.to_string()))
}

//! OAuth2 as Worksection does it: the consent page, codes, tokens, refresh,
//! and the resource endpoint.
//!
//! Worksection answers OAuth2 errors with HTTP 200 and a camelCase body,
//! `{"error": "...", "errorDescription": "..."}`, and refreshes at
//! `/oauth2/refresh` rather than `/oauth2/token`; the simulator does the same
//! so that clients are tested against the quirks they will meet. Codes are
//! single-use and live 10 minutes; refreshing rotates the refresh token and
//! revokes the access token it replaced.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Json;
use axum::extract::{Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use rand::RngCore;
use serde_json::{Value, json};

use crate::api::{AllParams, Params};
use crate::config::{CLIENT_ID, CLIENT_SECRET};
use crate::server::AppState;

/// Every scope Worksection knows, with what it lets an app do.
pub const SCOPES: &[(&str, &str)] = &[
    ("projects_read", "See projects and project folders"),
    ("projects_write", "Create and change projects"),
    ("tasks_read", "See tasks and subtasks"),
    ("tasks_write", "Create and change tasks"),
    ("costs_read", "See time and money costs and timers"),
    ("costs_write", "Add and change costs"),
    ("tags_read", "See task and project tags"),
    ("tags_write", "Create and assign tags"),
    ("comments_read", "See comments"),
    ("comments_write", "Write comments"),
    ("files_read", "See and download files"),
    ("files_write", "Upload files"),
    ("users_read", "See account members and teams"),
    ("users_write", "Invite and change members"),
    ("contacts_read", "See contacts"),
    ("contacts_write", "Create and change contacts"),
    ("administrative", "Administer the account (webhooks)"),
];

const CODE_TTL: Duration = Duration::from_secs(600);

/// What a user allowed an app to do.
#[derive(Debug, Clone)]
pub struct Grant {
    pub user: u64,
    pub scopes: Vec<String>,
}

impl Grant {
    pub fn allows(&self, scope: &str) -> bool {
        self.scopes.iter().any(|s| s == scope)
    }
}

#[derive(Debug)]
struct CodeEntry {
    grant: Grant,
    redirect_uri: String,
    expires: Instant,
    used: bool,
}

#[derive(Debug)]
struct RefreshEntry {
    grant: Grant,
    expires: Instant,
    /// The access token issued with this refresh token; revoked when the
    /// refresh token is used.
    access_token: String,
}

/// Why a bearer token was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenProblem {
    Missing,
    Unknown,
    Expired,
}

/// Issued codes and tokens.
#[derive(Debug)]
pub struct Tokens {
    access_ttl: Duration,
    refresh_ttl: Duration,
    codes: HashMap<String, CodeEntry>,
    access: HashMap<String, (Grant, Instant)>,
    refresh: HashMap<String, RefreshEntry>,
    /// Refresh tokens already used, so a replay is told it was revoked.
    spent_refresh: HashMap<String, Instant>,
}

impl Tokens {
    pub fn new(access_ttl: Duration, refresh_ttl: Duration) -> Self {
        Self {
            access_ttl,
            refresh_ttl,
            codes: HashMap::new(),
            access: HashMap::new(),
            refresh: HashMap::new(),
            spent_refresh: HashMap::new(),
        }
    }

    /// Looks up a bearer token.
    pub fn check(&self, token: &str) -> Result<Grant, TokenProblem> {
        match self.access.get(token) {
            None => Err(TokenProblem::Unknown),
            Some((_, expires)) if *expires <= Instant::now() => Err(TokenProblem::Expired),
            Some((grant, _)) => Ok(grant.clone()),
        }
    }

    /// Forgets every access and refresh token (a password change, an admin
    /// revoking the app, ...).
    pub fn revoke_all(&mut self) {
        self.access.clear();
        let now = Instant::now();
        for (token, _) in self.refresh.drain() {
            self.spent_refresh.insert(token, now);
        }
    }

    fn issue_code(&mut self, grant: Grant, redirect_uri: &str) -> String {
        let code = random_token("");
        self.codes.insert(
            code.clone(),
            CodeEntry {
                grant,
                redirect_uri: redirect_uri.to_owned(),
                expires: Instant::now() + CODE_TTL,
                used: false,
            },
        );
        code
    }

    fn issue_tokens(&mut self, grant: Grant) -> (String, String) {
        let access = random_token("");
        let refresh = random_token("def50200");
        let now = Instant::now();
        self.access
            .insert(access.clone(), (grant.clone(), now + self.access_ttl));
        self.refresh.insert(
            refresh.clone(),
            RefreshEntry {
                grant,
                expires: now + self.refresh_ttl,
                access_token: access.clone(),
            },
        );
        (access, refresh)
    }
}

fn random_token(prefix: &str) -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    format!("{prefix}{}", hex::encode(bytes))
}

/// Worksection's OAuth2 error answer: HTTP 200, camelCase description.
#[derive(Debug)]
pub struct OAuthError {
    error: &'static str,
    description: String,
}

impl OAuthError {
    fn new(error: &'static str, description: impl Into<String>) -> Self {
        Self {
            error,
            description: description.into(),
        }
    }
}

impl IntoResponse for OAuthError {
    fn into_response(self) -> Response {
        Json(json!({ "error": self.error, "errorDescription": self.description })).into_response()
    }
}

fn check_client(p: &Params) -> Result<(), OAuthError> {
    match (p.get("client_id"), p.get("client_secret")) {
        (Some(CLIENT_ID), Some(CLIENT_SECRET)) => Ok(()),
        _ => Err(OAuthError::new(
            "invalid_client",
            "Client authentication failed",
        )),
    }
}

fn required<'a>(p: &'a Params, name: &str) -> Result<&'a str, OAuthError> {
    p.get(name).filter(|v| !v.is_empty()).ok_or_else(|| {
        OAuthError::new(
            "invalid_request",
            format!(
                "The request is missing a required parameter, includes an invalid parameter \
                 value, includes a parameter more than once, or is otherwise malformed. Check \
                 the `{name}` parameter"
            ),
        )
    })
}

/// The checked parts of an authorize request.
struct AuthorizeRequest {
    redirect_uri: String,
    state: String,
    scopes: Vec<String>,
}

/// Why an authorize request was refused. Problems with the client or the
/// redirect URI are shown on the page (redirecting to an unverified URI
/// would be an open redirect); the others are sent back to the app.
enum AuthorizeRejection {
    Page(&'static str),
    Redirect(String),
}

impl IntoResponse for AuthorizeRejection {
    fn into_response(self) -> Response {
        match self {
            Self::Page(msg) => (
                StatusCode::BAD_REQUEST,
                Html(page(
                    "Sign-in problem",
                    &format!("<p class=\"error\">{}</p>", escape(msg)),
                )),
            )
                .into_response(),
            Self::Redirect(location) => redirect(&location),
        }
    }
}

fn check_authorize(state: &AppState, p: &Params) -> Result<AuthorizeRequest, AuthorizeRejection> {
    if p.get("client_id") != Some(CLIENT_ID) {
        return Err(AuthorizeRejection::Page(
            "This application is not registered with the account (unknown client_id).",
        ));
    }
    let redirect_uri = p.get("redirect_uri").unwrap_or_default();
    if !state.redirect_uris.iter().any(|r| r == redirect_uri) {
        return Err(AuthorizeRejection::Page(
            "The redirect_uri does not match the application's registered redirect URL.",
        ));
    }
    let back = |error: &str, description: &str| match url::Url::parse(redirect_uri) {
        Ok(mut u) => {
            u.query_pairs_mut()
                .append_pair("error", error)
                .append_pair("error_description", description)
                .append_pair("state", p.get("state").unwrap_or_default());
            AuthorizeRejection::Redirect(u.into())
        }
        Err(_) => AuthorizeRejection::Page("The redirect_uri is not a valid URL."),
    };
    if p.get("response_type") != Some("code") {
        return Err(back(
            "unsupported_response_type",
            "response_type must be code",
        ));
    }
    let Some(st) = p.get("state").filter(|s| !s.is_empty()) else {
        return Err(back("invalid_request", "The state parameter is required"));
    };
    let scopes: Vec<String> = p
        .get("scope")
        .unwrap_or_default()
        .split([',', ' '])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect();
    if scopes.is_empty() {
        return Err(back("invalid_scope", "The scope parameter is required"));
    }
    if let Some(bad) = scopes.iter().find(|s| !SCOPES.iter().any(|(n, _)| n == s)) {
        return Err(back(
            "invalid_scope",
            &format!("The requested scope {bad} is invalid"),
        ));
    }
    Ok(AuthorizeRequest {
        redirect_uri: redirect_uri.to_owned(),
        state: st.to_owned(),
        scopes,
    })
}

fn redirect(location: &str) -> Response {
    match HeaderValue::from_str(location) {
        Ok(v) => (StatusCode::FOUND, [(header::LOCATION, v)]).into_response(),
        Err(_) => (
            StatusCode::BAD_REQUEST,
            "redirect_uri is not a valid header value",
        )
            .into_response(),
    }
}

/// `GET /oauth2/authorize`: the consent page.
pub async fn authorize_page(
    State(state): State<Arc<AppState>>,
    Query(p): Query<Params>,
) -> Response {
    state.stats.oauth("authorize");
    let req = match check_authorize(&state, &p) {
        Ok(r) => r,
        Err(rejection) => return rejection.into_response(),
    };
    let me = state.account.user(state.account.data.me);
    let who = me
        .map(|u| format!("{} ({})", u.name(), u.email))
        .unwrap_or_default();
    let scope_items: String = req
        .scopes
        .iter()
        .map(|s| {
            let what = SCOPES
                .iter()
                .find(|(n, _)| n == s)
                .map(|(_, w)| *w)
                .unwrap_or("");
            format!("<li><code>{}</code> — {}</li>", escape(s), escape(what))
        })
        .collect();
    let hidden: String = [
        "client_id",
        "redirect_uri",
        "state",
        "scope",
        "response_type",
    ]
    .iter()
    .map(|k| {
        format!(
            "<input type=\"hidden\" name=\"{k}\" value=\"{}\">",
            escape(p.get(k).unwrap_or_default())
        )
    })
    .collect();
    let body = format!(
        "<p>Signed in to <strong>{company}</strong> as {who}.</p>\
         <p><strong>Worksection MCP</strong> asks to:</p><ul>{scope_items}</ul>\
         <form method=\"post\" action=\"/oauth2/authorize\">{hidden}\
         <button type=\"submit\" name=\"decision\" value=\"allow\" id=\"allow\">Allow</button> \
         <button type=\"submit\" name=\"decision\" value=\"deny\" id=\"deny\">Deny</button>\
         </form>",
        company = escape(&state.account.data.company),
        who = escape(&who),
    );
    Html(page("Allow access to your Worksection account", &body)).into_response()
}

/// `POST /oauth2/authorize`: the user's decision.
pub async fn authorize_decision(
    State(state): State<Arc<AppState>>,
    AllParams(p): AllParams,
) -> Response {
    state.stats.oauth("authorize");
    let req = match check_authorize(&state, &p) {
        Ok(r) => r,
        Err(rejection) => return rejection.into_response(),
    };
    let Ok(mut url) = url::Url::parse(&req.redirect_uri) else {
        return (StatusCode::BAD_REQUEST, "redirect_uri is not a valid URL").into_response();
    };
    match p.get("decision") {
        Some("allow") => {
            let grant = Grant {
                user: state.account.data.me,
                scopes: req.scopes,
            };
            let code = state.tokens().issue_code(grant, &req.redirect_uri);
            url.query_pairs_mut()
                .append_pair("code", &code)
                .append_pair("state", &req.state);
        }
        _ => {
            url.query_pairs_mut()
                .append_pair("error", "access_denied")
                .append_pair("error_description", "The resource owner denied the request")
                .append_pair("state", &req.state);
        }
    }
    redirect(url.as_str())
}

/// `POST /oauth2/token`: exchanges a code for tokens.
pub async fn token(
    State(state): State<Arc<AppState>>,
    AllParams(p): AllParams,
) -> Result<Json<Value>, OAuthError> {
    state.stats.oauth("token");
    check_client(&p)?;
    if required(&p, "grant_type")? != "authorization_code" {
        return Err(unsupported_grant());
    }
    let code = required(&p, "code")?;
    let redirect_uri = required(&p, "redirect_uri")?;
    let mut tokens = state.tokens();
    let entry = tokens.codes.get_mut(code).ok_or_else(|| {
        OAuthError::new("invalid_request", "Cannot decrypt the authorization code")
    })?;
    if entry.used {
        return Err(OAuthError::new(
            "invalid_request",
            "Authorization code has been revoked",
        ));
    }
    if entry.expires <= Instant::now() {
        return Err(OAuthError::new(
            "invalid_request",
            "Authorization code has expired",
        ));
    }
    if entry.redirect_uri != redirect_uri {
        return Err(OAuthError::new("invalid_request", "Invalid redirect URI"));
    }
    entry.used = true;
    let grant = entry.grant.clone();
    let (access, refresh) = tokens.issue_tokens(grant);
    Ok(Json(json!({
        "token_type": "Bearer",
        "expires_in": tokens.access_ttl.as_secs(),
        "access_token": access,
        "refresh_token": refresh,
        "account_url": state.info.account_url,
    })))
}

fn unsupported_grant() -> OAuthError {
    OAuthError::new(
        "unsupported_grant_type",
        "The authorization grant type is not supported by the authorization server",
    )
}

/// `POST /oauth2/refresh`: rotates the refresh token.
pub async fn refresh(
    State(state): State<Arc<AppState>>,
    AllParams(p): AllParams,
) -> Result<Json<Value>, OAuthError> {
    state.stats.oauth("refresh");
    check_client(&p)?;
    if required(&p, "grant_type")? != "refresh_token" {
        return Err(unsupported_grant());
    }
    let old = required(&p, "refresh_token")?;
    let mut tokens = state.tokens();
    if tokens.spent_refresh.contains_key(old) {
        return Err(OAuthError::new("invalid_request", "Token has been revoked"));
    }
    let entry = tokens
        .refresh
        .remove(old)
        .ok_or_else(|| OAuthError::new("invalid_request", "Cannot decrypt the refresh token"))?;
    tokens.spent_refresh.insert(old.to_owned(), Instant::now());
    if entry.expires <= Instant::now() {
        return Err(OAuthError::new("invalid_request", "Token has expired"));
    }
    tokens.access.remove(&entry.access_token);
    let (access, refresh) = tokens.issue_tokens(entry.grant);
    Ok(Json(json!({
        "token_type": "Bearer",
        "expires_in": tokens.access_ttl.as_secs(),
        "access_token": access,
        "refresh_token": refresh,
    })))
}

/// `POST /oauth2/resource`: who the token belongs to, and their account.
pub async fn resource(
    State(state): State<Arc<AppState>>,
    AllParams(p): AllParams,
) -> Result<Json<Value>, OAuthError> {
    state.stats.oauth("resource");
    check_client(&p)?;
    let token = required(&p, "access_token")?;
    let grant = state.tokens().check(token).map_err(|_| {
        OAuthError::new(
            "not_authorized",
            "The access token is invalid or has expired",
        )
    })?;
    let user = state
        .account
        .user(grant.user)
        .ok_or_else(|| OAuthError::new("not_authorized", "The user no longer exists"))?;
    Ok(Json(json!({
        "id": user.id.to_string(),
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email,
        "account_url": state.info.account_url,
    })))
}

/// A small self-contained HTML page in Worksection's spirit.
fn page(title: &str, body: &str) -> String {
    format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{title} · Worksection</title><style>\
         body{{font-family:system-ui,sans-serif;background:#f4f6f8;color:#1d2733;margin:0}}\
         main{{max-width:28rem;margin:4rem auto;background:#fff;padding:2rem;border-radius:8px;\
         box-shadow:0 1px 4px #0002}}h1{{font-size:1.25rem}}li{{margin:.3rem 0}}\
         button{{font-size:1rem;padding:.5rem 1.5rem;border-radius:6px;border:1px solid #8a97a5;\
         background:#fff;cursor:pointer}}#allow{{background:#2f80ed;color:#fff;border-color:#2f80ed}}\
         .error{{color:#b00020}}</style></head><body><main><h1>{title}</h1>{body}</main></body></html>",
        title = escape(title),
    )
}

/// Escapes text for HTML content and attribute values.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

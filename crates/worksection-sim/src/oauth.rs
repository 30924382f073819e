//! OAuth2 as Worksection does it: the consent page, codes, tokens, refresh,
//! and the resource endpoint.
//!
//! The consent page asks who is signing in, as Worksection's own login
//! does: one of the account's active members, by email (`login_hint`
//! preselects one). A decision that names nobody (no `email`, no
//! `login_hint`) signs in the account's owner, so scripted sign-ins that
//! only post `decision=allow` keep working; an email that is no active
//! member's is refused on the page. The person chosen is whom the code and
//! its tokens belong to, and what the client API then shows (see
//! `api::visibility`).
//!
//! Worksection answers OAuth2 errors with HTTP 200 and a camelCase body,
//! `{"error": "...", "errorDescription": "..."}`, and refreshes at
//! `/oauth2/refresh` rather than `/oauth2/token`; the simulator does the same
//! so that clients are tested against the quirks they will meet. The codes
//! and tokens themselves are kept in `tokens`. Token and refresh answers
//! both carry the `account_url`, as Worksection's do.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use serde_json::{Value, json};

use crate::api::params::{AllParams, Params};
use crate::config::{CLIENT_ID, CLIENT_SECRET};
use crate::html::{escape, page};
use crate::state::AppState;
use crate::tokens::{Grant, Refusal};

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

impl From<Refusal> for OAuthError {
    fn from((error, description): Refusal) -> Self {
        Self::new(error, description)
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

/// The active member who signs in with `email` (any case).
fn member_by_email<'a>(state: &'a AppState, email: &str) -> Option<&'a crate::data::User> {
    state
        .account
        .data
        .users
        .iter()
        .find(|u| u.active && u.email.eq_ignore_ascii_case(email.trim()))
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
    let hint = p.non_empty("login_hint");
    let chosen = hint
        .and_then(|h| member_by_email(&state, h))
        .map_or(state.account.data.me, |u| u.id);
    let people: String = state
        .account
        .data
        .users
        .iter()
        .filter(|u| u.active)
        .map(|u| {
            format!(
                "<option value=\"{email}\"{selected}>{name} ({email})</option>",
                email = escape(&u.email),
                name = escape(&u.name()),
                selected = if u.id == chosen { " selected" } else { "" },
            )
        })
        .collect();
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
        "<form method=\"post\" action=\"/oauth2/authorize\">{hidden}\
         <p>Sign in to <strong>{company}</strong> as \
         <select name=\"email\" id=\"email\">{people}</select></p>\
         <p><strong>Worksection MCP</strong> asks to:</p><ul>{scope_items}</ul>\
         <button type=\"submit\" name=\"decision\" value=\"allow\" id=\"allow\">Allow</button> \
         <button type=\"submit\" name=\"decision\" value=\"deny\" id=\"deny\">Deny</button>\
         </form>",
        company = escape(&state.account.data.company),
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
            let user = match p.non_empty("email").or_else(|| p.non_empty("login_hint")) {
                None => state.account.data.me,
                Some(email) => match member_by_email(&state, email) {
                    Some(u) => u.id,
                    None => {
                        return AuthorizeRejection::Page(
                            "No active member of this account signs in with that email.",
                        )
                        .into_response();
                    }
                },
            };
            let grant = Grant {
                user,
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
    let (access, refresh) = tokens.exchange_code(code, redirect_uri)?;
    Ok(Json(json!({
        "token_type": "Bearer",
        "expires_in": tokens.access_ttl().as_secs(),
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
    let (access, refresh) = tokens.refresh(old)?;
    Ok(Json(json!({
        "token_type": "Bearer",
        "expires_in": tokens.access_ttl().as_secs(),
        "access_token": access,
        "refresh_token": refresh,
        "account_url": state.info.account_url,
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

//! The authorization server's endpoints: `/authorize` (which hands the
//! person's sign-in to Worksection), Worksection's callback, the server's
//! own consent page, `/token` (authorization code with PKCE S256 only;
//! rotating refresh tokens), `/revoke` (RFC 7009) and `/register`
//! (RFC 7591).
//!
//! The flow of one sign-in: the client's authorization request is checked
//! (client, exact redirect URI, PKCE S256, scope, RFC 8707 resource) and
//! kept as a flow under a random id; the browser goes to Worksection with
//! that id as `state`; Worksection's callback names the person (the code
//! is exchanged and `/oauth2/resource` asked), whose Worksection tokens
//! are saved sealed; the flow moves to consent under a fresh id, kept in
//! a cookie of the consent page's path, and the browser is sent on to
//! `/oauth/consent` (so the address it shows carries neither Worksection's
//! code nor that id); the server's own page there asks Allow or Deny,
//! naming the client and its redirect host; Allow sends a single-use code (with `iss`, RFC 9207) to
//! the client's redirect URI. Errors the client can act on go back to it
//! by redirect; errors about the client or its redirect URI never
//! redirect (that would be an open redirector) and answer 400 here.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Form, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use serde::Deserialize;
use serde_json::json;
use url::Url;

use crate::clients::{self, ClientError, Registration};
use crate::html::{escape, page};
use crate::metadata::{READS, SCOPE};
use crate::secrets::{self, Kind};
use crate::server::{Team, now};
use crate::store::{Client, CodeGrant, Flow, FlowStage, Grant};

/// How long a sign-in may take, Worksection's page and ours included.
const FLOW_TTL: i64 = 15 * 60;
/// How long an authorization code lives.
const CODE_TTL: i64 = 60;
/// The cookie that carries a sign-in waiting for consent from Worksection's
/// callback to the consent page (never in an address).
const CONSENT_COOKIE: &str = "wsmcp_consent";

// ------------------------------------------------------------------ errors

/// An error answered as JSON (`/token`, `/register`, `/revoke`), with
/// RFC 6749's error code.
struct JsonError {
    status: StatusCode,
    code: &'static str,
    description: String,
    basic_challenge: bool,
}

impl JsonError {
    fn new(code: &'static str, description: impl Into<String>) -> Self {
        let status = if code == "invalid_client" {
            StatusCode::UNAUTHORIZED
        } else {
            StatusCode::BAD_REQUEST
        };
        Self {
            status,
            code,
            description: description.into(),
            basic_challenge: false,
        }
    }

    fn server(e: impl std::fmt::Display) -> Self {
        tracing::error!(error = %e, "the team store failed");
        Self {
            status: StatusCode::SERVICE_UNAVAILABLE,
            code: "temporarily_unavailable",
            description: "The server's store is not answering; try again shortly.".into(),
            basic_challenge: false,
        }
    }
}

impl IntoResponse for JsonError {
    fn into_response(self) -> Response {
        let mut resp = (
            self.status,
            [
                (header::CACHE_CONTROL, "no-store"),
                (header::PRAGMA, "no-cache"),
            ],
            Json(json!({"error": self.code, "error_description": self.description})),
        )
            .into_response();
        if self.basic_challenge {
            resp.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Basic realm=\"worksection-mcp\""),
            );
        }
        resp
    }
}

/// A problem shown on a page (or as JSON to a client that asks for it):
/// the request cannot be sent back to its redirect URI.
fn problem(headers: &HeaderMap, status: StatusCode, code: &str, description: &str) -> Response {
    let wants_json = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.contains("application/json") && !a.contains("text/html"));
    if wants_json {
        return (
            status,
            [(header::CACHE_CONTROL, "no-store")],
            Json(json!({"error": code, "error_description": description})),
        )
            .into_response();
    }
    page(
        status,
        "Sign-in problem",
        &format!(
            "<p class=\"error\">{}</p><p><code>{}</code></p><p>Close this window and try connecting again; if it keeps happening, tell whoever runs this server.</p>",
            escape(description),
            escape(code)
        ),
    )
}

fn found(location: &str) -> Response {
    match HeaderValue::from_str(location) {
        Ok(v) => (
            StatusCode::FOUND,
            [
                (header::LOCATION, v),
                (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
            ],
        )
            .into_response(),
        Err(_) => (
            StatusCode::BAD_REQUEST,
            "the redirect URI is not a valid header value\n",
        )
            .into_response(),
    }
}

/// The client's redirect URI with `pairs`, `state` and `iss` added.
fn back_to_client(
    team: &Team,
    redirect_uri: &str,
    state: Option<&str>,
    pairs: &[(&str, &str)],
) -> Response {
    let Ok(mut url) = Url::parse(redirect_uri) else {
        return (StatusCode::BAD_REQUEST, "the redirect URI is not a URL\n").into_response();
    };
    {
        let mut q = url.query_pairs_mut();
        for (k, v) in pairs {
            q.append_pair(k, v);
        }
        if let Some(s) = state {
            q.append_pair("state", s);
        }
        q.append_pair("iss", &team.config.issuer());
    }
    found(url.as_str())
}

// ------------------------------------------------------------------ /authorize

#[derive(Debug, Deserialize)]
pub struct AuthorizeQuery {
    client_id: Option<String>,
    redirect_uri: Option<String>,
    response_type: Option<String>,
    state: Option<String>,
    code_challenge: Option<String>,
    code_challenge_method: Option<String>,
    scope: Option<String>,
    resource: Option<String>,
    login_hint: Option<String>,
}

/// Finds the client an authorization request names: registered here, or
/// its metadata document fetched.
async fn find_client(team: &Team, client_id: &str) -> Result<Client, ClientError> {
    if clients::is_metadata_url(client_id) {
        let client = clients::from_metadata(&team.fetcher, client_id, now()).await?;
        if let Err(e) = team.store.save_client(&client).await {
            tracing::warn!(error = %e, "a client metadata document could not be remembered");
        }
        return Ok(client);
    }
    match team.store.client(client_id).await {
        Ok(Some(c)) => Ok(c),
        Ok(None) => Err(ClientError {
            code: "invalid_client",
            description: "This client is not registered with this server (unknown client_id)."
                .into(),
        }),
        Err(e) => {
            tracing::error!(error = %e, "the team store failed");
            Err(ClientError {
                code: "temporarily_unavailable",
                description: "The server's store is not answering; try again shortly.".into(),
            })
        }
    }
}

fn valid_challenge(c: &str) -> bool {
    (43..=128).contains(&c.len())
        && c.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'))
}

/// `GET /authorize`.
pub async fn authorize(
    State(team): State<Arc<Team>>,
    headers: HeaderMap,
    Query(q): Query<AuthorizeQuery>,
) -> Response {
    let Some(client_id) = q.client_id.as_deref().filter(|c| !c.is_empty()) else {
        return problem(
            &headers,
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "The request has no client_id.",
        );
    };
    let client = match find_client(&team, client_id).await {
        Ok(c) => c,
        Err(e) => {
            metrics::counter!("worksection_team_sign_ins_total", "outcome" => "client_refused")
                .increment(1);
            return problem(&headers, StatusCode::BAD_REQUEST, e.code, &e.description);
        }
    };
    let redirect_uri = match q.redirect_uri.as_deref() {
        Some(r) if clients::redirect_matches(&client.redirect_uris, r) => r.to_owned(),
        Some(_) => {
            return problem(
                &headers,
                StatusCode::BAD_REQUEST,
                "invalid_request",
                "The redirect_uri is not one registered for this client.",
            );
        }
        None if client.redirect_uris.len() == 1 => client.redirect_uris[0].clone(),
        None => {
            return problem(
                &headers,
                StatusCode::BAD_REQUEST,
                "invalid_request",
                "The request has no redirect_uri, and the client has more than one.",
            );
        }
    };
    let state = q.state.clone();
    let back = |code: &str, description: &str| {
        back_to_client(
            &team,
            &redirect_uri,
            state.as_deref(),
            &[("error", code), ("error_description", description)],
        )
    };
    if q.response_type.as_deref() != Some("code") {
        return back("unsupported_response_type", "response_type must be code");
    }
    let Some(challenge) = q.code_challenge.as_deref().filter(|c| valid_challenge(c)) else {
        return back(
            "invalid_request",
            "PKCE is required: send a code_challenge (43 to 128 characters) with code_challenge_method S256",
        );
    };
    if q.code_challenge_method.as_deref() != Some("S256") {
        return back("invalid_request", "code_challenge_method must be S256");
    }
    let scope = match q.scope.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => SCOPE.to_owned(),
        Some(s) => {
            let wanted: Vec<&str> = s
                .split_whitespace()
                .filter(|x| *x != "offline_access")
                .collect();
            if let Some(bad) = wanted.iter().find(|x| **x != SCOPE) {
                return back(
                    "invalid_scope",
                    &format!("the scope {bad} is not offered; this server grants {SCOPE}"),
                );
            }
            SCOPE.to_owned()
        }
    };
    let resource = match q.resource.as_deref() {
        None => team.config.resource(),
        Some(r) if team.config.is_own_resource(r) => r.trim_end_matches('/').to_owned(),
        Some(_) => {
            return back("invalid_target", "the resource is not this server's");
        }
    };
    let flow_id = secrets::new(Kind::Flow);
    let flow = Flow {
        client_id: client.client_id.clone(),
        client_name: client.name.clone(),
        redirect_uri,
        state: q.state.clone(),
        code_challenge: challenge.to_owned(),
        resource,
        scope,
        stage: FlowStage::AtWorksection,
        expires: now() + FLOW_TTL,
    };
    if let Err(e) = team.store.save_flow(&secrets::hash(&flow_id), &flow).await {
        return JsonError::server(e).into_response();
    }
    let scopes: Vec<&str> = team.config.app.scopes.iter().map(String::as_str).collect();
    let (mut url, _) = match team.app.authorize_url(&scopes) {
        Ok(u) => u,
        Err(e) => {
            tracing::error!(error = %e, "the Worksection sign-in address could not be made");
            return problem(
                &headers,
                StatusCode::INTERNAL_SERVER_ERROR,
                "server_error",
                "The Worksection sign-in address could not be made.",
            );
        }
    };
    // Our flow id is the state Worksection sends back.
    let kept: Vec<(String, String)> = url
        .query_pairs()
        .filter(|(k, _)| k != "state")
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    {
        let mut pairs = url.query_pairs_mut();
        pairs.clear();
        for (k, v) in &kept {
            pairs.append_pair(k, v);
        }
        pairs.append_pair("state", &flow_id);
        if let Some(hint) = q.login_hint.as_deref().filter(|h| !h.is_empty()) {
            pairs.append_pair("login_hint", hint);
        }
    }
    found(url.as_str())
}

// ------------------------------------------------------------------ Worksection's callback

#[derive(Debug, Deserialize)]
pub struct CallbackQuery {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
}

/// `GET /oauth/worksection/callback`: Worksection says who signed in.
pub async fn worksection_callback(
    State(team): State<Arc<Team>>,
    headers: HeaderMap,
    Query(q): Query<CallbackQuery>,
) -> Response {
    let Some(state) = q
        .state
        .as_deref()
        .filter(|s| secrets::looks_like(s, Kind::Flow))
    else {
        return problem(
            &headers,
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "This sign-in link is not one this server started.",
        );
    };
    let flow = match team.store.take_flow(&secrets::hash(state)).await {
        Ok(Some(f)) if f.stage == FlowStage::AtWorksection && f.expires > now() => f,
        Ok(_) => {
            return problem(
                &headers,
                StatusCode::BAD_REQUEST,
                "invalid_request",
                "This sign-in has expired or was already used; start again from your assistant.",
            );
        }
        Err(e) => return JsonError::server(e).into_response(),
    };
    if let Some(error) = q.error.as_deref() {
        metrics::counter!("worksection_team_sign_ins_total", "outcome" => "denied_at_worksection")
            .increment(1);
        let error = if error == "access_denied" {
            "access_denied"
        } else {
            "server_error"
        };
        return back_to_client(
            &team,
            &flow.redirect_uri,
            flow.state.as_deref(),
            &[
                ("error", error),
                (
                    "error_description",
                    "Worksection did not sign the person in",
                ),
            ],
        );
    }
    let Some(code) = q.code.as_deref().filter(|c| !c.is_empty()) else {
        return problem(
            &headers,
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "Worksection sent no code back.",
        );
    };
    let (person, tokens) = match crate::people::identify(&team.app, code).await {
        Ok(p) => p,
        Err(e) => {
            tracing::warn!(error = %e, "a Worksection sign-in could not be completed");
            metrics::counter!("worksection_team_sign_ins_total", "outcome" => "worksection_failed")
                .increment(1);
            return problem(
                &headers,
                StatusCode::BAD_GATEWAY,
                "server_error",
                "Worksection did not confirm the sign-in; try again.",
            );
        }
    };
    if let Some(only) = &team.config.app.account_url
        && crate::people::account_key(only.as_str())
            != crate::people::account_key(&person.account_url)
    {
        metrics::counter!("worksection_team_sign_ins_total", "outcome" => "other_account")
            .increment(1);
        return back_to_client(
            &team,
            &flow.redirect_uri,
            flow.state.as_deref(),
            &[
                ("error", "access_denied"),
                (
                    "error_description",
                    "This server serves another Worksection account",
                ),
            ],
        );
    }
    if let Err(e) = team.store.save_person(&person, &tokens).await {
        return JsonError::server(e).into_response();
    }
    let consent_id = secrets::new(Kind::Flow);
    let consent = Flow {
        stage: FlowStage::Consent {
            person: person.id.clone(),
        },
        expires: now() + FLOW_TTL,
        ..flow
    };
    if let Err(e) = team
        .store
        .save_flow(&secrets::hash(&consent_id), &consent)
        .await
    {
        return JsonError::server(e).into_response();
    }
    to_consent(&team, &consent_id)
}

/// The See Other to the consent page, with the sign-in in its cookie.
fn to_consent(team: &Team, consent_id: &str) -> Response {
    let cookie = consent_cookie(team, consent_id, FLOW_TTL);
    match HeaderValue::from_str(&cookie) {
        Ok(cookie) => (
            StatusCode::SEE_OTHER,
            [
                (header::LOCATION, HeaderValue::from_static("/oauth/consent")),
                (header::SET_COOKIE, cookie),
                (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
            ],
        )
            .into_response(),
        Err(_) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            "a sign-in id is not a header value\n",
        )
            .into_response(),
    }
}

/// The consent cookie: only for the consent page's path, never for
/// scripts, sent on the top-level navigation from Worksection, `Secure`
/// when the server is reached over https.
fn consent_cookie(team: &Team, value: &str, max_age: i64) -> String {
    let secure = if team.config.issuer().starts_with("https://") {
        "; Secure"
    } else {
        ""
    };
    format!(
        "{CONSENT_COOKIE}={value}; Path=/oauth/consent; Max-Age={max_age}; HttpOnly; SameSite=Lax{secure}"
    )
}

/// The sign-in id in the request's consent cookie, if it looks like one.
fn consent_id_of(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, value)| *name == CONSENT_COOKIE && secrets::looks_like(value, Kind::Flow))
        .map(|(_, value)| value.to_owned())
}

/// `GET /oauth/consent`: the consent page of the sign-in in the cookie
/// (shown again on a reload, until it is answered or expires).
pub async fn consent_form(State(team): State<Arc<Team>>, headers: HeaderMap) -> Response {
    let gone = || {
        problem(
            &headers,
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "This sign-in has expired or was already answered; start again from your assistant.",
        )
    };
    let Some(id) = consent_id_of(&headers) else {
        return gone();
    };
    let flow = match team.store.flow(&secrets::hash(&id)).await {
        Ok(Some(f)) if f.expires > now() => f,
        Ok(_) => return gone(),
        Err(e) => return JsonError::server(e).into_response(),
    };
    let FlowStage::Consent { person } = &flow.stage else {
        return gone();
    };
    let person = match team.store.person(person).await {
        Ok(Some(p)) => p,
        Ok(None) => return gone(),
        Err(e) => return JsonError::server(e).into_response(),
    };
    consent_page(&flow, &person.name, &person.email, &person.account_url, &id)
}

/// The server's own consent page: which client, which redirect host, what
/// it may read, Allow or Deny.
fn consent_page(flow: &Flow, name: &str, email: &str, account: &str, consent_id: &str) -> Response {
    let redirect = Url::parse(&flow.redirect_uri).ok();
    let host = redirect
        .as_ref()
        .and_then(|u| u.host_str().map(str::to_owned))
        .unwrap_or_else(|| flow.redirect_uri.clone());
    let local = redirect.as_ref().is_some_and(|u| {
        matches!(u.host(), Some(url::Host::Ipv4(ip)) if ip.is_loopback())
            || matches!(u.host(), Some(url::Host::Ipv6(ip)) if ip.is_loopback())
            || u.host_str() == Some("localhost")
    });
    let warn = if local {
        "<p class=\"warn\">The app that gets access runs on this computer (a local address). Allow it only if you just started connecting an app here yourself.</p>"
    } else {
        ""
    };
    let reads: String = READS
        .iter()
        .map(|r| format!("<li>{}</li>", escape(r)))
        .collect();
    // A client ID metadata document's address is the one part of a
    // client's identity it cannot choose freely: say where it is from.
    let from = Url::parse(&flow.client_id)
        .ok()
        .filter(|u| u.scheme() == "https")
        .and_then(|u| {
            u.host_str()
                .map(|h| format!(" (from <strong>{}</strong>)", escape(h)))
        })
        .unwrap_or_default();
    // The account by its address (acme.worksection.com), not a URL.
    let account = Url::parse(account)
        .ok()
        .and_then(|u| {
            u.host_str().map(|h| match u.port() {
                Some(p) => format!("{h}:{p}"),
                None => h.to_owned(),
            })
        })
        .unwrap_or_else(|| account.to_owned());
    let body = format!(
        "<p class=\"who\">Signed in to Worksection <strong>{account}</strong> as <strong>{name}</strong> ({email}).</p>\
         <p><strong>{client}</strong>{from} asks to read your Worksection, as Worksection shows it to you:</p>\
         <ul>{reads}</ul><p>It only reads; it never changes anything.</p>\
         <p>If you allow, access is given to the app at <strong>{host}</strong>.</p>{warn}\
         <form method=\"post\" action=\"/oauth/consent\" class=\"actions\">\
         <input type=\"hidden\" name=\"flow\" value=\"{id}\">\
         <button type=\"submit\" name=\"decision\" value=\"allow\" id=\"allow\">Allow</button> \
         <button type=\"submit\" name=\"decision\" value=\"deny\" id=\"deny\">Deny</button></form>",
        name = escape(name),
        email = escape(email),
        account = escape(&account),
        client = escape(&flow.client_name),
        host = escape(&host),
        id = escape(consent_id),
    );
    page(StatusCode::OK, "Allow access to your Worksection?", &body)
}

#[derive(Debug, Deserialize)]
pub struct ConsentForm {
    flow: Option<String>,
    decision: Option<String>,
}

/// `POST /oauth/consent`: Allow or Deny.
pub async fn consent(
    State(team): State<Arc<Team>>,
    headers: HeaderMap,
    Form(f): Form<ConsentForm>,
) -> Response {
    let Some(id) = f
        .flow
        .as_deref()
        .filter(|s| secrets::looks_like(s, Kind::Flow))
    else {
        return problem(
            &headers,
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "This form is not one this server showed.",
        );
    };
    let flow = match team.store.take_flow(&secrets::hash(id)).await {
        Ok(Some(f)) if f.expires > now() => f,
        Ok(_) => {
            return problem(
                &headers,
                StatusCode::BAD_REQUEST,
                "invalid_request",
                "This sign-in has expired or was already answered; start again from your assistant.",
            );
        }
        Err(e) => return JsonError::server(e).into_response(),
    };
    let FlowStage::Consent { person } = flow.stage.clone() else {
        return problem(
            &headers,
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "This sign-in is not waiting for an answer.",
        );
    };
    if f.decision.as_deref() != Some("allow") {
        metrics::counter!("worksection_team_sign_ins_total", "outcome" => "denied").increment(1);
        if let Err(e) = team.store.forget_unused_sign_in(&person).await {
            tracing::warn!(error = %e, "a denied sign-in's Worksection tokens could not be forgotten");
        }
        return answered(
            &team,
            back_to_client(
                &team,
                &flow.redirect_uri,
                flow.state.as_deref(),
                &[
                    ("error", "access_denied"),
                    ("error_description", "The person did not allow access"),
                ],
            ),
        );
    }
    let code = secrets::new(Kind::Code);
    let grant = CodeGrant {
        client_id: flow.client_id.clone(),
        redirect_uri: flow.redirect_uri.clone(),
        code_challenge: flow.code_challenge.clone(),
        resource: flow.resource.clone(),
        scope: flow.scope.clone(),
        person,
        expires: now() + CODE_TTL,
        grant: None,
    };
    if let Err(e) = team.store.save_code(&secrets::hash(&code), &grant).await {
        return JsonError::server(e).into_response();
    }
    metrics::counter!("worksection_team_sign_ins_total", "outcome" => "allowed").increment(1);
    answered(
        &team,
        back_to_client(
            &team,
            &flow.redirect_uri,
            flow.state.as_deref(),
            &[("code", &code)],
        ),
    )
}

/// `resp` with the consent cookie cleared: the sign-in is answered.
fn answered(team: &Team, mut resp: Response) -> Response {
    if let Ok(clear) = HeaderValue::from_str(&consent_cookie(team, "", 0)) {
        resp.headers_mut().append(header::SET_COOKIE, clear);
    }
    resp
}

// ------------------------------------------------------------------ client authentication

/// The client a token or revocation request authenticates as: from HTTP
/// Basic or the body's `client_id` (and `client_secret`).
async fn authenticate_client(
    team: &Team,
    headers: &HeaderMap,
    body_id: Option<&str>,
    body_secret: Option<&str>,
) -> Result<String, JsonError> {
    let basic = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Basic ")
                .or_else(|| v.strip_prefix("basic "))
        })
        .and_then(|b| {
            base64::engine::general_purpose::STANDARD
                .decode(b.trim())
                .ok()
        })
        .and_then(|b| String::from_utf8(b).ok())
        .and_then(|s| {
            s.split_once(':').map(|(id, secret)| {
                let dec = |x: &str| {
                    url::form_urlencoded::parse(format!("x={x}").as_bytes())
                        .next()
                        .map(|(_, v)| v.into_owned())
                        .unwrap_or_default()
                };
                (dec(id), dec(secret))
            })
        });
    let (id, secret, via_basic) = match (&basic, body_id) {
        (Some((id, secret)), _) => (id.clone(), Some(secret.clone()), true),
        (None, Some(id)) => (id.to_owned(), body_secret.map(str::to_owned), false),
        (None, None) => {
            return Err(JsonError::new(
                "invalid_client",
                "The request names no client (client_id).",
            ));
        }
    };
    let refuse = |d: &str| {
        let mut e = JsonError::new("invalid_client", d);
        e.basic_challenge = via_basic;
        e
    };
    if clients::is_metadata_url(&id) {
        // A metadata document's client is public: its id is all it has.
        return if secret.as_deref().is_some_and(|s| !s.is_empty()) {
            Err(refuse("A metadata document client has no secret."))
        } else {
            Ok(id)
        };
    }
    let client = team
        .store
        .client(&id)
        .await
        .map_err(JsonError::server)?
        .ok_or_else(|| refuse("This client is not registered with this server."))?;
    match (&client.secret_hash, secret.as_deref()) {
        (None, None | Some("")) => Ok(id),
        (Some(stored), Some(given)) if secrets::matches(given, stored) => Ok(id),
        (Some(_), _) => Err(refuse("The client secret is missing or wrong.")),
        (None, Some(_)) => Err(refuse("This client was registered without a secret.")),
    }
}

// ------------------------------------------------------------------ /token

#[derive(Debug, Deserialize)]
pub struct TokenForm {
    grant_type: Option<String>,
    code: Option<String>,
    redirect_uri: Option<String>,
    code_verifier: Option<String>,
    refresh_token: Option<String>,
    client_id: Option<String>,
    client_secret: Option<String>,
    resource: Option<String>,
    scope: Option<String>,
}

/// `POST /token`.
pub async fn token(
    State(team): State<Arc<Team>>,
    headers: HeaderMap,
    Form(f): Form<TokenForm>,
) -> Response {
    match token_inner(&team, &headers, f).await {
        Ok(r) => r,
        Err(e) => e.into_response(),
    }
}

async fn token_inner(
    team: &Team,
    headers: &HeaderMap,
    f: TokenForm,
) -> Result<Response, JsonError> {
    let client_id = authenticate_client(
        team,
        headers,
        f.client_id.as_deref(),
        f.client_secret.as_deref(),
    )
    .await?;
    if let Some(r) = f.resource.as_deref()
        && !team.config.is_own_resource(r)
    {
        return Err(JsonError::new(
            "invalid_target",
            "The resource is not this server's.",
        ));
    }
    match f.grant_type.as_deref() {
        Some("authorization_code") => {
            let code = f.code.as_deref().unwrap_or_default();
            if !secrets::looks_like(code, Kind::Code) {
                return Err(JsonError::new(
                    "invalid_grant",
                    "The authorization code is not valid.",
                ));
            }
            let code_hash = secrets::hash(code);
            let (mut c, replayed) = team
                .store
                .use_code(&code_hash)
                .await
                .map_err(JsonError::server)?
                .ok_or_else(|| {
                    JsonError::new("invalid_grant", "The authorization code is not valid.")
                })?;
            if replayed {
                // A code used twice: the tokens of its first use end too.
                if let Some(g) = &c.grant {
                    team.store
                        .revoke_grant(g)
                        .await
                        .map_err(JsonError::server)?;
                }
                tracing::warn!("an authorization code was replayed; its grant was revoked");
                return Err(JsonError::new(
                    "invalid_grant",
                    "The authorization code was already used.",
                ));
            }
            if c.expires <= now() {
                return Err(JsonError::new(
                    "invalid_grant",
                    "The authorization code has expired.",
                ));
            }
            if c.client_id != client_id {
                return Err(JsonError::new(
                    "invalid_grant",
                    "The authorization code was issued to another client.",
                ));
            }
            if f.redirect_uri.as_deref() != Some(c.redirect_uri.as_str()) {
                return Err(JsonError::new(
                    "invalid_grant",
                    "The redirect_uri is not the one of the authorization request.",
                ));
            }
            let verifier = f.code_verifier.as_deref().unwrap_or_default();
            if !valid_challenge(verifier) {
                return Err(JsonError::new(
                    "invalid_grant",
                    "A code_verifier of 43 to 128 characters is required (PKCE).",
                ));
            }
            let computed = oauth2::PkceCodeChallenge::from_code_verifier_sha256(
                &oauth2::PkceCodeVerifier::new(verifier.to_owned()),
            );
            let same = subtle::ConstantTimeEq::ct_eq(
                computed.as_str().as_bytes(),
                c.code_challenge.as_bytes(),
            );
            if !bool::from(same) {
                return Err(JsonError::new(
                    "invalid_grant",
                    "The code_verifier does not match the code_challenge (PKCE).",
                ));
            }
            if let Some(r) = f.resource.as_deref()
                && r.trim_end_matches('/') != c.resource
            {
                return Err(JsonError::new(
                    "invalid_target",
                    "The resource is not the one of the authorization request.",
                ));
            }
            let grant = Grant {
                id: secrets::id("wsg_"),
                person: c.person.clone(),
                client_id: client_id.clone(),
                scope: c.scope.clone(),
                resource: c.resource.clone(),
                created: now(),
                revoked: false,
            };
            team.store
                .save_grant(&grant)
                .await
                .map_err(JsonError::server)?;
            c.grant = Some(grant.id.clone());
            team.store
                .save_code(&code_hash, &c)
                .await
                .map_err(JsonError::server)?;
            metrics::counter!("worksection_team_tokens_issued_total", "grant_type" => "authorization_code").increment(1);
            issue(team, &grant).await
        }
        Some("refresh_token") => {
            let rt = f.refresh_token.as_deref().unwrap_or_default();
            if !secrets::looks_like(rt, Kind::RefreshToken) {
                return Err(JsonError::new(
                    "invalid_grant",
                    "The refresh token is not valid.",
                ));
            }
            let check = team
                .store
                .spend_refresh(&secrets::hash(rt))
                .await
                .map_err(JsonError::server)?
                .ok_or_else(|| {
                    JsonError::new(
                        "invalid_grant",
                        "The refresh token is not valid (unknown or revoked).",
                    )
                })?;
            if check.spent {
                // A rotated refresh token used again: whoever holds it is
                // not the one who rotated it. End the whole grant.
                team.store
                    .revoke_grant(&check.grant.id)
                    .await
                    .map_err(JsonError::server)?;
                tracing::warn!("a spent refresh token was used again; its grant was revoked");
                return Err(JsonError::new(
                    "invalid_grant",
                    "The refresh token was already used.",
                ));
            }
            if check.grant.revoked {
                return Err(JsonError::new(
                    "invalid_grant",
                    "The refresh token was revoked.",
                ));
            }
            if check.expires <= now() {
                return Err(JsonError::new(
                    "invalid_grant",
                    "The refresh token has expired.",
                ));
            }
            if check.grant.client_id != client_id {
                return Err(JsonError::new(
                    "invalid_grant",
                    "The refresh token was issued to another client.",
                ));
            }
            if let Some(s) = f.scope.as_deref()
                && s.split_whitespace()
                    .any(|x| x != SCOPE && x != "offline_access")
            {
                return Err(JsonError::new(
                    "invalid_scope",
                    "A refresh cannot widen the scope.",
                ));
            }
            let connected = team
                .store
                .upstream_tokens(&check.grant.person)
                .await
                .map_err(JsonError::server)?
                .is_some();
            if !connected {
                team.store
                    .revoke_grant(&check.grant.id)
                    .await
                    .map_err(JsonError::server)?;
                return Err(JsonError::new(
                    "invalid_grant",
                    "The person was signed out; sign in again.",
                ));
            }
            metrics::counter!("worksection_team_tokens_issued_total", "grant_type" => "refresh_token").increment(1);
            issue(team, &check.grant).await
        }
        Some(other) => Err(JsonError::new(
            "unsupported_grant_type",
            format!(
                "The grant type {} is not supported; use authorization_code or refresh_token.",
                other.chars().take(40).collect::<String>()
            ),
        )),
        None => Err(JsonError::new(
            "invalid_request",
            "The request has no grant_type.",
        )),
    }
}

/// Issues an access token and a fresh refresh token for `grant`.
async fn issue(team: &Team, grant: &Grant) -> Result<Response, JsonError> {
    let access = secrets::new(Kind::AccessToken);
    let refresh = secrets::new(Kind::RefreshToken);
    let ttl = i64::try_from(team.config.access_ttl.as_secs()).unwrap_or(3600);
    let refresh_ttl = i64::try_from(team.config.refresh_ttl.as_secs()).unwrap_or(30 * 86_400);
    team.store
        .save_access(
            &secrets::hash(&access),
            &grant.id,
            &grant.resource,
            now() + ttl,
        )
        .await
        .map_err(JsonError::server)?;
    team.store
        .save_refresh(&secrets::hash(&refresh), &grant.id, now() + refresh_ttl)
        .await
        .map_err(JsonError::server)?;
    Ok((
        [
            (header::CACHE_CONTROL, "no-store"),
            (header::PRAGMA, "no-cache"),
        ],
        Json(json!({
            "access_token": access,
            "token_type": "Bearer",
            "expires_in": ttl,
            "refresh_token": refresh,
            "scope": grant.scope,
        })),
    )
        .into_response())
}

// ------------------------------------------------------------------ /revoke

#[derive(Debug, Deserialize)]
pub struct RevokeForm {
    token: Option<String>,
    client_id: Option<String>,
    client_secret: Option<String>,
}

/// `POST /revoke` (RFC 7009): ends the grant a token belongs to. Unknown
/// tokens are answered 200 too, as the RFC says.
pub async fn revoke(
    State(team): State<Arc<Team>>,
    headers: HeaderMap,
    Form(f): Form<RevokeForm>,
) -> Response {
    let client_id = match authenticate_client(
        &team,
        &headers,
        f.client_id.as_deref(),
        f.client_secret.as_deref(),
    )
    .await
    {
        Ok(c) => c,
        Err(e) => return e.into_response(),
    };
    let Some(token) = f.token.as_deref().filter(|t| !t.is_empty()) else {
        return JsonError::new("invalid_request", "The request has no token.").into_response();
    };
    let hash = secrets::hash(token);
    match team.store.grant_of_token(&hash).await {
        Ok(Some(grant_id)) => {
            if let Ok(Some(g)) = team.store.grant(&grant_id).await
                && g.client_id == client_id
                && let Err(e) = team.store.revoke_grant(&grant_id).await
            {
                return JsonError::server(e).into_response();
            }
        }
        Ok(None) => {}
        Err(e) => return JsonError::server(e).into_response(),
    }
    ([(header::CACHE_CONTROL, "no-store")], StatusCode::OK).into_response()
}

// ------------------------------------------------------------------ /register

/// `POST /register` (RFC 7591).
pub async fn register(State(team): State<Arc<Team>>, body: axum::body::Bytes) -> Response {
    let req: Registration = match serde_json::from_slice(&body) {
        Ok(r) => r,
        Err(e) => {
            return JsonError::new(
                "invalid_client_metadata",
                format!("The registration is not JSON client metadata ({e})."),
            )
            .into_response();
        }
    };
    let (client, secret) = match clients::register(req, now()) {
        Ok(x) => x,
        Err(e) => return JsonError::new(e.code, e.description).into_response(),
    };
    if let Err(e) = team.store.save_client(&client).await {
        return JsonError::server(e).into_response();
    }
    let mut body = json!({
        "client_id": client.client_id,
        "client_id_issued_at": client.created,
        "client_name": client.name,
        "redirect_uris": client.redirect_uris,
        "token_endpoint_auth_method": client.auth_method,
        "grant_types": ["authorization_code", "refresh_token"],
        "response_types": ["code"],
        "scope": SCOPE,
    });
    if let Some(s) = secret {
        body["client_secret"] = s.into();
        body["client_secret_expires_at"] = 0.into();
    }
    (
        StatusCode::CREATED,
        [(header::CACHE_CONTROL, "no-store")],
        Json(body),
    )
        .into_response()
}

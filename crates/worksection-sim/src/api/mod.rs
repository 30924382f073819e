//! The client API, `{account_url}/api/oauth2` (bearer token, in the
//! `Authorization` header or the `access_token` parameter) and
//! `{account_url}/api/admin/v2` (the admin key), each also with a trailing
//! slash as the documentation writes them.
//!
//! The admin key is checked in both of Worksection's schemes (as
//! `--admin-auth` allows): the SDKs' `Authorization: Admin <t>_<sig>`
//! header, where `sig` is the hex HMAC-SHA256 of `action:t` keyed with the
//! API key and `t` (unix seconds) must be within `HMAC_WINDOW_SECS` of this
//! clock; and the documentation's `hash = md5(query + key)`, over the query
//! as received or over its decoded values (`--md5-over`). A refused or
//! missing signature answers as Worksection does: HTTP 200, status 2,
//! "Action hash is missed or invalid".
//!
//! One request goes through the same steps Worksection's would, in order:
//! the rate limit (HTTP 429 with `Retry-After`), injected faults, auth, the
//! action's scope, and finally the action itself (`actions`), which shows
//! only what the caller may see (`visibility`: a person signed in through
//! OAuth2 sees their projects, the admin key the whole account), and whose
//! answer `render` shapes. Like Worksection, errors about the request itself come
//! back as HTTP 200 with `status: error`; only bearer-token problems use
//! HTTP 401.

pub mod actions;
pub mod params;
pub mod render;
pub mod visibility;

use std::sync::Arc;
use std::time::Duration;

use axum::Json;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use futures_util::stream;
use hmac::{Hmac, Mac};
use md5::{Digest, Md5};
use serde_json::json;
use sha2::Sha256;

use self::actions::{Answer, ApiError, Caller, Ctx};
use self::params::{ApiRequest, received_signing_string};
use crate::config::{AdminAuth, HMAC_WINDOW_SECS, Md5Over};
use crate::faults::FaultKind;
use crate::state::AppState;
use crate::tokens::TokenProblem;

/// How long a `hang` fault holds a request before giving up on its own, so
/// a forgotten fault cannot pin a connection forever.
const HANG_LIMIT: Duration = Duration::from_secs(300);

/// `/api/oauth2`.
pub async fn oauth2(State(state): State<Arc<AppState>>, req: ApiRequest) -> Response {
    handle(&state, AuthMode::Bearer, req).await
}

/// `/api/admin/v2`.
pub async fn admin(State(state): State<Arc<AppState>>, req: ApiRequest) -> Response {
    handle(&state, AuthMode::AdminKey, req).await
}

#[derive(Clone, Copy)]
enum AuthMode {
    Bearer,
    AdminKey,
}

/// Worksection's answer to a missing or wrong admin signature.
fn bad_signature(details: &str) -> Rejection {
    const MESSAGE: &str = "Action hash is missed or invalid";
    Rejection::Api(if details.is_empty() {
        ApiError::new(2, MESSAGE)
    } else {
        ApiError::with_details(2, MESSAGE, details)
    })
}

async fn handle(state: &AppState, mode: AuthMode, req: ApiRequest) -> Response {
    let params = &req.params;
    state.stats.request();
    if let Some(wait) = state.check_rate() {
        state.stats.throttled();
        let secs = wait.as_secs_f64().ceil().max(1.0) as u64;
        return (
            StatusCode::TOO_MANY_REQUESTS,
            [(header::RETRY_AFTER, HeaderValue::from(secs))],
            Json(json!({ "status": "error", "status_code": 429, "message": "Too many requests", "message_details": "the API allows about one request per second per account" })),
        )
            .into_response();
    }

    let drawn = state.faults.draw();
    if let Some(delay) = drawn.delay {
        tokio::time::sleep(delay).await;
    }
    let mut slow_body = None;
    if let Some(kind) = drawn.answer {
        state.stats.faulted();
        match kind {
            FaultKind::SlowBody(d) => slow_body = Some(d),
            other => return fault_response(other).await,
        }
    }

    let (caller, auth_name, scopes) = match authenticate(state, mode, &req) {
        Ok(ok) => ok,
        Err(rejection) => {
            state.stats.unauthorized();
            return rejection.into_response();
        }
    };

    let Some(action) = params.non_empty("action") else {
        return error(ApiError::with_details(10, "Field is required", "action"));
    };
    let scope = actions::scope_for(action);
    if let (Some(Some(scope)), Caller::User(_)) = (scope, caller)
        && !scopes.iter().any(|s| s == scope)
    {
        return error(ApiError::with_details(
            7,
            "Access denied",
            format!("scope {scope} is required"),
        ));
    }
    state.stats.served(action, auth_name);

    let ctx = Ctx {
        account: &state.account,
        account_url: &state.info.account_url,
        now: state.now(),
        caller,
        viewer: visibility::Viewer::new(
            &state.account,
            match caller {
                Caller::User(id) => Some(id),
                Caller::Admin => None,
            },
        ),
    };
    let answer = match actions::run(action, params, &ctx) {
        Ok(a) => a,
        Err(e) => return error(e),
    };
    match answer {
        Answer::Json(mut v) => {
            if let Some(q) = state.quirks
                && params.get(crate::quirks::OFF_PARAM) != Some("off")
            {
                q.apply(action, &mut v);
            }
            state.faults.misshape(action, &mut v);
            let body = serde_json::to_vec(&v).unwrap_or_default();
            match slow_body {
                Some(d) => dribble(body, "application/json; charset=utf-8", d),
                None => (
                    [(header::CONTENT_TYPE, "application/json; charset=utf-8")],
                    body,
                )
                    .into_response(),
            }
        }
        Answer::File { name, bytes } => {
            let disposition = content_disposition(&name);
            let mime = mime_for(&name);
            // Shares the dataset's bytes instead of copying them per request.
            let body = Body::from(Bytes::from_owner(bytes));
            let mut resp = (StatusCode::OK, body).into_response();
            let h = resp.headers_mut();
            h.insert(header::CONTENT_TYPE, HeaderValue::from_static(mime));
            if let Ok(v) = HeaderValue::from_str(&disposition) {
                h.insert(header::CONTENT_DISPOSITION, v);
            }
            resp
        }
    }
}

fn error(e: ApiError) -> Response {
    Json(e.to_json()).into_response()
}

/// Why a request was not let in.
enum Rejection {
    /// A bearer-token problem: HTTP 401, as an OAuth2 resource server answers.
    Unauthorized(&'static str),
    /// An admin-key problem: Worksection's usual HTTP-200 error body.
    Api(ApiError),
}

impl IntoResponse for Rejection {
    fn into_response(self) -> Response {
        match self {
            // The message is where the SDKs look for "token is expired"
            // (`errorDescription`, then `message`).
            Self::Unauthorized(hint) => (
                StatusCode::UNAUTHORIZED,
                Json(json!({
                    "error": "access_denied",
                    "errorDescription": hint,
                    "message": hint,
                    "hint": hint,
                })),
            )
                .into_response(),
            Self::Api(e) => error(e),
        }
    }
}

/// Who is calling, the auth mode's name for the stats, and the granted
/// scopes (a user's; the admin key has every right).
fn authenticate(
    state: &AppState,
    mode: AuthMode,
    req: &ApiRequest,
) -> Result<(Caller, &'static str, Vec<String>), Rejection> {
    match mode {
        AuthMode::Bearer => {
            let token = req
                .authorization
                .as_deref()
                .and_then(|v| v.split_once(' '))
                .and_then(|(scheme, t)| scheme.eq_ignore_ascii_case("bearer").then(|| t.trim()))
                .or_else(|| req.params.non_empty("access_token"));
            match state.bearer_grant(token) {
                Ok(grant) => Ok((Caller::User(grant.user), "oauth2", grant.scopes)),
                Err(TokenProblem::Missing) => {
                    Err(Rejection::Unauthorized("Missing \"Authorization\" header"))
                }
                Err(TokenProblem::Expired) => {
                    Err(Rejection::Unauthorized("Access token is expired"))
                }
                Err(TokenProblem::Unknown) => Err(Rejection::Unauthorized(
                    "Access token has been revoked or is invalid",
                )),
            }
        }
        AuthMode::AdminKey => {
            let scheme = admin_signature(state, req).inspect_err(|_| {
                // Counted by what the request carried: a header is a
                // refused HMAC request even where only md5 is known.
                let tried = if admin_header(req).is_some() {
                    "hmac"
                } else {
                    "md5"
                };
                state.stats.admin_refused(tried);
            })?;
            state.stats.admin_accepted(scheme);
            Ok((Caller::Admin, "admin", Vec::new()))
        }
    }
}

/// The `<t>_<sig>` of an `Authorization: Admin` header.
fn admin_header(req: &ApiRequest) -> Option<&str> {
    let (scheme, token) = req.authorization.as_deref()?.split_once(' ')?;
    scheme.eq_ignore_ascii_case("admin").then(|| token.trim())
}

/// Checks the admin signature; the scheme that passed.
fn admin_signature(state: &AppState, req: &ApiRequest) -> Result<&'static str, Rejection> {
    let key = state.info.api_key.as_bytes();
    // An account that accepts only md5 does not know the header: it looks
    // for the hash as if the header were not there.
    if let Some(token) = admin_header(req)
        && state.admin_auth != AdminAuth::Md5
    {
        let (time, sig) = token
            .split_once('_')
            .ok_or_else(|| bad_signature("the Admin token is not <time>_<signature>"))?;
        let time: i64 = time
            .parse()
            .map_err(|_| bad_signature("the Admin token's time is not a number"))?;
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs() as i64)
            .unwrap_or_default();
        if now.abs_diff(time) > HMAC_WINDOW_SECS {
            return Err(bad_signature("the Admin token's time is stale"));
        }
        let action = req.params.get("action").unwrap_or_default();
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key)
            .map_err(|_| bad_signature("the API key cannot key an HMAC"))?;
        mac.update(format!("{action}:{time}").as_bytes());
        let expected = hex::encode(mac.finalize().into_bytes());
        return if constant_eq(expected.as_bytes(), sig.to_ascii_lowercase().as_bytes()) {
            Ok("hmac")
        } else {
            Err(bad_signature(""))
        };
    }
    if state.admin_auth == AdminAuth::Hmac {
        return Err(bad_signature(""));
    }
    let hash = req
        .params
        .non_empty("hash")
        .ok_or_else(|| bad_signature(""))?;
    let signing = match state.md5_over {
        Md5Over::Received => received_signing_string(&req.raw_query),
        Md5Over::Decoded => req.params.signing_string(),
    };
    let mut input = signing.into_bytes();
    input.extend_from_slice(key);
    let expected = hex::encode(Md5::digest(&input));
    if constant_eq(expected.as_bytes(), hash.to_ascii_lowercase().as_bytes()) {
        Ok("md5")
    } else {
        Err(bad_signature(""))
    }
}

/// Compares two signatures in time that does not depend on where they
/// differ (`subtle`, as the server's own checks do).
fn constant_eq(a: &[u8], b: &[u8]) -> bool {
    bool::from(subtle::ConstantTimeEq::ct_eq(a, b))
}

/// The answer of an injected fault.
async fn fault_response(kind: FaultKind) -> Response {
    match kind {
        FaultKind::Status500 => (
            StatusCode::INTERNAL_SERVER_ERROR,
            [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
            "<html><body><h1>500 Internal Server Error</h1></body></html>",
        )
            .into_response(),
        FaultKind::TooManyRequests { retry_after } => {
            let mut resp = (
                StatusCode::TOO_MANY_REQUESTS,
                Json(json!({ "status": "error", "status_code": 429, "message": "Too many requests" })),
            )
                .into_response();
            if retry_after {
                resp.headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from(1u32));
            }
            resp
        }
        FaultKind::TooManyRequestsOk => Json(json!({
            "status": "error",
            "status_code": 429,
            "message": "Too many requests",
        }))
        .into_response(),
        FaultKind::Malformed => (
            [(header::CONTENT_TYPE, "application/json; charset=utf-8")],
            r#"{"status":"ok","data":[{"id":"330090","name":"Worksect"#,
        )
            .into_response(),
        FaultKind::Html => (
            [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
            "<!doctype html><html><head><title>Maintenance</title></head><body><h1>Worksection \
             is being updated</h1><p>Please try again in a few minutes.</p></body></html>",
        )
            .into_response(),
        FaultKind::Drop => {
            // Promise a body, then fail it: the server closes the connection
            // mid-answer, which is what a client sees when a proxy dies.
            let body = stream::once(async {
                Err::<Bytes, std::io::Error>(std::io::Error::new(
                    std::io::ErrorKind::ConnectionReset,
                    "simulated dropped connection",
                ))
            });
            (
                [(header::CONTENT_TYPE, "application/json; charset=utf-8")],
                Body::from_stream(body),
            )
                .into_response()
        }
        FaultKind::Hang => {
            tokio::time::sleep(HANG_LIMIT).await;
            StatusCode::GATEWAY_TIMEOUT.into_response()
        }
        // Handled by the caller; listed for completeness.
        FaultKind::Slow(_) | FaultKind::SlowBody(_) => StatusCode::OK.into_response(),
    }
}

/// Sends `body` in ten pieces spread over `over`.
fn dribble(body: Vec<u8>, content_type: &'static str, over: Duration) -> Response {
    let pieces = 10usize;
    let step = over / pieces as u32;
    let chunk = body.len().div_ceil(pieces).max(1);
    let chunks: Vec<Bytes> = body.chunks(chunk).map(Bytes::copy_from_slice).collect();
    let s = stream::unfold(chunks.into_iter(), move |mut it| async move {
        let next = it.next()?;
        tokio::time::sleep(step).await;
        Some((Ok::<Bytes, std::io::Error>(next), it))
    });
    ([(header::CONTENT_TYPE, content_type)], Body::from_stream(s)).into_response()
}

/// `attachment` with the name in RFC 5987 form, so any upstream name is safe
/// in a header.
fn content_disposition(name: &str) -> String {
    let ascii: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() && c != '"' && c != '\\' || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let encoded: String = url::form_urlencoded::byte_serialize(name.as_bytes())
        .collect::<String>()
        .replace('+', "%20");
    format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}")
}

/// The content type Worksection's file storage would send, by extension.
fn mime_for(name: &str) -> &'static str {
    let ext = name
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    match ext.as_str() {
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "pdf" => "application/pdf",
        "docx" => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "xlsx" => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "pptx" => "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        "txt" => "text/plain; charset=utf-8",
        "md" => "text/markdown; charset=utf-8",
        "csv" => "text/csv; charset=utf-8",
        "json" => "application/json",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_disposition_is_header_safe_for_hostile_names() {
        for name in [
            "../../etc/passwd.txt",
            "Résumé notes.txt",
            "a\"b\r\nX-Evil: 1.txt",
        ] {
            let v = content_disposition(name);
            assert!(HeaderValue::from_str(&v).is_ok(), "{v}");
            assert!(!v.contains('\n') && !v.contains('\r'));
        }
    }
}

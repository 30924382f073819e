//! The client API, `{account_url}/api/oauth2` (bearer token) and
//! `{account_url}/api/admin/v2` (md5-signed admin key).
//!
//! One request goes through the same steps Worksection's would, in order:
//! the rate limit (HTTP 429 with `Retry-After`), injected faults, auth, the
//! action's scope, and finally the action itself (`actions`), whose answer
//! `render` shapes. Like Worksection, errors about the request itself come
//! back as HTTP 200 with `status: error`; only auth problems use HTTP 401.

pub mod actions;
pub mod params;
pub mod render;

use std::sync::Arc;
use std::time::Duration;

use axum::Json;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use futures_util::stream;
use md5::{Digest, Md5};
use serde_json::json;

use self::actions::{Answer, ApiError, Caller, Ctx};
pub use self::params::{AllParams, Params};
use crate::faults::FaultKind;
use crate::oauth::TokenProblem;
use crate::server::AppState;

/// How long a `hang` fault holds a request before giving up on its own, so
/// a forgotten fault cannot pin a connection forever.
const HANG_LIMIT: Duration = Duration::from_secs(300);

/// `/api/oauth2`.
pub async fn oauth2(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    AllParams(params): AllParams,
) -> Response {
    handle(&state, AuthMode::Bearer(&headers), params).await
}

/// `/api/admin/v2`.
pub async fn admin(State(state): State<Arc<AppState>>, AllParams(params): AllParams) -> Response {
    handle(&state, AuthMode::AdminKey, params).await
}

enum AuthMode<'a> {
    Bearer(&'a HeaderMap),
    AdminKey,
}

async fn handle(state: &AppState, mode: AuthMode<'_>, params: Params) -> Response {
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

    let (caller, auth_name) = match authenticate(state, &mode, &params) {
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
    if let (Some(Some(scope)), Caller::User(_), AuthMode::Bearer(headers)) = (scope, caller, &mode)
        && !state.bearer_scopes(headers).iter().any(|s| s == scope)
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
    };
    let answer = match actions::run(action, &params, &ctx) {
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
            Self::Unauthorized(hint) => (
                StatusCode::UNAUTHORIZED,
                Json(json!({
                    "error": "access_denied",
                    "errorDescription": "The resource owner or authorization server denied the request.",
                    "hint": hint,
                })),
            )
                .into_response(),
            Self::Api(e) => error(e),
        }
    }
}

fn authenticate(
    state: &AppState,
    mode: &AuthMode<'_>,
    params: &Params,
) -> Result<(Caller, &'static str), Rejection> {
    match mode {
        AuthMode::Bearer(headers) => match state.bearer_grant(headers) {
            Ok(grant) => Ok((Caller::User(grant.user), "oauth2")),
            Err(TokenProblem::Missing) => {
                Err(Rejection::Unauthorized("Missing \"Authorization\" header"))
            }
            Err(TokenProblem::Expired) => Err(Rejection::Unauthorized("Access token has expired")),
            Err(TokenProblem::Unknown) => Err(Rejection::Unauthorized(
                "Access token has been revoked or is invalid",
            )),
        },
        AuthMode::AdminKey => {
            let Some(hash) = params.non_empty("hash") else {
                return Err(Rejection::Api(ApiError::with_details(
                    10,
                    "Field is required",
                    "hash",
                )));
            };
            let expected =
                Md5::digest(format!("{}{}", params.signing_string(), state.info.api_key));
            if hex::encode(expected).eq_ignore_ascii_case(hash) {
                Ok((Caller::Admin, "admin"))
            } else {
                Err(Rejection::Api(ApiError::new(2, "Hash is invalid")))
            }
        }
    }
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

//! Request parameters, the way Worksection reads them: from the query string
//! and from a form body alike, in the order they were sent.
//!
//! The order matters for the admin API, whose `hash` is an md5 over the query
//! string as sent. Worksection's own examples send everything in the query of
//! a POST, but a form body works too, so both are accepted.

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

/// Ordered `key=value` pairs, decoded.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(transparent)]
pub struct Params(pub Vec<(String, String)>);

impl Params {
    /// The first value of `key`.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// The value of `key` when present and not blank.
    pub fn non_empty(&self, key: &str) -> Option<&str> {
        self.get(key).map(str::trim).filter(|v| !v.is_empty())
    }

    /// Query pairs followed by body pairs.
    pub fn merged(mut self, other: Params) -> Params {
        self.0.extend(other.0);
        self
    }

    /// The string the admin API's hash is computed over: every pair but
    /// `hash`, as `key=value` joined by `&`, values not percent-encoded —
    /// the construction in Worksection's own collection.
    pub fn signing_string(&self) -> String {
        self.0
            .iter()
            .filter(|(k, _)| k != "hash")
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("&")
    }
}

/// Query plus form body, whatever the body's declared content type (clients
/// often POST a form without one, or POST nothing at all).
#[derive(Debug, Clone, Default)]
pub struct AllParams(pub Params);

impl<S: Send + Sync> FromRequest<S> for AllParams {
    type Rejection = Response;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let query = req.uri().query().unwrap_or_default().to_owned();
        let is_multipart = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("multipart/"));
        let body = Bytes::from_request(req, state)
            .await
            .map_err(IntoResponse::into_response)?;
        let bad = |what: &str| {
            (
                StatusCode::BAD_REQUEST,
                format!("the {what} is not valid application/x-www-form-urlencoded data"),
            )
                .into_response()
        };
        let mut params: Params =
            serde_urlencoded::from_str(&query).map_err(|_| bad("query string"))?;
        if !body.is_empty() && !is_multipart {
            let form: Params =
                serde_urlencoded::from_bytes(&body).map_err(|_| bad("request body"))?;
            params = params.merged(form);
        }
        Ok(Self(params))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signing_string_keeps_order_and_raw_values() {
        let p: Params =
            serde_urlencoded::from_str("action=search_tasks&filter=name%20has%20%27A%27&hash=abc")
                .expect("valid query");
        assert_eq!(
            p.signing_string(),
            "action=search_tasks&filter=name has 'A'"
        );
        assert_eq!(p.get("hash"), Some("abc"));
    }
}

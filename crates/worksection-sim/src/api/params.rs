//! Request parameters, the way Worksection reads them: from the query string
//! and from a form or JSON body alike, in the order they were sent.
//!
//! The order matters for the admin API's md5 scheme, whose `hash` covers the
//! query string. Worksection's documentation sends everything in the query
//! of a POST, its SDKs send a JSON body (`Content-Type: application/json`),
//! and a form body works too, so all three are accepted. The raw query is
//! kept for the md5 check over the query as received.

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

    /// The string the md5 scheme's hash is computed over when it is
    /// checked over decoded values: every pair but `hash`, as `key=value`
    /// joined by `&`, values not percent-encoded — the construction in
    /// Worksection's own collection.
    pub fn signing_string(&self) -> String {
        self.0
            .iter()
            .filter(|(k, _)| k != "hash")
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("&")
    }
}

/// The query string as received, less the `hash` pair: what the md5 scheme
/// hashes when it is checked over the query as received.
pub fn received_signing_string(raw_query: &str) -> String {
    raw_query
        .split('&')
        .filter(|piece| piece.split('=').next() != Some("hash"))
        .collect::<Vec<_>>()
        .join("&")
}

/// A JSON body's fields as parameters: strings as they are, numbers in
/// their digits, booleans as `1`/`0`, lists joined by commas.
fn json_params(body: &[u8]) -> Option<Params> {
    let serde_json::Value::Object(map) = serde_json::from_slice(body).ok()? else {
        return None;
    };
    fn text(v: &serde_json::Value) -> Option<String> {
        use serde_json::Value;
        match v {
            Value::Null => None,
            Value::String(s) => Some(s.clone()),
            Value::Bool(b) => Some(u8::from(*b).to_string()),
            Value::Array(items) => {
                Some(items.iter().filter_map(text).collect::<Vec<_>>().join(","))
            }
            other => Some(other.to_string()),
        }
    }
    Some(Params(
        map.iter()
            .filter_map(|(k, v)| Some((k.clone(), text(v)?)))
            .collect(),
    ))
}

/// Query plus body (form or JSON), whatever the body's declared content
/// type for a form (clients often POST a form without one, or POST nothing
/// at all).
#[derive(Debug, Clone, Default)]
pub struct AllParams(pub Params);

impl<S: Send + Sync> FromRequest<S> for AllParams {
    type Rejection = Response;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        Ok(Self(ApiRequest::from_request(req, state).await?.params))
    }
}

/// The parameters of a client-API request, its raw query, and its
/// `Authorization` header.
#[derive(Debug, Clone, Default)]
pub struct ApiRequest {
    pub params: Params,
    pub raw_query: String,
    pub authorization: Option<String>,
}

impl<S: Send + Sync> FromRequest<S> for ApiRequest {
    type Rejection = Response;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let query = req.uri().query().unwrap_or_default().to_owned();
        let authorization = req
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let content_type = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_ascii_lowercase();
        let is_multipart = content_type.starts_with("multipart/");
        let is_json = content_type.starts_with("application/json");
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
        if is_json && !body.is_empty() {
            let json = json_params(&body).ok_or_else(|| {
                (
                    StatusCode::BAD_REQUEST,
                    "the request body is not a JSON object".to_owned(),
                )
                    .into_response()
            })?;
            params = params.merged(json);
        } else if !body.is_empty() && !is_multipart {
            let form: Params =
                serde_urlencoded::from_bytes(&body).map_err(|_| bad("request body"))?;
            params = params.merged(form);
        }
        Ok(Self {
            params,
            raw_query: query,
            authorization,
        })
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
        assert_eq!(
            received_signing_string("action=a&hash=abc&extra=text,files&filter=a%20b"),
            "action=a&extra=text,files&filter=a%20b"
        );
        let json =
            json_params(br#"{"id_project": 26, "extra": "text,files", "x": null, "on": true}"#)
                .expect("object");
        assert_eq!(json.get("id_project"), Some("26"));
        assert_eq!(json.get("extra"), Some("text,files"));
        assert_eq!(json.get("on"), Some("1"));
        assert_eq!(json.get("x"), None);
    }
}

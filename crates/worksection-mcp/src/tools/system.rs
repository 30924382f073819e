//! System: the server's own health, and the account's webhooks.

use std::sync::Arc;
use std::time::Instant;

use schemars::JsonSchema;
use serde::Serialize;
use serde_json::{Map, Value};
use worksection::auth::AuthKind;

use super::answer::{Listed, Nothing, Object};
use super::{NoArgs, Scope, ToolDef, Upstream, def};
use crate::account::Account;
use crate::compact;
use crate::error::ToolError;

pub fn tools() -> Vec<ToolDef> {
    vec![
        def(
            "health_check",
            "Health check",
            "Can the server reach Worksection: version, account, sign-in, latency. Use it \
             when tools fail.",
            Upstream::new(1, &["me", "get_project_groups"], &[])
                .note("`get_project_groups` with the admin API key")
                .uncached(),
            health_check,
        ),
        def(
            "get_webhooks",
            "Webhooks",
            "The account's webhooks; needs the administrative permission.",
            Upstream::new(1, &["get_webhooks"], &[Scope::Administrative]),
            get_webhooks,
        ),
    ]
}

/// `health_check`'s answer.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Health {
    server: ServerFacts,
    account: AccountFacts,
    auth: AuthFacts,
    api: ApiFacts,
    rate_limiter: RateLimiter,
    cache: CacheFacts,
    /// `ok`, or `degraded` when Worksection did not answer.
    status: &'static str,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct ServerFacts {
    name: &'static str,
    version: &'static str,
    uptime_seconds: u64,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct AccountFacts {
    url: String,
    label: String,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct AuthFacts {
    /// `admin_api_key` or `oauth2`.
    kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    note: Option<&'static str>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct ApiFacts {
    reachable: bool,
    response_ms: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    signed_in_as: Option<Person>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct Person {
    id: String,
    name: String,
    email: String,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct RateLimiter {
    requests_waiting: usize,
    note: &'static str,
}

/// The response cache's and the file cache's figures.
#[derive(Debug, Serialize, JsonSchema)]
pub struct CacheFacts {
    responses: Map<String, Value>,
    files: Map<String, Value>,
}

/// A value's fields (an empty object if it has none).
fn fields(value: impl Serialize) -> Map<String, Value> {
    match serde_json::to_value(value) {
        Ok(Value::Object(o)) => o,
        _ => Map::new(),
    }
}

async fn health_check(ws: Arc<Account>, _: NoArgs) -> Result<Object<Health>, ToolError> {
    let started = Instant::now();
    let probe = ws.probe().await;
    let response_ms = started.elapsed().as_millis() as u64;
    let api = match &probe {
        Ok(user) => ApiFacts {
            reachable: true,
            response_ms,
            signed_in_as: user.as_ref().map(|u| Person {
                id: u.id.to_string(),
                name: u.name.clone(),
                email: u.email.clone(),
            }),
            error: None,
        },
        Err(e) => ApiFacts {
            reachable: false,
            response_ms,
            signed_in_as: None,
            error: Some(e.to_string()),
        },
    };
    let auth = match ws.client().auth_kind() {
        AuthKind::ApiKey => AuthFacts {
            kind: "admin_api_key",
            note: Some(
                "Admin API key: every read action except the user-only ones (get_my_timer).",
            ),
        },
        AuthKind::OAuth2 => AuthFacts {
            kind: "oauth2",
            note: None,
        },
    };
    Object::new(Health {
        server: ServerFacts {
            name: env!("CARGO_PKG_NAME"),
            version: env!("CARGO_PKG_VERSION"),
            uptime_seconds: ws.uptime().as_secs(),
        },
        account: AccountFacts {
            url: ws.client().account_url().as_str().to_owned(),
            label: ws.label().to_owned(),
        },
        auth,
        api,
        rate_limiter: RateLimiter {
            requests_waiting: ws.client().queued(),
            note: "response_ms includes any wait for the rate limiter (about one request per second)",
        },
        cache: CacheFacts {
            responses: fields(ws.cache().stats()),
            files: fields(ws.files().stats().await),
        },
        status: if probe.is_ok() { "ok" } else { "degraded" },
    })
}

async fn get_webhooks(ws: Arc<Account>, _: NoArgs) -> Result<Listed<Nothing>, ToolError> {
    Listed::new(compact::list(ws.webhooks().await?.iter())?, Nothing {})
}

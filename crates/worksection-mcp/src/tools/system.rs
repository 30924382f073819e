//! System: the server's own health, and the account's webhooks.

use std::sync::Arc;
use std::time::Instant;

use serde_json::json;
use worksection::auth::AuthKind;

use super::{NoArgs, Shape, ToolDef, def};
use crate::account::Account;
use crate::compact;
use crate::error::ToolError;
use crate::output::Answer;

pub fn tools() -> Vec<ToolDef> {
    vec![
        def(
            "health_check",
            "Health check",
            "Can the server reach Worksection: version, account, sign-in, latency. Use it \
             when tools fail.",
            Shape::Object(&["server", "account", "auth", "api", "cache"]),
            health_check,
        ),
        def(
            "get_webhooks",
            "Webhooks",
            "The account's webhooks; needs the administrative permission.",
            Shape::List,
            get_webhooks,
        ),
    ]
}

async fn health_check(ws: Arc<Account>, _: NoArgs) -> Result<Answer, ToolError> {
    let started = Instant::now();
    let probe = ws.probe().await;
    let latency_ms = started.elapsed().as_millis() as u64;
    let api = match &probe {
        Ok(Some(user)) => json!({
            "reachable": true,
            "response_ms": latency_ms,
            "signed_in_as": {"id": user.id, "name": user.name, "email": user.email},
        }),
        Ok(None) => json!({"reachable": true, "response_ms": latency_ms}),
        Err(e) => json!({"reachable": false, "response_ms": latency_ms, "error": e.to_string()}),
    };
    let auth = match ws.client().auth_kind() {
        AuthKind::ApiKey => {
            json!({"kind": "admin_api_key", "note": "Admin API key: every read action except the user-only ones (get_my_timer)."})
        }
        AuthKind::OAuth2 => json!({"kind": "oauth2"}),
    };
    Answer::object(json!({
        "server": {"name": env!("CARGO_PKG_NAME"), "version": env!("CARGO_PKG_VERSION"), "uptime_seconds": ws.uptime().as_secs()},
        "account": {"url": ws.client().account_url().as_str(), "label": ws.label()},
        "auth": auth,
        "api": api,
        "rate_limiter": {"requests_waiting": ws.client().queued(), "note": "response_ms includes any wait for the rate limiter (about one request per second)"},
        "cache": {"responses": ws.cache().stats(), "files": ws.files().stats().await},
        "status": if probe.is_ok() { "ok" } else { "degraded" },
    }))
}

async fn get_webhooks(ws: Arc<Account>, _: NoArgs) -> Result<Answer, ToolError> {
    compact::list(ws.webhooks().await?.iter())?.finish()
}

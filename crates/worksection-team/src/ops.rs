//! Operating the server: readiness and Prometheus metrics.
//!
//! Metrics go through the `metrics` facade to one
//! `metrics-exporter-prometheus` recorder, installed once per process
//! ([`install_metrics`]) and rendered at `/metrics`. Their labels are
//! tool names and outcomes, never a person, a token or an id.

use std::sync::{Arc, OnceLock};

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};

use crate::server::Team;

static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();

/// Installs the process's metrics recorder (once; later calls do nothing)
/// and describes the team server's metrics.
pub fn install_metrics() {
    HANDLE.get_or_init(|| {
        let handle = PrometheusBuilder::new().install_recorder().ok();
        metrics::describe_counter!(
            "worksection_team_tool_calls_total",
            "Tool calls, by tool and outcome"
        );
        metrics::describe_histogram!(
            "worksection_team_tool_call_seconds",
            "Time to answer a tool call, by tool"
        );
        metrics::describe_counter!(
            "worksection_team_upstream_requests_total",
            "Requests sent to Worksection (each waited for the account's pace)"
        );
        metrics::describe_histogram!(
            "worksection_team_pace_wait_seconds",
            "How long a request waited for its turn of the account's pace"
        );
        metrics::describe_counter!(
            "worksection_team_cache_answered_calls_total",
            "Tool calls answered without a request to Worksection"
        );
        metrics::describe_counter!("worksection_team_sign_ins_total", "Sign-ins, by outcome");
        metrics::describe_counter!(
            "worksection_team_tokens_issued_total",
            "Access tokens issued, by grant type"
        );
        metrics::describe_gauge!(
            "worksection_team_redis_up",
            "1 while the Redis the replicas share answers, 0 while this replica works alone (degraded)"
        );
        metrics::describe_counter!(
            "worksection_team_redis_errors_total",
            "Calls to the shared Redis that failed (unreachable, timed out, or an error answer)"
        );
        handle
    });
}

/// `/metrics`: the Prometheus text format.
pub async fn metrics() -> Response {
    match HANDLE.get().and_then(Option::as_ref) {
        Some(h) => (
            [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
            h.render(),
        )
            .into_response(),
        None => (
            StatusCode::SERVICE_UNAVAILABLE,
            "metrics are not installed in this process\n",
        )
            .into_response(),
    }
}

/// `/readyz`: ready when the store answers. With Redis the replica is
/// ready whether Redis answers or not (it keeps serving, degraded), and
/// says which: `{"status":"ready","redis":"down","degraded":true}`.
pub async fn readyz(State(team): State<Arc<Team>>) -> Response {
    if let Some(shared) = team.shared() {
        let up = shared.is_up();
        let body = serde_json::json!({
            "status": "ready",
            "redis": if up { "up" } else { "down" },
            "degraded": !up,
            "replicas": shared.replicas(),
        });
        return (
            [(header::CONTENT_TYPE, "application/json")],
            body.to_string(),
        )
            .into_response();
    }
    match team.store().ready().await {
        Ok(()) => (
            [(header::CONTENT_TYPE, "application/json")],
            r#"{"status":"ready"}"#,
        )
            .into_response(),
        Err(e) => {
            tracing::error!(error = %e, "not ready: the team store does not answer");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                [(header::CONTENT_TYPE, "application/json")],
                r#"{"status":"not ready","reason":"the store does not answer"}"#,
            )
                .into_response()
        }
    }
}

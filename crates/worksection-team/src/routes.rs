//! The HTTP routes of the team server's authorization server: the
//! discovery documents (`metadata`), the OAuth endpoints (`oauth`), and
//! readiness and metrics (`ops`). The MCP endpoint and `/healthz` are the
//! caller's to add.

use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};

use crate::server::Team;
use crate::{metadata, oauth, ops};

impl Team {
    /// The routes of the authorization server and its metadata.
    pub fn router(self: &Arc<Self>) -> Router {
        Router::new()
            .route(
                "/.well-known/oauth-protected-resource",
                get(root_resource_metadata),
            )
            .route(
                "/.well-known/oauth-protected-resource/mcp",
                get(mcp_resource_metadata),
            )
            .route(
                "/.well-known/oauth-authorization-server",
                get(authorization_server_metadata),
            )
            .route("/authorize", get(oauth::authorize))
            .route(
                "/oauth/worksection/callback",
                get(oauth::worksection_callback),
            )
            .route(
                "/oauth/consent",
                get(oauth::consent_form).post(oauth::consent),
            )
            .route("/token", post(oauth::token))
            .route("/revoke", post(oauth::revoke))
            .route("/register", post(oauth::register))
            .route("/readyz", get(ops::readyz))
            .route("/metrics", get(ops::metrics))
            .with_state(self.clone())
    }
}

fn json_doc(v: serde_json::Value) -> Response {
    (
        [
            (header::CONTENT_TYPE, "application/json"),
            (header::CACHE_CONTROL, "public, max-age=300"),
            (header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"),
        ],
        v.to_string(),
    )
        .into_response()
}

async fn root_resource_metadata(State(team): State<Arc<Team>>) -> Response {
    json_doc(metadata::protected_resource(
        team.config(),
        &team.config().issuer(),
    ))
}

async fn mcp_resource_metadata(State(team): State<Arc<Team>>) -> Response {
    json_doc(metadata::protected_resource(
        team.config(),
        &team.config().resource(),
    ))
}

async fn authorization_server_metadata(State(team): State<Arc<Team>>) -> Response {
    json_doc(metadata::authorization_server(team.config()))
}

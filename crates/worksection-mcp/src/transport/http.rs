//! Streamable HTTP on axum: `/mcp` for MCP, `/healthz` for containers.
//!
//! The server holds a company's project history and listens on the
//! person's own computer, where any web page they open could try to reach
//! it. So: it listens on loopback by default; `Host` must be a loopback
//! name (or one configured) so a DNS-rebinding page cannot pass as local;
//! a browser `Origin` must be this server's own address (or configured), so
//! no other page's script can call it; no CORS headers are ever sent, so no
//! page can read an answer; and with `MCP_AUTH_TOKEN` every MCP request
//! needs that bearer token (required beyond loopback). The Host and Origin
//! checks are rmcp's own, configured here.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
use rmcp::transport::{StreamableHttpServerConfig, StreamableHttpService};
use sha2::{Digest, Sha256};
use tokio_util::sync::CancellationToken;

use crate::config::{ConfigError, Settings};
use crate::server::WorksectionServer;

/// Requests larger than this are refused: tool arguments are small, and a
/// huge body is either a mistake or an attack.
pub const MAX_REQUEST_BYTES: usize = 4 * 1024 * 1024;

/// The `/mcp` and `/healthz` routes for a server, with its protections.
pub fn router(
    server: WorksectionServer,
    settings: &Settings,
    local: SocketAddr,
    shutdown: CancellationToken,
) -> Router {
    let mut hosts: Vec<String> = ["localhost", "127.0.0.1", "::1", "[::1]"]
        .into_iter()
        .map(str::to_owned)
        .collect();
    hosts.extend(settings.allowed_hosts.iter().cloned());
    let port = local.port();
    let mut origins: Vec<String> = vec![
        format!("http://localhost:{port}"),
        format!("http://127.0.0.1:{port}"),
        format!("http://[::1]:{port}"),
    ];
    origins.extend(settings.allowed_origins.iter().cloned());
    let config = StreamableHttpServerConfig::default()
        .with_allowed_hosts(hosts)
        .with_allowed_origins(origins)
        .with_max_request_body_bytes(MAX_REQUEST_BYTES)
        .with_cancellation_token(shutdown);
    let mcp = StreamableHttpService::new(
        move || Ok(server.clone()),
        Arc::new(LocalSessionManager::default()),
        config,
    );
    let token = settings
        .auth_token
        .as_ref()
        .map(|t| Arc::new(Sha256::digest(t.as_bytes()).to_vec()));
    let mcp_routes = Router::new()
        .nest_service("/mcp", mcp)
        .layer(middleware::from_fn_with_state(token, require_token));
    Router::new()
        .route("/healthz", get(healthz))
        .merge(mcp_routes)
}

async fn healthz() -> impl IntoResponse {
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "application/json")],
        r#"{"status":"ok"}"#,
    )
}

/// Checks the bearer token when one is configured. Both sides are hashed
/// before comparing, so the comparison takes the same time whatever the
/// guess.
async fn require_token(
    State(token): State<Option<Arc<Vec<u8>>>>,
    request: Request,
    next: Next,
) -> Response {
    let Some(expected) = token else {
        return next.run(request).await;
    };
    let given = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(|t| Sha256::digest(t.trim().as_bytes()).to_vec());
    let ok = given.is_some_and(|g| {
        g.len() == expected.len()
            && g.iter()
                .zip(expected.iter())
                .fold(0u8, |acc, (a, b)| acc | (a ^ b))
                == 0
    });
    if ok {
        next.run(request).await
    } else {
        (
            StatusCode::UNAUTHORIZED,
            [(header::WWW_AUTHENTICATE, "Bearer")],
            "This server needs the bearer token set in MCP_AUTH_TOKEN.\n",
        )
            .into_response()
    }
}

pub async fn serve(
    server: WorksectionServer,
    settings: &Settings,
    shutdown: CancellationToken,
) -> Result<(), ConfigError> {
    let addr = SocketAddr::new(settings.host, settings.port);
    let listener = tokio::net::TcpListener::bind(addr).await.map_err(|e| {
        if e.kind() == std::io::ErrorKind::AddrInUse {
            ConfigError(format!(
                "Port {} on {} is already in use (is another worksection-mcp running?); stop it or set MCP_SERVER_PORT to a free port.",
                settings.port, settings.host
            ))
        } else {
            ConfigError(format!("Could not listen on {addr}: {e}."))
        }
    })?;
    let local = listener
        .local_addr()
        .map_err(|e| ConfigError(format!("Could not read the listening address: {e}.")))?;
    let label = server.account().label().to_owned();
    let app = router(server, settings, local, shutdown.child_token());
    let shown = if local.ip().is_unspecified() {
        format!(
            "http://127.0.0.1:{}/mcp (on every network address)",
            local.port()
        )
    } else {
        format!("http://{local}/mcp")
    };
    eprintln!("Worksection MCP: serving {label} at {shown}");
    tracing::info!(address = %local, account = %label, "listening");
    axum::serve(listener, app)
        .with_graceful_shutdown(async move { shutdown.cancelled().await })
        .await
        .map_err(|e| ConfigError(format!("The HTTP server stopped: {e}.")))
}

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
//!
//! A session closed by `DELETE` answers `200 OK` ([`session_closed`]); a
//! stream that cannot be resumed answers `404` ([`resume_or_refuse`]).

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::serve::ListenerExt as _;
use rmcp::transport::streamable_http_server::session::SessionStore;
use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
use rmcp::transport::{StreamableHttpServerConfig, StreamableHttpService};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use tokio_util::sync::CancellationToken;
use worksection::ExposeSecret;

use crate::config::{ConfigError, Settings};
use crate::server::WorksectionServer;

/// Requests larger than this are refused: tool arguments are small, and a
/// huge body is either a mistake or an attack.
pub const MAX_REQUEST_BYTES: usize = 4 * 1024 * 1024;

/// `/mcp` (the default account), `/mcp/<account host>` (each account) and
/// `/healthz`, with their protections.
pub fn router(
    servers: &[(String, WorksectionServer)],
    settings: &Settings,
    local: SocketAddr,
    shutdown: CancellationToken,
) -> Router {
    router_with_sessions(servers, settings, local, shutdown).0
}

/// [`router`], and the session managers behind its MCP endpoints, so a host
/// (the desktop app) can count the connected sessions.
pub fn router_with_sessions(
    servers: &[(String, WorksectionServer)],
    settings: &Settings,
    local: SocketAddr,
    shutdown: CancellationToken,
) -> (Router, Vec<Arc<LocalSessionManager>>) {
    let mut mcp_routes = Router::new();
    let mut sessions = Vec::new();
    let mut service = |server: &WorksectionServer| {
        let manager = Arc::new(LocalSessionManager::default());
        sessions.push(manager.clone());
        mcp_service(
            server.clone(),
            settings,
            local,
            shutdown.clone(),
            manager,
            None,
        )
    };
    for (i, (key, server)) in servers.iter().enumerate() {
        if i == 0 {
            mcp_routes = mcp_routes.nest_service("/mcp", service(server));
        }
        mcp_routes = mcp_routes.nest_service(&format!("/mcp/{key}"), service(server));
    }
    let token = settings
        .auth_token
        .as_ref()
        .map(|t| Arc::new(Sha256::digest(t.expose_secret().as_bytes()).to_vec()));
    let router = Router::new().route("/healthz", get(healthz)).merge(
        mcp_routes
            .layer(middleware::from_fn(check_jsonrpc))
            .layer(middleware::from_fn(session_closed))
            .layer(middleware::from_fn(resume_or_refuse))
            .layer(middleware::from_fn_with_state(token, require_token)),
    );
    (router, sessions)
}

/// One account's MCP endpoint: rmcp's streamable HTTP service with the
/// Host and Origin checks. With `session_store` (replicas of a team
/// server), a session of an earlier protocol version begun on another
/// replica is found there and taken up here (rmcp replays its `initialize`);
/// without one, or when the store does not know it, an unknown session is
/// answered `404 Not Found`, on which the specification has the client
/// start a new session, as the SDK clients do by themselves.
pub(crate) fn mcp_service(
    server: WorksectionServer,
    settings: &Settings,
    local: SocketAddr,
    shutdown: CancellationToken,
    sessions: Arc<LocalSessionManager>,
    session_store: Option<Arc<dyn SessionStore>>,
) -> StreamableHttpService<WorksectionServer, LocalSessionManager> {
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
    let mut config = StreamableHttpServerConfig::default()
        .with_allowed_hosts(hosts)
        .with_allowed_origins(origins)
        .with_max_request_body_bytes(MAX_REQUEST_BYTES)
        .with_cancellation_token(shutdown);
    config.session_store = session_store;
    StreamableHttpService::new(move || Ok(server.clone()), sessions, config)
}

/// Answers malformed JSON-RPC with JSON-RPC's own errors (parse error,
/// invalid request, invalid params) before it reaches the MCP service,
/// which would otherwise refuse some of it with a bare HTTP status or
/// mistake a known method with bad params for an unknown one.
pub(crate) async fn check_jsonrpc(request: Request, next: Next) -> Response {
    if request.method() != axum::http::Method::POST {
        return next.run(request).await;
    }
    let (parts, body) = request.into_parts();
    let bytes = match axum::body::to_bytes(body, MAX_REQUEST_BYTES).await {
        Ok(b) => b,
        Err(_) => {
            return (
                StatusCode::PAYLOAD_TOO_LARGE,
                "The request is larger than the 4 MB this server accepts.\n",
            )
                .into_response();
        }
    };
    if let Err((code, id, message)) = jsonrpc_problem(&bytes) {
        let body = serde_json::json!({
            "jsonrpc": "2.0",
            "id": id,
            "error": {"code": code, "message": message},
        });
        return (StatusCode::BAD_REQUEST, axum::Json(body)).into_response();
    }
    next.run(Request::from_parts(parts, axum::body::Body::from(bytes)))
        .await
}

/// What is wrong with a request body, as a JSON-RPC error code, the
/// request's id and a message; `Ok` when it is well-formed.
fn jsonrpc_problem(bytes: &[u8]) -> Result<(), (i64, serde_json::Value, String)> {
    use serde_json::Value;
    let value: Value = serde_json::from_slice(bytes).map_err(|e| {
        (
            -32700,
            Value::Null,
            format!("Parse error: the body is not JSON ({e})."),
        )
    })?;
    let Some(obj) = value.as_object() else {
        return Err((
            -32600,
            Value::Null,
            "Invalid request: send one JSON-RPC object (batches are not supported).".into(),
        ));
    };
    let id = obj.get("id").cloned().unwrap_or(Value::Null);
    let invalid = |message: &str| Err((-32600, id.clone(), format!("Invalid request: {message}.")));
    if obj.get("jsonrpc").and_then(Value::as_str) != Some("2.0") {
        return invalid("\"jsonrpc\" must be \"2.0\"");
    }
    let method = match obj.get("method") {
        None if obj.contains_key("result") || obj.contains_key("error") => return Ok(()),
        None => return invalid("\"method\" is missing"),
        Some(Value::String(m)) => m.as_str(),
        Some(_) => return invalid("\"method\" must be a string"),
    };
    let params = obj.get("params");
    let bad_params = |message: String| {
        Err((
            -32602,
            id.clone(),
            format!("Invalid params for {method}: {message}."),
        ))
    };
    if params.is_some_and(|p| !p.is_object()) {
        return bad_params("\"params\" must be an object".into());
    }
    let field = |name: &str| params.and_then(|p| p.get(name));
    let required_string = |name: &str| match field(name) {
        Some(Value::String(_)) => Ok(()),
        Some(_) => bad_params(format!("\"{name}\" must be a string")),
        None => bad_params(format!("\"{name}\" is required")),
    };
    let optional_object = |name: &str| match field(name) {
        None | Some(Value::Null) | Some(Value::Object(_)) => Ok(()),
        Some(_) => bad_params(format!("\"{name}\" must be an object")),
    };
    match method {
        "tools/call" | "prompts/get" => {
            required_string("name")?;
            optional_object("arguments")
        }
        "resources/read" => required_string("uri"),
        _ => Ok(()),
    }
}

/// A session closed with `DELETE` answers `200 OK`, not rmcp's `202
/// Accepted`. The specification (2025-11-25, "Session Management") names
/// no status for a successful close (only `405` for a server that refuses
/// it; 2026-07-28 drops sessions); the Python SDK's client takes only 200
/// and 204 as success and logs "Session termination failed: 202"
/// otherwise, the TypeScript SDK's takes any 2xx, and both SDKs' own
/// servers answer 200. The session is closed either way (rmcp closed it
/// before answering); only the status changes.
pub(crate) async fn session_closed(request: Request, next: Next) -> Response {
    let delete = request.method() == axum::http::Method::DELETE;
    let mut response = next.run(request).await;
    if delete && response.status() == StatusCode::ACCEPTED {
        *response.status_mut() = StatusCode::OK;
    }
    response
}

/// How long a resumed stream may stay silent before it is taken as alive.
const RESUME_LOOK: std::time::Duration = std::time::Duration::from_secs(2);

/// A stream that cannot be resumed is refused with `404 Not Found`, not
/// answered with rmcp's empty `200` stream. A client resumes (a `GET` with
/// `Last-Event-ID`) when a response's stream broke before its answer: the
/// server died, or a replica behind a load balancer did and the client
/// reached another one, which never held that stream. On an empty `200`
/// both SDK clients reconnect at once, with their attempt count reset, for
/// as long as the request's timeout (90 s of a hung tool call); on an
/// error status they try twice more and then fail the call, which the
/// person's assistant can send again. A stream that is resumed answers at
/// once (what it missed) or stays open; only one that ends before its
/// first event is refused.
pub(crate) async fn resume_or_refuse(request: Request, next: Next) -> Response {
    use futures_util::StreamExt as _;
    let resuming = request.method() == axum::http::Method::GET
        && request.headers().contains_key("last-event-id");
    let response = next.run(request).await;
    if !resuming || response.status() != StatusCode::OK {
        return response;
    }
    let (parts, body) = response.into_parts();
    let mut events = body.into_data_stream();
    let first = match tokio::time::timeout(RESUME_LOOK, events.next()).await {
        Ok(None) => {
            return (
                StatusCode::NOT_FOUND,
                "Not Found: this server holds no stream to resume after that event; send the request again.\n",
            )
                .into_response();
        }
        Ok(Some(first)) => Some(first),
        Err(_) => None,
    };
    let events = futures_util::stream::iter(first).chain(events);
    Response::from_parts(parts, axum::body::Body::from_stream(events))
}

pub(crate) async fn healthz() -> impl IntoResponse {
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
    let ok = given.is_some_and(|g| bool::from(g.as_slice().ct_eq(expected.as_slice())));
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
    servers: Vec<(String, WorksectionServer)>,
    settings: &Settings,
    shutdown: CancellationToken,
) -> Result<(), ConfigError> {
    let listener = bind(settings).await?;
    let local = listener
        .local_addr()
        .map_err(|e| ConfigError(format!("Could not read the listening address: {e}.")))?;
    let app = router(&servers, settings, local, shutdown.child_token());
    let shown = if local.ip().is_unspecified() {
        format!(
            "http://127.0.0.1:{}/mcp (on every network address)",
            local.port()
        )
    } else {
        format!("http://{local}/mcp")
    };
    // One write for every line, so whoever watches the log for the first
    // line finds the whole list of accounts beside it.
    let mut banner = String::new();
    for (i, (key, server)) in servers.iter().enumerate() {
        let label = server.account().label();
        if i == 0 {
            banner.push_str(&format!("Worksection MCP: serving {label} at {shown}\n"));
        }
        if servers.len() > 1 {
            let base = shown.split(' ').next().unwrap_or_default();
            banner.push_str(&format!(
                "Worksection MCP: serving {label} at {base}/{key}\n"
            ));
        }
        tracing::info!(address = %local, account = %label, "listening");
    }
    eprint!("{banner}");
    serve_on(listener, app, shutdown).await
}

/// Listens on the settings' host and port, with a clear message when the
/// port is taken.
pub async fn bind(settings: &Settings) -> Result<tokio::net::TcpListener, ConfigError> {
    let addr = SocketAddr::new(settings.host, settings.port);
    tokio::net::TcpListener::bind(addr).await.map_err(|e| {
        if e.kind() == std::io::ErrorKind::AddrInUse {
            ConfigError(format!(
                "Port {} on {} is already in use (is another worksection-mcp running?); stop it or set MCP_SERVER_PORT to a free port.",
                settings.port, settings.host
            ))
        } else {
            ConfigError(format!("Could not listen on {addr}: {e}."))
        }
    })
}

/// Serves `app` on `listener` until `shutdown` is cancelled.
pub async fn serve_on(
    listener: tokio::net::TcpListener,
    app: Router,
    shutdown: CancellationToken,
) -> Result<(), ConfigError> {
    // An answer goes out as several writes (the SSE stream's events, then
    // the end of the chunked body). With Nagle's algorithm on, the last
    // small write waits for the client's delayed ACK, which costs a
    // keep-alive client up to 40 ms per request.
    let listener = listener.tap_io(|tcp| {
        if let Err(e) = tcp.set_nodelay(true) {
            tracing::debug!(error = %e, "could not set TCP_NODELAY");
        }
    });
    axum::serve(listener, app)
        .with_graceful_shutdown(async move { shutdown.cancelled().await })
        .await
        .map_err(|e| ConfigError(format!("The HTTP server stopped: {e}.")))
}

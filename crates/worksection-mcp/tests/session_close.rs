//! Sessions over streamable HTTP as the SDK clients need them:
//! - closing one: a `DELETE` with the session's id answers `200 OK` (the
//!   Python SDK takes only 200 and 204 as success and logs "Session
//!   termination failed: 202" for anything else), and the session is gone
//!   afterwards (404, as the specification asks);
//! - resuming a stream this server does not hold (its request ended, or
//!   was on a replica that died) answers 404, on which both SDKs give up
//!   after two tries, rather than an empty stream, on which they reconnect
//!   until the call times out.

#![cfg(feature = "demo")]

use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;
use std::time::Duration;

use serde_json::json;
use worksection_mcp::host::{Running, start};
use worksection_mcp::{Activity, Settings, Source, Transport};

const PROTOCOL: &str = "2025-11-25";

fn demo(cache: &std::path::Path) -> Settings {
    Settings {
        source: Source::Demo,
        transport: Transport::Http,
        host: IpAddr::V4(Ipv4Addr::LOCALHOST),
        port: 0,
        auth_token: None,
        allowed_hosts: vec![],
        allowed_origins: vec![],
        cache_ttl: Duration::from_secs(60),
        file_cache_root: cache.to_path_buf(),
        file_retention: Duration::from_secs(3600),
        max_file_bytes: 10 << 20,
        file_cache_max_bytes: 100 << 20,
        requests_per_second: 50.0,
        answers: Default::default(),
    }
}

/// `POST`s `body` to `url`, in `session` when given.
async fn post(
    http: &reqwest::Client,
    url: &str,
    body: serde_json::Value,
    session: Option<&str>,
) -> reqwest::Result<reqwest::Response> {
    let mut r = http
        .post(url)
        .header("accept", "application/json, text/event-stream")
        .header("content-type", "application/json")
        .json(&body);
    if let Some(s) = session {
        r = r
            .header("mcp-session-id", s)
            .header("mcp-protocol-version", PROTOCOL);
    }
    r.send().await
}

/// Begins a session on `url`: its id.
async fn begin(http: &reqwest::Client, url: &str) -> String {
    let init = post(
        http,
        url,
        json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
            "protocolVersion": PROTOCOL,
            "capabilities": {},
            "clientInfo": {"name": "session-close-test", "version": "1"}
        }}),
        None,
    )
    .await
    .expect("initialize");
    assert!(init.status().is_success(), "{}", init.status());
    let session = init
        .headers()
        .get("mcp-session-id")
        .and_then(|v| v.to_str().ok())
        .expect("a session id")
        .to_owned();
    let _ = init.text().await;
    let ready = post(
        http,
        url,
        json!({"jsonrpc": "2.0", "method": "notifications/initialized"}),
        Some(&session),
    )
    .await
    .expect("initialized");
    assert_eq!(ready.status(), 202);
    session
}

/// A demo server on a free port, its MCP address, a client, and a
/// session begun on it.
async fn serve_and_begin(cache: &std::path::Path) -> (Running, String, reqwest::Client, String) {
    let running = start(&demo(cache), Arc::new(Activity::new()))
        .await
        .expect("server");
    let url = running.mcp_url();
    let http = reqwest::Client::new();
    let session = begin(&http, &url).await;
    (running, url, http, session)
}

#[tokio::test]
async fn deleting_a_session_answers_200_and_ends_it() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (running, url, http, session) = serve_and_begin(dir.path()).await;
    assert_eq!(running.sessions().await, 1);

    let closed = http
        .delete(&url)
        .header("mcp-session-id", &session)
        .header("mcp-protocol-version", PROTOCOL)
        .send()
        .await
        .expect("delete");
    assert_eq!(closed.status(), 200, "a closed session answers 200 OK");
    assert_eq!(running.sessions().await, 0);

    let after = post(
        &http,
        &url,
        json!({"jsonrpc": "2.0", "id": 2, "method": "tools/list"}),
        Some(&session),
    )
    .await
    .expect("after");
    assert_eq!(after.status(), 404, "the session is gone");

    // A DELETE without a session is still refused as rmcp refuses it.
    let bare = http.delete(&url).send().await.expect("bare delete");
    assert!(bare.status().is_client_error(), "{}", bare.status());
    running.stop().await;
}

#[tokio::test]
async fn a_stream_this_server_does_not_hold_is_refused_not_resumed_empty() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (running, url, http, session) = serve_and_begin(dir.path()).await;
    let get = |last_event: Option<&str>| {
        let mut r = http
            .get(&url)
            .header("accept", "text/event-stream")
            .header("mcp-session-id", &session)
            .header("mcp-protocol-version", PROTOCOL)
            .timeout(Duration::from_secs(30));
        if let Some(id) = last_event {
            r = r.header("last-event-id", id);
        }
        r.send()
    };
    // The stream of a request this server never had (the request id 99).
    let lost = get(Some("0/99")).await.expect("resume");
    assert_eq!(lost.status(), 404, "a stream that is not here is refused");
    let text = lost.text().await.expect("text");
    assert!(text.contains("no stream to resume"), "{text}");
    // A GET without Last-Event-ID still opens the session's own stream.
    let stream = get(None).await.expect("stream");
    assert_eq!(stream.status(), 200);
    assert_eq!(
        stream
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok()),
        Some("text/event-stream")
    );
    drop(stream);
    running.stop().await;
}

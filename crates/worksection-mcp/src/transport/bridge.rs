//! The stdio bridge: speaks MCP over stdin/stdout to an assistant that
//! starts servers as commands (Claude Desktop), and forwards every message
//! to a server already running over streamable HTTP (the desktop app's).
//!
//! Why: one process, the app, owns the tokens, the rate limit and the
//! caches; an assistant that starts its own copy would sign in twice and
//! share Worksection's one request a second with a stranger. The bridge
//! keeps no state but the MCP session id. Each line on stdin is one
//! JSON-RPC message, POSTed to the server; the answer (plain JSON or an
//! SSE stream) goes to stdout one message a line.
//!
//! The server may come and go under a long-lived assistant: when it does
//! not answer, a request waits for it (up to [`PATIENCE`]) before it is
//! answered with a JSON-RPC error saying so, never with silence; when it
//! restarted and forgot the session (HTTP 404 for the session id), the
//! bridge opens a new session with the assistant's own `initialize` and
//! sends the request again, so the assistant never notices.
//!
//! Not on rmcp's streamable-HTTP client transport: its worker stops for
//! good when the first POST finds no server (the bridge must wait for the
//! app it starts, and outlive its restarts), and it decodes every message
//! into rmcp's types, where a forwarder must pass them on as they are. The
//! event streams are read by `sse-stream`, the SSE parser rmcp itself uses.

use std::sync::Arc;
use std::time::Duration;

use futures_util::{Stream, StreamExt, future};
use serde_json::{Value, json};
use sse_stream::SseStream;
use tokio::io::{AsyncBufReadExt, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::sync::{RwLock, mpsc};
use worksection::{ExposeSecret, SecretString};

/// Where to forward to.
#[derive(Debug, Clone)]
pub struct BridgeTarget {
    /// The server's MCP address, e.g. `http://127.0.0.1:8000/mcp`.
    pub url: String,
    /// The bearer token the server wants, if any.
    pub auth_token: Option<SecretString>,
}

/// How long a request waits for a server that does not answer (one being
/// started or restarted) before the assistant is told it is not running.
pub const PATIENCE: Duration = Duration::from_secs(20);

#[derive(Default)]
struct Session {
    id: Option<String>,
    protocol: Option<String>,
    /// The assistant's `initialize`, to open a new session with when the
    /// server restarted.
    initialize: Option<Value>,
}

/// Forwards stdin to the server and answers to stdout until stdin closes.
pub async fn run(target: BridgeTarget) -> std::io::Result<()> {
    run_with(
        target,
        BufReader::new(tokio::io::stdin()),
        tokio::io::stdout(),
    )
    .await
}

/// [`run`] over any reader and writer (tests use pipes).
pub async fn run_with<R, W>(target: BridgeTarget, input: R, output: W) -> std::io::Result<()>
where
    R: tokio::io::AsyncBufRead + Unpin,
    W: AsyncWrite + Unpin + Send + 'static,
{
    run_patiently(target, PATIENCE, input, output).await
}

async fn run_patiently<R, W>(
    target: BridgeTarget,
    patience: Duration,
    input: R,
    output: W,
) -> std::io::Result<()>
where
    R: tokio::io::AsyncBufRead + Unpin,
    W: AsyncWrite + Unpin + Send + 'static,
{
    let http = client_for(&target)?;
    let session = Arc::new(RwLock::new(Session::default()));
    let (tx, mut rx) = mpsc::channel::<String>(64);
    let writer = tokio::spawn(async move {
        let mut output = output;
        while let Some(line) = rx.recv().await {
            output.write_all(line.as_bytes()).await?;
            output.write_all(b"\n").await?;
            output.flush().await?;
        }
        Ok::<(), std::io::Error>(())
    });
    let mut lines = input.lines();
    let mut inflight = tokio::task::JoinSet::new();
    while let Some(line) = lines.next_line().await? {
        if line.trim().is_empty() {
            continue;
        }
        let message: Value = match serde_json::from_str(&line) {
            Ok(v) => v,
            Err(e) => {
                let _ = tx
                    .send(error_line(
                        &Value::Null,
                        -32700,
                        &format!("Parse error: {e}"),
                    ))
                    .await;
                continue;
            }
        };
        let is_initialize = message.get("method").and_then(Value::as_str) == Some("initialize");
        let job = forward(
            http.clone(),
            target.clone(),
            patience,
            session.clone(),
            message,
            tx.clone(),
        );
        if is_initialize {
            // Everything after `initialize` needs its session id.
            job.await;
        } else {
            inflight.spawn(job);
        }
        while inflight.try_join_next().is_some() {}
    }
    while inflight.join_next().await.is_some() {}
    end_session(&http, &target, &session).await;
    drop(tx);
    writer.await.map_err(std::io::Error::other)?
}

/// The HTTP client, sending the bearer token (when there is one) on
/// every request, so no request can go without it.
fn client_for(target: &BridgeTarget) -> std::io::Result<reqwest::Client> {
    let mut headers = reqwest::header::HeaderMap::new();
    if let Some(t) = &target.auth_token {
        let bearer = format!("Bearer {}", t.expose_secret());
        let mut value = reqwest::header::HeaderValue::from_str(&bearer).map_err(
            |_| {
                std::io::Error::new(
                    std::io::ErrorKind::InvalidInput,
                    "the bearer token holds characters an HTTP header cannot carry; use letters and digits only",
                )
            },
        )?;
        value.set_sensitive(true);
        headers.insert(reqwest::header::AUTHORIZATION, value);
    }
    reqwest::Client::builder()
        .default_headers(headers)
        .build()
        .map_err(std::io::Error::other)
}

/// Tells the server the session is over, so it frees it at once.
async fn end_session(http: &reqwest::Client, target: &BridgeTarget, session: &RwLock<Session>) {
    let Some(id) = session.read().await.id.clone() else {
        return;
    };
    let _ = http
        .delete(&target.url)
        .header("mcp-session-id", id)
        .send()
        .await;
}

async fn forward(
    http: reqwest::Client,
    target: BridgeTarget,
    patience: Duration,
    session: Arc<RwLock<Session>>,
    message: Value,
    out: mpsc::Sender<String>,
) {
    let is_initialize = message.get("method").and_then(Value::as_str) == Some("initialize");
    if is_initialize {
        session.write().await.initialize = Some(message.clone());
    }
    let id = message.get("id").cloned();
    let is_request = id.is_some() && message.get("method").is_some();
    let fail = |text: String| {
        let out = out.clone();
        let id = id.clone();
        async move {
            if is_request {
                let _ = out
                    .send(error_line(
                        id.as_ref().unwrap_or(&Value::Null),
                        -32603,
                        &text,
                    ))
                    .await;
            }
        }
    };
    let waited_until = tokio::time::Instant::now() + patience;
    let mut reopened = false;
    let resp = loop {
        let sent_session = session.read().await.id.clone();
        match send(&http, &target, &session, &message).await {
            Ok(r)
                if r.status() == reqwest::StatusCode::NOT_FOUND
                    && sent_session.is_some()
                    && !is_initialize
                    && !reopened =>
            {
                // The server restarted and forgot the session: open a new
                // one as the assistant did, and send this again.
                reopened = true;
                if let Err(e) = reopen(&http, &target, &session, sent_session).await {
                    fail(format!(
                        "The Worksection MCP server restarted and a new session could not be opened ({e}); restart the assistant's connection."
                    ))
                    .await;
                    return;
                }
            }
            Ok(r) => break r,
            Err(e) if e.is_connect() && tokio::time::Instant::now() < waited_until => {
                // Being started or restarted: wait for it.
                tokio::time::sleep(Duration::from_millis(250)).await;
            }
            Err(e) if e.is_connect() => {
                fail(format!(
                    "The Worksection MCP app is not running at {}; open it (or start `worksection-mcp serve`) and try again.",
                    target.url
                ))
                .await;
                return;
            }
            Err(e) => {
                fail(format!(
                    "The Worksection MCP server did not answer: {}.",
                    e.without_url()
                ))
                .await;
                return;
            }
        }
    };
    if let Some(sid) = resp
        .headers()
        .get("mcp-session-id")
        .and_then(|v| v.to_str().ok())
    {
        session.write().await.id = Some(sid.to_owned());
    }
    let status = resp.status();
    let is_sse = resp
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/event-stream"));
    if status == reqwest::StatusCode::ACCEPTED {
        return;
    }
    if !status.is_success() && !is_sse {
        let body = resp.text().await.unwrap_or_default();
        // The server's own JSON-RPC errors pass through unchanged.
        if serde_json::from_str::<Value>(&body).is_ok_and(|v| v.get("jsonrpc").is_some()) {
            let _ = out.send(body.trim().to_owned()).await;
        } else {
            let said: String = body.trim().chars().take(300).collect();
            fail(format!(
                "The Worksection MCP server refused the request (HTTP {}): {said}",
                status.as_u16()
            ))
            .await;
        }
        return;
    }
    if is_sse {
        let mut events = std::pin::pin!(event_data(resp.bytes_stream()));
        while let Some(data) = events.next().await {
            note_protocol(&session, &data).await;
            let answers_us = is_answer_to(&data, id.as_ref());
            let _ = out.send(data).await;
            if answers_us {
                return;
            }
        }
        // Cut off before the answer: say so rather than leave the
        // assistant waiting for it.
        fail("The Worksection MCP server's answer was cut off; try again.".to_owned()).await;
    } else {
        let body = match resp.text().await {
            Ok(body) => body,
            Err(e) => {
                fail(format!(
                    "The Worksection MCP server's answer could not be read: {}.",
                    e.without_url()
                ))
                .await;
                return;
            }
        };
        let body = body.trim();
        if !body.is_empty() {
            note_protocol(&session, body).await;
            // One line per message on stdout.
            let line = serde_json::from_str::<Value>(body)
                .map(|v| v.to_string())
                .unwrap_or_else(|_| body.to_owned());
            let _ = out.send(line).await;
        }
    }
}

/// POSTs one message with the session's headers.
async fn send(
    http: &reqwest::Client,
    target: &BridgeTarget,
    session: &RwLock<Session>,
    message: &Value,
) -> reqwest::Result<reqwest::Response> {
    let req = post(http, target, &*session.read().await, message);
    req.send().await
}

/// A POST of one message, carrying the session's id and protocol version
/// when it has them.
fn post(
    http: &reqwest::Client,
    target: &BridgeTarget,
    session: &Session,
    message: &Value,
) -> reqwest::RequestBuilder {
    let mut req = http
        .post(&target.url)
        .header(
            reqwest::header::ACCEPT,
            "application/json, text/event-stream",
        )
        .json(message);
    if let Some(sid) = &session.id {
        req = req.header("mcp-session-id", sid);
    }
    if let Some(p) = &session.protocol {
        req = req.header("mcp-protocol-version", p);
    }
    req
}

/// Opens a new session with the assistant's `initialize` (its answer is
/// not the assistant's to see) and `notifications/initialized`, unless
/// another request already did since `stale` failed.
async fn reopen(
    http: &reqwest::Client,
    target: &BridgeTarget,
    session: &RwLock<Session>,
    stale: Option<String>,
) -> Result<(), String> {
    let mut s = session.write().await;
    if s.id != stale {
        return Ok(());
    }
    let mut initialize = s
        .initialize
        .clone()
        .ok_or("the assistant never initialized")?;
    initialize["id"] = json!("bridge-reconnect");
    // A new session: no id, no protocol version yet.
    let resp = post(http, target, &Session::default(), &initialize)
        .send()
        .await
        .map_err(|e| e.without_url().to_string())?;
    if !resp.status().is_success() {
        return Err(format!("HTTP {}", resp.status().as_u16()));
    }
    let id = resp
        .headers()
        .get("mcp-session-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    // Read the answer through (an event stream ends after it).
    let _ = tokio::time::timeout(Duration::from_secs(10), resp.bytes()).await;
    s.id = id;
    let initialized = json!({"jsonrpc": "2.0", "method": "notifications/initialized"});
    let note = post(http, target, &s, &initialized);
    note.send().await.map_err(|e| e.without_url().to_string())?;
    Ok(())
}

/// Remembers the protocol version the server chose in `initialize`.
async fn note_protocol(session: &RwLock<Session>, data: &str) {
    let Ok(v) = serde_json::from_str::<Value>(data) else {
        return;
    };
    if let Some(p) = v.pointer("/result/protocolVersion").and_then(Value::as_str) {
        session.write().await.protocol = Some(p.to_owned());
    }
}

/// Whether `data` is the response to the request with `id`.
fn is_answer_to(data: &str, id: Option<&Value>) -> bool {
    let Some(id) = id else { return false };
    serde_json::from_str::<Value>(data).is_ok_and(|v| {
        v.get("id") == Some(id) && (v.get("result").is_some() || v.get("error").is_some())
    })
}

/// The `data` of each event of an SSE body that has any (its lines
/// joined), in order. `sse-stream` keeps a line's bytes until the line
/// ends, so a character split across chunks arrives whole. The stream ends
/// with the body, or at the first chunk that fails or does not parse: what
/// came before it is kept, and the caller says the answer was cut off.
fn event_data<S, E>(body: S) -> impl Stream<Item = String>
where
    S: Stream<Item = Result<bytes::Bytes, E>>,
    E: std::error::Error + Send + Sync + 'static,
{
    SseStream::from_bytes_stream(body)
        .take_while(|event| future::ready(event.is_ok()))
        .filter_map(|event| {
            let data = event.ok().and_then(|e| e.data);
            future::ready(data.filter(|d| !d.trim().is_empty()))
        })
}

fn error_line(id: &Value, code: i64, message: &str) -> String {
    json!({"jsonrpc": "2.0", "id": id, "error": {"code": code, "message": message}}).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The data `event_data` reads from `body` sent in chunks of `size`.
    async fn events_in_chunks(body: &str, size: usize) -> Vec<String> {
        let chunks: Vec<Result<bytes::Bytes, std::io::Error>> = body
            .as_bytes()
            .chunks(size)
            .map(|c| Ok(bytes::Bytes::copy_from_slice(c)))
            .collect();
        event_data(futures_util::stream::iter(chunks))
            .collect()
            .await
    }

    #[tokio::test]
    async fn sse_events_are_split_and_read() {
        let body = "id: 1\r\ndata: {\"a\":1}\r\n\r\ndata: {\"b\"\ndata: :2}\n\nid: 3\nretry: 10\n\ndata: partial";
        for size in [1, 2, 5, body.len()] {
            assert_eq!(
                events_in_chunks(body, size).await,
                ["{\"a\":1}", "{\"b\"\n:2}"],
                "chunks of {size}"
            );
        }
    }

    #[tokio::test]
    async fn a_character_split_across_chunks_is_kept_whole() {
        let body = "data: {\"a\":\"Привіт\"}\n\n";
        for size in [1, 3] {
            assert_eq!(
                events_in_chunks(body, size).await,
                ["{\"a\":\"Привіт\"}"],
                "chunks of {size}"
            );
        }
    }

    #[test]
    fn answers_are_matched_by_id() {
        let id = json!(7);
        assert!(is_answer_to(
            r#"{"jsonrpc":"2.0","id":7,"result":{}}"#,
            Some(&id)
        ));
        assert!(!is_answer_to(
            r#"{"jsonrpc":"2.0","id":8,"result":{}}"#,
            Some(&id)
        ));
        assert!(!is_answer_to(
            r#"{"jsonrpc":"2.0","method":"notifications/progress"}"#,
            Some(&id)
        ));
    }

    /// The bridge's output for `input` against `target`, one string.
    async fn bridged(target: BridgeTarget, input: &[u8]) -> String {
        let (client, mut server) = tokio::io::duplex(4096);
        run_patiently(target, Duration::from_secs(1), input, client)
            .await
            .expect("bridge");
        let mut out = String::new();
        tokio::io::AsyncReadExt::read_to_string(&mut server, &mut out)
            .await
            .expect("read");
        out
    }

    /// A bridge target for `app`, served on a free loopback port.
    async fn serving(app: axum::Router) -> BridgeTarget {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let port = listener.local_addr().expect("addr").port();
        tokio::spawn(async move { axum::serve(listener, app).await });
        BridgeTarget {
            url: format!("http://127.0.0.1:{port}/mcp"),
            auth_token: None,
        }
    }

    #[tokio::test]
    async fn a_stream_cut_off_before_the_answer_is_reported_to_the_assistant() {
        // A server whose event stream ends after a notification, before
        // the answer to request 1.
        let app = axum::Router::new().route(
            "/mcp",
            axum::routing::post(|| async {
                (
                    [(axum::http::header::CONTENT_TYPE, "text/event-stream")],
                    "data: {\"jsonrpc\":\"2.0\",\"method\":\"notifications/message\",\"params\":{\"data\":\"Привіт\"}}\n\n",
                )
            }),
        );
        let target = serving(app).await;
        let out = bridged(
            target,
            b"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/list\"}\n",
        )
        .await;
        let lines: Vec<Value> = out
            .lines()
            .map(|l| serde_json::from_str(l).expect("a JSON line"))
            .collect();
        assert_eq!(lines.len(), 2, "{out}");
        assert_eq!(lines[0]["params"]["data"], "Привіт");
        assert_eq!(lines[1]["id"], 1);
        assert!(
            lines[1]["error"]["message"]
                .as_str()
                .is_some_and(|m| m.contains("cut off"))
        );
    }

    #[tokio::test]
    async fn a_stopped_server_is_reported_to_the_assistant() {
        // A port nothing listens on: bind one, then free it.
        let port = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
            l.local_addr().expect("addr").port()
        };
        let target = BridgeTarget {
            url: format!("http://127.0.0.1:{port}/mcp"),
            auth_token: None,
        };
        let out = bridged(
            target,
            b"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/list\"}\n",
        )
        .await;
        let v: Value = serde_json::from_str(out.trim()).expect("one JSON line");
        assert_eq!(v["id"], 1);
        assert!(
            v["error"]["message"]
                .as_str()
                .is_some_and(|m| m.contains("not running"))
        );
    }

    #[tokio::test]
    async fn a_server_that_forgot_the_session_gets_a_new_one_and_the_request_again() {
        use std::sync::atomic::{AtomicUsize, Ordering};
        // A server that "restarted" right after the first initialize: it
        // knows only sessions opened after that one.
        let opened = Arc::new(AtomicUsize::new(0));
        let app = axum::Router::new().route(
            "/mcp",
            axum::routing::post(
                move |headers: axum::http::HeaderMap, axum::Json(body): axum::Json<Value>| {
                    let opened = opened.clone();
                    async move {
                        use axum::http::StatusCode;
                        use axum::response::IntoResponse;
                        let sid = headers
                            .get("mcp-session-id")
                            .and_then(|v| v.to_str().ok())
                            .map(str::to_owned);
                        if body["method"] == "initialize" {
                            let n = opened.fetch_add(1, Ordering::SeqCst) + 1;
                            let answer = json!({"jsonrpc": "2.0", "id": body["id"], "result": {"protocolVersion": "2025-06-18"}});
                            return ([("mcp-session-id", format!("s{n}"))], axum::Json(answer)).into_response();
                        }
                        let current = format!("s{}", opened.load(Ordering::SeqCst));
                        if opened.load(Ordering::SeqCst) < 2 || sid.as_deref() != Some(current.as_str()) {
                            return (StatusCode::NOT_FOUND, "Not Found: Session not found").into_response();
                        }
                        if body.get("id").is_none() {
                            return StatusCode::ACCEPTED.into_response();
                        }
                        axum::Json(json!({"jsonrpc": "2.0", "id": body["id"], "result": {"session": current}})).into_response()
                    }
                },
            ),
        );
        let target = serving(app).await;
        let out = bridged(
            target,
            b"{\"jsonrpc\":\"2.0\",\"id\":0,\"method\":\"initialize\",\"params\":{}}\n{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/list\"}\n",
        )
        .await;
        let lines: Vec<Value> = out
            .lines()
            .map(|l| serde_json::from_str(l).expect("a JSON line"))
            .collect();
        // The assistant sees its own two answers, not the bridge's initialize.
        assert_eq!(lines.len(), 2, "{out}");
        assert_eq!(lines[0]["id"], 0);
        assert_eq!(lines[1]["id"], 1);
        assert_eq!(lines[1]["result"]["session"], "s2", "{out}");
    }
}

//! The load generator behind the throughput figures: what `wrk` or `oha`
//! would do, speaking MCP's streamable HTTP.
//!
//! Each load session opens like any MCP client (`initialize`, then
//! `notifications/initialized`, then requests carrying the session id and
//! protocol version), keeps one keep-alive connection, and reads every
//! answer to its last byte. It checks each answer: HTTP 200, an SSE or JSON
//! body holding the JSON-RPC result for its own request id, and for
//! `tools/list` the expected number of tools, for a tool call a result that
//! is not a tool error. It does not build typed values from the answers, as
//! rmcp's client does: on this project's two cores the client shares the
//! machine with the server, and a client that decodes every tool's schema
//! into typed values takes several times the server's own CPU per
//! `tools/list`, so the figure would be the client's. Latency is still
//! measured with rmcp's client ([`crate::measure::latency`]).

use anyhow::{Context, Result, bail};
use serde::Deserialize;
use serde::de::IgnoredAny;
use serde_json::{Value, json};

/// The protocol version the load sessions ask for (the newest one that
/// still has `initialize`, as rmcp's client asks for).
const PROTOCOL_VERSION: &str = "2025-11-25";

/// What a load session sends, again and again.
#[derive(Debug, Clone)]
pub enum Request {
    /// `tools/list`, whose answer must list this many tools.
    ToolsList { tools: usize },
    /// `tools/call` of one tool with these arguments.
    Call { tool: String, args: Value },
}

/// One MCP session over one keep-alive connection.
pub struct Session {
    http: reqwest::Client,
    url: String,
    id: String,
    protocol: String,
    next_id: u64,
}

impl Session {
    /// Opens a session: `initialize`, then `notifications/initialized`.
    pub async fn open(url: &str) -> Result<Self> {
        let http = reqwest::Client::builder()
            .pool_max_idle_per_host(1)
            .build()
            .context("building the load client")?;
        let init = json!({
            "jsonrpc": "2.0", "id": 0, "method": "initialize",
            "params": {
                "protocolVersion": PROTOCOL_VERSION,
                "capabilities": {},
                "clientInfo": {"name": "worksection-bench-load", "version": env!("CARGO_PKG_VERSION")},
            },
        });
        let response = http
            .post(url)
            .header("accept", "application/json, text/event-stream")
            .json(&init)
            .send()
            .await
            .context("sending initialize")?;
        let id = response
            .headers()
            .get("mcp-session-id")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
            .context("initialize answered without an mcp-session-id header")?;
        let body = response.bytes().await.context("reading initialize")?;
        #[derive(Deserialize)]
        struct Init {
            #[serde(rename = "protocolVersion")]
            protocol_version: String,
        }
        let init: Init = result_for(&body, 0)?;
        let session = Self {
            http,
            url: url.to_owned(),
            id,
            protocol: init.protocol_version,
            next_id: 1,
        };
        let notified = session
            .post(&json!({"jsonrpc": "2.0", "method": "notifications/initialized"}))
            .await?;
        if !notified.status().is_success() {
            bail!("notifications/initialized answered {}", notified.status());
        }
        Ok(session)
    }

    /// Sends one request and checks its answer.
    pub async fn send(&mut self, request: &Request) -> Result<()> {
        let id = self.next_id;
        self.next_id += 1;
        let message = match request {
            Request::ToolsList { .. } => {
                json!({"jsonrpc": "2.0", "id": id, "method": "tools/list"})
            }
            Request::Call { tool, args } => json!({
                "jsonrpc": "2.0", "id": id, "method": "tools/call",
                "params": {"name": tool, "arguments": args},
            }),
        };
        let response = self.post(&message).await?;
        let status = response.status();
        let body = response.bytes().await.context("reading an answer")?;
        if !status.is_success() {
            bail!("the server answered HTTP {status}");
        }
        match request {
            Request::ToolsList { tools } => {
                #[derive(Deserialize)]
                struct List {
                    tools: Vec<IgnoredAny>,
                }
                let list: List = result_for(&body, id)?;
                if list.tools.len() != *tools {
                    bail!("tools/list listed {} tools, not {tools}", list.tools.len());
                }
            }
            Request::Call { tool, .. } => {
                #[derive(Deserialize)]
                struct Called {
                    #[serde(rename = "isError", default)]
                    is_error: bool,
                }
                let called: Called = result_for(&body, id)?;
                if called.is_error {
                    bail!("{tool} answered a tool error");
                }
            }
        }
        Ok(())
    }

    /// Ends the session, as a client does when it closes.
    pub async fn close(self) -> Result<()> {
        self.http
            .delete(&self.url)
            .header("mcp-session-id", &self.id)
            .header("mcp-protocol-version", &self.protocol)
            .send()
            .await
            .context("closing the session")?;
        Ok(())
    }

    async fn post(&self, message: &Value) -> Result<reqwest::Response> {
        self.http
            .post(&self.url)
            .header("accept", "application/json, text/event-stream")
            .header("mcp-session-id", &self.id)
            .header("mcp-protocol-version", &self.protocol)
            .json(message)
            .send()
            .await
            .context("sending a request")
    }
}

/// The `result` of the JSON-RPC response with this `id` in an answer's body:
/// a JSON body, or the `data:` lines of an SSE stream (which may also carry
/// priming events with no data and notifications).
fn result_for<T: serde::de::DeserializeOwned>(body: &[u8], id: u64) -> Result<T> {
    #[derive(Deserialize)]
    struct Response<T> {
        id: Option<u64>,
        result: Option<T>,
        error: Option<Value>,
    }
    let text = std::str::from_utf8(body).context("the answer is not UTF-8")?;
    let trimmed = text.trim_start();
    let messages: Vec<&str> = if trimmed.starts_with('{') {
        vec![trimmed]
    } else {
        // One event's data may span several `data:` lines; the server
        // writes each message on one line, so each line is one message.
        text.lines()
            .filter_map(|l| l.strip_prefix("data:"))
            .map(str::trim)
            .filter(|d| d.starts_with('{'))
            .collect()
    };
    for message in messages {
        // A message that is not a response (a notification) has no `id`.
        let parsed: Response<T> =
            serde_json::from_str(message).context("an answer is not valid JSON-RPC")?;
        if parsed.id != Some(id) {
            continue;
        }
        if let Some(error) = parsed.error {
            bail!("request {id} failed: {error}");
        }
        return parsed
            .result
            .with_context(|| format!("the response to request {id} has no result"));
    }
    bail!("the answer holds no response to request {id}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Deserialize, PartialEq)]
    struct Named {
        name: String,
    }

    #[test]
    fn reads_the_response_with_its_id_from_an_sse_stream() {
        let body = "data: \nid: 0\nretry: 3000\n\n\
                    data: {\"jsonrpc\":\"2.0\",\"method\":\"notifications/progress\",\"params\":{}}\n\n\
                    data: {\"jsonrpc\":\"2.0\",\"id\":7,\"result\":{\"name\":\"x\"}}\n\n";
        let named: Named = result_for(body.as_bytes(), 7).expect("the response");
        assert_eq!(named.name, "x");
        let other = result_for::<Named>(body.as_bytes(), 8).expect_err("no response 8");
        assert!(other.to_string().contains("no response to request 8"));
    }

    #[test]
    fn reads_a_json_body_and_reports_errors() {
        let ok = br#"{"jsonrpc":"2.0","id":1,"result":{"name":"y"}}"#;
        assert_eq!(result_for::<Named>(ok, 1).expect("ok").name, "y");
        let failed = br#"{"jsonrpc":"2.0","id":1,"error":{"code":-32601,"message":"no"}}"#;
        let e = result_for::<Named>(failed, 1).expect_err("an error");
        assert!(e.to_string().contains("-32601"));
        let broken = br#"{"jsonrpc":"2.0","id":1,"result":{"name":"#;
        assert!(result_for::<Named>(broken, 1).is_err());
    }
}

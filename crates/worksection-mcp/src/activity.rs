//! The activity feed: the last tool calls the server answered, for the
//! desktop app's dashboard (and anything else that wants to watch).
//!
//! [`Activity`] keeps a bounded ring of [`ToolCall`]s and broadcasts each
//! new one, so a dashboard can show the recent history at once and then
//! follow it live. [`crate::server::WorksectionServer`] reports every call
//! into it when one is attached.
//!
//! Upstream requests are attributed to the call that made them through a
//! task-local counter: the tool runs inside [`count_upstream`], and the
//! tracing layer from [`upstream_layer`] bumps the counter each time the
//! `worksection` client opens its per-request span. A tracing layer rather
//! than a hook in the client keeps the client free of any knowledge of the
//! server; requests made on other tasks (a single-flight fetch another
//! call started) count for the call that started them.

use std::cell::Cell;
use std::collections::VecDeque;
use std::future::Future;
use std::sync::Mutex;

use chrono::{DateTime, Utc};
use serde::Serialize;
use tokio::sync::broadcast;
use tracing::Subscriber;
use tracing_subscriber::Layer;
use tracing_subscriber::layer::Context;

/// How many calls the feed remembers.
pub const CAPACITY: usize = 200;

/// One answered tool call. It holds no argument values and no answer
/// text, only facts about the call, so nothing from the account leaks
/// into places that show the feed.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ToolCall {
    /// When the call started.
    pub at: DateTime<Utc>,
    pub tool: String,
    pub duration_ms: u64,
    /// Upstream (Worksection API) requests the call made; cache hits make
    /// none.
    pub upstream_requests: u32,
    /// Size of the answer as JSON, in bytes.
    pub response_bytes: u64,
    /// The error the assistant was told, when the call failed.
    pub error: Option<String>,
    /// The call's id arguments (`task_id=123, project_id=7`), for the
    /// team server's audit log; never other argument values.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub ids: String,
}

/// The ring of recent calls and the live feed.
#[derive(Debug)]
pub struct Activity {
    recent: Mutex<VecDeque<ToolCall>>,
    live: broadcast::Sender<ToolCall>,
}

impl Default for Activity {
    fn default() -> Self {
        Self::new()
    }
}

impl Activity {
    pub fn new() -> Self {
        let (live, _) = broadcast::channel(CAPACITY);
        Self {
            recent: Mutex::new(VecDeque::with_capacity(CAPACITY)),
            live,
        }
    }

    /// Adds a call, dropping the oldest past [`CAPACITY`], and tells every
    /// subscriber.
    pub fn record(&self, call: ToolCall) {
        {
            // A poisoned lock only means another thread panicked while
            // pushing; the ring itself is still a valid ring.
            let mut recent = self.recent.lock().unwrap_or_else(|p| p.into_inner());
            if recent.len() == CAPACITY {
                recent.pop_front();
            }
            recent.push_back(call.clone());
        }
        // No subscriber is fine: the ring still has it.
        let _ = self.live.send(call);
    }

    /// The remembered calls, oldest first.
    pub fn recent(&self) -> Vec<ToolCall> {
        self.recent
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .cloned()
            .collect()
    }

    /// Every call recorded from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<ToolCall> {
        self.live.subscribe()
    }
}

tokio::task_local! {
    static UPSTREAM: Cell<u32>;
}

/// Runs `fut` with a fresh upstream-request counter and returns its output
/// with the number of upstream requests made while it ran (on its task).
pub async fn count_upstream<F: Future>(fut: F) -> (F::Output, u32) {
    UPSTREAM
        .scope(Cell::new(0), async move {
            let out = fut.await;
            let n = UPSTREAM.try_with(Cell::get).unwrap_or(0);
            (out, n)
        })
        .await
}

/// Counts one upstream request for the call running on this task, if any.
pub fn note_upstream_request() {
    let _ = UPSTREAM.try_with(|n| n.set(n.get().saturating_add(1)));
}

/// A tracing layer that counts the `worksection` client's request spans
/// into [`count_upstream`]'s counter. It carries its own filter, so it
/// works whatever the log level: add it beside the log layer (with the log
/// layer's filter on the log layer only, not on the whole subscriber).
pub fn upstream_layer<S>() -> impl Layer<S>
where
    S: Subscriber + for<'a> tracing_subscriber::registry::LookupSpan<'a>,
{
    UpstreamCounter.with_filter(tracing_subscriber::filter::filter_fn(|meta| {
        is_request_span(meta.is_span(), meta.name(), meta.target())
    }))
}

/// The client opens one span named `worksection` per request (retries
/// included) in its `transport` module.
fn is_request_span(is_span: bool, name: &str, target: &str) -> bool {
    is_span && name == "worksection" && target.starts_with("worksection::")
}

struct UpstreamCounter;

impl<S: Subscriber> Layer<S> for UpstreamCounter {
    fn on_new_span(
        &self,
        _attrs: &tracing::span::Attributes<'_>,
        _id: &tracing::span::Id,
        _ctx: Context<'_, S>,
    ) {
        // Spans are created on the task that makes the request, so the
        // task-local counter is that call's.
        note_upstream_request();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(tool: &str) -> ToolCall {
        ToolCall {
            at: Utc::now(),
            tool: tool.to_owned(),
            duration_ms: 1,
            upstream_requests: 0,
            response_bytes: 2,
            error: None,
            ids: String::new(),
        }
    }

    #[test]
    fn the_ring_keeps_the_last_200() {
        let a = Activity::new();
        for i in 0..(CAPACITY + 5) {
            a.record(call(&format!("t{i}")));
        }
        let recent = a.recent();
        assert_eq!(recent.len(), CAPACITY);
        assert_eq!(recent[0].tool, "t5");
        assert_eq!(recent[CAPACITY - 1].tool, format!("t{}", CAPACITY + 4));
    }

    #[tokio::test]
    async fn subscribers_see_new_calls() {
        let a = Activity::new();
        let mut rx = a.subscribe();
        a.record(call("list_projects"));
        let got = rx.recv().await.expect("a call");
        assert_eq!(got.tool, "list_projects");
    }

    #[tokio::test]
    async fn upstream_requests_count_per_task() {
        let ((), n) = count_upstream(async {
            note_upstream_request();
            note_upstream_request();
        })
        .await;
        assert_eq!(n, 2);
        // Outside a counted call nothing happens (and nothing panics).
        note_upstream_request();
        let ((), n) = count_upstream(async {}).await;
        assert_eq!(n, 0);
    }

    #[test]
    fn only_the_clients_request_span_counts() {
        assert!(is_request_span(
            true,
            "worksection",
            "worksection::transport"
        ));
        assert!(!is_request_span(
            false,
            "worksection",
            "worksection::transport"
        ));
        assert!(!is_request_span(true, "other", "worksection::transport"));
        assert!(!is_request_span(
            true,
            "worksection",
            "worksection_mcp::server"
        ));
    }
}

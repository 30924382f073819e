//! The measurements, one function each: upstream requests per tool cold and
//! warm, coalescing of concurrent identical calls, the scripted session,
//! cached-call latency, throughput with concurrent clients, memory and
//! server time on the 10,000-task call, and start-up.
//!
//! Every upstream count comes from the simulator's `/__sim/stats`, reset
//! before the calls it counts. Between one server's last upstream request
//! and the next one's first, the benchmark leaves the account's pacing gap
//! ([`Upstream::gap`]), so that every throttled request the simulator
//! reports is the server's doing.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use rmcp::model::CallToolResult;
use serde::Serialize;
use serde_json::{Value, json};
use tokio::task::JoinSet;

use crate::catalogue::{Call, answer};
use crate::harness::{Client, Server, Upstream};
use crate::load;

/// When the last upstream request may have been made, so the next server's
/// first request keeps the account's pace.
pub struct Pacer {
    last: Instant,
}

impl Pacer {
    pub fn new() -> Self {
        Self {
            last: Instant::now(),
        }
    }

    /// Waits until `gap` has passed since the last upstream activity.
    pub async fn wait(&self, gap: Duration) {
        let since = self.last.elapsed();
        if since < gap {
            tokio::time::sleep(gap - since).await;
        }
    }

    pub fn mark(&mut self) {
        self.last = Instant::now();
    }
}

/// Calls a tool, timing it; `Err` for a transport failure, `Ok(Err)` for a
/// tool error.
async fn timed(client: &Client, call: &Call) -> Result<(Duration, Result<Value>)> {
    let started = Instant::now();
    let result = client
        .call_tool(call.params())
        .await
        .with_context(|| format!("calling {}", call.tool))?;
    let took = started.elapsed();
    Ok((took, answer(call.tool, result)))
}

fn ms(d: Duration) -> f64 {
    (d.as_secs_f64() * 1e6).round() / 1e3
}

/// Upstream requests of one tool, on a server with empty caches.
#[derive(Debug, Clone, Serialize)]
pub struct ToolRow {
    pub tool: &'static str,
    pub args: Value,
    /// The tool's declared upstream cost (TOOLS.md's "upstream cost").
    pub upstream: String,
    pub ceiling: u64,
    /// Whether the tool declares that a repeated call makes no request.
    pub cached: bool,
    /// Upstream requests of the first call.
    pub cold: u64,
    /// Upstream requests of the same call right after (within the TTL).
    pub warm: u64,
    pub cold_by_action: BTreeMap<String, u64>,
    pub cold_ms: f64,
    pub warm_ms: f64,
    pub throttled: u64,
    /// A tool error, if the call failed (it should not).
    pub error: Option<String>,
}

impl ToolRow {
    pub fn within_ceiling(&self) -> bool {
        self.cold <= self.ceiling
    }

    pub fn warm_ok(&self) -> bool {
        self.warm == 0 || !self.cached
    }
}

/// One server start: to its "serving" line, and to a finished MCP
/// `initialize` handshake of a client; its memory idle after that.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Start {
    pub to_ready_ms: f64,
    pub to_initialized_ms: f64,
    pub idle_rss_kb: u64,
}

async fn start(up: &Upstream, bin: &Path) -> Result<(Server, Client, Start)> {
    settle(up.server(bin).await?).await
}

/// A started server's first session, and its start figures: to ready, to a
/// finished `initialize`, and idle memory.
async fn settle(server: Server) -> Result<(Server, Client, Start)> {
    let ready = server.start_to_ready;
    let connecting = Instant::now();
    let client = server.connect().await?;
    let initialized = ready + connecting.elapsed();
    // Let the runtime settle (session task, first allocations) before the
    // idle reading.
    tokio::time::sleep(Duration::from_millis(50)).await;
    let memory = server.memory()?;
    Ok((
        server,
        client,
        Start {
            to_ready_ms: ms(ready),
            to_initialized_ms: ms(initialized),
            idle_rss_kb: memory.rss_kb,
        },
    ))
}

async fn close(server: Server, client: Client) -> Result<()> {
    // Ending the session is the client's business; the measurement is done
    // either way.
    let _ = client.cancel().await;
    server.stop().await
}

/// Every call on its own fresh server (empty caches): upstream requests
/// cold, then warm.
pub async fn per_tool(
    up: &Upstream,
    bin: &Path,
    calls: &[Call],
    pacer: &mut Pacer,
    starts: &mut Vec<Start>,
) -> Result<Vec<ToolRow>> {
    let mut rows = Vec::new();
    for call in calls {
        let (server, client, s) = start(up, bin).await?;
        starts.push(s);
        pacer.wait(up.gap()).await;
        up.reset_stats().await?;
        let (cold_took, cold_answer) = timed(&client, call).await?;
        let cold_stats = up.stats().await?;
        let (warm_took, warm_answer) = timed(&client, call).await?;
        let warm_stats = up.stats().await?;
        if cold_stats.total > 0 || warm_stats.total > 0 {
            pacer.mark();
        }
        let error = cold_answer
            .err()
            .or_else(|| warm_answer.err())
            .map(|e| format!("{e:#}"));
        rows.push(ToolRow {
            tool: call.tool,
            args: call.args.clone(),
            upstream: call.upstream.clone(),
            ceiling: call.ceiling,
            cached: call.cached,
            cold: cold_stats.total,
            warm: warm_stats.total - cold_stats.total,
            cold_by_action: cold_stats.by_action,
            cold_ms: ms(cold_took),
            warm_ms: ms(warm_took),
            throttled: warm_stats.throttled,
            error,
        });
        close(server, client).await?;
    }
    Ok(rows)
}

#[derive(Debug, Clone, Serialize)]
pub struct Coalescing {
    pub tool: &'static str,
    pub clients: usize,
    pub upstream: u64,
    pub throttled: u64,
}

/// `clients` sessions make the same call at the same moment on a fresh
/// server: the response cache's single flight must make one request.
pub async fn coalescing(
    up: &Upstream,
    bin: &Path,
    call: &Call,
    clients: usize,
    pacer: &mut Pacer,
) -> Result<Coalescing> {
    let server = up.server(bin).await?;
    let mut sessions = Vec::new();
    for _ in 0..clients {
        sessions.push(server.connect().await?);
    }
    pacer.wait(up.gap()).await;
    up.reset_stats().await?;
    let barrier = std::sync::Arc::new(tokio::sync::Barrier::new(clients));
    let mut set = JoinSet::new();
    for client in sessions {
        let (call, barrier) = (call.clone(), barrier.clone());
        set.spawn(async move {
            barrier.wait().await;
            let outcome = timed(&client, &call).await;
            let _ = client.cancel().await;
            outcome
        });
    }
    while let Some(joined) = set.join_next().await {
        let (_, answer) = joined.context("a client task failed")??;
        answer?;
    }
    let stats = up.stats().await?;
    pacer.mark();
    server.stop().await?;
    Ok(Coalescing {
        tool: call.tool,
        clients,
        upstream: stats.total,
        throttled: stats.throttled,
    })
}

#[derive(Debug, Clone, Serialize)]
pub struct SessionStep {
    pub tool: &'static str,
    pub args: Value,
    pub naive: u64,
    pub upstream: u64,
    pub ms: f64,
    /// Text the model reads of the answer, every page of it.
    pub text_bytes: usize,
    /// Pages read (more than one when the answer was paged).
    pub pages: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct Session {
    pub calls: usize,
    pub upstream: u64,
    /// One fresh upstream request per action each call needs.
    pub naive: u64,
    pub throttled: u64,
    pub wall_s: f64,
    /// Text the model reads of all the answers, every page.
    pub text_bytes: usize,
    /// What the model reads of `tools/list`: each tool's name, title,
    /// description, input schema and annotations, as compact JSON.
    pub tools_list_model_bytes: usize,
    /// The whole `tools/list` result as JSON.
    pub tools_list_bytes: usize,
    pub steps: Vec<SessionStep>,
}

/// Bytes of the text blocks of a result.
fn text_bytes(result: &CallToolResult) -> usize {
    result
        .content
        .iter()
        .filter_map(|c| c.as_text().map(|t| t.text.len()))
        .sum()
}

/// What the model reads of a tool list (as the server's own test counts it).
fn model_visible(tools: &[rmcp::model::Tool]) -> usize {
    tools
        .iter()
        .map(|t| {
            json!({
                "name": t.name,
                "title": t.title,
                "description": t.description,
                "inputSchema": t.input_schema,
                "annotations": t.annotations,
            })
            .to_string()
            .len()
        })
        .sum()
}

/// The scripted session, one call after another as an assistant makes
/// them, on a fresh server.
pub async fn session(
    up: &Upstream,
    bin: &Path,
    calls: &[Call],
    pacer: &mut Pacer,
) -> Result<Session> {
    let (server, client, _) = start(up, bin).await?;
    let tools = client.list_all_tools().await.context("tools/list")?;
    let tools_list_model_bytes = model_visible(&tools);
    let tools_list_bytes = serde_json::to_string(&tools)?.len();
    pacer.wait(up.gap()).await;
    up.reset_stats().await?;
    let started = Instant::now();
    let mut steps = Vec::new();
    let mut before = 0;
    for call in calls {
        let began = Instant::now();
        let mut result = client
            .call_tool(call.params())
            .await
            .with_context(|| format!("calling {}", call.tool))?;
        // The assistant reads every page to have every fact.
        let mut text = 0;
        let mut pages = 0;
        loop {
            text += text_bytes(&result);
            pages += 1;
            let body = answer(call.tool, result)
                .with_context(|| format!("session step {}", steps.len() + 1))?;
            let Some(cursor) = body.get("next_cursor").cloned() else {
                break;
            };
            let mut args = call.args.clone();
            if let Some(o) = args.as_object_mut() {
                o.insert("cursor".into(), cursor);
            }
            let next = Call::new(call.tool, args);
            result = client
                .call_tool(next.params())
                .await
                .with_context(|| format!("calling {} for its next page", call.tool))?;
        }
        let took = began.elapsed();
        let total = up.stats().await?.total;
        steps.push(SessionStep {
            tool: call.tool,
            args: call.args.clone(),
            naive: call.ceiling,
            upstream: total - before,
            ms: ms(took),
            text_bytes: text,
            pages,
        });
        before = total;
    }
    let wall = started.elapsed();
    let stats = up.stats().await?;
    pacer.mark();
    close(server, client).await?;
    Ok(Session {
        calls: calls.len(),
        upstream: stats.total,
        naive: calls.iter().map(|c| c.ceiling).sum(),
        throttled: stats.throttled,
        wall_s: (wall.as_secs_f64() * 100.0).round() / 100.0,
        text_bytes: steps.iter().map(|s| s.text_bytes).sum(),
        tools_list_model_bytes,
        tools_list_bytes,
        steps,
    })
}

#[derive(Debug, Clone, Serialize)]
pub struct Latency {
    pub tool: &'static str,
    pub samples: usize,
    pub p50_ms: f64,
    pub p90_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    ms(sorted[i.min(sorted.len() - 1)])
}

/// Latency of a cached call over HTTP, one client, one call at a time.
pub async fn latency(client: &Client, call: &Call, samples: usize) -> Result<Latency> {
    // The first call fills the cache; a few more warm both sides up.
    for _ in 0..20 {
        timed(client, call).await?.1?;
    }
    let mut took = Vec::with_capacity(samples);
    for _ in 0..samples {
        let (d, answer) = timed(client, call).await?;
        answer?;
        took.push(d);
    }
    took.sort();
    Ok(Latency {
        tool: call.tool,
        samples,
        p50_ms: percentile(&took, 0.50),
        p90_ms: percentile(&took, 0.90),
        p99_ms: percentile(&took, 0.99),
        max_ms: percentile(&took, 1.0),
    })
}

#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Load {
    ToolsList,
    CachedCall,
}

#[derive(Debug, Clone, Serialize)]
pub struct Throughput {
    pub load: Load,
    pub clients: usize,
    pub requests: u64,
    pub seconds: f64,
    pub per_second: f64,
    /// CPU time the server spent per request: the client runs on the same
    /// cores, so this tells the server's share of the cost.
    pub server_cpu_us_per_request: f64,
    /// Requests per second the server alone could answer at that CPU cost
    /// on all the machine's cores: what a client elsewhere would see at best.
    pub server_capacity_per_second: f64,
}

/// Requests per second with `clients` load sessions ([`crate::load`]), each
/// sending its next request as soon as the previous one is answered, for
/// `duration`.
pub async fn throughput(
    server: &Server,
    request: &load::Request,
    clients: usize,
    duration: Duration,
) -> Result<Throughput> {
    let load = match request {
        load::Request::ToolsList { .. } => Load::ToolsList,
        load::Request::Call { .. } => Load::CachedCall,
    };
    let mut sessions = Vec::new();
    for _ in 0..clients {
        sessions.push(load::Session::open(&server.url).await?);
    }
    let barrier = std::sync::Arc::new(tokio::sync::Barrier::new(clients));
    let mut set = JoinSet::new();
    let cpu_before = server.cpu_ns()?;
    for mut session in sessions {
        let (request, barrier) = (request.clone(), barrier.clone());
        set.spawn(async move {
            barrier.wait().await;
            let started = Instant::now();
            let mut n = 0u64;
            while started.elapsed() < duration {
                session.send(&request).await?;
                n += 1;
            }
            let elapsed = started.elapsed();
            session.close().await?;
            Ok::<_, anyhow::Error>((n, elapsed))
        });
    }
    let (mut requests, mut longest) = (0u64, Duration::ZERO);
    while let Some(joined) = set.join_next().await {
        let (n, elapsed) = joined.context("a client task failed")??;
        requests += n;
        longest = longest.max(elapsed);
    }
    // Includes closing the sessions: a few requests' worth, spread thin.
    let cpu = server.cpu_ns()?.saturating_sub(cpu_before) as f64;
    let seconds = longest.as_secs_f64();
    let per_request_ns = cpu / requests.max(1) as f64;
    let cores = std::thread::available_parallelism().map_or(1, usize::from) as f64;
    Ok(Throughput {
        load,
        clients,
        requests,
        seconds: (seconds * 100.0).round() / 100.0,
        per_second: (requests as f64 / seconds).round(),
        server_cpu_us_per_request: (per_request_ns / 10.0).round() / 100.0,
        server_capacity_per_second: (cores * 1e9 / per_request_ns.max(1.0)).round(),
    })
}

#[derive(Debug, Clone, Serialize)]
pub struct HotPath {
    pub latency: Latency,
    pub throughput: Vec<Throughput>,
    /// Upstream requests during the measurements (0: everything cached).
    pub upstream: u64,
}

/// Latency and throughput on one fresh server: the cached call is fetched
/// once, then everything is served from the cache, well within its TTL.
pub async fn hot_path(
    up: &Upstream,
    bin: &Path,
    call: &Call,
    samples: usize,
    levels: &[usize],
    duration: Duration,
    pacer: &mut Pacer,
) -> Result<HotPath> {
    let (server, client, _) = start(up, bin).await?;
    pacer.wait(up.gap()).await;
    timed(&client, call).await?.1?;
    pacer.mark();
    up.reset_stats().await?;
    let latency = latency(&client, call, samples).await?;
    let tools = client
        .list_all_tools()
        .await
        .context("tools/list with rmcp's client")?
        .len();
    let mut throughput = Vec::new();
    let requests = [
        load::Request::ToolsList { tools },
        load::Request::Call {
            tool: call.tool.to_owned(),
            args: call.args.clone(),
        },
    ];
    for request in &requests {
        for &clients in levels {
            throughput.push(crate::measure::throughput(&server, request, clients, duration).await?);
        }
    }
    let upstream = up.stats().await?.total;
    close(server, client).await?;
    Ok(HotPath {
        latency,
        throughput,
        upstream,
    })
}

#[derive(Debug, Clone, Serialize)]
pub struct LargeRun {
    pub idle_rss_kb: u64,
    pub peak_rss_kb: u64,
    /// The whole cold `get_all_tasks` call as the client saw it.
    pub call_ms: f64,
    /// The same upstream request made directly, to its last byte.
    pub upstream_ms: f64,
    pub upstream_bytes: usize,
    /// Tasks and subtasks in the upstream answer.
    pub upstream_tasks: usize,
    /// `call_ms - upstream_ms`: decoding, filtering, size-capping,
    /// serializing and the MCP transport.
    pub server_ms: f64,
    /// CPU time of the server's threads during the call.
    pub server_cpu_ms: f64,
    /// The same call again, from the cache.
    pub warm_ms: f64,
    pub total_count: u64,
    pub returned_count: u64,
    pub truncation_reason: String,
    pub answer_bytes: usize,
    /// The text of the first page of `get_costs` with no filter (every cost
    /// line of the account), the other large list.
    pub costs_first_page_bytes: usize,
    pub upstream_requests: u64,
    pub throttled: u64,
}

/// `get_all_tasks` on the `large` dataset (10,000 tasks), end to end, on a
/// fresh server per run.
pub async fn large(up: &Upstream, bin: &Path, pacer: &mut Pacer) -> Result<LargeRun> {
    // Subtasks and archived projects' tasks included: all 10,000 tasks
    // come up in one answer, the heaviest single call there is.
    let call = Call::new("get_all_tasks", json!({"extra": "subtasks,archive"}));
    let (server, client, s) = start(up, bin).await?;
    pacer.wait(up.gap()).await;
    let (upstream, raw) = up
        .fetch_raw("get_all_tasks", &[("extra", "subtasks,archive")])
        .await?;
    let upstream_tasks = count_tasks(&serde_json::from_slice::<Value>(&raw)?);
    pacer.mark();
    pacer.wait(up.gap()).await;
    up.reset_stats().await?;
    let cpu_before = server.cpu_ns()?;
    let started = Instant::now();
    let result = client
        .call_tool(call.params())
        .await
        .context("calling get_all_tasks")?;
    let took = started.elapsed();
    let cpu = server.cpu_ns()?.saturating_sub(cpu_before);
    let memory = server.memory()?;
    let stats = up.stats().await?;
    pacer.mark();
    let answer_bytes: usize = result
        .content
        .iter()
        .filter_map(|c| c.as_text().map(|t| t.text.len()))
        .sum();
    let body = answer(call.tool, result)
        .with_context(|| format!("the server said:\n{}", server.log_tail()))?;
    let count = |k: &str| body.get(k).and_then(Value::as_u64).unwrap_or_default();
    let (warm, _) = timed(&client, &call).await?;
    pacer.wait(up.gap()).await;
    let costs = client
        .call_tool(Call::new("get_costs", json!({})).params())
        .await
        .context("calling get_costs")?;
    pacer.mark();
    let costs_first_page_bytes = text_bytes(&costs);
    answer("get_costs", costs)?;
    let run = LargeRun {
        idle_rss_kb: s.idle_rss_kb,
        peak_rss_kb: memory.hwm_kb,
        call_ms: ms(took),
        upstream_ms: ms(upstream),
        upstream_bytes: raw.len(),
        upstream_tasks,
        server_ms: ms(took.saturating_sub(upstream)),
        server_cpu_ms: (cpu as f64 / 1e4).round() / 100.0,
        warm_ms: ms(warm),
        total_count: count("total_count"),
        returned_count: count("returned_count"),
        truncation_reason: body
            .get("truncation_reason")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned(),
        answer_bytes,
        costs_first_page_bytes,
        upstream_requests: stats.total,
        throttled: stats.throttled,
    };
    close(server, client).await?;
    if run.upstream_tasks < 10_000 {
        bail!(
            "get_all_tasks brought {} tasks on the large dataset, not 10,000",
            run.upstream_tasks
        );
    }
    Ok(run)
}

/// Tasks and their subtasks at any depth in a client-API answer.
fn count_tasks(answer: &Value) -> usize {
    fn count(tasks: &[Value]) -> usize {
        tasks
            .iter()
            .map(|t| {
                1 + t
                    .get("child")
                    .and_then(Value::as_array)
                    .map_or(0, |c| count(c))
            })
            .sum()
    }
    answer
        .get("data")
        .and_then(Value::as_array)
        .map_or(0, |d| count(d))
}

/// Start-ups of `worksection-mcp serve --demo` (the embedded demo account:
/// its dataset is generated and signed in to before the server is ready).
pub async fn demo_starts(bin: &Path, runs: usize) -> Result<Vec<Start>> {
    let env: Vec<(String, String)> = std::env::vars()
        .filter(|(k, _)| !k.starts_with("WORKSECTION_") && !k.starts_with("MCP_"))
        .chain([
            ("MCP_SERVER_PORT".to_owned(), "0".to_owned()),
            ("LOG_LEVEL".to_owned(), "warn".to_owned()),
        ])
        .collect();
    let mut starts = Vec::new();
    for _ in 0..runs {
        let server = Server::start(bin, env.clone(), &["serve", "--demo"]).await?;
        let (server, client, start) = settle(server).await?;
        starts.push(start);
        close(server, client).await?;
    }
    Ok(starts)
}

/// Start-ups of the desktop app (`--desktop-bin`) on the demo account, to
/// serving: spawn to the first `/healthz` answer on its port. Each run gets
/// a fresh home whose settings say "demo" on a free port, so the first-run
/// screen is skipped and nothing of the person running it is touched. It
/// needs a display (`DISPLAY` or `WAYLAND_DISPLAY`; Xvfb will do).
pub async fn desktop_starts(bin: &Path, runs: usize) -> Result<Vec<f64>> {
    if !bin.is_file() {
        bail!(
            "{} does not exist; build it first (cargo build --release -p worksection-desktop)",
            bin.display()
        );
    }
    let http = reqwest::Client::new();
    let mut starts = Vec::new();
    for _ in 0..runs {
        let home = tempfile::tempdir().context("making a home folder for the desktop app")?;
        let config = home.path().join(".config");
        let dir = config.join("com.worksection.mcp");
        std::fs::create_dir_all(&dir).context("making the app's settings folder")?;
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .context("finding a free port")?
            .port();
        std::fs::write(
            dir.join("settings.json"),
            json!({"mode": "demo", "port": port}).to_string(),
        )
        .context("writing the app's settings")?;
        let env: Vec<(String, String)> = std::env::vars()
            .filter(|(k, _)| {
                !["WORKSECTION_", "MCP_", "TOKEN_", "FILE_CACHE_", "XDG_"]
                    .iter()
                    .any(|p| k.starts_with(p))
            })
            .collect();
        let started = Instant::now();
        let mut child = tokio::process::Command::new(bin)
            .env_clear()
            .envs(env)
            .env("HOME", home.path())
            .env("XDG_CONFIG_HOME", &config)
            .env("XDG_DATA_HOME", home.path().join(".local/share"))
            .env("XDG_CACHE_HOME", home.path().join(".cache"))
            .env("TOKEN_STORE", "file")
            .env(
                "TOKEN_ENCRYPTION_KEY",
                "bench-key-guarding-nothing-0123456789",
            )
            .env("LOG_LEVEL", "warn")
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .with_context(|| format!("starting {}", bin.display()))?;
        let url = format!("http://127.0.0.1:{port}/healthz");
        let serving = loop {
            if let Ok(resp) = http.get(&url).send().await
                && resp.status().is_success()
            {
                break started.elapsed();
            }
            if let Ok(Some(status)) = child.try_wait() {
                bail!("the desktop app exited ({status}) before serving; is there a display?");
            }
            if started.elapsed() > Duration::from_secs(60) {
                bail!("the desktop app was not serving after 60 s");
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        };
        starts.push(ms(serving));
        child.kill().await.context("stopping the desktop app")?;
    }
    Ok(starts)
}

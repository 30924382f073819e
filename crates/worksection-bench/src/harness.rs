//! What a benchmark runs against: the simulator (in this process, with its
//! own rate limit), a sign-in to it, the real `worksection-mcp` binary as a
//! child process, and rmcp's MCP client connected to that process.
//!
//! The server is a separate process so that its memory, CPU time and start-up
//! are its own (read from `/proc/<pid>`), and so that what is measured is the
//! binary people run, not a library call. The simulator lives in this process
//! because only its request counters matter, and those are read over HTTP
//! from `/__sim/stats` like any client would.

use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow, bail};
use rmcp::service::RunningService;
use rmcp::transport::StreamableHttpClientTransport;
use rmcp::{ClientCacheConfig, RoleClient, ServiceExt};
use tempfile::TempDir;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};
use worksection::{ExposeSecret, SecretString};
use worksection_auth::{FileStore, OAuthSettings, SignIn, TokenStore};
use worksection_sim::{DatasetKind, SimConfig, SimInfo, Simulator, StatsSnapshot};

/// An MCP session of rmcp's client.
pub type Client = RunningService<RoleClient, ()>;

/// How long a server may take to say where it listens before the benchmark
/// gives up (a debug build on a busy machine is slow, never this slow).
const READY_TIMEOUT: Duration = Duration::from_secs(60);

/// Settings the server reads from the environment; the benchmark sets its
/// own and drops whatever the calling shell had, so a developer's `.env` or
/// exported variables cannot change what is measured.
const SERVER_ENV_PREFIXES: &[&str] = &[
    "WORKSECTION_",
    "MCP_",
    "FILE_CACHE_",
    "MAX_FILE_",
    "RESPONSE_CACHE_",
    "LOG_LEVEL",
    "TOKEN_",
    "OAUTH_",
];

/// The simulated Worksection account, signed in to once with OAuth2 the way
/// `worksection-mcp login` does it, with the tokens in an encrypted token
/// file that every server started here reads.
pub struct Upstream {
    sim: Simulator,
    pub info: SimInfo,
    http: reqwest::Client,
    tokens: TempDir,
    access_token: SecretString,
    /// Requests per second of both the simulator and the server's client.
    pub rps: f64,
}

impl Upstream {
    pub async fn start(dataset: DatasetKind, rps: f64) -> Result<Self> {
        let sim = Simulator::start(SimConfig {
            dataset,
            rps,
            ..SimConfig::default()
        })
        .await
        .context("starting the simulator")?;
        let info = sim.info().clone();
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .context("building an HTTP client")?;
        let tokens = tempfile::tempdir().context("making a folder for the token file")?;
        let access_token = sign_in(&info, &tokens.path().join("tokens.enc")).await?;
        Ok(Self {
            sim,
            info,
            http,
            tokens,
            access_token,
            rps,
        })
    }

    /// The simulator's request counters, from `/__sim/stats`.
    pub async fn stats(&self) -> Result<StatsSnapshot> {
        let resp = self
            .http
            .get(&self.info.stats_url)
            .send()
            .await
            .context("reading /__sim/stats")?;
        resp.json::<StatsSnapshot>()
            .await
            .context("decoding /__sim/stats")
    }

    pub async fn reset_stats(&self) -> Result<()> {
        self.http
            .post(format!("{}/__sim/stats/reset", self.info.account_url))
            .send()
            .await
            .context("resetting /__sim/stats")?
            .error_for_status()
            .context("resetting /__sim/stats")?;
        Ok(())
    }

    /// One client-API request straight to the simulator, as the server would
    /// send it, timed to the last byte of the answer: the upstream part of a
    /// tool call. Returns the time and the body.
    pub async fn fetch_raw(
        &self,
        action: &str,
        params: &[(&str, &str)],
    ) -> Result<(Duration, bytes::Bytes)> {
        let started = Instant::now();
        let body = self
            .http
            .post(format!("{}/api/oauth2", self.info.account_url))
            .query(&[("action", action)])
            .query(params)
            .bearer_auth(self.access_token.expose_secret())
            .send()
            .await
            .with_context(|| format!("asking the simulator for {action}"))?
            .error_for_status()
            .with_context(|| format!("asking the simulator for {action}"))?
            .bytes()
            .await
            .with_context(|| format!("reading the simulator's {action}"))?;
        Ok((started.elapsed(), body))
    }

    /// The environment of a server that serves this account with the saved
    /// sign-in (OAuth2, like the desktop app), paced at `rps`.
    fn server_env(&self) -> Vec<(String, String)> {
        let mut env: Vec<(String, String)> = std::env::vars()
            .filter(|(k, _)| !SERVER_ENV_PREFIXES.iter().any(|p| k.starts_with(p)))
            .collect();
        let token_file = self.tokens.path().join("tokens.enc");
        env.extend(
            [
                ("WORKSECTION_CLIENT_ID", self.info.client_id.clone()),
                ("WORKSECTION_CLIENT_SECRET", self.info.client_secret.clone()),
                ("WORKSECTION_OAUTH_URL", self.info.oauth_url.clone()),
                ("WORKSECTION_REDIRECT_URI", self.info.redirect_uri.clone()),
                ("WORKSECTION_REQUESTS_PER_SECOND", self.rps.to_string()),
                ("TOKEN_STORE", "file".to_owned()),
                ("TOKEN_STORAGE_PATH", token_file.display().to_string()),
                ("MCP_SERVER_HOST", "127.0.0.1".to_owned()),
                ("MCP_SERVER_PORT", "0".to_owned()),
                ("LOG_LEVEL", "warn".to_owned()),
            ]
            .map(|(k, v)| (k.to_owned(), v)),
        );
        env
    }

    /// Starts a server for this account with empty caches.
    pub async fn server(&self, bin: &Path) -> Result<Server> {
        Server::start(bin, self.server_env(), &["serve"]).await
    }

    /// How long to leave between the last upstream request of one server and
    /// the first of the next: each server paces itself, but two servers in a
    /// row must not add up to more than the account allows.
    pub fn gap(&self) -> Duration {
        Duration::from_secs_f64(1.0 / self.rps) + Duration::from_millis(50)
    }

    pub async fn shutdown(self) {
        self.sim.shutdown().await;
    }
}

/// Signs in through the consent page ("Allow") and saves the tokens in a
/// token file, with the same code `worksection-mcp login` uses after the
/// browser; returns the access token for direct upstream timings.
async fn sign_in(info: &SimInfo, file: &Path) -> Result<SecretString> {
    let settings = OAuthSettings {
        client_id: info.client_id.clone(),
        client_secret: SecretString::from(info.client_secret.clone()),
        redirect_uri: info.redirect_uri.clone(),
        oauth_url: info.oauth_url.clone(),
        scopes: OAuthSettings::default_scopes(true),
    };
    let signin = SignIn::begin(&settings).context("starting the sign-in")?;
    let redirect = worksection_sim::consent::allow(signin.url())
        .await
        .context("answering the consent page")?;
    let store = TokenStore::from(
        FileStore::open(Some(file.to_path_buf()), None).context("opening the token file")?,
    );
    let signed_in = signin
        .finish(&redirect, &store)
        .await
        .context("finishing the sign-in")?;
    Ok(signed_in.tokens.access_token)
}

/// A running `worksection-mcp` process.
pub struct Server {
    child: Child,
    pub pid: u32,
    /// Its MCP endpoint, `http://127.0.0.1:<port>/mcp`.
    pub url: String,
    /// From spawning the process to the line saying where it listens (the
    /// listener is bound before that line is written).
    pub start_to_ready: Duration,
    log: Arc<Mutex<VecDeque<String>>>,
    _files: TempDir,
}

impl Server {
    pub async fn start(bin: &Path, env: Vec<(String, String)>, args: &[&str]) -> Result<Self> {
        if !bin.is_file() {
            bail!(
                "{} does not exist; build it first (cargo build -p worksection-mcp) or pass --mcp-bin",
                bin.display()
            );
        }
        // A fresh file cache per server, and a working folder without a
        // `.env`, so nothing carries over from one server to the next.
        let files = tempfile::tempdir().context("making a folder for the file cache")?;
        let started = Instant::now();
        let mut child = Command::new(bin)
            .args(args)
            .env_clear()
            .envs(env)
            .env("FILE_CACHE_PATH", files.path().join("cache"))
            .current_dir(files.path())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .with_context(|| format!("starting {}", bin.display()))?;
        let pid = child
            .id()
            .ok_or_else(|| anyhow!("the server exited at once"))?;
        let stderr = child
            .stderr
            .take()
            .ok_or_else(|| anyhow!("no stderr from the server"))?;
        let mut lines = BufReader::new(stderr).lines();
        let log = Arc::new(Mutex::new(VecDeque::new()));
        let ready = tokio::time::timeout(READY_TIMEOUT, async {
            while let Some(line) = lines.next_line().await? {
                remember(&log, &line);
                if let Some(at) = line.rfind(" at http://")
                    && line.starts_with("Worksection MCP: serving ")
                {
                    let url = line[at + 4..]
                        .split_whitespace()
                        .next()
                        .unwrap_or_default()
                        .to_owned();
                    return Ok::<_, std::io::Error>(Some(url));
                }
            }
            Ok(None)
        })
        .await;
        let start_to_ready = started.elapsed();
        let url = match ready {
            Ok(Ok(Some(url))) => url,
            Ok(Ok(None)) | Ok(Err(_)) => bail!(
                "the server stopped before it was ready; it said:\n{}",
                tail(&log)
            ),
            Err(_) => bail!(
                "the server was not ready within {READY_TIMEOUT:?}; it said:\n{}",
                tail(&log)
            ),
        };
        // Keep reading its stderr so it never blocks on a full pipe; the
        // last lines are kept for error messages.
        let keep = log.clone();
        tokio::spawn(async move {
            while let Ok(Some(line)) = lines.next_line().await {
                remember(&keep, &line);
            }
        });
        Ok(Self {
            child,
            pid,
            url,
            start_to_ready,
            log,
            _files: files,
        })
    }

    /// A new MCP session with rmcp's client (initialize handshake included).
    pub async fn connect(&self) -> Result<Client> {
        connect(&self.url).await
    }

    /// Resident and peak resident memory, from `/proc/<pid>/status`.
    pub fn memory(&self) -> Result<Memory> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid))
            .context("reading /proc/<pid>/status")?;
        let field = |name: &str| -> Result<u64> {
            status
                .lines()
                .find_map(|l| l.strip_prefix(name))
                .and_then(|rest| rest.split_whitespace().next())
                .and_then(|kb| kb.parse::<u64>().ok())
                .ok_or_else(|| anyhow!("/proc/<pid>/status has no {name}"))
        };
        Ok(Memory {
            rss_kb: field("VmRSS:")?,
            hwm_kb: field("VmHWM:")?,
        })
    }

    /// CPU time the server's threads have used so far, in nanoseconds: the
    /// sum of the first field of `/proc/<pid>/task/*/schedstat`.
    pub fn cpu_ns(&self) -> Result<u64> {
        let mut total = 0u64;
        let tasks = std::fs::read_dir(format!("/proc/{}/task", self.pid))
            .context("reading /proc/<pid>/task")?;
        for task in tasks.flatten() {
            let path: PathBuf = task.path().join("schedstat");
            // A thread may end between listing and reading; skip it.
            if let Ok(s) = std::fs::read_to_string(path)
                && let Some(ns) = s
                    .split_whitespace()
                    .next()
                    .and_then(|n| n.parse::<u64>().ok())
            {
                total += ns;
            }
        }
        Ok(total)
    }

    /// The last lines the server wrote, for error messages.
    pub fn log_tail(&self) -> String {
        tail(&self.log)
    }

    pub async fn stop(mut self) -> Result<()> {
        self.child.kill().await.context("stopping the server")?;
        Ok(())
    }
}

/// Connects rmcp's client to an MCP endpoint. rmcp's client can cache
/// `tools/list` answers; the benchmark turns that off so that every request
/// it counts reaches the server.
pub async fn connect(url: &str) -> Result<Client> {
    let transport = StreamableHttpClientTransport::from_uri(url.to_owned());
    let client = ()
        .serve(transport)
        .await
        .with_context(|| format!("connecting rmcp's client to {url}"))?;
    client
        .set_response_cache_config(ClientCacheConfig::disabled())
        .await;
    Ok(client)
}

#[derive(Debug, Clone, Copy)]
pub struct Memory {
    pub rss_kb: u64,
    pub hwm_kb: u64,
}

fn remember(log: &Mutex<VecDeque<String>>, line: &str) {
    let mut log = log.lock().unwrap_or_else(|p| p.into_inner());
    if log.len() == 40 {
        log.pop_front();
    }
    log.push_back(line.to_owned());
}

fn tail(log: &Mutex<VecDeque<String>>) -> String {
    let log = log.lock().unwrap_or_else(|p| p.into_inner());
    log.iter().cloned().collect::<Vec<_>>().join("\n")
}

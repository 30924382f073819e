//! `worksection-sim`: serves a simulated Worksection account until killed.
//!
//! When it is listening it prints exactly one JSON line on stdout (the
//! account and OAuth URLs and the app's credentials) so scripts and tests can
//! read where to connect; logs go to stderr.

use std::io::Write;
use std::process::ExitCode;
use std::time::Duration;

use chrono::NaiveDateTime;
use clap::Parser;
use worksection_sim::faults::SPEC_HELP;
use worksection_sim::{AdminAuth, DatasetKind, FaultSpec, Md5Over, SimConfig, Simulator};

/// A faithful Worksection simulator: OAuth2 pages and the client API over a
/// seeded dataset, with Worksection's own rate limit and switchable faults.
#[derive(Debug, Parser)]
#[command(name = "worksection-sim", version)]
struct Args {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1")]
    host: String,
    /// Port to listen on; 0 picks a free one.
    #[arg(long, default_value_t = 0)]
    port: u16,
    /// `demo` (a small company) or `large` (10,000 tasks).
    #[arg(long, default_value = "demo", value_parser = parse_dataset)]
    dataset: DatasetKind,
    /// Seed of the generated dataset; the same seed gives the same account.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Client-API requests per second per account (0: no limit).
    #[arg(long, default_value_t = 1.0)]
    rps: f64,
    /// Access-token lifetime in seconds.
    #[arg(long, default_value_t = 86_400)]
    access_ttl: u64,
    /// Refresh-token lifetime in seconds.
    #[arg(long, default_value_t = 30 * 86_400)]
    refresh_ttl: u64,
    #[arg(long, default_value = "", help = SPEC_HELP, value_parser = parse_faults)]
    faults: FaultSpec,
    /// Generate the dataset as of this local time (`YYYY-MM-DDTHH:MM:SS`)
    /// instead of now, for answers that do not change from day to day.
    #[arg(long, value_parser = parse_now)]
    now: Option<NaiveDateTime>,
    /// Another redirect URI the app accepts (repeatable), besides
    /// `https://localhost:8080/oauth/callback`.
    #[arg(long = "redirect-uri")]
    redirect_uris: Vec<String>,
    /// Answer in the odd shapes real accounts send (one-element lists for
    /// one object, numbers for strings, `null`s, PHP's `[]`, `/task/` pages,
    /// tag groups by name), at random by `--seed`; `quirks=off` in a
    /// request's query answers it plainly.
    #[arg(long)]
    quirks: bool,
    /// Admin-key schemes accepted: `hmac` (the SDKs' `Authorization:
    /// Admin <time>_<hmac>` header, within 300 s of this clock), `md5` (the
    /// `hash` query parameter) or `both`.
    #[arg(long, default_value = "both")]
    admin_auth: AdminAuth,
    /// What an md5 hash is checked over: the query as `received` or its
    /// `decoded` values.
    #[arg(long, default_value = "received")]
    md5_over: Md5Over,
}

fn parse_dataset(s: &str) -> Result<DatasetKind, String> {
    s.parse::<DatasetKind>().map_err(|e| e.to_string())
}

fn parse_faults(s: &str) -> Result<FaultSpec, String> {
    s.parse::<FaultSpec>().map_err(|e| e.to_string())
}

fn parse_now(s: &str) -> Result<NaiveDateTime, String> {
    NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S")
        .map_err(|_| format!("`{s}` is not a local time like 2026-11-24T09:30:00"))
}

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("LOG_LEVEL")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .init();
    let args = Args::parse();
    let config = SimConfig {
        host: args.host,
        port: args.port,
        dataset: args.dataset,
        seed: args.seed,
        rps: args.rps,
        access_ttl: Duration::from_secs(args.access_ttl),
        refresh_ttl: Duration::from_secs(args.refresh_ttl),
        faults: args.faults,
        now: args.now,
        extra_redirect_uris: args.redirect_uris,
        quirks: args.quirks,
        admin_auth: args.admin_auth,
        md5_over: args.md5_over,
    };
    let sim = match Simulator::start(config).await {
        Ok(sim) => sim,
        Err(e) => {
            eprintln!("worksection-sim: {e}");
            return ExitCode::FAILURE;
        }
    };
    let line = match serde_json::to_string(sim.info()) {
        Ok(line) => line,
        Err(e) => {
            eprintln!("worksection-sim: could not describe the simulator: {e}");
            return ExitCode::FAILURE;
        }
    };
    let mut stdout = std::io::stdout().lock();
    if writeln!(stdout, "{line}")
        .and_then(|()| stdout.flush())
        .is_err()
    {
        // Whoever started us stopped listening; keep serving regardless.
    }
    drop(stdout);
    shutdown_signal().await;
    sim.shutdown().await;
    ExitCode::SUCCESS
}

async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}

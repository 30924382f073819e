//! `worksection-bench`: benchmarks the real `worksection-mcp` binary over
//! streamable HTTP with rmcp's own MCP client (throughput with a lean MCP
//! load generator, [`load`]), against the simulator with its rate limit,
//! and prints what it measured against the targets of the performance
//! issue (see `BENCHMARKS.md`).
//!
//! ```text
//! worksection-bench [--quick] [--json FILE] [--mcp-bin PATH] [--rps N]
//! ```
//!
//! The full run takes a few minutes at Worksection's one request a second.
//! `--quick` is the smoke test CI runs: every tool still, but a faster
//! simulated account, few iterations and small loads; it fails (exit 1) when
//! a hard invariant breaks: a tool over its upstream ceiling, a repeated
//! call that reaches upstream, concurrent identical calls that are not
//! coalesced into one request, or a throttled request. Timings are
//! reported, never asserted: they depend on the machine.

mod catalogue;
mod harness;
mod load;
mod measure;
mod report;

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, Result};
use clap::Parser;
use worksection_sim::DatasetKind;

use crate::harness::Upstream;
use crate::measure::Pacer;
use crate::report::{Machine, Report, Startup};

#[derive(Debug, Parser)]
#[command(name = "worksection-bench", version)]
struct Args {
    /// The smoke test for CI: few iterations, small loads, a faster account;
    /// exits 1 when a hard invariant breaks.
    #[arg(long)]
    quick: bool,
    /// Also write every figure to this file as JSON.
    #[arg(long)]
    json: Option<PathBuf>,
    /// The server binary (default: `worksection-mcp` beside this binary).
    #[arg(long)]
    mcp_bin: Option<PathBuf>,
    /// Also measure the desktop app's start to serving, with this binary
    /// (a release build of worksection-desktop; needs a display).
    #[arg(long)]
    desktop_bin: Option<PathBuf>,
    /// Upstream requests per second, of the simulator and of the server
    /// (default: 1, Worksection's own limit; 10 with --quick).
    #[arg(long)]
    rps: Option<f64>,
}

/// How much of everything a run does.
struct Plan {
    rps: f64,
    latency_samples: usize,
    levels: &'static [usize],
    load_duration: Duration,
    large_runs: usize,
    demo_starts: usize,
    desktop_starts: usize,
}

impl Plan {
    fn new(args: &Args) -> Self {
        if args.quick {
            Self {
                rps: args.rps.unwrap_or(10.0),
                latency_samples: 100,
                levels: &[1, 8],
                load_duration: Duration::from_millis(300),
                large_runs: 1,
                demo_starts: 1,
                desktop_starts: 5,
            }
        } else {
            Self {
                rps: args.rps.unwrap_or(1.0),
                latency_samples: 2000,
                levels: &[1, 8, 32],
                load_duration: Duration::from_secs(3),
                large_runs: 3,
                demo_starts: 5,
                desktop_starts: 5,
            }
        }
    }
}

fn server_binary(args: &Args) -> Result<PathBuf> {
    if let Some(p) = &args.mcp_bin {
        return Ok(p.clone());
    }
    let me = std::env::current_exe().context("finding this binary")?;
    let dir = me
        .parent()
        .context("finding the folder of this binary")?
        .to_path_buf();
    Ok(dir.join(format!("worksection-mcp{}", std::env::consts::EXE_SUFFIX)))
}

fn progress(what: &str) {
    eprintln!("worksection-bench: {what}");
}

async fn run(args: &Args) -> Result<Report> {
    let plan = Plan::new(args);
    let bin = server_binary(args)?;
    // Cargo puts debug builds under `debug/`; a binary anywhere else is
    // taken for a release build (as one copied aside to compare).
    let release = !bin.components().any(|c| c.as_os_str() == "debug");
    let machine = Machine::read();
    progress(&format!(
        "server {}, account at {} requests/s",
        bin.display(),
        plan.rps
    ));

    let up = Upstream::start(DatasetKind::Demo, plan.rps).await?;
    let mut pacer = Pacer::new();
    let mut throttled = 0;

    progress("reading ids through the tools");
    let ids = {
        let server = up.server(&bin).await?;
        let client = server.connect().await?;
        let ids = catalogue::discover(&client).await;
        let _ = client.cancel().await;
        server.stop().await?;
        pacer.mark();
        ids?
    };
    throttled += up.stats().await?.throttled;

    progress("every tool, cold and warm, each on a fresh server");
    let mut starts = Vec::new();
    let tools = measure::per_tool(
        &up,
        &bin,
        &catalogue::every_tool(&ids),
        &mut pacer,
        &mut starts,
    )
    .await?;
    throttled += tools.iter().map(|t| t.throttled).sum::<u64>();

    progress("ten concurrent identical calls");
    let coalescing =
        measure::coalescing(&up, &bin, &catalogue::coalesced_call(&ids), 10, &mut pacer).await?;
    throttled += coalescing.throttled;

    progress("the weekly-report session");
    let session = measure::session(&up, &bin, &catalogue::weekly_report(&ids), &mut pacer).await?;
    throttled += session.throttled;

    progress("cached-call latency and throughput");
    let hot_path = measure::hot_path(
        &up,
        &bin,
        &catalogue::cached_call(&ids),
        plan.latency_samples,
        plan.levels,
        plan.load_duration,
        &mut pacer,
    )
    .await?;
    throttled += up.stats().await?.throttled;
    up.shutdown().await;

    progress("the large dataset (10,000 tasks)");
    let large_up = Upstream::start(DatasetKind::Large, plan.rps).await?;
    let mut pacer = Pacer::new();
    let mut large = Vec::new();
    for _ in 0..plan.large_runs {
        let run = measure::large(&large_up, &bin, &mut pacer).await?;
        throttled += run.throttled;
        large.push(run);
    }
    large_up.shutdown().await;

    progress("start-up of serve --demo");
    let demo = measure::demo_starts(&bin, plan.demo_starts).await?;
    let desktop = match &args.desktop_bin {
        Some(desktop_bin) => {
            progress("start-up of the desktop app");
            measure::desktop_starts(desktop_bin, plan.desktop_starts).await?
        }
        None => Vec::new(),
    };

    let mut report = Report {
        mode: if args.quick { "quick" } else { "full" },
        machine,
        server_binary: bin
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
        release_build: release,
        rps: plan.rps,
        tools,
        coalescing,
        session,
        hot_path,
        large,
        startup: Startup::from(&starts, demo, desktop),
        throttled_total: throttled,
        targets: Vec::new(),
        checks: 0,
        violations: Vec::new(),
    };
    report.evaluate();
    report.check_invariants();
    Ok(report)
}

fn main() -> ExitCode {
    let args = Args::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("worksection-bench: could not start: {e}");
            return ExitCode::FAILURE;
        }
    };
    let report = match runtime.block_on(run(&args)) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("worksection-bench: {e:#}");
            return ExitCode::FAILURE;
        }
    };
    report.print();
    if let Some(path) = &args.json {
        let written = serde_json::to_vec_pretty(&report)
            .map_err(anyhow::Error::from)
            .and_then(|json| std::fs::write(path, json).map_err(anyhow::Error::from));
        if let Err(e) = written {
            eprintln!("worksection-bench: could not write {}: {e}", path.display());
            return ExitCode::FAILURE;
        }
    }
    if args.quick && !report.violations.is_empty() {
        eprintln!(
            "worksection-bench: {} invariant(s) broken",
            report.violations.len()
        );
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}

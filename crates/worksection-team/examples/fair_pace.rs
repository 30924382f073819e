//! Benchmark: how long one person's single request waits for the
//! account's pace while another person floods it, round-robin (the team
//! server's `AccountPace`) against first come, first served (one plain
//! limiter, which is what sharing a client's limiter would give).
//!
//! `cargo run --release -p worksection-team --example fair_pace [RPS] [FLOOD]`
//! (defaults 10 requests a second, 200 queued by the flooding person; the
//! waits scale with 1/RPS, so Worksection's 1 a second makes them ten
//! times longer). Prints one line per discipline; BENCHMARKS.md keeps
//! the latest figures.

use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::{Duration, Instant};

use governor::{Quota, RateLimiter};
use worksection_team::AccountPace;

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    let rps: f64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(10.0);
    let flood: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(200);
    let probes = 5usize;
    let gap = Duration::from_secs_f64(flood as f64 / rps / (probes as f64 + 1.0));

    // Round-robin across people.
    let pace = AccountPace::new(rps);
    let a = pace.lane("a");
    let b = pace.lane("b");
    let started = Instant::now();
    let flood_tasks: Vec<_> = (0..flood)
        .map(|_| {
            let a = a.clone();
            tokio::spawn(async move { a.until_ready().await })
        })
        .collect();
    let mut worst = Duration::ZERO;
    for _ in 0..probes {
        tokio::time::sleep(gap).await;
        let t = Instant::now();
        b.until_ready().await;
        worst = worst.max(t.elapsed());
    }
    for t in flood_tasks {
        let _ = t.await;
    }
    println!(
        "round-robin: {flood} requests of A queued at {rps}/s; B's worst wait over {probes} requests {:.0} ms ({:.1} turns); A done after {:.1} s",
        worst.as_secs_f64() * 1000.0,
        worst.as_secs_f64() * rps,
        started.elapsed().as_secs_f64()
    );

    // First come, first served: one limiter for everyone.
    let period = Duration::from_secs_f64(1.0 / rps);
    let limiter = Arc::new(RateLimiter::direct(
        Quota::with_period(period)
            .unwrap_or_else(|| Quota::per_second(NonZeroU32::MIN))
            .allow_burst(NonZeroU32::MIN),
    ));
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<tokio::sync::oneshot::Sender<()>>();
    let gate = limiter.clone();
    tokio::spawn(async move {
        while let Some(turn) = rx.recv().await {
            gate.until_ready().await;
            let _ = turn.send(());
        }
    });
    let ask = |tx: &tokio::sync::mpsc::UnboundedSender<tokio::sync::oneshot::Sender<()>>| {
        let (t, r) = tokio::sync::oneshot::channel();
        let _ = tx.send(t);
        r
    };
    let waits: Vec<_> = (0..flood).map(|_| ask(&tx)).collect();
    let mut worst = Duration::ZERO;
    for _ in 0..probes {
        tokio::time::sleep(gap).await;
        let t = Instant::now();
        let _ = ask(&tx).await;
        worst = worst.max(t.elapsed());
    }
    for w in waits {
        let _ = w.await;
    }
    println!(
        "first come, first served: B's worst wait {:.0} ms ({:.1} turns)",
        worst.as_secs_f64() * 1000.0,
        worst.as_secs_f64() * rps
    );
}

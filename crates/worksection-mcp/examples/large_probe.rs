// Temporary probe (not committed): where the 10,000-task call's time goes.
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::json;
use worksection::Client;
use worksection::api::tasks::{GetAllTasks, TaskExtra};
use worksection_mcp::{Account, Ctx, FileCache, Registry, ResponseCache, WorksectionServer};
use worksection_sim::{DatasetKind, SimConfig, Simulator};

fn cpu() -> Duration {
    let s = std::fs::read_to_string("/proc/self/stat").unwrap();
    let f: Vec<&str> = s.rsplit(')').next().unwrap().split_whitespace().collect();
    let t: u64 = f[11].parse::<u64>().unwrap() + f[12].parse::<u64>().unwrap();
    Duration::from_millis(t * 10)
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let sim = Simulator::start(SimConfig { dataset: DatasetKind::Large, rps: 0.0, ..SimConfig::default() }).await.unwrap();
    let info = sim.info().clone();
    let rounds = std::env::var("PROBE_ROUNDS").ok().and_then(|n| n.parse().ok()).unwrap_or(3);
    for round in 0..rounds {
        let client = Client::builder().account_url(info.account_url.clone()).api_key(info.api_key.clone()).requests_per_second(50.0).build().unwrap();
        let dir = tempfile::tempdir().unwrap();
        let account = Arc::new(Account::new(client, ResponseCache::new(Duration::from_secs(3600)), FileCache::new(dir.path().join("f"), Duration::from_secs(3600), 10 << 20, 100 << 20), "p".into()));
        let t = Instant::now(); let c = cpu();
        let tasks = account.all_tasks(GetAllTasks::new().extra([TaskExtra::Subtasks, TaskExtra::Archive])).await.unwrap();
        println!("round {round}: fetch+decode {:?} (cpu {:?}), {} top", t.elapsed(), cpu() - c, tasks.len());
        let body = bytes::Bytes::from(serde_json::to_vec(&json!({"status": "ok", "data": &*tasks})).unwrap());
        let t = Instant::now(); let c = cpu();
        let decoded = <GetAllTasks as worksection::Action>::read(&body).unwrap();
        println!("  decode alone of {} bytes: {:?} (cpu {:?}), {} top", body.len(), t.elapsed(), cpu() - c, decoded.len());
        drop(decoded);
        let registry = Registry::new();
        let args = json!({"extra": "subtasks,archive"}).as_object().cloned().unwrap();
        let n = std::env::var("PROBE_COMPACT").ok().and_then(|n| n.parse().ok()).unwrap_or(1);
        let t = Instant::now(); let c = cpu();
        for _ in 0..n {
            let a = registry.call("get_all_tasks", Ctx::new(account.clone()), args.clone()).unwrap().await.unwrap();
            drop(a);
        }
        println!("  tool (compact) x{n} {:?} (cpu {:?})", t.elapsed() / n, (cpu() - c) / n);
        let server = WorksectionServer::new(account.clone(), Arc::new(Registry::new()));
        let t = Instant::now(); let c = cpu();
        let r = server.call("get_all_tasks", args.clone()).await.unwrap();
        println!("  server.call (tool + paging + offload) {:?} (cpu {:?})", t.elapsed(), cpu() - c);
        let t = Instant::now();
        let wire = serde_json::to_string(&r).unwrap();
        println!("  to wire {:?}, {} bytes", t.elapsed(), wire.len());
    }
}

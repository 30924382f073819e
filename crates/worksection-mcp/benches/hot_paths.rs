//! Criterion benchmarks of the server's in-process hot paths:
//!
//! - the size cap: `List::finish` over the 10,000 tasks of the simulator's
//!   `large` account, and the whole answer on to the bytes sent;
//! - tool-argument parsing, through the tool registry exactly as a
//!   `tools/call` reaches it;
//! - the response-cache hit, alone and inside a whole cached tool call.
//!
//! Run with `cargo bench -p worksection-mcp` (`-- <filter>` for one). The
//! data comes from the simulator in this process (no rate limit), fetched
//! once through the real client before anything is timed.

use std::hint::black_box;
use std::sync::Arc;
use std::time::Duration;

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use rmcp::model::JsonObject;
use serde_json::json;
use worksection::Client;
use worksection::api::tasks::{GetAllTasks, TaskExtra};
use worksection::models::Task;
use worksection_mcp::{Account, Ctx, FileCache, List, Registry, ResponseCache};
use worksection_sim::{DatasetKind, SimConfig, Simulator};

/// The simulator, an account on it, and what the benchmarks read.
struct Fixture {
    _sim: Simulator,
    _files: tempfile::TempDir,
    account: Arc<Account>,
    registry: Registry,
    /// Every task and subtask of the large account, flat.
    tasks: Vec<Task>,
    project: String,
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime")
}

fn fixture(rt: &tokio::runtime::Runtime) -> Fixture {
    rt.block_on(async {
        let sim = Simulator::start(SimConfig {
            dataset: DatasetKind::Large,
            rps: 0.0,
            ..SimConfig::default()
        })
        .await
        .expect("simulator");
        let info = sim.info().clone();
        let client = Client::builder()
            .account_url(info.account_url.clone())
            .api_key(info.api_key.clone())
            .requests_per_second(50.0)
            .build()
            .expect("client");
        let nested = client
            .get_all_tasks(GetAllTasks::new().extra([TaskExtra::Subtasks, TaskExtra::Archive]))
            .await
            .expect("get_all_tasks");
        let tasks: Vec<Task> = nested
            .iter()
            .flat_map(|t| t.flatten())
            .map(|t| {
                let mut t = t.clone();
                t.child = None;
                t
            })
            .collect();
        assert_eq!(tasks.len(), 10_000, "the large account has 10,000 tasks");
        let project = tasks
            .iter()
            .find_map(|t| t.project.as_ref().map(|p| p.id.to_string()))
            .expect("a project");
        let files = tempfile::tempdir().expect("temp dir");
        let account = Arc::new(Account::new(
            client,
            ResponseCache::new(Duration::from_secs(3600)),
            FileCache::new(
                files.path().to_path_buf(),
                Duration::from_secs(3600),
                10 << 20,
                100 << 20,
            ),
            "bench".to_owned(),
        ));
        Fixture {
            _sim: sim,
            _files: files,
            account,
            registry: Registry::new(),
            tasks,
            project,
        }
    })
}

fn object(v: serde_json::Value) -> JsonObject {
    v.as_object().cloned().expect("an object")
}

fn size_cap(c: &mut Criterion, f: &Fixture) {
    let mut group = c.benchmark_group("size_cap");
    group.sample_size(20);
    // What every list tool does with its items: encode each, measure, cut.
    group.bench_function("list_finish_10000_tasks", |b| {
        b.iter(|| {
            let answer = List::new(black_box(&f.tasks).iter())
                .and_then(List::finish)
                .expect("answer");
            black_box(answer)
        })
    });
    // And on to what goes over the wire: the MCP result as JSON text.
    group.bench_function("answer_to_wire_10000_tasks", |b| {
        b.iter(|| {
            let answer = List::new(black_box(&f.tasks).iter())
                .and_then(List::finish)
                .expect("answer");
            let wire = serde_json::to_string(&answer.into_result()).expect("json");
            black_box(wire.len())
        })
    });
    group.finish();
}

fn argument_parsing(c: &mut Criterion, f: &Fixture) {
    let mut group = c.benchmark_group("arguments");
    // The registry parses and checks the arguments when the call is made;
    // the returned future (the upstream part) is dropped unpolled.
    let cases = [
        (
            "get_task",
            object(json!({"task_id": "330091", "extra": "text,files"})),
        ),
        (
            "search_tasks",
            object(json!({
                "query": "login page screenshot",
                "project_id": f.project,
                "assignee_email": "anna@example.com",
                "status": "active",
                "extra": "text,files",
                "max_results": 50
            })),
        ),
    ];
    for (tool, args) in cases {
        group.bench_function(format!("parse_{tool}"), |b| {
            b.iter_batched(
                || args.clone(),
                |args| {
                    let call = f.registry.call(tool, Ctx::new(f.account.clone()), args);
                    black_box(call.is_some())
                },
                BatchSize::SmallInput,
            )
        });
    }
    group.finish();
}

fn cache_hit(c: &mut Criterion, f: &Fixture, rt: &tokio::runtime::Runtime) {
    let mut group = c.benchmark_group("response_cache");
    // A key shaped like the account's (action and parameters), holding the
    // 10,000 tasks: a hit costs the same whatever the value's size.
    let key = format!(
        "get_all_tasks {:?}",
        GetAllTasks::new().extra([TaskExtra::Subtasks, TaskExtra::Archive])
    );
    let tasks = f.tasks.clone();
    // No shared store here: the body is never read back.
    let no_body = |_: &bytes::Bytes| Err(worksection::Error::Config("no body".into()));
    rt.block_on(f.account.cache().get_or_fetch(
        key.clone(),
        || async move { Ok::<_, worksection::Error>((tasks, bytes::Bytes::new())) },
        no_body,
    ))
    .expect("warm");
    group.bench_function("hit", |b| {
        b.to_async(rt).iter(|| async {
            let got = f
                .account
                .cache()
                .get_or_fetch::<Vec<Task>, _, _, _>(
                    key.clone(),
                    || async { Err(worksection::Error::Config("a hit never fetches".into())) },
                    no_body,
                )
                .await
                .expect("hit");
            black_box(got.len())
        })
    });
    // A whole cached tool call in process: parse, cache hit, answer,
    // encoding for the wire.
    let args = object(json!({"project_id": f.project}));
    rt.block_on(async {
        f.registry
            .call(
                "get_project_stats",
                Ctx::new(f.account.clone()),
                args.clone(),
            )
            .expect("tool")
            .await
            .expect("warm call")
    });
    group.bench_function("cached_tool_call_get_project_stats", |b| {
        b.to_async(rt).iter(|| async {
            let answer = f
                .registry
                .call(
                    "get_project_stats",
                    Ctx::new(f.account.clone()),
                    args.clone(),
                )
                .expect("tool")
                .await
                .expect("answer");
            let wire = serde_json::to_string(&answer.into_result()).expect("json");
            black_box(wire.len())
        })
    });
    group.finish();
}

fn benches(c: &mut Criterion) {
    let rt = runtime();
    let f = fixture(&rt);
    size_cap(c, &f);
    argument_parsing(c, &f);
    cache_hit(c, &f, &rt);
}

criterion_group!(hot_paths, benches);
criterion_main!(hot_paths);

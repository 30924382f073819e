//! Two replicas of one person against one real Redis (Debian's
//! `redis-server`, started here on a random loopback port in a temporary
//! folder and stopped after) and the simulator: each replica has its own
//! client, caches, folders and Redis connection, as two processes would,
//! and only the shared store joins them. The simulator's request counts
//! say how many upstream requests were made.

use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use rmcp::model::{CallToolResult, JsonObject};
use serde_json::json;
use worksection::Client;
use worksection::api::members::GetUsers;
use worksection_sim::{SimConfig, Simulator};
use worksection_team::Shared;

use crate::account::Account;
use crate::cache::ResponseCache;
use crate::file_cache::FileCache;
use crate::offload::OffloadStore;
use crate::output::List;
use crate::paging::{PageArgs, Responder};
use crate::shared::SharedSpace;

const PERSON: &str = "127.0.0.1/1";

/// A `redis-server` of its own, stopped when dropped.
struct Redis {
    child: Option<Child>,
    port: u16,
    dir: tempfile::TempDir,
}

impl Redis {
    fn start() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let mut redis = Self {
            child: None,
            port,
            dir,
        };
        redis.run();
        redis
    }

    fn run(&mut self) {
        let child = Command::new("redis-server")
            .args(["--port", &self.port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no"])
            .arg("--dir")
            .arg(self.dir.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| {
                panic!("redis-server could not be started ({e}); install Debian's package redis-server (apt-get install redis-server)")
            });
        self.child = Some(child);
        for _ in 0..100 {
            if std::net::TcpStream::connect(("127.0.0.1", self.port)).is_ok() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("redis-server did not listen on port {}", self.port);
    }

    fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }
}

impl Drop for Redis {
    fn drop(&mut self) {
        self.stop();
    }
}

/// One replica: its own client, caches, folders and Redis connection.
struct Replica {
    account: Arc<Account>,
    answers: Responder,
    store: Shared,
}

async fn replica(sim: &Simulator, redis: &Redis, dir: &Path, name: &str) -> Replica {
    let info = sim.info().clone();
    let client = Client::builder()
        .account_url(info.account_url.clone())
        .api_key(info.api_key.clone())
        .requests_per_second(100.0)
        .build()
        .expect("client");
    let store = Shared::connect(&redis.url()).await.expect("connect");
    let space = SharedSpace::new(Arc::new(store.clone()), PERSON);
    let files = FileCache::new(dir.join(name), Duration::from_secs(60), 1 << 20, 8 << 20);
    let account = Account::new(
        client,
        ResponseCache::new(Duration::from_secs(600)),
        files,
        name.into(),
    )
    .with_shared(space.clone());
    let offload = OffloadStore::new(
        dir.join(format!("{name}.offload")),
        Duration::from_secs(3600),
        10,
        1 << 30,
    );
    let answers = Responder::new(3_000, offload).with_shared(Some(space));
    Replica {
        account: Arc::new(account),
        answers,
        store,
    }
}

async fn simulator() -> Simulator {
    Simulator::start(SimConfig {
        rps: 0.0,
        ..SimConfig::default()
    })
    .await
    .expect("simulator")
}

fn requests(sim: &Simulator, action: &str) -> u64 {
    sim.stats().by_action.get(action).copied().unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_question_on_two_replicas_is_one_upstream_request() {
    let redis = Redis::start();
    let sim = simulator().await;
    let tmp = tempfile::tempdir().expect("tmp");
    let a = replica(&sim, &redis, tmp.path(), "a").await;
    let b = replica(&sim, &redis, tmp.path(), "b").await;
    let direct = a.account.client().clone();

    // At the same moment: three callers on each replica.
    let mut calls = Vec::new();
    for r in [&a, &b, &a, &b, &a, &b] {
        let account = r.account.clone();
        calls.push(tokio::spawn(async move { account.users().await }));
    }
    let want = direct.send(&GetUsers {}).await.expect("get_users");
    for call in calls {
        assert_eq!(*call.await.expect("join").expect("users"), want);
    }
    assert_eq!(
        requests(&sim, "get_users"),
        2,
        "one for six callers, one direct"
    );

    // One after the other: the second replica reads the first's answer.
    let groups = a.account.project_groups().await.expect("groups");
    let again = b.account.project_groups().await.expect("groups");
    assert_eq!(groups, again);
    assert_eq!(requests(&sim, "get_project_groups"), 1);

    // A narrower question from a wider answer the other replica fetched.
    let projects = a.account.projects(None, &[]).await.expect("projects");
    assert!(!projects.is_empty());
    for p in projects.iter() {
        let id = p.id.as_u64().expect("id");
        let derived = b.account.project(id, &[]).await.expect("project");
        assert_eq!(derived.id, p.id);
    }
    assert_eq!(requests(&sim, "get_projects"), 1);
    assert_eq!(
        requests(&sim, "get_project"),
        0,
        "answered from the shared list"
    );

    // Every task list, concurrently on both replicas, once each.
    let mut calls = Vec::new();
    for p in projects.iter() {
        let id = p.id.as_u64().expect("id");
        for r in [&a, &b] {
            let account = r.account.clone();
            calls.push(tokio::spawn(async move {
                account.tasks(id, &[], false).await.map(|t| t.len())
            }));
        }
    }
    for call in calls {
        call.await.expect("join").expect("tasks");
    }
    assert_eq!(requests(&sim, "get_tasks"), projects.len() as u64);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_waiter_takes_over_a_lock_whose_owner_died() {
    let redis = Redis::start();
    let sim = simulator().await;
    let tmp = tempfile::tempdir().expect("tmp");
    let a = replica(&sim, &redis, tmp.path(), "a").await;
    // A replica took the lock and died before it answered.
    let key = worksection::request_key(&GetUsers {}).expect("key");
    let lock = format!("lock:{PERSON}:{key}");
    let taken = a
        .store
        .set_if_absent(&lock, b"dead", Duration::from_millis(1500))
        .await
        .expect("lock");
    assert!(taken);
    let account = a.account.clone();
    let call = tokio::spawn(async move { account.users().await });
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        requests(&sim, "get_users"),
        0,
        "no fetch while the lock lives"
    );
    let users = call.await.expect("join").expect("users");
    assert!(!users.is_empty());
    assert_eq!(requests(&sim, "get_users"), 1);
}

fn args() -> JsonObject {
    json!({"project_id": "1"})
        .as_object()
        .cloned()
        .unwrap_or_default()
}

fn text(r: &CallToolResult) -> String {
    serde_json::to_string(r).expect("json")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_walk_and_an_offload_made_on_one_replica_are_read_on_the_other() {
    let redis = Redis::start();
    let sim = simulator().await;
    let tmp = tempfile::tempdir().expect("tmp");
    let a = replica(&sim, &redis, tmp.path(), "a").await;
    let b = replica(&sim, &redis, tmp.path(), "b").await;
    let items: Vec<_> = (0..2000)
        .map(|i| json!({"id": i.to_string(), "name": format!("Задача номер {i}")}))
        .collect();
    let answer = List::new(items).and_then(List::finish).expect("list");
    let first = a
        .answers
        .respond("t", args(), PageArgs::default(), answer)
        .await;
    let body = first.structured_content.clone().expect("structured");
    let offload = body["offload_id"].as_str().expect("offloaded").to_owned();
    let mut cursor = body["next_cursor"]
        .as_str()
        .expect("a next page")
        .to_owned();
    // Every next page, each read on the other replica, is the page the
    // replica that made the walk gives.
    let mut pages = 0;
    loop {
        let there = b
            .answers
            .resume("t", &args(), &cursor, None)
            .await
            .expect("page on b");
        let here = a
            .answers
            .resume("t", &args(), &cursor, None)
            .await
            .expect("page on a");
        assert_eq!(text(&there), text(&here));
        pages += 1;
        let body = there.structured_content.expect("structured");
        match body.get("next_cursor").and_then(|c| c.as_str()) {
            Some(next) => cursor = next.to_owned(),
            None => break,
        }
    }
    assert!(pages > 1, "{pages} pages");
    // The offloaded answer, read on the other replica.
    let facts = a.answers.offload().info(&offload).await.expect("info on a");
    let there = b.answers.offload().info(&offload).await.expect("info on b");
    assert_eq!(there.sha256, facts.sha256);
    assert_eq!(there.size_bytes, facts.size_bytes);
    let whole = b.answers.offload().bytes(&offload).await.expect("bytes");
    let mine = a.answers.offload().bytes(&offload).await.expect("bytes");
    assert_eq!(whole, mine);
    let chunk = b
        .answers
        .read_chunk(&offload, 0, None)
        .await
        .expect("chunk");
    assert!(chunk.has_more);
    assert_eq!(chunk.content.as_bytes(), &mine[..chunk.content.len()]);
    // Nothing of it is another person's.
    let other = SharedSpace::new(Arc::new(b.store.clone()), "127.0.0.1/2");
    let stranger = Responder::new(
        3_000,
        OffloadStore::new(
            tmp.path().join("c.offload"),
            Duration::from_secs(60),
            10,
            1 << 20,
        ),
    )
    .with_shared(Some(other));
    assert!(stranger.resume("t", &args(), &cursor, None).await.is_err());
    assert!(stranger.offload().info(&offload).await.is_err());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_redis_stopped_calls_still_answer() {
    let mut redis = Redis::start();
    let sim = simulator().await;
    let tmp = tempfile::tempdir().expect("tmp");
    let a = replica(&sim, &redis, tmp.path(), "a").await;
    let b = replica(&sim, &redis, tmp.path(), "b").await;
    a.account.users().await.expect("users");
    redis.stop();
    // Answered locally: from a's own cache, and upstream for b.
    assert!(!a.account.users().await.expect("users on a").is_empty());
    assert!(!b.account.users().await.expect("users on b").is_empty());
    assert!(!b.account.project_groups().await.expect("groups").is_empty());
    assert_eq!(requests(&sim, "get_users"), 2);
    assert!(
        !a.store.is_up() || !b.store.is_up(),
        "the handles saw it down"
    );
    // Pages and offloads too.
    let items: Vec<_> = (0..500).map(|i| json!({"id": i.to_string()})).collect();
    let answer = List::new(items).and_then(List::finish).expect("list");
    let first = b
        .answers
        .respond(
            "t",
            args(),
            PageArgs {
                limit: Some(10),
                cursor: None,
            },
            answer,
        )
        .await;
    let cursor = first.structured_content.expect("structured")["next_cursor"]
        .as_str()
        .expect("a next page")
        .to_owned();
    b.answers
        .resume("t", &args(), &cursor, None)
        .await
        .expect("the next page on the replica that made it");
}

/// A session of an earlier protocol version begun on one replica goes on
/// on the other (rmcp replays its `initialize` from the shared store); one
/// the store does not know is answered 404, the specification's word for
/// "start a new session".
#[cfg(feature = "demo")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_begun_on_one_replica_goes_on_on_the_other() {
    use axum::body::Body;
    use axum::http::{Request, StatusCode};
    use clap::Parser;
    use tower::ServiceExt as _;

    use crate::server::WorksectionServer;
    use crate::team::SharedSessions;
    use crate::tools::Registry;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        serve: crate::config::ServeArgs,
    }
    let settings = Cli::try_parse_from(["t", "--demo"])
        .expect("args")
        .serve
        .settings()
        .expect("settings");
    let redis = Redis::start();
    let sim = simulator().await;
    let tmp = tempfile::tempdir().expect("tmp");
    let local: std::net::SocketAddr = "127.0.0.1:8080".parse().expect("addr");
    let mut services = Vec::new();
    for name in ["a", "b"] {
        let r = replica(&sim, &redis, tmp.path(), name).await;
        let space = r.account.shared().cloned().expect("shared");
        let server = WorksectionServer::new(r.account.clone(), Arc::new(Registry::new()));
        services.push(crate::transport::http::mcp_service(
            server,
            &settings,
            local,
            tokio_util::sync::CancellationToken::new(),
            Arc::default(),
            Some(Arc::new(SharedSessions::new(space, "grant-1"))),
        ));
    }
    let post = |session: Option<&str>, body: serde_json::Value| {
        let mut r = Request::post("/mcp")
            .header("host", "127.0.0.1:8080")
            .header("accept", "application/json, text/event-stream")
            .header("content-type", "application/json");
        if let Some(s) = session {
            r = r
                .header("mcp-session-id", s)
                .header("mcp-protocol-version", "2025-06-18");
        }
        r.body(Body::from(body.to_string())).expect("request")
    };
    let read = |resp: axum::response::Response| async move {
        let bytes = tokio::time::timeout(
            Duration::from_secs(10),
            axum::body::to_bytes(resp.into_body(), 1 << 20),
        )
        .await
        .expect("in time")
        .expect("body");
        String::from_utf8_lossy(&bytes).into_owned()
    };
    let init = json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": "2025-06-18", "capabilities": {},
        "clientInfo": {"name": "replica-test", "version": "1"}}});
    let resp = services[0]
        .clone()
        .oneshot(post(None, init))
        .await
        .expect("initialize");
    assert_eq!(resp.status(), StatusCode::OK);
    let session = resp
        .headers()
        .get("mcp-session-id")
        .and_then(|v| v.to_str().ok())
        .expect("a session id")
        .to_owned();
    assert!(read(resp.map(Body::new)).await.contains("serverInfo"));
    let initialized = json!({"jsonrpc": "2.0", "method": "notifications/initialized"});
    let resp = services[0]
        .clone()
        .oneshot(post(Some(&session), initialized))
        .await
        .expect("initialized");
    assert!(resp.status().is_success(), "{}", resp.status());
    // The next request lands on the other replica.
    let list = json!({"jsonrpc": "2.0", "id": 2, "method": "tools/list"});
    let resp = services[1]
        .clone()
        .oneshot(post(Some(&session), list.clone()))
        .await
        .expect("tools/list");
    assert_eq!(resp.status(), StatusCode::OK);
    let body = read(resp.map(Body::new)).await;
    assert!(body.contains("\"get_projects\""), "{body}");
    // A session nobody began: 404, so the client starts a new one.
    let resp = services[1]
        .clone()
        .oneshot(post(Some("no-such-session"), list))
        .await
        .expect("tools/list");
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
}

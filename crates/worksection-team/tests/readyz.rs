//! `/readyz` and the metrics of a replica whose Redis stops and starts
//! again (a process of its own: the metrics recorder is the process's).

mod support;

use std::time::{Duration, Instant};

use support::RedisServer;
use worksection_team::{FetchPolicy, Team, TeamConfig, WorksectionApp};

/// Waits (polling, bounded) until `ok` holds.
async fn until(what: &str, ok: impl Fn() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !ok() {
        assert!(Instant::now() < deadline, "timed out waiting until {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn team_config(dir: &std::path::Path, redis_url: String) -> TeamConfig {
    TeamConfig {
        public_url: TeamConfig::public_url("http://127.0.0.1:9").expect("url"),
        app: WorksectionApp {
            client_id: "app".to_owned(),
            client_secret: "secret".to_owned().into(),
            oauth_url: "http://127.0.0.1:9".to_owned(),
            scopes: vec!["tasks_read".to_owned()],
            account_url: None,
        },
        data_dir: dir.to_owned(),
        key: None,
        access_ttl: Duration::from_secs(600),
        refresh_ttl: Duration::from_secs(86_400),
        fetch: FetchPolicy::default(),
        requests_per_second: 1.0,
        redis_url: Some(redis_url),
    }
}

#[tokio::test]
async fn readyz_and_metrics_say_when_the_replica_is_degraded() {
    worksection_team::install_metrics();
    let mut redis = RedisServer::start();
    let dir = tempfile::tempdir().expect("dir");
    let team = Team::start(team_config(dir.path(), redis.url()))
        .await
        .expect("team");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("port");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    let app = team.router();
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    let get = |path: &'static str| {
        let url = format!("{base}{path}");
        async move {
            let resp = reqwest::get(url).await.expect("request");
            let status = resp.status().as_u16();
            (status, resp.text().await.expect("body"))
        }
    };
    let (status, body) = get("/readyz").await;
    let json: serde_json::Value = serde_json::from_str(&body).expect("json");
    assert_eq!(status, 200);
    assert_eq!(json["redis"], "up");
    assert_eq!(json["degraded"], false);
    let (_, metrics) = get("/metrics").await;
    assert!(metrics.contains("worksection_team_redis_up 1"), "{metrics}");

    redis.stop();
    let shared = team.shared().expect("shared").clone();
    // The heartbeat (every 2 s) or the next call finds Redis gone.
    let _ = shared.get("anything").await;
    until("the replica knows Redis is down", || !shared.is_up()).await;
    let (status, body) = get("/readyz").await;
    let json: serde_json::Value = serde_json::from_str(&body).expect("json");
    assert_eq!(status, 200, "degraded is still ready: {body}");
    assert_eq!(json["redis"], "down");
    assert_eq!(json["degraded"], true);
    let (_, metrics) = get("/metrics").await;
    assert!(metrics.contains("worksection_team_redis_up 0"), "{metrics}");
    let errors = metrics
        .lines()
        .find(|l| l.starts_with("worksection_team_redis_errors_total"))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|n| n.parse::<f64>().ok())
        .expect("the error counter");
    assert!(errors >= 1.0, "{errors}");

    redis.resume();
    until("the replica shares again", || shared.is_up()).await;
    let (status, body) = get("/readyz").await;
    assert_eq!(status, 200);
    assert!(body.contains(r#""redis":"up""#), "{body}");
}

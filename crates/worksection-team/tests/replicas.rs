//! Replicas sharing one Redis (Debian's `redis-server` on a random
//! loopback port, see `support`): the handle, one pace per account across
//! three replicas, Redis stopped and started again (degraded, then shared
//! again without a restart). `/readyz` is `readyz.rs` (its own process:
//! the metrics are the process's).

mod support;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use support::RedisServer;
use worksection_team::{AccountPace, Shared, SharedError};

/// Waits (polling, bounded) until `ok` holds.
async fn until(what: &str, ok: impl Fn() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !ok() {
        assert!(Instant::now() < deadline, "timed out waiting until {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn the_handle_gets_sets_locks_and_says_when_redis_is_down() {
    let mut redis = RedisServer::start();
    let shared = Shared::connect(&redis.url()).await.expect("connect");
    assert!(shared.is_up());
    assert_eq!(shared.replicas(), 1);

    let ttl = Duration::from_secs(60);
    assert_eq!(shared.get("t:a").await.expect("get"), None);
    shared.set("t:a", b"one", ttl).await.expect("set");
    assert_eq!(shared.get("t:a").await.expect("get"), Some(b"one".to_vec()));
    assert!(
        shared
            .set_if_absent("t:lock", b"me", ttl)
            .await
            .expect("lock")
    );
    assert!(
        !shared
            .set_if_absent("t:lock", b"you", ttl)
            .await
            .expect("lock taken")
    );
    assert!(
        !shared
            .delete_if("t:lock", b"you")
            .await
            .expect("not the owner")
    );
    assert!(shared.delete_if("t:lock", b"me").await.expect("the owner"));
    assert!(
        shared
            .set_if_absent("t:lock", b"you", ttl)
            .await
            .expect("free again")
    );
    shared.delete("t:a").await.expect("delete");
    assert_eq!(shared.get("t:a").await.expect("get"), None);
    shared
        .set("t:short", b"x", Duration::from_millis(50))
        .await
        .expect("set");
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(
        shared.get("t:short").await.expect("get"),
        None,
        "the TTL holds"
    );

    // Down: calls fail at once with Down; back: up again by itself.
    redis.stop();
    let mut down = false;
    for _ in 0..3 {
        if let Err(SharedError::Down) = shared.get("t:a").await {
            down = true;
            break;
        }
    }
    assert!(down, "a call to a stopped Redis says Down");
    assert!(!shared.is_up());
    let started = Instant::now();
    assert!(matches!(shared.get("t:a").await, Err(SharedError::Down)));
    assert!(
        started.elapsed() < Duration::from_millis(100),
        "fails fast while down"
    );
    redis.resume();
    until("Redis is up again", || shared.is_up()).await;
    shared
        .set("t:a", b"two", ttl)
        .await
        .expect("set after the outage");
}

#[tokio::test]
async fn a_bad_url_is_an_error_and_an_absent_redis_is_not() {
    for bad in ["http://127.0.0.1:6379", "127.0.0.1:6379", "redis://:x@"] {
        let e = Shared::connect(bad).await.expect_err(bad);
        let text = e.to_string();
        assert!(text.contains("--redis-url"), "{bad}: {text}");
        assert!(!text.contains(":x@"), "the password is not echoed: {text}");
    }
    // A port nobody listens on (taken from a server then stopped).
    let mut redis = RedisServer::start();
    let url = redis.url();
    redis.stop();
    let shared = Shared::connect(&url)
        .await
        .expect("starts down, not an error");
    assert!(!shared.is_up());
    assert!(matches!(shared.get("k").await, Err(SharedError::Down)));
    redis.resume();
    until("the handle finds Redis by itself", || shared.is_up()).await;
    assert_eq!(shared.get("k").await.expect("get"), None);
}

/// Three replicas' heartbeats are counted.
async fn replicas(url: &str, n: usize) -> Vec<Shared> {
    let mut all = Vec::new();
    for _ in 0..n {
        all.push(Shared::connect(url).await.expect("connect"));
    }
    for s in &all {
        let s = s.clone();
        until("every replica counts the others", move || s.replicas() == n).await;
    }
    all
}

/// Runs `per_replica` requests of two people on each pace at once and
/// returns when each got its turn.
async fn load(paces: &[AccountPace], per_replica: usize) -> Vec<Instant> {
    let turns = Arc::new(Mutex::new(Vec::new()));
    let mut tasks = Vec::new();
    for (r, pace) in paces.iter().enumerate() {
        for i in 0..per_replica {
            let lane = pace.lane(&format!("person-{r}-{}", i % 2));
            let turns = turns.clone();
            tasks.push(tokio::spawn(async move {
                lane.until_ready().await;
                turns.lock().expect("lock").push(Instant::now());
            }));
        }
    }
    for t in tasks {
        t.await.expect("a turn");
    }
    let mut turns = turns.lock().expect("lock").clone();
    turns.sort();
    turns
}

/// The most turns in any window of `window` starting at a turn.
fn most_in_window(turns: &[Instant], window: Duration) -> usize {
    turns
        .iter()
        .enumerate()
        .map(|(i, start)| {
            turns[i..]
                .iter()
                .take_while(|t| t.duration_since(*start) < window)
                .count()
        })
        .max()
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_replicas_keep_one_pace_and_pace_alone_while_redis_is_down() {
    let mut redis = RedisServer::start();
    let rate = 20.0;
    let handles = replicas(&redis.url(), 3).await;
    let paces: Vec<AccountPace> = handles
        .iter()
        .map(|s| AccountPace::shared(rate, s.clone(), "acme.worksection.com"))
        .collect();

    // Shared: 3 × 14 requests; at 20 a second no window of a second holds
    // more than 20 turns (21 with the burst of one).
    let turns = load(&paces, 14).await;
    assert_eq!(turns.len(), 42, "every request got its turn");
    let most = most_in_window(&turns, Duration::from_secs(1));
    assert!(
        most <= 21,
        "{most} turns in one second across three replicas at 20/s"
    );
    assert!(
        most >= 15,
        "the pace is used, not starved: {most} turns in a second"
    );

    // Redis down: one replica alone paces at 20 / 3 (the replicas it saw).
    redis.stop();
    let alone = &paces[..1];
    let turns = load(alone, 10).await;
    assert_eq!(turns.len(), 10, "turns continue while Redis is down");
    assert!(!handles[0].is_up());
    assert_eq!(handles[0].replicas(), 3, "the last count seen is kept");
    let most = most_in_window(&turns, Duration::from_secs(1));
    assert!(
        most <= 8,
        "{most} turns in a second alone at 20/3 (7, 8 with the burst)"
    );

    // Back: shared again, without a restart.
    redis.resume();
    for h in &handles {
        let h = h.clone();
        until("every replica shares again", move || h.is_up()).await;
    }
    let turns = load(&paces, 14).await;
    assert_eq!(turns.len(), 42);
    let most = most_in_window(&turns, Duration::from_secs(1));
    assert!(
        most <= 21,
        "{most} turns in one second after Redis came back"
    );
    assert!(
        most > 8,
        "the replicas use Redis's pace again, not the divided one: {most}"
    );
}

//! The client API: both auth modes, scopes, Worksection's error bodies, the
//! rate limit, faults, counters, and answers that match the dataset.

mod common;

use std::time::Duration;

use chrono::Duration as Span;
use common::{READ_SCOPES, admin, admin_raw, bearer, bearer_raw, sign_in, start, start_unlimited};
use serde_json::Value;
use worksection_sim::SimConfig;
use worksection_sim::data::{Attachment, TaskStatus};

fn ids(v: &Value) -> Vec<String> {
    v["data"]
        .as_array()
        .expect("data list")
        .iter()
        .map(|x| x["id"].as_str().expect("string id").to_owned())
        .collect()
}

#[tokio::test]
async fn both_auth_modes_see_the_same_account() {
    let sim = start_unlimited().await;
    let token = sign_in(&sim, READ_SCOPES).await["access_token"]
        .as_str()
        .expect("token")
        .to_owned();
    for action in [
        "get_users",
        "get_projects",
        "get_all_tasks",
        "get_user_groups",
    ] {
        let a = admin(&sim, &[("action", action)]).await;
        let b = bearer(&sim, &token, &[("action", action)]).await;
        assert_eq!(a["status"], "ok", "{action}: {a}");
        assert_eq!(a, b, "{action} answers the same in both modes");
    }
    let stats = sim.stats();
    assert_eq!(stats.by_auth.get("admin"), Some(&4));
    assert_eq!(stats.by_auth.get("oauth2"), Some(&4));
    assert_eq!(stats.by_action.get("get_users"), Some(&2));
}

#[tokio::test]
async fn answers_match_the_dataset() {
    let sim = start_unlimited().await;
    let d = sim.dataset();
    let active_users: Vec<String> = d
        .users
        .iter()
        .filter(|u| u.active)
        .map(|u| u.id.to_string())
        .collect();
    assert_eq!(
        ids(&admin(&sim, &[("action", "get_users")]).await),
        active_users
    );

    let project = d
        .projects
        .iter()
        .find(|p| d.tasks.iter().any(|t| t.project == p.id))
        .expect("a project with tasks");
    let pid = project.id.to_string();
    let top: Vec<String> = d
        .tasks
        .iter()
        .filter(|t| t.project == project.id && t.parent.is_none())
        .map(|t| t.id.to_string())
        .collect();
    assert_eq!(
        ids(&admin(&sim, &[("action", "get_tasks"), ("id_project", &pid)]).await),
        top
    );
    let active: Vec<String> = d
        .tasks
        .iter()
        .filter(|t| t.project == project.id && t.parent.is_none() && t.status == TaskStatus::Active)
        .map(|t| t.id.to_string())
        .collect();
    assert_eq!(
        ids(&admin(
            &sim,
            &[
                ("action", "get_tasks"),
                ("id_project", &pid),
                ("filter", "active")
            ]
        )
        .await),
        active
    );

    let costs = admin(&sim, &[("action", "get_costs"), ("id_project", &pid)]).await;
    let total = admin(&sim, &[("action", "get_costs_total"), ("id_project", &pid)]).await;
    assert_eq!(costs["total"], total["total"], "the two totals agree");
    let minutes: u64 = costs["data"]
        .as_array()
        .expect("lines")
        .iter()
        .map(|c| {
            let (h, m) = c["time"]
                .as_str()
                .expect("H:MM")
                .split_once(':')
                .expect("colon");
            h.parse::<u64>().expect("hours") * 60 + m.parse::<u64>().expect("minutes")
        })
        .sum();
    let (h, m) = total["total"]["time"]
        .as_str()
        .expect("H:MM")
        .split_once(':')
        .expect("colon");
    assert_eq!(
        minutes,
        h.parse::<u64>().expect("h") * 60 + m.parse::<u64>().expect("m")
    );
}

#[tokio::test]
async fn worksection_error_bodies() {
    let sim = start_unlimited().await;
    type Case<'a> = (&'a [(&'a str, &'a str)], u64, &'a str);
    let cases: &[Case] = &[
        (
            &[("action", "get_project"), ("id_project", "999999")],
            4,
            "Project is invalid",
        ),
        (
            &[("action", "get_project"), ("id_project", "../../etc")],
            4,
            "Project is invalid",
        ),
        (
            &[("action", "get_task"), ("id_task", "999999")],
            5,
            "Task is invalid",
        ),
        (&[("action", "get_task")], 10, "Field is required"),
        (
            &[("action", "search_tasks")],
            10,
            "At least one of fields required",
        ),
        (
            &[("action", "get_events"), ("period", "60d")],
            10,
            "Field is required",
        ),
        (
            &[("action", "download"), ("id_file", "1")],
            4,
            "File not found",
        ),
        (
            &[("action", "post_task"), ("title", "x")],
            1,
            "Action is invalid",
        ),
        (
            &[("action", "me")],
            3,
            "Action is available only with an OAuth2 access token",
        ),
        (
            &[("action", "search_tasks"), ("filter", "name has ('x'")],
            11,
            "Filter is invalid",
        ),
        (
            &[("action", "get_costs"), ("datestart", "2026-01-01")],
            11,
            "Date is invalid",
        ),
    ];
    for (params, code, message) in cases {
        let resp = admin_raw(&sim, params).await;
        assert_eq!(resp.status(), 200, "{params:?}: errors come with HTTP 200");
        let body: Value = resp.json().await.expect("json");
        assert_eq!(body["status"], "error", "{params:?}");
        assert_eq!(body["status_code"], *code, "{params:?}: {body}");
        assert_eq!(body["message"], *message, "{params:?}");
    }
}

#[tokio::test]
async fn bad_hash_bad_token_and_missing_scope() {
    let sim = start_unlimited().await;
    let resp = common::http()
        .post(format!("{}/api/admin/v2", sim.info().account_url))
        .query(&[
            ("action", "get_users"),
            ("hash", "0123456789abcdef0123456789abcdef"),
        ])
        .send()
        .await
        .expect("answer");
    let body: Value = resp.json().await.expect("json");
    // The wording and code of Worksection's API documentation
    // (worksection.com/en/faq/api-start.html, "Sample response if an error
    // occurred").
    assert_eq!(body["message"], "Action hash is missed or invalid");
    assert_eq!(body["status_code"], 2);

    let no_token = common::http()
        .post(format!(
            "{}/api/oauth2?action=get_users",
            sim.info().account_url
        ))
        .send()
        .await
        .expect("answer");
    assert_eq!(no_token.status(), 401);
    assert_eq!(
        bearer_raw(&sim, "forged", &[("action", "get_users")])
            .await
            .status(),
        401
    );

    let token = sign_in(&sim, "tasks_read").await["access_token"]
        .as_str()
        .expect("token")
        .to_owned();
    let denied = bearer(&sim, &token, &[("action", "get_costs")]).await;
    assert_eq!(denied["status"], "error");
    assert_eq!(denied["message_details"], "scope costs_read is required");
    assert_eq!(
        bearer(&sim, &token, &[("action", "get_all_tasks")]).await["status"],
        "ok"
    );
    assert_eq!(
        bearer(&sim, &token, &[("action", "me")]).await["status"],
        "ok",
        "me needs no scope"
    );
    assert_eq!(sim.stats().unauthorized, 3);
}

#[tokio::test]
async fn search_filter_and_email_criteria() {
    let sim = start_unlimited().await;
    let d = sim.dataset();
    let project = d.projects.first().expect("projects").id;
    let expected: Vec<String> = d
        .tasks
        .iter()
        .filter(|t| t.project == project && t.status == TaskStatus::Done)
        .map(|t| t.id.to_string())
        .collect();
    let filter = format!("project = {project}");
    let got = admin(
        &sim,
        &[
            ("action", "search_tasks"),
            ("filter", &filter),
            ("status", "done"),
        ],
    )
    .await;
    assert_eq!(ids(&got), expected);

    let someone = d.tasks.iter().find_map(|t| match t.user_to {
        worksection_sim::data::Assignee::User(u) => Some(u),
        _ => None,
    });
    let user = d
        .users
        .iter()
        .find(|u| Some(u.id) == someone)
        .expect("an assignee");
    let mine: Vec<String> = d
        .tasks
        .iter()
        .filter(|t| t.user_to == worksection_sim::data::Assignee::User(user.id))
        .map(|t| t.id.to_string())
        .collect();
    let got = admin(
        &sim,
        &[("action", "search_tasks"), ("email_user_to", &user.email)],
    )
    .await;
    assert_eq!(ids(&got), mine);
}

#[tokio::test]
async fn events_honour_the_period_and_project() {
    let sim = start_unlimited().await;
    let d = sim.dataset();
    let now = common::fixed_now();
    for (period, span) in [
        ("1h", Span::hours(1)),
        ("1d", Span::days(1)),
        ("30d", Span::days(30)),
    ] {
        let got = admin(&sim, &[("action", "get_events"), ("period", period)]).await;
        let n = got["data"].as_array().expect("events").len();
        // The simulated clock runs on from `now`, so allow for events that
        // were just at the edge when the test started.
        let expected = d
            .events
            .iter()
            .filter(|e| e.date_added > now - span && e.date_added <= now)
            .count();
        assert!(
            n >= expected.saturating_sub(1) && n <= expected + 1,
            "{period}: {n} vs {expected}"
        );
        assert!(n > 0, "{period} has events");
    }
}

#[tokio::test]
async fn download_serves_the_bytes_with_a_safe_disposition() {
    let sim = start_unlimited().await;
    for file in &sim.dataset().files {
        let resp = admin_raw(
            &sim,
            &[("action", "download"), ("id_file", &file.id.to_string())],
        )
        .await;
        assert_eq!(resp.status(), 200);
        let disposition = resp.headers()["content-disposition"]
            .to_str()
            .expect("ascii")
            .to_owned();
        assert!(disposition.starts_with("attachment;"), "{disposition}");
        let bytes = resp.bytes().await.expect("body");
        assert_eq!(&bytes[..], &file.bytes[..], "{}", file.name);
    }
    let task_with_files = sim
        .dataset()
        .files
        .iter()
        .find_map(|f| match f.attached_to {
            Attachment::Task(t) => Some(t),
            _ => None,
        })
        .expect("a task with files");
    let listed = admin(
        &sim,
        &[
            ("action", "get_files"),
            ("id_task", &task_with_files.to_string()),
        ],
    )
    .await;
    assert!(!listed["data"].as_array().expect("files").is_empty());
}

#[tokio::test]
async fn rate_limit_answers_429_with_retry_after() {
    let sim = start(SimConfig {
        rps: 1.0,
        ..SimConfig::default()
    })
    .await;
    let mut statuses = Vec::new();
    let mut retry_after = None;
    for _ in 0..4 {
        let resp = admin_raw(&sim, &[("action", "get_users")]).await;
        if resp.status() == 429 {
            retry_after = resp
                .headers()
                .get("retry-after")
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned);
        }
        statuses.push(resp.status().as_u16());
    }
    // A burst of two is tolerated; four back-to-back requests are not.
    assert_eq!(&statuses[..2], &[200, 200], "{statuses:?}");
    assert!(statuses.contains(&429), "{statuses:?}");
    assert_eq!(retry_after.as_deref(), Some("1"));
    let stats = sim.stats();
    assert_eq!(
        stats.throttled,
        statuses.iter().filter(|s| **s == 429).count() as u64
    );
    assert_eq!(stats.total, 4);
}

#[tokio::test]
async fn faults_fire_as_specified_and_clear() {
    let sim = start_unlimited().await;
    sim.set_faults(
        "500*1,429bare*1,malformed*1,html*1,drop*1"
            .parse()
            .expect("spec"),
    );
    let r = admin_raw(&sim, &[("action", "get_users")]).await;
    assert_eq!(r.status(), 500);
    let r = admin_raw(&sim, &[("action", "get_users")]).await;
    assert_eq!(r.status(), 429);
    assert!(r.headers().get("retry-after").is_none());
    let r = admin_raw(&sim, &[("action", "get_users")]).await;
    assert!(
        serde_json::from_slice::<Value>(&r.bytes().await.expect("body")).is_err(),
        "malformed"
    );
    let r = admin_raw(&sim, &[("action", "get_users")]).await;
    assert!(
        r.headers()["content-type"]
            .to_str()
            .expect("ascii")
            .starts_with("text/html")
    );
    // The connection drops mid-answer: the client sees it while reading
    // the answer or its body, depending on how far the server got.
    let url = format!(
        "{}/api/admin/v2?action=get_users&hash=x",
        sim.info().account_url
    );
    let dropped = match common::http().post(&url).send().await {
        Ok(r) => r.bytes().await.is_err(),
        Err(_) => true,
    };
    assert!(dropped, "the connection drops mid-answer");
    assert_eq!(
        admin(&sim, &[("action", "get_users")]).await["status"],
        "ok",
        "recovers"
    );
    assert_eq!(sim.stats().faulted, 5);

    // Over HTTP too, with a bad spec refused.
    let url = format!("{}/__sim/faults", sim.info().account_url);
    let bad = common::http()
        .post(&url)
        .body("boom=1")
        .send()
        .await
        .expect("answer");
    assert_eq!(bad.status(), 400);
    let ok = common::http()
        .post(&url)
        .body("slowbody:300*1")
        .send()
        .await
        .expect("answer");
    assert_eq!(ok.status(), 204);
    assert_eq!(
        admin(&sim, &[("action", "get_users")]).await["status"],
        "ok",
        "a slow body still arrives whole"
    );
}

#[tokio::test]
async fn hang_holds_the_request() {
    let sim = start_unlimited().await;
    sim.set_faults("hang*1".parse().expect("spec"));
    let client = reqwest::Client::builder()
        .timeout(Duration::from_millis(300))
        .build()
        .expect("client");
    let url = format!(
        "{}/api/admin/v2?action=get_users&hash=x",
        sim.info().account_url
    );
    let err = client.post(&url).send().await.expect_err("times out");
    assert!(err.is_timeout());
}

#[tokio::test]
async fn stats_are_served_over_http() {
    let sim = start_unlimited().await;
    admin(&sim, &[("action", "get_users")]).await;
    let stats: Value = common::http()
        .get(&sim.info().stats_url)
        .send()
        .await
        .expect("answer")
        .json()
        .await
        .expect("json");
    assert_eq!(stats["total"], 1);
    assert_eq!(stats["by_action"]["get_users"], 1);
    assert_eq!(stats["throttled"], 0);
}

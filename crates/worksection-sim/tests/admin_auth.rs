//! The admin key's two schemes as the simulator checks them, the paths as
//! the documentation writes them, JSON bodies, the `access_token`
//! parameter, and `get_costs_total`'s per-project figures.

mod common;

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use common::{admin_decoded, admin_raw, admin_signed, http, query, sign_in, start};
use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::Sha256;
use worksection_sim::{AdminAuth, HMAC_WINDOW_SECS, Md5Over, SimConfig, Simulator};

async fn sim(admin_auth: AdminAuth, md5_over: Md5Over) -> Simulator {
    start(SimConfig {
        rps: 0.0,
        admin_auth,
        md5_over,
        ..SimConfig::default()
    })
    .await
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("after 1970")
        .as_secs()
}

/// `Admin <t>_<hex hmac-sha256(key, "action:t")>`, as the SDKs compute it.
fn header(key: &str, action: &str, t: u64) -> String {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key.as_bytes()).expect("any key length");
    mac.update(format!("{action}:{t}").as_bytes());
    format!("Admin {t}_{}", hex::encode(mac.finalize().into_bytes()))
}

/// POSTs `action` the SDKs' way: the header, and `body` as JSON.
async fn hmac_call(
    sim: &Simulator,
    path: &str,
    action: &str,
    t: u64,
    body: Option<Value>,
) -> Value {
    let mut req = http()
        .post(format!("{}{path}?action={action}", sim.info().account_url))
        .header("Authorization", header(&sim.info().api_key, action, t));
    if let Some(body) = body {
        req = req
            .header("Content-Type", "application/json; charset=utf-8")
            .body(body.to_string());
    }
    let resp = req.send().await.expect("answer");
    assert_eq!(resp.status(), 200);
    resp.json().await.expect("json")
}

fn refused(body: &Value) {
    // Worksection's API documentation's wording and code for a missing or
    // wrong signature (worksection.com/en/faq/api-start.html).
    assert_eq!(body["status"], "error", "{body}");
    assert_eq!(body["status_code"], 2, "{body}");
    assert_eq!(
        body["message"], "Action hash is missed or invalid",
        "{body}"
    );
}

#[tokio::test]
async fn the_hmac_header_with_a_json_body() {
    let sim = sim(AdminAuth::Both, Md5Over::Received).await;
    let project = sim.dataset().projects[0].id;
    let body = hmac_call(
        &sim,
        "/api/admin/v2",
        "get_tasks",
        unix_now(),
        Some(json!({ "id_project": project, "extra": "text,files" })),
    )
    .await;
    assert_eq!(body["status"], "ok", "{body}");
    let tasks = body["data"].as_array().expect("tasks");
    assert!(!tasks.is_empty());
    assert!(
        tasks.iter().all(|t| t.get("text").is_some()),
        "extra=text applied"
    );

    // A stale time, a wrong signature, a signature of another action.
    let stale = unix_now() - HMAC_WINDOW_SECS - 5;
    refused(&hmac_call(&sim, "/api/admin/v2", "get_users", stale, None).await);
    let ahead = unix_now() + HMAC_WINDOW_SECS + 5;
    refused(&hmac_call(&sim, "/api/admin/v2", "get_users", ahead, None).await);
    let other = http()
        .post(format!(
            "{}/api/admin/v2?action=get_users",
            sim.info().account_url
        ))
        .header(
            "Authorization",
            header(&sim.info().api_key, "get_tasks", unix_now()),
        )
        .send()
        .await
        .expect("answer");
    refused(&other.json().await.expect("json"));
    let wrong_key = http()
        .post(format!(
            "{}/api/admin/v2?action=get_users",
            sim.info().account_url
        ))
        .header(
            "Authorization",
            header("another key", "get_users", unix_now()),
        )
        .send()
        .await
        .expect("answer");
    refused(&wrong_key.json().await.expect("json"));
    let stats = sim.stats();
    assert_eq!(stats.admin_accepted.get("hmac"), Some(&1));
    assert_eq!(stats.admin_refused.get("hmac"), Some(&4));
}

#[tokio::test]
async fn the_paths_as_the_documentation_writes_them() {
    let sim = sim(AdminAuth::Both, Md5Over::Received).await;
    let body = hmac_call(&sim, "/api/admin/v2/", "get_users", unix_now(), None).await;
    assert_eq!(body["status"], "ok", "{body}");
    let sent = query(&[("action", "get_users")]);
    let hash = md5_of(&format!("{sent}{}", sim.info().api_key));
    let resp = http()
        .post(format!(
            "{}/api/admin/v2/?{sent}&hash={hash}",
            sim.info().account_url
        ))
        .send()
        .await
        .expect("answer");
    assert_eq!(resp.status(), 200);
    let body: Value = resp.json().await.expect("json");
    assert_eq!(body["status"], "ok", "{body}");

    let tokens = sign_in(&sim, common::READ_SCOPES).await;
    let token = tokens["access_token"].as_str().expect("token");
    let resp = http()
        .post(format!(
            "{}/api/oauth2/?action=get_users",
            sim.info().account_url
        ))
        .bearer_auth(token)
        .send()
        .await
        .expect("answer");
    assert_eq!(resp.status(), 200);
    // The token may come as the `access_token` parameter instead.
    let resp = http()
        .post(format!(
            "{}/api/oauth2?action=get_users&access_token={token}",
            sim.info().account_url
        ))
        .send()
        .await
        .expect("answer");
    let body: Value = resp.json().await.expect("json");
    assert_eq!(body["status"], "ok", "{body}");
}

fn md5_of(s: &str) -> String {
    use md5::{Digest, Md5};
    hex::encode(Md5::digest(s.as_bytes()))
}

#[tokio::test]
async fn each_scheme_can_be_the_only_one() {
    let params = [("action", "get_users")];
    let hmac_only = sim(AdminAuth::Hmac, Md5Over::Received).await;
    refused(
        &admin_raw(&hmac_only, &params)
            .await
            .json()
            .await
            .expect("json"),
    );
    let ok = hmac_call(&hmac_only, "/api/admin/v2", "get_users", unix_now(), None).await;
    assert_eq!(ok["status"], "ok");

    let md5_only = sim(AdminAuth::Md5, Md5Over::Received).await;
    refused(&hmac_call(&md5_only, "/api/admin/v2", "get_users", unix_now(), None).await);
    let ok: Value = admin_raw(&md5_only, &params)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(ok["status"], "ok");
    assert_eq!(md5_only.stats().admin_refused.get("hmac"), Some(&1));
    assert_eq!(hmac_only.stats().admin_refused.get("md5"), Some(&1));
}

#[tokio::test]
async fn md5_over_the_query_as_received_or_decoded() {
    let name = "name has 'a b'";
    let params = [("action", "search_tasks"), ("filter", name)];
    let plain = [
        ("action", "get_tasks"),
        ("id_project", "1"),
        ("extra", "text,files"),
    ];
    for over in [Md5Over::Received, Md5Over::Decoded] {
        let sim = sim(AdminAuth::Md5, over).await;
        let received: Value = admin_raw(&sim, &params).await.json().await.expect("json");
        let decoded: Value = admin_decoded(&sim, &params)
            .await
            .json()
            .await
            .expect("json");
        let (good, bad) = match over {
            Md5Over::Received => (received, decoded),
            Md5Over::Decoded => (decoded, received),
        };
        assert_eq!(good["status"], "ok", "{over:?}: {good}");
        refused(&bad);
        // Commas need no encoding, so both readings are the same bytes.
        for body in [
            admin_raw(&sim, &plain)
                .await
                .json::<Value>()
                .await
                .expect("json"),
            admin_decoded(&sim, &plain)
                .await
                .json::<Value>()
                .await
                .expect("json"),
        ] {
            assert_ne!(body["status_code"], 2, "{over:?}: {body}");
        }
    }
    // A hash over form-encoded commas is not the query as received either.
    let sim = sim(AdminAuth::Md5, Md5Over::Received).await;
    let form = "action=get_users&extra=a%2Cb";
    let hash = md5_of(&format!("action=get_users&extra=a,b{}", sim.info().api_key));
    refused(
        &admin_signed(&sim, &format!("{form}&hash={hash}"))
            .await
            .json()
            .await
            .expect("json"),
    );
}

#[tokio::test]
async fn refresh_answers_carry_the_account() {
    let sim = start(SimConfig {
        rps: 0.0,
        access_ttl: Duration::from_secs(60),
        ..SimConfig::default()
    })
    .await;
    let tokens = sign_in(&sim, common::READ_SCOPES).await;
    let refreshed = common::oauth_post(
        &sim,
        "refresh",
        &[
            ("grant_type", "refresh_token"),
            (
                "refresh_token",
                tokens["refresh_token"].as_str().expect("refresh"),
            ),
        ],
    )
    .await;
    assert_eq!(refreshed["account_url"], sim.info().account_url.as_str());
}

#[tokio::test]
async fn cost_totals_per_project_and_month() {
    let sim = sim(AdminAuth::Both, Md5Over::Received).await;
    let body = hmac_call(
        &sim,
        "/api/admin/v2",
        "get_costs_total",
        unix_now(),
        Some(json!({ "extra": "projects,tasks" })),
    )
    .await;
    assert_eq!(body["status"], "ok", "{body}");
    let projects = body["projects"].as_array().expect("projects");
    assert!(!projects.is_empty());
    for p in projects {
        for key in ["id", "name", "page", "time", "money", "monthly", "tasks"] {
            assert!(p.get(key).is_some(), "{key} in {p}");
        }
        let monthly = p["monthly"].as_object().expect("months");
        assert!(monthly.keys().all(|m| m.len() == 7), "{monthly:?}");
    }
    let plain = hmac_call(&sim, "/api/admin/v2", "get_costs_total", unix_now(), None).await;
    assert!(plain.get("projects").is_none(), "only with extra");
    assert_eq!(plain["total"], body["total"]);
}

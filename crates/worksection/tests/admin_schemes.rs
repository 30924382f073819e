//! The admin key's two schemes, the retry budget and the token refresh,
//! against the simulator on a random loopback port in each of its
//! `--admin-auth` and `--md5-over` modes.

use std::sync::Arc;
use std::time::Duration;

use chrono::NaiveDateTime;
use worksection::api::costs::{CostsTotalExtra, GetCosts, GetCostsTotal};
use worksection::api::tasks::{GetTasks, SearchTasks, TaskExtra};
use worksection::auth::{ApiKey, Bearer, OAuthApp, RefreshingToken, read_scopes};
use worksection::filter::Filter;
use worksection::models::{Minutes, Money};
use worksection::{Client, Error, ExposeSecret, SecretString};
use worksection_sim::{AdminAuth, Md5Over, SimConfig, Simulator};

fn now() -> NaiveDateTime {
    NaiveDateTime::parse_from_str("2026-11-24T10:30:00", "%Y-%m-%dT%H:%M:%S").expect("time")
}

async fn sim(config: SimConfig) -> Simulator {
    Simulator::start(SimConfig {
        now: Some(now()),
        rps: 0.0,
        ..config
    })
    .await
    .expect("simulator starts")
}

fn admin(sim: &Simulator) -> Client {
    Client::builder()
        .account_url(&sim.info().account_url)
        .api_key(sim.info().api_key.as_str())
        .requests_per_second(100.0)
        .backoff(Duration::from_millis(10))
        .build()
        .expect("client")
}

#[test]
fn the_hmac_header_is_the_sdks() {
    // Source: worksection/python-api-client `worksection/client.py`
    // (`get_admin_token`, v2.1.0) and worksection/php-api-client
    // `src/Client.php` (`getAdminToken`): `<t>_<hex hmac-sha256(key,
    // "action:t")>`. The expected value was computed once with Python's
    // `hmac` module for this key, action and time.
    let key = ApiKey::new("7776461cd931e7b1c8e9632ff8e979ce");
    assert_eq!(
        key.authorization("get_tasks", 1_764_000_000)
            .expose_secret(),
        "Admin 1764000000_c5a30d4c42631f516886c2a487fbf4807c2d1fdc18836ca5050d7c6625b6c86a"
    );
}

#[test]
fn the_md5_hash_is_the_docs_example() {
    // Source: Worksection's API page "Worksection API authorization"
    // (worksection.com/…/faq/api/api-start): query
    // `action=get_tasks&id_project=26`, key
    // `7776461cd931e7b1c8e9632ff8e979ce`, hash
    // `ec3ab2c28f21b4a07424f8ed688d6644`.
    let key = ApiKey::new("7776461cd931e7b1c8e9632ff8e979ce");
    assert_eq!(
        key.md5("action=get_tasks&id_project=26").expose_secret(),
        "ec3ab2c28f21b4a07424f8ed688d6644"
    );
}

/// Calls whose md5 query carries commas (`extra`), an `@` (an email) and a
/// filter with spaces and quotes; every one must be let in.
async fn read_with_awkward_parameters(sim: &Simulator, c: &Client) {
    let d = sim.dataset();
    let project = d.projects.first().expect("a project");
    let tasks = c
        .get_tasks(GetTasks::new(project.id).extra([TaskExtra::Text, TaskExtra::Files]))
        .await
        .expect("get_tasks with extra=text,files");
    assert_eq!(
        tasks.len(),
        d.tasks
            .iter()
            .filter(|t| t.project == project.id && t.parent.is_none())
            .count()
    );
    let author = d
        .users
        .iter()
        .find(|u| d.tasks.iter().any(|t| t.user_from == u.id))
        .expect("an author");
    let by_email = c
        .search_tasks(SearchTasks::new().author_email(author.email.clone()))
        .await
        .expect("search by an email with @");
    assert!(!by_email.is_empty(), "{}", author.email);
    let named = d
        .tasks
        .iter()
        .find(|t| t.name.contains(' '))
        .expect("a task name with a space");
    let word = named.name.split(' ').take(2).collect::<Vec<_>>().join(" ");
    let found = c
        .search_tasks(SearchTasks::new().filter(Filter::name_has(&word)))
        .await
        .expect("a filter with spaces and quotes");
    assert!(found.iter().any(|t| t.name.contains(&word)), "{word}");
}

#[tokio::test]
async fn every_scheme_and_md5_reading_lets_the_client_in() {
    for admin_auth in [AdminAuth::Both, AdminAuth::Hmac, AdminAuth::Md5] {
        for md5_over in [Md5Over::Received, Md5Over::Decoded] {
            let sim = sim(SimConfig {
                admin_auth,
                md5_over,
                ..SimConfig::default()
            })
            .await;
            let c = admin(&sim);
            read_with_awkward_parameters(&sim, &c).await;
            let stats = sim.stats();
            let what = format!("{admin_auth:?} {md5_over:?}: {stats:?}");
            match admin_auth {
                AdminAuth::Both | AdminAuth::Hmac => {
                    assert_eq!(stats.admin_accepted.get("md5"), None, "{what}");
                    assert!(stats.admin_refused.is_empty(), "{what}");
                    assert_eq!(stats.admin_accepted.get("hmac"), Some(&3), "{what}");
                }
                AdminAuth::Md5 => {
                    assert_eq!(stats.admin_refused.get("hmac"), Some(&1), "{what}");
                    assert_eq!(stats.admin_accepted.get("hmac"), None, "{what}");
                    assert_eq!(stats.admin_accepted.get("md5"), Some(&3), "{what}");
                }
            }
        }
    }
}

#[tokio::test]
async fn the_fallback_is_taken_once_and_remembered() {
    let sim = sim(SimConfig {
        admin_auth: AdminAuth::Md5,
        ..SimConfig::default()
    })
    .await;
    let c = admin(&sim);
    let clone = c.clone();
    for _ in 0..3 {
        c.get_users().await.expect("users");
    }
    clone.get_user_groups().await.expect("a clone shares it");
    let stats = sim.stats();
    assert_eq!(stats.admin_refused.get("hmac"), Some(&1), "{stats:?}");
    assert_eq!(stats.admin_accepted.get("md5"), Some(&4), "{stats:?}");
    assert_eq!(stats.total, 5, "one refused header, then only md5");

    // A wrong key is refused in every scheme, with the usual error.
    let wrong = Client::builder()
        .account_url(&sim.info().account_url)
        .api_key("not-the-key")
        .build()
        .expect("client");
    let e = wrong.get_users().await.expect_err("bad key");
    assert!(e.is_auth(), "{e}");
    assert_eq!(e.status_code(), Some(2), "{e}");
}

#[tokio::test]
async fn one_budget_for_every_kind_of_retry() {
    let sim = sim(SimConfig::default()).await;
    let c = Client::builder()
        .account_url(&sim.info().account_url)
        .api_key(sim.info().api_key.as_str())
        .requests_per_second(100.0)
        .max_attempts(4)
        .backoff(Duration::from_millis(5))
        .build()
        .expect("client");
    // Unreadable answers used to get their own budget on top of the
    // request's: up to 16 requests for one call.
    sim.set_faults("html*20".parse().expect("spec"));
    c.get_users().await.expect_err("persistent proxy page");
    assert_eq!(sim.stats().total, 4, "max_attempts requests, no more");

    // The rate limit answered as HTTP 200 with `status: error` is retried.
    sim.set_faults("none".parse().expect("spec"));
    sim.reset_stats();
    sim.set_faults("429ok*1".parse().expect("spec"));
    c.get_users().await.expect("after the limit");
    assert_eq!(sim.stats().total, 2);
    sim.reset_stats();
    sim.set_faults("429ok*10".parse().expect("spec"));
    let e = c.get_users().await.expect_err("kept limiting");
    assert!(matches!(e, Error::RateLimited { .. }), "{e}");
    assert_eq!(sim.stats().total, 4);
}

#[tokio::test]
async fn cost_totals_by_project_task_and_month_add_up() {
    let sim = sim(SimConfig::default()).await;
    let c = admin(&sim);
    let all = c
        .send(
            &GetCostsTotal::new(GetCosts::new())
                .extra([CostsTotalExtra::Projects, CostsTotalExtra::Tasks]),
        )
        .await
        .expect("totals");
    assert!(!all.projects.is_empty());
    let sum = |it: &mut dyn Iterator<Item = (Option<Minutes>, Option<Money>)>| {
        it.fold((Minutes(0), Money::default()), |(m, c), (tm, tc)| {
            (m + tm.unwrap_or_default(), c + tc.unwrap_or_default())
        })
    };
    let (m, money) = sum(&mut all.projects.iter().map(|p| (p.total.time, p.total.money)));
    assert_eq!((Some(m), Some(money)), (all.total.time, all.total.money));
    for p in &all.projects {
        let by_month = sum(&mut p.monthly.values().map(|t| (t.time, t.money)));
        assert_eq!(
            (Some(by_month.0), Some(by_month.1)),
            (p.total.time, p.total.money)
        );
        let by_task = sum(&mut p.tasks.iter().map(|t| (t.total.time, t.total.money)));
        assert_eq!(
            (Some(by_task.0), Some(by_task.1)),
            (p.total.time, p.total.money)
        );
        assert!(
            p.monthly.keys().all(|k| k.len() == 7 && &k[4..5] == "-"),
            "{:?}",
            p.monthly.keys()
        );
    }
    // `filter` narrows the total as it narrows the lines.
    let project = all.projects[0].id.as_u64().expect("id");
    let filtered = GetCosts::new().filter(Filter::project(project));
    let lines = c.get_costs(filtered.clone()).await.expect("lines");
    let total = c.get_costs_total(filtered).await.expect("total");
    assert_eq!(total.time, lines.total.time);
    assert_eq!(total.time, all.projects[0].total.time);
    let plain = c.get_costs_total(GetCosts::new()).await.expect("plain");
    assert_eq!(plain.time, all.total.time);
}

#[tokio::test]
async fn a_short_lived_token_costs_one_refresh_per_expiry() {
    let sim = sim(SimConfig {
        access_ttl: Duration::from_secs(8),
        ..SimConfig::default()
    })
    .await;
    let i = sim.info();
    let app = OAuthApp::new(
        &i.client_id,
        i.client_secret.as_str(),
        &i.redirect_uri,
        &i.oauth_url,
    )
    .expect("app");
    let tokens = sign_in(&app).await;
    let first = tokens.access_token.clone();
    let source = Arc::new(RefreshingToken::new(app, tokens));
    let c = Client::builder()
        .account_url(&i.account_url)
        .bearer(Bearer::new(source.clone()))
        .requests_per_second(100.0)
        .build()
        .expect("client");
    c.get_users().await.expect("a fresh token works");
    assert_eq!(
        sim.stats().oauth.get("refresh"),
        None,
        "no refresh while fresh"
    );
    tokio::time::sleep(Duration::from_millis(8_200)).await;
    let calls = (0..3).map(|_| c.get_users());
    for r in futures_util::future::join_all(calls).await {
        r.expect("works after the refresh");
    }
    let stats = sim.stats();
    assert_eq!(stats.oauth.get("refresh"), Some(&1), "{stats:?}");
    assert_eq!(stats.unauthorized, 0, "renewed before Worksection refused");
    let now = source.current().await;
    assert_ne!(now.access_token.expose_secret(), first.expose_secret());
    assert_eq!(
        now.account_url.as_deref(),
        Some(i.account_url.as_str()),
        "the refresh answer's account_url"
    );
}

async fn sign_in(app: &OAuthApp) -> worksection::auth::TokenSet {
    let (url, _state) = app.authorize_url(&read_scopes()).expect("authorize url");
    let code = worksection_sim::consent::allow(&url)
        .await
        .expect("consent")
        .query_pairs()
        .find(|(k, _)| k == "code")
        .map(|(_, v)| SecretString::from(v.into_owned()))
        .expect("code");
    app.exchange_code(&code).await.expect("tokens")
}

#[test]
fn secrets_stay_hidden() {
    let key = ApiKey::new(SecretString::from("k3y"));
    assert!(!format!("{key:?}").contains("k3y"));
    assert!(!format!("{:?}", key.authorization("me", 1)).contains("k3y"));
}

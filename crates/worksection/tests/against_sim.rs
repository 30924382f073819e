//! The client against the simulator on a random loopback port: both auth
//! modes, sign-in, refresh, every error class, retries under faults, the
//! rate limit, downloads, and no secret in any error.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use chrono::NaiveDateTime;
use md5::{Digest, Md5};
use worksection::api::costs::{CostsTotalExtra, GetCosts, GetCostsTotal};
use worksection::api::events::{GetEvents, Period};
use worksection::api::files::GetFiles;
use worksection::api::projects::{GetProject, GetProjects, ProjectExtra};
use worksection::api::tasks::{GetTask, GetTasks, SearchTasks, TaskExtra, TaskState};
use worksection::auth::{Bearer, OAuthApp, RefreshingToken, TokenSet, read_scopes};
use worksection::filter::Filter;
use worksection::{AuthProblem, Client, Error, ExposeSecret, SecretString};
use worksection_sim::data::{Attachment, TaskStatus};
use worksection_sim::{SimConfig, Simulator};

fn now() -> NaiveDateTime {
    NaiveDateTime::parse_from_str("2026-11-24T10:30:00", "%Y-%m-%dT%H:%M:%S").expect("time")
}

async fn sim(config: SimConfig) -> Simulator {
    Simulator::start(SimConfig {
        now: Some(now()),
        ..config
    })
    .await
    .expect("simulator starts")
}

async fn unlimited() -> Simulator {
    sim(SimConfig {
        rps: 0.0,
        ..SimConfig::default()
    })
    .await
}

fn admin(sim: &Simulator) -> Client {
    Client::builder()
        .account_url(&sim.info().account_url)
        .api_key(sim.info().api_key.as_str())
        .requests_per_second(100.0)
        .backoff(Duration::from_millis(20))
        .build()
        .expect("client")
}

fn app(sim: &Simulator) -> OAuthApp {
    let i = sim.info();
    OAuthApp::new(
        &i.client_id,
        i.client_secret.as_str(),
        &i.redirect_uri,
        &i.oauth_url,
    )
    .expect("app")
}

/// Walks the consent page like a browser and returns the redirect's code.
async fn consent(app: &OAuthApp, scopes: &[&str]) -> SecretString {
    let (url, state) = app.authorize_url(scopes).expect("authorize url");
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("http");
    let page = http.get(url.clone()).send().await.expect("consent page");
    assert_eq!(page.status(), 200);
    assert!(page.text().await.expect("html").contains("Allow"));
    let redirect = worksection_sim::consent::allow(&url)
        .await
        .expect("consent");
    let get = |k: &str| {
        redirect
            .query_pairs()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.into_owned())
    };
    assert_eq!(
        get("state").as_deref(),
        Some(state.expose_secret()),
        "state comes back"
    );
    SecretString::from(get("code").expect("code"))
}

async fn sign_in(sim: &Simulator) -> TokenSet {
    let app = app(sim);
    let code = consent(&app, &read_scopes()).await;
    app.exchange_code(&code).await.expect("tokens")
}

fn bearer_client(sim: &Simulator, source: Arc<dyn worksection::auth::TokenSource>) -> Client {
    Client::builder()
        .account_url(&sim.info().account_url)
        .bearer(Bearer::new(source))
        .requests_per_second(100.0)
        .backoff(Duration::from_millis(20))
        .build()
        .expect("client")
}

#[tokio::test]
async fn both_auth_modes_read_the_account() {
    let sim = unlimited().await;
    let d = sim.dataset();
    let tokens = sign_in(&sim).await;
    let bearer = bearer_client(
        &sim,
        Arc::new(worksection::auth::StaticToken::new(
            tokens.access_token.clone(),
        )),
    );
    let admin = admin(&sim);

    let me = bearer.me().await.expect("me");
    assert_eq!(me.id.as_u64(), Some(d.me));
    for client in [&admin, &bearer] {
        let users = client.get_users().await.expect("users");
        assert_eq!(users.len(), d.users.iter().filter(|u| u.active).count());
        let projects = client
            .get_projects(GetProjects::new().extra([ProjectExtra::Users]))
            .await
            .expect("projects");
        assert_eq!(projects.len(), d.projects.len());
        assert!(projects.iter().all(|p| p.users.is_some()));
    }
    let stats = sim.stats();
    assert_eq!(stats.by_auth.get("admin"), Some(&2));
    assert_eq!(stats.by_auth.get("oauth2"), Some(&3));
}

#[tokio::test]
async fn typed_answers_match_the_dataset() {
    let sim = unlimited().await;
    let d = sim.dataset();
    let c = admin(&sim);
    let project = d
        .projects
        .iter()
        .find(|p| {
            d.tasks
                .iter()
                .any(|t| t.project == p.id && t.parent.is_some())
        })
        .expect("project");
    let tasks = c
        .get_tasks(GetTasks::new(project.id).extra([TaskExtra::Subtasks, TaskExtra::Text]))
        .await
        .expect("tasks");
    let all: usize = tasks.iter().map(|t| t.flatten().len()).sum();
    assert_eq!(
        all,
        d.tasks.iter().filter(|t| t.project == project.id).count(),
        "subtasks come nested"
    );
    let open = c
        .get_tasks(GetTasks::new(project.id).active_only())
        .await
        .expect("open");
    assert!(open.iter().all(|t| !t.is_done()));

    let one = c
        .get_project(GetProject::new(project.id))
        .await
        .expect("project");
    assert_eq!(one.name, project.name);

    let done = c
        .search_tasks(
            SearchTasks::new()
                .filter(Filter::project(project.id))
                .state(TaskState::Done),
        )
        .await
        .expect("search");
    let expected = d
        .tasks
        .iter()
        .filter(|t| t.project == project.id && t.status == TaskStatus::Done)
        .count();
    assert_eq!(done.len(), expected);

    let costs = c
        .get_costs(GetCosts::new().project(project.id))
        .await
        .expect("costs");
    let total = c
        .get_costs_total(GetCosts::new().project(project.id))
        .await
        .expect("total");
    let minutes: worksection::models::Minutes = costs.lines.iter().filter_map(|l| l.time).sum();
    let money: worksection::models::Money = costs.lines.iter().filter_map(|l| l.money).sum();
    assert_eq!(
        Some(minutes),
        total.time,
        "lines add up to the total exactly"
    );
    assert_eq!(Some(money), total.money);

    let events = c
        .get_events(GetEvents::new(Period::days(1).expect("1d")))
        .await
        .expect("events");
    assert!(!events.is_empty());
    let task = d
        .tasks
        .iter()
        .find(|t| d.comments.iter().any(|c| c.task == t.id))
        .expect("discussed task");
    let with = c
        .get_task(GetTask::new(task.id).extra([TaskExtra::Comments]))
        .await
        .expect("task");
    assert!(with.comments.is_some_and(|c| !c.is_empty() && c.len() <= 5));
}

/// The form a keyed collection came in: a list, or an object keyed by id
/// with the id inside each record or without it.
fn forms_of(collection: &serde_json::Value, seen: &mut BTreeSet<&'static str>) {
    match collection {
        serde_json::Value::Array(_) => {
            seen.insert("list");
        }
        serde_json::Value::Object(records) => {
            for record in records.values() {
                seen.insert(if record.get("id").is_some() {
                    "keyed, id inside"
                } else {
                    "keyed, no id inside"
                });
            }
        }
        _ => {}
    }
}

/// `get_costs_total`'s projects and their tasks are keyed collections:
/// whichever form the quirky simulator sends them in (it picks by seed),
/// the client reads every project's and task's figures as the dataset has
/// them, and over these seeds every form comes.
#[tokio::test]
async fn cost_totals_by_project_and_task_match_the_dataset_in_every_form() {
    let (mut projects_came, mut tasks_came) = (BTreeSet::new(), BTreeSet::new());
    for seed in 1..=4 {
        let sim = sim(SimConfig {
            rps: 0.0,
            seed,
            quirks: true,
            ..SimConfig::default()
        })
        .await;
        let d = sim.dataset();
        let project_of = |task: u64| d.tasks.iter().find(|t| t.id == task).map(|t| t.project);
        let mut by_project: BTreeMap<u64, (u64, u64)> = BTreeMap::new();
        let mut by_task: BTreeMap<u64, (u64, u64)> = BTreeMap::new();
        for cost in &d.costs {
            for (key, sums) in [
                (project_of(cost.task), &mut by_project),
                (Some(cost.task), &mut by_task),
            ] {
                let sum = sums.entry(key.expect("the task of a cost")).or_default();
                *sum = (sum.0 + u64::from(cost.minutes), sum.1 + cost.money_cents);
            }
        }
        let figures = |t: &worksection::models::CostTotals| {
            (
                t.time.map_or(0, |m| m.0),
                t.money
                    .map_or(0, |m| u64::try_from(m.cents).expect("not negative")),
            )
        };
        let request = GetCostsTotal::new(GetCosts::new())
            .extra([CostsTotalExtra::Projects, CostsTotalExtra::Tasks]);
        let answer = admin(&sim).send(&request).await.expect("totals");
        let got: BTreeMap<u64, (u64, u64)> = answer
            .projects
            .iter()
            .map(|p| (p.id.as_u64().expect("numeric id"), figures(&p.total)))
            .collect();
        assert_eq!(got, by_project, "seed {seed}: every project's total");
        for p in &answer.projects {
            let id = p.id.as_u64().expect("numeric id");
            let name = d
                .projects
                .iter()
                .find(|x| x.id == id)
                .map(|x| x.name.as_str());
            assert_eq!(Some(p.name.as_str()), name, "seed {seed}");
            for t in &p.tasks {
                let task = t.id.as_u64().expect("numeric id");
                assert_eq!(project_of(task), Some(id), "seed {seed}: task {task}");
                assert_eq!(Some(&figures(&t.total)), by_task.get(&task), "seed {seed}");
            }
        }
        let tasks: usize = answer.projects.iter().map(|p| p.tasks.len()).sum();
        assert_eq!(tasks, by_task.len(), "seed {seed}: every task with costs");

        // The forms the simulator sent, read from the answer as it came.
        let info = sim.info();
        let query = "action=get_costs_total&extra=projects,tasks";
        let hash = hex::encode(Md5::digest(format!("{query}{}", info.api_key.as_str())));
        let raw: serde_json::Value = reqwest::Client::new()
            .post(format!(
                "{}/api/admin/v2?{query}&hash={hash}",
                info.account_url
            ))
            .send()
            .await
            .expect("answers")
            .json()
            .await
            .expect("JSON");
        forms_of(&raw["projects"], &mut projects_came);
        let projects: Vec<&serde_json::Value> = match &raw["projects"] {
            serde_json::Value::Array(a) => a.iter().collect(),
            serde_json::Value::Object(m) => m.values().collect(),
            other => panic!("projects as {other}"),
        };
        for p in projects {
            forms_of(&p["tasks"], &mut tasks_came);
        }
        sim.shutdown().await;
    }
    let every: BTreeSet<&str> = ["list", "keyed, id inside", "keyed, no id inside"].into();
    assert_eq!(projects_came, every, "the forms of projects");
    assert_eq!(tasks_came, every, "the forms of tasks");
}

#[tokio::test]
async fn sign_in_discovers_the_account() {
    let sim = unlimited().await;
    let app = app(&sim);
    let tokens = sign_in(&sim).await;
    assert_eq!(
        tokens.account_url.as_deref(),
        Some(sim.info().account_url.as_str())
    );
    assert!(tokens.refresh_token.is_some() && tokens.expires_at.is_some());
    let owner = app.resource(&tokens.access_token).await.expect("resource");
    assert_eq!(owner.account_url, sim.info().account_url);
    assert_eq!(owner.id.as_u64(), Some(sim.dataset().me));

    let reused = app
        .exchange_code(&SecretString::from("forged-code"))
        .await
        .expect_err("unknown code");
    assert!(
        matches!(&reused, Error::OAuth { error, .. } if error == "invalid_request"),
        "{reused}"
    );
    let i = sim.info();
    let bad =
        OAuthApp::new(&i.client_id, "wrong-secret", &i.redirect_uri, &i.oauth_url).expect("app");
    let code = consent(&app, &["tasks_read"]).await;
    let e = bad.exchange_code(&code).await.expect_err("bad secret");
    assert!(
        matches!(&e, Error::OAuth { error, .. } if error == "invalid_client"),
        "{e}"
    );
    assert!(
        !e.to_string().contains(code.expose_secret()) && !e.to_string().contains("wrong-secret")
    );
}

#[tokio::test]
async fn expired_tokens_refresh_once_even_under_concurrency() {
    let sim = sim(SimConfig {
        rps: 0.0,
        access_ttl: Duration::from_secs(1),
        ..SimConfig::default()
    })
    .await;
    let mut tokens = sign_in(&sim).await;
    // Unknown expiry: the client learns of it from Worksection's 401.
    tokens.expires_at = None;
    let rotations = Arc::new(AtomicUsize::new(0));
    let counter = rotations.clone();
    let source = Arc::new(
        RefreshingToken::new(app(&sim), tokens.clone())
            .margin(Duration::ZERO)
            .on_rotate(Arc::new(move |_set| {
                counter.fetch_add(1, Ordering::SeqCst);
                Box::pin(async { Ok(()) })
            })),
    );
    let client = bearer_client(&sim, source.clone());
    client.get_users().await.expect("fresh token works");
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let calls = (0..6).map(|_| client.get_users());
    for result in futures_util::future::join_all(calls).await {
        result.expect("works after a refresh");
    }
    assert_eq!(
        sim.stats().oauth.get("refresh"),
        Some(&1),
        "one refresh for six concurrent calls"
    );
    assert_eq!(
        rotations.load(Ordering::SeqCst),
        1,
        "the new set was handed to the store"
    );
    let current = source.current().await;
    assert_ne!(
        current.refresh_token.as_ref().map(|t| t.expose_secret()),
        tokens.refresh_token.as_ref().map(|t| t.expose_secret()),
        "the refresh token rotated"
    );
    assert_eq!(
        current.account_url, tokens.account_url,
        "the account is kept across refreshes"
    );
}

#[tokio::test]
async fn tokens_near_expiry_refresh_before_use() {
    let sim = unlimited().await;
    let mut tokens = sign_in(&sim).await;
    tokens.expires_at = Some(chrono::Utc::now() + chrono::Duration::seconds(30));
    let client = bearer_client(&sim, Arc::new(RefreshingToken::new(app(&sim), tokens)));
    client.get_users().await.expect("works");
    assert_eq!(sim.stats().oauth.get("refresh"), Some(&1));
    assert_eq!(
        sim.stats().unauthorized,
        0,
        "refreshed before Worksection had to refuse"
    );
}

#[tokio::test]
async fn revoked_tokens_say_sign_in_again_without_looping() {
    let sim = unlimited().await;
    let tokens = sign_in(&sim).await;
    let client = bearer_client(
        &sim,
        Arc::new(RefreshingToken::new(app(&sim), tokens.clone()).margin(Duration::ZERO)),
    );
    client.get_users().await.expect("works");
    sim.revoke_all_tokens();
    let e = client.get_users().await.expect_err("revoked");
    assert!(
        matches!(
            e,
            Error::Auth {
                problem: AuthProblem::SignInAgain,
                ..
            }
        ),
        "{e}"
    );
    assert!(e.needs_sign_in() && e.to_string().contains("sign in again"));
    let stats = sim.stats();
    assert_eq!(
        stats.oauth.get("refresh"),
        Some(&1),
        "one refresh attempt, no loop"
    );
    assert_eq!(stats.unauthorized, 1);
    let text = format!("{e} {e:?}");
    for secret in [
        tokens.access_token.expose_secret(),
        tokens
            .refresh_token
            .as_ref()
            .map_or("", |t| t.expose_secret()),
    ] {
        assert!(!text.contains(secret), "no token in the error");
    }
}

#[tokio::test]
async fn a_sign_in_saved_elsewhere_is_taken_without_a_restart() {
    let sim = unlimited().await;
    let tokens = sign_in(&sim).await;
    let saved = Arc::new(std::sync::Mutex::new(Some(tokens.clone())));
    let store = saved.clone();
    let source = RefreshingToken::new(app(&sim), tokens)
        .margin(Duration::ZERO)
        .reload(Arc::new(move || {
            let set = store.lock().map(|s| s.clone()).unwrap_or(None);
            Box::pin(async move { Ok(set) })
        }));
    let client = bearer_client(&sim, Arc::new(source));
    client.get_users().await.expect("works");
    sim.revoke_all_tokens();
    client.get_users().await.expect_err("revoked");
    let refreshes = sim.stats().oauth.get("refresh").copied();

    // The person signs in again in another process, which saves the tokens.
    let fresh = sign_in(&sim).await;
    if let Ok(mut s) = saved.lock() {
        *s = Some(fresh);
    }
    client.get_users().await.expect("the new sign-in is used");
    assert_eq!(
        sim.stats().oauth.get("refresh").copied(),
        refreshes,
        "taken from the store, not refreshed"
    );
}

#[tokio::test]
async fn every_error_class() {
    let sim = unlimited().await;
    let c = admin(&sim);
    let e = c
        .get_project(GetProject::new(999_999))
        .await
        .expect_err("unknown project");
    assert!(
        matches!(e, Error::NotFound { .. }) && e.status_code() == Some(4),
        "{e}"
    );
    let e = c.get_task(GetTask::new(1)).await.expect_err("unknown task");
    assert!(
        matches!(e, Error::NotFound { .. }) && e.status_code() == Some(5),
        "{e}"
    );
    let e = c
        .search_tasks(SearchTasks::new().filter("name has ('x'"))
        .await
        .expect_err("bad filter");
    assert!(matches!(e, Error::InvalidRequest { .. }), "{e}");
    let e = c
        .search_tasks(SearchTasks::new())
        .await
        .expect_err("no criteria");
    assert!(matches!(e, Error::InvalidArgument(_)), "{e}");
    let before = sim.stats().total;
    let e = c.me().await.expect_err("user method");
    assert!(
        matches!(
            e,
            Error::Auth {
                problem: AuthProblem::UserMethodWithApiKey("me"),
                ..
            }
        ),
        "{e}"
    );
    assert_eq!(sim.stats().total, before, "refused without a request");

    let wrong = Client::builder()
        .account_url(&sim.info().account_url)
        .api_key("not-the-key")
        .build()
        .expect("client");
    let e = wrong.get_users().await.expect_err("bad key");
    assert!(
        matches!(
            e,
            Error::Auth {
                problem: AuthProblem::BadApiKey,
                ..
            }
        ),
        "{e}"
    );
    assert!(!format!("{e} {e:?}").contains("not-the-key"));

    let tokens = {
        let app = app(&sim);
        let code = consent(&app, &["tasks_read"]).await;
        app.exchange_code(&code).await.expect("tokens")
    };
    let narrow = bearer_client(
        &sim,
        Arc::new(worksection::auth::StaticToken::new(tokens.access_token)),
    );
    let e = narrow
        .get_costs(GetCosts::new())
        .await
        .expect_err("missing scope");
    assert!(
        matches!(&e, Error::Auth { problem: AuthProblem::MissingScope(s), .. } if s == "costs_read"),
        "{e}"
    );

    let nowhere = Client::builder()
        .account_url("http://127.0.0.1:9")
        .api_key("k")
        .max_attempts(2)
        .backoff(Duration::from_millis(10))
        .build()
        .expect("client");
    let e = nowhere.get_users().await.expect_err("unreachable");
    assert!(
        matches!(e, Error::Upstream { .. }) && e.is_retryable(),
        "{e}"
    );
    assert!(
        Client::builder()
            .account_url("not a url")
            .api_key("k")
            .build()
            .is_err()
    );
}

#[tokio::test]
async fn retries_ride_out_faults() {
    let sim = unlimited().await;
    let c = admin(&sim);
    for spec in [
        "500*2",
        "429*1",
        "malformed*1",
        "html*1",
        "drop*1",
        "slowbody:200*1",
    ] {
        sim.reset_stats();
        sim.set_faults(spec.parse().expect("spec"));
        c.get_users()
            .await
            .unwrap_or_else(|e| panic!("{spec}: {e}"));
        let stats = sim.stats();
        assert_eq!(
            stats.by_action.get("get_users"),
            Some(&1),
            "{spec}: one served answer"
        );
        assert!(
            stats.total >= 2 || spec.starts_with("slowbody"),
            "{spec}: retried"
        );
    }
    sim.set_faults("500*10".parse().expect("spec"));
    let e = c.get_users().await.expect_err("persistent outage");
    assert!(
        matches!(
            e,
            Error::Upstream {
                status: Some(500),
                ..
            }
        ),
        "{e}"
    );
    sim.set_faults("none".parse().expect("spec"));

    let quick = Client::builder()
        .account_url(&sim.info().account_url)
        .api_key(sim.info().api_key.as_str())
        .timeout(Duration::from_millis(300))
        .max_attempts(2)
        .backoff(Duration::from_millis(10))
        .build()
        .expect("client");
    sim.set_faults("hang*5".parse().expect("spec"));
    let e = quick.get_users().await.expect_err("hangs");
    assert!(
        matches!(&e, Error::Upstream { detail, .. } if detail.contains("timed out")),
        "{e}"
    );
}

#[tokio::test]
async fn retry_after_is_honoured() {
    let sim = unlimited().await;
    let c = admin(&sim);
    sim.set_faults("429*1".parse().expect("spec"));
    let started = Instant::now();
    c.get_users().await.expect("after waiting");
    // The simulator asks for one second; a lower bound only (no machine-speed ceiling).
    assert!(started.elapsed() >= Duration::from_millis(950));
}

#[tokio::test]
async fn the_limiter_holds_one_request_per_second() {
    let sim = sim(SimConfig::default()).await; // the simulator's own 1 request/s
    let c = Client::builder()
        .account_url(&sim.info().account_url)
        .api_key(sim.info().api_key.as_str())
        .build()
        .expect("client at the default rate");
    let started = Instant::now();
    let calls = (0..5).map(|_| c.get_user_groups());
    for r in futures_util::future::join_all(calls).await {
        r.expect("answers");
    }
    let stats = sim.stats();
    assert_eq!(stats.total, 5);
    assert_eq!(stats.throttled, 0, "never over Worksection's limit");
    assert!(
        started.elapsed() >= Duration::from_secs(4),
        "five calls are spaced a second apart"
    );
}

#[tokio::test]
async fn downloads_stream_within_the_limit() {
    let sim = unlimited().await;
    let c = admin(&sim);
    let file = sim
        .dataset()
        .files
        .iter()
        .find(|f| f.name.ends_with(".png"))
        .expect("a png");
    let bytes = c.download_bytes(file.id, 10 << 20).await.expect("download");
    assert_eq!(&bytes[..], &file.bytes[..]);
    let e = c
        .download_bytes(file.id, 100)
        .await
        .expect_err("over the limit");
    assert!(matches!(e, Error::TooLarge { limit: 100 }), "{e}");
    let e = c
        .download_bytes(1, 1 << 20)
        .await
        .expect_err("unknown file");
    assert!(matches!(e, Error::NotFound { .. }), "{e}");
    let json = sim
        .dataset()
        .files
        .iter()
        .find(|f| f.name.ends_with(".json"))
        .expect("a json file");
    assert_eq!(
        &c.download_bytes(json.id, 1 << 20).await.expect("json file")[..],
        &json.bytes[..]
    );

    let task = sim
        .dataset()
        .files
        .iter()
        .find_map(|f| match f.attached_to {
            Attachment::Task(t) => Some(t),
            _ => None,
        });
    let listed = c
        .get_files(GetFiles::Task(task.expect("task with files")))
        .await
        .expect("files");
    assert!(listed.iter().all(|f| f.size.is_some()));
}

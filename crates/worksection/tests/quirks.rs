//! The client reads the odd forms real accounts answer in exactly as it
//! reads the tidy ones: every read action against a simulator with
//! `--quirks` gives the same typed answer as against a plain simulator of
//! the same seed and clock, with no record left undecoded. The only
//! differences are the ones a form carries by itself, and each is checked
//! for what it keeps: a tag group given by name keeps its name, an event
//! page of the `/task/{t}/` form keeps its task.

use std::time::Duration;

use chrono::NaiveDateTime;
use md5::{Digest, Md5};
use serde::Serialize;
use serde_json::Value;
use worksection::api::comments::GetComments;
use worksection::api::costs::{CostsTotalExtra, GetCosts, GetCostsTotal};
use worksection::api::events::{GetEvents, Period};
use worksection::api::files::GetFiles;
use worksection::api::projects::{GetProject, GetProjects, ProjectExtra};
use worksection::api::tags::TagQuery;
use worksection::api::tasks::{GetAllTasks, GetTask, GetTasks, SearchTasks, TaskExtra};
use worksection::models::{Event, Record, Tag};
use worksection::{Client, Error};
use worksection_sim::{SimConfig, Simulator};

async fn sim(quirks: bool, seed: u64) -> Simulator {
    let now =
        NaiveDateTime::parse_from_str("2026-11-24T10:30:00", "%Y-%m-%dT%H:%M:%S").expect("time");
    Simulator::start(SimConfig {
        now: Some(now),
        rps: 0.0,
        seed,
        quirks,
        ..SimConfig::default()
    })
    .await
    .expect("simulator starts")
}

fn admin(sim: &Simulator) -> Client {
    Client::builder()
        .account_url(&sim.info().account_url)
        .api_key(sim.info().api_key.as_str())
        .requests_per_second(1000.0)
        .backoff(Duration::from_millis(10))
        .build()
        .expect("client")
}

fn json(v: &impl Serialize) -> Value {
    serde_json::to_value(v).expect("serialises")
}

/// Every `undecoded` block anywhere in `v`.
fn undecoded(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            if let Some(u) = m.get("undecoded") {
                out.push(u.to_string());
            }
            m.values().for_each(|x| undecoded(x, out));
        }
        Value::Array(a) => a.iter().for_each(|x| undecoded(x, out)),
        _ => {}
    }
}

/// `v` with the simulator's own address (in avatars) written as one name,
/// since the two simulators listen on different ports.
fn placed(v: Value, sim: &Simulator) -> Value {
    let text = v.to_string().replace(&sim.info().account_url, "{account}");
    serde_json::from_str(&text).expect("still JSON")
}

/// The same answer from both simulators, and nothing undecoded.
fn same<T: Serialize>(
    sims: (&Simulator, &Simulator),
    what: &str,
    plain: Result<T, Error>,
    odd: Result<T, Error>,
) {
    let (plain, odd) = (
        placed(json(&plain.expect(what)), sims.0),
        placed(
            json(&odd.unwrap_or_else(|e| panic!("{what} with quirks: {e}"))),
            sims.1,
        ),
    );
    let mut bad = Vec::new();
    undecoded(&odd, &mut bad);
    assert!(bad.is_empty(), "{what}: undecoded records {bad:?}");
    if let Some(at) = first_difference(&plain, &odd, String::new()) {
        panic!("{what}: the answers differ at {at}");
    }
}

/// Where `a` and `b` first differ, as a path with both values.
fn first_difference(a: &Value, b: &Value, at: String) -> Option<String> {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            for k in x.keys().chain(y.keys()) {
                let (u, v) = (
                    x.get(k).unwrap_or(&Value::Null),
                    y.get(k).unwrap_or(&Value::Null),
                );
                if let Some(d) = first_difference(u, v, format!("{at}.{k}")) {
                    return Some(d);
                }
            }
            None
        }
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => x
            .iter()
            .zip(y)
            .enumerate()
            .find_map(|(i, (u, v))| first_difference(u, v, format!("{at}[{i}]"))),
        _ if a == b => None,
        _ => Some(format!("{at}: {a} without quirks, {b} with")),
    }
}

fn tags_by_name(tags: Vec<Tag>) -> Value {
    json(
        &tags
            .into_iter()
            .map(|mut t| {
                let group = t.group.take().map(|g| g.title);
                (t.id, t.title, group)
            })
            .collect::<Vec<_>>(),
    )
}

fn event_facts(events: &[Event]) -> Value {
    json(
        &events
            .iter()
            .map(|e| {
                let place = e.object.place();
                (
                    &e.action,
                    &e.object.kind,
                    &e.object.id,
                    place.and_then(|p| p.task()),
                    &e.date_added,
                    &e.user_from,
                    &e.new,
                    &e.old,
                )
            })
            .collect::<Vec<_>>(),
    )
}

#[tokio::test]
async fn every_read_action_reads_the_same_with_quirks() {
    // Several seeds, so each form turns up on some record.
    for seed in [42, 7, 2026] {
        let (p, q) = (sim(false, seed).await, sim(true, seed).await);
        let (a, b) = (admin(&p), admin(&q));
        let sims = (&p, &q);

        same(sims, "get_users", a.get_users().await, b.get_users().await);
        same(
            sims,
            "get_user_groups",
            a.get_user_groups().await,
            b.get_user_groups().await,
        );
        same(
            sims,
            "get_contacts",
            a.get_contacts().await,
            b.get_contacts().await,
        );
        same(
            sims,
            "get_contact_groups",
            a.get_contact_groups().await,
            b.get_contact_groups().await,
        );
        same(
            sims,
            "get_project_groups",
            a.get_project_groups().await,
            b.get_project_groups().await,
        );
        let all = [
            ProjectExtra::Text,
            ProjectExtra::Options,
            ProjectExtra::Users,
        ];
        let projects = a
            .get_projects(GetProjects::new().extra(all))
            .await
            .expect("projects");
        same(
            sims,
            "get_projects",
            Ok(projects.clone()),
            b.get_projects(GetProjects::new().extra(all)).await,
        );
        let extras = [
            TaskExtra::Text,
            TaskExtra::Files,
            TaskExtra::Comments,
            TaskExtra::Relations,
            TaskExtra::Subtasks,
            TaskExtra::Subscribers,
        ];
        same(
            sims,
            "get_all_tasks",
            a.get_all_tasks(GetAllTasks::new().extra(extras)).await,
            b.get_all_tasks(GetAllTasks::new().extra(extras)).await,
        );
        for project in &projects {
            let id = project.id.as_u64().expect("numeric id");
            same(
                sims,
                "get_project",
                a.get_project(GetProject::new(id).extra(all)).await,
                b.get_project(GetProject::new(id).extra(all)).await,
            );
            let tasks = a
                .get_tasks(GetTasks::new(id).extra(extras))
                .await
                .expect("tasks");
            same(
                sims,
                "get_tasks",
                Ok(tasks.clone()),
                b.get_tasks(GetTasks::new(id).extra(extras)).await,
            );
            same(
                sims,
                "get_files of a project",
                a.get_files(GetFiles::Project(id)).await,
                b.get_files(GetFiles::Project(id)).await,
            );
            same(
                sims,
                "search_tasks",
                a.search_tasks(SearchTasks::new().project(id)).await,
                b.search_tasks(SearchTasks::new().project(id)).await,
            );
            for task in tasks.iter().take(3) {
                let t = task.id.as_u64().expect("numeric id");
                same(
                    sims,
                    "get_task",
                    a.get_task(GetTask::new(t).extra(extras)).await,
                    b.get_task(GetTask::new(t).extra(extras)).await,
                );
                same(
                    sims,
                    "get_comments",
                    a.get_comments(GetComments::new(t).with_files()).await,
                    b.get_comments(GetComments::new(t).with_files()).await,
                );
            }
        }
        same(
            sims,
            "get_costs",
            a.get_costs(GetCosts::new()).await,
            b.get_costs(GetCosts::new()).await,
        );
        same(
            sims,
            "get_costs_total",
            a.get_costs_total(GetCosts::new()).await,
            b.get_costs_total(GetCosts::new()).await,
        );
        // Projects and their tasks: keyed collections, in either form.
        let by = [CostsTotalExtra::Projects, CostsTotalExtra::Tasks];
        same(
            sims,
            "get_costs_total by project and task",
            a.send(&GetCostsTotal::new(GetCosts::new()).extra(by)).await,
            b.send(&GetCostsTotal::new(GetCosts::new()).extra(by)).await,
        );
        for project in &projects {
            let one = || {
                let id = project.id.as_u64().expect("numeric id");
                GetCostsTotal::new(GetCosts::new().project(id)).extra(by)
            };
            same(
                sims,
                "get_costs_total of a project",
                a.send(&one()).await,
                b.send(&one()).await,
            );
        }
        same(
            sims,
            "get_task_tag_groups",
            a.get_task_tag_groups(TagQuery::new()).await,
            b.get_task_tag_groups(TagQuery::new()).await,
        );
        same(
            sims,
            "get_project_tag_groups",
            a.get_project_tag_groups(TagQuery::new()).await,
            b.get_project_tag_groups(TagQuery::new()).await,
        );
        same(
            sims,
            "get_webhooks",
            a.get_webhooks().await,
            b.get_webhooks().await,
        );

        // A tag group given by its name alone keeps the name.
        for (what, plain, odd) in [
            (
                "get_task_tags",
                a.get_task_tags(TagQuery::new()).await,
                b.get_task_tags(TagQuery::new()).await,
            ),
            (
                "get_project_tags",
                a.get_project_tags(TagQuery::new()).await,
                b.get_project_tags(TagQuery::new()).await,
            ),
        ] {
            let (plain, odd) = (plain.expect(what), odd.expect(what));
            assert!(odd.iter().all(|t| t.undecoded().is_none()), "{what}");
            assert_eq!(tags_by_name(plain), tags_by_name(odd), "{what}");
        }

        // An event page of the `/task/{t}/` form keeps its task.
        let period = Period::days(30).expect("period");
        let plain = a.get_events(GetEvents::new(period)).await.expect("events");
        let odd = b.get_events(GetEvents::new(period)).await.expect("events");
        assert!(odd.iter().all(|e| e.undecoded().is_none()));
        assert_eq!(event_facts(&plain), event_facts(&odd), "get_events");

        p.shutdown().await;
        q.shutdown().await;
    }
}

#[tokio::test]
async fn the_quirky_forms_really_come() {
    // Over every project's tasks and the events, each form shows at least
    // once: otherwise the test above proves nothing about it.
    let q = sim(true, 42).await;
    let http = reqwest::Client::new();
    let info = q.info();
    let call = |action: &str, extra: &str| {
        let query = format!("action={action}{extra}");
        let hash = hex::encode(Md5::digest(format!("{query}{}", info.api_key.as_str())));
        let url = format!("{}/api/admin/v2?{query}&hash={hash}", info.account_url);
        let http = http.clone();
        async move {
            http.post(url)
                .send()
                .await
                .expect("answers")
                .json::<Value>()
                .await
                .expect("json")
        }
    };
    let mut seen = String::new();
    seen.push_str(
        &call("get_all_tasks", "&extra=text,files,comments,subtasks")
            .await
            .to_string(),
    );
    seen.push_str(&call("get_events", "&period=30d").await.to_string());
    seen.push_str(&call("get_task_tags", "").await.to_string());
    seen.push_str(&call("get_costs", "").await.to_string());
    let projects = call("get_projects", "&extra=users").await;
    seen.push_str(&projects.to_string());
    let ids = projects["data"].as_array().expect("projects").iter();
    for id in ids.map(|p| p["id"].to_string().replace('"', "")) {
        let extra = format!("&extra=projects,tasks&id_project={id}");
        seen.push_str(&call("get_costs_total", &extra).await.to_string());
    }
    for form in [
        "\"id\":3",          // an id as a number
        "\"page\":\"/task/", // an event page without its project
        "\"group\":\"",      // a tag group by name
        ":null",             // null for an empty string
        "\"tags\":[]",       // PHP's empty array
        "\"tags\":[{",       // tags as a list of records
        "\"users\":{\"",     // members keyed by id
        "\"projects\":{\"",  // projects keyed by id
        "\"tasks\":{\"",     // tasks keyed by id
    ] {
        assert!(seen.contains(form), "no {form} in the quirky answers");
    }
    let mut one_as_list = false;
    for id in 330090..330110 {
        let body = call("get_task", &format!("&id_task={id}")).await;
        one_as_list |= body["data"].is_array();
    }
    assert!(one_as_list, "get_task never answered a one-element list");
    q.shutdown().await;
}

/// A record with a field of the wrong type deep inside (the simulator's
/// `shape:` fault) is kept with the field's whole path, and the client
/// keeps that problem for the request that answered it, and for no other.
#[tokio::test]
async fn a_bad_field_is_kept_with_its_path_for_its_request() {
    let now =
        NaiveDateTime::parse_from_str("2026-11-24T10:30:00", "%Y-%m-%dT%H:%M:%S").expect("time");
    let s = Simulator::start(SimConfig {
        now: Some(now),
        rps: 0.0,
        faults: "shape:get_tasks:user_to.id".parse().expect("fault spec"),
        ..SimConfig::default()
    })
    .await
    .expect("simulator starts");
    let c = admin(&s);
    let projects = GetProjects::new();
    let project = c.send(&projects).await.expect("projects")[0]
        .id
        .as_u64()
        .expect("id");
    let tasks = GetTasks::new(project);
    let answer = c.send(&tasks).await.expect("the list is not failed");
    let problem = "Task.user_to.id: expected an id (a string or a number), got a list";
    let kept = answer[0].undecoded().expect("the odd record is kept");
    assert_eq!(
        kept.problems,
        vec!["user_to.id: expected an id (a string or a number), got a list"]
    );
    assert!(answer[1..].iter().all(|t| t.undecoded().is_none()));
    let key = worksection::request_key(&tasks).expect("key");
    assert_eq!(c.decode_problems(&key), vec![problem]);
    let key = worksection::request_key(&projects).expect("key");
    assert!(c.decode_problems(&key).is_empty());
    s.shutdown().await;
}

//! The simulator answers with the fields Worksection's own sources say each
//! action returns, plainly and under `--quirks` alike: the API pages'
//! "Returned data" lists on worksection.com and the official SDKs' models
//! (`worksection/python-api-client` and `worksection/php-api-client`
//! 2.1.x). Each expected field list is re-typed here as a fact, with its
//! source named; no source code is copied.

mod common;

use common::{admin, start};
use serde_json::Value;
use worksection_sim::{SimConfig, Simulator};

async fn sim(quirks: bool) -> Simulator {
    start(SimConfig {
        rps: 0.0,
        quirks,
        ..SimConfig::default()
    })
    .await
}

/// The records of an answer: `data` as a list, a one-element list for one
/// object, or none when `data` is left out (a form `--quirks` uses).
fn records(body: &Value) -> Vec<&Value> {
    assert_eq!(body["status"], "ok", "{body}");
    match body.get("data") {
        None => Vec::new(),
        Some(Value::Array(a)) => a.iter().collect(),
        Some(one) => vec![one],
    }
}

fn has_fields(action: &str, record: &Value, fields: &[&str]) {
    for f in fields {
        assert!(record.get(*f).is_some(), "{action}: no `{f}` in {record}");
    }
}

/// Every check, against one simulator.
async fn check(s: &Simulator) {
    // API page "Tasks", get_all_tasks "Returned data" (and python-api-client
    // `models/task.py`): id, name, page, status, priority, user_from,
    // user_to, project, date_added.
    let tasks = admin(s, &[("action", "get_all_tasks")]).await;
    let tasks = records(&tasks);
    assert!(!tasks.is_empty());
    for t in &tasks {
        has_fields(
            "get_all_tasks",
            t,
            &[
                "id",
                "name",
                "page",
                "status",
                "priority",
                "user_from",
                "user_to",
                "project",
                "date_added",
            ],
        );
        has_fields(
            "get_all_tasks project",
            &t["project"],
            &["id", "name", "page"],
        );
    }
    // API page "Projects", get_projects: id, name, status, company,
    // user_from, user_to, date_added; `options` with extra=options.
    let projects = admin(s, &[("action", "get_projects"), ("extra", "options")]).await;
    for p in records(&projects) {
        has_fields(
            "get_projects",
            p,
            &[
                "id",
                "name",
                "status",
                "company",
                "user_from",
                "user_to",
                "date_added",
                "options",
            ],
        );
    }
    // API page "Costs", get_costs: id, comment, time, money, date, is_timer,
    // user_from, task, and `total` beside `data`.
    let costs = admin(s, &[("action", "get_costs")]).await;
    for c in records(&costs) {
        has_fields(
            "get_costs",
            c,
            &[
                "id",
                "comment",
                "time",
                "money",
                "date",
                "is_timer",
                "user_from",
                "task",
            ],
        );
    }
    has_fields("get_costs total", &costs["total"], &["time", "money"]);
    // php-api-client `src/Resources/CostsResource.php` (`total`): the totals
    // at the top level, no `data`.
    let total = admin(s, &[("action", "get_costs_total")]).await;
    assert!(total.get("data").is_none());
    has_fields("get_costs_total", &total["total"], &["time", "money"]);
    // API page "Tags", get_task_tag_groups: id, title, type, access.
    let groups = admin(s, &[("action", "get_task_tag_groups")]).await;
    for g in records(&groups) {
        has_fields("get_task_tag_groups", g, &["id", "title", "type", "access"]);
    }
    // API page "Tags", get_task_tags: id, title, group (a block, or the
    // group's name as python-api-client `models/tag.py` has it).
    let tags = admin(s, &[("action", "get_task_tags")]).await;
    for t in records(&tags) {
        has_fields("get_task_tags", t, &["id", "title", "group"]);
        assert!(t["group"].is_object() || t["group"].is_string(), "{t}");
    }
    // python-api-client `models/event.py` and `event_object.py`: action,
    // date_added, object {id, type, page}, user_from.
    let events = admin(s, &[("action", "get_events"), ("period", "30d")]).await;
    let events = records(&events);
    assert!(!events.is_empty());
    for e in events {
        has_fields(
            "get_events",
            e,
            &["action", "date_added", "object", "user_from"],
        );
        has_fields("get_events object", &e["object"], &["id", "type", "page"]);
        let page = e["object"]["page"].as_str().unwrap_or_default();
        assert!(
            page.is_empty() || page.starts_with("/project/") || page.starts_with("/task/"),
            "{page}"
        );
    }
    // python-api-client `models/user.py`: id, first_name, last_name, name,
    // title, rate, avatar, group, department, role, email.
    let users = admin(s, &[("action", "get_users")]).await;
    for u in records(&users) {
        has_fields(
            "get_users",
            u,
            &[
                "id",
                "first_name",
                "last_name",
                "name",
                "title",
                "rate",
                "avatar",
                "group",
                "department",
                "role",
                "email",
            ],
        );
    }
}

#[tokio::test]
async fn plain_answers_have_the_documented_fields() {
    let s = sim(false).await;
    check(&s).await;
    s.shutdown().await;
}

#[tokio::test]
async fn quirky_answers_have_the_documented_fields() {
    let s = sim(true).await;
    check(&s).await;
    s.shutdown().await;
}

#[tokio::test]
async fn quirks_off_answers_plainly() {
    let (plain, odd) = (sim(false).await, sim(true).await);
    for action in [
        "get_all_tasks",
        "get_projects",
        "get_task_tags",
        "get_costs",
    ] {
        let want = admin(&plain, &[("action", action)]).await;
        let got = admin(&odd, &[("action", action), ("quirks", "off")]).await;
        assert_eq!(want, got, "{action}");
        let quirky = admin(&odd, &[("action", action)]).await;
        assert_ne!(want, quirky, "{action}: --quirks changed nothing");
    }
    plain.shutdown().await;
    odd.shutdown().await;
}

/// `get_projects`' `filter`: the collection writes `archive`, the API page
/// "Projects" and python-api-client `resources/projects_resource.py`
/// (docstring) `archived`. Both select the archived projects.
#[tokio::test]
async fn project_filter_takes_both_spellings() {
    let s = sim(false).await;
    let archive = admin(&s, &[("action", "get_projects"), ("filter", "archive")]).await;
    let archived = admin(&s, &[("action", "get_projects"), ("filter", "archived")]).await;
    assert_eq!(archive, archived);
    let projects = records(&archive);
    assert!(
        !projects.is_empty(),
        "the demo account has archived projects"
    );
    assert!(projects.iter().all(|p| p["status"] == "archive"));
    s.shutdown().await;
}

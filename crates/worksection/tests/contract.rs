//! Every example answer in Worksection's own API collections decodes with
//! the client's types, through the client's one decode path.
//!
//! The collections live in `shared/worksection-api/` beside the checkout.
//! Some example bodies are not strict JSON (trailing commas such as
//! `},\n    ]`), so they are read with a JSON5 parser and re-serialised
//! before decoding; that leniency is the test's, not the client's.

use bytes::Bytes;
use serde::de::DeserializeOwned;
use serde_json::Value;
use worksection::models::{
    Comment, Contact, ContactGroup, Event, FileRef, Project, ProjectGroup, Tag, TagGroup, Task,
    Timer, User, UserGroup, Webhook,
};
use worksection::{Error, decode};

const SHARED: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../../shared/worksection-api/"
);

struct Example {
    action: String,
    name: String,
    body: String,
}

fn examples(file: &str) -> Vec<Example> {
    let text = std::fs::read_to_string(format!("{SHARED}{file}"))
        .expect("the shared API collection is beside the checkout");
    let collection: Value = serde_json::from_str(&text).expect("collection JSON");
    let mut out = Vec::new();
    let mut stack: Vec<&Value> = vec![&collection];
    while let Some(node) = stack.pop() {
        for item in node["item"].as_array().into_iter().flatten() {
            if item.get("item").is_some() {
                stack.push(item);
                continue;
            }
            for resp in item["response"].as_array().into_iter().flatten() {
                out.push(Example {
                    action: item["name"].as_str().unwrap_or_default().to_owned(),
                    name: resp["name"].as_str().unwrap_or_default().to_owned(),
                    body: resp["body"].as_str().unwrap_or_default().to_owned(),
                });
            }
        }
    }
    out
}

fn strict(body: &str) -> Bytes {
    let v: Value = json5::from_str(body).expect("example parses as JSON5");
    Bytes::from(serde_json::to_vec(&v).expect("re-serialises"))
}

fn check<T: DeserializeOwned + std::fmt::Debug>(ex: &Example) -> Result<(), String> {
    let body = strict(&ex.body);
    match decode::<T>(&body) {
        Ok(env) => {
            let raw: Value = serde_json::from_slice(&body).map_err(|e| e.to_string())?;
            if raw.get("data").is_some_and(|d| !d.is_null()) && env.data.is_none() {
                return Err("data was dropped".into());
            }
            Ok(())
        }
        Err(e @ (Error::NotFound { .. } | Error::InvalidRequest { .. } | Error::Api { .. }))
            if ex.name != "success" =>
        {
            let said = e.api_message().ok_or("no message kept")?;
            let raw: Value = serde_json::from_slice(&body).map_err(|e| e.to_string())?;
            if raw["message"].as_str() != Some(said.message.as_str())
                || raw["status_code"].as_i64() != said.status_code
            {
                return Err(format!("message or status_code not kept: {said:?}"));
            }
            Ok(())
        }
        Err(e) => Err(e.to_string()),
    }
}

#[test]
fn every_read_example_decodes() {
    let mut checked = 0;
    let mut problems = Vec::new();
    for ex in examples("ws_client_api_postman_collection.json") {
        let result = match ex.action.as_str() {
            "me" => check::<User>(&ex),
            "get_users" => check::<Vec<User>>(&ex),
            "get_user_groups" => check::<Vec<UserGroup>>(&ex),
            "get_contacts" => check::<Vec<Contact>>(&ex),
            "get_contact_groups" => check::<Vec<ContactGroup>>(&ex),
            "get_projects" => check::<Vec<Project>>(&ex),
            "get_project" => check::<Project>(&ex),
            "get_project_groups" => check::<Vec<ProjectGroup>>(&ex),
            "get_events" => check::<Vec<Event>>(&ex),
            "get_all_tasks" | "get_tasks" | "search_tasks" => check::<Vec<Task>>(&ex),
            "get_task" => check::<Task>(&ex),
            "get_comments" => check::<Vec<Comment>>(&ex),
            "get_task_tags" | "get_project_tags" => check::<Vec<Tag>>(&ex),
            "get_task_tag_groups" | "get_project_tag_groups" => check::<Vec<TagGroup>>(&ex),
            "get_costs" | "get_costs_total" => check::<Vec<worksection::models::Cost>>(&ex),
            "get_timers" => check::<Vec<Timer>>(&ex),
            "get_my_timer" => check::<worksection::models::MyTimer>(&ex),
            "get_files" => check::<Vec<FileRef>>(&ex),
            "get_webhooks" => check::<Vec<Webhook>>(&ex),
            "download" if ex.name == "success" => continue, // the raw file
            "download" => check::<Value>(&ex),
            _ => continue, // write actions: not part of a read-only client
        };
        checked += 1;
        if let Err(e) = result {
            problems.push(format!("{} ({}): {e}", ex.action, ex.name));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    assert!(checked >= 30, "only {checked} examples checked");
}

#[test]
fn example_values_come_through_typed() {
    let all = examples("ws_client_api_postman_collection.json");
    let find = |action: &str| {
        all.iter()
            .find(|e| e.action == action && e.name == "success")
            .expect("example")
    };

    let costs =
        decode::<Vec<worksection::models::Cost>>(&strict(&find("get_costs").body)).expect("costs");
    let lines = costs.data.expect("lines");
    assert_eq!(lines[0].time.map(|m| m.0), Some(6 * 60 + 50));
    assert_eq!(lines[0].money.map(|m| m.cents), Some(7517));
    assert_eq!(lines[0].is_timer, Some(true));
    let total = costs.total.expect("total");
    assert_eq!(total.time.map(|m| m.to_string()).as_deref(), Some("10:12"));
    // The example's lines add up to its total, exactly.
    let sum: worksection::models::Money = lines.iter().filter_map(|c| c.money).sum();
    assert_eq!(Some(sum), total.money);

    let total = decode::<Value>(&strict(&find("get_costs_total").body))
        .expect("total")
        .total
        .expect("total");
    assert_eq!(total.time.map(|m| m.0), Some(103 * 60 + 39));

    let task = decode::<Task>(&strict(&find("get_task").body))
        .expect("task")
        .data
        .expect("data");
    assert_eq!(task.priority, Some(7));
    assert_eq!(task.end(), chrono::NaiveDate::from_ymd_opt(2021, 2, 16));
    assert_eq!(
        task.flatten().len(),
        3,
        "the task and its two levels of subtasks"
    );
    assert_eq!(
        task.relations
            .as_ref()
            .and_then(|r| r.to.as_ref())
            .map(Vec::len),
        Some(1)
    );

    let search = decode::<Vec<Task>>(&strict(&find("search_tasks").body))
        .expect("search")
        .data
        .expect("data");
    let pseudo: Vec<_> = search
        .iter()
        .filter_map(|t| t.user_to.as_ref()?.pseudo())
        .collect();
    assert_eq!(pseudo.len(), 2, "ANY and NOONE are recognised");

    let tags = decode::<Vec<Tag>>(&strict(&find("get_task_tags").body))
        .expect("tags")
        .data
        .expect("data");
    assert_eq!(tags[0].id.as_str(), "72565", "numeric ids are accepted");
    let groups = decode::<Vec<ContactGroup>>(&strict(&find("get_contact_groups").body))
        .expect("groups")
        .data
        .expect("data");
    assert_eq!(groups[0].id.as_str(), "1");
    assert_eq!(groups[4].id.as_str(), "4178");

    let projects = decode::<Vec<Project>>(&strict(&find("get_projects").body))
        .expect("projects")
        .data
        .expect("data");
    assert_eq!(
        projects[0]
            .tags
            .as_ref()
            .and_then(|t| t.get("105554"))
            .map(String::as_str),
        Some("inner")
    );
    assert_eq!(
        projects[1].user_to.as_ref().and_then(|u| u.pseudo()),
        Some(worksection::models::PseudoUser::Nobody)
    );
    assert!(projects[0].options.is_some() && projects[1].max_time.is_none());

    let users = decode::<Vec<User>>(&strict(&find("get_users").body))
        .expect("users")
        .data
        .expect("data");
    assert!(
        users[0].extra.contains_key("phone2"),
        "unknown fields are kept"
    );
}

#[test]
fn oauth_examples_parse() {
    use worksection::auth::ResourceOwner;
    let all = examples("ws_oauth2_postman_collection.json");
    assert!(all.len() >= 7);
    for ex in &all {
        let v: Value = json5::from_str(&ex.body).expect("JSON");
        if ex.name == "success" && ex.action == "oauth2_resource" {
            let owner: ResourceOwner = serde_json::from_value(v).expect("resource owner");
            assert_eq!(owner.account_url, "https://acc1234.worksection.com");
        } else if ex.name == "success" {
            assert!(
                v["access_token"].is_string() && v["refresh_token"].is_string(),
                "{}",
                ex.action
            );
            assert_eq!(v["expires_in"], 86400);
        } else {
            // Worksection's HTTP-200 errors: `error` and camelCase `errorDescription`.
            assert!(
                v["error"].is_string() && v["errorDescription"].is_string(),
                "{}: {v}",
                ex.action
            );
        }
    }
}

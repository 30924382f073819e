//! Who signs in, and what they see: the consent page asks which member
//! signs in (`login_hint` preselects), and a person signed in through
//! OAuth2 sees only their projects with everything in them, while the
//! admin key sees the whole account. Swept over every active member of the
//! demo account; expectations come from the admin API's answers (each
//! project's team), not from the simulator's code.

mod common;

use std::collections::{BTreeSet, HashMap};

use common::{READ_SCOPES, admin, bearer, http, oauth_post, pair};
use serde_json::Value;
use worksection_sim::Simulator;

/// Signs in as `email` (or, with `None`, as whoever the page defaults to);
/// the access token.
async fn sign_in_as(sim: &Simulator, email: Option<&str>) -> String {
    let info = sim.info();
    let mut form = vec![
        ("client_id", info.client_id.as_str()),
        ("redirect_uri", info.redirect_uri.as_str()),
        ("state", "st4te"),
        ("scope", READ_SCOPES),
        ("response_type", "code"),
        ("decision", "allow"),
    ];
    if let Some(e) = email {
        form.push(("email", e));
    }
    let resp = http()
        .post(format!("{}/oauth2/authorize", info.oauth_url))
        .form(&form)
        .send()
        .await
        .expect("authorize answers");
    assert_eq!(resp.status(), 302, "{email:?}");
    let location = resp.headers()["location"]
        .to_str()
        .expect("ascii")
        .to_owned();
    let pairs: Vec<(String, String)> = url::Url::parse(&location)
        .expect("url")
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    let code = pair(&pairs, "code").expect("a code").to_owned();
    let tokens = oauth_post(
        sim,
        "token",
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", &info.redirect_uri),
        ],
    )
    .await;
    tokens["access_token"].as_str().expect("token").to_owned()
}

fn data(v: &Value) -> &Vec<Value> {
    assert_eq!(v["status"], "ok", "{v}");
    v["data"].as_array().expect("a list")
}

fn ids(list: &[Value]) -> BTreeSet<String> {
    list.iter()
        .map(|x| x["id"].as_str().expect("string id").to_owned())
        .collect()
}

/// The account as the admin key sees it: members, and each project's
/// team and tasks (subtasks included).
struct Whole {
    users: Vec<Value>,
    teams: HashMap<String, BTreeSet<String>>,
    tasks: HashMap<String, Vec<String>>,
    /// A task id of each project that has tasks.
    files: HashMap<String, String>,
}

async fn whole(sim: &Simulator) -> Whole {
    let users = data(&admin(sim, &[("action", "get_users")]).await).clone();
    let projects =
        data(&admin(sim, &[("action", "get_projects"), ("extra", "users")]).await).clone();
    let mut teams = HashMap::new();
    let mut tasks = HashMap::new();
    let mut files = HashMap::new();
    for p in &projects {
        let id = p["id"].as_str().expect("id").to_owned();
        teams.insert(id.clone(), ids(p["users"].as_array().expect("team")));
        let listed = admin(
            sim,
            &[
                ("action", "get_tasks"),
                ("id_project", &id),
                ("extra", "subtasks"),
            ],
        )
        .await;
        let mut all = Vec::new();
        let mut stack: Vec<Value> = data(&listed).clone();
        while let Some(t) = stack.pop() {
            all.push(t["id"].as_str().expect("id").to_owned());
            if let Some(children) = t["child"].as_array() {
                stack.extend(children.iter().cloned());
            }
        }
        tasks.insert(id.clone(), all);
        let project_files = admin(sim, &[("action", "get_files"), ("id_project", &id)]).await;
        if let Some(f) = data(&project_files).first() {
            files.insert(id, f["id"].as_str().expect("id").to_owned());
        }
    }
    Whole {
        users,
        teams,
        tasks,
        files,
    }
}

#[tokio::test]
async fn every_member_sees_their_own_projects_and_nothing_else() {
    let sim = common::start_unlimited().await;
    let account = whole(&sim).await;
    let all_projects: BTreeSet<String> = account.teams.keys().cloned().collect();
    let mut partial = 0;
    for user in &account.users {
        let email = user["email"].as_str().expect("email");
        let id = user["id"].as_str().expect("id");
        let token = sign_in_as(&sim, Some(email)).await;
        let me = bearer(&sim, &token, &[("action", "me")]).await;
        assert_eq!(me["data"]["id"], id, "{email} signs in as themselves");

        let admin_role = matches!(user["role"].as_str(), Some("Owner" | "Account admin"));
        let expected: BTreeSet<String> = if admin_role {
            all_projects.clone()
        } else {
            account
                .teams
                .iter()
                .filter(|(_, team)| team.contains(id))
                .map(|(p, _)| p.clone())
                .collect()
        };
        if expected.len() < all_projects.len() {
            partial += 1;
        }
        let seen = ids(data(
            &bearer(&sim, &token, &[("action", "get_projects")]).await,
        ));
        assert_eq!(seen, expected, "{email}'s projects");

        let tasks = bearer(
            &sim,
            &token,
            &[("action", "get_all_tasks"), ("extra", "archive")],
        )
        .await;
        for t in data(&tasks) {
            let project = t["project"]["id"].as_str().expect("project id");
            assert!(
                expected.contains(project),
                "{email} sees a task of {project}"
            );
        }
        let costs = bearer(&sim, &token, &[("action", "get_costs")]).await;
        let visible_tasks: BTreeSet<&String> = expected
            .iter()
            .flat_map(|p| account.tasks[p].iter())
            .collect();
        for line in data(&costs) {
            let task = line["task"]["id"].as_str().expect("task id").to_owned();
            assert!(
                visible_tasks.contains(&task),
                "{email} sees a cost of task {task}"
            );
        }

        for (project, tasks) in &account.tasks {
            let shown = expected.contains(project);
            let answer = bearer(
                &sim,
                &token,
                &[("action", "get_project"), ("id_project", project)],
            )
            .await;
            assert_eq!(
                answer["status"] == "ok",
                shown,
                "{email}: project {project}: {answer}"
            );
            if let Some(task) = tasks.first() {
                for action in ["get_task", "get_comments", "get_files"] {
                    let answer =
                        bearer(&sim, &token, &[("action", action), ("id_task", task)]).await;
                    assert_eq!(
                        answer["status"] == "ok",
                        shown,
                        "{email}: {action} {task}: {answer}"
                    );
                }
            }
            if let Some(file) = account.files.get(project) {
                let resp =
                    common::bearer_raw(&sim, &token, &[("action", "download"), ("id_file", file)])
                        .await;
                let is_file = resp.headers().contains_key("content-disposition");
                assert_eq!(is_file, shown, "{email}: file {file} of {project}");
            }
        }
    }
    assert!(
        partial >= 3,
        "the demo has people who see only part of the account"
    );
}

#[tokio::test]
async fn the_admin_key_sees_everything_and_the_default_sign_in_is_the_owner() {
    let sim = common::start_unlimited().await;
    let account = whole(&sim).await;
    let owner = account
        .users
        .iter()
        .find(|u| u["role"] == "Owner")
        .expect("an owner");
    let token = sign_in_as(&sim, None).await;
    let me = bearer(&sim, &token, &[("action", "me")]).await;
    assert_eq!(
        me["data"]["id"], owner["id"],
        "no choice signs in the owner"
    );
    let seen = ids(data(
        &bearer(&sim, &token, &[("action", "get_projects")]).await,
    ));
    assert_eq!(seen.len(), account.teams.len());
}

#[tokio::test]
async fn login_hint_preselects_and_strangers_are_refused() {
    let sim = common::start_unlimited().await;
    let info = sim.info();
    let users = data(&admin(&sim, &[("action", "get_users")]).await).clone();
    let someone = users
        .iter()
        .find(|u| u["role"] == "User")
        .expect("a plain member");
    let email = someone["email"].as_str().expect("email");
    let page = http()
        .get(format!("{}/oauth2/authorize", info.oauth_url))
        .query(&[
            ("client_id", info.client_id.as_str()),
            ("redirect_uri", info.redirect_uri.as_str()),
            ("state", "s"),
            ("scope", "tasks_read"),
            ("response_type", "code"),
            ("login_hint", &email.to_uppercase()),
        ])
        .send()
        .await
        .expect("page")
        .text()
        .await
        .expect("html");
    for u in &users {
        let e = u["email"].as_str().expect("email");
        assert!(page.contains(&format!("value=\"{e}\"")), "{e} is offered");
    }
    assert!(
        page.contains(&format!("value=\"{email}\" selected")),
        "the hinted member is preselected"
    );
    assert_eq!(page.matches(" selected").count(), 1);

    // The hint alone, posted back, signs that member in.
    let form = [
        ("client_id", info.client_id.as_str()),
        ("redirect_uri", info.redirect_uri.as_str()),
        ("state", "s"),
        ("scope", "tasks_read"),
        ("response_type", "code"),
        ("login_hint", email),
        ("decision", "allow"),
    ];
    let resp = http()
        .post(format!("{}/oauth2/authorize", info.oauth_url))
        .form(&form)
        .send()
        .await
        .expect("answer");
    assert_eq!(resp.status(), 302);

    let stranger = [
        ("client_id", info.client_id.as_str()),
        ("redirect_uri", info.redirect_uri.as_str()),
        ("state", "s"),
        ("scope", "tasks_read"),
        ("response_type", "code"),
        ("email", "nobody@example.com"),
        ("decision", "allow"),
    ];
    let resp = http()
        .post(format!("{}/oauth2/authorize", info.oauth_url))
        .form(&stranger)
        .send()
        .await
        .expect("answer");
    assert_eq!(resp.status(), 400, "no code for someone not in the account");
    assert!(
        resp.text()
            .await
            .expect("html")
            .contains("No active member")
    );
}

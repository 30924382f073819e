//! Every tool against what it declares of Worksection (`Upstream`, beside
//! its registration): a toolset the server's `MCP_TOOLSETS` accepts, its
//! OAuth scopes (possibly none) and its upstream cost.
//!
//! On the simulator (plain and with its `--quirks`), each tool is called
//! with a server signed in through OAuth with exactly the scopes it declares
//! (the simulator refuses an action whose scope was not granted), and again
//! with the admin API key, each call with empty caches: it must answer,
//! make at most the requests it declares, call only the actions it names,
//! and, when it says it is cached, make none when called again.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;
use std::time::Duration;

use rmcp::model::{JsonObject, Tool};
use serde_json::{Value, json};
use worksection::api::files::GetFiles;
use worksection::api::tags::TagQuery;
use worksection::api::tasks::{GetAllTasks, TaskExtra};
use worksection::auth::{Bearer, OAuthApp, Scope, StaticToken};
use worksection::{AuthProblem, Client, SecretString};
use worksection_mcp::{
    Account, Ctx, FileCache, Registry, ResponseCache, ToolError, Toolset, Upstream,
};
use worksection_sim::{SimConfig, Simulator};

#[test]
fn every_tool_declares_a_toolset_scopes_and_a_cost() {
    let registry = Registry::new();
    let mut per_set: BTreeMap<&str, usize> = BTreeMap::new();
    for tool in registry.list() {
        let name = tool.name.as_ref();
        let up = registry
            .upstream(name)
            .expect("every tool declares its upstream");
        let open_world = tool
            .annotations
            .as_ref()
            .and_then(|a| a.open_world_hint)
            .unwrap_or(true);
        match registry.toolset(name) {
            Some(set) => {
                // A toolset the server's option takes by its name.
                assert_eq!(
                    Toolset::parse_list(&[set.name().to_owned()]),
                    Ok(vec![set]),
                    "{name}: toolset {} is not one MCP_TOOLSETS accepts",
                    set.name()
                );
                assert!(Toolset::ALL.contains(&set), "{name}");
                *per_set.entry(set.name()).or_default() += 1;
                assert!(up.requests() > 0, "{name} reaches Worksection");
                assert!(open_world, "{name}");
            }
            // Only the offload readers are outside every toolset: they read
            // this computer, never Worksection.
            None => {
                assert_eq!(up, Upstream::LOCAL, "{name} is in no toolset");
                assert!(!open_world, "{name}");
            }
        }
        // The scopes: a set, possibly empty, of Worksection's own.
        let scopes: BTreeSet<Scope> = up.scopes().iter().copied().collect();
        assert_eq!(scopes.len(), up.scopes().len(), "{name}: a scope twice");
        for s in &scopes {
            assert!(
                Scope::READ.contains(s) || *s == Scope::Administrative,
                "{name}: {s}"
            );
        }
        // The cost: a count of requests and the actions they are.
        assert_eq!(up.requests() == 0, up.actions().is_empty(), "{name}");
        assert!(
            up.requests() <= 3 && !up.cost().is_empty() && !up.scope_names().is_empty(),
            "{name}"
        );
    }
    for set in Toolset::ALL {
        assert!(
            per_set.contains_key(set.name()),
            "{} has no tool",
            set.name()
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_tool_answers_within_its_scopes_and_its_cost() {
    sweep(false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_tool_answers_within_its_scopes_and_its_cost_with_quirks() {
    sweep(true).await;
}

/// How many records of each kind each tool is called with.
const PER_ID: usize = 4;

async fn sweep(quirks: bool) {
    let sim = Simulator::start(SimConfig {
        rps: 0.0,
        quirks,
        ..SimConfig::default()
    })
    .await
    .expect("simulator");
    let dir = tempfile::tempdir().expect("temp dir");
    let admin = || {
        Client::builder()
            .account_url(&sim.info().account_url)
            .api_key(sim.info().api_key.as_str())
            .requests_per_second(1000.0)
            .build()
            .expect("client")
    };
    let ids = Ids::of(&account(admin(), dir.path())).await;
    let registry = Arc::new(Registry::new());
    let mut tokens: HashMap<Vec<Scope>, SecretString> = HashMap::new();
    let mut calls = 0;
    for tool in registry.list() {
        let up = registry.upstream(&tool.name).expect("upstream");
        if up.requests() == 0 {
            continue;
        }
        let scopes = up.scopes().to_vec();
        if !tokens.contains_key(&scopes) {
            let token = sign_in(&sim, &scopes).await;
            tokens.insert(scopes.clone(), token);
        }
        let bearer = || {
            Client::builder()
                .account_url(&sim.info().account_url)
                .bearer(Bearer::new(Arc::new(StaticToken::new(
                    tokens[&scopes].clone(),
                ))))
                .requests_per_second(1000.0)
                .build()
                .expect("client")
        };
        let mut answered = 0;
        for args in ids.calls_of(tool) {
            for (auth, client) in [("oauth", bearer()), ("admin key", admin())] {
                let said = format!("{} {auth} {}", tool.name, Value::Object(args.clone()));
                let files = tempfile::tempdir().expect("temp dir");
                let ctx = Ctx::new(Arc::new(account(client, files.path())));
                sim.reset_stats();
                let first = call(&registry, &tool.name, &ctx, &args).await;
                let stats = sim.stats();
                let refused_key = first
                    .as_ref()
                    .err()
                    .and_then(ToolError::upstream)
                    .is_some_and(|e| {
                        matches!(
                            e,
                            worksection::Error::Auth {
                                problem: AuthProblem::UserMethodWithApiKey(_),
                                ..
                            }
                        )
                    });
                // A tool for signed-in people only is refused with the key,
                // before any request; every other tool answers with it.
                assert_eq!(
                    refused_key,
                    auth == "admin key" && up.is_signed_in_only(),
                    "{said}: {first:?}"
                );
                if refused_key {
                    assert_eq!(stats.total, 0, "{said}: refused, it asked Worksection");
                    continue;
                }
                if let Err(ToolError::Argument { .. }) = &first {
                    assert!(args.is_empty(), "{said}: {first:?}");
                    assert_eq!(stats.total, 0, "{said}: refused, it asked Worksection");
                    continue;
                } else if let Err(ToolError::NotFound(_) | ToolError::File(_)) = &first {
                    // The record is no member or no readable file; the
                    // cost still holds.
                } else if let Err(e) = &first {
                    panic!("{said}: {e}");
                } else {
                    answered += 1;
                }
                assert!(
                    stats.total <= u64::from(up.requests()),
                    "{said}: {} requests ({:?}), declared {}",
                    stats.total,
                    stats.by_action,
                    up.cost()
                );
                for action in stats.by_action.keys() {
                    assert!(
                        up.actions().contains(&action.as_str()),
                        "{said}: called `{action}`, which it does not declare ({})",
                        up.cost()
                    );
                }
                sim.reset_stats();
                let again = call(&registry, &tool.name, &ctx, &args).await;
                let repeated = sim.stats().total;
                if first.is_ok() {
                    assert!(again.is_ok(), "{said}: the second call failed");
                    if up.is_cached() {
                        assert_eq!(repeated, 0, "{said}: repeated, it asked Worksection");
                    } else {
                        assert!(repeated > 0, "{said}: declared uncached, it was not");
                    }
                }
                calls += 1;
            }
        }
        assert!(answered > 0, "{} never answered", tool.name);
    }
    assert!(calls > 100, "{calls} calls");
    sim.shutdown().await;
}

async fn call(
    registry: &Registry,
    name: &str,
    ctx: &Ctx,
    args: &JsonObject,
) -> Result<(), ToolError> {
    registry
        .call(name, ctx.clone(), args.clone())
        .expect("a registered tool")
        .await
        .map(drop)
}

fn account(client: Client, dir: &std::path::Path) -> Account {
    Account::new(
        client,
        ResponseCache::new(Duration::from_secs(3600)),
        FileCache::new(
            dir.join("files"),
            Duration::from_secs(3600),
            20 << 20,
            500 << 20,
        ),
        "demo".into(),
    )
}

/// An access token for the demo account's user, who granted exactly these
/// scopes on the simulator's consent page. Worksection asks for at least
/// one: a tool that needs none gets `contacts_read`, which no tool but the
/// contact tools uses.
async fn sign_in(sim: &Simulator, scopes: &[Scope]) -> SecretString {
    let i = sim.info();
    let app = OAuthApp::new(
        &i.client_id,
        i.client_secret.as_str(),
        &i.redirect_uri,
        &i.oauth_url,
    )
    .expect("app");
    let mut names: Vec<&str> = scopes.iter().map(|s| s.name()).collect();
    if names.is_empty() {
        names.push(Scope::ContactsRead.name());
    }
    let (url, _) = app.authorize_url(&names).expect("authorize url");
    let code = worksection_sim::consent::allow(&url)
        .await
        .expect("consent")
        .query_pairs()
        .find(|(k, _)| k == "code")
        .map(|(_, v)| v.into_owned())
        .expect("code");
    app.exchange_code(&SecretString::from(code))
        .await
        .expect("tokens")
        .access_token
}

/// Ids of the demo account to call the tools with.
struct Ids {
    project_id: Vec<String>,
    task_id: Vec<String>,
    user_id: Vec<String>,
    file_id: Vec<String>,
    tag: Vec<String>,
    week: (String, String),
}

impl Ids {
    async fn of(ws: &Account) -> Self {
        let projects = ws.projects(None, &[]).await.expect("projects");
        let project_id: Vec<String> = projects.iter().map(|p| p.id.to_string()).collect();
        let tasks = ws
            .all_tasks(GetAllTasks::new().extra([TaskExtra::Subtasks]))
            .await
            .expect("tasks");
        let task_id = tasks
            .iter()
            .flat_map(|t| t.flatten())
            .map(|t| t.id.to_string())
            .collect();
        let user_id = ws
            .users()
            .await
            .expect("users")
            .iter()
            .map(|u| u.id.to_string())
            .collect();
        let mut file_id = Vec::new();
        for p in projects.iter().filter_map(|p| p.id.as_u64()) {
            let files = ws.files_of(GetFiles::Project(p)).await.expect("files");
            file_id.extend(files.iter().map(|f| f.id.to_string()));
            if file_id.len() >= PER_ID {
                break;
            }
        }
        let tag = ws
            .task_tags(TagQuery::default())
            .await
            .expect("tags")
            .iter()
            .map(|t| t.id.to_string())
            .collect();
        let today = chrono::Local::now().date_naive();
        let week = (
            (today - chrono::Duration::days(6)).to_string(),
            today.to_string(),
        );
        Self {
            project_id,
            task_id,
            user_id,
            file_id,
            tag,
            week,
        }
    }

    fn of_name(&self, name: &str) -> Option<&[String]> {
        Some(match name {
            "project_id" => &self.project_id,
            "task_id" => &self.task_id,
            "user_id" => &self.user_id,
            "file_id" => &self.file_id,
            "tag" => &self.tag,
            _ => return None,
        })
    }

    /// A tool's calls: its required arguments, over the first records of
    /// the first id it takes; and each of those again with an optional
    /// `project_id` or `task_id` (which change what some tools ask for;
    /// a tool that needs one of them refuses the call without, asking
    /// nothing).
    fn calls_of(&self, tool: &Tool) -> Vec<JsonObject> {
        let props = tool
            .input_schema
            .get("properties")
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default();
        let required: Vec<&str> = tool
            .input_schema
            .get("required")
            .and_then(Value::as_array)
            .map(|r| r.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        let mut base = vec![JsonObject::new()];
        for name in &required {
            let values: Vec<Value> = match (self.of_name(name), *name) {
                (Some(ids), _) if base.len() == 1 => {
                    ids.iter().take(PER_ID).map(|i| json!(i)).collect()
                }
                (Some(ids), _) => ids.iter().take(1).map(|i| json!(i)).collect(),
                (None, "date_start") => vec![json!(self.week.0)],
                (None, "date_end") => vec![json!(self.week.1)],
                (None, "priority") => vec![json!(0)],
                (None, other) => props
                    .get(other)
                    .and_then(|p| p.get("enum"))
                    .and_then(Value::as_array)
                    .and_then(|e| e.first())
                    .cloned()
                    .into_iter()
                    .collect(),
            };
            assert!(!values.is_empty(), "{}: no value for `{name}`", tool.name);
            base = base
                .into_iter()
                .flat_map(|b| {
                    values.iter().map(move |v| {
                        let mut b = b.clone();
                        b.insert((*name).to_owned(), v.clone());
                        b
                    })
                })
                .collect();
        }
        let mut calls = Vec::new();
        for b in &base {
            calls.push(b.clone());
            for optional in ["project_id", "task_id"] {
                if props.contains_key(optional) && !required.contains(&optional) {
                    let ids = self.of_name(optional).unwrap_or_default();
                    for id in ids
                        .iter()
                        .take(if required.is_empty() { PER_ID } else { 1 })
                    {
                        let mut c = b.clone();
                        c.insert(optional.to_owned(), json!(id));
                        calls.push(c);
                    }
                }
            }
        }
        calls
    }
}

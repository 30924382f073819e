//! The tools, one file per area, and the registry that serves them.
//!
//! Each area file (`projects.rs`, `tasks.rs`, ...) has a `tools()` function
//! that lists its tools with [`def`]: the name and description a model sees,
//! and the async function that answers: its argument type gives the input
//! schema, its answer type (`answer`: an object or a list, each a Rust
//! type) the output schema, generated from the very type the answer is
//! serialized from. Every tool here is
//! read-only and reaches out to Worksection, and says so in its
//! annotations; the registry sets that once for all of them.
//!
//! Every list tool also takes `limit` and `cursor` (added to its schema
//! here and taken out of its arguments by the server, which pages the
//! answer: see `paging`). Each area is a toolset ([`Toolset`]) that
//! `MCP_TOOLSETS` can leave out; the offload readers (`offload.rs`) are
//! always served, since any answer may point at them.
//!
//! Each tool also declares, beside its name, what one call asks of
//! Worksection ([`Upstream`]: the OAuth scopes it needs, the requests it
//! makes), and its area's toolset is set here in [`Registry`]: one place
//! each, from which `TOOLS.md` is written (grouped by toolset) and the
//! benchmark takes its ceilings.
//!
//! To add a tool: write its argument struct and function in its area's
//! file, list it in that file's `tools()` with its [`Upstream`], accept the
//! new schema snapshot (`cargo insta review`) and write `TOOLS.md` anew
//! (`UPDATE_TOOLS_MD=1 cargo test -p worksection-mcp --test toolsnaps`);
//! `TOOLS.md` is the contract for names.

use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;

use futures_util::FutureExt;
use futures_util::future::BoxFuture;
use rmcp::handler::server::common::{schema_for_empty_input, schema_for_input};
use rmcp::model::{JsonObject, Tool, ToolAnnotations};
use schemars::JsonSchema;
use serde::de::DeserializeOwned;
use serde_json::json;

use crate::account::Account;
use crate::error::ToolError;
use crate::output::Answer;
use crate::paging::Responder;
use answer::Shaped;

mod activity;
mod analytics;
mod answer;
mod comments;
#[cfg(test)]
mod compaction_props;
mod costs;
mod files;
mod offload;
mod people;
mod projects;
#[cfg(test)]
mod reference_sweep;
mod system;
mod tags;
mod tasks;
mod upstream;

pub use comments::task_context;
pub use files::file_uri;
pub use upstream::{Scope, Upstream};

/// What a tool call runs with: the account, and the answers' store (for
/// the offload readers).
#[derive(Clone)]
pub struct Ctx {
    pub account: Arc<Account>,
    pub answers: Arc<Responder>,
}

impl Ctx {
    /// The account with answers at the default budget, offloaded beside
    /// its file cache (what a server without settings uses).
    pub fn new(account: Arc<Account>) -> Self {
        let offload = crate::offload::OffloadStore::new(
            crate::offload::OffloadStore::beside(account.files().dir()),
            crate::offload::OFFLOAD_RETENTION,
            crate::offload::OFFLOAD_MAX_FILES,
            crate::offload::OFFLOAD_MAX_BYTES,
        );
        Self {
            account,
            answers: Arc::new(Responder::new(
                crate::output::DEFAULT_ANSWER_TOKENS,
                offload,
            )),
        }
    }
}

type Handler =
    Arc<dyn Fn(Ctx, JsonObject) -> BoxFuture<'static, Result<Answer, ToolError>> + Send + Sync>;

/// One tool: what `tools/list` shows, and how to answer `tools/call`.
#[derive(Clone)]
pub struct ToolDef {
    pub tool: Tool,
    toolset: Option<Toolset>,
    upstream: Upstream,
    paged: bool,
    handler: Handler,
}

/// An area of tools that `MCP_TOOLSETS` can pick.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Toolset {
    Projects,
    Tasks,
    Comments,
    Files,
    Time,
    People,
    Tags,
    Activity,
    Analytics,
    System,
}

impl Toolset {
    pub const ALL: [Toolset; 10] = [
        Self::Projects,
        Self::Tasks,
        Self::Comments,
        Self::Files,
        Self::Time,
        Self::People,
        Self::Tags,
        Self::Activity,
        Self::Analytics,
        Self::System,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Self::Projects => "projects",
            Self::Tasks => "tasks",
            Self::Comments => "comments",
            Self::Files => "files",
            Self::Time => "time",
            Self::People => "people",
            Self::Tags => "tags",
            Self::Activity => "activity",
            Self::Analytics => "analytics",
            Self::System => "system",
        }
    }

    /// What the toolset's tools are for, in a line (`TOOLS.md`).
    pub fn about(self) -> &'static str {
        match self {
            Self::Projects => "The project list, one project, its folders and its team.",
            Self::Tasks => {
                "Tasks of the account or of a project, one task and its parts, and search."
            }
            Self::Comments => "A task's comments, and its whole discussion with its files.",
            Self::Files => "Attachments listed and read: bytes, images, extracted text.",
            Self::Time => "Cost lines, totals, a person's timesheet, a project's report, timers.",
            Self::People => {
                "Members, teams, contacts, the signed-in person, a member's open tasks."
            }
            Self::Tags => "Task and project tags and their groups, and the tasks carrying a tag.",
            Self::Activity => "What happened over a recent period, and what one person did.",
            Self::Analytics => "Figures from tasks and time: stats, overdue work, workload.",
            Self::System => "The server's own health, and the account's webhooks.",
        }
    }

    /// Reads `MCP_TOOLSETS`' comma-separated names (`all` for every one).
    pub fn parse_list(names: &[String]) -> Result<Vec<Toolset>, String> {
        let mut out = Vec::new();
        for raw in names {
            let name = raw.trim().to_ascii_lowercase();
            if name.is_empty() {
                continue;
            }
            if name == "all" {
                return Ok(Self::ALL.to_vec());
            }
            match Self::ALL.iter().find(|t| t.name() == name) {
                Some(t) if !out.contains(t) => out.push(*t),
                Some(_) => {}
                None => {
                    let known: Vec<&str> = Self::ALL.iter().map(|t| t.name()).collect();
                    return Err(format!(
                        "MCP_TOOLSETS names `{}`, which is not a toolset; use `all` or some of {}.",
                        crate::args::shorten(raw),
                        known.join(", ")
                    ));
                }
            }
        }
        if out.is_empty() {
            return Ok(Self::ALL.to_vec());
        }
        Ok(out)
    }
}

// How much of each record a list answers (`detail`); every tool that takes
// it words it alike. Plain comments: doc comments would make its schema a
// `oneOf` of described constants, longer for the model to read.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Detail {
    // The fields to find and act on a record.
    Summary,
    // Every field.
    #[default]
    Full,
}

/// A task's state, as the task and analytics tools take it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, serde::Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum TaskStatus {
    Active,
    Done,
}

/// Arguments of a tool that takes none. Unknown arguments are refused so a
/// misspelt name is noticed.
#[derive(Debug, serde::Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NoArgs {}

/// Defines a tool: its name, title and description, what one call asks of
/// Worksection ([`Upstream`]), and the function that answers it. The
/// function's argument type gives the input schema, and its answer type
/// ([`Shaped`]: an [`Object`] or a [`Listed`]) the output schema and
/// whether the tool pages.
pub fn def<A, R, F, Fut>(
    name: &'static str,
    title: &'static str,
    description: &'static str,
    upstream: Upstream,
    f: F,
) -> ToolDef
where
    A: DeserializeOwned + JsonSchema + Send + 'static,
    R: Shaped,
    F: Fn(Arc<Account>, A) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<R, ToolError>> + Send + 'static,
{
    let f = Arc::new(f);
    def_ctx(
        name,
        title,
        description,
        upstream,
        true,
        move |ctx: Ctx, a: A| f(ctx.account, a),
    )
}

/// Defines a tool that needs more than the account (`open_world` says
/// whether it reaches out to Worksection).
pub fn def_ctx<A, R, F, Fut>(
    name: &'static str,
    title: &'static str,
    description: &'static str,
    upstream: Upstream,
    open_world: bool,
    f: F,
) -> ToolDef
where
    A: DeserializeOwned + JsonSchema + Send + 'static,
    R: Shaped,
    F: Fn(Ctx, A) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<R, ToolError>> + Send + 'static,
{
    let mut input = schema_for_input::<A>().unwrap_or_else(|_| schema_for_empty_input());
    let schema = Arc::make_mut(&mut input);
    lean(schema);
    if R::PAGED {
        add_paging(schema);
    }
    // Read-only says it all: destructive and idempotent hints only mean
    // something for tools that write, and the title is the tool's own.
    let annotations = ToolAnnotations::new()
        .read_only(true)
        .open_world(open_world);
    let tool = Tool::new(name, description, input)
        .with_title(title)
        .with_raw_output_schema(Arc::new(R::output_schema()))
        .with_annotations(annotations);
    let f = Arc::new(f);
    let handler: Handler = Arc::new(move |ctx, args| {
        let parsed = parse_args::<A>(args);
        let f = f.clone();
        async move { f(ctx, parsed?).await.map(Shaped::into_answer) }.boxed()
    });
    ToolDef {
        tool,
        toolset: None,
        upstream,
        paged: R::PAGED,
        handler,
    }
}

/// What the model reads of an input schema, without what tells it
/// nothing: the `$schema` dialect, `additionalProperties` (unknown
/// arguments are refused anyway, by name), integer formats, and `$defs` of
/// simple enums (written in place instead).
fn lean(schema: &mut JsonObject) {
    use serde_json::Value;
    schema.remove("$schema");
    schema.remove("additionalProperties");
    let defs = match schema.remove("$defs") {
        Some(Value::Object(d)) => d,
        _ => JsonObject::new(),
    };
    let mut unresolved = false;
    let required: Vec<Value> = match schema.get("required") {
        Some(Value::Array(r)) => r.clone(),
        _ => Vec::new(),
    };
    if let Some(Value::Object(props)) = schema.get_mut("properties") {
        for (name, spec) in props.iter_mut() {
            let Some(spec) = spec.as_object_mut() else {
                continue;
            };
            unresolved |= !inline_enum(spec, &defs);
            if let Some(Value::Array(any)) = spec.get_mut("anyOf") {
                for option in any.iter_mut().filter_map(Value::as_object_mut) {
                    unresolved |= !inline_enum(option, &defs);
                }
            }
            nullable_enum(spec);
            spec.remove("format");
            if !required.contains(&Value::String(name.clone())) {
                not_null(spec);
            }
        }
    }
    if unresolved {
        schema.insert("$defs".into(), Value::Object(defs));
    }
}

/// `anyOf: [{type: string, enum: [a, b]}, {type: null}]` as the shorter
/// `{type: [string, null], enum: [a, b, null]}`, which says the same.
fn nullable_enum(spec: &mut JsonObject) {
    use serde_json::Value;
    let Some(Value::Array(any)) = spec.get("anyOf") else {
        return;
    };
    let null = json!({"type": "null"});
    let (one, other) = match any.as_slice() {
        [a, b] if *b == null => (a, b),
        [a, b] => (b, a),
        _ => return,
    };
    let Value::Object(one) = one else {
        return;
    };
    if *other != null || one.len() != 2 {
        return;
    }
    let (Some(Value::String(t)), Some(Value::Array(values))) = (one.get("type"), one.get("enum"))
    else {
        return;
    };
    let mut values = values.clone();
    values.push(Value::Null);
    let t = t.clone();
    spec.remove("anyOf");
    spec.insert("type".into(), json!([t, "null"]));
    spec.insert("enum".into(), Value::Array(values));
}

/// An optional argument is left out rather than sent as `null`: its type
/// and values without `null`, which the model need not read (a `null` is
/// still taken as not given).
fn not_null(spec: &mut JsonObject) {
    use serde_json::Value;
    let null = Value::String("null".into());
    if let Some(Value::Array(types)) = spec.get("type") {
        let rest: Vec<Value> = types.iter().filter(|t| **t != null).cloned().collect();
        if rest.len() == 1 {
            spec.insert("type".into(), rest[0].clone());
        } else if rest.len() < types.len() {
            spec.insert("type".into(), Value::Array(rest));
        }
    }
    if let Some(Value::Array(values)) = spec.get_mut("enum") {
        values.retain(|v| !v.is_null());
    }
}

/// Replaces a `$ref` to a simple enum by the enum; false when a `$ref`
/// stays.
fn inline_enum(spec: &mut JsonObject, defs: &JsonObject) -> bool {
    let Some(serde_json::Value::String(r)) = spec.get("$ref") else {
        return true;
    };
    let name = r.trim_start_matches("#/$defs/");
    match defs.get(name) {
        Some(serde_json::Value::Object(def)) if def.contains_key("enum") => {
            spec.remove("$ref");
            for (k, v) in def {
                if k != "description" {
                    spec.entry(k.clone()).or_insert_with(|| v.clone());
                }
            }
            true
        }
        _ => false,
    }
}

/// The paging parameters every list tool shares.
fn add_paging(schema: &mut JsonObject) {
    let Some(serde_json::Value::Object(props)) = schema.get_mut("properties") else {
        schema.insert(
            "properties".into(),
            json!({
                "limit": limit_schema(),
                "cursor": cursor_schema(),
            }),
        );
        return;
    };
    props.insert("limit".into(), limit_schema());
    props.insert("cursor".into(), cursor_schema());
}

/// No description: the name says it, and the server's instructions say
/// once how paging works, rather than in each of the 33 list tools.
fn limit_schema() -> serde_json::Value {
    json!({"type": "integer"})
}

fn cursor_schema() -> serde_json::Value {
    json!({"type": "string", "description": "A next_cursor."})
}

/// Deserializes arguments, naming the argument that is wrong.
fn parse_args<A: DeserializeOwned>(args: JsonObject) -> Result<A, ToolError> {
    let value = serde_json::Value::Object(args);
    serde_path_to_error::deserialize::<_, A>(value).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner().to_string();
        let problem = inner.split(" at line ").next().unwrap_or(&inner).to_owned();
        match path.as_str() {
            "." | "" => ToolError::Argument {
                name: "arguments",
                problem,
            },
            _ => ToolError::Argument {
                name: "arguments",
                problem: format!("`{path}`: {problem}"),
            },
        }
    })
}

/// Every tool, by name.
pub struct Registry {
    tools: HashMap<String, ToolDef>,
    listed: Vec<Tool>,
}

impl Registry {
    /// Every tool.
    pub fn new() -> Self {
        Self::with_toolsets(&Toolset::ALL)
    }

    /// The tools of these toolsets, and the offload readers.
    pub fn with_toolsets(toolsets: &[Toolset]) -> Self {
        let areas = [
            (Some(Toolset::Projects), projects::tools()),
            (Some(Toolset::Tasks), tasks::tools()),
            (Some(Toolset::Comments), comments::tools()),
            (Some(Toolset::Files), files::tools()),
            (Some(Toolset::Time), costs::tools()),
            (Some(Toolset::People), people::tools()),
            (Some(Toolset::Tags), tags::tools()),
            (Some(Toolset::Analytics), analytics::tools()),
            (Some(Toolset::Activity), activity::tools()),
            (Some(Toolset::System), system::tools()),
            (None, offload::tools()),
        ];
        let all: Vec<ToolDef> = areas
            .into_iter()
            .filter(|(set, _)| set.is_none_or(|s| toolsets.contains(&s)))
            .flat_map(|(set, defs)| {
                defs.into_iter().map(move |mut d| {
                    d.toolset = set;
                    if let Some(set) = set {
                        d.tool.icons = Some(crate::icons::toolset(set.name()));
                    }
                    d
                })
            })
            .collect();
        let mut listed: Vec<Tool> = all.iter().map(|d| d.tool.clone()).collect();
        listed.sort_by(|a, b| a.name.cmp(&b.name));
        let tools = all
            .into_iter()
            .map(|d| (d.tool.name.to_string(), d))
            .collect();
        Self { tools, listed }
    }

    /// The tools as `tools/list` shows them, by name.
    pub fn list(&self) -> &[Tool] {
        &self.listed
    }

    pub fn get(&self, name: &str) -> Option<&Tool> {
        self.tools.get(name).map(|d| &d.tool)
    }

    /// Whether the tool answers a list (and so takes `limit` and `cursor`).
    pub fn is_paged(&self, name: &str) -> bool {
        self.tools.get(name).is_some_and(|d| d.paged)
    }

    /// The toolset of a tool (`None` for the offload readers).
    pub fn toolset(&self, name: &str) -> Option<Toolset> {
        self.tools.get(name).and_then(|d| d.toolset)
    }

    /// What one call of a tool asks of Worksection.
    pub fn upstream(&self, name: &str) -> Option<Upstream> {
        self.tools.get(name).map(|d| d.upstream)
    }

    /// Runs a tool; `None` when there is no such tool.
    pub fn call(
        &self,
        name: &str,
        ctx: Ctx,
        args: JsonObject,
    ) -> Option<BoxFuture<'static, Result<Answer, ToolError>>> {
        self.tools.get(name).map(|d| (d.handler)(ctx, args))
    }
}

/// The most bytes the model may read of the whole tool list: 24 KB, read
/// the strict way (24,000 bytes, not 24 KiB).
pub const MODEL_VISIBLE_LIMIT: usize = 24_000;

/// What the model reads of a tool list: each tool's name, title,
/// description, input schema and annotations, as compact JSON (the output
/// schema is for the client, not the model).
pub fn model_visible_bytes(tools: &[Tool]) -> usize {
    tools
        .iter()
        .map(|t| {
            json!({
                "name": t.name,
                "title": t.title,
                "description": t.description,
                "inputSchema": t.input_schema,
                "annotations": t.annotations,
            })
            .to_string()
            .len()
        })
        .sum()
}

impl Default for Registry {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_tool_of_the_contract_is_here_once() {
        let r = Registry::new();
        assert_eq!(r.list().len(), 50);
        for t in r.list() {
            let a = t.annotations.as_ref().expect("annotations");
            assert_eq!(a.read_only_hint, Some(true), "{}", t.name);
            let local = r.toolset(&t.name).is_none();
            assert_eq!(a.open_world_hint, Some(!local), "{}", t.name);
            assert_eq!(t.icons.is_some(), !local, "{}", t.name);
            assert_eq!(
                t.input_schema.get("type"),
                Some(&json!("object")),
                "{}",
                t.name
            );
            assert!(
                t.description.as_ref().is_some_and(|d| d.len() > 20),
                "{}",
                t.name
            );
        }
    }

    #[test]
    fn what_the_model_reads_of_the_tool_list_is_under_24_kb() {
        let bytes = model_visible_bytes(Registry::new().list());
        assert!(
            bytes <= MODEL_VISIBLE_LIMIT,
            "{bytes} bytes of tool definitions, over {MODEL_VISIBLE_LIMIT}"
        );
    }

    #[test]
    fn every_list_tool_pages_and_no_other_does() {
        let r = Registry::new();
        let mut paged = 0;
        for t in r.list() {
            let props = t.input_schema.get("properties").and_then(|p| p.as_object());
            let has = |k: &str| props.is_some_and(|p| p.contains_key(k));
            assert_eq!(has("cursor"), r.is_paged(&t.name), "{}", t.name);
            assert_eq!(has("limit"), r.is_paged(&t.name), "{}", t.name);
            assert!(t.input_schema.get("$defs").is_none(), "{}", t.name);
            paged += usize::from(r.is_paged(&t.name));
        }
        assert!(paged > 25, "{paged}");
    }

    #[test]
    fn toolsets_pick_areas_and_keep_the_offload_readers() {
        let tasks = Registry::with_toolsets(&[Toolset::Tasks]);
        let names: Vec<&str> = tasks.list().iter().map(|t| t.name.as_ref()).collect();
        assert!(names.contains(&"get_task"), "{names:?}");
        assert!(names.contains(&"read_offloaded_response_text"), "{names:?}");
        assert!(!names.contains(&"get_costs"), "{names:?}");
        for t in tasks.list() {
            assert!(
                matches!(tasks.toolset(&t.name), Some(Toolset::Tasks) | None),
                "{}",
                t.name
            );
        }
        // Every area has tools, and together they are all of them.
        let total: usize = Toolset::ALL
            .iter()
            .map(|s| Registry::with_toolsets(&[*s]).list().len() - 2)
            .sum();
        assert_eq!(total + 2, Registry::new().list().len());
        assert_eq!(
            Toolset::parse_list(&["tasks".into(), " Time ".into()]),
            Ok(vec![Toolset::Tasks, Toolset::Time])
        );
        assert_eq!(
            Toolset::parse_list(&["all".into()]),
            Ok(Toolset::ALL.to_vec())
        );
        let e = Toolset::parse_list(&["taks".into()]).expect_err("typo");
        assert!(e.contains("taks") && e.contains("tasks"), "{e}");
    }

    #[test]
    fn bad_arguments_name_the_argument() {
        #[derive(Debug, serde::Deserialize)]
        #[serde(deny_unknown_fields)]
        #[allow(dead_code)]
        struct A {
            project_id: String,
            max_results: Option<i64>,
        }
        let obj = |v: serde_json::Value| v.as_object().cloned().unwrap_or_default();
        let e = parse_args::<A>(obj(json!({})))
            .expect_err("missing")
            .to_string();
        assert!(e.contains("project_id"), "{e}");
        let e = parse_args::<A>(obj(json!({"project_id": "1", "max_results": "x"})))
            .expect_err("type")
            .to_string();
        assert!(e.contains("max_results"), "{e}");
        let e = parse_args::<A>(obj(json!({"project_id": "1", "projct": 1})))
            .expect_err("unknown")
            .to_string();
        assert!(e.contains("projct"), "{e}");
    }
}

//! The tools, one file per area, and the registry that serves them.
//!
//! Each area file (`projects.rs`, `tasks.rs`, ...) has a `tools()` function
//! that lists its tools with [`def`]: the name and description a model sees,
//! the argument type (whose JSON schema is generated from it), the shape of
//! the answer, and the async function that answers. Every tool here is
//! read-only and reaches out to Worksection, and says so in its
//! annotations; the registry sets that once for all of them.
//!
//! To add a tool: write its argument struct and function in its area's
//! file, list it in that file's `tools()`, and accept the new schema
//! snapshot (`cargo insta review`); `TOOLS.md` is the contract for names.

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

mod activity;
mod analytics;
mod comments;
mod costs;
mod files;
mod people;
mod projects;
mod system;
mod tags;
mod tasks;

pub use comments::task_context;
pub use files::file_uri;

type Handler = Arc<
    dyn Fn(Arc<Account>, JsonObject) -> BoxFuture<'static, Result<Answer, ToolError>> + Send + Sync,
>;

/// One tool: what `tools/list` shows, and how to answer `tools/call`.
#[derive(Clone)]
pub struct ToolDef {
    pub tool: Tool,
    handler: Handler,
}

/// What a tool answers, for its output schema.
#[derive(Debug, Clone, Copy)]
pub enum Shape {
    /// `{data: [...], total_count, returned_count, truncated, truncation_reason}`
    /// and possibly summary fields.
    List,
    /// One object with at least these keys.
    Object(&'static [&'static str]),
}

/// Arguments of a tool that takes none. Unknown arguments are refused so a
/// misspelt name is noticed.
#[derive(Debug, serde::Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NoArgs {}

/// Defines a tool.
pub fn def<A, F, Fut>(
    name: &'static str,
    title: &'static str,
    description: &'static str,
    shape: Shape,
    f: F,
) -> ToolDef
where
    A: DeserializeOwned + JsonSchema + Send + 'static,
    F: Fn(Arc<Account>, A) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<Answer, ToolError>> + Send + 'static,
{
    let input = schema_for_input::<A>().unwrap_or_else(|_| schema_for_empty_input());
    let annotations = ToolAnnotations::with_title(title)
        .read_only(true)
        .destructive(false)
        .idempotent(true)
        .open_world(true);
    let tool = Tool::new(name, description, input)
        .with_title(title)
        .with_raw_output_schema(Arc::new(output_schema(shape)))
        .with_annotations(annotations);
    let f = Arc::new(f);
    let handler: Handler = Arc::new(move |account, args| {
        let parsed = parse_args::<A>(args);
        let f = f.clone();
        async move { f(account, parsed?).await }.boxed()
    });
    ToolDef { tool, handler }
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

fn output_schema(shape: Shape) -> JsonObject {
    let value = match shape {
        Shape::List => json!({
            "type": "object",
            "properties": {
                "data": {"type": "array", "items": {}},
                "total_count": {"type": "integer", "minimum": 0},
                "returned_count": {"type": "integer", "minimum": 0},
                "truncated": {"type": "boolean"},
                "truncation_reason": {"type": "string", "enum": ["none", "max_results", "size_cap", "both"]}
            },
            "required": ["data", "total_count", "returned_count", "truncated", "truncation_reason"]
        }),
        Shape::Object(keys) => json!({
            "type": "object",
            "required": keys,
        }),
    };
    match value {
        serde_json::Value::Object(o) => o,
        _ => JsonObject::new(),
    }
}

/// Every tool, by name.
pub struct Registry {
    tools: HashMap<String, ToolDef>,
    listed: Vec<Tool>,
}

impl Registry {
    pub fn new() -> Self {
        let all: Vec<ToolDef> = [
            projects::tools(),
            tasks::tools(),
            comments::tools(),
            files::tools(),
            costs::tools(),
            people::tools(),
            tags::tools(),
            analytics::tools(),
            activity::tools(),
            system::tools(),
        ]
        .into_iter()
        .flatten()
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

    /// Runs a tool; `None` when there is no such tool.
    pub fn call(
        &self,
        name: &str,
        account: Arc<Account>,
        args: JsonObject,
    ) -> Option<BoxFuture<'static, Result<Answer, ToolError>>> {
        self.tools.get(name).map(|d| (d.handler)(account, args))
    }
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
        assert_eq!(r.list().len(), 48);
        for t in r.list() {
            let a = t.annotations.as_ref().expect("annotations");
            assert_eq!(a.read_only_hint, Some(true), "{}", t.name);
            assert_eq!(a.open_world_hint, Some(true), "{}", t.name);
            assert_eq!(
                t.input_schema.get("type"),
                Some(&json!("object")),
                "{}",
                t.name
            );
            assert!(
                t.description.as_ref().is_some_and(|d| d.len() > 40),
                "{}",
                t.name
            );
        }
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

//! The MCP server: [`WorksectionServer`] answers `tools/*`, `resources/*`
//! and `prompts/*` for one account, whatever the transport.
//!
//! It holds no state of its own beyond shared handles: the account (client
//! and caches) and the tool registry are built once and shared by every
//! session, so a hundred sessions share one rate limiter and one cache.

use std::sync::Arc;
use std::time::{Duration, Instant};

use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CallToolResult, ContentBlock, GetPromptRequestParams,
    GetPromptResponse, Implementation, ListPromptsResult, ListResourceTemplatesResult,
    ListResourcesResult, ListToolsResult, PaginatedRequestParams, ReadResourceRequestParams,
    ReadResourceResponse, ReadResourceResult, ServerCapabilities, ServerConfig, Tool,
};
use rmcp::service::RequestContext;
use rmcp::{ErrorData as McpError, RoleServer, ServerHandler};

use crate::account::Account;
use crate::activity::{self, Activity, ToolCall};
use crate::error::ToolError;
use crate::tools::Registry;
use crate::{prompts, resources};

/// How long one tool call may take, waiting for the rate limiter included,
/// before it gives up with a clear message instead of hanging the
/// assistant.
pub const TOOL_TIMEOUT: Duration = Duration::from_secs(120);

const INSTRUCTIONS: &str = "Read-only access to one Worksection account: projects, tasks, \
comments, files, time and costs, people, tags and activity. Worksection allows about one request \
per second, so prefer the tool that answers the whole question (get_project_stats, \
get_overdue_tasks, get_team_workload_summary, get_task_discussion) over many small calls. Ids are \
digit strings; dates are YYYY-MM-DD. Lists say when they were cut (truncated, truncation_reason). \
Screenshots and other attachments are readable through their resource_uri \
(worksection://file/{id}) or get_file_content.";

#[derive(Clone)]
pub struct WorksectionServer {
    account: Arc<Account>,
    tools: Arc<Registry>,
    activity: Option<Arc<Activity>>,
}

impl WorksectionServer {
    pub fn new(account: Arc<Account>, tools: Arc<Registry>) -> Self {
        Self {
            account,
            tools,
            activity: None,
        }
    }

    /// Reports every tool call into `activity` (the desktop app's feed).
    pub fn with_activity(mut self, activity: Arc<Activity>) -> Self {
        self.activity = Some(activity);
        self
    }

    pub fn account(&self) -> &Arc<Account> {
        &self.account
    }

    /// Runs one tool call to its answer (tool errors included).
    pub async fn call(
        &self,
        name: &str,
        args: rmcp::model::JsonObject,
    ) -> Result<CallToolResult, McpError> {
        let ids = id_arguments(&args);
        let Some(fut) = self.tools.call(name, self.account.clone(), args) else {
            return Err(McpError::invalid_params(
                format!(
                    "No tool named {}; tools/list lists the {} tools.",
                    crate::args::shorten(name),
                    self.tools.list().len()
                ),
                None,
            ));
        };
        let started = Instant::now();
        let at = chrono::Utc::now();
        let (outcome, upstream) =
            activity::count_upstream(tokio::time::timeout(TOOL_TIMEOUT, fut)).await;
        let result = match outcome {
            Ok(Ok(answer)) => answer.into_result(),
            Ok(Err(ToolError::Upstream(e)))
                if matches!(*e, worksection::Error::NotFound { .. }) && !ids.is_empty() =>
            {
                // Worksection says "Task is invalid"; name what was asked for.
                CallToolResult::error(vec![ContentBlock::text(format!("{e} (asked for {ids})"))])
            }
            Ok(Err(e)) => CallToolResult::error(vec![ContentBlock::text(e.to_string())]),
            Err(_) => CallToolResult::error(vec![ContentBlock::text(format!(
                "Worksection did not answer within {} seconds (it allows about one request per second and other requests were waiting); try again in a minute.",
                TOOL_TIMEOUT.as_secs()
            ))]),
        };
        tracing::info!(
            tool = name,
            ms = started.elapsed().as_millis() as u64,
            is_error = result.is_error.unwrap_or(false),
            "tool call"
        );
        if let Some(feed) = &self.activity {
            feed.record(ToolCall {
                at,
                tool: name.to_owned(),
                duration_ms: started.elapsed().as_millis() as u64,
                upstream_requests: upstream,
                response_bytes: serde_json::to_vec(&result).map_or(0, |v| v.len() as u64),
                error: call_error(&result),
            });
        }
        Ok(result)
    }
}

/// The text of a failed call's answer, as the assistant saw it (cut to a
/// line's length for the feed).
fn call_error(result: &CallToolResult) -> Option<String> {
    if !result.is_error.unwrap_or(false) {
        return None;
    }
    let text: String = result
        .content
        .iter()
        .filter_map(|c| c.as_text().map(|t| t.text.as_str()))
        .collect::<Vec<_>>()
        .join(" ");
    Some(text.chars().take(300).collect())
}

/// The id arguments of a call (`task_id=123, project_id=7`), for errors.
fn id_arguments(args: &rmcp::model::JsonObject) -> String {
    args.iter()
        .filter(|(k, _)| k.ends_with("_id"))
        .filter_map(|(k, v)| match v {
            serde_json::Value::String(s) => Some(format!("{k}={}", crate::args::shorten(s))),
            serde_json::Value::Number(n) => Some(format!("{k}={n}")),
            _ => None,
        })
        .collect::<Vec<_>>()
        .join(", ")
}

impl ServerHandler for WorksectionServer {
    fn get_info(&self) -> ServerConfig {
        let mut server = Implementation::new(env!("CARGO_PKG_NAME"), env!("CARGO_PKG_VERSION"));
        server.title = Some("Worksection MCP".to_owned());
        ServerConfig::new(
            ServerCapabilities::builder()
                .enable_tools()
                .enable_resources()
                .enable_prompts()
                .build(),
        )
        .with_server_info(server)
        .with_instructions(INSTRUCTIONS)
    }

    async fn list_tools(
        &self,
        _: Option<PaginatedRequestParams>,
        _: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, McpError> {
        Ok(ListToolsResult::with_all_items(self.tools.list().to_vec()))
    }

    fn get_tool(&self, name: &str) -> Option<Tool> {
        self.tools.get(name).cloned()
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        _: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, McpError> {
        let args = request.arguments.unwrap_or_default();
        self.call(&request.name, args).await.map(Into::into)
    }

    async fn list_resources(
        &self,
        _: Option<PaginatedRequestParams>,
        _: RequestContext<RoleServer>,
    ) -> Result<ListResourcesResult, McpError> {
        Ok(ListResourcesResult::with_all_items(
            resources::list(&self.account).await,
        ))
    }

    async fn list_resource_templates(
        &self,
        _: Option<PaginatedRequestParams>,
        _: RequestContext<RoleServer>,
    ) -> Result<ListResourceTemplatesResult, McpError> {
        Ok(ListResourceTemplatesResult::with_all_items(
            resources::templates(),
        ))
    }

    async fn read_resource(
        &self,
        request: ReadResourceRequestParams,
        _: RequestContext<RoleServer>,
    ) -> Result<ReadResourceResponse, McpError> {
        let contents = resources::read(&self.account, &request.uri).await?;
        Ok(ReadResourceResult::new(contents).into())
    }

    async fn list_prompts(
        &self,
        _: Option<PaginatedRequestParams>,
        _: RequestContext<RoleServer>,
    ) -> Result<ListPromptsResult, McpError> {
        Ok(ListPromptsResult::with_all_items(prompts::list()))
    }

    async fn get_prompt(
        &self,
        request: GetPromptRequestParams,
        _: RequestContext<RoleServer>,
    ) -> Result<GetPromptResponse, McpError> {
        prompts::get(&request.name, &request.arguments).map(Into::into)
    }
}

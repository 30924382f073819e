//! The MCP server: [`WorksectionServer`] answers `tools/*`, `resources/*`
//! and `prompts/*` for one account, whatever the transport.
//!
//! It holds no state of its own beyond shared handles: the account (client
//! and caches) and the tool registry are built once and shared by every
//! session, so a hundred sessions share one rate limiter and one cache.

use std::sync::Arc;
use std::time::{Duration, Instant};

use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CallToolResult, CompleteRequestParams, CompleteResult,
    ContentBlock, GetPromptRequestParams, GetPromptResponse, Implementation, ListPromptsResult,
    ListResourceTemplatesResult, ListResourcesResult, ListToolsResult, PaginatedRequestParams,
    ProgressNotificationParam, ReadResourceRequestParams, ReadResourceResponse, ReadResourceResult,
    ServerCapabilities, ServerConfig, Tool,
};
use rmcp::service::RequestContext;
use rmcp::{ErrorData as McpError, RoleServer, ServerHandler};

use crate::account::Account;
use crate::activity::{self, Activity, ToolCall};
use crate::error::ToolError;
use crate::offload::{OFFLOAD_MAX_BYTES, OFFLOAD_MAX_FILES, OFFLOAD_RETENTION, OffloadStore};
use crate::output::DEFAULT_ANSWER_TOKENS;
use crate::paging::{PageArgs, Responder};
use crate::tools::{Ctx, Registry};
use crate::{prompts, resources};

/// How long one tool call may take, waiting for the rate limiter included,
/// before it gives up with a clear message instead of hanging the
/// assistant.
pub const TOOL_TIMEOUT: Duration = Duration::from_secs(120);

const INSTRUCTIONS: &str = "Read-only access to one Worksection account: projects, tasks, \
comments, files, time and costs, people, tags and activity. Worksection allows about one request \
per second, so prefer the tool that answers the whole question (get_project_stats, \
get_overdue_tasks, get_team_workload_summary, get_task_discussion) over many small calls. Ids are \
digit strings; dates are YYYY-MM-DD. A list of records comes as rows of `columns` (null: no \
such field), with what every record shares in `every`, people as {id, name} (their `emails` once) \
and projects by project_id (their names once, in `projects`). Answers fit a token budget: a list with more items gives \
next_cursor (pass it as cursor for the next page; limit sets the page size), and a large answer is also offloaded \
(offload_id; read it with read_offloaded_response_text). Screenshots and other attachments are readable through their resource_uri \
(worksection://file/{id}) or get_file_content.";

/// When a call still running sends its first progress notification, and
/// how often the next ones.
const PROGRESS_FIRST: Duration = Duration::from_millis(300);
const PROGRESS_EVERY: Duration = Duration::from_millis(700);

#[derive(Clone)]
pub struct WorksectionServer {
    account: Arc<Account>,
    tools: Arc<Registry>,
    answers: Arc<Responder>,
    activity: Option<Arc<Activity>>,
    /// A sentence added to the instructions (team mode's admin-key note).
    note: Option<Arc<str>>,
}

impl WorksectionServer {
    /// A server with the default answer budget; offloaded answers go to
    /// the folder beside the account's file cache.
    pub fn new(account: Arc<Account>, tools: Arc<Registry>) -> Self {
        Self::with_budget(account, tools, DEFAULT_ANSWER_TOKENS)
    }

    /// A server whose answers fit `budget_tokens` (`MCP_MAX_ANSWER_TOKENS`).
    pub fn with_budget(account: Arc<Account>, tools: Arc<Registry>, budget_tokens: usize) -> Self {
        let offload = OffloadStore::new(
            OffloadStore::beside(account.files().dir()),
            OFFLOAD_RETENTION,
            OFFLOAD_MAX_FILES,
            OFFLOAD_MAX_BYTES,
        );
        // Between replicas, pages and offloads follow the person.
        let answers = Responder::new(budget_tokens, offload).with_shared(account.shared().cloned());
        Self {
            account,
            tools,
            answers: Arc::new(answers),
            activity: None,
            note: None,
        }
    }

    /// Reports every tool call into `activity` (the desktop app's feed).
    pub fn with_activity(mut self, activity: Arc<Activity>) -> Self {
        self.activity = Some(activity);
        self
    }

    /// Adds `note` to the server's instructions.
    pub fn with_note(mut self, note: &str) -> Self {
        self.note = Some(note.into());
        self
    }

    pub fn account(&self) -> &Arc<Account> {
        &self.account
    }

    /// Runs one tool call to its answer (tool errors included): the tool's
    /// first page, or the page its `cursor` points at.
    pub async fn call(
        &self,
        name: &str,
        mut args: rmcp::model::JsonObject,
    ) -> Result<CallToolResult, McpError> {
        let ids = id_arguments(&args);
        if self.tools.get(name).is_none() {
            return Err(McpError::invalid_params(
                format!(
                    "No tool named {}; tools/list lists the {} tools.",
                    crate::args::shorten(name),
                    self.tools.list().len()
                ),
                None,
            ));
        }
        let started = Instant::now();
        let at = chrono::Utc::now();
        let page = if self.tools.is_paged(name) {
            PageArgs::take(&mut args)
        } else {
            Ok(PageArgs::default())
        };
        let (result, upstream) = match page {
            Err(e) => (tool_error(&e), 0),
            Ok(PageArgs {
                cursor: Some(cursor),
                limit,
            }) => {
                let r = self.answers.resume(name, &args, &cursor, limit).await;
                (r.unwrap_or_else(|e| tool_error(&e)), 0)
            }
            Ok(page) => self.run(name, args, page, &ids).await,
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
                ids,
            });
        }
        Ok(result)
    }

    /// Runs the tool itself, and sizes its answer.
    async fn run(
        &self,
        name: &str,
        args: rmcp::model::JsonObject,
        page: PageArgs,
        ids: &str,
    ) -> (CallToolResult, u32) {
        let ctx = Ctx {
            account: self.account.clone(),
            answers: self.answers.clone(),
        };
        let Some(fut) = self.tools.call(name, ctx, args.clone()) else {
            return (
                tool_error(&ToolError::NotFound(format!("No tool named {name}."))),
                0,
            );
        };
        let (outcome, upstream) =
            activity::count_upstream(tokio::time::timeout(TOOL_TIMEOUT, fut)).await;
        let result = match outcome {
            Ok(Ok(answer)) => self.answers.respond(name, args, page, answer).await,
            Ok(Err(ToolError::Upstream(e)))
                if matches!(*e, worksection::Error::NotFound { .. }) && !ids.is_empty() =>
            {
                // Worksection says "Task is invalid"; name what was asked for.
                CallToolResult::error(vec![ContentBlock::text(format!("{e} (asked for {ids})"))])
            }
            Ok(Err(e)) => tool_error(&e),
            Err(_) => CallToolResult::error(vec![ContentBlock::text(format!(
                "Worksection did not answer within {} seconds (it allows about one request per second and other requests were waiting); try again in a minute.",
                TOOL_TIMEOUT.as_secs()
            ))]),
        };
        (result, upstream)
    }
}

fn tool_error(e: &ToolError) -> CallToolResult {
    CallToolResult::error(vec![ContentBlock::text(e.to_string())])
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
        server.icons = Some(crate::icons::server());
        ServerConfig::new(
            ServerCapabilities::builder()
                .enable_tools()
                .enable_resources()
                .enable_prompts()
                .enable_completions()
                .build(),
        )
        .with_server_info(server)
        .with_instructions(match &self.note {
            Some(note) => format!("{INSTRUCTIONS} {note}"),
            None => INSTRUCTIONS.to_owned(),
        })
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

    /// Runs a tool call; when the client asked for progress (a progress
    /// token) and the call waits on Worksection's pace for more than a
    /// moment, says so every [`PROGRESS_EVERY`] until the answer is ready.
    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, McpError> {
        let args = request.arguments.unwrap_or_default();
        let call = self.call(&request.name, args);
        let Some(token) = context.meta.get_progress_token() else {
            return call.await.map(Into::into);
        };
        let peer = context.peer.clone();
        let ticker = async move {
            let mut ticks = 0u32;
            loop {
                tokio::time::sleep(if ticks == 0 {
                    PROGRESS_FIRST
                } else {
                    PROGRESS_EVERY
                })
                .await;
                ticks += 1;
                let note = ProgressNotificationParam::new(token.clone(), f64::from(ticks))
                    .with_message(
                        "Waiting for Worksection, which answers about one request a second",
                    );
                if peer.notify_progress(note).await.is_err() {
                    // The client is gone: no more notes.
                    return;
                }
            }
        };
        tokio::pin!(call);
        tokio::select! {
            result = &mut call => return result.map(Into::into),
            () = ticker => {}
        }
        call.await.map(Into::into)
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
        let contents = resources::read(&self.account, self.answers.offload(), &request.uri).await?;
        Ok(ReadResourceResult::new(contents).into())
    }

    async fn complete(
        &self,
        request: CompleteRequestParams,
        _: RequestContext<RoleServer>,
    ) -> Result<CompleteResult, McpError> {
        Ok(CompleteResult::new(
            crate::completion::complete(&self.account, &request.argument).await,
        ))
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

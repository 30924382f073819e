//! The Worksection MCP server: every tool, resource and prompt of
//! `TOOLS.md` for one or more Worksection accounts, over streamable HTTP or
//! stdio.
//!
//! How a request flows: a transport ([`transport::http`],
//! [`transport::stdio`]) hands MCP requests to a [`WorksectionServer`],
//! which finds the tool in the [`Registry`] (`tools/`, one file per area),
//! checks its arguments (`args`), and runs it against the [`Account`]. The
//! account answers from the response cache (`cache`) or makes one upstream
//! request through the `worksection` client; files go through the file
//! cache on disk (`file_cache`) and are read by the `worksection-content`
//! crate. Answers are shaped by `output`, fitted to a token budget
//! (`tokens`) page by page by `paging`, and kept whole on disk when large
//! by `offload`; `completion` suggests argument values from cached data.
//!
//! Setting up: [`ServeArgs`] are the raw flags and environment, checked
//! into [`Settings`] (`config`); [`open`] opens the accounts they describe
//! (the in-process demo simulator behind the `demo` feature, an admin API
//! key, or every account signed in through `worksection-auth`).
//!
//! Hosting: [`host`] runs the same server inside another program (the
//! desktop app) and restarts it on demand; [`Activity`] is the feed of
//! recent tool calls it watches; [`transport::bridge`] forwards an
//! assistant's stdio to a server already running over HTTP; [`connect`]
//! writes this server into an assistant's settings; [`check`] calls every
//! tool once against an account and reports each (`worksection-mcp check`,
//! the desktop's "Check every tool"). The headless binary
//! lives in `cli/` and uses only what is exported here.
//!
//! Team mode ([`team`], behind the `team` feature): one server for a
//! company, each person signed in as themselves through the
//! `worksection-team` crate's authorization server, with an account (and
//! caches) of their own. Replicas of a team server share the caches, pages
//! and offloaded answers of each person through [`shared`] (Redis, with
//! `--redis-url`).

mod account;
mod activity;
pub mod args;
mod cache;
mod check;
mod compact;
#[cfg(test)]
mod compact_reference;
mod completion;
mod config;
pub mod connect;
mod disk;
mod error;
mod file_cache;
pub mod host;
mod icons;
mod offload;
mod open;
mod output;
mod paging;
mod prompts;
#[cfg(all(test, feature = "team"))]
mod replicas;
mod resources;
mod server;
mod shape;
pub mod shared;
#[cfg(feature = "team")]
pub mod team;
mod tokens;
mod tools;
pub mod transport;

pub use account::Account;
pub use activity::{Activity, ToolCall, upstream_layer};
pub use cache::ResponseCache;
pub use check::{CheckReport, Outcome, ToolCheck, check, line as check_line};
pub use config::{
    ConfigError, OAuthArgs, ServeArgs, Settings, Source, StoreArgs, TeamArgs, Transport,
    check_requests_per_second, data_dir, default_cache_dir,
};
pub use error::ToolError;
pub use file_cache::{FileCache, FileCacheStats};
pub use open::{Opened, open};
pub use output::{List, Page, RESPONSE_BUDGET, page};
pub use prompts::list as prompts;
pub use resources::templates as resource_templates;
pub use server::WorksectionServer;
pub use tokens::estimate as estimate_tokens;
pub use tools::{Ctx, MODEL_VISIBLE_LIMIT, Registry, Toolset, Upstream, model_visible_bytes};

//! The Worksection MCP server: every tool, resource and prompt of
//! `TOOLS.md` for one Worksection account, over streamable HTTP or stdio.
//!
//! How a request flows: a transport (`transport::http`, `transport::stdio`)
//! hands MCP requests to [`server::WorksectionServer`], which finds the
//! tool in the registry (`tools`, one file per area), checks its arguments
//! (`args`), and runs it against the [`account::Account`]. The account
//! answers from the response cache (`cache`) or makes one upstream request
//! through the `worksection` client; files go through the file cache on
//! disk (`file_cache`) and are read by `content`. Answers are shaped by
//! `output`, fitted to a token budget (`tokens`) page by page by `paging`,
//! and kept whole on disk when large by `offload`. `config` reads and checks the settings, `app`
//! opens the accounts (the in-process demo simulator, an admin API key, or
//! every account signed in with OAuth2) and runs the chosen transport.
//!
//! Signing in: `signin` is the OAuth2 flow the CLI and the desktop app
//! share (authorize URL, state check, code exchange, account discovery);
//! `token_store` keeps the tokens (OS keychain or an encrypted file);
//! `login` runs the flow in the system browser with an HTTPS callback, and
//! `doctor` checks a setup end to end.
//!
//! Hosting: `host` runs the same server inside another program (the
//! desktop app) and restarts it on demand; `activity` is the feed of recent
//! tool calls it watches; `transport::bridge` forwards an assistant's stdio
//! to a server already running over HTTP.

pub mod account;
pub mod activity;
pub mod app;
pub mod args;
pub mod cache;
pub mod completion;
pub mod config;
pub mod connect;
pub mod content;
pub mod doctor;
pub mod error;
pub mod file_cache;
pub mod host;
pub mod login;
pub mod offload;
pub mod output;
pub mod paging;
pub mod prompts;
pub mod resources;
pub mod server;
pub mod signin;
pub mod token_store;
pub mod tokens;
pub mod tools;
pub mod transport;

//! The Worksection MCP server: every tool, resource and prompt of
//! `TOOLS.md` for one Worksection account, over streamable HTTP or stdio.
//!
//! How a request flows: a transport (`transport::http`, `transport::stdio`)
//! hands MCP requests to [`server::WorksectionServer`], which finds the
//! tool in the registry (`tools`, one file per area), checks its arguments
//! (`args`), and runs it against the [`account::Account`]. The account
//! answers from the response cache (`cache`) or makes one upstream request
//! through the `worksection` client; files go through the file cache on
//! disk (`file_cache`) and are read by `content`. Answers are shaped and
//! size-capped by `output`. `config` reads and checks the settings, `app`
//! opens the account (the in-process demo simulator, or a real account)
//! and runs the chosen transport.

pub mod account;
pub mod app;
pub mod args;
pub mod cache;
pub mod config;
pub mod content;
pub mod error;
pub mod file_cache;
pub mod output;
pub mod prompts;
pub mod resources;
pub mod server;
pub mod tools;
pub mod transport;

//! A typed client for Worksection's API.
//!
//! One async method per read action (`me`, `get_projects`, `get_tasks`,
//! `search_tasks`, `get_costs`, `download`, ...), typed parameters with
//! builders, and lenient typed answers that keep unknown fields. Requests
//! are authenticated by OAuth2 bearer tokens or by the admin API key (see
//! `auth`), rate-limited to Worksection's one request per second per account,
//! and retried with backoff when Worksection or the network stumbles. Every
//! failure is one `Error` whose message says what to do.
//!
//! ```no_run
//! # async fn demo() -> Result<(), worksection::Error> {
//! use worksection::{Client, api::tasks::GetTasks, api::tasks::TaskExtra};
//!
//! let client = Client::builder()
//!     .account_url("https://acme.worksection.com")
//!     .api_key("the admin API key")
//!     .build()?;
//! for task in client.get_tasks(GetTasks::new(6622).active_only().extra([TaskExtra::Text])).await? {
//!     println!("{} due {:?}", task.name, task.end());
//! }
//! # Ok(()) }
//! ```
//!
//! Modules: `client` (the client and its builder), `transport` (one request:
//! limiter, retries, decoding), `auth` (API key, bearer tokens, OAuth2
//! sign-in), `api` (actions and their parameters, by area), `models`
//! (answers, by area), `filter` (safe filter expressions), `error`, and
//! `reconciliation` (how all this compares with Worksection's own SDKs and
//! API pages, row by row).

pub mod api;
pub mod auth;
pub mod client;
pub mod error;
pub mod filter;
pub mod models;
#[doc = include_str!("../docs/reconciliation.md")]
pub mod reconciliation {}
mod secret;
pub mod transport;

pub use client::{Client, ClientBuilder};
pub use error::{ApiMessage, AuthProblem, Error};
pub use secret::Secret;
pub use transport::{Envelope, decode};

//! A typed client for Worksection's API.
//!
//! One async method per read action (`me`, `get_projects`, `get_tasks`,
//! `search_tasks`, `get_costs`, `download`, ...), each an [`Action`] with
//! typed parameters and builders, sent by the one `Client::send`, and
//! lenient typed answers that keep unknown fields. Requests are
//! authenticated by OAuth2 bearer tokens or by the admin API key (the SDKs'
//! HMAC header, or the md5 query hash where an account refuses it; see
//! `auth`), rate-limited to Worksection's one request per second per
//! account, and retried with backoff within one budget when Worksection or
//! the network stumbles. Every failure is one `Error` with a kind
//! ([`ErrorKind`]) and a sentence of what went wrong; advice that depends on
//! who is asking (a tray, a command line) is the caller's to add.
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
//! Modules: `action` (the `Action` trait and its parameters), `client` (the
//! client and its builder), `transport` (one request: limiter, retries,
//! decoding), `auth` (API key, bearer tokens, OAuth2 sign-in), `http` (the
//! shared HTTP client), `api` (actions and their parameters, by area),
//! `models` (answers, by area), `filter` (safe filter expressions),
//! `pace` (a pace shared by several clients of one account), `error`. Imports point one way: `api` → `transport` → `client` → `auth`
//! → `action`, `http`, `error`, and `reconciliation` (how all this
//! compares with Worksection's own SDKs and API pages, row by row).

mod action;
pub mod api;
pub mod auth;
mod client;
mod error;
pub mod filter;
mod http;
pub mod models;
pub mod pace;
#[doc = include_str!("../docs/reconciliation.md")]
pub mod reconciliation {}
pub mod secret;
mod transport;

pub use action::{Action, Params, request_key};
pub use client::{Client, ClientBuilder};
pub use error::{ApiMessage, AuthProblem, Error, ErrorKind};
pub use secrecy::{ExposeSecret, SecretBox, SecretString};
pub use transport::{Envelope, decode};

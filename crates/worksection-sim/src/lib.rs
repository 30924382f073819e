//! A faithful Worksection simulator.
//!
//! It serves what Worksection serves — the OAuth2 consent page and token
//! endpoints, and every read action of the client API under both
//! `/api/oauth2` (bearer tokens) and `/api/admin/v2` (the admin key, in the
//! SDKs' HMAC header or the documentation's md5 query hash) —
//! with Worksection's shapes, quirks and errors, over a seeded, deterministic
//! dataset. It is the test double for every test of the project, the demo
//! account a new user tries first, and the load target for benchmarks.
//!
//! ```no_run
//! # async fn demo() -> Result<(), worksection_sim::StartError> {
//! use worksection_sim::{SimConfig, Simulator};
//!
//! let sim = Simulator::start(SimConfig { rps: 0.0, ..SimConfig::default() }).await?;
//! println!("account at {}", sim.info().account_url);
//! sim.shutdown().await;
//! # Ok(()) }
//! ```
//!
//! The pieces: `consent` (the consent page answered without a browser,
//! for tests and benchmarks), `data` (the account: model, generators, attachment bytes),
//! `tokens` (issued codes and tokens), `oauth` (sign-in pages, which ask
//! which member signs in, and endpoints), `api` (the client API: params,
//! auth, what each caller may see, actions, rendering),
//! `filter` (the `filter=` query grammar), `faults` and `stats` (for tests),
//! `quirks` (the odd shapes real accounts answer in, on request),
//! `state` (what handlers share), `html` (page frame and escaping), and
//! `server` (routes and the running simulator). Imports point one way:
//! `server` → `api`, `oauth` → `state` → `tokens`.

mod api;
mod config;
pub mod consent;
pub mod data;
pub mod faults;
pub mod filter;
mod html;
mod oauth;
mod quirks;
mod server;
mod state;
mod stats;
mod tokens;

pub use config::{AdminAuth, HMAC_WINDOW_SECS, Md5Over, SimConfig, SimInfo};
pub use data::DatasetKind;
pub use faults::FaultSpec;
pub use server::{Simulator, StartError};
pub use stats::StatsSnapshot;

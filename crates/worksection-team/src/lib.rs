//! Team mode of the Worksection MCP server: one server for a company,
//! reached from any assistant as a remote connector, where each person
//! signs in with their own Worksection account and sees only what
//! Worksection shows them.
//!
//! The server is an OAuth 2.1 resource server with its own authorization
//! server, as the MCP specification's authorization chapter has it, and
//! the authorization server hands each person's sign-in to Worksection
//! (the company's Worksection OAuth app). Two kinds of tokens, never
//! mixed: the MCP client holds this server's tokens (audience: this
//! server); Worksection's tokens stay here, sealed, renewed by the server.
//!
//! How the pieces fit:
//!
//! - [`Team`] (`server`) holds the parts and answers the resource
//!   server's check of every MCP request ([`Team::authenticate`], a
//!   [`Viewer`] or RFC 6750's 401/403); `routes` has the authorization
//!   server's routes ([`Team::router`]). `metadata` writes RFC 9728 and RFC 8414 documents; `oauth`
//!   is the endpoints (authorize, Worksection's callback, consent, token,
//!   revoke, register); `clients` knows who a client is (registered, or a
//!   client ID metadata document that `fetch` gets without becoming a
//!   request forger); `secrets` makes and hashes the server's secrets;
//!   `html` draws its pages.
//! - [`people`] is the people signed in and their way to Worksection (the
//!   `worksection` client's refreshing bearer, saved back on rotation).
//! - [`AccountPace`] (`pace`) is one Worksection account's pace shared by
//!   all its people, served round-robin across them; with replicas, each
//!   turn is granted by Redis so all replicas together keep the one pace.
//! - [`Store`] (`store`) is everything remembered, behind one interface:
//!   the embedded SQLite backend for one instance, or the Redis backend
//!   for replicas; `seal` encrypts Worksection's tokens at rest (the same
//!   way in both).
//! - [`Shared`] (`shared`) is the Redis (or Valkey) the replicas share
//!   (`--redis-url`, [`Team::shared`]): one reconnecting, multiplexed
//!   connection with timeouts, an up/down flag, and the replicas'
//!   heartbeat. The store and the pace use it here; `worksection-mcp` uses
//!   it for its answers cache, pages and sessions. Without it, team mode
//!   is one instance exactly as before.
//! - `ops` is readiness and Prometheus metrics; with Redis, `/readyz`
//!   says whether the replica shares or works alone (degraded: Redis down,
//!   the pace divided by the replicas last seen), still ready either way.
//!
//! Replicas: the MCP protocol is stateless, so any replica answers any
//! request once what they know lives in Redis. Everything kept there is
//! keyed under `wsmcp:` by hashes or ids, never a secret, and each
//! person's data by the person. Redis down, every replica keeps answering
//! alone; Redis back, they share again without a restart.
//!
//! The MCP endpoint itself (one MCP server per person) is the caller's:
//! `worksection-mcp`'s team module builds it on [`Team`]. The desktop app
//! links none of this.
//!
//! Crates doing the security-relevant work, each well kept and used
//! widely: `oauth2` (PKCE's S256 transform), `sha2` and `subtle` (hashes
//! of secrets, constant-time comparison), `rand` (the OS-seeded CSPRNG for
//! every secret), `chacha20poly1305` (sealing at rest), `rusqlite` (the
//! store, SQLite bundled), `reqwest` (fetching metadata documents with a
//! resolver that refuses private addresses), `metrics` with
//! `metrics-exporter-prometheus`, `redis` (the shared state of replicas,
//! each atomic step one Lua script). Nothing here is hand-made
//! cryptography.

mod clients;
mod config;
mod fetch;
mod html;
mod metadata;
mod oauth;
mod ops;
mod pace;
pub mod people;
mod routes;
mod seal;
mod secrets;
mod server;
mod shared;
mod store;

pub use config::{FetchPolicy, TeamConfig, TeamConfigError, WorksectionApp};
pub use metadata::SCOPE;
pub use ops::install_metrics;
pub use pace::AccountPace;
pub use people::Viewer;
pub use seal::KeySource;
pub use server::{CallRecord, Refusal, StartError, Team};
pub use shared::{Shared, SharedError};
pub use store::{AuditEntry, KEY_FILE, PersonSummary, STORE_FILE, Store, StoreError};

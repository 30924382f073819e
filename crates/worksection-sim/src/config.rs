//! How a simulator is set up: listening address, dataset, limits and faults.
//!
//! `SimConfig` is filled from the command line by `main.rs` and directly by
//! tests; `SimInfo` is what a started simulator tells its clients (the one
//! JSON line the binary prints when it is ready).

use std::time::Duration;

use chrono::NaiveDateTime;
use serde::Serialize;

use crate::data::DatasetKind;
use crate::faults::FaultSpec;

/// The OAuth2 application the simulator knows. Fixed values: the simulator is
/// a local test double, and fixed credentials make `.env` files reusable.
pub const CLIENT_ID: &str = "ws-sim-client";
pub const CLIENT_SECRET: &str = "ws-sim-secret-5f1c9a";
pub const API_KEY: &str = "ws-sim-apikey-8e2d47";
/// The redirect URI registered for the app, as in the desktop app's default.
pub const REDIRECT_URI: &str = "https://localhost:8080/oauth/callback";

/// How far the time in an `Authorization: Admin <time>_<hmac>` header may
/// be from the simulator's clock, either way, before the header is refused
/// as stale (a replayed header is useless after this long).
pub const HMAC_WINDOW_SECS: u64 = 300;

/// Which admin-key schemes the simulator accepts (`--admin-auth`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum AdminAuth {
    /// Only `Authorization: Admin <time>_<hmac>`, as the SDKs send it.
    Hmac,
    /// Only the md5 `hash` query parameter, as the documentation has it
    /// (an account that predates the header).
    Md5,
    /// Either.
    #[default]
    Both,
}

/// What the md5 hash is checked over (`--md5-over`): Worksection does not
/// document whether it hashes the query as it arrives or its decoded
/// values, so the simulator does either.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Md5Over {
    /// The query string as received, percent-escapes and all (less the
    /// `hash` pair).
    #[default]
    Received,
    /// `key=value` pairs of the decoded values, as the collection's
    /// pre-request script builds them.
    Decoded,
}

impl std::str::FromStr for AdminAuth {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "hmac" => Ok(Self::Hmac),
            "md5" => Ok(Self::Md5),
            "both" => Ok(Self::Both),
            _ => Err(format!("`{s}` is not one of hmac, md5, both")),
        }
    }
}

impl std::str::FromStr for Md5Over {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "received" => Ok(Self::Received),
            "decoded" => Ok(Self::Decoded),
            _ => Err(format!("`{s}` is not one of received, decoded")),
        }
    }
}

#[derive(Debug, Clone)]
pub struct SimConfig {
    pub host: String,
    /// 0 picks a free port.
    pub port: u16,
    pub dataset: DatasetKind,
    pub seed: u64,
    /// Client-API requests per second per account; 0 disables the limit.
    pub rps: f64,
    pub access_ttl: Duration,
    pub refresh_ttl: Duration,
    pub faults: FaultSpec,
    /// The moment the dataset is generated for; `None` means now (local time).
    pub now: Option<NaiveDateTime>,
    /// Redirect URIs the app accepts besides `REDIRECT_URI`.
    pub extra_redirect_uris: Vec<String>,
    /// Answer in the odd shapes real accounts send, at random by `seed`
    /// (see `quirks`).
    pub quirks: bool,
    /// The admin-key schemes accepted.
    pub admin_auth: AdminAuth,
    /// What an md5 hash is checked over.
    pub md5_over: Md5Over,
}

impl Default for SimConfig {
    fn default() -> Self {
        Self {
            host: "127.0.0.1".to_owned(),
            port: 0,
            dataset: DatasetKind::Demo,
            seed: 42,
            rps: 1.0,
            access_ttl: Duration::from_secs(86_400),
            refresh_ttl: Duration::from_secs(30 * 86_400),
            faults: FaultSpec::default(),
            now: None,
            extra_redirect_uris: Vec::new(),
            quirks: false,
            admin_auth: AdminAuth::default(),
            md5_over: Md5Over::default(),
        }
    }
}

/// What a running simulator tells its clients.
#[derive(Debug, Clone, Serialize)]
pub struct SimInfo {
    pub account_url: String,
    pub oauth_url: String,
    pub client_id: String,
    pub client_secret: String,
    pub api_key: String,
    pub redirect_uri: String,
    /// The account's company name.
    pub account_name: String,
    /// `demo` or `large`.
    pub dataset: String,
    /// Where tests read request counts.
    pub stats_url: String,
}

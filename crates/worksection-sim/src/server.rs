//! A running simulator: its routes, and the handle tests hold to count
//! requests, inject faults and stop it (the state the handlers share is in
//! `state`).
//!
//! OAuth2 and the client API are served from one origin: the account URL and
//! the OAuth URL are the same `http://127.0.0.1:PORT`. Worksection splits them
//! over two hosts, which clients learn from configuration anyway.

use std::net::SocketAddr;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::NaiveDateTime;
use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::config::{API_KEY, CLIENT_ID, CLIENT_SECRET, REDIRECT_URI, SimConfig, SimInfo};
use crate::data::{Account, Dataset, generate};
use crate::faults::{FaultSpec, Faults};
use crate::html::escape;
use crate::oauth;
use crate::quirks::Quirks;
use crate::state::AppState;
use crate::stats::{Stats, StatsSnapshot};
use crate::tokens::Tokens;

/// Why a simulator could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Generate(#[from] crate::data::generate::GenerateError),
    #[error("could not listen on {addr}: {source}")]
    Bind {
        addr: String,
        source: std::io::Error,
    },
    #[error("--rps must be 0 (no limit) or a positive number of requests per second, not {0}")]
    Rps(f64),
    #[error("the dataset generator stopped unexpectedly")]
    Join,
}

/// A simulator serving on a loopback port until it is shut down or dropped.
#[derive(Debug)]
pub struct Simulator {
    state: Arc<AppState>,
    addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl Simulator {
    /// Generates the dataset, binds, and starts serving.
    pub async fn start(config: SimConfig) -> Result<Self, StartError> {
        let now = config
            .now
            .unwrap_or_else(|| chrono::Local::now().naive_local());
        let (kind, seed) = (config.dataset, config.seed);
        let dataset = tokio::task::spawn_blocking(move || generate(kind, seed, now))
            .await
            .map_err(|_| StartError::Join)??;
        Self::serve(config, dataset, now).await
    }

    async fn serve(
        config: SimConfig,
        dataset: Dataset,
        now: NaiveDateTime,
    ) -> Result<Self, StartError> {
        let limiter = rate_limiter(config.rps)?;
        let addr = format!("{}:{}", config.host, config.port);
        let listener = TcpListener::bind(&addr)
            .await
            .map_err(|source| StartError::Bind {
                addr: addr.clone(),
                source,
            })?;
        let local = listener
            .local_addr()
            .map_err(|source| StartError::Bind { addr, source })?;
        let base = format!("http://{local}");
        let info = SimInfo {
            account_url: base.clone(),
            oauth_url: base.clone(),
            client_id: CLIENT_ID.to_owned(),
            client_secret: CLIENT_SECRET.to_owned(),
            api_key: API_KEY.to_owned(),
            redirect_uri: REDIRECT_URI.to_owned(),
            account_name: dataset.company.clone(),
            dataset: config.dataset.to_string(),
            stats_url: format!("{base}/__sim/stats"),
        };
        let mut redirect_uris = vec![REDIRECT_URI.to_owned()];
        redirect_uris.extend(config.extra_redirect_uris.iter().cloned());
        let state = Arc::new(AppState::new(
            Account::new(dataset),
            info,
            Stats::default(),
            Faults::new(&config.faults, config.seed),
            redirect_uris,
            Tokens::new(config.access_ttl, config.refresh_ttl),
            limiter,
            (now, Instant::now()),
            (config.admin_auth, config.md5_over),
            config.quirks.then(|| Quirks::new(config.seed)),
        ));
        state.apply_faults(&config.faults);

        let (stop, stopped) = oneshot::channel::<()>();
        let app = router(state.clone());
        let task = tokio::spawn(async move {
            let shutdown = async {
                let _ = stopped.await;
            };
            if let Err(e) = axum::serve(listener, app)
                .with_graceful_shutdown(shutdown)
                .await
            {
                tracing::error!("simulator stopped serving: {e}");
            }
        });
        Ok(Self {
            state,
            addr: local,
            stop: Some(stop),
            task: Some(task),
        })
    }

    pub fn info(&self) -> &SimInfo {
        &self.state.info
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The dataset being served, for computing expected answers in tests.
    pub fn dataset(&self) -> &Dataset {
        &self.state.account.data
    }

    pub fn stats(&self) -> StatsSnapshot {
        self.state.stats.snapshot()
    }

    pub fn reset_stats(&self) {
        self.state.stats.reset();
    }

    pub fn set_faults(&self, spec: FaultSpec) {
        self.state.apply_faults(&spec);
    }

    pub fn revoke_all_tokens(&self) {
        self.state.tokens().revoke_all();
    }

    /// Stops accepting, lets in-flight requests finish, and waits.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for Simulator {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

fn rate_limiter(rps: f64) -> Result<Option<DefaultDirectRateLimiter>, StartError> {
    if rps == 0.0 {
        return Ok(None);
    }
    if !rps.is_finite() || rps < 0.0 {
        return Err(StartError::Rps(rps));
    }
    let period = Duration::from_secs_f64(1.0 / rps).max(Duration::from_micros(1));
    // A burst of two tolerates network jitter between a client that spaces
    // its requests exactly and this clock, while still holding the average.
    let quota = Quota::with_period(period)
        .ok_or(StartError::Rps(rps))?
        .allow_burst(NonZeroU32::MIN.saturating_add(1));
    Ok(Some(RateLimiter::direct(quota)))
}

fn router(state: Arc<AppState>) -> Router {
    Router::new()
        .route("/", get(index))
        .route(
            "/oauth2/authorize",
            get(oauth::authorize_page).post(oauth::authorize_decision),
        )
        .route("/oauth2/token", post(oauth::token))
        .route("/oauth2/refresh", post(oauth::refresh))
        .route("/oauth2/resource", post(oauth::resource))
        // The API paths as the SDKs write them and, with a trailing slash,
        // as the documentation does (`/api/admin/v2/?action=...`).
        .route(
            "/api/oauth2",
            get(crate::api::oauth2).post(crate::api::oauth2),
        )
        .route(
            "/api/oauth2/",
            get(crate::api::oauth2).post(crate::api::oauth2),
        )
        .route(
            "/api/admin/v2",
            get(crate::api::admin).post(crate::api::admin),
        )
        .route(
            "/api/admin/v2/",
            get(crate::api::admin).post(crate::api::admin),
        )
        .route("/__sim/stats", get(stats))
        .route("/__sim/stats/reset", post(reset_stats))
        .route("/__sim/faults", post(set_faults))
        .route("/__sim/revoke", post(revoke))
        .route("/__sim/info", get(info))
        .with_state(state)
}

async fn stats(State(state): State<Arc<AppState>>) -> Json<StatsSnapshot> {
    Json(state.stats.snapshot())
}

async fn reset_stats(State(state): State<Arc<AppState>>) -> StatusCode {
    state.stats.reset();
    StatusCode::NO_CONTENT
}

async fn set_faults(State(state): State<Arc<AppState>>, body: Bytes) -> Response {
    let text = String::from_utf8_lossy(&body);
    match text.parse::<FaultSpec>() {
        Ok(spec) => {
            state.apply_faults(&spec);
            StatusCode::NO_CONTENT.into_response()
        }
        Err(e) => (StatusCode::BAD_REQUEST, e.to_string()).into_response(),
    }
}

async fn revoke(State(state): State<Arc<AppState>>) -> StatusCode {
    state.tokens().revoke_all();
    StatusCode::NO_CONTENT
}

async fn info(State(state): State<Arc<AppState>>) -> Json<SimInfo> {
    Json(state.info.clone())
}

/// A landing page for people who open the simulator in a browser: a link
/// that starts the sign-in flow with every read scope.
async fn index(State(state): State<Arc<AppState>>) -> Html<String> {
    let scopes = oauth::SCOPES
        .iter()
        .map(|(s, _)| *s)
        .filter(|s| s.ends_with("_read"))
        .collect::<Vec<_>>()
        .join(",");
    let query = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("client_id", CLIENT_ID)
        .append_pair("redirect_uri", REDIRECT_URI)
        .append_pair("state", "try-it-by-hand")
        .append_pair("scope", &scopes)
        .append_pair("response_type", "code")
        .finish();
    let url = format!("{}/oauth2/authorize?{query}", state.info.oauth_url);
    Html(format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Worksection \
         simulator</title></head><body style=\"font-family:system-ui,sans-serif;max-width:40rem;\
         margin:3rem auto\"><h1>Worksection simulator</h1><p>Account <strong>{company}</strong>, \
         dataset <code>{dataset}</code>: {projects} projects, {tasks} tasks, {files} files.</p>\
         <p><a href=\"{url}\">Walk the sign-in (consent) page</a>. After Allow, the browser goes to \
         the app's redirect URL with a <code>code</code>; nothing listens there unless an app does.</p>\
         <p>Request counts: <a href=\"/__sim/stats\">/__sim/stats</a></p></body></html>",
        company = escape(&state.info.account_name),
        dataset = escape(&state.info.dataset),
        projects = state.account.data.projects.len(),
        tasks = state.account.data.tasks.len(),
        files = state.account.data.files.len(),
        url = escape(&url),
    ))
}

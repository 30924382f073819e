//! Team mode: `worksection-mcp serve --team --public-url URL`.
//!
//! One server for a whole company. The authorization server, the people
//! and the store are the `worksection-team` crate's ([`Team`]); this
//! module puts the MCP endpoint behind it. Every request to `/mcp` must
//! carry an access token of the team server (else RFC 6750's 401 with the
//! resource metadata's address), which names one person; that person has
//! their own [`Account`] — their own Worksection client with their own
//! tokens, their own response cache, single-flight and file folder — and
//! each of their grants (one per assistant they connected) its own MCP
//! server, with its own pages and sessions. So a cursor, an offload id, a
//! session or a file of one person is simply not there for another: the
//! separation is by construction, not by a check at each place. All
//! people of one Worksection account share that account's pace, served
//! round-robin across them ([`worksection_team::AccountPace`]).
//!
//! Replicas (`--redis-url`): the person's [`Account`] is given their space
//! of the shared store ([`crate::shared`]), so their answers and fetches
//! (`cache`), cursors (`paging`) and offloaded answers (`offload`) follow
//! them from replica to replica; files stay on each replica's disk
//! (`file_cache`).
//!
//! Every tool call is written to the audit log (who, when, which tool,
//! which ids, outcome, bytes; never content) and counted in the metrics.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::{Request, State};
use axum::middleware;
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get};
use rmcp::transport::StreamableHttpService;
use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
use rmcp::transport::streamable_http_server::session::{
    SessionManager, SessionState, SessionStore, SessionStoreError,
};
use tokio::sync::Mutex;
use tokio_util::sync::CancellationToken;
use tower::ServiceExt as _;
use url::Url;
use worksection::{Client, ExposeSecret, SecretString};
use worksection_team::{
    CallRecord, FetchPolicy, KeySource, Team, TeamConfig, Viewer, WorksectionApp,
};

use crate::account::Account;
use crate::activity::Activity;
use crate::config::{ConfigError, ServeArgs, Settings, Source, bad};
use crate::server::WorksectionServer;
use crate::shared::{SharedSpace, SharedStore};
use crate::tools::Registry;
use crate::transport::http;

/// What the server instructions add when everyone is served through the
/// admin key (`--team-admin-key`).
const ADMIN_KEY_NOTE: &str = "This team server reads Worksection through the account's admin API key: every answer is the whole account's view, not only what the person asking may see in Worksection, and questions about \"me\" (my tasks, my timer) cannot be answered.";

/// Team mode's settings: the server's own (the answer budget, caches,
/// listening address) with the account reached through the company's
/// OAuth app (or, with --team-admin-key, the admin key), and what the team
/// server itself needs. Each problem is one sentence naming what is
/// missing or wrong.
pub fn settings(args: &ServeArgs) -> Result<(Settings, TeamConfig), ConfigError> {
    let t = &args.team;
    if args.demo {
        return Err(bad(
            "--team serves a real Worksection account; it cannot be combined with --demo.",
        ));
    }
    let public = t
        .public_url
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .ok_or_else(|| {
            bad("--team needs --public-url (MCP_PUBLIC_URL): the https address people's assistants reach this server at, like https://mcp.example.com.")
        })?;
    let public_url = TeamConfig::public_url(public).map_err(|e| ConfigError(e.0))?;
    let callback = format!(
        "{}/oauth/worksection/callback",
        public_url.as_str().trim_end_matches('/')
    );
    let client_id = args
        .oauth
        .client_id
        .as_deref()
        .map(str::trim)
        .unwrap_or_default();
    let has_secret = args
        .oauth
        .client_secret
        .as_ref()
        .is_some_and(|s| !s.expose_secret().trim().is_empty());
    if client_id.is_empty() || !has_secret {
        let missing = match (client_id.is_empty(), has_secret) {
            (true, false) => "WORKSECTION_CLIENT_ID and WORKSECTION_CLIENT_SECRET are",
            (true, true) => "WORKSECTION_CLIENT_ID is",
            _ => "WORKSECTION_CLIENT_SECRET is",
        };
        return Err(bad(format!(
            "--team needs the company's Worksection OAuth app, and {missing} not set; create the app in Worksection (Account → API → OAuth2) with the redirect URI {callback} and set its client id and secret."
        )));
    }
    let oauth = args.oauth.settings()?;
    let api_key = args
        .api_key
        .as_ref()
        .map(|k| k.expose_secret().trim().to_owned())
        .filter(|k| !k.is_empty());
    let account_url = args
        .account_url
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(crate::config::account_url)
        .transpose()?;
    let source = match api_key {
        Some(_) if !t.team_admin_key => {
            return Err(bad(
                "WORKSECTION_API_KEY is set, but in team mode each person sees only their own Worksection; unset it, or pass --team-admin-key (MCP_TEAM_ADMIN_KEY) to serve everyone the whole account's view.",
            ));
        }
        Some(key) => Source::ApiKey {
            account_url: account_url.clone().ok_or_else(|| {
                bad("--team-admin-key needs WORKSECTION_ACCOUNT_URL, the account the admin key belongs to.")
            })?,
            api_key: SecretString::from(key),
        },
        None => Source::OAuth {
            oauth: oauth.clone(),
            store: args.store.settings()?,
            account: None,
        },
    };
    let settings = args.settings_for(source, true)?;
    if !(60..=86_400).contains(&t.team_access_token_seconds) {
        return Err(bad(
            "MCP_TEAM_ACCESS_TOKEN_SECONDS must be between 60 and 86400 (a day); short-lived tokens are the point.",
        ));
    }
    if !(1..=365).contains(&t.team_refresh_token_days) {
        return Err(bad(
            "MCP_TEAM_REFRESH_TOKEN_DAYS must be between 1 and 365.",
        ));
    }
    let data_dir = match &t.data_dir {
        Some(d) => d.clone(),
        None => crate::config::data_dir()?.join("team"),
    };
    let key = match (&t.team_key, &t.team_key_file) {
        (Some(k), _) if !k.expose_secret().trim().is_empty() => Some(KeySource::Value(
            SecretString::from(k.expose_secret().trim().to_owned()),
        )),
        (_, Some(f)) => Some(KeySource::File(f.clone())),
        _ => None,
    };
    let extra_root_pem = match &t.team_metadata_ca_file {
        Some(path) => Some(std::fs::read(path).map_err(|e| {
            bad(format!(
                "MCP_TEAM_METADATA_CA_FILE {} could not be read: {e}.",
                path.display()
            ))
        })?),
        None => None,
    };
    let redis_url = t
        .redis_url
        .as_ref()
        .map(|u| u.expose_secret().trim().to_owned())
        .filter(|u| !u.is_empty());
    if let Some(url) = &redis_url
        && !(url.starts_with("redis://") || url.starts_with("rediss://"))
    {
        return Err(bad(
            "--redis-url (MCP_REDIS_URL) must start with redis:// or rediss://, like redis://redis:6379.",
        ));
    }
    let config = TeamConfig {
        public_url,
        app: WorksectionApp {
            client_id: oauth.client_id.clone(),
            client_secret: oauth.client_secret.clone(),
            oauth_url: oauth.oauth_url.clone(),
            scopes: oauth.scopes.clone(),
            account_url,
        },
        data_dir,
        key,
        access_ttl: std::time::Duration::from_secs(t.team_access_token_seconds),
        refresh_ttl: std::time::Duration::from_secs(t.team_refresh_token_days * 86_400),
        fetch: FetchPolicy {
            allow_loopback: t.team_metadata_loopback,
            extra_root_pem,
            ..FetchPolicy::default()
        },
        requests_per_second: settings.requests_per_second,
        redis_url,
    };
    Ok((settings, config))
}

/// The MCP side of a team server.
struct TeamMcp {
    team: Arc<Team>,
    settings: Settings,
    /// The admin key and its account, with `--team-admin-key`.
    admin: Option<(Url, SecretString)>,
    registry: Arc<Registry>,
    local: SocketAddr,
    shutdown: CancellationToken,
    /// One account per person.
    accounts: Mutex<HashMap<String, Arc<Account>>>,
    /// One MCP server per grant (a person's connection of one assistant),
    /// made once even when the grant's first requests race.
    servers: Mutex<HashMap<String, Arc<tokio::sync::OnceCell<McpService>>>>,
}

type McpService = StreamableHttpService<WorksectionServer, LocalSessionManager>;

/// Serves team mode until `shutdown`.
pub async fn serve(args: &ServeArgs, shutdown: CancellationToken) -> Result<(), ConfigError> {
    let (settings, config) = settings(args)?;
    worksection_team::install_metrics();
    let public = config.issuer();
    let team = Team::start(config)
        .await
        .map_err(|e| ConfigError(e.to_string()))?;
    let admin = match &settings.source {
        Source::ApiKey {
            account_url,
            api_key,
        } => Some((account_url.clone(), api_key.clone())),
        _ => None,
    };
    let listener = http::bind(&settings).await?;
    let local = listener
        .local_addr()
        .map_err(|e| ConfigError(format!("Could not read the listening address: {e}.")))?;
    let state = Arc::new(TeamMcp {
        team: team.clone(),
        registry: Arc::new(Registry::with_toolsets(&settings.answers.toolsets)),
        settings: with_public_host(&settings, &public),
        admin,
        local,
        shutdown: shutdown.child_token(),
        accounts: Mutex::new(HashMap::new()),
        servers: Mutex::new(HashMap::new()),
    });
    let sweeper = tokio::spawn(sweep(team.clone(), shutdown.child_token()));
    let app = Router::new()
        .route(
            "/mcp",
            any(mcp)
                .layer(middleware::from_fn(http::check_jsonrpc))
                .layer(middleware::from_fn(http::session_closed))
                .layer(middleware::from_fn(http::resume_or_refuse))
                .layer(middleware::from_fn_with_state(state.clone(), authenticated)),
        )
        .route("/healthz", get(http::healthz))
        .with_state(state)
        .merge(team.router());
    let shown = if local.ip().is_unspecified() {
        format!("http://127.0.0.1:{}/mcp", local.port())
    } else {
        format!("http://{local}/mcp")
    };
    eprintln!("Worksection MCP: serving a team at {shown} (people connect to {public}/mcp)");
    tracing::info!(address = %local, public = %public, "team server listening");
    let result = http::serve_on(listener, app, shutdown).await;
    sweeper.abort();
    result
}

/// Allows the public address's host and origin in rmcp's checks.
fn with_public_host(settings: &Settings, public: &str) -> Settings {
    let mut s = settings.clone();
    if let Ok(url) = Url::parse(public) {
        if let Some(host) = url.host_str() {
            s.allowed_hosts.push(host.to_owned());
        }
        s.allowed_origins.push(url.origin().ascii_serialization());
    }
    s
}

/// Forgets expired sign-ins, codes and tokens every few minutes.
async fn sweep(team: Arc<Team>, stop: CancellationToken) {
    loop {
        tokio::select! {
            () = stop.cancelled() => return,
            () = tokio::time::sleep(std::time::Duration::from_secs(300)) => {}
        }
        if let Err(e) = team.store().sweep(chrono::Utc::now().timestamp()).await {
            tracing::warn!(error = %e, "the team store could not forget expired entries");
        }
    }
}

/// `/mcp`: the person's own MCP server, or the refusal.
/// The token first, before anything of the request is read: without a
/// valid one, the 401 whose challenge starts the sign-in (a broken body
/// included); with one, its person goes on with the request.
async fn authenticated(
    State(state): State<Arc<TeamMcp>>,
    mut request: Request,
    next: middleware::Next,
) -> Response {
    match state.team.authenticate(request.headers()).await {
        Ok(viewer) => {
            request.extensions_mut().insert(viewer);
            next.run(request).await
        }
        Err(refusal) => refusal.into_response(),
    }
}

async fn mcp(State(state): State<Arc<TeamMcp>>, request: Request) -> Response {
    let Some(viewer) = request.extensions().get::<Viewer>().cloned() else {
        // `authenticated` runs before this handler on every route to it.
        return axum::http::StatusCode::UNAUTHORIZED.into_response();
    };
    let service = match state.service(&viewer).await {
        Ok(s) => s,
        Err(e) => {
            tracing::warn!(error = %e, "a person's MCP server could not be opened");
            return (
                axum::http::StatusCode::SERVICE_UNAVAILABLE,
                axum::Json(serde_json::json!({"error": "temporarily_unavailable", "error_description": e.to_string()})),
            )
                .into_response();
        }
    };
    match service.oneshot(request).await {
        Ok(resp) => resp.into_response(),
        Err(never) => match never {},
    }
}

impl TeamMcp {
    /// The MCP service of a viewer's grant, made on first use.
    async fn service(&self, viewer: &Viewer) -> Result<McpService, ConfigError> {
        let once = self
            .servers
            .lock()
            .await
            .entry(viewer.grant.clone())
            .or_default()
            .clone();
        once.get_or_try_init(|| self.open_service(viewer))
            .await
            .cloned()
    }

    /// Opens the MCP service of a viewer's grant: the person's account, the
    /// grant's audit log, and its sessions shared between replicas.
    async fn open_service(&self, viewer: &Viewer) -> Result<McpService, ConfigError> {
        let account = self.account(viewer).await?;
        let activity = Arc::new(Activity::new());
        let mut server = WorksectionServer::with_budget(
            account.clone(),
            self.registry.clone(),
            self.settings.answers.max_answer_tokens,
        )
        .with_activity(activity.clone());
        if self.admin.is_some() {
            server = server.with_note(ADMIN_KEY_NOTE);
        }
        tokio::spawn(audit(self.team.clone(), viewer.clone(), activity));
        // Between replicas, sessions of earlier protocol versions are found
        // by any replica (see `SharedSessions`).
        let manager = Arc::new(LocalSessionManager::default());
        let sessions = account
            .shared()
            .map(|space| Arc::new(SharedSessions::new(space.clone(), &viewer.grant)));
        if let Some(sessions) = &sessions {
            tokio::spawn(
                sessions
                    .clone()
                    .close_ended_elsewhere(Arc::downgrade(&manager), self.shutdown.child_token()),
            );
        }
        Ok(http::mcp_service(
            server,
            &self.settings,
            self.local,
            self.shutdown.clone(),
            manager,
            sessions.map(|s| s as Arc<dyn SessionStore>),
        ))
    }

    /// A person's account: their own client, caches and files.
    async fn account(&self, viewer: &Viewer) -> Result<Arc<Account>, ConfigError> {
        let mut accounts = self.accounts.lock().await;
        if let Some(a) = accounts.get(&viewer.person) {
            return Ok(a.clone());
        }
        let builder = Client::builder().requests_per_second(self.settings.requests_per_second);
        let (builder, account_url) = match &self.admin {
            Some((url, key)) => (
                builder.account_url(url.as_str()).api_key(key.clone()),
                url.to_string(),
            ),
            None => {
                let bearer = self
                    .team
                    .upstream(&viewer.person)
                    .await
                    .map_err(|e| ConfigError(e.to_string()))?
                    .ok_or_else(|| {
                        ConfigError("This person is signed out; sign in again.".into())
                    })?;
                (
                    builder
                        .account_url(viewer.account_url.as_str())
                        .bearer(bearer),
                    viewer.account_url.clone(),
                )
            }
        };
        let lane = self.team.pace(&account_url).lane(&viewer.person);
        let client = builder
            .pace(lane)
            .build()
            .map_err(|e| ConfigError(e.to_string()))?;
        let label = format!("{} ({})", viewer.name, viewer.email);
        // Between replicas (`--redis-url`), the person's answers, pages and
        // offloads live in their space of the shared store.
        let shared = self
            .team
            .shared()
            .map(|s| SharedSpace::new(Arc::new(s.clone()) as Arc<dyn SharedStore>, &viewer.person));
        let account = crate::open::shared_account(
            &self.settings,
            client,
            label,
            &format!("team/{}", folder(&viewer.person)),
            shared,
        );
        accounts.insert(viewer.person.clone(), account.clone());
        Ok(account)
    }
}

/// How long a session of an earlier protocol version is kept for other
/// replicas to take up, and the most bytes its state may take (it is the
/// client's `initialize` parameters).
const SESSION_TTL: Duration = Duration::from_secs(24 * 3600);
const SESSION_CAP: usize = 64 << 10;
/// How often a replica looks for its sessions ended on another one.
const SESSION_WATCH: Duration = Duration::from_secs(2);

/// The sessions of one grant's MCP server in the person's shared space
/// (`session:{person}:{grant}/{session id}`): what rmcp keeps of a session
/// (the client's `initialize` parameters) for another replica to replay
/// when the client's next request lands there. A session the store does
/// not know (expired, never stored, or the store is down) is answered 404,
/// and the client starts a new one, as the specification says.
///
/// A session made while Redis is down (or whose record is over the cap)
/// is not in the store: it lives on this replica only and is written once
/// Redis answers again, so nothing takes its missing record for an end.
pub(crate) struct SharedSessions {
    space: SharedSpace,
    grant: String,
    /// The sessions whose record this replica wrote or read: only these
    /// can have been ended elsewhere when their record is gone.
    shared: std::sync::Mutex<std::collections::HashSet<String>>,
    /// The sessions made here whose record could not be written yet.
    unsaved: std::sync::Mutex<HashMap<String, SessionState>>,
}

impl SharedSessions {
    pub(crate) fn new(space: SharedSpace, grant: &str) -> Self {
        Self {
            space,
            grant: grant.to_owned(),
            shared: std::sync::Mutex::default(),
            unsaved: std::sync::Mutex::default(),
        }
    }

    fn key(&self, session: &str) -> String {
        self.space
            .key("session", &format!("{}/{session}", self.grant))
    }

    /// Writes a session's record; remembers whether it is in the store.
    async fn save(&self, session: &str, state: &SessionState) -> Result<(), serde_json::Error> {
        let json = serde_json::to_vec(state)?;
        let now = std::time::SystemTime::now();
        let stored = self
            .space
            .put(&self.key(session), &json, now, SESSION_TTL, SESSION_CAP)
            .await;
        if stored {
            lock(&self.unsaved).remove(session);
            lock(&self.shared).insert(session.to_owned());
        } else {
            lock(&self.unsaved).insert(session.to_owned(), state.clone());
        }
        Ok(())
    }

    /// Closes the sessions this replica holds once their record is gone
    /// from the shared store: the client's DELETE reached another replica
    /// (which forgot the record), or the record expired. Without this, a
    /// session's GET stream here would stay open after the client ended
    /// the session there. Only a session whose record was in the store is
    /// closed, and only on the store's own answer: a Redis that does not
    /// answer ends nothing. Sessions made while it did not answer are
    /// written here once it does.
    async fn close_ended_elsewhere(
        self: Arc<Self>,
        manager: std::sync::Weak<LocalSessionManager>,
        stop: CancellationToken,
    ) {
        loop {
            tokio::select! {
                () = stop.cancelled() => return,
                () = tokio::time::sleep(SESSION_WATCH) => {}
            }
            let Some(manager) = manager.upgrade() else {
                return;
            };
            let held: std::collections::HashSet<_> =
                manager.sessions.read().await.keys().cloned().collect();
            // Forget what this replica no longer holds.
            lock(&self.shared).retain(|id| held.contains(id.as_str()));
            lock(&self.unsaved).retain(|id, _| held.contains(id.as_str()));
            if !self.space.is_up() {
                continue;
            }
            let unsaved: Vec<_> = lock(&self.unsaved)
                .iter()
                .map(|(id, state)| (id.clone(), state.clone()))
                .collect();
            for (id, state) in unsaved {
                if let Err(e) = self.save(&id, &state).await {
                    tracing::warn!(error = %e, "a session's record could not be written");
                }
            }
            let shared: Vec<_> = held
                .into_iter()
                .filter(|id| lock(&self.shared).contains(&**id))
                .collect();
            for id in shared {
                match self.space.exists(&self.key(&id)).await {
                    Some(true) => {}
                    Some(false) => {
                        tracing::debug!("a session ended on another replica; closing it here");
                        lock(&self.shared).remove(&*id);
                        if let Err(e) = manager.close_session(&id).await {
                            tracing::warn!(error = %e, "a session ended elsewhere could not be closed here");
                        }
                    }
                    None => break,
                }
            }
        }
    }
}

/// A mutex's guard, whatever a panic elsewhere left in it (sets of ids).
fn lock<T>(m: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

#[async_trait::async_trait]
impl SessionStore for SharedSessions {
    async fn load(&self, session: &str) -> Result<Option<SessionState>, SessionStoreError> {
        let Some(found) = self.space.get(&self.key(session)).await else {
            return Ok(None);
        };
        let state: Option<SessionState> = serde_json::from_slice(&found.bytes).ok();
        if state.is_some() {
            lock(&self.shared).insert(session.to_owned());
        }
        Ok(state)
    }

    async fn store(&self, session: &str, state: &SessionState) -> Result<(), SessionStoreError> {
        Ok(self.save(session, state).await?)
    }

    async fn delete(&self, session: &str) -> Result<(), SessionStoreError> {
        lock(&self.unsaved).remove(session);
        lock(&self.shared).remove(session);
        self.space.forget(&self.key(session)).await;
        Ok(())
    }
}

/// A person's folder name: their id with what a path cannot hold replaced.
fn folder(person: &str) -> String {
    person
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect::<String>()
        .trim_start_matches('.')
        .to_owned()
}

/// Writes each tool call of a grant's server to the audit log.
async fn audit(team: Arc<Team>, viewer: Viewer, activity: Arc<Activity>) {
    let mut calls = activity.subscribe();
    drop(activity);
    loop {
        match calls.recv().await {
            Ok(call) => {
                team.record_call(
                    &viewer,
                    CallRecord {
                        at: call.at.timestamp(),
                        tool: &call.tool,
                        ids: &call.ids,
                        ok: call.error.is_none(),
                        bytes: call.response_bytes,
                        duration_ms: call.duration_ms,
                        upstream_requests: call.upstream_requests,
                    },
                )
                .await;
            }
            Err(tokio::sync::broadcast::error::RecvError::Lagged(n)) => {
                tracing::error!(lost = n, "the audit log fell behind and lost entries");
            }
            Err(tokio::sync::broadcast::error::RecvError::Closed) => return,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        serve: ServeArgs,
    }

    fn team(args: &[&str]) -> Result<(Settings, TeamConfig), ConfigError> {
        let mut all = vec!["t", "--team"];
        all.extend_from_slice(args);
        let cli = Cli::try_parse_from(all).map_err(|e| ConfigError(e.to_string()))?;
        settings(&cli.serve)
    }

    #[test]
    fn team_mode_names_what_is_missing() {
        let app = ["--client-id", "id", "--client-secret", "secret"];
        let cases: &[(&[&str], &str)] = &[
            (&app, "--public-url"),
            (
                &["--public-url", "https://mcp.example.com"],
                "WORKSECTION_CLIENT_ID and WORKSECTION_CLIENT_SECRET are",
            ),
            (
                &[
                    "--public-url",
                    "https://mcp.example.com",
                    "--client-id",
                    "id",
                ],
                "WORKSECTION_CLIENT_SECRET is",
            ),
            (
                &[
                    "--public-url",
                    "http://mcp.example.com",
                    "--client-id",
                    "id",
                    "--client-secret",
                    "s",
                ],
                "https://",
            ),
            (
                &[
                    "--public-url",
                    "https://mcp.example.com/x",
                    "--client-id",
                    "id",
                    "--client-secret",
                    "s",
                ],
                "no path",
            ),
            (
                &[
                    "--public-url",
                    "https://mcp.example.com",
                    "--client-id",
                    "id",
                    "--client-secret",
                    "s",
                    "--api-key",
                    "k",
                    "--account-url",
                    "https://acme.worksection.com",
                ],
                "--team-admin-key",
            ),
            (
                &[
                    "--demo",
                    "--public-url",
                    "https://mcp.example.com",
                    "--client-id",
                    "id",
                    "--client-secret",
                    "s",
                ],
                "--demo",
            ),
        ];
        for (args, expected) in cases {
            let e = team(args).expect_err(expected).to_string();
            assert!(e.contains(expected), "{args:?}: {e}");
        }
        let e = team(&["--public-url", "https://mcp.example.com"])
            .expect_err("no app")
            .to_string();
        assert!(
            e.contains("https://mcp.example.com/oauth/worksection/callback"),
            "{e}"
        );
    }

    #[test]
    fn team_mode_listens_beyond_loopback_without_a_shared_token() {
        let (s, c) = team(&[
            "--public-url",
            "https://mcp.example.com",
            "--client-id",
            "id",
            "--client-secret",
            "s",
            "--host",
            "0.0.0.0",
            "--data-dir",
            "/tmp/x",
        ])
        .expect("team settings");
        assert!(!s.host.is_loopback());
        assert_eq!(c.resource(), "https://mcp.example.com/mcp");
        assert_eq!(
            c.worksection_redirect(),
            "https://mcp.example.com/oauth/worksection/callback"
        );
    }

    #[test]
    fn redis_url_is_for_team_mode_and_must_be_a_redis_url() {
        let base = [
            "--public-url",
            "https://mcp.example.com",
            "--client-id",
            "id",
            "--client-secret",
            "s",
        ];
        let (_, c) = team(&base).expect("without Redis");
        assert_eq!(c.redis_url, None);
        let with = |url: &'static str| {
            let mut args = base.to_vec();
            args.extend(["--redis-url", url]);
            team(&args)
        };
        let (_, c) = with("redis://redis:6379").expect("with Redis");
        assert_eq!(c.redis_url.as_deref(), Some("redis://redis:6379"));
        let e = with("http://redis:6379")
            .expect_err("not redis://")
            .to_string();
        assert!(e.contains("--redis-url") && e.contains("redis://"), "{e}");
        // Without --team it is a configuration error, not ignored.
        let cli = Cli::try_parse_from(["t", "--redis-url", "redis://redis:6379"]).expect("parse");
        let e = cli.serve.settings().expect_err("not team mode").to_string();
        assert!(e.contains("--redis-url") && e.contains("--team"), "{e}");
    }

    #[test]
    fn folders_are_path_safe() {
        assert_eq!(
            folder("acme.worksection.com/3993"),
            "acme.worksection.com_3993"
        );
        assert_eq!(folder("127.0.0.1:8080/1"), "127.0.0.1_8080_1");
        assert_eq!(folder("../x/1"), "_x_1");
    }
}

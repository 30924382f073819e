//! The app's state and what it does, without any window: the settings, the
//! server running in process (started, restarted, stopped), the health
//! check, the sign-in in progress, and the snapshot the dashboard and the
//! tray show.
//!
//! Everything the page sees goes through [`Snapshot`], which is built here
//! from facts only: no token, no code, no secret is ever in it.
//!
//! A sign-in comes one of three ways (see `ways`): an OAuth2 app (the
//! environment's, the person's own saved one, or the one built into this
//! build) through the sign-in window, or an admin API key checked with one
//! live call. Nothing the person typed is saved before it worked.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use clap::Parser;
use serde::Serialize;
use worksection::{ErrorKind, ExposeSecret, SecretString};
use worksection_auth::{
    OAuthSettings, SignIn, SignInError, StoreError, StoreKind, StoreSettings, StoredSignIn,
    TokenStore,
};
use worksection_mcp::connect::Connected;
use worksection_mcp::host::{self, Running};
use worksection_mcp::{
    Activity, ConfigError, FileCacheStats, OAuthArgs, Settings, Source, StoreArgs, ToolError,
    Transport,
};

use crate::alerts::{Alert, Alerts};
use crate::error::Error;
use crate::settings::{self, AppSettings, Mode};
use crate::ways::{self, ApiKey, AppCredentials, Saved};

/// The settings the CLI reads from the environment that the app honours
/// too (the OAuth2 app, the token store, the cache folder), read through
/// the CLI's own definitions so both mean the same.
#[derive(Debug, Clone, Parser)]
#[command(name = "worksection-mcp-desktop")]
pub struct EnvArgs {
    #[command(flatten)]
    pub oauth: OAuthArgs,
    #[command(flatten)]
    pub store: StoreArgs,
    #[arg(long, env = "FILE_CACHE_PATH")]
    pub file_cache_path: Option<PathBuf>,
    #[arg(long, env = "WORKSECTION_REQUESTS_PER_SECOND", default_value_t = 1.0)]
    pub requests_per_second: f64,
}

impl EnvArgs {
    /// From the environment only (the app's own arguments are not these).
    pub fn from_env() -> Result<Self, String> {
        Self::try_parse_from(["worksection-mcp-desktop"]).map_err(|e| e.to_string())
    }
}

/// A message for the dashboard's banner.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Notice {
    /// `error` or `info`.
    pub kind: &'static str,
    pub text: String,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Health {
    /// `None` until the first check.
    pub reachable: Option<bool>,
    pub latency_ms: Option<u64>,
    /// Upstream requests waiting for the rate limiter now.
    pub queued: usize,
    pub last_error: Option<String>,
    pub checked_at: Option<DateTime<Utc>>,
    /// The signed-in person, as the API answered.
    #[serde(skip)]
    pub user: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct AccountView {
    pub user: String,
    pub account_url: String,
    pub token_expires_at: Option<DateTime<Utc>>,
    pub demo: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct ServerView {
    pub running: bool,
    pub address: String,
    pub sessions: usize,
    pub uptime_seconds: u64,
    pub error: Option<String>,
    pub local_token: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct CacheView {
    pub files: u64,
    pub bytes: u64,
    pub hit_rate: f64,
    pub hits: u64,
    pub misses: u64,
    pub retention_hours: u64,
    pub max_total_size_mb: u64,
}

/// Where an OAuth2 app for signing in comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AppSource {
    /// `WORKSECTION_CLIENT_ID` and `_SECRET` (started from a shell).
    Environment,
    /// The person's own app, saved from the dashboard.
    Own,
    /// The app built into this build.
    BuiltIn,
}

/// The ways to sign in, as the dashboard offers them. Only facts: the own
/// app's client id is shown (it is not a secret), its secret never.
#[derive(Debug, Clone, Serialize)]
pub struct WaysView {
    /// The app "Sign in" uses now, if any.
    pub app: Option<AppSource>,
    /// Whether this build carries an app of its own.
    pub builtin: bool,
    /// The saved own app's client id.
    pub own_app_client_id: Option<String>,
    /// The account of the saved admin API key.
    pub api_key_account: Option<String>,
    /// What to register with an own app.
    pub redirect_uri: String,
    pub scopes: Vec<String>,
    /// The sign-in server in use ("Advanced").
    pub oauth_url: String,
    /// Where the saved details live ("the OS keychain", ...).
    pub store: Option<String>,
    /// Why the saved details could not be read, if they could not.
    pub store_error: Option<String>,
}

/// An update found, checked and ready to install (see `updates`), as the
/// page shows it.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct UpdateView {
    pub version: String,
    /// The release notes from the feed, if any.
    pub notes: Option<String>,
    /// Installing now (the app restarts when done).
    pub installing: bool,
}

/// What the dashboard and the tray show.
#[derive(Debug, Clone, Serialize)]
pub struct Snapshot {
    /// No choice made yet: the page shows only the two first-run choices.
    pub first_run: bool,
    pub mode: Option<Mode>,
    pub account: Option<AccountView>,
    pub server: ServerView,
    pub health: Health,
    pub cache: Option<CacheView>,
    pub notice: Option<Notice>,
    pub signing_in: bool,
    pub settings: AppSettings,
    pub connected: Vec<Connected>,
    pub has_tray: bool,
    pub ways: WaysView,
    /// A newer version, downloaded and checked, ready to install.
    pub update: Option<UpdateView>,
}

/// The state of the tray icon.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TrayState {
    SignedOut,
    Serving,
    Error,
}

impl Snapshot {
    pub fn tray_state(&self) -> TrayState {
        if self.server.error.is_some() || self.health.reachable == Some(false) {
            TrayState::Error
        } else if self.server.running {
            TrayState::Serving
        } else {
            TrayState::SignedOut
        }
    }

    /// The tray's status line: the account and the address.
    pub fn status_line(&self) -> String {
        match (&self.account, self.server.running) {
            (Some(a), true) => format!("{} — {}", a.user, self.server.address),
            (Some(a), false) => format!("{} — stopped", a.user),
            (None, _) if self.server.error.is_some() => "Not serving — see the dashboard".into(),
            (None, _) => "Not signed in".into(),
        }
    }
}

/// A sign-in in progress. With `candidate`, it also checks an own app
/// the person typed in: the app is saved only when the sign-in worked.
pub struct Pending {
    attempt: u64,
    signin: SignIn,
    candidate: Option<AppCredentials>,
}

/// The app's state, all behind one lock ([`Core::state`]), never held
/// across an await or a call out of this file.
struct State {
    settings: AppSettings,
    server_error: Option<String>,
    health: Health,
    notice: Option<Notice>,
    /// The sign-in attempt in progress: begun by `begin_sign_in`, finished
    /// by `take_pending` + `finish_sign_in`, or cancelled.
    pending: Option<Pending>,
    attempts: u64,
    connected: HashMap<&'static str, Connected>,
    has_tray: bool,
    /// The saved own app and API key, read from the store at start and
    /// after each change (never per snapshot); `Err` says why not.
    saved: Option<Result<Saved, String>>,
    /// The account served, as shown; set when the server (re)starts and at
    /// each health check, so a snapshot never reads the token store.
    account: Option<AccountView>,
    /// What is wrong now, and the OS notifications not yet shown.
    alerts: Alerts,
    update: Option<UpdateView>,
}

pub struct Core {
    pub dir: PathBuf,
    env: EnvArgs,
    /// The token store once opened (see [`Core::store`]).
    store: Mutex<Option<Arc<dyn TokenStore>>>,
    state: Mutex<State>,
    pub activity: Arc<Activity>,
    /// The server running in process: behind its own (async) lock, as it
    /// is held while it starts and stops.
    server: tokio::sync::Mutex<Option<Running>>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // A poisoned lock means a panic elsewhere while holding it; the data
    // is plain values and still usable.
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Core {
    pub fn new(dir: PathBuf, env: EnvArgs) -> Self {
        let (settings, notice) = match AppSettings::load(&dir) {
            Ok(s) => (s, None),
            Err(e) => (
                AppSettings::default(),
                Some(Notice {
                    kind: "error",
                    text: e,
                }),
            ),
        };
        Self {
            dir,
            env,
            store: Mutex::new(None),
            state: Mutex::new(State {
                settings,
                server_error: None,
                health: Health::default(),
                notice,
                pending: None,
                attempts: 0,
                connected: HashMap::new(),
                has_tray: false,
                saved: None,
                account: None,
                alerts: Alerts::default(),
                update: None,
            }),
            activity: Arc::new(Activity::new()),
            server: tokio::sync::Mutex::new(None),
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        lock(&self.state)
    }

    /// The saved own app and API key (read from the store once, then kept).
    fn saved(&self) -> Result<Saved, String> {
        if let Some(s) = self.state().saved.as_ref() {
            return s.clone();
        }
        let read = self.store().and_then(|store| Saved::load(store.as_ref()));
        self.state().saved = Some(read.clone());
        read
    }

    /// Reads the saved details again (after a change).
    fn reload_saved(&self) {
        self.state().saved = None;
        let _ = self.saved();
    }

    /// The OAuth2 app "Sign in" uses: the environment's, else the person's
    /// own saved one, else the one built into this build.
    fn app(&self) -> Option<(AppSource, AppCredentials)> {
        self.app_with(self.saved().ok().as_ref())
    }

    /// [`Core::app`] with the saved details given (`None`: none known).
    fn app_with(&self, saved: Option<&Saved>) -> Option<(AppSource, AppCredentials)> {
        let env = &self.env.oauth;
        fn nonempty(v: Option<&str>) -> Option<&str> {
            v.map(str::trim).filter(|v| !v.is_empty())
        }
        if let (Some(client_id), Some(client_secret)) = (
            nonempty(env.client_id.as_deref()),
            nonempty(env.client_secret.as_ref().map(|s| s.expose_secret())),
        ) {
            let (client_id, client_secret) =
                (client_id.to_owned(), SecretString::from(client_secret));
            return Some((
                AppSource::Environment,
                AppCredentials {
                    client_id,
                    client_secret,
                },
            ));
        }
        if let Some(own) = saved.and_then(|s| s.own_app.clone()) {
            return Some((AppSource::Own, own));
        }
        ways::builtin().map(|b| (AppSource::BuiltIn, b))
    }

    /// The sign-in settings for `app`: the redirect URI and scopes from
    /// the environment (or their defaults), the sign-in server from the
    /// dashboard's Advanced (or the environment, or Worksection's).
    fn oauth_for(&self, app: &AppCredentials) -> Result<OAuthSettings, String> {
        let settings = self.settings();
        let mut args = self.env.oauth.clone();
        args.client_id = Some(app.client_id.clone());
        args.client_secret = Some(app.client_secret.clone());
        args.administrative = settings.webhook_access;
        if let Some(url) = settings.oauth_url {
            args.oauth_url = url;
        }
        args.settings().map_err(|ConfigError(e)| e)
    }

    /// What the dashboard shows of the ways to sign in: from what was
    /// read from the store already (a snapshot never opens the store,
    /// which can take a while when the keychain is slow to answer).
    fn ways_view(&self) -> WaysView {
        let settings = self.settings();
        let saved = self.state().saved.clone();
        let (saved, store_error) = match saved {
            Some(Ok(s)) => (s, None),
            Some(Err(e)) => (Saved::default(), Some(e)),
            None => (Saved::default(), None),
        };
        // Not waiting for a store being opened (the keychain's probe).
        let store = self
            .store
            .try_lock()
            .ok()
            .and_then(|kept| kept.as_ref().map(|s| s.kind().to_string()));
        WaysView {
            app: self.app_with(Some(&saved)).map(|(source, _)| source),
            builtin: ways::builtin().is_some(),
            own_app_client_id: saved.own_app.map(|a| a.client_id),
            api_key_account: saved.api_key.map(|k| k.account_url),
            redirect_uri: self.env.oauth.redirect_uri.clone(),
            scopes: OAuthSettings::default_scopes(settings.webhook_access),
            oauth_url: settings
                .oauth_url
                .unwrap_or_else(|| self.env.oauth.oauth_url.clone()),
            store,
            store_error,
        }
    }

    pub fn settings(&self) -> AppSettings {
        self.state().settings.clone()
    }

    pub fn snapshot_has_tray(&self) -> bool {
        self.state().has_tray
    }

    pub fn set_has_tray(&self, yes: bool) {
        self.state().has_tray = yes;
    }

    pub fn set_notice(&self, kind: &'static str, text: impl Into<String>) {
        self.state().notice = Some(Notice {
            kind,
            text: text.into(),
        });
    }

    #[cfg(test)]
    pub fn snapshot_notice(&self) -> Option<Notice> {
        self.state().notice.clone()
    }

    pub fn clear_notice(&self) {
        self.state().notice = None;
    }

    /// The update ready to install, if any (see `updates`).
    pub fn update(&self) -> Option<UpdateView> {
        self.state().update.clone()
    }

    pub fn set_update(&self, update: Option<UpdateView>) {
        self.state().update = update;
    }

    /// The OS notifications due now (each condition once, see `alerts`).
    pub fn take_alerts(&self) -> Vec<Alert> {
        self.state().alerts.take()
    }

    /// The OAuth2 app signing in and serving use; `NeedsSetup` when there
    /// is none yet (the page then offers the three ways).
    pub fn oauth(&self) -> Result<OAuthSettings, Error> {
        let (_, app) = self.app().ok_or(Error::NeedsSetup)?;
        Ok(self.oauth_for(&app)?)
    }

    fn store_settings(&self) -> Result<StoreSettings, String> {
        self.env.store.settings().map_err(|e| e.to_string())
    }

    /// The token store, opened on first use and kept: opening probes the
    /// keychain or decrypts the token file, too slow to repeat for every
    /// snapshot. Both read afresh on each call, so the kept store still
    /// sees what the server (or the CLI) writes. A failed open is not
    /// kept, so the next call tries again and says why.
    pub fn store(&self) -> Result<Arc<dyn TokenStore>, String> {
        let mut kept = lock(&self.store);
        if let Some(store) = kept.as_ref() {
            return Ok(store.clone());
        }
        let settings = self.store_settings()?;
        let opened = off_runtime(|| settings.open()).map_err(|e| e.to_string())?;
        let store: Arc<dyn TokenStore> = Arc::new(OffRuntime(opened));
        *kept = Some(store.clone());
        Ok(store)
    }

    /// Whether the token store holds a sign-in. A store that cannot be
    /// read counts as holding one: starting the server then says why.
    fn has_sign_in(&self) -> bool {
        match self
            .store()
            .and_then(|store| store.accounts().map_err(|e| e.to_string()))
        {
            Ok(keys) => !keys.is_empty(),
            Err(_) => true,
        }
    }

    /// The server's settings for the app's settings.
    fn server_settings(&self, s: &AppSettings) -> Result<Option<Settings>, String> {
        let source = match s.mode {
            None => return Ok(None),
            Some(Mode::Demo) => Source::Demo,
            Some(Mode::Account) if !self.has_sign_in() => {
                // Said here in the app's words; the library's sentence
                // points at the CLI's `login`.
                return Err(
                    "No Worksection sign-in is saved on this computer; click Sign in again.".into(),
                );
            }
            Some(Mode::Account) => Source::OAuth {
                oauth: self.oauth().map_err(|e| match e {
                    Error::NeedsSetup => "The Worksection app you signed in with is no longer saved; click Sign in and choose a way again.".to_owned(),
                    other => other.to_string(),
                })?,
                store: self.store_settings()?,
                account: None,
            },
            Some(Mode::ApiKey) => {
                let key = self.saved()?.api_key.ok_or(
                    "No admin API key is saved on this computer; click Sign in and enter it again.",
                )?;
                Source::ApiKey {
                    account_url: settings::check_web_address(&key.account_url, "The account address")?,
                    api_key: key.api_key,
                }
            }
        };
        let auth_token = if s.local_token {
            settings::local_token(&self.dir, true)?
        } else {
            None
        };
        let file_cache_root = match &self.env.file_cache_path {
            Some(p) => p.clone(),
            None => worksection_mcp::default_cache_dir().map_err(|e| e.to_string())?,
        };
        worksection_mcp::check_requests_per_second(self.env.requests_per_second)
            .map_err(|e| e.to_string())?;
        Ok(Some(Settings {
            source,
            transport: Transport::Http,
            // The app serves this computer only; a wider audience is the
            // headless server's job.
            host: IpAddr::V4(Ipv4Addr::LOCALHOST),
            port: s.port,
            auth_token,
            allowed_hosts: vec![],
            allowed_origins: vec![],
            cache_ttl: Duration::from_secs(60),
            file_cache_root,
            file_retention: Duration::from_secs(s.cache_retention_hours * 3600),
            max_file_bytes: 10 << 20,
            file_cache_max_bytes: s.cache_max_mb << 20,
            requests_per_second: self.env.requests_per_second,
            answers: Default::default(),
        }))
    }

    /// Stops the server (if it runs) and starts it again with the current
    /// settings, on the same port.
    pub async fn restart(&self) {
        // The saved ways, read once (the page shows them from then on).
        let _ = self.saved();
        let mut server = self.server.lock().await;
        if let Some(old) = server.take() {
            old.stop().await;
        }
        self.state().health = Health::default();
        let settings = self.settings();
        let result = match self.server_settings(&settings) {
            Ok(None) => Ok(None),
            Ok(Some(s)) => host::start(&s, self.activity.clone())
                .await
                .map(Some)
                .map_err(|ConfigError(e)| e),
            Err(e) => Err(e),
        };
        match result {
            Ok(running) => {
                if let Some(r) = &running {
                    tracing::info!(address = %r.address(), "serving");
                }
                let account = running.as_ref().and_then(|r| self.account_view(r));
                *server = running;
                let mut st = self.state();
                st.account = account;
                st.server_error = None;
                st.alerts.server(None);
            }
            Err(e) => {
                tracing::warn!(error = %e, "the server did not start");
                let alert = if port_taken(settings.port) {
                    Alert::PortTaken {
                        port: settings.port,
                    }
                } else {
                    Alert::NotServing { why: e.clone() }
                };
                let mut st = self.state();
                st.account = None;
                st.alerts.server(Some(alert));
                st.server_error = Some(e);
            }
        }
    }

    /// Stops the server (at quit).
    pub async fn stop(&self) {
        if let Some(old) = self.server.lock().await.take() {
            old.stop().await;
        }
    }

    /// The account served at `/mcp`, while the server runs.
    pub async fn default_account(&self) -> Option<Arc<worksection_mcp::Account>> {
        let server = self.server.lock().await;
        server
            .as_ref()
            .and_then(|r| r.accounts().first().map(|(_, a)| a.clone()))
    }

    /// One uncached round trip to the API, timed.
    pub async fn check_health(&self) {
        let Some(account) = self.default_account().await else {
            return;
        };
        let started = Instant::now();
        let probe = tokio::time::timeout(Duration::from_secs(30), account.probe()).await;
        // The sign-in's expiry moves as tokens renew.
        {
            let server = self.server.lock().await;
            let account = server.as_ref().and_then(|r| self.account_view(r));
            self.state().account = account;
        }
        let mut st = self.state();
        let trouble = match &probe {
            Ok(Err(e)) if st.settings.mode == Some(Mode::Account) => {
                sign_in_trouble(e, st.account.as_ref())
            }
            _ => None,
        };
        if st.alerts.sign_in(trouble.clone())
            && let Some(text) = trouble.as_ref().and_then(Alert::page_text)
        {
            st.notice = Some(Notice {
                kind: "error",
                text,
            });
        }
        let h = &mut st.health;
        h.checked_at = Some(Utc::now());
        h.queued = account.client().queued();
        match probe {
            Ok(Ok(user)) => {
                h.reachable = Some(true);
                h.latency_ms = Some(started.elapsed().as_millis() as u64);
                if let Some(u) = user {
                    let name = format!("{} {}", u.first_name, u.last_name)
                        .trim()
                        .to_owned();
                    h.user = Some(name);
                }
            }
            Ok(Err(e)) => {
                h.reachable = Some(false);
                h.latency_ms = None;
                h.last_error = Some(e.to_string());
            }
            Err(_) => {
                h.reachable = Some(false);
                h.latency_ms = None;
                h.last_error = Some("Worksection did not answer within 30 seconds.".into());
            }
        }
    }

    /// Chooses the demo account (first run) and starts serving it.
    pub async fn choose_demo(&self) -> Result<(), String> {
        self.update_settings(|s| s.mode = Some(Mode::Demo))?;
        self.clear_notice();
        self.restart().await;
        Ok(())
    }

    /// Forgets every sign-in or the API key (or leaves the demo) and stops
    /// serving. A saved own app stays (it is removed on its own).
    pub async fn sign_out(&self) -> Result<(), String> {
        match self.settings().mode {
            Some(Mode::Account) => {
                let store = self.store()?;
                let keys = store.accounts().map_err(|e| e.to_string())?;
                for key in keys {
                    store.delete(&key).map_err(|e| e.to_string())?;
                }
            }
            Some(Mode::ApiKey) => {
                ways::remove_api_key(self.store()?.as_ref())?;
                self.reload_saved();
            }
            Some(Mode::Demo) | None => {}
        }
        self.update_settings(|s| s.mode = None)?;
        self.set_notice(
            "info",
            "Signed out; the saved sign-in was removed from this computer.",
        );
        self.restart().await;
        Ok(())
    }

    pub fn update_settings(&self, f: impl FnOnce(&mut AppSettings)) -> Result<AppSettings, String> {
        let mut next = self.settings();
        f(&mut next);
        next.save(&self.dir)?;
        self.state().settings = next.clone();
        Ok(next)
    }

    /// Saves new settings from the dashboard (checked) and restarts.
    pub async fn apply_settings(&self, wanted: AppSettings) -> Result<(), String> {
        wanted.validate()?;
        self.update_settings(|s| {
            // The mode is chosen by signing in or out, not in the form.
            let mode = s.mode;
            *s = wanted;
            s.mode = mode;
        })?;
        self.restart().await;
        Ok(())
    }

    /// Keeps the sign-in server address from the dashboard's Advanced
    /// (empty: the usual one).
    pub fn set_oauth_url(&self, url: Option<String>) -> Result<(), String> {
        let url = url
            .map(|u| u.trim().trim_end_matches('/').to_owned())
            .filter(|u| !u.is_empty());
        if let Some(u) = &url {
            settings::check_web_address(u, "The sign-in server address")?;
        }
        if self.settings().oauth_url != url {
            self.update_settings(|s| s.oauth_url = url)?;
        }
        Ok(())
    }

    /// Starts a sign-in, with the app in use or with `candidate` (an own
    /// app typed in, saved only if the sign-in works): the authorize URL to
    /// load, and the attempt's number (a window's answer counts only for
    /// its own attempt).
    pub fn begin_sign_in(
        &self,
        candidate: Option<AppCredentials>,
    ) -> Result<(u64, url::Url, OAuthSettings), Error> {
        let oauth = match &candidate {
            Some(app) => {
                if app.client_id.trim().is_empty()
                    || app.client_secret.expose_secret().trim().is_empty()
                {
                    return Err(Error::Failed("Paste both the Client ID and the Client secret of your Worksection app, then try again.".into()));
                }
                self.oauth_for(app)?
            }
            None => self.oauth()?,
        };
        let signin = SignIn::begin(&oauth).map_err(|e| e.to_string())?;
        let url = signin.url().clone();
        let attempt = {
            let mut st = self.state();
            st.attempts += 1;
            let attempt = st.attempts;
            st.pending = Some(Pending {
                attempt,
                signin,
                candidate,
            });
            attempt
        };
        self.clear_notice();
        Ok((attempt, url, oauth))
    }

    /// Takes the pending sign-in of `attempt`, if it is still pending.
    pub fn take_pending(&self, attempt: u64) -> Option<Pending> {
        let pending = &mut self.state().pending;
        if pending.as_ref().is_some_and(|p| p.attempt == attempt) {
            pending.take()
        } else {
            None
        }
    }

    /// Cancels the sign-in in progress, if any.
    pub fn cancel_sign_in(&self) -> bool {
        self.state().pending.take().is_some()
    }

    #[cfg(test)]
    pub fn signing_in(&self) -> bool {
        self.state().pending.is_some()
    }

    /// The sign-in window closed: if its sign-in had no answer yet, say so
    /// (and tell the caller it was still pending).
    pub fn sign_in_window_closed(&self, attempt: u64) -> bool {
        let pending = self.take_pending(attempt).is_some();
        if pending {
            self.set_notice(
                "error",
                "The sign-in window was closed before you allowed access, so nothing was saved; click Sign in to try again.",
            );
        }
        pending
    }

    /// Finishes a sign-in from the redirect the window was stopped at,
    /// saves the tokens (and the own app it checked) and serves the account.
    pub async fn finish_sign_in(&self, pending: Pending, redirect: url::Url) {
        let Pending {
            signin, candidate, ..
        } = pending;
        let checking = candidate.is_some();
        let result = async {
            let store = self.store()?;
            let signed = signin
                .finish(&redirect, store.as_ref())
                .await
                .map_err(|e| match e {
                    SignInError::Exchange(e) if checking => format!(
                        "{e} Your app's details were not saved: check the Client ID and Client secret in Worksection (Account settings → API → OAuth2), then try again."
                    ),
                    e => e.to_string(),
                })?;
            if let Some(app) = &candidate {
                ways::save_own_app(store.as_ref(), app)?;
            }
            // The newest sign-in is the one served at /mcp.
            if let Ok(key) = worksection_auth::account_key(&signed.account_url) {
                let _ = store.set_default(&key);
            }
            Ok::<_, String>(signed)
        }
        .await;
        if checking {
            self.reload_saved();
        }
        match result {
            Ok(signed) => {
                if let Err(e) = self.update_settings(|s| s.mode = Some(Mode::Account)) {
                    self.set_notice("error", e);
                    return;
                }
                self.set_notice(
                    "info",
                    format!(
                        "Signed in as {} at {}.",
                        signed.user_name, signed.account_url
                    ),
                );
                self.restart().await;
                self.check_health().await;
            }
            Err(e) => self.set_notice("error", e),
        }
    }

    /// Forgets the saved own app. Accounts signed in with it stay saved
    /// but cannot be served until an app is set up again.
    pub async fn remove_own_app(&self) -> Result<(), String> {
        let removed = ways::remove_own_app(self.store()?.as_ref())?;
        self.reload_saved();
        self.set_notice(
            "info",
            if removed {
                "Removed your Worksection app's details from this computer."
            } else {
                "No Worksection app of yours was saved; nothing to remove."
            },
        );
        if self.settings().mode == Some(Mode::Account) {
            self.restart().await;
        }
        Ok(())
    }

    /// Checks an admin API key with one live call and, when it works,
    /// saves it (in the token store) and serves the account with it. A key
    /// that does not work leaves nothing behind.
    pub async fn save_api_key(
        &self,
        account_url: &str,
        api_key: &SecretString,
    ) -> Result<(), String> {
        let url = settings::check_web_address(account_url, "The account address")?;
        let api_key = SecretString::from(api_key.expose_secret().trim());
        if api_key.expose_secret().is_empty() {
            return Err("Paste the account's API key (Account settings → API in Worksection), then try again.".into());
        }
        let account_url = url.as_str().trim_end_matches('/').to_owned();
        let client = worksection::Client::builder()
            .account_url(account_url.clone())
            .api_key(api_key.clone())
            .requests_per_second(self.env.requests_per_second)
            .timeout(Duration::from_secs(15))
            .max_attempts(1)
            .build()
            .map_err(|e| format!("{e}; check the account address."))?;
        match tokio::time::timeout(Duration::from_secs(20), client.get_project_groups()).await {
            Ok(Ok(_)) => {}
            // Worksection's own words about its request hash mean nothing
            // to the person pasting a key; what to do does.
            Ok(Err(worksection::Error::Auth {
                problem: worksection::AuthProblem::BadApiKey,
                ..
            })) => {
                return Err(format!(
                    "The API key was not saved: {account_url} did not accept it. Copy the key again from Account settings → API in Worksection, check the account address, then try again."
                ));
            }
            Ok(Err(e)) => {
                return Err(format!(
                    "The API key was not saved: {e} Check the account address and the key (Account settings → API in Worksection), then try again."
                ));
            }
            Err(_) => {
                return Err(format!(
                    "The API key was not saved: {account_url} did not answer within 20 seconds; check the account address and your network, then try again."
                ));
            }
        }
        ways::save_api_key(
            self.store()?.as_ref(),
            &ApiKey {
                account_url: account_url.clone(),
                api_key,
            },
        )?;
        self.reload_saved();
        self.update_settings(|s| s.mode = Some(Mode::ApiKey))?;
        self.set_notice(
            "info",
            format!("Connected to {account_url} with its admin API key."),
        );
        self.restart().await;
        self.check_health().await;
        Ok(())
    }

    pub fn remember_connect(&self, done: Connected) {
        self.state().connected.insert(done.client, done);
    }

    pub fn connected(&self, client: &str) -> Option<Connected> {
        self.state().connected.get(client).cloned()
    }

    pub fn forget_connect(&self, client: &str) {
        self.state().connected.remove(client);
    }

    /// The address assistants use, when serving.
    pub async fn mcp_url(&self) -> Option<String> {
        self.server.lock().await.as_ref().map(Running::mcp_url)
    }

    /// Clears every served account's file and response caches.
    pub async fn clear_cache(&self) -> usize {
        let server = self.server.lock().await;
        let mut removed = 0;
        if let Some(r) = server.as_ref() {
            for (_, a) in r.accounts() {
                removed += a.files().clear().await;
                a.cache().clear();
            }
        }
        removed
    }

    /// Everything the dashboard shows, now.
    pub async fn snapshot(&self) -> Snapshot {
        let server = self.server.lock().await;
        let (cache, sessions) = match server.as_ref() {
            Some(r) => (cache_view(r).await, r.sessions().await),
            None => (None, 0),
        };
        let ways = self.ways_view();
        // Everything else from one look at the state (no await, no call
        // that takes the lock again while it is held).
        let st = self.state();
        let settings = st.settings.clone();
        let health = st.health.clone();
        // The demo names its user from the health check.
        let account = server.as_ref().and(st.account.clone()).map(|mut a| {
            if a.demo
                && let Some(user) = &health.user
            {
                a.user.clone_from(user);
            }
            a
        });
        let server_view = ServerView {
            running: server.as_ref().is_some_and(|r| !r.is_finished()),
            address: server
                .as_ref()
                .map_or_else(|| settings.mcp_url(), Running::mcp_url),
            sessions,
            uptime_seconds: server.as_ref().map_or(0, |r| r.uptime().as_secs()),
            error: st.server_error.clone(),
            local_token: settings.local_token,
        };
        let mut connected: Vec<Connected> = st.connected.values().cloned().collect();
        connected.sort_by_key(|c| c.client);
        Snapshot {
            first_run: settings.mode.is_none(),
            mode: settings.mode,
            account,
            server: server_view,
            health,
            cache,
            notice: st.notice.clone(),
            signing_in: st.pending.is_some(),
            settings,
            connected,
            has_tray: st.has_tray,
            ways,
            update: st.update.clone(),
        }
    }

    /// The served account as shown (reads the token store: called when
    /// the server starts and at each health check only).
    fn account_view(&self, r: &Running) -> Option<AccountView> {
        if let Some(info) = r.demo() {
            return Some(AccountView {
                user: format!("Demo ({})", info.account_name),
                account_url: info.account_url.clone(),
                token_expires_at: None,
                demo: true,
            });
        }
        if self.settings().mode == Some(Mode::ApiKey) {
            let (_, account) = r.accounts().first()?;
            return Some(AccountView {
                user: "Admin API key (not a person)".into(),
                account_url: account
                    .client()
                    .account_url()
                    .as_str()
                    .trim_end_matches('/')
                    .to_owned(),
                token_expires_at: None,
                demo: false,
            });
        }
        let (key, _) = r.accounts().first()?;
        let record = self.store().ok()?.load(key).ok()??;
        Some(AccountView {
            user: if record.user_name.is_empty() {
                record.user_email.clone()
            } else {
                record.user_name.clone()
            },
            account_url: record.account_url.clone(),
            token_expires_at: record.tokens.expires_at,
            demo: false,
        })
    }
}

/// Whether another program holds the app's port (on this computer).
fn port_taken(port: u16) -> bool {
    std::net::TcpListener::bind((Ipv4Addr::LOCALHOST, port))
        .is_err_and(|e| e.kind() == std::io::ErrorKind::AddrInUse)
}

/// What a failed look at a signed-in account means for the person: the
/// sign-in expired (Worksection refused it and renewing did not help), or
/// the access token ran out and renewing it failed otherwise (the sign-in
/// server did not answer); `None` for any other failure (Worksection down
/// with a valid sign-in is the health card's news, not a notification's).
fn sign_in_trouble(e: &ToolError, account: Option<&AccountView>) -> Option<Alert> {
    let e = e.upstream()?;
    let name = account.map_or_else(
        || "Worksection".to_owned(),
        |a| {
            a.account_url
                .trim_start_matches("https://")
                .trim_start_matches("http://")
                .trim_end_matches('/')
                .to_owned()
        },
    );
    match e.kind() {
        _ if e.needs_sign_in() => Some(Alert::SignInExpired { account: name }),
        ErrorKind::Upstream | ErrorKind::BadResponse
            if account
                .and_then(|a| a.token_expires_at)
                .is_some_and(|at| at <= Utc::now()) =>
        {
            Some(Alert::RenewalFailed {
                account: name,
                why: e.to_string(),
            })
        }
        _ => None,
    }
}

/// Runs `f` on a thread of its own, outside the async runtime: the OS
/// keychain's client blocks on a runtime of its own, which it cannot start
/// on a thread that drives async tasks (and the token store's contract
/// asks async callers never to block theirs).
fn off_runtime<T: Send>(f: impl FnOnce() -> T + Send) -> T {
    std::thread::scope(|scope| match scope.spawn(f).join() {
        Ok(value) => value,
        Err(panic) => std::panic::resume_unwind(panic),
    })
}

/// The token store as the app uses it from async code: every call runs
/// through [`off_runtime`].
#[derive(Debug)]
struct OffRuntime(Arc<dyn TokenStore>);

impl TokenStore for OffRuntime {
    fn kind(&self) -> StoreKind {
        self.0.kind()
    }

    fn load(&self, account: &str) -> Result<Option<StoredSignIn>, StoreError> {
        off_runtime(|| self.0.load(account))
    }

    fn save(&self, sign_in: &StoredSignIn) -> Result<(), StoreError> {
        off_runtime(|| self.0.save(sign_in))
    }

    fn delete(&self, account: &str) -> Result<bool, StoreError> {
        off_runtime(|| self.0.delete(account))
    }

    fn accounts(&self) -> Result<Vec<String>, StoreError> {
        off_runtime(|| self.0.accounts())
    }

    fn set_default(&self, account: &str) -> Result<(), StoreError> {
        off_runtime(|| self.0.set_default(account))
    }

    fn load_secret(&self, name: &str) -> Result<Option<SecretString>, StoreError> {
        off_runtime(|| self.0.load_secret(name))
    }

    fn save_secret(&self, name: &str, value: &SecretString) -> Result<(), StoreError> {
        off_runtime(|| self.0.save_secret(name, value))
    }

    fn delete_secret(&self, name: &str) -> Result<bool, StoreError> {
        off_runtime(|| self.0.delete_secret(name))
    }
}

/// The file cache figures summed over every served account; `None` when
/// no account is served.
async fn cache_view(r: &Running) -> Option<CacheView> {
    let mut total: Option<FileCacheStats> = None;
    for (_, account) in r.accounts() {
        let s = account.files().stats().await;
        total = Some(match total {
            None => s,
            Some(mut t) => {
                t.files += s.files;
                t.bytes += s.bytes;
                t.hits += s.hits;
                t.misses += s.misses;
                t
            }
        });
    }
    let t = total?;
    let asked = t.hits + t.misses;
    Some(CacheView {
        files: t.files,
        bytes: t.bytes,
        hits: t.hits,
        misses: t.misses,
        // Of the sums, not the accounts' own rates.
        hit_rate: if asked == 0 {
            0.0
        } else {
            t.hits as f64 / asked as f64
        },
        retention_hours: t.retention_hours,
        max_total_size_mb: t.max_total_size_mb,
    })
}

#[cfg(test)]
mod tests {
    use worksection_auth::FileStore;

    use super::*;

    fn env() -> EnvArgs {
        EnvArgs::try_parse_from([
            "x",
            "--client-id",
            "client",
            "--client-secret",
            "secret",
            // Nothing listens here: a check that needed the network would fail.
            "--oauth-url",
            "http://127.0.0.1:9",
        ])
        .expect("args")
    }

    fn oauth() -> OAuthSettings {
        env().oauth.settings().expect("oauth settings")
    }

    /// The environment's arguments, what the store holds and the server's
    /// settings (with the local token) all print their secrets redacted.
    #[test]
    fn settings_debug_print_no_secret() {
        let dir = tempfile::tempdir().expect("tempdir");
        let tokens = dir.path().join("tokens.enc");
        let env = EnvArgs::try_parse_from([
            "x",
            "--client-id",
            "client",
            "--client-secret",
            "CLIENT-SECRET-3b1",
            "--token-store",
            "file",
            "--token-storage-path",
            tokens.to_str().expect("utf-8 path"),
            "--token-encryption-key",
            "ENCRYPTION-KEY-long-enough-9f2",
            "--oauth-url",
            "http://127.0.0.1:9",
        ])
        .expect("args");
        let core = Core::new(dir.path().to_path_buf(), env.clone());
        let key = ApiKey {
            account_url: "https://acme.worksection.com".into(),
            api_key: "API-KEY-6d0e".into(),
        };
        ways::save_api_key(core.store().expect("store").as_ref(), &key).expect("save");
        core.reload_saved();
        let app = AppSettings {
            mode: Some(Mode::ApiKey),
            ..AppSettings::default()
        };
        let served = core
            .server_settings(&app)
            .expect("settings")
            .expect("served");
        let token = settings::local_token(&core.dir, false)
            .expect("read")
            .expect("made");
        let shown = format!(
            "{env:?} {served:?} {:?} {:?} {:?}",
            core.store_settings(),
            core.saved(),
            core.app()
        );
        assert!(shown.contains("ApiKey"), "{shown}");
        for secret in [
            "CLIENT-SECRET-3b1",
            "ENCRYPTION-KEY-long-enough-9f2",
            "API-KEY-6d0e",
            token.expose_secret(),
        ] {
            assert!(!shown.contains(secret), "{secret} in {shown}");
        }
    }

    fn store() -> (tempfile::TempDir, FileStore) {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = FileStore::open(
            Some(dir.path().join("tokens.enc")),
            Some("a-test-key-that-is-long-enough-000".into()),
        )
        .expect("store");
        (dir, store)
    }

    fn state_of(url: &url::Url) -> String {
        url.query_pairs()
            .find(|(k, _)| k == "state")
            .map(|(_, v)| v.into_owned())
            .expect("the authorize URL carries a state")
    }

    #[tokio::test]
    async fn an_answer_with_another_state_is_refused_and_nothing_saved() {
        let (_dir, store) = store();
        let signin = SignIn::begin(&oauth()).expect("begin");
        let redirect =
            url::Url::parse("https://localhost:8080/oauth/callback?code=abc&state=not-ours")
                .expect("url");
        let err = signin.finish(&redirect, &store).await.expect_err("refused");
        assert!(matches!(err, SignInError::WrongState), "{err}");
        assert!(err.to_string().contains("start the sign-in again"));
        assert!(store.accounts().expect("accounts").is_empty());
    }

    #[tokio::test]
    async fn an_answer_without_state_is_refused() {
        let (_dir, store) = store();
        let signin = SignIn::begin(&oauth()).expect("begin");
        let redirect =
            url::Url::parse("https://localhost:8080/oauth/callback?code=abc").expect("url");
        let err = signin.finish(&redirect, &store).await.expect_err("refused");
        assert!(matches!(err, SignInError::WrongState), "{err}");
    }

    #[tokio::test]
    async fn deny_with_the_right_state_says_so() {
        let (_dir, store) = store();
        let signin = SignIn::begin(&oauth()).expect("begin");
        let state = state_of(signin.url());
        let redirect = url::Url::parse(&format!(
            "https://localhost:8080/oauth/callback?error=access_denied&state={state}"
        ))
        .expect("url");
        let err = signin.finish(&redirect, &store).await.expect_err("denied");
        assert!(matches!(err, SignInError::Denied), "{err}");
        assert!(store.accounts().expect("accounts").is_empty());
    }

    #[test]
    fn a_closed_window_without_an_answer_is_a_cancel_and_a_taken_one_is_not() {
        let dir = tempfile::tempdir().expect("tempdir");
        let core = Core::new(dir.path().to_path_buf(), env());
        let (attempt, url, _) = core.begin_sign_in(None).expect("begin");
        assert!(url.as_str().contains("/oauth2/authorize"));
        assert!(core.signing_in());
        assert!(core.sign_in_window_closed(attempt));
        assert!(!core.signing_in());
        let notice = core.snapshot_notice().expect("a notice");
        assert_eq!(notice.kind, "error");
        assert!(notice.text.contains("closed"));

        core.clear_notice();
        let (attempt, _, _) = core.begin_sign_in(None).expect("begin");
        assert!(core.take_pending(attempt).is_some());
        assert!(!core.sign_in_window_closed(attempt));
        assert!(core.snapshot_notice().is_none());
        // An old attempt's answer does not count for a newer one.
        let (_newer, _, _) = core.begin_sign_in(None).expect("begin");
        assert!(core.take_pending(attempt).is_none());
    }

    #[test]
    fn an_expired_sign_in_and_a_failed_renewal_are_told_apart_from_an_outage() {
        let account = |expired: bool| AccountView {
            user: "Ann".into(),
            account_url: "https://acme.worksection.com".into(),
            token_expires_at: Some(if expired {
                Utc::now() - chrono::Duration::minutes(1)
            } else {
                Utc::now() + chrono::Duration::hours(1)
            }),
            demo: false,
        };
        let refused = ToolError::Upstream(Arc::new(worksection::Error::Auth {
            problem: worksection::AuthProblem::SignInAgain,
            said: None,
        }));
        assert_eq!(
            sign_in_trouble(&refused, Some(&account(false))),
            Some(Alert::SignInExpired {
                account: "acme.worksection.com".into()
            })
        );
        let down = ToolError::Upstream(Arc::new(worksection::Error::Upstream {
            detail: "connection refused".into(),
            status: None,
        }));
        assert!(matches!(
            sign_in_trouble(&down, Some(&account(true))),
            Some(Alert::RenewalFailed { account, why }) if account == "acme.worksection.com" && why.contains("did not answer")
        ));
        // Worksection down while the sign-in is good: the health card's news.
        assert_eq!(sign_in_trouble(&down, Some(&account(false))), None);
        assert_eq!(
            sign_in_trouble(
                &ToolError::NotFound("no such task".into()),
                Some(&account(true))
            ),
            None
        );
    }

    #[test]
    fn with_nothing_set_up_sign_in_asks_for_a_way_and_a_typed_app_is_kept_only_once_it_worked() {
        if ways::builtin().is_some() {
            return; // a build with an app of its own always has a way
        }
        let dir = tempfile::tempdir().expect("tempdir");
        let tokens = dir.path().join("tokens.enc");
        let bare = EnvArgs::try_parse_from([
            "x",
            "--token-store",
            "file",
            "--token-storage-path",
            tokens.to_str().expect("utf-8 path"),
            "--token-encryption-key",
            "a-test-key-that-is-long-enough-000",
            "--oauth-url",
            "http://127.0.0.1:9",
        ])
        .expect("args");
        let core = Core::new(dir.path().to_path_buf(), bare);
        assert!(matches!(core.begin_sign_in(None), Err(Error::NeedsSetup)));
        assert_eq!(core.ways_view().app, None);
        let mine = AppCredentials {
            client_id: "my-app".into(),
            client_secret: "my-secret".into(),
        };
        let (attempt, url, _) = core.begin_sign_in(Some(mine)).expect("begin");
        assert!(url.as_str().contains("client_id=my-app"), "{url}");
        // Started, not saved: a window closed now leaves nothing behind.
        assert!(core.sign_in_window_closed(attempt));
        assert_eq!(core.ways_view().own_app_client_id, None);
        assert!(!tokens.exists());
        let empty = AppCredentials {
            client_id: " ".into(),
            client_secret: "x".into(),
        };
        assert!(
            matches!(core.begin_sign_in(Some(empty)), Err(Error::Failed(m)) if m.contains("Client ID"))
        );
    }
}

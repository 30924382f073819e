//! The app's state and what it does, without any window: the settings, the
//! server running in process (started, restarted, stopped), the health
//! check, the sign-in in progress, and the snapshot the dashboard and the
//! tray show.
//!
//! Everything the page sees goes through [`Snapshot`], which is built here
//! from facts only: no token, no code, no secret is ever in it.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use clap::Parser;
use serde::Serialize;
use worksection_auth::{OAuthSettings, SignIn, StoreSettings, TokenStore};
use worksection_mcp::connect::Connected;
use worksection_mcp::host::{self, Running};
use worksection_mcp::{
    Activity, ConfigError, FileCacheStats, OAuthArgs, Settings, Source, StoreArgs, Transport,
};

use crate::settings::{self, AppSettings, Mode};

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

struct Pending {
    attempt: u64,
    signin: SignIn,
}

pub struct Core {
    pub dir: PathBuf,
    env: EnvArgs,
    /// The token store once opened (see [`Core::store`]).
    store: Mutex<Option<Arc<dyn TokenStore>>>,
    settings: Mutex<AppSettings>,
    pub activity: Arc<Activity>,
    server: tokio::sync::Mutex<Option<Running>>,
    server_error: Mutex<Option<String>>,
    health: Mutex<Health>,
    notice: Mutex<Option<Notice>>,
    pending: Mutex<Option<Pending>>,
    attempts: Mutex<u64>,
    connected: Mutex<HashMap<&'static str, Connected>>,
    has_tray: Mutex<bool>,
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
            settings: Mutex::new(settings),
            activity: Arc::new(Activity::new()),
            server: tokio::sync::Mutex::new(None),
            server_error: Mutex::new(None),
            health: Mutex::new(Health::default()),
            notice: Mutex::new(notice),
            pending: Mutex::new(None),
            attempts: Mutex::new(0),
            connected: Mutex::new(HashMap::new()),
            has_tray: Mutex::new(false),
        }
    }

    pub fn settings(&self) -> AppSettings {
        lock(&self.settings).clone()
    }

    pub fn snapshot_has_tray(&self) -> bool {
        *lock(&self.has_tray)
    }

    pub fn set_has_tray(&self, yes: bool) {
        *lock(&self.has_tray) = yes;
    }

    pub fn set_notice(&self, kind: &'static str, text: impl Into<String>) {
        *lock(&self.notice) = Some(Notice {
            kind,
            text: text.into(),
        });
    }

    #[cfg(test)]
    pub fn snapshot_notice(&self) -> Option<Notice> {
        lock(&self.notice).clone()
    }

    pub fn clear_notice(&self) {
        *lock(&self.notice) = None;
    }

    /// The OAuth2 app from the environment (WORKSECTION_CLIENT_ID, ...).
    pub fn oauth(&self) -> Result<OAuthSettings, String> {
        let mut args = self.env.oauth.clone();
        args.administrative = self.settings().webhook_access;
        args.settings()
            .map_err(|e| format!("Signing in is not set up in this build: {e}"))
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
        let store = self.store_settings()?.open().map_err(|e| e.to_string())?;
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
                oauth: self.oauth()?,
                store: self.store_settings()?,
                account: None,
            },
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
        let mut server = self.server.lock().await;
        if let Some(old) = server.take() {
            old.stop().await;
        }
        *lock(&self.health) = Health::default();
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
                *server = running;
                *lock(&self.server_error) = None;
            }
            Err(e) => {
                tracing::warn!(error = %e, "the server did not start");
                *lock(&self.server_error) = Some(e);
            }
        }
    }

    /// Stops the server (at quit).
    pub async fn stop(&self) {
        if let Some(old) = self.server.lock().await.take() {
            old.stop().await;
        }
    }

    /// One uncached round trip to the API, timed.
    pub async fn check_health(&self) {
        let account = {
            let server = self.server.lock().await;
            server
                .as_ref()
                .and_then(|r| r.accounts().first().map(|(_, a)| a.clone()))
        };
        let Some(account) = account else {
            return;
        };
        let started = Instant::now();
        let probe = tokio::time::timeout(Duration::from_secs(30), account.probe()).await;
        let mut h = lock(&self.health);
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

    /// Forgets every sign-in (or leaves the demo) and stops serving.
    pub async fn sign_out(&self) -> Result<(), String> {
        if self.settings().mode == Some(Mode::Account) {
            let store = self.store()?;
            let keys = store.accounts().map_err(|e| e.to_string())?;
            for key in keys {
                store.delete(&key).map_err(|e| e.to_string())?;
            }
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
        *lock(&self.settings) = next.clone();
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

    /// Starts a sign-in: the authorize URL to load, and the attempt's
    /// number (a window's answer counts only for its own attempt).
    pub fn begin_sign_in(&self) -> Result<(u64, url::Url, OAuthSettings), String> {
        let oauth = self.oauth()?;
        let signin = SignIn::begin(&oauth).map_err(|e| e.to_string())?;
        let url = signin.url().clone();
        let attempt = {
            let mut n = lock(&self.attempts);
            *n += 1;
            *n
        };
        *lock(&self.pending) = Some(Pending { attempt, signin });
        self.clear_notice();
        Ok((attempt, url, oauth))
    }

    /// Takes the pending sign-in of `attempt`, if it is still pending.
    pub fn take_pending(&self, attempt: u64) -> Option<SignIn> {
        let mut pending = lock(&self.pending);
        if pending.as_ref().is_some_and(|p| p.attempt == attempt) {
            pending.take().map(|p| p.signin)
        } else {
            None
        }
    }

    pub fn signing_in(&self) -> bool {
        lock(&self.pending).is_some()
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
    /// saves the tokens and serves the account.
    pub async fn finish_sign_in(&self, signin: SignIn, redirect: url::Url) {
        let result = async {
            let store = self.store()?;
            let signed = signin
                .finish(&redirect, store.as_ref())
                .await
                .map_err(|e| e.to_string())?;
            // The newest sign-in is the one served at /mcp.
            if let Ok(key) = worksection_auth::account_key(&signed.account_url) {
                let _ = store.set_default(&key);
            }
            Ok::<_, String>(signed)
        }
        .await;
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

    pub fn remember_connect(&self, done: Connected) {
        lock(&self.connected).insert(done.client, done);
    }

    pub fn connected(&self, client: &str) -> Option<Connected> {
        lock(&self.connected).get(client).cloned()
    }

    pub fn forget_connect(&self, client: &str) {
        lock(&self.connected).remove(client);
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
        let settings = self.settings();
        let server = self.server.lock().await;
        let health = lock(&self.health).clone();
        let (cache, account) = match server.as_ref() {
            Some(r) => (cache_view(r).await, self.account_view(r, &health)),
            None => (None, None),
        };
        let server_view = ServerView {
            running: server.as_ref().is_some_and(|r| !r.is_finished()),
            address: server
                .as_ref()
                .map_or_else(|| settings.mcp_url(), Running::mcp_url),
            sessions: match server.as_ref() {
                Some(r) => r.sessions().await,
                None => 0,
            },
            uptime_seconds: server.as_ref().map_or(0, |r| r.uptime().as_secs()),
            error: lock(&self.server_error).clone(),
            local_token: settings.local_token,
        };
        let mut connected: Vec<Connected> = lock(&self.connected).values().cloned().collect();
        connected.sort_by_key(|c| c.client);
        Snapshot {
            first_run: settings.mode.is_none(),
            mode: settings.mode,
            account,
            server: server_view,
            health,
            cache,
            notice: lock(&self.notice).clone(),
            signing_in: self.signing_in(),
            settings,
            connected,
            has_tray: *lock(&self.has_tray),
        }
    }

    fn account_view(&self, r: &Running, health: &Health) -> Option<AccountView> {
        if let Some(info) = r.demo() {
            return Some(AccountView {
                user: health
                    .user
                    .clone()
                    .unwrap_or_else(|| format!("Demo ({})", info.account_name)),
                account_url: info.account_url.clone(),
                token_expires_at: None,
                demo: true,
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
    use worksection_auth::SignInError;

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
        let (attempt, url, _) = core.begin_sign_in().expect("begin");
        assert!(url.as_str().contains("/oauth2/authorize"));
        assert!(core.signing_in());
        assert!(core.sign_in_window_closed(attempt));
        assert!(!core.signing_in());
        let notice = core.snapshot_notice().expect("a notice");
        assert_eq!(notice.kind, "error");
        assert!(notice.text.contains("closed"));

        core.clear_notice();
        let (attempt, _, _) = core.begin_sign_in().expect("begin");
        assert!(core.take_pending(attempt).is_some());
        assert!(!core.sign_in_window_closed(attempt));
        assert!(core.snapshot_notice().is_none());
        // An old attempt's answer does not count for a newer one.
        let (_newer, _, _) = core.begin_sign_in().expect("begin");
        assert!(core.take_pending(attempt).is_none());
    }
}

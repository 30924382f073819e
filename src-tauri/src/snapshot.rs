//! What the dashboard and the tray see: the [`Snapshot`] of the app's
//! state (built in `state`) and its parts. Facts only: no token, no code,
//! no secret is ever in it. The page renders every `status` event it gets
//! with one of these; the tray takes its icon and menu from it.

use chrono::{DateTime, Utc};
use serde::Serialize;
use worksection_mcp::connect::Connected;

use crate::error::{ErrorView, Kind};
use crate::settings::{AppSettings, Mode};
use crate::ways::AppSource;

/// A message for the dashboard's banner; it stays until dismissed.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Notice {
    /// Which notice this is: each new one has a new number, so the page
    /// acts on it (opening the ways to sign in, say) once.
    pub id: u64,
    /// `error` or `info`.
    pub level: &'static str,
    pub text: String,
    /// The error's kind, for the page's advice; `None` for news.
    pub kind: Option<Kind>,
}

#[derive(Debug, Clone, Default, Serialize, PartialEq)]
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

/// The account served, as the Account card shows it.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct AccountView {
    pub user: String,
    /// Its address (the demo's is a loopback address, not shown).
    pub account_url: String,
    /// How the card names it: the address, or the demo's company.
    pub name: String,
    pub token_expires_at: Option<DateTime<Utc>>,
    pub demo: bool,
}

#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct ServerView {
    pub running: bool,
    pub address: String,
    pub sessions: usize,
    /// When it started serving (the page counts the time up itself).
    pub started_at: Option<DateTime<Utc>>,
    /// Why it does not serve, when it should.
    pub error: Option<ErrorView>,
    pub local_token: bool,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct CacheView {
    pub files: u64,
    pub bytes: u64,
    pub hit_rate: f64,
    pub hits: u64,
    pub misses: u64,
    pub retention_hours: u64,
    pub max_total_size_mb: u64,
}

/// The ways to sign in, as the dashboard offers them. Only facts: the own
/// app's client id is shown (it is not a secret), its secret never.
#[derive(Debug, Clone, Serialize, PartialEq)]
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
    /// The state's number: each change has a higher one, so the page keeps
    /// the newest when two arrive out of order.
    pub version: u64,
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

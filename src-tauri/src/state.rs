//! The app's state: everything it knows that can change, in one value.
//!
//! `Core` keeps it in a `tokio::sync::watch`, and every change goes
//! through `Core::change`, which tells the one task that shows it
//! (`publish`: the page's `status` event, the tray's look, the OS
//! notifications). What the page and the tray see is built from it here,
//! by [`State::snapshot`]; the live parts that need the server (its
//! sessions, the file cache's figures) are measured into it by `figures`.

use std::collections::BTreeMap;

use worksection_auth::{OAuthSettings, SignIn, StoreKind};
use worksection_mcp::connect::Connected;

use crate::alerts::Alert;
use crate::error::{Error, ErrorView, Kind};
use crate::settings::{AppSettings, EnvArgs};
use crate::snapshot::{
    AccountView, CacheView, Health, Notice, ServerView, Snapshot, UpdateView, WaysView,
};
use crate::ways::{self, AppCredentials, Saved};

/// A sign-in in progress. With `candidate`, it also checks an own app
/// the person typed in: the app is saved only when the sign-in worked.
pub struct Pending {
    pub attempt: u64,
    pub signin: SignIn,
    pub candidate: Option<AppCredentials>,
}

/// What is wrong now, as OS notifications tell it (`publish` notifies
/// each condition once, when it begins).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Trouble {
    /// What the last look at the sign-in found.
    pub sign_in: Option<Alert>,
    /// What the last server start found.
    pub server: Option<Alert>,
}

#[derive(Default)]
pub struct State {
    /// Raised by every change (`Core::change`).
    pub version: u64,
    pub settings: AppSettings,
    /// The server as it runs now: its address and when it started, or why
    /// it does not run (`error`); `sessions` as last measured.
    pub server: ServerView,
    /// The file cache's figures as last measured; `None` when no account
    /// is served.
    pub cache: Option<CacheView>,
    /// The account served, as shown; set when the server (re)starts and
    /// at each health check, so building a snapshot never reads the store.
    pub account: Option<AccountView>,
    pub health: Health,
    pub notice: Option<Notice>,
    /// How many notices were shown (the next one's number).
    notices: u64,
    /// The sign-in attempt in progress, and how many were begun.
    pub pending: Option<Pending>,
    pub attempts: u64,
    pub connected: BTreeMap<&'static str, Connected>,
    pub has_tray: bool,
    /// The saved own app and API key, read from the store at start and
    /// after each change (never per snapshot); `Err` says why not.
    pub saved: Option<Result<Saved, ErrorView>>,
    /// Which store holds them, once it was opened.
    pub store: Option<StoreKind>,
    pub update: Option<UpdateView>,
    pub trouble: Trouble,
}

impl State {
    /// A new message on the banner (news).
    pub fn tell(&mut self, text: impl Into<String>) {
        self.notice("info", text.into(), None);
    }

    /// A new message on the banner: what failed, with its kind.
    pub fn warn(&mut self, e: &Error) {
        let level = if matches!(e, Error::NeedsSetup) {
            "info"
        } else {
            "error"
        };
        self.notice(level, e.to_string(), Some(e.kind()));
    }

    /// A new message on the banner: a problem of `kind` found on the way
    /// (not an action's failure), in `text`.
    pub fn warn_as(&mut self, kind: Kind, text: String) {
        self.notice("error", text, Some(kind));
    }

    fn notice(&mut self, level: &'static str, text: String, kind: Option<Kind>) {
        self.notices += 1;
        self.notice = Some(Notice {
            id: self.notices,
            level,
            text,
            kind,
        });
    }

    /// Everything the dashboard and the tray show, now.
    pub fn snapshot(&self, env: &EnvArgs) -> Snapshot {
        let settings = self.settings.clone();
        let running = self.server.running;
        // The demo names its user from the health check.
        let account = self.account.clone().filter(|_| running).map(|mut a| {
            if a.demo
                && let Some(user) = &self.health.user
            {
                a.user.clone_from(user);
            }
            a
        });
        let server = ServerView {
            address: if running {
                self.server.address.clone()
            } else {
                settings.mcp_url()
            },
            local_token: settings.local_token,
            ..self.server.clone()
        };
        Snapshot {
            version: self.version,
            first_run: settings.mode.is_none(),
            mode: settings.mode,
            account,
            server,
            health: self.health.clone(),
            cache: self.cache.clone().filter(|_| running),
            notice: self.notice.clone(),
            signing_in: self.pending.is_some(),
            connected: self.connected.values().cloned().collect(),
            has_tray: self.has_tray,
            ways: self.ways(env),
            update: self.update.clone(),
            settings,
        }
    }

    /// What the dashboard shows of the ways to sign in, from what was read
    /// from the store already.
    fn ways(&self, env: &EnvArgs) -> WaysView {
        let (saved, store_error) = match &self.saved {
            Some(Ok(s)) => (s.clone(), None),
            Some(Err(e)) => (Saved::default(), Some(e.message.clone())),
            None => (Saved::default(), None),
        };
        WaysView {
            app: ways::app_in_use(&env.oauth, Some(&saved)).map(|(source, _)| source),
            builtin: ways::builtin().is_some(),
            own_app_client_id: saved.own_app.map(|a| a.client_id),
            api_key_account: saved.api_key.map(|k| k.account_url),
            redirect_uri: env.oauth.redirect_uri.clone(),
            scopes: OAuthSettings::default_scopes(self.settings.webhook_access),
            oauth_url: self
                .settings
                .oauth_url
                .clone()
                .unwrap_or_else(|| env.oauth.oauth_url.clone()),
            store: self.store.map(|k| k.to_string()),
            store_error,
        }
    }
}

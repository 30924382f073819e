//! [`Core`]: what every room of the app shares, without any window. Its
//! config folder and the environment it started with, the token store
//! (opened on first use), the activity feed, the server running in
//! process, and the app's one state (`state`).
//!
//! The state lives in a `tokio::sync::watch`: every change goes through
//! [`Core::change`], which wakes the one task that shows it (`publish`).
//! Nothing else tells the page or the tray anything, so a change made
//! from the tray, a command, the health check or the updater reaches the
//! open dashboard the same way.
//!
//! The rooms that act are modules of functions over `&Core`, named for
//! what they do: `server`, `health`, `figures`, `signin`, `api_key`,
//! `connections`, `autostart`, `updates`.

use std::path::PathBuf;
use std::sync::Arc;

use tokio::sync::watch;
use worksection_auth::{OAuthSettings, TokenStore};
use worksection_mcp::host::Running;
use worksection_mcp::{Activity, ConfigError};

use crate::error::Error;
use crate::settings::{AppSettings, EnvArgs};
use crate::snapshot::Snapshot;
use crate::state::State;
use crate::ways::{self, Saved};

pub struct Core {
    /// The app's config folder (settings, local token).
    pub dir: PathBuf,
    pub env: EnvArgs,
    /// The token store once opened (see [`Core::store`]).
    store: tokio::sync::Mutex<Option<TokenStore>>,
    state: watch::Sender<State>,
    pub activity: Arc<Activity>,
    /// The server running in process (see `server`): behind an async
    /// lock, as it is held while it starts and stops.
    pub server: tokio::sync::Mutex<Option<Running>>,
}

impl Core {
    pub fn new(dir: PathBuf, env: EnvArgs) -> Self {
        let mut state = State::default();
        match AppSettings::load(&dir) {
            Ok(settings) => state.settings = settings,
            Err(e) => state.warn(&e),
        }
        Self {
            dir,
            env,
            store: tokio::sync::Mutex::new(None),
            state: watch::Sender::new(state),
            activity: Arc::new(Activity::new()),
            server: tokio::sync::Mutex::new(None),
        }
    }

    /// Changes the state, and tells the task that shows it. `f` must not
    /// call back into the state (no [`Core::read`] or [`Core::change`]).
    pub fn change<T>(&self, f: impl FnOnce(&mut State) -> T) -> T {
        let mut out = None;
        self.state.send_modify(|st| {
            st.version += 1;
            out = Some(f(st));
        });
        match out {
            Some(value) => value,
            None => unreachable!("send_modify runs its closure once"),
        }
    }

    /// Changes the state when `f` says it changed something.
    pub fn change_if(&self, f: impl FnOnce(&mut State) -> bool) {
        self.state.send_if_modified(|st| {
            let changed = f(st);
            if changed {
                st.version += 1;
            }
            changed
        });
    }

    /// A look at the state (never held across an await).
    pub fn read<T>(&self, f: impl FnOnce(&State) -> T) -> T {
        f(&self.state.borrow())
    }

    /// Every change from now on (see `publish`).
    pub fn subscribe(&self) -> watch::Receiver<State> {
        self.state.subscribe()
    }

    /// Everything the dashboard and the tray show, now.
    pub fn snapshot(&self) -> Snapshot {
        self.read(|st| st.snapshot(&self.env))
    }

    pub fn settings(&self) -> AppSettings {
        self.read(|st| st.settings.clone())
    }

    pub fn has_tray(&self) -> bool {
        self.read(|st| st.has_tray)
    }

    /// Puts a failure on the dashboard's banner (where it stays until
    /// dismissed), and hands the result on. Every action the page or the
    /// tray starts ends here, so both tell a failure the same way.
    pub fn report<T>(&self, result: Result<T, Error>) -> Result<T, Error> {
        if let Err(e) = &result {
            tracing::info!(kind = ?e.kind(), "{e}");
            self.change(|st| st.warn(e));
        }
        result
    }

    /// Saves the settings changed by `f`, and keeps them.
    pub fn update_settings(&self, f: impl FnOnce(&mut AppSettings)) -> Result<AppSettings, Error> {
        let mut next = self.settings();
        f(&mut next);
        next.save(&self.dir)?;
        self.change(|st| st.settings = next.clone());
        Ok(next)
    }

    /// The token store, opened on first use and kept: opening probes the
    /// keychain or decrypts the token file, too slow to repeat. Both read
    /// afresh on each call, so the kept store still sees what the server
    /// (or the CLI) writes. A failed open is not kept: the next call tries
    /// again and says why.
    pub async fn store(&self) -> Result<TokenStore, Error> {
        let mut kept = self.store.lock().await;
        if let Some(store) = kept.as_ref() {
            return Ok(store.clone());
        }
        let settings = self
            .env
            .store
            .settings()
            .map_err(|ConfigError(e)| Error::Invalid(e))?;
        let opened = settings.open().await?;
        self.change(|st| st.store = Some(opened.kind()));
        *kept = Some(opened.clone());
        Ok(opened)
    }

    /// The saved own app and API key: read from the store once, then kept
    /// (a failed read is tried again next time, and shown meanwhile).
    pub async fn saved(&self) -> Result<Saved, Error> {
        if let Some(Ok(saved)) = self.read(|st| st.saved.clone()) {
            return Ok(saved);
        }
        let read = match self.store().await {
            Ok(store) => Saved::load(&store).await,
            Err(e) => Err(e),
        };
        let kept = read.as_ref().map(Saved::clone).map_err(Error::view);
        self.change(|st| st.saved = Some(kept));
        read
    }

    /// The OAuth2 app signing in and serving use (see
    /// [`ways::app_in_use`]); `NeedsSetup` when there is none yet (the
    /// page then offers the ways to sign in).
    pub async fn oauth(&self) -> Result<OAuthSettings, Error> {
        let saved = self.saved().await.ok();
        let (_, app) =
            ways::app_in_use(&self.env.oauth, saved.as_ref()).ok_or(Error::NeedsSetup)?;
        ways::oauth_settings(&self.env.oauth, &self.settings(), &app)
    }

    /// Reads the saved details again (after a change).
    pub async fn reload_saved(&self) {
        self.change(|st| st.saved = None);
        // A failure is kept in the state, where the page shows it.
        let _ = self.saved().await;
    }
}

//! Updates through tauri-plugin-updater, in builds made to receive them.
//!
//! The updater's public key and its feed's address come from the build
//! environment at compile time (`WORKSECTION_UPDATER_PUBKEY`, the
//! minisign public key as `tauri signer generate` prints it, and
//! `WORKSECTION_UPDATER_URL`, the JSON feed); neither is ever committed.
//! A build without them has no updater at all and says nothing about it.
//!
//! With them, the app looks at the feed at start and twice a day. A newer
//! version is downloaded at once and its signature checked against the
//! built-in key (and the version it was signed for against the one the
//! feed announces); only then is it offered, as "Update available —
//! Install and restart" on the dashboard and in the tray. A download whose
//! signature does not match is refused with a message that stays on the
//! dashboard. Installing replaces the app and starts it again.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tauri::{AppHandle, Manager, Runtime};
use tauri_plugin_updater::{Update, UpdaterExt as _};

use crate::core::Core;
use crate::error::{Error, Kind};
use crate::server;
use crate::snapshot::UpdateView;

/// How often the feed is looked at while the app runs.
const CHECK_EVERY: Duration = Duration::from_secs(12 * 3600);
/// The first look, once the app is up (not competing with its start).
const FIRST_CHECK_AFTER: Duration = Duration::from_secs(3);

/// The updater's key and feed, when this build was given them.
fn built_in() -> Option<(&'static str, &'static str)> {
    let nonempty = |v: Option<&'static str>| v.map(str::trim).filter(|v| !v.is_empty());
    Some((
        nonempty(option_env!("WORKSECTION_UPDATER_PUBKEY"))?,
        nonempty(option_env!("WORKSECTION_UPDATER_URL"))?,
    ))
}

/// The downloaded, verified update (the app's managed state).
#[derive(Default)]
struct Ready(Mutex<Option<(Update, Vec<u8>)>>);

/// Adds the updater to the app, configured from the build, when this
/// build has it (its configuration is the plugin's `plugins.updater`,
/// written into the context here, not into `tauri.conf.json`).
pub fn add<R: Runtime>(
    builder: tauri::Builder<R>,
    context: &mut tauri::Context<R>,
) -> tauri::Builder<R> {
    let Some((pubkey, feed)) = built_in() else {
        return builder;
    };
    context.config_mut().plugins.0.insert(
        "updater".into(),
        serde_json::json!({
            "pubkey": pubkey,
            "endpoints": [feed],
            // A signature covers the version it was signed for, so an old
            // release cannot be announced as a new one.
            "requireSignedVersion": true,
        }),
    );
    builder
        .plugin(tauri_plugin_updater::Builder::new().build())
        .manage(Ready::default())
}

/// Looks at the feed now, and then every [`CHECK_EVERY`].
pub fn watch(app: &AppHandle, core: Arc<Core>) {
    if built_in().is_none() {
        return;
    }
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        tokio::time::sleep(FIRST_CHECK_AFTER).await;
        loop {
            check(&app, &core).await;
            tokio::time::sleep(CHECK_EVERY).await;
        }
    });
}

/// Whether a failed download was the signature's fault.
fn signature_refused(e: &tauri_plugin_updater::Error) -> bool {
    use tauri_plugin_updater::Error as E;
    matches!(
        e,
        E::Minisign(_)
            | E::Base64(_)
            | E::SignatureUtf8(_)
            | E::SignedVersionMismatch { .. }
            | E::MissingSignedVersion
    )
}

/// One look at the feed: a newer version is downloaded, checked and
/// offered. Not reaching the feed is only logged (offline is normal).
async fn check(app: &AppHandle, core: &Core) {
    let Some(ready) = app.try_state::<Ready>() else {
        return;
    };
    if core.read(|st| st.update.is_some()) {
        return; // one is ready already
    }
    let found = match app.updater() {
        Ok(updater) => updater.check().await,
        Err(e) => Err(e),
    };
    let update = match found {
        Ok(Some(update)) => update,
        Ok(None) => {
            tracing::info!("no update: this is the newest version");
            return;
        }
        Err(e) => {
            tracing::warn!(error = %e, "could not look for updates");
            return;
        }
    };
    let version = update.version.clone();
    tracing::info!(%version, "an update was found; downloading it");
    match update.download(|_, _| {}, || {}).await {
        Ok(bytes) => {
            tracing::info!(%version, "the update's signature matches; offering it");
            let view = UpdateView {
                version,
                notes: update.body.clone().filter(|n| !n.trim().is_empty()),
                installing: false,
            };
            *lock(&ready.0) = Some((update, bytes));
            core.change(|st| st.update = Some(view));
        }
        Err(e) if signature_refused(&e) => {
            tracing::warn!(%version, error = %e, "the update's signature does not match; refused");
            core.change(|st| {
                st.warn_as(Kind::Local, format!(
                    "An update to Worksection MCP {version} was found, but its signature does not match this app's signing key, so it was not installed; this version keeps running."
                ));
            });
        }
        Err(e) => {
            tracing::warn!(%version, error = %e, "the update could not be downloaded");
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// Installs the offered update and starts the app again.
pub async fn install(app: &AppHandle, core: &Core) -> Result<(), Error> {
    let taken = app.try_state::<Ready>().and_then(|r| lock(&r.0).take());
    let offered = core.read(|st| st.update.clone());
    let (Some((update, bytes)), Some(mut view)) = (taken, offered) else {
        return Err(Error::Invalid(
            "There is no update to install; this is the newest version.".into(),
        ));
    };
    view.installing = true;
    core.change(|st| st.update = Some(view));
    let version = update.version.clone();
    let installed = tauri::async_runtime::spawn_blocking(move || update.install(bytes))
        .await
        .map_err(|e| e.to_string())
        .and_then(|r| r.map_err(|e| e.to_string()));
    match installed {
        Ok(()) => {
            tracing::info!(%version, "the update was installed; restarting");
            server::stop(core).await;
            app.restart()
        }
        Err(e) => {
            tracing::warn!(%version, error = %e, "the update could not be installed");
            core.change(|st| st.update = None);
            Err(Error::Local(format!(
                "The update to {version} could not be installed ({e}); this version keeps running. Install the new version from where you got this app."
            )))
        }
    }
}

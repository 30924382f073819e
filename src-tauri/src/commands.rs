//! The handful of typed commands the dashboard may call, and the events it
//! listens to (`status`, `activity`). Every answer is a [`Snapshot`] or
//! plain facts; nothing here ever hands the page a token.

use serde::Serialize;
use tauri::{AppHandle, Emitter, Manager, State};
use worksection_mcp::ToolCall;
use worksection_mcp::connect::{self, Client, Connected, Dirs, Launch};

use crate::core::{Core, Snapshot};
use crate::settings::AppSettings;
use crate::{signin_window, tray};

type Shared<'a> = State<'a, std::sync::Arc<Core>>;

/// Sends the new state to the dashboard and the tray.
pub async fn publish(app: &AppHandle, core: &Core) -> Snapshot {
    let snap = core.snapshot().await;
    let _ = app.emit("status", &snap);
    tray::refresh(app, &snap);
    snap
}

#[tauri::command]
pub async fn get_status(core: Shared<'_>) -> Result<Snapshot, String> {
    Ok(core.snapshot().await)
}

#[tauri::command]
pub fn get_activity(core: Shared<'_>) -> Vec<ToolCall> {
    core.activity.recent()
}

#[tauri::command]
pub async fn choose_demo(app: AppHandle, core: Shared<'_>) -> Result<Snapshot, String> {
    core.choose_demo().await?;
    core.check_health().await;
    Ok(publish(&app, &core).await)
}

#[tauri::command]
pub async fn sign_in(app: AppHandle, core: Shared<'_>) -> Result<Snapshot, String> {
    signin_window::open(&app, core.inner().clone())?;
    Ok(publish(&app, &core).await)
}

#[tauri::command]
pub async fn sign_out(app: AppHandle, core: Shared<'_>) -> Result<Snapshot, String> {
    core.sign_out().await?;
    Ok(publish(&app, &core).await)
}

#[tauri::command]
pub async fn save_settings(
    app: AppHandle,
    core: Shared<'_>,
    settings: AppSettings,
) -> Result<Snapshot, String> {
    let autostart_changed = core.settings().start_at_login != settings.start_at_login;
    core.apply_settings(settings.clone()).await?;
    if autostart_changed {
        tray::set_autostart(&app, settings.start_at_login)?;
    }
    core.check_health().await;
    Ok(publish(&app, &core).await)
}

#[tauri::command]
pub async fn clear_cache(app: AppHandle, core: Shared<'_>) -> Result<Snapshot, String> {
    let removed = core.clear_cache().await;
    core.set_notice("info", cleared_notice(removed));
    Ok(publish(&app, &core).await)
}

/// What the dashboard says after Clear file cache (its button or the tray's).
pub fn cleared_notice(removed: usize) -> String {
    format!(
        "Cleared the file cache ({removed} file{}).",
        if removed == 1 { "" } else { "s" }
    )
}

#[tauri::command]
pub async fn check_health(app: AppHandle, core: Shared<'_>) -> Result<Snapshot, String> {
    core.check_health().await;
    Ok(publish(&app, &core).await)
}

/// Puts the server's address on the clipboard, and answers it (the page
/// tells a copy from a failure by the answer).
#[tauri::command]
pub async fn copy_address(app: AppHandle, core: Shared<'_>) -> Result<String, String> {
    tray::copy_address(&app, &core).await
}

#[tauri::command]
pub async fn dismiss_notice(app: AppHandle, core: Shared<'_>) -> Result<Snapshot, String> {
    core.clear_notice();
    Ok(publish(&app, &core).await)
}

/// What a connect wrote, for the dashboard.
#[derive(Debug, Serialize)]
pub struct ConnectView {
    #[serde(flatten)]
    pub done: Connected,
    /// The entry as the file now holds it, indented for reading.
    pub entry_text: String,
}

/// The assistant the page names, by the same names as the CLI's
/// `worksection-mcp connect <client>` (`claude-desktop`, `vscode`, ...).
pub fn client_named(name: &str) -> Result<Client, String> {
    <Client as clap::ValueEnum>::from_str(name, false)
        .map_err(|_| format!("There is no assistant called {name:?} to connect."))
}

/// How an assistant starts this app: its own binary in bridge mode, which
/// forwards to the running app (the one owner of the sign-in).
pub fn launch() -> Result<Launch, String> {
    let exe = std::env::current_exe()
        .map_err(|e| format!("Could not tell where this app is installed: {e}."))?;
    Ok(Launch {
        command: exe.to_string_lossy().into_owned(),
        args: vec!["--bridge".to_owned()],
        env: vec![],
    })
}

pub fn do_connect(core: &Core, client: Client) -> Result<ConnectView, String> {
    let dirs = Dirs::of_user()
        .ok_or("Could not find your home folder (is HOME set?); nothing was changed.")?;
    let done = connect::connect(client, &dirs, &launch()?).map_err(|e| e.to_string())?;
    let entry_text = serde_json::to_string_pretty(&done.entry).unwrap_or_default();
    core.remember_connect(done.clone());
    Ok(ConnectView { done, entry_text })
}

#[tauri::command]
pub async fn connect_client(
    app: AppHandle,
    core: Shared<'_>,
    client: String,
) -> Result<ConnectView, String> {
    let view = do_connect(&core, client_named(&client)?)?;
    core.set_notice(
        "info",
        format!(
            "Connected {}: restart it to see Worksection's tools.",
            view.done.client
        ),
    );
    publish(&app, &core).await;
    Ok(view)
}

#[tauri::command]
pub async fn undo_connect(
    app: AppHandle,
    core: Shared<'_>,
    client: String,
) -> Result<Snapshot, String> {
    let label = client_named(&client)?.label();
    let done = core
        .connected(label)
        .ok_or_else(|| format!("{label} was not connected from this window; nothing to undo."))?;
    connect::undo(&done).map_err(|e| e.to_string())?;
    core.forget_connect(label);
    core.set_notice(
        "info",
        match &done.backup {
            Some(_) => format!("Restored {label}'s previous settings."),
            None => format!("Removed the settings file written for {label}."),
        },
    );
    Ok(publish(&app, &core).await)
}

/// Shows the dashboard (from the tray, or a second launch).
pub fn show_dashboard(app: &AppHandle) {
    if let Some(w) = app.get_webview_window("main") {
        let _ = w.show();
        let _ = w.unminimize();
        let _ = w.set_focus();
    } else if let Err(e) = crate::open_dashboard(app) {
        tracing::warn!(error = %e, "the dashboard did not open");
    }
}

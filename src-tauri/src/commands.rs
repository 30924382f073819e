//! The typed commands the dashboard may call: each is a thin door to the
//! action of the same name in `actions` (which the tray calls too). Every
//! answer is a [`Snapshot`] or plain facts, every failure a serialized
//! [`Error`]; nothing here ever hands the page a token.

use std::sync::Arc;

use tauri::{AppHandle, State};
use worksection::{ExposeSecret, SecretString};
use worksection_mcp::ToolCall;

use crate::actions::{self, ConnectView};
use crate::core::{Core, Snapshot};
use crate::error::Error;
use crate::settings::AppSettings;
use crate::ways::AppCredentials;

type Shared<'a> = State<'a, Arc<Core>>;

#[tauri::command]
pub async fn get_status(core: Shared<'_>) -> Result<Snapshot, Error> {
    Ok(core.snapshot().await)
}

#[tauri::command]
pub fn get_activity(core: Shared<'_>) -> Vec<ToolCall> {
    core.activity.recent()
}

#[tauri::command]
pub async fn choose_demo(app: AppHandle, core: Shared<'_>) -> Result<Snapshot, Error> {
    actions::choose_demo(&app, &core).await
}

/// Signs in with the app in use; `oauth_url` is the Advanced sign-in
/// server address (empty: the usual one), kept when given.
#[tauri::command]
pub async fn sign_in(
    app: AppHandle,
    core: Shared<'_>,
    oauth_url: Option<String>,
) -> Result<Snapshot, Error> {
    actions::sign_in(&app, core.inner(), None, oauth_url.map(Some)).await
}

/// Signs in with the person's own Worksection app, which is saved only
/// when this sign-in works.
#[tauri::command]
pub async fn sign_in_own_app(
    app: AppHandle,
    core: Shared<'_>,
    client_id: String,
    client_secret: SecretString,
    oauth_url: Option<String>,
) -> Result<Snapshot, Error> {
    let own = AppCredentials {
        client_id: client_id.trim().to_owned(),
        client_secret: SecretString::from(client_secret.expose_secret().trim()),
    };
    actions::sign_in(&app, core.inner(), Some(own), oauth_url.map(Some)).await
}

#[tauri::command]
pub async fn remove_own_app(app: AppHandle, core: Shared<'_>) -> Result<Snapshot, Error> {
    actions::remove_own_app(&app, &core).await
}

#[tauri::command]
pub async fn save_api_key(
    app: AppHandle,
    core: Shared<'_>,
    account_url: String,
    api_key: SecretString,
) -> Result<Snapshot, Error> {
    actions::save_api_key(&app, &core, &account_url, &api_key).await
}

#[tauri::command]
pub async fn sign_out(app: AppHandle, core: Shared<'_>) -> Result<Snapshot, Error> {
    actions::sign_out(&app, &core).await
}

#[tauri::command]
pub async fn save_settings(
    app: AppHandle,
    core: Shared<'_>,
    settings: AppSettings,
) -> Result<Snapshot, Error> {
    actions::save_settings(&app, &core, settings).await
}

#[tauri::command]
pub async fn clear_cache(app: AppHandle, core: Shared<'_>) -> Result<Snapshot, Error> {
    actions::clear_cache(&app, &core).await
}

#[tauri::command]
pub async fn check_health(app: AppHandle, core: Shared<'_>) -> Result<Snapshot, Error> {
    actions::check_health(&app, &core).await
}

/// Calls every tool once against the account served (the Health card's
/// "Check every tool"), and answers the report's text.
#[tauri::command]
pub async fn check_tools(core: Shared<'_>) -> Result<String, Error> {
    actions::check_tools(&core).await
}

/// Puts a report the dashboard shows on the clipboard.
#[tauri::command]
pub fn copy_report(app: AppHandle, report: String) -> Result<bool, Error> {
    actions::copy_report(&app, report)
}

/// Puts the server's address on the clipboard, and answers it.
#[tauri::command]
pub async fn copy_address(app: AppHandle, core: Shared<'_>) -> Result<String, Error> {
    actions::copy_address(&app, &core).await
}

#[tauri::command]
pub async fn copy_redirect_uri(app: AppHandle, core: Shared<'_>) -> Result<String, Error> {
    actions::copy_redirect_uri(&app, &core).await
}

#[tauri::command]
pub async fn dismiss_notice(app: AppHandle, core: Shared<'_>) -> Result<Snapshot, Error> {
    actions::dismiss_notice(&app, &core).await
}

#[tauri::command]
pub async fn connect_client(
    app: AppHandle,
    core: Shared<'_>,
    client: String,
) -> Result<ConnectView, Error> {
    actions::connect(&app, &core, actions::client_named(&client)?).await
}

/// Opens Cursor's or VS Code's install link for this app's bridge.
#[tauri::command]
pub async fn open_install_link(
    app: AppHandle,
    core: Shared<'_>,
    client: String,
) -> Result<String, Error> {
    actions::open_install_link(&app, &core, actions::client_named(&client)?).await
}

/// Makes the Claude Desktop extension and hands it to Claude Desktop.
#[tauri::command]
pub async fn install_claude_extension(app: AppHandle, core: Shared<'_>) -> Result<String, Error> {
    actions::install_claude_extension(&app, &core).await
}

#[tauri::command]
pub async fn undo_connect(
    app: AppHandle,
    core: Shared<'_>,
    client: String,
) -> Result<Snapshot, Error> {
    actions::undo_connect(&app, &core, actions::client_named(&client)?).await
}

/// Installs the update on offer and starts the app again.
#[tauri::command]
pub async fn install_update(app: AppHandle, core: Shared<'_>) -> Result<Snapshot, Error> {
    actions::install_update(&app, &core).await
}

/// Opens the folder of the log files; answers where it is.
#[tauri::command]
pub async fn open_logs(app: AppHandle, core: Shared<'_>) -> Result<String, Error> {
    actions::open_logs(&app, &core).await
}

//! The typed commands the dashboard may call: each is a thin door to the
//! room that does it (the tray's menu calls the same functions). A command
//! answers facts only (an address copied, a report), never the state: what
//! changed reaches the page as the `status` event (`publish`), as it does
//! for a change made anywhere else. A failure goes to the banner
//! ([`Core::report`]) and is answered as a serialized [`Error`]
//! (`{kind, message}`). Nothing here ever hands the page a token.

use std::sync::Arc;

use tauri::{AppHandle, State};
use worksection::{ExposeSecret, SecretString};
use worksection_mcp::ToolCall;

use crate::api_key;
use crate::autostart;
use crate::connections::{self, ConnectView};
use crate::core::Core;
use crate::error::Error;
use crate::health;
use crate::logs;
use crate::server;
use crate::settings::AppSettings;
use crate::signin;
use crate::signin_window;
use crate::snapshot::Snapshot;
use crate::updates;
use crate::ways::AppCredentials;

type Shared<'a> = State<'a, Arc<Core>>;

/// The state as it is now (the page's first look; every change after it
/// comes as a `status` event).
#[tauri::command]
pub fn get_status(core: Shared<'_>) -> Snapshot {
    core.snapshot()
}

#[tauri::command]
pub fn get_activity(core: Shared<'_>) -> Vec<ToolCall> {
    core.activity.recent()
}

#[tauri::command]
pub async fn choose_demo(core: Shared<'_>) -> Result<(), Error> {
    core.report(signin::choose_demo(&core).await)
}

/// Signs in with the app in use; `oauth_url` is the Advanced sign-in
/// server address (empty: the usual one), kept when given.
#[tauri::command]
pub async fn sign_in(
    app: AppHandle,
    core: Shared<'_>,
    oauth_url: Option<String>,
) -> Result<(), Error> {
    core.report(signin_window::sign_in(&app, core.inner(), None, oauth_url).await)
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
) -> Result<(), Error> {
    let own = AppCredentials {
        client_id: client_id.trim().to_owned(),
        client_secret: SecretString::from(client_secret.expose_secret().trim()),
    };
    core.report(signin_window::sign_in(&app, core.inner(), Some(own), oauth_url).await)
}

#[tauri::command]
pub async fn remove_own_app(core: Shared<'_>) -> Result<(), Error> {
    core.report(signin::remove_own_app(&core).await)
}

/// "Check and save": the admin API key, checked with one live call.
#[tauri::command]
pub async fn save_api_key(
    core: Shared<'_>,
    account_url: String,
    api_key: SecretString,
) -> Result<(), Error> {
    core.report(api_key::check_and_save(&core, &account_url, &api_key).await)
}

#[tauri::command]
pub async fn sign_out(core: Shared<'_>) -> Result<(), Error> {
    core.report(signin::sign_out(&core).await)
}

/// Saves the Settings form (checked in `settings`), turning starting at
/// login on or off with the OS when that changed. A refused form is
/// answered beside the form, not on the banner.
#[tauri::command]
pub async fn save_settings(
    app: AppHandle,
    core: Shared<'_>,
    settings: AppSettings,
) -> Result<(), Error> {
    let autostart = (core.settings().start_at_login != settings.start_at_login)
        .then_some(settings.start_at_login);
    server::apply_settings(&core, settings).await?;
    if let Some(on) = autostart {
        autostart::set_with_os(&app, on)?;
    }
    health::check(&core).await;
    Ok(())
}

#[tauri::command]
pub async fn clear_cache(core: Shared<'_>) -> Result<(), Error> {
    core.report(server::clear_cache(&core).await)
}

#[tauri::command]
pub async fn check_health(core: Shared<'_>) -> Result<(), Error> {
    health::check(&core).await;
    Ok(())
}

/// Calls every tool once against the account served (the Health card's
/// "Check every tool"), and answers the report's text.
#[tauri::command]
pub async fn check_tools(core: Shared<'_>) -> Result<String, Error> {
    core.report(health::check_tools(&core).await)
}

/// Puts a report the dashboard shows on the clipboard.
#[tauri::command]
pub fn copy_report(app: AppHandle, core: Shared<'_>, report: String) -> Result<(), Error> {
    core.report(health::copy_report(&app, report))
}

/// Puts the server's address on the clipboard, and answers it.
#[tauri::command]
pub async fn copy_address(app: AppHandle, core: Shared<'_>) -> Result<String, Error> {
    core.report(server::copy_address(&app, &core).await)
}

#[tauri::command]
pub fn copy_redirect_uri(app: AppHandle, core: Shared<'_>) -> Result<String, Error> {
    core.report(signin::copy_redirect_uri(&app, &core))
}

#[tauri::command]
pub fn dismiss_notice(core: Shared<'_>) {
    core.change(|st| st.notice = None);
}

#[tauri::command]
pub fn connect_client(core: Shared<'_>, client: String) -> Result<ConnectView, Error> {
    core.report(connections::client_named(&client).and_then(|c| connections::connect(&core, c)))
}

#[tauri::command]
pub fn undo_connect(core: Shared<'_>, client: String) -> Result<(), Error> {
    core.report(connections::client_named(&client).and_then(|c| connections::undo(&core, c)))
}

/// Opens Cursor's or VS Code's install link for this app's bridge.
#[tauri::command]
pub fn open_install_link(core: Shared<'_>, client: String) -> Result<String, Error> {
    core.report(
        connections::client_named(&client).and_then(|c| connections::open_install_link(&core, c)),
    )
}

/// Makes the Claude Desktop extension and hands it to Claude Desktop.
#[tauri::command]
pub async fn install_claude_extension(core: Shared<'_>) -> Result<String, Error> {
    core.report(connections::install_claude_extension(&core).await)
}

/// Installs the update on offer and starts the app again.
#[tauri::command]
pub async fn install_update(app: AppHandle, core: Shared<'_>) -> Result<(), Error> {
    core.report(updates::install(&app, &core).await)
}

/// Opens the folder of the log files; answers where it is.
#[tauri::command]
pub fn open_logs(app: AppHandle, core: Shared<'_>) -> Result<String, Error> {
    core.report(logs::open(&app))
}

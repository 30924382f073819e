//! What the app does when a person asks: the one place the dashboard's
//! commands (`commands`) and the tray's menu (`tray`) both call, so a
//! button and a menu item can never do two different things.
//!
//! Every action ends by publishing the new state ([`crate::publish`]: the
//! `status` event the page observes, and the tray). A failure becomes the dashboard's banner,
//! which stays until dismissed, and is also answered to the caller as a
//! typed [`Error`].

use std::sync::Arc;

use serde::Serialize;
use tauri::{AppHandle, Emitter};
use tauri_plugin_autostart::ManagerExt as _;
use tauri_plugin_clipboard_manager::ClipboardExt as _;
use worksection::SecretString;
use worksection_mcp::connect::{self, Client, Connected, Dirs, Launch};

use crate::core::{Core, Snapshot};
use crate::error::Error;
use crate::publish;
use crate::settings::AppSettings;
use crate::signin_window;
use crate::ways::AppCredentials;

/// Ends an action: a failure goes to the banner (it stays until dismissed;
/// "needs setup" opens the ways to sign in instead), then the state is
/// published either way.
async fn finish<T>(app: &AppHandle, core: &Core, result: Result<T, Error>) -> Result<T, Error> {
    match &result {
        Err(e @ Error::NeedsSetup) => {
            // Said on the banner too, for a dashboard that opens only now.
            core.set_notice("info", e.to_string());
            let _ = app.emit("show-ways", ());
        }
        Err(e) => core.set_notice("error", e.to_string()),
        Ok(_) => {}
    }
    publish(app, core).await;
    result
}

/// Signs in with the app in use (or with `own_app`, checked by this very
/// sign-in and saved only if it works), after keeping the Advanced sign-in
/// server address when one is given.
pub async fn sign_in(
    app: &AppHandle,
    core: &Arc<Core>,
    own_app: Option<AppCredentials>,
    oauth_url: Option<Option<String>>,
) -> Result<Snapshot, Error> {
    let result = async {
        if let Some(url) = oauth_url {
            core.set_oauth_url(url)?;
        }
        signin_window::open(app, core.clone(), own_app)
    }
    .await;
    finish(app, core, result).await?;
    Ok(core.snapshot().await)
}

pub async fn save_api_key(
    app: &AppHandle,
    core: &Core,
    account_url: &str,
    api_key: &SecretString,
) -> Result<Snapshot, Error> {
    let result = core
        .save_api_key(account_url, api_key)
        .await
        .map_err(Error::from);
    finish(app, core, result).await?;
    Ok(core.snapshot().await)
}

pub async fn remove_own_app(app: &AppHandle, core: &Core) -> Result<Snapshot, Error> {
    let result = core.remove_own_app().await.map_err(Error::from);
    finish(app, core, result).await?;
    Ok(core.snapshot().await)
}

pub async fn choose_demo(app: &AppHandle, core: &Core) -> Result<Snapshot, Error> {
    let result = core.choose_demo().await.map_err(Error::from);
    if result.is_ok() {
        core.check_health().await;
    }
    finish(app, core, result).await?;
    Ok(core.snapshot().await)
}

pub async fn sign_out(app: &AppHandle, core: &Core) -> Result<Snapshot, Error> {
    let result = core.sign_out().await.map_err(Error::from);
    finish(app, core, result).await?;
    Ok(core.snapshot().await)
}

/// Saves the dashboard's settings (checked in `settings`), turning
/// starting at login on or off with the OS when that changed.
pub async fn save_settings(
    app: &AppHandle,
    core: &Core,
    wanted: AppSettings,
) -> Result<Snapshot, Error> {
    let autostart_changed = core.settings().start_at_login != wanted.start_at_login;
    let on = wanted.start_at_login;
    let result = async {
        core.apply_settings(wanted).await?;
        if autostart_changed {
            set_autostart_with_os(app, on)?;
        }
        core.check_health().await;
        Ok::<_, String>(())
    }
    .await;
    // A refused form shows its message beside the form, not in the banner.
    let result = result.map_err(Error::from);
    publish(app, core).await;
    result?;
    Ok(core.snapshot().await)
}

/// Flips starting at login (the tray's check item).
pub async fn toggle_autostart(app: &AppHandle, core: &Core) -> Result<Snapshot, Error> {
    let on = !app.autolaunch().is_enabled().unwrap_or(false);
    let result = set_autostart_with_os(app, on)
        .and_then(|()| core.update_settings(|s| s.start_at_login = on).map(|_| ()))
        .map_err(Error::from);
    finish(app, core, result).await?;
    Ok(core.snapshot().await)
}

fn set_autostart_with_os(app: &AppHandle, on: bool) -> Result<(), String> {
    let launcher = app.autolaunch();
    let result = if on {
        launcher.enable()
    } else {
        launcher.disable()
    };
    result.map_err(|e| format!("Could not change starting at login: {e}."))
}

/// Replaces the local access token and restarts the server with it; the
/// bridge (what Connect writes) reads the new one when the assistant
/// starts it again.
pub async fn renew_local_token(app: &AppHandle, core: &Core) -> Result<Snapshot, Error> {
    let result = crate::settings::renew_local_token(&core.dir).map_err(Error::from);
    if result.is_ok() {
        core.restart().await;
        core.set_notice(
            "info",
            "Made a new local access token; the old one no longer works. Restart your assistants so their bridges pick it up.",
        );
    }
    finish(app, core, result).await?;
    Ok(core.snapshot().await)
}

pub async fn clear_cache(app: &AppHandle, core: &Core) -> Result<Snapshot, Error> {
    let removed = core.clear_cache().await;
    core.set_notice(
        "info",
        format!(
            "Cleared the file cache ({removed} file{}).",
            if removed == 1 { "" } else { "s" }
        ),
    );
    Ok(publish(app, core).await)
}

pub async fn check_health(app: &AppHandle, core: &Core) -> Result<Snapshot, Error> {
    core.check_health().await;
    Ok(publish(app, core).await)
}

pub async fn dismiss_notice(app: &AppHandle, core: &Core) -> Result<Snapshot, Error> {
    core.clear_notice();
    Ok(publish(app, core).await)
}

/// Puts the server's address on the clipboard, and answers it.
pub async fn copy_address(app: &AppHandle, core: &Core) -> Result<String, Error> {
    let result = async {
        let url = core
            .mcp_url()
            .await
            .ok_or("The server is not running, so there is no address to copy yet.")?;
        app.clipboard()
            .write_text(url.clone())
            .map_err(|e| format!("Could not copy to the clipboard: {e}."))?;
        Ok::<_, String>(url)
    }
    .await
    .map_err(Error::from);
    finish(app, core, result).await
}

/// Calls every tool once, read-only, against the account served at `/mcp`
/// (the same check as `worksection-mcp check`), and answers the report a
/// person can paste into a bug report.
pub async fn check_tools(core: &Core) -> Result<String, Error> {
    let account = core.default_account().await.ok_or_else(|| {
        Error::Failed("The server is not running, so there is no account to check yet.".into())
    })?;
    Ok(worksection_mcp::check(account, |_| {}).await.text())
}

/// Puts a report on the clipboard.
pub fn copy_report(app: &AppHandle, report: String) -> Result<bool, Error> {
    app.clipboard()
        .write_text(report)
        .map(|()| true)
        .map_err(|e| {
            Error::Failed(format!(
                "Could not copy to the clipboard ({e}); select the report and copy it by hand."
            ))
        })
}

/// Puts the redirect URI to register with an own app on the clipboard.
pub async fn copy_redirect_uri(app: &AppHandle, core: &Core) -> Result<String, Error> {
    let uri = core.snapshot().await.ways.redirect_uri;
    let result = app
        .clipboard()
        .write_text(uri.clone())
        .map(|()| uri)
        .map_err(|e| {
            Error::Failed(format!(
                "Could not copy to the clipboard ({e}); select the address and copy it by hand."
            ))
        });
    finish(app, core, result).await
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
pub fn client_named(name: &str) -> Result<Client, Error> {
    <Client as clap::ValueEnum>::from_str(name, false)
        .map_err(|_| Error::Failed(format!("There is no assistant called {name:?} to connect.")))
}

/// How an assistant starts this app: its own binary in bridge mode, which
/// forwards to the running app (the one owner of the sign-in).
fn launch() -> Result<Launch, String> {
    let exe = std::env::current_exe()
        .map_err(|e| format!("Could not tell where this app is installed: {e}."))?;
    Ok(Launch {
        command: exe.to_string_lossy().into_owned(),
        args: vec!["--bridge".to_owned()],
        env: vec![],
    })
}

/// The install link an assistant documents for adding a server in one
/// click (Cursor's `cursor://…/mcp/install`, VS Code's `vscode:mcp/install`),
/// starting this app's bridge as the Connect buttons do: no token in it.
pub fn install_link(client: Client) -> Result<String, Error> {
    use base64::Engine as _;
    let launch = launch()?;
    let encode =
        |text: &str| url::form_urlencoded::byte_serialize(text.as_bytes()).collect::<String>();
    match client {
        Client::Cursor => {
            let config = serde_json::json!({"command": launch.command, "args": launch.args});
            let b64 = base64::engine::general_purpose::STANDARD.encode(config.to_string());
            Ok(format!(
                "cursor://anysphere.cursor-deeplink/mcp/install?name=worksection&config={}",
                encode(&b64)
            ))
        }
        Client::VsCode => {
            let config = serde_json::json!({"name": "worksection", "command": launch.command, "args": launch.args});
            Ok(format!(
                "vscode:mcp/install?{}",
                encode(&config.to_string())
            ))
        }
        other => Err(Error::Failed(format!(
            "{} has no install link; use its Connect button.",
            other.label()
        ))),
    }
}

/// Opens an assistant's install link with the system (the assistant then
/// asks the person to confirm).
pub async fn open_install_link(
    app: &AppHandle,
    core: &Core,
    client: Client,
) -> Result<String, Error> {
    let result = install_link(client).and_then(|link| {
        open_with_system(&link).map_err(|e| {
            Error::Failed(format!(
                "Could not hand the link to {} ({e}); is it installed? Its Connect button writes its settings instead.",
                client.label()
            ))
        })?;
        Ok(link)
    });
    if result.is_ok() {
        core.set_notice(
            "info",
            format!(
                "Sent the install link to {}: confirm there.",
                client.label()
            ),
        );
    }
    finish(app, core, result).await
}

/// Makes the Claude Desktop extension (`.mcpb`) from this app, saves it in
/// the person's Downloads folder (else the app's cache folder) and opens
/// it with the system, which hands it to Claude Desktop's installer.
pub async fn install_claude_extension(app: &AppHandle, core: &Core) -> Result<String, Error> {
    let result = async {
        let dir = directories::UserDirs::new()
            .and_then(|u| u.download_dir().map(std::path::Path::to_path_buf))
            .or_else(|| directories::BaseDirs::new().map(|b| b.cache_dir().join(crate::settings::IDENTIFIER)))
            .ok_or("Could not find your Downloads folder (is HOME set?); nothing was saved.")?;
        let path = tauri::async_runtime::spawn_blocking(move || crate::extension::write(&dir))
            .await
            .map_err(|e| e.to_string())??;
        let shown = path.display().to_string();
        match open_with_system(&shown) {
            Ok(()) => core.set_notice(
                "info",
                format!("Saved {shown} and opened it: confirm the install in Claude Desktop."),
            ),
            Err(e) => core.set_notice(
                "info",
                format!(
                    "Saved {shown}, but could not open it ({e}): drag it onto Claude Desktop's Settings → Extensions."
                ),
            ),
        }
        Ok::<_, Error>(shown)
    }
    .await;
    finish(app, core, result).await
}

fn open_with_system(link: &str) -> std::io::Result<()> {
    #[cfg(target_os = "linux")]
    let mut cmd = std::process::Command::new("xdg-open");
    #[cfg(target_os = "macos")]
    let mut cmd = std::process::Command::new("open");
    #[cfg(windows)]
    let mut cmd = {
        let mut c = std::process::Command::new("cmd");
        c.args(["/C", "start", ""]);
        c
    };
    cmd.arg(link)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .map(|_| ())
}

/// Installs the update on offer and starts the app again (on success
/// this does not return).
pub async fn install_update(app: &AppHandle, core: &Core) -> Result<Snapshot, Error> {
    let result = crate::updates::install(app, core).await;
    finish(app, core, result).await?;
    Ok(core.snapshot().await)
}

/// Opens the folder of the log files with the system's file manager.
pub async fn open_logs(app: &AppHandle, core: &Core) -> Result<String, Error> {
    let result = crate::logs::folder(app).and_then(|dir| {
        std::fs::create_dir_all(&dir)
            .and_then(|()| open_with_system(&dir.to_string_lossy()))
            .map_err(|e| {
                format!(
                    "Could not open the logs folder ({e}); it is {}.",
                    dir.display()
                )
            })?;
        Ok(dir.to_string_lossy().into_owned())
    });
    finish(app, core, result.map_err(Error::from)).await
}

/// Adds the app to an assistant's settings (keeping the rest and a backup).
pub async fn connect(app: &AppHandle, core: &Core, client: Client) -> Result<ConnectView, Error> {
    let result = (|| {
        let dirs = Dirs::of_user()
            .ok_or("Could not find your home folder (is HOME set?); nothing was changed.")?;
        let done = connect::connect(client, &dirs, &launch()?).map_err(|e| e.to_string())?;
        let entry_text = serde_json::to_string_pretty(&done.entry).unwrap_or_default();
        core.remember_connect(done.clone());
        core.set_notice(
            "info",
            format!(
                "Connected {} (wrote {}); restart it to see Worksection's tools. Undo is on the dashboard.",
                done.client,
                done.path.display()
            ),
        );
        Ok::<_, String>(ConnectView { done, entry_text })
    })()
    .map_err(Error::from);
    finish(app, core, result).await
}

pub async fn undo_connect(app: &AppHandle, core: &Core, client: Client) -> Result<Snapshot, Error> {
    let label = client.label();
    let result = (|| {
        let done = core.connected(label).ok_or_else(|| {
            format!("{label} was not connected from this window; nothing to undo.")
        })?;
        connect::undo(&done).map_err(|e| e.to_string())?;
        core.forget_connect(label);
        core.set_notice(
            "info",
            match &done.backup {
                Some(_) => format!("Restored {label}'s previous settings."),
                None => format!("Removed the settings file written for {label}."),
            },
        );
        Ok::<_, String>(())
    })()
    .map_err(Error::from);
    finish(app, core, result).await?;
    Ok(core.snapshot().await)
}

#[cfg(test)]
mod tests {
    use base64::Engine as _;

    use super::*;

    fn query_of(link: &str) -> String {
        let (_, query) = link.split_once('?').expect("a query");
        query.to_owned()
    }

    #[test]
    fn install_links_start_the_bridge_and_carry_no_token() {
        let cursor = install_link(Client::Cursor).expect("cursor");
        assert!(cursor.starts_with(
            "cursor://anysphere.cursor-deeplink/mcp/install?name=worksection&config="
        ));
        let pairs: Vec<(String, String)> =
            url::form_urlencoded::parse(query_of(&cursor).as_bytes())
                .into_owned()
                .collect();
        let config = &pairs.iter().find(|(k, _)| k == "config").expect("config").1;
        let json: serde_json::Value = serde_json::from_slice(
            &base64::engine::general_purpose::STANDARD
                .decode(config)
                .expect("base64"),
        )
        .expect("json");
        assert_eq!(json["args"], serde_json::json!(["--bridge"]));
        assert!(json.get("headers").is_none() && json.get("env").is_none());

        let vscode = install_link(Client::VsCode).expect("vscode");
        assert!(vscode.starts_with("vscode:mcp/install?"));
        let decoded: String =
            url::form_urlencoded::parse(format!("x={}", query_of(&vscode)).as_bytes())
                .map(|(_, v)| v.into_owned())
                .collect();
        let json: serde_json::Value = serde_json::from_str(&decoded).expect("json");
        assert_eq!(json["name"], "worksection");
        assert_eq!(json["args"], serde_json::json!(["--bridge"]));
        assert!(install_link(Client::ClaudeCode).is_err());
    }
}

//! The tray icon and its menu: the icon's look tells the state (signed
//! out, serving, error), the menu's first line tells the account and the
//! address, and the rest are the app's everyday actions.
//!
//! Where the desktop shows no tray (on Linux, nothing owns
//! `org.kde.StatusNotifierWatcher` on the session bus, or there is no
//! session bus), the dashboard opens at start instead, so the app is never
//! running invisibly.

use std::sync::Arc;

use tauri::image::Image;
use tauri::menu::{CheckMenuItem, IsMenuItem, Menu, MenuItem, PredefinedMenuItem};
use tauri::tray::TrayIconBuilder;
use tauri::{AppHandle, Manager, Wry};
use worksection_mcp::connect::Client;

use crate::autostart;
use crate::connections;
use crate::core::Core;
use crate::dashboard;
use crate::logs;
use crate::server;
use crate::settings::Mode;
use crate::signin_window;
use crate::snapshot::{Snapshot, TrayState};
use crate::updates;

const TRAY_ID: &str = "main";

const ICON_SIGNED_OUT: &[u8] = include_bytes!("../../icons/tray-signed-out.png");
const ICON_SERVING: &[u8] = include_bytes!("../../icons/tray-serving.png");
const ICON_ERROR: &[u8] = include_bytes!("../../icons/tray-error.png");

fn icon(state: TrayState) -> Option<Image<'static>> {
    let bytes = match state {
        TrayState::SignedOut => ICON_SIGNED_OUT,
        TrayState::Serving => ICON_SERVING,
        TrayState::Error => ICON_ERROR,
    };
    Image::from_bytes(bytes).ok()
}

/// Whether the desktop can show a tray icon. Asked on a thread of its
/// own with zbus's blocking API (zbus runs its own executor, not tokio's),
/// giving up after two seconds.
#[cfg(target_os = "linux")]
pub async fn host_exists() -> bool {
    let (tx, rx) = std::sync::mpsc::channel();
    let spawned = std::thread::Builder::new()
        .name("tray-host-check".into())
        .spawn(move || {
            let owned = (|| {
                let conn = zbus::blocking::Connection::session().ok()?;
                let dbus = zbus::blocking::fdo::DBusProxy::new(&conn).ok()?;
                let name = zbus::names::BusName::try_from("org.kde.StatusNotifierWatcher").ok()?;
                dbus.name_has_owner(name).ok()
            })();
            let _ = tx.send(owned.unwrap_or(false));
        });
    if spawned.is_err() {
        return false;
    }
    rx.recv_timeout(std::time::Duration::from_secs(2))
        .unwrap_or(false)
}

/// macOS and Windows always have a menu bar or notification area.
#[cfg(not(target_os = "linux"))]
pub async fn host_exists() -> bool {
    true
}

fn menu(app: &AppHandle, snap: &Snapshot) -> tauri::Result<Menu<tauri::Wry>> {
    let signed_in = snap.mode == Some(Mode::Account);
    let autostart = autostart::is_on(app);
    // Every entry but the checkbox is a plain item with no accelerator.
    let item = |id: &str, label: &str, enabled: bool| {
        MenuItem::with_id(app, id, label, enabled, None::<&str>)
    };
    let status = item("status", &snap.status_line(), false)?;
    let open = item("open", "Open dashboard", true)?;
    let sign_in = item(
        "sign_in",
        if signed_in {
            "Sign in again…"
        } else {
            "Sign in…"
        },
        true,
    )?;
    let copy = item("copy", "Copy MCP address", snap.server.running)?;
    let connect = item("connect", "Connect Claude Desktop…", true)?;
    let clear = item("clear_cache", "Clear file cache", snap.server.running)?;
    let renew = item(
        "renew_token",
        "Renew local access token",
        snap.settings.local_token,
    )?;
    let logs = item("open_logs", "Open logs", true)?;
    // Only when a checked update is at hand.
    let update = match &snap.update {
        Some(u) if u.installing => Some(item(
            "install_update",
            &format!("Installing {}…", u.version),
            false,
        )?),
        Some(u) => Some(item(
            "install_update",
            &format!("Update to {} — Install and restart", u.version),
            true,
        )?),
        None => None,
    };
    let login = CheckMenuItem::with_id(
        app,
        "autostart",
        "Start at login",
        true,
        autostart,
        None::<&str>,
    )?;
    let quit = item("quit", "Quit", true)?;
    let sep = || PredefinedMenuItem::separator(app);
    let (sep1, sep2, sep3) = (sep()?, sep()?, sep()?);
    let mut items: Vec<&dyn IsMenuItem<Wry>> = Vec::with_capacity(14);
    items.push(&status);
    items.push(&sep1);
    if let Some(u) = &update {
        items.push(u);
    }
    for entry in [&open, &sign_in, &copy, &connect, &clear, &renew] {
        items.push(entry);
    }
    items.push(&sep2);
    items.push(&login);
    items.push(&logs);
    items.push(&sep3);
    items.push(&quit);
    Menu::with_items(app, &items)
}

/// Creates the tray icon.
pub fn create(app: &AppHandle, snap: &Snapshot) -> tauri::Result<()> {
    let mut builder = TrayIconBuilder::with_id(TRAY_ID)
        .tooltip("Worksection MCP")
        .menu(&menu(app, snap)?)
        .show_menu_on_left_click(true)
        .on_menu_event(|app, event| on_menu(app, event.id().as_ref()));
    if let Some(i) = icon(snap.tray_state()) {
        builder = builder.icon(i);
    }
    builder.build(app)?;
    Ok(())
}

/// Brings the icon and the menu up to date.
pub fn refresh(app: &AppHandle, snap: &Snapshot) {
    let Some(tray) = app.tray_by_id(TRAY_ID) else {
        return;
    };
    let _ = tray.set_icon(icon(snap.tray_state()));
    if let Ok(m) = menu(app, snap) {
        let _ = tray.set_menu(Some(m));
    }
    let _ = tray.set_tooltip(Some(format!("Worksection MCP — {}", snap.status_line())));
}

fn on_menu(app: &AppHandle, id: &str) {
    let core = app.state::<Arc<Core>>().inner().clone();
    let app = app.clone();
    if id == "open" {
        dashboard::show(&app);
        return;
    }
    let id = id.to_owned();
    // Each item does what the dashboard's button of the same name does,
    // and a failure goes to the dashboard's banner the same way
    // (`Core::report`); the dashboard then comes up to show it.
    tauri::async_runtime::spawn(async move {
        let done = match id.as_str() {
            "quit" => {
                server::stop(&core).await;
                app.exit(0);
                return;
            }
            "sign_in" => signin_window::sign_in(&app, &core, None, None).await,
            "copy" => server::copy_address(&app, &core).await.map(drop),
            "connect" => {
                let done = connections::connect(&core, Client::ClaudeDesktop).map(drop);
                // Undo is on the dashboard.
                dashboard::show(&app);
                done
            }
            "clear_cache" => server::clear_cache(&core).await,
            "renew_token" => server::renew_local_token(&core).await,
            "autostart" => autostart::toggle(&app, &core),
            "open_logs" => logs::open(&app).map(drop),
            "install_update" => updates::install(&app, &core).await,
            _ => Ok(()),
        };
        if core.report(done).is_err() {
            dashboard::show(&app);
        }
    });
}

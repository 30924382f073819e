//! Worksection MCP, the desktop app: a tray app that signs a person in to
//! Worksection in its own window, serves their account to AI assistants
//! from inside this process, and connects Claude Desktop in one click.
//! `--bridge` (an assistant's stdio, `bridge`) and `--mcpb-manifest`
//! (`extension`) are handled before Tauri starts, without a window.
//!
//! The rooms, by what they do:
//! - the state: `core` (what every room shares), `state` (the one state),
//!   `snapshot` (what the page and the tray see of it), `publish` (the one
//!   way out: the page's `status` event, the tray, notifications);
//! - serving: `server` (start, stop, what it serves), `health`,
//!   `figures` (sessions, the file cache), `activity` (the feed);
//! - signing in: `signin` (OAuth2, the demo, signing out),
//!   `signin_window` and `navigation` (its window), `api_key`, `ways`
//!   (where the sign-in details are kept);
//! - the rest a person asks for: `connections` (assistants), `extension`,
//!   `autostart`, `updates`, `logs`, `opener`;
//! - the doors and windows: `commands` (the page's), `tray`, `dashboard`,
//!   `alerts` (OS notifications); `settings`, `error`.

// No console window next to the app on Windows (release builds).
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

mod activity;
mod alerts;
mod api_key;
mod autostart;
mod bridge;
mod commands;
mod connections;
mod core;
mod dashboard;
mod error;
mod extension;
mod figures;
mod health;
mod logs;
mod navigation;
mod opener;
mod publish;
mod server;
mod settings;
mod signin;
mod signin_window;
mod snapshot;
mod state;
mod tray;
mod updates;
mod ways;

use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use tauri::{AppHandle, Manager, RunEvent};

use crate::core::Core;
use crate::settings::EnvArgs;

/// How often the Health card's figures are refreshed.
const HEALTH_EVERY: Duration = Duration::from_secs(60);

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let has = |flag: &str| args.iter().any(|a| a == flag);
    if has("--bridge") {
        let account = args.iter().position(|a| a == "--account");
        return bridge::run(account.and_then(|i| args.get(i + 1)).cloned());
    }
    if has("--mcpb-manifest") {
        return extension::print_manifest();
    }
    logs::init();
    let core = match settings::config_dir().and_then(|dir| Ok(Core::new(dir, EnvArgs::from_env()?)))
    {
        Ok(core) => Arc::new(core),
        Err(e) => {
            eprintln!("Worksection MCP: {e}");
            return ExitCode::from(2);
        }
    };
    match run(core, has("--minimized")) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("Worksection MCP could not start: {e}");
            ExitCode::FAILURE
        }
    }
}

/// The app's life: the plugins and the page's commands, then at start the
/// tray (or the dashboard), the one task that shows the state, the server
/// and what watches it; at the end, a tray keeps the app running when the
/// last window closes.
fn run(core: Arc<Core>, minimized: bool) -> tauri::Result<()> {
    let mut context = tauri::generate_context!();
    let builder = tauri::Builder::default()
        // A second launch shows the first one's dashboard.
        .plugin(tauri_plugin_single_instance::init(|app, _, _| {
            dashboard::show(app)
        }))
        .plugin(tauri_plugin_autostart::init(
            tauri_plugin_autostart::MacosLauncher::LaunchAgent,
            Some(vec!["--minimized"]),
        ))
        .plugin(tauri_plugin_clipboard_manager::init())
        .plugin(tauri_plugin_notification::init())
        .plugin(
            tauri_plugin_window_state::Builder::new()
                .with_state_flags(dashboard::WINDOW_STATE)
                .with_denylist(&[signin_window::LABEL])
                .build(),
        );
    let app = updates::add(builder, &mut context)
        .manage(core.clone())
        .invoke_handler(tauri::generate_handler![
            commands::get_status,
            commands::get_activity,
            commands::choose_demo,
            commands::sign_in,
            commands::sign_in_own_app,
            commands::remove_own_app,
            commands::save_api_key,
            commands::sign_out,
            commands::save_settings,
            commands::clear_cache,
            commands::check_health,
            commands::copy_address,
            commands::copy_redirect_uri,
            commands::dismiss_notice,
            commands::connect_client,
            commands::undo_connect,
            commands::open_install_link,
            commands::install_update,
            commands::open_logs,
            commands::install_claude_extension,
            commands::check_tools,
            commands::copy_report,
        ])
        .setup(move |app| {
            let app = app.handle().clone();
            if let Err(e) = logs::to_files(&app) {
                tracing::warn!("{e}; logging to stderr only");
            }
            tracing::info!(
                version = env!("CARGO_PKG_VERSION"),
                minimized,
                "Worksection MCP started"
            );
            show_at_start(&app, &core, minimized)?;
            publish::spawn(app.clone(), core.clone());
            activity::follow(app.clone(), core.clone());
            figures::follow(core.clone());
            let serving = core.clone();
            tauri::async_runtime::spawn(async move {
                server::restart(&serving).await;
                health::every(serving, HEALTH_EVERY);
            });
            updates::watch(&app, core.clone());
            Ok(())
        })
        .build(context)?;
    app.run(|app, event| {
        // Closing the last window keeps a tray app running; Quit and a
        // desktop without a tray really exit.
        if let RunEvent::ExitRequested {
            code: None, api, ..
        } = &event
            && app.state::<Arc<Core>>().has_tray()
        {
            api.prevent_exit();
        }
    });
    Ok(())
}

/// A tray icon where the desktop shows one, and the dashboard unless the
/// app started minimised to it: the app never runs unseen.
fn show_at_start(app: &AppHandle, core: &Core, minimized: bool) -> tauri::Result<()> {
    // The tray item's title on Linux: libayatana-appindicator answers the
    // StatusNotifierItem's `Title` with GLib's application name, which is
    // the binary's name until set.
    #[cfg(target_os = "linux")]
    gtk::glib::set_application_name(&app.package_info().name);
    let mut has_tray = tauri::async_runtime::block_on(tray::host_exists());
    if has_tray && let Err(e) = tray::create(app, &core.snapshot()) {
        tracing::warn!(error = %e, "the tray icon did not appear");
        has_tray = false;
    }
    core.change(|st| st.has_tray = has_tray);
    if !has_tray || !minimized {
        dashboard::open(app)?;
    }
    Ok(())
}

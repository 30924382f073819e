//! Worksection MCP, the desktop app: a tray app that signs a person in to
//! Worksection in its own window, serves their account to AI assistants
//! from inside this process, and connects Claude Desktop in one click.
//!
//! `worksection-mcp-desktop --bridge` is the same binary started by an
//! assistant: it speaks MCP over stdio and forwards to the running app's
//! server, so one process owns the sign-in and the rate limit. It is
//! handled before Tauri starts, so it needs no window or display; so is
//! `--mcpb-manifest`, which prints the Claude Desktop extension's manifest
//! (`extension`) for `scripts/mcpb`.
//!
//! Modules: `core` (state, server, sign-in, snapshot), `ways` (the three
//! ways to sign in and where their details are kept), `settings` (the
//! app's settings file), `navigation` (what the sign-in window may load),
//! `signin_window`, `actions` (what a person can ask, for the dashboard
//! and the tray alike), `commands` (the dashboard's doors to `actions`),
//! `tray`, `error` (the commands' typed error), `alerts` (OS
//! notifications), `logs` (stderr and the log files), `updates` (the
//! updater, in builds given its key), `extension` (the Claude Desktop
//! extension).

// No console window next to the app on Windows (release builds).
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

mod actions;
mod alerts;
mod commands;
mod core;
mod error;
mod extension;
mod logs;
mod navigation;
mod settings;
mod signin_window;
mod tray;
mod updates;
mod ways;

use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use tauri::{AppHandle, Emitter, Manager, RunEvent, WebviewUrl, WebviewWindowBuilder, WindowEvent};
use tauri_plugin_window_state::{AppHandleExt as _, StateFlags};

use crate::core::{Core, EnvArgs, Snapshot};

/// How often the dashboard's health figures are refreshed.
const HEALTH_EVERY: Duration = Duration::from_secs(60);
/// How often the in-process figures that move by themselves (sessions,
/// the file cache) are looked at; a `status` event goes out only when one
/// changed. Nothing is read from the token store for it.
const FIGURES_EVERY: Duration = Duration::from_secs(2);

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|a| a == "--bridge") {
        let account = args
            .iter()
            .position(|a| a == "--account")
            .and_then(|i| args.get(i + 1))
            .cloned();
        return bridge(account);
    }
    if args.iter().any(|a| a == "--mcpb-manifest") {
        return print_manifest();
    }
    logs::init();
    let dir = match settings::config_dir() {
        Ok(d) => d,
        Err(e) => {
            eprintln!("Worksection MCP: {e}");
            return ExitCode::FAILURE;
        }
    };
    let env = match EnvArgs::from_env() {
        Ok(e) => e,
        Err(e) => {
            eprintln!("Worksection MCP: {e}");
            return ExitCode::from(2);
        }
    };
    let minimized = args.iter().any(|a| a == "--minimized");
    let core = Arc::new(Core::new(dir, env));
    match run(core, minimized) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("Worksection MCP could not start: {e}");
            ExitCode::FAILURE
        }
    }
}

/// `--mcpb-manifest`: the extension's manifest for this binary, on stdout.
fn print_manifest() -> ExitCode {
    let name = std::env::current_exe()
        .ok()
        .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
        .unwrap_or_else(|| "worksection-mcp-desktop".to_owned());
    match serde_json::to_string_pretty(&extension::manifest(&name)) {
        Ok(text) => {
            println!("{text}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("Worksection MCP: could not write the manifest: {e}");
            ExitCode::FAILURE
        }
    }
}

/// How long `--bridge` waits for an app it started to serve.
const APP_START_PATIENCE: Duration = Duration::from_secs(30);

/// `--bridge`: stdio to the running app's server, found through the app's
/// settings (port, and the local token when one is on). When the app is
/// not running (the assistant started first, after a reboot), it starts
/// the app minimised to the tray and waits until it serves; the bridge's
/// own patience covers the app restarting later. With `--account <host>`
/// it reaches that signed-in account (`/mcp/<host>`) instead of the
/// default one.
fn bridge(account: Option<String>) -> ExitCode {
    let target = settings::config_dir().and_then(|dir| {
        let s = settings::AppSettings::load(&dir)?;
        if s.mode.is_some() && !serving(s.port) {
            start_app_minimised();
            let until = std::time::Instant::now() + APP_START_PATIENCE;
            while !serving(s.port) && std::time::Instant::now() < until {
                std::thread::sleep(Duration::from_millis(100));
            }
        }
        // Read after the app started: its first run makes the token.
        let auth_token = if s.local_token {
            settings::local_token(&dir, false)?
        } else {
            None
        };
        let url = match &account {
            None => s.mcp_url(),
            Some(host) => {
                let host = host.trim().trim_end_matches('/');
                if host.is_empty() || !host.chars().all(|c| c.is_ascii_alphanumeric() || ".-:".contains(c)) {
                    return Err(format!(
                        "--account takes an account's host, such as acme.worksection.com (got {host:?})."
                    ));
                }
                format!("{}/{host}", s.mcp_url())
            }
        };
        Ok(worksection_mcp::transport::bridge::BridgeTarget { url, auth_token })
    });
    let target = match target {
        Ok(t) => t,
        Err(e) => {
            eprintln!("Worksection MCP bridge: {e}");
            return ExitCode::FAILURE;
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("Worksection MCP bridge could not start: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(worksection_mcp::transport::bridge::run(target)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("Worksection MCP bridge stopped: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Whether something accepts connections on the app's port.
fn serving(port: u16) -> bool {
    let addr = std::net::SocketAddr::from(([127, 0, 0, 1], port));
    std::net::TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok()
}

/// Starts this app minimised to the tray, on its own (it outlives the
/// bridge and the assistant's process group).
fn start_app_minimised() {
    let Ok(exe) = std::env::current_exe() else {
        return;
    };
    let mut cmd = std::process::Command::new(exe);
    cmd.arg("--minimized")
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null());
    #[cfg(unix)]
    std::os::unix::process::CommandExt::process_group(&mut cmd, 0);
    if let Err(e) = cmd.spawn() {
        eprintln!("Worksection MCP bridge: could not start the app ({e}); open it by hand.");
    }
}

/// Opens the dashboard window.
pub fn open_dashboard(app: &AppHandle) -> tauri::Result<()> {
    let window = WebviewWindowBuilder::new(app, "main", WebviewUrl::App("index.html".into()))
        .title("Worksection MCP")
        .inner_size(880.0, 760.0)
        .min_inner_size(640.0, 480.0)
        .center()
        .build()?;
    let handle = app.clone();
    window.on_window_event(move |event| {
        if let WindowEvent::CloseRequested { api, .. } = event {
            // Saved now, not only at exit: a tray app is often ended by
            // the session's logout, which gives it no exit to save at.
            let _ = handle.save_window_state(WINDOW_STATE);
            let core = handle.state::<Arc<Core>>();
            if core.snapshot_has_tray() {
                // The tray keeps the app (and the server) running.
                api.prevent_close();
                if let Some(w) = handle.get_webview_window("main") {
                    let _ = w.hide();
                }
            }
        }
    });
    Ok(())
}

/// Sends the new state to the dashboard and the tray, and shows the OS
/// notifications it brought.
pub async fn publish(app: &AppHandle, core: &Core) -> Snapshot {
    let snap = core.snapshot().await;
    let _ = app.emit("status", &snap);
    crate::tray::refresh(app, &snap);
    for alert in core.take_alerts() {
        alerts::show(app, &alert, snap.has_tray);
    }
    snap
}

/// What of the dashboard's window is remembered between launches: its
/// size and place (not whether it was shown: that is for `--minimized`
/// and the tray to say).
const WINDOW_STATE: StateFlags = StateFlags::SIZE
    .union(StateFlags::POSITION)
    .union(StateFlags::MAXIMIZED);

/// After a failed tool call, the soonest the sign-in is looked at again.
const RECHECK_AFTER_FAILURE: Duration = Duration::from_secs(10);

/// Shows the dashboard (from the tray, or a second launch).
pub fn show_dashboard(app: &AppHandle) {
    if let Some(w) = app.get_webview_window("main") {
        let _ = w.show();
        let _ = w.unminimize();
        let _ = w.set_focus();
    } else if let Err(e) = open_dashboard(app) {
        tracing::warn!(error = %e, "the dashboard did not open");
    }
}

fn run(core: Arc<Core>, minimized: bool) -> tauri::Result<()> {
    let mut context = tauri::generate_context!();
    let builder = tauri::Builder::default()
        .plugin(tauri_plugin_single_instance::init(|app, _args, _cwd| {
            // A second launch shows the first one's dashboard.
            show_dashboard(app);
        }))
        .plugin(tauri_plugin_autostart::init(
            tauri_plugin_autostart::MacosLauncher::LaunchAgent,
            Some(vec!["--minimized"]),
        ))
        .plugin(tauri_plugin_clipboard_manager::init())
        .plugin(tauri_plugin_notification::init())
        .plugin(
            tauri_plugin_window_state::Builder::new()
                .with_state_flags(WINDOW_STATE)
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
            let handle = app.handle().clone();
            if let Err(e) = logs::to_files(&handle) {
                tracing::warn!("{e}; logging to stderr only");
            }
            tracing::info!(
                version = env!("CARGO_PKG_VERSION"),
                minimized,
                "Worksection MCP started"
            );
            // The tray item's title on Linux: libayatana-appindicator
            // answers the StatusNotifierItem's `Title` with GLib's
            // application name, which is the binary's name until set.
            // (tray-icon's own `title` is a label drawn beside the icon.)
            #[cfg(target_os = "linux")]
            gtk::glib::set_application_name(&app.package_info().name);
            let has_tray = tauri::async_runtime::block_on(tray::host_exists());
            core.set_has_tray(has_tray);
            if !has_tray || !minimized {
                open_dashboard(&handle)?;
            }
            if has_tray {
                let snap = tauri::async_runtime::block_on(core.snapshot());
                if let Err(e) = tray::create(&handle, &snap) {
                    // Without the icon the dashboard must stay reachable.
                    tracing::warn!(error = %e, "the tray icon did not appear");
                    core.set_has_tray(false);
                    if handle.get_webview_window("main").is_none() {
                        open_dashboard(&handle)?;
                    }
                }
            }
            // Serve from launch.
            let start_core = core.clone();
            let start_app = handle.clone();
            tauri::async_runtime::spawn(async move {
                start_core.restart().await;
                publish(&start_app, &start_core).await;
                loop {
                    start_core.check_health().await;
                    publish(&start_app, &start_core).await;
                    tokio::time::sleep(HEALTH_EVERY).await;
                }
            });
            // Figures that move by themselves, published when they move.
            let watch_core = core.clone();
            let watch_app = handle.clone();
            tauri::async_runtime::spawn(async move {
                let mut last = None;
                loop {
                    tokio::time::sleep(FIGURES_EVERY).await;
                    let snap = watch_core.snapshot().await;
                    let mut seen = serde_json::to_value(&snap).ok();
                    // Uptime moves every second; the page counts it itself.
                    if let Some(server) = seen.as_mut().and_then(|v| v.get_mut("server")) {
                        server["uptime_seconds"] = serde_json::Value::Null;
                    }
                    if seen != last {
                        last = seen;
                        let _ = watch_app.emit("status", &snap);
                        tray::refresh(&watch_app, &snap);
                    }
                }
            });
            updates::watch(&handle, core.clone());
            // The activity feed, live to the dashboard. A failed call may
            // be an expired sign-in: the sign-in is looked at then (at
            // most every few seconds), not only at the next health check.
            let mut calls = core.activity.subscribe();
            let feed_app = handle.clone();
            let feed_core = core.clone();
            tauri::async_runtime::spawn(async move {
                let mut last_recheck: Option<std::time::Instant> = None;
                loop {
                    match calls.recv().await {
                        Ok(call) => {
                            let _ = feed_app.emit("activity", &call);
                            if call.error.is_some()
                                && last_recheck.is_none_or(|t| t.elapsed() >= RECHECK_AFTER_FAILURE)
                            {
                                last_recheck = Some(std::time::Instant::now());
                                let (app, core) = (feed_app.clone(), feed_core.clone());
                                tauri::async_runtime::spawn(async move {
                                    core.check_health().await;
                                    publish(&app, &core).await;
                                });
                            }
                        }
                        Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => continue,
                        Err(tokio::sync::broadcast::error::RecvError::Closed) => break,
                    }
                }
            });
            Ok(())
        })
        .build(context)?;
    app.run(|handle, event| {
        if let RunEvent::ExitRequested { code, api, .. } = &event {
            let core = handle.state::<Arc<Core>>();
            // Closing the last window keeps a tray app running; Quit and
            // a desktop without a tray really exit.
            if code.is_none() && core.snapshot_has_tray() {
                api.prevent_exit();
            }
        }
    });
    Ok(())
}

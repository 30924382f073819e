//! The dashboard's window: opened at start (unless the app starts
//! minimised to a tray), shown again from the tray or a second launch, and
//! closed like any window: with a tray it only hides (the app and its
//! server keep running), without one it ends the app. Its size and place
//! are saved when it closes (tauri-plugin-window-state restores them).

use std::sync::Arc;

use tauri::{AppHandle, Manager, WebviewUrl, WebviewWindowBuilder, WindowEvent};
use tauri_plugin_window_state::{AppHandleExt as _, StateFlags};

use crate::core::Core;

/// The window's label.
pub const LABEL: &str = "main";

/// What of the dashboard's window is remembered between launches: its
/// size and place (not whether it was shown: that is for `--minimized`
/// and the tray to say).
pub const WINDOW_STATE: StateFlags = StateFlags::SIZE
    .union(StateFlags::POSITION)
    .union(StateFlags::MAXIMIZED);

/// Opens the dashboard window.
pub fn open(app: &AppHandle) -> tauri::Result<()> {
    let window = WebviewWindowBuilder::new(app, LABEL, WebviewUrl::App("index.html".into()))
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
            if handle.state::<Arc<Core>>().has_tray() {
                // The tray keeps the app (and the server) running.
                api.prevent_close();
                if let Some(w) = handle.get_webview_window(LABEL) {
                    let _ = w.hide();
                }
            }
        }
    });
    Ok(())
}

/// Shows the dashboard (from the tray, or a second launch), opening it
/// when it was closed.
pub fn show(app: &AppHandle) {
    if let Some(w) = app.get_webview_window(LABEL) {
        let _ = w.show();
        let _ = w.unminimize();
        let _ = w.set_focus();
    } else if let Err(e) = open(app) {
        tracing::warn!(error = %e, "the dashboard did not open");
    }
}

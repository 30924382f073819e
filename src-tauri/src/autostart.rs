//! Starting at login: the OS's autostart entry (through
//! tauri-plugin-autostart, started with `--minimized`, so only the tray
//! comes up) and the setting that remembers it. The tray's check item
//! flips it; the dashboard's Settings form sets it (`save_settings`).

use tauri::AppHandle;
use tauri_plugin_autostart::ManagerExt as _;

use crate::core::Core;
use crate::error::Error;

/// Whether the OS starts the app at login now.
pub fn is_on(app: &AppHandle) -> bool {
    app.autolaunch().is_enabled().unwrap_or(false)
}

/// Flips starting at login (the tray's check item).
pub fn toggle(app: &AppHandle, core: &Core) -> Result<(), Error> {
    let on = !is_on(app);
    set_with_os(app, on)?;
    core.update_settings(|s| s.start_at_login = on)?;
    Ok(())
}

/// Turns the OS's autostart entry on or off.
pub fn set_with_os(app: &AppHandle, on: bool) -> Result<(), Error> {
    let launcher = app.autolaunch();
    let result = if on {
        launcher.enable()
    } else {
        launcher.disable()
    };
    result.map_err(|e| Error::Local(format!("Could not change starting at login: {e}.")))
}

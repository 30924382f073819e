//! Tauri's build step: reads `tauri.conf.json` and the capabilities, embeds
//! the icons and the access rules, and declares the app's own commands so
//! that only windows granted them (the dashboard) may call them.

const COMMANDS: &[&str] = &[
    "get_status",
    "get_activity",
    "choose_demo",
    "sign_in",
    "sign_out",
    "save_settings",
    "clear_cache",
    "check_health",
    "copy_address",
    "dismiss_notice",
    "connect_client",
    "undo_connect",
    "sign_in_own_app",
    "remove_own_app",
    "save_api_key",
    "copy_redirect_uri",
    "open_install_link",
    "install_update",
    "open_logs",
    "install_claude_extension",
    "check_tools",
    "copy_report",
];

fn main() {
    tauri_build::try_build(
        tauri_build::Attributes::new()
            .app_manifest(tauri_build::AppManifest::new().commands(COMMANDS)),
    )
    .expect("tauri.conf.json, the capabilities or the icons are invalid");
}

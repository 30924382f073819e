//! The one way out of the app's state: a task that turns each change of
//! it (see `Core::change`) into the page's `status` event, the tray's icon
//! and menu, and the OS notifications of conditions that began. A change
//! made anywhere (a command, the tray, the health check, a sign-in window,
//! the updater) reaches the open dashboard through here and nowhere else;
//! nothing polls.

use std::sync::Arc;

use tauri::{AppHandle, Emitter};

use crate::alerts::{self, Alerts};
use crate::core::Core;
use crate::tray;

/// Shows every change of the state from now on, starting with the state
/// as it is.
pub fn spawn(app: AppHandle, core: Arc<Core>) {
    let mut changes = core.subscribe();
    tauri::async_runtime::spawn(async move {
        let mut alerts = Alerts::default();
        let mut shown = None;
        loop {
            let (snap, trouble) = {
                let st = changes.borrow_and_update();
                (st.snapshot(&core.env), st.trouble.clone())
            };
            // Changes that show nothing new are not sent: the page redraws
            // on each event.
            let seen = serde_json::to_value(&snap).ok().map(|mut seen| {
                seen["version"] = serde_json::Value::Null;
                seen
            });
            if seen != shown {
                shown = seen;
                let _ = app.emit("status", &snap);
                tray::refresh(&app, &snap);
            }
            alerts.sign_in(trouble.sign_in);
            alerts.server(trouble.server);
            for alert in alerts.take() {
                alerts::show(&app, &alert, snap.has_tray);
            }
            if changes.changed().await.is_err() {
                break;
            }
        }
    });
}

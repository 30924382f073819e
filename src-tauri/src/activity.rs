//! The activity feed, live to the dashboard: each tool call the server
//! answers goes to the page as an `activity` event (the page keeps the
//! rows; the app's state does not), moves the figures (sessions, the file
//! cache: `figures`), and, when it failed, may mean an expired sign-in:
//! the sign-in is then looked at (`health`), at most every few seconds,
//! not only at the next scheduled check.

use std::sync::Arc;
use std::time::{Duration, Instant};

use tauri::{AppHandle, Emitter};
use tokio::sync::broadcast::error::RecvError;

use crate::core::Core;
use crate::figures;
use crate::health;

/// After a failed tool call, the soonest the sign-in is looked at again.
const RECHECK_AFTER_FAILURE: Duration = Duration::from_secs(10);

pub fn follow(app: AppHandle, core: Arc<Core>) {
    let mut calls = core.activity.subscribe();
    tauri::async_runtime::spawn(async move {
        let mut last_recheck: Option<Instant> = None;
        loop {
            let call = match calls.recv().await {
                Ok(call) => call,
                Err(RecvError::Lagged(_)) => continue,
                Err(RecvError::Closed) => break,
            };
            let _ = app.emit("activity", &call);
            figures::measure(&core).await;
            if call.error.is_some()
                && last_recheck.is_none_or(|t| t.elapsed() >= RECHECK_AFTER_FAILURE)
            {
                last_recheck = Some(Instant::now());
                let core = core.clone();
                tauri::async_runtime::spawn(async move { health::check(&core).await });
            }
        }
    });
}

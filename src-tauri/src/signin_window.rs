//! The sign-in window: Worksection's consent page in a webview of the
//! app's own, with the redirect to the registered URI taken before it
//! leaves (see `navigation`), so there is no local HTTPS server, no
//! certificate warning and no system browser.
//!
//! The window gets no capability (its pages cannot call the app), and its
//! navigation hook refuses every origin but Worksection's (or the
//! configured OAuth origin). Closing it, denying, or an answer for another
//! sign-in each end in a message on the dashboard.

use std::sync::Arc;

use tauri::{AppHandle, Manager, WebviewUrl, WebviewWindowBuilder, WindowEvent};

use crate::core::Core;
use crate::error::Error;
use crate::navigation::{Decision, Rules};
use crate::ways::AppCredentials;
use crate::{publish, show_dashboard};

pub const LABEL: &str = "signin";

/// Opens (or reopens) the sign-in window on a fresh sign-in, with the app
/// in use or with `own_app` (an own app being checked).
pub fn open(
    app: &AppHandle,
    core: Arc<Core>,
    own_app: Option<AppCredentials>,
) -> Result<(), Error> {
    if let Some(old) = app.get_webview_window(LABEL) {
        // A new attempt replaces the old one; its answer would no longer count.
        core.cancel_sign_in();
        let _ = old.destroy();
    }
    let (attempt, url, oauth) = core.begin_sign_in(own_app)?;
    let rules = Rules {
        oauth: url::Url::parse(&oauth.oauth_url)
            .map_err(|_| "The sign-in server address is not a URL; fix it under Advanced.")?,
        redirect: url::Url::parse(&oauth.redirect_uri)
            .map_err(|_| "The redirect URI is not a URL; check WORKSECTION_REDIRECT_URI.")?,
    };
    let nav_app = app.clone();
    let nav_core = core.clone();
    let window = WebviewWindowBuilder::new(app, LABEL, WebviewUrl::External(url))
        .title("Sign in to Worksection")
        .inner_size(520.0, 720.0)
        .min_inner_size(400.0, 500.0)
        .center()
        .focused(true)
        .on_navigation(move |to| match rules.decide(to) {
            Decision::Allow => true,
            Decision::Take => {
                // Claimed here, on the spot, so a close that follows can
                // never be mistaken for a cancel, and a second look at the
                // same redirect does nothing.
                let Some(pending) = nav_core.take_pending(attempt) else {
                    return false;
                };
                let app = nav_app.clone();
                let core = nav_core.clone();
                let redirect = to.clone();
                // Never block the webview's own thread on the exchange.
                tauri::async_runtime::spawn(async move {
                    if let Some(w) = app.get_webview_window(LABEL) {
                        let _ = w.destroy();
                    }
                    core.finish_sign_in(pending, redirect).await;
                    publish(&app, &core).await;
                    show_dashboard(&app);
                });
                false
            }
            Decision::Refuse => {
                tracing::warn!(host = ?to.host_str(), "the sign-in window was kept on Worksection's pages");
                false
            }
        })
        .build()
        .map_err(|e| {
            core.cancel_sign_in();
            format!("The sign-in window did not open ({e}); try again, or restart the app.")
        })?;
    // A page that closes itself (window.close(), or WebDriver closing the
    // page) destroys the webview but leaves an empty window behind on
    // WebKitGTK, and Tauri reports nothing; treat it as the person closing
    // the window.
    #[cfg(target_os = "linux")]
    {
        let page_app = app.clone();
        let page_core = core.clone();
        let _ = window.with_webview(move |webview| {
            use gtk::prelude::WidgetExt as _;
            webview.inner().connect_destroy(move |_| {
                let app = page_app.clone();
                let core = page_core.clone();
                tauri::async_runtime::spawn(async move {
                    if core.sign_in_window_closed(attempt) {
                        if let Some(w) = app.get_webview_window(LABEL) {
                            let _ = w.destroy();
                        }
                        publish(&app, &core).await;
                    }
                });
            });
        });
    }
    let closed_app = app.clone();
    window.on_window_event(move |event| {
        if let WindowEvent::Destroyed = event {
            let app = closed_app.clone();
            let core = core.clone();
            tauri::async_runtime::spawn(async move {
                core.sign_in_window_closed(attempt);
                publish(&app, &core).await;
            });
        }
    });
    Ok(())
}

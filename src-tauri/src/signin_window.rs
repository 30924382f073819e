//! The sign-in window: Worksection's consent page in a webview of the
//! app's own, with the redirect to the registered URI taken before it
//! leaves (see `navigation`), so there is no local HTTPS server, no
//! certificate warning and no system browser.
//!
//! The window gets no capability (its pages cannot call the app), and its
//! navigation hook refuses every origin but Worksection's (or the
//! configured OAuth origin). Closing it, denying, or an answer for another
//! sign-in each end in a message on the dashboard. The sign-in itself (its
//! attempts, the code's exchange) is `signin`'s.

use std::sync::Arc;

use tauri::{AppHandle, Manager, WebviewUrl, WebviewWindowBuilder, WindowEvent};

use crate::core::Core;
use crate::dashboard;
use crate::error::Error;
use crate::navigation::{Decision, Rules};
use crate::signin;
use crate::ways::AppCredentials;

pub const LABEL: &str = "signin";

/// "Sign in": keeps the Advanced sign-in server address when one is
/// given, then opens the sign-in window with the app in use (or with
/// `own_app`, checked by this very sign-in and saved only if it works).
pub async fn sign_in(
    app: &AppHandle,
    core: &Arc<Core>,
    own_app: Option<AppCredentials>,
    oauth_url: Option<String>,
) -> Result<(), Error> {
    if let Some(url) = oauth_url {
        signin::set_oauth_url(core, Some(url))?;
    }
    open(app, core.clone(), own_app).await
}

/// Opens (or reopens) the sign-in window on a fresh sign-in, with the app
/// in use or with `own_app` (an own app being checked).
async fn open(
    app: &AppHandle,
    core: Arc<Core>,
    own_app: Option<AppCredentials>,
) -> Result<(), Error> {
    if let Some(old) = app.get_webview_window(LABEL) {
        // A new attempt replaces the old one; its answer would no longer count.
        signin::cancel(&core);
        let _ = old.destroy();
    }
    let (attempt, url, oauth) = signin::begin(&core, own_app).await?;
    let rules = Rules {
        oauth: url::Url::parse(&oauth.oauth_url).map_err(|_| {
            Error::Invalid("The sign-in server address is not a URL; fix it under Advanced.".into())
        })?,
        redirect: url::Url::parse(&oauth.redirect_uri).map_err(|_| {
            Error::Invalid("The redirect URI is not a URL; check WORKSECTION_REDIRECT_URI.".into())
        })?,
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
                let Some(pending) = signin::take_pending(&nav_core, attempt) else {
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
                    signin::finish(&core, pending, redirect).await;
                    dashboard::show(&app);
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
            signin::cancel(&core);
            Error::Local(format!(
                "The sign-in window did not open ({e}); try again, or restart the app."
            ))
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
                if signin::window_closed(&page_core, attempt) {
                    // Not from inside GTK's own destroy: once it is done.
                    let app = page_app.clone();
                    tauri::async_runtime::spawn(async move {
                        if let Some(w) = app.get_webview_window(LABEL) {
                            let _ = w.destroy();
                        }
                    });
                }
            });
        });
    }
    window.on_window_event(move |event| {
        if let WindowEvent::Destroyed = event {
            signin::window_closed(&core, attempt);
        }
    });
    Ok(())
}

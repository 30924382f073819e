//! OS notifications for what needs the person while the dashboard may be
//! closed: the sign-in expired, a renewal failed, the server cannot start.
//! Each says what happened and what to click, and never holds a token.
//!
//! `health` and `server` put what is wrong now in the app's state (its
//! `trouble`); `publish` feeds each new state to [`Alerts`], which queues
//! an alert only when its condition begins (a condition that lasts, seen
//! again at every check, is not notified again, and one that ends can be
//! notified anew when it comes back), and hands the queued ones to the OS
//! ([`show`]): through tauri-plugin-notification, and on Linux through
//! notify-rust (which the plugin uses there), so that the notification
//! carries the app's name.

use tauri::AppHandle;

/// Something the person should act on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Alert {
    /// Worksection refused the sign-in and renewing it did not help.
    SignInExpired { account: String },
    /// The access token ran out and renewing it failed for another reason
    /// (the sign-in server did not answer).
    RenewalFailed { account: String, why: String },
    /// The server did not start: its port is taken by another program.
    PortTaken { port: u16 },
    /// The server did not start for another reason.
    NotServing { why: String },
}

impl Alert {
    /// The notification's title.
    pub fn summary(&self) -> &'static str {
        match self {
            Alert::SignInExpired { .. } => "Worksection sign-in expired",
            Alert::RenewalFailed { .. } => "Worksection sign-in could not be renewed",
            Alert::PortTaken { .. } | Alert::NotServing { .. } => "Worksection MCP is not serving",
        }
    }

    /// The alert as the dashboard's banner says it (the button is on the
    /// page); `None` where the page shows it already (the server card).
    pub fn page_text(&self) -> Option<String> {
        let click = "Click \u{201c}Sign in again\u{201d} in the Account card";
        match self {
            Alert::SignInExpired { account } => Some(format!(
                "Your sign-in to {account} has expired, so assistants get no answers from it. {click} and allow access."
            )),
            Alert::RenewalFailed { account, why } => Some(format!(
                "Your sign-in to {account} ran out and renewing it failed: {why} It is tried again at the next request; if this keeps happening, {}.",
                lowercase_first(click)
            )),
            Alert::PortTaken { .. } | Alert::NotServing { .. } => None,
        }
    }

    /// The notification's text: what happened, then what to click (in the
    /// tray's menu when there is a tray, else on the dashboard).
    pub fn body(&self, has_tray: bool) -> String {
        let sign_in = if has_tray {
            "Click \u{201c}Sign in again\u{2026}\u{201d} in the Worksection MCP menu in the tray"
        } else {
            "Click \u{201c}Sign in again\u{201d} on the Worksection MCP dashboard"
        };
        let dashboard = if has_tray {
            "Click \u{201c}Open dashboard\u{201d} in the Worksection MCP menu in the tray"
        } else {
            "Open the Worksection MCP dashboard"
        };
        match self {
            Alert::SignInExpired { account } => format!(
                "Your sign-in to {account} has expired, so assistants get no answers from it. {sign_in} and allow access."
            ),
            Alert::RenewalFailed { account, why } => format!(
                "Your sign-in to {account} ran out and renewing it failed: {why} It is tried again at the next request; if this keeps happening, {}.",
                lowercase_first(sign_in)
            ),
            Alert::PortTaken { port } => format!(
                "Port {port} is taken by another program, so assistants cannot reach Worksection MCP. {dashboard}, enter a free port under Settings (such as {}) and click Save.",
                port.saturating_add(1)
            ),
            Alert::NotServing { why } => format!(
                "Worksection MCP could not start serving: {why} {dashboard} for what to change."
            ),
        }
    }
}

fn lowercase_first(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(c) => c.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// What is wrong now, and the alerts not yet shown.
#[derive(Debug, Default)]
pub struct Alerts {
    sign_in: Option<Alert>,
    server: Option<Alert>,
    queued: Vec<Alert>,
}

/// Whether `now` begins a condition after `before`: there was none, or
/// one of another kind.
pub fn begins(before: Option<&Alert>, now: Option<&Alert>) -> bool {
    match (before, now) {
        (_, None) => false,
        (Some(a), Some(b)) => std::mem::discriminant(a) != std::mem::discriminant(b),
        (None, Some(_)) => true,
    }
}

/// Queues `now` when it begins a condition, and says so; keeps it as the
/// current one either way.
fn update(current: &mut Option<Alert>, queued: &mut Vec<Alert>, now: Option<Alert>) -> bool {
    let began = begins(current.as_ref(), now.as_ref());
    if let Some(alert) = &now
        && began
    {
        queued.push(alert.clone());
    }
    *current = now;
    began
}

impl Alerts {
    /// What the last look at the sign-in found (`None`: nothing wrong);
    /// `true` when that begins a condition.
    pub fn sign_in(&mut self, now: Option<Alert>) -> bool {
        update(&mut self.sign_in, &mut self.queued, now)
    }

    /// What the last server start found (`None`: serving, or nothing to
    /// serve).
    pub fn server(&mut self, now: Option<Alert>) {
        update(&mut self.server, &mut self.queued, now);
    }

    /// The alerts to show now (each once).
    pub fn take(&mut self) -> Vec<Alert> {
        std::mem::take(&mut self.queued)
    }
}

/// Shows an alert as an OS notification. Where the desktop has no
/// notification service the alert is only logged (the dashboard and the
/// tray's icon show the same state).
pub fn show(app: &AppHandle, alert: &Alert, has_tray: bool) {
    let body = alert.body(has_tray);
    tracing::warn!(summary = alert.summary(), "{body}");
    deliver(app, alert.summary(), body);
}

#[cfg(not(target_os = "linux"))]
fn deliver(app: &AppHandle, summary: &str, body: String) {
    use tauri_plugin_notification::NotificationExt as _;
    if let Err(e) = app
        .notification()
        .builder()
        .title(summary)
        .body(body)
        .show()
    {
        tracing::warn!(error = %e, "the notification could not be shown");
    }
}

/// On Linux through notify-rust itself: tauri-plugin-notification 2.4
/// leaves the sender's name to notify-rust's default, the executable's
/// name, so the desktop would show "worksection-mcp-desktop" over it.
#[cfg(target_os = "linux")]
fn deliver(app: &AppHandle, summary: &str, body: String) {
    // The product name ("Worksection MCP"), as the tray's title has it.
    let mut notification = notify_rust::Notification::new();
    notification
        .appname(&app.package_info().name)
        .summary(summary)
        .body(&body)
        .auto_icon();
    // The D-Bus call blocks; the app's runtime threads must not.
    tauri::async_runtime::spawn_blocking(move || {
        if let Err(e) = notification.show() {
            tracing::warn!(error = %e, "the notification could not be shown");
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn expired() -> Alert {
        Alert::SignInExpired {
            account: "acme.worksection.com".into(),
        }
    }

    #[test]
    fn a_lasting_condition_is_notified_once_and_again_after_it_ended() {
        let mut a = Alerts::default();
        a.sign_in(Some(expired()));
        a.sign_in(Some(expired()));
        assert_eq!(a.take(), vec![expired()]);
        a.sign_in(Some(expired()));
        assert!(a.take().is_empty(), "the same condition again is not news");
        // A renewal failing with a new sentence each time is one condition.
        let failed = |why: &str| Alert::RenewalFailed {
            account: "acme.worksection.com".into(),
            why: why.into(),
        };
        a.sign_in(Some(failed("no answer.")));
        a.sign_in(Some(failed("no answer again.")));
        assert_eq!(a.take(), vec![failed("no answer.")]);
        a.sign_in(None);
        a.sign_in(Some(expired()));
        assert_eq!(a.take(), vec![expired()]);
        // The server's condition is its own.
        let port = Alert::PortTaken { port: 8000 };
        a.server(Some(port.clone()));
        a.server(Some(port.clone()));
        a.server(None);
        assert_eq!(a.take(), vec![port]);
    }

    #[test]
    fn each_alert_says_what_to_click() {
        for has_tray in [true, false] {
            let body = expired().body(has_tray);
            assert!(body.contains("acme.worksection.com has expired"), "{body}");
            assert!(body.contains("Click \u{201c}Sign in again"), "{body}");
            let body = Alert::PortTaken { port: 8000 }.body(has_tray);
            assert!(body.starts_with("Port 8000 is taken"), "{body}");
            assert!(body.contains("under Settings (such as 8001)"), "{body}");
        }
        let body = Alert::RenewalFailed {
            account: "acme.worksection.com".into(),
            why: "Worksection did not answer.".into(),
        }
        .body(true);
        assert!(
            body.contains(
                "click \u{201c}Sign in again\u{2026}\u{201d} in the Worksection MCP menu"
            ),
            "{body}"
        );
    }
}

//! The Health card: one uncached round trip to Worksection, timed (at
//! start, every minute, after a failed tool call, and on "Check now"),
//! what a failure means for the person (an expired sign-in is the
//! banner's and a notification's news; Worksection being down is only the
//! card's), and "Check every tool".

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use tauri::AppHandle;
use tauri_plugin_clipboard_manager::ClipboardExt as _;
use worksection::ErrorKind;
use worksection_mcp::ToolError;

use crate::alerts::{self, Alert};
use crate::core::Core;
use crate::error::{Error, Kind};
use crate::server;
use crate::settings::Mode;
use crate::snapshot::AccountView;

/// How long the check waits for Worksection.
const PATIENCE: Duration = Duration::from_secs(30);

/// One uncached round trip to the API, timed; the account's sign-in looked
/// at again (its expiry moves as tokens renew).
pub async fn check(core: &Core) {
    let Some(account) = server::default_account(core).await else {
        return;
    };
    let started = Instant::now();
    let probe = tokio::time::timeout(PATIENCE, account.probe()).await;
    let latency = started.elapsed();
    let shown = {
        let server = core.server.lock().await;
        match server.as_ref() {
            Some(r) => server::account_view(core, r).await,
            None => None,
        }
    };
    let signed_in = core.settings().mode == Some(Mode::Account);
    let trouble = match &probe {
        Ok(Err(e)) if signed_in => sign_in_trouble(e, shown.as_ref()),
        _ => None,
    };
    core.change(|st| {
        st.account = shown;
        if alerts::begins(st.trouble.sign_in.as_ref(), trouble.as_ref())
            && let Some(text) = trouble.as_ref().and_then(Alert::page_text)
        {
            st.warn_as(Kind::NotSignedIn, text);
        }
        st.trouble.sign_in = trouble;
        let h = &mut st.health;
        h.checked_at = Some(Utc::now());
        h.queued = account.client().queued();
        match probe {
            Ok(Ok(user)) => {
                h.reachable = Some(true);
                h.latency_ms = Some(latency.as_millis() as u64);
                if let Some(u) = user {
                    let name = format!("{} {}", u.first_name, u.last_name);
                    h.user = Some(name.trim().to_owned());
                }
            }
            Ok(Err(e)) => {
                h.reachable = Some(false);
                h.latency_ms = None;
                h.last_error = Some(e.to_string());
            }
            Err(_) => {
                h.reachable = Some(false);
                h.latency_ms = None;
                h.last_error = Some(format!(
                    "Worksection did not answer within {} seconds.",
                    PATIENCE.as_secs()
                ));
            }
        }
    });
}

/// Checks now, and then every `period`, for as long as the app runs.
pub fn every(core: Arc<Core>, period: Duration) {
    tauri::async_runtime::spawn(async move {
        loop {
            check(&core).await;
            tokio::time::sleep(period).await;
        }
    });
}

/// What a failed look at a signed-in account means for the person: the
/// sign-in expired (Worksection refused it and renewing did not help), or
/// the access token ran out and renewing it failed otherwise (the sign-in
/// server did not answer); `None` for any other failure (Worksection down
/// with a valid sign-in is the health card's news, not a notification's).
fn sign_in_trouble(e: &ToolError, account: Option<&AccountView>) -> Option<Alert> {
    let e = e.upstream()?;
    let name = account.map_or_else(
        || "Worksection".to_owned(),
        |a| {
            a.account_url
                .trim_start_matches("https://")
                .trim_start_matches("http://")
                .trim_end_matches('/')
                .to_owned()
        },
    );
    match e.kind() {
        _ if e.needs_sign_in() => Some(Alert::SignInExpired { account: name }),
        ErrorKind::Upstream | ErrorKind::BadResponse
            if account
                .and_then(|a| a.token_expires_at)
                .is_some_and(|at| at <= Utc::now()) =>
        {
            Some(Alert::RenewalFailed {
                account: name,
                why: e.to_string(),
            })
        }
        _ => None,
    }
}

/// Calls every tool once, read-only, against the account served at `/mcp`
/// (the same check as `worksection-mcp check`), and answers the report a
/// person can paste into a bug report.
pub async fn check_tools(core: &Core) -> Result<String, Error> {
    let account = server::default_account(core).await.ok_or_else(|| {
        Error::NotServing("The server is not running, so there is no account to check yet.".into())
    })?;
    Ok(worksection_mcp::check(account, |_| {}).await.text())
}

/// Puts a report on the clipboard.
pub fn copy_report(app: &AppHandle, report: String) -> Result<(), Error> {
    app.clipboard().write_text(report).map_err(|e| {
        Error::Local(format!(
            "Could not copy to the clipboard ({e}); select the report and copy it by hand."
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_expired_sign_in_and_a_failed_renewal_are_told_apart_from_an_outage() {
        let account = |expired: bool| AccountView {
            user: "Ann".into(),
            account_url: "https://acme.worksection.com".into(),
            name: "https://acme.worksection.com".into(),
            token_expires_at: Some(if expired {
                Utc::now() - chrono::Duration::minutes(1)
            } else {
                Utc::now() + chrono::Duration::hours(1)
            }),
            demo: false,
        };
        let refused = ToolError::Upstream(Arc::new(worksection::Error::Auth {
            problem: worksection::AuthProblem::SignInAgain,
            said: None,
        }));
        assert_eq!(
            sign_in_trouble(&refused, Some(&account(false))),
            Some(Alert::SignInExpired {
                account: "acme.worksection.com".into()
            })
        );
        let down = ToolError::Upstream(Arc::new(worksection::Error::Upstream {
            detail: "connection refused".into(),
            status: None,
        }));
        assert!(matches!(
            sign_in_trouble(&down, Some(&account(true))),
            Some(Alert::RenewalFailed { account, why }) if account == "acme.worksection.com" && why.contains("did not answer")
        ));
        // Worksection down while the sign-in is good: the health card's news.
        assert_eq!(sign_in_trouble(&down, Some(&account(false))), None);
        assert_eq!(
            sign_in_trouble(
                &ToolError::NotFound("no such task".into()),
                Some(&account(true))
            ),
            None
        );
    }
}

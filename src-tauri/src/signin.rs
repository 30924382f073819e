//! Signing in with OAuth2, and the other ways in and out: trying the
//! demo, signing out, forgetting an own app. The window the sign-in
//! happens in is `signin_window`; the admin API key is `api_key`.
//!
//! An OAuth2 sign-in is an attempt: [`begin`] makes the authorize address
//! (with the app in use, or with an own app the person typed in, which is
//! saved only once this very sign-in worked), the window's redirect is
//! claimed by its attempt only ([`take_pending`]), and [`finish`] exchanges
//! the code, saves the sign-in and serves it. A window closed before an
//! answer is a cancel ([`window_closed`]). Nothing typed is saved before
//! it worked.

use tauri::AppHandle;
use tauri_plugin_clipboard_manager::ClipboardExt as _;
use worksection::ExposeSecret;
use worksection_auth::{OAuthSettings, SignIn};

use crate::core::Core;
use crate::error::{Error, Kind};
use crate::health;
use crate::server;
use crate::settings::{self, Mode};
use crate::state::Pending;
use crate::ways::{self, AppCredentials};

/// Starts a sign-in, with the app in use or with `candidate` (an own app
/// typed in): the attempt's number (a window's answer counts only for its
/// own attempt), the authorize URL to load, and the sign-in settings.
pub async fn begin(
    core: &Core,
    candidate: Option<AppCredentials>,
) -> Result<(u64, url::Url, OAuthSettings), Error> {
    let oauth = match &candidate {
        Some(app) => {
            if app.client_id.trim().is_empty()
                || app.client_secret.expose_secret().trim().is_empty()
            {
                return Err(Error::Invalid("Paste both the Client ID and the Client secret of your Worksection app, then try again.".into()));
            }
            ways::oauth_settings(&core.env.oauth, &core.settings(), app)?
        }
        None => core.oauth().await?,
    };
    let signin = SignIn::begin(&oauth)?;
    let url = signin.url().clone();
    let attempt = core.change(|st| {
        st.attempts += 1;
        st.pending = Some(Pending {
            attempt: st.attempts,
            signin,
            candidate,
        });
        st.notice = None;
        st.attempts
    });
    Ok((attempt, url, oauth))
}

/// Takes the pending sign-in of `attempt`, if it is still pending.
pub fn take_pending(core: &Core, attempt: u64) -> Option<Pending> {
    core.change(|st| {
        if st.pending.as_ref().is_some_and(|p| p.attempt == attempt) {
            st.pending.take()
        } else {
            None
        }
    })
}

/// Cancels the sign-in in progress, if any.
pub fn cancel(core: &Core) -> bool {
    core.change(|st| st.pending.take().is_some())
}

/// The sign-in window closed: if its sign-in had no answer yet, say so
/// (and tell the caller it was still pending).
pub fn window_closed(core: &Core, attempt: u64) -> bool {
    let pending = take_pending(core, attempt).is_some();
    if pending {
        core.change(|st| {
            st.warn_as(Kind::SignIn, "The sign-in window was closed before you allowed access, so nothing was saved; click Sign in to try again.".into());
        });
    }
    pending
}

/// Finishes a sign-in from the redirect the window was stopped at, saves
/// the tokens (and the own app it checked) and serves the account. The
/// outcome is the banner's.
pub async fn finish(core: &Core, pending: Pending, redirect: url::Url) {
    let Pending {
        signin, candidate, ..
    } = pending;
    let own_app = candidate.is_some();
    let result = async {
        let store = core.store().await?;
        let signed = signin
            .finish(&redirect, &store)
            .await
            .map_err(|source| Error::SignIn { source, own_app })?;
        if let Some(app) = &candidate {
            ways::save_own_app(&store, app).await?;
        }
        // The newest sign-in is the one served at /mcp.
        if let Ok(key) = worksection_auth::account_key(&signed.account_url) {
            let _ = store.set_default(&key).await;
        }
        core.update_settings(|s| s.mode = Some(Mode::Account))?;
        Ok::<_, Error>(signed)
    }
    .await;
    if own_app {
        core.reload_saved().await;
    }
    match result {
        Ok(signed) => {
            core.change(|st| {
                st.tell(format!(
                    "Signed in as {} at {}.",
                    signed.user_name, signed.account_url
                ));
            });
            server::restart(core).await;
            health::check(core).await;
        }
        Err(e) => core.change(|st| st.warn(&e)),
    }
}

/// Keeps the sign-in server address from the dashboard's Advanced
/// (empty: the usual one).
pub fn set_oauth_url(core: &Core, url: Option<String>) -> Result<(), Error> {
    let url = url
        .map(|u| u.trim().trim_end_matches('/').to_owned())
        .filter(|u| !u.is_empty());
    if let Some(u) = &url {
        settings::check_web_address(u, "The sign-in server address")?;
    }
    if core.settings().oauth_url != url {
        core.update_settings(|s| s.oauth_url = url)?;
    }
    Ok(())
}

/// Puts the redirect URI to register with an own app on the clipboard.
pub fn copy_redirect_uri(app: &AppHandle, core: &Core) -> Result<String, Error> {
    let uri = core.env.oauth.redirect_uri.clone();
    app.clipboard().write_text(uri.clone()).map_err(|e| {
        Error::Local(format!(
            "Could not copy to the clipboard ({e}); select the address and copy it by hand."
        ))
    })?;
    Ok(uri)
}

/// Forgets the saved own app. Accounts signed in with it stay saved but
/// cannot be served until an app is set up again.
pub async fn remove_own_app(core: &Core) -> Result<(), Error> {
    let removed = ways::remove_own_app(&core.store().await?).await?;
    core.reload_saved().await;
    core.change(|st| {
        st.tell(if removed {
            "Removed your Worksection app's details from this computer."
        } else {
            "No Worksection app of yours was saved; nothing to remove."
        });
    });
    if core.settings().mode == Some(Mode::Account) {
        server::restart(core).await;
    }
    Ok(())
}

/// Chooses the demo account (first run) and starts serving it.
pub async fn choose_demo(core: &Core) -> Result<(), Error> {
    core.update_settings(|s| s.mode = Some(Mode::Demo))?;
    core.change(|st| st.notice = None);
    server::restart(core).await;
    health::check(core).await;
    Ok(())
}

/// Forgets every sign-in or the API key (or leaves the demo) and stops
/// serving. A saved own app stays (it is removed on its own).
pub async fn sign_out(core: &Core) -> Result<(), Error> {
    match core.settings().mode {
        Some(Mode::Account) => {
            let store = core.store().await?;
            for key in store.accounts().await? {
                store.delete(&key).await?;
            }
        }
        Some(Mode::ApiKey) => {
            ways::remove_api_key(&core.store().await?).await?;
            core.reload_saved().await;
        }
        Some(Mode::Demo) | None => {}
    }
    core.update_settings(|s| s.mode = None)?;
    core.change(|st| st.tell("Signed out; the saved sign-in was removed from this computer."));
    server::restart(core).await;
    Ok(())
}

#[cfg(test)]
mod tests {
    use clap::Parser as _;
    use worksection_auth::{FileStore, SignInError, TokenStore};

    use super::*;
    use crate::settings::EnvArgs;

    fn env() -> EnvArgs {
        EnvArgs::try_parse_from([
            "x",
            "--client-id",
            "client",
            "--client-secret",
            "secret",
            // Nothing listens here: a check that needed the network would fail.
            "--oauth-url",
            "http://127.0.0.1:9",
        ])
        .expect("args")
    }

    fn store() -> (tempfile::TempDir, TokenStore) {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = FileStore::open(
            Some(dir.path().join("tokens.enc")),
            Some("a-test-key-that-is-long-enough-000".into()),
        )
        .expect("store");
        (dir, store.into())
    }

    fn state_of(url: &url::Url) -> String {
        url.query_pairs()
            .find(|(k, _)| k == "state")
            .map(|(_, v)| v.into_owned())
            .expect("the authorize URL carries a state")
    }

    fn begun() -> SignIn {
        SignIn::begin(&env().oauth.settings().expect("oauth settings")).expect("begin")
    }

    #[tokio::test]
    async fn an_answer_with_another_state_is_refused_and_nothing_saved() {
        let (_dir, store) = store();
        let redirect =
            url::Url::parse("https://localhost:8080/oauth/callback?code=abc&state=not-ours")
                .expect("url");
        let err = begun()
            .finish(&redirect, &store)
            .await
            .expect_err("refused");
        assert!(matches!(err, SignInError::WrongState), "{err}");
        assert!(err.to_string().contains("start the sign-in again"));
        assert!(store.accounts().await.expect("accounts").is_empty());
    }

    #[tokio::test]
    async fn an_answer_without_state_is_refused() {
        let (_dir, store) = store();
        let redirect =
            url::Url::parse("https://localhost:8080/oauth/callback?code=abc").expect("url");
        let err = begun()
            .finish(&redirect, &store)
            .await
            .expect_err("refused");
        assert!(matches!(err, SignInError::WrongState), "{err}");
    }

    #[tokio::test]
    async fn deny_with_the_right_state_says_so() {
        let (_dir, store) = store();
        let signin = begun();
        let state = state_of(signin.url());
        let redirect = url::Url::parse(&format!(
            "https://localhost:8080/oauth/callback?error=access_denied&state={state}"
        ))
        .expect("url");
        let err = signin.finish(&redirect, &store).await.expect_err("denied");
        assert!(matches!(err, SignInError::Denied), "{err}");
        assert!(store.accounts().await.expect("accounts").is_empty());
    }

    #[tokio::test]
    async fn a_closed_window_without_an_answer_is_a_cancel_and_a_taken_one_is_not() {
        let dir = tempfile::tempdir().expect("tempdir");
        let core = Core::new(dir.path().to_path_buf(), env());
        let signing_in = || core.read(|st| st.pending.is_some());
        let notice = || core.read(|st| st.notice.clone());
        let (attempt, url, _) = begin(&core, None).await.expect("begin");
        assert!(url.as_str().contains("/oauth2/authorize"));
        assert!(signing_in());
        assert!(window_closed(&core, attempt));
        assert!(!signing_in());
        let shown = notice().expect("a notice");
        assert_eq!(shown.level, "error");
        assert!(shown.text.contains("closed"));

        core.change(|st| st.notice = None);
        let (attempt, _, _) = begin(&core, None).await.expect("begin");
        assert!(take_pending(&core, attempt).is_some());
        assert!(!window_closed(&core, attempt));
        assert!(notice().is_none());
        // An old attempt's answer does not count for a newer one.
        let (_newer, _, _) = begin(&core, None).await.expect("begin");
        assert!(take_pending(&core, attempt).is_none());
    }

    #[tokio::test]
    async fn with_nothing_set_up_sign_in_asks_for_a_way_and_a_typed_app_is_kept_only_once_it_worked()
     {
        if ways::builtin().is_some() {
            return; // a build with an app of its own always has a way
        }
        let dir = tempfile::tempdir().expect("tempdir");
        let tokens = dir.path().join("tokens.enc");
        let bare = EnvArgs::try_parse_from([
            "x",
            "--token-store",
            "file",
            "--token-storage-path",
            tokens.to_str().expect("utf-8 path"),
            "--token-encryption-key",
            "a-test-key-that-is-long-enough-000",
            "--oauth-url",
            "http://127.0.0.1:9",
        ])
        .expect("args");
        let core = Core::new(dir.path().to_path_buf(), bare);
        let ways = || core.snapshot().ways;
        assert!(matches!(begin(&core, None).await, Err(Error::NeedsSetup)));
        assert_eq!(ways().app, None);
        let mine = AppCredentials {
            client_id: "my-app".into(),
            client_secret: "my-secret".into(),
        };
        let (attempt, url, _) = begin(&core, Some(mine)).await.expect("begin");
        assert!(url.as_str().contains("client_id=my-app"), "{url}");
        // Started, not saved: a window closed now leaves nothing behind.
        assert!(window_closed(&core, attempt));
        assert_eq!(ways().own_app_client_id, None);
        assert!(!tokens.exists());
        let empty = AppCredentials {
            client_id: " ".into(),
            client_secret: "x".into(),
        };
        assert!(
            matches!(begin(&core, Some(empty)).await, Err(Error::Invalid(m)) if m.contains("Client ID"))
        );
    }
}

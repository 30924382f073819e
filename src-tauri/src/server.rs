//! The MCP server running inside the app: what it serves (from the app's
//! settings and the saved sign-in), starting it again after every change,
//! stopping it at quit, and the account it serves as the Account card
//! shows it. It serves this computer only (127.0.0.1), at the settings'
//! port.

use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use tauri::AppHandle;
use tauri_plugin_clipboard_manager::ClipboardExt as _;
use worksection_mcp::host::{self, Running};
use worksection_mcp::{ConfigError, Settings, Source, Transport};

use crate::alerts::Alert;
use crate::core::Core;
use crate::error::Error;
use crate::figures;
use crate::settings::{self, AppSettings, Mode};
use crate::snapshot::{AccountView, Health};

/// What to serve for the app's settings `s`: `None` before a choice is
/// made; an error, in the app's words, when what it needs is gone.
async fn settings_for(core: &Core, s: &AppSettings) -> Result<Option<Settings>, Error> {
    let source = match s.mode {
        None => return Ok(None),
        Some(Mode::Demo) => Source::Demo,
        Some(Mode::Account) => {
            // A store that cannot be read counts as holding a sign-in:
            // starting the server then says why.
            let store = core.store().await?;
            if store.accounts().await.is_ok_and(|keys| keys.is_empty()) {
                // Said here in the app's words; the library's sentence
                // points at the CLI's `login`.
                return Err(Error::NotSignedIn(
                    "No Worksection sign-in is saved on this computer; click Sign in again.",
                ));
            }
            let oauth = core.oauth().await.map_err(|e| match e {
                Error::NeedsSetup => Error::NotSignedIn(
                    "The Worksection app you signed in with is no longer saved; click Sign in and choose a way again.",
                ),
                other => other,
            })?;
            Source::OAuth {
                oauth,
                store: core
                    .env
                    .store
                    .settings()
                    .map_err(|ConfigError(e)| Error::Invalid(e))?,
                account: None,
            }
        }
        Some(Mode::ApiKey) => {
            let key = core.saved().await?.api_key.ok_or(Error::NotSignedIn(
                "No admin API key is saved on this computer; click Sign in and enter it again.",
            ))?;
            Source::ApiKey {
                account_url: settings::check_web_address(&key.account_url, "The account address")?,
                api_key: key.api_key,
            }
        }
    };
    let auth_token = if s.local_token {
        settings::local_token(&core.dir, true)?
    } else {
        None
    };
    let file_cache_root = match &core.env.file_cache_path {
        Some(p) => p.clone(),
        None => worksection_mcp::default_cache_dir().map_err(|e| Error::Local(e.to_string()))?,
    };
    worksection_mcp::check_requests_per_second(core.env.requests_per_second)
        .map_err(|e| Error::Invalid(e.to_string()))?;
    Ok(Some(Settings {
        source,
        transport: Transport::Http,
        // The app serves this computer only; a wider audience is the
        // headless server's job.
        host: IpAddr::V4(Ipv4Addr::LOCALHOST),
        port: s.port,
        auth_token,
        allowed_hosts: vec![],
        allowed_origins: vec![],
        cache_ttl: Duration::from_secs(60),
        file_cache_root,
        file_retention: Duration::from_secs(s.cache_retention_hours * 3600),
        max_file_bytes: 10 << 20,
        file_cache_max_bytes: s.cache_max_mb << 20,
        requests_per_second: core.env.requests_per_second,
        answers: Default::default(),
    }))
}

/// Stops the server (if it runs) and starts it again with the current
/// settings, on the same port.
pub async fn restart(core: &Core) {
    // The saved ways, read once (the page shows them from then on).
    let _ = core.saved().await;
    let mut server = core.server.lock().await;
    if let Some(old) = server.take() {
        old.stop().await;
    }
    let settings = core.settings();
    let started = match settings_for(core, &settings).await {
        Ok(None) => Ok(None),
        Ok(Some(s)) => host::start(&s, core.activity.clone())
            .await
            .map(Some)
            .map_err(|ConfigError(e)| {
                if port_taken(settings.port) {
                    Error::PortTaken {
                        port: settings.port,
                    }
                } else {
                    Error::NotServing(e)
                }
            }),
        Err(e) => Err(e),
    };
    match started {
        Ok(running) => {
            let account = match &running {
                Some(r) => {
                    tracing::info!(address = %r.address(), "serving");
                    figures::prepare_folders(r);
                    account_view(core, r).await
                }
                None => None,
            };
            core.change(|st| {
                st.health = Health::default();
                st.account = account;
                st.server.running = running.is_some();
                st.server.address = running.as_ref().map(Running::mcp_url).unwrap_or_default();
                st.server.started_at = running.as_ref().map(|_| Utc::now());
                st.server.error = None;
                st.trouble.server = None;
            });
            *server = running;
        }
        Err(e) => {
            tracing::warn!(error = %e, "the server did not start");
            let alert = match &e {
                Error::PortTaken { port } => Alert::PortTaken { port: *port },
                other => Alert::NotServing {
                    why: other.to_string(),
                },
            };
            core.change(|st| {
                st.health = Health::default();
                st.account = None;
                st.server.running = false;
                st.server.started_at = None;
                st.server.error = Some(e.view());
                st.trouble.server = Some(alert);
            });
        }
    }
    figures::measure_with(core, server.as_ref()).await;
}

/// Stops the server (at quit).
pub async fn stop(core: &Core) {
    if let Some(old) = core.server.lock().await.take() {
        old.stop().await;
    }
}

/// The account served at `/mcp`, while the server runs.
pub async fn default_account(core: &Core) -> Option<Arc<worksection_mcp::Account>> {
    let server = core.server.lock().await;
    server
        .as_ref()
        .and_then(|r| r.accounts().first().map(|(_, a)| a.clone()))
}

/// The served account as shown (reads the token store: called when the
/// server starts and at each health check only).
pub async fn account_view(core: &Core, r: &Running) -> Option<AccountView> {
    if let Some(info) = r.demo() {
        return Some(AccountView {
            user: format!("Demo ({})", info.account_name),
            account_url: info.account_url.clone(),
            // The demo lives at a loopback address; the card names its
            // company instead.
            name: format!("{} (demo)", info.account_name),
            token_expires_at: None,
            demo: true,
        });
    }
    let (key, account) = r.accounts().first()?;
    if core.settings().mode == Some(Mode::ApiKey) {
        let url = account
            .client()
            .account_url()
            .as_str()
            .trim_end_matches('/');
        return Some(AccountView {
            user: "Admin API key (not a person)".into(),
            account_url: url.to_owned(),
            name: url.to_owned(),
            token_expires_at: None,
            demo: false,
        });
    }
    let record = core.store().await.ok()?.load(key).await.ok()??;
    Some(AccountView {
        user: if record.user_name.is_empty() {
            record.user_email.clone()
        } else {
            record.user_name.clone()
        },
        name: record.account_url.clone(),
        account_url: record.account_url,
        token_expires_at: record.tokens.expires_at,
        demo: false,
    })
}

/// Whether another program holds the app's port (on this computer).
fn port_taken(port: u16) -> bool {
    std::net::TcpListener::bind((Ipv4Addr::LOCALHOST, port))
        .is_err_and(|e| e.kind() == std::io::ErrorKind::AddrInUse)
}

/// Clears every served account's file and response caches.
pub async fn clear_cache(core: &Core) -> Result<(), Error> {
    let removed = {
        let server = core.server.lock().await;
        let mut removed = 0;
        if let Some(r) = server.as_ref() {
            for (_, a) in r.accounts() {
                removed += a.files().clear().await;
                a.cache().clear();
            }
        }
        removed
    };
    figures::measure(core).await;
    core.change(|st| {
        st.tell(format!(
            "Cleared the file cache ({removed} file{}).",
            if removed == 1 { "" } else { "s" }
        ));
    });
    Ok(())
}

/// Puts the server's address on the clipboard, and answers it.
pub async fn copy_address(app: &AppHandle, core: &Core) -> Result<String, Error> {
    let url = core
        .server
        .lock()
        .await
        .as_ref()
        .map(Running::mcp_url)
        .ok_or_else(|| {
            Error::NotServing(
                "The server is not running, so there is no address to copy yet.".into(),
            )
        })?;
    app.clipboard()
        .write_text(url.clone())
        .map_err(|e| Error::Local(format!("Could not copy to the clipboard: {e}.")))?;
    Ok(url)
}

/// Saves new settings from the dashboard (checked) and serves with them.
/// The mode is chosen by signing in or out, not in the form.
pub async fn apply_settings(core: &Core, wanted: AppSettings) -> Result<(), Error> {
    wanted.validate()?;
    core.update_settings(|s| {
        let mode = s.mode;
        *s = wanted;
        s.mode = mode;
    })?;
    restart(core).await;
    Ok(())
}

/// Replaces the local access token and serves with the new one; the
/// bridge (what Connect writes) reads it when the assistant starts it
/// again.
pub async fn renew_local_token(core: &Core) -> Result<(), Error> {
    settings::renew_local_token(&core.dir)?;
    restart(core).await;
    core.change(|st| {
        st.tell("Made a new local access token; the old one no longer works. Restart your assistants so their bridges pick it up.");
    });
    Ok(())
}

#[cfg(test)]
mod tests {
    use clap::Parser as _;
    use worksection::ExposeSecret;

    use super::*;
    use crate::settings::EnvArgs;
    use crate::ways::{self, ApiKey};

    /// The environment's arguments, what the store holds and the server's
    /// settings (with the local token) all print their secrets redacted.
    #[tokio::test]
    async fn settings_debug_print_no_secret() {
        let dir = tempfile::tempdir().expect("tempdir");
        let tokens = dir.path().join("tokens.enc");
        let env = EnvArgs::try_parse_from([
            "x",
            "--client-id",
            "client",
            "--client-secret",
            "CLIENT-SECRET-3b1",
            "--token-store",
            "file",
            "--token-storage-path",
            tokens.to_str().expect("utf-8 path"),
            "--token-encryption-key",
            "ENCRYPTION-KEY-long-enough-9f2",
            "--oauth-url",
            "http://127.0.0.1:9",
        ])
        .expect("args");
        let core = Core::new(dir.path().to_path_buf(), env.clone());
        let key = ApiKey {
            account_url: "https://acme.worksection.com".into(),
            api_key: "API-KEY-6d0e".into(),
        };
        let store = core.store().await.expect("store");
        ways::save_api_key(&store, &key).await.expect("save");
        core.reload_saved().await;
        let app = AppSettings {
            mode: Some(Mode::ApiKey),
            ..AppSettings::default()
        };
        let served = settings_for(&core, &app)
            .await
            .expect("settings")
            .expect("served");
        let token = settings::local_token(&core.dir, false)
            .expect("read")
            .expect("made");
        let shown = format!(
            "{env:?} {served:?} {:?} {store:?} {:?} {:?}",
            core.env.store.settings(),
            core.saved().await,
            core.oauth().await
        );
        assert!(shown.contains("ApiKey"), "{shown}");
        for secret in [
            "CLIENT-SECRET-3b1",
            "ENCRYPTION-KEY-long-enough-9f2",
            "API-KEY-6d0e",
            token.expose_secret(),
        ] {
            assert!(!shown.contains(secret), "{secret} in {shown}");
        }
    }
}

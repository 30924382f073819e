//! Opening the account the settings describe: the demo simulator in
//! process, or a real account through its admin API key; and running the
//! server on the chosen transport until shutdown.

use std::sync::Arc;

use tokio_util::sync::CancellationToken;
use worksection::Client;
use worksection::auth::{Bearer, OAuthApp, RefreshingToken, TokenSet, read_scopes};
use worksection_sim::{SimConfig, SimInfo, Simulator};

use crate::account::Account;
use crate::cache::ResponseCache;
use crate::config::{ConfigError, Settings, Source, Transport};
use crate::file_cache::FileCache;
use crate::server::WorksectionServer;
use crate::tools::Registry;
use crate::transport;

/// The served account, and the demo simulator when there is one (it stops
/// when this is dropped).
pub struct Opened {
    pub account: Arc<Account>,
    pub demo: Option<Simulator>,
}

pub async fn open(settings: &Settings) -> Result<Opened, ConfigError> {
    let (client, label, folder, demo) = match &settings.source {
        Source::Demo => {
            let sim = Simulator::start(SimConfig {
                // The simulator does not limit; our own client keeps to
                // Worksection's pace, so the demo feels like the real thing.
                rps: 0.0,
                ..SimConfig::default()
            })
            .await
            .map_err(|e| ConfigError(format!("The demo account could not start: {e}")))?;
            let info = sim.info().clone();
            let (app, tokens) = demo_sign_in(&info)
                .await
                .map_err(|e| ConfigError(format!("Signing in to the demo account failed: {e}")))?;
            let client = client_builder(settings)
                .account_url(info.account_url.clone())
                .bearer(Bearer::new(Arc::new(RefreshingToken::new(app, tokens))))
                .build()
                .map_err(|e| ConfigError(e.to_string()))?;
            let label = format!("the demo account ({})", info.account_name);
            (client, label, "demo".to_owned(), Some(sim))
        }
        Source::ApiKey {
            account_url,
            api_key,
        } => {
            let client = client_builder(settings)
                .account_url(account_url.as_str())
                .api_key(api_key.clone())
                .build()
                .map_err(|e| ConfigError(e.to_string()))?;
            let host = account_url.host_str().unwrap_or("account").to_owned();
            (client, host.clone(), folder_name(account_url), None)
        }
    };
    let files = FileCache::new(
        settings.file_cache_root.join(folder),
        settings.file_retention,
        settings.max_file_bytes,
        settings.file_cache_max_bytes,
    );
    let account = Account::new(client, ResponseCache::new(settings.cache_ttl), files, label);
    Ok(Opened {
        account: Arc::new(account),
        demo,
    })
}

/// Signs in to the demo account the way a person would (consent page,
/// "Allow", code, tokens), only without the browser, so the demo runs in
/// OAuth2 mode like the desktop app: `me` and the user-only actions work.
async fn demo_sign_in(info: &SimInfo) -> Result<(OAuthApp, TokenSet), worksection::Error> {
    let app = OAuthApp::new(
        &info.client_id,
        info.client_secret.as_str(),
        &info.redirect_uri,
        &info.oauth_url,
    )?;
    let mut scopes = read_scopes();
    scopes.push("administrative");
    let (url, state) = app.authorize_url(&scopes)?;
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|e| worksection::Error::Config(format!("no HTTP client: {e}")))?;
    let mut form: Vec<(String, String)> = url
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    form.push(("decision".into(), "allow".into()));
    let unreachable = |e: reqwest::Error| worksection::Error::Upstream {
        detail: e.without_url().to_string(),
        status: None,
    };
    let resp = http
        .post(format!("{}/oauth2/authorize", info.oauth_url))
        .form(&form)
        .send()
        .await
        .map_err(unreachable)?;
    let redirect = resp
        .headers()
        .get(reqwest::header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| url::Url::parse(v).ok())
        .ok_or_else(|| worksection::Error::BadResponse {
            detail: "the consent page did not redirect".into(),
        })?;
    let param = |k: &str| {
        redirect
            .query_pairs()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.into_owned())
    };
    if param("state").as_deref() != Some(state.expose()) {
        return Err(worksection::Error::BadResponse {
            detail: "the sign-in came back with another state".into(),
        });
    }
    let code = param("code").ok_or_else(|| worksection::Error::BadResponse {
        detail: "the sign-in came back without a code".into(),
    })?;
    let tokens = app.exchange_code(&code).await?;
    Ok((app, tokens))
}

fn client_builder(settings: &Settings) -> worksection::ClientBuilder {
    Client::builder().requests_per_second(settings.requests_per_second)
}

/// A folder name for an account's files: its host and port, reduced to
/// characters that are safe in a path on every platform.
fn folder_name(url: &url::Url) -> String {
    let mut name: String = url
        .host_str()
        .unwrap_or("account")
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect();
    if let Some(port) = url.port() {
        name.push_str(&format!("_{port}"));
    }
    name.trim_start_matches('.').to_owned()
}

/// Serves until `shutdown` is cancelled (or stdin closes, for stdio).
pub async fn run(settings: &Settings, shutdown: CancellationToken) -> Result<(), ConfigError> {
    let opened = open(settings).await?;
    let server = WorksectionServer::new(opened.account.clone(), Arc::new(Registry::new()));
    let result = match settings.transport {
        Transport::Stdio => {
            eprintln!(
                "Worksection MCP: serving {} over stdio",
                opened.account.label()
            );
            transport::stdio::serve(server, shutdown).await
        }
        Transport::Http => transport::http::serve(server, settings, shutdown).await,
    };
    if let Some(sim) = opened.demo {
        sim.shutdown().await;
    }
    result
}

#[cfg(test)]
mod tests {
    use super::folder_name;

    #[test]
    fn folder_names_are_path_safe() {
        let url = |s: &str| url::Url::parse(s).expect("url");
        assert_eq!(
            folder_name(&url("https://acme.worksection.com")),
            "acme.worksection.com"
        );
        assert_eq!(folder_name(&url("http://127.0.0.1:8088")), "127.0.0.1_8088");
        assert_eq!(folder_name(&url("http://[::1]:8088/")), "___1__8088");
        assert_eq!(folder_name(&url("https://..evil/")), "evil");
    }
}

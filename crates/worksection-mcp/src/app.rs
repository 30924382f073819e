//! Opening the account the settings describe: the demo simulator in
//! process, or a real account through its admin API key; and running the
//! server on the chosen transport until shutdown.

use std::sync::Arc;

use tokio_util::sync::CancellationToken;
use worksection::Client;
use worksection::auth::token::{OnRotate, Reload};
use worksection::auth::{Bearer, OAuthApp, RefreshingToken, TokenSet, read_scopes};
use worksection_sim::{SimConfig, SimInfo, Simulator};

use crate::account::Account;
use crate::activity::Activity;
use crate::cache::ResponseCache;
use crate::config::{AnswerSettings, ConfigError, Settings, Source, StoreSettings, Transport};
use crate::file_cache::FileCache;
use crate::server::WorksectionServer;
use crate::signin::OAuthSettings;
use crate::tools::Registry;
use crate::transport;

/// The served accounts (the first is the default, served at `/mcp`; each
/// is also at `/mcp/<key>`), and the demo simulator when there is one.
pub struct Opened {
    pub accounts: Vec<(String, Arc<Account>)>,
    pub demo: Option<Simulator>,
    /// The answer budget and the toolsets served.
    pub answers: AnswerSettings,
}

impl Opened {
    /// One MCP server per account, all sharing one tool registry; each
    /// reports its calls to `activity` when there is one (the desktop app's
    /// feed).
    pub fn servers(&self, activity: Option<&Arc<Activity>>) -> Vec<(String, WorksectionServer)> {
        let registry = Arc::new(Registry::with_toolsets(&self.answers.toolsets));
        self.accounts
            .iter()
            .map(|(key, account)| {
                let server = WorksectionServer::with_budget(
                    account.clone(),
                    registry.clone(),
                    self.answers.max_answer_tokens,
                );
                let server = match activity {
                    Some(a) => server.with_activity(a.clone()),
                    None => server,
                };
                (key.clone(), server)
            })
            .collect()
    }
}

pub async fn open(settings: &Settings) -> Result<Opened, ConfigError> {
    let mut opened = match &settings.source {
        Source::Demo => open_demo(settings).await,
        Source::ApiKey {
            account_url,
            api_key,
        } => open_api_key(settings, account_url, api_key),
        Source::OAuth {
            oauth,
            store,
            account,
        } => open_signed_in(settings, oauth, store, account.as_deref()).await,
    }?;
    opened.answers = settings.answers.clone();
    Ok(opened)
}

/// The simulator's demo account, in process, signed in through its own
/// consent page.
async fn open_demo(settings: &Settings) -> Result<Opened, ConfigError> {
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
    Ok(Opened {
        accounts: vec![("demo".to_owned(), account(settings, client, label, "demo"))],
        demo: Some(sim),
        answers: AnswerSettings::default(),
    })
}

/// One account through its admin API key.
fn open_api_key(
    settings: &Settings,
    account_url: &url::Url,
    api_key: &str,
) -> Result<Opened, ConfigError> {
    let client = client_builder(settings)
        .account_url(account_url.as_str())
        .api_key(api_key.to_owned())
        .build()
        .map_err(|e| ConfigError(e.to_string()))?;
    let key = match (account_url.host_str(), account_url.port()) {
        (Some(host), Some(port)) => format!("{host}:{port}"),
        (Some(host), None) => host.to_owned(),
        (None, _) => "account".to_owned(),
    };
    let served = account(settings, client, key.clone(), &folder_name(account_url));
    Ok(Opened {
        accounts: vec![(key, served)],
        demo: None,
        answers: AnswerSettings::default(),
    })
}

/// An account with its own caches (and, through its client, its own rate
/// limiter): accounts never share anything.
fn account(settings: &Settings, client: Client, label: String, folder: &str) -> Arc<Account> {
    let files = FileCache::new(
        settings.file_cache_root.join(folder),
        settings.file_retention,
        settings.max_file_bytes,
        settings.file_cache_max_bytes,
    );
    Arc::new(Account::new(
        client,
        ResponseCache::new(settings.cache_ttl),
        files,
        label,
    ))
}

/// Every account signed in with OAuth2 (or the one asked for), each with
/// tokens that renew themselves and are saved back to the store on every
/// rotation, before they are used.
async fn open_signed_in(
    settings: &Settings,
    oauth: &OAuthSettings,
    store: &StoreSettings,
    only: Option<&str>,
) -> Result<Opened, ConfigError> {
    let store = store.open()?;
    let mut keys = store.accounts().map_err(|e| ConfigError(e.to_string()))?;
    if keys.is_empty() {
        return Err(ConfigError(
            "No Worksection sign-in is saved yet; run `worksection-mcp login` first.".into(),
        ));
    }
    if let Some(only) = only {
        let wanted = only.trim().to_ascii_lowercase();
        if !keys.contains(&wanted) {
            return Err(ConfigError(format!(
                "No sign-in is saved for {wanted}; signed in: {}. Run `worksection-mcp login` to add it.",
                keys.join(", ")
            )));
        }
        keys = vec![wanted];
    }
    let mut accounts = Vec::new();
    for key in keys {
        let Some(record) = store.load(&key).map_err(|e| ConfigError(e.to_string()))? else {
            continue;
        };
        let app = oauth.app().map_err(|e| ConfigError(e.to_string()))?;
        let hook_store = store.clone();
        let hook_record = record.clone();
        let on_rotate: OnRotate = Arc::new(move |tokens: TokenSet| {
            let store = hook_store.clone();
            let mut record = hook_record.clone();
            Box::pin(async move {
                record.tokens = tokens;
                record.saved_at = chrono::Utc::now();
                tokio::task::spawn_blocking(move || store.save(&record))
                    .await
                    .map_err(|e| {
                        worksection::Error::Config(format!(
                            "saving the renewed sign-in failed: {e}"
                        ))
                    })?
                    .map_err(|e| {
                        worksection::Error::Config(format!(
                            "saving the renewed sign-in failed: {e}"
                        ))
                    })
            })
        });
        let reload_store = store.clone();
        let reload_key = key.clone();
        let reload: Reload = Arc::new(move || {
            let (store, key) = (reload_store.clone(), reload_key.clone());
            Box::pin(async move {
                let loaded = tokio::task::spawn_blocking(move || store.load(&key))
                    .await
                    .map_err(|e| {
                        worksection::Error::Config(format!("reading the sign-in failed: {e}"))
                    })?;
                loaded
                    .map(|record| record.map(|r| r.tokens))
                    .map_err(|e| worksection::Error::Config(e.to_string()))
            })
        });
        let source = RefreshingToken::new(app, record.tokens.clone())
            .on_rotate(on_rotate)
            .reload(reload);
        let client = client_builder(settings)
            .account_url(record.account_url.as_str())
            .bearer(Bearer::new(Arc::new(source)))
            .build()
            .map_err(|e| ConfigError(e.to_string()))?;
        let folder = url::Url::parse(&record.account_url)
            .map(|u| folder_name(&u))
            .unwrap_or_else(|_| key.replace(':', "_"));
        let label = format!("{} as {}", key, record.user_name);
        accounts.push((key, account(settings, client, label, &folder)));
    }
    if accounts.is_empty() {
        return Err(ConfigError(
            "The saved sign-ins could not be read; run `worksection-mcp login` again.".into(),
        ));
    }
    Ok(Opened {
        accounts,
        demo: None,
        answers: AnswerSettings::default(),
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
    let servers = opened.servers(None);
    let result = match settings.transport {
        Transport::Stdio => match servers.into_iter().next() {
            Some((_, server)) => {
                let label = server.account().label().to_owned();
                eprintln!("Worksection MCP: serving {label} over stdio");
                transport::stdio::serve(server, shutdown).await
            }
            None => Err(ConfigError("internal: no account to serve".into())),
        },
        Transport::Http => transport::http::serve(servers, settings, shutdown).await,
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

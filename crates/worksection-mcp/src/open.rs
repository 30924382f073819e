//! Opening the accounts the settings describe: the demo simulator in
//! process, a real account through its admin API key, or every account
//! signed in with OAuth2. The CLI (`cli/serve.rs`) and the desktop app's
//! host (`host.rs`) both serve what [`open`] returns.

use std::sync::Arc;

#[cfg(feature = "demo")]
use worksection::auth::{Bearer, OAuthApp, RefreshingToken};
use worksection::{Client, SecretString};
use worksection_auth::{OAuthSettings, StoreSettings, saving_bearer};
#[cfg(feature = "demo")]
use worksection_sim::{SimConfig, Simulator};

use crate::account::Account;
use crate::activity::Activity;
use crate::cache::ResponseCache;
use crate::config::{AnswerSettings, ConfigError, Settings, Source};
use crate::file_cache::FileCache;
use crate::server::WorksectionServer;
use crate::tools::Registry;

/// The served accounts (the first is the default, served at `/mcp`; each
/// is also at `/mcp/<key>`), and the demo simulator when there is one.
pub struct Opened {
    pub accounts: Vec<(String, Arc<Account>)>,
    /// The in-process simulator behind the demo account, running while it
    /// is served.
    #[cfg(feature = "demo")]
    pub demo: Option<Simulator>,
    /// The answer budget and the toolsets served.
    pub answers: AnswerSettings,
}

impl Opened {
    /// Stops what opening started (the demo simulator); the accounts need
    /// nothing.
    pub async fn close(self) {
        #[cfg(feature = "demo")]
        if let Some(sim) = self.demo {
            sim.shutdown().await;
        }
    }

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
        #[cfg(feature = "demo")]
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
#[cfg(feature = "demo")]
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
    let signed_in = async {
        let app = OAuthApp::new(
            &info.client_id,
            info.client_secret.as_str(),
            &info.redirect_uri,
            &info.oauth_url,
        )?;
        let tokens = worksection_auth::demo_sign_in(&app, &info.oauth_url).await?;
        Ok::<_, worksection::Error>((app, tokens))
    };
    let (app, tokens) = signed_in
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
    api_key: &SecretString,
) -> Result<Opened, ConfigError> {
    let client = client_builder(settings)
        .account_url(account_url.as_str())
        .api_key(api_key.clone())
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
        #[cfg(feature = "demo")]
        demo: None,
        answers: AnswerSettings::default(),
    })
}

/// An account with its own caches (and, through its client, its own rate
/// limiter): accounts never share anything.
pub(crate) fn account(
    settings: &Settings,
    client: Client,
    label: String,
    folder: &str,
) -> Arc<Account> {
    shared_account(settings, client, label, folder, None)
}

/// [`account`], sharing its answers, pages and offloads with the other
/// replicas of a team server through `shared` when given.
pub(crate) fn shared_account(
    settings: &Settings,
    client: Client,
    label: String,
    folder: &str,
    shared: Option<crate::shared::SharedSpace>,
) -> Arc<Account> {
    let files = FileCache::new(
        settings.file_cache_root.join(folder),
        settings.file_retention,
        settings.max_file_bytes,
        settings.file_cache_max_bytes,
    );
    let account = Account::new(client, ResponseCache::new(settings.cache_ttl), files, label);
    Arc::new(match shared {
        Some(space) => account.with_shared(space),
        None => account,
    })
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
    let store = store.open().await.map_err(|e| ConfigError(e.to_string()))?;
    let mut keys = store
        .accounts()
        .await
        .map_err(|e| ConfigError(e.to_string()))?;
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
        let Some(record) = store
            .load(&key)
            .await
            .map_err(|e| ConfigError(e.to_string()))?
        else {
            continue;
        };
        let app = oauth.app().map_err(|e| ConfigError(e.to_string()))?;
        let bearer = saving_bearer(app, store.clone(), key.clone(), record.clone());
        let client = client_builder(settings)
            .account_url(record.account_url.as_str())
            .bearer(bearer)
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
        #[cfg(feature = "demo")]
        demo: None,
        answers: AnswerSettings::default(),
    })
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

//! Configuration of `worksection-mcp serve`: flags, environment and `.env`,
//! checked up front.
//!
//! Every setting is a flag with an environment variable of the same meaning
//! (the names other Worksection MCP servers use), and a `.env` file in the
//! working directory fills in what the environment does not set. Checks run
//! before anything starts, and each failure is one sentence that says what
//! to change, so a wrong setting never surfaces later as a strange error.
//!
//! Secrets (the API key, the client secret, `MCP_AUTH_TOKEN`,
//! `TOKEN_ENCRYPTION_KEY`) are `SecretString`s from the moment clap reads
//! them, so every `Debug` of these settings prints them redacted.

use std::net::{IpAddr, Ipv4Addr};
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, ValueEnum};
use url::Url;
use worksection::{ExposeSecret, SecretString};

use worksection_auth::{OAuthSettings, StoreChoice, StoreSettings};

use crate::tools::Toolset;

/// How the assistant talks to the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Transport {
    /// Streamable HTTP at http://HOST:PORT/mcp.
    #[value(alias = "streamable-http", alias = "streamable_http")]
    Http,
    /// JSON-RPC over stdin/stdout (the assistant starts the server).
    Stdio,
}

#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// Serve the built-in demo account (no credentials needed).
    #[arg(long)]
    pub demo: bool,

    /// The account's address, e.g. https://acme.worksection.com.
    #[arg(long, env = "WORKSECTION_ACCOUNT_URL")]
    pub account_url: Option<String>,

    /// The account's admin API key (admin-key mode).
    #[arg(long, env = "WORKSECTION_API_KEY", hide_env_values = true)]
    pub api_key: Option<SecretString>,

    #[command(flatten)]
    pub oauth: OAuthArgs,

    #[command(flatten)]
    pub store: StoreArgs,

    #[command(flatten)]
    pub team: TeamArgs,

    /// Serve only this signed-in account (its host), not every one.
    #[arg(long, env = "WORKSECTION_ACCOUNT")]
    pub account: Option<String>,

    /// Address to listen on; anything but loopback needs MCP_AUTH_TOKEN.
    #[arg(long, env = "MCP_SERVER_HOST", default_value = "127.0.0.1")]
    pub host: String,

    /// Port to listen on (0 picks a free one).
    #[arg(long, env = "MCP_SERVER_PORT", default_value_t = 8000)]
    pub port: u16,

    /// http (streamable HTTP) or stdio.
    #[arg(
        long,
        env = "MCP_TRANSPORT",
        value_enum,
        default_value = "http",
        ignore_case = true
    )]
    pub transport: Transport,

    /// A bearer token clients must send (required beyond loopback).
    #[arg(long, env = "MCP_AUTH_TOKEN", hide_env_values = true)]
    pub auth_token: Option<SecretString>,

    /// More host names clients may use in `Host` (comma-separated), besides loopback.
    #[arg(long, env = "MCP_ALLOWED_HOSTS", value_delimiter = ',')]
    pub allowed_hosts: Vec<String>,

    /// Browser origins allowed to call the server (comma-separated, with scheme).
    #[arg(long, env = "MCP_ALLOWED_ORIGINS", value_delimiter = ',')]
    pub allowed_origins: Vec<String>,

    /// Seconds an upstream answer is reused (0 disables the response cache).
    #[arg(long, env = "RESPONSE_CACHE_TTL_SECONDS", default_value_t = 60)]
    pub cache_ttl_seconds: u64,

    /// Where downloaded files are kept (default: the OS cache directory).
    #[arg(long, env = "FILE_CACHE_PATH")]
    pub file_cache_path: Option<PathBuf>,

    /// Hours a downloaded file is kept.
    #[arg(long, env = "FILE_CACHE_RETENTION_HOURS", default_value_t = 24)]
    pub file_cache_retention_hours: u64,

    /// Largest file downloaded, in MB.
    #[arg(long, env = "MAX_FILE_SIZE_MB", default_value_t = 10)]
    pub max_file_size_mb: u64,

    /// Most the file cache holds in all, in MB.
    #[arg(long, env = "FILE_CACHE_MAX_MB", default_value_t = 500)]
    pub file_cache_max_mb: u64,

    /// Upstream requests per second (Worksection allows about 1).
    #[arg(long, env = "WORKSECTION_REQUESTS_PER_SECOND", default_value_t = 1.0)]
    pub requests_per_second: f64,

    /// Most tokens one answer's text may take (longer lists come in pages).
    #[arg(long, env = "MCP_MAX_ANSWER_TOKENS", default_value_t = crate::output::DEFAULT_ANSWER_TOKENS)]
    pub max_answer_tokens: usize,

    /// Tool areas to serve, comma-separated: projects, tasks, comments,
    /// files, time, people, tags, activity, analytics, system, or all.
    #[arg(
        long,
        env = "MCP_TOOLSETS",
        value_delimiter = ',',
        default_value = "all"
    )]
    pub toolsets: Vec<String>,
}

/// The OAuth2 app people sign in through.
#[derive(Debug, Clone, Args)]
pub struct OAuthArgs {
    /// The OAuth2 app's client id (from Worksection's app settings).
    #[arg(long, env = "WORKSECTION_CLIENT_ID")]
    pub client_id: Option<String>,

    /// The OAuth2 app's client secret.
    #[arg(long, env = "WORKSECTION_CLIENT_SECRET", hide_env_values = true)]
    pub client_secret: Option<SecretString>,

    /// The redirect URI registered with the app (https).
    #[arg(
        long,
        env = "WORKSECTION_REDIRECT_URI",
        default_value = "https://localhost:8080/oauth/callback"
    )]
    pub redirect_uri: String,

    /// Scopes to ask for, comma-separated (default: every `_read` scope).
    #[arg(long, env = "WORKSECTION_SCOPES", value_delimiter = ',')]
    pub scopes: Vec<String>,

    /// Also ask for `administrative` (needed to list webhooks).
    #[arg(long)]
    pub administrative: bool,

    /// Worksection's sign-in address.
    #[arg(
        long,
        env = "WORKSECTION_OAUTH_URL",
        default_value = "https://worksection.com"
    )]
    pub oauth_url: String,
}

/// Team mode: one server for a company, each person signed in as
/// themselves through the company's Worksection OAuth app (see the
/// `team` module and the `worksection-team` crate).
#[derive(Debug, Clone, Args)]
pub struct TeamArgs {
    /// Serve a whole team: every person signs in with their own Worksection account (needs --public-url and the company's Worksection OAuth app).
    #[arg(long, env = "MCP_TEAM")]
    pub team: bool,

    /// The https address people's assistants reach this server at, e.g. https://mcp.example.com (team mode).
    #[arg(long, env = "MCP_PUBLIC_URL")]
    pub public_url: Option<String>,

    /// Where team mode keeps its store (sign-ins, clients, tokens, audit log); default: the OS data folder.
    #[arg(long, env = "MCP_DATA_DIR")]
    pub data_dir: Option<PathBuf>,

    /// Allow WORKSECTION_API_KEY in team mode: every person then sees the whole account.
    #[arg(long, env = "MCP_TEAM_ADMIN_KEY")]
    pub team_admin_key: bool,

    /// The key that seals the team store (32 bytes, hex or base64); default: a key file beside the store.
    #[arg(long, env = "MCP_TEAM_KEY", hide_env_values = true)]
    pub team_key: Option<SecretString>,

    /// A file holding the team store's key.
    #[arg(long, env = "MCP_TEAM_KEY_FILE")]
    pub team_key_file: Option<PathBuf>,

    /// Lifetime of the access tokens team mode issues, in seconds.
    #[arg(long, env = "MCP_TEAM_ACCESS_TOKEN_SECONDS", default_value_t = 900)]
    pub team_access_token_seconds: u64,

    /// Lifetime of team mode's refresh tokens, in days (each use rotates it).
    #[arg(long, env = "MCP_TEAM_REFRESH_TOKEN_DAYS", default_value_t = 30)]
    pub team_refresh_token_days: u64,

    /// Fetch client metadata documents from loopback addresses too (tests only; private and link-local addresses stay refused).
    #[arg(long, env = "MCP_TEAM_METADATA_LOOPBACK")]
    pub team_metadata_loopback: bool,

    /// Another root certificate (PEM) to trust when fetching client metadata documents (tests).
    #[arg(long, env = "MCP_TEAM_METADATA_CA_FILE")]
    pub team_metadata_ca_file: Option<PathBuf>,

    /// The Redis (or Valkey) that team-mode replicas share: sign-ins, the account's pace, the cache, pages (redis:// or rediss://). Without it one server keeps everything itself.
    #[arg(long, env = "MCP_REDIS_URL", hide_env_values = true)]
    pub redis_url: Option<SecretString>,
}

/// Where sign-ins are kept.
#[derive(Debug, Clone, Args)]
pub struct StoreArgs {
    /// auto (the OS keychain when there is one, else an encrypted file), keyring or file.
    #[arg(long, env = "TOKEN_STORE", default_value = "auto")]
    pub token_store: String,

    /// The encrypted token file (TOKEN_STORE=file).
    #[arg(long, env = "TOKEN_STORAGE_PATH")]
    pub token_storage_path: Option<PathBuf>,

    /// The key for the encrypted token file (default: a generated key file beside it).
    #[arg(long, env = "TOKEN_ENCRYPTION_KEY", hide_env_values = true)]
    pub token_encryption_key: Option<SecretString>,
}

impl OAuthArgs {
    /// The app's settings, checked. Secrets are needed to exchange codes and
    /// refresh tokens, so both must be there.
    pub fn settings(&self) -> Result<OAuthSettings, ConfigError> {
        let client_id = self.client_id.as_deref().map(str::trim).unwrap_or_default();
        if client_id.is_empty() {
            return Err(bad(
                "WORKSECTION_CLIENT_ID is not set; create an OAuth2 app in Worksection (Account → API → OAuth2) and set its client id and secret.",
            ));
        }
        let secret = self
            .client_secret
            .as_ref()
            .map(|s| s.expose_secret().trim())
            .unwrap_or_default();
        if secret.is_empty() {
            return Err(bad(
                "WORKSECTION_CLIENT_SECRET is not set; copy it from the OAuth2 app's settings in Worksection.",
            ));
        }
        let redirect = Url::parse(self.redirect_uri.trim()).map_err(|_| {
            bad(format!(
                "WORKSECTION_REDIRECT_URI `{}` is not a URL; use the one registered with the app, like https://localhost:8080/oauth/callback.",
                self.redirect_uri
            ))
        })?;
        if redirect.scheme() != "https" {
            return Err(bad(
                "WORKSECTION_REDIRECT_URI must start with https:// (Worksection redirects only to HTTPS addresses).",
            ));
        }
        let oauth = Url::parse(self.oauth_url.trim()).map_err(|_| {
            bad(format!("WORKSECTION_OAUTH_URL `{}` is not a URL; leave it unset for https://worksection.com.", self.oauth_url))
        })?;
        let local = oauth.host_str().is_some_and(|h| {
            h == "localhost" || h.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
        });
        if oauth.scheme() != "https" && !local {
            return Err(bad("WORKSECTION_OAUTH_URL must start with https://."));
        }
        let mut scopes: Vec<String> = nonempty(&self.scopes);
        if scopes.is_empty() {
            scopes = OAuthSettings::default_scopes(false);
        }
        if self.administrative && !scopes.iter().any(|s| s == "administrative") {
            scopes.push("administrative".to_owned());
        }
        // The read scopes, and `administrative` for webhooks: a read-only
        // server asks for nothing else.
        let known = OAuthSettings::default_scopes(true);
        if let Some(unknown) = scopes.iter().find(|s| !known.contains(s)) {
            return Err(bad(format!(
                "WORKSECTION_SCOPES has `{unknown}`, which this read-only server does not use; choose from {}.",
                known.join(", ")
            )));
        }
        Ok(OAuthSettings {
            client_id: client_id.to_owned(),
            client_secret: SecretString::from(secret),
            redirect_uri: redirect.to_string(),
            oauth_url: oauth.as_str().trim_end_matches('/').to_owned(),
            scopes,
        })
    }
}

impl StoreArgs {
    pub fn settings(&self) -> Result<StoreSettings, ConfigError> {
        let choice = self
            .token_store
            .parse::<StoreChoice>()
            .map_err(|e| bad(e.to_string()))?;
        Ok(StoreSettings {
            choice,
            path: self.token_storage_path.clone(),
            key: self
                .token_encryption_key
                .clone()
                .filter(|k| !k.expose_secret().is_empty()),
        })
    }
}

/// Where the account's data comes from.
#[derive(Debug, Clone)]
pub enum Source {
    /// The simulator's demo account, in process.
    #[cfg(feature = "demo")]
    Demo,
    /// An account through its admin API key.
    ApiKey {
        account_url: Url,
        api_key: SecretString,
    },
    /// Every account signed in with OAuth2 (or only `account`), tokens from
    /// the token store.
    OAuth {
        oauth: OAuthSettings,
        store: StoreSettings,
        account: Option<String>,
    },
}

/// This user's data folder for the app (generated certificates).
pub fn data_dir() -> Result<PathBuf, ConfigError> {
    directories::ProjectDirs::from("com", "Worksection MCP", "worksection-mcp")
        .map(|d| d.data_dir().to_path_buf())
        .ok_or_else(|| bad("Could not find this user's data directory (is HOME set?)."))
}

/// Settings after every check passed.
#[derive(Debug, Clone)]
pub struct Settings {
    pub source: Source,
    pub transport: Transport,
    pub host: IpAddr,
    pub port: u16,
    pub auth_token: Option<SecretString>,
    pub allowed_hosts: Vec<String>,
    pub allowed_origins: Vec<String>,
    pub cache_ttl: Duration,
    pub file_cache_root: PathBuf,
    pub file_retention: Duration,
    pub max_file_bytes: u64,
    pub file_cache_max_bytes: u64,
    pub requests_per_second: f64,
    pub answers: AnswerSettings,
}

/// How answers are sized, and which tools are served.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnswerSettings {
    /// The budget of one answer's text, in estimated tokens.
    pub max_answer_tokens: usize,
    pub toolsets: Vec<Toolset>,
}

impl Default for AnswerSettings {
    fn default() -> Self {
        Self {
            max_answer_tokens: crate::output::DEFAULT_ANSWER_TOKENS,
            toolsets: Toolset::ALL.to_vec(),
        }
    }
}

/// The range `MCP_MAX_ANSWER_TOKENS` may take.
pub const ANSWER_TOKENS_RANGE: std::ops::RangeInclusive<usize> = 2_000..=200_000;

impl AnswerSettings {
    /// Checks the budget and reads the toolsets' names.
    pub fn new(max_answer_tokens: usize, toolsets: &[String]) -> Result<Self, ConfigError> {
        if !ANSWER_TOKENS_RANGE.contains(&max_answer_tokens) {
            return Err(bad(format!(
                "MCP_MAX_ANSWER_TOKENS must be between {} and {} (the default, {}, is what Claude Code accepts).",
                ANSWER_TOKENS_RANGE.start(),
                ANSWER_TOKENS_RANGE.end(),
                crate::output::DEFAULT_ANSWER_TOKENS
            )));
        }
        let toolsets = Toolset::parse_list(toolsets).map_err(ConfigError)?;
        Ok(Self {
            max_answer_tokens,
            toolsets,
        })
    }
}

/// One sentence that says what to change.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct ConfigError(pub String);

pub(crate) fn bad(msg: impl Into<String>) -> ConfigError {
    ConfigError(msg.into())
}

/// The account's pace, as `WORKSECTION_REQUESTS_PER_SECOND` may set it
/// (the CLI's settings and the desktop app's both check it here).
pub fn check_requests_per_second(rps: f64) -> Result<(), ConfigError> {
    if (0.05..=50.0).contains(&rps) {
        Ok(())
    } else {
        Err(bad(
            "WORKSECTION_REQUESTS_PER_SECOND must be between 0.05 and 50; Worksection allows about 1.",
        ))
    }
}

impl ServeArgs {
    pub fn settings(&self) -> Result<Settings, ConfigError> {
        if self.team.team {
            return Err(bad(
                "--team is for `worksection-mcp serve --team`; this command does not run in team mode.",
            ));
        }
        if self.team.redis_url.is_some() {
            return Err(bad(
                "--redis-url (MCP_REDIS_URL) is for team mode's replicas (`worksection-mcp serve --team`); without --team one server keeps its state itself, so unset it.",
            ));
        }
        self.settings_for(self.source()?, false)
    }

    /// The settings for `source`; `team` lifts the bearer-token rule
    /// (team mode has its own authorization server).
    pub(crate) fn settings_for(&self, source: Source, team: bool) -> Result<Settings, ConfigError> {
        let host = match self.host.trim() {
            "localhost" => IpAddr::V4(Ipv4Addr::LOCALHOST),
            h => h.parse::<IpAddr>().map_err(|_| {
                bad(format!(
                    "MCP_SERVER_HOST `{h}` is not an IP address; use 127.0.0.1 (this computer only) or 0.0.0.0 (every network, with MCP_AUTH_TOKEN)."
                ))
            })?,
        };
        let auth_token = self
            .auth_token
            .clone()
            .filter(|t| !t.expose_secret().is_empty());
        if let Some(t) = auth_token.as_ref().map(ExposeSecret::expose_secret)
            && (t.len() < 16 || t.chars().any(|c| c.is_whitespace() || c.is_control()))
        {
            return Err(bad(
                "MCP_AUTH_TOKEN must be at least 16 characters without spaces; generate one with `openssl rand -hex 32`.",
            ));
        }
        if !team && !host.is_loopback() && auth_token.is_none() && self.transport == Transport::Http
        {
            return Err(bad(format!(
                "Listening on {host} exposes your Worksection data beyond this computer; set MCP_AUTH_TOKEN (clients then send it as a bearer token) or listen on 127.0.0.1."
            )));
        }
        let allowed_hosts: Vec<String> = nonempty(&self.allowed_hosts);
        let allowed_origins: Vec<String> = nonempty(&self.allowed_origins);
        for h in &allowed_hosts {
            if h.contains('/') || h.contains(char::is_whitespace) {
                return Err(bad(format!(
                    "MCP_ALLOWED_HOSTS entry `{h}` is not a host name; give names like mcp.example.com, comma-separated."
                )));
            }
        }
        for o in &allowed_origins {
            let ok = Url::parse(o)
                .is_ok_and(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some());
            if !ok {
                return Err(bad(format!(
                    "MCP_ALLOWED_ORIGINS entry `{o}` is not an origin; give it with its scheme, like https://app.example.com."
                )));
            }
        }
        check_requests_per_second(self.requests_per_second)?;
        if !(1..=1024).contains(&self.max_file_size_mb) {
            return Err(bad("MAX_FILE_SIZE_MB must be between 1 and 1024."));
        }
        if self.file_cache_max_mb < self.max_file_size_mb {
            return Err(bad(
                "FILE_CACHE_MAX_MB must be at least MAX_FILE_SIZE_MB, or no file would fit in the cache.",
            ));
        }
        if !(1..=24 * 365).contains(&self.file_cache_retention_hours) {
            return Err(bad(
                "FILE_CACHE_RETENTION_HOURS must be between 1 and 8760 (a year).",
            ));
        }
        if self.cache_ttl_seconds > 3600 {
            return Err(bad(
                "RESPONSE_CACHE_TTL_SECONDS must be at most 3600; answers older than an hour would mislead.",
            ));
        }
        let file_cache_root = match &self.file_cache_path {
            Some(p) => p.clone(),
            None => default_cache_dir()?,
        };
        Ok(Settings {
            source,
            transport: self.transport,
            host,
            port: self.port,
            auth_token,
            allowed_hosts,
            allowed_origins,
            cache_ttl: Duration::from_secs(self.cache_ttl_seconds),
            file_cache_root,
            file_retention: Duration::from_secs(self.file_cache_retention_hours * 3600),
            max_file_bytes: self.max_file_size_mb << 20,
            file_cache_max_bytes: self.file_cache_max_mb << 20,
            requests_per_second: self.requests_per_second,
            answers: AnswerSettings::new(self.max_answer_tokens, &self.toolsets)?,
        })
    }

    fn source(&self) -> Result<Source, ConfigError> {
        if self.demo {
            #[cfg(feature = "demo")]
            return Ok(Source::Demo);
            #[cfg(not(feature = "demo"))]
            return Err(bad(
                "This build has no demo account (it was built without the `demo` feature).",
            ));
        }
        let key = self
            .api_key
            .as_ref()
            .map(|k| k.expose_secret().trim())
            .filter(|k| !k.is_empty());
        if let Some(key) = key {
            let raw = self
                .account_url
                .as_deref()
                .map(str::trim)
                .unwrap_or_default();
            if raw.is_empty() {
                return Err(bad(
                    "WORKSECTION_API_KEY is set but WORKSECTION_ACCOUNT_URL is not; set it to your account's address, like https://acme.worksection.com.",
                ));
            }
            return Ok(Source::ApiKey {
                account_url: account_url(raw)?,
                api_key: SecretString::from(key),
            });
        }
        let client_id = self.oauth.client_id.as_deref().unwrap_or_default();
        if !client_id.trim().is_empty() {
            return Ok(Source::OAuth {
                oauth: self.oauth.settings()?,
                store: self.store.settings()?,
                account: self.account.clone().filter(|a| !a.trim().is_empty()),
            });
        }
        Err(bad(
            "Nothing to serve: sign in with `worksection-mcp login` (after setting WORKSECTION_CLIENT_ID and WORKSECTION_CLIENT_SECRET), or set WORKSECTION_ACCOUNT_URL and WORKSECTION_API_KEY, or try the demo account with `worksection-mcp serve --demo`.",
        ))
    }
}

/// The entries of a comma-separated list, trimmed, without empty ones
/// (an unset variable in a compose file arrives as an empty string).
fn nonempty(list: &[String]) -> Vec<String> {
    list.iter()
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
        .collect()
}

/// An account URL: https (http only for a server on this computer), a
/// host, and nothing after it.
pub fn account_url(raw: &str) -> Result<Url, ConfigError> {
    let url = Url::parse(raw).map_err(|_| {
        bad(format!(
            "WORKSECTION_ACCOUNT_URL `{raw}` is not a URL; use your account's address, like https://acme.worksection.com."
        ))
    })?;
    let local = url.host_str().is_some_and(|h| {
        h == "localhost" || h.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback()) || h == "[::1]"
    });
    match url.scheme() {
        "https" => {}
        "http" if local => {}
        _ => {
            return Err(bad(format!(
                "WORKSECTION_ACCOUNT_URL `{raw}` must start with https://, like https://acme.worksection.com."
            )));
        }
    }
    if url.host().is_none() || !matches!(url.path(), "" | "/") || url.query().is_some() {
        return Err(bad(format!(
            "WORKSECTION_ACCOUNT_URL `{raw}` should be only the account's address, like https://acme.worksection.com (no path)."
        )));
    }
    Ok(url)
}

/// The OS's cache folder for downloaded files.
pub fn default_cache_dir() -> Result<PathBuf, ConfigError> {
    directories::ProjectDirs::from("com", "Worksection MCP", "worksection-mcp")
        .map(|d| d.cache_dir().join("files"))
        .ok_or_else(|| {
            bad("Could not find this user's cache directory (is HOME set?); set FILE_CACHE_PATH to a writable folder.")
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        serve: ServeArgs,
    }

    fn settings(args: &[&str]) -> Result<Settings, ConfigError> {
        let mut all = vec!["t"];
        all.extend_from_slice(args);
        Cli::try_parse_from(all)
            .map_err(|e| ConfigError(e.to_string()))?
            .serve
            .settings()
    }

    #[test]
    fn demo_needs_nothing() {
        let s = settings(&["--demo"]).expect("demo");
        assert!(matches!(s.source, Source::Demo));
        assert_eq!(s.port, 8000);
        assert!(s.host.is_loopback());
    }

    #[test]
    fn bad_settings_say_what_to_change() {
        let cases: &[(&[&str], &str)] = &[
            (&[], "Nothing to serve"),
            (&["--api-key", "k"], "WORKSECTION_ACCOUNT_URL is not"),
            (
                &["--api-key", "k", "--account-url", "ftp://x"],
                "must start with https",
            ),
            (
                &[
                    "--api-key",
                    "k",
                    "--account-url",
                    "http://acme.worksection.com",
                ],
                "https",
            ),
            (
                &[
                    "--api-key",
                    "k",
                    "--account-url",
                    "https://acme.worksection.com/project/1",
                ],
                "no path",
            ),
            (&["--demo", "--host", "0.0.0.0"], "MCP_AUTH_TOKEN"),
            (&["--demo", "--host", "nonsense"], "not an IP address"),
            (&["--demo", "--auth-token", "short"], "16 characters"),
            (&["--demo", "--max-file-size-mb", "0"], "MAX_FILE_SIZE_MB"),
            (&["--demo", "--allowed-origins", "example.com"], "scheme"),
        ];
        for (args, expected) in cases {
            let e = settings(args).expect_err(expected).to_string();
            assert!(e.contains(expected), "{args:?}: {e}");
        }
    }

    /// The arguments and the checked settings print every secret redacted.
    #[test]
    fn settings_debug_print_no_secret() {
        let key = "API-KEY-0d3b7e";
        let token = "LOCAL-TOKEN-5a9c1f2e";
        let secret = "CLIENT-SECRET-8e4f";
        let passphrase = "ENCRYPTION-KEY-2c6a9d";
        let with_key = [
            "t",
            "--api-key",
            key,
            "--account-url",
            "https://acme.worksection.com",
            "--auth-token",
            token,
        ];
        let with_oauth = [
            "t",
            "--client-id",
            "id",
            "--client-secret",
            secret,
            "--token-encryption-key",
            passphrase,
            "--auth-token",
            token,
        ];
        let mut shown = String::new();
        for args in [&with_key[..], &with_oauth[..]] {
            let cli = Cli::try_parse_from(args).expect("args");
            let settings = cli.serve.settings().expect("settings");
            shown.push_str(&format!("{:?} {settings:?}\n", cli.serve));
        }
        assert!(
            shown.contains("ApiKey") && shown.contains("OAuth"),
            "{shown}"
        );
        for s in [key, token, secret, passphrase] {
            assert!(!shown.contains(s), "{s} in {shown}");
        }
    }

    #[test]
    fn beyond_loopback_with_a_token_is_fine() {
        let s = settings(&[
            "--demo",
            "--host",
            "0.0.0.0",
            "--auth-token",
            "0123456789abcdef0123",
        ])
        .expect("ok");
        assert!(!s.host.is_loopback());
    }
}

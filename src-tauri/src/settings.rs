//! The app's own settings: what the dashboard's Settings section changes,
//! checked here (never only in the page) and kept as JSON in the app's
//! config folder; and [`EnvArgs`], what the app honours from the
//! environment (as the command-line server does).
//!
//! The local bearer token, when turned on, lives in a file of its own
//! beside the settings, so the settings can be shown to the page as they
//! are while the token never leaves Rust (the bridge reads the file).

use std::path::{Path, PathBuf};

use clap::Parser;
use serde::{Deserialize, Serialize};
use worksection::{ExposeSecret, SecretString};
use worksection_auth::write_private;
use worksection_mcp::{OAuthArgs, StoreArgs};

use crate::error::Error;

/// The settings the CLI reads from the environment that the app honours
/// too (the OAuth2 app, the token store, the cache folder), read through
/// the CLI's own definitions so both mean the same.
#[derive(Debug, Clone, Parser)]
#[command(name = "worksection-mcp-desktop")]
pub struct EnvArgs {
    #[command(flatten)]
    pub oauth: OAuthArgs,
    #[command(flatten)]
    pub store: StoreArgs,
    #[arg(long, env = "FILE_CACHE_PATH")]
    pub file_cache_path: Option<PathBuf>,
    #[arg(long, env = "WORKSECTION_REQUESTS_PER_SECOND", default_value_t = 1.0)]
    pub requests_per_second: f64,
}

impl EnvArgs {
    /// From the environment only (the app's own arguments are not these).
    pub fn from_env() -> Result<Self, Error> {
        Self::try_parse_from(["worksection-mcp-desktop"]).map_err(|e| Error::Invalid(e.to_string()))
    }
}

/// The app's identifier; also its config folder's name, the one Tauri
/// uses, so the bridge (which runs without Tauri) finds the same files.
pub const IDENTIFIER: &str = "com.worksection.mcp";

const SETTINGS_FILE: &str = "settings.json";
const TOKEN_FILE: &str = "local-token";

/// What the server serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// The simulator's demo account, in process.
    Demo,
    /// The accounts signed in with OAuth2 (tokens in the keychain).
    Account,
    /// One account through its admin API key (the key in the keychain).
    ApiKey,
}

/// Everything the person can set.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AppSettings {
    /// `None` until the person chose on the first-run screen.
    pub mode: Option<Mode>,
    pub port: u16,
    pub cache_retention_hours: u64,
    pub cache_max_mb: u64,
    pub start_at_login: bool,
    /// Ask for the `administrative` scope at sign-in (webhooks).
    pub webhook_access: bool,
    /// Clients must send a bearer token (the bridge sends it for them). On
    /// from the first run: without it any process of any user on this
    /// computer could read the account through the local endpoint.
    pub local_token: bool,
    /// Worksection's sign-in address when it is not the usual one (the
    /// dashboard's "Advanced"): the simulator in tests, or Worksection
    /// hosted elsewhere. `None` is `WORKSECTION_OAUTH_URL` or
    /// `https://worksection.com`.
    pub oauth_url: Option<String>,
}

impl Default for AppSettings {
    fn default() -> Self {
        Self {
            mode: None,
            port: 8000,
            cache_retention_hours: 24,
            cache_max_mb: 500,
            start_at_login: false,
            webhook_access: false,
            local_token: true,
            oauth_url: None,
        }
    }
}

impl AppSettings {
    /// Checks every field; the error is one sentence for the dashboard.
    pub fn validate(&self) -> Result<(), Error> {
        if self.port < 1024 {
            return Err(Error::Invalid(format!(
                "Port {} is reserved for system services; choose one between 1024 and 65535, such as 8000.",
                self.port
            )));
        }
        if !(1..=24 * 365).contains(&self.cache_retention_hours) {
            return Err(Error::Invalid(
                "Keep downloaded files between 1 hour and 8760 hours (a year).".to_owned(),
            ));
        }
        // The server downloads files of up to 10 MB; a smaller cache could
        // not hold one.
        if !(10..=100_000).contains(&self.cache_max_mb) {
            return Err(Error::Invalid(
                "Set the file cache size between 10 MB and 100000 MB.".to_owned(),
            ));
        }
        if let Some(u) = &self.oauth_url {
            check_web_address(u, "The sign-in server address")?;
        }
        Ok(())
    }

    /// Reads the settings; a missing file gives the defaults, a broken one
    /// an error saying what to do.
    pub fn load(dir: &Path) -> Result<Self, Error> {
        let path = dir.join(SETTINGS_FILE);
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Self::default()),
            Err(e) => {
                return Err(Error::Local(format!(
                    "Could not read {}: {e}.",
                    path.display()
                )));
            }
        };
        let settings: Self = serde_json::from_str(&text).map_err(|e| {
            Error::Invalid(format!(
                "{} is not valid settings ({e}); fix it or delete it to start from the defaults.",
                path.display()
            ))
        })?;
        settings
            .validate()
            .map_err(|e| Error::Invalid(format!("{}: {e}", path.display())))?;
        Ok(settings)
    }

    /// The address the app serves at on this computer; the bridge forwards
    /// to it, and the dashboard shows it while the server is stopped.
    pub fn mcp_url(&self) -> String {
        format!("http://127.0.0.1:{}/mcp", self.port)
    }

    /// Writes the settings whole or not at all, readable by this user only.
    pub fn save(&self, dir: &Path) -> Result<(), Error> {
        self.validate()?;
        let text = serde_json::to_string_pretty(self)
            .map_err(|e| Error::Local(format!("Could not encode the settings: {e}.")))?;
        write(&dir.join(SETTINGS_FILE), text.as_bytes())
    }
}

/// Checks an address typed into the dashboard: `http(s)://host[:port]`,
/// nothing else. The error names `what` and says what to type.
pub fn check_web_address(text: &str, what: &str) -> Result<url::Url, Error> {
    let bad = || {
        Error::Invalid(format!(
            "{what} must look like https://acme.worksection.com (got {:?}); check it and try again.",
            text.chars().take(80).collect::<String>()
        ))
    };
    let url = url::Url::parse(text.trim()).map_err(|_| bad())?;
    if !matches!(url.scheme(), "http" | "https")
        || url.host_str().is_none_or(str::is_empty)
        || !url.username().is_empty()
        || url.password().is_some()
    {
        return Err(bad());
    }
    Ok(url)
}

/// The app's config folder: `<OS config folder>/com.worksection.mcp`.
pub fn config_dir() -> Result<PathBuf, Error> {
    directories::BaseDirs::new()
        .map(|b| b.config_dir().join(IDENTIFIER))
        .ok_or_else(|| {
            Error::Local("Could not find this user's config folder (is HOME set?).".to_owned())
        })
}

/// The local bearer token, made on first use (32 random bytes as hex).
pub fn local_token(dir: &Path, create: bool) -> Result<Option<SecretString>, Error> {
    let path = dir.join(TOKEN_FILE);
    match std::fs::read_to_string(&path).map(SecretString::from) {
        Ok(t) if t.expose_secret().trim().len() >= 32 => {
            return Ok(Some(t.expose_secret().trim().into()));
        }
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => {
            return Err(Error::Local(format!(
                "Could not read {}: {e}.",
                path.display()
            )));
        }
    }
    if !create {
        return Ok(None);
    }
    let bytes: [u8; 32] = rand::random();
    let token = SecretString::from(bytes.iter().map(|b| format!("{b:02x}")).collect::<String>());
    write(&path, token.expose_secret().as_bytes())?;
    Ok(Some(token))
}

/// Replaces the local bearer token with a new one (the old one stops
/// working once the server restarts with the new).
pub fn renew_local_token(dir: &Path) -> Result<(), Error> {
    match std::fs::remove_file(dir.join(TOKEN_FILE)) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => {
            return Err(Error::Local(format!(
                "Could not replace the local access token: {e}."
            )));
        }
    }
    local_token(dir, true).map(|_| ())
}

/// Only the owner may read the app's files (the token is among them):
/// the one private, atomic writer every crate uses.
fn write(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    write_private(path, bytes)
        .map_err(|e| Error::Local(format!("Could not write {}: {e}.", path.display())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid() {
        assert!(AppSettings::default().validate().is_ok());
        assert_eq!(AppSettings::default().port, 8000);
    }

    #[test]
    fn bad_values_are_refused_with_a_sentence() {
        let s = |f: fn(&mut AppSettings)| {
            let mut s = AppSettings::default();
            f(&mut s);
            s.validate().map_err(|e| e.to_string())
        };
        assert!(s(|s| s.port = 80).is_err_and(|e| e.contains("1024")));
        assert!(s(|s| s.port = 0).is_err());
        assert!(s(|s| s.cache_retention_hours = 0).is_err());
        assert!(s(|s| s.cache_retention_hours = 9000).is_err());
        assert!(s(|s| s.cache_max_mb = 5).is_err_and(|e| e.contains("10 MB")));
        assert_eq!(s(|s| s.port = 65535), Ok(()));
        assert!(s(|s| s.oauth_url = Some("ftp://x".into())).is_err_and(|e| e.contains("https://")));
        assert!(s(|s| s.oauth_url = Some("https://u:p@x".into())).is_err());
        assert_eq!(
            s(|s| s.oauth_url = Some("http://127.0.0.1:9000".into())),
            Ok(())
        );
    }

    #[test]
    fn saved_settings_load_back() {
        let dir = tempfile::tempdir().expect("tempdir");
        assert_eq!(
            AppSettings::load(dir.path()).expect("load"),
            AppSettings::default()
        );
        let s = AppSettings {
            mode: Some(Mode::Demo),
            port: 8123,
            local_token: true,
            ..AppSettings::default()
        };
        s.save(dir.path()).expect("save");
        assert_eq!(AppSettings::load(dir.path()).expect("load"), s);
    }

    #[test]
    fn a_broken_file_is_refused_not_replaced() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(dir.path().join(SETTINGS_FILE), "{port: 1").expect("write");
        let load = || AppSettings::load(dir.path()).map_err(|e| e.to_string());
        assert!(load().is_err_and(|e| e.contains("delete it")));
        std::fs::write(dir.path().join(SETTINGS_FILE), r#"{"port": 22}"#).expect("write");
        assert!(load().is_err_and(|e| e.contains("1024")));
        std::fs::write(dir.path().join(SETTINGS_FILE), r#"{"prot": 8000}"#).expect("write");
        assert!(AppSettings::load(dir.path()).is_err());
    }

    #[test]
    fn a_partial_file_takes_defaults_for_the_rest() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(dir.path().join(SETTINGS_FILE), r#"{"port": 8111}"#).expect("write");
        let s = AppSettings::load(dir.path()).expect("load");
        assert_eq!(s.port, 8111);
        assert_eq!(s.cache_max_mb, 500);
    }

    #[test]
    fn the_local_token_is_made_once() {
        let dir = tempfile::tempdir().expect("tempdir");
        assert!(matches!(local_token(dir.path(), false), Ok(None)));
        let t = local_token(dir.path(), true).expect("make").expect("token");
        let made = t.expose_secret().to_owned();
        assert_eq!(made.len(), 64);
        let again = local_token(dir.path(), false)
            .expect("read")
            .expect("token");
        assert_eq!(again.expose_secret(), made);
        renew_local_token(dir.path()).expect("renew");
        let renewed = local_token(dir.path(), false)
            .expect("read")
            .expect("token");
        assert_ne!(renewed.expose_secret(), made);
        assert_eq!(renewed.expose_secret().len(), 64);
        // Printed, it shows nothing of itself.
        assert!(!format!("{renewed:?}").contains(renewed.expose_secret()));
    }

    /// The token file and the settings are the owner's alone from the
    /// first byte (the one private writer), and replaced whole.
    #[cfg(unix)]
    #[test]
    fn the_app_files_are_private() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().expect("tempdir");
        local_token(dir.path(), true).expect("make");
        AppSettings::default().save(dir.path()).expect("save");
        AppSettings::default().save(dir.path()).expect("save again");
        let mut names: Vec<_> = std::fs::read_dir(dir.path())
            .expect("list")
            .map(|e| e.expect("entry").file_name())
            .collect();
        names.sort();
        assert_eq!(names, [TOKEN_FILE, SETTINGS_FILE]);
        for name in names {
            let mode = std::fs::metadata(dir.path().join(name))
                .expect("meta")
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }
}

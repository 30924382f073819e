//! `worksection-mcp login` and `logout`: the sign-in flow of
//! [`worksection_auth::SignIn`] in the
//! system browser, with the redirect received on a local HTTPS callback.
//!
//! Worksection only redirects to `https://` URIs, so the callback listens
//! with TLS on the redirect URI's port (`https://localhost:8080/oauth/callback`
//! by default). Its certificate is made on first use with `rcgen` and kept
//! under the data directory (or given with `OAUTH_SSL_CERT_PATH` and
//! `OAUTH_SSL_KEY_PATH`); setups that terminate TLS elsewhere turn it off
//! with `OAUTH_CALLBACK_USE_SSL=false`. The callback answers one sign-in and
//! stops; it never logs the code.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::{OriginalUri, State};
use axum::response::Html;
use tokio::sync::oneshot;
use url::Url;

use std::process::ExitCode;

use clap::Args;
use worksection_auth::{
    OAuthSettings, SignIn, SignInError, StoredSignIn, TokenStore, write_private,
};
use worksection_mcp::{ConfigError, OAuthArgs, StoreArgs, data_dir};

/// How long `login` waits for the person to click Allow.
pub const LOGIN_TIMEOUT: Duration = Duration::from_secs(600);

/// `worksection-mcp login`.
#[derive(Debug, Clone, Args)]
pub struct LoginArgs {
    #[command(flatten)]
    pub oauth: OAuthArgs,

    #[command(flatten)]
    pub store: StoreArgs,

    /// Print the sign-in address instead of opening the browser.
    #[arg(long)]
    pub no_browser: bool,

    /// Address the HTTPS callback listens on.
    #[arg(long, env = "OAUTH_CALLBACK_HOST", default_value = "127.0.0.1")]
    pub callback_host: String,

    /// Port of the callback (default: the redirect URI's).
    #[arg(long, env = "OAUTH_CALLBACK_PORT")]
    pub callback_port: Option<u16>,

    /// Serve the callback over HTTPS (turn off only behind a TLS proxy).
    #[arg(long, env = "OAUTH_CALLBACK_USE_SSL", default_value_t = true, action = clap::ArgAction::Set)]
    pub callback_use_ssl: bool,

    /// A certificate (PEM) for the callback instead of the generated one.
    #[arg(long, env = "OAUTH_SSL_CERT_PATH", requires = "ssl_key_path")]
    pub ssl_cert_path: Option<PathBuf>,

    /// The certificate's private key (PEM).
    #[arg(long, env = "OAUTH_SSL_KEY_PATH", requires = "ssl_cert_path")]
    pub ssl_key_path: Option<PathBuf>,
}

impl LoginArgs {
    pub fn callback(&self, oauth: &OAuthSettings) -> Result<Callback, ConfigError> {
        let redirect = Url::parse(&oauth.redirect_uri)
            .map_err(|_| bad("WORKSECTION_REDIRECT_URI is not a URL."))?;
        let mut cb = Callback::for_redirect(&redirect, data_dir()?);
        cb.host = match self.callback_host.trim() {
            "localhost" => IpAddr::V4(Ipv4Addr::LOCALHOST),
            h => h.parse().map_err(|_| {
                bad(format!(
                    "OAUTH_CALLBACK_HOST `{h}` is not an IP address; use 127.0.0.1."
                ))
            })?,
        };
        if let Some(port) = self.callback_port {
            cb.port = port;
        }
        cb.use_tls = self.callback_use_ssl;
        if let (Some(c), Some(k)) = (&self.ssl_cert_path, &self.ssl_key_path) {
            for p in [c, k] {
                if !p.is_file() {
                    return Err(bad(format!(
                        "OAUTH_SSL_CERT_PATH/OAUTH_SSL_KEY_PATH: {} is not a readable file.",
                        p.display()
                    )));
                }
            }
            cb.cert = Some((c.clone(), k.clone()));
        }
        Ok(cb)
    }
}

fn bad(msg: impl Into<String>) -> ConfigError {
    ConfigError(msg.into())
}

/// Runs `worksection-mcp login`.
pub async fn command(args: LoginArgs) -> ExitCode {
    let prepared = async {
        let oauth = args.oauth.settings()?;
        let callback = args.callback(&oauth)?;
        let store = args
            .store
            .settings()?
            .open()
            .await
            .map_err(|e| ConfigError(e.to_string()))?;
        Ok::<_, ConfigError>((oauth, callback, store))
    };
    let (oauth, callback, store) = match prepared.await {
        Ok(p) => p,
        Err(e) => {
            eprintln!("worksection-mcp: {e}");
            return ExitCode::from(2);
        }
    };
    let no_browser = args.no_browser;
    let announce = |url: &url::Url| {
        if no_browser || webbrowser::open(url.as_str()).is_err() {
            eprintln!("Open this address in your browser and click Allow:");
            println!("{url}");
        } else {
            eprintln!("Your browser shows Worksection's sign-in page; click Allow there.");
        }
        eprintln!("Waiting for Worksection's answer...");
    };
    match login(&oauth, &callback, &store, announce).await {
        Ok(signed_in) => {
            eprintln!(
                "Signed in to {} as {} ({}); the sign-in is saved in {}.",
                signed_in.account_url,
                signed_in.user_name,
                signed_in.user_email,
                store.kind()
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("worksection-mcp: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Runs `worksection-mcp logout`.
pub async fn logout(store: StoreArgs, account: Option<String>, all: bool) -> ExitCode {
    let opened = match store.settings() {
        Ok(s) => s.open().await.map_err(|e| ConfigError(e.to_string())),
        Err(e) => Err(e),
    };
    let store = match opened {
        Ok(s) => s,
        Err(e) => {
            eprintln!("worksection-mcp: {e}");
            return ExitCode::from(2);
        }
    };
    let accounts = match store.accounts().await {
        Ok(a) => a,
        Err(e) => {
            eprintln!("worksection-mcp: {e}");
            return ExitCode::FAILURE;
        }
    };
    let targets: Vec<String> = if all {
        accounts
    } else {
        match account
            .map(|a| a.trim().to_ascii_lowercase())
            .or_else(|| accounts.first().cloned())
        {
            Some(a) => vec![a],
            None => Vec::new(),
        }
    };
    if targets.is_empty() {
        eprintln!("No sign-in is saved; nothing to forget.");
        return ExitCode::SUCCESS;
    }
    for t in targets {
        match store.delete(&t).await {
            Ok(true) => eprintln!("Forgot the sign-in for {t}."),
            Ok(false) => eprintln!("No sign-in is saved for {t}."),
            Err(e) => {
                eprintln!("worksection-mcp: {e}");
                return ExitCode::FAILURE;
            }
        }
    }
    ExitCode::SUCCESS
}

/// Where the callback listens.
#[derive(Debug, Clone)]
pub struct Callback {
    pub host: IpAddr,
    pub port: u16,
    pub use_tls: bool,
    /// A certificate and key to use instead of the generated ones.
    pub cert: Option<(PathBuf, PathBuf)>,
    /// Where the generated certificate is kept.
    pub data_dir: PathBuf,
}

impl Callback {
    /// The defaults follow the redirect URI: its port, on this computer.
    pub fn for_redirect(redirect_uri: &Url, data_dir: PathBuf) -> Self {
        Self {
            host: IpAddr::V4(Ipv4Addr::LOCALHOST),
            port: redirect_uri.port_or_known_default().unwrap_or(8080),
            use_tls: redirect_uri.scheme() == "https",
            cert: None,
            data_dir,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum LoginError {
    #[error(transparent)]
    SignIn(#[from] SignInError),
    #[error(
        "Could not listen for Worksection's answer on port {port}: {reason}; set OAUTH_CALLBACK_PORT (and the app's redirect URI) to a free port."
    )]
    Listen { port: u16, reason: String },
    #[error(
        "The callback certificate could not be prepared: {0}; set OAUTH_SSL_CERT_PATH and OAUTH_SSL_KEY_PATH, or fix the data folder's permissions."
    )]
    Certificate(String),
    #[error("No answer from Worksection within {} minutes; run `worksection-mcp login` again.", LOGIN_TIMEOUT.as_secs() / 60)]
    TimedOut,
}

type Delivery = Arc<Mutex<Option<oneshot::Sender<Url>>>>;

/// Signs in: shows (or prints) Worksection's page, waits for the redirect
/// on the callback, finishes and saves. `announce` gets the URL to open.
pub async fn login(
    oauth: &OAuthSettings,
    callback: &Callback,
    store: &TokenStore,
    announce: impl FnOnce(&Url),
) -> Result<StoredSignIn, LoginError> {
    // rustls needs a process-wide crypto provider when more than one is
    // compiled in; an error only means one is installed already.
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    let sign_in = SignIn::begin(oauth)?;
    let redirect = Url::parse(&oauth.redirect_uri)
        .map_err(|e| SignInError::Config(format!("WORKSECTION_REDIRECT_URI is not a URL ({e})")))?;
    let (tx, rx) = oneshot::channel::<Url>();
    let delivery: Delivery = Arc::new(Mutex::new(Some(tx)));
    let app = Router::new()
        .route(redirect.path(), axum::routing::get(receive))
        .with_state((delivery, redirect.clone()));
    let addr = SocketAddr::new(callback.host, callback.port);
    let handle = axum_server::Handle::new();
    let listen_error = |e: std::io::Error| LoginError::Listen {
        port: callback.port,
        reason: e.to_string(),
    };
    let listener = std::net::TcpListener::bind(addr).map_err(listen_error)?;
    listener.set_nonblocking(true).map_err(listen_error)?;
    let server = if callback.use_tls {
        let (cert, key) = match &callback.cert {
            Some(pair) => pair.clone(),
            None => generated_certificate(&callback.data_dir)?,
        };
        let tls = axum_server::tls_rustls::RustlsConfig::from_pem_file(&cert, &key)
            .await
            .map_err(|e| LoginError::Certificate(e.to_string()))?;
        let server = axum_server::from_tcp_rustls(listener, tls)
            .map_err(listen_error)?
            .handle(handle.clone());
        tokio::spawn(async move { server.serve(app.into_make_service()).await })
    } else {
        let server = axum_server::from_tcp(listener)
            .map_err(listen_error)?
            .handle(handle.clone());
        tokio::spawn(async move { server.serve(app.into_make_service()).await })
    };
    announce(sign_in.url());
    let outcome = tokio::time::timeout(LOGIN_TIMEOUT, rx).await;
    let result = match outcome {
        Ok(Ok(url)) => sign_in.finish(&url, store).await.map_err(LoginError::from),
        _ => Err(LoginError::TimedOut),
    };
    // Let the browser's page load before the listener goes.
    handle.graceful_shutdown(Some(Duration::from_secs(2)));
    let _ = server.await;
    result
}

/// Takes the first redirect and hands it over; later ones are told the
/// sign-in is already done.
async fn receive(
    State((delivery, redirect)): State<(Delivery, Url)>,
    OriginalUri(uri): OriginalUri,
) -> Html<&'static str> {
    let mut full = redirect.clone();
    full.set_query(uri.query());
    let sender = delivery.lock().unwrap_or_else(|p| p.into_inner()).take();
    match sender {
        Some(tx) => {
            let _ = tx.send(full);
            Html(PAGE_DONE)
        }
        None => Html(PAGE_ALREADY),
    }
}

const PAGE_DONE: &str = "<!doctype html><meta charset=utf-8><title>Worksection MCP</title>\
<body style=\"font:16px system-ui;margin:3em\"><h1>Worksection MCP</h1>\
<p>Worksection answered. You can close this tab and go back to the terminal, which says whether the sign-in succeeded.</p>";

const PAGE_ALREADY: &str = "<!doctype html><meta charset=utf-8><title>Worksection MCP</title>\
<body style=\"font:16px system-ui;margin:3em\"><p>This sign-in was already answered. You can close this tab.</p>";

/// The callback's self-signed certificate for `localhost`, made once and
/// kept (private key 0600) so the browser's exception, if any, sticks.
fn generated_certificate(dir: &Path) -> Result<(PathBuf, PathBuf), LoginError> {
    let dir = dir.join("callback-tls");
    let cert = dir.join("localhost.crt");
    let key = dir.join("localhost.key");
    if cert.is_file() && key.is_file() {
        return Ok((cert, key));
    }
    let fail = |e: &dyn std::fmt::Display| LoginError::Certificate(e.to_string());
    std::fs::create_dir_all(&dir).map_err(|e| fail(&e))?;
    let names = vec![
        "localhost".to_owned(),
        "127.0.0.1".to_owned(),
        "::1".to_owned(),
    ];
    let made = rcgen::generate_simple_self_signed(names).map_err(|e| fail(&e))?;
    write_private(&key, made.signing_key.serialize_pem().as_bytes()).map_err(|e| fail(&e))?;
    write_private(&cert, made.cert.pem().as_bytes()).map_err(|e| fail(&e))?;
    Ok((cert, key))
}

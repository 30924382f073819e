//! `worksection-mcp login`: the sign-in flow of [`crate::signin`] in the
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

use crate::signin::{OAuthSettings, SignIn, SignInError};
use crate::token_store::{StoredSignIn, TokenStore};

/// How long `login` waits for the person to click Allow.
pub const LOGIN_TIMEOUT: Duration = Duration::from_secs(600);

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
    store: &dyn TokenStore,
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

fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let tmp = path.with_extension("tmp");
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts.open(&tmp)?;
    f.write_all(bytes)?;
    f.sync_all()?;
    std::fs::rename(tmp, path)
}

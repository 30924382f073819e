//! `worksection-mcp serve`, `bridge` and `healthcheck`: serving the
//! accounts the settings open, over the chosen transport, until a signal.

use std::process::ExitCode;

use tokio_util::sync::CancellationToken;
use worksection::{ExposeSecret, SecretString};
use worksection_mcp::transport::{bridge, http, stdio};
use worksection_mcp::{ConfigError, ServeArgs, Settings, Transport, open};

/// Runs `worksection-mcp serve`.
pub async fn command(args: &ServeArgs) -> ExitCode {
    if args.team.team {
        return team(args).await;
    }
    let settings = match settings(args) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let shutdown = CancellationToken::new();
    tokio::spawn(stop_on_signal(shutdown.clone()));
    match run(&settings, shutdown).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("worksection-mcp: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Runs `worksection-mcp serve --team`: exit code 2 for a setting that
/// is wrong or missing, 1 when serving fails.
#[cfg(feature = "team")]
async fn team(args: &ServeArgs) -> ExitCode {
    if let Err(e) = worksection_mcp::team::settings(args) {
        eprintln!("worksection-mcp: {e}");
        return ExitCode::from(2);
    }
    let shutdown = CancellationToken::new();
    tokio::spawn(stop_on_signal(shutdown.clone()));
    match worksection_mcp::team::serve(args, shutdown).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("worksection-mcp: {e}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(not(feature = "team"))]
async fn team(_: &ServeArgs) -> ExitCode {
    eprintln!(
        "worksection-mcp: this build has no team mode (it was built without the `team` feature)."
    );
    ExitCode::from(2)
}

/// The checked settings, or exit code 2 after saying what is wrong
/// (`serve` and `check` read the same settings).
pub fn settings(args: &ServeArgs) -> Result<Settings, ExitCode> {
    args.settings().map_err(|e| {
        eprintln!("worksection-mcp: {e}");
        ExitCode::from(2)
    })
}

/// Serves until `shutdown` is cancelled (or stdin closes, for stdio).
async fn run(settings: &Settings, shutdown: CancellationToken) -> Result<(), ConfigError> {
    let opened = open(settings).await?;
    let servers = opened.servers(None);
    let result = match settings.transport {
        Transport::Stdio => match servers.into_iter().next() {
            Some((_, server)) => {
                let label = server.account().label().to_owned();
                eprintln!("Worksection MCP: serving {label} over stdio");
                stdio::serve(server, shutdown).await
            }
            None => Err(ConfigError("internal: no account to serve".into())),
        },
        Transport::Http => http::serve(servers, settings, shutdown).await,
    };
    opened.close().await;
    result
}

/// Runs `worksection-mcp bridge`.
pub async fn bridge(url: String, auth_token: Option<SecretString>) -> ExitCode {
    let target = bridge::BridgeTarget {
        url,
        auth_token: auth_token.filter(|t| !t.expose_secret().is_empty()),
    };
    match bridge::run(target).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("worksection-mcp: the bridge stopped: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Asks the local server's `/healthz`; the container image has no curl.
pub async fn healthcheck(port: u16) -> ExitCode {
    let url = format!("http://127.0.0.1:{port}/healthz");
    let client = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(3))
        .build();
    match client {
        Ok(c) => match c.get(&url).send().await {
            Ok(r) if r.status().is_success() => ExitCode::SUCCESS,
            Ok(r) => {
                eprintln!("worksection-mcp: {url} answered {}", r.status());
                ExitCode::FAILURE
            }
            Err(e) => {
                eprintln!("worksection-mcp: {url} did not answer: {e}");
                ExitCode::FAILURE
            }
        },
        Err(e) => {
            eprintln!("worksection-mcp: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn stop_on_signal(shutdown: CancellationToken) {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
    tracing::info!("shutting down");
    shutdown.cancel();
}

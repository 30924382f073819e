//! `worksection-mcp`: the headless Worksection MCP server.
//!
//! `worksection-mcp serve [--demo]` serves an account over streamable HTTP
//! (or stdio with `MCP_TRANSPORT=stdio`); `worksection-mcp bridge` forwards
//! stdio to a server already running over HTTP. Settings come from flags, the
//! environment and a `.env` file; see `worksection-mcp serve --help`.

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use tokio_util::sync::CancellationToken;
use tracing_subscriber::EnvFilter;
use worksection_mcp::config::{LoginArgs, ServeArgs, StoreArgs};

#[derive(Parser)]
#[command(
    name = "worksection-mcp",
    version,
    about = "Serves a Worksection account to AI assistants over MCP (read-only)."
)]
struct Cli {
    /// Log level: error, warn, info, debug or trace (logs go to stderr).
    #[arg(long, env = "LOG_LEVEL", default_value = "info", global = true)]
    log_level: String,

    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve an account (or the demo account with --demo).
    Serve(Box<ServeArgs>),
    /// Sign in to a Worksection account in the browser and save the tokens.
    Login(Box<LoginArgs>),
    /// Check the configuration, the way to Worksection and the folders, with a fix for each problem.
    Doctor(Box<ServeArgs>),
    /// Add this server to an assistant's MCP settings (keeps the rest, with a backup).
    Connect {
        /// Which assistant.
        #[arg(value_enum)]
        client: worksection_mcp::connect::Client,
        /// Put the previous settings file back.
        #[arg(long)]
        undo: bool,
    },
    /// Show or clear the downloaded-files cache of every account.
    Cache {
        #[command(subcommand)]
        action: CacheAction,
        /// Where downloaded files are kept (default: the OS cache directory).
        #[arg(long, env = "FILE_CACHE_PATH", global = true)]
        file_cache_path: Option<std::path::PathBuf>,
    },
    /// Forget a saved sign-in (or every one with --all).
    Logout {
        #[command(flatten)]
        store: StoreArgs,
        /// The account's host, e.g. acme.worksection.com (default: the default account).
        #[arg(long, env = "WORKSECTION_ACCOUNT")]
        account: Option<String>,
        /// Forget every saved sign-in.
        #[arg(long)]
        all: bool,
    },
    /// Speak MCP over stdio and forward it to a server already running over HTTP
    /// (the desktop app's), so one process owns the sign-in and the rate limit.
    Bridge {
        /// The running server's MCP address.
        #[arg(
            long,
            env = "MCP_BRIDGE_URL",
            default_value = "http://127.0.0.1:8000/mcp"
        )]
        url: String,
        /// The bearer token the server wants, if it wants one.
        #[arg(long, env = "MCP_AUTH_TOKEN", hide_env_values = true)]
        auth_token: Option<String>,
    },
    /// Exit 0 when a server answers on /healthz (for container health checks).
    Healthcheck {
        /// The server's port.
        #[arg(long, env = "MCP_SERVER_PORT", default_value_t = 8000)]
        port: u16,
    },
}

#[derive(Subcommand, Clone, Copy)]
enum CacheAction {
    /// Files, bytes and age per account.
    Stats,
    /// Remove every cached file.
    Clear,
}

fn main() -> ExitCode {
    // A missing .env is normal; a broken one is worth a word.
    if let Err(e) = dotenvy::dotenv()
        && !e.not_found()
    {
        eprintln!("worksection-mcp: ignoring .env: {e}");
    }
    let cli = Cli::parse();
    let filter = EnvFilter::try_new(format!(
        "{},hyper=warn,rmcp=warn,rustls=warn,rustls_platform_verifier=warn,h2=warn",
        cli.log_level
    ))
    .unwrap_or_else(|_| EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .init();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("worksection-mcp: could not start: {e}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(async {
        match cli.command {
            Command::Serve(args) => {
                let settings = match args.settings() {
                    Ok(s) => s,
                    Err(e) => {
                        eprintln!("worksection-mcp: {e}");
                        return ExitCode::from(2);
                    }
                };
                let shutdown = CancellationToken::new();
                tokio::spawn(stop_on_signal(shutdown.clone()));
                match worksection_mcp::app::run(&settings, shutdown).await {
                    Ok(()) => ExitCode::SUCCESS,
                    Err(e) => {
                        eprintln!("worksection-mcp: {e}");
                        ExitCode::FAILURE
                    }
                }
            }
            Command::Healthcheck { port } => healthcheck(port).await,
            Command::Bridge { url, auth_token } => {
                let target = worksection_mcp::transport::bridge::BridgeTarget {
                    url,
                    auth_token: auth_token.filter(|t| !t.is_empty()),
                };
                match worksection_mcp::transport::bridge::run(target).await {
                    Ok(()) => ExitCode::SUCCESS,
                    Err(e) => {
                        eprintln!("worksection-mcp: the bridge stopped: {e}");
                        ExitCode::FAILURE
                    }
                }
            }
            Command::Login(args) => login(*args).await,
            Command::Connect { client, undo } => connect(client, undo),
            Command::Cache {
                action,
                file_cache_path,
            } => cache(action, file_cache_path).await,
            Command::Doctor(args) => {
                let checks = worksection_mcp::doctor::run(&args).await;
                for c in &checks {
                    let mark = if c.ok { "ok  " } else { "FAIL" };
                    println!("{mark} {}: {}", c.name, c.detail);
                }
                if checks.iter().all(|c| c.ok) {
                    ExitCode::SUCCESS
                } else {
                    ExitCode::FAILURE
                }
            }
            Command::Logout {
                store,
                account,
                all,
            } => logout(store, account, all),
        }
    })
}

async fn login(args: LoginArgs) -> ExitCode {
    let prepared = args.oauth.settings().and_then(|oauth| {
        let callback = args.callback(&oauth)?;
        let store = args.store.settings()?.open()?;
        Ok((oauth, callback, store))
    });
    let (oauth, callback, store) = match prepared {
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
    match worksection_mcp::login::login(&oauth, &callback, store.as_ref(), announce).await {
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

async fn cache(action: CacheAction, path: Option<std::path::PathBuf>) -> ExitCode {
    use worksection_mcp::file_cache::FileCache;
    let root = match path
        .map(Ok)
        .unwrap_or_else(worksection_mcp::config::default_cache_dir)
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("worksection-mcp: {e}");
            return ExitCode::FAILURE;
        }
    };
    let Ok(entries) = std::fs::read_dir(&root) else {
        eprintln!("The file cache at {} is empty.", root.display());
        return ExitCode::SUCCESS;
    };
    let mut folders: Vec<std::path::PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_dir())
        .collect();
    folders.sort();
    for dir in folders {
        let name = dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        // Limits do not matter for reading stats or clearing.
        let files = FileCache::new(
            dir,
            std::time::Duration::from_secs(u64::MAX / 4),
            u64::MAX,
            u64::MAX,
        );
        match action {
            CacheAction::Stats => {
                let s = files.stats().await;
                println!(
                    "{name}: {} files, {} bytes, oldest {}",
                    s.files,
                    s.bytes,
                    s.oldest_entry
                        .map(|t| t.to_rfc3339())
                        .unwrap_or_else(|| "-".into())
                );
            }
            CacheAction::Clear => {
                let n = files.clear().await;
                println!("{name}: removed {n} files");
            }
        }
    }
    ExitCode::SUCCESS
}

fn connect(client: worksection_mcp::connect::Client, undo: bool) -> ExitCode {
    use worksection_mcp::connect;
    let Some(dirs) = connect::Dirs::of_user() else {
        eprintln!("worksection-mcp: could not find this user's home folder (is HOME set?).");
        return ExitCode::FAILURE;
    };
    if undo {
        let Some(backup) = connect::latest_backup(client, &dirs) else {
            eprintln!(
                "worksection-mcp: there is no backup of {}'s settings to restore.",
                client.label()
            );
            return ExitCode::FAILURE;
        };
        let done = connect::Connected {
            client: client.label(),
            path: client.config_path(&dirs),
            backup: Some(backup.clone()),
            entry: serde_json::Value::Null,
        };
        return match connect::undo(&done) {
            Ok(()) => {
                eprintln!(
                    "Restored {} from {}.",
                    done.path.display(),
                    backup.display()
                );
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("worksection-mcp: {e}");
                ExitCode::FAILURE
            }
        };
    }
    let command = match std::env::current_exe() {
        Ok(p) => p.display().to_string(),
        Err(e) => {
            eprintln!("worksection-mcp: could not tell where this program is: {e}");
            return ExitCode::FAILURE;
        }
    };
    let launch = connect::Launch {
        command,
        args: vec!["serve".into()],
        env: vec![("MCP_TRANSPORT".into(), "stdio".into())],
    };
    match connect::connect(client, &dirs, &launch) {
        Ok(done) => {
            eprintln!(
                "Added \"{}\" to {} ({}):",
                connect::ENTRY_NAME,
                done.client,
                done.path.display()
            );
            println!(
                "{}",
                serde_json::to_string_pretty(&done.entry).unwrap_or_default()
            );
            if let Some(b) = &done.backup {
                eprintln!(
                    "The previous settings are kept in {}; `worksection-mcp connect {} --undo` restores them.",
                    b.display(),
                    clap::ValueEnum::to_possible_value(&client)
                        .map(|v| v.get_name().to_owned())
                        .unwrap_or_default()
                );
            }
            eprintln!("Restart {} to pick it up.", done.client);
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("worksection-mcp: {e}");
            ExitCode::FAILURE
        }
    }
}

fn logout(store: StoreArgs, account: Option<String>, all: bool) -> ExitCode {
    let store = match store.settings().and_then(|s| s.open()) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("worksection-mcp: {e}");
            return ExitCode::from(2);
        }
    };
    let accounts = match store.accounts() {
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
        match store.delete(&t) {
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

/// Asks the local server's `/healthz`; the container image has no curl.
async fn healthcheck(port: u16) -> ExitCode {
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

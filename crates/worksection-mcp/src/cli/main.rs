//! `worksection-mcp`: the headless Worksection MCP server.
//!
//! `worksection-mcp serve [--demo]` serves an account over streamable HTTP
//! (or stdio with `MCP_TRANSPORT=stdio`); `worksection-mcp bridge` forwards
//! stdio to a server already running over HTTP; `worksection-mcp check`
//! calls every tool once against the account and reports each. Settings come from flags, the
//! environment and a `.env` file; see `worksection-mcp serve --help`.

mod cache;
mod check;
mod connect;
mod doctor;
mod login;
mod serve;
#[cfg(feature = "team")]
mod team;

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use tracing_subscriber::EnvFilter;
use worksection_mcp::{ServeArgs, StoreArgs};

use cache::CacheAction;
use login::LoginArgs;

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

    /// Log format: text, or json (one JSON object a line, for log collectors).
    #[arg(long, env = "LOG_FORMAT", default_value = "text", value_parser = ["text", "json"], global = true)]
    log_format: String,

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
    /// Call every tool once, read-only, against the account `serve` would serve, and report each.
    Check(Box<ServeArgs>),
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
        auth_token: Option<worksection::SecretString>,
    },
    /// The people signed in to a team server (`serve --team`): list them, or sign one out.
    #[cfg(feature = "team")]
    Team {
        #[command(subcommand)]
        action: team::TeamAction,
    },
    /// Exit 0 when a server answers on /healthz (for container health checks).
    Healthcheck {
        /// The server's port.
        #[arg(long, env = "MCP_SERVER_PORT", default_value_t = 8000)]
        port: u16,
    },
}

fn main() -> ExitCode {
    // A missing .env is normal; a broken one is worth a word.
    if let Err(e) = dotenvy::dotenv()
        && !e.not_found()
    {
        eprintln!("worksection-mcp: ignoring .env: {e}");
    }
    let cli = Cli::parse();
    // The check prints its own lines; a line per tool call would bury them.
    let level = match (&cli.command, cli.log_level.as_str()) {
        (Command::Check(_), "info") => "warn",
        (_, level) => level,
    };
    let filter = EnvFilter::try_new(format!(
        "{level},hyper=warn,rmcp=warn,rustls=warn,rustls_platform_verifier=warn,h2=warn"
    ))
    .unwrap_or_else(|_| EnvFilter::new("info"));
    let logs = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(false);
    if cli.log_format == "json" {
        logs.json().init();
    } else {
        logs.init();
    }
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
            Command::Serve(args) => serve::command(&args).await,
            Command::Check(args) => check::command(&args).await,
            Command::Healthcheck { port } => serve::healthcheck(port).await,
            #[cfg(feature = "team")]
            Command::Team { action } => team::command(action).await,
            Command::Bridge { url, auth_token } => serve::bridge(url, auth_token).await,
            Command::Login(args) => login::command(*args).await,
            Command::Connect { client, undo } => connect::command(client, undo),
            Command::Cache {
                action,
                file_cache_path,
            } => cache::command(action, file_cache_path).await,
            Command::Doctor(args) => {
                let checks = doctor::run(&args).await;
                for c in &checks {
                    println!("{} {}: {}", c.mark(), c.name, c.detail);
                }
                if checks.iter().all(doctor::Check::ok) {
                    ExitCode::SUCCESS
                } else {
                    ExitCode::FAILURE
                }
            }
            Command::Logout {
                store,
                account,
                all,
            } => login::logout(store, account, all).await,
        }
    })
}

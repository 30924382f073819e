//! `worksection-mcp-desktop --bridge`: this binary as an assistant starts
//! it. It speaks MCP over stdio and forwards to the running app's server,
//! so one process owns the sign-in and the rate limit. It runs before (and
//! without) Tauri: no window, no display, only the app's settings files.

use std::process::ExitCode;
use std::time::{Duration, Instant};

use worksection_mcp::transport::bridge::{self, BridgeTarget};

use crate::error::Error;
use crate::settings::{self, AppSettings};

/// How long the bridge waits for an app it started to serve.
const APP_START_PATIENCE: Duration = Duration::from_secs(30);

/// Forwards stdio to the running app's server, found through the app's
/// settings (port, and the local token when one is on). When the app is
/// not running (the assistant started first, after a reboot), it starts
/// the app minimised to the tray and waits until it serves; the bridge's
/// own patience covers the app restarting later. With `account` (a host)
/// it reaches that signed-in account (`/mcp/<host>`) instead of the
/// default one.
pub fn run(account: Option<String>) -> ExitCode {
    let target = match target(account) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("Worksection MCP bridge: {e}");
            return ExitCode::FAILURE;
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("Worksection MCP bridge could not start: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(bridge::run(target)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("Worksection MCP bridge stopped: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Where to forward to, starting the app first when it does not serve.
fn target(account: Option<String>) -> Result<BridgeTarget, Error> {
    let dir = settings::config_dir()?;
    let s = AppSettings::load(&dir)?;
    if s.mode.is_some() && !serving(s.port) {
        start_app_minimised();
        let until = Instant::now() + APP_START_PATIENCE;
        while !serving(s.port) && Instant::now() < until {
            std::thread::sleep(Duration::from_millis(100));
        }
    }
    // Read after the app started: its first run makes the token.
    let auth_token = if s.local_token {
        settings::local_token(&dir, false)?
    } else {
        None
    };
    let url = match &account {
        None => s.mcp_url(),
        Some(host) => {
            let host = host.trim().trim_end_matches('/');
            if host.is_empty()
                || !host
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || ".-:".contains(c))
            {
                return Err(Error::Invalid(format!(
                    "--account takes an account's host, such as acme.worksection.com (got {host:?})."
                )));
            }
            format!("{}/{host}", s.mcp_url())
        }
    };
    Ok(BridgeTarget { url, auth_token })
}

/// Whether something accepts connections on the app's port.
fn serving(port: u16) -> bool {
    let addr = std::net::SocketAddr::from(([127, 0, 0, 1], port));
    std::net::TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok()
}

/// Starts this app minimised to the tray, on its own (it outlives the
/// bridge and the assistant's process group).
fn start_app_minimised() {
    let Ok(exe) = std::env::current_exe() else {
        return;
    };
    let mut cmd = std::process::Command::new(exe);
    cmd.arg("--minimized")
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null());
    #[cfg(unix)]
    std::os::unix::process::CommandExt::process_group(&mut cmd, 0);
    if let Err(e) = cmd.spawn() {
        eprintln!("Worksection MCP bridge: could not start the app ({e}); open it by hand.");
    }
}

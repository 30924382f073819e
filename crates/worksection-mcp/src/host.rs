//! Hosting the server inside another program (the desktop app): the same
//! accounts, tools and HTTP transport as `worksection-mcp serve`, started
//! and stopped on demand, with handles the host can watch.
//!
//! [`start`] opens the accounts the settings describe ([`open`]: the
//! demo simulator, an admin key, or the signed-in accounts), binds the
//! port, and serves in a task of its own; the returned [`Running`] tells
//! the bound address, the accounts (for health and cache figures) and the
//! number of connected MCP sessions, and [`Running::stop`] shuts it all
//! down, so the host can restart it on the same port after a sign-in or a
//! settings change. Tool calls go to the [`Activity`] feed the host gives.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
#[cfg(feature = "demo")]
use worksection_sim::{SimInfo, Simulator};

use crate::account::Account;
use crate::activity::Activity;
use crate::config::{ConfigError, Settings, Transport};
use crate::open::{Opened, open};
use crate::transport::http;

/// How long [`Running::stop`] waits for open connections to finish before
/// it drops them: an assistant holding a stream open must not stall a
/// restart.
pub const STOP_GRACE: Duration = Duration::from_secs(5);

/// A server serving in the background.
pub struct Running {
    address: SocketAddr,
    opened: Opened,
    sessions: Vec<Arc<LocalSessionManager>>,
    started: Instant,
    shutdown: CancellationToken,
    task: JoinHandle<Result<(), ConfigError>>,
}

impl std::fmt::Debug for Running {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Running")
            .field("address", &self.address)
            .finish_non_exhaustive()
    }
}

/// Opens the accounts and starts serving over streamable HTTP; returns once
/// the port is bound, so a failure to listen is an error here, not later.
pub async fn start(settings: &Settings, activity: Arc<Activity>) -> Result<Running, ConfigError> {
    if settings.transport != Transport::Http {
        return Err(ConfigError(
            "internal: a hosted server always speaks HTTP".into(),
        ));
    }
    let opened = open(settings).await?;
    let servers = opened.servers(Some(&activity));
    let listener = match http::bind(settings).await {
        Ok(l) => l,
        Err(e) => {
            opened.close().await;
            return Err(e);
        }
    };
    let address = listener
        .local_addr()
        .map_err(|e| ConfigError(format!("Could not read the listening address: {e}.")))?;
    let shutdown = CancellationToken::new();
    let (router, sessions) =
        http::router_with_sessions(&servers, settings, address, shutdown.child_token());
    for (_, server) in &servers {
        tracing::info!(%address, account = %server.account().label(), "listening");
    }
    let task = tokio::spawn(http::serve_on(listener, router, shutdown.clone()));
    Ok(Running {
        address,
        opened,
        sessions,
        started: Instant::now(),
        shutdown,
        task,
    })
}

impl Running {
    /// Where the server listens.
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// The MCP address of the default account.
    pub fn mcp_url(&self) -> String {
        format!("http://{}/mcp", self.address)
    }

    /// The served accounts, the default (`/mcp`) first.
    pub fn accounts(&self) -> &[(String, Arc<Account>)] {
        &self.opened.accounts
    }

    /// The demo simulator's details when the demo account is served.
    #[cfg(feature = "demo")]
    pub fn demo(&self) -> Option<&SimInfo> {
        self.opened.demo.as_ref().map(Simulator::info)
    }

    pub fn uptime(&self) -> Duration {
        self.started.elapsed()
    }

    /// MCP sessions open now, over every account's endpoint.
    pub async fn sessions(&self) -> usize {
        let mut n = 0;
        for manager in &self.sessions {
            n += manager.sessions.read().await.len();
        }
        n
    }

    /// Whether the server stopped by itself (it only does on an error).
    pub fn is_finished(&self) -> bool {
        self.task.is_finished()
    }

    /// Stops serving and frees the port; waits at most [`STOP_GRACE`] for
    /// open connections.
    pub async fn stop(self) {
        self.shutdown.cancel();
        let mut task = self.task;
        match tokio::time::timeout(STOP_GRACE, &mut task).await {
            Ok(Ok(Err(e))) => tracing::warn!(error = %e, "the server stopped with an error"),
            Ok(_) => {}
            Err(_) => {
                task.abort();
                let _ = task.await;
            }
        }
        self.opened.close().await;
    }
}

#[cfg(all(test, feature = "demo"))]
mod tests {
    use std::net::{IpAddr, Ipv4Addr};

    use super::*;
    use crate::config::Source;

    fn demo_settings(port: u16, cache: &std::path::Path) -> Settings {
        Settings {
            source: Source::Demo,
            transport: Transport::Http,
            host: IpAddr::V4(Ipv4Addr::LOCALHOST),
            port,
            auth_token: None,
            allowed_hosts: vec![],
            allowed_origins: vec![],
            cache_ttl: Duration::from_secs(60),
            file_cache_root: cache.to_path_buf(),
            file_retention: Duration::from_secs(3600),
            max_file_bytes: 10 << 20,
            file_cache_max_bytes: 100 << 20,
            requests_per_second: 50.0,
            answers: Default::default(),
        }
    }

    #[tokio::test]
    async fn restarts_on_the_same_port() {
        let dir = tempfile::tempdir().expect("tempdir");
        let activity = Arc::new(Activity::new());
        let first = start(&demo_settings(0, dir.path()), activity.clone())
            .await
            .expect("first start");
        let port = first.address().port();
        assert!(first.demo().is_some());
        assert_eq!(first.sessions().await, 0);
        first.stop().await;
        let second = start(&demo_settings(port, dir.path()), activity)
            .await
            .expect("restart on the same port");
        assert_eq!(second.address().port(), port);
        let health = reqwest::get(format!("http://{}/healthz", second.address()))
            .await
            .expect("healthz");
        assert!(health.status().is_success());
        second.stop().await;
    }
}

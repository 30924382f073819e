//! `worksection-mcp doctor`: checks the configuration, the way to
//! Worksection and the folders the server writes, and prints each check
//! with what to do about a failure.
//!
//! It reuses the same checks `serve` runs at start (so the two never
//! disagree), then goes further than `serve` can at start: it resolves and
//! reaches the hosts, makes one real API call, and writes a file in every
//! folder the server will write to. A setup that works but leaves the
//! account open to every program on the computer is a warning, not a
//! failure: the CLI's default stays as it is.

use std::net::{SocketAddr, TcpListener};
use std::path::Path;
use std::time::{Duration, Instant};

use worksection_mcp::{ServeArgs, Settings, Source, Transport, data_dir, open};

/// One line of the report.
pub struct Check {
    pub name: String,
    pub status: Status,
    /// What was found, or what to do.
    pub detail: String,
}

/// How a check came out: only `Fail` makes `doctor` exit non-zero.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Ok,
    /// Works, but deserves a change (said in the detail).
    Warn,
    Fail,
}

impl Check {
    pub fn ok(&self) -> bool {
        self.status != Status::Fail
    }

    /// The report's mark for it.
    pub fn mark(&self) -> &'static str {
        match self.status {
            Status::Ok => "ok  ",
            Status::Warn => "warn",
            Status::Fail => "FAIL",
        }
    }
}

fn pass(name: impl Into<String>, detail: impl Into<String>) -> Check {
    Check {
        name: name.into(),
        status: Status::Ok,
        detail: detail.into(),
    }
}

fn warn(name: impl Into<String>, advice: impl Into<String>) -> Check {
    Check {
        name: name.into(),
        status: Status::Warn,
        detail: advice.into(),
    }
}

fn fail(name: impl Into<String>, fix: impl Into<String>) -> Check {
    Check {
        name: name.into(),
        status: Status::Fail,
        detail: fix.into(),
    }
}

/// Runs every check; later checks are skipped when the configuration
/// itself is wrong, since they would only repeat its failure.
pub async fn run(args: &ServeArgs) -> Vec<Check> {
    let mut out = Vec::new();
    let settings = match args.settings() {
        Ok(s) => {
            out.push(pass("configuration", describe(&s)));
            s
        }
        Err(e) => {
            out.push(fail("configuration", e.to_string()));
            return out;
        }
    };
    out.push(port_check(&settings));
    out.push(access_check(&settings));
    out.push(writable("file cache folder", &settings.file_cache_root));
    if let Ok(dir) = data_dir() {
        out.push(writable("data folder", &dir));
    }
    match &settings.source {
        #[cfg(feature = "demo")]
        Source::Demo => out.push(pass(
            "account",
            "the built-in demo account (no network needed)",
        )),
        Source::ApiKey { account_url, .. } => {
            out.push(reach("account address", account_url.as_str()).await);
        }
        Source::OAuth { oauth, store, .. } => {
            out.push(reach("Worksection sign-in address", &oauth.oauth_url).await);
            match store.open().await {
                Ok(s) => match s.accounts().await {
                    Ok(a) if a.is_empty() => out.push(fail(
                        "saved sign-in",
                        "none yet: run `worksection-mcp login`",
                    )),
                    Ok(a) => out.push(pass(
                        "saved sign-in",
                        format!("{} in {}", a.join(", "), s.kind()),
                    )),
                    Err(e) => out.push(fail("token store", e.to_string())),
                },
                Err(e) => out.push(fail("token store", e.to_string())),
            }
        }
    }
    if out.iter().all(Check::ok) {
        out.push(api_call(&settings).await);
    }
    out
}

fn describe(s: &Settings) -> String {
    let source = match &s.source {
        #[cfg(feature = "demo")]
        Source::Demo => "demo account".to_owned(),
        Source::ApiKey { account_url, .. } => format!("admin API key for {account_url}"),
        Source::OAuth { oauth, .. } => format!(
            "OAuth2 app {} with scopes {}",
            oauth.client_id,
            oauth.scopes.join(",")
        ),
    };
    format!("{source}; {:?} on {}:{}", s.transport, s.host, s.port)
}

fn port_check(s: &Settings) -> Check {
    if s.port == 0 {
        return pass("listening port", "any free port");
    }
    match TcpListener::bind(SocketAddr::new(s.host, s.port)) {
        Ok(_) => pass("listening port", format!("{}:{} is free", s.host, s.port)),
        Err(e) => fail(
            "listening port",
            format!(
                "{}:{} cannot be used ({e}); stop what uses it or set MCP_SERVER_PORT",
                s.host, s.port
            ),
        ),
    }
}

/// Who can read the served account: over HTTP without MCP_AUTH_TOKEN,
/// every program of every user on this computer can (the server refuses
/// to start so on any other address than loopback).
fn access_check(s: &Settings) -> Check {
    const NAME: &str = "local access";
    match s.transport {
        Transport::Stdio => pass(NAME, "stdio only: nothing listens for other programs"),
        Transport::Http if s.auth_token.is_some() => {
            pass(NAME, "clients must send MCP_AUTH_TOKEN as a bearer token")
        }
        Transport::Http => warn(
            NAME,
            format!(
                "{} is served at http://{}:{}/mcp without a token: any program or user on this computer can read it; \
                 set MCP_AUTH_TOKEN (`openssl rand -hex 32`) and give it to your clients as a bearer token",
                served(&s.source),
                s.host,
                s.port
            ),
        ),
    }
}

/// The account a source serves, for a sentence.
fn served(source: &Source) -> String {
    match source {
        #[cfg(feature = "demo")]
        Source::Demo => "the demo account".to_owned(),
        Source::ApiKey { account_url, .. } => format!("the account {account_url}"),
        Source::OAuth { .. } => "every signed-in account".to_owned(),
    }
}

fn writable(name: &str, dir: &Path) -> Check {
    let probe = dir.join(format!(".doctor-{}", std::process::id()));
    let result = std::fs::create_dir_all(dir)
        .and_then(|_| std::fs::write(&probe, b"ok"))
        .and_then(|_| std::fs::remove_file(&probe));
    match result {
        Ok(()) => pass(name, format!("{} is writable", dir.display())),
        Err(e) => fail(
            name,
            format!(
                "{} is not writable ({e}); fix its permissions or point the setting elsewhere",
                dir.display()
            ),
        ),
    }
}

/// DNS, TCP and TLS to a host: any HTTP answer means the way is open.
async fn reach(name: &str, url: &str) -> Check {
    let http = match reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
    {
        Ok(h) => h,
        Err(e) => return fail(name, format!("no HTTP client: {e}")),
    };
    let started = Instant::now();
    match http.get(url).send().await {
        Ok(r) => pass(
            name,
            format!(
                "{url} answered {} in {} ms",
                r.status().as_u16(),
                started.elapsed().as_millis()
            ),
        ),
        Err(e) if e.is_connect() => fail(
            name,
            format!(
                "{url} cannot be reached ({}); check the address, DNS and any proxy or firewall",
                e.without_url()
            ),
        ),
        Err(e) if e.is_timeout() => fail(
            name,
            format!("{url} did not answer within 10 s; check the network"),
        ),
        Err(e) => fail(
            name,
            format!(
                "{url}: {}; check the address and the system's certificates",
                e.without_url()
            ),
        ),
    }
}

/// One real call through the server's own client.
async fn api_call(settings: &Settings) -> Check {
    let opened = match open(settings).await {
        Ok(o) => o,
        Err(e) => return fail("API call", e.to_string()),
    };
    let mut result = pass("API call", "no account");
    for (key, account) in &opened.accounts {
        let started = Instant::now();
        result = match account.probe().await {
            Ok(_) => pass(
                "API call",
                format!("{key} answered in {} ms", started.elapsed().as_millis()),
            ),
            Err(e) => fail("API call", format!("{key}: {e}")),
        };
        if !result.ok() {
            break;
        }
    }
    opened.close().await;
    result
}

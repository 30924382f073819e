//! `worksection-mcp team people` and `team revoke`: the people signed in
//! to a team server, read from its store (the server may be running):
//! the embedded store under `--data-dir`, or, for replicas, the Redis they
//! share (`--redis-url`, with the key the replicas seal with).

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Subcommand};
use worksection::{ExposeSecret, SecretString};
use worksection_team::{KeySource, Shared, Store};

/// Where the team server's store is, and its key (as `serve --team` has them).
#[derive(Debug, Clone, Args)]
pub struct TeamStore {
    /// The team server's data folder (default: the OS data folder).
    #[arg(long, env = "MCP_DATA_DIR")]
    data_dir: Option<PathBuf>,
    /// The store's key, when it is not the key file beside the store.
    #[arg(long, env = "MCP_TEAM_KEY", hide_env_values = true)]
    team_key: Option<SecretString>,
    /// A file holding the store's key.
    #[arg(long, env = "MCP_TEAM_KEY_FILE")]
    team_key_file: Option<PathBuf>,
    /// The Redis the replicas share, when the server runs as replicas.
    #[arg(long, env = "MCP_REDIS_URL", hide_env_values = true)]
    redis_url: Option<SecretString>,
}

#[derive(Debug, Subcommand)]
pub enum TeamAction {
    /// List the people signed in: who, which account, since when, last seen, clients connected.
    People(TeamStore),
    /// Sign a person out: every client of theirs loses access, and their Worksection tokens are forgotten.
    Revoke {
        /// The person's email (or their id as `people` shows it).
        who: String,
        #[command(flatten)]
        store: TeamStore,
    },
}

async fn open(args: &TeamStore) -> Result<Store, String> {
    let dir = match &args.data_dir {
        Some(d) => d.clone(),
        None => worksection_mcp::data_dir()
            .map_err(|e| e.to_string())?
            .join("team"),
    };
    let key = match (&args.team_key, &args.team_key_file) {
        (Some(k), _) if !k.expose_secret().trim().is_empty() => Some(KeySource::Value(
            SecretString::from(k.expose_secret().trim().to_owned()),
        )),
        (_, Some(f)) => Some(KeySource::File(f.clone())),
        _ => None,
    };
    let redis = args
        .redis_url
        .as_ref()
        .map(|u| u.expose_secret().trim())
        .filter(|u| !u.is_empty());
    if let Some(url) = redis {
        return open_shared(url, &dir, key).await;
    }
    if !dir.join(worksection_team::STORE_FILE).exists() {
        return Err(format!(
            "There is no team store in {}; pass the --data-dir (MCP_DATA_DIR) that `serve --team` uses, or the --redis-url (MCP_REDIS_URL) of its replicas.",
            dir.display()
        ));
    }
    Store::open_embedded(&dir, key).map_err(|e| e.to_string())
}

/// The replicas' store in Redis. Unlike a replica, this command makes no
/// key of its own: without the key the replicas seal with (given, or the
/// key file they share in `dir`) it would only read nothing.
async fn open_shared(
    url: &str,
    dir: &std::path::Path,
    key: Option<KeySource>,
) -> Result<Store, String> {
    let key = match key {
        Some(k) => k,
        None if dir.join(worksection_team::KEY_FILE).exists() => {
            KeySource::File(dir.join(worksection_team::KEY_FILE))
        }
        None => {
            return Err(format!(
                "With --redis-url, give the key the replicas seal with: MCP_TEAM_KEY or MCP_TEAM_KEY_FILE (there is no {} in {}).",
                worksection_team::KEY_FILE,
                dir.display()
            ));
        }
    };
    let shared = Shared::connect(url).await.map_err(|e| e.to_string())?;
    if !shared.is_up() {
        return Err(
            "Redis at --redis-url (MCP_REDIS_URL) does not answer; check the address, its password and that Redis runs."
                .to_owned(),
        );
    }
    let store = Store::open_redis(shared, dir, Some(key)).map_err(|e| e.to_string())?;
    store.check_key().await.map_err(|e| e.to_string())?;
    Ok(store)
}

fn when(t: Option<i64>) -> String {
    t.and_then(|s| chrono::DateTime::from_timestamp(s, 0))
        .map(|d| d.format("%Y-%m-%d %H:%M UTC").to_string())
        .unwrap_or_else(|| "never".to_owned())
}

pub async fn command(action: TeamAction) -> ExitCode {
    let result = match &action {
        TeamAction::People(store) => people(store).await,
        TeamAction::Revoke { who, store } => revoke(who, store).await,
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("worksection-mcp: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn people(args: &TeamStore) -> Result<(), String> {
    let store = open(args).await?;
    let people = store.people().await.map_err(|e| e.to_string())?;
    if people.is_empty() {
        println!("Nobody has signed in yet.");
        return Ok(());
    }
    for p in people {
        println!(
            "{email}\t{name}\t{account}\tid {id}\tsigned in {since}\tlast seen {seen}\t{grants} client(s)\t{state}",
            email = p.person.email,
            name = p.person.name,
            account = p.person.account_url,
            id = p.person.id,
            since = when(Some(p.person.signed_in)),
            seen = when(p.last_seen),
            grants = p.grants,
            state = if p.connected {
                "signed in"
            } else {
                "signed out"
            },
        );
    }
    Ok(())
}

async fn revoke(who: &str, args: &TeamStore) -> Result<(), String> {
    let store = open(args).await?;
    if store.revoke_person(who).await.map_err(|e| e.to_string())? {
        println!("Signed out {who}: their clients must sign in again.");
        Ok(())
    } else {
        Err(format!(
            "Nobody signed in as {who}; `worksection-mcp team people` lists who did."
        ))
    }
}

//! Connecting assistants: writes this server's entry into the MCP
//! configuration of Claude Desktop, Claude Code, Cursor or VS Code.
//!
//! People who "just click Connect" must never lose their existing
//! configuration, so the file is read and merged (every other entry kept),
//! a malformed file is refused with a clear message rather than replaced,
//! the previous file is kept as a timestamped backup, the new file is
//! written atomically, and [`undo`] puts the backup back. The desktop app
//! and `worksection-mcp connect` both use this; only the command in the
//! entry differs.

use std::path::{Path, PathBuf};

use chrono::Utc;
use serde_json::{Map, Value, json};
use worksection_auth::write_private;

/// The name of our entry in every client's configuration.
pub const ENTRY_NAME: &str = "worksection";

/// An assistant whose configuration we know how to write.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Client {
    ClaudeDesktop,
    ClaudeCode,
    Cursor,
    #[value(name = "vscode")]
    VsCode,
}

impl Client {
    pub fn label(self) -> &'static str {
        match self {
            Self::ClaudeDesktop => "Claude Desktop",
            Self::ClaudeCode => "Claude Code",
            Self::Cursor => "Cursor",
            Self::VsCode => "VS Code",
        }
    }

    /// Where the client keeps its MCP servers. Claude Desktop and VS Code
    /// use the OS's application-settings folder (`~/Library/Application
    /// Support` on macOS, `%APPDATA%` on Windows, `~/.config` on Linux);
    /// Claude Code and Cursor use the home folder on every OS.
    pub fn config_path(self, dirs: &Dirs) -> PathBuf {
        match self {
            Self::ClaudeDesktop => dirs
                .config
                .join("Claude")
                .join("claude_desktop_config.json"),
            Self::ClaudeCode => dirs.home.join(".claude.json"),
            Self::Cursor => dirs.home.join(".cursor").join("mcp.json"),
            Self::VsCode => dirs.config.join("Code").join("User").join("mcp.json"),
        }
    }

    /// VS Code lists servers under `servers` with a `type`; the others
    /// under `mcpServers`.
    fn key(self) -> &'static str {
        match self {
            Self::VsCode => "servers",
            _ => "mcpServers",
        }
    }
}

/// The folders the paths hang off: the real ones, or a test's.
#[derive(Debug, Clone)]
pub struct Dirs {
    pub home: PathBuf,
    pub config: PathBuf,
}

impl Dirs {
    pub fn of_user() -> Option<Self> {
        let base = directories::BaseDirs::new()?;
        Some(Self {
            home: base.home_dir().to_path_buf(),
            config: base.config_dir().to_path_buf(),
        })
    }
}

/// How the client starts this server: a command with arguments and
/// environment (stdio).
#[derive(Debug, Clone)]
pub struct Launch {
    pub command: String,
    pub args: Vec<String>,
    pub env: Vec<(String, String)>,
}

impl Launch {
    fn entry(&self, client: Client) -> Value {
        let mut entry = Map::new();
        if client == Client::VsCode {
            entry.insert("type".into(), json!("stdio"));
        }
        entry.insert("command".into(), json!(self.command));
        entry.insert("args".into(), json!(self.args));
        if !self.env.is_empty() {
            let env: Map<String, Value> = self
                .env
                .iter()
                .map(|(k, v)| (k.clone(), json!(v)))
                .collect();
            entry.insert("env".into(), Value::Object(env));
        }
        Value::Object(entry)
    }
}

/// What a connect did, to show the person (and to undo).
#[derive(Debug, Clone, serde::Serialize)]
pub struct Connected {
    pub client: &'static str,
    pub path: PathBuf,
    /// The previous file, kept; `None` when there was none.
    pub backup: Option<PathBuf>,
    /// The entry as written.
    pub entry: Value,
}

#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    #[error(
        "{path} is not valid JSON ({reason}); fix or move it and connect again. Nothing was changed."
    )]
    Malformed { path: String, reason: String },
    #[error(
        "{path} holds {what}, not a settings object; fix or move it and connect again. Nothing was changed."
    )]
    NotAnObject { path: String, what: &'static str },
    #[error("Could not write {path}: {reason}. Nothing was changed.")]
    Write { path: String, reason: String },
    #[error("There is no backup to restore for {path}.")]
    NoBackup { path: String },
}

/// Adds (or replaces) our entry, keeping everything else and a backup.
pub fn connect(client: Client, dirs: &Dirs, launch: &Launch) -> Result<Connected, ConnectError> {
    let path = client.config_path(dirs);
    let shown = path.display().to_string();
    let existing = match std::fs::read(&path) {
        Ok(bytes) => Some(bytes),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => {
            return Err(ConnectError::Write {
                path: shown,
                reason: e.to_string(),
            });
        }
    };
    let mut root = match &existing {
        None => Map::new(),
        Some(bytes) if bytes.iter().all(u8::is_ascii_whitespace) => Map::new(),
        Some(bytes) => match serde_json::from_slice::<Value>(bytes) {
            Ok(Value::Object(map)) => map,
            Ok(other) => {
                return Err(ConnectError::NotAnObject {
                    path: shown,
                    what: kind(&other),
                });
            }
            Err(e) => {
                return Err(ConnectError::Malformed {
                    path: shown,
                    reason: format!("line {}, column {}", e.line(), e.column()),
                });
            }
        },
    };
    let servers = root.entry(client.key()).or_insert_with(|| json!({}));
    let Value::Object(servers) = servers else {
        return Err(ConnectError::NotAnObject {
            path: shown,
            what: "a `servers` list that is not an object",
        });
    };
    let entry = launch.entry(client);
    servers.insert(ENTRY_NAME.to_owned(), entry.clone());
    let write_err = |e: std::io::Error| ConnectError::Write {
        path: path.display().to_string(),
        reason: e.to_string(),
    };
    let backup = match existing {
        Some(bytes) => {
            let backup = backup_path(&path);
            write_private(&backup, &bytes).map_err(write_err)?;
            Some(backup)
        }
        None => None,
    };
    // Never write an empty file over the person's settings: a failed encode
    // is an error, not "".
    let mut text =
        serde_json::to_string_pretty(&Value::Object(root)).map_err(|e| ConnectError::Write {
            path: path.display().to_string(),
            reason: e.to_string(),
        })?;
    text.push('\n');
    write_private(&path, text.as_bytes()).map_err(write_err)?;
    Ok(Connected {
        client: client.label(),
        path,
        backup,
        entry,
    })
}

/// Reverses a connect: restores the backup, or removes the file it created.
pub fn undo(done: &Connected) -> Result<(), ConnectError> {
    let shown = done.path.display().to_string();
    let err = |e: std::io::Error| ConnectError::Write {
        path: shown.clone(),
        reason: e.to_string(),
    };
    match &done.backup {
        Some(backup) => {
            let bytes = std::fs::read(backup).map_err(|_| ConnectError::NoBackup {
                path: shown.clone(),
            })?;
            write_private(&done.path, &bytes).map_err(err)
        }
        None => match std::fs::remove_file(&done.path) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(err(e)),
        },
    }
}

/// The newest backup of a client's configuration, for an undo in a later
/// run (the CLI's `connect --undo`).
pub fn latest_backup(client: Client, dirs: &Dirs) -> Option<PathBuf> {
    let path = client.config_path(dirs);
    let dir = path.parent()?;
    let prefix = format!("{}.backup-", path.file_name()?.to_string_lossy());
    let mut found: Vec<PathBuf> = std::fs::read_dir(dir)
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with(&prefix))
        })
        .collect();
    found.sort();
    found.pop()
}

fn backup_path(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    path.with_file_name(format!(
        "{name}.backup-{}",
        Utc::now().format("%Y%m%d-%H%M%S%.3f")
    ))
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Array(_) => "a list",
        Value::String(_) => "a string",
        Value::Number(_) => "a number",
        Value::Bool(_) => "a boolean",
        Value::Null => "null",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dirs(tmp: &Path) -> Dirs {
        Dirs {
            home: tmp.join("home"),
            config: tmp.join("home").join(".config"),
        }
    }

    fn launch() -> Launch {
        Launch {
            command: "/opt/worksection-mcp".into(),
            args: vec!["bridge".into()],
            env: vec![("MCP_SERVER_PORT".into(), "8000".into())],
        }
    }

    #[test]
    fn adds_an_entry_to_a_new_file_and_undo_removes_it() {
        let tmp = tempfile::tempdir().expect("tmp");
        let d = dirs(tmp.path());
        let done = connect(Client::ClaudeDesktop, &d, &launch()).expect("connect");
        assert!(done.backup.is_none());
        let written: Value =
            serde_json::from_slice(&std::fs::read(&done.path).expect("read")).expect("json");
        assert_eq!(
            written["mcpServers"]["worksection"]["args"],
            json!(["bridge"])
        );
        undo(&done).expect("undo");
        assert!(!done.path.exists());
    }

    #[test]
    fn keeps_other_entries_and_settings_and_backs_up() {
        let tmp = tempfile::tempdir().expect("tmp");
        let d = dirs(tmp.path());
        let path = Client::ClaudeDesktop.config_path(&d);
        std::fs::create_dir_all(path.parent().expect("dir")).expect("mkdir");
        let before = r#"{"globalShortcut": "Ctrl+Space", "mcpServers": {"files": {"command": "npx", "args": ["fs"]}}}"#;
        std::fs::write(&path, before).expect("seed");
        let done = connect(Client::ClaudeDesktop, &d, &launch()).expect("connect");
        let written: Value =
            serde_json::from_slice(&std::fs::read(&path).expect("read")).expect("json");
        assert_eq!(written["globalShortcut"], "Ctrl+Space");
        assert_eq!(written["mcpServers"]["files"]["command"], "npx");
        assert_eq!(
            written["mcpServers"]["worksection"]["command"],
            "/opt/worksection-mcp"
        );
        let backup = done.backup.clone().expect("backup");
        assert_eq!(std::fs::read_to_string(&backup).expect("backup"), before);
        assert_eq!(latest_backup(Client::ClaudeDesktop, &d), Some(backup));
        undo(&done).expect("undo");
        assert_eq!(std::fs::read_to_string(&path).expect("restored"), before);
    }

    #[test]
    fn refuses_a_malformed_file_and_changes_nothing() {
        let tmp = tempfile::tempdir().expect("tmp");
        let d = dirs(tmp.path());
        let path = Client::Cursor.config_path(&d);
        std::fs::create_dir_all(path.parent().expect("dir")).expect("mkdir");
        for bad in ["{\"mcpServers\": {", "[1, 2]", "{\"mcpServers\": []}"] {
            std::fs::write(&path, bad).expect("seed");
            let e = connect(Client::Cursor, &d, &launch())
                .expect_err(bad)
                .to_string();
            assert!(e.contains("Nothing was changed"), "{e}");
            assert_eq!(std::fs::read_to_string(&path).expect("same"), bad);
        }
        let files = std::fs::read_dir(path.parent().expect("dir"))
            .expect("ls")
            .count();
        assert_eq!(files, 1, "no backup or temp file left behind");
    }

    #[test]
    fn vscode_uses_its_own_shape() {
        let tmp = tempfile::tempdir().expect("tmp");
        let d = dirs(tmp.path());
        let done = connect(Client::VsCode, &d, &launch()).expect("connect");
        assert!(done.path.ends_with("Code/User/mcp.json"));
        assert_eq!(done.entry["type"], "stdio");
        let written: Value =
            serde_json::from_slice(&std::fs::read(&done.path).expect("read")).expect("json");
        assert!(written["servers"]["worksection"].is_object());
    }
}

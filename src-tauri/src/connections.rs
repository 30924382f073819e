//! Connecting assistants to this app: writing its bridge into an
//! assistant's settings (Claude Desktop, Claude Code, Cursor, VS Code,
//! keeping everything else and a backup) and undoing that, an assistant's
//! own install link, and the Claude Desktop extension. Every way starts
//! this very binary with `--bridge`, which forwards to the running app;
//! none carries a token.

use serde::Serialize;
use worksection_mcp::connect::{self, Client, Connected, Dirs, Launch};

use crate::core::Core;
use crate::error::Error;
use crate::extension;
use crate::opener;
use crate::settings::IDENTIFIER;

/// What a connect wrote, for the dashboard.
#[derive(Debug, Serialize)]
pub struct ConnectView {
    #[serde(flatten)]
    pub done: Connected,
    /// The entry as the file now holds it, indented for reading.
    pub entry_text: String,
}

/// The assistant the page names, by the same names as the CLI's
/// `worksection-mcp connect <client>` (`claude-desktop`, `vscode`, ...).
pub fn client_named(name: &str) -> Result<Client, Error> {
    <Client as clap::ValueEnum>::from_str(name, false)
        .map_err(|_| Error::Invalid(format!("There is no assistant called {name:?} to connect.")))
}

/// How an assistant starts this app: its own binary in bridge mode, which
/// forwards to the running app (the one owner of the sign-in).
fn launch() -> Result<Launch, Error> {
    let exe = std::env::current_exe()
        .map_err(|e| Error::Local(format!("Could not tell where this app is installed: {e}.")))?;
    Ok(Launch {
        command: exe.to_string_lossy().into_owned(),
        args: vec!["--bridge".to_owned()],
        env: vec![],
    })
}

/// Adds the app to an assistant's settings (keeping the rest and a backup).
pub fn connect(core: &Core, client: Client) -> Result<ConnectView, Error> {
    let dirs = Dirs::of_user().ok_or_else(|| {
        Error::Local("Could not find your home folder (is HOME set?); nothing was changed.".into())
    })?;
    let done =
        connect::connect(client, &dirs, &launch()?).map_err(|e| Error::Local(e.to_string()))?;
    let entry_text = serde_json::to_string_pretty(&done.entry).unwrap_or_default();
    core.change(|st| {
        st.tell(format!(
            "Connected {} (wrote {}); restart it to see Worksection's tools. Undo is on the dashboard.",
            done.client,
            done.path.display()
        ));
        st.connected.insert(done.client, done.clone());
    });
    Ok(ConnectView { done, entry_text })
}

/// Puts back what a connect from this window replaced.
pub fn undo(core: &Core, client: Client) -> Result<(), Error> {
    let label = client.label();
    let done = core
        .read(|st| st.connected.get(label).cloned())
        .ok_or_else(|| {
            Error::Invalid(format!(
                "{label} was not connected from this window; nothing to undo."
            ))
        })?;
    connect::undo(&done).map_err(|e| Error::Local(e.to_string()))?;
    core.change(|st| {
        st.connected.remove(label);
        st.tell(match &done.backup {
            Some(_) => format!("Restored {label}'s previous settings."),
            None => format!("Removed the settings file written for {label}."),
        });
    });
    Ok(())
}

/// The install link an assistant documents for adding a server in one
/// click (Cursor's `cursor://…/mcp/install`, VS Code's `vscode:mcp/install`),
/// starting this app's bridge as the Connect buttons do: no token in it.
pub fn install_link(client: Client) -> Result<String, Error> {
    use base64::Engine as _;
    let launch = launch()?;
    let encode =
        |text: &str| url::form_urlencoded::byte_serialize(text.as_bytes()).collect::<String>();
    match client {
        Client::Cursor => {
            let config = serde_json::json!({"command": launch.command, "args": launch.args});
            let b64 = base64::engine::general_purpose::STANDARD.encode(config.to_string());
            Ok(format!(
                "cursor://anysphere.cursor-deeplink/mcp/install?name=worksection&config={}",
                encode(&b64)
            ))
        }
        Client::VsCode => {
            let config = serde_json::json!({"name": "worksection", "command": launch.command, "args": launch.args});
            Ok(format!(
                "vscode:mcp/install?{}",
                encode(&config.to_string())
            ))
        }
        other => Err(Error::Invalid(format!(
            "{} has no install link; use its Connect button.",
            other.label()
        ))),
    }
}

/// Opens an assistant's install link with the system (the assistant then
/// asks the person to confirm).
pub fn open_install_link(core: &Core, client: Client) -> Result<String, Error> {
    let link = install_link(client)?;
    opener::open(&link).map_err(|e| {
        Error::Local(format!(
            "Could not hand the link to {} ({e}); is it installed? Its Connect button writes its settings instead.",
            client.label()
        ))
    })?;
    core.change(|st| {
        st.tell(format!(
            "Sent the install link to {}: confirm there.",
            client.label()
        ));
    });
    Ok(link)
}

/// Makes the Claude Desktop extension (`.mcpb`) from this app, saves it in
/// the person's Downloads folder (else the app's cache folder) and opens
/// it with the system, which hands it to Claude Desktop's installer.
pub async fn install_claude_extension(core: &Core) -> Result<String, Error> {
    let dir = directories::UserDirs::new()
        .and_then(|u| u.download_dir().map(std::path::Path::to_path_buf))
        .or_else(|| directories::BaseDirs::new().map(|b| b.cache_dir().join(IDENTIFIER)))
        .ok_or_else(|| {
            Error::Local(
                "Could not find your Downloads folder (is HOME set?); nothing was saved.".into(),
            )
        })?;
    let path = tauri::async_runtime::spawn_blocking(move || extension::write(&dir))
        .await
        .map_err(|e| Error::Local(format!("Could not make the extension: {e}.")))??;
    let shown = path.display().to_string();
    let told = match opener::open(&shown) {
        Ok(()) => format!("Saved {shown} and opened it: confirm the install in Claude Desktop."),
        Err(e) => format!(
            "Saved {shown}, but could not open it ({e}): drag it onto Claude Desktop's Settings → Extensions."
        ),
    };
    core.change(|st| st.tell(told));
    Ok(shown)
}

#[cfg(test)]
mod tests {
    use base64::Engine as _;

    use super::*;

    fn query_of(link: &str) -> String {
        let (_, query) = link.split_once('?').expect("a query");
        query.to_owned()
    }

    #[test]
    fn install_links_start_the_bridge_and_carry_no_token() {
        let cursor = install_link(Client::Cursor).expect("cursor");
        assert!(cursor.starts_with(
            "cursor://anysphere.cursor-deeplink/mcp/install?name=worksection&config="
        ));
        let pairs: Vec<(String, String)> =
            url::form_urlencoded::parse(query_of(&cursor).as_bytes())
                .into_owned()
                .collect();
        let config = &pairs.iter().find(|(k, _)| k == "config").expect("config").1;
        let json: serde_json::Value = serde_json::from_slice(
            &base64::engine::general_purpose::STANDARD
                .decode(config)
                .expect("base64"),
        )
        .expect("json");
        assert_eq!(json["args"], serde_json::json!(["--bridge"]));
        assert!(json.get("headers").is_none() && json.get("env").is_none());

        let vscode = install_link(Client::VsCode).expect("vscode");
        assert!(vscode.starts_with("vscode:mcp/install?"));
        let decoded: String =
            url::form_urlencoded::parse(format!("x={}", query_of(&vscode)).as_bytes())
                .map(|(_, v)| v.into_owned())
                .collect();
        let json: serde_json::Value = serde_json::from_str(&decoded).expect("json");
        assert_eq!(json["name"], "worksection");
        assert_eq!(json["args"], serde_json::json!(["--bridge"]));
        assert!(install_link(Client::ClaudeCode).is_err());
    }
}

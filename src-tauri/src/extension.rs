//! The Claude Desktop extension (`.mcpb`, an MCP Bundle): a zip of
//! `manifest.json`, the app's icon and this very binary, which Claude
//! Desktop starts with `--bridge` (as the Connect button's entry does).
//!
//! The entry point is the desktop binary itself rather than a separate
//! bridge binary: the bridge's work (reading the app's port and local
//! token, starting the app when it is not running, reopening the session
//! after the app restarts) lives here, and a bundle made by the installed
//! app is then always the same version as the app it reaches.
//!
//! [`manifest`] is the one description of the bundle: `--mcpb-manifest`
//! prints it ([`print_manifest`]) for `scripts/mcpb`, which packs release
//! bundles with the MCPB CLI, and [`write`] packs the same manifest with
//! the running binary on a person's computer, for the dashboard's
//! "Install in Claude Desktop" (`connections`).
//! Its tool list comes from the server's registry.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use serde_json::{Value, json};

use crate::error::Error;

/// The bundle's manifest format (the MCPB spec's version 0.3).
const MANIFEST_VERSION: &str = "0.3";
/// Where the binary sits inside the bundle.
const SERVER_DIR: &str = "server";
/// The app's icon (512 px, the size Claude Desktop shows best), as the
/// bundle's `icon.png`.
const ICON: &[u8] = include_bytes!("../../icons/icon.png");

/// The manifest of a bundle whose binary is named `exe_name`.
pub fn manifest(exe_name: &str) -> Value {
    let tools: Vec<Value> = worksection_mcp::Registry::new()
        .list()
        .iter()
        .map(|t| {
            let description = t
                .description
                .as_deref()
                .map(first_sentence)
                .unwrap_or_default();
            json!({"name": t.name, "description": description})
        })
        .collect();
    let entry = format!("{SERVER_DIR}/{exe_name}");
    json!({
        "manifest_version": MANIFEST_VERSION,
        "name": "worksection-mcp",
        "display_name": "Worksection",
        "version": env!("CARGO_PKG_VERSION"),
        "description": "Your Worksection projects, tasks, comments, files and time in Claude, read-only.",
        "long_description": "Reaches your Worksection account through the Worksection MCP app on this computer, \
            which keeps your sign-in. Open the app and sign in first; if it is not running, the extension starts it. \
            Read-only: nothing in Worksection is changed.",
        "author": {"name": "Worksection MCP"},
        "license": env!("CARGO_PKG_LICENSE"),
        "icon": "icon.png",
        "server": {
            "type": "binary",
            "entry_point": entry,
            "mcp_config": {
                "command": format!("${{__dirname}}/{entry}"),
                "args": ["--bridge"],
            },
        },
        "tools": tools,
        "keywords": ["worksection", "projects", "tasks", "time tracking"],
        "compatibility": {"platforms": [platform()]},
    })
}

/// The bundle's name for this platform.
fn platform() -> &'static str {
    if cfg!(target_os = "macos") {
        "darwin"
    } else if cfg!(windows) {
        "win32"
    } else {
        "linux"
    }
}

/// A tool's description up to its first sentence (the manifest's list is
/// for a person browsing extensions; the model reads the full one).
fn first_sentence(text: &str) -> String {
    let line = text.lines().next().unwrap_or_default();
    match line.find(". ") {
        Some(i) => line[..=i].to_owned(),
        None => line.to_owned(),
    }
}

/// Packs the bundle with the running binary into `dir` (made if missing);
/// answers the file's path.
pub fn write(dir: &Path) -> Result<PathBuf, Error> {
    let local = Error::Local;
    let exe = std::env::current_exe()
        .map_err(|e| local(format!("Could not tell where this app is installed: {e}.")))?;
    let exe_name = exe
        .file_name()
        .and_then(|n| n.to_str())
        .ok_or_else(|| {
            local("This app's file name is not text; the extension cannot name it.".into())
        })?
        .to_owned();
    let mut binary = std::fs::File::open(&exe)
        .map_err(|e| local(format!("Could not read {}: {e}.", exe.display())))?;
    let manifest = serde_json::to_vec_pretty(&manifest(&exe_name))
        .map_err(|e| local(format!("Could not write the manifest: {e}.")))?;
    std::fs::create_dir_all(dir)
        .map_err(|e| local(format!("Could not create {}: {e}.", dir.display())))?;
    let path = dir.join("Worksection.mcpb");
    let failed =
        |e: &dyn std::fmt::Display| local(format!("Could not write {}: {e}.", path.display()));
    let file = tempfile::NamedTempFile::new_in(dir).map_err(|e| failed(&e))?;
    let mut zip = zip::ZipWriter::new(file);
    let plain = zip::write::SimpleFileOptions::default();
    for (name, bytes) in [("manifest.json", &manifest[..]), ("icon.png", ICON)] {
        zip.start_file(name, plain).map_err(|e| failed(&e))?;
        zip.write_all(bytes).map_err(|e| failed(&e))?;
    }
    // Stored as it is: the bundle stays on this computer, and deflating
    // the binary would only make the click slower.
    let runnable = plain
        .compression_method(zip::CompressionMethod::Stored)
        .large_file(
            binary
                .metadata()
                .map(|m| m.len() >= u32::MAX as u64)
                .unwrap_or(true),
        )
        .unix_permissions(0o755);
    zip.start_file(format!("{SERVER_DIR}/{exe_name}"), runnable)
        .map_err(|e| failed(&e))?;
    std::io::copy(&mut binary, &mut zip).map_err(|e| failed(&e))?;
    let file = zip.finish().map_err(|e| failed(&e))?;
    file.persist(&path).map_err(|e| failed(&e.error))?;
    Ok(path)
}

/// `--mcpb-manifest`: the manifest for this binary, on stdout (for
/// `scripts/mcpb`).
pub fn print_manifest() -> ExitCode {
    let name = std::env::current_exe()
        .ok()
        .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
        .unwrap_or_else(|| "worksection-mcp-desktop".to_owned());
    match serde_json::to_string_pretty(&manifest(&name)) {
        Ok(text) => {
            println!("{text}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("Worksection MCP: could not write the manifest: {e}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_manifest_runs_the_bundled_binary_as_a_bridge_and_lists_every_tool() {
        let m = manifest("worksection-mcp-desktop");
        assert_eq!(m["server"]["type"], "binary");
        assert_eq!(m["server"]["entry_point"], "server/worksection-mcp-desktop");
        assert_eq!(
            m["server"]["mcp_config"]["command"],
            "${__dirname}/server/worksection-mcp-desktop"
        );
        assert_eq!(m["server"]["mcp_config"]["args"], json!(["--bridge"]));
        let tools = m["tools"].as_array().map(Vec::len).unwrap_or_default();
        assert_eq!(tools, worksection_mcp::Registry::new().list().len());
        assert!(m["tools"].as_array().into_iter().flatten().all(|t| {
            t["description"]
                .as_str()
                .is_some_and(|d| !d.is_empty() && !d.contains('\n'))
        }));
    }

    #[test]
    fn a_description_is_cut_at_its_first_sentence() {
        assert_eq!(
            first_sentence("Lists projects. Use it first."),
            "Lists projects."
        );
        assert_eq!(first_sentence("One line\nmore"), "One line");
        assert_eq!(first_sentence("v1.2 is fine"), "v1.2 is fine");
    }
}

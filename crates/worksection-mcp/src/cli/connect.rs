//! `worksection-mcp connect`: adds this server to an assistant's MCP
//! settings (the writing itself is the library's, shared with the
//! desktop app's Connect buttons).

use std::process::ExitCode;

use worksection_mcp::connect;

/// Runs `worksection-mcp connect`.
pub fn command(client: connect::Client, undo: bool) -> ExitCode {
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

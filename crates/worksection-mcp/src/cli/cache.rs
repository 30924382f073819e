//! `worksection-mcp cache stats|clear`: the downloaded-files cache of
//! every account, read or emptied without starting a server.

use std::process::ExitCode;

use clap::Subcommand;
use worksection_mcp::{FileCache, default_cache_dir};

#[derive(Subcommand, Clone, Copy)]
pub enum CacheAction {
    /// Files, bytes and age per account.
    Stats,
    /// Remove every cached file.
    Clear,
}

/// Runs `worksection-mcp cache`.
pub async fn command(action: CacheAction, path: Option<std::path::PathBuf>) -> ExitCode {
    let root = match path.map(Ok).unwrap_or_else(default_cache_dir) {
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

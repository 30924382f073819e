//! The figures that move by themselves while the server runs: its open
//! sessions, and the file cache's files, size and hit rate. They are
//! measured into the state when something moved them, never on a timer:
//! after every server start and every tool call (`activity`), after the
//! cache is cleared, and whenever a file appears in or leaves the file
//! cache's folder, which the OS tells this app (inotify, FSEvents,
//! ReadDirectoryChanges, through `notify`): an assistant reading a file
//! as a resource makes no tool call, and the dashboard still counts it.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use notify::{RecursiveMode, Watcher as _};
use worksection_mcp::FileCacheStats;
use worksection_mcp::host::Running;

use crate::core::Core;
use crate::snapshot::CacheView;

/// How long after a change in the file cache's folder it is measured
/// (a file arrives as a few writes and a rename: one look for them all).
const SETTLE: Duration = Duration::from_millis(100);

/// Measures the running server's figures into the state.
pub async fn measure(core: &Core) {
    let server = core.server.lock().await;
    measure_with(core, server.as_ref()).await;
}

/// [`measure`] when the caller holds the server already.
pub async fn measure_with(core: &Core, server: Option<&Running>) {
    let (running, sessions, cache) = match server {
        Some(r) => (!r.is_finished(), r.sessions().await, cache_view(r).await),
        None => (false, 0, None),
    };
    core.change_if(|st| {
        let changed =
            (st.server.running, st.server.sessions, &st.cache) != (running, sessions, &cache);
        st.server.running = running;
        st.server.sessions = sessions;
        st.cache = cache;
        changed
    });
}

/// The file cache figures summed over every served account; `None` when
/// no account is served.
async fn cache_view(r: &Running) -> Option<CacheView> {
    let mut total: Option<FileCacheStats> = None;
    for (_, account) in r.accounts() {
        let s = account.files().stats().await;
        total = Some(match total {
            None => s,
            Some(mut t) => {
                t.files += s.files;
                t.bytes += s.bytes;
                t.hits += s.hits;
                t.misses += s.misses;
                t
            }
        });
    }
    let t = total?;
    let asked = t.hits + t.misses;
    Some(CacheView {
        files: t.files,
        bytes: t.bytes,
        hits: t.hits,
        misses: t.misses,
        // Of the sums, not the accounts' own rates.
        hit_rate: if asked == 0 {
            0.0
        } else {
            t.hits as f64 / asked as f64
        },
        retention_hours: t.retention_hours,
        max_total_size_mb: t.max_total_size_mb,
    })
}

/// Makes each served account's cache folder (private, as the cache makes
/// it) before any file is written there, so the watch on the folder
/// above sees every file from the first.
pub fn prepare_folders(r: &Running) {
    for (_, account) in r.accounts() {
        if let Err(e) = private_folder(account.files().dir()) {
            tracing::warn!(error = %e, "the file cache's folder could not be made");
        }
    }
}

fn private_folder(dir: &Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)
}

/// The folder every account's file cache lives under.
fn cache_root(core: &Core) -> Option<PathBuf> {
    match &core.env.file_cache_path {
        Some(p) => Some(p.clone()),
        None => worksection_mcp::default_cache_dir().ok(),
    }
}

/// Watches the file cache's folder for as long as the app runs, and
/// measures the figures after each change in it. Where the folder cannot
/// be watched the figures still move with every tool call.
pub fn watch_files(core: Arc<Core>) {
    let Some(root) = cache_root(&core) else {
        return;
    };
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let watcher = private_folder(&root)
        .map_err(notify::Error::io)
        .and_then(|()| {
            notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
                if event.is_ok_and(|e| !e.kind.is_access()) {
                    let _ = tx.send(());
                }
            })
        })
        .and_then(|mut w| w.watch(&root, RecursiveMode::Recursive).map(|()| w));
    let watcher = match watcher {
        Ok(w) => w,
        Err(e) => {
            tracing::warn!(error = %e, folder = %root.display(), "the file cache's folder is not watched");
            return;
        }
    };
    tauri::async_runtime::spawn(async move {
        // Kept for as long as the task runs: dropping it stops the watch.
        let _watcher = watcher;
        while rx.recv().await.is_some() {
            tokio::time::sleep(SETTLE).await;
            while rx.try_recv().is_ok() {}
            measure(&core).await;
        }
    });
}

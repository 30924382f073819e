//! The figures that move by themselves while the server runs: its open
//! sessions, and the file cache's files, size and hit rate. They are
//! measured into the state when something moved them, never on a timer:
//! after every server start and every tool call (`activity`), after the
//! cache is cleared, when an MCP session begins or ends (the server's
//! session span, seen by [`sessions_layer`]), and when a file appears in
//! or leaves the file cache's folder, which the OS tells this app
//! (inotify, FSEvents, ReadDirectoryChanges, through `notify`): an
//! assistant reading a file as a resource makes no tool call, and the
//! dashboard still counts it.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use notify::{RecursiveMode, Watcher as _};
use tokio::sync::Notify;
use tracing::Subscriber;
use tracing_subscriber::Layer;
use tracing_subscriber::layer::Context;
use tracing_subscriber::registry::LookupSpan;
use worksection_mcp::FileCacheStats;
use worksection_mcp::host::Running;

use crate::core::Core;
use crate::snapshot::CacheView;

/// Told when a figure may have moved; [`follow`] measures them then. One
/// for the process, as the tracing subscriber that tells it is.
static MOVED: Notify = Notify::const_new();

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

/// Measures the figures whenever something moved them, for as long as
/// the app runs, and watches the file cache's folder for that. Where the
/// folder cannot be watched the figures still move with every tool call.
pub fn follow(core: Arc<Core>) {
    let watcher = cache_root(&core).and_then(|root| match watch(&root) {
        Ok(w) => Some(w),
        Err(e) => {
            tracing::warn!(error = %e, folder = %root.display(), "the file cache's folder is not watched");
            None
        }
    });
    tauri::async_runtime::spawn(async move {
        // Kept for as long as the task runs: dropping it ends the watch.
        let _watcher = watcher;
        loop {
            MOVED.notified().await;
            tokio::time::sleep(SETTLE).await;
            measure(&core).await;
        }
    });
}

/// Watches `root` and everything under it; a change tells [`MOVED`].
fn watch(root: &Path) -> notify::Result<notify::RecommendedWatcher> {
    private_folder(root).map_err(notify::Error::io)?;
    let mut watcher = notify::recommended_watcher(|event: notify::Result<notify::Event>| {
        if event.is_ok_and(|e| !e.kind.is_access()) {
            MOVED.notify_one();
        }
    })?;
    watcher.watch(root, RecursiveMode::Recursive)?;
    Ok(watcher)
}

/// A tracing layer that tells [`MOVED`] when an MCP session begins or
/// ends: rmcp runs each session of its streamable HTTP server in a span
/// named `streamable_http_session` that lives as long as the session. It
/// carries its own filter, so it works whatever the log level (as the
/// server's own `upstream_layer` does).
pub fn sessions_layer<S>() -> impl Layer<S>
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    SessionSpans.with_filter(tracing_subscriber::filter::filter_fn(|meta| {
        meta.is_span()
            && meta.name() == "streamable_http_session"
            && meta.target().starts_with("rmcp::")
    }))
}

struct SessionSpans;

impl<S: Subscriber> Layer<S> for SessionSpans {
    fn on_new_span(
        &self,
        _: &tracing::span::Attributes<'_>,
        _: &tracing::span::Id,
        _: Context<'_, S>,
    ) {
        MOVED.notify_one();
    }

    fn on_close(&self, _: tracing::span::Id, _: Context<'_, S>) {
        MOVED.notify_one();
    }
}

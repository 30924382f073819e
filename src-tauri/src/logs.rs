//! The app's logs: to stderr, and to files in the OS log folder (Linux:
//! `~/.local/share/com.worksection.mcp/logs`, macOS:
//! `~/Library/Logs/com.worksection.mcp`, Windows:
//! `%LOCALAPPDATA%\com.worksection.mcp\logs`), which the tray's "Open
//! logs" opens.
//!
//! One way in: `tracing`. Every crate of the project logs with it, and the
//! `log` records of the libraries (Tauri, wry) reach it through
//! tracing-subscriber's log bridge. tauri-plugin-log provides only the
//! file: its logger (the OS folder, rotation by size, the last few files
//! kept) is built with `split` and used as one more writer of tracing's
//! formatter, so the file holds the very lines stderr gets. The other way
//! round (tracing into `log`, with the plugin as the global `log` logger)
//! would flatten the events' fields and fight the log bridge for the one
//! global `log` slot. The plugin's own part, a command for the page to
//! log through, is not registered: the page logs nothing.
//!
//! What is logged keeps the project's rules: no token, secret, API key or
//! authorization code in any line (secrets print as `***`, and a request
//! to Worksection is logged by its action's name only).

use std::io::Write;
use std::path::PathBuf;
use std::sync::OnceLock;

use tauri::{AppHandle, Manager};
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::layer::SubscriberExt as _;
use tracing_subscriber::util::SubscriberInitExt as _;
use tracing_subscriber::{EnvFilter, Layer as _};

use crate::error::Error;
use crate::figures;
use crate::opener;

/// The log file's name (`worksection-mcp.log`, older ones dated beside it).
const FILE_NAME: &str = "worksection-mcp";
/// A file is rotated past this size...
const MAX_FILE_BYTES: u128 = 2 << 20;
/// ...and this many rotated files are kept.
const KEEP_FILES: usize = 5;

/// The file logger, once the app knows its log folder (lines before that
/// go to stderr only).
static FILE: OnceLock<Box<dyn log::Log>> = OnceLock::new();

/// Logs to stderr at LOG_LEVEL (info by default), and to the log file once
/// [`to_files`] ran, with the activity feed's upstream-request counter and
/// the sessions' watcher (`figures`) beside them.
pub fn init() {
    let level = std::env::var("LOG_LEVEL").unwrap_or_else(|_| "info".into());
    let filter = || {
        EnvFilter::try_new(format!(
            "{level},hyper=warn,rmcp=warn,rustls=warn,h2=warn,tao=warn,wry=warn"
        ))
        .unwrap_or_else(|_| EnvFilter::new("info"))
    };
    let _ = tracing_subscriber::registry()
        .with(
            tracing_subscriber::fmt::layer()
                .with_writer(std::io::stderr)
                .with_ansi(false)
                .with_filter(filter()),
        )
        .with(
            tracing_subscriber::fmt::layer()
                .with_writer(ToFile)
                .with_ansi(false)
                .with_filter(filter()),
        )
        .with(worksection_mcp::upstream_layer())
        .with(figures::sessions_layer())
        .try_init();
}

/// Starts writing the log files, in the OS log folder.
pub fn to_files(app: &AppHandle) -> Result<(), Error> {
    let (_plugin, _level, logger) = tauri_plugin_log::Builder::new()
        .clear_targets()
        .target(tauri_plugin_log::Target::new(
            tauri_plugin_log::TargetKind::LogDir {
                file_name: Some(FILE_NAME.into()),
            },
        ))
        .max_file_size(MAX_FILE_BYTES)
        .rotation_strategy(tauri_plugin_log::RotationStrategy::KeepSome(KEEP_FILES))
        // The line is tracing's, already formatted.
        .clear_format()
        .split(app)
        .map_err(|e| Error::Local(format!("could not open the log folder: {e}")))?;
    FILE.set(logger)
        .map_err(|_| Error::Local("the log files were already open".to_owned()))
}

/// The OS log folder of this app.
fn folder(app: &AppHandle) -> Result<PathBuf, Error> {
    app.path()
        .app_log_dir()
        .map_err(|e| Error::Local(format!("Could not tell where the logs are kept: {e}.")))
}

/// Opens the folder of the log files with the system's file manager;
/// answers where it is.
pub fn open(app: &AppHandle) -> Result<String, Error> {
    let dir = folder(app)?;
    std::fs::create_dir_all(&dir)
        .and_then(|()| opener::open(&dir.to_string_lossy()))
        .map_err(|e| {
            Error::Local(format!(
                "Could not open the logs folder ({e}); it is {}.",
                dir.display()
            ))
        })?;
    Ok(dir.to_string_lossy().into_owned())
}

/// tracing's writer for the log file: one formatted event, handed to the
/// plugin's logger as one record when the formatter is done with it.
struct ToFile;

struct Line {
    level: log::Level,
    text: Vec<u8>,
}

impl Write for Line {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.text.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Drop for Line {
    fn drop(&mut self) {
        let Some(file) = FILE.get() else {
            return;
        };
        let text = String::from_utf8_lossy(&self.text);
        let text = text.trim_end();
        if text.is_empty() {
            return;
        }
        file.log(
            &log::Record::builder()
                .level(self.level)
                .target("worksection_mcp_desktop")
                .args(format_args!("{text}"))
                .build(),
        );
        file.flush();
    }
}

impl<'a> MakeWriter<'a> for ToFile {
    type Writer = Line;

    fn make_writer(&'a self) -> Line {
        Line {
            level: log::Level::Info,
            text: Vec::new(),
        }
    }

    fn make_writer_for(&'a self, meta: &tracing::Metadata<'_>) -> Line {
        let level = match *meta.level() {
            tracing::Level::ERROR => log::Level::Error,
            tracing::Level::WARN => log::Level::Warn,
            tracing::Level::INFO => log::Level::Info,
            tracing::Level::DEBUG => log::Level::Debug,
            tracing::Level::TRACE => log::Level::Trace,
        };
        Line {
            level,
            text: Vec::new(),
        }
    }
}

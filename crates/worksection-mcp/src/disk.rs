//! A private folder on disk, with its sweep: where the file cache keeps
//! attachments and the paging keeps offloaded answers.
//!
//! The folder is readable by this user only (0700, files 0600, through
//! `worksection_auth::write_private`), and every write goes to a temporary
//! file renamed into place, so a crash or a full disk never leaves a
//! half-written file that a later read would trust. Names are the owner's
//! own (`<id>.<ext>`, lowercase letters and digits only, checked here),
//! never upstream text, so nothing upstream can steer a path. An *entry*
//! is every file of one id (`7.bin` and `7.json`); a [`Disk::sweep`]
//! removes entries past the retention and temporary files a crash left,
//! then the oldest entries until at most `max_entries` and `max_bytes`
//! remain (the newest always stays).

use std::collections::BTreeMap;
use std::io;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

/// A temporary file older than this was left by a crash.
const STALE_TEMPORARY: Duration = Duration::from_secs(60);

#[derive(Debug, Clone)]
pub(crate) struct Disk {
    dir: PathBuf,
    retention: Duration,
    max_entries: usize,
    max_bytes: u64,
}

/// One entry: the files of one id.
#[derive(Debug)]
pub(crate) struct Entry {
    pub id: String,
    /// When its newest file was written.
    pub written: SystemTime,
    pub bytes: u64,
    files: Vec<PathBuf>,
}

impl Disk {
    pub(crate) fn new(
        dir: PathBuf,
        retention: Duration,
        max_entries: usize,
        max_bytes: u64,
    ) -> Self {
        Self {
            dir,
            retention,
            max_entries: max_entries.max(1),
            max_bytes,
        }
    }

    pub(crate) fn dir(&self) -> &Path {
        &self.dir
    }

    pub(crate) fn retention(&self) -> Duration {
        self.retention
    }

    /// Writes the file whole or not at all, off the async threads.
    pub(crate) async fn write(&self, name: &str, bytes: &[u8]) -> io::Result<()> {
        let path = self.path(name)?;
        tokio::fs::create_dir_all(&self.dir).await?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            tokio::fs::set_permissions(&self.dir, std::fs::Permissions::from_mode(0o700)).await?;
        }
        let bytes = bytes.to_vec();
        tokio::task::spawn_blocking(move || worksection_auth::write_private(&path, &bytes))
            .await
            .map_err(io::Error::other)?
    }

    /// The file's bytes and when it was written; `None` when it is missing
    /// or past the retention.
    pub(crate) async fn read(&self, name: &str) -> Option<(Vec<u8>, SystemTime)> {
        let path = self.path(name).ok()?;
        let written = tokio::fs::metadata(&path).await.ok()?.modified().ok()?;
        if !self.is_fresh(written) {
            return None;
        }
        let bytes = tokio::fs::read(&path).await.ok()?;
        Some((bytes, written))
    }

    pub(crate) fn is_fresh(&self, written: SystemTime) -> bool {
        SystemTime::now()
            .duration_since(written)
            .map_or(true, |age| age < self.retention)
    }

    /// The fresh entries, oldest first.
    pub(crate) async fn entries(&self) -> Vec<Entry> {
        let (mut entries, _) = self.scan().await;
        entries.retain(|e| self.is_fresh(e.written));
        entries
    }

    /// Removes what is past the retention and stale temporary files, then
    /// the oldest entries until within the caps.
    pub(crate) async fn sweep(&self) {
        let (entries, stale) = self.scan().await;
        for path in stale {
            let _ = tokio::fs::remove_file(path).await;
        }
        // Newest first: the newest entries that fit stay.
        let (mut newer, mut total) = (0usize, 0u64);
        for e in entries.iter().rev() {
            if !self.is_fresh(e.written) {
                remove(e).await;
                continue;
            }
            total = total.saturating_add(e.bytes);
            if newer >= self.max_entries || (newer > 0 && total > self.max_bytes) {
                remove(e).await;
            }
            newer += 1;
        }
    }

    /// Removes every entry and temporary file; returns how many entries
    /// went.
    pub(crate) async fn clear(&self) -> usize {
        let (entries, _) = self.scan().await;
        let mut removed = 0;
        for e in &entries {
            if remove(e).await {
                removed += 1;
            }
        }
        for path in self.temporaries().await {
            let _ = tokio::fs::remove_file(path).await;
        }
        removed
    }

    /// Every entry (oldest first), and the temporary files a crash left.
    async fn scan(&self) -> (Vec<Entry>, Vec<PathBuf>) {
        let mut by_id: BTreeMap<String, Entry> = BTreeMap::new();
        let mut stale = Vec::new();
        let Ok(mut dir) = tokio::fs::read_dir(&self.dir).await else {
            return (Vec::new(), stale);
        };
        let now = SystemTime::now();
        while let Ok(Some(file)) = dir.next_entry().await {
            let name = file.file_name();
            let Some(name) = name.to_str() else { continue };
            let Ok(meta) = file.metadata().await else {
                continue;
            };
            let written = meta.modified().unwrap_or(now);
            if name.ends_with(".tmp") {
                if now.duration_since(written).unwrap_or_default() > STALE_TEMPORARY {
                    stale.push(file.path());
                }
                continue;
            }
            let Some((id, _)) = split(name) else { continue };
            let e = by_id.entry(id.to_owned()).or_insert_with(|| Entry {
                id: id.to_owned(),
                written,
                bytes: 0,
                files: Vec::new(),
            });
            e.written = e.written.max(written);
            e.bytes += meta.len();
            e.files.push(file.path());
        }
        let mut entries: Vec<Entry> = by_id.into_values().collect();
        entries.sort_by_key(|e| e.written);
        (entries, stale)
    }

    async fn temporaries(&self) -> Vec<PathBuf> {
        let mut out = Vec::new();
        let Ok(mut dir) = tokio::fs::read_dir(&self.dir).await else {
            return out;
        };
        while let Ok(Some(file)) = dir.next_entry().await {
            if file
                .file_name()
                .to_str()
                .is_some_and(|n| n.ends_with(".tmp"))
            {
                out.push(file.path());
            }
        }
        out
    }

    fn path(&self, name: &str) -> io::Result<PathBuf> {
        if split(name).is_none() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("{name:?} is not a name this store gives its files"),
            ));
        }
        Ok(self.dir.join(name))
    }
}

/// Removes the entry's files; whether any went.
async fn remove(e: &Entry) -> bool {
    let mut removed = false;
    for path in &e.files {
        removed |= tokio::fs::remove_file(path).await.is_ok();
    }
    removed
}

/// `<id>.<ext>`, both lowercase letters and digits: the id and the
/// extension; `None` for any other name.
fn split(name: &str) -> Option<(&str, &str)> {
    let (id, ext) = name.split_once('.')?;
    let plain = |s: &str| {
        !s.is_empty()
            && s.bytes()
                .all(|b| b.is_ascii_digit() || b.is_ascii_lowercase())
    };
    (plain(id) && plain(ext)).then_some((id, ext))
}

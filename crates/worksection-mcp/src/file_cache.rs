//! The file cache: downloaded attachments on disk, by file id.
//!
//! Attachments are read more than once in a conversation (listed, looked
//! at, quoted), and each download costs one of Worksection's scarce
//! requests, so a file fetched once is kept for `FILE_CACHE_RETENTION_HOURS`.
//! On disk each file is `<id>.bin` with its facts in `<id>.json`: names come
//! from the numeric id only, never from the uploader's file name, so no
//! upstream name (`../../etc/passwd.txt`) can steer a write. The directory
//! is private to the user (0700, files 0600), writes go to a temporary file
//! that is renamed into place, so a crash or a full disk never leaves a
//! half-written file that a later read would trust, and concurrent requests
//! for one file download it once.

use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use bytes::Bytes;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::error::ToolError;
use crate::flight::{Flights, Joined};
use worksection_content as content;

/// A file in the cache.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CachedFile {
    pub id: u64,
    /// The uploader's name, for display only.
    pub name: String,
    /// Sniffed from the bytes, not taken from upstream headers.
    pub mime: String,
    pub size: u64,
    pub fetched_at: DateTime<Utc>,
}

/// What the dashboard and `worksection://cache/stats` show.
#[derive(Debug, Clone, Serialize)]
pub struct FileCacheStats {
    pub files: u64,
    pub bytes: u64,
    pub hits: u64,
    pub misses: u64,
    pub hit_rate: f64,
    pub oldest_entry: Option<DateTime<Utc>>,
    pub retention_hours: u64,
    pub max_file_size_mb: u64,
    pub max_total_size_mb: u64,
}

/// A download's outcome, shared by every caller waiting for that file; the
/// flag says whether it was downloaded (rather than found on disk).
type Fetched = Result<(CachedFile, Bytes, bool), ToolError>;

pub struct FileCache {
    disk: Disk,
    max_file_bytes: u64,
    max_total_bytes: u64,
    /// Downloads under way, so concurrent calls for one file download once.
    flights: Flights<u64, Fetched>,
    hits: AtomicU64,
    misses: AtomicU64,
}

/// Where the files are and how long they stay fresh; what a download in
/// flight needs to read and store a file on its own.
#[derive(Debug, Clone)]
struct Disk {
    dir: PathBuf,
    retention: Duration,
}

impl FileCache {
    pub fn new(
        dir: PathBuf,
        retention: Duration,
        max_file_bytes: u64,
        max_total_bytes: u64,
    ) -> Self {
        Self {
            disk: Disk { dir, retention },
            max_file_bytes,
            max_total_bytes,
            flights: Flights::new(),
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
        }
    }

    pub fn dir(&self) -> &Path {
        &self.disk.dir
    }

    pub fn max_file_bytes(&self) -> u64 {
        self.max_file_bytes
    }

    /// The file's bytes and facts, from disk when fresh, else from `fetch`
    /// (which gets the size limit and returns the bytes and the uploader's
    /// name if known).
    pub async fn get_or_fetch<F, Fut>(
        &self,
        id: u64,
        name_hint: Option<&str>,
        fetch: F,
    ) -> Result<(CachedFile, Bytes), ToolError>
    where
        F: FnOnce(u64) -> Fut,
        Fut: std::future::Future<Output = Result<(Bytes, Option<String>), worksection::Error>>
            + Send
            + 'static,
    {
        if let Some(found) = self.disk.read(id).await {
            self.hits.fetch_add(1, Ordering::Relaxed);
            return Ok(found);
        }
        let (disk, limit) = (self.disk.clone(), self.max_file_bytes);
        let name_hint = name_hint.map(str::to_owned);
        let (outcome, joined) = self
            .flights
            .run(
                id,
                || None,
                || {
                    let download = fetch(limit);
                    async move { disk.download(id, name_hint, limit, download).await }
                },
            )
            .await;
        let (meta, bytes, downloaded) = outcome?;
        let counter = if downloaded && joined == Joined::Started {
            &self.misses
        } else {
            &self.hits
        };
        counter.fetch_add(1, Ordering::Relaxed);
        if downloaded && joined == Joined::Started {
            self.evict().await;
        }
        Ok((meta, bytes))
    }

    /// The facts of a cached file without reading its bytes.
    pub async fn peek(&self, id: u64) -> Option<CachedFile> {
        self.disk.peek(id).await
    }

    /// The fresh cached images, newest first: the ones recently looked at.
    pub async fn cached_images(&self) -> Vec<CachedFile> {
        let mut images: Vec<CachedFile> = self
            .entries()
            .await
            .into_iter()
            .filter(|m| self.disk.is_fresh(m) && content::is_image(&m.mime))
            .collect();
        images.reverse();
        images.truncate(50);
        images
    }

    /// Every cached file's facts, oldest first.
    async fn entries(&self) -> Vec<CachedFile> {
        let mut out = Vec::new();
        let Ok(mut dir) = tokio::fs::read_dir(&self.disk.dir).await else {
            return out;
        };
        while let Ok(Some(entry)) = dir.next_entry().await {
            let name = entry.file_name();
            let Some(id) = name
                .to_str()
                .and_then(|n| n.strip_suffix(".json"))
                .and_then(|n| n.parse::<u64>().ok())
            else {
                continue;
            };
            if let Ok(raw) = tokio::fs::read(self.disk.meta_path(id)).await
                && let Ok(meta) = serde_json::from_slice::<CachedFile>(&raw)
            {
                out.push(meta);
            }
        }
        out.sort_by_key(|m| m.fetched_at);
        out
    }

    /// Drops expired files, then the oldest until the total fits.
    async fn evict(&self) {
        let entries = self.entries().await;
        let mut total: u64 = entries.iter().map(|m| m.size).sum();
        for meta in entries {
            if self.disk.is_fresh(&meta) && total <= self.max_total_bytes {
                continue;
            }
            total = total.saturating_sub(meta.size);
            self.remove(meta.id).await;
        }
    }

    async fn remove(&self, id: u64) {
        // Facts first, so a half-removed pair is never read as valid.
        let _ = tokio::fs::remove_file(self.disk.meta_path(id)).await;
        let _ = tokio::fs::remove_file(self.disk.data_path(id)).await;
    }

    pub async fn stats(&self) -> FileCacheStats {
        let entries: Vec<CachedFile> = self
            .entries()
            .await
            .into_iter()
            .filter(|m| self.disk.is_fresh(m))
            .collect();
        let hits = self.hits.load(Ordering::Relaxed);
        let misses = self.misses.load(Ordering::Relaxed);
        FileCacheStats {
            files: entries.len() as u64,
            bytes: entries.iter().map(|m| m.size).sum(),
            hits,
            misses,
            hit_rate: if hits + misses == 0 {
                0.0
            } else {
                hits as f64 / (hits + misses) as f64
            },
            oldest_entry: entries.first().map(|m| m.fetched_at),
            retention_hours: self.disk.retention.as_secs() / 3600,
            max_file_size_mb: self.max_file_bytes >> 20,
            max_total_size_mb: self.max_total_bytes >> 20,
        }
    }

    /// Removes every cached file (and stray temporary files); returns how
    /// many files went.
    pub async fn clear(&self) -> usize {
        let mut removed = 0;
        let Ok(mut dir) = tokio::fs::read_dir(&self.disk.dir).await else {
            return 0;
        };
        while let Ok(Some(entry)) = dir.next_entry().await {
            let name = entry.file_name();
            let Some(name) = name.to_str() else { continue };
            let ours = name.ends_with(".bin") || name.ends_with(".json") || name.ends_with(".tmp");
            if ours && tokio::fs::remove_file(entry.path()).await.is_ok() && name.ends_with(".bin")
            {
                removed += 1;
            }
        }
        self.hits.store(0, Ordering::Relaxed);
        self.misses.store(0, Ordering::Relaxed);
        removed
    }
}

impl Disk {
    /// The file from disk when fresh; else downloads it (`download`, limited
    /// to `limit` bytes) and stores it. Checks the disk again first: a
    /// flight that landed just before this one started may have stored it.
    async fn download(
        &self,
        id: u64,
        name_hint: Option<String>,
        limit: u64,
        download: impl std::future::Future<Output = Result<(Bytes, Option<String>), worksection::Error>>,
    ) -> Fetched {
        if let Some((meta, bytes)) = self.read(id).await {
            return Ok((meta, bytes, false));
        }
        let (bytes, upstream_name) = download.await?;
        if bytes.len() as u64 > limit {
            return Err(worksection::Error::TooLarge { limit }.into());
        }
        let name = upstream_name
            .or(name_hint)
            .unwrap_or_else(|| format!("file-{id}"));
        let meta = CachedFile {
            id,
            mime: content::sniff_mime(&bytes, &name).to_owned(),
            name,
            size: bytes.len() as u64,
            fetched_at: Utc::now(),
        };
        self.write(&meta, &bytes).await.map_err(|e| {
            ToolError::File(format!(
                "The file was downloaded but could not be stored in the file cache ({e}); free some disk space or set FILE_CACHE_PATH to a writable folder."
            ))
        })?;
        Ok((meta, bytes, true))
    }

    /// The facts of a cached file without reading its bytes.
    async fn peek(&self, id: u64) -> Option<CachedFile> {
        let raw = tokio::fs::read(self.meta_path(id)).await.ok()?;
        let meta: CachedFile = serde_json::from_slice(&raw).ok()?;
        self.is_fresh(&meta).then_some(meta)
    }

    async fn read(&self, id: u64) -> Option<(CachedFile, Bytes)> {
        let meta = self.peek(id).await?;
        let bytes = tokio::fs::read(self.data_path(id)).await.ok()?;
        // A size mismatch means the pair is not the one written together.
        (bytes.len() as u64 == meta.size).then(|| (meta, Bytes::from(bytes)))
    }

    fn is_fresh(&self, meta: &CachedFile) -> bool {
        let age = Utc::now().signed_duration_since(meta.fetched_at);
        age.to_std().map_or(true, |age| age < self.retention)
    }

    async fn write(&self, meta: &CachedFile, bytes: &[u8]) -> io::Result<()> {
        self.ensure_dir().await?;
        let json = serde_json::to_vec(meta).map_err(io::Error::other)?;
        // Data first, facts last: facts without data are never trusted
        // (size check above), data without facts is never read.
        write_atomic(&self.data_path(meta.id), bytes).await?;
        write_atomic(&self.meta_path(meta.id), &json).await
    }

    async fn ensure_dir(&self) -> io::Result<()> {
        tokio::fs::create_dir_all(&self.dir).await?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            tokio::fs::set_permissions(&self.dir, std::fs::Permissions::from_mode(0o700)).await?;
        }
        Ok(())
    }

    fn data_path(&self, id: u64) -> PathBuf {
        self.dir.join(format!("{id}.bin"))
    }

    fn meta_path(&self, id: u64) -> PathBuf {
        self.dir.join(format!("{id}.json"))
    }
}

/// Writes a cached file whole or not at all, readable by this user only
/// (attachments are the account's data), off the async threads.
pub(crate) async fn write_atomic(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let (path, bytes) = (path.to_owned(), bytes.to_vec());
    tokio::task::spawn_blocking(move || worksection_auth::write_private(&path, &bytes))
        .await
        .map_err(io::Error::other)?
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cache(dir: &Path) -> FileCache {
        FileCache::new(
            dir.join("files"),
            Duration::from_secs(3600),
            1 << 20,
            4 << 20,
        )
    }

    #[tokio::test]
    async fn stores_by_id_and_serves_from_disk() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let c = cache(tmp.path());
        let (meta, bytes) = c
            .get_or_fetch(7, None, |_| async {
                Ok((
                    Bytes::from_static(b"hello"),
                    Some("../../etc/passwd.txt".to_owned()),
                ))
            })
            .await
            .expect("fetch");
        assert_eq!(&bytes[..], b"hello");
        assert_eq!(meta.name, "../../etc/passwd.txt");
        assert_eq!(meta.mime, "text/plain");
        let again = c
            .get_or_fetch(7, None, |_| async {
                Err(worksection::Error::InvalidArgument("no".into()))
            })
            .await
            .expect("from disk");
        assert_eq!(&again.1[..], b"hello");
        let mut names: Vec<String> = std::fs::read_dir(c.dir())
            .expect("dir")
            .filter_map(|e| e.ok()?.file_name().into_string().ok())
            .collect();
        names.sort();
        assert_eq!(names, ["7.bin", "7.json"]);
        let stats = c.stats().await;
        assert_eq!(
            (stats.files, stats.bytes, stats.hits, stats.misses),
            (1, 5, 1, 1)
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(c.dir())
                .expect("meta")
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o700);
        }
        assert_eq!(c.clear().await, 1);
        assert_eq!(c.stats().await.files, 0);
    }

    #[tokio::test]
    async fn refuses_files_over_the_limit() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let c = cache(tmp.path());
        let big = Bytes::from(vec![0u8; (1 << 20) + 1]);
        let err = c
            .get_or_fetch(1, None, |_| async move { Ok((big, None)) })
            .await
            .expect_err("too big");
        assert!(err.to_string().contains("MAX_FILE_SIZE_MB"), "{err}");
        assert_eq!(c.stats().await.files, 0);
    }

    #[tokio::test]
    async fn keeps_the_total_under_its_cap() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let c = cache(tmp.path());
        for id in 1..=6u64 {
            c.get_or_fetch(id, None, |_| async {
                Ok((Bytes::from(vec![1u8; 1 << 20]), None))
            })
            .await
            .expect("fetch");
        }
        let stats = c.stats().await;
        assert!(stats.bytes <= 4 << 20, "{stats:?}");
        assert!(c.peek(6).await.is_some(), "the newest file stays");
    }
}

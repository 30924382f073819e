//! The file cache: downloaded attachments on disk, by file id.
//!
//! Attachments are read more than once in a conversation (listed, looked
//! at, quoted), and each download costs one of Worksection's scarce
//! requests, so a file fetched once is kept for `FILE_CACHE_RETENTION_HOURS`.
//! On disk (a private [`Disk`]) each file is `<id>.bin` with its facts in
//! `<id>.json`: names come from the numeric id only, never from the
//! uploader's file name, so no upstream name (`../../etc/passwd.txt`) can
//! steer a write. Concurrent requests for one file download it once (a
//! `moka` cache's `try_get_with`); after each download the folder is swept
//! back under its total size.
//!
//! Replicas of a team server (`--redis-url`) do not share files: the bytes
//! stay on each replica's disk and nothing of the index goes to Redis.
//! Why:
//! - Size. A file is up to `MAX_FILE_SIZE_MB` (10 MB by default, up to a
//!   GB) and a person's folder up to `FILE_CACHE_MAX_MB` (500 MB); Redis
//!   keeps everything in memory, sized for what the replicas must agree on
//!   (sign-ins, the pace, answers and pages of kilobytes). A cap small
//!   enough for that memory (a megabyte or so) would leave out most of the
//!   files worth keeping (scans, PDFs, spreadsheets).
//! - The cost of not sharing is bounded and small. A file id's bytes never
//!   change (an upload is a new id), so a replica's copy is never stale;
//!   what a second replica pays is one download, the first time it is
//!   asked for that file within the retention, so at most one request per
//!   replica per file, paced with the account's other requests.
//! - An index without the bytes saves nothing: a replica that learns a
//!   file's name, type and size still has to download it to answer, and
//!   those facts come from the bytes.
//!
//! So what differs between replicas is only the images `resources/list`
//! shows as viewed recently (each replica's own); reading one on another
//! replica downloads it there.

use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use bytes::Bytes;
use chrono::{DateTime, Utc};
use moka::future::Cache;
use serde::{Deserialize, Serialize};

use crate::disk::Disk;
use crate::error::ToolError;
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

pub struct FileCache {
    disk: Disk,
    max_file_bytes: u64,
    max_total_bytes: u64,
    /// Downloads under way, so concurrent calls for one file download once
    /// (a landed download leaves it at once: the disk keeps the file).
    downloads: Cache<u64, (CachedFile, Bytes)>,
    /// Held while a file's pair is written and while the folder is swept:
    /// a sweep that saw a pair half written would remove the data and
    /// leave the facts written after it behind.
    pairs: tokio::sync::Mutex<()>,
    hits: AtomicU64,
    misses: AtomicU64,
}

impl FileCache {
    pub fn new(
        dir: PathBuf,
        retention: Duration,
        max_file_bytes: u64,
        max_total_bytes: u64,
    ) -> Self {
        Self {
            disk: Disk::new(dir, retention, usize::MAX, max_total_bytes),
            max_file_bytes,
            max_total_bytes,
            downloads: Cache::builder().build(),
            pairs: tokio::sync::Mutex::new(()),
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
        }
    }

    pub fn dir(&self) -> &Path {
        self.disk.dir()
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
        if let Some(found) = self.read(id).await {
            self.hits.fetch_add(1, Ordering::Relaxed);
            return Ok(found);
        }
        let mut downloaded = false;
        let outcome = self
            .downloads
            .try_get_with(id, async {
                // A download that landed just before this one started may
                // have stored it.
                if let Some(found) = self.read(id).await {
                    return Ok(found);
                }
                downloaded = true;
                self.download(id, name_hint, fetch(self.max_file_bytes))
                    .await
            })
            .await;
        if downloaded {
            self.downloads.invalidate(&id).await;
        }
        let found = outcome.map_err(|e| (*e).clone())?;
        if downloaded {
            self.misses.fetch_add(1, Ordering::Relaxed);
            let _pairs = self.pairs.lock().await;
            self.disk.sweep().await;
        } else {
            self.hits.fetch_add(1, Ordering::Relaxed);
        }
        Ok(found)
    }

    /// Downloads the file (within the size limit) and stores it.
    async fn download(
        &self,
        id: u64,
        name_hint: Option<&str>,
        download: impl std::future::Future<Output = Result<(Bytes, Option<String>), worksection::Error>>,
    ) -> Result<(CachedFile, Bytes), ToolError> {
        let (bytes, upstream_name) = download.await?;
        let limit = self.max_file_bytes;
        if bytes.len() as u64 > limit {
            return Err(worksection::Error::TooLarge { limit }.into());
        }
        let name = upstream_name
            .or(name_hint.map(str::to_owned))
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
        Ok((meta, bytes))
    }

    /// The facts of a cached file without reading its bytes.
    pub async fn peek(&self, id: u64) -> Option<CachedFile> {
        let (raw, _) = self.disk.read(&meta_name(id)).await?;
        let meta: CachedFile = serde_json::from_slice(&raw).ok()?;
        self.is_fresh(&meta).then_some(meta)
    }

    async fn read(&self, id: u64) -> Option<(CachedFile, Bytes)> {
        let meta = self.peek(id).await?;
        let (bytes, _) = self.disk.read(&data_name(id)).await?;
        // A size mismatch means the pair is not the one written together.
        (bytes.len() as u64 == meta.size).then(|| (meta, Bytes::from(bytes)))
    }

    async fn write(&self, meta: &CachedFile, bytes: &[u8]) -> io::Result<()> {
        let json = serde_json::to_vec(meta).map_err(io::Error::other)?;
        // Data first, facts last: facts without data are never trusted
        // (size check above), data without facts is never read.
        let _pairs = self.pairs.lock().await;
        self.disk.write(&data_name(meta.id), bytes).await?;
        self.disk.write(&meta_name(meta.id), &json).await
    }

    fn is_fresh(&self, meta: &CachedFile) -> bool {
        let age = Utc::now().signed_duration_since(meta.fetched_at);
        age.to_std().map_or(true, |age| age < self.disk.retention())
    }

    /// The fresh cached images, newest first: the ones recently looked at.
    pub async fn cached_images(&self) -> Vec<CachedFile> {
        let mut images: Vec<CachedFile> = self
            .entries()
            .await
            .into_iter()
            .filter(|m| content::is_image(&m.mime))
            .collect();
        images.reverse();
        images.truncate(50);
        images
    }

    /// Every fresh cached file's facts, oldest first.
    async fn entries(&self) -> Vec<CachedFile> {
        let mut out = Vec::new();
        for e in self.disk.entries().await {
            let Ok(id) = e.id.parse::<u64>() else {
                continue;
            };
            if let Some(meta) = self.peek(id).await {
                out.push(meta);
            }
        }
        out.sort_by_key(|m| m.fetched_at);
        out
    }

    pub async fn stats(&self) -> FileCacheStats {
        let entries = self.entries().await;
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
            retention_hours: self.disk.retention().as_secs() / 3600,
            max_file_size_mb: self.max_file_bytes >> 20,
            max_total_size_mb: self.max_total_bytes >> 20,
        }
    }

    /// Removes every cached file (and stray temporary files); returns how
    /// many files went.
    pub async fn clear(&self) -> usize {
        let removed = self.disk.clear().await;
        self.hits.store(0, Ordering::Relaxed);
        self.misses.store(0, Ordering::Relaxed);
        removed
    }
}

fn data_name(id: u64) -> String {
    format!("{id}.bin")
}

fn meta_name(id: u64) -> String {
    format!("{id}.json")
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
    async fn concurrent_requests_for_one_file_download_it_once() {
        use std::sync::Arc;
        use std::sync::atomic::AtomicUsize;
        let tmp = tempfile::tempdir().expect("tempdir");
        let c = Arc::new(cache(tmp.path()));
        let downloads = Arc::new(AtomicUsize::new(0));
        let calls = (0..5).map(|_| {
            let (c, downloads) = (c.clone(), downloads.clone());
            async move {
                c.get_or_fetch(3, None, |_| async move {
                    downloads.fetch_add(1, Ordering::SeqCst);
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    Ok((Bytes::from_static(b"once"), None))
                })
                .await
            }
        });
        for got in futures_util::future::join_all(calls).await {
            assert_eq!(&got.expect("file").1[..], b"once");
        }
        assert_eq!(downloads.load(Ordering::SeqCst), 1);
        let stats = c.stats().await;
        assert_eq!((stats.files, stats.hits, stats.misses), (1, 4, 1));
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

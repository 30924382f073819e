//! Offloaded answers: the full JSON of an answer too large for the token
//! budget, kept on disk for the assistant to read back in chunks.
//!
//! Compatible with the reference Python server for Worksection: the answer
//! names the stored copy (`offload_id`, also `response_id`), and the tools
//! `get_offloaded_response_info` and `read_offloaded_response_text` and the
//! resource `worksection://offload/{response_id}` read it. The folder sits
//! beside the account's file cache (`<account>.offload`), a private
//! [`Disk`] of its own; a file's name is its random id (32 hex digits) and
//! nothing else, so no upstream text ever steers a path. Files older than
//! the retention are removed, and after every write the oldest go until
//! the folder holds at most `max_files` files and `max_bytes` bytes.
//!
//! Between replicas of a team server ([`OffloadStore::with_shared`]), each
//! answer is also stored in the person's shared space
//! (`offload:{person}:{id}`, compressed, with the retention as its TTL,
//! unless over [`OFFLOAD_SHARED_CAP`] compressed), so any replica reads it
//! back: its info, its chunks and its resource. A read looks on this
//! replica's disk first, then in the shared store; the disk copy keeps
//! a replica's own answers readable while the store is down.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use chrono::{DateTime, Utc};
use rand::TryRngCore;
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::disk::Disk;
use crate::error::ToolError;
use crate::shared::SharedSpace;

/// How long an offloaded answer is kept, and how many files and bytes
/// the offload folder may hold.
pub(crate) const OFFLOAD_RETENTION: Duration = Duration::from_secs(24 * 3600);
pub(crate) const OFFLOAD_MAX_FILES: usize = 200;
pub(crate) const OFFLOAD_MAX_BYTES: u64 = 256 << 20;

/// Most bytes of one offloaded answer in the shared store, compressed.
pub const OFFLOAD_SHARED_CAP: usize = 8 << 20;

/// How a stored answer's resource is addressed.
pub const OFFLOAD_URI_PREFIX: &str = "worksection://offload/";

/// The facts of one stored answer.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct Offloaded {
    pub response_id: String,
    pub size_bytes: u64,
    pub sha256: String,
    #[serde(skip_deserializing, default = "json_mime")]
    pub mime_type: &'static str,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub resource_uri: String,
}

/// One chunk of a stored answer, as `read_offloaded_response_text` gives it.
#[derive(Debug, Clone, Serialize)]
pub struct Chunk {
    pub response_id: String,
    pub content: String,
    pub offset: u64,
    pub returned_bytes: u64,
    pub has_more: bool,
    pub total_size_bytes: u64,
    /// Where the next chunk starts (`null` at the end).
    pub next_offset: Option<u64>,
}

pub struct OffloadStore {
    disk: Disk,
    shared: Option<SharedSpace>,
}

impl OffloadStore {
    pub fn new(dir: PathBuf, retention: Duration, max_files: usize, max_bytes: u64) -> Self {
        Self {
            disk: Disk::new(dir, retention, max_files, max_bytes),
            shared: None,
        }
    }

    /// Also keeps every answer in the person's shared `space`.
    pub fn with_shared(mut self, space: Option<SharedSpace>) -> Self {
        self.shared = space;
        self
    }

    /// The folder beside a file cache folder: `<folder>.offload`.
    pub fn beside(file_cache_dir: &Path) -> PathBuf {
        let name = file_cache_dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "account".to_owned());
        file_cache_dir.with_file_name(format!("{name}.offload"))
    }

    pub fn dir(&self) -> &Path {
        self.disk.dir()
    }

    /// Stores `json` under a new random id.
    pub async fn put(&self, json: &[u8]) -> Result<Offloaded, ToolError> {
        let id = random_id().map_err(|e| failed("choose a name for", &e))?;
        let now = SystemTime::now();
        let on_disk = self.disk.write(&name(&id), json).await;
        let shared = match &self.shared {
            Some(space) => {
                let key = space.key("offload", &id);
                let ttl = self.disk.retention();
                space.put(&key, json, now, ttl, OFFLOAD_SHARED_CAP).await
            }
            None => false,
        };
        match on_disk {
            Ok(()) => self.disk.sweep().await,
            Err(e) if !shared => return Err(failed("write", &e)),
            Err(e) => tracing::warn!(error = %e, "an offloaded answer is in the shared store only"),
        }
        Ok(self.facts(&id, json, now))
    }

    /// The facts of a stored answer.
    pub async fn info(&self, response_id: &str) -> Result<Offloaded, ToolError> {
        let (bytes, created) = self.load(response_id).await?;
        Ok(self.facts(response_id, &bytes, created))
    }

    /// The stored bytes (for the resource).
    pub async fn bytes(&self, response_id: &str) -> Result<Vec<u8>, ToolError> {
        self.load(response_id).await.map(|(b, _)| b)
    }

    /// Up to `max_bytes` bytes from `offset`, ending on a character
    /// boundary, so every chunk is valid UTF-8 and the chunks in order are
    /// the stored bytes.
    pub async fn read(
        &self,
        response_id: &str,
        offset: u64,
        max_bytes: usize,
    ) -> Result<Chunk, ToolError> {
        let (bytes, _) = self.load(response_id).await?;
        chunk(response_id, &bytes, offset, max_bytes)
    }

    /// Removes expired files, then the oldest until within the caps.
    pub async fn sweep(&self) {
        self.disk.sweep().await;
    }

    async fn load(&self, response_id: &str) -> Result<(Vec<u8>, SystemTime), ToolError> {
        if !valid_id(response_id) {
            return Err(ToolError::argument(
                "response_id",
                "not an offloaded answer's id (32 hex digits, as `response_id` in the answer that was offloaded)",
            ));
        }
        if let Some(found) = self.disk.read(&name(response_id)).await {
            return Ok(found);
        }
        let shared = match &self.shared {
            Some(space) => space.get(&space.key("offload", response_id)).await,
            None => None,
        };
        shared.map(|u| (u.bytes, u.made)).ok_or_else(|| {
            ToolError::NotFound(format!(
                "No offloaded answer {response_id}: it expired or was removed to keep the folder small; call the tool again for a fresh answer."
            ))
        })
    }

    fn facts(&self, id: &str, bytes: &[u8], created: SystemTime) -> Offloaded {
        let created: DateTime<Utc> = created.into();
        let expires = chrono::Duration::from_std(self.disk.retention())
            .ok()
            .and_then(|d| created.checked_add_signed(d))
            .unwrap_or(created);
        Offloaded {
            response_id: id.to_owned(),
            size_bytes: bytes.len() as u64,
            sha256: hex::encode(Sha256::digest(bytes)),
            mime_type: json_mime(),
            created_at: created,
            expires_at: expires,
            resource_uri: format!("{OFFLOAD_URI_PREFIX}{id}"),
        }
    }
}

fn json_mime() -> &'static str {
    "application/json"
}

/// The file of a stored answer.
fn name(id: &str) -> String {
    format!("{id}.json")
}

/// A chunk of `bytes` (valid UTF-8) from `offset`, at most `max_bytes`
/// long, cut back to a character boundary.
pub fn chunk(
    response_id: &str,
    bytes: &[u8],
    offset: u64,
    max_bytes: usize,
) -> Result<Chunk, ToolError> {
    let total = bytes.len();
    let start = usize::try_from(offset).unwrap_or(usize::MAX);
    if start > total {
        return Err(ToolError::argument(
            "offset",
            format!("{offset} is past the end of the answer ({total} bytes)"),
        ));
    }
    if start < total && is_continuation(bytes[start]) {
        return Err(ToolError::argument(
            "offset",
            format!(
                "{offset} is inside a character; start at 0 or at the `next_offset` of the previous chunk"
            ),
        ));
    }
    // A character is at most 4 bytes: smaller chunks could not move on.
    let max = max_bytes.max(4);
    let mut end = start.saturating_add(max).min(total);
    while end < total && end > start && is_continuation(bytes[end]) {
        end -= 1;
    }
    let content = std::str::from_utf8(&bytes[start..end])
        .map_err(|_| ToolError::File("The offloaded answer is not valid UTF-8 text.".to_owned()))?
        .to_owned();
    let has_more = end < total;
    Ok(Chunk {
        response_id: response_id.to_owned(),
        content,
        offset: start as u64,
        returned_bytes: (end - start) as u64,
        has_more,
        total_size_bytes: total as u64,
        next_offset: has_more.then_some(end as u64),
    })
}

fn is_continuation(b: u8) -> bool {
    b & 0xC0 == 0x80
}

fn valid_id(id: &str) -> bool {
    id.len() == 32
        && id
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

fn random_id() -> Result<String, String> {
    let mut buf = [0u8; 16];
    rand::rngs::OsRng
        .try_fill_bytes(&mut buf)
        .map_err(|e| e.to_string())?;
    Ok(hex::encode(buf))
}

fn failed(what: &str, e: &dyn std::fmt::Display) -> ToolError {
    ToolError::File(format!(
        "Could not {what} the offloaded answer on disk ({e}); the answer's first page is still complete as far as it goes."
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store(dir: &Path, max_files: usize, max_bytes: u64) -> OffloadStore {
        OffloadStore::new(
            dir.join("demo.offload"),
            Duration::from_secs(3600),
            max_files,
            max_bytes,
        )
    }

    #[tokio::test]
    async fn chunks_in_order_give_back_the_bytes() {
        let tmp = tempfile::tempdir().expect("tmp");
        let s = store(tmp.path(), 10, 1 << 20);
        let json = r#"{"name":"Задача 🚀 с длинным названием","n":[1,2,3],"e":"é"}"#.repeat(50);
        let facts = s.put(json.as_bytes()).await.expect("put");
        assert_eq!(facts.size_bytes, json.len() as u64);
        assert_eq!(facts.sha256, hex::encode(Sha256::digest(json.as_bytes())));
        for max in [4, 5, 7, 64, 1000, 1 << 20] {
            let mut got = Vec::new();
            let mut offset = 0;
            loop {
                let c = s.read(&facts.response_id, offset, max).await.expect("read");
                assert!(c.returned_bytes as usize <= max);
                assert_eq!(c.content.len() as u64, c.returned_bytes);
                got.extend_from_slice(c.content.as_bytes());
                match c.next_offset {
                    Some(n) => offset = n,
                    None => break,
                }
            }
            assert_eq!(got, json.as_bytes(), "max_bytes {max}");
        }
        let info = s.info(&facts.response_id).await.expect("info");
        assert_eq!(info.sha256, facts.sha256);
    }

    #[tokio::test]
    async fn bad_ids_and_offsets_are_clear_errors() {
        let tmp = tempfile::tempdir().expect("tmp");
        let s = store(tmp.path(), 10, 1 << 20);
        let e = s.info("../../etc/passwd").await.expect_err("bad id");
        assert!(e.to_string().contains("response_id"), "{e}");
        let e = s
            .info("0123456789abcdef0123456789abcdef")
            .await
            .expect_err("missing");
        assert!(e.to_string().contains("call the tool again"), "{e}");
        let facts = s.put("Жж".as_bytes()).await.expect("put");
        let e = s.read(&facts.response_id, 1, 10).await.expect_err("mid");
        assert!(e.to_string().contains("inside a character"), "{e}");
        let e = s.read(&facts.response_id, 9, 10).await.expect_err("past");
        assert!(e.to_string().contains("past the end"), "{e}");
    }

    #[cfg(unix)]
    #[tokio::test]
    async fn files_are_private_and_named_by_random_ids() {
        use std::os::unix::fs::PermissionsExt;
        let tmp = tempfile::tempdir().expect("tmp");
        let s = store(tmp.path(), 10, 1 << 20);
        let a = s.put(b"{}").await.expect("put");
        let b = s.put(b"{}").await.expect("put");
        assert_ne!(a.response_id, b.response_id);
        let path = s.dir().join(format!("{}.json", a.response_id));
        let mode = std::fs::metadata(&path).expect("meta").permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        let mode = std::fs::metadata(s.dir())
            .expect("meta")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o700);
    }

    #[tokio::test]
    async fn caps_and_retention_hold() {
        let tmp = tempfile::tempdir().expect("tmp");
        // At most 3 files.
        let s = store(tmp.path(), 3, 1 << 20);
        let mut ids = Vec::new();
        for i in 0..6 {
            ids.push(
                s.put(format!("{{\"i\":{i}}}").as_bytes())
                    .await
                    .expect("put"),
            );
            // Distinct modification times, so "oldest" is well defined.
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let count = std::fs::read_dir(s.dir()).expect("dir").count();
        assert_eq!(count, 3);
        assert!(s.info(&ids[5].response_id).await.is_ok(), "newest kept");
        assert!(s.info(&ids[0].response_id).await.is_err(), "oldest gone");

        // At most 250 bytes: four answers of 100 bytes leave two.
        let s = OffloadStore::new(tmp.path().join("b"), Duration::from_secs(3600), 100, 250);
        for _ in 0..4 {
            s.put(&[b' '; 100]).await.expect("put");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let bytes: u64 = std::fs::read_dir(s.dir())
            .expect("dir")
            .filter_map(|e| e.ok()?.metadata().ok())
            .map(|m| m.len())
            .sum();
        assert_eq!(bytes, 200);

        // Retention: a zero retention expires everything at once.
        let s = OffloadStore::new(tmp.path().join("c"), Duration::ZERO, 100, 1 << 20);
        let f = s.put(b"{}").await.expect("put");
        assert!(s.info(&f.response_id).await.is_err());
        s.sweep().await;
        assert_eq!(std::fs::read_dir(s.dir()).expect("dir").count(), 0);
    }
}

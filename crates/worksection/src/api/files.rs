//! File lists and downloads.
//!
//! `download` streams: bytes arrive chunk by chunk and the stream fails
//! cleanly as soon as the size limit is passed, so a huge upstream file never
//! sits whole in memory. A file comes with `Content-Disposition`; an answer
//! without it is Worksection's JSON error (the usual classified error) or a
//! proxy's page (retried), never the file.

use bytes::{Bytes, BytesMut};
use futures_util::{Stream, StreamExt};
use serde::Serialize;

use crate::action::Action;
use crate::client::Client;
use crate::error::Error;
use crate::models::FileRef;
use crate::transport::{decode, list};

/// Whose files `get_files` lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum GetFiles {
    /// Files of the project description and its Files section.
    #[serde(rename = "id_project")]
    Project(u64),
    /// Files of the task description and its comments.
    #[serde(rename = "id_task")]
    Task(u64),
}

impl Action for GetFiles {
    const NAME: &'static str = "get_files";
    type Answer = Vec<FileRef>;
    fn read(body: &Bytes) -> Result<Vec<FileRef>, Error> {
        list(body)
    }
}

/// `download`. Read through [`Client::download`], which streams within a
/// size limit; as a plain action its answer is the whole body.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub(crate) struct DownloadFile {
    id_file: u64,
}

impl Action for DownloadFile {
    const NAME: &'static str = "download";
    type Answer = Bytes;
    fn read(body: &Bytes) -> Result<Bytes, Error> {
        // A JSON answer is Worksection's error; anything else is the file.
        match decode::<serde_json::Value>(body) {
            Err(Error::BadResponse { .. }) => Ok(body.clone()),
            Err(e) => Err(e),
            Ok(_) => Err(Error::BadResponse {
                detail: "Worksection answered the download without a file".into(),
            }),
        }
    }
}

/// A download in progress.
pub struct Download {
    /// What the server says the file is, if it says.
    pub content_type: Option<String>,
    /// The announced size, if announced.
    pub content_length: Option<u64>,
    /// The file's name from `Content-Disposition`, if given. It is the
    /// uploader's text: never use it as a path.
    pub file_name: Option<String>,
    stream: std::pin::Pin<Box<dyn Stream<Item = Result<Bytes, Error>> + Send>>,
}

impl std::fmt::Debug for Download {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Download")
            .field("content_type", &self.content_type)
            .field("content_length", &self.content_length)
            .field("file_name", &self.file_name)
            .finish_non_exhaustive()
    }
}

impl Download {
    /// The next chunk; `None` at the end.
    pub async fn chunk(&mut self) -> Option<Result<Bytes, Error>> {
        self.stream.next().await
    }

    /// Everything, in memory (within the limit given to `download`).
    pub async fn bytes(mut self) -> Result<Bytes, Error> {
        let mut all =
            BytesMut::with_capacity(self.content_length.unwrap_or(0).min(16 << 20) as usize);
        while let Some(chunk) = self.chunk().await {
            all.extend_from_slice(&chunk?);
        }
        Ok(all.freeze())
    }
}

impl Client {
    pub async fn get_files(&self, of: GetFiles) -> Result<Vec<FileRef>, Error> {
        self.send(&of).await
    }

    /// Starts downloading a file of at most `max_bytes`.
    pub async fn download(&self, file: u64, max_bytes: u64) -> Result<Download, Error> {
        let resp = self
            .send_file(&DownloadFile { id_file: file }, max_bytes)
            .await?;
        let content_type = resp
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let content_length = resp.content_length();
        let file_name = resp
            .headers()
            .get(reqwest::header::CONTENT_DISPOSITION)
            .and_then(|v| v.to_str().ok())
            .and_then(disposition_name);
        if content_length.is_some_and(|n| n > max_bytes) {
            return Err(Error::TooLarge { limit: max_bytes });
        }
        let mut seen: u64 = 0;
        let stream = resp.bytes_stream().map(move |chunk| {
            let chunk = chunk.map_err(|e| Error::Upstream {
                detail: format!("the download was cut off: {}", e.without_url()),
                status: None,
            })?;
            seen += chunk.len() as u64;
            if seen > max_bytes {
                return Err(Error::TooLarge { limit: max_bytes });
            }
            Ok(chunk)
        });
        Ok(Download {
            content_type,
            content_length,
            file_name,
            stream: Box::pin(stream),
        })
    }

    /// Downloads a whole file of at most `max_bytes` into memory.
    pub async fn download_bytes(&self, file: u64, max_bytes: u64) -> Result<Bytes, Error> {
        self.download(file, max_bytes).await?.bytes().await
    }
}

/// The name in a `Content-Disposition` header: the RFC 5987 `filename*`
/// when present (it carries any character), else the plain `filename`.
fn disposition_name(header: &str) -> Option<String> {
    let mut plain = None;
    for part in header.split(';').map(str::trim) {
        if let Some(v) = part.strip_prefix("filename*=") {
            let encoded = v.split_once("''").map_or(v, |(_, rest)| rest);
            let bytes: Vec<u8> = percent_decode(encoded);
            if let Ok(name) = String::from_utf8(bytes) {
                return Some(name);
            }
        } else if let Some(v) = part.strip_prefix("filename=") {
            plain = Some(v.trim_matches('"').to_owned());
        }
    }
    plain.filter(|n| !n.is_empty())
}

fn percent_decode(s: &str) -> Vec<u8> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = |c: u8| (c as char).to_digit(16);
        match (
            b[i],
            b.get(i + 1).copied().and_then(hex),
            b.get(i + 2).copied().and_then(hex),
        ) {
            (b'%', Some(h), Some(l)) => {
                out.push((h * 16 + l) as u8);
                i += 3;
            }
            (c, _, _) => {
                out.push(c);
                i += 1;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::disposition_name;

    #[test]
    fn disposition_names() {
        assert_eq!(
            disposition_name(
                "attachment; filename=\"R_sum_.txt\"; filename*=UTF-8''R%C3%A9sum%C3%A9%20notes.txt"
            )
            .as_deref(),
            Some("Résumé notes.txt")
        );
        assert_eq!(
            disposition_name("attachment; filename=\"a.pdf\"").as_deref(),
            Some("a.pdf")
        );
        assert_eq!(disposition_name("attachment").as_deref(), None);
        assert_eq!(
            disposition_name("attachment; filename*=UTF-8''%ZZ%").as_deref(),
            Some("%ZZ%")
        );
    }
}

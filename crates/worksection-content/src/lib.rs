//! What a downloaded attachment is, and the text inside it.
//!
//! Worksection hands out files as bytes with a user-chosen name, so neither
//! the name nor a server-sent MIME type can be trusted. This module gives the
//! MCP server two answers for its `get_file_content` tool and its file
//! resources:
//!
//! - [`sniff_mime`] tells the type from the bytes (magic numbers; ZIP
//!   packages told apart as Word, Excel or PowerPoint by their entries), and
//!   uses the file name only to name plain text (`.md`, `.csv`, `.json`...).
//!   [`is_image`] and [`is_text`] then decide how the server answers: an
//!   image goes to the client as an image, text and documents as text.
//! - [`extract_text`] turns text files, PDF, DOCX, XLSX and PPTX into plain
//!   text an assistant can read, with page, sheet and slide markers.
//!
//! Files come from other people, so every reader here treats its input as
//! hostile: nothing panics on bad bytes (a corrupt file is an
//! [`ExtractError::Corrupt`]), output stops near `max_chars` instead of
//! growing with the file, and decompression is capped so a small "zip bomb"
//! cannot exhaust memory. Parsing is left to maintained crates (`lopdf`,
//! `zip`, `quick-xml`, `calamine`); this module only walks what they return.
//! The work is synchronous and CPU-bound: an async caller should run it on a
//! blocking thread.

mod docx;
mod mime;
mod package;
mod pdf;
mod pptx;
mod text;
mod xlsx;

#[cfg(test)]
mod tests;

use std::panic::{AssertUnwindSafe, catch_unwind};

pub use mime::{is_image, is_text, sniff_mime};

/// The most bytes one compressed part (a ZIP entry, a PDF stream) may
/// inflate to. Real documents stay far below it; a crafted one that does
/// not is reported as corrupt rather than allowed to fill memory.
const MAX_PART_BYTES: u64 = 64 * 1024 * 1024;

/// The most bytes all the parts of one ZIP package may inflate to together,
/// so many entries just under [`MAX_PART_BYTES`] cannot add up to a bomb.
const MAX_PACKAGE_BYTES: u64 = 256 * 1024 * 1024;

/// Text taken out of a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Extracted {
    /// What was read: `"text"`, `"pdf"`, `"docx"`, `"xlsx"` or `"pptx"`.
    pub format: &'static str,
    /// The text, at most `max_chars` characters, cut on a character boundary.
    pub text: String,
    /// Whether `text` is shorter than the file's whole text.
    pub truncated: bool,
    /// Characters in the whole text before cutting. Exact for text files;
    /// for documents, reading stops soon after `max_chars` is passed, so when
    /// `truncated` is set this is a lower bound (what was read so far).
    pub total_chars: usize,
    /// Pages of a PDF, sheets of a workbook or slides of a presentation;
    /// `None` for formats without such parts (text, DOCX).
    pub parts: Option<usize>,
}

#[derive(Debug, thiserror::Error)]
pub enum ExtractError {
    /// No text reader for this type (images, archives, unknown binaries).
    #[error("cannot extract text from {mime} files")]
    Unsupported { mime: String },
    /// The bytes do not make a readable file of the expected format.
    #[error("the {format} file could not be read: {reason}")]
    Corrupt {
        format: &'static str,
        reason: String,
    },
}

/// The file's text, at most `max_chars` characters of it.
///
/// `mime` is normally what [`sniff_mime`] said (parameters such as
/// `; charset=utf-8` and letter case are ignored). Text types are decoded as
/// UTF-8, or UTF-16 when a byte-order mark says so, replacing invalid
/// sequences; an empty text file gives empty text. PDF pages, workbook
/// sheets and presentation slides are each introduced by a marker line
/// (`--- page N ---`, `## Sheet: <name>`, `--- slide N ---`).
pub fn extract_text(bytes: &[u8], mime: &str, max_chars: usize) -> Result<Extracted, ExtractError> {
    let essence = mime::essence(mime);
    let format = match essence.as_str() {
        mime::PDF => "pdf",
        mime::DOCX | mime::DOCM => "docx",
        mime::XLSX | mime::XLSM => "xlsx",
        mime::PPTX | mime::PPTM => "pptx",
        other if is_text(other) => return Ok(text::extract(bytes, max_chars)),
        _ => {
            return Err(ExtractError::Unsupported {
                mime: mime.to_owned(),
            });
        }
    };
    if bytes.is_empty() {
        return Err(corrupt(format, "the file is empty"));
    }
    // The parsers are third-party code fed hostile bytes. They are not
    // expected to panic, but if one does, the caller should get an error
    // for this file rather than lose its thread (this only helps when the
    // binary unwinds on panic, the default).
    let run = || match format {
        "pdf" => pdf::extract(bytes, max_chars),
        "docx" => docx::extract(bytes, max_chars),
        "xlsx" => xlsx::extract(bytes, max_chars),
        _ => pptx::extract(bytes, max_chars),
    };
    catch_unwind(AssertUnwindSafe(run))
        .unwrap_or_else(|_| Err(corrupt(format, "the reader failed on this file")))
}

/// A [`ExtractError::Corrupt`] whose reason is kept short: library errors
/// can carry long dumps, and this text ends up in a tool answer.
fn corrupt(format: &'static str, reason: impl std::fmt::Display) -> ExtractError {
    const MAX_REASON: usize = 200;
    let mut reason = reason.to_string();
    if let Some((cut, _)) = reason.char_indices().nth(MAX_REASON) {
        reason.truncate(cut);
        reason.push('…');
    }
    ExtractError::Corrupt { format, reason }
}

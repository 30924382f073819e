//! PDF: the text of every page, each introduced by `--- page N ---`.
//!
//! `lopdf` (already used by the simulator to write PDFs) parses the file and
//! decodes each page's text with its fonts' encodings; its decompression
//! limits keep a crafted stream from inflating without bound. Text comes
//! out in content-stream order, which for most generated PDFs is reading
//! order; columns and tables may come out interleaved. Pages that are only
//! images (scans) have no text to give.

use lopdf::{DecompressError, Document, LoadOptions};

use super::text::Collector;
use super::{ExtractError, Extracted, MAX_PART_BYTES, corrupt};

pub(super) fn extract(bytes: &[u8], max_chars: usize) -> Result<Extracted, ExtractError> {
    let limit = usize::try_from(MAX_PART_BYTES).unwrap_or(usize::MAX);
    let doc =
        Document::load_mem_with_options(bytes, LoadOptions::with_max_decompressed_size(limit))
            .map_err(|e| corrupt("pdf", e))?;
    let pages = doc.get_pages();
    if pages.is_empty() {
        return Err(corrupt(
            "pdf",
            if doc.is_encrypted() {
                "the PDF is encrypted and needs a password"
            } else {
                "the PDF has no pages"
            },
        ));
    }
    let mut out = Collector::new(max_chars);
    let mut found_text = false;
    let mut first_error = None;
    for &number in pages.keys() {
        if out.is_full() {
            break;
        }
        out.blank_line();
        out.push_str(&format!("--- page {number} ---"));
        out.end_line();
        // Chunks are runs of text in one font; one that fails to decode
        // (an unusual font encoding) loses only its own text.
        for chunk in doc.extract_text_chunks_with_limit(&[number], limit) {
            match chunk {
                Ok(text) => {
                    for line in text.lines().map(str::trim_end) {
                        if line.is_empty() {
                            out.blank_line();
                        } else {
                            found_text = true;
                            out.push_str(line);
                            out.end_line();
                        }
                    }
                }
                Err(lopdf::Error::Decompress(DecompressError::MemoryLimitExceeded { .. })) => {
                    return Err(corrupt(
                        "pdf",
                        format_args!(
                            "page {number} inflates past the {} MiB limit (a decompression bomb?)",
                            MAX_PART_BYTES / (1024 * 1024)
                        ),
                    ));
                }
                Err(e) => {
                    first_error.get_or_insert(e);
                }
            }
            if out.is_full() {
                break;
            }
        }
    }
    match first_error {
        Some(e) if !found_text => Err(corrupt(
            "pdf",
            format_args!("no page's text could be read: {e}"),
        )),
        _ => Ok(out.finish("pdf", Some(pages.len()))),
    }
}

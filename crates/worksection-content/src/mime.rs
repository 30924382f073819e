//! Telling a file's type from its bytes.
//!
//! A file's name is whatever its uploader typed, so binary formats are
//! recognised by their magic numbers alone: a PNG called `notes.txt` is
//! still a PNG. The extension only names plain text, which has no magic
//! number (is this text CSV, Markdown or JSON?), and only once the bytes
//! look like text.

use std::io::{Cursor, Read};
use std::panic::catch_unwind;

pub(super) const PDF: &str = "application/pdf";
pub(super) const DOCX: &str =
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document";
pub(super) const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
pub(super) const PPTX: &str =
    "application/vnd.openxmlformats-officedocument.presentationml.presentation";
// Macro-enabled packages hold the same parts; only compared, in lower case.
pub(super) const DOCM: &str = "application/vnd.ms-word.document.macroenabled.12";
pub(super) const XLSM: &str = "application/vnd.ms-excel.sheet.macroenabled.12";
pub(super) const PPTM: &str = "application/vnd.ms-powerpoint.presentation.macroenabled.12";

const ZIP: &str = "application/zip";
const OCTET_STREAM: &str = "application/octet-stream";
const PLAIN: &str = "text/plain";

/// How much of the start of a file the text checks look at.
const HEAD: usize = 8 * 1024;

/// The MIME type of a file, from its bytes first.
///
/// Binary formats are found by magic number (images, PDF, archives, old
/// Office files); ZIP packages are opened to tell Word, Excel and
/// PowerPoint documents (and OpenDocument, EPUB) from other archives.
/// Bytes that look like text get a type from the name's extension
/// (`txt`, `md`, `csv`, `json`, `xml`, `html`, `yaml`...), else from a
/// telling start (`<svg`, `<html`, `<?xml`), else `text/plain`. Anything else
/// is `application/octet-stream`.
pub fn sniff_mime(bytes: &[u8], file_name: &str) -> &'static str {
    if let Some(mime) = magic(bytes, file_name) {
        return mime;
    }
    // An empty file has nothing to judge: trust a text extension, nothing else.
    if bytes.is_empty() {
        return text_by_extension(file_name).unwrap_or(OCTET_STREAM);
    }
    if !looks_like_text(bytes) {
        return OCTET_STREAM;
    }
    text_by_extension(file_name)
        .or_else(|| text_by_content(bytes))
        .unwrap_or(PLAIN)
}

/// Whether files of this type are pictures to show rather than read: any
/// `image/*` except SVG, which is XML text. (Which image types a client can
/// display is the caller's business.)
pub fn is_image(mime: &str) -> bool {
    let m = essence(mime);
    m.starts_with("image/") && m != "image/svg+xml"
}

/// Whether files of this type are text to decode as they are: `text/*`,
/// JSON, XML, YAML, TOML, JavaScript, SQL, shell scripts, SVG, e-mail, and
/// any `+json` or `+xml` type.
pub fn is_text(mime: &str) -> bool {
    let m = essence(mime);
    m.starts_with("text/")
        || m.ends_with("+json")
        || m.ends_with("+xml")
        || matches!(
            m.as_str(),
            "application/json"
                | "application/x-ndjson"
                | "application/xml"
                | "application/yaml"
                | "application/x-yaml"
                | "application/toml"
                | "application/javascript"
                | "application/x-javascript"
                | "application/sql"
                | "application/x-sh"
                | "application/x-httpd-php"
                | "message/rfc822"
        )
}

/// The type without parameters, in lower case: `Text/Plain; charset=UTF-8`
/// is `text/plain`.
pub(super) fn essence(mime: &str) -> String {
    mime.split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase()
}

/// Binary formats by magic number. ZIP and OLE containers, PDF (whose
/// header may come late) and BMP (whose two-byte signature could start a
/// text file) are told here; every other signature comes from `infer`'s
/// table, of which only the pictures, sound, video, archives and fonts are
/// taken: its text and document guesses are weaker than the checks here.
fn magic(b: &[u8], file_name: &str) -> Option<&'static str> {
    if b.starts_with(b"PK\x03\x04") || b.starts_with(b"PK\x05\x06") {
        // The ZIP reader parses hostile bytes here; should it ever panic,
        // the file is still a ZIP of some kind.
        return Some(catch_unwind(|| zip_package(b)).unwrap_or(ZIP));
    }
    if b.starts_with(b"\xD0\xCF\x11\xE0\xA1\xB0\x1A\xE1") {
        // Old Office files share one container (also used by .msg and
        // others); only the name tells them apart without parsing it.
        return Some(match extension(file_name).as_deref() {
            Some("doc") => "application/msword",
            Some("xls") => "application/vnd.ms-excel",
            Some("ppt") => "application/vnd.ms-powerpoint",
            Some("msg") => "application/vnd.ms-outlook",
            _ => "application/x-ole-storage",
        });
    }
    if b.starts_with(b"%PDF-") || late_pdf_header(b) {
        return Some(PDF);
    }
    let kind = infer::get(b)?;
    use infer::MatcherType::{Archive, Audio, Font, Image, Video};
    if !matches!(kind.matcher_type(), Image | Audio | Video | Archive | Font) {
        return None;
    }
    match kind.mime_type() {
        "image/bmp" if !is_bmp(b) => None,
        mime => Some(mime),
    }
}

/// Readers accept a PDF header anywhere in the first kilobyte (after junk
/// some generators write). A note that merely mentions `%PDF-` must not
/// count, so the file must also end like a PDF.
fn late_pdf_header(b: &[u8]) -> bool {
    let head = b.get(..1024).unwrap_or(b);
    let tail = b.get(b.len().saturating_sub(1024)..).unwrap_or(b);
    contains(head, b"%PDF-") && contains(tail, b"%%EOF")
}

/// BMP's two-byte `BM` could start a text file, so the header size must be
/// one of the known DIB header sizes too.
fn is_bmp(b: &[u8]) -> bool {
    b.starts_with(b"BM")
        && b.get(14..18)
            .and_then(|s| <[u8; 4]>::try_from(s).ok())
            .is_some_and(|s| matches!(u32::from_le_bytes(s), 12 | 40 | 52 | 56 | 64 | 108 | 124))
}

/// A ZIP file: an Office or OpenDocument package, EPUB, or just an archive.
/// Only the central directory is read (and ODF's tiny `mimetype` entry).
fn zip_package(b: &[u8]) -> &'static str {
    let Ok(mut archive) = zip::ZipArchive::new(Cursor::new(b)) else {
        return ZIP;
    };
    let names: Vec<String> = archive
        .file_names()
        .filter_map(Result::ok)
        .map(|n| n.to_ascii_lowercase())
        .collect();
    let has = |name: &str| names.iter().any(|n| n == name);
    if has("word/document.xml") {
        return DOCX;
    }
    if has("xl/workbook.xml") {
        return XLSX;
    }
    if has("ppt/presentation.xml") {
        return PPTX;
    }
    // Packages whose main part has another name still keep it in the
    // usual folder.
    if has("[content_types].xml") {
        let under = |dir: &str| names.iter().any(|n| n.starts_with(dir));
        if under("word/") {
            return DOCX;
        }
        if under("xl/") {
            return XLSX;
        }
        if under("ppt/") {
            return PPTX;
        }
    }
    if has("mimetype") {
        let mut declared = String::new();
        if let Ok(entry) = archive.by_name("mimetype") {
            // The entry is a few dozen bytes; a larger one is not ODF's.
            let _ = entry.take(100).read_to_string(&mut declared);
        }
        return match declared.trim() {
            "application/vnd.oasis.opendocument.text" => "application/vnd.oasis.opendocument.text",
            "application/vnd.oasis.opendocument.spreadsheet" => {
                "application/vnd.oasis.opendocument.spreadsheet"
            }
            "application/vnd.oasis.opendocument.presentation" => {
                "application/vnd.oasis.opendocument.presentation"
            }
            "application/epub+zip" => "application/epub+zip",
            _ => ZIP,
        };
    }
    ZIP
}

/// Text has no NUL bytes (unless it is UTF-16, which says so with a BOM)
/// and next to no control characters other than whitespace. Invalid UTF-8
/// alone does not make a file binary: Latin-1 notes are still text.
fn looks_like_text(bytes: &[u8]) -> bool {
    if bytes.starts_with(b"\xFF\xFE") || bytes.starts_with(b"\xFE\xFF") {
        return true;
    }
    let head = bytes.get(..HEAD).unwrap_or(bytes);
    if head.contains(&0) {
        return false;
    }
    let controls = head
        .iter()
        .filter(|&&c| (c < 0x20 && !matches!(c, b'\t' | b'\n' | b'\r' | 0x0C | 0x1B)) || c == 0x7F)
        .count();
    controls * 100 <= head.len()
}

/// The lower-case extension of the name's last path segment.
fn extension(file_name: &str) -> Option<String> {
    let base = file_name.rsplit(['/', '\\']).next().unwrap_or(file_name);
    let (stem, ext) = base.rsplit_once('.')?;
    (!stem.is_empty() && !ext.is_empty()).then(|| ext.to_ascii_lowercase())
}

fn text_by_extension(file_name: &str) -> Option<&'static str> {
    Some(match extension(file_name)?.as_str() {
        "txt" | "text" | "log" | "ini" | "cfg" | "conf" | "env" | "properties" => PLAIN,
        "md" | "markdown" => "text/markdown",
        "csv" => "text/csv",
        "tsv" | "tab" => "text/tab-separated-values",
        "json" | "geojson" => "application/json",
        "jsonl" | "ndjson" => "application/x-ndjson",
        "xml" | "xsd" | "xsl" | "plist" => "application/xml",
        "html" | "htm" | "xhtml" => "text/html",
        "css" => "text/css",
        "js" | "mjs" | "cjs" => "text/javascript",
        "yaml" | "yml" => "application/yaml",
        "toml" => "application/toml",
        "svg" => "image/svg+xml",
        "ics" => "text/calendar",
        "vcf" => "text/vcard",
        "eml" => "message/rfc822",
        "sql" => "application/sql",
        "sh" | "bash" => "application/x-sh",
        "rs" | "py" | "rb" | "go" | "java" | "kt" | "c" | "h" | "cpp" | "hpp" | "cs" | "ts"
        | "tsx" | "jsx" | "php" | "swift" | "lua" | "pl" | "r" | "scala" | "vue" | "diff"
        | "patch" => PLAIN,
        _ => return None,
    })
}

fn text_by_content(bytes: &[u8]) -> Option<&'static str> {
    let head = bytes.get(..HEAD).unwrap_or(bytes);
    let head = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    let start = head.trim_ascii_start();
    let lower = |n: usize| start.get(..n).unwrap_or(start).to_ascii_lowercase();
    if lower(14) == b"<!doctype html" || lower(5) == b"<html" {
        return Some("text/html");
    }
    if start.starts_with(b"<svg") || (start.starts_with(b"<?xml") && contains(head, b"<svg")) {
        return Some("image/svg+xml");
    }
    if start.starts_with(b"<?xml") {
        return Some("application/xml");
    }
    None
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

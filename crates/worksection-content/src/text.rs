//! Plain text files, and the bounded text buffer every reader writes into.

use super::Extracted;

/// Collects extracted text up to a character budget.
///
/// Readers push text as they find it and stop once [`Collector::is_full`]
/// says the budget is passed, so a huge file never becomes a huge string.
/// Line breaks are asked for rather than written: they are held back until
/// more text comes, so the output never starts or ends with blank lines and
/// never has more than one blank line in a row, however many empty
/// paragraphs a document has.
pub(super) struct Collector {
    out: String,
    max_chars: usize,
    /// Characters in `out`; never more than `max_chars`.
    kept: usize,
    /// Characters pushed so far, kept or not.
    total: usize,
    /// Line breaks waiting for the next text: 1 ends a line, 2 leaves a
    /// blank line.
    pending_breaks: u8,
}

impl Collector {
    pub(super) fn new(max_chars: usize) -> Self {
        Self {
            // Documents rarely fill a large budget; grow as needed.
            out: String::with_capacity(max_chars.min(64 * 1024)),
            max_chars,
            kept: 0,
            total: 0,
            pending_breaks: 0,
        }
    }

    /// Whether more text than the budget has been seen, so reading can stop.
    pub(super) fn is_full(&self) -> bool {
        self.total > self.max_chars
    }

    pub(super) fn push_str(&mut self, s: &str) {
        if s.is_empty() {
            return;
        }
        if self.pending_breaks > 0 {
            let breaks = std::mem::take(&mut self.pending_breaks);
            if self.total > 0 {
                self.append(if breaks > 1 { "\n\n" } else { "\n" });
            }
        }
        self.append(s);
    }

    pub(super) fn push(&mut self, c: char) {
        self.push_str(c.encode_utf8(&mut [0; 4]));
    }

    /// Ends the current line (if the next text is not already on a new one).
    pub(super) fn end_line(&mut self) {
        self.pending_breaks = self.pending_breaks.max(1);
    }

    /// Leaves one blank line before the next text, as between pages.
    pub(super) fn blank_line(&mut self) {
        self.pending_breaks = 2;
    }

    fn append(&mut self, s: &str) {
        let chars = s.chars().count();
        let room = self.max_chars - self.kept;
        if chars <= room {
            self.out.push_str(s);
            self.kept += chars;
        } else if room > 0 {
            let cut = s.char_indices().nth(room).map_or(s.len(), |(i, _)| i);
            if let Some(head) = s.get(..cut) {
                self.out.push_str(head);
                self.kept += room;
            }
        }
        self.total += chars;
    }

    pub(super) fn finish(self, format: &'static str, parts: Option<usize>) -> Extracted {
        Extracted {
            format,
            truncated: self.total > self.kept,
            text: self.out,
            total_chars: self.total,
            parts,
        }
    }
}

/// Decodes a text file: UTF-16 when it starts with a UTF-16 byte-order mark,
/// otherwise UTF-8 with any BOM dropped and invalid bytes replaced by U+FFFD.
///
/// The whole file is counted (counting needs no memory), so `total_chars`
/// is exact here, but only `max_chars` characters are kept.
pub(super) fn extract(bytes: &[u8], max_chars: usize) -> Extracted {
    let mut out = Collector::new(max_chars);
    match bytes {
        [0xFF, 0xFE, rest @ ..] => utf16(rest, u16::from_le_bytes, &mut out),
        [0xFE, 0xFF, rest @ ..] => utf16(rest, u16::from_be_bytes, &mut out),
        _ => {
            let body = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
            for chunk in body.utf8_chunks() {
                out.push_str(chunk.valid());
                if !chunk.invalid().is_empty() {
                    out.push(char::REPLACEMENT_CHARACTER);
                }
            }
        }
    }
    out.finish("text", None)
}

fn utf16(bytes: &[u8], unit: fn([u8; 2]) -> u16, out: &mut Collector) {
    let units = bytes.chunks(2).map(|pair| match pair {
        [a, b] => unit([*a, *b]),
        // A dangling odd byte cannot be a character.
        _ => 0xFFFD,
    });
    for c in char::decode_utf16(units) {
        out.push(c.unwrap_or(char::REPLACEMENT_CHARACTER));
    }
}

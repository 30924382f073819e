//! Fuzzes what the server does with a downloaded attachment
//! (`worksection_content`): arbitrary bytes under a name, sniffed for their
//! type, then read as that type and as each document type, as files from
//! other people may be anything.
//!
//! The properties: never a panic; a type is always named; extracted text
//! stays within the asked length and says it was cut when the whole text
//! was longer.
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use worksection_content::{extract_text, sniff_mime};

#[derive(Debug, Arbitrary)]
struct Input<'a> {
    name: &'a str,
    max_chars: u16,
    bytes: &'a [u8],
}

const TYPES: [&str; 6] = [
    "text/plain",
    "application/pdf",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "text/csv",
];

fuzz_target!(|input: Input<'_>| {
    let max_chars = usize::from(input.max_chars) + 1;
    let sniffed = sniff_mime(input.bytes, input.name);
    assert!(!sniffed.is_empty());
    for mime in std::iter::once(sniffed).chain(TYPES) {
        if let Ok(out) = extract_text(input.bytes, mime, max_chars) {
            assert!(
                out.text.chars().count() <= max_chars,
                "{mime}: over max_chars"
            );
            if out.total_chars > out.text.chars().count() {
                assert!(out.truncated, "{mime}: cut without saying so");
            }
        }
    }
});

//! Word documents (DOCX): the body's paragraphs in order, tables as rows.
//!
//! Only the main document part is read: headers, footers, footnotes and
//! comments live in other parts and would interleave badly with the body.

use super::package::{Package, TextWalker, Vocabulary};
use super::text::Collector;
use super::{ExtractError, Extracted};

pub(super) fn extract(bytes: &[u8], max_chars: usize) -> Result<Extracted, ExtractError> {
    let mut package = Package::open(bytes, "docx")?;
    let document = package.main_part("word/document.xml");
    let mut out = Collector::new(max_chars);
    let mut walker = TextWalker::new(Vocabulary::Word);
    package.walk(&document, |event| walker.event(event, &mut out))?;
    Ok(out.finish("docx", None))
}

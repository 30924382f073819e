//! TEMPORARY STUB — replaced by the files helper. Signatures are the contract.

use thiserror::Error;

#[derive(Debug, Error)]
#[error("could not build the {kind} attachment: {detail}")]
pub struct FileError {
    pub kind: &'static str,
    pub detail: String,
}

/// A synthetic application screenshot: a window with a title bar, a few
/// lines of readable text and an optional coloured banner (for example an
/// error message), so a vision model has something real to read.
#[derive(Debug, Clone)]
pub struct Screenshot<'a> {
    pub title: &'a str,
    pub lines: &'a [&'a str],
    pub banner: Option<&'a str>,
    pub width: u32,
    pub height: u32,
}

#[derive(Debug, Clone)]
pub enum Cell {
    Text(String),
    Number(f64),
}

#[derive(Debug, Clone)]
pub struct Sheet<'a> {
    pub name: &'a str,
    pub rows: Vec<Vec<Cell>>,
}

#[derive(Debug, Clone)]
pub struct Slide<'a> {
    pub title: &'a str,
    pub bullets: &'a [&'a str],
}

pub fn png_screenshot(_s: &Screenshot<'_>) -> Result<Vec<u8>, FileError> {
    Ok(b"\x89PNG\r\n\x1a\n".to_vec())
}
pub fn jpeg_screenshot(_s: &Screenshot<'_>, _quality: u8) -> Result<Vec<u8>, FileError> {
    Ok(vec![0xFF, 0xD8, 0xFF, 0xD9])
}
pub fn pdf_document(_title: &str, _paragraphs: &[&str]) -> Result<Vec<u8>, FileError> {
    Ok(b"%PDF-1.4\n%%EOF\n".to_vec())
}
pub fn docx_document(_title: &str, _paragraphs: &[&str]) -> Result<Vec<u8>, FileError> {
    Ok(b"PK\x03\x04".to_vec())
}
pub fn xlsx_workbook(_sheets: &[Sheet<'_>]) -> Result<Vec<u8>, FileError> {
    Ok(b"PK\x03\x04".to_vec())
}
pub fn pptx_presentation(_slides: &[Slide<'_>]) -> Result<Vec<u8>, FileError> {
    Ok(b"PK\x03\x04".to_vec())
}

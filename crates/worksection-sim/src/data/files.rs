//! Real attachment files for the simulated accounts: screenshots (PNG,
//! JPEG), a PDF, Word, Excel and PowerPoint documents.
//!
//! The product reads attachments for an assistant: a vision model looks at
//! screenshots, and text is extracted from documents. So these are real
//! files that standard readers open, with readable content: screenshots
//! draw their text with a small built-in bitmap font, documents carry the
//! given paragraphs, sheets and slides. Output is deterministic (no clocks:
//! zip entries and document properties carry fixed dates), so a seed always
//! gives the same bytes.
//!
//! Formats come from well-kept crates where one exists (`png`,
//! `jpeg-encoder`, `lopdf`, `rust_xlsxwriter`); Word and PowerPoint files are
//! small OOXML packages written with `zip`, since no maintained writer covers
//! PowerPoint and a minimal Word package needs only three parts.

use std::io::{Cursor, Write};

use thiserror::Error;

#[derive(Debug, Error)]
#[error("could not build the {kind} attachment: {detail}")]
pub struct FileError {
    pub kind: &'static str,
    pub detail: String,
}

fn fail(kind: &'static str) -> impl Fn(&dyn std::fmt::Display) -> FileError {
    move |e| FileError {
        kind,
        detail: e.to_string(),
    }
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

// ---------------------------------------------------------------- images

/// The screenshot palette; pixels are indices into it.
const PALETTE: [[u8; 3]; 8] = [
    [0xF4, 0xF6, 0xF8], // 0 window background
    [0x1D, 0x27, 0x33], // 1 text
    [0x2F, 0x80, 0xED], // 2 title bar / buttons
    [0xFF, 0xFF, 0xFF], // 3 white
    [0xC6, 0x28, 0x28], // 4 error banner
    [0xD5, 0xDB, 0xE1], // 5 borders
    [0xE8, 0xF0, 0xFD], // 6 panel
    [0x5F, 0x6B, 0x7A], // 7 muted
];

/// Classic 5x7 glyphs for printable ASCII; each byte is a column, bit 0 at
/// the top.
const FONT: [[u8; 5]; 95] = [
    [0x00, 0x00, 0x00, 0x00, 0x00],
    [0x00, 0x00, 0x5F, 0x00, 0x00],
    [0x00, 0x07, 0x00, 0x07, 0x00],
    [0x14, 0x7F, 0x14, 0x7F, 0x14],
    [0x24, 0x2A, 0x7F, 0x2A, 0x12],
    [0x23, 0x13, 0x08, 0x64, 0x62],
    [0x36, 0x49, 0x55, 0x22, 0x50],
    [0x00, 0x05, 0x03, 0x00, 0x00],
    [0x00, 0x1C, 0x22, 0x41, 0x00],
    [0x00, 0x41, 0x22, 0x1C, 0x00],
    [0x08, 0x2A, 0x1C, 0x2A, 0x08],
    [0x08, 0x08, 0x3E, 0x08, 0x08],
    [0x00, 0x50, 0x30, 0x00, 0x00],
    [0x08, 0x08, 0x08, 0x08, 0x08],
    [0x00, 0x60, 0x60, 0x00, 0x00],
    [0x20, 0x10, 0x08, 0x04, 0x02],
    [0x3E, 0x51, 0x49, 0x45, 0x3E],
    [0x00, 0x42, 0x7F, 0x40, 0x00],
    [0x42, 0x61, 0x51, 0x49, 0x46],
    [0x21, 0x41, 0x45, 0x4B, 0x31],
    [0x18, 0x14, 0x12, 0x7F, 0x10],
    [0x27, 0x45, 0x45, 0x45, 0x39],
    [0x3C, 0x4A, 0x49, 0x49, 0x30],
    [0x01, 0x71, 0x09, 0x05, 0x03],
    [0x36, 0x49, 0x49, 0x49, 0x36],
    [0x06, 0x49, 0x49, 0x29, 0x1E],
    [0x00, 0x36, 0x36, 0x00, 0x00],
    [0x00, 0x56, 0x36, 0x00, 0x00],
    [0x08, 0x14, 0x22, 0x41, 0x00],
    [0x14, 0x14, 0x14, 0x14, 0x14],
    [0x00, 0x41, 0x22, 0x14, 0x08],
    [0x02, 0x01, 0x51, 0x09, 0x06],
    [0x32, 0x49, 0x79, 0x41, 0x3E],
    [0x7E, 0x11, 0x11, 0x11, 0x7E],
    [0x7F, 0x49, 0x49, 0x49, 0x36],
    [0x3E, 0x41, 0x41, 0x41, 0x22],
    [0x7F, 0x41, 0x41, 0x22, 0x1C],
    [0x7F, 0x49, 0x49, 0x49, 0x41],
    [0x7F, 0x09, 0x09, 0x01, 0x01],
    [0x3E, 0x41, 0x41, 0x51, 0x32],
    [0x7F, 0x08, 0x08, 0x08, 0x7F],
    [0x00, 0x41, 0x7F, 0x41, 0x00],
    [0x20, 0x40, 0x41, 0x3F, 0x01],
    [0x7F, 0x08, 0x14, 0x22, 0x41],
    [0x7F, 0x40, 0x40, 0x40, 0x40],
    [0x7F, 0x02, 0x04, 0x02, 0x7F],
    [0x7F, 0x04, 0x08, 0x10, 0x7F],
    [0x3E, 0x41, 0x41, 0x41, 0x3E],
    [0x7F, 0x09, 0x09, 0x09, 0x06],
    [0x3E, 0x41, 0x51, 0x21, 0x5E],
    [0x7F, 0x09, 0x19, 0x29, 0x46],
    [0x46, 0x49, 0x49, 0x49, 0x31],
    [0x01, 0x01, 0x7F, 0x01, 0x01],
    [0x3F, 0x40, 0x40, 0x40, 0x3F],
    [0x1F, 0x20, 0x40, 0x20, 0x1F],
    [0x7F, 0x20, 0x18, 0x20, 0x7F],
    [0x63, 0x14, 0x08, 0x14, 0x63],
    [0x03, 0x04, 0x78, 0x04, 0x03],
    [0x61, 0x51, 0x49, 0x45, 0x43],
    [0x00, 0x7F, 0x41, 0x41, 0x00],
    [0x02, 0x04, 0x08, 0x10, 0x20],
    [0x00, 0x41, 0x41, 0x7F, 0x00],
    [0x04, 0x02, 0x01, 0x02, 0x04],
    [0x40, 0x40, 0x40, 0x40, 0x40],
    [0x00, 0x01, 0x02, 0x04, 0x00],
    [0x20, 0x54, 0x54, 0x54, 0x78],
    [0x7F, 0x48, 0x44, 0x44, 0x38],
    [0x38, 0x44, 0x44, 0x44, 0x20],
    [0x38, 0x44, 0x44, 0x48, 0x7F],
    [0x38, 0x54, 0x54, 0x54, 0x18],
    [0x08, 0x7E, 0x09, 0x01, 0x02],
    [0x0C, 0x52, 0x52, 0x52, 0x3E],
    [0x7F, 0x08, 0x04, 0x04, 0x78],
    [0x00, 0x44, 0x7D, 0x40, 0x00],
    [0x20, 0x40, 0x44, 0x3D, 0x00],
    [0x7F, 0x10, 0x28, 0x44, 0x00],
    [0x00, 0x41, 0x7F, 0x40, 0x00],
    [0x7C, 0x04, 0x18, 0x04, 0x78],
    [0x7C, 0x08, 0x04, 0x04, 0x78],
    [0x38, 0x44, 0x44, 0x44, 0x38],
    [0x7C, 0x14, 0x14, 0x14, 0x08],
    [0x08, 0x14, 0x14, 0x18, 0x7C],
    [0x7C, 0x08, 0x04, 0x04, 0x08],
    [0x48, 0x54, 0x54, 0x54, 0x20],
    [0x04, 0x3F, 0x44, 0x40, 0x20],
    [0x3C, 0x40, 0x40, 0x20, 0x7C],
    [0x1C, 0x20, 0x40, 0x20, 0x1C],
    [0x3C, 0x40, 0x30, 0x40, 0x3C],
    [0x44, 0x28, 0x10, 0x28, 0x44],
    [0x0C, 0x50, 0x50, 0x50, 0x3C],
    [0x44, 0x64, 0x54, 0x4C, 0x44],
    [0x00, 0x08, 0x36, 0x41, 0x00],
    [0x00, 0x00, 0x7F, 0x00, 0x00],
    [0x00, 0x41, 0x36, 0x08, 0x00],
    [0x10, 0x08, 0x08, 0x10, 0x08],
];

/// A box drawn where a character has no glyph (outside printable ASCII).
const MISSING: [u8; 5] = [0x7F, 0x41, 0x41, 0x41, 0x7F];

/// An indexed-colour canvas.
struct Canvas {
    width: u32,
    height: u32,
    pixels: Vec<u8>,
}

impl Canvas {
    fn new(width: u32, height: u32) -> Self {
        Self {
            width,
            height,
            pixels: vec![0; width as usize * height as usize],
        }
    }

    fn rect(&mut self, x: u32, y: u32, w: u32, h: u32, colour: u8) {
        for row in y..(y + h).min(self.height) {
            let start = row as usize * self.width as usize;
            let from = start + x.min(self.width) as usize;
            let to = start + (x + w).min(self.width) as usize;
            if let Some(span) = self.pixels.get_mut(from..to) {
                span.fill(colour);
            }
        }
    }

    /// Draws `text` with the 5x7 font scaled by `scale`; returns the width.
    fn text(&mut self, x: u32, y: u32, text: &str, scale: u32, colour: u8) -> u32 {
        let advance = 6 * scale;
        for (i, c) in text.chars().enumerate() {
            let glyph = match c as u32 {
                code @ 0x20..=0x7E => FONT.get(code as usize - 0x20).copied().unwrap_or(MISSING),
                _ => MISSING,
            };
            let gx = x + i as u32 * advance;
            for (col, bits) in glyph.iter().enumerate() {
                for row in 0..7 {
                    if bits >> row & 1 == 1 {
                        self.rect(
                            gx + col as u32 * scale,
                            y + row * scale,
                            scale,
                            scale,
                            colour,
                        );
                    }
                }
            }
        }
        text.chars().count() as u32 * advance
    }

    fn rgb(&self) -> Vec<u8> {
        self.pixels
            .iter()
            .flat_map(|&i| PALETTE.get(i as usize).copied().unwrap_or([0, 0, 0]))
            .collect()
    }
}

fn draw(s: &Screenshot<'_>) -> Result<Canvas, FileError> {
    if !(160..=4096).contains(&s.width) || !(120..=4096).contains(&s.height) {
        return Err(FileError {
            kind: "screenshot",
            detail: format!("{}x{} is not a screen size", s.width, s.height),
        });
    }
    let mut c = Canvas::new(s.width, s.height);
    // Title bar with window buttons.
    c.rect(0, 0, s.width, 36, 2);
    for (i, colour) in [4u8, 3, 3].iter().enumerate() {
        c.rect(12 + i as u32 * 18, 13, 10, 10, *colour);
    }
    c.text(70, 11, s.title, 2, 3);
    let mut y = 56;
    if let Some(banner) = s.banner {
        c.rect(16, y, s.width.saturating_sub(32), 40, 4);
        c.text(30, y + 13, banner, 2, 3);
        y += 60;
    }
    // A panel holding the lines, like a form or a card.
    let panel_h = (s.lines.len() as u32 * 34 + 24).min(s.height.saturating_sub(y + 16));
    c.rect(16, y, s.width.saturating_sub(32), panel_h, 6);
    c.rect(16, y, 4, panel_h, 5);
    y += 16;
    for line in s.lines {
        let colour = if line.starts_with('[') { 2 } else { 1 };
        c.text(32, y, line, 2, colour);
        y += 34;
    }
    // A muted footer, so the picture has the shape of a real app.
    c.rect(0, s.height.saturating_sub(28), s.width, 28, 5);
    c.text(
        12,
        s.height.saturating_sub(20),
        "Bluebird Foods  |  support@bluebird.example",
        1,
        7,
    );
    Ok(c)
}

pub fn png_screenshot(s: &Screenshot<'_>) -> Result<Vec<u8>, FileError> {
    let canvas = draw(s)?;
    let err = fail("PNG");
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, canvas.width, canvas.height);
    encoder.set_color(png::ColorType::Indexed);
    encoder.set_depth(png::BitDepth::Eight);
    encoder.set_palette(PALETTE.concat());
    encoder.set_compression(png::Compression::High);
    let mut writer = encoder.write_header().map_err(|e| err(&e))?;
    writer
        .write_image_data(&canvas.pixels)
        .map_err(|e| err(&e))?;
    writer.finish().map_err(|e| err(&e))?;
    Ok(out)
}

pub fn jpeg_screenshot(s: &Screenshot<'_>, quality: u8) -> Result<Vec<u8>, FileError> {
    let canvas = draw(s)?;
    let err = fail("JPEG");
    let (w, h) = (
        u16::try_from(canvas.width).map_err(|e| err(&e))?,
        u16::try_from(canvas.height).map_err(|e| err(&e))?,
    );
    let mut out = Vec::new();
    let encoder = jpeg_encoder::Encoder::new(&mut out, quality.clamp(1, 100));
    encoder
        .encode(&canvas.rgb(), w, h, jpeg_encoder::ColorType::Rgb)
        .map_err(|e| err(&e))?;
    Ok(out)
}

// ------------------------------------------------------------------- PDF

/// Characters per line at 11 pt Helvetica on A4 with 2 cm margins.
const PDF_LINE: usize = 92;
const PDF_LINES_PER_PAGE: usize = 46;

fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > width {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

/// Text in the PDF's WinAnsi encoding; characters outside it become `?`.
fn win_ansi(s: &str) -> Vec<u8> {
    s.chars()
        .map(|c| match c as u32 {
            code @ 0x20..=0x7E | code @ 0xA0..=0xFF => code as u8,
            0x2013 => 0x96,
            0x2014 => 0x97,
            0x2019 => 0x92,
            _ => b'?',
        })
        .collect()
}

pub fn pdf_document(title: &str, paragraphs: &[&str]) -> Result<Vec<u8>, FileError> {
    use lopdf::content::{Content, Operation};
    use lopdf::{Document, Object, Stream, dictionary};

    let err = fail("PDF");
    // Lines of (font size, text), with a blank line between paragraphs.
    let mut lines: Vec<(i64, String)> = vec![(18, title.to_owned()), (11, String::new())];
    for p in paragraphs {
        lines.extend(wrap(p, PDF_LINE).into_iter().map(|l| (11, l)));
        lines.push((11, String::new()));
    }

    let mut doc = Document::with_version("1.5");
    let pages_id = doc.new_object_id();
    let font_id = doc.add_object(dictionary! {
        "Type" => "Font",
        "Subtype" => "Type1",
        "BaseFont" => "Helvetica",
        "Encoding" => "WinAnsiEncoding",
    });
    let resources_id = doc.add_object(dictionary! { "Font" => dictionary! { "F1" => font_id } });
    let mut kids = Vec::new();
    for chunk in lines.chunks(PDF_LINES_PER_PAGE) {
        let mut ops = vec![
            Operation::new("BT", vec![]),
            Operation::new("TL", vec![16.into()]),
        ];
        ops.push(Operation::new("Td", vec![57.into(), 780.into()]));
        for (size, text) in chunk {
            ops.push(Operation::new("Tf", vec!["F1".into(), (*size).into()]));
            ops.push(Operation::new(
                "Tj",
                vec![Object::string_literal(win_ansi(text))],
            ));
            ops.push(Operation::new("T*", vec![]));
        }
        ops.push(Operation::new("ET", vec![]));
        let content = Content { operations: ops }.encode().map_err(|e| err(&e))?;
        let content_id = doc.add_object(Stream::new(dictionary! {}, content));
        let page_id = doc.add_object(dictionary! {
            "Type" => "Page",
            "Parent" => pages_id,
            "Contents" => content_id,
        });
        kids.push(page_id.into());
    }
    let count = kids.len() as i64;
    doc.objects.insert(
        pages_id,
        Object::Dictionary(dictionary! {
            "Type" => "Pages",
            "Kids" => kids,
            "Count" => count,
            "Resources" => resources_id,
            "MediaBox" => vec![0.into(), 0.into(), 595.into(), 842.into()],
        }),
    );
    let info_id = doc.add_object(dictionary! {
        "Title" => Object::string_literal(win_ansi(title)),
        "Producer" => Object::string_literal("Worksection simulator"),
    });
    let catalog_id = doc.add_object(dictionary! { "Type" => "Catalog", "Pages" => pages_id });
    doc.trailer.set("Root", catalog_id);
    doc.trailer.set("Info", info_id);
    doc.compress();
    let mut out = Vec::new();
    doc.save_to(&mut out).map_err(|e| err(&e))?;
    Ok(out)
}

// ------------------------------------------------------------ OOXML (zip)

/// Escapes text for XML content and attributes.
fn xml(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // Control characters are not allowed in XML 1.0.
            c if (c as u32) < 0x20 && c != '\t' && c != '\n' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// Writes a zip package with fixed entry dates, in the order given.
fn package(kind: &'static str, parts: &[(&str, String)]) -> Result<Vec<u8>, FileError> {
    let err = fail(kind);
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .last_modified_time(zip::DateTime::default());
    let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
    for (name, content) in parts {
        zip.start_file(*name, options).map_err(|e| err(&e))?;
        zip.write_all(content.as_bytes()).map_err(|e| err(&e))?;
    }
    Ok(zip.finish().map_err(|e| err(&e))?.into_inner())
}

const XML_HEAD: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>"#;

pub fn docx_document(title: &str, paragraphs: &[&str]) -> Result<Vec<u8>, FileError> {
    let content_types = format!(
        r#"{XML_HEAD}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>"#
    );
    let rels = format!(
        r#"{XML_HEAD}<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>"#
    );
    let mut body = format!(
        r#"<w:p><w:pPr><w:spacing w:after="240"/></w:pPr><w:r><w:rPr><w:b/><w:sz w:val="36"/></w:rPr><w:t xml:space="preserve">{}</w:t></w:r></w:p>"#,
        xml(title)
    );
    for p in paragraphs {
        body.push_str(&format!(
            r#"<w:p><w:pPr><w:spacing w:after="160"/></w:pPr><w:r><w:t xml:space="preserve">{}</w:t></w:r></w:p>"#,
            xml(p)
        ));
    }
    let document = format!(
        r#"{XML_HEAD}<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>{body}<w:sectPr><w:pgSz w:w="11906" w:h="16838"/><w:pgMar w:top="1134" w:right="1134" w:bottom="1134" w:left="1134" w:header="708" w:footer="708" w:gutter="0"/></w:sectPr></w:body></w:document>"#
    );
    package(
        "DOCX",
        &[
            ("[Content_Types].xml", content_types),
            ("_rels/.rels", rels),
            ("word/document.xml", document),
        ],
    )
}

pub fn xlsx_workbook(sheets: &[Sheet<'_>]) -> Result<Vec<u8>, FileError> {
    use rust_xlsxwriter::{DocProperties, ExcelDateTime, Format, Workbook};

    let err = fail("XLSX");
    let mut book = Workbook::new();
    // A fixed creation date keeps the bytes the same from run to run.
    let created = ExcelDateTime::from_ymd(2026, 1, 5).map_err(|e| err(&e))?;
    book.set_properties(&DocProperties::new().set_creation_datetime(&created));
    let bold = Format::new().set_bold();
    for sheet in sheets {
        let ws = book.add_worksheet();
        ws.set_name(sheet.name).map_err(|e| err(&e))?;
        for (r, row) in sheet.rows.iter().enumerate() {
            let r = u32::try_from(r).map_err(|e| err(&e))?;
            for (c, cell) in row.iter().enumerate() {
                let c = u16::try_from(c).map_err(|e| err(&e))?;
                match (cell, r) {
                    (Cell::Text(t), 0) => ws.write_string_with_format(r, c, t, &bold),
                    (Cell::Text(t), _) => ws.write_string(r, c, t),
                    (Cell::Number(n), _) => ws.write_number(r, c, *n),
                }
                .map_err(|e| err(&e))?;
            }
        }
        ws.autofit();
    }
    book.save_to_buffer().map_err(|e| err(&e))
}

pub fn pptx_presentation(slides: &[Slide<'_>]) -> Result<Vec<u8>, FileError> {
    const P: &str = r#"xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships" xmlns:p="http://schemas.openxmlformats.org/presentationml/2006/main""#;
    const REL: &str = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";
    const EMPTY_TREE: &str = r#"<p:nvGrpSpPr><p:cNvPr id="1" name=""/><p:cNvGrpSpPr/><p:nvPr/></p:nvGrpSpPr><p:grpSpPr/>"#;

    let mut overrides = String::new();
    let mut pres_rels = format!(
        r#"<Relationship Id="rId1" Type="{REL}/slideMaster" Target="slideMasters/slideMaster1.xml"/><Relationship Id="rId2" Type="{REL}/theme" Target="theme/theme1.xml"/>"#
    );
    let mut slide_ids = String::new();
    let mut parts: Vec<(String, String)> = Vec::new();
    for (i, slide) in slides.iter().enumerate() {
        let n = i + 1;
        overrides.push_str(&format!(
            r#"<Override PartName="/ppt/slides/slide{n}.xml" ContentType="application/vnd.openxmlformats-officedocument.presentationml.slide+xml"/>"#
        ));
        pres_rels.push_str(&format!(
            r#"<Relationship Id="rId{}" Type="{REL}/slide" Target="slides/slide{n}.xml"/>"#,
            n + 2
        ));
        slide_ids.push_str(&format!(
            r#"<p:sldId id="{}" r:id="rId{}"/>"#,
            255 + n,
            n + 2
        ));
        let bullets: String = slide
            .bullets
            .iter()
            .map(|b| format!(r#"<a:p><a:pPr marL="342900" indent="-342900"><a:buChar char="&#8226;"/></a:pPr><a:r><a:rPr lang="en-US" sz="2400"/><a:t>{}</a:t></a:r></a:p>"#, xml(b)))
            .collect();
        let body = format!(
            r#"{XML_HEAD}<p:sld {P}><p:cSld><p:spTree>{EMPTY_TREE}<p:sp><p:nvSpPr><p:cNvPr id="2" name="Title"/><p:cNvSpPr/><p:nvPr/></p:nvSpPr><p:spPr><a:xfrm><a:off x="457200" y="274638"/><a:ext cx="8229600" cy="1143000"/></a:xfrm><a:prstGeom prst="rect"><a:avLst/></a:prstGeom></p:spPr><p:txBody><a:bodyPr/><a:lstStyle/><a:p><a:r><a:rPr lang="en-US" sz="4000" b="1"/><a:t>{title}</a:t></a:r></a:p></p:txBody></p:sp><p:sp><p:nvSpPr><p:cNvPr id="3" name="Body"/><p:cNvSpPr/><p:nvPr/></p:nvSpPr><p:spPr><a:xfrm><a:off x="457200" y="1600200"/><a:ext cx="8229600" cy="4525963"/></a:xfrm><a:prstGeom prst="rect"><a:avLst/></a:prstGeom></p:spPr><p:txBody><a:bodyPr/><a:lstStyle/>{bullets}</p:txBody></p:sp></p:spTree></p:cSld><p:clrMapOvr><a:masterClrMapping/></p:clrMapOvr></p:sld>"#,
            title = xml(slide.title),
        );
        parts.push((format!("ppt/slides/slide{n}.xml"), body));
        parts.push((
            format!("ppt/slides/_rels/slide{n}.xml.rels"),
            format!(r#"{XML_HEAD}<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="{REL}/slideLayout" Target="../slideLayouts/slideLayout1.xml"/></Relationships>"#),
        ));
    }
    let content_types = format!(
        r#"{XML_HEAD}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/ppt/presentation.xml" ContentType="application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml"/><Override PartName="/ppt/slideMasters/slideMaster1.xml" ContentType="application/vnd.openxmlformats-officedocument.presentationml.slideMaster+xml"/><Override PartName="/ppt/slideLayouts/slideLayout1.xml" ContentType="application/vnd.openxmlformats-officedocument.presentationml.slideLayout+xml"/><Override PartName="/ppt/theme/theme1.xml" ContentType="application/vnd.openxmlformats-officedocument.theme+xml"/>{overrides}</Types>"#
    );
    let root_rels = format!(
        r#"{XML_HEAD}<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="{REL}/officeDocument" Target="ppt/presentation.xml"/></Relationships>"#
    );
    let presentation = format!(
        r#"{XML_HEAD}<p:presentation {P}><p:sldMasterIdLst><p:sldMasterId id="2147483648" r:id="rId1"/></p:sldMasterIdLst><p:sldIdLst>{slide_ids}</p:sldIdLst><p:sldSz cx="9144000" cy="6858000" type="screen4x3"/><p:notesSz cx="6858000" cy="9144000"/></p:presentation>"#
    );
    let pres_rels = format!(
        r#"{XML_HEAD}<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">{pres_rels}</Relationships>"#
    );
    let master = format!(
        r#"{XML_HEAD}<p:sldMaster {P}><p:cSld><p:spTree>{EMPTY_TREE}</p:spTree></p:cSld><p:clrMap bg1="lt1" tx1="dk1" bg2="lt2" tx2="dk2" accent1="accent1" accent2="accent2" accent3="accent3" accent4="accent4" accent5="accent5" accent6="accent6" hlink="hlink" folHlink="folHlink"/><p:sldLayoutIdLst><p:sldLayoutId id="2147483649" r:id="rId1"/></p:sldLayoutIdLst></p:sldMaster>"#
    );
    let master_rels = format!(
        r#"{XML_HEAD}<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="{REL}/slideLayout" Target="../slideLayouts/slideLayout1.xml"/><Relationship Id="rId2" Type="{REL}/theme" Target="../theme/theme1.xml"/></Relationships>"#
    );
    let layout = format!(
        r#"{XML_HEAD}<p:sldLayout {P} type="blank"><p:cSld name="Blank"><p:spTree>{EMPTY_TREE}</p:spTree></p:cSld><p:clrMapOvr><a:masterClrMapping/></p:clrMapOvr></p:sldLayout>"#
    );
    let layout_rels = format!(
        r#"{XML_HEAD}<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="{REL}/slideMaster" Target="../slideMasters/slideMaster1.xml"/></Relationships>"#
    );
    let colour =
        |name: &str, hex: &str| format!(r#"<a:{name}><a:srgbClr val="{hex}"/></a:{name}>"#);
    let scheme: String = [
        ("dk1", "000000"),
        ("lt1", "FFFFFF"),
        ("dk2", "1D2B53"),
        ("lt2", "FAF7F0"),
        ("accent1", "2F80ED"),
        ("accent2", "FFB000"),
        ("accent3", "27AE60"),
        ("accent4", "C62828"),
        ("accent5", "8E44AD"),
        ("accent6", "16A085"),
        ("hlink", "2F80ED"),
        ("folHlink", "8E44AD"),
    ]
    .iter()
    .map(|(n, h)| colour(n, h))
    .collect();
    let fill = r#"<a:solidFill><a:schemeClr val="phClr"/></a:solidFill>"#;
    let line = r#"<a:ln w="9525"><a:solidFill><a:schemeClr val="phClr"/></a:solidFill></a:ln>"#;
    let theme = format!(
        r#"{XML_HEAD}<a:theme xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main" name="Northwind"><a:themeElements><a:clrScheme name="Northwind">{scheme}</a:clrScheme><a:fontScheme name="Northwind"><a:majorFont><a:latin typeface="Arial"/><a:ea typeface=""/><a:cs typeface=""/></a:majorFont><a:minorFont><a:latin typeface="Arial"/><a:ea typeface=""/><a:cs typeface=""/></a:minorFont></a:fontScheme><a:fmtScheme name="Northwind"><a:fillStyleLst>{fill}{fill}{fill}</a:fillStyleLst><a:lnStyleLst>{line}{line}{line}</a:lnStyleLst><a:effectStyleLst><a:effectStyle><a:effectLst/></a:effectStyle><a:effectStyle><a:effectLst/></a:effectStyle><a:effectStyle><a:effectLst/></a:effectStyle></a:effectStyleLst><a:bgFillStyleLst>{fill}{fill}{fill}</a:bgFillStyleLst></a:fmtScheme></a:themeElements></a:theme>"#
    );
    let mut all: Vec<(&str, String)> = vec![
        ("[Content_Types].xml", content_types),
        ("_rels/.rels", root_rels),
        ("ppt/presentation.xml", presentation),
        ("ppt/_rels/presentation.xml.rels", pres_rels),
        ("ppt/slideMasters/slideMaster1.xml", master),
        ("ppt/slideMasters/_rels/slideMaster1.xml.rels", master_rels),
        ("ppt/slideLayouts/slideLayout1.xml", layout),
        ("ppt/slideLayouts/_rels/slideLayout1.xml.rels", layout_rels),
        ("ppt/theme/theme1.xml", theme),
    ];
    all.extend(parts.iter().map(|(n, c)| (n.as_str(), c.clone())));
    package("PPTX", &all)
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    use super::*;

    const SHOT: Screenshot<'static> = Screenshot {
        title: "Checkout",
        lines: &[
            "Total: $86.40",
            "[ Pay now ]",
            "Résumé (non-ASCII shows as a box)",
        ],
        banner: Some("Error 500: payment service unavailable"),
        width: 640,
        height: 400,
    };

    fn zip_text(bytes: &[u8], part: &str) -> String {
        let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).expect("a zip package");
        let mut s = String::new();
        archive
            .by_name(part)
            .unwrap_or_else(|_| panic!("{part} is in the package"))
            .read_to_string(&mut s)
            .expect("UTF-8 XML");
        s
    }

    #[test]
    fn png_decodes_with_the_right_size_and_colours() {
        let bytes = png_screenshot(&SHOT).expect("png");
        let decoder = png::Decoder::new(Cursor::new(&bytes));
        let mut reader = decoder.read_info().expect("valid PNG");
        let mut buf = vec![0; reader.output_buffer_size().expect("size")];
        let info = reader.next_frame(&mut buf).expect("one frame");
        assert_eq!((info.width, info.height), (640, 400));
        // The red banner and dark text are really drawn.
        assert!(buf.contains(&4) && buf.contains(&1));
        assert!(bytes.len() < 100_000, "{} bytes", bytes.len());
    }

    #[test]
    fn jpeg_decodes() {
        let bytes = jpeg_screenshot(&SHOT, 85).expect("jpeg");
        let mut decoder = jpeg_decoder::Decoder::new(Cursor::new(&bytes));
        let pixels = decoder.decode().expect("valid JPEG");
        let info = decoder.info().expect("header");
        assert_eq!((info.width, info.height), (640, 400));
        assert_eq!(pixels.len(), 640 * 400 * 3);
    }

    #[test]
    fn screenshot_sizes_are_checked() {
        let tiny = Screenshot { width: 10, ..SHOT };
        assert!(
            png_screenshot(&tiny)
                .expect_err("too small")
                .to_string()
                .contains("10x400")
        );
    }

    #[test]
    fn pdf_text_is_extractable_on_every_page() {
        let long: Vec<String> = (0..60)
            .map(|i| format!("Paragraph {i} about (brackets) and back\\slashes."))
            .collect();
        let paragraphs: Vec<&str> = long.iter().map(String::as_str).collect();
        let bytes = pdf_document("Brand guidelines", &paragraphs).expect("pdf");
        assert!(bytes.starts_with(b"%PDF-1.5"));
        let doc = lopdf::Document::load_mem(&bytes).expect("valid PDF");
        let pages: Vec<u32> = doc.get_pages().keys().copied().collect();
        assert!(pages.len() >= 2, "long documents span pages");
        let text = doc.extract_text(&pages).expect("text");
        assert!(text.contains("Brand guidelines"));
        assert!(text.contains("Paragraph 0 about (brackets) and back\\slashes."));
        assert!(text.contains("Paragraph 59"));
    }

    #[test]
    fn docx_holds_the_paragraphs() {
        let bytes = docx_document("Notes <draft>", &["Budget & scope", "Second"]).expect("docx");
        let xml = zip_text(&bytes, "word/document.xml");
        assert!(
            xml.contains("Notes &lt;draft&gt;")
                && xml.contains("Budget &amp; scope")
                && xml.contains("Second")
        );
        assert!(
            zip_text(&bytes, "[Content_Types].xml").contains("wordprocessingml.document.main+xml")
        );
    }

    #[test]
    fn xlsx_reads_back_every_sheet() {
        use calamine::{Data, Reader, Xlsx};
        let sheets = [
            Sheet {
                name: "Budget",
                rows: vec![
                    vec![Cell::Text("Item".into()), Cell::Text("Planned".into())],
                    vec![Cell::Text("Media".into()), Cell::Number(60_000.0)],
                ],
            },
            Sheet {
                name: "Timeline",
                rows: vec![vec![Cell::Text("Week".into())], vec![Cell::Number(9.0)]],
            },
        ];
        let bytes = xlsx_workbook(&sheets).expect("xlsx");
        let mut book: Xlsx<_> =
            calamine::open_workbook_from_rs(Cursor::new(bytes)).expect("valid XLSX");
        assert_eq!(book.sheet_names(), ["Budget", "Timeline"]);
        let budget = book.worksheet_range("Budget").expect("sheet");
        assert_eq!(budget.get((1, 0)), Some(&Data::String("Media".into())));
        assert_eq!(budget.get((1, 1)), Some(&Data::Float(60_000.0)));
        let timeline = book.worksheet_range("Timeline").expect("sheet");
        assert_eq!(timeline.get((1, 0)), Some(&Data::Float(9.0)));
    }

    #[test]
    fn pptx_has_one_slide_per_slide() {
        let slides = [
            Slide {
                title: "Owl launch",
                bullets: &["Pitch", "Studio"],
            },
            Slide {
                title: "Budget & timeline",
                bullets: &["120k"],
            },
        ];
        let bytes = pptx_presentation(&slides).expect("pptx");
        let one = zip_text(&bytes, "ppt/slides/slide1.xml");
        let two = zip_text(&bytes, "ppt/slides/slide2.xml");
        assert!(one.contains("Owl launch") && one.contains("Pitch"));
        assert!(two.contains("Budget &amp; timeline") && two.contains("120k"));
        let pres = zip_text(&bytes, "ppt/presentation.xml");
        assert_eq!(pres.matches("<p:sldId ").count(), 2);
    }

    #[test]
    fn output_is_deterministic() {
        assert_eq!(png_screenshot(&SHOT).ok(), png_screenshot(&SHOT).ok());
        assert_eq!(
            jpeg_screenshot(&SHOT, 80).ok(),
            jpeg_screenshot(&SHOT, 80).ok()
        );
        assert_eq!(
            pdf_document("a", &["b"]).ok(),
            pdf_document("a", &["b"]).ok()
        );
        assert_eq!(
            docx_document("a", &["b"]).ok(),
            docx_document("a", &["b"]).ok()
        );
        let sheet = || {
            [Sheet {
                name: "S",
                rows: vec![vec![Cell::Number(1.0)]],
            }]
        };
        assert_eq!(xlsx_workbook(&sheet()).ok(), xlsx_workbook(&sheet()).ok());
        let slide = [Slide {
            title: "t",
            bullets: &["b"],
        }];
        assert_eq!(
            pptx_presentation(&slide).ok(),
            pptx_presentation(&slide).ok()
        );
    }
}

//! Sniffing and extraction over the simulator's demo attachments (real
//! files from real encoders), hand-built packages for what the demo lacks,
//! and hostile input: garbage, truncations, mutations and zip bombs.

use std::io::{Cursor, Read, Write};
use std::sync::{Arc, OnceLock};

use worksection_sim::data::files;

use super::mime::{DOCX, PDF, PPTX, XLSX};
use super::*;

/// The demo account's attachments, by upload name. The bytes do not depend
/// on the clock, so any `now` will do.
fn demo_files() -> &'static [(String, Arc<[u8]>)] {
    static FILES: OnceLock<Vec<(String, Arc<[u8]>)>> = OnceLock::new();
    FILES.get_or_init(|| {
        let data = worksection_sim::data::generate(
            worksection_sim::DatasetKind::Demo,
            42,
            Default::default(),
        )
        .expect("the demo dataset generates");
        data.files.into_iter().map(|f| (f.name, f.bytes)).collect()
    })
}

fn demo(name: &str) -> &'static [u8] {
    demo_files()
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, b)| &**b)
        .unwrap_or_else(|| panic!("the demo has {name}"))
}

fn extract_demo(name: &str) -> Extracted {
    let bytes = demo(name);
    extract_text(bytes, sniff_mime(bytes, name), usize::MAX).expect("extracts")
}

fn zip_of(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
    for (name, content) in entries {
        zip.start_file(*name, options).expect("entry");
        zip.write_all(content).expect("write");
    }
    zip.finish().expect("zip").into_inner()
}

/// The package's entries, in order.
fn unzip(bytes: &[u8]) -> Vec<(String, Vec<u8>)> {
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).expect("zip");
    (0..archive.len())
        .map(|i| {
            let mut entry = archive.by_index(i).expect("entry");
            let mut content = Vec::new();
            entry.read_to_end(&mut content).expect("inflates");
            (entry.name().expect("name").into_owned(), content)
        })
        .collect()
}

fn rezip(entries: &[(String, Vec<u8>)]) -> Vec<u8> {
    let refs: Vec<(&str, &[u8])> = entries
        .iter()
        .map(|(n, c)| (n.as_str(), c.as_slice()))
        .collect();
    zip_of(&refs)
}

fn docx_with_body(body: &str) -> Vec<u8> {
    let document = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006"><w:body>{body}</w:body></w:document>"#
    );
    zip_of(&[("word/document.xml", document.as_bytes())])
}

fn corrupt_reason(result: Result<Extracted, ExtractError>) -> String {
    match result {
        Err(ExtractError::Corrupt { reason, .. }) => reason,
        other => panic!("expected a Corrupt error, got {other:?}"),
    }
}

/// A small deterministic generator, so failures repeat.
struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

// ------------------------------------------------------------------ MIME

#[test]
fn every_demo_attachment_sniffs_to_its_type() {
    let expected = |name: &str| match name.rsplit_once('.').map(|(_, e)| e) {
        Some("png") => "image/png",
        Some("jpg") => "image/jpeg",
        Some("pdf") => PDF,
        Some("docx") => DOCX,
        Some("xlsx") => XLSX,
        Some("pptx") => PPTX,
        Some("md") => "text/markdown",
        Some("txt") => "text/plain",
        Some("csv") => "text/csv",
        Some("json") => "application/json",
        other => panic!("no expectation for {name} ({other:?})"),
    };
    let files = demo_files();
    assert_eq!(files.len(), 15, "the demo's attachments");
    let mut seen = std::collections::BTreeSet::new();
    for (name, bytes) in files {
        let mime = sniff_mime(bytes, name);
        assert_eq!(mime, expected(name), "{name}");
        seen.insert(mime);
    }
    assert_eq!(seen.len(), 10, "every kind is covered: {seen:?}");
}

#[test]
fn bytes_win_over_the_name() {
    assert_eq!(
        sniff_mime(demo("Checkout error.png"), "notes.txt"),
        "image/png"
    );
    assert_eq!(
        sniff_mime(demo("Checkout error - Android.jpg"), "x.png"),
        "image/jpeg"
    );
    assert_eq!(sniff_mime(demo("Launch budget.xlsx"), "budget.docx"), XLSX);
    assert_eq!(sniff_mime(demo("Campaign pitch.pptx"), "download"), PPTX);
    assert_eq!(
        sniff_mime(demo("Owl brand launch brief.docx"), "brief.zip"),
        DOCX
    );
    assert_eq!(sniff_mime(demo("Brand guidelines v3.pdf"), "a.txt"), PDF);
    // Text is named by its extension, and only text is.
    assert_eq!(sniff_mime(b"a,b\n1,2\n", "data.CSV"), "text/csv");
    assert_eq!(sniff_mime(b"plain words", "photo.png"), "text/plain");
    assert_eq!(sniff_mime(b"plain words", "no-extension"), "text/plain");
    assert_eq!(
        sniff_mime(b"\x00\x01\x02\x03binary\x00", "a.txt"),
        "application/octet-stream"
    );
    assert_eq!(
        sniff_mime(b"# Title\nA note about %PDF-1.7 headers\n", "n.md"),
        "text/markdown"
    );
    assert_eq!(
        sniff_mime(b"<svg xmlns='http://www.w3.org/2000/svg'/>", "x"),
        "image/svg+xml"
    );
    assert_eq!(sniff_mime(b"<!DOCTYPE html><p>hi</p>", "page"), "text/html");
    assert_eq!(sniff_mime(b"\xFF\xFEh\x00i\x00", "u16"), "text/plain");
    // Empty files: nothing to judge but a text extension.
    assert_eq!(sniff_mime(b"", "empty.txt"), "text/plain");
    assert_eq!(sniff_mime(b"", "empty.pdf"), "application/octet-stream");
    // A PDF behind a few bytes of junk, as some generators write them.
    let mut late = b"junk\n".to_vec();
    late.extend_from_slice(demo("Brand guidelines v3.pdf"));
    assert_eq!(sniff_mime(&late, "x"), PDF);
}

#[test]
fn zips_that_are_not_office_stay_zips() {
    let plain = zip_of(&[("hello.txt", b"hello")]);
    assert_eq!(sniff_mime(&plain, "report.docx"), "application/zip");
    let odt = zip_of(&[
        ("mimetype", b"application/vnd.oasis.opendocument.text"),
        ("content.xml", b"<office:document-content/>"),
    ]);
    assert_eq!(
        sniff_mime(&odt, "x.odt"),
        "application/vnd.oasis.opendocument.text"
    );
    // A cut-off zip still starts like one.
    assert_eq!(
        sniff_mime(b"PK\x03\x04 and then nothing", "a.docx"),
        "application/zip"
    );
}

#[test]
fn image_and_text_types() {
    assert!(is_image("image/png") && is_image("IMAGE/JPEG; q=1"));
    assert!(!is_image("image/svg+xml") && is_text("image/svg+xml"));
    assert!(!is_image(PDF) && !is_text(PDF));
    assert!(is_text("text/plain; charset=utf-8") && is_text("Text/Markdown"));
    assert!(is_text("application/json") && is_text("application/vnd.api+json"));
    assert!(is_text("application/xml") && is_text("application/atom+xml"));
    for office in [
        DOCX,
        XLSX,
        PPTX,
        "application/zip",
        "application/octet-stream",
    ] {
        assert!(!is_text(office) && !is_image(office), "{office}");
    }
}

// ------------------------------------------------------------ extraction

#[test]
fn demo_text_files_come_back_as_written() {
    for (name, phrase) in [
        (
            "Meeting notes 2026-11-17.md",
            "- Checkout error: Kate's fix is in review, ship Thursday.",
        ),
        (
            "Résumé notes.txt",
            "Strong: accessibility, TypeScript, design systems.",
        ),
        ("team-capacity.csv", "Development team,310,280"),
        ("api-response.json", r#""error":"PAY-TIMEOUT""#),
        (
            "../../etc/passwd.txt",
            "a harmless note with a hostile name",
        ),
        ("report:final?.txt", "Oldest is 45 days overdue."),
    ] {
        let e = extract_demo(name);
        assert_eq!(e.format, "text");
        assert!(e.text.contains(phrase), "{name}: {}", e.text);
        assert_eq!(e.text.as_bytes(), demo(name), "{name} is unchanged");
        assert_eq!((e.truncated, e.parts), (false, None));
        assert_eq!(e.total_chars, e.text.chars().count());
    }
}

#[test]
fn images_have_no_text() {
    for name in ["Checkout error.png", "Checkout error - Android.jpg"] {
        let bytes = demo(name);
        let mime = sniff_mime(bytes, name);
        assert!(is_image(mime));
        match extract_text(bytes, mime, 1000) {
            Err(ExtractError::Unsupported { mime: m }) => assert_eq!(m, mime),
            other => panic!("{name}: {other:?}"),
        }
    }
}

#[test]
fn pdf_pages_and_phrases() {
    let e = extract_demo("Brand guidelines v3.pdf");
    assert_eq!((e.format, e.parts, e.truncated), ("pdf", Some(1), false));
    assert!(
        e.text
            .starts_with("--- page 1 ---\nOwl brand guidelines v3\n"),
        "{}",
        e.text
    );
    for phrase in [
        "Colours: Midnight Blue #1D2B53 is the primary colour;",
        "Typography: headings in Fraunces Semibold, body text in Inter Regular at 16 px or larger.",
        "the height of the owl's eye",
        "knows the product well.",
    ] {
        assert!(e.text.contains(phrase), "missing {phrase:?} in {}", e.text);
    }
    assert_eq!(e.total_chars, e.text.chars().count());
}

#[test]
fn pdf_pages_come_in_order_with_markers() {
    let long: Vec<String> = (0..60)
        .map(|i| format!("Paragraph {i} about (brackets) and back\\slashes."))
        .collect();
    let paragraphs: Vec<&str> = long.iter().map(String::as_str).collect();
    let bytes = files::pdf_document("Brand guidelines", &paragraphs).expect("pdf");
    let e = extract_text(&bytes, sniff_mime(&bytes, "x.pdf"), usize::MAX).expect("extracts");
    let pages = e.parts.expect("a page count");
    assert!(pages >= 2, "{pages} pages");
    let mut at = 0;
    for n in 1..=pages {
        let marker = format!("--- page {n} ---");
        at = at
            + e.text[at..]
                .find(&marker)
                .unwrap_or_else(|| panic!("{marker}"));
    }
    let mut at = 0;
    for p in &long {
        at = at
            + e.text[at..]
                .find(p.as_str())
                .unwrap_or_else(|| panic!("{p} in order"));
    }
    assert!(
        e.text.contains("\n\n--- page 2 ---\n"),
        "a blank line before a page"
    );
}

#[test]
fn docx_paragraphs_in_order() {
    let brief = extract_demo("Owl brand launch brief.docx");
    assert_eq!((brief.format, brief.parts), ("docx", None));
    let lines: Vec<&str> = brief.text.lines().collect();
    assert_eq!(
        lines,
        [
            "Owl brand launch - project brief",
            "Goal: launch the Owl product line in March with a campaign that reaches 2 million people in the first month.",
            "Audience: health-conscious professionals aged 25 to 45 who snack at their desk.",
            "Deliverables: brand guidelines, packaging, launch campaign, press kit and launch event.",
            "Budget: 120,000 USD including media. Decisions above 5,000 USD need the client's approval.",
        ]
    );
    let requirements = extract_demo("Checkout requirements.docx");
    assert!(requirements.text.starts_with("Checkout requirements\n"));
    assert!(
        requirements
            .text
            .contains("Payment must complete within 5 seconds for 95% of orders.")
    );
}

#[test]
fn docx_escapes_come_back_as_characters() {
    let bytes = files::docx_document(
        "Notes <draft>",
        &["Budget & scope", "Résumé – “quoted” 日本"],
    )
    .expect("docx");
    let e = extract_text(&bytes, DOCX, usize::MAX).expect("extracts");
    assert_eq!(
        e.text,
        "Notes <draft>\nBudget & scope\nRésumé – “quoted” 日本"
    );
}

#[test]
fn docx_tables_tabs_and_breaks() {
    let bytes = docx_with_body(concat!(
        // A tab stop definition is not a tab.
        r#"<w:p><w:pPr><w:tabs><w:tab w:val="left" w:pos="720"/></w:tabs></w:pPr>"#,
        r#"<w:r><w:t>Owner:</w:t></w:r><w:r><w:tab/><w:t xml:space="preserve">Kate </w:t></w:r><w:r><w:t>Ivanova</w:t></w:r></w:p>"#,
        r#"<w:p><w:r><w:t>First line</w:t><w:br/><w:t>second line</w:t></w:r></w:p>"#,
        r#"<w:p/><w:p/><w:p/>"#,
        r#"<w:tbl><w:tr><w:tc><w:p><w:r><w:t>Item</w:t></w:r></w:p></w:tc><w:tc><w:p><w:r><w:t>Cost</w:t></w:r></w:p></w:tc></w:tr>"#,
        r#"<w:tr><w:tc><w:p><w:r><w:t>Media</w:t></w:r></w:p><w:p><w:r><w:t>and print</w:t></w:r></w:p></w:tc><w:tc><w:p><w:r><w:t>60&#160;000 &amp; up</w:t></w:r></w:p></w:tc></w:tr></w:tbl>"#,
        // Deleted text, field codes and compatibility fallbacks are not shown.
        r#"<w:p><w:r><w:delText>gone</w:delText></w:r><w:r><w:instrText>PAGE</w:instrText></w:r>"#,
        r#"<mc:AlternateContent><mc:Choice Requires="wps"><w:r><w:t>Boxed</w:t></w:r></mc:Choice><mc:Fallback><w:r><w:t>Boxed again</w:t></w:r></mc:Fallback></mc:AlternateContent>"#,
        r#"<w:r><w:t xml:space="preserve"> text</w:t></w:r></w:p>"#,
    ));
    assert_eq!(sniff_mime(&bytes, "x"), DOCX);
    let e = extract_text(&bytes, DOCX, usize::MAX).expect("extracts");
    assert_eq!(
        e.text,
        "Owner:\tKate Ivanova\nFirst line\nsecond line\n\nItem | Cost\nMedia and print | 60\u{a0}000 & up\nBoxed text"
    );
}

#[test]
fn xlsx_every_sheet_with_exact_numbers() {
    let e = extract_demo("Launch budget.xlsx");
    assert_eq!((e.format, e.parts), ("xlsx", Some(2)));
    let budget = e.text.find("## Sheet: Budget\n").expect("first sheet");
    let timeline = e.text.find("## Sheet: Timeline\n").expect("second sheet");
    assert!(budget < timeline);
    for row in [
        "Item | Planned | Spent",
        "Brand guidelines | 18000 | 16500",
        "Media | 60000 | 12400",
        "Launch event | 20000 | 0",
        "Milestone | Week",
        "Campaign live | 9",
    ] {
        assert!(
            e.text.lines().any(|l| l == row),
            "missing row {row:?} in {}",
            e.text
        );
    }
}

/// A small workbook written by hand: a used range that starts at C2, a
/// date-formatted cell, a gap in a row, a formula's cached result, a
/// boolean, a cell with a line break and a hidden sheet.
fn handmade_xlsx() -> Vec<u8> {
    const MAIN: &str = "http://schemas.openxmlformats.org/spreadsheetml/2006/main";
    const REL: &str = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";
    const PKG: &str = "http://schemas.openxmlformats.org/package/2006/relationships";
    let rels = format!(
        r#"<Relationships xmlns="{PKG}"><Relationship Id="rId1" Type="{REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>"#
    );
    let workbook = format!(
        r#"<workbook xmlns="{MAIN}" xmlns:r="{REL}"><sheets><sheet name="Plan" sheetId="1" r:id="rId1"/><sheet name="Secret" sheetId="2" state="hidden" r:id="rId2"/></sheets></workbook>"#
    );
    let workbook_rels = format!(
        r#"<Relationships xmlns="{PKG}"><Relationship Id="rId1" Type="{REL}/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="{REL}/worksheet" Target="worksheets/sheet2.xml"/><Relationship Id="rId3" Type="{REL}/styles" Target="styles.xml"/></Relationships>"#
    );
    let styles = format!(
        r#"<styleSheet xmlns="{MAIN}"><numFmts count="1"><numFmt numFmtId="164" formatCode="yyyy-mm-dd"/></numFmts><cellXfs count="2"><xf numFmtId="0"/><xf numFmtId="164" applyNumberFormat="1"/></cellXfs></styleSheet>"#
    );
    let plan = format!(
        r#"<worksheet xmlns="{MAIN}"><dimension ref="C2:F5"/><sheetData>
        <row r="2"><c r="C2" t="inlineStr"><is><t>Kick-off</t></is></c><c r="D2" s="1"><v>46090</v></c></row>
        <row r="3"><c r="C3"><v>0.30000000000000004</v></c><c r="F3"><f>C3*2</f><v>0.6000000000000001</v></c></row>
        <row r="4"><c r="C4" t="b"><v>1</v></c></row>
        <row r="5"><c r="C5" t="inlineStr"><is><t>two
lines</t></is></c><c r="D5"><v>-1.5E-7</v></c></row>
        </sheetData></worksheet>"#
    );
    let secret = format!(
        r#"<worksheet xmlns="{MAIN}"><sheetData><row r="1"><c r="A1"><v>42</v></c></row></sheetData></worksheet>"#
    );
    zip_of(&[
        ("_rels/.rels", rels.as_bytes()),
        ("xl/workbook.xml", workbook.as_bytes()),
        ("xl/_rels/workbook.xml.rels", workbook_rels.as_bytes()),
        ("xl/styles.xml", styles.as_bytes()),
        ("xl/worksheets/sheet1.xml", plan.as_bytes()),
        ("xl/worksheets/sheet2.xml", secret.as_bytes()),
    ])
}

#[test]
fn xlsx_dates_gaps_formulas_and_hidden_sheets() {
    let bytes = handmade_xlsx();
    assert_eq!(sniff_mime(&bytes, "x"), XLSX);
    let e = extract_text(&bytes, XLSX, usize::MAX).expect("extracts");
    assert_eq!(
        e.text,
        "## Sheet: Plan\nKick-off | 2026-03-09\n0.30000000000000004 |  |  | 0.6000000000000001\nTRUE\ntwo lines | -0.00000015\n\n## Sheet: Secret (hidden)\n42"
    );
    assert_eq!(e.parts, Some(2));
}

#[test]
fn pptx_every_slide_in_order() {
    let e = extract_demo("Campaign pitch.pptx");
    assert_eq!((e.format, e.parts), ("pptx", Some(4)));
    let slides: Vec<&str> = e.text.split("\n\n").collect();
    assert_eq!(
        slides,
        [
            "--- slide 1 ---\nOwl launch campaign\nPitch for Bluebird Foods\nNorthwind Studio",
            "--- slide 2 ---\nThe idea\nSmart snacks for smart people\nThe owl as a study buddy",
            "--- slide 3 ---\nChannels\nSocial video\nOffice sampling\nPodcasts",
            "--- slide 4 ---\nBudget and timeline\n120k USD\nLive in week 9",
        ]
    );
}

#[test]
fn pptx_order_is_the_presentations_not_the_file_names() {
    // Reverse the show order in presentation.xml; the parts keep their names.
    let mut entries = unzip(demo("Campaign pitch.pptx"));
    for (name, content) in &mut entries {
        if name == "ppt/presentation.xml" {
            let xml = String::from_utf8(content.clone()).expect("utf-8");
            let list: Vec<String> = (1..=4)
                .map(|n| format!(r#"<p:sldId id="{}" r:id="rId{}"/>"#, 255 + n, n + 2))
                .collect();
            let reversed: String = list.iter().rev().cloned().collect();
            assert!(xml.contains(&list.concat()), "the generator's list");
            *content = xml.replace(&list.concat(), &reversed).into_bytes();
        }
    }
    let e = extract_text(&rezip(&entries), PPTX, usize::MAX).expect("extracts");
    assert!(
        e.text.starts_with("--- slide 1 ---\nBudget and timeline\n"),
        "{}",
        e.text
    );
    assert!(e.text.contains("--- slide 4 ---\nOwl launch campaign\n"));

    // Without the list's relationships, part numbers decide (10 after 9).
    let titles: Vec<String> = (1..=11).map(|n| format!("Slide title {n}")).collect();
    let slides: Vec<files::Slide<'_>> = titles
        .iter()
        .map(|t| files::Slide {
            title: t,
            bullets: &[],
        })
        .collect();
    let entries: Vec<(String, Vec<u8>)> = unzip(&files::pptx_presentation(&slides).expect("pptx"))
        .into_iter()
        .filter(|(n, _)| n != "ppt/_rels/presentation.xml.rels")
        .collect();
    let e = extract_text(&rezip(&entries), PPTX, usize::MAX).expect("extracts");
    assert_eq!(e.parts, Some(11));
    let order: Vec<&str> = e
        .text
        .lines()
        .filter(|l| l.starts_with("Slide title"))
        .collect();
    let expected: Vec<&str> = titles.iter().map(String::as_str).collect();
    assert_eq!(order, expected);
}

#[test]
fn text_decoding() {
    let get = |bytes: &[u8]| {
        extract_text(bytes, "text/plain", usize::MAX)
            .expect("text")
            .text
    };
    assert_eq!(get(b"\xEF\xBB\xBFhello"), "hello");
    assert_eq!(get(b"caf\xE9 ok"), "caf\u{FFFD} ok");
    assert_eq!(get(b"\xFF\xFEh\x00\xE9\x00"), "hé");
    assert_eq!(get(b"\xFE\xFF\x00h\x00\xE9"), "hé");
    assert_eq!(
        get(b"\xFF\xFEh\x00\x00\xD8"),
        "h\u{FFFD}",
        "a lone surrogate"
    );
    let empty = extract_text(b"", "text/plain; charset=utf-8", 10).expect("empty text");
    assert_eq!(
        (empty.text.as_str(), empty.total_chars, empty.truncated),
        ("", 0, false)
    );
}

// ------------------------------------------------------------ truncation

#[test]
fn truncation_cuts_on_a_char_boundary() {
    let s = "héllo wörld ✓ 日本語 🦉!";
    let total = s.chars().count();
    for max in 0..=total + 2 {
        let e = extract_text(s.as_bytes(), "text/markdown", max).expect("text");
        let expected: String = s.chars().take(max).collect();
        assert_eq!(e.text, expected, "max {max}");
        assert_eq!(e.truncated, max < total, "max {max}");
        assert_eq!(e.total_chars, total, "text files are counted whole");
    }
}

#[test]
fn documents_truncate_to_a_prefix_of_their_text() {
    let multibyte = files::docx_document("Überblick – 日本語のメモ", &["🦉 ".repeat(50).as_str()])
        .expect("docx");
    let cases: Vec<(&[u8], &str)> = vec![
        (demo("Owl brand launch brief.docx"), DOCX),
        (&multibyte, DOCX),
        (demo("Brand guidelines v3.pdf"), PDF),
        (demo("Launch budget.xlsx"), XLSX),
        (demo("Campaign pitch.pptx"), PPTX),
    ];
    for (bytes, mime) in cases {
        let full = extract_text(bytes, mime, usize::MAX).expect("full");
        for max in [0, 1, 7, 13, 21, full.total_chars - 1] {
            let cut = extract_text(bytes, mime, max).expect("cut");
            assert_eq!(cut.text.chars().count(), max, "{mime} at {max}");
            assert!(
                full.text.starts_with(&cut.text),
                "{mime} at {max}: a prefix"
            );
            assert!(cut.truncated, "{mime} at {max}");
            assert!(cut.total_chars > max && cut.total_chars <= full.total_chars);
            assert_eq!(cut.parts, full.parts, "parts are known even when cut");
        }
        let exact = extract_text(bytes, mime, full.total_chars).expect("exact");
        assert_eq!((exact.truncated, exact.text), (false, full.text));
    }
}

#[test]
fn big_inputs_are_not_collected_whole() {
    let text = "строка текста\n".repeat(500_000);
    let e = extract_text(text.as_bytes(), "text/plain", 100).expect("text");
    assert_eq!(e.text.chars().count(), 100);
    assert_eq!(e.total_chars, text.chars().count());
    assert!(
        e.text.capacity() < 1024 * 1024,
        "capacity {}",
        e.text.capacity()
    );

    let paragraphs =
        r#"<w:p><w:r><w:t>A paragraph of a very long report.</w:t></w:r></w:p>"#.repeat(200_000);
    let bytes = docx_with_body(&paragraphs);
    let e = extract_text(&bytes, DOCX, 1000).expect("docx");
    assert!(e.truncated && e.text.chars().count() == 1000);
    // Reading stopped soon after the budget: the count is a lower bound.
    assert!(
        e.total_chars > 1000 && e.total_chars < 2000,
        "{}",
        e.total_chars
    );
}

// ----------------------------------------------------------- bad input

#[test]
fn garbage_truncation_and_wrong_containers_are_errors() {
    let garbage: Vec<u8> = (0..4096u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    for mime in [PDF, DOCX, XLSX, PPTX] {
        corrupt_reason(extract_text(&garbage, mime, 1000));
        corrupt_reason(extract_text(b"", mime, 1000));
    }
    let pdf = demo("Brand guidelines v3.pdf");
    for cut in [pdf.len() / 2, 20, 9] {
        corrupt_reason(extract_text(&pdf[..cut], PDF, 1000));
    }
    let not_office = zip_of(&[("hello.txt", b"hello"), ("data/x.bin", b"\x00\x01")]);
    for mime in [DOCX, XLSX, PPTX] {
        let reason = corrupt_reason(extract_text(&not_office, mime, 1000));
        assert!(!reason.is_empty());
    }
    assert!(matches!(
        extract_text(&not_office, "application/zip", 1000),
        Err(ExtractError::Unsupported { .. })
    ));
    assert!(matches!(
        extract_text(b"", sniff_mime(b"", "x"), 1000),
        Err(ExtractError::Unsupported { .. })
    ));
    let err = extract_text(&garbage, PDF, 10).expect_err("garbage");
    assert!(
        err.to_string()
            .starts_with("the pdf file could not be read: "),
        "{err}"
    );
}

#[test]
fn cut_and_mutated_documents_never_panic() {
    let mut rng = XorShift(0x9E37_79B9_7F4A_7C15);
    for (name, mime) in [
        ("Brand guidelines v3.pdf", PDF),
        ("Owl brand launch brief.docx", DOCX),
        ("Launch budget.xlsx", XLSX),
        ("Campaign pitch.pptx", PPTX),
    ] {
        let bytes = demo(name);
        let mut inputs: Vec<Vec<u8>> = (1..40)
            .map(|i| bytes[..bytes.len() * i / 40].to_vec())
            .collect();
        for _ in 0..400 {
            let mut mutated = bytes.to_vec();
            for _ in 0..1 + rng.below(8) {
                let at = rng.below(mutated.len());
                mutated[at] = rng.next() as u8;
            }
            inputs.push(mutated);
        }
        for input in &inputs {
            let sniffed = sniff_mime(input, name);
            for m in [mime, sniffed] {
                match extract_text(input, m, 500) {
                    Ok(e) => assert!(e.text.chars().count() <= 500),
                    Err(ExtractError::Corrupt { reason, .. }) => assert!(!reason.is_empty()),
                    Err(ExtractError::Unsupported { .. }) => assert_ne!(m, mime),
                }
            }
        }
    }
}

fn big_blank(size: usize) -> Vec<u8> {
    vec![b' '; size]
}

#[test]
fn zip_bombs_are_refused() {
    let over = (MAX_PART_BYTES + 1024) as usize;

    let mut document = br#"<w:document xmlns:w="w"><w:body>"#.to_vec();
    document.extend(big_blank(over));
    document.extend_from_slice(b"</w:body></w:document>");
    let docx = zip_of(&[("word/document.xml", &document)]);
    assert!(
        docx.len() < 1024 * 1024,
        "a small file: {} bytes",
        docx.len()
    );
    let reason = corrupt_reason(extract_text(&docx, DOCX, 1000));
    assert!(reason.contains("limit"), "{reason}");

    let mut entries = unzip(demo("Launch budget.xlsx"));
    entries.push(("xl/bomb.xml".to_owned(), big_blank(over)));
    let reason = corrupt_reason(extract_text(&rezip(&entries), XLSX, 1000));
    assert!(reason.contains("limit"), "{reason}");
}

#[test]
fn pdf_decompression_bombs_are_refused() {
    use lopdf::{Document, Object, Stream, dictionary};
    let mut doc = Document::with_version("1.5");
    let pages_id = doc.new_object_id();
    let font_id = doc.add_object(dictionary! {
        "Type" => "Font", "Subtype" => "Type1", "BaseFont" => "Helvetica",
    });
    let mut content = b"BT /F1 12 Tf (boom) Tj ET ".to_vec();
    content.extend(big_blank((MAX_PART_BYTES + 1024) as usize));
    let mut stream = Stream::new(dictionary! {}, content);
    stream.compress().expect("compresses");
    let content_id = doc.add_object(stream);
    let page_id = doc.add_object(dictionary! {
        "Type" => "Page", "Parent" => pages_id, "Contents" => content_id,
        "Resources" => dictionary! { "Font" => dictionary! { "F1" => font_id } },
    });
    doc.objects.insert(
        pages_id,
        Object::Dictionary(dictionary! {
            "Type" => "Pages", "Kids" => vec![page_id.into()], "Count" => 1,
            "MediaBox" => vec![0.into(), 0.into(), 595.into(), 842.into()],
        }),
    );
    let catalog_id = doc.add_object(dictionary! { "Type" => "Catalog", "Pages" => pages_id });
    doc.trailer.set("Root", catalog_id);
    let mut bytes = Vec::new();
    doc.save_to(&mut bytes).expect("saves");
    assert!(
        bytes.len() < 1024 * 1024,
        "a small file: {} bytes",
        bytes.len()
    );
    let reason = corrupt_reason(extract_text(&bytes, PDF, 1000));
    assert!(reason.contains("limit"), "{reason}");
}

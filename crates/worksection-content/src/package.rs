//! Office Open XML packages: ZIP archives of XML parts (DOCX, XLSX, PPTX).
//!
//! Every part is inflated through a byte cap, so a crafted archive whose
//! small entries expand to gigabytes is reported as corrupt instead of
//! filling memory. XML is streamed from the archive with `quick-xml`, so a
//! reader that has collected enough text stops inflating there. The text
//! walker shared by Word and PowerPoint lives here too: both write
//! paragraphs of runs and tables of rows of cells, only in different
//! namespaces.

use std::borrow::Cow;
use std::collections::HashMap;
use std::io::{self, BufReader, Cursor, Read};

use quick_xml::XmlVersion;
use quick_xml::events::{BytesRef, BytesStart, Event};
use zip::ZipArchive;

use super::text::Collector;
use super::{ExtractError, MAX_PACKAGE_BYTES, MAX_PART_BYTES, corrupt};

/// Whether a walk goes on.
pub(super) enum Flow {
    Continue,
    Stop,
}

pub(super) struct Package<'a> {
    format: &'static str,
    archive: ZipArchive<Cursor<&'a [u8]>>,
    /// Bytes the rest of the package may still inflate to.
    budget: u64,
}

impl<'a> Package<'a> {
    pub(super) fn open(bytes: &'a [u8], format: &'static str) -> Result<Self, ExtractError> {
        let archive = ZipArchive::new(Cursor::new(bytes))
            .map_err(|e| corrupt(format, format_args!("not a ZIP package ({e})")))?;
        Ok(Self {
            format,
            archive,
            budget: MAX_PACKAGE_BYTES,
        })
    }

    /// The entry's real name: part names are case-insensitive in OPC, and
    /// not every writer spells them as the specification does.
    pub(super) fn find(&self, name: &str) -> Option<String> {
        if self.archive.index_for_name(name).is_some() {
            return Some(name.to_owned());
        }
        self.archive
            .file_names()
            .filter_map(Result::ok)
            .find(|n| n.eq_ignore_ascii_case(name))
            .map(Cow::into_owned)
    }

    pub(super) fn names(&self) -> Vec<String> {
        self.archive
            .file_names()
            .filter_map(Result::ok)
            .map(Cow::into_owned)
            .collect()
    }

    /// Streams the XML of one part through `on_event` until the part ends
    /// or `on_event` stops.
    pub(super) fn walk(
        &mut self,
        part: &str,
        mut on_event: impl FnMut(&Event<'_>) -> Flow,
    ) -> Result<(), ExtractError> {
        let format = self.format;
        let name = self
            .find(part)
            .ok_or_else(|| corrupt(format, format_args!("the package has no {part}")))?;
        let entry = self
            .archive
            .by_name(&name)
            .map_err(|e| corrupt(format, format_args!("cannot open {part}: {e}")))?;
        let cap = MAX_PART_BYTES.min(self.budget);
        let mut xml = quick_xml::Reader::from_reader(BufReader::new(Capped::new(entry, cap)));
        let mut buf = Vec::new();
        let result = loop {
            buf.clear();
            match xml.read_event_into(&mut buf) {
                Ok(Event::Eof) => break Ok(()),
                Ok(event) => {
                    if let Flow::Stop = on_event(&event) {
                        break Ok(());
                    }
                }
                Err(e) => {
                    let capped = xml.get_ref().get_ref();
                    break Err(if capped.exceeded {
                        too_large(format, part, cap)
                    } else {
                        corrupt(format, format_args!("bad XML in {part}: {e}"))
                    });
                }
            }
        };
        self.budget = self.budget.saturating_sub(xml.get_ref().get_ref().read);
        result
    }

    /// Inflates every XML part once, within the caps, without keeping it.
    /// For readers that open the archive themselves (calamine) and have no
    /// caps of their own: what passes here cannot inflate further there.
    pub(super) fn check_xml_sizes(&mut self) -> Result<(), ExtractError> {
        let format = self.format;
        for i in 0..self.archive.len() {
            let entry = self
                .archive
                .by_index(i)
                .map_err(|e| corrupt(format, format_args!("cannot open entry {i}: {e}")))?;
            let name = entry.name().map(Cow::into_owned).unwrap_or_default();
            let lower = name.to_ascii_lowercase();
            if !(lower.ends_with(".xml") || lower.ends_with(".rels")) {
                continue;
            }
            let cap = MAX_PART_BYTES.min(self.budget);
            let mut capped = Capped::new(entry, cap);
            let copied = io::copy(&mut capped, &mut io::sink());
            self.budget = self.budget.saturating_sub(capped.read);
            match copied {
                Ok(_) => {}
                Err(_) if capped.exceeded => return Err(too_large(format, &name, cap)),
                Err(e) => return Err(corrupt(format, format_args!("cannot inflate {name}: {e}"))),
            }
        }
        Ok(())
    }

    /// The package's main part (`word/document.xml`, `ppt/presentation.xml`)
    /// as its root relationships name it, or `default` when they do not.
    pub(super) fn main_part(&mut self, default: &str) -> String {
        self.relationships("")
            .ok()
            .and_then(|rels| {
                rels.into_iter()
                    .find(|r| r.kind.ends_with("/officeDocument"))
                    .map(|r| r.target)
            })
            .filter(|target| self.find(target).is_some())
            .unwrap_or_else(|| default.to_owned())
    }

    /// The relationships of `part` (`""` for the package's own), with
    /// targets resolved to part names.
    pub(super) fn relationships(&mut self, part: &str) -> Result<Vec<Relationship>, ExtractError> {
        let (dir, file) = part.rsplit_once('/').unwrap_or(("", part));
        let rels_name = if dir.is_empty() {
            format!("_rels/{file}.rels")
        } else {
            format!("{dir}/_rels/{file}.rels")
        };
        let mut rels = Vec::new();
        self.walk(&rels_name, |event| {
            if let Event::Start(e) | Event::Empty(e) = event
                && e.local_name().into_inner() == "Relationship"
            {
                let attrs = attributes(e);
                let external = attrs.get("TargetMode").is_some_and(|m| m == "External");
                if let (Some(id), Some(target), false) =
                    (attrs.get("Id"), attrs.get("Target"), external)
                {
                    rels.push(Relationship {
                        id: id.clone(),
                        kind: attrs.get("Type").cloned().unwrap_or_default(),
                        target: resolve(dir, target),
                    });
                }
            }
            Flow::Continue
        })?;
        Ok(rels)
    }
}

pub(super) struct Relationship {
    pub(super) id: String,
    pub(super) kind: String,
    /// The part it points to, as a name inside the package.
    pub(super) target: String,
}

/// `cap` is the part's own limit, or what is left of the package's.
fn too_large(format: &'static str, part: &str, cap: u64) -> ExtractError {
    corrupt(
        format,
        format_args!(
            "{part} inflates past the {} MiB limit (a zip bomb?)",
            cap / (1024 * 1024)
        ),
    )
}

/// A part name for `target` as seen from the folder `dir`: targets are
/// relative (`slides/slide1.xml`, `../media/a.png`) or absolute
/// (`/ppt/slides/slide1.xml`).
fn resolve(dir: &str, target: &str) -> String {
    let mut segments: Vec<&str> = match target.strip_prefix('/') {
        Some(_) => Vec::new(),
        None => dir.split('/').filter(|s| !s.is_empty()).collect(),
    };
    for segment in target.split('/') {
        match segment {
            "" | "." => {}
            ".." => {
                segments.pop();
            }
            s => segments.push(s),
        }
    }
    segments.join("/")
}

/// Attribute values by their name without prefix (`r:id` is `id`). Values
/// that do not decode are skipped: they are never text we show.
pub(super) fn attributes(e: &BytesStart<'_>) -> HashMap<String, String> {
    e.attributes()
        .filter_map(Result::ok)
        .filter_map(|a| {
            let value = a.normalized_value(XmlVersion::Implicit1_0).ok()?;
            Some((
                a.key.local_name().into_inner().to_owned(),
                value.into_owned(),
            ))
        })
        .collect()
}

/// The text of `&amp;`, `&#8226;` and the like. quick-xml reports these
/// apart from the text around them.
pub(super) fn entity(r: &BytesRef<'_>) -> Cow<'static, str> {
    if let Ok(Some(c)) = r.resolve_char_ref() {
        return Cow::Owned(c.to_string());
    }
    match quick_xml::escape::resolve_predefined_entity(r) {
        Some(s) => Cow::Borrowed(s),
        // OOXML declares no entities of its own; keep an unknown one as written.
        None => Cow::Owned(format!("&{};", &**r)),
    }
}

/// A reader that fails once more than `cap` bytes come through it.
struct Capped<R> {
    inner: R,
    cap: u64,
    read: u64,
    exceeded: bool,
}

impl<R> Capped<R> {
    fn new(inner: R, cap: u64) -> Self {
        Self {
            inner,
            cap,
            read: 0,
            exceeded: false,
        }
    }
}

impl<R: Read> Read for Capped<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        // Ask for at most one byte past the cap: enough to know it is passed.
        let room = usize::try_from(self.cap.saturating_sub(self.read).saturating_add(1))
            .unwrap_or(usize::MAX)
            .min(buf.len());
        let (head, _) = buf.split_at_mut(room);
        let n = self.inner.read(head)?;
        self.read = self.read.saturating_add(n as u64);
        if self.read > self.cap {
            self.exceeded = true;
            return Err(io::Error::other("part too large"));
        }
        Ok(n)
    }
}

/// Which vocabulary a part's text is written in.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Vocabulary {
    /// WordprocessingML: `w:p`, `w:r`, `w:t`, `w:tab`, `w:br`, `w:tbl`...
    Word,
    /// DrawingML text in slides: `a:p`, `a:r`, `a:t`, `a:br`, `a:tbl`...
    Drawing,
}

/// Turns the events of a Word body or a slide into lines: a paragraph is a
/// line, a table row is a line with cells joined by ` | `.
///
/// Elements are matched by local name: documents may bind other prefixes
/// to the namespaces, and the names that matter are not shared between
/// Word's and DrawingML's text elements within one part.
pub(super) struct TextWalker {
    vocabulary: Vocabulary,
    /// Inside a text element (`w:t`, `a:t`), whose character data is the
    /// document's text; all other character data is markup whitespace.
    in_text: bool,
    /// Depth of runs (`w:r`); Word's `w:tab` is a tab stop outside one.
    in_run: usize,
    /// Depth inside a subtree that repeats text shown elsewhere.
    skipping: usize,
    /// The current paragraph has text; an empty one leaves a blank line.
    paragraph_has_text: bool,
    tables: Vec<Table>,
}

#[derive(Default)]
struct Table {
    /// Cells begun in the current row.
    cells: usize,
    /// The current cell has text.
    cell_has_text: bool,
    /// A paragraph ended in the current cell; a space goes before more text.
    paragraph_gap: bool,
}

impl TextWalker {
    pub(super) fn new(vocabulary: Vocabulary) -> Self {
        Self {
            vocabulary,
            in_text: false,
            in_run: 0,
            skipping: 0,
            paragraph_has_text: false,
            tables: Vec::new(),
        }
    }

    pub(super) fn event(&mut self, event: &Event<'_>, out: &mut Collector) -> Flow {
        if self.skipping > 0 {
            match event {
                Event::Start(_) => self.skipping += 1,
                Event::End(_) => self.skipping -= 1,
                _ => {}
            }
            return Flow::Continue;
        }
        match event {
            Event::Start(e) => self.start(e.local_name().into_inner(), out),
            Event::Empty(e) => {
                let name = e.local_name().into_inner();
                self.start(name, out);
                if self.skipping > 0 {
                    self.skipping = 0;
                } else {
                    self.end(name, out);
                }
            }
            Event::End(e) => self.end(e.local_name().into_inner(), out),
            Event::Text(t) if self.in_text => {
                self.text(&t.xml_content(XmlVersion::Implicit1_0), out)
            }
            Event::CData(t) if self.in_text => {
                self.text(&t.xml_content(XmlVersion::Implicit1_0), out)
            }
            Event::GeneralRef(r) if self.in_text => self.text(&entity(r), out),
            _ => {}
        }
        if out.is_full() {
            Flow::Stop
        } else {
            Flow::Continue
        }
    }

    fn start(&mut self, name: &str, out: &mut Collector) {
        let word = self.vocabulary == Vocabulary::Word;
        match name {
            // Markup-compatibility fallbacks repeat the choice's content
            // (text boxes are written twice); Word's moved-from text is
            // shown again where it moved to.
            "Fallback" => self.skipping = 1,
            "moveFrom" if word => self.skipping = 1,
            "p" => self.paragraph_has_text = false,
            "t" => self.in_text = true,
            "r" => self.in_run += 1,
            "tab" if word && self.in_run > 0 => self.text("\t", out),
            "br" | "cr" if self.vocabulary == Vocabulary::Drawing || self.in_run > 0 => {
                self.line_break(out)
            }
            "noBreakHyphen" if word => self.text("-", out),
            "tbl" => {
                if self.tables.is_empty() {
                    out.end_line();
                }
                self.tables.push(Table::default());
            }
            "tr" => {
                if let Some(table) = self.tables.last_mut() {
                    table.cells = 0;
                }
            }
            "tc" => {
                if let Some(table) = self.tables.last_mut() {
                    let separate = table.cells > 0;
                    table.cells += 1;
                    table.cell_has_text = false;
                    table.paragraph_gap = false;
                    if separate {
                        out.push_str(" | ");
                    }
                }
            }
            _ => {}
        }
    }

    fn end(&mut self, name: &str, out: &mut Collector) {
        match name {
            "t" => self.in_text = false,
            "r" => self.in_run = self.in_run.saturating_sub(1),
            "p" => match self.tables.last_mut() {
                Some(table) => table.paragraph_gap = table.cell_has_text,
                None if self.paragraph_has_text => out.end_line(),
                // Empty paragraphs space sections apart; however many
                // there are, the collector keeps one blank line.
                None => out.blank_line(),
            },
            "tr" => {
                if self.tables.len() > 1 {
                    // A nested table's rows stay inside the outer cell.
                    out.push_str("; ");
                } else {
                    out.end_line();
                }
            }
            "tbl" => {
                self.tables.pop();
                if self.tables.is_empty() {
                    out.end_line();
                }
            }
            _ => {}
        }
    }

    fn line_break(&mut self, out: &mut Collector) {
        match self.tables.last_mut() {
            // A line break inside a cell would break the row apart.
            Some(_) => self.text(" ", out),
            None => out.end_line(),
        }
    }

    fn text(&mut self, s: &str, out: &mut Collector) {
        if s.is_empty() {
            return;
        }
        self.paragraph_has_text = true;
        if let Some(table) = self.tables.last_mut() {
            if table.paragraph_gap {
                table.paragraph_gap = false;
                out.push_str(" ");
            }
            table.cell_has_text = true;
            // Table rows are single lines.
            if s.contains(['\n', '\r']) {
                out.push_str(&s.replace(['\n', '\r'], " "));
                return;
            }
        }
        out.push_str(s);
    }
}

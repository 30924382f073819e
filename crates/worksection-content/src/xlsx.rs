//! Excel workbooks (XLSX): every sheet, `## Sheet: <name>` then its rows.
//!
//! `calamine` reads the cells, streamed row by row so a huge sheet is not
//! loaded whole. Cells in a row are joined by ` | `, with empty cells kept
//! so columns line up; empty rows are left out. Numbers are written as the
//! reader gives them (shortest exact form: `60000`, `0.1`), date-formatted
//! cells as ISO dates, formulas as their cached results.

use std::io::Cursor;

use calamine::{DataRef, Reader, SheetType, SheetVisible, Xlsx};

use super::package::Package;
use super::text::Collector;
use super::{ExtractError, Extracted, corrupt};

/// Excel's last date, 9999-12-31, as a serial number. Date conversion is
/// only tried within 0..=this, where it is exact and cannot overflow.
const MAX_EXCEL_DATE: f64 = 2_958_465.0;

pub(super) fn extract(bytes: &[u8], max_chars: usize) -> Result<Extracted, ExtractError> {
    // calamine inflates parts without limits; a package that passes this
    // check has no part it could not inflate within ours.
    Package::open(bytes, "xlsx")?.check_xml_sizes()?;
    let mut book: Xlsx<_> = Xlsx::new(Cursor::new(bytes)).map_err(|e| corrupt("xlsx", e))?;
    let sheets = book.sheets_metadata().to_vec();
    let mut out = Collector::new(max_chars);
    for sheet in &sheets {
        if out.is_full() {
            break;
        }
        out.blank_line();
        out.push_str("## Sheet: ");
        out.push_str(&sheet.name);
        if sheet.visible != SheetVisible::Visible {
            out.push_str(" (hidden)");
        }
        out.end_line();
        if sheet.typ != SheetType::WorkSheet {
            out.push_str("(a chart or macro sheet, no cells)");
            out.end_line();
            continue;
        }
        let mut cells = book
            .worksheet_cells_reader(&sheet.name)
            .map_err(|e| corrupt("xlsx", e))?;
        // Columns count from the sheet's used range, so a table that starts
        // in column C does not begin every row with empty cells.
        let first_column = cells.dimensions().start.1;
        let mut row = None;
        let mut column = first_column;
        while let Some(cell) = cells.next_cell().map_err(|e| corrupt("xlsx", e))? {
            let value = render(cell.get_value());
            if value.is_empty() {
                continue;
            }
            let (r, c) = cell.get_position();
            let separators = if row == Some(r) {
                // Cells out of order (never written by Excel) still get one.
                c.saturating_sub(column).max(1)
            } else {
                if row.is_some() {
                    out.end_line();
                }
                row = Some(r);
                c.saturating_sub(first_column)
            };
            for _ in 0..separators {
                if out.is_full() {
                    break;
                }
                out.push_str(" | ");
            }
            out.push_str(&value);
            column = c;
            if out.is_full() {
                break;
            }
        }
        out.end_line();
    }
    Ok(out.finish("xlsx", Some(sheets.len())))
}

fn render(value: &DataRef<'_>) -> String {
    let one_line = |s: &str| s.replace(['\r', '\n'], " ");
    match value {
        DataRef::Empty => String::new(),
        DataRef::Int(i) => i.to_string(),
        DataRef::Float(f) => f.to_string(),
        DataRef::String(s) => one_line(s),
        DataRef::SharedString(s) => one_line(s),
        DataRef::Bool(true) => "TRUE".to_owned(),
        DataRef::Bool(false) => "FALSE".to_owned(),
        DataRef::DateTime(dt) => {
            let serial = dt.as_f64();
            let date = (dt.is_datetime() && (0.0..=MAX_EXCEL_DATE).contains(&serial))
                .then(|| dt.as_datetime())
                .flatten();
            match date {
                // Whole days read as dates, not as midnight.
                Some(date) => {
                    let iso = date.to_string();
                    iso.strip_suffix(" 00:00:00")
                        .map(str::to_owned)
                        .unwrap_or(iso)
                }
                None => serial.to_string(),
            }
        }
        DataRef::DateTimeIso(s) | DataRef::DurationIso(s) => s.clone(),
        DataRef::Error(e) => e.to_string(),
    }
}

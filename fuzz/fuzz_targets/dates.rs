//! Fuzzes the date arguments of the tools (`worksection_mcp::args::date`,
//! `opt_date` and `range`), which a model fills with whatever it likes.
//!
//! The properties: no panic; a refusal names the argument and stays short
//! whatever the input's length; an accepted date reads back the same from
//! both forms the tools document (`YYYY-MM-DD`, `DD.MM.YYYY`), and is one
//! Worksection can be sent (`DD.MM.YYYY` with a four-digit year, which the
//! simulator's filter grammar reads back as the same day).
#![no_main]

use chrono::{Datelike, NaiveDate};
use libfuzzer_sys::fuzz_target;
use worksection::filter::{Cmp, Filter};
use worksection_mcp::args;
use worksection_sim::filter::{Expr, Schema, parse};

fn check(raw: &str) -> Option<NaiveDate> {
    match args::date("date_start", raw) {
        Ok(d) => {
            for form in ["%Y-%m-%d", "%d.%m.%Y"] {
                let again = args::date("date_start", &d.format(form).to_string());
                assert!(
                    again.as_ref().ok() == Some(&d),
                    "{raw:?} was read as {d}, but its {form} form reads as {again:?}"
                );
            }
            assert!(
                (1..=9999).contains(&d.year()),
                "{raw:?} was accepted as {d}, which cannot be sent as DD.MM.YYYY"
            );
            let sent = Filter::date_end(Cmp::Eq, d).to_string();
            match parse(&sent, Schema::SearchTasks) {
                Ok(Expr::Date { value, .. }) => {
                    assert!(value == d, "{raw:?}: sent as {sent}, read back as {value}")
                }
                other => panic!("{raw:?}: sent as {sent}, which does not read back: {other:?}"),
            }
            Some(d)
        }
        Err(e) => {
            let text = e.to_string();
            assert!(text.contains("`date_start`"), "{text}");
            assert!(
                text.len() < 600,
                "a {}-byte error for a {}-byte date",
                text.len(),
                raw.len()
            );
            None
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    // Two dates at once, split at the first NUL, for the range check.
    let (a, b) = text.split_once('\0').unwrap_or((&text, ""));
    let start = check(a);
    let end = check(b);
    let opt = args::opt_date("date_end", &Some(b.to_owned()));
    assert!(b.trim().is_empty() || opt.as_ref().ok().copied().flatten() == end);
    match args::range(start, end) {
        Ok(got) => assert!(got == (start, end)),
        Err(e) => {
            assert!(matches!((start, end), (Some(s), Some(e)) if s > e));
            assert!(e.to_string().contains("`date_start`"));
        }
    }
});

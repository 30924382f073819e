//! Fuzzes the simulator's parser of Worksection's `filter=` grammar
//! (`worksection_sim::filter::parse`) with arbitrary text, as a hostile
//! `filter_query` argument would reach it.
//!
//! The properties: it never panics or overflows the stack, an error names a
//! position inside the text, and a filter it accepts can be evaluated
//! against records (with and without the fields it names).
#![no_main]

use chrono::NaiveDate;
use libfuzzer_sys::fuzz_target;
use worksection_sim::filter::{Record, Schema, parse};

struct Full;

impl Record for Full {
    fn int(&self, field: &str) -> Option<u64> {
        Some(field.len() as u64)
    }
    fn text(&self, _field: &str) -> Option<&str> {
        Some("Fix checkout payment error — O'Brien \\ \"quoted\" ÄÖÜ")
    }
    fn date(&self, _field: &str) -> Option<NaiveDate> {
        NaiveDate::from_ymd_opt(2026, 2, 28)
    }
}

struct Empty;

impl Record for Empty {
    fn int(&self, _field: &str) -> Option<u64> {
        None
    }
    fn text(&self, _field: &str) -> Option<&str> {
        None
    }
    fn date(&self, _field: &str) -> Option<NaiveDate> {
        None
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    for schema in [Schema::SearchTasks, Schema::Costs] {
        match parse(text, schema) {
            Ok(expr) => {
                let _ = expr.matches(&Full);
                let _ = expr.matches(&Empty);
            }
            Err(e) => {
                assert!(
                    e.position <= text.len().max(worksection_sim::filter::MAX_LEN),
                    "error position {} past the end ({} bytes): {e}",
                    e.position,
                    text.len()
                );
                assert!(!e.message.is_empty());
            }
        }
    }
});

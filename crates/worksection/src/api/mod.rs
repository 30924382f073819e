//! One `impl Client` block per API area, each with its actions' typed
//! parameters.
//!
//! Parameters are small structs with builder methods (`GetTasks::new(id)
//! .active_only().extra([TaskExtra::Text])`); they render themselves as the
//! query pairs Worksection expects (dates as `DD.MM.YYYY`, extras joined by
//! commas), so no string maps travel through the code.

pub mod comments;
pub mod costs;
pub mod events;
pub mod files;
pub mod members;
pub mod projects;
pub mod tags;
pub mod tasks;
pub mod timers;
pub mod webhooks;

use chrono::NaiveDate;

/// Query pairs under construction.
#[derive(Debug, Default, Clone)]
pub(crate) struct Query(pub(crate) Vec<(String, String)>);

impl Query {
    pub(crate) fn push(&mut self, key: &str, value: impl ToString) -> &mut Self {
        self.0.push((key.to_owned(), value.to_string()));
        self
    }

    pub(crate) fn opt(&mut self, key: &str, value: Option<impl ToString>) -> &mut Self {
        if let Some(v) = value {
            self.push(key, v);
        }
        self
    }

    pub(crate) fn date(&mut self, key: &str, value: Option<NaiveDate>) -> &mut Self {
        self.opt(key, value.map(|d| d.format("%d.%m.%Y")))
    }

    /// `extra=a,b,c`, only when there is any.
    pub(crate) fn extras<E: AsRef<str>>(&mut self, extras: &[E]) -> &mut Self {
        if !extras.is_empty() {
            let joined = extras
                .iter()
                .map(AsRef::as_ref)
                .collect::<Vec<_>>()
                .join(",");
            self.push("extra", joined);
        }
        self
    }

    pub(crate) fn done(&mut self) -> Vec<(String, String)> {
        std::mem::take(&mut self.0)
    }
}

/// Adds `items` to `list` without duplicates, keeping order.
pub(crate) fn add_unique<T: PartialEq + Copy>(
    list: &mut Vec<T>,
    items: impl IntoIterator<Item = T>,
) {
    for item in items {
        if !list.contains(&item) {
            list.push(item);
        }
    }
}

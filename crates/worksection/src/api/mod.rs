//! The actions, one file per API area, each with its typed parameters.
//!
//! Parameters are small structs with builder methods (`GetTasks::new(id)
//! .active_only().extra([TaskExtra::Text])`) that implement
//! [`crate::Action`]: they serialize into the fields Worksection expects
//! (dates as `DD.MM.YYYY`, extras joined by commas, flags as `1`/`0`), name
//! their action and read their answer. `Client::send` takes any of them;
//! the typed methods here (`client.get_tasks(p)`) are shorthands for it.

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
use serde::Serializer;

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

/// `extra=a,b,c` (leave it out when empty with `skip_serializing_if =
/// "Vec::is_empty"`).
pub(crate) fn comma<E: AsRef<str>, S: Serializer>(items: &[E], s: S) -> Result<S::Ok, S::Error> {
    let joined = items
        .iter()
        .map(AsRef::as_ref)
        .collect::<Vec<_>>()
        .join(",");
    s.serialize_str(&joined)
}

/// A day as Worksection writes it, `DD.MM.YYYY`.
pub(crate) fn day<S: Serializer>(d: &Option<NaiveDate>, s: S) -> Result<S::Ok, S::Error> {
    match d {
        Some(d) => s.collect_str(&d.format("%d.%m.%Y")),
        None => s.serialize_none(),
    }
}

/// `filter=active` for a set flag (leave it out when unset with
/// `skip_serializing_if = "not"`).
pub(crate) fn active<S: Serializer>(_: &bool, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str("active")
}

/// A yes/no parameter as Worksection's `1`/`0`.
pub(crate) fn flag<S: Serializer>(b: &Option<bool>, s: S) -> Result<S::Ok, S::Error> {
    match b {
        Some(b) => s.serialize_u8(u8::from(*b)),
        None => s.serialize_none(),
    }
}

pub(crate) fn not(b: &bool) -> bool {
    !*b
}

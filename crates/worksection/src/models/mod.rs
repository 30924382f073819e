//! What Worksection answers, one module per API area.
//!
//! Every record keeps the fields it does not model in `extra`, so nothing
//! Worksection sends is lost, and optional blocks (those `extra=` asks for)
//! are `Option`s that stay `None` when absent. Every record is a [`Record`]:
//! a field that does not decode is kept in its `undecoded` instead of failing
//! the answer (see `common`).

pub mod comments;
pub mod common;
pub mod costs;
pub mod events;
pub mod files;
pub(crate) mod lenient;
pub mod members;
pub mod projects;
pub mod tags;
pub mod tasks;
pub mod timers;
pub mod webhooks;

pub use comments::Comment;
pub use common::{Extra, Id, Minutes, Money, Record, Undecoded, parse_date, parse_datetime};
pub use costs::{Cost, CostTotals, Costs};
pub use events::{Event, EventObject, Place};
pub use files::FileRef;
pub use members::{Contact, ContactGroup, PseudoUser, User, UserGroup, UserRef};
pub use projects::{Project, ProjectGroup, ProjectRef};
pub use tags::{Tag, TagGroup, TagGroupRef};
pub use tasks::{Relation, Relations, Task, TaskRef};
pub use timers::{MyTimer, Timer};
pub use webhooks::Webhook;

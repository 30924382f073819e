//! The data a simulated account serves: its model, the seeded dataset
//! generators, and the attachment files they embed.

pub mod files;
pub mod generate;
pub mod index;
pub mod model;

pub use generate::{DatasetKind, generate};
pub use index::Account;
pub use model::*;

//! Files attached to projects, tasks and comments.

use serde::{Deserialize, Serialize};

use super::common::{Extra, Id, Undecoded, record};
use super::lenient::{Block, Num, Text};
use super::members::UserRef;

/// A file as lists and `extra=files` blocks describe it.
#[serde_with::apply(Option => #[serde(default, skip_serializing_if = "Option::is_none")], String => #[serde(default)])]
#[serde_with::serde_as]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(remote = "Self")]
pub struct FileRef {
    pub id: Id,
    /// The name as uploaded; never use it as a path.
    #[serde_as(deserialize_as = "Text")]
    pub name: String,
    #[serde_as(deserialize_as = "Text")]
    pub page: String,
    /// Bytes (Worksection sends a string).
    #[serde_as(deserialize_as = "Num")]
    pub size: Option<u64>,
    #[serde_as(deserialize_as = "Text")]
    pub date_added: Option<String>,
    #[serde_as(deserialize_as = "Block")]
    pub user_from: Option<UserRef>,
    /// What did not decode, kept as it came (see `Record`).
    #[serde(skip_deserializing)]
    pub undecoded: Option<Undecoded>,
    #[serde(flatten)]
    pub extra: Extra,
}

record!(FileRef);

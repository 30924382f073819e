//! Comments on tasks.

use serde::{Deserialize, Serialize};

use super::common::{Extra, Id, Undecoded, record};
use super::files::FileRef;
use super::lenient::{Block, Keyed, Text};
use super::members::UserRef;

#[serde_with::apply(Option => #[serde(default, skip_serializing_if = "Option::is_none")], String => #[serde(default)])]
#[serde_with::serde_as]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(remote = "Self")]
pub struct Comment {
    pub id: Id,
    #[serde_as(deserialize_as = "Text")]
    pub page: String,
    #[serde_as(deserialize_as = "Text")]
    pub text: String,
    #[serde_as(deserialize_as = "Text")]
    pub date_added: String,
    #[serde_as(deserialize_as = "Block")]
    pub user_from: Option<UserRef>,
    /// `extra=files`.
    #[serde_as(deserialize_as = "Keyed")]
    pub files: Option<Vec<FileRef>>,
    /// What did not decode, kept as it came (see `Record`).
    #[serde(skip_deserializing)]
    pub undecoded: Option<Undecoded>,
    #[serde(flatten)]
    pub extra: Extra,
}

record!(Comment);

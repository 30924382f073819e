//! Comments on tasks.

use serde::{Deserialize, Serialize};

use super::common::{Extra, Id, Undecoded, UserRef, lenient, record};
use super::files::FileRef;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(remote = "Self")]
pub struct Comment {
    pub id: Id,
    #[serde(default, deserialize_with = "lenient::string")]
    pub page: String,
    #[serde(default, deserialize_with = "lenient::string")]
    pub text: String,
    #[serde(default, deserialize_with = "lenient::string")]
    pub date_added: String,
    #[serde(
        default,
        deserialize_with = "lenient::opt_block",
        skip_serializing_if = "Option::is_none"
    )]
    pub user_from: Option<UserRef>,
    /// `extra=files`.
    #[serde(
        default,
        deserialize_with = "lenient::opt_vec",
        skip_serializing_if = "Option::is_none"
    )]
    pub files: Option<Vec<FileRef>>,
    /// What did not decode, kept as it came (see `Record`).
    #[serde(skip_deserializing, skip_serializing_if = "Option::is_none")]
    pub undecoded: Option<Undecoded>,
    #[serde(flatten)]
    pub extra: Extra,
}

record!(Comment);

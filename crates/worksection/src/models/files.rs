//! Files attached to projects, tasks and comments.

use serde::{Deserialize, Serialize};

use super::common::{Extra, Id, UserRef, lenient};

/// A file as lists and `extra=files` blocks describe it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct FileRef {
    pub id: Id,
    /// The name as uploaded; never use it as a path.
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub page: String,
    /// Bytes (Worksection sends a string).
    #[serde(
        default,
        deserialize_with = "lenient::opt_u64",
        skip_serializing_if = "Option::is_none"
    )]
    pub size: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date_added: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_from: Option<UserRef>,
    #[serde(flatten)]
    pub extra: Extra,
}

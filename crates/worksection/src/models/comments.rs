//! Comments on tasks.

use serde::{Deserialize, Serialize};

use super::common::{Extra, Id, UserRef, lenient};
use super::files::FileRef;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Comment {
    pub id: Id,
    #[serde(default)]
    pub page: String,
    #[serde(default)]
    pub text: String,
    #[serde(default)]
    pub date_added: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_from: Option<UserRef>,
    /// `extra=files`.
    #[serde(
        default,
        deserialize_with = "lenient::opt_vec",
        skip_serializing_if = "Option::is_none"
    )]
    pub files: Option<Vec<FileRef>>,
    #[serde(flatten)]
    pub extra: Extra,
}

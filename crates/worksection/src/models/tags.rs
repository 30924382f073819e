//! Task and project tags (statuses and labels) and their groups.

use serde::{Deserialize, Serialize};

use super::common::{Extra, Id};

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Tag {
    /// A number in Worksection's answers.
    pub id: Id,
    #[serde(default)]
    pub title: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<TagGroupRef>,
    #[serde(flatten)]
    pub extra: Extra,
}

/// The group block inside a tag.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TagGroupRef {
    pub id: Id,
    #[serde(default)]
    pub title: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id_group: Option<Id>,
    /// `status` or `label`.
    #[serde(rename = "type", default)]
    pub kind: String,
    /// `public` or `private`.
    #[serde(default)]
    pub access: String,
    #[serde(flatten)]
    pub extra: Extra,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TagGroup {
    pub id: Id,
    #[serde(default)]
    pub title: String,
    #[serde(rename = "type", default)]
    pub kind: String,
    #[serde(default)]
    pub access: String,
    #[serde(flatten)]
    pub extra: Extra,
}

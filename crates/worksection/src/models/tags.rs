//! Task and project tags (statuses and labels) and their groups.

use serde::{Deserialize, Serialize};

use super::common::{Extra, Id, Undecoded, record};
use super::lenient::{Block, Text};

#[serde_with::apply(Option => #[serde(default, skip_serializing_if = "Option::is_none")], String => #[serde(default)])]
#[serde_with::serde_as]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(remote = "Self")]
pub struct Tag {
    /// A number in Worksection's answers.
    pub id: Id,
    #[serde_as(deserialize_as = "Text")]
    pub title: String,
    #[serde_as(deserialize_as = "Block")]
    pub group: Option<TagGroupRef>,
    /// What did not decode, kept as it came (see `Record`).
    #[serde(skip_deserializing)]
    pub undecoded: Option<Undecoded>,
    #[serde(flatten)]
    pub extra: Extra,
}

/// The group block inside a tag. The official SDKs model it as the
/// group's name alone (a plain string), which is read as a group with only
/// its `title`; the id, type and access are then empty and not written out.
#[serde_with::apply(Option => #[serde(default, skip_serializing_if = "Option::is_none")], String => #[serde(default)])]
#[serde_with::serde_as]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(remote = "Self")]
pub struct TagGroupRef {
    #[serde(default, skip_serializing_if = "Id::is_empty")]
    pub id: Id,
    #[serde_as(deserialize_as = "Text")]
    pub title: String,
    pub id_group: Option<Id>,
    /// `status` or `label`.
    #[serde(rename = "type", skip_serializing_if = "String::is_empty")]
    #[serde_as(deserialize_as = "Text")]
    pub kind: String,
    /// `public` or `private`.
    #[serde(skip_serializing_if = "String::is_empty")]
    #[serde_as(deserialize_as = "Text")]
    pub access: String,
    #[serde(flatten)]
    pub extra: Extra,
}

#[serde_with::apply(Option => #[serde(default, skip_serializing_if = "Option::is_none")], String => #[serde(default)])]
#[serde_with::serde_as]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(remote = "Self")]
pub struct TagGroup {
    pub id: Id,
    #[serde_as(deserialize_as = "Text")]
    pub title: String,
    #[serde(rename = "type")]
    #[serde_as(deserialize_as = "Text")]
    pub kind: String,
    #[serde_as(deserialize_as = "Text")]
    pub access: String,
    /// What did not decode, kept as it came (see `Record`).
    #[serde(skip_deserializing)]
    pub undecoded: Option<Undecoded>,
    #[serde(flatten)]
    pub extra: Extra,
}

record!(Tag, TagGroup);

impl<'de> Deserialize<'de> for TagGroupRef {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match serde_json::Value::deserialize(d)? {
            serde_json::Value::String(title) => Ok(Self {
                title,
                ..Self::default()
            }),
            other => TagGroupRef::deserialize(other).map_err(serde::de::Error::custom),
        }
    }
}

impl Serialize for TagGroupRef {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        TagGroupRef::serialize(self, s)
    }
}

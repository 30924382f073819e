//! Task and project tags and tag groups.

use bytes::Bytes;
use serde::Serialize;
use serde_with::skip_serializing_none;

use crate::action::Action;
use crate::client::Client;
use crate::error::Error;
use crate::models::{Tag, TagGroup};
use crate::transport::list;

/// Statuses (one per task/project) or labels (any number).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum TagKind {
    Status,
    Label,
}

impl TagKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Status => "status",
            Self::Label => "label",
        }
    }
}

/// Who sees a tag group.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum TagAccess {
    /// All teams, external client teams included.
    Public,
    /// Only the company's own teams.
    Private,
}

impl TagAccess {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Public => "public",
            Self::Private => "private",
        }
    }
}

/// Filters shared by the four tag actions (`group` applies to tags only).
#[skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct TagQuery {
    group: Option<String>,
    #[serde(rename = "type")]
    kind: Option<TagKind>,
    access: Option<TagAccess>,
}

impl TagQuery {
    pub fn new() -> Self {
        Self::default()
    }

    /// A tag group, by name or id.
    pub fn group(mut self, group: impl Into<String>) -> Self {
        self.group = Some(group.into());
        self
    }

    pub fn kind(mut self, kind: TagKind) -> Self {
        self.kind = Some(kind);
        self
    }

    pub fn access(mut self, access: TagAccess) -> Self {
        self.access = Some(access);
        self
    }

    /// The same filters without `group`, for the tag-group actions.
    fn groups(&self) -> Self {
        Self {
            group: None,
            ..self.clone()
        }
    }
}

/// `get_task_tags`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct GetTaskTags(pub TagQuery);

/// `get_task_tag_groups` (`group` does not apply and is left out).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct GetTaskTagGroups(TagQuery);

/// `get_project_tags`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct GetProjectTags(pub TagQuery);

/// `get_project_tag_groups` (`group` does not apply and is left out).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct GetProjectTagGroups(TagQuery);

impl GetTaskTagGroups {
    pub fn new(q: TagQuery) -> Self {
        Self(q.groups())
    }
}

impl GetProjectTagGroups {
    pub fn new(q: TagQuery) -> Self {
        Self(q.groups())
    }
}

impl Action for GetTaskTags {
    const NAME: &'static str = "get_task_tags";
    type Answer = Vec<Tag>;
    fn read(body: &Bytes) -> Result<Vec<Tag>, Error> {
        list(body)
    }
}

impl Action for GetTaskTagGroups {
    const NAME: &'static str = "get_task_tag_groups";
    type Answer = Vec<TagGroup>;
    fn read(body: &Bytes) -> Result<Vec<TagGroup>, Error> {
        list(body)
    }
}

impl Action for GetProjectTags {
    const NAME: &'static str = "get_project_tags";
    type Answer = Vec<Tag>;
    fn read(body: &Bytes) -> Result<Vec<Tag>, Error> {
        list(body)
    }
}

impl Action for GetProjectTagGroups {
    const NAME: &'static str = "get_project_tag_groups";
    type Answer = Vec<TagGroup>;
    fn read(body: &Bytes) -> Result<Vec<TagGroup>, Error> {
        list(body)
    }
}

impl Client {
    pub async fn get_task_tags(&self, q: TagQuery) -> Result<Vec<Tag>, Error> {
        self.send(&GetTaskTags(q)).await
    }

    pub async fn get_task_tag_groups(&self, q: TagQuery) -> Result<Vec<TagGroup>, Error> {
        self.send(&GetTaskTagGroups::new(q)).await
    }

    pub async fn get_project_tags(&self, q: TagQuery) -> Result<Vec<Tag>, Error> {
        self.send(&GetProjectTags(q)).await
    }

    pub async fn get_project_tag_groups(&self, q: TagQuery) -> Result<Vec<TagGroup>, Error> {
        self.send(&GetProjectTagGroups::new(q)).await
    }
}

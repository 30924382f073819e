//! Task and project tags and tag groups.

use super::Query;
use crate::models::{Tag, TagGroup};
use crate::{Client, Error};

/// Statuses (one per task/project) or labels (any number).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
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
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
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
#[derive(Debug, Clone, Default)]
pub struct TagQuery {
    group: Option<String>,
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

    fn query(&self, with_group: bool) -> Vec<(String, String)> {
        Query::default()
            .opt("group", self.group.as_ref().filter(|_| with_group))
            .opt("type", self.kind.map(TagKind::as_str))
            .opt("access", self.access.map(TagAccess::as_str))
            .done()
    }
}

impl Client {
    pub async fn get_task_tags(&self, q: TagQuery) -> Result<Vec<Tag>, Error> {
        Ok(self
            .call("get_task_tags", q.query(true))
            .await?
            .data
            .unwrap_or_default())
    }

    pub async fn get_task_tag_groups(&self, q: TagQuery) -> Result<Vec<TagGroup>, Error> {
        Ok(self
            .call("get_task_tag_groups", q.query(false))
            .await?
            .data
            .unwrap_or_default())
    }

    pub async fn get_project_tags(&self, q: TagQuery) -> Result<Vec<Tag>, Error> {
        Ok(self
            .call("get_project_tags", q.query(true))
            .await?
            .data
            .unwrap_or_default())
    }

    pub async fn get_project_tag_groups(&self, q: TagQuery) -> Result<Vec<TagGroup>, Error> {
        Ok(self
            .call("get_project_tag_groups", q.query(false))
            .await?
            .data
            .unwrap_or_default())
    }
}

//! Projects and project folders.

use bytes::Bytes;
use serde::Serialize;
use serde_with::skip_serializing_none;

use super::{add_unique, comma};
use crate::action::Action;
use crate::client::Client;
use crate::error::Error;
use crate::models::{Project, ProjectGroup};
use crate::transport::{list, one};

/// A project's state, for `get_projects`' filter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ProjectState {
    Active,
    /// Sleeping projects (muted).
    Pending,
    Archive,
}

impl ProjectState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Pending => "pending",
            Self::Archive => "archive",
        }
    }
}

/// Optional blocks of a project.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProjectExtra {
    Text,
    Html,
    Options,
    Users,
}

impl AsRef<str> for ProjectExtra {
    fn as_ref(&self) -> &str {
        match self {
            Self::Text => "text",
            Self::Html => "html",
            Self::Options => "options",
            Self::Users => "users",
        }
    }
}

/// `get_projects`.
#[skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct GetProjects {
    #[serde(rename = "filter")]
    state: Option<ProjectState>,
    #[serde(serialize_with = "comma", skip_serializing_if = "Vec::is_empty")]
    extra: Vec<ProjectExtra>,
}

impl GetProjects {
    pub fn new() -> Self {
        Self::default()
    }

    /// Only projects in this state.
    pub fn state(mut self, state: ProjectState) -> Self {
        self.state = Some(state);
        self
    }

    pub fn extra(mut self, extra: impl IntoIterator<Item = ProjectExtra>) -> Self {
        add_unique(&mut self.extra, extra);
        self
    }
}

/// `get_project`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GetProject {
    #[serde(rename = "id_project")]
    project: u64,
    #[serde(serialize_with = "comma", skip_serializing_if = "Vec::is_empty")]
    extra: Vec<ProjectExtra>,
}

impl GetProject {
    pub fn new(project: u64) -> Self {
        Self {
            project,
            extra: Vec::new(),
        }
    }

    pub fn extra(mut self, extra: impl IntoIterator<Item = ProjectExtra>) -> Self {
        add_unique(&mut self.extra, extra);
        self
    }
}

/// `get_project_groups`: project folders (and teams shown as folders).
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct GetProjectGroups {}

impl Action for GetProjects {
    const NAME: &'static str = "get_projects";
    type Answer = Vec<Project>;
    fn read(body: &Bytes) -> Result<Vec<Project>, Error> {
        list(body)
    }
}

impl Action for GetProject {
    const NAME: &'static str = "get_project";
    type Answer = Project;
    fn read(body: &Bytes) -> Result<Project, Error> {
        one(body, Self::NAME)
    }
}

impl Action for GetProjectGroups {
    const NAME: &'static str = "get_project_groups";
    type Answer = Vec<ProjectGroup>;
    fn read(body: &Bytes) -> Result<Vec<ProjectGroup>, Error> {
        list(body)
    }
}

impl Client {
    pub async fn get_projects(&self, p: GetProjects) -> Result<Vec<Project>, Error> {
        self.send(&p).await
    }

    pub async fn get_project(&self, p: GetProject) -> Result<Project, Error> {
        self.send(&p).await
    }

    /// Project folders (and teams shown as folders).
    pub async fn get_project_groups(&self) -> Result<Vec<ProjectGroup>, Error> {
        self.send(&GetProjectGroups {}).await
    }
}

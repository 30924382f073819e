//! Projects and project folders.

use super::members::required;
use super::{Query, add_unique};
use crate::models::{Project, ProjectGroup};
use crate::{Client, Error};

/// A project's state, for `get_projects`' filter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
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
#[derive(Debug, Clone, Default)]
pub struct GetProjects {
    state: Option<ProjectState>,
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
#[derive(Debug, Clone)]
pub struct GetProject {
    project: u64,
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

impl Client {
    pub async fn get_projects(&self, p: GetProjects) -> Result<Vec<Project>, Error> {
        let q = Query::default()
            .opt("filter", p.state.map(ProjectState::as_str))
            .extras(&p.extra)
            .done();
        Ok(self.call("get_projects", q).await?.data.unwrap_or_default())
    }

    pub async fn get_project(&self, p: GetProject) -> Result<Project, Error> {
        let q = Query::default()
            .push("id_project", p.project)
            .extras(&p.extra)
            .done();
        required(self.call("get_project", q).await?.data, "get_project")
    }

    /// Project folders (and teams shown as folders).
    pub async fn get_project_groups(&self) -> Result<Vec<ProjectGroup>, Error> {
        Ok(self
            .call("get_project_groups", Vec::new())
            .await?
            .data
            .unwrap_or_default())
    }
}

//! Projects: the list, one project, its folders and its team.

use std::sync::Arc;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use worksection::api::projects::{ProjectExtra, ProjectState};

use super::answer::{Listed, Nothing, Object, RecordAnswer, Ref, Summary};
use super::{NoArgs, Scope, ToolDef, Upstream, def};
use crate::account::Account;
use crate::args::{self, IdArg};
use crate::compact;
use crate::error::ToolError;

pub fn tools() -> Vec<ToolDef> {
    vec![
        def(
            "get_projects",
            "Projects",
            "Projects with status, manager, dates, budget. Start here to find a project id.",
            Upstream::new(1, &["get_projects"], &[Scope::ProjectsRead]),
            get_projects,
        ),
        def(
            "get_project",
            "Project",
            "One project: description, dates, budget, manager.",
            Upstream::new(1, &["get_project"], &[Scope::ProjectsRead])
                .note("none when a cached project list holds it"),
            get_project,
        ),
        def(
            "get_project_groups",
            "Project folders",
            "The folders projects are filed under.",
            Upstream::new(1, &["get_project_groups"], &[Scope::ProjectsRead]),
            get_project_groups,
        ),
        def(
            "get_project_team",
            "Project team",
            "A project's members (name, email, role).",
            Upstream::new(1, &["get_project"], &[Scope::ProjectsRead]).note("`extra=users`"),
            get_project_team,
        ),
    ]
}

#[derive(Debug, Clone, Copy, Default, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum ProjectStatusFilter {
    Active,
    Pending,
    Archive,
    #[default]
    All,
}

const PROJECT_EXTRAS: &[(&str, ProjectExtra)] = &[
    ("text", ProjectExtra::Text),
    ("options", ProjectExtra::Options),
    ("users", ProjectExtra::Users),
];

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GetProjectsArgs {
    /// active, pending (on hold), archive (closed) or all.
    #[serde(default)]
    pub status_filter: ProjectStatusFilter,
    /// Comma-separated: text, options, users.
    pub extra: Option<String>,
}

async fn get_projects(ws: Arc<Account>, a: GetProjectsArgs) -> Result<Listed<Nothing>, ToolError> {
    let extra = args::extras("extra", &a.extra, PROJECT_EXTRAS)?;
    let state = match a.status_filter {
        ProjectStatusFilter::Active => Some(ProjectState::Active),
        ProjectStatusFilter::Pending => Some(ProjectState::Pending),
        ProjectStatusFilter::Archive => Some(ProjectState::Archive),
        ProjectStatusFilter::All => None,
    };
    let projects = ws.projects(state, &extra).await?;
    Listed::new(compact::list(projects.iter())?, Nothing {})
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GetProjectArgs {
    /// Project id.
    pub project_id: IdArg,
    /// Comma-separated: text, options, users.
    pub extra: Option<String>,
}

async fn get_project(
    ws: Arc<Account>,
    a: GetProjectArgs,
) -> Result<Object<RecordAnswer>, ToolError> {
    let id = args::id("project_id", &a.project_id)?;
    let extra = args::extras("extra", &a.extra, PROJECT_EXTRAS)?;
    let project = ws.project(id, &extra).await?;
    Object::new(RecordAnswer::new(&*project)?)
}

async fn get_project_groups(ws: Arc<Account>, _: NoArgs) -> Result<Listed<Nothing>, ToolError> {
    Listed::new(
        compact::list(ws.project_groups().await?.iter())?,
        Nothing {},
    )
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ProjectIdArgs {
    /// Project id.
    pub project_id: IdArg,
}

/// A list's summary that names the project it belongs to.
#[derive(Debug, Serialize, JsonSchema)]
pub struct OfProject {
    project: Ref,
}

impl Summary for OfProject {}

async fn get_project_team(
    ws: Arc<Account>,
    a: ProjectIdArgs,
) -> Result<Listed<OfProject>, ToolError> {
    let id = args::id("project_id", &a.project_id)?;
    let project = ws.project(id, &[ProjectExtra::Users]).await?;
    let members = project.users.clone().unwrap_or_default();
    Listed::new(
        compact::list(members)?,
        OfProject {
            project: Ref::new(&project.id, &project.name),
        },
    )
}

//! Projects: the list, one project, its folders and its team.

use std::sync::Arc;

use schemars::JsonSchema;
use serde::Deserialize;
use worksection::api::projects::{ProjectExtra, ProjectState};

use super::{NoArgs, Shape, ToolDef, def};
use crate::account::Account;
use crate::args::{self, IdArg};
use crate::compact;
use crate::error::ToolError;
use crate::output::Answer;

pub fn tools() -> Vec<ToolDef> {
    vec![
        def(
            "get_projects",
            "Projects",
            "Projects with status, manager, dates, budget. Start here to find a project id.",
            Shape::List,
            get_projects,
        ),
        def(
            "get_project",
            "Project",
            "One project: description, dates, budget, manager.",
            Shape::Object(&["id", "name"]),
            get_project,
        ),
        def(
            "get_project_groups",
            "Project folders",
            "The folders projects are filed under.",
            Shape::List,
            get_project_groups,
        ),
        def(
            "get_project_team",
            "Project team",
            "A project's members (name, email, role).",
            Shape::List,
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

async fn get_projects(ws: Arc<Account>, a: GetProjectsArgs) -> Result<Answer, ToolError> {
    let extra = args::extras("extra", &a.extra, PROJECT_EXTRAS)?;
    let state = match a.status_filter {
        ProjectStatusFilter::Active => Some(ProjectState::Active),
        ProjectStatusFilter::Pending => Some(ProjectState::Pending),
        ProjectStatusFilter::Archive => Some(ProjectState::Archive),
        ProjectStatusFilter::All => None,
    };
    let projects = ws.projects(state, &extra).await?;
    compact::list(projects.iter())?.finish()
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GetProjectArgs {
    /// Project id.
    pub project_id: IdArg,
    /// Comma-separated: text, options, users.
    pub extra: Option<String>,
}

async fn get_project(ws: Arc<Account>, a: GetProjectArgs) -> Result<Answer, ToolError> {
    let id = args::id("project_id", &a.project_id)?;
    let extra = args::extras("extra", &a.extra, PROJECT_EXTRAS)?;
    let project = ws.project(id, &extra).await?;
    compact::object(&*project)
}

async fn get_project_groups(ws: Arc<Account>, _: NoArgs) -> Result<Answer, ToolError> {
    compact::list(ws.project_groups().await?.iter())?.finish()
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ProjectIdArgs {
    /// Project id.
    pub project_id: IdArg,
}

async fn get_project_team(ws: Arc<Account>, a: ProjectIdArgs) -> Result<Answer, ToolError> {
    let id = args::id("project_id", &a.project_id)?;
    let project = ws.project(id, &[ProjectExtra::Users]).await?;
    let members = project.users.clone().unwrap_or_default();
    compact::list(members)?
        .field(
            "project",
            serde_json::json!({"id": project.id, "name": project.name}),
        )
        .finish()
}

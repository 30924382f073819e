//! People: members, teams, contacts, the signed-in user, and a member's
//! open assignments.

use std::sync::Arc;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use worksection::auth::AuthKind;

use super::answer::{Listed, Nothing, Object, RecordAnswer, Summary};
use super::{Detail, NoArgs, Scope, ToolDef, Upstream, analytics, def};
use crate::account::Account;
use crate::args::{self, IdArg};
use crate::compact;
use crate::error::ToolError;

pub fn tools() -> Vec<ToolDef> {
    vec![
        def(
            "get_users",
            "Members",
            "Members: id, name, email, title, role. Turns a name into a user_id.",
            Upstream::new(1, &["get_users"], &[Scope::UsersRead]),
            get_users,
        ),
        def(
            "get_user",
            "Member",
            "One member, from the member list.",
            Upstream::new(1, &["get_users"], &[Scope::UsersRead]),
            get_user,
        ),
        def(
            "get_current_user",
            "Who am I",
            "The person the server is signed in as.",
            Upstream::new(1, &["me", "get_users"], &[]).note("`get_users` with the admin API key"),
            get_current_user,
        ),
        def(
            "get_user_groups",
            "Teams",
            "Teams, client companies included.",
            Upstream::new(1, &["get_user_groups"], &[Scope::UsersRead]),
            get_user_groups,
        ),
        def(
            "get_contacts",
            "Contacts",
            "Contacts outside the team (clients, suppliers).",
            Upstream::new(1, &["get_contacts"], &[Scope::ContactsRead]),
            get_contacts,
        ),
        def(
            "get_contact_groups",
            "Contact folders",
            "The folders contacts are filed under.",
            Upstream::new(1, &["get_contact_groups"], &[Scope::ContactsRead]),
            get_contact_groups,
        ),
        def(
            "get_user_assignments",
            "Member's open tasks",
            "A member's open tasks, soonest due first, overdue flagged.",
            Upstream::new(1, &["get_all_tasks"], &[Scope::TasksRead]),
            get_user_assignments,
        ),
    ]
}

#[derive(Debug, Clone, Copy, Default, Deserialize, serde::Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum UserStatusFilter {
    #[default]
    Active,
    All,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GetUsersArgs {
    /// active or all (the same).
    #[serde(default)]
    pub status_filter: UserStatusFilter,
    /// Default full.
    #[serde(default)]
    pub detail: Detail,
}

/// What `detail: summary` keeps of a member.
const MEMBER_SUMMARY: &[&str] = &[
    "id",
    "name",
    "email",
    "title",
    "role",
    "department",
    "group",
];

/// `get_users`' summary.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Members {
    status_filter: UserStatusFilter,
    note: &'static str,
}

impl Summary for Members {}

async fn get_users(ws: Arc<Account>, a: GetUsersArgs) -> Result<Listed<Members>, ToolError> {
    let users = ws.users().await?;
    let list = match a.detail {
        Detail::Full => compact::list(users.iter())?,
        Detail::Summary => compact::list(users.iter().map(|u| {
            let mut v = serde_json::to_value(u).unwrap_or_default();
            if let Some(o) = v.as_object_mut() {
                o.retain(|k, _| MEMBER_SUMMARY.contains(&k.as_str()));
            }
            v
        }))?,
    };
    Listed::new(
        list,
        Members {
            status_filter: a.status_filter,
            note: "Only members with active access; Worksection does not list the others.",
        },
    )
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UserIdArgs {
    /// Member id.
    pub user_id: IdArg,
}

async fn get_user(ws: Arc<Account>, a: UserIdArgs) -> Result<Object<RecordAnswer>, ToolError> {
    let id = args::id("user_id", &a.user_id)?.to_string();
    let users = ws.users().await?;
    match users.iter().find(|u| u.id.as_str() == id) {
        Some(u) => Object::new(RecordAnswer::new(u)?),
        None => Err(ToolError::NotFound(format!(
            "No member with id {id} in this account; get_users lists the members and their ids."
        ))),
    }
}

async fn get_current_user(ws: Arc<Account>, _: NoArgs) -> Result<Object<RecordAnswer>, ToolError> {
    if ws.client().auth_kind() == AuthKind::OAuth2 {
        return Object::new(RecordAnswer::new(&*ws.me().await?)?);
    }
    // With the admin API key nobody is signed in (`me` is a user-only
    // action); the key acts for the account, so answer with its owner.
    let users = ws.users().await?;
    let owner = users
        .iter()
        .find(|u| u.role.to_ascii_lowercase().contains("owner"))
        .ok_or_else(|| {
            ToolError::NotFound(
                "Served with the admin API key, so nobody is signed in, and the account lists no owner; get_users lists the members.".to_owned(),
            )
        })?;
    Object::new(RecordAnswer::new(owner)?.with_note(
        "Served with the admin API key, so nobody is signed in; this is the account owner.",
    ))
}

async fn get_user_groups(ws: Arc<Account>, _: NoArgs) -> Result<Listed<Nothing>, ToolError> {
    Listed::new(compact::list(ws.user_groups().await?.iter())?, Nothing {})
}

async fn get_contacts(ws: Arc<Account>, _: NoArgs) -> Result<Listed<Nothing>, ToolError> {
    Listed::new(compact::list(ws.contacts().await?.iter())?, Nothing {})
}

async fn get_contact_groups(ws: Arc<Account>, _: NoArgs) -> Result<Listed<Nothing>, ToolError> {
    Listed::new(
        compact::list(ws.contact_groups().await?.iter())?,
        Nothing {},
    )
}

/// `get_user_assignments`' summary.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Assignments {
    user_id: String,
    overdue_count: usize,
    today: String,
}

impl Summary for Assignments {}

async fn get_user_assignments(
    ws: Arc<Account>,
    a: UserIdArgs,
) -> Result<Listed<Assignments>, ToolError> {
    let id = args::id("user_id", &a.user_id)?.to_string();
    // The account's open tasks: one request shared with the other
    // account-wide tools (overdue work, team workload) through the cache.
    let tasks = analytics::open_tasks(&ws).await?;
    let today = ws.today();
    let mut mine: Vec<_> = tasks
        .iter()
        .filter(|t| t.user_to.as_ref().is_some_and(|u| u.id.as_str() == id))
        .collect();
    mine.sort_by_key(|t| (t.end().is_none(), t.end()));
    let overdue = mine
        .iter()
        .filter(|t| analytics::is_overdue(t, today))
        .count();
    Listed::new(
        compact::list(mine.iter().map(|t| analytics::summary(t, today)))?,
        Assignments {
            user_id: id,
            overdue_count: overdue,
            today: today.to_string(),
        },
    )
}

//! People: members, teams, contacts, the signed-in user, and a member's
//! open assignments.

use std::sync::Arc;

use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::json;
use worksection::auth::AuthKind;

use super::{Detail, NoArgs, Shape, ToolDef, analytics, def};
use crate::account::Account;
use crate::args::{self, IdArg};
use crate::compact;
use crate::error::ToolError;
use crate::output::Answer;

pub fn tools() -> Vec<ToolDef> {
    vec![
        def(
            "get_users",
            "Members",
            "Members: id, name, email, title, role. Turns a name into a user_id.",
            Shape::List,
            get_users,
        ),
        def(
            "get_user",
            "Member",
            "One member, from the member list.",
            Shape::Object(&["id", "name"]),
            get_user,
        ),
        def(
            "get_current_user",
            "Who am I",
            "The person the server is signed in as.",
            Shape::Object(&["id", "name"]),
            get_current_user,
        ),
        def(
            "get_user_groups",
            "Teams",
            "Teams, client companies included.",
            Shape::List,
            get_user_groups,
        ),
        def(
            "get_contacts",
            "Contacts",
            "Contacts outside the team (clients, suppliers).",
            Shape::List,
            get_contacts,
        ),
        def(
            "get_contact_groups",
            "Contact folders",
            "The folders contacts are filed under.",
            Shape::List,
            get_contact_groups,
        ),
        def(
            "get_user_assignments",
            "Member's open tasks",
            "A member's open tasks, soonest due first, overdue flagged.",
            Shape::List,
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

async fn get_users(ws: Arc<Account>, a: GetUsersArgs) -> Result<Answer, ToolError> {
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
    list.field("status_filter", a.status_filter)
        .field(
            "note",
            "Only members with active access; Worksection does not list the others.",
        )
        .finish()
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UserIdArgs {
    /// Member id.
    pub user_id: IdArg,
}

async fn get_user(ws: Arc<Account>, a: UserIdArgs) -> Result<Answer, ToolError> {
    let id = args::id("user_id", &a.user_id)?.to_string();
    let users = ws.users().await?;
    match users.iter().find(|u| u.id.as_str() == id) {
        Some(u) => Answer::object(u),
        None => Err(ToolError::NotFound(format!(
            "No member with id {id} in this account; get_users lists the members and their ids."
        ))),
    }
}

async fn get_current_user(ws: Arc<Account>, _: NoArgs) -> Result<Answer, ToolError> {
    if ws.client().auth_kind() == AuthKind::OAuth2 {
        return compact::object(&*ws.me().await?);
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
    let mut answer = serde_json::to_value(owner).unwrap_or_default();
    if let Some(o) = answer.as_object_mut() {
        o.insert(
            "note".into(),
            json!(
                "Served with the admin API key, so nobody is signed in; this is the account owner."
            ),
        );
    }
    Answer::object(answer)
}

async fn get_user_groups(ws: Arc<Account>, _: NoArgs) -> Result<Answer, ToolError> {
    compact::list(ws.user_groups().await?.iter())?.finish()
}

async fn get_contacts(ws: Arc<Account>, _: NoArgs) -> Result<Answer, ToolError> {
    compact::list(ws.contacts().await?.iter())?.finish()
}

async fn get_contact_groups(ws: Arc<Account>, _: NoArgs) -> Result<Answer, ToolError> {
    compact::list(ws.contact_groups().await?.iter())?.finish()
}

async fn get_user_assignments(ws: Arc<Account>, a: UserIdArgs) -> Result<Answer, ToolError> {
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
    compact::list(mine.iter().map(|t| analytics::summary(t, today)))?
        .field("user_id", &id)
        .field("overdue_count", overdue)
        .field("today", today.to_string())
        .finish()
}

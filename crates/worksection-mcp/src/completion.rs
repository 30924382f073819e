//! `completion/complete`: values for prompt arguments and resource-template
//! variables, from the account's cached lists (the response cache: within
//! its TTL a completion makes no upstream request).
//!
//! Which values depend on the argument's name, whatever prompt or template
//! asks: `project` offers project names, `person` people's names and
//! emails, `task_id` task ids (the project list's tasks), `file_id` the
//! files in the file cache, `response_id` nothing (ids are random), dates
//! the last days. Values that start with what was typed come first, then
//! those that contain it; at most 100, as MCP allows.

use rmcp::model::{ArgumentInfo, CompletionInfo};
use worksection::api::tasks::GetAllTasks;

use crate::account::Account;

/// The values offered for `argument` (what was typed so far in `value`).
pub async fn complete(ws: &Account, argument: &ArgumentInfo) -> CompletionInfo {
    let typed = argument.value.trim().to_lowercase();
    let candidates = candidates(ws, &argument.name).await;
    let mut starts: Vec<String> = Vec::new();
    let mut contains: Vec<String> = Vec::new();
    for c in candidates {
        let low = c.to_lowercase();
        if low.starts_with(&typed) {
            starts.push(c);
        } else if low.contains(&typed) {
            contains.push(c);
        }
    }
    starts.extend(contains);
    starts.dedup();
    let total = starts.len();
    starts.truncate(CompletionInfo::MAX_VALUES);
    let has_more = total > starts.len();
    CompletionInfo::with_pagination(starts, u32::try_from(total).ok(), has_more).unwrap_or_default()
}

async fn candidates(ws: &Account, name: &str) -> Vec<String> {
    match name {
        "project" | "project_id" => match ws.projects(None, &[]).await {
            Ok(projects) => {
                let mut out: Vec<String> = projects.iter().map(|p| p.name.clone()).collect();
                out.extend(projects.iter().map(|p| p.id.to_string()));
                out
            }
            Err(_) => Vec::new(),
        },
        "person" | "user_id" | "email" => match ws.users().await {
            Ok(users) => users
                .iter()
                .flat_map(|u| [u.name.clone(), u.email.clone()])
                .filter(|s| !s.is_empty())
                .collect(),
            Err(_) => Vec::new(),
        },
        "task_id" => match ws.all_tasks(GetAllTasks::new()).await {
            Ok(tasks) => tasks.iter().map(|t| t.id.to_string()).collect(),
            Err(_) => Vec::new(),
        },
        "file_id" => ws
            .files()
            .cached_images()
            .await
            .iter()
            .map(|f| f.id.to_string())
            .collect(),
        "week_start" | "date_start" | "date_end" => {
            let today = ws.today();
            (0..14)
                .filter_map(|d| today.checked_sub_days(chrono::Days::new(d)))
                .map(|d| d.format("%Y-%m-%d").to_string())
                .collect()
        }
        _ => Vec::new(),
    }
}

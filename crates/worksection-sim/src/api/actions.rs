//! Every read action of the client API: validate the parameters the way
//! Worksection does, select the records, and render them.
//!
//! Write actions (`post_task`, `update_task`, ...) are not simulated: the
//! product is read-only, so they answer "Action is invalid".

use chrono::{Duration, NaiveDate, NaiveDateTime};
use serde_json::{Value, json};

use super::params::Params;
use super::render::{ChildStyle, Children, Extras, Renderer, hours_minutes, money};
use super::visibility::Viewer;
use crate::data::{
    Account, Assignee, Attachment, Cost, EventObject, ProjectStatus, Task, TaskStatus,
};
use crate::filter::{self, Record, Schema};

/// Worksection answers lists of more than this many records with an error.
pub const MAX_RECORDS: usize = 10_000;

/// An error answer: `{"status":"error","status_code":N,"message":...,"message_details":...}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub code: u32,
    pub message: String,
    pub details: Option<String>,
}

impl ApiError {
    pub fn new(code: u32, message: &str) -> Self {
        Self {
            code,
            message: message.to_owned(),
            details: None,
        }
    }

    pub fn with_details(code: u32, message: &str, details: impl Into<String>) -> Self {
        Self {
            code,
            message: message.to_owned(),
            details: Some(details.into()),
        }
    }

    pub fn to_json(&self) -> Value {
        let mut v = json!({ "status": "error", "status_code": self.code, "message": self.message });
        if let Some(d) = &self.details {
            v["message_details"] = d.clone().into();
        }
        v
    }

    fn required(field: &str) -> Self {
        Self::with_details(10, "Field is required", field)
    }

    fn project_invalid() -> Self {
        Self::new(4, "Project is invalid")
    }

    fn task_invalid() -> Self {
        Self::new(5, "Task is invalid")
    }

    fn invalid(field: &str, value: &str) -> Self {
        Self::with_details(11, &format!("Field {field} is invalid"), value)
    }

    fn too_many() -> Self {
        Self::with_details(
            9,
            "Too many records",
            format!("more than {MAX_RECORDS} records match; narrow the request"),
        )
    }
}

/// What an action answers.
#[derive(Debug)]
pub enum Answer {
    Json(Value),
    File {
        name: String,
        bytes: std::sync::Arc<[u8]>,
    },
}

/// Who is calling: a user through OAuth2, or the account through the admin key.
#[derive(Debug, Clone, Copy)]
pub enum Caller {
    User(u64),
    Admin,
}

pub struct Ctx<'a> {
    pub account: &'a Account,
    pub account_url: &'a str,
    pub now: NaiveDateTime,
    pub caller: Caller,
    /// What the caller may see (see `visibility`).
    pub viewer: Viewer,
}

impl Ctx<'_> {
    fn r(&self) -> Renderer<'_> {
        Renderer {
            account: self.account,
            account_url: self.account_url,
        }
    }
}

/// The scope an action needs; `None` for `me`, which any token may call.
pub fn scope_for(action: &str) -> Option<Option<&'static str>> {
    Some(match action {
        "me" => None,
        "get_users" | "get_user_groups" => Some("users_read"),
        "get_contacts" | "get_contact_groups" => Some("contacts_read"),
        "get_projects" | "get_project" | "get_project_groups" | "get_events" => {
            Some("projects_read")
        }
        "get_all_tasks" | "get_tasks" | "get_task" | "search_tasks" => Some("tasks_read"),
        "get_comments" => Some("comments_read"),
        "get_task_tags" | "get_task_tag_groups" | "get_project_tags" | "get_project_tag_groups" => {
            Some("tags_read")
        }
        "get_costs" | "get_costs_total" | "get_timers" | "get_my_timer" => Some("costs_read"),
        "get_files" | "download" => Some("files_read"),
        "get_webhooks" => Some("administrative"),
        _ => return None,
    })
}

/// Runs one action. The caller has already checked auth and scope.
pub fn run(action: &str, p: &Params, ctx: &Ctx<'_>) -> Result<Answer, ApiError> {
    let data = &ctx.account.data;
    let r = ctx.r();
    let list = |items: Vec<Value>| -> Result<Answer, ApiError> {
        if items.len() > MAX_RECORDS {
            return Err(ApiError::too_many());
        }
        Ok(Answer::Json(json!({ "status": "ok", "data": items })))
    };
    let one = |item: Value| Ok(Answer::Json(json!({ "status": "ok", "data": item })));
    match action {
        "me" => {
            let Caller::User(id) = ctx.caller else {
                return Err(user_method());
            };
            let user = ctx
                .account
                .user(id)
                .ok_or_else(|| ApiError::new(3, "User is invalid"))?;
            let mut v = r.user(user);
            // `me` has no rate, unlike `get_users`.
            if let Some(o) = v.as_object_mut() {
                o.remove("rate");
            }
            one(v)
        }
        "get_users" => list(
            data.users
                .iter()
                .filter(|u| u.active && ctx.viewer.user(u))
                .map(|u| r.user(u))
                .collect(),
        ),
        "get_user_groups" => list(data.user_groups.iter().map(|g| r.user_group(g)).collect()),
        "get_contacts" => list(data.contacts.iter().map(|c| r.contact(c)).collect()),
        "get_contact_groups" => list(
            data.contact_groups
                .iter()
                .map(|g| r.contact_group(g))
                .collect(),
        ),
        "get_project_groups" => list(
            data.project_groups
                .iter()
                .map(|g| r.project_group(g))
                .collect(),
        ),
        "get_projects" => {
            let extras = Extras::parse(p.get("extra"));
            let status = match p.non_empty("filter") {
                None => None,
                Some("active") => Some(ProjectStatus::Active),
                Some("pending") => Some(ProjectStatus::Pending),
                // The collection writes `archive`, the API pages and the
                // SDKs' docstrings `archived`.
                Some("archive" | "archived") => Some(ProjectStatus::Archive),
                Some(other) => return Err(ApiError::invalid("filter", other)),
            };
            list(
                data.projects
                    .iter()
                    .filter(|x| ctx.viewer.project(x))
                    .filter(|x| status.is_none_or(|s| x.status == s))
                    .map(|x| r.project(x, &extras))
                    .collect(),
            )
        }
        "get_project" => {
            let project = project_param(p, ctx)?;
            one(r.project(project, &Extras::parse(p.get("extra"))))
        }
        "get_events" => {
            let period = p
                .non_empty("period")
                .and_then(parse_period)
                .ok_or_else(|| ApiError::required("period"))?;
            let project = match p.non_empty("id_project") {
                Some(_) => Some(project_param(p, ctx)?.id),
                None => None,
            };
            let since = ctx.now - period;
            list(
                data.events
                    .iter()
                    .filter(|e| e.date_added > since && e.date_added <= ctx.now)
                    .filter(|e| ctx.viewer.event(ctx.account, e.object))
                    .filter(|e| {
                        project.is_none_or(|id| event_project(ctx.account, e.object) == Some(id))
                    })
                    .map(|e| r.event(e))
                    .collect(),
            )
        }
        "get_all_tasks" => {
            let extras = Extras::parse(p.get("extra"));
            let active_only = active_filter(p)?;
            let children = Children {
                style: ChildStyle::Full,
                active_only,
            };
            let archived = extras.has("archive");
            let mut out = Vec::new();
            for project in data.projects.iter().filter(|p| ctx.viewer.project(p)) {
                if project.status == ProjectStatus::Archive && !archived {
                    continue;
                }
                for t in ctx.account.top_level_tasks(project.id) {
                    if !active_only || t.status == TaskStatus::Active {
                        out.push(r.task(t, &extras, children));
                    }
                }
            }
            list(out)
        }
        "get_tasks" => {
            let project = project_param(p, ctx)?;
            let extras = Extras::parse(p.get("extra"));
            let active_only = active_filter(p)?;
            let children = Children {
                style: ChildStyle::Full,
                active_only,
            };
            list(
                ctx.account
                    .top_level_tasks(project.id)
                    .filter(|t| !active_only || t.status == TaskStatus::Active)
                    .map(|t| r.task(t, &extras, children))
                    .collect(),
            )
        }
        "get_task" => {
            let task = task_param(p, ctx)?;
            let children = Children {
                style: ChildStyle::Brief,
                active_only: active_filter(p)?,
            };
            one(r.task(task, &Extras::parse(p.get("extra")), children))
        }
        "search_tasks" => search_tasks(p, ctx),
        "get_comments" => {
            let task = task_param(p, ctx)?;
            let with_files = Extras::parse(p.get("extra")).has("files");
            list(
                ctx.account
                    .comments_of(task.id)
                    .collect::<Vec<_>>()
                    .into_iter()
                    .rev()
                    .map(|c| r.comment(c, task, with_files))
                    .collect(),
            )
        }
        "get_task_tags" | "get_project_tags" => {
            let (groups, tags) = if action == "get_task_tags" {
                (&data.task_tag_groups, &data.task_tags)
            } else {
                (&data.project_tag_groups, &data.project_tags)
            };
            let selected = tag_groups(p, groups)?;
            if let Some(g) = p.non_empty("group")
                && selected
                    .iter()
                    .all(|sg| sg.title != g && sg.id.to_string() != g)
            {
                return Err(ApiError::with_details(16, "Tag group is invalid", g));
            }
            let wanted: Vec<u64> = selected
                .iter()
                .filter(|g| {
                    p.non_empty("group")
                        .is_none_or(|want| g.title == want || g.id.to_string() == want)
                })
                .map(|g| g.id)
                .collect();
            list(
                tags.iter()
                    .filter(|t| wanted.contains(&t.group))
                    .map(|t| r.tag(t, groups))
                    .collect(),
            )
        }
        "get_task_tag_groups" => list(
            tag_groups(p, &data.task_tag_groups)?
                .iter()
                .map(|g| r.tag_group(g))
                .collect(),
        ),
        "get_project_tag_groups" => list(
            tag_groups(p, &data.project_tag_groups)?
                .iter()
                .map(|g| r.tag_group(g))
                .collect(),
        ),
        "get_costs" => {
            let lines = select_costs(p, ctx)?;
            if lines.len() > MAX_RECORDS {
                return Err(ApiError::too_many());
            }
            let (minutes, cents) = totals(&lines);
            Ok(Answer::Json(json!({
                "status": "ok",
                "data": lines.iter().map(|c| r.cost(c)).collect::<Vec<_>>(),
                "total": { "time": hours_minutes(minutes), "money": money(cents) },
            })))
        }
        "get_costs_total" => {
            let lines = select_costs(p, ctx)?;
            let (minutes, cents) = totals(&lines);
            let mut answer = json!({
                "status": "ok",
                "total": { "time": hours_minutes(minutes), "money": money(cents) },
            });
            let extras = p.get("extra").unwrap_or_default();
            let wants = |e: &str| extras.split(',').any(|x| x.trim() == e);
            if wants("projects") || wants("tasks") {
                answer["projects"] = costs_by_project(&lines, ctx, wants("tasks")).into();
            }
            Ok(Answer::Json(answer))
        }
        "get_timers" => list(
            data.timers
                .iter()
                .filter(|t| ctx.account.task(t.task).is_some_and(|x| ctx.viewer.task(x)))
                .map(|t| r.timer(t, ctx.now))
                .collect(),
        ),
        "get_my_timer" => {
            let Caller::User(id) = ctx.caller else {
                return Err(user_method());
            };
            match data.timers.iter().find(|t| t.user_from == id) {
                Some(t) => one(r.my_timer(t, ctx.now)),
                // PHP encodes an empty array as `[]`; Worksection answers so
                // when no timer runs.
                None => one(json!([])),
            }
        }
        "get_files" => {
            let files: Vec<Value> = if let Some(raw) = p.non_empty("id_task") {
                let task = find_task(raw, ctx)?;
                let mut out: Vec<Value> = ctx
                    .account
                    .files_of(Attachment::Task(task.id))
                    .map(|f| r.file(f))
                    .collect();
                for c in ctx.account.comments_of(task.id) {
                    out.extend(
                        ctx.account
                            .files_of(Attachment::Comment(c.id))
                            .map(|f| r.file(f)),
                    );
                }
                out
            } else {
                let project = project_param(p, ctx)?;
                ctx.account
                    .files_of(Attachment::Project(project.id))
                    .map(|f| r.file(f))
                    .collect()
            };
            list(files)
        }
        "download" => {
            let raw = p
                .non_empty("id_file")
                .ok_or_else(|| ApiError::required("id_file"))?;
            let file = raw
                .parse::<u64>()
                .ok()
                .and_then(|id| ctx.account.file(id))
                .filter(|f| ctx.viewer.attachment(ctx.account, f.attached_to))
                .ok_or_else(|| ApiError::new(4, "File not found"))?;
            Ok(Answer::File {
                name: file.name.clone(),
                bytes: file.bytes.clone(),
            })
        }
        "get_webhooks" => {
            if !ctx.viewer.is_admin() {
                return Err(ApiError::with_details(
                    7,
                    "Access denied",
                    "only the account's owner and administrators see webhooks",
                ));
            }
            list(data.webhooks.iter().map(|w| r.webhook(w)).collect())
        }
        _ => Err(ApiError::with_details(1, "Action is invalid", action)),
    }
}

fn user_method() -> ApiError {
    ApiError::with_details(
        3,
        "Action is available only with an OAuth2 access token",
        "user methods (me, get_my_timer) cannot be called with the admin API key",
    )
}

fn active_filter(p: &Params) -> Result<bool, ApiError> {
    match p.non_empty("filter") {
        None => Ok(false),
        Some("active") => Ok(true),
        Some(other) => Err(ApiError::invalid("filter", other)),
    }
}

fn find_project<'a>(raw: &str, ctx: &Ctx<'a>) -> Result<&'a crate::data::Project, ApiError> {
    raw.parse::<u64>()
        .ok()
        .and_then(|id| ctx.account.project(id))
        .filter(|p| ctx.viewer.project(p))
        .ok_or_else(ApiError::project_invalid)
}

fn project_param<'a>(p: &Params, ctx: &Ctx<'a>) -> Result<&'a crate::data::Project, ApiError> {
    let raw = p
        .non_empty("id_project")
        .ok_or_else(|| ApiError::required("id_project"))?;
    find_project(raw, ctx)
}

fn find_task<'a>(raw: &str, ctx: &Ctx<'a>) -> Result<&'a Task, ApiError> {
    raw.parse::<u64>()
        .ok()
        .and_then(|id| ctx.account.task(id))
        .filter(|t| ctx.viewer.task(t))
        .ok_or_else(ApiError::task_invalid)
}

fn task_param<'a>(p: &Params, ctx: &Ctx<'a>) -> Result<&'a Task, ApiError> {
    let raw = p
        .non_empty("id_task")
        .ok_or_else(|| ApiError::required("id_task"))?;
    find_task(raw, ctx)
}

/// `1m..360m`, `1h..72h`, `1d..30d`.
fn parse_period(s: &str) -> Option<Duration> {
    let unit = s.chars().last()?;
    let n: i64 = s.get(..s.len() - 1)?.parse().ok()?;
    match unit {
        'm' if (1..=360).contains(&n) => Some(Duration::minutes(n)),
        'h' if (1..=72).contains(&n) => Some(Duration::hours(n)),
        'd' if (1..=30).contains(&n) => Some(Duration::days(n)),
        _ => None,
    }
}

fn event_project(account: &Account, object: EventObject) -> Option<u64> {
    match object {
        EventObject::Project(id) => Some(id),
        EventObject::Task(id) => account.task(id).map(|t| t.project),
        EventObject::Comment(id) => account
            .comment(id)
            .and_then(|c| account.task(c.task))
            .map(|t| t.project),
    }
}

fn tag_groups<'a>(
    p: &Params,
    groups: &'a [crate::data::TagGroup],
) -> Result<Vec<&'a crate::data::TagGroup>, ApiError> {
    let kind = p.non_empty("type");
    if let Some(k) = kind
        && k != "status"
        && k != "label"
    {
        return Err(ApiError::invalid("type", k));
    }
    let access = p.non_empty("access");
    if let Some(a) = access
        && a != "public"
        && a != "private"
    {
        return Err(ApiError::invalid("access", a));
    }
    Ok(groups
        .iter()
        .filter(|g| kind.is_none_or(|k| g.kind.as_str() == k))
        .filter(|g| access.is_none_or(|a| g.access.as_str() == a))
        .collect())
}

/// `DD.MM.YYYY`, the API's only input date format.
fn date_param(p: &Params, name: &str) -> Result<Option<NaiveDate>, ApiError> {
    match p.non_empty(name) {
        None => Ok(None),
        Some(raw) => NaiveDate::parse_from_str(raw, "%d.%m.%Y")
            .map(Some)
            .map_err(|_| {
                ApiError::with_details(
                    11,
                    "Date is invalid",
                    format!("{name} (expected DD.MM.YYYY)"),
                )
            }),
    }
}

struct TaskRecord<'a>(&'a Task);

impl Record for TaskRecord<'_> {
    fn int(&self, field: &str) -> Option<u64> {
        match field {
            "id" => Some(self.0.id),
            "project" => Some(self.0.project),
            "parent" => self.0.parent,
            _ => None,
        }
    }

    fn text(&self, field: &str) -> Option<&str> {
        (field == "name").then_some(self.0.name.as_str())
    }

    fn date(&self, field: &str) -> Option<NaiveDate> {
        match field {
            "dateadd" => Some(self.0.date_added.date()),
            "datestart" => self.0.date_start,
            "dateend" => self.0.date_end,
            "dateclose" => self.0.date_closed.map(|d| d.date()),
            _ => None,
        }
    }
}

fn search_tasks(p: &Params, ctx: &Ctx<'_>) -> Result<Answer, ApiError> {
    const CRITERIA: [&str; 5] = [
        "filter",
        "id_project",
        "id_task",
        "email_user_from",
        "email_user_to",
    ];
    if CRITERIA.iter().all(|c| p.non_empty(c).is_none()) {
        return Err(ApiError::with_details(
            10,
            "At least one of fields required",
            CRITERIA.join(", "),
        ));
    }
    let project = p
        .non_empty("id_project")
        .map(|raw| find_project(raw, ctx))
        .transpose()?;
    let task = p
        .non_empty("id_task")
        .map(|raw| find_task(raw, ctx))
        .transpose()?;
    let user_by_email = |field: &str| -> Result<Option<Assignee>, ApiError> {
        let Some(email) = p.non_empty(field) else {
            return Ok(None);
        };
        match email {
            "NOONE" => Ok(Some(Assignee::Noone)),
            "ANY" => Ok(Some(Assignee::Any)),
            _ => ctx
                .account
                .data
                .users
                .iter()
                .find(|u| u.email.eq_ignore_ascii_case(email))
                .map(|u| Some(Assignee::User(u.id)))
                .ok_or_else(|| ApiError::with_details(11, "Invalid email", email)),
        }
    };
    let from = user_by_email("email_user_from")?;
    let to = user_by_email("email_user_to")?;
    let status = match p.non_empty("status") {
        None => None,
        Some("active") => Some(TaskStatus::Active),
        Some("done") => Some(TaskStatus::Done),
        Some(other) => return Err(ApiError::invalid("status", other)),
    };
    let expr = p
        .non_empty("filter")
        .map(|f| filter::parse(f, Schema::SearchTasks))
        .transpose()
        .map_err(|e| ApiError::with_details(11, "Filter is invalid", e.to_string()))?;
    let extras = Extras::parse(p.get("extra"));
    let r = ctx.r();
    let found: Vec<Value> = ctx
        .account
        .data
        .tasks
        .iter()
        .filter(|t| ctx.viewer.task(t))
        .filter(|t| project.is_none_or(|x| t.project == x.id))
        .filter(|t| task.is_none_or(|x| t.id == x.id || t.parent == Some(x.id)))
        .filter(|t| from.is_none_or(|a| a == Assignee::User(t.user_from)))
        .filter(|t| to.is_none_or(|a| a == t.user_to))
        .filter(|t| status.is_none_or(|s| t.status == s))
        .filter(|t| expr.as_ref().is_none_or(|e| e.matches(&TaskRecord(t))))
        .map(|t| r.task_search(t, &extras))
        .collect();
    if found.len() > MAX_RECORDS {
        return Err(ApiError::too_many());
    }
    Ok(Answer::Json(json!({ "status": "ok", "data": found })))
}

struct CostRecord<'a> {
    cost: &'a Cost,
    project: u64,
}

impl Record for CostRecord<'_> {
    fn int(&self, field: &str) -> Option<u64> {
        match field {
            "id" => Some(self.cost.task),
            "project" => Some(self.project),
            _ => None,
        }
    }

    fn text(&self, field: &str) -> Option<&str> {
        (field == "comment").then_some(self.cost.comment.as_str())
    }

    fn date(&self, field: &str) -> Option<NaiveDate> {
        (field == "dateadd").then_some(self.cost.date)
    }
}

fn select_costs<'a>(p: &Params, ctx: &Ctx<'a>) -> Result<Vec<&'a Cost>, ApiError> {
    let project = p
        .non_empty("id_project")
        .map(|raw| find_project(raw, ctx))
        .transpose()?;
    let task = p
        .non_empty("id_task")
        .map(|raw| find_task(raw, ctx))
        .transpose()?;
    let start = date_param(p, "datestart")?;
    let end = date_param(p, "dateend")?;
    let is_timer = match p.non_empty("is_timer") {
        None => None,
        Some("1") => Some(true),
        Some("0") => Some(false),
        Some(other) => return Err(ApiError::invalid("is_timer", other)),
    };
    let expr = p
        .non_empty("filter")
        .map(|f| filter::parse(f, Schema::Costs))
        .transpose()
        .map_err(|e| ApiError::with_details(11, "Filter is invalid", e.to_string()))?;
    // A task's costs include those logged on its subtasks.
    let in_task = |t: &Task| -> bool {
        let Some(want) = task else { return true };
        let mut cur = Some(t);
        while let Some(x) = cur {
            if x.id == want.id {
                return true;
            }
            cur = x.parent.and_then(|pid| ctx.account.task(pid));
        }
        false
    };
    Ok(ctx
        .account
        .data
        .costs
        .iter()
        .filter_map(|c| Some((c, ctx.account.task(c.task)?)))
        .filter(|(_, t)| ctx.viewer.task(t))
        .filter(|(_, t)| project.is_none_or(|x| t.project == x.id))
        .filter(|(_, t)| in_task(t))
        .filter(|(c, _)| start.is_none_or(|d| c.date >= d) && end.is_none_or(|d| c.date <= d))
        .filter(|(c, _)| is_timer.is_none_or(|b| c.is_timer == b))
        .filter(|(c, t)| {
            expr.as_ref().is_none_or(|e| {
                e.matches(&CostRecord {
                    cost: c,
                    project: t.project,
                })
            })
        })
        .map(|(c, _)| c)
        .collect())
}

/// `get_costs_total`'s `projects`: each project's total, its months
/// (`YYYY-MM`) and, with `tasks`, each task's total, in the shape of the
/// official SDKs' `CostProject` and `CostTask` models.
fn costs_by_project(lines: &[&Cost], ctx: &Ctx<'_>, with_tasks: bool) -> Vec<Value> {
    use std::collections::BTreeMap;
    let mut projects: BTreeMap<u64, Vec<&Cost>> = BTreeMap::new();
    for line in lines {
        if let Some(task) = ctx.account.task(line.task) {
            projects.entry(task.project).or_default().push(line);
        }
    }
    let figures = |lines: &[&Cost]| {
        let (m, c) = totals(lines);
        (hours_minutes(m), money(c))
    };
    projects
        .into_iter()
        .map(|(id, lines)| {
            let (time, money) = figures(&lines);
            let mut months: BTreeMap<String, Vec<&Cost>> = BTreeMap::new();
            for line in &lines {
                months
                    .entry(line.date.format("%Y-%m").to_string())
                    .or_default()
                    .push(line);
            }
            let monthly: serde_json::Map<String, Value> = months
                .into_iter()
                .map(|(month, lines)| {
                    let (time, money) = figures(&lines);
                    (month, json!({ "time": time, "money": money }))
                })
                .collect();
            let name = ctx
                .account
                .project(id)
                .map(|p| p.name.clone())
                .unwrap_or_default();
            let mut v = json!({
                "id": id.to_string(),
                "name": name,
                "page": format!("/project/{id}/"),
                "time": time,
                "money": money,
                "monthly": monthly,
            });
            if with_tasks {
                let mut tasks: BTreeMap<u64, Vec<&Cost>> = BTreeMap::new();
                for line in &lines {
                    tasks.entry(line.task).or_default().push(line);
                }
                v["tasks"] = tasks
                    .into_iter()
                    .map(|(tid, lines)| {
                        let (time, money) = figures(&lines);
                        let task = ctx.account.task(tid);
                        json!({
                            "id": tid.to_string(),
                            "name": task.map(|t| t.name.clone()).unwrap_or_default(),
                            "page": format!("/project/{id}/{tid}/"),
                            "time": time,
                            "money": money,
                        })
                    })
                    .collect::<Vec<_>>()
                    .into();
            }
            v
        })
        .collect()
}

fn totals(lines: &[&Cost]) -> (u64, u64) {
    lines.iter().fold((0, 0), |(m, c), x| {
        (m + u64::from(x.minutes), c + x.money_cents)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods_follow_the_documented_ranges() {
        assert_eq!(parse_period("6h"), Some(Duration::hours(6)));
        assert_eq!(parse_period("360m"), Some(Duration::minutes(360)));
        assert_eq!(parse_period("30d"), Some(Duration::days(30)));
        for bad in [
            "60d", "0d", "73h", "361m", "d", "", "1w", "-1d", "1.5d", "ñ",
        ] {
            assert_eq!(parse_period(bad), None, "{bad}");
        }
    }
}

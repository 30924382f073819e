//! The account being served: its client, its caches, and one cached method
//! per upstream read.
//!
//! Tools never call the Worksection client directly; they ask the
//! [`Account`], which answers from the response cache when it can and
//! otherwise makes exactly one upstream request for however many tools are
//! asking at the same moment ([`Account::fetch`], for any
//! [`worksection::Action`]). Keys are the action's name and its parameters
//! as serialized for the request,
//! so two tools that need the same answer (the analytics tools all read a
//! project's task list with its subtasks) share one request.
//!
//! Some answers are a superset of others, and then the narrower question is
//! answered from the wider answer instead of a request of its own:
//!
//! - a project (with or without its team) from a fresh project list, which
//!   is always fetched with the teams ([`Account::projects`]);
//! - a project's task list without subtasks from the same list with them
//!   ([`Account::tasks`]);
//! - one project's cost lines over a short window of days from the
//!   account's lines of the same days, and cost totals from cost lines
//!   already fetched ([`Account::costs`], [`Account::costs_total`]);
//! - one project's activity from the account's over the same period
//!   ([`Account::events`]).
//!
//! A derived answer is exactly what the narrower request would have
//! answered (the tests below and the end-to-end tests hold them side by
//! side). A wider answer is only used while it is fresh (within the TTL);
//! without one, the narrower request is made as usual, so a cold call never
//! makes more requests than its tool declares (its `tools::Upstream`, the
//! "upstream cost" column of TOOLS.md).
//!
//! Between replicas of a team server ([`Account::with_shared`]), the cache
//! shares each answer's raw body through the person's space of the shared
//! store, read back by [`worksection::Client::read_kept`]; a narrower
//! question is then answered from a wider answer another replica fetched
//! as it would be from one fetched here.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

use bytes::Bytes;
use chrono::NaiveDate;
use worksection::api::comments::GetComments;
use worksection::api::costs::{CostsTotal, CostsTotalExtra, GetCosts, GetCostsTotal};
use worksection::api::events::{GetEvents, Period};
use worksection::api::files::GetFiles;
use worksection::api::members::{GetContactGroups, GetContacts, GetUserGroups, GetUsers, Me};
use worksection::api::projects::{
    GetProject, GetProjectGroups, GetProjects, ProjectExtra, ProjectState,
};
use worksection::api::tags::{
    GetProjectTagGroups, GetProjectTags, GetTaskTagGroups, GetTaskTags, TagQuery,
};
use worksection::api::tasks::{GetAllTasks, GetTask, GetTasks, SearchTasks, TaskExtra};
use worksection::api::timers::{GetMyTimer, GetTimers};
use worksection::api::webhooks::GetWebhooks;
use worksection::models::{
    Comment, Contact, ContactGroup, Cost, CostTotals, Costs, Event, FileRef, Minutes, Money,
    MyTimer, Place, Project, ProjectGroup, Tag, TagGroup, Task, Timer, User, UserGroup, Webhook,
};
use worksection::{Action, Client};

use crate::cache::ResponseCache;
use crate::error::ToolError;
use crate::file_cache::{CachedFile, FileCache};
use crate::shared::SharedSpace;

/// How much longer than the client's request timeout a shared fetch's lock
/// lives: time to store the answer and release it.
const LOCK_MARGIN: std::time::Duration = std::time::Duration::from_secs(5);

/// One Worksection account, as the tools see it.
pub struct Account {
    client: Client,
    cache: ResponseCache,
    files: FileCache,
    /// The person's space in the store replicas share, when there is one.
    shared: Option<SharedSpace>,
    started: Instant,
    /// Where the account's data comes from, for people: "demo" or the URL.
    label: String,
}

impl Account {
    pub fn new(client: Client, cache: ResponseCache, files: FileCache, label: String) -> Self {
        Self {
            client,
            cache,
            files,
            shared: None,
            started: Instant::now(),
            label,
        }
    }

    /// Shares this account's answers, pages and offloaded answers with the
    /// other replicas of a team server through one person's `space` (see
    /// [`crate::cache`]). A fetch holds its lock for a little over the
    /// client's request timeout.
    pub fn with_shared(mut self, space: SharedSpace) -> Self {
        let lock_ttl = self.client.request_timeout() + LOCK_MARGIN;
        self.cache = self.cache.with_shared(space.clone(), lock_ttl);
        self.shared = Some(space);
        self
    }

    /// The person's space in the shared store, when replicas share one.
    pub fn shared(&self) -> Option<&SharedSpace> {
        self.shared.as_ref()
    }

    pub fn client(&self) -> &Client {
        &self.client
    }

    pub fn cache(&self) -> &ResponseCache {
        &self.cache
    }

    pub fn files(&self) -> &FileCache {
        &self.files
    }

    pub fn label(&self) -> &str {
        &self.label
    }

    pub fn uptime(&self) -> std::time::Duration {
        self.started.elapsed()
    }

    /// Today in the account's local date. Worksection does not publish an
    /// account's time zone, so this is the computer's own, which for a
    /// desktop app is the person's.
    pub fn today(&self) -> NaiveDate {
        chrono::Local::now().date_naive()
    }

    /// One upstream read through the response cache: the cached answer
    /// of the same action with the same parameters, or one request for
    /// however many ask at the same moment.
    pub async fn fetch<A>(&self, action: A) -> Result<Arc<A::Answer>, ToolError>
    where
        A: Action + 'static,
        A::Answer: Sync,
    {
        let key = key(&action)?;
        note_used(&key);
        let c = &self.client;
        Ok(self
            .cache
            .get_or_fetch(
                key,
                || c.send_keeping_body(&action),
                |body| c.read_kept(&action, body),
            )
            .await?)
    }

    /// A fresh answer already at hand for this request, without fetching.
    async fn peek<A>(&self, action: &A) -> Option<Arc<A::Answer>>
    where
        A: Action,
        A::Answer: Sync,
    {
        let key = key(action).ok()?;
        let c = &self.client;
        let found = self
            .cache
            .peek_kept(&key, |body| c.read_kept(action, body))
            .await;
        if found.is_some() {
            note_used(&key);
        }
        found
    }

    pub async fn me(&self) -> Result<Arc<User>, ToolError> {
        self.fetch(Me {}).await
    }

    /// One uncached round trip, for the health check: `me` when a user is
    /// signed in (it is theirs), else the lightest admin action.
    pub async fn probe(&self) -> Result<Option<User>, ToolError> {
        match self.client.auth_kind() {
            worksection::auth::AuthKind::OAuth2 => Ok(Some(self.client.me().await?)),
            worksection::auth::AuthKind::ApiKey => {
                self.client.get_project_groups().await?;
                Ok(None)
            }
        }
    }

    pub async fn users(&self) -> Result<Arc<Vec<User>>, ToolError> {
        self.fetch(GetUsers {}).await
    }

    pub async fn user_groups(&self) -> Result<Arc<Vec<UserGroup>>, ToolError> {
        self.fetch(GetUserGroups {}).await
    }

    pub async fn contacts(&self) -> Result<Arc<Vec<Contact>>, ToolError> {
        self.fetch(GetContacts {}).await
    }

    pub async fn contact_groups(&self) -> Result<Arc<Vec<ContactGroup>>, ToolError> {
        self.fetch(GetContactGroups {}).await
    }

    /// The project list. Always fetched with the teams (`extra=users`),
    /// whatever the caller asked: Worksection adds them to the same request,
    /// and the list then answers [`Account::project`] (with or without the
    /// team) for every project in it. Teams not asked for are taken out
    /// again, so the answer is the one the request without them gives.
    pub async fn projects(
        &self,
        state: Option<ProjectState>,
        extras: &[ProjectExtra],
    ) -> Result<Arc<Vec<Project>>, ToolError> {
        let listed = self.fetch(projects_request(state, extras)).await?;
        if extras.contains(&ProjectExtra::Users) {
            return Ok(listed);
        }
        Ok(Arc::new(listed.iter().cloned().map(without_team).collect()))
    }

    /// One project: from a fresh project list that holds it, else its own
    /// request. Worksection writes a project the same way in `get_projects`
    /// and `get_project` for the same extras.
    pub async fn project(
        &self,
        id: u64,
        extras: &[ProjectExtra],
    ) -> Result<Arc<Project>, ToolError> {
        if let Some(listed) = self.project_from_a_list(id, extras).await {
            return Ok(Arc::new(listed));
        }
        self.fetch(GetProject::new(id).extra(in_order(&PROJECT_EXTRAS, |e| extras.contains(&e))))
            .await
    }

    /// The project as a fresh list of any status filter has it, with the
    /// same extras (plus the team, which every list carries).
    async fn project_from_a_list(&self, id: u64, extras: &[ProjectExtra]) -> Option<Project> {
        for state in PROJECT_STATES {
            let Some(list) = self.peek(&projects_request(state, extras)).await else {
                continue;
            };
            let Some(found) = list.iter().find(|p| p.id.as_u64() == Some(id)) else {
                continue;
            };
            return Some(if extras.contains(&ProjectExtra::Users) {
                found.clone()
            } else {
                without_team(found.clone())
            });
        }
        None
    }

    /// Whether a fresh project list (any status filter, any extras) holds
    /// the project. A project's costs and events are read from the
    /// account's only then: for an id that is no project, the account's
    /// answer would hold nothing instead of Worksection's "not found".
    async fn is_listed(&self, id: u64) -> bool {
        // Every list is fetched with the teams, so the lists differ only in
        // the other extras: one peek per set of those and status filter.
        let optional: Vec<ProjectExtra> = PROJECT_EXTRAS
            .into_iter()
            .filter(|e| *e != ProjectExtra::Users)
            .collect();
        for mask in 0..1usize << optional.len() {
            let extras: Vec<ProjectExtra> = optional
                .iter()
                .enumerate()
                .filter(|(i, _)| mask & (1 << i) != 0)
                .map(|(_, e)| *e)
                .collect();
            for state in PROJECT_STATES {
                if let Some(list) = self.peek(&projects_request(state, &extras)).await
                    && list.iter().any(|p| p.id.as_u64() == Some(id))
                {
                    return true;
                }
            }
        }
        false
    }

    pub async fn project_groups(&self) -> Result<Arc<Vec<ProjectGroup>>, ToolError> {
        self.fetch(GetProjectGroups {}).await
    }

    pub async fn all_tasks(&self, p: GetAllTasks) -> Result<Arc<Vec<Task>>, ToolError> {
        self.fetch(p).await
    }

    /// A project's tasks. Without subtasks, the list is the top level of
    /// the same list with them; the analytics tools all read that one, so
    /// when it is fresh at hand this is cut from it instead of asked for:
    /// the top-level tasks (only those whose status is `active` when
    /// `active_only`, which is Worksection's `filter=active`), without their
    /// `child` block.
    pub async fn tasks(
        &self,
        project: u64,
        extras: &[TaskExtra],
        active_only: bool,
    ) -> Result<Arc<Vec<Task>>, ToolError> {
        if !extras.contains(&TaskExtra::Subtasks) {
            let nested = tasks_request(project, extras, Some(TaskExtra::Subtasks), false);
            if let Some(nested) = self.peek(&nested).await {
                return Ok(Arc::new(top_level(&nested, active_only)));
            }
        }
        self.fetch(tasks_request(project, extras, None, active_only))
            .await
    }

    pub async fn task(&self, p: GetTask) -> Result<Arc<Task>, ToolError> {
        self.fetch(p).await
    }

    pub async fn search_tasks(&self, p: SearchTasks) -> Result<Arc<Vec<Task>>, ToolError> {
        self.fetch(p).await
    }

    pub async fn comments(
        &self,
        task: u64,
        with_files: bool,
    ) -> Result<Arc<Vec<Comment>>, ToolError> {
        let p = if with_files {
            GetComments::new(task).with_files()
        } else {
            GetComments::new(task)
        };
        self.fetch(p).await
    }

    pub async fn files_of(&self, of: GetFiles) -> Result<Arc<Vec<FileRef>>, ToolError> {
        self.fetch(of).await
    }

    /// Cost lines. One project's lines over a short window of days are
    /// read from the account's lines of the same days and kept here by
    /// project: that one answer then also serves every person's timesheet
    /// and the account's workload over the window. When the account has
    /// more lines than Worksection sends in one answer, the project's own
    /// are asked for instead.
    pub async fn costs(&self, q: CostQuery) -> Result<Arc<Costs>, ToolError> {
        if let Some((project, account_wide)) = q.project_window()
            && self.is_listed(project).await
        {
            match self.fetch_costs(account_wide).await {
                Ok(all) => return Ok(Arc::new(costs_of_project(&all, project))),
                Err(e) if too_many_records(&e) => {}
                Err(e) => return Err(e),
            }
        }
        self.fetch_costs(q.request()).await
    }

    async fn fetch_costs(&self, p: GetCosts) -> Result<Arc<Costs>, ToolError> {
        self.fetch(p).await
    }

    /// Cost totals: the total a fresh answer of the same cost lines already
    /// carries (Worksection's `get_costs` sends it beside the lines), or
    /// the sum of a project's lines kept from the account's (as
    /// [`Account::costs`] does), else the cheap `get_costs_total`.
    pub async fn costs_total(&self, q: CostQuery) -> Result<Arc<CostTotals>, ToolError> {
        if let Some(costs) = self.peek(&q.request()).await {
            return Ok(Arc::new(costs.total.clone()));
        }
        if let Some((project, account_wide)) = q.project_window()
            && self.is_listed(project).await
            && let Some(all) = self.peek(&account_wide).await
        {
            return Ok(Arc::new(costs_of_project(&all, project).total));
        }
        let total = self.fetch(GetCostsTotal::new(q.request())).await?;
        Ok(Arc::new(total.total.clone()))
    }

    /// Cost totals with each project's (and, with `tasks`, each task's)
    /// total and months: Worksection's `get_costs_total` with
    /// `extra=projects` or `extra=projects,tasks`.
    pub async fn costs_by_project(
        &self,
        q: CostQuery,
        tasks: bool,
    ) -> Result<Arc<CostsTotal>, ToolError> {
        let extras: &[CostsTotalExtra] = if tasks {
            &[CostsTotalExtra::Projects, CostsTotalExtra::Tasks]
        } else {
            &[CostsTotalExtra::Projects]
        };
        self.fetch(GetCostsTotal::new(q.request()).extra(extras.iter().copied()))
            .await
    }

    pub async fn timers(&self) -> Result<Arc<Vec<Timer>>, ToolError> {
        self.fetch(GetTimers {}).await
    }

    pub async fn my_timer(&self) -> Result<Arc<Option<MyTimer>>, ToolError> {
        self.fetch(GetMyTimer {}).await
    }

    pub async fn task_tags(&self, q: TagQuery) -> Result<Arc<Vec<Tag>>, ToolError> {
        let tags = self.fetch(GetTaskTags(q)).await?;
        self.with_tag_groups(tags, false).await
    }

    pub async fn task_tag_groups(&self, q: TagQuery) -> Result<Arc<Vec<TagGroup>>, ToolError> {
        self.fetch(GetTaskTagGroups::new(q)).await
    }

    pub async fn project_tags(&self, q: TagQuery) -> Result<Arc<Vec<Tag>>, ToolError> {
        let tags = self.fetch(GetProjectTags(q)).await?;
        self.with_tag_groups(tags, true).await
    }

    /// Tags whose group came as its name alone (as the official SDKs model
    /// it) get the group's id, type and access, matched by a name no other
    /// group has: from the other tags of the same answer whose group came
    /// whole, else from the tag groups, asked for only then. A name two
    /// groups share stays as it came.
    async fn with_tag_groups(
        &self,
        tags: Arc<Vec<Tag>>,
        of_projects: bool,
    ) -> Result<Arc<Vec<Tag>>, ToolError> {
        let named_only = |t: &Tag| t.group.as_ref().is_some_and(|g| g.id.is_empty());
        if !tags.iter().any(named_only) {
            return Ok(tags);
        }
        let mut groups: Vec<TagGroup> = tags
            .iter()
            .filter_map(|t| t.group.as_ref().filter(|g| !g.id.is_empty()))
            .map(|g| TagGroup {
                id: g.id.clone(),
                title: g.title.clone(),
                kind: g.kind.clone(),
                access: g.access.clone(),
                ..TagGroup::default()
            })
            .collect();
        groups.sort_by(|a, b| a.id.cmp(&b.id));
        groups.dedup_by(|a, b| a.id == b.id);
        let known = |t: &Tag| {
            t.group
                .as_ref()
                .is_none_or(|g| !g.id.is_empty() || groups.iter().any(|x| x.title == g.title))
        };
        if !tags.iter().all(known) {
            groups = if of_projects {
                self.project_tag_groups(TagQuery::new()).await?
            } else {
                self.task_tag_groups(TagQuery::new()).await?
            }
            .to_vec();
        }
        Ok(Arc::new(
            tags.iter().map(|t| named_group(t, &groups)).collect(),
        ))
    }

    pub async fn project_tag_groups(&self, q: TagQuery) -> Result<Arc<Vec<TagGroup>>, ToolError> {
        self.fetch(GetProjectTagGroups::new(q)).await
    }

    /// The activity of a period, of the account or of one project. A
    /// project's is read from the account's of the same period and kept
    /// here by the project each event's object is in (its page,
    /// `/project/<id>/...`, as Worksection's own project filter places it),
    /// so one answer serves the project's log, every person's activity and
    /// the account's log. When the account has more events than one answer
    /// holds, the project's own are asked for instead.
    pub async fn events(
        &self,
        period: Period,
        project: Option<u64>,
    ) -> Result<Arc<Vec<Event>>, ToolError> {
        let Some(project) = project else {
            return self.fetch_events(GetEvents::new(period)).await;
        };
        if !self.is_listed(project).await {
            // Only the project's own request says "not found" for an id
            // that is no project; the account's events would just hold none.
            return self
                .fetch_events(GetEvents::new(period).project(project))
                .await;
        }
        match self.fetch_events(GetEvents::new(period)).await {
            Ok(all) => {
                let places = self.task_places(&all).await?;
                Ok(Arc::new(
                    all.iter()
                        .filter(|e| event_project(e, &places) == Some(project))
                        .cloned()
                        .collect(),
                ))
            }
            Err(e) if too_many_records(&e) => {
                self.fetch_events(GetEvents::new(period).project(project))
                    .await
            }
            Err(e) => Err(e),
        }
    }

    /// The project of every task, when some event's page is of the
    /// `/task/{t}/` form, which names no project: from the account's task
    /// list with subtasks and archived projects' tasks (asked for only
    /// then). Empty when every page says its project.
    async fn task_places(&self, events: &[Event]) -> Result<HashMap<u64, u64>, ToolError> {
        let task_pages = events
            .iter()
            .any(|e| matches!(e.object.place(), Some(Place::Task { .. })));
        if !task_pages {
            return Ok(HashMap::new());
        }
        let tasks = self
            .all_tasks(GetAllTasks::new().extra([TaskExtra::Subtasks, TaskExtra::Archive]))
            .await?;
        Ok(tasks
            .iter()
            .flat_map(|t| t.flatten())
            .filter_map(|t| Some((t.id.as_u64()?, t.project.as_ref()?.id.as_u64()?)))
            .collect())
    }

    async fn fetch_events(&self, p: GetEvents) -> Result<Arc<Vec<Event>>, ToolError> {
        self.fetch(p).await
    }

    pub async fn webhooks(&self) -> Result<Arc<Vec<Webhook>>, ToolError> {
        self.fetch(GetWebhooks {}).await
    }

    /// A file's bytes and facts, through the file cache.
    pub async fn file(
        &self,
        id: u64,
        name_hint: Option<&str>,
    ) -> Result<(CachedFile, Bytes), ToolError> {
        let c = self.client.clone();
        self.files
            .get_or_fetch(id, name_hint, |limit| async move {
                let download = c.download(id, limit).await?;
                let name = download.file_name.clone();
                Ok((download.bytes().await?, name))
            })
            .await
    }
}

/// The cache key of a request: the action's name and its parameters as
/// sent (`name k=v&k=v`, values as they are), so two requests that send
/// the same share one key.
fn key<A: Action>(action: &A) -> Result<String, ToolError> {
    Ok(worksection::request_key(action)?)
}

tokio::task_local! {
    static USED: std::cell::RefCell<Vec<String>>;
}

/// Runs `fut` and returns its output with the requests (by
/// [`worksection::request_key`]) whose answers it used, fetched or cached:
/// a check reads their decode problems from the client
/// ([`worksection::Client::decode_problems`]), which keeps them per request,
/// so a tool answered from the cache still shows what its answer lacked.
pub(crate) async fn with_requests_used<F: std::future::Future>(fut: F) -> (F::Output, Vec<String>) {
    USED.scope(std::cell::RefCell::new(Vec::new()), async move {
        let out = fut.await;
        let used = USED.try_with(|u| u.take()).unwrap_or_default();
        (out, used)
    })
    .await
}

fn note_used(key: &str) {
    let _ = USED.try_with(|u| {
        let mut u = u.borrow_mut();
        if !u.iter().any(|k| k == key) {
            u.push(key.to_owned());
        }
    });
}

/// Every status filter a project list may have been fetched with.
const PROJECT_STATES: [Option<ProjectState>; 4] = [
    None,
    Some(ProjectState::Active),
    Some(ProjectState::Pending),
    Some(ProjectState::Archive),
];

/// The order extras are asked in, so that one set of extras is one key
/// (the tools' argument tables list them in the same order).
const PROJECT_EXTRAS: [ProjectExtra; 4] = [
    ProjectExtra::Text,
    ProjectExtra::Html,
    ProjectExtra::Options,
    ProjectExtra::Users,
];

const TASK_EXTRAS: [TaskExtra; 8] = [
    TaskExtra::Text,
    TaskExtra::Html,
    TaskExtra::Files,
    TaskExtra::Comments,
    TaskExtra::Relations,
    TaskExtra::Subtasks,
    TaskExtra::Subscribers,
    TaskExtra::Archive,
];

fn in_order<E: Copy>(order: &[E], wanted: impl Fn(E) -> bool) -> Vec<E> {
    order.iter().copied().filter(|e| wanted(*e)).collect()
}

/// `get_projects` as [`Account::projects`] sends it: with the teams.
fn projects_request(state: Option<ProjectState>, extras: &[ProjectExtra]) -> GetProjects {
    let extra = in_order(&PROJECT_EXTRAS, |e| {
        e == ProjectExtra::Users || extras.contains(&e)
    });
    let p = GetProjects::new().extra(extra);
    match state {
        Some(state) => p.state(state),
        None => p,
    }
}

/// A project as a request without `extra=users` answers it.
fn without_team(mut p: Project) -> Project {
    p.users = None;
    p
}

fn tasks_request(
    project: u64,
    extras: &[TaskExtra],
    also: Option<TaskExtra>,
    active_only: bool,
) -> GetTasks {
    let extra = in_order(&TASK_EXTRAS, |e| extras.contains(&e) || also == Some(e));
    let p = GetTasks::new(project).extra(extra);
    if active_only { p.active_only() } else { p }
}

/// A project's task list without subtasks, from the list with them.
fn top_level(nested: &[Task], active_only: bool) -> Vec<Task> {
    nested
        .iter()
        .filter(|t| !active_only || t.status == "active")
        .map(|t| {
            let mut t = t.clone();
            t.child = None;
            t
        })
        .collect()
}

/// Which cost lines: the filters `get_costs` and `get_costs_total` share.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CostQuery {
    pub project: Option<u64>,
    pub task: Option<u64>,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    /// Only timer entries (true) or only manual ones (false).
    pub timer: Option<bool>,
    /// Worksection's `filter` (`comment has 'x'`, `dateadd > '...'`).
    pub filter: Option<String>,
}

/// The longest window of days whose account-wide cost lines are read to
/// answer one project's: a month of an account's lines is one modest
/// answer, while all of an account's time is not.
const SHARED_COST_WINDOW_DAYS: i64 = 31;

impl CostQuery {
    fn request(&self) -> GetCosts {
        let mut p = GetCosts::new();
        if let Some(project) = self.project {
            p = p.project(project);
        }
        if let Some(task) = self.task {
            p = p.task(task);
        }
        if let Some(from) = self.from {
            p = p.from(from);
        }
        if let Some(to) = self.to {
            p = p.to(to);
        }
        if let Some(timer) = self.timer {
            p = p.timer(timer);
        }
        if let Some(filter) = &self.filter {
            p = p.filter(filter);
        }
        p
    }

    /// The project and the account-wide request of the same days, when
    /// this asks for all of one project's lines within a short window.
    fn project_window(&self) -> Option<(u64, GetCosts)> {
        let (Some(project), None, Some(from), Some(to), None, None) = (
            self.project,
            self.task,
            self.from,
            self.to,
            self.timer,
            &self.filter,
        ) else {
            return None;
        };
        let days = (to - from).num_days() + 1;
        (days <= SHARED_COST_WINDOW_DAYS).then(|| (project, GetCosts::new().from(from).to(to)))
    }
}

/// One project's lines of the account's, and their total, as a request
/// with `id_project` answers them: the lines of tasks in that project, in
/// the same order, and Worksection's total is the sum of its lines.
fn costs_of_project(all: &Costs, project: u64) -> Costs {
    let lines: Vec<Cost> = all
        .lines
        .iter()
        .filter(|c| {
            let in_project = c.task.as_ref().and_then(|t| t.project.as_ref());
            in_project.and_then(|p| p.id.as_u64()) == Some(project)
        })
        .cloned()
        .collect();
    let total = CostTotals {
        time: Some(
            lines
                .iter()
                .fold(Minutes(0), |sum, c| sum + c.time.unwrap_or_default()),
        ),
        money: Some(
            lines
                .iter()
                .fold(Money::default(), |sum, c| sum + c.money.unwrap_or_default()),
        ),
        ..CostTotals::default()
    };
    Costs { lines, total }
}

/// The project an event's object is in, from its page (`/project/<id>/...`),
/// or for a `/task/<id>/` page from `places` (task to project); `None` for an
/// object Worksection no longer places (a deleted task's events have no
/// page), which its project filter leaves out too.
fn event_project(e: &Event, places: &HashMap<u64, u64>) -> Option<u64> {
    match e.object.place()? {
        Place::Project { project, .. } => Some(project),
        Place::Task { task } => places.get(&task).copied(),
    }
}

/// `t` with its group filled in from `groups` when the group came as its
/// name alone and exactly one group has that name.
fn named_group(t: &Tag, groups: &[TagGroup]) -> Tag {
    let mut t = t.clone();
    if let Some(g) = t.group.as_mut().filter(|g| g.id.is_empty()) {
        let mut same = groups.iter().filter(|x| x.title == g.title);
        if let (Some(found), None) = (same.next(), same.next()) {
            g.id = found.id.clone();
            g.kind = found.kind.clone();
            g.access = found.access.clone();
        }
    }
    t
}

/// Worksection's "Too many records" (status 9): more match than one answer
/// holds, so a narrower request is needed.
fn too_many_records(e: &ToolError) -> bool {
    matches!(e, ToolError::Upstream(e) if e.status_code() == Some(9))
}

#[cfg(test)]
mod tests {
    //! Every derived answer held side by side with the request it replaces,
    //! against the simulator's demo account; and the derivation really
    //! answers from the cache (no miss, so no upstream request).

    use std::time::Duration;

    use worksection::api::costs::GetCosts;
    use worksection::api::events::{GetEvents, Period};
    use worksection_sim::{SimConfig, Simulator};

    use super::*;

    async fn account() -> (Simulator, tempfile::TempDir, Account) {
        let sim = Simulator::start(SimConfig {
            rps: 0.0,
            ..SimConfig::default()
        })
        .await
        .expect("simulator");
        let info = sim.info().clone();
        let client = Client::builder()
            .account_url(info.account_url.clone())
            .api_key(info.api_key.clone())
            .requests_per_second(100.0)
            .build()
            .expect("client");
        let dir = tempfile::tempdir().expect("temp dir");
        let files = FileCache::new(
            dir.path().to_path_buf(),
            Duration::from_secs(60),
            1 << 20,
            8 << 20,
        );
        let account = Account::new(
            client,
            ResponseCache::new(Duration::from_secs(600)),
            files,
            "test".into(),
        );
        (sim, dir, account)
    }

    fn misses(ws: &Account) -> u64 {
        ws.cache().stats().misses
    }

    #[tokio::test]
    async fn projects_from_the_list_are_what_get_project_answers() {
        let (_sim, _dir, ws) = account().await;
        let direct = ws.client().clone();
        for extras in [
            vec![],
            vec![ProjectExtra::Users],
            vec![ProjectExtra::Text, ProjectExtra::Options],
        ] {
            let listed = ws.projects(None, &extras).await.expect("projects");
            let plain = direct
                .get_projects(GetProjects::new().extra(extras.clone()))
                .await
                .expect("get_projects");
            assert_eq!(*listed, plain, "{extras:?}");
            assert!(!listed.is_empty());
            let before = misses(&ws);
            for p in listed.iter() {
                let id = p.id.as_u64().expect("id");
                let derived = ws.project(id, &extras).await.expect("project");
                let want = direct
                    .get_project(GetProject::new(id).extra(extras.clone()))
                    .await
                    .expect("get_project");
                assert_eq!(*derived, want, "project {id} {extras:?}");
            }
            assert_eq!(misses(&ws), before, "answered from the list");
        }
        // The team from a list fetched without asking for teams.
        let (_sim, _dir, ws) = account().await;
        let active = ws
            .projects(Some(ProjectState::Active), &[])
            .await
            .expect("projects");
        let before = misses(&ws);
        for p in active.iter() {
            let id = p.id.as_u64().expect("id");
            let team = ws.project(id, &[ProjectExtra::Users]).await.expect("team");
            let want = direct
                .get_project(GetProject::new(id).extra([ProjectExtra::Users]))
                .await
                .expect("get_project");
            assert_eq!(*team, want, "project {id}");
            assert!(team.users.is_some());
        }
        assert_eq!(misses(&ws), before, "answered from the list");
    }

    #[tokio::test]
    async fn a_task_list_without_subtasks_is_cut_from_the_one_with_them() {
        let (_sim, _dir, ws) = account().await;
        let direct = ws.client().clone();
        let projects = ws.projects(None, &[]).await.expect("projects");
        let mut compared = 0;
        for p in projects.iter() {
            let id = p.id.as_u64().expect("id");
            for extras in [vec![], vec![TaskExtra::Text, TaskExtra::Files]] {
                let mut with_subtasks = extras.clone();
                with_subtasks.push(TaskExtra::Subtasks);
                ws.tasks(id, &with_subtasks, false).await.expect("tasks");
                let before = misses(&ws);
                for active_only in [false, true] {
                    let derived = ws.tasks(id, &extras, active_only).await.expect("tasks");
                    let mut request = GetTasks::new(id).extra(extras.clone());
                    if active_only {
                        request = request.active_only();
                    }
                    let want = direct.get_tasks(request).await.expect("get_tasks");
                    assert_eq!(*derived, want, "project {id} {extras:?} {active_only}");
                    compared += want.len();
                }
                assert_eq!(misses(&ws), before, "answered from the nested list");
            }
        }
        assert!(compared > 0);
    }

    #[tokio::test]
    async fn a_projects_costs_and_totals_come_from_the_accounts() {
        let (_sim, _dir, ws) = account().await;
        let direct = ws.client().clone();
        let to = ws.today();
        let projects = ws.projects(None, &[]).await.expect("projects");
        let mut compared = 0;
        for days in [7, 31] {
            let from = to - chrono::Duration::days(days - 1);
            for p in projects.iter() {
                let id = p.id.as_u64().expect("id");
                let q = CostQuery {
                    project: Some(id),
                    from: Some(from),
                    to: Some(to),
                    ..CostQuery::default()
                };
                let derived = ws.costs(q.clone()).await.expect("costs");
                let request = GetCosts::new().project(id).from(from).to(to);
                let want = direct.get_costs(request.clone()).await.expect("get_costs");
                assert_eq!(derived.lines, want.lines, "project {id}, {days} days");
                assert_eq!(
                    (derived.total.time, derived.total.money),
                    (want.total.time, want.total.money),
                    "project {id}, {days} days"
                );
                let before = misses(&ws);
                let total = ws.costs_total(q).await.expect("costs_total");
                assert_eq!(misses(&ws), before, "answered from the lines");
                let want = direct
                    .get_costs_total(request)
                    .await
                    .expect("get_costs_total");
                assert_eq!(
                    (total.time, total.money),
                    (want.time, want.money),
                    "project {id}, {days} days"
                );
                compared += derived.lines.len();
            }
        }
        assert!(compared > 0);
        // A longer window is the project's own request.
        let long = CostQuery {
            project: projects.first().and_then(|p| p.id.as_u64()),
            from: Some(to - chrono::Duration::days(90)),
            to: Some(to),
            ..CostQuery::default()
        };
        assert!(long.project_window().is_none());
    }

    #[tokio::test]
    async fn a_projects_activity_comes_from_the_accounts() {
        let (_sim, _dir, ws) = account().await;
        let direct = ws.client().clone();
        let projects = ws.projects(None, &[]).await.expect("projects");
        let period = Period::days(30).expect("period");
        ws.events(period, None).await.expect("events");
        let before = misses(&ws);
        let mut compared = 0;
        for p in projects.iter() {
            let id = p.id.as_u64().expect("id");
            let derived = ws.events(period, Some(id)).await.expect("events");
            let want = direct
                .get_events(GetEvents::new(period).project(id))
                .await
                .expect("get_events");
            assert_eq!(*derived, want, "project {id}");
            compared += want.len();
        }
        assert_eq!(misses(&ws), before, "answered from the account's events");
        assert!(compared > 0);
    }
}

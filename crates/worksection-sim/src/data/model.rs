//! The simulator's account, as plain data.
//!
//! These types hold what a Worksection account *is*; they know nothing about
//! HTTP or JSON. The API layer (`crate::api::render`) turns them into the exact
//! response shapes of Worksection's client API, and the dataset generators
//! (`crate::data::demo`) fill them in deterministically from a seed.
//!
//! Ids are plain integers here. Worksection renders most of them as strings
//! and a few (tag ids, preset contact folders) as numbers; that is a concern of
//! rendering, not of the data.

use std::sync::Arc;

use chrono::{NaiveDate, NaiveDateTime};

/// Everything the simulator serves for one account.
#[derive(Debug, Clone)]
pub struct Dataset {
    /// Display name of the company, shown on the consent page.
    pub company: String,
    /// The day the dataset was generated for; "overdue" is relative to it.
    pub today: NaiveDate,
    /// The moment the dataset was generated for; events and timers are
    /// dated relative to it.
    pub now: NaiveDateTime,
    /// Id of the member who signs in through OAuth2 (`me`, `get_my_timer`).
    pub me: u64,
    pub users: Vec<User>,
    pub user_groups: Vec<UserGroup>,
    pub contacts: Vec<Contact>,
    pub contact_groups: Vec<ContactGroup>,
    pub project_groups: Vec<ProjectGroup>,
    pub projects: Vec<Project>,
    /// All tasks and subtasks, parents before their children.
    pub tasks: Vec<Task>,
    pub relations: Vec<Relation>,
    /// Comments, oldest first.
    pub comments: Vec<Comment>,
    pub files: Vec<FileEntry>,
    pub task_tag_groups: Vec<TagGroup>,
    pub task_tags: Vec<Tag>,
    pub project_tag_groups: Vec<TagGroup>,
    pub project_tags: Vec<Tag>,
    pub costs: Vec<Cost>,
    pub timers: Vec<Timer>,
    pub webhooks: Vec<Webhook>,
    /// Events, oldest first.
    pub events: Vec<Event>,
}

/// An account member.
#[derive(Debug, Clone)]
pub struct User {
    pub id: u64,
    pub first_name: String,
    pub last_name: String,
    pub title: String,
    /// Hourly rate in whole currency units.
    pub rate: u32,
    /// Team name (a `UserGroup::title`).
    pub group: String,
    pub department: String,
    /// `Owner`, `Account admin`, `User`, ...
    pub role: String,
    pub email: String,
    /// Up to four phone numbers (`phone`, `phone2`, ...).
    pub phones: Vec<String>,
    /// Up to two addresses (`address`, `address2`).
    pub addresses: Vec<String>,
    /// Deactivated members still own history but are not active.
    pub active: bool,
}

impl User {
    pub fn name(&self) -> String {
        format!("{} {}", self.first_name, self.last_name)
    }
}

/// A team of members (`get_user_groups`), also listed as a project folder of
/// type `company`.
#[derive(Debug, Clone)]
pub struct UserGroup {
    pub id: u64,
    pub title: String,
    /// Whether this is an external client team.
    pub client: bool,
}

#[derive(Debug, Clone)]
pub struct Contact {
    pub id: u64,
    pub first_name: String,
    pub last_name: String,
    pub title: String,
    /// Folder title (a `ContactGroup::title`).
    pub group: String,
    pub email: Option<String>,
    /// Up to four phone numbers (`phone`, `phone2`, ...).
    pub phones: Vec<String>,
    /// Up to two addresses (`address`, `address2`).
    pub addresses: Vec<String>,
}

/// A contact folder. Worksection's presets (`USERS`, `DEFAULT`, `TEAM_ONLY`,
/// `HIDDEN`) have small numeric ids rendered as JSON numbers; user folders
/// have ordinary ids rendered as strings.
#[derive(Debug, Clone)]
pub struct ContactGroup {
    pub id: u64,
    pub title: String,
    pub preset: bool,
}

/// A project folder (`type: folder`) or a team shown as one (`type: company`).
#[derive(Debug, Clone)]
pub struct ProjectGroup {
    pub id: u64,
    pub title: String,
    pub kind: ProjectGroupKind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProjectGroupKind {
    Folder,
    Company { client: bool },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProjectStatus {
    Active,
    /// "Sleeping" projects: muted, no notifications.
    Pending,
    Archive,
}

impl ProjectStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Pending => "pending",
            Self::Archive => "archive",
        }
    }
}

#[derive(Debug, Clone)]
pub struct Project {
    pub id: u64,
    pub name: String,
    pub status: ProjectStatus,
    /// The folder the project lives in (a `ProjectGroup::id`); its title is
    /// rendered as `company`.
    pub group: u64,
    pub user_from: u64,
    /// The project manager; `None` renders as the `NOONE` pseudo-user.
    pub manager: Option<u64>,
    pub text: String,
    pub date_added: NaiveDateTime,
    pub date_start: Option<NaiveDate>,
    pub date_end: Option<NaiveDate>,
    pub options: ProjectOptions,
    /// Planned hours.
    pub max_time: Option<u32>,
    /// Planned budget in whole currency units.
    pub max_money: Option<u32>,
    /// Project tag ids (from `Dataset::project_tags`).
    pub tags: Vec<u64>,
    /// Team member ids.
    pub members: Vec<u64>,
}

/// Project restriction options, rendered as 0/1 flags under `options`.
#[derive(Debug, Clone, Copy, Default)]
pub struct ProjectOptions {
    pub allow_close: bool,
    pub allow_give: bool,
    pub allow_term: bool,
    pub allow_limit: bool,
    pub require_term: bool,
    pub require_tag: bool,
    pub require_limit: bool,
    pub require_hidden: bool,
    pub deny_comments_edit: bool,
    pub deny_task_edit: bool,
    pub deny_task_delete: bool,
    pub time_require: bool,
    pub time_today: bool,
    pub timer_only: bool,
}

/// Who a task is assigned to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Assignee {
    User(u64),
    /// Pseudo-user id "1", email `NOONE`: "Executive isn't assigned".
    Noone,
    /// Pseudo-user id "2", email `ANY`: "Anyone".
    Any,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TaskStatus {
    Active,
    Done,
}

impl TaskStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Done => "done",
        }
    }
}

#[derive(Debug, Clone)]
pub struct Task {
    pub id: u64,
    pub project: u64,
    /// Parent task for subtasks (any depth).
    pub parent: Option<u64>,
    pub name: String,
    pub status: TaskStatus,
    /// 0..=10.
    pub priority: u8,
    pub user_from: u64,
    pub user_to: Assignee,
    pub text: String,
    pub date_added: NaiveDateTime,
    pub date_start: Option<NaiveDate>,
    pub date_end: Option<NaiveDate>,
    /// `HH:MM`, only when the task has a time of day.
    pub time_start: Option<String>,
    pub time_end: Option<String>,
    /// Set when `status` is `Done`.
    pub date_closed: Option<NaiveDateTime>,
    /// Planned hours.
    pub max_time: Option<u32>,
    /// Planned budget in whole currency units.
    pub max_money: Option<u32>,
    /// Task tag ids (from `Dataset::task_tags`).
    pub tags: Vec<u64>,
    pub subscribers: Vec<u64>,
}

/// A dependency between two tasks: `from` must happen before `to`.
#[derive(Debug, Clone)]
pub struct Relation {
    pub from: u64,
    pub to: u64,
    /// `finish-to-start`, `start-to-start`, ...
    pub kind: String,
}

#[derive(Debug, Clone)]
pub struct Comment {
    pub id: u64,
    pub task: u64,
    pub user_from: u64,
    pub text: String,
    pub date_added: NaiveDateTime,
}

/// Where a file is attached.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Attachment {
    /// Directly in the project's Files section or its description.
    Project(u64),
    /// In a task's description.
    Task(u64),
    /// In a comment.
    Comment(u64),
}

#[derive(Debug, Clone)]
pub struct FileEntry {
    pub id: u64,
    /// The upstream file name, as a user uploaded it.
    pub name: String,
    pub attached_to: Attachment,
    pub user_from: u64,
    pub date_added: NaiveDateTime,
    /// The file's bytes; shared, since the large dataset reuses a few blobs.
    pub bytes: Arc<[u8]>,
}

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

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TagAccess {
    Public,
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

#[derive(Debug, Clone)]
pub struct TagGroup {
    pub id: u64,
    pub title: String,
    pub kind: TagKind,
    pub access: TagAccess,
    /// Worksection's internal group key, rendered as the string `id_group`
    /// inside a tag's `group` block (`"1"`, `"-4"`, ...).
    pub id_group: String,
}

#[derive(Debug, Clone)]
pub struct Tag {
    pub id: u64,
    pub title: String,
    /// A `TagGroup::id` of the same scope (task or project).
    pub group: u64,
}

/// A time and/or money cost line.
#[derive(Debug, Clone)]
pub struct Cost {
    pub id: u64,
    pub task: u64,
    pub user_from: u64,
    pub comment: String,
    /// Logged time in minutes (rendered as `H:MM`).
    pub minutes: u32,
    /// Money in cents (rendered as a decimal string with two places).
    pub money_cents: u64,
    pub date: NaiveDate,
    pub is_timer: bool,
}

/// A running timer.
#[derive(Debug, Clone)]
pub struct Timer {
    pub id: u64,
    pub task: u64,
    pub user_from: u64,
    pub started: NaiveDateTime,
}

#[derive(Debug, Clone)]
pub struct Webhook {
    pub id: u64,
    pub url: String,
    /// Comma-separated event names, as Worksection returns them.
    pub events: String,
    /// `active` or `paused`.
    pub status: String,
    /// Comma-separated project ids, when the webhook is limited to some.
    pub projects: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventObject {
    Project(u64),
    /// A task or subtask.
    Task(u64),
    Comment(u64),
}

/// One entry of the activity log (`get_events`).
#[derive(Debug, Clone)]
pub struct Event {
    /// `post`, `update`, `close`, `reopen`, `delete`, ...
    pub action: String,
    pub object: EventObject,
    pub date_added: NaiveDateTime,
    pub user_from: u64,
    /// The `new` block, already in Worksection's shape (field name to value).
    pub new: Option<serde_json::Value>,
    /// The `old` block, for updates.
    pub old: Option<serde_json::Value>,
}

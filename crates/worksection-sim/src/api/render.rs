//! Turns the account's data into Worksection's exact JSON shapes.
//!
//! Worksection's shapes are loose, and clients must cope with that, so the
//! simulator reproduces them faithfully: ids are strings except tag ids and
//! preset contact folders (numbers), priorities are strings, money is a
//! decimal string, times are `H:MM`, dates are `YYYY-MM-DD` or
//! `YYYY-MM-DD HH:MM`, flags are 0/1, unassigned people are pseudo-users, and
//! optional blocks appear only when `extra=` asks for them.

use chrono::{NaiveDate, NaiveDateTime};
use serde_json::{Map, Value, json};

use crate::data::{
    Account, Assignee, Attachment, Comment, Contact, ContactGroup, Cost, Event, EventObject,
    FileEntry, Project, ProjectGroup, ProjectGroupKind, Tag, TagGroup, Task, TaskStatus, Timer,
    User, UserGroup, Webhook,
};

/// The `extra=` values a request asked for.
#[derive(Debug, Clone, Default)]
pub struct Extras(Vec<String>);

impl Extras {
    pub fn parse(value: Option<&str>) -> Self {
        Self(
            value
                .unwrap_or_default()
                .split(',')
                .map(|s| s.trim().to_ascii_lowercase())
                .filter(|s| !s.is_empty())
                .collect(),
        )
    }

    pub fn has(&self, name: &str) -> bool {
        self.0.iter().any(|e| e == name)
    }

    /// `text` and `html` both ask for the description.
    fn text(&self) -> Option<TextFormat> {
        if self.has("html") {
            Some(TextFormat::Html)
        } else if self.has("text") {
            Some(TextFormat::Plain)
        } else {
            None
        }
    }
}

#[derive(Debug, Clone, Copy)]
enum TextFormat {
    Plain,
    Html,
}

fn description(text: &str, format: TextFormat) -> String {
    match format {
        TextFormat::Plain => text.to_owned(),
        TextFormat::Html => text
            .split("\n\n")
            .map(|p| format!("<p>{}</p>", crate::html::escape(p).replace('\n', "<br>")))
            .collect(),
    }
}

pub fn date(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

pub fn datetime(d: NaiveDateTime) -> String {
    d.format("%Y-%m-%d %H:%M").to_string()
}

/// Minutes as Worksection's `H:MM`.
pub fn hours_minutes(minutes: u64) -> String {
    format!("{}:{:02}", minutes / 60, minutes % 60)
}

/// Cents as a decimal string with two places.
pub fn money(cents: u64) -> String {
    format!("{}.{:02}", cents / 100, cents % 100)
}

fn flag(b: bool) -> u8 {
    u8::from(b)
}

/// Renders data against one account and the simulator's public URL.
pub struct Renderer<'a> {
    pub account: &'a Account,
    pub account_url: &'a str,
}

impl Renderer<'_> {
    pub fn user_ref(&self, id: u64) -> Value {
        match self.account.user(id) {
            Some(u) => json!({ "id": u.id.to_string(), "email": u.email, "name": u.name() }),
            None => json!({ "id": id.to_string(), "email": "", "name": "Deleted user" }),
        }
    }

    pub fn assignee(&self, a: Assignee) -> Value {
        match a {
            Assignee::User(id) => self.user_ref(id),
            Assignee::Noone => {
                json!({ "id": "1", "email": "NOONE", "name": "Executive isn't assigned" })
            }
            Assignee::Any => json!({ "id": "2", "email": "ANY", "name": "Anyone" }),
        }
    }

    fn manager(&self, m: Option<u64>) -> Value {
        match m {
            Some(id) => self.user_ref(id),
            None => json!({ "id": "0", "email": "NOONE", "name": "Manager isn't assigned" }),
        }
    }

    pub fn user(&self, u: &User) -> Value {
        let mut v = json!({
            "id": u.id.to_string(),
            "first_name": u.first_name,
            "last_name": u.last_name,
            "name": u.name(),
            "title": u.title,
            "rate": u.rate,
            "avatar": format!("{}/images/user/{}.gif", self.account_url, u.id),
            "group": u.group,
            "department": u.department,
            "role": u.role,
            "email": u.email,
        });
        contact_details(&mut v, &u.phones, &u.addresses);
        v
    }

    pub fn user_group(&self, g: &UserGroup) -> Value {
        json!({ "id": g.id.to_string(), "title": g.title, "type": "company", "client": flag(g.client) })
    }

    pub fn contact(&self, c: &Contact) -> Value {
        let mut v = json!({
            "id": c.id.to_string(),
            "first_name": c.first_name,
            "last_name": c.last_name,
            "name": format!("{} {}", c.first_name, c.last_name),
            "title": c.title,
            "group": c.group,
        });
        insert_opt(&mut v, "email", c.email.as_deref());
        contact_details(&mut v, &c.phones, &c.addresses);
        v
    }

    pub fn contact_group(&self, g: &ContactGroup) -> Value {
        if g.preset {
            json!({ "id": g.id, "title": g.title, "type": "preset" })
        } else {
            json!({ "id": g.id.to_string(), "title": g.title, "type": "folder" })
        }
    }

    pub fn project_group(&self, g: &ProjectGroup) -> Value {
        match g.kind {
            ProjectGroupKind::Folder => {
                json!({ "id": g.id.to_string(), "title": g.title, "type": "folder" })
            }
            ProjectGroupKind::Company { client } => json!({
                "id": g.id.to_string(), "title": g.title, "type": "company", "client": flag(client)
            }),
        }
    }

    fn project_ref(&self, id: u64) -> Value {
        let name = self.account.project(id).map(|p| p.name.as_str());
        json!({ "id": id.to_string(), "name": name.unwrap_or_default(), "page": format!("/project/{id}/") })
    }

    pub fn project(&self, p: &Project, extras: &Extras) -> Value {
        let company = self
            .account
            .data
            .project_groups
            .iter()
            .find(|g| g.id == p.group)
            .map(|g| g.title.as_str())
            .unwrap_or_default();
        let mut v = Map::new();
        v.insert("id".into(), p.id.to_string().into());
        v.insert("name".into(), p.name.clone().into());
        v.insert("page".into(), format!("/project/{}/", p.id).into());
        v.insert("status".into(), p.status.as_str().into());
        v.insert("company".into(), company.into());
        v.insert("user_from".into(), self.user_ref(p.user_from));
        v.insert("user_to".into(), self.manager(p.manager));
        if let Some(f) = extras.text() {
            v.insert("text".into(), description(&p.text, f).into());
        }
        v.insert("date_added".into(), datetime(p.date_added).into());
        if let Some(d) = p.date_start {
            v.insert("date_start".into(), date(d).into());
        }
        if let Some(d) = p.date_end {
            v.insert("date_end".into(), date(d).into());
        }
        if extras.has("options") {
            let o = &p.options;
            v.insert(
                "options".into(),
                json!({
                    "allow_close": flag(o.allow_close), "allow_give": flag(o.allow_give),
                    "allow_term": flag(o.allow_term), "allow_limit": flag(o.allow_limit),
                    "require_term": flag(o.require_term), "require_tag": flag(o.require_tag),
                    "require_limit": flag(o.require_limit), "require_hidden": flag(o.require_hidden),
                    "deny_comments_edit": flag(o.deny_comments_edit), "deny_task_edit": flag(o.deny_task_edit),
                    "deny_task_delete": flag(o.deny_task_delete), "time_require": flag(o.time_require),
                    "time_today": flag(o.time_today), "timer_only": flag(o.timer_only),
                }),
            );
        }
        if let Some(t) = p.max_time {
            v.insert("max_time".into(), t.into());
        }
        if let Some(m) = p.max_money {
            v.insert("max_money".into(), m.into());
        }
        if !p.tags.is_empty() {
            v.insert(
                "tags".into(),
                self.tag_map(&p.tags, &self.account.data.project_tags),
            );
        }
        if extras.has("users") {
            let users: Vec<Value> = p.members.iter().map(|id| self.user_ref(*id)).collect();
            v.insert("users".into(), users.into());
        }
        Value::Object(v)
    }

    fn tag_map(&self, ids: &[u64], tags: &[Tag]) -> Value {
        let mut m = Map::new();
        for id in ids {
            if let Some(t) = tags.iter().find(|t| t.id == *id) {
                m.insert(id.to_string(), t.title.clone().into());
            }
        }
        Value::Object(m)
    }

    pub fn task_page(&self, t: &Task) -> String {
        match t.parent {
            Some(parent) => format!("/project/{}/{}/{}/", t.project, parent, t.id),
            None => format!("/project/{}/{}/", t.project, t.id),
        }
    }

    /// The short task block used inside relations and `get_task`'s children.
    fn task_brief(&self, t: &Task) -> Map<String, Value> {
        let mut v = Map::new();
        v.insert("id".into(), t.id.to_string().into());
        v.insert("name".into(), t.name.clone().into());
        v.insert("page".into(), self.task_page(t).into());
        v.insert("status".into(), t.status.as_str().into());
        v.insert("priority".into(), t.priority.to_string().into());
        v
    }

    /// The task block of search results, costs and timers: no extras.
    pub fn task_basic(&self, t: &Task) -> Map<String, Value> {
        let mut v = self.task_brief(t);
        v.insert("user_from".into(), self.user_ref(t.user_from));
        v.insert("user_to".into(), self.assignee(t.user_to));
        v.insert("project".into(), self.project_ref(t.project));
        v.insert("date_added".into(), datetime(t.date_added).into());
        if let Some(d) = t.date_closed {
            v.insert("date_closed".into(), datetime(d).into());
        }
        v
    }

    /// A full task, as `get_all_tasks`/`get_tasks`/`get_task` render it.
    ///
    /// `children` controls the `child` block: `get_task` renders children
    /// briefly, the list actions render them in full with the same extras.
    pub fn task(&self, t: &Task, extras: &Extras, children: Children) -> Value {
        let mut v = self.task_brief(t);
        v.insert("user_from".into(), self.user_ref(t.user_from));
        v.insert("user_to".into(), self.assignee(t.user_to));
        v.insert("project".into(), self.project_ref(t.project));
        if let Some(f) = extras.text() {
            v.insert("text".into(), description(&t.text, f).into());
        }
        v.insert("date_added".into(), datetime(t.date_added).into());
        if let Some(d) = t.date_start {
            v.insert("date_start".into(), date(d).into());
        }
        if let Some(d) = t.date_end {
            v.insert("date_end".into(), date(d).into());
        }
        if let Some(s) = &t.time_start {
            v.insert("time_start".into(), s.clone().into());
        }
        if let Some(s) = &t.time_end {
            v.insert("time_end".into(), s.clone().into());
        }
        if let Some(d) = t.date_closed {
            v.insert("date_closed".into(), datetime(d).into());
        }
        if let Some(m) = t.max_time {
            v.insert("max_time".into(), m.into());
        }
        if let Some(m) = t.max_money {
            v.insert("max_money".into(), m.into());
        }
        if !t.tags.is_empty() {
            v.insert(
                "tags".into(),
                self.tag_map(&t.tags, &self.account.data.task_tags),
            );
        }
        if extras.has("subscribers") {
            let subs: Vec<Value> = t.subscribers.iter().map(|id| self.user_ref(*id)).collect();
            v.insert("subscribers".into(), subs.into());
        }
        if extras.has("files") {
            let files: Vec<Value> = self
                .account
                .files_of(Attachment::Task(t.id))
                .map(|f| self.file_brief(f))
                .collect();
            if !files.is_empty() {
                v.insert("files".into(), files.into());
            }
        }
        let comments: Vec<&Comment> = self.account.comments_of(t.id).collect();
        v.insert("has_comments".into(), flag(!comments.is_empty()).into());
        if extras.has("comments") && !comments.is_empty() {
            // The five most recent, newest first.
            let last: Vec<Value> = comments
                .iter()
                .rev()
                .take(5)
                .map(|c| self.comment(c, t, false))
                .collect();
            v.insert("comments".into(), last.into());
        }
        if extras.has("relations") {
            let side = |pick: &dyn Fn(&crate::data::Relation) -> Option<u64>| -> Vec<Value> {
                self.account
                    .relations_of(t.id)
                    .filter_map(|r| Some((r, pick(r)?)))
                    .filter_map(|(r, other)| {
                        let task = self.account.task(other)?;
                        Some(
                            json!({ "type": r.kind, "task": Value::Object(self.task_brief(task)) }),
                        )
                    })
                    .collect()
            };
            let from = side(&|r| (r.to == t.id).then_some(r.from));
            let to = side(&|r| (r.from == t.id).then_some(r.to));
            if !from.is_empty() || !to.is_empty() {
                let mut rel = Map::new();
                if !from.is_empty() {
                    rel.insert("from".into(), from.into());
                }
                if !to.is_empty() {
                    rel.insert("to".into(), to.into());
                }
                v.insert("relations".into(), Value::Object(rel));
            }
        }
        if extras.has("subtasks") {
            let kids: Vec<Value> = self
                .account
                .children(t.id)
                .filter(|c| !children.active_only || c.status == TaskStatus::Active)
                .map(|c| match children.style {
                    ChildStyle::Full => self.task(c, extras, children),
                    ChildStyle::Brief => self.task_brief_tree(c, children),
                })
                .collect();
            if !kids.is_empty() {
                v.insert("child".into(), kids.into());
            }
        }
        Value::Object(v)
    }

    fn task_brief_tree(&self, t: &Task, children: Children) -> Value {
        let mut v = self.task_brief(t);
        let kids: Vec<Value> = self
            .account
            .children(t.id)
            .filter(|c| !children.active_only || c.status == TaskStatus::Active)
            .map(|c| self.task_brief_tree(c, children))
            .collect();
        if !kids.is_empty() {
            v.insert("child".into(), kids.into());
        }
        Value::Object(v)
    }

    /// A task as `search_tasks` renders it: basic fields, `text`/`files` on request.
    pub fn task_search(&self, t: &Task, extras: &Extras) -> Value {
        let mut v = self.task_basic(t);
        if let Some(f) = extras.text() {
            v.insert("text".into(), description(&t.text, f).into());
        }
        if let Some(d) = t.date_start {
            v.insert("date_start".into(), date(d).into());
        }
        if let Some(d) = t.date_end {
            v.insert("date_end".into(), date(d).into());
        }
        if extras.has("files") {
            let files: Vec<Value> = self
                .account
                .files_of(Attachment::Task(t.id))
                .map(|f| self.file_brief(f))
                .collect();
            if !files.is_empty() {
                v.insert("files".into(), files.into());
            }
        }
        Value::Object(v)
    }

    pub fn comment(&self, c: &Comment, task: &Task, with_files: bool) -> Value {
        let mut v = json!({
            "id": c.id.to_string(),
            "page": format!("{}#com{}", self.task_page(task), c.id),
            "text": c.text,
            "date_added": datetime(c.date_added),
            "user_from": self.user_ref(c.user_from),
        });
        if with_files {
            // Comment files list `size` before `name`, unlike task files.
            let files: Vec<Value> = self
                .account
                .files_of(Attachment::Comment(c.id))
                .map(|f| json!({ "id": f.id.to_string(), "size": f.bytes.len().to_string(), "name": f.name, "page": format!("/download/{}/", f.id) }))
                .collect();
            if !files.is_empty() {
                v["files"] = files.into();
            }
        }
        v
    }

    /// A file inside a task's `files` block.
    fn file_brief(&self, f: &FileEntry) -> Value {
        json!({
            "id": f.id.to_string(),
            "page": format!("/download/{}/", f.id),
            "name": f.name,
            "size": f.bytes.len().to_string(),
        })
    }

    /// A file as `get_files` lists it.
    pub fn file(&self, f: &FileEntry) -> Value {
        json!({
            "id": f.id.to_string(),
            "page": format!("/download/{}/", f.id),
            "name": f.name,
            "size": f.bytes.len().to_string(),
            "date_added": datetime(f.date_added),
            "user_from": self.user_ref(f.user_from),
        })
    }

    fn tag_group_block(&self, g: &TagGroup) -> Value {
        json!({ "title": g.title, "id": g.id, "id_group": g.id_group, "type": g.kind.as_str(), "access": g.access.as_str() })
    }

    pub fn tag(&self, t: &Tag, groups: &[TagGroup]) -> Value {
        let group = groups.iter().find(|g| g.id == t.group);
        json!({
            "title": t.title,
            "id": t.id,
            "group": group.map(|g| self.tag_group_block(g)).unwrap_or(Value::Null),
        })
    }

    pub fn tag_group(&self, g: &TagGroup) -> Value {
        json!({ "title": g.title, "id": g.id, "type": g.kind.as_str(), "access": g.access.as_str() })
    }

    pub fn cost(&self, c: &Cost) -> Value {
        let task = self.account.task(c.task);
        json!({
            "id": c.id.to_string(),
            "comment": c.comment,
            "time": hours_minutes(u64::from(c.minutes)),
            "money": money(c.money_cents),
            "date": date(c.date),
            "is_timer": c.is_timer,
            "user_from": self.user_ref(c.user_from),
            "task": task.map(|t| Value::Object(self.task_basic(t))).unwrap_or(Value::Null),
        })
    }

    pub fn timer(&self, t: &Timer, now: NaiveDateTime) -> Value {
        let secs = (now - t.started).num_seconds().max(0);
        let task = self.account.task(t.task);
        json!({
            "id": t.id.to_string(),
            "time": format!("{:02}:{:02}:{:02}", secs / 3600, secs % 3600 / 60, secs % 60),
            "date_started": datetime(t.started),
            "user_from": self.user_ref(t.user_from),
            "task": task.map(|x| Value::Object(self.task_basic(x))).unwrap_or(Value::Null),
        })
    }

    /// The signed-in user's timer: `time` in seconds, no id, no user.
    pub fn my_timer(&self, t: &Timer, now: NaiveDateTime) -> Value {
        let task = self.account.task(t.task);
        json!({
            "time": (now - t.started).num_seconds().max(0),
            "date_started": datetime(t.started),
            "task": task.map(|x| Value::Object(self.task_basic(x))).unwrap_or(Value::Null),
        })
    }

    pub fn webhook(&self, w: &Webhook) -> Value {
        let mut v =
            json!({ "id": w.id.to_string(), "url": w.url, "events": w.events, "status": w.status });
        insert_opt(&mut v, "projects", w.projects.as_deref());
        v
    }

    pub fn event(&self, e: &Event) -> Value {
        let (kind, id, page) = match e.object {
            EventObject::Project(id) => ("project", id, format!("/project/{id}/")),
            EventObject::Task(id) => (
                "task",
                id,
                self.account
                    .task(id)
                    .map(|t| self.task_page(t))
                    .unwrap_or_default(),
            ),
            EventObject::Comment(id) => {
                let page = self
                    .account
                    .comment(id)
                    .and_then(|c| self.account.task(c.task))
                    .map(|t| format!("{}#com{id}", self.task_page(t)))
                    .unwrap_or_default();
                ("comment", id, page)
            }
        };
        let mut v = json!({
            "action": e.action,
            "object": { "type": kind, "id": id.to_string(), "page": page },
            "date_added": datetime(e.date_added),
            "user_from": self.user_ref(e.user_from),
        });
        if let Some(n) = &e.new {
            v["new"] = n.clone();
        }
        if let Some(o) = &e.old {
            v["old"] = o.clone();
        }
        v
    }
}

/// How `child` blocks are rendered.
#[derive(Debug, Clone, Copy)]
pub struct Children {
    pub style: ChildStyle,
    /// `filter=active` also hides completed subtasks.
    pub active_only: bool,
}

#[derive(Debug, Clone, Copy)]
pub enum ChildStyle {
    Full,
    Brief,
}

/// `phone`, `phone2`..`phone4`, `address`, `address2`: present only when set.
fn contact_details(v: &mut Value, phones: &[String], addresses: &[String]) {
    const PHONES: [&str; 4] = ["phone", "phone2", "phone3", "phone4"];
    const ADDRESSES: [&str; 2] = ["address", "address2"];
    for (key, value) in PHONES.iter().zip(phones) {
        insert_opt(v, key, Some(value));
    }
    for (key, value) in ADDRESSES.iter().zip(addresses) {
        insert_opt(v, key, Some(value));
    }
}

fn insert_opt(v: &mut Value, key: &str, value: Option<&str>) {
    if let (Some(obj), Some(val)) = (v.as_object_mut(), value) {
        obj.insert(key.to_owned(), val.into());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_match_worksection() {
        assert_eq!(hours_minutes(6 * 60 + 50), "6:50");
        assert_eq!(hours_minutes(103 * 60 + 39), "103:39");
        assert_eq!(hours_minutes(5), "0:05");
        assert_eq!(money(7517), "75.17");
        assert_eq!(money(0), "0.00");
        assert_eq!(money(543600), "5436.00");
    }

    #[test]
    fn extras_accept_spaces_and_case() {
        let e = Extras::parse(Some("text, Options ,users"));
        assert!(e.has("text") && e.has("options") && e.has("users"));
        assert!(!e.has("files"));
    }
}

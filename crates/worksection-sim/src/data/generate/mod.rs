//! Seeded dataset generation: the same kind, seed and `now` always give the
//! same account, attachments included.
//!
//! One generator serves both datasets; `Scale` says how big. `demo` is a
//! small agency whose data answers the questions people ask an assistant
//! (what is overdue, who is overloaded, what does this screenshot show);
//! `large` has the same shape at 10,000 tasks, the API's cap, and reuses a
//! handful of attachment blobs. Everything is dated relative to `now`, with no
//! clock read inside, so tests can pin the date.

mod attachments;
mod names;

use std::fmt;
use std::str::FromStr;

use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime, NaiveTime, Weekday};
use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::json;

use super::model::*;
use names::Domain;

/// Which dataset to generate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DatasetKind {
    /// A small believable company.
    #[default]
    Demo,
    /// The same shape at 10,000 tasks (the API's cap).
    Large,
}

impl fmt::Display for DatasetKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Demo => "demo",
            Self::Large => "large",
        })
    }
}

impl FromStr for DatasetKind {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "demo" => Ok(Self::Demo),
            "large" => Ok(Self::Large),
            other => Err(format!("unknown dataset `{other}`; use `demo` or `large`")),
        }
    }
}

#[derive(Debug, thiserror::Error)]
#[error("could not generate the {kind} dataset: {detail}")]
pub struct GenerateError {
    pub kind: &'static str,
    pub detail: String,
}

/// How big an account is.
struct Scale {
    users: usize,
    projects: usize,
    /// Exact number of tasks and subtasks, or `None` for "as the domains give".
    tasks: Option<usize>,
    days_of_costs: i64,
    cost_lines_per_user_day: f64,
}

/// Generates a dataset, deterministically from `seed` and `now`.
pub fn generate(
    kind: DatasetKind,
    seed: u64,
    now: NaiveDateTime,
) -> Result<Dataset, GenerateError> {
    let scale = match kind {
        DatasetKind::Demo => Scale {
            users: 13,
            projects: names::PROJECTS.len(),
            tasks: None,
            days_of_costs: 90,
            cost_lines_per_user_day: 0.7,
        },
        DatasetKind::Large => Scale {
            users: 60,
            projects: 40,
            tasks: Some(10_000),
            days_of_costs: 90,
            cost_lines_per_user_day: 2.0,
        },
    };
    let mut g = Gen::new(seed, now);
    g.people(&scale);
    g.contacts();
    g.tags();
    g.projects(&scale);
    g.tasks(&scale);
    g.relations();
    g.comments();
    let blobs = attachments::Blobs::new().map_err(|e| GenerateError {
        kind: if kind == DatasetKind::Demo {
            "demo"
        } else {
            "large"
        },
        detail: e.to_string(),
    })?;
    g.files(&blobs);
    g.costs(&scale);
    g.timers();
    g.webhooks();
    g.events();
    Ok(g.data)
}

/// Ids in Worksection's style: each kind in its own range, not contiguous.
struct Ids {
    next: u64,
}

impl Ids {
    fn new(start: u64) -> Self {
        Self { next: start }
    }

    fn take(&mut self, rng: &mut ChaCha8Rng) -> u64 {
        let id = self.next;
        self.next += rng.random_range(1..=4);
        id
    }
}

struct Gen {
    rng: ChaCha8Rng,
    now: NaiveDateTime,
    data: Dataset,
    /// Members who carry most of the overdue work.
    overloaded: Vec<u64>,
}

impl Gen {
    fn new(seed: u64, now: NaiveDateTime) -> Self {
        Self {
            rng: ChaCha8Rng::seed_from_u64(seed),
            now,
            overloaded: Vec::new(),
            data: Dataset {
                company: names::COMPANY.to_owned(),
                today: now.date(),
                now,
                me: 0,
                users: Vec::new(),
                user_groups: Vec::new(),
                contacts: Vec::new(),
                contact_groups: Vec::new(),
                project_groups: Vec::new(),
                projects: Vec::new(),
                tasks: Vec::new(),
                relations: Vec::new(),
                comments: Vec::new(),
                files: Vec::new(),
                task_tag_groups: Vec::new(),
                task_tags: Vec::new(),
                project_tag_groups: Vec::new(),
                project_tags: Vec::new(),
                costs: Vec::new(),
                timers: Vec::new(),
                webhooks: Vec::new(),
                events: Vec::new(),
            },
        }
    }

    fn today(&self) -> NaiveDate {
        self.data.today
    }

    /// A moment `days` days before now, at office hours.
    fn day_at_work(&mut self, days_ago: i64) -> NaiveDateTime {
        let day = self.today() - Duration::days(days_ago);
        let minutes = self.rng.random_range(9 * 60..18 * 60);
        let t = day.and_time(NaiveTime::MIN) + Duration::minutes(minutes);
        t.min(self.now)
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        // Every table here is non-empty; the index keeps this panic-free anyway.
        let i = self.rng.random_range(0..items.len().max(1));
        &items[i.min(items.len().saturating_sub(1))]
    }

    fn people(&mut self, scale: &Scale) {
        let mut group_ids = Ids::new(2977);
        for (title, client, _, _) in names::TEAMS {
            let id = group_ids.take(&mut self.rng);
            self.data.user_groups.push(UserGroup {
                id,
                title: (*title).to_owned(),
                client: *client,
            });
            self.data.project_groups.push(ProjectGroup {
                id,
                title: (*title).to_owned(),
                kind: ProjectGroupKind::Company { client: *client },
            });
        }
        let mut folder_ids = Ids::new(4302);
        for title in names::FOLDERS {
            self.data.project_groups.push(ProjectGroup {
                id: folder_ids.take(&mut self.rng),
                title: (*title).to_owned(),
                kind: ProjectGroupKind::Folder,
            });
        }

        let mut ids = Ids::new(3993);
        let mut used = std::collections::HashSet::new();
        for i in 0..scale.users {
            // Team sizes: management small, development biggest, the client
            // team two people.
            let team = match i {
                0..=1 => 0,
                _ if i == scale.users - 1 || i == scale.users - 2 => 3,
                _ if i % 5 < 2 => 1,
                _ => 2,
            };
            let (team_title, client, department, titles) = names::TEAMS[team];
            let (first, last) = loop {
                let f = *self.pick(names::FIRST_NAMES);
                let l = *self.pick(names::LAST_NAMES);
                if used.insert((f, l)) || used.len() > 800 {
                    break (f, l);
                }
            };
            let id = ids.take(&mut self.rng);
            let domain = if client {
                "bluebird.example"
            } else {
                names::DOMAIN
            };
            let email_name: String = format!("{first}.{last}")
                .to_lowercase()
                .chars()
                .map(|c| match c {
                    'á' => 'a',
                    'é' => 'e',
                    c if c.is_ascii_alphanumeric() || c == '.' => c,
                    _ => '-',
                })
                .collect();
            let role = match i {
                0 => "Owner",
                1 => "Account admin",
                _ => "User",
            };
            let title = if i == 0 {
                "Managing director"
            } else {
                *self.pick(titles)
            };
            // Most people give a phone; the owner fills in every field.
            let phone_count = if i == 0 {
                4
            } else {
                usize::from(self.rng.random_bool(0.6))
            };
            let phones: Vec<String> = (0..phone_count)
                .map(|_| {
                    format!(
                        "+1 555 {:03} {:04}",
                        self.rng.random_range(100..999),
                        self.rng.random_range(0..9999)
                    )
                })
                .collect();
            let addresses: Vec<String> = if i == 0 {
                vec![
                    "12 Harbour Street, Portland, ME 04101".to_owned(),
                    "Suite 4, 80 Commercial Street, Portland, ME 04101".to_owned(),
                ]
            } else {
                Vec::new()
            };
            self.data.users.push(User {
                id,
                first_name: first.to_owned(),
                last_name: last.to_owned(),
                title: title.to_owned(),
                rate: if client {
                    0
                } else {
                    self.rng.random_range(4..=12) * 5
                },
                group: team_title.to_owned(),
                department: department.to_owned(),
                role: role.to_owned(),
                email: format!("{email_name}@{domain}"),
                phones,
                addresses,
                // One former colleague still owns history.
                active: i != scale.users / 2,
            });
        }
        self.data.me = self.data.users.first().map_or(0, |u| u.id);
        // Two or three busy people (not the owner, not the client team).
        let staff: Vec<u64> = self
            .data
            .users
            .iter()
            .filter(|u| u.active && u.group != "Bluebird Foods" && u.role == "User")
            .map(|u| u.id)
            .collect();
        self.overloaded = staff
            .iter()
            .take(if scale.users > 20 { 6 } else { 2 })
            .copied()
            .collect();
    }

    fn staff(&self) -> Vec<u64> {
        self.data
            .users
            .iter()
            .filter(|u| u.group != "Bluebird Foods")
            .map(|u| u.id)
            .collect()
    }

    fn contacts(&mut self) {
        for (id, title) in [
            (1, "USERS"),
            (2, "DEFAULT"),
            (3, "TEAM_ONLY"),
            (4, "HIDDEN"),
        ] {
            self.data.contact_groups.push(ContactGroup {
                id,
                title: title.to_owned(),
                preset: true,
            });
        }
        let mut folder_ids = Ids::new(4178);
        for title in names::CONTACT_FOLDERS {
            self.data.contact_groups.push(ContactGroup {
                id: folder_ids.take(&mut self.rng),
                title: (*title).to_owned(),
                preset: false,
            });
        }
        let mut ids = Ids::new(5606);
        for (n, (first, last, title, group)) in names::CONTACTS.iter().enumerate() {
            let id = ids.take(&mut self.rng);
            let has_email = self.rng.random_bool(0.8);
            // The first contact is a client with a full card.
            let phones: Vec<String> = (0..if n == 0 {
                4
            } else {
                usize::from(self.rng.random_bool(0.5))
            })
                .map(|k| format!("+44 20 {:04} {:04}", (id + k as u64) % 10_000, id % 7919))
                .collect();
            let addresses: Vec<String> = if n == 0 {
                vec![
                    "855 Renner Trail, Rowemouth, IN 42165".to_owned(),
                    "59064 Robby Prairie, North Abel, NE 93368".to_owned(),
                ]
            } else {
                Vec::new()
            };
            self.data.contacts.push(Contact {
                id,
                first_name: (*first).to_owned(),
                last_name: (*last).to_owned(),
                title: (*title).to_owned(),
                group: (*group).to_owned(),
                email: (n == 0 || has_email).then(|| {
                    format!(
                        "{}.{}@contacts.example",
                        first.to_lowercase(),
                        last.to_lowercase()
                    )
                }),
                phones,
                addresses,
            });
        }
    }

    fn tags(&mut self) {
        let groups = [
            (
                100,
                "Basic workflow",
                TagKind::Status,
                TagAccess::Public,
                "1",
            ),
            (
                101,
                "General labels",
                TagKind::Label,
                TagAccess::Public,
                "2",
            ),
            (102, "Task results", TagKind::Label, TagAccess::Private, "3"),
        ];
        let mut ids = Ids::new(72565);
        for (id, title, kind, access, id_group) in groups {
            self.data.task_tag_groups.push(TagGroup {
                id,
                title: title.to_owned(),
                kind,
                access,
                id_group: id_group.to_owned(),
            });
        }
        for t in names::TASK_STATUSES {
            let id = ids.take(&mut self.rng);
            self.data.task_tags.push(Tag {
                id,
                title: (*t).to_owned(),
                group: 100,
            });
        }
        for t in names::TASK_LABELS {
            let id = ids.take(&mut self.rng);
            self.data.task_tags.push(Tag {
                id,
                title: (*t).to_owned(),
                group: 101,
            });
        }
        for t in ["approved", "declined"] {
            let id = ids.take(&mut self.rng);
            self.data.task_tags.push(Tag {
                id,
                title: t.to_owned(),
                group: 102,
            });
        }

        let pgroups = [
            (
                97,
                "Project status",
                TagKind::Status,
                TagAccess::Public,
                "-4",
            ),
            (98, "Common labels", TagKind::Label, TagAccess::Public, "-5"),
            (
                99,
                "Internal labels",
                TagKind::Label,
                TagAccess::Private,
                "-6",
            ),
        ];
        for (id, title, kind, access, id_group) in pgroups {
            self.data.project_tag_groups.push(TagGroup {
                id,
                title: title.to_owned(),
                kind,
                access,
                id_group: id_group.to_owned(),
            });
        }
        let mut pids = Ids::new(105098);
        for t in names::PROJECT_STATUSES {
            let id = pids.take(&mut self.rng);
            self.data.project_tags.push(Tag {
                id,
                title: (*t).to_owned(),
                group: 97,
            });
        }
        for (i, t) in names::PROJECT_LABELS.iter().enumerate() {
            let id = pids.take(&mut self.rng);
            let group = if i < 2 { 98 } else { 99 };
            self.data.project_tags.push(Tag {
                id,
                title: (*t).to_owned(),
                group,
            });
        }
    }

    fn tag_id(&self, tags: &[Tag], title: &str) -> Option<u64> {
        tags.iter().find(|t| t.title == title).map(|t| t.id)
    }

    fn projects(&mut self, scale: &Scale) {
        let mut ids = Ids::new(6622);
        let staff = self.staff();
        for i in 0..scale.projects {
            let (name, folder, _, status) = names::PROJECTS[i % names::PROJECTS.len()];
            let name = if i < names::PROJECTS.len() {
                name.to_owned()
            } else {
                format!("{name} {}", i / names::PROJECTS.len() + 1)
            };
            let group = self
                .data
                .project_groups
                .iter()
                .find(|g| g.title == folder)
                .map_or(0, |g| g.id);
            let status = match status {
                "pending" => ProjectStatus::Pending,
                "archive" => ProjectStatus::Archive,
                _ => ProjectStatus::Active,
            };
            let added_days = self.rng.random_range(100..200);
            let date_added = self.day_at_work(added_days);
            let start = date_added.date() + Duration::days(self.rng.random_range(0..10));
            let end = start + Duration::days(self.rng.random_range(90..240));
            let mut members: Vec<u64> = vec![self.data.me];
            let team_size = self.rng.random_range(4..=7).min(staff.len());
            while members.len() < team_size {
                let m = *self.pick(&staff);
                if !members.contains(&m) {
                    members.push(m);
                }
            }
            // The client team follows the client's projects.
            if folder == "Bluebird Foods" || name.starts_with("Mobile") {
                for u in self
                    .data
                    .users
                    .iter()
                    .filter(|u| u.group == "Bluebird Foods")
                {
                    members.push(u.id);
                }
            }
            let manager = if i == 5 {
                None
            } else {
                members.get(1).copied().or(Some(self.data.me))
            };
            let status_tag = match status {
                ProjectStatus::Active => "In progress",
                ProjectStatus::Pending => "Paused",
                ProjectStatus::Archive => "Completed",
            };
            let mut tags: Vec<u64> = self
                .tag_id(&self.data.project_tags, status_tag)
                .into_iter()
                .collect();
            if i % 2 == 0 {
                tags.extend(self.tag_id(
                    &self.data.project_tags,
                    if i % 4 == 0 {
                        "retainer"
                    } else {
                        "fixed price"
                    },
                ));
            }
            let hours = self.rng.random_range(20..=120) * 10;
            self.data.projects.push(Project {
                id: ids.take(&mut self.rng),
                name,
                status,
                group,
                user_from: self.data.me,
                manager,
                text: names::PROJECTS[i % names::PROJECTS.len()]
                    .2
                    .description
                    .to_owned(),
                date_added,
                date_start: (i != 4).then_some(start),
                date_end: (i != 4 && i != 5).then_some(end),
                options: ProjectOptions {
                    allow_close: true,
                    allow_give: i % 2 == 0,
                    require_term: i % 3 == 0,
                    deny_task_delete: i % 2 == 1,
                    timer_only: i == 2,
                    ..ProjectOptions::default()
                },
                max_time: (i != 4).then_some(hours),
                max_money: (i != 4).then_some(hours * 45),
                tags,
                members,
            });
        }
    }

    fn tasks(&mut self, scale: &Scale) {
        let mut ids = Ids::new(330090);
        let projects = self.data.projects.clone();
        // Tasks per project: the domain's own list; the large dataset cycles
        // it with numbered rounds until the exact count is reached.
        let target = scale.tasks;
        let mut round = 0usize;
        'outer: loop {
            for (pi, project) in projects.iter().enumerate() {
                let domain: &Domain = names::PROJECTS[pi % names::PROJECTS.len()].2;
                for (ti, base) in domain.tasks.iter().enumerate() {
                    if target.is_some_and(|t| self.data.tasks.len() >= t) {
                        break 'outer;
                    }
                    let name = if round == 0 {
                        (*base).to_owned()
                    } else {
                        format!("{base} #{}", round + 1)
                    };
                    let parent_id = ids.take(&mut self.rng);
                    let parent = self.task(parent_id, project, None, name, ti);
                    self.data.tasks.push(parent);
                    // Subtasks, and now and then a subtask of a subtask.
                    let kids = if ti % 3 == 0 {
                        self.rng.random_range(1..=3)
                    } else {
                        usize::from(self.rng.random_bool(0.3))
                    };
                    for k in 0..kids {
                        if target.is_some_and(|t| self.data.tasks.len() >= t) {
                            break 'outer;
                        }
                        let sub_name =
                            format!("{}: {}", base, domain.subtasks[k % domain.subtasks.len()]);
                        let id = ids.take(&mut self.rng);
                        let sub = self.task(id, project, Some(parent_id), sub_name, ti + k + 1);
                        self.data.tasks.push(sub);
                        if k == 0 && ti % 6 == 0 && target.is_none_or(|t| self.data.tasks.len() < t)
                        {
                            let gid = ids.take(&mut self.rng);
                            let grand = self.task(
                                gid,
                                project,
                                Some(id),
                                format!("{base}: checklist"),
                                ti + 7,
                            );
                            self.data.tasks.push(grand);
                        }
                    }
                }
            }
            round += 1;
            if target.is_none_or(|t| self.data.tasks.len() >= t) {
                break;
            }
        }
    }

    fn task(
        &mut self,
        id: u64,
        project: &Project,
        parent: Option<u64>,
        name: String,
        salt: usize,
    ) -> Task {
        let archived = project.status == ProjectStatus::Archive;
        let added_days = self.rng.random_range(5..120);
        let date_added = self.day_at_work(added_days).max(project.date_added);
        let done = archived || self.rng.random_bool(0.4);
        let start = date_added.date() + Duration::days(self.rng.random_range(0..7));
        let length = self.rng.random_range(2..30);
        // Open work mostly ends around now: some late, some this week, some later.
        let end = if done {
            start + Duration::days(length)
        } else {
            let shift = match self.rng.random_range(0..10) {
                0..=2 => -self.rng.random_range(1..=40),
                3..=4 => self.rng.random_range(0..=6),
                _ => self.rng.random_range(7..=60),
            };
            self.today() + Duration::days(shift)
        };
        let overdue = !done && end < self.today();
        let staff = self.members_of(project);
        let assignee = if overdue && self.rng.random_bool(0.7) && !self.overloaded.is_empty() {
            let o = self.overloaded.clone();
            Assignee::User(*self.pick(&o))
        } else {
            match self.rng.random_range(0..20) {
                0 => Assignee::Noone,
                1 => Assignee::Any,
                _ => Assignee::User(*self.pick(&staff)),
            }
        };
        let date_closed = done.then(|| {
            let latest = (end.and_time(NaiveTime::MIN) + Duration::hours(17)).min(self.now);
            let span = (latest - date_added).num_minutes().max(60);
            date_added + Duration::minutes(self.rng.random_range(30..=span))
        });
        let has_dates = salt % 9 != 4;
        let priority = match self.rng.random_range(0..10) {
            0..=5 => 1,
            6..=7 => self.rng.random_range(2..=5),
            _ => self.rng.random_range(6..=10),
        };
        let mut tags = Vec::new();
        let status_tag = if done {
            "Done"
        } else {
            *self.pick(&names::TASK_STATUSES[..3])
        };
        tags.extend(self.tag_id(&self.data.task_tags, status_tag));
        if self.rng.random_bool(0.3) {
            let label = *self.pick(names::TASK_LABELS);
            tags.extend(self.tag_id(&self.data.task_tags, label));
        }
        // Some open tasks nobody tagged (`tags: []` upstream), as real
        // accounts have; chosen after the draws, so every other record is
        // what it was.
        if !done && salt % 7 == 6 {
            tags.clear();
        }
        let mut subscribers = vec![project.user_from];
        if let Assignee::User(u) = assignee
            && !subscribers.contains(&u)
        {
            subscribers.push(u);
        }
        let text = if salt % 4 == 3 {
            String::new()
        } else {
            let a = *self.pick(names::TASK_TEXT);
            let b = *self.pick(names::TASK_TEXT);
            if salt.is_multiple_of(3) {
                format!("{a}\n\n{b}")
            } else {
                a.to_owned()
            }
        };
        let timed = salt.is_multiple_of(5);
        Task {
            id,
            project: project.id,
            parent,
            name,
            status: if done {
                TaskStatus::Done
            } else {
                TaskStatus::Active
            },
            priority,
            user_from: project.manager.unwrap_or(project.user_from),
            user_to: assignee,
            text,
            date_added,
            date_start: has_dates.then_some(start.min(end)),
            date_end: has_dates.then_some(end),
            time_start: (has_dates && timed).then(|| "09:00".to_owned()),
            time_end: (has_dates && timed).then(|| "18:00".to_owned()),
            date_closed,
            max_time: salt
                .is_multiple_of(2)
                .then(|| self.rng.random_range(2..=40)),
            max_money: salt
                .is_multiple_of(4)
                .then(|| self.rng.random_range(1..=30) * 100),
            tags,
            subscribers,
        }
    }

    fn members_of(&self, project: &Project) -> Vec<u64> {
        let staff: Vec<u64> = project
            .members
            .iter()
            .copied()
            .filter(|m| {
                self.data
                    .users
                    .iter()
                    .any(|u| u.id == *m && u.group != "Bluebird Foods")
            })
            .collect();
        if staff.is_empty() {
            vec![self.data.me]
        } else {
            staff
        }
    }

    fn relations(&mut self) {
        let want = (self.data.tasks.len() / 8).clamp(15, 1200);
        let tops: Vec<(u64, u64)> = self
            .data
            .tasks
            .iter()
            .filter(|t| t.parent.is_none())
            .map(|t| (t.project, t.id))
            .collect();
        let mut seen = std::collections::HashSet::new();
        // Each project's first task waits for its second and unblocks its
        // third, so the task people open first shows both sides.
        let mut by_project: Vec<(u64, Vec<u64>)> = Vec::new();
        for &(project, id) in &tops {
            match by_project.last_mut() {
                Some((p, ids)) if *p == project => ids.push(id),
                _ => by_project.push((project, vec![id])),
            }
        }
        let firsts: Vec<(u64, u64, u64)> = by_project
            .iter()
            .filter_map(|(_, ids)| match ids.as_slice() {
                [a, b, c, ..] => Some((*a, *b, *c)),
                _ => None,
            })
            .collect();
        for (a, b, c) in firsts {
            for (from, to) in [(b, a), (a, c)] {
                if seen.insert((from, to)) {
                    self.data.relations.push(Relation {
                        from,
                        to,
                        kind: "finish-to-start".to_owned(),
                    });
                }
            }
        }
        // Chains of consecutive tasks in a project, as plans usually are.
        for w in tops.windows(2) {
            if self.data.relations.len() >= want {
                break;
            }
            let [(pa, a), (pb, b)] = [w[0], w[1]];
            if pa != pb
                || !self.rng.random_bool(0.4)
                || seen.contains(&(b, a))
                || !seen.insert((a, b))
            {
                continue;
            }
            let kind = if self.rng.random_bool(0.85) {
                "finish-to-start"
            } else {
                "start-to-start"
            };
            self.data.relations.push(Relation {
                from: a,
                to: b,
                kind: kind.to_owned(),
            });
        }
    }

    fn comments(&mut self) {
        let mut ids = Ids::new(19000);
        let tasks = self.data.tasks.clone();
        let mut seen_projects = std::collections::HashSet::new();
        for (i, t) in tasks.iter().enumerate() {
            let showcase = t.parent.is_none() && seen_projects.insert(t.project);
            let n = if showcase {
                self.rng.random_range(3..=8)
            } else {
                match i % 4 {
                    0 => self.rng.random_range(2..=8),
                    1 => self.rng.random_range(0..=3),
                    _ => 0,
                }
            };
            let project = self
                .data
                .projects
                .iter()
                .find(|p| p.id == t.project)
                .cloned();
            let Some(project) = project else { continue };
            let people = self.members_of(&project);
            let end = t.date_closed.unwrap_or(self.now);
            let span = (end - t.date_added).num_minutes().max(10);
            let mut times: Vec<i64> = (0..n).map(|_| self.rng.random_range(5..=span)).collect();
            times.sort_unstable();
            for m in times {
                let user_from = *self.pick(&people);
                let text = (*self.pick(names::COMMENTS)).to_owned();
                self.data.comments.push(Comment {
                    id: ids.take(&mut self.rng),
                    task: t.id,
                    user_from,
                    text,
                    date_added: (t.date_added + Duration::minutes(m)).min(self.now),
                });
            }
        }
        // Some talk in the last hours, so short activity periods show it.
        let open: Vec<u64> = tasks
            .iter()
            .filter(|t| t.status == TaskStatus::Active)
            .map(|t| t.id)
            .collect();
        for k in 0..6 {
            let task = *self.pick(&open);
            let staff = self.staff();
            let user_from = *self.pick(&staff);
            let text = (*self.pick(names::COMMENTS)).to_owned();
            self.data.comments.push(Comment {
                id: ids.take(&mut self.rng),
                task,
                user_from,
                text,
                date_added: self.now - Duration::minutes(10 + k * 45),
            });
        }
        self.data.comments.sort_by_key(|c| (c.date_added, c.id));
    }

    fn task_named(&self, name: &str) -> Option<&Task> {
        self.data.tasks.iter().find(|t| t.name == name)
    }

    fn files(&mut self, blobs: &attachments::Blobs) {
        let mut ids = Ids::new(17000);
        let plan = attachments::plan(blobs);
        for item in plan {
            let target = match item.on {
                attachments::Target::Task(name) => self
                    .task_named(name)
                    .map(|t| (Attachment::Task(t.id), t.date_added, t.user_from)),
                attachments::Target::LatestComment(name) => {
                    let task = self.task_named(name).map(|t| t.id);
                    let comment = task
                        .and_then(|tid| self.data.comments.iter().rev().find(|c| c.task == tid));
                    match (comment, task) {
                        (Some(c), _) => {
                            Some((Attachment::Comment(c.id), c.date_added, c.user_from))
                        }
                        (None, Some(tid)) => self
                            .data
                            .tasks
                            .iter()
                            .find(|t| t.id == tid)
                            .map(|t| (Attachment::Task(t.id), t.date_added, t.user_from)),
                        _ => None,
                    }
                }
                attachments::Target::Project(name) => self
                    .data
                    .projects
                    .iter()
                    .find(|p| p.name == name)
                    .map(|p| (Attachment::Project(p.id), p.date_added, p.user_from)),
            };
            if let Some((attached_to, date_added, user_from)) = target {
                self.data.files.push(FileEntry {
                    id: ids.take(&mut self.rng),
                    name: item.name.to_owned(),
                    attached_to,
                    user_from,
                    date_added,
                    bytes: item.bytes,
                });
            }
        }
        // The large dataset spreads the same few blobs over many tasks.
        if self.data.tasks.len() > 1000 {
            let pool: Vec<(String, std::sync::Arc<[u8]>)> = self
                .data
                .files
                .iter()
                .take(6)
                .map(|f| (f.name.clone(), f.bytes.clone()))
                .collect();
            let tasks: Vec<(u64, NaiveDateTime, u64)> = self
                .data
                .tasks
                .iter()
                .step_by(20)
                .map(|t| (t.id, t.date_added, t.user_from))
                .collect();
            for (i, (task, date_added, user_from)) in tasks.into_iter().enumerate() {
                let Some((name, bytes)) = pool.get(i % pool.len().max(1)).cloned() else {
                    break;
                };
                self.data.files.push(FileEntry {
                    id: ids.take(&mut self.rng),
                    name,
                    attached_to: Attachment::Task(task),
                    user_from,
                    date_added,
                    bytes,
                });
            }
        }
    }

    fn costs(&mut self, scale: &Scale) {
        let mut ids = Ids::new(3610);
        let week_start =
            self.today() - Duration::days(i64::from(self.today().weekday().num_days_from_monday()));
        let users: Vec<User> = self
            .data
            .users
            .iter()
            .filter(|u| u.group != "Bluebird Foods")
            .cloned()
            .collect();
        // Each person's assigned tasks, looked up once rather than per day.
        let mut assigned: std::collections::HashMap<u64, Vec<(NaiveDate, Option<NaiveDate>, u64)>> =
            std::collections::HashMap::new();
        for t in &self.data.tasks {
            if let Assignee::User(u) = t.user_to {
                assigned.entry(u).or_default().push((
                    t.date_added.date(),
                    t.date_closed.map(|c| c.date()),
                    t.id,
                ));
            }
        }
        for days_ago in (0..scale.days_of_costs).rev() {
            let day = self.today() - Duration::days(days_ago);
            if matches!(day.weekday(), Weekday::Sat | Weekday::Sun) {
                continue;
            }
            for user in &users {
                if !user.active && days_ago < 30 {
                    continue;
                }
                // The busy people log much more this week.
                let heavy = day >= week_start && self.overloaded.contains(&user.id);
                let mean = scale.cost_lines_per_user_day * if heavy { 3.0 } else { 1.0 };
                let lines = (mean.floor() as u32) + u32::from(self.rng.random_bool(mean.fract()));
                for _ in 0..lines {
                    let candidates: Vec<u64> = assigned
                        .get(&user.id)
                        .into_iter()
                        .flatten()
                        .filter(|(added, closed, _)| {
                            *added <= day && closed.is_none_or(|c| c >= day)
                        })
                        .map(|(_, _, id)| *id)
                        .take(50)
                        .collect();
                    let Some(&task) = candidates.choose(&mut self.rng) else {
                        continue;
                    };
                    let minutes = self.rng.random_range(1..=32) * 15;
                    let minutes = if heavy { minutes + 120 } else { minutes };
                    let comment = (*self.pick(names::COST_COMMENTS)).to_owned();
                    self.data.costs.push(Cost {
                        id: ids.take(&mut self.rng),
                        task,
                        user_from: user.id,
                        comment,
                        minutes,
                        money_cents: (u64::from(minutes) * u64::from(user.rate) * 100 + 30) / 60,
                        date: day,
                        is_timer: self.rng.random_bool(0.33),
                    });
                }
            }
        }
    }

    fn timers(&mut self) {
        let mut ids = Ids::new(2914);
        let mut people = vec![self.data.me];
        people.extend(self.overloaded.iter().take(2));
        for (k, user) in people.into_iter().enumerate() {
            let task = self
                .data
                .tasks
                .iter()
                .find(|t| {
                    t.status == TaskStatus::Active && (t.user_to == Assignee::User(user) || k == 0)
                })
                .map(|t| t.id);
            if let Some(task) = task {
                let started = self.now - Duration::minutes(20 + 37 * k as i64);
                self.data.timers.push(Timer {
                    id: ids.take(&mut self.rng),
                    task,
                    user_from: user,
                    started,
                });
            }
        }
    }

    fn webhooks(&mut self) {
        let some_projects: Vec<String> = self
            .data
            .projects
            .iter()
            .take(2)
            .map(|p| p.id.to_string())
            .collect();
        self.data.webhooks = vec![
            Webhook {
                id: 122,
                url: "https://hooks.example.com/worksection/tasks".to_owned(),
                events: "post_task,post_comment,post_project".to_owned(),
                status: "active".to_owned(),
                projects: Some(some_projects.join(",")),
            },
            Webhook {
                id: 123,
                url: "https://hooks.example.com/worksection/changes".to_owned(),
                events: "update_task,update_comment,delete_task,delete_comment,close_task"
                    .to_owned(),
                status: "paused".to_owned(),
                projects: None,
            },
        ];
    }

    fn user_json(&self, a: Assignee) -> serde_json::Value {
        match a {
            Assignee::User(id) => {
                let u = self.data.users.iter().find(|u| u.id == id);
                json!({
                    "id": id.to_string(),
                    "email": u.map(|u| u.email.clone()).unwrap_or_default(),
                    "name": u.map(User::name).unwrap_or_default(),
                })
            }
            Assignee::Noone => {
                json!({ "id": "1", "email": "NOONE", "name": "Executive isn't assigned" })
            }
            Assignee::Any => json!({ "id": "2", "email": "ANY", "name": "Anyone" }),
        }
    }

    fn events(&mut self) {
        let since = self.now - Duration::days(30);
        let mut events = Vec::new();
        for p in &self.data.projects {
            if p.date_added > since {
                events.push(Event {
                    action: "post".to_owned(),
                    object: EventObject::Project(p.id),
                    date_added: p.date_added,
                    user_from: p.user_from,
                    new: Some(json!({ "title": p.name, "user_to": self.user_json(p.manager.map_or(Assignee::Noone, Assignee::User)) })),
                    old: None,
                });
            }
        }
        for t in &self.data.tasks {
            if t.date_added > since {
                events.push(Event {
                    action: "post".to_owned(),
                    object: EventObject::Task(t.id),
                    date_added: t.date_added,
                    user_from: t.user_from,
                    new: Some(json!({ "title": t.name, "user_to": self.user_json(t.user_to) })),
                    old: None,
                });
            }
            if let Some(closed) = t.date_closed
                && closed > since
            {
                let by = match t.user_to {
                    Assignee::User(u) => u,
                    _ => t.user_from,
                };
                events.push(Event {
                    action: "close".to_owned(),
                    object: EventObject::Task(t.id),
                    date_added: closed,
                    user_from: by,
                    new: None,
                    old: None,
                });
            }
        }
        for c in &self.data.comments {
            if c.date_added > since {
                events.push(Event {
                    action: "post".to_owned(),
                    object: EventObject::Comment(c.id),
                    date_added: c.date_added,
                    user_from: c.user_from,
                    new: Some(json!({ "text": c.text })),
                    old: None,
                });
            }
        }
        // Updates on open tasks: new priorities, new people, moved deadlines;
        // a few within the last hour.
        let open: Vec<Task> = self
            .data
            .tasks
            .iter()
            .filter(|t| t.status == TaskStatus::Active)
            .cloned()
            .collect();
        let updates = (open.len() / 3).clamp(10, 3000);
        for k in 0..updates {
            let Some(t) = open.get(self.rng.random_range(0..open.len().max(1))) else {
                break;
            };
            let minutes_ago = if k < 5 {
                5 + 9 * k as i64
            } else {
                self.rng.random_range(60..30 * 24 * 60)
            };
            let at = self.now - Duration::minutes(minutes_ago);
            if at <= t.date_added {
                continue;
            }
            let old_priority = self.rng.random_range(1..=5);
            events.push(Event {
                action: "update".to_owned(),
                object: EventObject::Task(t.id),
                date_added: at,
                user_from: t.user_from,
                new: Some(json!({
                    "priority": t.priority.to_string(),
                    "user_to": self.user_json(t.user_to),
                    "date_end": t.date_end.map(|d| d.format("%Y-%m-%d").to_string()).unwrap_or_default(),
                    "time_end": t.time_end.clone().unwrap_or_default(),
                })),
                old: Some(json!({
                    "priority": old_priority.to_string(),
                    "user_to": self.user_json(Assignee::Any),
                    "date_end": "",
                    "time_end": "",
                })),
            });
        }
        events.retain(|e| e.date_added <= self.now);
        events.sort_by_key(|e| e.date_added);
        self.data.events = events;
    }
}

#[cfg(test)]
mod tests;

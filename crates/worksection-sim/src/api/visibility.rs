//! What a caller may see, as Worksection shows it.
//!
//! The admin API key reads the whole account. A person signed in through
//! OAuth2 reads what Worksection shows them in its own pages:
//!
//! - the account's owner and its administrators (`role` `Owner` or
//!   `Account admin`) see every project;
//! - everyone else sees the projects whose team they are in, and with
//!   them those projects' tasks and subtasks, comments, files (of the
//!   project, its tasks and their comments), cost lines, running timers and
//!   activity; a task, comment or file of any other project is "invalid",
//!   exactly as if it did not exist;
//! - the account's members are listed to staff in full; a member of a
//!   client team (an external user) sees their own team and the people
//!   who share a project with them;
//! - webhooks are the administrators' alone.
//!
//! Actions ask a [`Viewer`] (made once per request from the caller) before
//! they show a record, so no action forgets a rule of its own.

use std::collections::HashSet;

use crate::data::{Account, Attachment, EventObject, Project, Task, User};

/// Who is looking, and what they may see.
pub struct Viewer {
    /// `None`: the whole account (the admin key, an owner, an admin).
    projects: Option<HashSet<u64>>,
    /// `None`: every member; else the ids of the members shown.
    people: Option<HashSet<u64>>,
    admin: bool,
}

impl Viewer {
    /// What `user` sees (a person signed in through OAuth2), or, with
    /// `None`, the admin key: the whole account.
    pub fn new(account: &Account, user: Option<u64>) -> Self {
        let Some(id) = user else {
            return Self::everything();
        };
        let Some(user) = account.user(id) else {
            // A token of someone no longer in the account sees nothing.
            return Self {
                projects: Some(HashSet::new()),
                people: Some(HashSet::new()),
                admin: false,
            };
        };
        if is_admin(user) {
            return Self::everything();
        }
        let projects: HashSet<u64> = account
            .data
            .projects
            .iter()
            .filter(|p| p.members.contains(&id))
            .map(|p| p.id)
            .collect();
        let external = account
            .data
            .user_groups
            .iter()
            .any(|g| g.client && g.title == user.group);
        let people = external.then(|| {
            let mut seen: HashSet<u64> = account
                .data
                .users
                .iter()
                .filter(|u| u.group == user.group)
                .map(|u| u.id)
                .collect();
            for p in account
                .data
                .projects
                .iter()
                .filter(|p| projects.contains(&p.id))
            {
                seen.extend(p.members.iter().copied());
            }
            seen
        });
        Self {
            projects: Some(projects),
            people,
            admin: false,
        }
    }

    fn everything() -> Self {
        Self {
            projects: None,
            people: None,
            admin: true,
        }
    }

    /// Whether the caller may administer the account (webhooks).
    pub fn is_admin(&self) -> bool {
        self.admin
    }

    pub fn project_id(&self, id: u64) -> bool {
        self.projects.as_ref().is_none_or(|set| set.contains(&id))
    }

    pub fn project(&self, project: &Project) -> bool {
        self.project_id(project.id)
    }

    pub fn task(&self, task: &Task) -> bool {
        self.project_id(task.project)
    }

    pub fn user(&self, user: &User) -> bool {
        self.people
            .as_ref()
            .is_none_or(|set| set.contains(&user.id))
    }

    /// Whether a file is in something the caller sees.
    pub fn attachment(&self, account: &Account, at: Attachment) -> bool {
        match at {
            Attachment::Project(id) => self.project_id(id),
            Attachment::Task(id) => account.task(id).is_some_and(|t| self.task(t)),
            Attachment::Comment(id) => account
                .comment(id)
                .and_then(|c| account.task(c.task))
                .is_some_and(|t| self.task(t)),
        }
    }

    /// Whether an activity entry is about something the caller sees.
    pub fn event(&self, account: &Account, object: EventObject) -> bool {
        if self.projects.is_none() {
            return true;
        }
        match object {
            EventObject::Project(id) => self.project_id(id),
            EventObject::Task(id) => account.task(id).is_some_and(|t| self.task(t)),
            EventObject::Comment(id) => account
                .comment(id)
                .and_then(|c| account.task(c.task))
                .is_some_and(|t| self.task(t)),
        }
    }
}

/// Owners and account administrators see the whole account.
fn is_admin(user: &User) -> bool {
    matches!(user.role.as_str(), "Owner" | "Account admin")
}

//! The OAuth2 scopes Worksection knows that a read-only app may ask for:
//! one `_read` scope per area, and `administrative` (webhooks). Worksection
//! also has the `_write` scopes, which this project never asks for.
//!
//! An admin API key is not scoped: it may call every action.

use std::fmt;

/// A scope a signed-in person grants, as Worksection names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Scope {
    ProjectsRead,
    TasksRead,
    CostsRead,
    TagsRead,
    CommentsRead,
    FilesRead,
    UsersRead,
    ContactsRead,
    /// Administers the account; the only way to list its webhooks.
    Administrative,
}

impl Scope {
    /// Every `_read` scope: all a read-only app needs but webhooks.
    pub const READ: [Scope; 8] = [
        Self::ProjectsRead,
        Self::TasksRead,
        Self::CostsRead,
        Self::TagsRead,
        Self::CommentsRead,
        Self::FilesRead,
        Self::UsersRead,
        Self::ContactsRead,
    ];

    /// The scope's name in an authorize URL.
    pub const fn name(self) -> &'static str {
        match self {
            Self::ProjectsRead => "projects_read",
            Self::TasksRead => "tasks_read",
            Self::CostsRead => "costs_read",
            Self::TagsRead => "tags_read",
            Self::CommentsRead => "comments_read",
            Self::FilesRead => "files_read",
            Self::UsersRead => "users_read",
            Self::ContactsRead => "contacts_read",
            Self::Administrative => "administrative",
        }
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Every `_read` scope by name: all a read-only app needs.
pub fn read_scopes() -> Vec<&'static str> {
    Scope::READ.iter().map(|s| s.name()).collect()
}

//! What one call of a tool asks of Worksection: the OAuth scopes it needs
//! and the requests it makes. Each tool declares it where it is registered
//! (the `upstream` argument of [`super::def`]), so it cannot drift from the
//! tool; `TOOLS.md` shows it, grouped by toolset, and the benchmark takes
//! its ceilings from it. `tests/tool_upstream.rs` calls every tool on the
//! simulator, signed in with exactly the scopes it declares and with an
//! empty cache, and holds it to its count and its actions.

use std::fmt::Write as _;

pub use worksection::auth::Scope;

/// A tool's scopes and upstream cost.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Upstream {
    scopes: &'static [Scope],
    requests: u8,
    actions: &'static [&'static str],
    note: &'static str,
    cached: bool,
    signed_in_only: bool,
}

impl Upstream {
    /// At most `requests` Worksection requests when nothing is cached, each
    /// one of `actions` (Worksection's action names), with a sign-in that
    /// granted `scopes`; none when its answers are cached.
    pub const fn new(
        requests: u8,
        actions: &'static [&'static str],
        scopes: &'static [Scope],
    ) -> Self {
        Self {
            scopes,
            requests,
            actions,
            note: "",
            cached: true,
            signed_in_only: false,
        }
    }

    /// A tool that reads what this computer keeps, never Worksection.
    pub const LOCAL: Upstream = Upstream::new(0, &[], &[]);

    /// When an action is called, or the count differs, in a few words.
    pub const fn note(mut self, note: &'static str) -> Self {
        self.note = note;
        self
    }

    /// A tool that asks Worksection on every call (it measures it).
    pub const fn uncached(mut self) -> Self {
        self.cached = false;
        self
    }

    /// A tool Worksection answers only for a signed-in person (OAuth2):
    /// with the admin API key it is refused before any request.
    pub const fn signed_in_only(mut self) -> Self {
        self.signed_in_only = true;
        self
    }

    /// Whether only a signed-in person (OAuth2) can call it.
    pub fn is_signed_in_only(&self) -> bool {
        self.signed_in_only
    }

    /// The scopes an OAuth sign-in must have granted (an admin API key
    /// needs none).
    pub fn scopes(&self) -> &'static [Scope] {
        self.scopes
    }

    /// The most requests one call makes with nothing cached.
    pub fn requests(&self) -> u8 {
        self.requests
    }

    /// The Worksection actions a call may make.
    pub fn actions(&self) -> &'static [&'static str] {
        self.actions
    }

    /// Whether a repeated call within the cache's lifetime makes none.
    pub fn is_cached(&self) -> bool {
        self.cached
    }

    /// The cost in words, as `TOOLS.md` and the benchmark's report show it:
    /// `2: get_task, get_comments; 0 when cached`.
    pub fn cost(&self) -> String {
        if self.requests == 0 {
            return "0: reads what this computer keeps".to_owned();
        }
        let named: Vec<String> = self.actions.iter().map(|a| format!("`{a}`")).collect();
        let mut text = format!("{}: {}", self.requests, named.join(", "));
        if !self.note.is_empty() {
            let _ = write!(text, " ({})", self.note);
        }
        text.push_str(if self.cached {
            "; 0 when cached"
        } else {
            "; every call"
        });
        text
    }

    /// The scopes in words: `tasks_read, comments_read`, or `none`, and
    /// whether the admin API key cannot call it.
    pub fn scope_names(&self) -> String {
        let mut text = if self.scopes.is_empty() {
            "none".to_owned()
        } else {
            let named: Vec<String> = self.scopes.iter().map(|s| format!("`{s}`")).collect();
            named.join(", ")
        };
        if self.signed_in_only {
            text.push_str(" (signed in only: not with the admin API key)");
        }
        text
    }
}

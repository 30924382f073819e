//! What a tool answers when it cannot answer: [`ToolError`].
//!
//! Every failure a person or a model can act on is a *tool error*
//! (`isError: true` with one sentence), not a JSON-RPC error: MCP clients
//! show the former to the model, which can then fix its arguments or tell
//! the person what to do. The sentence names the bad argument, or carries
//! Worksection's own message with the fix (enable a scope, sign in again).
//! The client's errors say what went wrong; the advice that depends on how
//! this server is run (the tray's menu, the `worksection-mcp` commands, its
//! settings) is added here.

use std::fmt;
use std::sync::Arc;

#[derive(Debug, Clone)]
pub enum ToolError {
    /// An argument is missing, malformed or out of range; nothing was sent.
    Argument { name: &'static str, problem: String },
    /// Worksection (or the way to it) failed; its message says what to do.
    Upstream(Arc<worksection::Error>),
    /// The thing asked for does not exist (beyond Worksection's own errors,
    /// such as a user id not among the account's members).
    NotFound(String),
    /// A file could not be read or converted.
    File(String),
}

impl ToolError {
    /// Worksection's own error, when that is what failed (the desktop app
    /// tells an expired sign-in from the rest by it).
    pub fn upstream(&self) -> Option<&worksection::Error> {
        match self {
            Self::Upstream(e) => Some(e),
            _ => None,
        }
    }

    pub fn argument(name: &'static str, problem: impl Into<String>) -> Self {
        Self::Argument {
            name,
            problem: problem.into(),
        }
    }
}

impl fmt::Display for ToolError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Argument { name, problem } => {
                write!(f, "Invalid argument `{name}`: {}", bounded(problem))
            }
            Self::Upstream(e) => match advice(e) {
                Some(advice) => write!(f, "{e} {advice}"),
                None => write!(f, "{e}"),
            },
            Self::NotFound(what) | Self::File(what) => f.write_str(what),
        }
    }
}

impl std::error::Error for ToolError {}

/// What a person of this server can do about a client error.
fn advice(e: &worksection::Error) -> Option<&'static str> {
    use worksection::{AuthProblem, Error};
    if e.needs_sign_in() {
        return Some("Use \"Sign in\" in the tray menu, or run `worksection-mcp login`.");
    }
    match e {
        Error::Auth {
            problem: AuthProblem::BadApiKey,
            ..
        } => Some("Check that WORKSECTION_API_KEY is the account's current admin API key."),
        Error::TooLarge { .. } => Some("Raise MAX_FILE_SIZE_MB to fetch it."),
        Error::RateLimited { .. } => Some("Try again in a minute."),
        _ => None,
    }
}

/// A problem quoted back to the model at a bounded length: arguments can be
/// a megabyte long, and an error quoting one whole would not fit in an MCP
/// message.
fn bounded(problem: &str) -> std::borrow::Cow<'_, str> {
    const MAX: usize = 400;
    if problem.chars().count() <= MAX {
        return problem.into();
    }
    let head: String = problem.chars().take(MAX / 2).collect();
    let tail: String = {
        let mut t: Vec<char> = problem.chars().rev().take(MAX / 4).collect();
        t.reverse();
        t.into_iter().collect()
    };
    format!("{head} … {tail}").into()
}

impl From<Arc<worksection::Error>> for ToolError {
    fn from(e: Arc<worksection::Error>) -> Self {
        Self::Upstream(e)
    }
}

impl From<worksection::Error> for ToolError {
    fn from(e: worksection::Error) -> Self {
        Self::Upstream(Arc::new(e))
    }
}

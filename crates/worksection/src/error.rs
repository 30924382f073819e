//! The one error type of the client, and the sentences it shows people.
//!
//! Worksection reports most problems as HTTP 200 with `status: error`, a
//! numeric `status_code`, a `message` and sometimes `message_details`; OAuth2
//! problems come as `error`/`errorDescription`. Both are kept verbatim (in
//! `ApiMessage` and `Error::OAuth`) and classified, so callers can react
//! (sign in again, enable a scope, wait, fix an id) and people read one
//! sentence that says what went wrong. Advice that depends on who is asking
//! (a tray menu, a command) is not here: the layer that knows adds it.
//! Each error has an [`ErrorKind`] (as ripgrep's `globset::Error` does), so
//! a caller tells a configuration mistake, which no retry fixes, from a
//! problem met at run time. No variant ever holds a token, key, hash or
//! authorization code.

use std::fmt;
use std::time::Duration;

/// What Worksection said, verbatim.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiMessage {
    pub status_code: Option<i64>,
    pub message: String,
    pub details: Option<String>,
}

impl fmt::Display for ApiMessage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "\"{}", self.message)?;
        if let Some(d) = self.details.as_deref().filter(|d| !d.is_empty()) {
            write!(f, ": {d}")?;
        }
        f.write_str("\"")?;
        if let Some(code) = self.status_code {
            write!(f, " (status {code})")?;
        }
        Ok(())
    }
}

/// Why Worksection would not let a request in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthProblem {
    /// The access token expired and could not be refreshed.
    TokenExpired,
    /// The access token is unknown or was revoked.
    TokenInvalid,
    /// The refresh token is dead too: only a new sign-in helps.
    SignInAgain,
    /// The app was not granted a scope the action needs.
    MissingScope(String),
    /// A user method (`me`, `get_my_timer`) called with the admin API key.
    UserMethodWithApiKey(&'static str),
    /// The admin API key (and so the request hash) is wrong.
    BadApiKey,
}

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    #[error("{}", auth_sentence(.problem, .said.as_ref()))]
    Auth {
        problem: AuthProblem,
        said: Option<ApiMessage>,
    },

    #[error(
        "Worksection is limiting requests (it allows about one per second per account) and kept refusing after retries."
    )]
    RateLimited { retry_after: Option<Duration> },

    #[error("Worksection could not find it: {said}. Check the id.")]
    NotFound { said: ApiMessage },

    #[error("Worksection rejected the request: {said}.")]
    InvalidRequest { said: ApiMessage },

    #[error("Worksection answered with an error: {said}.")]
    Api { said: ApiMessage },

    #[error(
        "Worksection did not answer ({detail}); it may be down or unreachable from this computer. Try again shortly."
    )]
    Upstream { detail: String, status: Option<u16> },

    #[error("Worksection sent an answer that could not be read ({detail}); try again shortly.")]
    BadResponse { detail: String },

    #[error("The file is larger than the {limit} byte limit.")]
    TooLarge { limit: u64 },

    #[error("Worksection refused the sign-in: {description} ({error}).")]
    OAuth { error: String, description: String },

    #[error("{0}")]
    InvalidArgument(String),

    #[error("Configuration problem: {0}")]
    Config(String),

    /// Something on this computer failed at run time (the caller's token
    /// store, a cache): neither Worksection nor the configuration.
    #[error("{0}")]
    Local(String),
}

fn auth_sentence(problem: &AuthProblem, said: Option<&ApiMessage>) -> String {
    let base = match problem {
        AuthProblem::TokenExpired => {
            "Worksection says the access token has expired and it could not be renewed; sign in again.".to_owned()
        }
        AuthProblem::TokenInvalid => {
            "Worksection does not accept the access token (it was revoked or is invalid); sign in again.".to_owned()
        }
        AuthProblem::SignInAgain => {
            "The Worksection sign-in has expired or was revoked; sign in again.".to_owned()
        }
        AuthProblem::MissingScope(scope) => format!(
            "The app was not allowed the `{scope}` permission in Worksection; sign in again and allow it."
        ),
        AuthProblem::UserMethodWithApiKey(action) => format!(
            "`{action}` works only for a signed-in user (OAuth2), not with the admin API key; sign in with OAuth2 to use it."
        ),
        AuthProblem::BadApiKey => {
            "Worksection rejected the request signature; check that the admin API key is the account's current one.".to_owned()
        }
    };
    match said {
        Some(s) => format!("{base} Worksection said {s}."),
        None => base,
    }
}

/// What sort of problem an [`Error`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The client was set up wrong (a URL, a rate, missing credentials):
    /// fixed by changing the configuration, never by trying again.
    Config,
    /// An argument of a call is wrong; nothing was sent.
    InvalidArgument,
    /// Worksection would not let the request in (token, key, scope).
    Auth,
    /// Worksection kept limiting requests.
    RateLimited,
    /// What was asked for does not exist.
    NotFound,
    /// Worksection refused the request's parameters.
    InvalidRequest,
    /// Another error Worksection answered with.
    Api,
    /// Worksection or the way to it did not answer.
    Upstream,
    /// The answer could not be read.
    BadResponse,
    /// A file over the size limit.
    TooLarge,
    /// The OAuth2 sign-in was refused.
    OAuth,
    /// Something on this computer failed at run time (a store, a cache).
    Local,
}

impl Error {
    pub fn kind(&self) -> ErrorKind {
        match self {
            Self::Auth { .. } => ErrorKind::Auth,
            Self::RateLimited { .. } => ErrorKind::RateLimited,
            Self::NotFound { .. } => ErrorKind::NotFound,
            Self::InvalidRequest { .. } => ErrorKind::InvalidRequest,
            Self::Api { .. } => ErrorKind::Api,
            Self::Upstream { .. } => ErrorKind::Upstream,
            Self::BadResponse { .. } => ErrorKind::BadResponse,
            Self::TooLarge { .. } => ErrorKind::TooLarge,
            Self::OAuth { .. } => ErrorKind::OAuth,
            Self::InvalidArgument(_) => ErrorKind::InvalidArgument,
            Self::Config(_) => ErrorKind::Config,
            Self::Local(_) => ErrorKind::Local,
        }
    }

    /// A mistake in the configuration rather than a problem met at run
    /// time.
    pub fn is_config(&self) -> bool {
        self.kind() == ErrorKind::Config
    }

    /// Worth trying again later: outages, rate limits, unreadable answers.
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            Self::RateLimited { .. } | Self::Upstream { .. } | Self::BadResponse { .. }
        )
    }

    pub fn is_auth(&self) -> bool {
        matches!(self, Self::Auth { .. })
    }

    /// Only a new sign-in can fix this.
    pub fn needs_sign_in(&self) -> bool {
        matches!(
            self,
            Self::Auth {
                problem: AuthProblem::TokenExpired
                    | AuthProblem::TokenInvalid
                    | AuthProblem::SignInAgain,
                ..
            }
        )
    }

    /// Worksection's own words, when it sent some.
    pub fn api_message(&self) -> Option<&ApiMessage> {
        match self {
            Self::NotFound { said } | Self::InvalidRequest { said } | Self::Api { said } => {
                Some(said)
            }
            Self::Auth { said, .. } => said.as_ref(),
            _ => None,
        }
    }

    /// Worksection's `status_code`, when it sent one.
    pub fn status_code(&self) -> Option<i64> {
        self.api_message().and_then(|m| m.status_code)
    }

    /// Classifies a `status: error` answer of the client API.
    pub(crate) fn from_api(said: ApiMessage) -> Self {
        let lower = said.message.to_ascii_lowercase();
        let details = said.details.clone().unwrap_or_default();
        // Worksection may answer its rate limit as HTTP 200 with `status:
        // error` ("Too many requests", as its 429 says it): the transport
        // retries it like a 429.
        if said.status_code == Some(429)
            || lower.contains("too many requests")
            || lower.contains("rate limit")
        {
            return Self::RateLimited { retry_after: None };
        }
        if lower.contains("hash") {
            return Self::Auth {
                problem: AuthProblem::BadApiKey,
                said: Some(said),
            };
        }
        if lower.contains("access denied") || details.contains("scope") {
            let scope = details
                .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .find(|w| w.ends_with("_read") || w.ends_with("_write") || *w == "administrative")
                .unwrap_or("the required")
                .to_owned();
            return Self::Auth {
                problem: AuthProblem::MissingScope(scope),
                said: Some(said),
            };
        }
        // Codes first: 4 and 5 are unknown projects, tasks and files; 10 and
        // 11 missing or malformed parameters. Other codes (timers, states)
        // fall back on the message.
        match said.status_code {
            Some(4 | 5) => Self::NotFound { said },
            Some(10 | 11) => Self::InvalidRequest { said },
            _ if lower.contains("not found") => Self::NotFound { said },
            _ => Self::Api { said },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn said(code: i64, message: &str, details: Option<&str>) -> ApiMessage {
        ApiMessage {
            status_code: Some(code),
            message: message.into(),
            details: details.map(Into::into),
        }
    }

    #[test]
    fn classifies_worksection_errors() {
        assert!(matches!(
            Error::from_api(said(4, "Project is invalid", None)),
            Error::NotFound { .. }
        ));
        assert!(matches!(
            Error::from_api(said(5, "Task is invalid", None)),
            Error::NotFound { .. }
        ));
        assert!(matches!(
            Error::from_api(said(4, "File not found", None)),
            Error::NotFound { .. }
        ));
        assert!(matches!(
            Error::from_api(said(10, "Field is required", Some("period"))),
            Error::InvalidRequest { .. }
        ));
        assert!(matches!(
            Error::from_api(said(7, "Timer not found", None)),
            Error::NotFound { .. }
        ));
        let scope = Error::from_api(said(
            7,
            "Access denied",
            Some("scope costs_read is required"),
        ));
        assert!(
            matches!(&scope, Error::Auth { problem: AuthProblem::MissingScope(s), .. } if s == "costs_read")
        );
        assert!(scope.to_string().contains("`costs_read`"));
        assert!(matches!(
            Error::from_api(said(2, "Action hash is missed or invalid", None)),
            Error::Auth {
                problem: AuthProblem::BadApiKey,
                ..
            }
        ));
        assert!(matches!(
            Error::from_api(said(12, "Task is already closed", None)),
            Error::Api { .. }
        ));
        assert!(matches!(
            Error::from_api(said(11, "Filter is invalid", Some("x"))),
            Error::InvalidRequest { .. }
        ));
    }

    #[test]
    fn sentences_say_what_to_do() {
        let e = Error::from_api(said(4, "Project is invalid", None));
        assert_eq!(
            e.to_string(),
            "Worksection could not find it: \"Project is invalid\" (status 4). Check the id."
        );
        assert_eq!(e.status_code(), Some(4));
        let e = Error::Auth {
            problem: AuthProblem::SignInAgain,
            said: None,
        };
        assert!(e.to_string().contains("sign in again") && e.needs_sign_in());
        assert!(!e.to_string().contains("tray") && !e.to_string().contains("worksection-mcp"));
        assert!(matches!(
            Error::from_api(said(429, "Too many requests", None)),
            Error::RateLimited { .. }
        ));
        assert!(Error::Config("x".into()).is_config());
        assert!(!Error::Local("the token store could not be read".into()).is_config());
        assert!(
            Error::Upstream {
                detail: "timed out".into(),
                status: None
            }
            .is_retryable()
        );
    }
}

//! The app's one error type. Each error is one sentence for the person
//! that says what to do next, and has a [`Kind`] the page acts on (it
//! chooses its advice by kind: "needs setup" opens the ways to sign in, a
//! refused key offers to enter it again, a taken port to choose another).
//! It carries what it came from: the client's [`worksection::Error`] (and
//! so its [`worksection::ErrorKind`]), the token store's [`StoreError`],
//! the sign-in's [`SignInError`]. Serialized as `{kind, message}`, written
//! by hand as Tauri's own plugins write theirs; [`ErrorView`] is the same
//! pair kept in the app's state.

use serde::ser::SerializeStruct as _;
use serde::{Serialize, Serializer};
use worksection::ErrorKind;
use worksection_auth::{SignInError, StoreError};

/// What sort of failure it is, for the page to choose its advice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// No way to sign in is set up yet.
    NeedsSetup,
    /// Nothing is saved to serve: sign in (again).
    NotSignedIn,
    /// Worksection did not accept the admin API key.
    KeyRefused,
    /// Worksection, an account or the sign-in server did not answer.
    Unreachable,
    /// Another program holds the app's port.
    PortTaken,
    /// The OS keychain is locked, refused access, or is not running.
    KeychainLocked,
    /// The token store failed otherwise (a damaged entry, its file).
    Store,
    /// A sign-in that did not complete (denied, the wrong answer).
    SignIn,
    /// Worksection answered with another problem.
    Worksection,
    /// What was typed or set is not usable.
    Invalid,
    /// The server is not running, so there is nothing to do that with.
    NotServing,
    /// Something on this computer failed (a file, the clipboard, a window).
    Local,
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(
        "Choose how to sign in: with your own Worksection app, or with the account's admin API key."
    )]
    NeedsSetup,
    /// What is missing, and what to click.
    #[error("{0}")]
    NotSignedIn(&'static str),
    #[error(
        "The API key was not saved: {account} did not accept it. Copy the key again from Account settings → API in Worksection, check the account address, then try again."
    )]
    KeyRefused { account: String },
    /// Checking an admin API key with one live call failed otherwise.
    #[error(
        "The API key was not saved: {source} Check the account address and the key (Account settings → API in Worksection), then try again."
    )]
    KeyCheck { source: worksection::Error },
    /// An account that did not answer within `seconds`.
    #[error(
        "The API key was not saved: {account} did not answer within {seconds} seconds; check the account address and your network, then try again."
    )]
    NoAnswer { account: String, seconds: u64 },
    #[error(
        "Port {port} is taken by another program, so assistants cannot reach this app; enter a free port under Settings (such as {}) and click Save.",
        port.saturating_add(1)
    )]
    PortTaken { port: u16 },
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A sign-in that did not complete; `own_app` when it was checking an
    /// app the person typed in (which was then not saved).
    #[error("{}", signin_sentence(.source, *.own_app))]
    SignIn { source: SignInError, own_app: bool },
    #[error("{0}")]
    Invalid(String),
    #[error("{0}")]
    NotServing(String),
    #[error("{0}")]
    Local(String),
}

fn signin_sentence(e: &SignInError, own_app: bool) -> String {
    match e {
        SignInError::Exchange(_) if own_app => format!(
            "{e} Your app's details were not saved: check the Client ID and Client secret in Worksection (Account settings → API → OAuth2), then try again."
        ),
        e => e.to_string(),
    }
}

impl From<SignInError> for Error {
    fn from(source: SignInError) -> Self {
        Error::SignIn {
            source,
            own_app: false,
        }
    }
}

/// The kind of a problem the client met.
fn worksection_kind(e: &worksection::Error) -> Kind {
    match e.kind() {
        ErrorKind::Upstream => Kind::Unreachable,
        ErrorKind::Config | ErrorKind::InvalidArgument => Kind::Invalid,
        _ => Kind::Worksection,
    }
}

fn store_kind(e: &StoreError) -> Kind {
    match e {
        StoreError::KeychainLocked { .. } | StoreError::KeychainUnavailable { .. } => {
            Kind::KeychainLocked
        }
        _ => Kind::Store,
    }
}

impl Error {
    pub fn kind(&self) -> Kind {
        match self {
            Error::NeedsSetup => Kind::NeedsSetup,
            Error::NotSignedIn(_) => Kind::NotSignedIn,
            Error::KeyRefused { .. } => Kind::KeyRefused,
            Error::KeyCheck { source } => worksection_kind(source),
            Error::NoAnswer { .. } => Kind::Unreachable,
            Error::PortTaken { .. } => Kind::PortTaken,
            Error::Store(e) => store_kind(e),
            Error::SignIn { source, .. } => match source {
                SignInError::Exchange(e) => match worksection_kind(e) {
                    Kind::Worksection => Kind::SignIn,
                    other => other,
                },
                SignInError::Store(e) => store_kind(e),
                SignInError::Config(_) => Kind::Invalid,
                _ => Kind::SignIn,
            },
            Error::Invalid(_) => Kind::Invalid,
            Error::NotServing(_) => Kind::NotServing,
            Error::Local(_) => Kind::Local,
        }
    }

    /// The error as the page sees it (and as the state keeps it).
    pub fn view(&self) -> ErrorView {
        ErrorView {
            kind: self.kind(),
            message: self.to_string(),
        }
    }
}

/// An error as the page sees it: its kind and its sentence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ErrorView {
    pub kind: Kind,
    pub message: String,
}

impl Serialize for Error {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut s = serializer.serialize_struct("Error", 2)?;
        s.serialize_field("kind", &self.kind())?;
        s.serialize_field("message", &self.to_string())?;
        s.end()
    }
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;

    fn json(e: Error) -> serde_json::Value {
        serde_json::to_value(e).expect("json")
    }

    #[test]
    fn errors_serialize_as_kind_and_message() {
        let e = json(Error::Invalid("Port 80 is reserved.".into()));
        assert_eq!(
            e,
            serde_json::json!({"kind": "invalid", "message": "Port 80 is reserved."})
        );
        let e = json(Error::NeedsSetup);
        assert_eq!(e["kind"], "needs_setup");
        assert!(e["message"].as_str().is_some_and(|m| m.contains("API key")));
    }

    /// Each kind the page gives advice for comes from the cause it names:
    /// the client's error kind, the store's error, the port.
    #[test]
    fn the_kind_follows_what_it_came_from() {
        let down = || worksection::Error::Upstream {
            detail: "connection refused".into(),
            status: None,
        };
        let refused = Error::KeyRefused {
            account: "https://acme.worksection.com".into(),
        };
        assert_eq!(json(refused)["kind"], "key_refused");
        let e = json(Error::KeyCheck { source: down() });
        assert_eq!(e["kind"], "unreachable");
        assert!(
            e["message"]
                .as_str()
                .is_some_and(|m| m.contains("Check the account address")),
            "{e}"
        );
        assert_eq!(
            json(Error::from(SignInError::Exchange(down())))["kind"],
            "unreachable"
        );
        let e = json(Error::PortTaken { port: 8000 });
        assert_eq!(e["kind"], "port_taken");
        assert!(
            e["message"]
                .as_str()
                .is_some_and(|m| m.starts_with("Port 8000 is taken") && m.contains("8001")),
            "{e}"
        );
        let locked = StoreError::KeychainLocked {
            reason: "the collection is locked".into(),
        };
        assert_eq!(json(Error::from(locked))["kind"], "keychain_locked");
        let damaged = StoreError::Corrupt {
            path: PathBuf::from("tokens.enc"),
            why: "cut short".into(),
        };
        assert_eq!(json(Error::from(damaged))["kind"], "store");
        let own = Error::SignIn {
            source: SignInError::Exchange(worksection::Error::OAuth {
                error: "invalid_client".into(),
                description: "Client authentication failed".into(),
            }),
            own_app: true,
        };
        let e = json(own);
        assert_eq!(e["kind"], "sign_in");
        assert!(
            e["message"]
                .as_str()
                .is_some_and(|m| m.contains("Client secret")),
            "{e}"
        );
    }
}

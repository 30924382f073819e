//! The error every command answers with: one sentence for the person that
//! says what to do next, and a kind the page can act on (`needs_setup`
//! opens the three ways to sign in). Serialized as `{kind, message}`, the
//! way Tauri's own plugins serialize theirs as their message.

use serde::ser::SerializeStruct as _;
use serde::{Serialize, Serializer};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// No way to sign in is set up yet.
    #[error(
        "Choose how to sign in: with your own Worksection app, or with the account's admin API key."
    )]
    NeedsSetup,
    /// Anything else, as one sentence.
    #[error("{0}")]
    Failed(String),
}

impl Error {
    pub fn kind(&self) -> &'static str {
        match self {
            Error::NeedsSetup => "needs_setup",
            Error::Failed(_) => "failed",
        }
    }
}

impl From<String> for Error {
    fn from(e: String) -> Self {
        Error::Failed(e)
    }
}

impl From<&str> for Error {
    fn from(e: &str) -> Self {
        Error::Failed(e.to_owned())
    }
}

impl Serialize for Error {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut s = serializer.serialize_struct("Error", 2)?;
        s.serialize_field("kind", self.kind())?;
        s.serialize_field("message", &self.to_string())?;
        s.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_serialize_as_kind_and_message() {
        let e = serde_json::to_value(Error::from("Port 80 is reserved.")).expect("json");
        assert_eq!(
            e,
            serde_json::json!({"kind": "failed", "message": "Port 80 is reserved."})
        );
        let e = serde_json::to_value(Error::NeedsSetup).expect("json");
        assert_eq!(e["kind"], "needs_setup");
        assert!(e["message"].as_str().is_some_and(|m| m.contains("API key")));
    }
}

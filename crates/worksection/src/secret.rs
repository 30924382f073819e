//! Secrets are `secrecy`'s [`SecretString`]: `Debug` prints
//! `[REDACTED]`, the memory is zeroed on drop, and only `expose_secret`
//! reads the value, so every place that needs it is easy to find.
//!
//! `secrecy` serializes no string on purpose; the token store must, so
//! the one place a secret is written out is this `serialize_with` helper
//! (`#[serde(serialize_with = "worksection::secret::serialize")]`), which
//! writes the plain string, as the store always held it.

use secrecy::{ExposeSecret, SecretString};
use serde::Serializer;

/// Writes the secret as the plain string it is (for the token store).
pub fn serialize<S: Serializer>(secret: &SecretString, to: S) -> Result<S::Ok, S::Error> {
    to.serialize_str(secret.expose_secret())
}

/// [`serialize`] for an optional secret: `null` when there is none.
pub fn serialize_option<S: Serializer>(
    secret: &Option<SecretString>,
    to: S,
) -> Result<S::Ok, S::Error> {
    match secret {
        Some(s) => to.serialize_str(s.expose_secret()),
        None => to.serialize_none(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Serialize, serde::Deserialize)]
    struct Kept {
        #[serde(serialize_with = "serialize")]
        a: SecretString,
        #[serde(serialize_with = "serialize_option")]
        b: Option<SecretString>,
    }

    #[test]
    fn never_prints_itself_and_writes_the_plain_string() {
        let kept = Kept {
            a: SecretString::from("hunter2"),
            b: Some(SecretString::from("hunter3")),
        };
        let shown = format!("{:?} {:?}", kept.a, kept.b);
        assert!(!shown.contains("hunter"), "{shown}");
        let json = serde_json::to_string(&kept).expect("json");
        assert_eq!(json, r#"{"a":"hunter2","b":"hunter3"}"#);
        let back: Kept = serde_json::from_str(&json).expect("back");
        assert_eq!(back.a.expose_secret(), "hunter2");
        let none = Kept { b: None, ..back };
        assert_eq!(
            serde_json::to_string(&none).expect("json"),
            r#"{"a":"hunter2","b":null}"#
        );
    }
}

//! The server's own secrets: tokens, codes and client secrets, made from
//! the operating system's randomness and kept only as hashes.
//!
//! Every secret this server hands out is 32 random bytes in base64url with
//! a short prefix that says what it is (`wsat_` an access token, `wsrt_` a
//! refresh token, `wsac_` an authorization code, `wscs_` a client secret,
//! `wsfl_` a sign-in in progress), so a leaked one is recognisable in a
//! scan. The store keeps only the SHA-256 of each (a lookup key that is
//! useless to whoever reads the database), and compares in constant time
//! where it compares at all.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;
use sha2::{Digest, Sha256};

/// What a secret is, by its prefix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    AccessToken,
    RefreshToken,
    Code,
    ClientSecret,
    Flow,
}

impl Kind {
    pub fn prefix(self) -> &'static str {
        match self {
            Self::AccessToken => "wsat_",
            Self::RefreshToken => "wsrt_",
            Self::Code => "wsac_",
            Self::ClientSecret => "wscs_",
            Self::Flow => "wsfl_",
        }
    }
}

/// A fresh secret of `kind`.
pub fn new(kind: Kind) -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    format!("{}{}", kind.prefix(), URL_SAFE_NO_PAD.encode(bytes))
}

/// A short random id that is not a secret (a registered client's id).
pub fn id(prefix: &str) -> String {
    let mut bytes = [0u8; 12];
    rand::rng().fill_bytes(&mut bytes);
    format!("{prefix}{}", URL_SAFE_NO_PAD.encode(bytes))
}

/// The store's key for a secret: its SHA-256, in hex.
pub fn hash(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// Whether `given` is the secret whose hash is `stored`, in time that does
/// not depend on where they differ.
pub fn matches(given: &str, stored: &str) -> bool {
    let h = hash(given);
    bool::from(subtle::ConstantTimeEq::ct_eq(
        h.as_bytes(),
        stored.as_bytes(),
    ))
}

/// Whether `s` looks like a secret of `kind` (prefix and length), so an
/// obviously wrong value is refused before any lookup.
pub fn looks_like(s: &str, kind: Kind) -> bool {
    s.strip_prefix(kind.prefix()).is_some_and(|rest| {
        rest.len() == 43
            && rest
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_fresh_prefixed_and_hashed() {
        let a = new(Kind::AccessToken);
        let b = new(Kind::AccessToken);
        assert_ne!(a, b);
        assert!(looks_like(&a, Kind::AccessToken));
        assert!(!looks_like(&a, Kind::RefreshToken));
        assert!(matches(&a, &hash(&a)));
        assert!(!matches(&b, &hash(&a)));
        assert_eq!(hash(&a).len(), 64);
        assert!(!hash(&a).contains(&a[5..]));
    }
}

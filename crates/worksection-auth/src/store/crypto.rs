//! The token file's format and its encryption: the part of the file store
//! (`file.rs`) that turns sign-ins into bytes that are safe on disk.
//!
//! A token file is a small header followed by one XChaCha20-Poly1305
//! ciphertext of the JSON of every stored sign-in:
//!
//! ```text
//! magic "WSMCPTOK" | format u8 (1) | key kind u8
//!   key kind 1: a 32-byte key (TOKEN_ENCRYPTION_KEY as hex or base64, or tokens.key)
//!   key kind 2: a passphrase stretched with Argon2id: salt [16] | m_cost u32le | t_cost u32le | p_cost u32le
//! key check [16] | nonce [24] | ciphertext with its 16-byte tag
//! ```
//!
//! Why these choices:
//! - XChaCha20-Poly1305's 24-byte nonce is safe to draw at random on every
//!   write, with no counter to keep; the whole header is the AEAD's
//!   associated data, so editing any of it makes decryption fail.
//! - Argon2id is a password KDF (slow and memory-hard), so a passphrase is
//!   costly to guess; its salt and cost sit in the header, so they can be
//!   raised later without breaking old files.
//! - The key check (a hash of the key, truncated) tells a wrong key from a
//!   damaged file, so each gets its own message. It makes guessing no
//!   easier: a 32-byte key is out of reach anyway, and checking a guessed
//!   passphrase still costs an Argon2id run.

use base64::Engine as _;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use rand::TryRngCore;
use sha2::{Digest, Sha256};
use worksection::{ExposeSecret, SecretBox, SecretString};
use zeroize::Zeroizing;

use super::StoreError;

const MAGIC: &[u8; 8] = b"WSMCPTOK";
/// The format this code writes; files of a later format are refused.
pub(crate) const FORMAT: u8 = 1;
const KIND_RAW: u8 = 1;
const KIND_ARGON2ID: u8 = 2;
const SALT_LEN: usize = 16;
const CHECK_LEN: usize = 16;
const NONCE_LEN: usize = 24;
const TAG_LEN: usize = 16;
/// Shortest passphrase accepted: anything shorter is too easy to guess.
pub(crate) const MIN_PASSPHRASE_CHARS: usize = 16;

/// A 32-byte encryption key: `secrecy`'s box, so it is wiped from memory
/// when dropped and `Debug` redacts it.
#[derive(Debug)]
pub(crate) struct Key(SecretBox<[u8; 32]>);

impl Clone for Key {
    fn clone(&self) -> Self {
        Self::filled(|k| k.copy_from_slice(self.bytes()))
    }
}

impl Key {
    /// A key written in place on the heap by `fill`.
    fn filled(fill: impl FnOnce(&mut [u8; 32])) -> Self {
        Self(SecretBox::init_with_mut(fill))
    }

    /// The key itself: for the cipher, the check and the key file only.
    fn bytes(&self) -> &[u8; 32] {
        self.0.expose_secret()
    }

    pub(crate) fn from_bytes(bytes: &[u8]) -> Option<Self> {
        (bytes.len() == 32).then(|| Self::filled(|k| k.copy_from_slice(bytes)))
    }

    pub(crate) fn random() -> Result<Self, StoreError> {
        let mut failed = None;
        let key = Self::filled(|k| failed = fill_random(k).err());
        failed.map_or(Ok(key), Err)
    }

    /// Lowercase hex, as the key file holds it.
    pub(crate) fn to_hex(&self) -> Zeroizing<String> {
        Zeroizing::new(hex::encode(self.bytes()))
    }

    pub(crate) fn from_hex(text: &str) -> Option<Self> {
        let text = text.trim();
        if text.len() != 64 {
            return None;
        }
        let bytes = Zeroizing::new(hex::decode(text).ok()?);
        Self::from_bytes(&bytes)
    }

    /// What the header keeps to tell a wrong key from a damaged file.
    fn check(&self) -> [u8; CHECK_LEN] {
        let mut hasher = Sha256::new();
        hasher.update(b"worksection-mcp token file key check\0");
        hasher.update(self.bytes());
        let digest = hasher.finalize();
        let mut out = [0u8; CHECK_LEN];
        out.copy_from_slice(&digest[..CHECK_LEN]);
        out
    }
}

/// What `TOKEN_ENCRYPTION_KEY` holds; `Debug` redacts either.
#[derive(Debug, Clone)]
pub(crate) enum UserKey {
    /// 64 hex characters or the base64 of 32 bytes: used as it is.
    Raw(Key),
    /// Anything else of at least 16 characters: stretched with Argon2id.
    Passphrase(SecretString),
}

impl UserKey {
    /// Reads `TOKEN_ENCRYPTION_KEY`. Hex is tried first, then base64
    /// (standard or URL-safe, padded or not); a value that decodes to exactly
    /// 32 bytes is a key, anything else long enough is a passphrase.
    pub(crate) fn parse(value: &str) -> Result<Self, StoreError> {
        // A trailing newline from `$(cat keyfile)` is not part of the key.
        let value = value.trim();
        if value.is_empty() {
            return Err(StoreError::BadKey { why: "it is empty" });
        }
        if let Some(key) = Key::from_hex(value) {
            return Ok(UserKey::Raw(key));
        }
        let engines = [
            &base64::engine::general_purpose::STANDARD,
            &base64::engine::general_purpose::STANDARD_NO_PAD,
            &base64::engine::general_purpose::URL_SAFE,
            &base64::engine::general_purpose::URL_SAFE_NO_PAD,
        ];
        for engine in engines {
            if let Ok(bytes) = engine.decode(value) {
                let bytes = Zeroizing::new(bytes);
                if let Some(key) = Key::from_bytes(&bytes) {
                    return Ok(UserKey::Raw(key));
                }
            }
        }
        if value.chars().count() < MIN_PASSPHRASE_CHARS {
            return Err(StoreError::BadKey {
                why: "it is neither a 32-byte key nor a passphrase of 16 characters or more",
            });
        }
        Ok(UserKey::Passphrase(SecretString::from(value)))
    }
}

/// Argon2id's cost, as kept in the header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Argon2Cost {
    /// Memory in KiB.
    pub m_cost: u32,
    pub t_cost: u32,
    pub p_cost: u32,
}

impl Argon2Cost {
    /// OWASP's first recommendation for Argon2id: 19 MiB, 2 passes.
    pub(crate) const DEFAULT: Self = Self {
        m_cost: 19 * 1024,
        t_cost: 2,
        p_cost: 1,
    };

    /// Costs read from a file are bounded before they are used, so a damaged
    /// header cannot make the server try to allocate gigabytes.
    fn is_sane(&self) -> bool {
        (8..=1024 * 1024).contains(&self.m_cost)
            && (1..=64).contains(&self.t_cost)
            && (1..=16).contains(&self.p_cost)
    }
}

/// How the file's key was made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum KeyOrigin {
    /// A 32-byte key used as it is.
    Raw,
    /// A passphrase through Argon2id with this salt and cost.
    Argon2id {
        salt: [u8; SALT_LEN],
        cost: Argon2Cost,
    },
}

impl KeyOrigin {
    /// A fresh salt with the default cost, for a file's first write.
    pub(crate) fn new_argon2id() -> Result<Self, StoreError> {
        let mut salt = [0u8; SALT_LEN];
        fill_random(&mut salt)?;
        Ok(KeyOrigin::Argon2id {
            salt,
            cost: Argon2Cost::DEFAULT,
        })
    }

    /// Stretches `passphrase` into the file's key. Slow on purpose.
    pub(crate) fn derive(&self, passphrase: &str) -> Result<Key, DecodeError> {
        let KeyOrigin::Argon2id { salt, cost } = self else {
            return Err(DecodeError::Damaged(
                "the key kind does not take a passphrase",
            ));
        };
        let params = argon2::Params::new(cost.m_cost, cost.t_cost, cost.p_cost, Some(32))
            .map_err(|_| DecodeError::Damaged("its key-stretching cost is not valid"))?;
        let argon =
            argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params);
        let mut failed = false;
        let key = Key::filled(|k| {
            failed = argon
                .hash_password_into(passphrase.as_bytes(), salt, k)
                .is_err();
        });
        if failed {
            return Err(DecodeError::Damaged("its key-stretching cost is not valid"));
        }
        Ok(key)
    }
}

/// A parsed header and where the ciphertext starts.
#[derive(Debug)]
pub(crate) struct Header {
    pub origin: KeyOrigin,
    check: [u8; CHECK_LEN],
    nonce: [u8; NONCE_LEN],
    len: usize,
}

/// Why bytes could not be read as a token file. `file.rs` adds the path
/// and turns these into [`StoreError`]s.
#[derive(Debug)]
pub(crate) enum DecodeError {
    /// Damaged or not a token file at all.
    Damaged(&'static str),
    /// Written by a later version of this program.
    NewerFormat(u8),
    /// The key is not the one the file was written with.
    WrongKey,
}

/// Reads the header of a token file.
pub(crate) fn parse_header(bytes: &[u8]) -> Result<Header, DecodeError> {
    let mut at = Reader { bytes, at: 0 };
    let magic = at.take(MAGIC.len())?;
    if magic != MAGIC {
        return Err(DecodeError::Damaged(
            "it is not a worksection-mcp token file",
        ));
    }
    let format = at.byte()?;
    if format > FORMAT {
        return Err(DecodeError::NewerFormat(format));
    }
    if format != FORMAT {
        return Err(DecodeError::Damaged("its format number is not valid"));
    }
    let origin = match at.byte()? {
        KIND_RAW => KeyOrigin::Raw,
        KIND_ARGON2ID => {
            let mut salt = [0u8; SALT_LEN];
            salt.copy_from_slice(at.take(SALT_LEN)?);
            let cost = Argon2Cost {
                m_cost: at.u32()?,
                t_cost: at.u32()?,
                p_cost: at.u32()?,
            };
            if !cost.is_sane() {
                return Err(DecodeError::Damaged("its key-stretching cost is not valid"));
            }
            KeyOrigin::Argon2id { salt, cost }
        }
        _ => return Err(DecodeError::Damaged("its key kind is not valid")),
    };
    let mut check = [0u8; CHECK_LEN];
    check.copy_from_slice(at.take(CHECK_LEN)?);
    let mut nonce = [0u8; NONCE_LEN];
    nonce.copy_from_slice(at.take(NONCE_LEN)?);
    Ok(Header {
        origin,
        check,
        nonce,
        len: at.at,
    })
}

/// Decrypts a whole token file whose header is `header`, with `key`.
pub(crate) fn open_sealed(
    bytes: &[u8],
    header: &Header,
    key: &Key,
) -> Result<Zeroizing<Vec<u8>>, DecodeError> {
    if header.check != key.check() {
        return Err(DecodeError::WrongKey);
    }
    let (aad, ciphertext) = bytes.split_at(header.len.min(bytes.len()));
    if ciphertext.len() < TAG_LEN {
        return Err(DecodeError::Damaged("it is cut short"));
    }
    let cipher = cipher(key);
    let nonce = XNonce::from(header.nonce);
    cipher
        .decrypt(
            &nonce,
            Payload {
                msg: ciphertext,
                aad,
            },
        )
        .map(Zeroizing::new)
        .map_err(|_| {
            DecodeError::Damaged(
                "it does not decrypt: it was changed or cut short after it was written",
            )
        })
}

/// Encrypts `plaintext` into a whole token file, under a fresh nonce.
pub(crate) fn seal(key: &Key, origin: &KeyOrigin, plaintext: &[u8]) -> Result<Vec<u8>, StoreError> {
    let mut nonce = [0u8; NONCE_LEN];
    fill_random(&mut nonce)?;
    let mut out = Vec::with_capacity(128 + plaintext.len() + TAG_LEN);
    out.extend_from_slice(MAGIC);
    out.push(FORMAT);
    match origin {
        KeyOrigin::Raw => out.push(KIND_RAW),
        KeyOrigin::Argon2id { salt, cost } => {
            out.push(KIND_ARGON2ID);
            out.extend_from_slice(salt);
            out.extend_from_slice(&cost.m_cost.to_le_bytes());
            out.extend_from_slice(&cost.t_cost.to_le_bytes());
            out.extend_from_slice(&cost.p_cost.to_le_bytes());
        }
    }
    out.extend_from_slice(&key.check());
    out.extend_from_slice(&nonce);
    let ciphertext = cipher(key)
        .encrypt(
            &XNonce::from(nonce),
            Payload {
                msg: plaintext,
                aad: &out,
            },
        )
        .map_err(|_| StoreError::Internal {
            what: "encrypt the sign-ins",
        })?;
    out.extend_from_slice(&ciphertext);
    Ok(out)
}

fn cipher(key: &Key) -> XChaCha20Poly1305 {
    XChaCha20Poly1305::new(&(*key.bytes()).into())
}

/// Fills `buf` from the operating system's random source.
pub(crate) fn fill_random(buf: &mut [u8]) -> Result<(), StoreError> {
    rand::rngs::OsRng
        .try_fill_bytes(buf)
        .map_err(|e| StoreError::Random {
            reason: e.to_string(),
        })
}

/// A cursor over the header that reports running out as a cut-short file.
struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], DecodeError> {
        let end = self
            .at
            .checked_add(n)
            .filter(|&end| end <= self.bytes.len());
        let end = end.ok_or(DecodeError::Damaged("it is cut short"))?;
        let out = &self.bytes[self.at..end];
        self.at = end;
        Ok(out)
    }

    fn byte(&mut self) -> Result<u8, DecodeError> {
        Ok(self.take(1)?[0])
    }

    fn u32(&mut self) -> Result<u32, DecodeError> {
        let mut b = [0u8; 4];
        b.copy_from_slice(self.take(4)?);
        Ok(u32::from_le_bytes(b))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seal_then_open() {
        let key = Key::random().expect("random");
        let sealed = seal(&key, &KeyOrigin::Raw, b"{\"x\":1}").expect("seal");
        let header = parse_header(&sealed).expect("header");
        let plain = open_sealed(&sealed, &header, &key).expect("open");
        assert_eq!(plain.as_slice(), b"{\"x\":1}");
    }

    #[test]
    fn header_edits_are_caught() {
        let key = Key::random().expect("random");
        let mut sealed = seal(&key, &KeyOrigin::Raw, b"hello").expect("seal");
        // Flip a nonce bit: the header is the associated data.
        sealed[MAGIC.len() + 2 + CHECK_LEN] ^= 1;
        let header = parse_header(&sealed).expect("header");
        assert!(matches!(
            open_sealed(&sealed, &header, &key),
            Err(DecodeError::Damaged(_))
        ));
    }

    #[test]
    fn key_forms() {
        let hex = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
        assert!(matches!(UserKey::parse(hex), Ok(UserKey::Raw(_))));
        assert!(matches!(
            UserKey::parse(&format!(" {hex}\n")),
            Ok(UserKey::Raw(_))
        ));
        let b64 = base64::engine::general_purpose::STANDARD.encode([7u8; 32]);
        assert!(matches!(UserKey::parse(&b64), Ok(UserKey::Raw(_))));
        let b64url = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode([0xfbu8; 32]);
        assert!(matches!(UserKey::parse(&b64url), Ok(UserKey::Raw(_))));
        assert!(matches!(
            UserKey::parse("correct horse battery staple"),
            Ok(UserKey::Passphrase(_))
        ));
        // Base64 of 16 bytes is not a key, but long enough for a passphrase.
        let short_b64 = base64::engine::general_purpose::STANDARD.encode([1u8; 16]);
        assert!(matches!(
            UserKey::parse(&short_b64),
            Ok(UserKey::Passphrase(_))
        ));
        let err = UserKey::parse("hunter2").expect_err("too short");
        assert!(!err.to_string().contains("hunter2"));
        assert!(UserKey::parse("   ").is_err());
        assert_eq!(
            format!("{:?}", UserKey::parse(hex).expect("hex")),
            "Raw(Key(SecretBox<[u8; 32]>([REDACTED])))"
        );
        assert_eq!(
            format!(
                "{:?}",
                UserKey::parse("correct horse battery staple").expect("phrase")
            ),
            "Passphrase(SecretBox<str>([REDACTED]))"
        );
    }

    #[test]
    fn passphrase_keys_depend_on_the_salt() {
        let a = KeyOrigin::new_argon2id().expect("salt");
        let b = KeyOrigin::new_argon2id().expect("salt");
        let ka = a.derive("a passphrase of some length").expect("derive");
        let ka2 = a.derive("a passphrase of some length").expect("derive");
        let kb = b.derive("a passphrase of some length").expect("derive");
        assert_eq!(ka.check(), ka2.check());
        assert_ne!(ka.check(), kb.check());
    }
}

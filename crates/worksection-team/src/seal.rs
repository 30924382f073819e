//! Sealing what the store keeps of Worksection's tokens: XChaCha20-Poly1305
//! (the `chacha20poly1305` crate, as the desktop's token file uses) under
//! a 32-byte key from the environment (`MCP_TEAM_KEY`, hex or base64), a
//! file (`MCP_TEAM_KEY_FILE`), or, when neither is given, a key file made
//! once beside the store (readable by its owner only).
//!
//! A sealed value is `nonce [24] | ciphertext and tag`, with the row it
//! belongs to as associated data, so a sealed value copied onto another
//! person's row does not open. A random 24-byte nonce per seal needs no
//! counter. The store keeps a check value (a sealed constant) to tell a
//! wrong key from a damaged row at start.

use std::path::{Path, PathBuf};

use base64::Engine as _;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use rand::RngCore;
use zeroize::Zeroizing;

const NONCE_LEN: usize = 24;

/// Where the key comes from.
#[derive(Debug, Clone)]
pub enum KeySource {
    /// The key itself (hex or base64 of 32 bytes).
    Value(worksection::SecretString),
    /// A file holding it.
    File(PathBuf),
    /// A file made on first use when missing.
    Generated(PathBuf),
}

/// Why a key could not be had.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error(
        "MCP_TEAM_KEY must be 32 bytes in hex (64 characters) or base64; generate one with `openssl rand -hex 32`"
    )]
    Malformed,
    #[error("the key file {0} could not be read: {1}")]
    Unreadable(PathBuf, std::io::Error),
    #[error("the key file {0} does not hold 32 bytes in hex or base64")]
    BadFile(PathBuf),
    #[error("the key file {0} could not be written: {1}")]
    Unwritable(PathBuf, std::io::Error),
}

/// The sealing key.
pub struct Sealer {
    cipher: XChaCha20Poly1305,
}

impl std::fmt::Debug for Sealer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Sealer(..)")
    }
}

/// A sealed value did not open: the wrong key, or a damaged or moved row.
#[derive(Debug, thiserror::Error)]
#[error("a sealed value in the store does not open with this key")]
pub struct Unsealable;

fn parse_key(text: &str) -> Option<Zeroizing<Vec<u8>>> {
    let t = text.trim();
    let bytes = if t.len() == 64 && t.bytes().all(|b| b.is_ascii_hexdigit()) {
        hex::decode(t).ok()?
    } else {
        base64::engine::general_purpose::STANDARD
            .decode(t)
            .or_else(|_| base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(t))
            .ok()?
    };
    (bytes.len() == 32).then(|| Zeroizing::new(bytes))
}

impl Sealer {
    pub fn open(source: &KeySource) -> Result<Self, KeyError> {
        let key = match source {
            KeySource::Value(v) => {
                parse_key(worksection::ExposeSecret::expose_secret(v)).ok_or(KeyError::Malformed)?
            }
            KeySource::File(path) => read_key_file(path)?,
            KeySource::Generated(path) => match std::fs::metadata(path) {
                Ok(_) => read_key_file(path)?,
                Err(_) => {
                    let mut bytes = Zeroizing::new(vec![0u8; 32]);
                    rand::rng().fill_bytes(&mut bytes);
                    let text = Zeroizing::new(hex::encode(&*bytes));
                    write_private(path, text.as_bytes())
                        .map_err(|e| KeyError::Unwritable(path.clone(), e))?;
                    bytes
                }
            },
        };
        let cipher = XChaCha20Poly1305::new_from_slice(&key).map_err(|_| KeyError::Malformed)?;
        Ok(Self { cipher })
    }

    /// Seals `plain` for the row `row`.
    pub fn seal(&self, row: &str, plain: &[u8]) -> Vec<u8> {
        let mut nonce = [0u8; NONCE_LEN];
        rand::rng().fill_bytes(&mut nonce);
        let sealed = self
            .cipher
            .encrypt(
                &XNonce::from(nonce),
                Payload {
                    msg: plain,
                    aad: row.as_bytes(),
                },
            )
            // Encryption fails only for plaintexts of gigabytes.
            .unwrap_or_default();
        let mut out = nonce.to_vec();
        out.extend_from_slice(&sealed);
        out
    }

    /// Opens what [`Sealer::seal`] sealed for `row`.
    pub fn open_sealed(&self, row: &str, sealed: &[u8]) -> Result<Zeroizing<Vec<u8>>, Unsealable> {
        if sealed.len() < NONCE_LEN + 16 {
            return Err(Unsealable);
        }
        let (nonce, body) = sealed.split_at(NONCE_LEN);
        let nonce: [u8; NONCE_LEN] = nonce.try_into().map_err(|_| Unsealable)?;
        self.cipher
            .decrypt(
                &XNonce::from(nonce),
                Payload {
                    msg: body,
                    aad: row.as_bytes(),
                },
            )
            .map(Zeroizing::new)
            .map_err(|_| Unsealable)
    }
}

fn read_key_file(path: &Path) -> Result<Zeroizing<Vec<u8>>, KeyError> {
    let text = Zeroizing::new(
        std::fs::read_to_string(path).map_err(|e| KeyError::Unreadable(path.to_owned(), e))?,
    );
    parse_key(&text).ok_or_else(|| KeyError::BadFile(path.to_owned()))
}

/// Writes a file only its owner reads, whole or not at all.
pub(crate) fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write as _;
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let mut builder = tempfile::Builder::new();
    builder.prefix(".key.").suffix(".tmp");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        builder.permissions(std::fs::Permissions::from_mode(0o600));
    }
    let mut temp = builder.tempfile_in(dir)?;
    temp.write_all(bytes)?;
    temp.as_file().sync_all()?;
    temp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_values_open_only_with_their_key_and_row() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("team.key");
        let a = Sealer::open(&KeySource::Generated(path.clone())).expect("made");
        let again = Sealer::open(&KeySource::Generated(path.clone())).expect("read back");
        let sealed = a.seal("person-1", b"refresh me");
        assert!(!sealed.windows(10).any(|w| w == b"refresh me"));
        assert_eq!(
            &*again.open_sealed("person-1", &sealed).expect("opens"),
            b"refresh me"
        );
        assert!(
            a.open_sealed("person-2", &sealed).is_err(),
            "bound to its row"
        );
        let other = Sealer::open(&KeySource::Value(hex::encode([7u8; 32]).into())).expect("key");
        assert!(
            other.open_sealed("person-1", &sealed).is_err(),
            "bound to its key"
        );
        assert!(matches!(
            Sealer::open(&KeySource::Value("short".into())),
            Err(KeyError::Malformed)
        ));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).expect("file").permissions().mode();
            assert_eq!(mode & 0o077, 0, "owner only");
        }
    }
}

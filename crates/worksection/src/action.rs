//! What one upstream action is: its name, its parameters, its answer.
//!
//! Every action of `api` is a small struct that implements [`Action`]: it
//! serializes (with serde) into the parameters Worksection expects, names
//! the action, and reads its answer into a typed value. `Client::send`
//! takes any of them, so there is one path for every request (one retry
//! budget, one way to sign) and callers such as a cache can key a request
//! by [`Action::NAME`] and its [`Params::canonical`] text.
//!
//! ```no_run
//! # async fn demo(client: worksection::Client) -> Result<(), worksection::Error> {
//! use worksection::api::tasks::{GetTasks, TaskExtra};
//! let tasks = client.send(&GetTasks::new(6622).extra([TaskExtra::Text])).await?;
//! # Ok(()) }
//! ```

use bytes::Bytes;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use serde::Serialize;
use serde_json::{Map, Value};

use crate::error::Error;

/// One read action of Worksection's API.
pub trait Action: Serialize + Send + Sync {
    /// The `action=` name.
    const NAME: &'static str;
    /// Whether only a signed-in user (OAuth2) may call it (`me`,
    /// `get_my_timer`); the admin API key is refused before any request.
    const USER_ONLY: bool = false;
    /// What a successful answer is read into.
    type Answer: Send + 'static;

    /// Checks the parameters before anything is sent.
    fn check(&self) -> Result<(), Error> {
        Ok(())
    }

    /// Reads a successful HTTP answer's body (which may still be
    /// Worksection's `status: error`, classified by `decode`).
    fn read(body: &Bytes) -> Result<Self::Answer, Error>;
}

/// The key of one request (its action's name and parameters): see
/// [`Params::key`].
pub fn request_key<A: Action + ?Sized>(action: &A) -> Result<String, Error> {
    Ok(Params::of(action)?.key(A::NAME))
}

/// An action's parameters, in the order they are sent: as `key=value`
/// pairs (the md5 scheme's query) and as the JSON object the header
/// schemes send as the body.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Params {
    json: Map<String, Value>,
}

impl Params {
    /// Serializes `action`'s parameters. Absent options are left out;
    /// numbers and strings are kept as they are.
    pub fn of<A: Action + ?Sized>(action: &A) -> Result<Self, Error> {
        let value = serde_json::to_value(action)
            .map_err(|e| Error::InvalidArgument(format!("the parameters of {} ({e})", A::NAME)))?;
        let json = match value {
            Value::Object(map) => map,
            Value::Null => Map::new(),
            other => {
                return Err(Error::InvalidArgument(format!(
                    "the parameters of {} are not a set of fields ({other})",
                    A::NAME
                )));
            }
        };
        let json = json.into_iter().filter(|(_, v)| !v.is_null()).collect();
        Ok(Self { json })
    }

    pub fn is_empty(&self) -> bool {
        self.json.is_empty()
    }

    /// The JSON body of the header schemes.
    pub fn json(&self) -> &Map<String, Value> {
        &self.json
    }

    /// The parameters as text pairs, in order.
    pub fn pairs(&self) -> Vec<(String, String)> {
        self.json
            .iter()
            .map(|(k, v)| (k.clone(), text(v)))
            .collect()
    }

    /// `NAME k=v&k=v`: one request of `action` with these parameters, as
    /// caches key it and as [`crate::Client::decode_problems`] knows it.
    pub fn key(&self, action: &str) -> String {
        format!("{action} {}", self.canonical())
    }

    /// `k=v&k=v` with values as they are (not encoded): a stable key for
    /// caches, and the string the md5 scheme hashes over decoded values.
    pub fn canonical(&self) -> String {
        self.pairs()
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("&")
    }
}

/// A parameter's text: strings as they are, numbers in JSON's digits,
/// booleans as Worksection's `1`/`0`.
fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Bool(b) => u8::from(*b).to_string(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// Writes the parameters of an action under `action=NAME` as a query
/// string for the md5 scheme.
///
/// Why this encoding: the md5 hash covers the query, and Worksection does
/// not say whether it hashes the query as it arrives or after decoding it.
/// A character that is sent as itself is the same in both readings, so
/// every character the query syntax allows as data (RFC 3986 `pchar`:
/// letters, digits, `-._~`, and `! $ ( ) * , : @ / ?`) is left alone:
/// commas in `extra=text,files`, `@` in emails, `:` and `.` in dates and
/// times. Only what would change the query's meaning or is not allowed in
/// it is percent-encoded: space, `"`, `'` (which `url` would encode on its
/// own for http(s), so the bytes hashed and sent would differ), `&`, `=`,
/// `#`, `%`, `+` (decoded as a space by form parsers), `;` (a separator
/// for some servers), `[` `]` (PHP's array syntax), the other ASCII
/// punctuation, controls and all non-ASCII bytes. For a query with any of
/// those the two readings differ, so the client learns which one the
/// account checks (see `auth`), one more reason the HMAC header, which
/// hashes only `action:time`, is the default.
pub(crate) fn md5_query(action: &str, params: &Params) -> (String, bool) {
    let mut out = String::from("action=");
    let mut encoded = encode_into(action, &mut out);
    for (k, v) in params.pairs() {
        out.push('&');
        encoded |= encode_into(&k, &mut out);
        out.push('=');
        encoded |= encode_into(&v, &mut out);
    }
    (out, encoded)
}

/// What the md5 query percent-encodes (see [`md5_query`]): every byte but
/// ASCII letters, digits and the RFC 3986 `pchar` punctuation
/// `- . _ ~ ! $ ( ) * , : @ / ?`. Non-ASCII bytes are always encoded.
const QUERY_DATA: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~')
    .remove(b'!')
    .remove(b'$')
    .remove(b'(')
    .remove(b')')
    .remove(b'*')
    .remove(b',')
    .remove(b':')
    .remove(b'@')
    .remove(b'/')
    .remove(b'?');

/// `s` with what must be percent-encoded encoded (see [`md5_query`]).
pub(crate) fn encode(s: &str) -> String {
    utf8_percent_encode(s, QUERY_DATA).to_string()
}

/// Appends `s`, percent-encoding what must be; true when anything was.
fn encode_into(s: &str, out: &mut String) -> bool {
    let before = out.len();
    out.extend(utf8_percent_encode(s, QUERY_DATA));
    // Every encoded byte takes three: the text grew only if one was.
    out.len() - before != s.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Serialize)]
    struct Probe {
        extra: &'static str,
        email_user_from: &'static str,
        filter: &'static str,
        datestart: &'static str,
        id_project: u64,
        skipped: Option<u8>,
    }

    impl Action for Probe {
        const NAME: &'static str = "search_tasks";
        type Answer = ();
        fn read(_: &Bytes) -> Result<(), Error> {
            Ok(())
        }
    }

    #[test]
    fn md5_queries_leave_what_the_syntax_allows() {
        let p = Params::of(&Probe {
            extra: "text,files",
            email_user_from: "ann@acme.example",
            filter: "name has 'A&B' and dateadd>'01.05.2026'",
            datestart: "01.05.2026",
            id_project: 26,
            skipped: None,
        })
        .expect("params");
        let (q, encoded) = md5_query(Probe::NAME, &p);
        assert_eq!(
            q,
            "action=search_tasks&extra=text,files&email_user_from=ann@acme.example\
             &filter=name%20has%20%27A%26B%27%20and%20dateadd%3E%2701.05.2026%27\
             &datestart=01.05.2026&id_project=26"
        );
        assert!(encoded);
        assert_eq!(
            p.canonical(),
            "extra=text,files&email_user_from=ann@acme.example&filter=name has 'A&B' and \
             dateadd>'01.05.2026'&datestart=01.05.2026&id_project=26"
        );
        let plain = Params::of(&Probe {
            extra: "text,files",
            email_user_from: "a@b.c",
            filter: "x",
            datestart: "01.05.2026",
            id_project: 1,
            skipped: None,
        })
        .expect("params");
        assert!(!md5_query(Probe::NAME, &plain).1, "nothing to encode");
        // The query survives `url` unchanged, so what is hashed is sent.
        let mut url = url::Url::parse("https://acme.worksection.com/api/admin/v2").expect("url");
        url.set_query(Some(&q));
        assert_eq!(url.query(), Some(q.as_str()));
        for raw in ["ü", "+", "#", "%", "=", "\"", ";", "[", " "] {
            let mut s = String::new();
            assert!(encode_into(raw, &mut s), "{raw}");
        }
    }

    /// The encoding as it was written by hand before the `percent-encoding`
    /// crate: a byte stays itself when it is an ASCII letter or digit or
    /// one of `-._~!$()*,:@/?`, and is written `%XX` (upper-case hex)
    /// otherwise.
    fn by_hand(bytes: &[u8]) -> String {
        bytes
            .iter()
            .map(|&b| {
                if b.is_ascii_alphanumeric() || b"-._~!$()*,:@/?".contains(&b) {
                    char::from(b).to_string()
                } else {
                    format!("%{b:02X}")
                }
            })
            .collect()
    }

    #[test]
    fn the_encoding_is_the_same_byte_for_byte() {
        for b in 0..=u8::MAX {
            let crate_form = percent_encoding::percent_encode(&[b], QUERY_DATA).to_string();
            assert_eq!(crate_form, by_hand(&[b]), "byte {b:#04x}");
        }
        // Every character of the strings the client sends is UTF-8: the
        // same bytes, through the `&str` the query is built from.
        for c in (0..=0x10_FFFF).step_by(97).filter_map(char::from_u32) {
            let s = format!("a{c}b");
            let mut out = String::new();
            let encoded = encode_into(&s, &mut out);
            assert_eq!(out, by_hand(s.as_bytes()), "{c:?}");
            assert_eq!(encoded, out != s, "{c:?}");
        }
        for raw in [
            "",
            "text,files",
            "ann@acme.example",
            "name has 'A&B' and dateadd>'01.05.2026'",
            "ü+#%=\";[] ",
            "%20",
        ] {
            assert_eq!(encode(raw), by_hand(raw.as_bytes()), "{raw}");
        }
    }
}

//! The records the store keeps. Times are Unix seconds.

use serde::{Deserialize, Serialize};

/// A client the server knows: registered (RFC 7591) or described by its
/// client ID metadata document (fetched, remembered for a while).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Client {
    pub client_id: String,
    pub name: String,
    pub redirect_uris: Vec<String>,
    /// `none`, `client_secret_post` or `client_secret_basic`.
    pub auth_method: String,
    /// The hash of the client secret, for the two secret methods.
    pub secret_hash: Option<String>,
    /// `true` for a metadata document's client (its id is its URL).
    pub from_metadata: bool,
    pub created: i64,
}

/// Where a sign-in in progress stands.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub enum FlowStage {
    /// Sent to Worksection; waiting for its callback.
    AtWorksection,
    /// Back from Worksection as this person; waiting for Allow or Deny.
    Consent { person: String },
}

/// A sign-in in progress: the client's authorization request, checked.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Flow {
    pub client_id: String,
    pub client_name: String,
    pub redirect_uri: String,
    pub state: Option<String>,
    pub code_challenge: String,
    pub resource: String,
    pub scope: String,
    pub stage: FlowStage,
    pub expires: i64,
}

/// What an authorization code stands for.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct CodeGrant {
    pub client_id: String,
    pub redirect_uri: String,
    pub code_challenge: String,
    pub resource: String,
    pub scope: String,
    pub person: String,
    pub expires: i64,
    /// The grant made when the code was redeemed, so a replay ends it.
    pub grant: Option<String>,
}

/// One person's consent to one client: the family of its tokens.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Grant {
    pub id: String,
    pub person: String,
    pub client_id: String,
    pub scope: String,
    pub resource: String,
    pub created: i64,
    pub revoked: bool,
}

/// What an access or refresh token says, looked up.
#[derive(Debug, Clone, PartialEq)]
pub struct TokenCheck {
    pub grant: Grant,
    /// The resource the token is for (access tokens).
    pub audience: String,
    pub expires: i64,
    /// A refresh token spent before.
    pub spent: bool,
}

/// A person signed in through Worksection.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Person {
    /// `<account host>/<Worksection user id>`.
    pub id: String,
    pub account_url: String,
    pub user_id: String,
    pub email: String,
    pub name: String,
    pub signed_in: i64,
}

/// A person, for `team people`.
#[derive(Debug, Clone, PartialEq)]
pub struct PersonSummary {
    pub person: Person,
    pub last_seen: Option<i64>,
    /// Live grants (clients signed in as them).
    pub grants: usize,
    /// Whether Worksection's tokens are held.
    pub connected: bool,
}

/// One tool call, as the audit log keeps it: who, when, what, how it
/// went, how large. Never arguments' text or answers' content.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct AuditEntry {
    pub at: i64,
    pub person: String,
    pub client_id: String,
    pub tool: String,
    /// The id arguments (`task_id=123`).
    pub ids: String,
    /// `ok` or `error`.
    pub outcome: String,
    pub bytes: u64,
    pub duration_ms: u64,
    pub upstream_requests: u32,
}

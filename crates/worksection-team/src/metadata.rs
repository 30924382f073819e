//! The documents clients discover the server by: RFC 9728 protected
//! resource metadata (at the root and in the path-suffixed form for
//! `/mcp`) and RFC 8414 authorization server metadata.

use serde_json::{Value, json};

use crate::config::TeamConfig;

/// The one scope this read-only server grants: reading the person's
/// Worksection, as Worksection shows it to them.
pub const SCOPE: &str = "worksection:read";

/// What the one scope lets a client read, for the consent page.
pub const READS: &[&str] = &[
    "projects and their teams",
    "tasks, subtasks and comments",
    "files attached to them",
    "time and costs",
    "people, tags and the activity log",
];

/// Protected resource metadata for `resource` (the MCP endpoint, or the
/// origin for the root document).
pub fn protected_resource(config: &TeamConfig, resource: &str) -> Value {
    json!({
        "resource": resource,
        "authorization_servers": [config.issuer()],
        "scopes_supported": [SCOPE],
        "bearer_methods_supported": ["header"],
        "resource_name": "Worksection MCP",
    })
}

/// Authorization server metadata.
pub fn authorization_server(config: &TeamConfig) -> Value {
    let issuer = config.issuer();
    json!({
        "issuer": issuer,
        "authorization_endpoint": format!("{issuer}/authorize"),
        "token_endpoint": format!("{issuer}/token"),
        "registration_endpoint": format!("{issuer}/register"),
        "revocation_endpoint": format!("{issuer}/revoke"),
        "scopes_supported": [SCOPE],
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code", "refresh_token"],
        "token_endpoint_auth_methods_supported": ["none", "client_secret_post", "client_secret_basic"],
        "revocation_endpoint_auth_methods_supported": ["none", "client_secret_post", "client_secret_basic"],
        "code_challenge_methods_supported": ["S256"],
        "authorization_response_iss_parameter_supported": true,
        "client_id_metadata_document_supported": true,
    })
}

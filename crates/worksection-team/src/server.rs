//! The team server's shared parts ([`Team`]) and the resource server's
//! check of every MCP request ([`Team::authenticate`]). Its HTTP routes
//! are `routes`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;
use worksection::auth::{Bearer, OAuthApp};

use crate::config::TeamConfig;
use crate::fetch::Fetcher;
use crate::metadata::SCOPE;
use crate::pace::AccountPace;
use crate::people::{self, Viewer};
use crate::secrets::{self, Kind};
use crate::shared::{Shared, SharedError};
use crate::store::{AuditEntry, Store, StoreError};

/// Everything the team server's parts share.
pub struct Team {
    pub(crate) config: TeamConfig,
    pub(crate) store: Store,
    pub(crate) fetcher: Fetcher,
    pub(crate) app: OAuthApp,
    shared: Option<Shared>,
    paces: Mutex<HashMap<String, AccountPace>>,
}

impl std::fmt::Debug for Team {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Team")
            .field("issuer", &self.config.issuer())
            .finish_non_exhaustive()
    }
}

/// Why the team server could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("{0}")]
    Store(#[from] StoreError),
    #[error("the company's Worksection app is not usable: {0}")]
    App(String),
    #[error("the metadata fetcher could not be set up: {0}")]
    Fetcher(String),
    #[error("{0}")]
    Shared(#[from] SharedError),
}

/// Why an MCP request was not let in: RFC 6750's answer.
#[derive(Debug, Clone, PartialEq)]
pub struct Refusal {
    pub status: StatusCode,
    /// `None` when the request carried no token at all.
    pub error: Option<&'static str>,
    pub description: String,
    resource_metadata: String,
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        let mut challenge = format!(
            "Bearer resource_metadata=\"{}\", scope=\"{SCOPE}\"",
            self.resource_metadata
        );
        if let Some(e) = self.error {
            challenge.push_str(&format!(
                ", error=\"{e}\", error_description=\"{}\"",
                self.description.replace(['"', '\\'], "'")
            ));
        }
        let body = match self.error {
            Some(e) => json!({"error": e, "error_description": self.description}),
            None => json!({"error": "unauthorized", "error_description": self.description}),
        };
        let mut resp = (self.status, axum::Json(body)).into_response();
        if let Ok(v) = HeaderValue::from_str(&challenge) {
            resp.headers_mut().insert(header::WWW_AUTHENTICATE, v);
        }
        resp
    }
}

pub(crate) fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

impl Team {
    /// Opens the store and sets up the parts. With a Redis URL the handle
    /// starts down and finds Redis by itself ([`Team::start`] waits for
    /// its first answer); needs a Tokio runtime then.
    pub fn open(config: TeamConfig) -> Result<Arc<Self>, StartError> {
        let shared = config.redis_url.as_deref().map(Shared::open).transpose()?;
        let store = match &shared {
            Some(shared) => {
                Store::open_redis(shared.clone(), &config.data_dir, config.key.clone())?
            }
            None => Store::open_embedded(&config.data_dir, config.key.clone())?,
        };
        let fetcher = Fetcher::new(config.fetch.clone()).map_err(StartError::Fetcher)?;
        let app = people::oauth_app(&config.app, &config.worksection_redirect())
            .map_err(|e| StartError::App(e.to_string()))?;
        Ok(Arc::new(Self {
            config,
            store,
            fetcher,
            app,
            shared,
            paces: Mutex::new(HashMap::new()),
        }))
    }

    /// [`Team::open`], then waits for Redis's first answer (if any), so
    /// the replica starts sharing rather than degraded when Redis is up,
    /// and checks that its key opens what the replicas sealed.
    pub async fn start(config: TeamConfig) -> Result<Arc<Self>, StartError> {
        let team = Self::open(config)?;
        if let Some(shared) = &team.shared {
            shared.beat().await;
            if shared.is_up() {
                team.store.check_key().await?;
            } else {
                tracing::warn!(
                    "Redis does not answer yet; this replica starts alone (degraded) and shares once it does"
                );
            }
        }
        Ok(team)
    }

    /// The Redis the replicas share (with `--redis-url`).
    pub fn shared(&self) -> Option<&Shared> {
        self.shared.as_ref()
    }

    pub fn config(&self) -> &TeamConfig {
        &self.config
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The protected resource metadata URL of the MCP endpoint.
    pub fn resource_metadata_url(&self) -> String {
        format!(
            "{}/.well-known/oauth-protected-resource/mcp",
            self.config.issuer()
        )
    }

    /// Checks an MCP request's access token: who it is for, or RFC 6750's
    /// refusal (401 without a valid token; never the request's content).
    pub async fn authenticate(&self, headers: &HeaderMap) -> Result<Viewer, Refusal> {
        let refuse = |status: StatusCode, error: Option<&'static str>, description: &str| Refusal {
            status,
            error,
            description: description.to_owned(),
            resource_metadata: self.resource_metadata_url(),
        };
        let invalid = |d: &str| refuse(StatusCode::UNAUTHORIZED, Some("invalid_token"), d);
        let Some(value) = headers.get(header::AUTHORIZATION) else {
            return Err(refuse(
                StatusCode::UNAUTHORIZED,
                None,
                "This server needs an access token of its own authorization server; discover it from the resource metadata.",
            ));
        };
        let token = value
            .to_str()
            .ok()
            .and_then(|v| v.split_once(' '))
            .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
            .map(|(_, t)| t.trim())
            .ok_or_else(|| invalid("The Authorization header is not a Bearer token."))?;
        if !secrets::looks_like(token, Kind::AccessToken) {
            return Err(invalid("The access token is not one this server issued."));
        }
        let check = self
            .store
            .access(&secrets::hash(token))
            .await
            .map_err(|e| {
                tracing::error!(error = %e, "the team store failed while checking a token");
                refuse(
                    StatusCode::SERVICE_UNAVAILABLE,
                    Some("temporarily_unavailable"),
                    "The server's store is not answering; try again shortly.",
                )
            })?
            .ok_or_else(|| invalid("The access token is not valid (unknown or revoked)."))?;
        if check.grant.revoked {
            return Err(invalid("The access token was revoked."));
        }
        if check.expires <= now() {
            return Err(invalid("The access token has expired."));
        }
        if !self.config.is_own_resource(&check.audience) {
            return Err(invalid("The access token was issued for another resource."));
        }
        let person = self
            .store
            .person(&check.grant.person)
            .await
            .ok()
            .flatten()
            .ok_or_else(|| invalid("The person of this token is no longer signed in."))?;
        metrics::counter!("worksection_team_authenticated_requests_total").increment(1);
        Ok(Viewer {
            person: person.id,
            name: person.name,
            email: person.email,
            account_url: person.account_url,
            client_id: check.grant.client_id,
            grant: check.grant.id,
        })
    }

    /// The bearer credentials of a person's Worksection sign-in, renewed
    /// by the server; `None` when they are signed out.
    pub async fn upstream(&self, person: &str) -> Result<Option<Bearer>, StoreError> {
        let Some(tokens) = self.store.upstream_tokens(person).await? else {
            return Ok(None);
        };
        Ok(Some(people::bearer(
            self.app.clone(),
            self.store.clone(),
            person,
            tokens,
        )))
    }

    /// The pace of a Worksection account (one per account, shared by all
    /// its people; with Redis, by all replicas too).
    pub fn pace(&self, account_url: &str) -> AccountPace {
        let key = people::account_key(account_url);
        let mut paces = self.paces.lock().unwrap_or_else(|p| p.into_inner());
        paces
            .entry(key)
            .or_insert_with_key(|key| match &self.shared {
                Some(shared) => {
                    AccountPace::shared(self.config.requests_per_second, shared.clone(), key)
                }
                None => AccountPace::new(self.config.requests_per_second),
            })
            .clone()
    }

    /// Records one tool call of `viewer`: the audit log and the metrics.
    /// Only facts about the call: never its arguments' text or its answer.
    pub async fn record_call(&self, viewer: &Viewer, call: CallRecord<'_>) {
        let outcome = if call.ok { "ok" } else { "error" };
        metrics::counter!("worksection_team_tool_calls_total", "tool" => call.tool.to_owned(), "outcome" => outcome)
            .increment(1);
        metrics::histogram!("worksection_team_tool_call_seconds", "tool" => call.tool.to_owned())
            .record(call.duration_ms as f64 / 1000.0);
        metrics::counter!("worksection_team_upstream_requests_by_calls_total")
            .increment(u64::from(call.upstream_requests));
        if call.upstream_requests == 0 && call.ok {
            metrics::counter!("worksection_team_cache_answered_calls_total").increment(1);
        }
        let entry = AuditEntry {
            at: call.at,
            person: viewer.person.clone(),
            client_id: viewer.client_id.clone(),
            tool: call.tool.to_owned(),
            ids: call.ids.to_owned(),
            outcome: outcome.to_owned(),
            bytes: call.bytes,
            duration_ms: call.duration_ms,
            upstream_requests: call.upstream_requests,
        };
        if let Err(e) = self.store.audit(&entry).await {
            tracing::error!(error = %e, "the audit log could not be written");
        }
        let _ = self.store.seen(&viewer.person, call.at).await;
    }
}

/// One tool call, for [`Team::record_call`].
#[derive(Debug, Clone, Copy)]
pub struct CallRecord<'a> {
    pub at: i64,
    pub tool: &'a str,
    /// The id arguments (`task_id=123`), never other argument values.
    pub ids: &'a str,
    pub ok: bool,
    pub bytes: u64,
    pub duration_ms: u64,
    pub upstream_requests: u32,
}

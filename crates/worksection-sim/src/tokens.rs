//! Issued OAuth2 codes and tokens: what the sign-in hands out and what
//! the client API checks bearer tokens against.
//!
//! Codes are single-use and live 10 minutes; refreshing rotates the refresh
//! token and revokes the access token it replaced.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use rand::RngCore;

/// An OAuth2 refusal: the `error` code and its description.
pub type Refusal = (&'static str, &'static str);

const CODE_TTL: Duration = Duration::from_secs(600);

/// What a user allowed an app to do.
#[derive(Debug, Clone)]
pub struct Grant {
    pub user: u64,
    pub scopes: Vec<String>,
}

#[derive(Debug)]
struct CodeEntry {
    grant: Grant,
    redirect_uri: String,
    expires: Instant,
    used: bool,
}

#[derive(Debug)]
struct RefreshEntry {
    grant: Grant,
    expires: Instant,
    /// The access token issued with this refresh token; revoked when the
    /// refresh token is used.
    access_token: String,
}

/// Why a bearer token was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenProblem {
    Missing,
    Unknown,
    Expired,
}

/// Issued codes and tokens.
#[derive(Debug)]
pub struct Tokens {
    access_ttl: Duration,
    refresh_ttl: Duration,
    codes: HashMap<String, CodeEntry>,
    access: HashMap<String, (Grant, Instant)>,
    refresh: HashMap<String, RefreshEntry>,
    /// Refresh tokens already used, so a replay is told it was revoked.
    spent_refresh: HashMap<String, Instant>,
}

impl Tokens {
    pub fn new(access_ttl: Duration, refresh_ttl: Duration) -> Self {
        Self {
            access_ttl,
            refresh_ttl,
            codes: HashMap::new(),
            access: HashMap::new(),
            refresh: HashMap::new(),
            spent_refresh: HashMap::new(),
        }
    }

    /// Looks up a bearer token.
    pub fn check(&self, token: &str) -> Result<Grant, TokenProblem> {
        match self.access.get(token) {
            None => Err(TokenProblem::Unknown),
            Some((_, expires)) if *expires <= Instant::now() => Err(TokenProblem::Expired),
            Some((grant, _)) => Ok(grant.clone()),
        }
    }

    /// Forgets every access and refresh token (a password change, an admin
    /// revoking the app, ...).
    pub fn revoke_all(&mut self) {
        self.access.clear();
        let now = Instant::now();
        for (token, _) in self.refresh.drain() {
            self.spent_refresh.insert(token, now);
        }
    }

    pub fn issue_code(&mut self, grant: Grant, redirect_uri: &str) -> String {
        let code = random_token("");
        self.codes.insert(
            code.clone(),
            CodeEntry {
                grant,
                redirect_uri: redirect_uri.to_owned(),
                expires: Instant::now() + CODE_TTL,
                used: false,
            },
        );
        code
    }

    pub fn issue_tokens(&mut self, grant: Grant) -> (String, String) {
        let access = random_token("");
        let refresh = random_token("def50200");
        let now = Instant::now();
        self.access
            .insert(access.clone(), (grant.clone(), now + self.access_ttl));
        self.refresh.insert(
            refresh.clone(),
            RefreshEntry {
                grant,
                expires: now + self.refresh_ttl,
                access_token: access.clone(),
            },
        );
        (access, refresh)
    }

    /// The access tokens' lifetime.
    pub fn access_ttl(&self) -> Duration {
        self.access_ttl
    }

    /// Exchanges a code issued for `redirect_uri` for an access and a
    /// refresh token.
    pub fn exchange_code(
        &mut self,
        code: &str,
        redirect_uri: &str,
    ) -> Result<(String, String), Refusal> {
        let entry = self
            .codes
            .get_mut(code)
            .ok_or(("invalid_request", "Cannot decrypt the authorization code"))?;
        if entry.used {
            return Err(("invalid_request", "Authorization code has been revoked"));
        }
        if entry.expires <= Instant::now() {
            return Err(("invalid_request", "Authorization code has expired"));
        }
        if entry.redirect_uri != redirect_uri {
            return Err(("invalid_request", "Invalid redirect URI"));
        }
        entry.used = true;
        let grant = entry.grant.clone();
        Ok(self.issue_tokens(grant))
    }

    /// Rotates a refresh token: the old one and its access token die.
    pub fn refresh(&mut self, old: &str) -> Result<(String, String), Refusal> {
        if self.spent_refresh.contains_key(old) {
            return Err(("invalid_request", "Token has been revoked"));
        }
        let entry = self
            .refresh
            .remove(old)
            .ok_or(("invalid_request", "Cannot decrypt the refresh token"))?;
        self.spent_refresh.insert(old.to_owned(), Instant::now());
        if entry.expires <= Instant::now() {
            return Err(("invalid_request", "Token has expired"));
        }
        self.access.remove(&entry.access_token);
        Ok(self.issue_tokens(entry.grant))
    }
}

fn random_token(prefix: &str) -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    format!("{prefix}{}", hex::encode(bytes))
}

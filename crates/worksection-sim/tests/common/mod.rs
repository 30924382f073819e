//! Shared test plumbing: start a simulator, sign in through its consent
//! form, and call the client API in either auth mode, over real HTTP.

#![allow(dead_code)]

use chrono::NaiveDateTime;
use md5::{Digest, Md5};
use serde_json::Value;
use worksection_sim::{SimConfig, Simulator};

/// A fixed clock, so answers do not change from day to day.
pub fn fixed_now() -> NaiveDateTime {
    NaiveDateTime::parse_from_str("2026-11-24T10:30:00", "%Y-%m-%dT%H:%M:%S").expect("valid time")
}

pub async fn start(config: SimConfig) -> Simulator {
    Simulator::start(SimConfig {
        now: Some(fixed_now()),
        ..config
    })
    .await
    .expect("simulator starts")
}

/// A simulator without a rate limit, for tests that are not about it.
pub async fn start_unlimited() -> Simulator {
    start(SimConfig {
        rps: 0.0,
        ..SimConfig::default()
    })
    .await
}

pub fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("http client")
}

pub const READ_SCOPES: &str = "projects_read,tasks_read,costs_read,tags_read,comments_read,files_read,users_read,contacts_read";

/// Walks the consent page with `decision` and returns the redirect's query pairs.
pub async fn consent(sim: &Simulator, scopes: &str, decision: &str) -> Vec<(String, String)> {
    let info = sim.info();
    let form = [
        ("client_id", info.client_id.as_str()),
        ("redirect_uri", info.redirect_uri.as_str()),
        ("state", "st4te"),
        ("scope", scopes),
        ("response_type", "code"),
        ("decision", decision),
    ];
    let resp = http()
        .post(format!("{}/oauth2/authorize", info.oauth_url))
        .form(&form)
        .send()
        .await
        .expect("authorize answers");
    assert_eq!(resp.status(), 302, "consent answers a redirect");
    let location = resp
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .expect("location header")
        .to_owned();
    assert!(location.starts_with(&info.redirect_uri), "{location}");
    url::Url::parse(&location)
        .expect("valid redirect")
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

pub fn pair<'a>(pairs: &'a [(String, String)], key: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

/// Exchanges a fresh code for tokens; returns the token response.
pub async fn sign_in(sim: &Simulator, scopes: &str) -> Value {
    let pairs = consent(sim, scopes, "allow").await;
    let code = pair(&pairs, "code").expect("code in redirect").to_owned();
    oauth_post(
        sim,
        "token",
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", &sim.info().redirect_uri),
        ],
    )
    .await
}

/// POSTs to an OAuth2 endpoint with the app's credentials; expects HTTP 200.
pub async fn oauth_post(sim: &Simulator, endpoint: &str, params: &[(&str, &str)]) -> Value {
    let info = sim.info();
    let mut form = vec![
        ("client_id", info.client_id.as_str()),
        ("client_secret", info.client_secret.as_str()),
    ];
    form.extend_from_slice(params);
    let resp = http()
        .post(format!("{}/oauth2/{endpoint}", info.oauth_url))
        .form(&form)
        .send()
        .await
        .expect("oauth endpoint answers");
    assert_eq!(
        resp.status(),
        200,
        "Worksection answers OAuth2 errors with 200 too"
    );
    resp.json().await.expect("json body")
}

/// Calls an action with the admin key: `hash = md5(query + key)`.
pub async fn admin(sim: &Simulator, params: &[(&str, &str)]) -> Value {
    admin_raw(sim, params)
        .await
        .json()
        .await
        .expect("json body")
}

/// Percent-encodes what a query cannot carry as itself (RFC 3986 `pchar`
/// is left alone), as the client does for the md5 scheme.
pub fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~!$()*,:@/?".contains(&b) {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// The query of `params`, encoded as [`encode`] does.
pub fn query(params: &[(&str, &str)]) -> String {
    params
        .iter()
        .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// md5-signed over the query as sent (the simulator's default
/// `--md5-over received`).
pub async fn admin_raw(sim: &Simulator, params: &[(&str, &str)]) -> reqwest::Response {
    let info = sim.info();
    let sent = query(params);
    let hash = hex::encode(Md5::digest(format!("{sent}{}", info.api_key)));
    admin_signed(sim, &format!("{sent}&hash={hash}")).await
}

/// md5-signed over the decoded values (`--md5-over decoded`).
pub async fn admin_decoded(sim: &Simulator, params: &[(&str, &str)]) -> reqwest::Response {
    let info = sim.info();
    let signing = params
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&");
    let hash = hex::encode(Md5::digest(format!("{signing}{}", info.api_key)));
    admin_signed(sim, &format!("{}&hash={hash}", query(params))).await
}

/// POSTs `/api/admin/v2?{query}` as it is.
pub async fn admin_signed(sim: &Simulator, query: &str) -> reqwest::Response {
    let mut url =
        url::Url::parse(&format!("{}/api/admin/v2", sim.info().account_url)).expect("account url");
    url.set_query(Some(query));
    http().post(url).send().await.expect("api answers")
}

/// Calls an action with a bearer token.
pub async fn bearer_raw(
    sim: &Simulator,
    token: &str,
    params: &[(&str, &str)],
) -> reqwest::Response {
    http()
        .post(format!("{}/api/oauth2", sim.info().account_url))
        .bearer_auth(token)
        .query(params)
        .send()
        .await
        .expect("api answers")
}

pub async fn bearer(sim: &Simulator, token: &str, params: &[(&str, &str)]) -> Value {
    bearer_raw(sim, token, params)
        .await
        .json()
        .await
        .expect("json body")
}

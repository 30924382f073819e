//! Sign-in as Worksection does it: consent, single-use codes, rotating
//! refresh tokens, the resource endpoint, and HTTP-200 errors.

mod common;

use std::time::Duration;

use common::{READ_SCOPES, consent, oauth_post, pair, sign_in};
use worksection_sim::SimConfig;

#[tokio::test]
async fn consent_page_shows_account_and_scopes() {
    let sim = common::start_unlimited().await;
    let info = sim.info();
    let page = common::http()
        .get(format!("{}/oauth2/authorize", info.oauth_url))
        .query(&[
            ("client_id", info.client_id.as_str()),
            ("redirect_uri", info.redirect_uri.as_str()),
            ("state", "s"),
            ("scope", "tasks_read,files_read"),
            ("response_type", "code"),
        ])
        .send()
        .await
        .expect("page");
    assert_eq!(page.status(), 200);
    let html = page.text().await.expect("html");
    assert!(html.contains(&sim.dataset().company), "names the account");
    assert!(
        html.contains("tasks_read") && html.contains("files_read"),
        "lists the scopes"
    );
    assert!(html.contains("name=\"decision\" value=\"allow\"") && html.contains("value=\"deny\""));
}

#[tokio::test]
async fn bad_authorize_requests_are_refused_without_redirecting_to_strangers() {
    let sim = common::start_unlimited().await;
    let info = sim.info();
    let get = |client: &str, redirect: &str, scope: &str| {
        common::http()
            .get(format!("{}/oauth2/authorize", info.oauth_url))
            .query(&[
                ("client_id", client),
                ("redirect_uri", redirect),
                ("state", "s"),
                ("scope", scope),
                ("response_type", "code"),
            ])
            .send()
    };
    let unknown_client = get("nope", &info.redirect_uri, "tasks_read")
        .await
        .expect("answer");
    assert_eq!(unknown_client.status(), 400);
    let foreign_redirect = get(&info.client_id, "https://evil.example/cb", "tasks_read")
        .await
        .expect("answer");
    assert_eq!(
        foreign_redirect.status(),
        400,
        "never redirects to an unregistered URI"
    );
    let bad_scope = get(&info.client_id, &info.redirect_uri, "tasks_read,everything")
        .await
        .expect("answer");
    assert_eq!(bad_scope.status(), 302);
    let loc = bad_scope.headers()["location"]
        .to_str()
        .expect("ascii")
        .to_owned();
    assert!(
        loc.contains("error=invalid_scope") && loc.contains("state=s"),
        "{loc}"
    );
}

#[tokio::test]
async fn code_exchange_resource_and_single_use_codes() {
    let sim = common::start_unlimited().await;
    let pairs = consent(&sim, READ_SCOPES, "allow").await;
    assert_eq!(pair(&pairs, "state"), Some("st4te"));
    let code = pair(&pairs, "code").expect("code").to_owned();
    let redirect = sim.info().redirect_uri.clone();
    let exchange = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", redirect.as_str()),
    ];
    let tokens = oauth_post(&sim, "token", &exchange).await;
    assert_eq!(tokens["token_type"], "Bearer");
    assert_eq!(tokens["expires_in"], 86400);
    assert_eq!(tokens["account_url"], sim.info().account_url.as_str());
    let access = tokens["access_token"].as_str().expect("access token");
    assert!(
        tokens["refresh_token"]
            .as_str()
            .expect("refresh")
            .starts_with("def50200")
    );

    let again = oauth_post(&sim, "token", &exchange).await;
    assert_eq!(again["error"], "invalid_request");
    assert_eq!(
        again["errorDescription"],
        "Authorization code has been revoked"
    );

    let me = oauth_post(&sim, "resource", &[("access_token", access)]).await;
    let user = sim
        .dataset()
        .users
        .iter()
        .find(|u| u.id == sim.dataset().me)
        .expect("me");
    assert_eq!(me["id"], user.id.to_string());
    assert_eq!(me["email"], user.email.as_str());
    assert_eq!(me["account_url"], sim.info().account_url.as_str());

    let bogus = oauth_post(&sim, "resource", &[("access_token", "not-a-token")]).await;
    assert_eq!(bogus["error"], "not_authorized");
    assert_eq!(sim.stats().oauth.get("token"), Some(&2));
}

#[tokio::test]
async fn deny_returns_access_denied_with_state() {
    let sim = common::start_unlimited().await;
    let pairs = consent(&sim, READ_SCOPES, "deny").await;
    assert_eq!(pair(&pairs, "error"), Some("access_denied"));
    assert_eq!(pair(&pairs, "state"), Some("st4te"));
    assert_eq!(pair(&pairs, "code"), None);
}

#[tokio::test]
async fn bad_client_secret_and_unknown_code_are_200_errors() {
    let sim = common::start_unlimited().await;
    let info = sim.info();
    let resp = common::http()
        .post(format!("{}/oauth2/token", info.oauth_url))
        .form(&[
            ("client_id", info.client_id.as_str()),
            ("client_secret", "wrong"),
            ("grant_type", "authorization_code"),
            ("code", "x"),
            ("redirect_uri", info.redirect_uri.as_str()),
        ])
        .send()
        .await
        .expect("answer");
    assert_eq!(resp.status(), 200);
    let body: serde_json::Value = resp.json().await.expect("json");
    assert_eq!(body["error"], "invalid_client");
    assert_eq!(body["errorDescription"], "Client authentication failed");

    let unknown = oauth_post(
        &sim,
        "token",
        &[
            ("grant_type", "authorization_code"),
            ("code", "forged"),
            ("redirect_uri", &info.redirect_uri),
        ],
    )
    .await;
    assert_eq!(unknown["error"], "invalid_request");
    let missing = oauth_post(
        &sim,
        "token",
        &[
            ("grant_type", "authorization_code"),
            ("redirect_uri", &info.redirect_uri),
        ],
    )
    .await;
    assert!(
        missing["errorDescription"]
            .as_str()
            .expect("text")
            .contains("`code`")
    );
}

#[tokio::test]
async fn refresh_rotates_and_revokes_what_it_replaced() {
    let sim = common::start_unlimited().await;
    let first = sign_in(&sim, READ_SCOPES).await;
    let old_access = first["access_token"].as_str().expect("access");
    let old_refresh = first["refresh_token"].as_str().expect("refresh");
    let second = oauth_post(
        &sim,
        "refresh",
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", old_refresh),
        ],
    )
    .await;
    let new_access = second["access_token"].as_str().expect("new access");
    assert_ne!(new_access, old_access);
    assert_ne!(second["refresh_token"], first["refresh_token"]);

    let replay = oauth_post(
        &sim,
        "refresh",
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", old_refresh),
        ],
    )
    .await;
    assert_eq!(
        replay["error"], "invalid_request",
        "a used refresh token is dead"
    );

    let old = common::bearer_raw(&sim, old_access, &[("action", "get_users")]).await;
    assert_eq!(
        old.status(),
        401,
        "the replaced access token no longer works"
    );
    let new = common::bearer(&sim, new_access, &[("action", "get_users")]).await;
    assert_eq!(new["status"], "ok");
}

#[tokio::test]
async fn tokens_expire_after_their_ttl() {
    let sim = common::start(SimConfig {
        rps: 0.0,
        access_ttl: Duration::from_millis(300),
        ..SimConfig::default()
    })
    .await;
    let tokens = sign_in(&sim, READ_SCOPES).await;
    assert_eq!(tokens["expires_in"], 0, "TTL below a second rounds down");
    let access = tokens["access_token"].as_str().expect("access");
    tokio::time::sleep(Duration::from_millis(400)).await;
    let resp = common::bearer_raw(&sim, access, &[("action", "get_users")]).await;
    assert_eq!(resp.status(), 401);
    let body: serde_json::Value = resp.json().await.expect("json");
    // What the SDKs look for before refreshing: "token is expired" in
    // `errorDescription` (worksection/python-api-client client.py).
    assert_eq!(body["hint"], "Access token is expired");
    assert_eq!(body["errorDescription"], "Access token is expired");
    let refreshed = oauth_post(
        &sim,
        "refresh",
        &[
            ("grant_type", "refresh_token"),
            (
                "refresh_token",
                tokens["refresh_token"].as_str().expect("refresh"),
            ),
        ],
    )
    .await;
    assert!(
        refreshed["access_token"].is_string(),
        "refresh still works: {refreshed}"
    );
}

#[tokio::test]
async fn revoking_kills_access_and_refresh_tokens() {
    let sim = common::start_unlimited().await;
    let tokens = sign_in(&sim, READ_SCOPES).await;
    sim.set_faults("revoke".parse().expect("spec"));
    let access = tokens["access_token"].as_str().expect("access");
    assert_eq!(
        common::bearer_raw(&sim, access, &[("action", "me")])
            .await
            .status(),
        401
    );
    let refreshed = oauth_post(
        &sim,
        "refresh",
        &[
            ("grant_type", "refresh_token"),
            (
                "refresh_token",
                tokens["refresh_token"].as_str().expect("refresh"),
            ),
        ],
    )
    .await;
    assert_eq!(refreshed["error"], "invalid_request");
}

//! The authorization server end to end against the simulator on a random
//! loopback port: discovery documents, dynamic registration, a person's
//! sign-in handed to Worksection (the simulator's consent page, choosing
//! the member), the server's own consent, the code with PKCE, tokens, and
//! every refusal the specification names, each with its error and status.
//! Each test runs twice: on the embedded store and on the shared one (a
//! real `redis-server`, see `support`).

mod support;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::{Value, json};
use worksection_sim::{SimConfig, Simulator};
use worksection_team::{FetchPolicy, Team, TeamConfig, WorksectionApp};

const READ_SCOPES: [&str; 8] = [
    "projects_read",
    "tasks_read",
    "costs_read",
    "tags_read",
    "comments_read",
    "files_read",
    "users_read",
    "contacts_read",
];

/// Where the team store lives in a test.
#[derive(Clone, Copy)]
enum Backend {
    Embedded,
    Redis,
}

/// Runs `$name(Backend)` as two tests, `$name::embedded` and `$name::redis`.
macro_rules! on_both_backends {
    ($($name:ident),*) => {$(
        mod $name {
            #[tokio::test]
            async fn embedded() {
                super::$name(super::Backend::Embedded).await;
            }
            #[tokio::test]
            async fn redis() {
                super::$name(super::Backend::Redis).await;
            }
        }
    )*};
}

on_both_backends!(
    discovery_documents_describe_this_server,
    two_people_sign_in_and_each_token_is_theirs,
    refusals_carry_the_specification_errors
);

struct Harness {
    sim: Simulator,
    redis: Option<support::RedisServer>,
    base: String,
    team: Arc<Team>,
    http: reqwest::Client,
    _dir: tempfile::TempDir,
}

async fn whoami(State(team): State<Arc<Team>>, headers: HeaderMap) -> Response {
    match team.authenticate(&headers).await {
        Ok(v) => axum::Json(json!({"person": v.person, "email": v.email})).into_response(),
        Err(refusal) => refusal.into_response(),
    }
}

fn config(
    base: &str,
    sim: &Simulator,
    dir: &std::path::Path,
    access_ttl: Duration,
    redis_url: Option<String>,
) -> TeamConfig {
    let info = sim.info();
    TeamConfig {
        public_url: TeamConfig::public_url(base).expect("public url"),
        app: WorksectionApp {
            client_id: info.client_id.clone(),
            client_secret: info.client_secret.clone().into(),
            oauth_url: info.oauth_url.clone(),
            scopes: READ_SCOPES.iter().map(|s| (*s).to_owned()).collect(),
            account_url: None,
        },
        data_dir: dir.to_owned(),
        key: None,
        access_ttl,
        refresh_ttl: Duration::from_secs(86_400),
        fetch: FetchPolicy::default(),
        requests_per_second: 50.0,
        redis_url,
    }
}

async fn start(access_ttl: Duration, backend: Backend) -> Harness {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("port");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    let sim = Simulator::start(SimConfig {
        rps: 0.0,
        extra_redirect_uris: vec![format!("{base}/oauth/worksection/callback")],
        ..SimConfig::default()
    })
    .await
    .expect("simulator");
    let dir = tempfile::tempdir().expect("dir");
    let redis = match backend {
        Backend::Embedded => None,
        Backend::Redis => Some(support::RedisServer::start()),
    };
    let redis_url = redis.as_ref().map(support::RedisServer::url);
    let team = Team::start(config(&base, &sim, dir.path(), access_ttl, redis_url))
        .await
        .expect("team");
    if let Some(shared) = team.shared() {
        assert!(shared.is_up(), "the team's Redis answers");
    }
    let app = team.router().merge(
        Router::new()
            .route("/mcp", get(whoami))
            .with_state(team.clone()),
    );
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Harness {
        sim,
        redis,
        base,
        team,
        http: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("http"),
        _dir: dir,
    }
}

fn location(resp: &reqwest::Response) -> url::Url {
    let loc = resp
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .expect("a redirect");
    url::Url::parse(loc).expect("absolute location")
}

fn param(url: &url::Url, key: &str) -> Option<String> {
    url.query_pairs()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.into_owned())
}

const VERIFIER: &str = "a-verifier-of-enough-length-0123456789-abcdefghijklmnop";

fn challenge(verifier: &str) -> String {
    oauth2::PkceCodeChallenge::from_code_verifier_sha256(&oauth2::PkceCodeVerifier::new(
        verifier.to_owned(),
    ))
    .as_str()
    .to_owned()
}

impl Harness {
    async fn register(&self, redirect: &str) -> String {
        let resp = self
            .http
            .post(format!("{}/register", self.base))
            .json(&json!({
                "redirect_uris": [redirect],
                "client_name": "Flow test",
                "token_endpoint_auth_method": "none",
            }))
            .send()
            .await
            .expect("register");
        assert_eq!(resp.status(), 201);
        let body: Value = resp.json().await.expect("json");
        assert!(
            body.get("client_secret").is_none(),
            "a public client gets no secret"
        );
        body["client_id"].as_str().expect("client id").to_owned()
    }

    /// Walks a sign-in as `email`; the redirect back to the client.
    async fn sign_in(&self, client: &str, redirect: &str, email: &str, decision: &str) -> url::Url {
        let resp = self
            .http
            .get(format!("{}/authorize", self.base))
            .query(&[
                ("response_type", "code"),
                ("client_id", client),
                ("redirect_uri", redirect),
                ("state", "client-state"),
                ("code_challenge", &challenge(VERIFIER)),
                ("code_challenge_method", "S256"),
                ("scope", "worksection:read"),
                ("resource", &format!("{}/mcp", self.base)),
            ])
            .send()
            .await
            .expect("authorize");
        assert_eq!(resp.status(), 302, "to Worksection");
        let at_worksection = location(&resp);
        assert!(
            at_worksection
                .as_str()
                .starts_with(&self.sim.info().oauth_url)
        );
        let mut form: Vec<(String, String)> = at_worksection
            .query_pairs()
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        form.push(("decision".into(), "allow".into()));
        form.push(("email".into(), email.into()));
        let resp = self
            .http
            .post(format!("{}/oauth2/authorize", self.sim.info().oauth_url))
            .form(&form)
            .send()
            .await
            .expect("worksection consent");
        assert_eq!(resp.status(), 302);
        let callback = location(&resp);
        assert!(
            callback
                .as_str()
                .starts_with(&format!("{}/oauth/worksection/callback", self.base))
        );
        // The callback sends the browser on to the consent page, the
        // sign-in in a cookie: the address shown carries no code or id.
        let resp = self.http.get(callback).send().await.expect("callback");
        assert_eq!(resp.status(), 303);
        let to = resp
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok())
            .expect("a redirect");
        assert_eq!(to, "/oauth/consent");
        let cookie = resp
            .headers()
            .get("set-cookie")
            .and_then(|v| v.to_str().ok())
            .expect("the consent cookie")
            .to_owned();
        assert!(
            cookie.contains("HttpOnly") && cookie.contains("Path=/oauth/consent"),
            "{cookie}"
        );
        let cookie = cookie.split(';').next().unwrap_or_default().to_owned();
        let page = self
            .http
            .get(format!("{}/oauth/consent", self.base))
            .header("cookie", &cookie)
            .send()
            .await
            .expect("consent page");
        assert_eq!(page.status(), 200);
        let html = page.text().await.expect("html");
        assert!(
            html.contains("Flow test") && html.contains("127.0.0.1"),
            "names the client and its host"
        );
        let flow = html
            .split("name=\"flow\" value=\"")
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .expect("the consent form")
            .to_owned();
        let resp = self
            .http
            .post(format!("{}/oauth/consent", self.base))
            .form(&[("flow", flow.as_str()), ("decision", decision)])
            .send()
            .await
            .expect("consent");
        assert_eq!(resp.status(), 302);
        let back = location(&resp);
        assert!(back.as_str().starts_with(redirect));
        assert_eq!(param(&back, "state").as_deref(), Some("client-state"));
        assert_eq!(
            param(&back, "iss").as_deref(),
            Some(self.base.as_str()),
            "RFC 9207"
        );
        back
    }

    async fn token(&self, form: &[(&str, &str)]) -> (u16, Value) {
        let resp = self
            .http
            .post(format!("{}/token", self.base))
            .form(form)
            .send()
            .await
            .expect("token");
        let status = resp.status().as_u16();
        if status == 200 {
            assert_eq!(resp.headers()["cache-control"], "no-store");
        }
        (status, resp.json().await.expect("json"))
    }

    async fn exchange(
        &self,
        client: &str,
        redirect: &str,
        code: &str,
        verifier: &str,
    ) -> (u16, Value) {
        self.token(&[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", redirect),
            ("client_id", client),
            ("code_verifier", verifier),
            ("resource", &format!("{}/mcp", self.base)),
        ])
        .await
    }

    async fn mcp(&self, token: Option<&str>) -> (u16, String, Value) {
        let mut req = self.http.get(format!("{}/mcp", self.base));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        let resp = req.send().await.expect("mcp");
        let status = resp.status().as_u16();
        let challenge = resp
            .headers()
            .get("www-authenticate")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        (status, challenge, resp.json().await.unwrap_or(Value::Null))
    }
}

async fn emails(sim: &Simulator) -> (String, String) {
    let info = sim.info();
    let query = "action=get_users";
    let hash = {
        use md5::{Digest, Md5};
        hex::encode(Md5::digest(format!("{query}{}", info.api_key)))
    };
    let users: Value = reqwest::Client::new()
        .post(format!(
            "{}/api/admin/v2?{query}&hash={hash}",
            info.account_url
        ))
        .send()
        .await
        .expect("users")
        .json()
        .await
        .expect("json");
    let list = users["data"].as_array().expect("users");
    let owner = list.iter().find(|u| u["role"] == "Owner").expect("owner");
    let member = list.iter().find(|u| u["role"] == "User").expect("member");
    (
        owner["email"].as_str().expect("email").to_owned(),
        member["email"].as_str().expect("email").to_owned(),
    )
}

async fn discovery_documents_describe_this_server(backend: Backend) {
    let h = start(Duration::from_secs(600), backend).await;
    let get = |path: &str| {
        let url = format!("{}{path}", h.base);
        let http = h.http.clone();
        async move {
            let resp = http.get(url).send().await.expect("doc");
            assert_eq!(resp.status(), 200);
            assert!(
                resp.headers()["content-type"]
                    .to_str()
                    .expect("ascii")
                    .starts_with("application/json")
            );
            resp.json::<Value>().await.expect("json")
        }
    };
    let prm = get("/.well-known/oauth-protected-resource/mcp").await;
    assert_eq!(prm["resource"], format!("{}/mcp", h.base));
    assert_eq!(prm["authorization_servers"], json!([h.base]));
    assert_eq!(prm["scopes_supported"], json!(["worksection:read"]));
    let root = get("/.well-known/oauth-protected-resource").await;
    assert_eq!(root["resource"], h.base);
    let asm = get("/.well-known/oauth-authorization-server").await;
    assert_eq!(asm["issuer"], h.base);
    assert_eq!(asm["code_challenge_methods_supported"], json!(["S256"]));
    assert_eq!(asm["authorization_response_iss_parameter_supported"], true);
    assert_eq!(asm["client_id_metadata_document_supported"], true);
    assert_eq!(asm["response_types_supported"], json!(["code"]));
    for e in [
        "authorization_endpoint",
        "token_endpoint",
        "registration_endpoint",
        "revocation_endpoint",
    ] {
        assert!(asm[e].as_str().expect(e).starts_with(&h.base), "{e}");
    }
    let (status, challenge, _) = h.mcp(None).await;
    assert_eq!(status, 401);
    assert_eq!(
        challenge,
        format!(
            "Bearer resource_metadata=\"{}/.well-known/oauth-protected-resource/mcp\", scope=\"worksection:read\"",
            h.base
        )
    );
}

async fn two_people_sign_in_and_each_token_is_theirs(backend: Backend) {
    let h = start(Duration::from_secs(600), backend).await;
    let (owner, member) = emails(&h.sim).await;
    let redirect = "http://127.0.0.1:9/callback";
    let client = h.register(redirect).await;

    let mut people = Vec::new();
    for email in [&owner, &member] {
        let back = h.sign_in(&client, redirect, email, "allow").await;
        let code = param(&back, "code").expect("code");
        let (status, tokens) = h.exchange(&client, redirect, &code, VERIFIER).await;
        assert_eq!(status, 200, "{tokens}");
        assert_eq!(tokens["token_type"], "Bearer");
        assert_eq!(tokens["expires_in"], 600);
        let access = tokens["access_token"].as_str().expect("access").to_owned();
        let (status, _, who) = h.mcp(Some(&access)).await;
        assert_eq!(status, 200);
        assert_eq!(who["email"], email.as_str());
        people.push((who["person"].as_str().expect("person").to_owned(), tokens));
    }
    assert_ne!(people[0].0, people[1].0, "two different people");

    let listed = h.team.store().people().await.expect("people");
    assert_eq!(listed.len(), 2);
    assert!(listed.iter().all(|p| p.connected && p.grants == 1));

    // Refresh rotates; the spent refresh token, used again, ends the grant.
    let refresh = people[1].1["refresh_token"]
        .as_str()
        .expect("refresh")
        .to_owned();
    let (status, renewed) = h
        .token(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", &refresh),
            ("client_id", &client),
        ])
        .await;
    assert_eq!(status, 200, "{renewed}");
    assert_ne!(renewed["refresh_token"], refresh.as_str());
    let fresh = renewed["access_token"].as_str().expect("access").to_owned();
    assert_eq!(h.mcp(Some(&fresh)).await.0, 200);
    let (status, replay) = h
        .token(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", &refresh),
            ("client_id", &client),
        ])
        .await;
    assert_eq!(
        (status, replay["error"].as_str()),
        (400, Some("invalid_grant"))
    );
    let (status, challenge, body) = h.mcp(Some(&fresh)).await;
    assert_eq!(status, 401, "the whole grant ended");
    assert!(challenge.contains("error=\"invalid_token\""), "{challenge}");
    assert_eq!(body["error"], "invalid_token");

    // Revocation (RFC 7009) ends the owner's grant.
    let owner_access = people[0].1["access_token"]
        .as_str()
        .expect("access")
        .to_owned();
    let resp = h
        .http
        .post(format!("{}/revoke", h.base))
        .form(&[("token", owner_access.as_str()), ("client_id", &client)])
        .send()
        .await
        .expect("revoke");
    assert_eq!(resp.status(), 200);
    assert_eq!(h.mcp(Some(&owner_access)).await.0, 401);
    let owner_refresh = people[0].1["refresh_token"]
        .as_str()
        .expect("refresh")
        .to_owned();
    let (status, body) = h
        .token(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", &owner_refresh),
            ("client_id", &client),
        ])
        .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant"))
    );
}

async fn refusals_carry_the_specification_errors(backend: Backend) {
    let h = start(Duration::from_secs(2), backend).await;
    let (owner, _) = emails(&h.sim).await;
    let redirect = "http://127.0.0.1:9/callback";
    let client = h.register(redirect).await;

    // An unregistered redirect URI is refused here, never redirected to.
    let resp = h
        .http
        .get(format!("{}/authorize", h.base))
        .header("accept", "application/json")
        .query(&[
            ("response_type", "code"),
            ("client_id", client.as_str()),
            ("redirect_uri", "https://evil.example/callback"),
            ("code_challenge", &challenge(VERIFIER)),
            ("code_challenge_method", "S256"),
        ])
        .send()
        .await
        .expect("authorize");
    assert_eq!(resp.status(), 400);
    assert!(resp.headers().get("location").is_none());
    let body: Value = resp.json().await.expect("json");
    assert_eq!(body["error"], "invalid_request");

    // Without PKCE S256 the client is told so at its redirect URI.
    let resp = h
        .http
        .get(format!("{}/authorize", h.base))
        .query(&[
            ("response_type", "code"),
            ("client_id", client.as_str()),
            ("redirect_uri", redirect),
            ("state", "s"),
            ("code_challenge", &challenge(VERIFIER)),
            ("code_challenge_method", "plain"),
        ])
        .send()
        .await
        .expect("authorize");
    let back = location(&resp);
    assert_eq!(param(&back, "error").as_deref(), Some("invalid_request"));
    assert_eq!(param(&back, "iss").as_deref(), Some(h.base.as_str()));

    // A resource of someone else's.
    let resp = h
        .http
        .get(format!("{}/authorize", h.base))
        .query(&[
            ("response_type", "code"),
            ("client_id", client.as_str()),
            ("redirect_uri", redirect),
            ("code_challenge", &challenge(VERIFIER)),
            ("code_challenge_method", "S256"),
            ("resource", "https://other.example/mcp"),
        ])
        .send()
        .await
        .expect("authorize");
    assert_eq!(
        param(&location(&resp), "error").as_deref(),
        Some("invalid_target")
    );

    // The consent page without its cookie (an old tab, a shared link)
    // says the sign-in is over.
    let resp = h
        .http
        .get(format!("{}/oauth/consent", h.base))
        .header("accept", "application/json")
        .send()
        .await
        .expect("consent page");
    assert_eq!(resp.status(), 400);
    let body: Value = resp.json().await.expect("json");
    assert_eq!(body["error"], "invalid_request");

    // Deny: the client is told, and the server keeps no Worksection
    // sign-in that no client of the person uses.
    let back = h.sign_in(&client, redirect, &owner, "deny").await;
    assert_eq!(param(&back, "error").as_deref(), Some("access_denied"));
    let listed = h.team.store().people().await.expect("people");
    let denied = listed
        .iter()
        .find(|p| p.person.email == owner)
        .expect("the person who denied");
    assert!(!denied.connected && denied.grants == 0);

    // PKCE mismatch.
    let back = h.sign_in(&client, redirect, &owner, "allow").await;
    let code = param(&back, "code").expect("code");
    let (status, body) = h
        .exchange(
            &client,
            redirect,
            &code,
            "another-verifier-of-enough-length-0123456789-abcdef",
        )
        .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant"))
    );

    // A replayed code: refused, and the tokens of its first use end.
    let back = h.sign_in(&client, redirect, &owner, "allow").await;
    let code = param(&back, "code").expect("code");
    let (status, tokens) = h.exchange(&client, redirect, &code, VERIFIER).await;
    assert_eq!(status, 200);
    let first = tokens["access_token"].as_str().expect("access").to_owned();
    assert_eq!(h.mcp(Some(&first)).await.0, 200);
    let (status, body) = h.exchange(&client, redirect, &code, VERIFIER).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant"))
    );
    assert_eq!(
        h.mcp(Some(&first)).await.0,
        401,
        "the replay ended the first tokens"
    );

    // Tampered and foreign tokens.
    let back = h.sign_in(&client, redirect, &owner, "allow").await;
    let code = param(&back, "code").expect("code");
    let (_, tokens) = h.exchange(&client, redirect, &code, VERIFIER).await;
    let access = tokens["access_token"].as_str().expect("access").to_owned();
    let mut tampered = access.clone();
    let last = tampered.pop().expect("a char");
    tampered.push(if last == 'A' { 'B' } else { 'A' });
    let (status, challenge, body) = h.mcp(Some(&tampered)).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some("invalid_token"))
    );
    assert!(challenge.contains("resource_metadata="));
    assert_eq!(h.mcp(Some("not-even-a-token")).await.0, 401);

    // Wrong audience: the same store behind another public address (a
    // second server) does not take this server's tokens.
    let other = Team::start(config(
        "http://127.0.0.1:1",
        &h.sim,
        h.team.config().data_dir.as_path(),
        Duration::from_secs(600),
        h.redis.as_ref().map(support::RedisServer::url),
    ))
    .await
    .expect("second team on the same store");
    let mut headers = HeaderMap::new();
    headers.insert(
        "authorization",
        format!("Bearer {access}").parse().expect("header"),
    );
    let refusal = other
        .authenticate(&headers)
        .await
        .expect_err("another audience");
    assert_eq!(refusal.status, 401);
    assert_eq!(refusal.error, Some("invalid_token"));
    assert!(refusal.description.contains("another resource"));

    // Expired: the access token lives two seconds here.
    tokio::time::sleep(Duration::from_millis(2_500)).await;
    let (status, _, body) = h.mcp(Some(&access)).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some("invalid_token"))
    );
    assert!(
        body["error_description"]
            .as_str()
            .expect("text")
            .contains("expired")
    );

    // A wrong client secret on a confidential client.
    let resp = h
        .http
        .post(format!("{}/register", h.base))
        .json(&json!({"redirect_uris": [redirect], "token_endpoint_auth_method": "client_secret_post"}))
        .send()
        .await
        .expect("register");
    let body: Value = resp.json().await.expect("json");
    let confidential = body["client_id"].as_str().expect("id").to_owned();
    let (status, body) = h
        .token(&[
            ("grant_type", "authorization_code"),
            ("code", "wsac_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"),
            ("client_id", &confidential),
            ("client_secret", "wrong"),
        ])
        .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some("invalid_client"))
    );
    let (status, body) = h
        .token(&[("grant_type", "password"), ("client_id", &client)])
        .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("unsupported_grant_type"))
    );
}

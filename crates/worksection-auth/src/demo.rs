//! The demo account's consent, given without a browser.
//!
//! The demo account is a simulator running in the same process. Signing in
//! to it the way a person would (consent page, "Allow", code, tokens) keeps
//! the demo in OAuth2 mode like a real sign-in, so `me` and the user-only
//! actions work. Only ever pointed at that local simulator.

use worksection::auth::{OAuthApp, TokenSet, read_scopes};
use worksection::{Error, ExposeSecret, SecretString};

/// Consents on the simulator's page at `oauth_url` for `app` and exchanges
/// the code it redirects with.
pub async fn demo_sign_in(app: &OAuthApp, oauth_url: &str) -> Result<TokenSet, Error> {
    let mut scopes = read_scopes();
    scopes.push("administrative");
    let (url, state) = app.authorize_url(&scopes)?;
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|e| Error::Config(format!("no HTTP client: {e}")))?;
    let mut form: Vec<(String, String)> = url
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    form.push(("decision".into(), "allow".into()));
    let resp = http
        .post(format!("{oauth_url}/oauth2/authorize"))
        .form(&form)
        .send()
        .await
        .map_err(|e| Error::Upstream {
            detail: e.without_url().to_string(),
            status: None,
        })?;
    let redirect = resp
        .headers()
        .get(reqwest::header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| url::Url::parse(v).ok())
        .ok_or_else(|| Error::BadResponse {
            detail: "the consent page did not redirect".into(),
        })?;
    let param = |k: &str| {
        redirect
            .query_pairs()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.into_owned())
    };
    if param("state").as_deref() != Some(state.expose_secret()) {
        return Err(Error::BadResponse {
            detail: "the sign-in came back with another state".into(),
        });
    }
    let code = param("code")
        .map(SecretString::from)
        .ok_or_else(|| Error::BadResponse {
            detail: "the sign-in came back without a code".into(),
        })?;
    app.exchange_code(&code).await
}

//! The simulator's consent page answered without a browser: what tests,
//! benchmarks and scripted sign-ins send when a person would click
//! **Allow** (the page's form is the authorize request's parameters and
//! `decision=allow`).

use std::fmt;

use url::Url;

/// Posts the consent form of the authorize URL `authorize` (as an OAuth
/// client builds it for this simulator) with **Allow**, and returns where
/// the simulator redirects: the client's redirect URI with `code` and
/// `state`, or with `error` when the request was refused.
pub async fn allow(authorize: &Url) -> Result<Url, ConsentError> {
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|e| ConsentError(format!("no HTTP client: {e}")))?;
    let mut form: Vec<(String, String)> = authorize
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    form.push(("decision".into(), "allow".into()));
    let mut page = authorize.clone();
    page.set_query(None);
    let resp = http.post(page).form(&form).send().await.map_err(|e| {
        ConsentError(format!(
            "the consent page did not answer: {}",
            e.without_url()
        ))
    })?;
    let status = resp.status();
    resp.headers()
        .get(reqwest::header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| Url::parse(v).ok())
        .ok_or_else(|| ConsentError(format!("the consent page did not redirect ({status})")))
}

/// Why the consent could not be given: the page did not answer, or did
/// not redirect.
#[derive(Debug)]
pub struct ConsentError(String);

impl fmt::Display for ConsentError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ConsentError {}

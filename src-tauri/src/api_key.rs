//! Signing in with the account's admin API key ("Check and save"): the
//! address and the key are checked with one live call to Worksection, and
//! only a key that worked is saved (in the token store, beside the
//! sign-ins) and served. A key that does not work leaves nothing behind,
//! and each way it can fail has its own kind for the page: a refused key,
//! an account that does not answer, an address that is not one.

use std::time::Duration;

use worksection::{AuthProblem, ExposeSecret, SecretString};

use crate::core::Core;
use crate::error::Error;
use crate::health;
use crate::server;
use crate::settings::{self, Mode};
use crate::ways::{self, ApiKey};

/// How long the check waits for the account to answer.
const PATIENCE: Duration = Duration::from_secs(20);

/// Checks `api_key` against `account_url` and, when it works, saves it and
/// serves the account with it.
pub async fn check_and_save(
    core: &Core,
    account_url: &str,
    api_key: &SecretString,
) -> Result<(), Error> {
    let url = settings::check_web_address(account_url, "The account address")?;
    let api_key = SecretString::from(api_key.expose_secret().trim());
    if api_key.expose_secret().is_empty() {
        return Err(Error::Invalid(
            "Paste the account's API key (Account settings → API in Worksection), then try again."
                .into(),
        ));
    }
    let account_url = url.as_str().trim_end_matches('/').to_owned();
    check(core, &account_url, &api_key).await?;
    ways::save_api_key(
        &core.store().await?,
        &ApiKey {
            account_url: account_url.clone(),
            api_key,
        },
    )
    .await?;
    core.reload_saved().await;
    core.update_settings(|s| s.mode = Some(Mode::ApiKey))?;
    core.change(|st| {
        st.tell(format!(
            "Connected to {account_url} with its admin API key."
        ))
    });
    server::restart(core).await;
    health::check(core).await;
    Ok(())
}

/// One live call with the key: the account's project groups.
async fn check(core: &Core, account_url: &str, api_key: &SecretString) -> Result<(), Error> {
    let client = worksection::Client::builder()
        .account_url(account_url)
        .api_key(api_key.clone())
        .requests_per_second(core.env.requests_per_second)
        .timeout(Duration::from_secs(15))
        .max_attempts(1)
        .build()
        .map_err(|e| Error::Invalid(format!("{e}; check the account address.")))?;
    match tokio::time::timeout(PATIENCE, client.get_project_groups()).await {
        Ok(Ok(_)) => Ok(()),
        // Worksection's own words about its request hash mean nothing to
        // the person pasting a key; what to do does.
        Ok(Err(worksection::Error::Auth {
            problem: AuthProblem::BadApiKey,
            ..
        })) => Err(Error::KeyRefused {
            account: account_url.to_owned(),
        }),
        Ok(Err(source)) => Err(Error::KeyCheck { source }),
        Err(_) => Err(Error::NoAnswer {
            account: account_url.to_owned(),
            seconds: PATIENCE.as_secs(),
        }),
    }
}

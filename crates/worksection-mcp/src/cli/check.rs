//! `worksection-mcp check`: every tool called once against the account
//! `serve` would serve first (the same settings and account selection),
//! each line printed as it is done, then the report to paste into a bug
//! report. Exits 1 when a tool failed or an answer had fields that did not
//! decode, 2 when the settings are wrong.

use std::io::Write as _;
use std::process::ExitCode;

use worksection_mcp::{ServeArgs, check, open};

pub async fn command(args: &ServeArgs) -> ExitCode {
    let settings = match crate::serve::settings(args) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let opened = match open(&settings).await {
        Ok(o) => o,
        Err(e) => {
            eprintln!("worksection-mcp: {e}");
            return ExitCode::FAILURE;
        }
    };
    let Some((_, account)) = opened.accounts.first().cloned() else {
        eprintln!("worksection-mcp: no account to check");
        opened.close().await;
        return ExitCode::FAILURE;
    };
    eprintln!(
        "Calling every tool once, at the account's pace (about one request a second); this takes a minute or two."
    );
    let report = check(account, |t| {
        eprintln!("{}", worksection_mcp::check_line(t));
    })
    .await;
    opened.close().await;
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(report.text().as_bytes());
    if report.is_clean() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

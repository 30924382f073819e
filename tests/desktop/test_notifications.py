"""OS notifications, observed on the session bus: with a stand-in
notification service owning `org.freedesktop.Notifications` on the tests'
private D-Bus (notify_host.py), a sign-in that expires while the app
serves (a simulator of its own that issues access and refresh tokens good
for a few seconds, so renewing fails too) ends in one notification that
says what happened and what to click, and holds no token; the condition
lasting is not notified again. The log file says the same, and holds no
secret either.
"""

from __future__ import annotations

import json
import re
import time

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC

from conftest import (
    OUT,
    READY_TIMEOUT,
    TOKEN_KEY,
    app_pids,
    back_to,
    bridged,
    click,
    launched,
    need,
    press,
    wait,
    wait_text,
)
from notify_host import NotificationServer
from processes import simulator_process

# How long the simulator's tokens live, access and refresh alike.
TOKEN_SECONDS = 4
# What no notification may hold: anything shaped like a token or code.
TOKEN_LIKE = re.compile(r"[A-Za-z0-9_\-]{24,}")


@pytest.fixture(scope="module")
def short_sim():
    args = ("--port", "0", "--rps", "0", "--dataset", "demo")
    ttl = ("--access-ttl", str(TOKEN_SECONDS), "--refresh-ttl", str(TOKEN_SECONDS))
    with simulator_process(need("WS_SIM_BIN"), OUT / "sim-short.stderr.log", *args, *ttl, timeout=READY_TIMEOUT) as (
        _,
        info,
    ):
        if info is None:
            pytest.fail("the simulator did not start; see tests/desktop/out/sim-short.stderr.log")
        yield info


def _sign_in(app) -> None:
    main = app.driver.current_window_handle
    click(app, "welcome-sign-in")
    wait(app).until(lambda d: len(d.window_handles) > 1)
    signin = next(h for h in app.driver.window_handles if h != main)
    app.driver.switch_to.window(signin)
    press(app, "allow")
    back_to(app, main, signin)
    wait(app).until(EC.visibility_of_element_located((By.ID, "dashboard")))
    wait_text(app, "server-state", lambda t: t == "running")


def _log_text(app) -> str:
    logs = app.home / ".local" / "share" / "com.worksection.mcp" / "logs"
    return "\n".join(p.read_text(errors="replace") for p in sorted(logs.glob("*.log")))


@pytest.mark.anyio
async def test_an_expired_sign_in_is_notified_once_with_what_to_click(short_sim):
    with NotificationServer() as notices, launched(short_sim) as app:
        _sign_in(app)
        signed_in_at = time.monotonic()
        assert not [n for n in notices.shown if "expired" in n.summary], notices.shown
        # The tokens run out, and the refresh token with them.
        time.sleep(max(0.0, TOKEN_SECONDS + 1 - (time.monotonic() - signed_in_at)))
        # The assistant asks; the call fails, and the app looks at why.
        async with bridged(app, "bridge-expired.stderr.log") as c:
            answer = await c.call_tool("get_projects", {})
        assert answer.is_error, answer
        shown = notices.wait_for(lambda n: "expired" in n.summary.lower(), timeout=30)
        host = short_sim["account_url"].split("://", 1)[-1].rstrip("/")
        assert shown.summary == "Worksection sign-in expired"
        # Sent under the app's name, not its executable's.
        assert shown.app_name == "Worksection MCP", shown.app_name
        assert f"Your sign-in to {host} has expired" in shown.body, shown.body
        # What to click: there is no tray on this bus, so the dashboard's button.
        assert "Click \u201cSign in again\u201d on the Worksection MCP dashboard" in shown.body, shown.body
        assert shown.sender_pid in app_pids(app), (shown.sender_pid, app_pids(app))
        secrets = [short_sim["client_secret"], TOKEN_KEY, (app.home / ".config" / "com.worksection.mcp" / "local-token").read_text()]
        for n in notices.shown:
            for text in (n.summary, n.body):
                assert not TOKEN_LIKE.search(text), text
                assert not any(s in text for s in secrets), text
        # The dashboard says the same, and the condition lasting (another
        # check, another failed call) is not notified again.
        main = app.driver.current_window_handle
        app.driver.switch_to.window(main)
        wait_text(app, "health-error", lambda t: "sign in again" in t.lower())
        notice = wait_text(app, "notice-text", lambda t: "has expired" in t)
        assert "Click \u201cSign in again\u201d in the Account card" in notice, notice
        assert "error" in app.driver.find_element(By.ID, "notice").get_attribute("class")
        click(app, "check-health")
        async with bridged(app, "bridge-expired-again.stderr.log") as c:
            assert (await c.call_tool("get_projects", {})).is_error
        time.sleep(3)
        expired = [n for n in notices.shown if "expired" in n.summary.lower()]
        assert len(expired) == 1, expired
        app.screenshot("sign-in-expired", top=True)
        # The log file tells it too, without a secret.
        log = _log_text(app)
        assert "Worksection sign-in expired" in log, log[-2000:]
        assert not any(s in log for s in secrets)
        assert not notices.errors, notices.errors
        (OUT / "notifications.json").write_text(json.dumps([n.__dict__ for n in notices.shown], indent=2, default=str))

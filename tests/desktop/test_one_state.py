"""One state, one way out: a change made from the tray reaches the open
dashboard as the app's `status` event within a second, and nothing polls.

The page records every `status` event it gets (the app's one channel for
its state) with the time it arrived. While nothing happens, none arrives
but a scheduled health check's; after a tray click, the change is on the
page within a second of the click (timed on this computer's one clock).
The tray has no "Sign out", so its changes here are "Clear file cache",
"Start at login" and "Renew local access token".
"""

from __future__ import annotations

import time

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC

from conftest import READY_TIMEOUT, click, launched, put_a_file_in_the_cache, wait, wait_text
from tray_host import StatusNotifierWatcher, TrayItem

# How soon a change made from the tray must be on the dashboard.
WITHIN = 1.0
# How long the app is watched while nothing happens.
IDLE = 4.0

RECORD = """
const done = arguments[arguments.length - 1];
window.__seen = [];
window.__TAURI__.event
  .listen("status", (e) => window.__seen.push({ at: Date.now(), state: e.payload }))
  .then(() => done(true), (e) => done(String(e)));
"""


def _seen(app) -> list[dict]:
    return app.driver.execute_script("return window.__seen")


def _without(state: dict, *keys: str) -> dict:
    return {k: v for k, v in state.items() if k not in keys}


def _arrival(app, since: float, predicate, what: str) -> float:
    """Seconds from `since` (time.time()) to the first status event after
    it whose state satisfies `predicate`."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        for event in _seen(app):
            if event["at"] / 1000 >= since and predicate(event["state"]):
                return event["at"] / 1000 - since
        time.sleep(0.05)
    pytest.fail(f"no status event brought {what}; seen: {[e['state'].get('notice') for e in _seen(app)]}")


@pytest.mark.anyio
async def test_a_change_from_the_tray_reaches_the_open_dashboard_at_once(sim):
    with StatusNotifierWatcher() as host, launched(sim) as app:
        with TrayItem(host.wait_for_item(READY_TIMEOUT)) as tray:
            wait(app).until(EC.visibility_of_element_located((By.ID, "welcome")))
            click(app, "welcome-demo")
            wait_text(app, "server-state", lambda t: t == "running", timeout=60)
            await put_a_file_in_the_cache(app)
            wait_text(app, "cache-files", lambda t: t.isdigit() and int(t) > 0)
            # The bridge's session ended with it; the page is told that too.
            wait_text(app, "server-sessions", lambda t: t == "0")
            assert app.driver.execute_async_script(RECORD) is True

            # Nothing happens: nothing is sent but a health check's figures.
            time.sleep(IDLE)
            seen = _seen(app)
            moved = [
                e["state"]
                for prev, e in zip([None, *seen], seen)
                if prev is None or _without(prev["state"], "version", "health") != _without(e["state"], "version", "health")
            ]
            assert not moved, f"the page was sent {len(moved)} state(s) while nothing changed: {moved}"

            # Clear file cache: the figures and the banner, within a second.
            since = time.time()
            tray.click("Clear file cache")
            took = _arrival(
                app,
                since,
                lambda s: s["cache"]["files"] == 0 and (s["notice"] or {}).get("text", "").startswith("Cleared"),
                "the cleared cache",
            )
            assert took < WITHIN, f"the cleared cache reached the page after {took:.2f} s"
            wait_text(app, "cache-files", lambda t: t == "0")

            # Start at login: the setting, and the form's box with it.
            since = time.time()
            tray.click("Start at login")
            took = _arrival(app, since, lambda s: s["settings"]["start_at_login"], "start at login")
            assert took < WITHIN, f"start at login reached the page after {took:.2f} s"
            wait(app).until(lambda d: d.find_element(By.ID, "set-autostart").is_selected())
            since = time.time()
            tray.click("Start at login")
            took = _arrival(app, since, lambda s: not s["settings"]["start_at_login"], "start at login off")
            assert took < WITHIN, f"start at login off reached the page after {took:.2f} s"

            # Renew local access token: the banner says so.
            since = time.time()
            tray.click("Renew local access token")
            took = _arrival(
                app,
                since,
                lambda s: "new local access token" in (s["notice"] or {}).get("text", ""),
                "the renewed token's notice",
            )
            assert took < WITHIN, f"the renewed token's notice reached the page after {took:.2f} s"
            wait_text(app, "notice-text", lambda t: "new local access token" in t)
            app.screenshot("tray-change-on-the-page", top=True)
        assert not host.errors, host.errors

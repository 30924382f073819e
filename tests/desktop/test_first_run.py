"""The first run of a person who never opens a terminal: each test starts
the app from a fresh home with no WORKSECTION_* (or TOKEN_*) variable, as a
menu or a double-click does, and signs in one of the ways the app offers,
against the simulator. Wrong details end in a message that stays until
dismissed, with nothing saved.

The API-key and own-app tests also measure the first run: clicks (typing
excluded) and seconds from the app's launch to the first tool call answered
through the bridge; they write them to tests/desktop/out/first-run.json
(BENCHMARKS.md quotes them).
"""

from __future__ import annotations

import json
import os
import pathlib
import signal
import subprocess
import time
import zipfile

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC

from conftest import (
    OUT,
    app_pids,
    bridged,
    click,
    fill,
    files_holding,
    launched,
    mcp_status_without_token,
    port_open,
    press,
    records,
    text,
    wait,
    wait_for,
    wait_text,
)
from processes import free_port, stop_process

FIGURES = OUT / "first-run.json"


@pytest.fixture(scope="module", autouse=True)
def fresh_figures():
    """Figures of this run only."""
    FIGURES.unlink(missing_ok=True)


class Clicks:
    """Counts the clicks a person makes (typing is not counted)."""

    def __init__(self, app):
        self.app = app
        self.n = 0

    def __call__(self, element_id: str) -> None:
        click(self.app, element_id)
        self.n += 1


def record(path: str, clicks: int, seconds: float) -> None:
    figures = json.loads(FIGURES.read_text()) if FIGURES.exists() else {}
    figures[path] = {"clicks": clicks, "seconds": round(seconds, 1)}
    FIGURES.write_text(json.dumps(figures, indent=2) + "\n")


def settings_of(app) -> dict:
    return json.loads((app.home / ".config" / "com.worksection.mcp" / "settings.json").read_text())


def open_ways(app, clicks=None) -> None:
    wait(app).until(EC.visibility_of_element_located((By.ID, "welcome")))
    (clicks or (lambda i: click(app, i)))("welcome-sign-in")
    wait(app).until(EC.visibility_of_element_located((By.ID, "ways")))


def notice(app, predicate) -> str:
    return wait_text(app, "notice-text", predicate)


def dismiss(app) -> None:
    click(app, "notice-close")
    wait(app).until(EC.invisibility_of_element_located((By.ID, "notice")))


def test_sign_in_with_nothing_set_up_offers_the_ways(sim):
    with launched(sim, bare=True) as app:
        open_ways(app)
        assert "no Worksection app built in" in text(app, "ways-intro")
        assert not app.driver.find_element(By.ID, "builtin-sign-in").is_displayed()
        assert "no Worksection app built in" in text(app, "builtin-missing")
        for form in ("own-form", "key-form"):
            assert app.driver.find_element(By.ID, form).is_displayed()
        # What to register with an own app, and where.
        assert text(app, "redirect-uri") == sim["redirect_uri"]
        assert "projects_read" in text(app, "scopes")
        assert "API" in app.driver.find_element(By.ID, "way-own").text
        # Advanced is closed by default.
        assert app.driver.find_element(By.ID, "advanced").get_attribute("open") is None
        assert not app.driver.find_element(By.ID, "oauth-url").is_displayed()
        app.screenshot("first-run-ways", top=True)
        # Back returns to the welcome screen.
        click(app, "ways-close")
        wait(app).until(EC.visibility_of_element_located((By.ID, "welcome")))


def test_wrong_key_wrong_secret_and_an_unreachable_account_each_say_so_and_save_nothing(sim):
    with launched(sim, bare=True) as app:
        open_ways(app)
        # A wrong API key: refused by the live check.
        fill(app, "key-account", sim["account_url"])
        fill(app, "key-value", "not-the-key-0000")
        click(app, "key-submit")
        said = notice(app, lambda t: "not saved" in t)
        assert "key" in said.lower()
        # It stays (the page used to wipe it within two seconds).
        time.sleep(5)
        assert "not saved" in text(app, "notice-text")
        app.screenshot("wrong-key", top=True)
        dismiss(app)
        # An account that does not answer.
        fill(app, "key-account", f"http://127.0.0.1:{free_port()}")
        fill(app, "key-value", sim["api_key"])
        click(app, "key-submit")
        said = notice(app, lambda t: "not saved" in t)
        assert "check the account address" in said.lower()
        app.screenshot("unreachable-account", top=True)
        dismiss(app)
        # A wrong client secret: the sign-in starts (the id is right), the
        # person allows, and the code exchange is refused.
        click(app, "advanced")
        fill(app, "oauth-url", sim["oauth_url"])
        fill(app, "own-id", sim["client_id"])
        fill(app, "own-secret", "not-the-secret-0000")
        main = app.driver.current_window_handle
        click(app, "own-submit")
        wait(app).until(lambda d: len(d.window_handles) > 1)
        signin = next(h for h in app.driver.window_handles if h != main)
        app.driver.switch_to.window(signin)
        press(app, "allow")
        wait(app).until(lambda d: signin not in d.window_handles)
        app.driver.switch_to.window(main)
        said = notice(app, lambda t: "not saved" in t)
        assert "Client secret" in said
        app.screenshot("wrong-secret", top=True)
        assert not app.driver.find_element(By.ID, "own-saved").is_displayed()
        # Nothing saved: no sign-in way, no key or secret in any file.
        assert settings_of(app).get("mode") is None
        for needle in (sim["api_key"], "not-the-key-0000", "not-the-secret-0000"):
            assert not files_holding(app.home.parent, needle), needle


def fake_opener() -> dict[str, str]:
    """A PATH where `xdg-open` only notes the link it was given."""
    bin_dir = OUT / "fake-bin"
    bin_dir.mkdir(exist_ok=True)
    opener = bin_dir / "xdg-open"
    opener.write_text('#!/bin/sh\nprintf "%s\\n" "$1" >> "$HOME/opened-links"\n')
    opener.chmod(0o755)
    return {"PATH": f"{bin_dir}:{os.environ.get('PATH', '')}"}


def opened(app) -> str:
    links = app.home / "opened-links"
    return links.read_text() if links.exists() else ""


@pytest.mark.anyio
async def test_admin_api_key_then_the_bridge_answers(sim):
    started = time.monotonic()
    with launched(sim, bare=True, env=fake_opener()) as app:
        clicks = Clicks(app)
        open_ways(app, clicks)
        fill(app, "key-account", sim["account_url"])
        fill(app, "key-value", sim["api_key"])
        clicks("key-submit")
        wait(app).until(EC.visibility_of_element_located((By.ID, "dashboard")))
        wait_text(app, "account-url", lambda t: t == sim["account_url"].rstrip("/"))
        wait_text(app, "server-state", lambda t: t == "running")
        # Private from the first run: no token, no answer.
        assert mcp_status_without_token(app) == 401
        assert "admin API key" in text(app, "account-way")
        assert "not a person" in text(app, "account-limits")
        clicks("connect-claude-desktop")
        wait(app).until(EC.visibility_of_element_located((By.ID, "undo-claude-desktop")))
        entry = json.loads(app.claude_config().read_text())["mcpServers"]["worksection"]
        async with bridged(app, "bridge-api-key.stderr.log") as c:
            result = await c.call_tool("get_projects", {})
        seconds = time.monotonic() - started
        assert not result.is_error, result
        projects = records(json.loads(result.content[0].text))
        assert projects and all(p.get("name") for p in projects)
        assert entry["args"] == ["--bridge"]
        record("api_key", clicks.n, seconds)
        app.screenshot("api-key-signed-in", top=True)
        # The install links reach the system's opener (a stand-in here).
        for button, scheme in (("add-to-cursor", "cursor://"), ("add-to-vscode", "vscode:")):
            click(app, button)
            wait_for(lambda: scheme in opened(app), f"the {scheme} link to be opened")
        notice(app, lambda t: "install link" in t)
        # The key is in the store, in no file in clear.
        assert not files_holding(app.home.parent, sim["api_key"])
        assert settings_of(app)["mode"] == "api_key"
        # The Claude Desktop extension, made from this very app and handed
        # to the system's opener (Claude Desktop's installer). After the
        # scan above: the bundle holds the app's binary, and with it the
        # demo account's built-in key.
        click(app, "install-claude-extension")
        wait_for(lambda: ".mcpb" in opened(app) or "Could not" in text(app, "notice-text"), "the extension", timeout=120)
        assert ".mcpb" in opened(app), text(app, "notice-text")
        bundle = pathlib.Path(next(line for line in opened(app).splitlines() if line.endswith(".mcpb")))
        notice(app, lambda t: str(bundle) in t and "Claude Desktop" in t)
        exe = os.environ["DESKTOP_APP"]
        printed = subprocess.run([exe, "--mcpb-manifest"], capture_output=True, text=True, timeout=60)
        with zipfile.ZipFile(bundle) as z:
            manifest = json.loads(z.read("manifest.json"))
            assert z.read(manifest["icon"]).startswith(b"\x89PNG")
            binary = z.getinfo(manifest["server"]["entry_point"])
        assert manifest == json.loads(printed.stdout)
        assert binary.file_size == os.path.getsize(exe) and (binary.external_attr >> 16) & 0o111


@pytest.mark.anyio
async def test_own_oauth_app_with_the_simulator_as_server(sim):
    started = time.monotonic()
    with launched(sim, bare=True) as app:
        clicks = Clicks(app)
        open_ways(app, clicks)
        # The simulator plays Worksection's sign-in server (Advanced).
        clicks("advanced")
        fill(app, "oauth-url", sim["oauth_url"])
        fill(app, "own-id", sim["client_id"])
        fill(app, "own-secret", sim["client_secret"])
        main = app.driver.current_window_handle
        clicks("own-submit")
        wait(app).until(lambda d: len(d.window_handles) > 1)
        signin = next(h for h in app.driver.window_handles if h != main)
        app.driver.switch_to.window(signin)
        press(app, "allow")
        clicks.n += 1
        wait(app).until(lambda d: signin not in d.window_handles)
        app.driver.switch_to.window(main)
        wait(app).until(EC.visibility_of_element_located((By.ID, "dashboard")))
        wait_text(app, "server-state", lambda t: t == "running")
        wait_text(app, "account-user", lambda t: t not in ("", "—"))
        assert "your own Worksection app" in text(app, "account-way")
        clicks("connect-claude-desktop")
        wait(app).until(EC.visibility_of_element_located((By.ID, "undo-claude-desktop")))
        async with bridged(app, "bridge-own-app.stderr.log") as c:
            result = await c.call_tool("get_projects", {})
        seconds = time.monotonic() - started
        assert not result.is_error, result
        record("own_oauth_app", clicks.n, seconds)
        app.screenshot("own-app-signed-in", top=True)
        # Saved (read back from the store) and shown, the secret never.
        click(app, "change-way")
        wait_text(app, "own-client-id", lambda t: t == sim["client_id"])
        app.screenshot("own-app-saved", top=True)
        assert sim["client_secret"] not in app.driver.page_source
        assert not files_holding(app.home.parent, sim["client_secret"])
        assert "oauth_url" in settings_of(app)
        # Removable.
        click(app, "own-remove")
        notice(app, lambda t: "Removed" in t)
        wait(app).until(EC.invisibility_of_element_located((By.ID, "own-saved")))


def test_a_build_with_a_built_in_app_signs_in_with_one_click(sim):
    """(c) A build that carries an OAuth2 app (scripts/desktop-test builds
    one with the simulator's test app): Sign in goes straight to
    Worksection's page, with nothing to fill in. The simulator plays
    Worksection's sign-in server, set as Advanced would."""
    builtin = os.environ.get("DESKTOP_APP_BUILTIN")
    if not builtin:
        pytest.skip("no build with a built-in app (scripts/desktop-test makes one unless DESKTOP_BUILTIN=0)")
    with launched(sim, bare=True, settings={"oauth_url": sim["oauth_url"]}, binary=pathlib.Path(builtin)) as app:
        clicks = Clicks(app)
        wait(app).until(EC.visibility_of_element_located((By.ID, "welcome")))
        main = app.driver.current_window_handle
        clicks("welcome-sign-in")
        wait(app).until(lambda d: len(d.window_handles) > 1)
        signin = next(h for h in app.driver.window_handles if h != main)
        app.driver.switch_to.window(signin)
        press(app, "allow")
        clicks.n += 1
        wait(app).until(lambda d: signin not in d.window_handles)
        app.driver.switch_to.window(main)
        wait(app).until(EC.visibility_of_element_located((By.ID, "dashboard")))
        wait_text(app, "server-state", lambda t: t == "running")
        assert "built-in" in text(app, "account-way")
        assert clicks.n == 2
        app.screenshot("built-in-app-signed-in", top=True)


@pytest.mark.anyio
async def test_the_bridge_starts_the_app_and_outlives_its_restart(sim):
    """After a reboot the assistant starts first: the bridge starts the app
    (minimised) from the saved sign-in and answers within 10 s; the app
    restarted mid-session, the next request is answered all the same."""
    with launched(sim, bare=True) as app:
        open_ways(app)
        fill(app, "key-account", sim["account_url"])
        fill(app, "key-value", sim["api_key"])
        click(app, "key-submit")
        wait_text(app, "server-state", lambda t: t == "running")
        env = dict(app.env)
        # The app is not running (as after a reboot).
        app.driver.quit()
        wait_for(lambda: not port_open(app.port), "the app to stop")
        started = time.monotonic()
        relaunched = None
        try:
            async with bridged(app, "bridge-starts-app.stderr.log", env=env) as c:
                first = await c.call_tool("get_projects", {})
                seconds = time.monotonic() - started
                assert not first.is_error, first
                assert seconds <= 10, f"the first answer took {seconds:.1f} s"
                # The app restarts under the open session.
                for pid in app_pids(app):
                    os.kill(pid, signal.SIGTERM)
                wait_for(lambda: not port_open(app.port), "the app to stop")
                relaunched = subprocess.Popen(
                    [os.environ["DESKTOP_APP"], "--minimized"],
                    env=env,
                    stdout=subprocess.DEVNULL,
                    stderr=open(OUT / "relaunched-app.stderr.log", "w"),
                )
                restarted = time.monotonic()
                again = await c.call_tool("get_project_groups", {})
                after_restart = time.monotonic() - restarted
                assert not again.is_error, again
        finally:
            if relaunched:
                stop_process(relaunched)
            for pid in app_pids(app):
                os.kill(pid, signal.SIGTERM)
            # Gone before the next test starts, so its tray host sees only
            # the app it starts.
            wait_for(lambda: not app_pids(app), "the started apps to end")
        record("bridge_starts_app", 0, seconds)
        # From the app's relaunch under the open session to the next answer.
        record("app_restarted_next_answer", 0, after_restart)


def test_figures_were_measured():
    """Both paths ran above and met the target (at most 5 clicks, 60 s)."""
    figures = json.loads(pathlib.Path(FIGURES).read_text())
    assert figures["bridge_starts_app"]["seconds"] <= 10, figures
    for path in ("api_key", "own_oauth_app"):
        assert figures[path]["clicks"] <= 5, figures
        assert figures[path]["seconds"] <= 60, figures

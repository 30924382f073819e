"""The desktop app as a person meets it, through WebDriver: first run, sign
in inside the app's own window (clicking Allow on the simulator's consent
page), the activity feed filled by a real MCP client, Clear cache, and
Connect Claude Desktop with Undo. The tests run in order on one app; each
state is saved as a screenshot in tests/desktop/out/.
"""

from __future__ import annotations

import json
import re
import subprocess

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC

from conftest import (
    OUT,
    TOKEN_KEY,
    back_to,
    bridged,
    click,
    main_window,
    mcp_status_without_token,
    press,
    put_a_file_in_the_cache,
    set_port,
    text,
    wait,
    wait_for,
    wait_text,
)
from processes import free_port


def test_first_run_offers_two_choices(app):
    wait(app).until(EC.visibility_of_element_located((By.ID, "welcome")))
    buttons = [b for b in app.driver.find_elements(By.CSS_SELECTOR, "#welcome button") if b.is_displayed()]
    assert [b.text for b in buttons] == ["Sign in to Worksection", "Try with demo data"]
    assert not app.driver.find_element(By.ID, "dashboard").is_displayed()
    app.screenshot("first-run")


def test_sign_in_in_the_apps_own_window(app):
    main = app.driver.current_window_handle
    click(app, "welcome-sign-in")
    wait(app).until(lambda d: len(d.window_handles) > 1)
    signin = next(h for h in app.driver.window_handles if h != main)
    app.driver.switch_to.window(signin)
    wait(app).until(EC.element_to_be_clickable((By.ID, "allow")))
    assert app.driver.current_url.startswith(app.sim["oauth_url"])
    app.screenshot("consent-page")
    press(app, "allow")
    # The app takes the redirect, closes the window and finishes the sign-in.
    back_to(app, main, signin)
    wait(app).until(EC.visibility_of_element_located((By.ID, "dashboard")))
    user = wait_text(app, "account-user", lambda t: t not in ("", "—"))
    assert wait_text(app, "account-url", lambda t: t.startswith("http"))
    wait_text(app, "server-state", lambda t: t == "running")
    assert text(app, "server-address") == app.mcp_url
    app.screenshot("signed-in")
    # The simulator's signed-in user (its `me`), as the app shows it.
    me = app.sim.get("user_name")
    if me:
        assert user == me
    assert "Signed in as" in text(app, "notice-text")


@pytest.mark.anyio
async def test_a_tool_call_shows_in_the_activity_list(app):
    async with bridged(app, "bridge-activity.stderr.log") as c:
        result = await c.call_tool("get_current_user", {})
        assert not result.is_error
        listed = await c.call_tool("get_projects", {})
        assert not listed.is_error
    main_window(app)
    wait(app).until(
        lambda d: d.find_elements(By.CSS_SELECTOR, "#activity tr[data-tool='get_current_user']")
    )
    row = app.driver.find_element(By.CSS_SELECTOR, "#activity tr[data-tool='get_current_user']")
    cells = [td.text for td in row.find_elements(By.TAG_NAME, "td")]
    assert cells[1] == "get_current_user"
    assert cells[2].endswith("ms")
    assert int(cells[3]) >= 0
    assert cells[4].endswith("B")
    app.screenshot("activity", show="h-activity")


@pytest.mark.anyio
async def test_clear_cache_empties_the_cache_stats(app):
    await put_a_file_in_the_cache(app)
    main_window(app)
    wait_text(app, "cache-files", lambda t: t.isdigit() and int(t) > 0)
    app.screenshot("cache-filled")
    click(app, "clear-cache")
    wait_text(app, "cache-files", lambda t: t == "0")
    assert text(app, "cache-bytes") == "0 B"
    app.screenshot("cache-cleared")


def test_connect_claude_desktop_and_undo(app):
    config = app.claude_config()
    config.parent.mkdir(parents=True, exist_ok=True)
    before = {"mcpServers": {"other": {"command": "other-server"}}, "theme": "dark"}
    config.write_text(json.dumps(before))
    main_window(app)
    click(app, "connect-claude-desktop")
    wait(app).until(EC.visibility_of_element_located((By.ID, "undo-claude-desktop")))
    written = json.loads(config.read_text())
    assert written["theme"] == "dark"
    assert written["mcpServers"]["other"] == {"command": "other-server"}
    entry = written["mcpServers"]["worksection"]
    assert entry["args"] == ["--bridge"]
    assert entry["command"].endswith("worksection-mcp-desktop")
    assert "claude_desktop_config.json" in app.driver.find_element(By.ID, "connected").text
    app.screenshot("connected", show="h-connect")
    click(app, "undo-claude-desktop")
    wait(app).until(lambda d: not d.find_elements(By.ID, "undo-claude-desktop"))
    assert json.loads(config.read_text()) == before
    app.screenshot("undone", show="h-connect")


def test_sign_out_returns_to_the_first_run(app):
    main_window(app)
    click(app, "sign-out")
    wait(app).until(EC.visibility_of_element_located((By.ID, "welcome")))
    app.screenshot("signed-out", top=True)


def _open_sign_in(app) -> tuple[str, str]:
    main = app.driver.current_window_handle
    click(app, "welcome-sign-in")
    wait(app).until(lambda d: len(d.window_handles) > 1)
    signin = next(h for h in app.driver.window_handles if h != main)
    app.driver.switch_to.window(signin)
    wait(app).until(EC.element_to_be_clickable((By.ID, "deny")))
    return main, signin


def test_deny_ends_in_a_clear_message(app):
    main, signin = _open_sign_in(app)
    press(app, "deny")
    back_to(app, main, signin)
    notice = wait_text(app, "notice-text", lambda t: "Allow" in t)
    assert "nothing was saved" in notice
    assert app.driver.find_element(By.ID, "welcome").is_displayed()
    app.screenshot("denied")


def test_closing_the_sign_in_window_ends_in_a_clear_message(app):
    main, signin = _open_sign_in(app)
    app.driver.close()
    back_to(app, main, signin)
    notice = wait_text(app, "notice-text", lambda t: "closed" in t)
    assert "nothing was saved" in notice
    app.screenshot("sign-in-window-closed")


def test_demo_data(app):
    click(app, "welcome-demo")
    wait(app).until(EC.visibility_of_element_located((By.ID, "dashboard")))
    wait_text(app, "server-state", lambda t: t == "running", timeout=60)
    # The demo is named by its company, not by the loopback address the
    # app serves it from (issue 22).
    # (The app's demo and the tests' simulator are the same demo company.)
    shown = wait_text(app, "account-url", lambda t: t.endswith("(demo)"))
    assert shown == f"{app.sim['account_name']} (demo)", shown
    assert "127.0.0.1" not in shown and "http" not in shown, shown
    app.screenshot("demo")


def test_settings_are_checked_and_a_new_port_restarts_the_server(app):
    main_window(app)
    set_port(app, 80)
    error = wait_text(app, "settings-error", lambda t: "1024" in t)
    assert "choose one between 1024 and 65535" in error
    app.screenshot("settings-refused", show="h-settings")
    # A valid port: saved, and the server restarts there.
    new_port = free_port()
    set_port(app, new_port)
    app.port = new_port
    wait_text(app, "server-address", lambda t: t == app.mcp_url)
    wait_text(app, "server-state", lambda t: t == "running")
    saved = json.loads((app.home / ".config" / "com.worksection.mcp" / "settings.json").read_text())
    assert saved["port"] == new_port and saved["mode"] == "demo"
    assert text(app, "settings-error") == ""


@pytest.mark.anyio
async def test_the_app_binary_bridges_stdio_to_the_running_app(app):
    """What Connect Claude Desktop writes: the app's own binary with --bridge,
    which finds the running app through its settings and forwards to it."""
    async with bridged(app, "bridge.stderr.log") as c:
        result = await c.call_tool("get_project_groups", {})
        assert not result.is_error
    main_window(app)
    wait(app).until(lambda d: d.find_elements(By.CSS_SELECTOR, "#activity tr[data-tool='get_project_groups']"))
    app.screenshot("bridged-call", show="h-activity")


def test_copy_puts_the_address_on_the_clipboard(app):
    """The dashboard's Copy (the tray's Copy MCP address runs the same
    command) leaves the server's address on the system clipboard."""
    main_window(app)
    click(app, "copy-address")
    wait_text(app, "copy-address", lambda t: t == "Copied")
    pasted = subprocess.run(
        ["xclip", "-o", "-selection", "clipboard"], capture_output=True, text=True, timeout=10
    )
    assert pasted.stdout.strip() == app.mcp_url, (pasted.stdout, pasted.stderr)


def _toggle(app, element_id: str, on: bool) -> None:
    box = app.driver.find_element(By.ID, element_id)
    app.driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", box)
    if box.is_selected() != on:
        box.click()


@pytest.mark.anyio
async def test_start_at_login_and_the_local_token(app):
    """Start at login writes (and removes) the desktop's autostart entry;
    the local token makes the server refuse calls without it, while the
    --bridge binary (what Connect writes) still gets in, reading the token
    from the app's folder."""
    main_window(app)
    autostart = app.home / ".config" / "autostart"
    _toggle(app, "set-autostart", True)
    _toggle(app, "set-token", True)
    click(app, "save-settings")
    wait_for(lambda: any(autostart.glob("*.desktop")), "the autostart entry")
    wait_for(lambda: mcp_status_without_token(app) == 401, "the server to require the token")
    token_file = app.home / ".config" / "com.worksection.mcp" / "local-token"
    assert token_file.stat().st_mode & 0o777 == 0o600
    app.screenshot("autostart-and-token", show="h-settings")
    async with bridged(app, "bridge-token.stderr.log") as c:
        assert not (await c.call_tool("get_project_groups", {})).is_error
    _toggle(app, "set-autostart", False)
    _toggle(app, "set-token", False)
    click(app, "save-settings")
    wait_for(lambda: not any(autostart.glob("*.desktop")), "the autostart entry to go")
    wait_for(lambda: mcp_status_without_token(app) != 401, "the server to drop the token")


HEX64 = re.compile(r"(?<![0-9a-f])[0-9a-f]{64}(?![0-9a-f])")
# The token stores themselves: the encrypted sign-in and its key, and the
# local bearer token (0600, checked above).
ENCRYPTED = {"tokens.enc", "tokens.key", "local-token"}


def test_no_secret_in_the_page_or_any_file_the_app_wrote(app):
    """After every other test: the dashboard's page, and every file the app
    and the tests' helpers wrote (its home and config folders, the file
    cache, the logs; the encrypted token file and its key excepted) hold no
    client secret, refresh token (def50200...), 64-hex-digit token or code
    (every token and code the simulator issues is one), nor the token
    file's encryption key."""
    main_window(app)
    secrets = {
        "the client secret": app.sim["client_secret"],
        "the token file's key": TOKEN_KEY,
        "a refresh token": "def50200",
    }

    def leaks(text: str) -> list[str]:
        found = [what for what, value in secrets.items() if value and value in text]
        if HEX64.search(text):
            found.append("a 64-hex-digit token or code")
        return found

    problems = [f"the dashboard's page: {what}" for what in leaks(app.driver.page_source)]
    scanned = 0
    roots = [app.home.parent, OUT]
    for root in roots:
        for path in root.rglob("*"):
            if not path.is_file() or path.name in ENCRYPTED or path.suffix == ".png":
                continue
            scanned += 1
            text = path.read_bytes().decode("latin-1")
            problems += [f"{path.name}: {what}" for what in leaks(text)]
    assert scanned > 0
    assert not problems, problems

"""The tray menu, clicked through the tray: with a stand-in tray host on the
session bus (tray_host.py), the app shows its StatusNotifierItem instead of
relying on the dashboard alone; these tests read the item and its menu the
way a desktop's panel does, click each entry over `com.canonical.dbusmenu`,
and check what the click really did: the clipboard, the autostart entry,
Claude Desktop's config, the file cache, the windows, the icon, and Quit
ending the process. The tests of the class run in order on one app (under
tauri-driver, so the dashboard's reaction is seen and saved as screenshots
in tests/desktop/out/).
"""

from __future__ import annotations

import json
import os
import pathlib
import socket
import subprocess
import tempfile
import time

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from Xlib import X
from Xlib import display as xdisplay
from Xlib import error as XError
from Xlib.protocol import event as xevent

from conftest import (
    OUT,
    READY_TIMEOUT,
    WAIT,
    AppHome,
    back_to,
    click,
    launched,
    main_window,
    mcp_status_without_token,
    need,
    press,
    put_a_file_in_the_cache,
    set_port,
    text,
    wait,
    wait_for,
    wait_text,
)
from processes import free_port, stop_process
from notify_host import NotificationServer
from tray_host import MenuEntry, StatusNotifierWatcher, TrayItem

TITLE = "Worksection MCP"
SEP = "---"
# The menu a signed-out person sees, top to bottom (separators as SEP).
SIGNED_OUT_MENU = [
    "Not signed in",
    SEP,
    "Open dashboard",
    "Sign in…",
    "Copy MCP address",
    "Connect Claude Desktop…",
    "Clear file cache",
    "Renew local access token",
    SEP,
    "Start at login",
    "Open logs",
    SEP,
    "Quit",
]


class Tray:
    """The app, the stand-in host, and the app's item as the host sees it."""

    def __init__(self, app, host: StatusNotifierWatcher, item: TrayItem, notices: NotificationServer):
        self.app = app
        self.host = host
        self.item = item
        self.notices = notices
        # The icon file's bytes in each state, as they are met.
        self.icons: dict[str, bytes] = {}

    def labels(self) -> list[str]:
        return [SEP if e.is_separator else e.label for e in self.item.menu()]

    def first(self) -> MenuEntry:
        return self.item.menu()[0]

    def icon(self) -> bytes:
        """The PNG the item shows now. tray-icon writes each new icon to a
        new file named by IconName (a full path) and removes the old one."""
        for _ in range(50):
            name = self.item.prop("IconName")
            path = pathlib.Path(name)
            if not path.is_absolute():
                path = pathlib.Path(self.item.prop("IconThemePath")) / f"{name}.png"
            try:
                data = path.read_bytes()
            except FileNotFoundError:
                time.sleep(0.1)  # replaced between the two reads: read again
                continue
            assert data.startswith(b"\x89PNG\r\n\x1a\n"), path
            return data
        pytest.fail("the tray icon's file kept disappearing")

    def wait_icon(self, predicate, what: str) -> bytes:
        seen = {}

        def check():
            seen["icon"] = self.icon()
            return predicate(seen["icon"])

        wait_for(check, what)
        return seen["icon"]

    def wait_entry(self, label: str, predicate, what: str) -> MenuEntry:
        deadline = time.monotonic() + WAIT
        while True:
            menu = self.item.menu()
            found = [e for e in menu if e.label == label and predicate(e)]
            if found:
                return found[0]
            if time.monotonic() > deadline:
                pytest.fail(f"timed out waiting for {what}; the menu: {menu}")
            time.sleep(0.2)


# The desktop's opener (what "Open logs" hands the folder to), standing in
# for the file manager: it writes down what it was asked to open.
OPENER = """#!/bin/sh
printf '%s\\n' "$@" >> "$(dirname "$0")/opened"
"""


@pytest.fixture(scope="class")
def opener():
    stand_in = pathlib.Path(tempfile.mkdtemp(prefix="ws-opener-"))
    (stand_in / "xdg-open").write_text(OPENER)
    (stand_in / "xdg-open").chmod(0o755)
    yield stand_in
    for f in stand_in.iterdir():
        f.unlink()
    stand_in.rmdir()


@pytest.fixture(scope="class")
def tray(sim, opener):
    # The host comes first: the app looks for it once, at start.
    path = {"PATH": f"{opener}:{os.environ.get('PATH', '')}"}
    with NotificationServer() as notices, StatusNotifierWatcher() as host, launched(sim, env=path) as app:
        item = host.wait_for_item(READY_TIMEOUT)
        with TrayItem(item) as t:
            yield Tray(app, host, t, notices)
        assert not host.errors, host.errors
        assert not notices.errors, notices.errors


def _open_window(tray: Tray, label: str) -> tuple[str, str]:
    """Clicks a tray entry that opens the sign-in window; switches to it."""
    app = tray.app
    main_window(app)
    main = app.driver.current_window_handle
    tray.item.click(label)
    wait(app).until(lambda d: len(d.window_handles) > 1)
    signin = next(h for h in app.driver.window_handles if h != main)
    app.driver.switch_to.window(signin)
    wait(app).until(EC.element_to_be_clickable((By.ID, "allow")))
    assert app.driver.current_url.startswith(app.sim["oauth_url"])
    return main, signin


def _autostart_entries(app) -> list[pathlib.Path]:
    return sorted((app.home / ".config" / "autostart").glob("*.desktop"))


def _saved_settings(app) -> dict:
    return json.loads((app.home / ".config" / "com.worksection.mcp" / "settings.json").read_text())


def _page_visible(app) -> bool:
    return app.driver.execute_script("return document.visibilityState") == "visible"


class TestTrayMenu:
    def test_the_item_is_the_products_with_the_whole_menu(self, tray):
        app, item = tray.app, tray.item
        # Without --minimized the dashboard opens as well (a first run).
        wait(app).until(EC.visibility_of_element_located((By.ID, "welcome")))
        assert item.prop("Title") == TITLE
        assert item.prop("Status") == "Active"
        assert item.prop("Category") == "ApplicationStatus"
        assert item.prop("Menu").startswith("/")
        assert tray.labels() == SIGNED_OUT_MENU
        menu = {e.label: e for e in item.menu() if not e.is_separator}
        assert not menu["Not signed in"].enabled, "the status line is not an action"
        for label in (
            "Open dashboard",
            "Sign in…",
            "Connect Claude Desktop…",
            "Renew local access token",
            "Start at login",
            "Quit",
        ):
            assert menu[label].enabled and menu[label].visible, label
        # Nothing is served yet: no address to copy, no cache to clear.
        assert not menu["Copy MCP address"].enabled
        assert not menu["Clear file cache"].enabled
        assert menu["Start at login"].props.get("toggle-type") == "checkmark"
        assert menu["Start at login"].toggle_state == 0
        tray.icons["signed-out"] = tray.icon()
        app.screenshot("tray-first-run")

    def test_sign_in_opens_the_sign_in_window(self, tray):
        app = tray.app
        main, signin = _open_window(tray, "Sign in…")
        app.screenshot("tray-sign-in-window")
        press(app, "allow")
        back_to(app, main, signin)
        wait(app).until(EC.visibility_of_element_located((By.ID, "dashboard")))
        wait_text(app, "server-state", lambda t: t == "running")
        app.screenshot("tray-signed-in")

    def test_serving_shows_the_account_and_address_and_a_new_icon(self, tray):
        app, item = tray.app, tray.item
        main_window(app)
        user = wait_text(app, "account-user", lambda t: t not in ("", "—"))
        assert text(app, "server-address") == app.mcp_url
        status = tray.wait_entry(
            f"{user} — {app.mcp_url}", lambda e: True, "the status line to name the account and address"
        )
        assert not status.enabled
        labels = tray.labels()
        assert labels[0] == f"{user} — {app.mcp_url}"
        assert labels[1:] == [("Sign in again…" if x == "Sign in…" else x) for x in SIGNED_OUT_MENU[1:]]
        assert item.entry("Copy MCP address").enabled
        assert item.entry("Clear file cache").enabled
        tray.icons["serving"] = tray.wait_icon(
            lambda icon: icon != tray.icons["signed-out"], "the icon to change from signed out to serving"
        )

    def test_copy_puts_the_address_on_the_clipboard(self, tray):
        app = tray.app
        # Something else on the clipboard first, so only the click can put
        # the address there (xclip keeps serving it until another takes it).
        subprocess.run(
            ["xclip", "-i", "-selection", "clipboard"],
            input="not the address",
            text=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            timeout=10,
            check=True,
        )
        # xclip's parent returns before its child owns the clipboard.
        wait_for(lambda: _clipboard() == "not the address", "xclip to own the clipboard")
        tray.item.click("Copy MCP address")
        wait_for(lambda: _clipboard() == app.mcp_url, f"the clipboard to hold {app.mcp_url}")

    @pytest.mark.anyio
    async def test_clear_file_cache_empties_the_cache(self, tray):
        app = tray.app
        await put_a_file_in_the_cache(app)
        main_window(app)
        files = int(wait_text(app, "cache-files", lambda t: t.isdigit() and int(t) > 0))
        tray.item.click("Clear file cache")
        notice = wait_text(app, "notice-text", lambda t: t.startswith("Cleared the file cache"))
        assert notice == f"Cleared the file cache ({files} file{'' if files == 1 else 's'})."
        wait_text(app, "cache-files", lambda t: t == "0")
        assert text(app, "cache-bytes") == "0 B"
        app.screenshot("tray-cache-cleared", top=True)

    def test_renew_local_access_token(self, tray):
        """The local access token is on from the first run, never on the
        page, and renewed from the tray."""
        app = tray.app
        token_file = app.home / ".config" / "com.worksection.mcp" / "local-token"
        before = token_file.read_text()
        assert mcp_status_without_token(app) == 401
        tray.item.click("Renew local access token")
        main_window(app)
        wait_text(app, "notice-text", lambda t: "new local access token" in t)
        after = token_file.read_text()
        assert after != before and len(after) == 64
        wait_text(app, "server-state", lambda t: t == "running")
        assert mcp_status_without_token(app) == 401
        assert after not in app.driver.page_source and before not in app.driver.page_source

    def test_start_at_login_toggles_the_autostart_entry(self, tray):
        app = tray.app
        main_window(app)
        assert not _autostart_entries(app)
        tray.item.click("Start at login")
        wait_for(lambda: _autostart_entries(app), "the autostart entry")
        (entry,) = _autostart_entries(app)
        desktop = entry.read_text()
        assert need("DESKTOP_APP").name in desktop, desktop
        assert "--minimized" in desktop, desktop
        tray.wait_entry("Start at login", lambda e: e.toggle_state == 1, "the check mark")
        # The dashboard's copy of the setting follows, and it is saved.
        wait_for(lambda: app.driver.find_element(By.ID, "set-autostart").is_selected(), "the dashboard's box")
        wait_for(lambda: _saved_settings(app).get("start_at_login") is True, "the saved setting")
        app.screenshot("tray-start-at-login", show="h-settings")
        tray.item.click("Start at login")
        wait_for(lambda: not _autostart_entries(app), "the autostart entry to go")
        tray.wait_entry("Start at login", lambda e: e.toggle_state == 0, "the check mark to go")
        wait_for(lambda: not app.driver.find_element(By.ID, "set-autostart").is_selected(), "the box to clear")
        wait_for(lambda: _saved_settings(app).get("start_at_login") is False, "the saved setting")

    def test_open_logs_opens_the_log_folder_which_has_the_start(self, tray, opener):
        """The logs are files in the OS log folder (on Linux, the app's
        folder under XDG_DATA_HOME), with a line for the start; "Open logs"
        hands that folder to the desktop's opener."""
        app = tray.app
        logs = app.home / ".local" / "share" / "com.worksection.mcp" / "logs"
        files = sorted(logs.glob("*.log"))
        assert [f.name for f in files] == ["worksection-mcp.log"], files
        first = files[0].read_text().splitlines()
        assert any("Worksection MCP started" in line and "INFO" in line for line in first), first[:5]
        assert any("serving" in line for line in first), first
        tray.item.click("Open logs")
        opened = opener / "opened"
        wait_for(opened.exists, "the opener to be asked")
        assert opened.read_text().splitlines() == [str(logs)]

    def test_connect_claude_desktop_writes_its_config(self, tray):
        app = tray.app
        config = app.claude_config()
        assert not config.exists()
        tray.item.click("Connect Claude Desktop…")
        wait_for(config.exists, "Claude Desktop's config")
        entry = json.loads(config.read_text())["mcpServers"]["worksection"]
        assert entry["args"] == ["--bridge"]
        assert entry["command"].endswith("worksection-mcp-desktop")
        main_window(app)
        notice = wait_text(app, "notice-text", lambda t: t.startswith("Connected Claude Desktop"))
        assert str(config) in notice
        # Undo is on the dashboard, as the notice says.
        wait(app).until(EC.visibility_of_element_located((By.ID, "undo-claude-desktop")))
        app.screenshot("tray-connected", top=True)

    def test_open_dashboard_shows_the_hidden_dashboard(self, tray):
        app = tray.app
        main_window(app)
        with XWindow(TITLE) as window:
            assert window.viewable() and _page_visible(app)
            # Closing the dashboard (as a window manager's close button does)
            # only hides it while there is a tray: the app and its server
            # keep running.
            window.close()
            wait_for(lambda: not window.viewable(), "the dashboard to hide")
            wait_for(lambda: not _page_visible(app), "the page to know it is hidden")
            wait_text(app, "server-state", lambda t: t == "running")
            tray.item.click("Open dashboard")
            wait_for(window.viewable, "the dashboard to show")
            wait_for(lambda: _page_visible(app), "the page to know it is shown")
        wait(app).until(EC.visibility_of_element_located((By.ID, "dashboard")))
        app.screenshot("tray-dashboard-reopened")

    def test_a_second_launch_shows_the_first_and_ends(self, tray):
        """One instance only: launching the app again (from the desktop's
        menu, say) brings back the running app's dashboard, and the second
        process ends at once without a server or a tray item of its own."""
        app = tray.app
        main_window(app)
        with XWindow(TITLE) as window:
            window.close()
            wait_for(lambda: not window.viewable(), "the dashboard to hide")
            second = subprocess.run(
                [str(need("DESKTOP_APP"))], env=app.env, capture_output=True, text=True, timeout=READY_TIMEOUT
            )
            assert second.returncode == 0, second.stderr[-2000:]
            wait_for(window.viewable, "the first app's dashboard to show")
            wait_for(lambda: _page_visible(app), "the page to know it is shown")
        assert len(tray.host.items) == 1, tray.host.items
        wait_text(app, "server-state", lambda t: t == "running")
        app.screenshot("second-launch-shows-the-first")

    def test_sign_in_again_can_be_closed(self, tray):
        app = tray.app
        user = text(app, "account-user")
        main, signin = _open_window(tray, "Sign in again…")
        app.driver.close()
        back_to(app, main, signin)
        notice = wait_text(app, "notice-text", lambda t: "closed" in t)
        assert "nothing was saved" in notice
        # Still signed in, still serving.
        assert text(app, "account-user") == user
        assert text(app, "server-state") == "running"
        app.screenshot("tray-sign-in-closed", top=True)

    def test_the_icon_tells_serving_from_error_from_signed_out(self, tray):
        app = tray.app
        main_window(app)
        user = text(app, "account-user")
        # A port another program holds: the server cannot start.
        with socket.socket() as taken:
            taken.bind(("127.0.0.1", 0))
            taken.listen()
            _set_port(app, taken.getsockname()[1])
            tray.wait_entry("Not serving — see the dashboard", lambda e: True, "the status line to say why")
            wait_text(app, "server-state", lambda t: t != "running")
            error = tray.wait_icon(
                lambda icon: icon not in (tray.icons["serving"], tray.icons["signed-out"]),
                "the error icon",
            )
            assert not tray.item.entry("Copy MCP address").enabled
            assert not tray.item.entry("Clear file cache").enabled
            # An OS notification says so, and what to click in the tray.
            port = taken.getsockname()[1]
            shown = tray.notices.wait_for(lambda n: f"Port {port}" in n.body, timeout=WAIT)
            assert shown.summary == "Worksection MCP is not serving"
            assert shown.body.startswith(f"Port {port} is taken by another program"), shown.body
            assert "Click \u201cOpen dashboard\u201d in the Worksection MCP menu in the tray" in shown.body, shown.body
            app.screenshot("tray-port-taken", top=True)
        # A free port: serving again, with the serving icon.
        app.port = free_port()
        _set_port(app, app.port)
        tray.wait_entry(f"{user} — {app.mcp_url}", lambda e: True, "the status line to name the new address")
        tray.wait_icon(lambda icon: icon == tray.icons["serving"], "the serving icon again")
        # Signed out: the first icon and menu again.
        click(app, "sign-out")
        wait(app).until(EC.visibility_of_element_located((By.ID, "welcome")))
        wait_for(lambda: tray.labels() == SIGNED_OUT_MENU, "the signed-out menu")
        tray.wait_icon(lambda icon: icon == tray.icons["signed-out"], "the signed-out icon again")
        assert error != tray.icons["signed-out"]


class XWindow:
    """A top-level X window found by its title, closed the way a window
    manager closes it (Xvfb has none): a WM_DELETE_WINDOW message."""

    def __init__(self, title: str):
        self.display = xdisplay.Display()
        named = [w for w in self.display.screen().root.query_tree().children if _wm_name(w) == title]
        found = [w for w in named if w.get_attributes().map_state == X.IsViewable]
        if len(found) != 1:
            info = [(w.id, w.get_attributes().map_state, w.get_geometry()._data) for w in named]
            self.display.close()
            pytest.fail(f"expected one shown window titled {title!r}, found {info}")
        self.window = found[0]

    def __enter__(self) -> "XWindow":
        return self

    def __exit__(self, *exc) -> None:
        self.display.close()

    def viewable(self) -> bool:
        try:
            return self.window.get_attributes().map_state == X.IsViewable
        except XError.BadWindow:  # the window is gone
            return False

    def close(self) -> None:
        """Sends the close, and waits until the X server has handled it (a
        round trip), as a window manager's connection, which stays open,
        always lets it. A client that hangs up right after sending loses
        the request: the X server closes a connection as soon as it sees
        the hang-up, without reading what is still unread (under load, 91
        of 200 such closes never reached the window; none once synced)."""
        protocols = self.display.intern_atom("WM_PROTOCOLS")
        delete = self.display.intern_atom("WM_DELETE_WINDOW")
        message = xevent.ClientMessage(
            window=self.window, client_type=protocols, data=(32, [delete, X.CurrentTime, 0, 0, 0])
        )
        self.window.send_event(message, event_mask=X.NoEventMask)
        self.display.sync()


def _wm_name(window) -> str | None:
    try:
        return window.get_wm_name()
    except Exception:  # a window that went away meanwhile
        return None


def _set_port(app, port: int) -> None:
    set_port(app, port)
    wait_text(app, "settings-error", lambda t: t == "")


def _clipboard() -> str:
    pasted = subprocess.run(["xclip", "-o", "-selection", "clipboard"], capture_output=True, text=True, timeout=10)
    return pasted.stdout.strip()


def test_quit_ends_the_app(sim):
    """Started as at login (--minimized: the tray only, no window), the
    tray's Quit stops the server and ends the process with 0."""
    where = AppHome(sim)
    log = open(OUT / "tray-quit.stderr.log", "w")
    try:
        with StatusNotifierWatcher() as host:
            proc = subprocess.Popen(
                [str(need("DESKTOP_APP")), "--minimized"], env=where.env, stdout=log, stderr=subprocess.STDOUT
            )
            try:
                ours = host.wait_for_item(READY_TIMEOUT, pid=proc.pid)
                with TrayItem(ours) as item:
                    assert item.pid() == proc.pid
                    assert item.prop("Title") == TITLE
                    item.click("Quit")
                assert proc.wait(timeout=10) == 0
                wait_for(lambda: ours not in host.items, "the item to leave the tray", timeout=WAIT)
            finally:
                stop_process(proc)
            assert not host.errors, host.errors
    finally:
        log.close()
        where.remove()

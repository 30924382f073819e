"""The updater against a local update feed this test serves.

scripts/desktop-test makes a minisign key pair at run time and builds the
second app (the one with a built-in OAuth app, DESKTOP_APP_BUILTIN) with
its public key and this feed's address (WORKSECTION_UPDATER_PUBKEY and
_URL); it hands the secret key and the feed's port to this test
(DESKTOP_UPDATER_KEY, DESKTOP_UPDATE_FEED_PORT). The feed is the updater's
static JSON (version, notes, a platform's artifact URL and its signature,
in the `.sig` form `tauri signer sign` writes), on a loopback port, with
a signed artifact beside it.

- Signed with another key, the update is downloaded, refused, and the
  dashboard says so in a message that stays; nothing is offered.
- Signed with the built-in key's secret half, the newer version is offered
  on the dashboard ("Update available — … Install and restart") and in the
  tray's menu.
The plain build (DESKTOP_APP) has no updater: its tray menu (test_tray.py)
has no update entry, and it never asks the feed.
"""

from __future__ import annotations

import base64
import contextlib
import http.server
import json
import os
import pathlib
import threading
import time

import minisign
import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC

from conftest import READY_TIMEOUT, launched, main_window, text, wait, wait_text
from tray_host import StatusNotifierWatcher, TrayItem

VERSION = "9.9.9"
ARTIFACT = f"worksection-mcp_{VERSION}_amd64.AppImage"
NOTES = "Faster answers for large projects."


def _need() -> tuple[pathlib.Path, pathlib.Path, int]:
    binary = os.environ.get("DESKTOP_APP_BUILTIN")
    key = os.environ.get("DESKTOP_UPDATER_KEY")
    port = os.environ.get("DESKTOP_UPDATE_FEED_PORT")
    if not (binary and key and port):
        pytest.skip("no build with the updater (scripts/desktop-test makes one unless DESKTOP_BUILTIN=0)")
    return pathlib.Path(binary), pathlib.Path(key), int(port)


class Feed:
    """The update feed and its artifact, served on 127.0.0.1:port."""

    def __init__(self, port: int):
        self.port = port
        self.files: dict[str, bytes] = {}
        self.asked: list[str] = []
        feed = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 - the stdlib's name
                feed.asked.append(self.path)
                body = feed.files.get(self.path.split("?", 1)[0])
                if body is None:
                    self.send_error(404)
                    return
                self.send_response(200)
                kind = "application/json" if self.path.endswith(".json") else "application/octet-stream"
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> "Feed":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()

    def publish(self, secret: minisign.SecretKey) -> None:
        """Offers VERSION, its artifact signed with `secret` (the trusted
        comment carries the version, as `tauri signer sign` writes it)."""
        artifact = f"{VERSION} ".encode() * 4096
        comment = f"timestamp:{int(time.time())}\tfile:{ARTIFACT}\tversion:{VERSION}"
        sig = secret.sign(artifact, trusted_comment=comment)
        self.files[f"/{ARTIFACT}"] = artifact
        self.files["/latest.json"] = json.dumps(
            {
                "version": VERSION,
                "notes": NOTES,
                "pub_date": "2026-12-01T12:00:00Z",
                "platforms": {
                    "linux-x86_64": {
                        "signature": base64.b64encode(bytes(sig)).decode(),
                        "url": f"http://127.0.0.1:{self.port}/{ARTIFACT}",
                    }
                },
            }
        ).encode()


@contextlib.contextmanager
def _feed():
    binary, key, port = _need()
    with Feed(port) as feed:
        yield binary, minisign.SecretKey.from_file(key), feed


def test_an_update_signed_with_another_key_is_refused_with_a_message(sim):
    with _feed() as (binary, _ours, feed):
        feed.publish(minisign.KeyPair.generate().secret_key)
        with launched(sim, binary=binary) as app:
            notice = wait_text(app, "notice-text", lambda t: "signature" in t, timeout=READY_TIMEOUT)
            assert f"An update to Worksection MCP {VERSION} was found" in notice
            assert "does not match this app's signing key, so it was not installed" in notice, notice
            assert "error" in app.driver.find_element(By.ID, "notice").get_attribute("class")
            assert not app.driver.find_element(By.ID, "update").is_displayed()
            app.screenshot("update-refused", top=True)
        # It was looked at and downloaded: refused for its signature, not unseen.
        assert "/latest.json" in feed.asked and f"/{ARTIFACT}" in feed.asked, feed.asked


def test_a_newer_signed_version_is_offered_on_the_dashboard_and_in_the_tray(sim):
    with _feed() as (binary, ours, feed):
        feed.publish(ours)
        with StatusNotifierWatcher() as host, launched(sim, binary=binary) as app:
            banner = wait(app, READY_TIMEOUT).until(EC.visibility_of_element_located((By.ID, "update")))
            assert banner.text.startswith(f"Update available — Worksection MCP {VERSION}"), banner.text
            assert NOTES in banner.text
            assert text(app, "update-install") == "Install and restart"
            assert app.driver.find_element(By.ID, "update-install").is_enabled()
            assert app.driver.find_element(By.ID, "notice").is_displayed() is False or "signature" not in text(
                app, "notice-text"
            )
            with TrayItem(host.wait_for_item(READY_TIMEOUT)) as item:
                entry = item.entry(f"Update to {VERSION} — Install and restart")
                assert entry.enabled
                labels = [e.label for e in item.menu()]
                assert labels.index(entry.label) < labels.index("Open dashboard"), labels
            main_window(app)
            app.screenshot("update-available", top=True)
            assert not host.errors, host.errors

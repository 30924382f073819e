"""Each kind of error reaches the page as its kind, and the page chooses
its advice by it: a refused API key offers to enter the key again, an
account that does not answer to check its address, a taken port to choose
another. A command's failure is answered to the page as {kind, message}
(Tauri's IPC, as the page's own `invoke` gets it) and kept on the banner
with its kind; the server's own failure is in the Server card with its.
"""

from __future__ import annotations

import socket

from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC

from conftest import click, fill, launched, set_port, text, wait, wait_text
from processes import free_port

INVOKE = """
const [command, args, done] = arguments;
window.__TAURI__.core.invoke(command, args).then(() => done({ ok: true }), (e) => done(e));
"""


def _invoke(app, command: str, **args) -> dict:
    return app.driver.execute_async_script(INVOKE, command, args)


def _focused(app) -> str:
    return app.driver.execute_script("return document.activeElement && document.activeElement.id")


def _banner_kind(app, kind: str) -> None:
    wait(app).until(lambda d: d.find_element(By.ID, "notice").get_attribute("data-kind") == kind)


def _open_ways(app) -> None:
    wait(app).until(EC.visibility_of_element_located((By.ID, "welcome")))
    click(app, "welcome-sign-in")
    wait(app).until(EC.visibility_of_element_located((By.ID, "ways")))


def test_a_refused_key_and_an_unreachable_account_each_come_as_their_kind(sim):
    with launched(sim, bare=True) as app:
        _open_ways(app)
        refused = _invoke(app, "save_api_key", accountUrl=sim["account_url"], apiKey="not-the-key-0000")
        assert refused["kind"] == "key_refused", refused
        assert refused["message"].startswith("The API key was not saved:"), refused
        # The banner has it too, with its kind and the advice for it.
        _banner_kind(app, "key_refused")
        assert "did not accept it" in text(app, "notice-text")
        wait_text(app, "notice-action", lambda t: t == "Enter the key again")
        click(app, "notice-action")
        wait(app).until(lambda d: _focused(app) == "key-value")
        app.screenshot("error-key-refused", top=True)

        # The same through the form, with an account that does not answer.
        fill(app, "key-account", f"http://127.0.0.1:{free_port()}")
        fill(app, "key-value", sim["api_key"])
        click(app, "key-submit")
        _banner_kind(app, "unreachable")
        assert "check the account address" in text(app, "notice-text").lower()
        wait_text(app, "notice-action", lambda t: t == "Check the address")
        click(app, "notice-action")
        wait(app).until(lambda d: _focused(app) == "key-account")
        unreachable = _invoke(app, "save_api_key", accountUrl=f"http://127.0.0.1:{free_port()}", apiKey=sim["api_key"])
        assert unreachable["kind"] == "unreachable", unreachable
        app.screenshot("error-unreachable", top=True)

        # What is typed wrong is said as such.
        invalid = _invoke(app, "save_api_key", accountUrl="not an address", apiKey="x")
        assert invalid["kind"] == "invalid", invalid
        assert "must look like https://" in invalid["message"], invalid


def test_a_taken_port_comes_as_its_kind_in_the_server_card(sim):
    with launched(sim) as app:
        wait(app).until(EC.visibility_of_element_located((By.ID, "welcome")))
        click(app, "welcome-demo")
        wait_text(app, "server-state", lambda t: t == "running", timeout=60)
        with socket.socket() as taken:
            taken.bind(("127.0.0.1", 0))
            taken.listen()
            port = taken.getsockname()[1]
            set_port(app, port)
            wait_text(app, "server-state", lambda t: t == "error")
            # The form was saved: the refusal is the server's, not the form's.
            assert text(app, "settings-error") == ""
            error = app.driver.find_element(By.ID, "server-error")
            wait(app).until(lambda d: error.get_attribute("data-kind") == "port_taken")
            assert error.text.startswith(f"Port {port} is taken by another program"), error.text
            status = app.driver.execute_async_script(
                "const done = arguments[0]; window.__TAURI__.core.invoke('get_status').then(done, done)"
            )
            assert status["server"]["error"]["kind"] == "port_taken", status["server"]
            wait_text(app, "server-advice", lambda t: t == "Choose another port")
            click(app, "server-advice")
            wait(app).until(lambda d: _focused(app) == "set-port")
            app.screenshot("error-port-taken", show="h-server")
        set_port(app, free_port())
        wait_text(app, "server-state", lambda t: t == "running")
        assert not app.driver.find_element(By.ID, "server-advice").is_displayed()

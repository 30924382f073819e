"""Fixtures for the desktop app's WebDriver tests.

The app (`worksection-mcp-desktop`, a debug build) runs under tauri-driver,
which drives WebKitWebDriver, on the X display the caller provides
(`scripts/desktop-test` runs Xvfb). A simulator started here plays
Worksection: the app's sign-in settings point at it through the same
environment variables the CLI reads. The app gets a throwaway home folder
(so Connect Claude Desktop writes there), its own config folder, a file
cache folder and an encrypted-file token store; nothing of the person
running the tests is touched. Each test module gets its own app (`app`),
one at a time: the app is single-instance on the session bus.
`launched()` and `AppHome` start one for fixtures of their own (the tray's
tests start a stand-in tray host first).

Paths come from DESKTOP_APP, WS_SIM_BIN and TAURI_DRIVER (set by
scripts/desktop-test). Screenshots go to tests/desktop/out/.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import pathlib
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import urllib.error
import urllib.request

import pytest
from mcp import Client, StdioServerParameters
from mcp.client.stdio import stdio_client
from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.options import ArgOptions
from selenium.webdriver.remote.client_config import ClientConfig
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

from processes import free_port, simulator_process, stop_process, wait_port

HERE = pathlib.Path(__file__).resolve().parent
OUT = HERE / "out"
READY_TIMEOUT = 60.0
# The token file's encryption key in these tests (a throwaway, guarding only
# the simulator's tokens); the secrets test checks it never leaks.
TOKEN_KEY = "desktop-test-key-not-a-secret-0123456789"


def need(env: str) -> pathlib.Path:
    value = os.environ.get(env)
    if not value or not pathlib.Path(value).is_file():
        pytest.exit(f"{env} must name a file (scripts/desktop-test sets it); got {value!r}", returncode=2)
    return pathlib.Path(value)


@pytest.fixture(scope="session")
def sim():
    OUT.mkdir(exist_ok=True)
    args = ("--port", "0", "--rps", "0", "--dataset", "demo")
    with simulator_process(need("WS_SIM_BIN"), OUT / "sim.stderr.log", *args, timeout=READY_TIMEOUT) as (_, info):
        if info is None:
            pytest.exit("the simulator did not start; see tests/desktop/out/sim.stderr.log", returncode=2)
        yield info


class App:
    """The app under tauri-driver, and the folders it was given."""

    # One numbering for every app the tests start, so screenshots of a
    # later app never overwrite an earlier one's.
    _shot_numbers = itertools.count(1)

    def __init__(self, driver: webdriver.Remote, where: AppHome, sim: dict):
        self.driver = driver
        self.home = where.home
        self.port = where.port
        # The environment it was started with, for launching it again.
        self.env = where.env
        self.sim = sim

    @property
    def mcp_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/mcp"

    def screenshot(self, name: str, show: str | None = None, top: bool = False) -> pathlib.Path:
        """Saves the window as OUT/NN-name.png, scrolled to element `show`
        (or, with `top`, to the top of the page)."""
        if show:
            self.driver.execute_script("document.getElementById(arguments[0]).scrollIntoView()", show)
        elif top:
            self.driver.execute_script("window.scrollTo(0, 0)")
        # WebKit paints after the DOM settles: wait two frames, or the first
        # screenshot of a fresh window can come out blank.
        self.driver.execute_async_script(
            "const done = arguments[arguments.length - 1];"
            "requestAnimationFrame(() => requestAnimationFrame(() => done()));"
        )
        path = OUT / f"{next(self._shot_numbers):02d}-{name}.png"
        self.driver.save_screenshot(str(path))
        return path

    def claude_config(self) -> pathlib.Path:
        return self.home / ".config" / "Claude" / "claude_desktop_config.json"


@pytest.fixture(scope="session", autouse=True)
def fresh_out():
    """Screenshots of this run only."""
    OUT.mkdir(exist_ok=True)
    for old in [*OUT.glob("*.png"), *OUT.glob("launch-*.log")]:
        old.unlink()


class AppHome:
    """A throwaway home for one app: its folders, its port, its environment."""

    def __init__(self, sim: dict, bare: bool = False, settings: dict | None = None):
        self.scratch = pathlib.Path(tempfile.mkdtemp(prefix="ws-desktop-"))
        self.home = self.scratch / "home"
        config = self.home / ".config"
        (config / "com.worksection.mcp").mkdir(parents=True)
        self.port = free_port()
        # The app's settings before its first start: only the port differs
        # from the defaults, so tests never collide with a real app on 8000.
        (config / "com.worksection.mcp" / "settings.json").write_text(json.dumps({"port": self.port, **(settings or {})}))
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("WORKSECTION_", "MCP_", "TOKEN_", "FILE_CACHE_", "XDG_CONFIG", "XDG_DATA", "XDG_CACHE"))
        }
        env.update(
            HOME=str(self.home),
            XDG_CONFIG_HOME=str(config),
            XDG_DATA_HOME=str(self.home / ".local" / "share"),
            XDG_CACHE_HOME=str(self.home / ".cache"),
            WORKSECTION_CLIENT_ID=sim["client_id"],
            WORKSECTION_CLIENT_SECRET=sim["client_secret"],
            WORKSECTION_OAUTH_URL=sim["oauth_url"],
            WORKSECTION_REDIRECT_URI=sim["redirect_uri"],
            WORKSECTION_REQUESTS_PER_SECOND="20",
            TOKEN_STORE="file",
            TOKEN_STORAGE_PATH=str(self.scratch / "tokens.enc"),
            TOKEN_ENCRYPTION_KEY=TOKEN_KEY,
            FILE_CACHE_PATH=str(self.scratch / "files"),
            LOG_LEVEL="info",
        )
        if bare:
            # As a person starts it from a menu: nothing about Worksection or
            # the token store in the environment (the store is then the
            # keychain where one answers, else an encrypted file in the
            # throwaway home).
            for k in [k for k in env if k.startswith(("WORKSECTION_", "TOKEN_"))]:
                del env[k]
            env["WORKSECTION_REQUESTS_PER_SECOND"] = "20"
        self.env = env

    def remove(self) -> None:
        shutil.rmtree(self.scratch, ignore_errors=True)


# How long an app launch may take to open its WebDriver session (tauri-driver
# and WebKitWebDriver starting, the app starting and opening its window);
# past it the launch fails, naming what did not start, instead of hanging.
LAUNCH_TIMEOUT = 90.0
# How long one WebDriver command may take before it fails.
COMMAND_TIMEOUT = 120
# The name the app's single-instance plugin owns on the session bus while
# it runs: a second launch hands over to its owner and exits at once.
SINGLE_INSTANCE = "com.worksection.mcp.SingleInstance"
_launch_numbers = itertools.count(1)


def _children(pid: int) -> list[int]:
    found = []
    for task in pathlib.Path(f"/proc/{pid}/task").glob("*"):
        with contextlib.suppress(OSError, ValueError):
            found += [int(c) for c in (task / "children").read_text().split()]
    return found


def _descendants(pid: int) -> list[int]:
    out, todo = [], [pid]
    while todo:
        kids = _children(todo.pop())
        out += kids
        todo += kids
    return out


def _cmdline(pid: int) -> str:
    with contextlib.suppress(OSError):
        return (pathlib.Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")).strip()
    return "?"


def _alive(pid: int) -> bool:
    """Running (a zombie, dead but not yet reaped, is not)."""
    with contextlib.suppress(OSError):
        return pathlib.Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    return False


def single_instance_owner() -> int | None:
    """The process that owns the app's single-instance name on the session
    bus (a running app), if any."""
    from jeepney import DBusAddress, MessageType, new_method_call
    from jeepney.io.blocking import open_dbus_connection

    bus = DBusAddress("/org/freedesktop/DBus", bus_name="org.freedesktop.DBus", interface="org.freedesktop.DBus")
    with open_dbus_connection(bus="SESSION") as conn:
        names = conn.send_and_get_reply(new_method_call(bus, "ListNames"), timeout=10).body[0]
        for name in names:
            if name.startswith(SINGLE_INSTANCE):
                reply = conn.send_and_get_reply(new_method_call(bus, "GetConnectionUnixProcessID", "s", (name,)), timeout=10)
                # The name can go between the two calls (the app exiting):
                # the bus then answers with an error ("no such name"), which
                # means nobody owns it.
                if reply.header.message_type == MessageType.method_return and reply.body:
                    return int(reply.body[0])
    return None


def _no_app_running(log) -> None:
    """Waits (briefly) for any app of an earlier launch to be gone: while
    one owns the single-instance name, a new launch would hand over to it
    and exit before opening a window, and WebKitWebDriver would wait for
    that window forever."""
    deadline = time.monotonic() + 15
    owner = single_instance_owner()
    while owner is not None and time.monotonic() < deadline:
        time.sleep(0.2)
        owner = single_instance_owner()
    if owner is not None:
        pytest.fail(
            f"an app of an earlier launch still runs (pid {owner}: {_cmdline(owner)}) and owns {SINGLE_INSTANCE} "
            f"on the session bus: a new launch would hand over to it and exit; see {log.name}"
        )


def _tail(path: pathlib.Path, lines: int = 25) -> str:
    with contextlib.suppress(OSError):
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    return ""


def _stacks(pid: int) -> str:
    """The threads' stacks of a stuck process, where gdb is installed (for
    the failure's log only)."""
    if not shutil.which("gdb"):
        return "(no gdb to show where it is stuck)"
    with contextlib.suppress(Exception):
        out = subprocess.run(
            ["gdb", "-p", str(pid), "-batch", "-nx", "-ex", "thread apply all bt 25"],
            capture_output=True,
            text=True,
            timeout=60,
        )
        return out.stdout[-20000:]
    return "(gdb could not attach)"


def _open_session(driver_port: int, binary: pathlib.Path, driver_proc: subprocess.Popen, log_path: pathlib.Path):
    """Opens the WebDriver session (which launches the app), within
    LAUNCH_TIMEOUT. A launch that does not open it fails, saying which part
    did not start: tauri-driver, WebKitWebDriver, the app (gone, or running
    without its window's automation), with the log's tail."""
    options = ArgOptions()
    options.set_capability("browserName", "wry")
    options.set_capability("tauri:options", {"application": str(binary)})
    url = f"http://127.0.0.1:{driver_port}"
    # Every WebDriver command answers within COMMAND_TIMEOUT or fails (the
    # default is to wait for ever).
    config = ClientConfig(remote_server_addr=url, timeout=COMMAND_TIMEOUT)
    result: dict = {}

    def connect() -> None:
        try:
            result["driver"] = webdriver.Remote(command_executor=url, options=options, client_config=config)
        except Exception as e:  # reported below
            result["error"] = e

    thread = threading.Thread(target=connect, daemon=True)
    thread.start()
    started = time.monotonic()
    app_pid = None
    while thread.is_alive() and time.monotonic() - started < LAUNCH_TIMEOUT:
        thread.join(0.2)
        if app_pid is None:
            apps = [p for p in _descendants(driver_proc.pid) if os.path.realpath(f"/proc/{p}/exe") == os.path.realpath(binary)]
            app_pid = apps[0] if apps else None
        elif not _alive(app_pid):
            break
    if "driver" in result:
        with open(log_path, "a") as log:
            log.write(f"--- session opened in {time.monotonic() - started:.1f} s (app pid {app_pid})\n")
        return result["driver"], app_pid
    tree = {p: _cmdline(p) for p in _descendants(driver_proc.pid) if _alive(p)}
    if "error" in result:
        what = f"the WebDriver session was refused: {result['error']}"
    elif driver_proc.poll() is not None:
        what = f"tauri-driver exited ({driver_proc.returncode})"
    elif not any("WebKitWebDriver" in c for c in tree.values()):
        what = "WebKitWebDriver is not running"
    elif app_pid is None:
        what = f"WebKitWebDriver did not start the app ({binary.name}) within {LAUNCH_TIMEOUT:.0f} s"
    elif not _alive(app_pid):
        owner = single_instance_owner()
        handed = f"; {SINGLE_INSTANCE} is owned by pid {owner} ({_cmdline(owner)})" if owner else ""
        what = f"the app (pid {app_pid}) exited before opening its window's automation session{handed}"
    else:
        what = f"the app (pid {app_pid}) runs but opened no automation session within {LAUNCH_TIMEOUT:.0f} s"
        with open(log_path, "a") as log:
            log.write(f"\n--- stacks of the app (pid {app_pid}) ---\n{_stacks(app_pid)}\n")
    with open(log_path, "a") as log:
        log.write(f"\n--- launch failed: {what}\n--- processes under tauri-driver: {tree}\n")
    _kill_tree(driver_proc)
    thread.join(10)
    pytest.fail(f"app launch: {what}. Log {log_path.name} ends:\n{_tail(log_path)}")


def _apps_in(home: pathlib.Path) -> list[int]:
    """Every app process (either build) running with `home` as HOME: also
    those a bridge started, in process groups of their own."""
    exes = {os.path.realpath(os.environ[k]) for k in ("DESKTOP_APP", "DESKTOP_APP_BUILTIN") if os.environ.get(k)}
    mine = f"HOME={home}".encode()
    found = []
    for proc in pathlib.Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        with contextlib.suppress(OSError):
            if os.path.realpath(proc / "exe") in exes and mine in (proc / "environ").read_bytes().split(b"\0"):
                found.append(int(proc.name))
    return found


def _end_apps_in(home: pathlib.Path) -> None:
    """Ends what `_kill_tree` cannot reach: an app a bridge started for this
    home (after the app under WebDriver was gone) would otherwise own the
    single-instance name into the next test."""
    for pid in _apps_in(home):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + 10
    while any(_alive(p) for p in _apps_in(home)) and time.monotonic() < deadline:
        time.sleep(0.1)


def _kill_tree(driver_proc: subprocess.Popen) -> None:
    """Ends tauri-driver and everything under it (WebKitWebDriver, the app
    and WebKit's processes): its own process group, started for it."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(driver_proc.pid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        driver_proc.wait(timeout=10)


@contextlib.contextmanager
def launched(
    sim: dict,
    env: dict[str, str] | None = None,
    bare: bool = False,
    settings: dict | None = None,
    binary: pathlib.Path | None = None,
    home: AppHome | None = None,
):
    """Starts the app (`binary`, else DESKTOP_APP) under tauri-driver in a
    fresh home (with `env` added to its environment; with `bare`, no
    WORKSECTION_* or TOKEN_* variable at all; `settings` in its settings
    file), or in `home` again (which the caller then removes); yields an
    `App`. One at a time: the app is single-instance on the session bus.
    The log of tauri-driver, WebKitWebDriver and the app goes to
    OUT/launch-NN.log; a launch that does not open its session within
    LAUNCH_TIMEOUT fails, saying what did not start."""
    where = home or AppHome(sim, bare, settings)
    where.env.update(env or {})
    binary = binary or need("DESKTOP_APP")
    log_path = OUT / f"launch-{next(_launch_numbers):02d}.log"
    driver_log = open(log_path, "w")
    driver_log.write(f"launch of {binary.name} for {os.environ.get('PYTEST_CURRENT_TEST', '?')}\n")
    driver_log.flush()
    _no_app_running(driver_log)
    driver_port = free_port()
    native_port = free_port()
    # In a process group of its own, so the app under it never outlives the
    # test (see _kill_tree), whatever WebKitWebDriver managed to do.
    driver_proc = subprocess.Popen(
        [str(need("TAURI_DRIVER")), "--port", str(driver_port), "--native-port", str(native_port)],
        env=where.env,
        stdout=driver_log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        # tauri-driver forwards to WebKitWebDriver, which starts a moment later.
        if not (wait_port(driver_port, 30) and wait_port(native_port, 30)):
            pytest.fail(f"tauri-driver or WebKitWebDriver did not start listening within 30 s; see {log_path.name}")
        if driver_proc.poll() is not None:
            pytest.fail(f"tauri-driver exited ({driver_proc.returncode}); see {log_path.name}")
        driver, app_pid = _open_session(driver_port, binary, driver_proc, log_path)
        try:
            yield App(driver, where, sim)
        finally:
            # A test may have ended the session itself (to stop the app).
            with contextlib.suppress(Exception):
                driver.quit()
            # WebKitWebDriver ends the app on quit; wait for that, so the
            # next launch never meets it on the bus.
            deadline = time.monotonic() + 10
            while app_pid and _alive(app_pid) and time.monotonic() < deadline:
                time.sleep(0.1)
    finally:
        _kill_tree(driver_proc)
        _end_apps_in(where.home)
        driver_log.close()
        if home is None:
            where.remove()


@pytest.fixture(scope="module")
def app(sim):
    """One app for a whole test module (the tests in it run in order)."""
    with launched(sim) as a:
        yield a


@pytest.fixture(scope="session")
def anyio_backend():
    return "asyncio"


def sim_stats(sim: dict) -> dict:
    with urllib.request.urlopen(sim["stats_url"], timeout=10) as r:
        return json.loads(r.read())


def records(body: dict) -> list[dict]:
    """A list answer's records as objects: the server sends two or more
    as rows of `columns` (null where a record has no such field), with
    what every record shares said once in `every`."""
    columns = body.get("columns")
    if not isinstance(columns, list):
        return body["data"]
    every = body.get("every") or {}
    return [{**every, **{c: v for c, v in zip(columns, row) if v is not None}} for row in body["data"]]


async def put_a_file_in_the_cache(app: App) -> None:
    """Reads a project's attachment through MCP (the bridge, which carries
    the local token), which caches the file."""
    async with bridged(app, "bridge-cache.stderr.log") as c:
        projects = records(json.loads((await c.call_tool("get_projects", {})).content[0].text))
        uri = None
        for p in projects:
            images = await c.call_tool("get_project_files", {"project_id": str(p["id"])})
            if images.is_error:
                continue
            found = [v for v in _walk(json.loads(images.content[0].text)) if str(v).startswith("worksection://file/")]
            if found:
                uri = found[0]
                break
        assert uri, "no project of the demo account has a file"
        contents = (await c.read_resource(uri)).contents
        assert contents


def _walk(value):
    """Every scalar in a JSON value."""
    if isinstance(value, dict):
        for v in value.values():
            yield from _walk(v)
    elif isinstance(value, list):
        for v in value:
            yield from _walk(v)
    else:
        yield value


# --- helpers the tests share ------------------------------------------------------

WAIT = 30


def wait(app, timeout: float = WAIT) -> WebDriverWait:
    # The page redraws itself whenever the app publishes its state, so a
    # node found a moment ago may be gone: WebKitWebDriver then answers
    # "stale element" (even to a search in progress), and the condition is
    # asked again rather than failing the test.
    return WebDriverWait(app.driver, timeout, ignored_exceptions=(StaleElementReferenceException,))


def text(app, element_id: str) -> str:
    return app.driver.find_element(By.ID, element_id).text


def wait_text(app, element_id: str, predicate, timeout: float = WAIT) -> str:
    """Waits until the element's text satisfies `predicate`; returns it."""
    seen = {}

    def check(_):
        seen["t"] = app.driver.find_element(By.ID, element_id).text
        return predicate(seen["t"])

    try:
        wait(app, timeout).until(check)
    except Exception:
        pytest.fail(f"#{element_id} stayed {seen.get('t')!r}")
    return seen["t"]


def click(app, element_id: str) -> None:
    """Clicks a button after scrolling it to the middle of the window, clear
    of the banner that sticks to the top."""
    el = app.driver.find_element(By.ID, element_id)
    app.driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", el)
    wait(app).until(EC.element_to_be_clickable((By.ID, element_id)))
    el.click()


def press(app, element_id: str) -> None:
    """Clicks a button whose window goes away with the click: the sign-in
    window's Allow and Deny (the app closes that window when Worksection
    redirects). A WebDriver click waits for the navigation it caused, and
    WebKitWebDriver may never answer that wait once the window closed
    under it (the suite hung there, under load); so the page clicks it
    itself, after the command has returned."""
    el = wait(app).until(EC.element_to_be_clickable((By.ID, element_id)))
    app.driver.execute_script("const el = arguments[0]; setTimeout(() => el.click(), 0);", el)


def main_window(app) -> None:
    """Switches to the dashboard (the first window that shows it)."""
    for handle in app.driver.window_handles:
        app.driver.switch_to.window(handle)
        if app.driver.find_elements(By.ID, "dashboard"):
            return
    pytest.fail("the dashboard window is gone")


def back_to(app, main: str, closing: str) -> None:
    """Waits for window `closing` (the sign-in window) to go; switches to
    window `main`."""
    wait(app).until(lambda d: closing not in d.window_handles)
    app.driver.switch_to.window(main)


def set_port(app, port: int) -> None:
    """Types a new port into the dashboard's settings and saves it. The
    value is set and announced (`input`, which marks the form as edited) in
    one go: the page refills an unedited form on every status event, and one
    arriving between a WebDriver clear and the typing would put the old
    port back."""
    field = app.driver.find_element(By.ID, "set-port")
    app.driver.execute_script(
        "arguments[0].scrollIntoView({block: 'center'});"
        "arguments[0].value = arguments[1];"
        "arguments[0].dispatchEvent(new Event('input', {bubbles: true}));",
        field,
        str(port),
    )
    assert field.get_attribute("value") == str(port)
    click(app, "save-settings")


def wait_for(check, what: str, timeout: float = WAIT) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.2)


@contextlib.asynccontextmanager
async def bridged(app, log_name: str, env: dict[str, str] | None = None):
    """An MCP session through the app's own binary with --bridge (what
    Connect Claude Desktop writes), run with the app's home and config
    folders (or all of `env`); its stderr goes to OUT/log_name."""
    params = StdioServerParameters(
        command=os.environ["DESKTOP_APP"],
        args=["--bridge"],
        env=env or {"HOME": str(app.home), "XDG_CONFIG_HOME": str(app.home / ".config"), "PATH": os.environ.get("PATH", "")},
    )
    with open(OUT / log_name, "w") as errlog:
        async with Client(stdio_client(params, errlog=errlog), mode="legacy", read_timeout_seconds=60) as c:
            yield c


def fill(app, element_id: str, value: str) -> None:
    """Types `value` into a field (replacing what is there)."""
    el = app.driver.find_element(By.ID, element_id)
    app.driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", el)
    el.clear()
    el.send_keys(value)


def files_holding(root: pathlib.Path, needle: str) -> list[str]:
    """Every file under `root` whose bytes hold `needle` in clear (a file
    the running app removes while this looks, such as WebKit's storage, is
    skipped)."""
    found = []
    for path in root.rglob("*"):
        try:
            held = path.is_file() and needle.encode() in path.read_bytes()
        except FileNotFoundError:
            continue
        if held:
            found.append(str(path.relative_to(root)))
    return found


def mcp_status_without_token(app) -> int:
    """The HTTP status of an MCP initialize sent with no Authorization."""
    body = json.dumps(
        {
            "jsonrpc": "2.0",
            "id": 1,
            "method": "initialize",
            "params": {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}},
        }
    ).encode()
    req = urllib.request.Request(
        app.mcp_url,
        data=body,
        headers={"Content-Type": "application/json", "Accept": "application/json, text/event-stream"},
    )
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status
    except urllib.error.HTTPError as e:
        return e.code


def app_pids(app) -> list[int]:
    """The app processes (not bridges) running with this app's home: the
    ones a bridge started, which no WebDriver session owns."""
    exe = os.path.realpath(os.environ["DESKTOP_APP"])
    home = f"HOME={app.home}".encode()
    found = []
    for proc in pathlib.Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            argv = (proc / "cmdline").read_bytes().split(b"\0")
            if os.path.realpath(argv[0].decode()) != exe or b"--bridge" in argv:
                continue
            if home in (proc / "environ").read_bytes().split(b"\0"):
                found.append(int(proc.name))
        except (OSError, UnicodeDecodeError):
            continue
    return found


def port_open(port: int) -> bool:
    with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.5):
        return True
    return False

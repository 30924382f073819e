"""Fixtures for the end-to-end tests of `worksection-mcp` against `worksection-sim`.

Nothing is built here: build first (`cargo build -p worksection-mcp -p
worksection-sim`). Binaries come from WS_MCP_BIN / WS_SIM_BIN when set, else
from the cargo target directory's `debug` folder.

Session fixtures start one simulator (demo dataset, no rate limit) and one
`worksection-mcp serve` over streamable HTTP against it; both are stopped at
the end. Logs go to tests/e2e/out/. Expectations come from the simulator's
admin API through `AdminApi`, never from the server's code.

With WS_E2E_TOPOLOGY=replicas (scripts/test's third pass), the session-wide
`server` is the replicated topology of issue 24 instead (replicas.py):
Redis, three team-mode replicas (`--team --redis-url ... --team-admin-key`,
so answers are the whole account's, as the tests expect) and nginx in front,
reached through a loopback proxy that adds a team-mode bearer token (the
account's owner, signed in once through the simulator's OAuth). Every test
that uses `server` (`mcp` and everything built on it) then goes through the
load balancer. Tests that start their own servers would only repeat the
other passes, so that pass deselects them by itself: a test is kept only if
`server` is among its fixtures (or it is marked `last`, the secrets scan of
what the pass wrote); `pytest_collection_modifyitems` below says so.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import os
import pathlib
import re
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from contextlib import asynccontextmanager

import pytest
from mcp import Client, StdioServerParameters
from mcp.client.stdio import stdio_client

import helpers
from processes import QUIRKS, QUIRKS_OFF, free_port, simulator_process, stop_process

HERE = pathlib.Path(__file__).resolve().parent
REPO = HERE.parent.parent
# `single` (one `worksection-mcp serve`) or `replicas` (see above).
TOPOLOGY = os.environ.get("WS_E2E_TOPOLOGY", "single")
if TOPOLOGY not in ("single", "replicas"):
    raise SystemExit(f"WS_E2E_TOPOLOGY={TOPOLOGY!r}: expected `single` or `replicas`")
REPLICATED = TOPOLOGY == "replicas"
# Each pass writes its logs to a folder of its own (out/plain, out/quirks,
# out/replicas), so that the passes can run at the same time (scripts/test).
OUT = HERE / "out" / ("quirks" if QUIRKS else "replicas" if REPLICATED else "plain")
# Spread over pytest-xdist's workers (scripts/test runs `-n`; pytest.ini
# keeps each file on one worker), every worker has its own session-wide
# simulator and servers, whose logs carry the worker's name.
WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")


def session_log(name: str) -> pathlib.Path:
    """The log of a session-wide process: out/<pass>/<name>[-<worker>].stderr.log."""
    return OUT / f"{name}{'-' + WORKER if WORKER else ''}.stderr.log"

SERVER_RPS = "20"
READY_TIMEOUT = 60.0
CALL_TIMEOUT = 90.0
SERVING_RE = re.compile(r"Worksection MCP: serving (.+?) at http://127\.0\.0\.1:(\d+)/mcp")

# Every warning or error the MCP Python SDK logs (its loggers are under
# `mcp`) fails the test it was logged in: a client that warns on every
# session close, or on an answer it had to guess at, is what users see.
# The TypeScript SDK's are checked where it runs (ts_sdk.py).
SDK_LOGGER = "mcp"


class SdkLogs(logging.Handler):
    """Collects the SDK's log records at WARNING and above."""

    def __init__(self):
        super().__init__(level=logging.WARNING)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def take(self) -> list[str]:
        taken = [f"{r.name} {r.levelname}: {r.getMessage()}" for r in self.records]
        self.records.clear()
        return taken


SDK_LOGS = SdkLogs()
logging.getLogger(SDK_LOGGER).addHandler(SDK_LOGS)
if logging.getLogger(SDK_LOGGER).getEffectiveLevel() > logging.WARNING:
    logging.getLogger(SDK_LOGGER).setLevel(logging.WARNING)

# Settings the server reads from the environment (or a .env file); the tests
# set their own and drop whatever the calling shell had.
SERVER_ENV_PREFIXES = ("WORKSECTION_", "MCP_", "FILE_CACHE_", "MAX_FILE_", "RESPONSE_CACHE_", "LOG_LEVEL")


_STRAY_SDK_LOGS: list[str] = []


@pytest.hookimpl(wrapper=True)
def pytest_runtest_setup(item):
    # Logged between two tests' windows (none is expected): reported at the end.
    _STRAY_SDK_LOGS.extend(SDK_LOGS.take())
    return (yield)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item, nextitem):
    """Fails a test in which the Python SDK logged a warning or an error,
    from its setup to its teardown (fixtures' included): the test's
    teardown errors, naming them."""
    result = yield
    logged = SDK_LOGS.take()
    if logged:
        raise AssertionError("the MCP Python SDK logged:\n" + "\n".join(logged))
    return result


def pytest_sessionfinish(session, exitstatus):
    stray = _STRAY_SDK_LOGS + SDK_LOGS.take()
    if stray:
        session.config.get_terminal_writer().line(
            "error: the MCP Python SDK logged outside any test:\n" + "\n".join(stray), red=True
        )
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


# The sweeps' counts (test_sweep.py records them with `record_property`),
# gathered from the reports, so that they arrive from xdist's workers too.
# Likewise what test_replicas.py's clients saw (calls, errors, upstream
# requests), recorded as `replicas`.
_SWEEP_COUNTS: list[str] = []
_REPLICAS_SEEN: list[str] = []


def pytest_runtest_logreport(report):
    if report.when == "call":
        _SWEEP_COUNTS.extend(str(v) for k, v in report.user_properties if k == "sweep")
        _REPLICAS_SEEN.extend(str(v) for k, v in report.user_properties if k == "replicas")


def pytest_terminal_summary(terminalreporter):
    for title, lines in (("sweep: calls and validations", _SWEEP_COUNTS), ("replicas: what the clients saw", _REPLICAS_SEEN)):
        if lines:
            terminalreporter.section(title)
            for line in lines:
                terminalreporter.line(line)


def pytest_collection_modifyitems(config, items):
    """Tests marked `last` run after all the others (the secrets scan reads
    every file the others wrote); the order is otherwise unchanged.

    Through the replicas (WS_E2E_TOPOLOGY=replicas), only the tests that
    use the session-wide `server` (directly or through a fixture such as
    `mcp`) are kept, and those marked `last`: the others start servers of
    their own, which that pass would only run a second time."""
    if REPLICATED:
        kept, dropped = [], []
        for item in items:
            uses = "server" in getattr(item, "fixturenames", ())
            (kept if uses or item.get_closest_marker("last") else dropped).append(item)
        if dropped:
            config.hook.pytest_deselected(items=dropped)
            items[:] = kept
    items.sort(key=lambda item: item.get_closest_marker("last") is not None)


# --------------------------------------------------------------- binaries


def _target_dir() -> pathlib.Path:
    out = subprocess.run(
        ["cargo", "metadata", "--format-version", "1", "--no-deps"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    )
    return pathlib.Path(json.loads(out.stdout)["target_directory"])


@pytest.fixture(scope="session")
def binaries() -> dict[str, pathlib.Path]:
    OUT.mkdir(parents=True, exist_ok=True)
    found: dict[str, pathlib.Path] = {}
    target: pathlib.Path | None = None
    for key, env, name in (("mcp", "WS_MCP_BIN", "worksection-mcp"), ("sim", "WS_SIM_BIN", "worksection-sim")):
        given = os.environ.get(env)
        if given:
            path = pathlib.Path(given)
        else:
            if target is None:
                target = _target_dir()
            path = target / "debug" / name
        if not path.is_file():
            pytest.exit(
                f"{path} does not exist; build first with `cargo build -p worksection-mcp -p worksection-sim` "
                f"or set {env}",
                returncode=2,
            )
        found[key] = path
    return found


# --------------------------------------------------------------- processes


class Sim:
    def __init__(self, info: dict, proc: subprocess.Popen):
        self.info = info
        self.proc = proc
        self.account_url: str = info["account_url"]
        self.api_key: str = info["api_key"]

    def stats(self) -> dict:
        with urllib.request.urlopen(self.info["stats_url"], timeout=10) as r:
            return json.loads(r.read())

    def reset_stats(self) -> None:
        req = urllib.request.Request(self.account_url + "/__sim/stats/reset", method="POST", data=b"")
        urllib.request.urlopen(req, timeout=10).close()


# Through the replicas, the load balancer's port, chosen before the
# simulator starts: its OAuth app has to accept the callback there.
LB_PORT = free_port() if REPLICATED else None


@pytest.fixture(scope="session")
def sim(binaries):
    OUT.mkdir(parents=True, exist_ok=True)
    args = ("--port", "0", "--rps", "0", "--dataset", "demo")
    if REPLICATED:
        args += ("--redirect-uri", f"http://127.0.0.1:{LB_PORT}/oauth/worksection/callback")
    with simulator_process(binaries["sim"], session_log("sim"), *args, timeout=READY_TIMEOUT) as (proc, info):
        if info is None:
            pytest.exit(f"the simulator did not start; see {session_log('sim')}", returncode=2)
        yield Sim(info, proc)


class AdminApiError(Exception):
    def __init__(self, body: dict):
        super().__init__(body.get("message"))
        self.body = body


def md5_query(pairs) -> str:
    """A query for the md5 scheme: what the query syntax allows as data is
    sent as itself, so the hash over the query as sent (the simulator's
    default `--md5-over received`) and over its decoded values agree
    wherever they can."""
    safe = "-._~!$()*,:@/?"
    return "&".join(f"{urllib.parse.quote(k, safe=safe)}={urllib.parse.quote(v, safe=safe)}" for k, v in pairs)


class AdminApi:
    """The simulator's admin API, md5-signed like Worksection's."""

    def __init__(self, account_url: str, api_key: str):
        self.base = account_url.rstrip("/") + "/api/admin/v2"
        self.key = api_key

    def raw(self, action: str, **params) -> bytes:
        params = {**params, **QUIRKS_OFF}
        pairs = [("action", action)] + [(k, str(v)) for k, v in params.items() if v is not None]
        query = md5_query(pairs)
        digest = hashlib.md5((query + self.key).encode("utf-8")).hexdigest()
        req = urllib.request.Request(f"{self.base}?{query}&hash={digest}", method="POST", data=b"")
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.read()

    def call(self, action: str, **params) -> dict:
        body = json.loads(self.raw(action, **params))
        if body.get("status") != "ok":
            raise AdminApiError(body)
        return body

    def data(self, action: str, **params):
        return self.call(action, **params).get("data")

    def download(self, file_id) -> bytes:
        return self.raw("download", id_file=file_id)


@pytest.fixture(scope="session")
def api(sim) -> AdminApi:
    return AdminApi(sim.account_url, sim.api_key)


def server_env(sim: Sim, cache_dir: pathlib.Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(SERVER_ENV_PREFIXES)}
    env.update(
        WORKSECTION_ACCOUNT_URL=sim.account_url,
        WORKSECTION_API_KEY=sim.api_key,
        MCP_SERVER_PORT="0",
        FILE_CACHE_PATH=str(cache_dir),
        WORKSECTION_REQUESTS_PER_SECOND=SERVER_RPS,
        LOG_LEVEL="info",
    )
    env.update(extra)
    return env


class HttpServer:
    def __init__(self, proc: subprocess.Popen, url: str, label: str, log_path: pathlib.Path):
        self.proc = proc
        self.url = url
        self.label = label
        self.log_path = log_path

    def alive(self) -> bool:
        return self.proc.poll() is None

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


def wait_serving(proc: subprocess.Popen, log_path: pathlib.Path) -> re.Match:
    """Waits for `worksection-mcp serve` to log where it serves; returns
    that line's match of SERVING_RE (group 1 what it serves, group 2 the
    port). Fails if the process ends first or READY_TIMEOUT passes."""
    deadline = time.monotonic() + READY_TIMEOUT
    while time.monotonic() < deadline:
        m = SERVING_RE.search(log_path.read_text(errors="replace"))
        if m:
            return m
        if proc.poll() is not None:
            raise AssertionError(f"worksection-mcp exited with {proc.returncode}:\n{log_path.read_text()[-3000:]}")
        time.sleep(0.05)
    raise AssertionError(f"worksection-mcp did not start in {READY_TIMEOUT} s:\n{log_path.read_text()[-3000:]}")


@pytest.fixture(scope="session")
def workdir(tmp_path_factory):
    """A scratch folder: the servers' working directory (so no stray .env is
    read: it sits in pytest's temporary folder, outside the checkout) and
    their file caches. It stays with pytest's other temporary folders after
    the run, for test_secrets.py's scan (which may run in a later pytest
    run: see `EARLIER_BASETEMP`)."""
    return tmp_path_factory.mktemp("ws-mcp-e2e-work")


# The scan of every file the suite wrote (test_secrets.py, marked `last`)
# runs after all the other tests. When those ran in an earlier pytest run
# (spread over pytest-xdist's workers, which scripts/test does), that run's
# `--basetemp` is named here so the scan covers its folders too.
EARLIER_BASETEMP = os.environ.get("E2E_EARLIER_BASETEMP")


class ReplicatedServer:
    """The `server` of the replicas pass: the bearer proxy's /mcp in front
    of nginx, three replicas and Redis (`topology`, replicas.py)."""

    def __init__(self, topology, proxy, person):
        self.topology = topology
        self.proxy = proxy
        self.person = person
        self.url = f"{proxy.base}/mcp"
        self.label = "a team through three replicas"

    def alive(self) -> bool:
        return self.topology.alive()

    def log(self) -> str:
        return self.topology.log()


@pytest.fixture(scope="session")
def server(binaries, sim, workdir):
    OUT.mkdir(parents=True, exist_ok=True)
    if REPLICATED:
        yield from _replicated_server(binaries, sim, workdir)
        return
    log_path = session_log("server-http")
    log = open(log_path, "w")
    proc = subprocess.Popen(
        [str(binaries["mcp"]), "serve"],
        env=server_env(sim, workdir / "cache-http"),
        cwd=workdir,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=log,
    )
    try:
        try:
            match = wait_serving(proc, log_path)
        except AssertionError as e:
            pytest.exit(f"see {log_path}: {e}", returncode=2)
        yield HttpServer(proc, f"http://127.0.0.1:{match.group(2)}/mcp", match.group(1), log_path)
    finally:
        stop_process(proc)
        log.close()


def _replicated_server(binaries, sim, workdir):
    import replicas
    from bearer_proxy import BearerProxy

    missing = replicas.missing_tools()
    if missing:
        pytest.exit(f"the replicas pass needs Debian's {' and '.join(missing)} (apt-get install {' '.join(missing)})",
                    returncode=2)
    # Logs named server-replicas-*: the secrets scan (test_secrets.py) counts them as server logs.
    name = f"server-replicas{'-' + WORKER if WORKER else ''}"
    try:
        # The replicas' file caches in `workdir`, as the single server's
        # (test_tools.py looks there; the secrets scan reads them).
        with replicas.topology(binaries, sim.info, LB_PORT, name=name, admin=True, files=workdir) as topo:
            person = replicas.sign_in(topo.base, replicas.owner_email(AdminApi(sim.account_url, sim.api_key)))
            proxy = BearerProxy(topo.base, person.token)
            try:
                yield ReplicatedServer(topo, proxy, person)
            finally:
                proxy.close()
    except AssertionError as e:
        pytest.exit(f"the replicated topology did not start: {e}", returncode=2)


# --------------------------------------------------------------- MCP clients


@pytest.fixture(scope="session")
def anyio_backend():
    return "asyncio"


@asynccontextmanager
async def unwrapped(client: Client):
    """Enters an SDK client; a failure inside the block comes out as itself
    rather than wrapped in the client's task-group ExceptionGroup."""
    try:
        async with client as c:
            yield c
    except BaseExceptionGroup as group:
        leaf: BaseException = group
        while isinstance(leaf, BaseExceptionGroup) and len(leaf.exceptions) == 1:
            leaf = leaf.exceptions[0]
        if leaf is group:
            raise
        raise leaf from None


@pytest.fixture
def mcp(server):
    """`async with mcp() as c:` opens a fresh MCP session over streamable HTTP."""

    def open_session():
        return unwrapped(Client(server.url, mode="legacy", read_timeout_seconds=CALL_TIMEOUT))

    return open_session


# Runs the server, then writes its exit status and run time to a file, so a
# test can tell a clean exit (status 0, on its own) from being killed.
_EXIT_RECORDER = (
    "import json, subprocess, sys, time\n"
    "t = time.monotonic()\n"
    "rc = subprocess.call(sys.argv[2:])\n"
    "open(sys.argv[1], 'w').write(json.dumps({'rc': rc, 'seconds': time.monotonic() - t}))\n"
    "sys.exit(rc)\n"
)


class StdioServer:
    """Starts `worksection-mcp serve` over stdio for each session it opens."""

    def __init__(self, binary: pathlib.Path, sim: Sim, workdir: pathlib.Path):
        self.binary = binary
        self.env = server_env(sim, workdir / "cache-stdio", MCP_TRANSPORT="stdio")
        self.workdir = workdir
        self.log_path = session_log("server-stdio")
        self.status_path = workdir / "stdio-exit.json"
        self.runs = 0

    def params(self) -> StdioServerParameters:
        return StdioServerParameters(
            command=sys.executable,
            args=["-c", _EXIT_RECORDER, str(self.status_path), str(self.binary), "serve"],
            env=self.env,
            cwd=str(self.workdir),
        )

    @asynccontextmanager
    async def session(self):
        self.runs += 1
        self.status_path.unlink(missing_ok=True)
        with open(self.log_path, "a") as errlog:
            errlog.write(f"--- session {self.runs} ---\n")
            errlog.flush()
            client = Client(stdio_client(self.params(), errlog=errlog), mode="legacy", read_timeout_seconds=CALL_TIMEOUT)
            async with unwrapped(client) as c:
                yield c

    def exit_status(self) -> dict | None:
        try:
            return json.loads(self.status_path.read_text())
        except (FileNotFoundError, ValueError):
            return None

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


@pytest.fixture(scope="session")
def stdio_server(binaries, sim, workdir) -> StdioServer:
    OUT.mkdir(parents=True, exist_ok=True)
    session_log("server-stdio").write_text("")
    return StdioServer(binaries["mcp"], sim, workdir)


# --------------------------------------------------------------- the account's data


class World:
    """The simulator's data as the admin API gives it, fetched once."""

    def __init__(self, api: AdminApi):
        self.today = dt.date.today()
        self.users = api.data("get_users")
        self.owner = next(u for u in self.users if u.get("role") == "Owner")
        self.projects = api.data("get_projects")
        self.project_by_name = {p["name"]: p for p in self.projects}
        # Every project's tasks, nested, with every extra a test may need.
        self.project_tasks = {
            p["id"]: api.data("get_tasks", id_project=p["id"], extra="subtasks,files,relations,subscribers")
            for p in self.projects
        }
        self.tasks = [t for p in self.projects for t in helpers.flatten(self.project_tasks[p["id"]])]
        self.task_by_id = {t["id"]: t for t in self.tasks}
        self.archived = {p["id"] for p in self.projects if p["status"] == "archive"}
        found = api.data("search_tasks", filter="name = 'Fix checkout payment error'")
        assert len(found) == 1, f"showcase task not found once: {found}"
        self.showcase = found[0]
        # Files: of projects, and of tasks with their comments.
        self.files = []
        for p in self.projects:
            for f in api.data("get_files", id_project=p["id"]):
                self.files.append(dict(f, on=("project", p["id"])))
        for t in self.tasks:
            for f in api.data("get_files", id_task=t["id"]):
                self.files.append(dict(f, on=("task", t["id"])))
        self.file_by_name = {f["name"]: f for f in self.files}

    def file(self, name: str) -> dict:
        return self.file_by_name[name]

    def open_tasks(self, include_archived: bool = False) -> list[dict]:
        return [
            t
            for t in self.tasks
            if helpers.is_open(t) and (include_archived or t["project"]["id"] not in self.archived)
        ]


@pytest.fixture(scope="session")
def world(api) -> World:
    return World(api)

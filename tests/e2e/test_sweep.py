"""The sweep (sweep.py): every tool with every id of the demo account, and
with a sample of the `large` account, through the official Python SDK and
the official TypeScript SDK (the client of Claude Desktop, Claude Code,
Cursor and VS Code), over streamable HTTP and, for the TypeScript SDK, over
stdio through the desktop app's bridge as Claude Desktop starts it. Every
`structuredContent` must validate against its tool's `outputSchema` (the
SDK's own validation, and `jsonschema` 2020-12), no call may be `isError`
but a documented input error, and neither SDK may warn. Runs in both
passes of the suite: the simulator plain and with `--quirks`.

The counts of calls and validations are printed at the end of the run
(conftest.py's terminal summary).

Each sweep has a server of its own, paced at Worksection's ceiling the
server accepts (50 requests a second) against a simulator without a rate
limit, and caching answers for the whole run.
"""

from __future__ import annotations

import json
import os
import pathlib

import pytest

import procs
import sweep
import ts_sdk
from conftest import OUT, READY_TIMEOUT, _target_dir
from processes import free_port

pytestmark = pytest.mark.anyio

FAST = {"WORKSECTION_REQUESTS_PER_SECOND": "50", "RESPONSE_CACHE_TTL_SECONDS": "3600"}
DESKTOP_TOKEN = "sweep-test-local-token-0123456789abcdef"
LARGE_SAMPLE = 40


def listed(tools) -> set[str]:
    return {t["name"] for t in tools}


def python_tools(result) -> list[dict]:
    return [{"name": t.name, "outputSchema": t.output_schema} for t in result.tools]


@pytest.fixture(scope="module")
def account(api) -> sweep.Account:
    return sweep.Account(api)


@pytest.fixture(scope="module")
def calls(account) -> list[sweep.Call]:
    return sweep.plan(account)


@pytest.fixture(scope="module")
def sweep_server(binaries, sim, workdir):
    with procs.server(binaries, sim, workdir, "server-sweep", **FAST) as served:
        yield served


def report(record_property, tally: sweep.Tally, account: sweep.Account) -> None:
    counts = ", ".join(f"{n} {what}" for what, n in account.counts().items())
    record_property("sweep", f"{tally.summary()} ({counts})")


async def test_sweep_through_the_python_sdk(sweep_server, account, calls, record_property):
    async with procs.open_session(sweep_server.url) as c:
        tools = python_tools(await c.list_tools())
        tally = sweep.Tally("Python SDK, streamable HTTP", tools)
        await sweep.run_python(c, calls, tally)
    report(record_property, tally, account)
    tally.check(listed(tools))


def test_sweep_through_the_typescript_sdk(sweep_server, account, calls, record_property):
    run = ts_sdk.run(ts_sdk.http(sweep_server.url), calls, "sweep-ts-http")
    run.check_clean()
    tally = sweep.Tally("TypeScript SDK, streamable HTTP", run.tools)
    for answer in run.answers(calls):
        tally.add(answer)
    report(record_property, tally, account)
    tally.check(listed(run.tools))


def desktop_binary() -> pathlib.Path:
    binary = pathlib.Path(os.environ.get("WS_DESKTOP_BIN") or _target_dir() / "debug" / "worksection-mcp-desktop")
    assert binary.is_file(), f"{binary} does not exist; build the workspace first or set WS_DESKTOP_BIN"
    return binary


@pytest.fixture(scope="module")
def desktop_home(binaries, sim, workdir, tmp_path_factory):
    """The running desktop app as its bridge finds it (its settings and
    local token, as the app writes them), stood in for by the headless
    server on that port with that token, as test_extension.py does."""
    port = free_port()
    home = tmp_path_factory.mktemp("desktop-home")
    config = home / ".config" / "com.worksection.mcp"
    config.mkdir(parents=True)
    (config / "settings.json").write_text(json.dumps({"mode": "api_key", "port": port}))
    (config / "local-token").write_text(DESKTOP_TOKEN)
    with procs.server(
        binaries, sim, workdir, "server-sweep-desktop", MCP_SERVER_PORT=str(port), MCP_AUTH_TOKEN=DESKTOP_TOKEN, **FAST
    ):
        yield home


def desktop_bridge(home: pathlib.Path, name: str) -> dict:
    """Claude Desktop's way in: it starts `worksection-mcp-desktop --bridge`
    (the extension's entry point) and talks stdio to it."""
    env = {"HOME": str(home), "XDG_CONFIG_HOME": str(home / ".config"), "PATH": os.environ.get("PATH", "")}
    return ts_sdk.stdio(str(desktop_binary()), ["--bridge"], env, OUT / f"{name}.stderr.log")


def test_sweep_through_the_typescript_sdk_and_the_desktop_bridge(desktop_home, account, calls, record_property):
    run = ts_sdk.run(desktop_bridge(desktop_home, "sweep-ts-bridge"), calls, "sweep-ts-bridge")
    run.check_clean()
    tally = sweep.Tally("TypeScript SDK, stdio through the desktop bridge", run.tools)
    for answer in run.answers(calls):
        tally.add(answer)
    report(record_property, tally, account)
    tally.check(listed(run.tools))


# --------------------------------------------------------------- the large account


@pytest.fixture(scope="module")
def large(binaries, workdir):
    """The `large` account (10,000 tasks), a simulator and a server of its
    own; a sample of its ids (`LARGE_SAMPLE` tasks, at random by a fixed
    seed, with some of their projects, people and files)."""
    from conftest import AdminApi

    with procs.simulator(binaries, "sim-sweep-large", "--rps", "0", "--dataset", "large") as lsim:
        account = sweep.Account(AdminApi(lsim.account_url, lsim.api_key), sample=LARGE_SAMPLE)
        with procs.server(binaries, lsim, workdir, "server-sweep-large", **FAST) as served:
            yield served, account, sweep.plan(account)


async def test_sweep_of_the_large_account_through_the_python_sdk(large, record_property):
    served, account, calls = large
    async with procs.open_session(served.url, read_timeout=READY_TIMEOUT * 3) as c:
        tools = python_tools(await c.list_tools())
        tally = sweep.Tally("Python SDK, streamable HTTP, large account (a sample)", tools)
        await sweep.run_python(c, calls, tally)
    report(record_property, tally, account)
    tally.check(listed(tools))


def test_sweep_of_the_large_account_through_the_typescript_sdk(large, record_property):
    served, account, calls = large
    run = ts_sdk.run(ts_sdk.http(served.url), calls, "sweep-ts-large")
    run.check_clean()
    tally = sweep.Tally("TypeScript SDK, streamable HTTP, large account (a sample)", run.tools)
    for answer in run.answers(calls):
        tally.add(answer)
    report(record_property, tally, account)
    tally.check(listed(run.tools))

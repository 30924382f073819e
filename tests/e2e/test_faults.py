"""Upstream faults: the server against a misbehaving Worksection.

A simulator of its own has its faults switched at run time (`POST
/__sim/faults`): bursts of 429 with and without `Retry-After`, 500s, a
hanging upstream, slow answers and slow bodies, truncated JSON, an HTML
maintenance page, connections dropped mid-answer, probabilistic mixes of
these; tokens revoked mid-session (OAuth2 mode); and an account URL where
nothing listens. For each one:

- the tool answers within a bounded time: the right answer after retries,
  or a tool error with one clear sentence (never a JSON-RPC error, never a
  hang);
- the server keeps serving (another session still gets answers);
- nothing is cached from a failed answer: once the fault stops, the same
  call succeeds and the simulator counts a fresh upstream request for it,
  although the server keeps good answers for 60 s;
- it recovers by itself, without a restart.

The server's own limits drive the bounds: 4 attempts per request with
backoff of at most 3.5 s in all (or `Retry-After`, 1 s here), 30 s per
attempt, 120 s per tool call.
"""

from __future__ import annotations

import collections
import json
import time

import anyio
import pytest

import helpers as h
import procs
from conftest import AdminApi
from processes import free_port, stop_process

pytestmark = pytest.mark.anyio

# Generous bounds: the server needs at most about 4 s for 4 attempts with
# backoff; the rest is slack for a loaded machine.
RETRY_BOUND = 30.0
ATTEMPT_TIMEOUT = 30.0  # the client's per-attempt timeout
TOOL_TIMEOUT = 120.0  # the server's per-call timeout

SUMMARY: dict[str, object] = {}


@pytest.fixture(scope="module")
def fsim(binaries):
    with procs.simulator(binaries, "sim-faults", "--rps", "0") as s:
        yield s


@pytest.fixture(scope="module")
def fapi(fsim) -> AdminApi:
    return AdminApi(fsim.account_url, fsim.api_key)


@pytest.fixture(scope="module")
def fserver(binaries, fsim, tmp_path_factory):
    with procs.server(
        binaries,
        fsim,
        tmp_path_factory.mktemp("faults"),
        "server-faults",
        RESPONSE_CACHE_TTL_SECONDS="60",
        WORKSECTION_REQUESTS_PER_SECOND="20",
    ) as s:
        yield s


class Tasks:
    """Hands out task ids never asked for before, so every case starts with
    a cold cache entry (the server keeps good answers for 60 s)."""

    def __init__(self, api: AdminApi):
        projects = api.data("get_projects")
        self.tasks = []
        for p in projects:
            self.tasks.extend(h.flatten(api.data("get_tasks", id_project=p["id"])))
        self.next = 0

    def fresh(self) -> dict:
        assert self.next < len(self.tasks), "ran out of tasks for fault cases"
        t = self.tasks[self.next]
        self.next += 1
        return t


@pytest.fixture(scope="module")
def tasks(fapi) -> Tasks:
    return Tasks(fapi)


@pytest.fixture(autouse=True)
def clear_faults(fsim):
    procs.set_faults(fsim, "none")
    yield
    procs.set_faults(fsim, "none")


async def still_serving(served) -> None:
    assert served.alive(), "the server process died"
    async with served.session() as c:
        body = h.payload(await c.call_tool("get_users", {}), "get_users")
    assert body["total_count"] > 0
    assert "panicked" not in served.log()


async def timed_call(served, tool: str, args: dict, read_timeout: float = 90.0):
    async with served.session(read_timeout=read_timeout) as c:
        started = time.monotonic()
        result = await c.call_tool(tool, args)
        return result, time.monotonic() - started


# (fault spec, "ok" or a phrase the error must hold, faulted requests at least)
CASES = [
    ("429*3", "ok", 3),
    ("429*4", "limiting requests", 4),
    ("429bare*3", "ok", 3),
    ("429bare*4", "limiting requests", 4),
    ("500*3", "ok", 3),
    ("500=1", "did not answer", 4),
    ("malformed*1", "ok", 1),
    ("malformed=1", "could not be read", 4),
    ("html*1", "ok", 1),
    ("html=1", "could not be read", 4),
    ("drop*1", "ok", 1),
    ("drop=1", "did not answer", 4),
    ("slow:1500*1", "ok", 0),
    ("slowbody:2000*1", "ok", 1),
    ("429*1,500*1,drop*1", "ok", 3),
]


@pytest.mark.parametrize("spec, expect, faulted", CASES, ids=[c[0] for c in CASES])
async def test_fault(fsim, fserver, tasks, spec, expect, faulted):
    task = tasks.fresh()
    before = fsim.stats()
    procs.set_faults(fsim, spec)
    result, took = await timed_call(fserver, "get_task", {"task_id": task["id"]})
    procs.set_faults(fsim, "none")
    after = fsim.stats()
    assert after["faulted"] - before["faulted"] >= faulted, f"{spec}: the fault did not hit ({after['faulted'] - before['faulted']})"
    assert took < RETRY_BOUND, f"{spec}: the call took {took:.1f} s"
    if expect == "ok":
        body = h.payload(result, "get_task")
        assert body["id"] == task["id"] and body["name"] == task["name"], f"{spec}: wrong task {h.dump(body)}"
    else:
        assert result.is_error, f"{spec}: expected an error, got {h.dump(result.structured_content)}"
        text = h.error_text(result)
        assert expect in text, f"{spec}: unclear error: {text}"
        assert "try again" in text.lower(), f"{spec}: the error does not say what to do: {text}"
        assert len(text) < 600, f"{spec}: {len(text)}-character error"
        # The failure was not cached: the same call now goes upstream afresh.
        n = procs.by_action(fsim, "get_task")
        again, _ = await timed_call(fserver, "get_task", {"task_id": task["id"]})
        body = h.payload(again, "get_task")
        assert body["id"] == task["id"]
        assert procs.by_action(fsim, "get_task") == n + 1, f"{spec}: no fresh upstream request after the fault"
    await still_serving(fserver)
    SUMMARY.setdefault("cases", []).append({"spec": spec, "outcome": "ok" if expect == "ok" else "clear error", "seconds": round(took, 1)})


async def test_probabilistic_burst(fsim, fserver, tasks):
    """Eight sessions at once under a mix of faults on a third of requests:
    every call ends in time with the right answer or a clear error, and all
    of them succeed once the faults stop."""
    spec = "500=0.15,429bare=0.1,drop=0.05,malformed=0.05"
    picked = [tasks.fresh() for _ in range(16)]
    outcomes: collections.Counter = collections.Counter()
    problems: list[str] = []
    procs.set_faults(fsim, spec)

    async def one(i: int):
        t = picked[i]
        result, took = await timed_call(fserver, "get_task", {"task_id": t["id"]})
        if took > RETRY_BOUND:
            problems.append(f"{t['id']}: {took:.1f} s")
        if result.is_error:
            text = h.error_text(result)
            outcomes["clear error"] += 1
            if "try again" not in text.lower():
                problems.append(f"{t['id']}: unclear error {text}")
        else:
            body = h.payload(result, "get_task")
            outcomes["ok"] += 1
            if body["id"] != t["id"]:
                problems.append(f"{t['id']}: wrong task {body['id']}")

    async with anyio.create_task_group() as tg:
        for i in range(len(picked)):
            tg.start_soon(one, i)
    procs.set_faults(fsim, "none")
    assert not problems, problems
    async with fserver.session() as c:
        for t in picked:
            body = h.payload(await c.call_tool("get_task", {"task_id": t["id"]}), "get_task")
            assert body["id"] == t["id"]
    await still_serving(fserver)
    SUMMARY["burst"] = dict(outcomes)


async def test_one_hung_request_is_retried(fsim, fserver, tasks):
    """An upstream that never answers one request: that attempt times out
    (30 s) and the retry answers."""
    task = tasks.fresh()
    procs.set_faults(fsim, "hang*1")
    result, took = await timed_call(fserver, "get_task", {"task_id": task["id"]}, read_timeout=TOOL_TIMEOUT + 60)
    body = h.payload(result, "get_task")
    assert body["id"] == task["id"]
    assert ATTEMPT_TIMEOUT - 1 <= took < ATTEMPT_TIMEOUT + RETRY_BOUND, f"{took:.1f} s"
    await still_serving(fserver)
    SUMMARY["hang*1"] = round(took, 1)


async def test_a_hung_upstream_ends_in_a_clear_message(fsim, fserver, tasks):
    """An upstream that never answers at all: the call ends at the server's
    per-call limit with a sentence, the server answers other sessions
    meanwhile (what needs no upstream), and the next call after the fault
    goes upstream afresh."""
    task = tasks.fresh()
    procs.set_faults(fsim, "hang=1")
    meanwhile: list[float] = []

    async def other_sessions():
        await anyio.sleep(5)
        for _ in range(3):
            started = time.monotonic()
            async with fserver.session() as c:
                tools = (await c.list_tools()).tools
                assert len(tools) == 50
                prompts = (await c.list_prompts()).prompts
                assert prompts
            meanwhile.append(time.monotonic() - started)
            await anyio.sleep(10)

    async with anyio.create_task_group() as tg:
        tg.start_soon(other_sessions)
        result, took = await timed_call(fserver, "get_task", {"task_id": task["id"]}, read_timeout=TOOL_TIMEOUT + 60)
    procs.set_faults(fsim, "none")
    assert result.is_error
    text = h.error_text(result)
    assert "did not answer within 120 seconds" in text and "try again" in text.lower(), text
    assert TOOL_TIMEOUT - 1 <= took < TOOL_TIMEOUT + 20, f"{took:.1f} s"
    assert meanwhile and max(meanwhile) < 10, f"other sessions waited {meanwhile}"
    n = procs.by_action(fsim, "get_task")
    body = h.payload((await timed_call(fserver, "get_task", {"task_id": task["id"]}))[0], "get_task")
    assert body["id"] == task["id"]
    assert procs.by_action(fsim, "get_task") == n + 1
    await still_serving(fserver)
    SUMMARY["hang=1"] = round(took, 1)


# --------------------------------------------------------------- downloads under faults


def some_files(api: AdminApi, tasks: Tasks, n: int) -> list[dict]:
    """`n` attachments of tasks, each of another kind where possible."""
    picked: dict[str, dict] = {}
    for t in tasks.tasks:
        for f in api.data("get_files", id_task=t["id"]):
            kind = f["name"].rsplit(".", 1)[-1].lower()
            if kind not in picked and int(f["size"]) > 0:
                picked[kind] = f
        if len(picked) >= n:
            break
    assert len(picked) >= n, sorted(picked)
    return list(picked.values())[:n]


@pytest.mark.parametrize("spec", ["html*1", "malformed*1", "drop*1", "500*2"])
async def test_download_under_a_fault_caches_no_wrong_file(fsim, fserver, fapi, tasks, spec):
    """A file fetched while Worksection answers with a maintenance page, a
    broken JSON body, a cut connection or 500s is either the real file (after
    a retry) or a clear error; what lands in the file cache is the real
    file, never the fault's body."""
    specs = ["html*1", "malformed*1", "drop*1", "500*2"]
    f = some_files(fapi, tasks, len(specs))[specs.index(spec)]
    data = fapi.download(f["id"])
    want_mime = h.sniff_mime(data, f["name"])
    procs.set_faults(fsim, spec)
    result, took = await timed_call(fserver, "download_file", {"file_id": f["id"]})
    procs.set_faults(fsim, "none")
    assert took < RETRY_BOUND
    first = None
    if result.is_error:
        assert "try again" in h.error_text(result).lower(), h.error_text(result)
    else:
        first = h.payload(result, "download_file")
    # Whatever happened, the file as served now is the real one.
    async with fserver.session() as c:
        body = h.payload(await c.call_tool("download_file", {"file_id": f["id"]}), "download_file")
    assert (body["size"], body["mime_type"]) == (len(data), want_mime), (
        f"after {spec}: {f['name']} is served as {body['mime_type']} of {body['size']} bytes, "
        f"not {want_mime} of {len(data)}: the fault's answer was cached as the file"
    )
    if first is not None:
        assert (first["size"], first["mime_type"]) == (len(data), want_mime), (
            f"{spec}: {f['name']} came back as {first['mime_type']} of {first['size']} bytes, "
            f"not {want_mime} of {len(data)}: the fault's answer was taken for the file"
        )


# --------------------------------------------------------------- the account URL unreachable


async def test_unreachable_account_then_it_comes_back(binaries, sim, tmp_path):
    """Nothing listens at the account URL: a clear error in bounded time,
    the server keeps serving, and once Worksection is back the next call
    works without a restart."""
    port = free_port()
    with procs.server(
        binaries,
        None,
        tmp_path,
        "server-unreachable",
        WORKSECTION_ACCOUNT_URL=f"http://127.0.0.1:{port}",
        WORKSECTION_API_KEY=sim.api_key,
        WORKSECTION_REQUESTS_PER_SECOND="20",
        RESPONSE_CACHE_TTL_SECONDS="60",
    ) as served:
        result, took = await timed_call(served, "get_users", {})
        assert result.is_error
        text = h.error_text(result)
        assert "did not answer" in text and "try again" in text.lower(), text
        assert took < RETRY_BOUND, f"{took:.1f} s"
        async with served.session() as c:
            assert len((await c.list_tools()).tools) == 50
        assert served.alive()
        with procs.simulator(binaries, "sim-unreachable", "--rps", "0", "--port", str(port)) as back:
            body = h.payload((await timed_call(served, "get_users", {}))[0], "get_users")
            assert body["total_count"] > 0
            assert procs.by_action(back, "get_users") == 1, "the failure was cached or the call never went upstream"
        SUMMARY["unreachable"] = round(took, 1)


# --------------------------------------------------------------- tokens revoked mid-session


async def test_tokens_revoked_mid_session(binaries, tmp_path):
    """OAuth2 mode: every token is revoked while the server runs. Calls end
    at once with "sign in again" (one refresh attempt, no loop), the server
    keeps serving, and after `worksection-mcp login` the running server
    works again without a restart."""
    with procs.signed_in(binaries, "sim-faults-oauth", tmp_path) as (osim, run):
        proc, url, log = run.serve()
        try:
            me = h.payload(await procs_call(url, "get_current_user"), "get_current_user")
            procs.revoke(osim)
            refreshes = osim.stats()["oauth"].get("refresh", 0)
            started = time.monotonic()
            revoked = await procs_call(url, "get_projects")
            took = time.monotonic() - started
            assert revoked.is_error
            assert "sign in again" in h.error_text(revoked).lower(), h.error_text(revoked)
            assert took < RETRY_BOUND
            again = await procs_call(url, "get_current_user")
            assert again.is_error and "sign in again" in h.error_text(again).lower()
            assert osim.stats()["oauth"].get("refresh", 0) <= refreshes + 2, "a refresh loop"
            assert proc.poll() is None
            async with procs.open_session(url) as c:
                assert len((await c.list_tools()).tools) == 50

            # Signing in again, as the error says, brings the running server back.
            rc, err = run.login()
            assert rc == 0, err
            deadline = time.monotonic() + 15
            while True:
                back = await procs_call(url, "get_current_user")
                if not back.is_error or time.monotonic() > deadline:
                    break
                await anyio.sleep(1)
            assert not back.is_error, (
                "after `worksection-mcp login` the running server still answers: " + h.error_text(back)
            )
            assert h.payload(back, "get_current_user")["id"] == me["id"]
        finally:
            stop_process(proc)
        SUMMARY["revoked"] = round(took, 1)


async def procs_call(url: str, tool: str, args: dict | None = None):
    async with procs.open_session(url) as c:
        return await c.call_tool(tool, args or {})


def test_write_summary():
    """Last: what this module proved, for SECURITY.md."""
    (procs.OUT / "faults-summary.json").write_text(json.dumps(SUMMARY, indent=1))

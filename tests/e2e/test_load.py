"""Load: many assistants at once against Worksection's real rate limit.

32 MCP sessions, each making 50 mixed tool calls, against a simulator that
enforces Worksection's one request per second (`--rps 1`) with a server
paced at the same rate. Proves: no protocol error (every call ends in an
answer or a tool error, none in an exception or a hang), not one upstream
request refused for the rate (`throttled` in `/__sim/stats`), the whole run
ends within a bound, and the server's resident memory (VmRSS from /proc)
comes back near its idle level once the sessions close.

The server gives up on a call after 120 s (`TOOL_TIMEOUT` in server.rs, not
configurable). The second test proves that bound at a pace where calls must
wait: one request per 20 s (`WORKSECTION_REQUESTS_PER_SECOND=0.05`) and
eight different calls at once — the first ones are answered, the ones that
would wait past 120 s end at 120 s with a sentence saying why, none hangs.

Figures go to out/load-summary.json (and from there to SECURITY.md).
"""

from __future__ import annotations

import collections
import json
import random
import time

import anyio
import pytest

import helpers as h
import procs
from conftest import AdminApi

pytestmark = pytest.mark.anyio

SESSIONS = 32
CALLS_PER_SESSION = 50
RUN_BOUND = 240.0  # the whole load, generously (about a minute is usual)
TOOL_TIMEOUT = 120.0
MEMORY_MARGIN_KB = 64 * 1024  # 64 MiB over idle, or
MEMORY_MARGIN_RATIO = 0.5  # half the idle size, whichever is larger


def paced_admin(api: AdminApi, action: str, **params):
    """Admin-API reads for the test's own bookkeeping, spaced so that they
    stay under the simulator's limit themselves."""
    time.sleep(1.1)
    return api.data(action, **params)


@pytest.fixture(scope="module")
def lsim(binaries):
    with procs.simulator(binaries, "sim-load", "--rps", "1") as s:
        yield s


@pytest.fixture(scope="module")
def ids(lsim):
    api = AdminApi(lsim.account_url, lsim.api_key)
    projects = [p for p in paced_admin(api, "get_projects") if p["status"] == "active"]
    assert len(projects) >= 2
    tasks = h.flatten(paced_admin(api, "get_all_tasks"))
    users = paced_admin(api, "get_users")
    assert len(tasks) >= SESSIONS + 8, len(tasks)
    time.sleep(1.1)
    return {"projects": projects, "tasks": tasks, "users": users}


def mix(ids: dict, session: int) -> list[tuple[str, dict]]:
    """50 calls for one session: a shared working set (cached answers are
    shared by every session) plus one task of its own (an upstream request
    per session), in a seeded random order."""
    p0, p1 = ids["projects"][0]["id"], ids["projects"][1]["id"]
    user = next(u for u in ids["users"] if u.get("role") == "Owner")["id"]
    own_task = ids["tasks"][session]["id"]
    shared = [
        ("get_projects", {}),
        ("get_project", {"project_id": p0}),
        ("get_tasks", {"project_id": p0}),
        ("get_tasks", {"project_id": p1}),
        ("get_users", {}),
        ("get_user", {"user_id": user}),
        ("get_project_stats", {"project_id": p0}),
        ("get_overdue_tasks", {"project_id": p0}),
        ("get_tasks_by_status", {"project_id": p1, "status": "done"}),
        ("search_tasks", {"query": "report"}),
        ("get_project_groups", {}),
        ("get_task_tags", {}),
        ("get_costs_total", {"project_id": p1}),
    ]
    rng = random.Random(session)
    calls = [("get_task", {"task_id": own_task})]
    while len(calls) < CALLS_PER_SESSION:
        calls.append(rng.choice(shared))
    rng.shuffle(calls)
    return calls


class Sampler:
    """Samples a process's VmRSS every half second while running."""

    def __init__(self, served):
        self.served = served
        self.samples: list[int] = []
        self.running = True

    async def run(self):
        while self.running and self.served.alive():
            self.samples.append(self.served.rss_kb())
            await anyio.sleep(0.5)


async def settle_rss(served, seconds: float = 20.0) -> int:
    """VmRSS once the server has had time to drop closed sessions: the
    lowest of the samples over `seconds`."""
    lowest = served.rss_kb()
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        await anyio.sleep(1)
        lowest = min(lowest, served.rss_kb())
    return lowest


async def test_32_sessions_at_one_request_per_second(binaries, lsim, ids, tmp_path):
    with procs.server(
        binaries,
        lsim,
        tmp_path,
        "server-load",
        WORKSECTION_REQUESTS_PER_SECOND="1",
        RESPONSE_CACHE_TTL_SECONDS="60",
        LOG_LEVEL="warn",
    ) as served:
        # Idle: started, and one session's worth of calls done.
        async with served.session() as c:
            for tool, args in (("get_users", {}), ("get_projects", {})):
                h.payload(await c.call_tool(tool, args), tool)
        await anyio.sleep(2)
        idle = await settle_rss(served, 5)
        lsim.reset_stats()

        outcomes: collections.Counter = collections.Counter()
        problems: list[str] = []
        slowest = 0.0
        sampler = Sampler(served)

        async def session(n: int):
            nonlocal slowest
            async with served.session(read_timeout=TOOL_TIMEOUT + 60) as c:
                for tool, args in mix(ids, n):
                    started = time.monotonic()
                    try:
                        result = await c.call_tool(tool, args)
                    except Exception as e:  # noqa: BLE001 - any exception is a protocol failure
                        outcomes["protocol error"] += 1
                        problems.append(f"session {n} {tool} {args}: {type(e).__name__}: {e}")
                        continue
                    took = time.monotonic() - started
                    slowest = max(slowest, took)
                    if result.is_error:
                        text = h.error_text(result)
                        if "did not answer within" in text:
                            outcomes["waited too long (clear message)"] += 1
                        else:
                            outcomes["tool error"] += 1
                            problems.append(f"session {n} {tool} {args}: {text[:300]}")
                    else:
                        try:
                            h.payload(result, tool)
                            outcomes["ok"] += 1
                        except AssertionError as e:
                            outcomes["bad answer"] += 1
                            problems.append(f"session {n} {tool}: {e}")

        started = time.monotonic()
        with anyio.fail_after(RUN_BOUND):
            async with anyio.create_task_group() as tg:
                tg.start_soon(sampler.run)
                async with anyio.create_task_group() as sessions:
                    for n in range(SESSIONS):
                        sessions.start_soon(session, n)
                sampler.running = False
        elapsed = time.monotonic() - started
        stats = lsim.stats()
        after = await settle_rss(served)
        peak = max(sampler.samples, default=idle)

        # A second round of the same sessions (answers now cached): memory
        # that grew with every session would show here.
        async def short_session(n: int):
            async with served.session() as c:
                for tool, args in mix(ids, n)[:10]:
                    h.payload(await c.call_tool(tool, args), tool)

        with anyio.fail_after(RUN_BOUND):
            async with anyio.create_task_group() as sessions:
                for n in range(SESSIONS):
                    sessions.start_soon(short_session, n)
        again = await settle_rss(served)
        stats_after = lsim.stats()
        assert served.alive(), "the server died under load"
        assert "panicked" not in served.log()

    summary = {
        "sessions": SESSIONS,
        "calls": SESSIONS * CALLS_PER_SESSION,
        "outcomes": dict(outcomes),
        "seconds": round(elapsed, 1),
        "slowest_call_seconds": round(slowest, 1),
        "upstream_requests": stats["total"],
        "upstream_per_second": round(stats["total"] / elapsed, 2),
        "throttled": stats["throttled"],
        "rss_idle_mb": round(idle / 1024, 1),
        "rss_peak_mb": round(peak / 1024, 1),
        "rss_after_mb": round(after / 1024, 1),
        "rss_after_second_round_mb": round(again / 1024, 1),
    }
    (procs.OUT / "load-summary.json").write_text(json.dumps(summary, indent=1))
    print(json.dumps(summary))
    assert not problems, f"{len(problems)} failed calls:\n" + "\n".join(problems[:40])
    assert outcomes["ok"] + outcomes["waited too long (clear message)"] == SESSIONS * CALLS_PER_SESSION, outcomes
    assert stats_after["throttled"] == 0, f"{stats_after['throttled']} upstream requests were over Worksection's limit"
    # The limiter's pace: one a second (the simulator allows a burst of two).
    assert stats["total"] <= elapsed + 2, f"{stats['total']} upstream requests in {elapsed:.1f} s"
    margin = max(MEMORY_MARGIN_KB, int(idle * MEMORY_MARGIN_RATIO))
    assert after <= idle + margin, (
        f"resident memory stayed at {after / 1024:.1f} MiB after the load "
        f"(idle {idle / 1024:.1f} MiB, peak {peak / 1024:.1f} MiB)"
    )
    assert again <= after + 16 * 1024, (
        f"resident memory grew from {after / 1024:.1f} to {again / 1024:.1f} MiB over a second round of sessions"
    )


async def test_calls_that_wait_too_long_end_with_a_clear_message(binaries, lsim, ids, tmp_path):
    """At one request per 20 s, eight different calls at once: those that
    would wait past the server's 120 s per-call limit end at that limit with
    a sentence, the others are answered, and nothing hangs."""
    tasks = ids["tasks"][SESSIONS : SESSIONS + 8]
    with procs.server(
        binaries,
        lsim,
        tmp_path,
        "server-slow-pace",
        WORKSECTION_REQUESTS_PER_SECOND="0.05",
        RESPONSE_CACHE_TTL_SECONDS="60",
    ) as served:
        results: dict[int, tuple[str, float, str]] = {}

        async def one(i: int):
            started = time.monotonic()
            async with served.session(read_timeout=TOOL_TIMEOUT + 60) as c:
                result = await c.call_tool("get_task", {"task_id": tasks[i]["id"]})
            took = time.monotonic() - started
            if result.is_error:
                results[i] = ("error", took, h.error_text(result))
            else:
                body = h.payload(result, "get_task")
                assert body["id"] == tasks[i]["id"]
                results[i] = ("ok", took, "")

        with anyio.fail_after(TOOL_TIMEOUT + 60):
            async with anyio.create_task_group() as tg:
                for i in range(len(tasks)):
                    tg.start_soon(one, i)
        assert served.alive()
        # The server still answers once the queue has drained.
        async with served.session() as c:
            assert len((await c.list_tools()).tools) == 50

    answered = [r for r in results.values() if r[0] == "ok"]
    timed_out = [r for r in results.values() if r[0] == "error"]
    assert len(results) == len(tasks)
    assert answered, results
    assert timed_out, f"no call waited past the limit: {results}"
    for _, took, text in timed_out:
        assert "did not answer within 120 seconds" in text and "try again" in text.lower(), text
        assert TOOL_TIMEOUT - 1 <= took < TOOL_TIMEOUT + 20, f"a waiting call ended after {took:.1f} s"
    for _, took, _ in answered:
        assert took < TOOL_TIMEOUT + 5, took
    summary_path = procs.OUT / "load-summary.json"
    summary = json.loads(summary_path.read_text()) if summary_path.exists() else {}
    summary["bounded_wait"] = {
        "calls": len(tasks),
        "answered": len(answered),
        "ended_at_the_limit": len(timed_out),
        "longest_seconds": round(max(r[1] for r in results.values()), 1),
    }
    summary_path.write_text(json.dumps(summary, indent=1))

"""Answers sized for the assistant, on the simulator's `large` account
(thousands of tasks and cost lines): every list tool's first page fits the
default token budget, walking the pages of `get_all_tasks` and `get_costs`
gives exactly the simulator's records once each, in order, and an answer
over the budget is offloaded whole, read back chunk by chunk byte for byte.

Expectations come from the simulator's admin API, never from the server."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
import subprocess

import pytest

import helpers as h
from conftest import OUT, AdminApi, HttpServer, Sim, server_env, stop_process, unwrapped, wait_serving
from mcp import Client
from processes import simulator_process

pytestmark = pytest.mark.anyio

DEFAULT_BUDGET = 25_000


def estimate_tokens(text: str) -> int:
    """The server's documented estimator (crates/worksection-mcp/src/tokens.rs):
    tenths of a token per character by its UTF-8 width: 4, 10, 15, 25."""
    tenths = {1: 4, 2: 10, 3: 15, 4: 25}
    return math.ceil(sum(tenths[len(ch.encode())] for ch in text) / 10)


def test_estimator_matches_the_documented_figures():
    assert estimate_tokens("hello world") == 5
    assert estimate_tokens("Привет мир") == 10
    assert estimate_tokens("🚀") == 3


@pytest.fixture(scope="module")
def large_sim(binaries):
    OUT.mkdir(parents=True, exist_ok=True)
    args = ("--port", "0", "--rps", "0", "--dataset", "large")
    with simulator_process(binaries["sim"], OUT / "sim-large.stderr.log", *args, timeout=120) as (proc, info):
        assert info is not None, f"the large simulator did not start; see {OUT / 'sim-large.stderr.log'}"
        yield Sim(info, proc)


@pytest.fixture(scope="module")
def large_api(large_sim) -> AdminApi:
    return AdminApi(large_sim.account_url, large_sim.api_key)


@pytest.fixture(scope="module")
def large_server(binaries, large_sim, workdir):
    log_path = OUT / "server-large.stderr.log"
    cache = workdir / "cache-large"
    with open(log_path, "w") as log:
        proc = subprocess.Popen(
            [str(binaries["mcp"]), "serve"],
            env=server_env(large_sim, cache, WORKSECTION_REQUESTS_PER_SECOND="50"),
            cwd=workdir,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=log,
        )
        try:
            match = wait_serving(proc, log_path)
            server = HttpServer(proc, f"http://127.0.0.1:{match.group(2)}/mcp", match.group(1), log_path)
            server.cache = cache
            yield server
        finally:
            stop_process(proc)


def session(server):
    return unwrapped(Client(server.url, mode="legacy", read_timeout_seconds=180))


def text_of(result) -> str:
    blocks = h.text_blocks(result)
    assert blocks, "no text block"
    return blocks[0]


async def walk(c, tool: str, args: dict) -> tuple[list, list[dict]]:
    """Every item of every page, and the pages' bodies."""
    items, pages = [], []
    page = h.payload(await c.call_tool(tool, args), tool)
    while True:
        pages.append(page)
        items.extend(h.check_list(page, "data", tool))
        if "next_cursor" not in page:
            return items, pages
        result = await c.call_tool(tool, {**args, "cursor": page["next_cursor"]})
        assert estimate_tokens(text_of(result)) <= DEFAULT_BUDGET, tool
        page = h.payload(result, tool)


def list_key(tool) -> str:
    """The name of a list tool's list: the last property of its list
    envelope (`data`, or a name that says more, as `comments`)."""
    schema = tool.output_schema or {}
    props = schema.get("properties") or ((schema.get("anyOf") or [{}])[0].get("properties")) or {}
    return list(props)[-1] if "total_count" in props else "data"


async def test_first_page_of_every_list_tool_fits_the_budget(large_server, large_api):
    today = dt.date.today()
    projects = large_api.data("get_projects")
    tasks = large_api.data("get_all_tasks")
    costs = large_api.call("get_costs")["data"]
    # The busiest project, task and person: the largest answers.
    by_project: dict[str, int] = {}
    for t in tasks:
        by_project[t["project"]["id"]] = by_project.get(t["project"]["id"], 0) + 1
    pid = max(by_project, key=by_project.get)
    assert pid in {p["id"] for p in projects}
    tid = next(t["id"] for t in tasks if t["project"]["id"] == pid)
    people: dict[str, int] = {}
    for line in costs:
        people[line["user_from"]["id"]] = people.get(line["user_from"]["id"], 0) + 1
    uid = max(people, key=people.get)
    tags = large_api.data("get_task_tags") or []
    values = {
        "project_id": pid,
        "task_id": tid,
        "user_id": uid,
        "date_start": (today - dt.timedelta(days=365)).isoformat(),
        "date_end": today.isoformat(),
        "status": "active",
        "priority": 5,
        "tag": tags[0]["title"] if tags else "none",
        "query": "a",
        "period": "30d",
    }
    seen = []
    async with session(large_server) as c:
        tools = (await c.list_tools()).tools
        listed = [t for t in tools if "cursor" in (t.input_schema.get("properties") or {})]
        assert len(listed) > 25
        for t in listed:
            props = t.input_schema.get("properties") or {}
            args = {k: values[k] for k in t.input_schema.get("required", [])}
            if "max_results" in props:
                args["max_results"] = props["max_results"].get("maximum", 100_000)
            if t.name == "get_all_tasks":
                args["extra"] = "subtasks,archive"
            result = await c.call_tool(t.name, args)
            if result.is_error:
                # Only answers the account cannot give (no webhooks scope
                # with a key is fine, no timer): never a size problem.
                assert "budget" not in h.error_text(result) and "1 MB" not in h.error_text(result), t.name
                continue
            tokens = estimate_tokens(text_of(result))
            assert tokens <= DEFAULT_BUDGET, f"{t.name}: {tokens} tokens"
            body = h.payload(result, t.name)
            h.check_list(body, list_key(t), t.name)
            if body["truncated"] and body["truncation_reason"] in ("size_cap", "limit", "both"):
                assert "next_cursor" in body, f"{t.name} was cut without a next page"
            seen.append((tokens, t.name))
    assert len(seen) > 20, seen
    # At least one answer had to be paged on this account.
    assert max(seen)[0] > DEFAULT_BUDGET // 2, seen


async def test_walking_all_tasks_and_costs_gives_the_simulators_records_once(large_server, large_api):
    async with session(large_server) as c:
        tasks, pages = await walk(c, "get_all_tasks", {})
        truth = large_api.data("get_all_tasks")
        assert len(pages) > 1, "the large account's tasks fit one page; the test proves nothing"
        assert h.ids(tasks) == h.ids(truth)
        assert len(set(h.ids(tasks))) == len(tasks)
        assert all(p["total_count"] == len(truth) for p in pages)

        lines, pages = await walk(c, "get_costs", {"limit": 500})
        truth = large_api.call("get_costs")["data"]
        assert len(pages) > 2
        assert all(p["returned_count"] <= 500 for p in pages)
        assert h.ids(lines) == h.ids(truth)
        assert len(set(h.ids(lines))) == len(lines)
        # Every fact of a line is still there, by reference.
        for got, want in zip(lines, truth):
            assert got["time"] == want["time"] and h.cents(got["money"]) == h.cents(want["money"])
            assert got["minutes"] == h.minutes(want["time"])
            assert got["user_from"]["id"] == want["user_from"]["id"]
            assert got["task"] == {"id": want["task"]["id"], "name": want["task"]["name"]}
            assert got["project_id"] == want["task"]["project"]["id"]
            assert pages[0]["projects"][got["project_id"]] == want["task"]["project"]["name"]


async def test_an_offloaded_answer_reads_back_byte_for_byte(large_server, large_api):
    async with session(large_server) as c:
        result = await c.call_tool("get_costs", {})
        first = h.payload(result, "get_costs")
        rid = first["offload_id"]
        assert first["response_id"] == rid
        links = [b for b in result.content if getattr(b, "type", None) == "resource_link"]
        assert [str(b.uri) for b in links] == [f"worksection://offload/{rid}"]

        info = h.payload(
            await c.call_tool("get_offloaded_response_info", {"response_id": rid}), "get_offloaded_response_info"
        )
        assert info["size_bytes"] == first["offload_size_bytes"] and info["sha256"] == first["offload_sha256"]

        for max_bytes in (None, 7_777):
            stored = await h.read_offload(c, rid, max_bytes)
            assert len(stored) == info["size_bytes"]
            assert hashlib.sha256(stored).hexdigest() == info["sha256"]
        whole = h.records(json.loads(stored))
        truth = large_api.call("get_costs")["data"]
        assert h.ids(whole["data"]) == h.ids(truth)
        assert whole["total_count"] == whole["returned_count"] == len(truth)

        # Every chunk fits the budget, and none splits a character.
        chunk = await c.call_tool("read_offloaded_response_text", {"response_id": rid, "max_bytes": 10_000_000})
        assert estimate_tokens(text_of(chunk)) <= DEFAULT_BUDGET

        bad = await c.call_tool("read_offloaded_response_text", {"response_id": "../../etc/passwd"})
        assert bad.is_error and "response_id" in h.error_text(bad)

    # On disk: a private folder beside the file cache, one file per id.
    files = list(large_server.cache.glob("*.offload/*.json"))
    assert any(f.name == f"{rid}.json" for f in files), files
    for f in files:
        assert f.stat().st_mode & 0o777 == 0o600, f
        assert len(f.stem) == 32 and all(ch in "0123456789abcdef" for ch in f.stem), f


async def test_foreign_and_broken_cursors_say_to_start_again(large_server):
    async with session(large_server) as c:
        page = h.payload(await c.call_tool("get_all_tasks", {}), "get_all_tasks")
        cursor = page["next_cursor"]
        other = await c.call_tool("get_costs", {"cursor": cursor})
        assert other.is_error and "start over" in h.error_text(other), h.error_text(other)
        broken = await c.call_tool("get_all_tasks", {"cursor": "not-a-cursor"})
        assert broken.is_error and "start over" in h.error_text(broken), h.error_text(broken)
        args = await c.call_tool("get_all_tasks", {"cursor": cursor, "status_filter": "done"})
        assert args.is_error and "another call" in h.error_text(args), h.error_text(args)
        # The right cursor still works after all that.
        nxt = h.payload(await c.call_tool("get_all_tasks", {"cursor": cursor}), "get_all_tasks")
        assert nxt["data"] and nxt["data"][0]["id"] not in h.ids(page["data"])


@pytest.fixture(scope="module")
def paced_server(binaries, sim, workdir):
    """A server on the demo account at Worksection's own pace (1 request/s)."""
    log_path = OUT / "server-paced.stderr.log"
    with open(log_path, "w") as log:
        proc = subprocess.Popen(
            [str(binaries["mcp"]), "serve"],
            env=server_env(sim, workdir / "cache-paced", WORKSECTION_REQUESTS_PER_SECOND="1"),
            cwd=workdir,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=log,
        )
        try:
            match = wait_serving(proc, log_path)
            yield HttpServer(proc, f"http://127.0.0.1:{match.group(2)}/mcp", match.group(1), log_path)
        finally:
            stop_process(proc)


async def test_progress_is_reported_while_waiting_on_worksection(paced_server, world):
    """A call that needs several paced upstream requests reports progress to
    a client that asked for it (a progress token), and answers as usual."""
    notes: list[tuple[float, str | None]] = []

    async def on_progress(progress, total, message):
        notes.append((progress, message))

    pid = world.showcase["project"]["id"]
    async with session(paced_server) as c:
        # Two upstream requests (tasks and totals), a second apart.
        body = h.payload(
            await c.call_tool("get_project_stats", {"project_id": pid}, progress_callback=on_progress),
            "get_project_stats",
        )
        assert body["project_id"] == pid
    assert notes, "no progress notification during a two-request call"
    assert [p for p, _ in notes] == sorted(p for p, _ in notes), notes
    assert all(m and "Worksection" in m for _, m in notes), notes

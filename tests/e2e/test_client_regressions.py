"""What Claude Desktop, Claude Code, Cursor and VS Code (the TypeScript
SDK) and the Python SDK once refused, each case by name, through both
SDKs (issue 21); the sweep (test_sweep.py) covers every record, these say
which case broke.

- A task with no relations: `get_task_relations` answered without
  `relations`, which its `outputSchema` requires.
- A task with no tags (`tags: []`, PHP's empty array under `--quirks`):
  `get_task_with_tags` answered without `tags`, which its schema requires.
- `get_costs_total` whose `projects` come as an object keyed by project id
  (how PHP encodes an associative array; the simulator's `--quirks` sends
  them so): the answer failed whole.
- Closing a session: the Python SDK warned "Session termination failed:
  202" on every close.
"""

from __future__ import annotations

import hashlib
import json
import urllib.request

import pytest
from jsonschema import Draft202012Validator

import helpers as h
import procs
import ts_sdk
from conftest import SDK_LOGS, md5_query
from processes import QUIRKS
from sweep import Call

pytestmark = pytest.mark.anyio


def validate(tools: dict[str, dict], tool: str, structured) -> None:
    """`jsonschema`'s draft 2020-12 verdict on an answer, besides the SDK's."""
    schema = tools[tool]
    assert schema is not None, f"{tool} lists no outputSchema"
    errors = sorted(Draft202012Validator(schema).iter_errors(structured), key=lambda e: list(e.absolute_path))
    assert not errors, f"{tool}: {errors[0].message} (answer: {h.dump(structured)})"


async def through_python(url: str, calls: list[Call]) -> list[dict]:
    """Each call's `structuredContent` through the Python SDK, tools listed
    first (so the SDK validates each against its outputSchema and raises
    on a mismatch), each also checked with jsonschema."""
    out = []
    async with procs.open_session(url) as c:
        tools = {t.name: t.output_schema for t in (await c.list_tools()).tools}
        for call in calls:
            result = await c.call_tool(call.tool, call.arguments)
            assert not result.is_error, f"{call.key()}: {h.error_text(result)}"
            validate(tools, call.tool, result.structured_content)
            out.append(result.structured_content)
    return out


def through_typescript(url: str, calls: list[Call], name: str) -> list[dict]:
    """The same through the TypeScript SDK (ts_client.mjs), which turns a
    mismatch into error -32602, as Claude Desktop does."""
    run = ts_sdk.run(ts_sdk.http(url), calls, name, follow=False)
    run.check_clean()
    tools = {t["name"]: t["outputSchema"] for t in run.tools}
    out = []
    for e in run.calls:
        key = Call(e["tool"], e["arguments"]).key()
        assert "error" not in e, f"{key}: refused by the TypeScript SDK: {e['error']}"
        assert not e["isError"], f"{key}: {e.get('text')}"
        validate(tools, e["tool"], e["structuredContent"])
        out.append(e["structuredContent"])
    assert len(out) == len(calls)
    return out


async def both(url: str, calls: list[Call], name: str) -> dict[str, list[dict]]:
    return {"python": await through_python(url, calls), "typescript": through_typescript(url, calls, name)}


def raw_quirky(api, action: str, **params) -> dict:
    """The simulator's answer as a client gets it (quirks and all, unlike
    `api.call`, which asks with `quirks=off`)."""
    pairs = [("action", action)] + [(k, str(v)) for k, v in params.items()]
    query = md5_query(pairs)
    digest = hashlib.md5((query + api.key).encode("utf-8")).hexdigest()
    req = urllib.request.Request(f"{api.base}?{query}&hash={digest}", method="POST", data=b"")
    with urllib.request.urlopen(req, timeout=30) as r:
        return json.loads(r.read())


def one(data):
    return data[0] if isinstance(data, list) else data


# --------------------------------------------------------------- no relations


async def test_a_task_without_relations(server, api, world):
    """Tasks with no dependency either way, a top-level one and a subtask:
    both SDKs accept `get_task_relations`, which says there are none."""
    bare = [t for t in world.tasks if not any((t.get("relations") or {}).get(k) for k in ("from", "to"))]
    top_level = {t["id"] for tasks in world.project_tasks.values() for t in tasks}
    top = next(t for t in bare if t["id"] in top_level)
    sub = next(t for t in bare if t["id"] not in top_level)
    calls = [Call("get_task_relations", {"task_id": t["id"]}) for t in (top, sub)]
    for sdk, answers in (await both(server.url, calls, "regression-no-relations")).items():
        for task, body in zip((top, sub), answers):
            assert body["task"]["id"] == task["id"], sdk
            assert (body["depends_on_count"], body["blocks_count"]) == (0, 0), (sdk, body)
            relations = body.get("relations") or {}
            assert not relations.get("from") and not relations.get("to"), (sdk, body)


# --------------------------------------------------------------- no tags


async def test_a_task_with_no_tags(server, api, world):
    """A task without tags (`tags: []` as the simulator's `--quirks` sends
    it, PHP's empty array): both SDKs accept `get_task_with_tags` and
    `get_task`, and the tags are an empty list."""
    bare = [t for t in world.tasks if not t.get("tags")]
    assert bare, (
        "the simulator's demo account has no task without tags (every generated task carries a status tag); "
        "it needs some for this case (crates/worksection-sim)"
    )
    if QUIRKS:
        as_sent = [t for t in bare if one(raw_quirky(api, "get_task", id_task=t["id"])["data"]).get("tags") == []]
        assert as_sent, "the simulator's --quirks sends no task's empty tags as PHP's `[]`"
        bare = as_sent
    task = bare[0]
    calls = [Call("get_task_with_tags", {"task_id": task["id"]}), Call("get_task", {"task_id": task["id"]})]
    for sdk, (with_tags, plain) in (await both(server.url, calls, "regression-no-tags")).items():
        assert with_tags["task"]["id"] == task["id"], sdk
        assert with_tags["tags"] == [], (sdk, with_tags)
        assert not plain.get("tags"), (sdk, plain)


# --------------------------------------------------------------- keyed projects


async def test_costs_total_with_projects_keyed_by_id(server, api):
    """`get_costs_total` by project and by task: each project's time and
    money are the simulator's own, whichever form its `projects` come in.
    Under `--quirks` the simulator must send them (for one of these
    requests at least) as an object keyed by project id, as PHP does."""
    requests = {"projects": {"extra": "projects"}, "tasks": {"extra": "projects,tasks"}}
    truth = {
        by: {str(p["id"]): (h.minutes(p["time"]), h.cents(p["money"])) for p in api.call("get_costs_total", **params)["projects"]}
        for by, params in requests.items()
    }
    if QUIRKS:
        keyed = [by for by, params in requests.items() if isinstance(raw_quirky(api, "get_costs_total", **params)["projects"], dict)]
        assert keyed, "the simulator's --quirks sends get_costs_total's projects only as a list, never keyed by id"
    calls = [Call("get_costs_total", {"by": by}) for by in requests]
    for sdk, answers in (await both(server.url, calls, "regression-keyed-projects")).items():
        for by, body in zip(requests, answers):
            got = {str(p["id"]): (h.minutes(p["time"]), h.cents(p["money"])) for p in body["projects"]}
            assert got == truth[by], (sdk, by)
            if by == "tasks":
                assert any(p.get("tasks") for p in body["projects"]), (sdk, body)


# --------------------------------------------------------------- closing a session


def delete_status(port: int) -> int:
    """A session opened and closed over plain HTTP: the status of its DELETE."""
    import http.client

    init = {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "initialize",
        "params": {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "e2e-raw", "version": "0"}},
    }
    status, hdrs, _ = procs._post(port, "/mcp", init, {}, 30)
    assert status == 200, status
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("DELETE", "/mcp", headers={"Mcp-Session-Id": hdrs["mcp-session-id"]})
        resp = conn.getresponse()
        resp.read()
        return resp.status
    finally:
        conn.close()


async def test_closing_a_session_draws_no_sdk_warning(server):
    """A session closed by each SDK: neither warns nor reports an error.
    The Python SDK takes 200 or 204 for a DELETE of the session as done
    (and warns on anything else); the TypeScript SDK, any 2xx."""
    port = int(server.url.rsplit(":", 1)[1].split("/", 1)[0])
    assert delete_status(port) in (200, 204), "a DELETE of a session answers 200 or 204"

    before = len(SDK_LOGS.records)
    async with procs.open_session(server.url) as c:
        await c.list_tools()
        h.payload(await c.call_tool("get_current_user", {}), "get_current_user")
    logged = [f"{r.levelname}: {r.getMessage()}" for r in SDK_LOGS.records[before:]]
    assert not logged, f"the Python SDK, closing the session: {logged}"

    run = ts_sdk.run(ts_sdk.http(server.url), [Call("get_current_user", {})], "regression-close", follow=False)
    run.check_clean()
    assert len(run.calls) == 1 and not run.calls[0].get("error") and not run.calls[0]["isError"], run.calls

"""Bad input for every tool, built from each tool's inputSchema.

Every answer must be a tool error (`isError: true`, naming the offending
argument) or a JSON-RPC error -32602: never a success with garbage, never an
internal error, and the server must keep answering. Free-text arguments
(search words, tag names) may also succeed when the answer is right for
that text (no task is named with emoji, so none is found).

Raw HTTP checks malformed JSON-RPC at the transport.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import urllib.error
import urllib.request

import pytest
from mcp import MCPError

import helpers as h
from conftest import OUT

pytestmark = pytest.mark.anyio

ONE_MB = "x" * (1 << 20)
NON_ASCII = "Ωμέγα ñandú 漢字 🦉🔥"
INJECTIONS = [
    "') or (id in (1",
    "x' or name has '",
    "checkout') or (project in (1,2,3)",
    "\\' or 1=1 --",
]
BAD_IDS = [
    "abc",
    "-1",
    "0",
    "../../etc/passwd",
    "1 or 1=1",
    "",
    "   ",
    "99999999999999999999999",
    "１２３",
    "12 34",
    "0x1F",
    "1e3",
    "+5",
    "12;DROP",
]
BAD_DATES = ["2026-02-30", "2026-13-01", "31.04.2026", "tomorrow", "2026/01/01", "0000-00-00", "2026-1-1x"]
BAD_PERIODS = ["0d", "31d", "73h", "361m", "1w", "-1d", "d", "1.5d", "forever"]
BAD_EMAILS = ["not-an-email", "a@", "@b", "a b@c.d"]
FREE_TEXT = {"query", "tag", "group"}
MAX_ERROR_CHARS = 10_000

# Tools that need one of several optional arguments (TOOLS.md): the base call
# gives one so that each sweep varies a single argument.
BASE_EXTRA = {
    "search_tasks": lambda w: {"query": "checkout"},
    "get_project_files": lambda w: {"task_id": w.showcase["id"]},
    "list_image_attachments": lambda w: {"task_id": w.showcase["id"]},
}


# An answer the server offloaded (the demo account's every cost line is over
# the budget), for the offload readers' base calls; set by `specs`.
OFFLOADED: dict[str, str] = {}


def valid_value(name: str, world):
    today = world.today
    return {
        "response_id": OFFLOADED.get("id", ""),
        "project_id": world.showcase["project"]["id"],
        "task_id": world.showcase["id"],
        "user_id": world.showcase["user_to"]["id"],
        "file_id": world.file("Checkout error.png")["id"],
        "date_start": (today - dt.timedelta(days=7)).isoformat(),
        "date_end": today.isoformat(),
        "priority": 1,
        "status": "done",
        "tag": "bug",
        "query": "checkout",
        "period": "7d",
    }[name]


@dataclasses.dataclass
class Prop:
    name: str
    kind: str  # id, string, integer, boolean, enum
    nullable: bool
    required: bool
    enum: list | None = None
    minimum: int | None = None
    maximum: int | None = None


@dataclasses.dataclass
class ToolSpec:
    name: str
    props: dict[str, Prop]
    base: dict


def _resolve(spec: dict, defs: dict) -> tuple[dict, bool]:
    if "$ref" in spec:
        target = defs[spec["$ref"].rsplit("/", 1)[1]]
        merged = dict(target)
        merged.update({k: v for k, v in spec.items() if k != "$ref"})
        return _resolve(merged, defs)
    if "anyOf" in spec or "oneOf" in spec:
        options = spec.get("anyOf") or spec.get("oneOf")
        nullable = any(o.get("type") == "null" for o in options)
        real = [o for o in options if o.get("type") != "null"]
        assert len(real) == 1, spec
        inner, inner_null = _resolve(real[0], defs)
        return inner, nullable or inner_null
    t = spec.get("type")
    if isinstance(t, list):
        nullable = "null" in t
        rest = [x for x in t if x != "null"]
        assert len(rest) == 1, spec
        return dict(spec, type=rest[0]), nullable
    return spec, False


def tool_spec(tool, world) -> ToolSpec:
    schema = tool.input_schema
    defs = schema.get("$defs") or schema.get("definitions") or {}
    required = set(schema.get("required") or [])
    props: dict[str, Prop] = {}
    for name, raw in (schema.get("properties") or {}).items():
        spec, nullable = _resolve(raw, defs)
        if "enum" in spec:
            kind = "enum"
        elif spec.get("type") == "string" and spec.get("pattern") == "^[0-9]+$":
            kind = "id"
        else:
            kind = spec["type"]
        # An optional argument's schema leaves `null` out (the model need
        # not read it), and a `null` sent anyway is taken as not given.
        nullable = nullable or name not in required
        props[name] = Prop(
            name, kind, nullable, name in required, spec.get("enum"), spec.get("minimum"), spec.get("maximum")
        )
    base = {n: valid_value(n, world) for n in required}
    if tool.name in BASE_EXTRA:
        base.update(BASE_EXTRA[tool.name](world))
    return ToolSpec(tool.name, props, base)


@pytest.fixture(scope="module")
def specs(server, world):
    import anyio
    from mcp import Client

    async def fetch():
        async with Client(server.url, mode="legacy") as c:
            costs = h.payload(await c.call_tool("get_costs", {}), "get_costs")
            OFFLOADED["id"] = costs["offload_id"]
            return (await c.list_tools()).tools

    tools = anyio.run(fetch)
    assert len(tools) == 50
    return [tool_spec(t, world) for t in tools]


@dataclasses.dataclass
class Outcome:
    kind: str  # tool_error, rpc_error, success, crash
    text: str = ""
    code: int | None = None
    body: dict | None = None


async def attempt(c, tool: str, args: dict) -> Outcome:
    try:
        result = await c.call_tool(tool, args)
    except MCPError as e:
        return Outcome("rpc_error", e.error.message or "", e.error.code)
    except Exception as e:  # noqa: BLE001 - anything else is a finding
        return Outcome("crash", f"{type(e).__name__}: {e}")
    if result.is_error:
        return Outcome("tool_error", h.error_text(result))
    try:
        body = h.payload(result, tool)
    except AssertionError as e:
        return Outcome("crash", f"success without a valid JSON answer: {e}")
    return Outcome("success", json.dumps(body)[:300], body=body)


def describe(args: dict) -> str:
    shown = {k: (v if not isinstance(v, str) or len(v) < 60 else f"<{len(v)} chars>") for k, v in args.items()}
    return json.dumps(shown, ensure_ascii=False)


def rejected(o: Outcome, names: list[str] | None, case_insensitive: bool = False) -> str | None:
    """None when the outcome is a proper refusal naming one of `names`, else why not."""
    if o.kind == "rpc_error" and o.code != -32602:
        if "exceeded" in o.text and "limit" in o.text:
            return f"the answer is larger than MCP's 1 MB message limit, so the client dropped it ({o.text[:120]})"
        return f"JSON-RPC error {o.code} (only -32602 is acceptable): {o.text[:200]}"
    if o.kind not in ("tool_error", "rpc_error"):
        return f"{o.kind}: {o.text[:300]}"
    if names:
        text = o.text.lower() if case_insensitive else o.text
        if not any((n.lower() if case_insensitive else n) in text for n in names):
            return f"error does not name {names}: {o.text[:300]}"
    return None


SUMMARY = OUT / "bad-input-summary.json"
_totals = {"bad_calls": 0, "mishandled": 0, "sweeps": 0}


def record_sweep(calls: int, mishandled: int) -> None:
    """Adds a sweep's counts to out/bad-input-summary.json (for SECURITY.md)."""
    _totals["bad_calls"] += calls
    _totals["mishandled"] += mishandled
    _totals["sweeps"] += 1
    OUT.mkdir(parents=True, exist_ok=True)
    SUMMARY.write_text(json.dumps(_totals, indent=1))


class Sweep:
    def __init__(self):
        self.problems: list[str] = []
        self.calls = 0

    async def expect_rejected(self, c, tool: str, args: dict, names: list[str] | None, **kw) -> Outcome:
        self.calls += 1
        o = await attempt(c, tool, args)
        why = rejected(o, names, **kw)
        if why:
            self.problems.append(f"{tool} {describe(args)} -> {why}")
        return o

    def report(self) -> None:
        assert self.calls > 0, "the sweep made no calls"
        print(f"{self.calls} bad calls, {len(self.problems)} mishandled")
        record_sweep(self.calls, len(self.problems))
        if self.problems:
            pytest.fail(
                f"{len(self.problems)} of {self.calls} bad calls were mishandled:\n" + "\n".join(self.problems[:80]),
                pytrace=False,
            )


async def assert_server_alive(mcp, server):
    assert server.alive(), "the server process died"
    async with mcp() as c:
        body = h.payload(await c.call_tool("get_users", {}), "get_users")
    assert body["total_count"] > 0
    assert "panicked" not in server.log(), "the server log shows a panic"


# --------------------------------------------------------------- the sweeps


async def test_base_calls_succeed(mcp, specs):
    """The valid base arguments each sweep varies are accepted."""
    failures = []
    async with mcp() as c:
        for s in specs:
            o = await attempt(c, s.name, s.base)
            if o.kind != "success" and s.name != "get_my_timer":
                failures.append(f"{s.name} {describe(s.base)} -> {o.kind}: {o.text[:200]}")
    assert not failures, "\n".join(failures)


async def test_missing_required_arguments(mcp, server, specs, world):
    sweep = Sweep()
    async with mcp() as c:
        for s in specs:
            for p in s.props.values():
                if p.required:
                    args = {k: v for k, v in s.base.items() if k != p.name}
                    await sweep.expect_rejected(c, s.name, args, [p.name])
        # "At least one" / "exactly one" rules.
        await sweep.expect_rejected(c, "search_tasks", {}, None)
        await sweep.expect_rejected(c, "search_tasks", {"status": "done", "max_results": 5}, None)
        pid, tid = world.showcase["project"]["id"], world.showcase["id"]
        for tool in ("get_project_files", "list_image_attachments"):
            await sweep.expect_rejected(c, tool, {}, ["project_id", "task_id"])
            await sweep.expect_rejected(c, tool, {"project_id": pid, "task_id": tid}, ["project_id", "task_id"])
    sweep.report()
    await assert_server_alive(mcp, server)


def wrong_type_values(p: Prop) -> list:
    if p.kind == "enum":
        values = [5, True, [p.enum[0]], {"v": p.enum[0]}]
    else:
        values = {
            "string": [123, 1.5, True, ["a"], {"a": 1}],
            "id": [1.5, -7, True, ["1"], {"id": "1"}],
            "integer": ["5", 1.5, True, [5], {"n": 5}],
            "boolean": ["true", 1, 0, ["true"], {"b": True}],
        }[p.kind]
    # An optional argument sent as null is taken as not given (its schema
    # leaves null out, to be shorter for the model); a required one is not.
    if p.required and not p.nullable:
        values.append(None)
    return values


async def test_wrong_types(mcp, server, specs):
    sweep = Sweep()
    async with mcp() as c:
        for s in specs:
            for p in s.props.values():
                for v in wrong_type_values(p):
                    await sweep.expect_rejected(c, s.name, {**s.base, p.name: v}, [p.name])
    sweep.report()
    await assert_server_alive(mcp, server)


def out_of_range_values(p: Prop) -> list:
    if p.kind == "integer":
        values = [-1, 10**9, 10**20, -(10**20)]
        if p.name == "max_results":
            values.append(0)
        if p.minimum is not None:
            values.append(p.minimum - 1)
        if p.maximum is not None:
            values.append(p.maximum + 1)
        return sorted(set(values))
    if p.kind == "enum":
        return ["bogus", "", p.enum[0].upper(), f" {p.enum[0]}", p.enum[0] + "x"]
    if p.kind == "string" and p.name.startswith("date"):
        return BAD_DATES
    if p.name == "period":
        return BAD_PERIODS
    if p.name.endswith("_email"):
        return BAD_EMAILS
    if p.name == "extra":
        return ["bogus", "text,bogus", "text;files", "*"]
    return []


async def test_out_of_range_values(mcp, server, specs, world):
    sweep = Sweep()
    today = world.today
    async with mcp() as c:
        for s in specs:
            for p in s.props.values():
                for v in out_of_range_values(p):
                    await sweep.expect_rejected(c, s.name, {**s.base, p.name: v}, [p.name])
            if "date_start" in s.props and "date_end" in s.props:
                args = {**s.base, "date_start": today.isoformat(), "date_end": (today - dt.timedelta(days=3)).isoformat()}
                await sweep.expect_rejected(c, s.name, args, ["date_start", "date_end"])
        for bad in ("", "   "):
            await sweep.expect_rejected(c, "search_tasks_by_tag", {"tag": bad, "project_id": world.showcase["project"]["id"]}, ["tag"])
    sweep.report()
    await assert_server_alive(mcp, server)


async def test_malformed_ids(mcp, server, specs):
    sweep = Sweep()
    async with mcp() as c:
        for s in specs:
            for p in s.props.values():
                if p.kind == "id":
                    for v in BAD_IDS:
                        await sweep.expect_rejected(c, s.name, {**s.base, p.name: v}, [p.name])
    sweep.report()
    await assert_server_alive(mcp, server)


async def test_ids_that_do_not_exist(mcp, server, specs):
    """Well-formed ids of nothing: Worksection's refusal comes back as a tool error."""
    sweep = Sweep()
    async with mcp() as c:
        for s in specs:
            for p in s.props.values():
                if p.kind == "id" and p.name != "user_id":
                    await sweep.expect_rejected(c, s.name, {**s.base, p.name: "987654321"}, None)
        # A person who does not exist is an error where one person is asked for.
        await sweep.expect_rejected(c, "get_user", {"user_id": "987654321"}, None)
    sweep.report()
    await assert_server_alive(mcp, server)


async def test_unknown_argument_names(mcp, server, specs):
    sweep = Sweep()
    async with mcp() as c:
        for s in specs:
            await sweep.expect_rejected(c, s.name, {**s.base, "bogus_argument": 1}, ["bogus_argument"])
            for p in list(s.props)[:1]:
                # A misspelt name (camelCase) instead of the real one.
                camel = "".join(w.capitalize() if i else w for i, w in enumerate(p.split("_")))
                if camel != p:
                    args = {k: v for k, v in s.base.items() if k != p}
                    args[camel] = s.base.get(p, "1")
                    await sweep.expect_rejected(c, s.name, args, [camel])
    sweep.report()
    await assert_server_alive(mcp, server)


def string_like(p: Prop) -> bool:
    return p.kind in ("string", "id", "enum")


def consistent_free_text(o: Outcome, prop: str, value: str, world) -> str | None:
    """A success for odd free text must be the right answer for that text."""
    items = o.body.get("data", [])
    if prop == "query":
        words = [w.lower() for w in value.split()]
        bad = [t["name"] for t in items if not all(w in t["name"].lower() for w in words)]
        if bad:
            return f"tasks whose names lack the words: {bad[:5]}"
        want = {t["id"] for t in world.tasks if all(w in t["name"].lower() for w in words)}
        if o.body["total_count"] != len(want):
            return f"total_count {o.body['total_count']} but {len(want)} task names hold the words"
        return None
    titles = {n.lower() for t in world.tasks for n in (t.get("tags") or {}).values()}
    if items and value.lower() not in titles:
        return f"{len(items)} items for a tag/group that does not exist"
    return None


async def odd_text_sweep(c, sweep: Sweep, specs, world, value: str, check_size: bool = False):
    for s in specs:
        for p in s.props.values():
            if not string_like(p):
                continue
            args = {**s.base, p.name: value}
            if p.name in FREE_TEXT:
                sweep.calls += 1
                o = await attempt(c, s.name, args)
                if o.kind == "success":
                    why = consistent_free_text(o, p.name, value, world)
                else:
                    why = rejected(o, None)
            elif p.name == "filter_query":
                # Worksection parses raw filters; its own refusal is the answer.
                o = await sweep.expect_rejected(c, s.name, args, ["filter"], case_insensitive=True)
                why = None
            else:
                o = await sweep.expect_rejected(c, s.name, args, [p.name])
                why = None
            if why:
                sweep.problems.append(f"{s.name} {describe(args)} -> {why}")
            if check_size and len(o.text) > MAX_ERROR_CHARS:
                sweep.problems.append(
                    f"{s.name} {describe(args)} -> the answer quotes the value back: {len(o.text)} characters"
                )


async def test_one_megabyte_strings(mcp, server, specs, world):
    sweep = Sweep()
    async with mcp() as c:
        await odd_text_sweep(c, sweep, specs, world, ONE_MB, check_size=True)
        for s in specs:
            o = await sweep.expect_rejected(c, s.name, {**s.base, ONE_MB[:64]: ONE_MB}, [ONE_MB[:40]])
            if len(o.text) > MAX_ERROR_CHARS:
                sweep.problems.append(f"{s.name} with a 1 MB unknown argument -> {len(o.text)}-character answer")
    sweep.report()
    await assert_server_alive(mcp, server)


async def test_non_ascii_and_emoji(mcp, server, specs, world):
    sweep = Sweep()
    async with mcp() as c:
        await odd_text_sweep(c, sweep, specs, world, NON_ASCII)
        for s in specs:
            await sweep.expect_rejected(c, s.name, {**s.base, "ñandú_🦉": 1}, ["ñandú_🦉"])
    sweep.report()
    await assert_server_alive(mcp, server)


@pytest.mark.parametrize("text", INJECTIONS)
async def test_filter_injection(mcp, server, specs, world, text):
    sweep = Sweep()
    async with mcp() as c:
        await odd_text_sweep(c, sweep, specs, world, text)
    sweep.report()
    await assert_server_alive(mcp, server)


async def test_bad_resource_uris(mcp, server):
    """Reading a bad resource URI is a JSON-RPC error, never an internal one."""
    problems = []
    uris = [
        "worksection://file/abc",
        "worksection://file/-1",
        "worksection://file/../../etc/passwd",
        "worksection://file/987654321",
        "worksection://task/abc/context",
        "worksection://task/987654321/context",
        "worksection://nothing/here",
        "file:///etc/passwd",
        "worksection://file/" + "9" * 5000,
    ]
    async with mcp() as c:
        for uri in uris:
            try:
                await c.read_resource(uri)
                problems.append(f"{uri[:80]} -> success")
            except MCPError as e:
                if e.error.code not in (-32602, -32002):
                    problems.append(f"{uri[:80]} -> JSON-RPC error {e.error.code}: {e.error.message[:200]}")
    assert not problems, "\n".join(problems)
    await assert_server_alive(mcp, server)


# --------------------------------------------------------------- raw JSON-RPC over HTTP


ACCEPT = {"Content-Type": "application/json", "Accept": "application/json, text/event-stream"}


def http_post(url: str, body: bytes, headers: dict | None = None) -> tuple[int, dict, str]:
    req = urllib.request.Request(url, data=body, headers={**ACCEPT, **(headers or {})}, method="POST")
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, {k.lower(): v for k, v in r.headers.items()}, r.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as e:
        return e.code, {k.lower(): v for k, v in e.headers.items()}, e.read().decode("utf-8", "replace")


def jsonrpc_messages(content_type: str, text: str) -> list[dict]:
    """JSON-RPC messages of a response, plain JSON or server-sent events."""
    if "text/event-stream" in (content_type or ""):
        out = []
        for line in text.splitlines():
            if line.startswith("data:") and line[5:].strip():
                out.append(json.loads(line[5:]))
        return out
    try:
        value = json.loads(text)
    except ValueError:
        return []
    return value if isinstance(value, list) else [value]


def initialize(url: str) -> str:
    body = {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "initialize",
        "params": {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "e2e-raw", "version": "0"}},
    }
    status, headers, text = http_post(url, json.dumps(body).encode())
    assert status == 200, (status, text)
    sid = headers.get("mcp-session-id")
    assert sid
    status, _, _ = http_post(url, json.dumps({"jsonrpc": "2.0", "method": "notifications/initialized"}).encode(), {"Mcp-Session-Id": sid})
    assert status in (200, 202)
    return sid


def rpc_error_of(status: int, headers: dict, text: str) -> dict | None:
    msgs = jsonrpc_messages(headers.get("content-type", ""), text)
    errors = [m["error"] for m in msgs if isinstance(m, dict) and isinstance(m.get("error"), dict)]
    return errors[0] if errors else None


MALFORMED = [
    # (id, body, acceptable JSON-RPC error codes, sent inside a session)
    ("invalid-json", b'{"jsonrpc": "2.0", "id": 7, "method": ', {-32700}, False),
    ("invalid-json-in-session", b'{"jsonrpc": "2.0", "id": 7, "method": ', {-32700}, True),
    ("binary-garbage", b"\x00\xffgarbage", {-32700}, True),
    ("wrong-jsonrpc-version", json.dumps({"jsonrpc": "1.0", "id": 8, "method": "tools/list"}).encode(), {-32600}, True),
    ("no-jsonrpc-member", json.dumps({"id": 9, "method": "tools/list"}).encode(), {-32600}, True),
    ("bare-string", b'"tools/list"', {-32600}, True),
]


@pytest.mark.parametrize("case, body, codes, in_session", MALFORMED, ids=[m[0] for m in MALFORMED])
async def test_malformed_json_rpc(mcp, server, case, body, codes, in_session):
    headers = {"Mcp-Session-Id": initialize(server.url)} if in_session else {}
    status, resp_headers, text = http_post(server.url, body, headers)
    error = rpc_error_of(status, resp_headers, text)
    assert error is not None, f"{case}: HTTP {status} without a JSON-RPC error: {text[:300]!r}"
    assert error.get("code") in codes, f"{case}: JSON-RPC error {error} (expected one of {codes})"
    assert 400 <= status < 500 or status == 200, f"{case}: HTTP {status}"
    await assert_server_alive(mcp, server)


BAD_REQUESTS = [
    ("unknown-method", {"jsonrpc": "2.0", "id": 21, "method": "no/such_method"}, -32601),
    ("unknown-tool", {"jsonrpc": "2.0", "id": 22, "method": "tools/call", "params": {"name": "nope", "arguments": {}}}, -32602),
    (
        "arguments-not-an-object",
        {"jsonrpc": "2.0", "id": 23, "method": "tools/call", "params": {"name": "get_users", "arguments": "all"}},
        -32602,
    ),
    ("params-not-an-object", {"jsonrpc": "2.0", "id": 24, "method": "tools/call", "params": [1, 2]}, -32602),
    ("tool-name-missing", {"jsonrpc": "2.0", "id": 25, "method": "tools/call", "params": {"arguments": {}}}, -32602),
    ("resource-uri-missing", {"jsonrpc": "2.0", "id": 26, "method": "resources/read", "params": {}}, -32602),
]


@pytest.mark.parametrize("case, message, code", BAD_REQUESTS, ids=[b[0] for b in BAD_REQUESTS])
async def test_bad_json_rpc_requests_in_a_session(mcp, server, case, message, code):
    sid = initialize(server.url)
    status, headers, text = http_post(server.url, json.dumps(message).encode(), {"Mcp-Session-Id": sid})
    error = rpc_error_of(status, headers, text)
    assert error is not None, f"{case}: HTTP {status}: {text[:300]!r}"
    assert error["code"] == code, f"{case}: got {error}, expected code {code}"
    await assert_server_alive(mcp, server)


async def test_server_still_answers_after_everything(mcp, server, world):
    """Last: the process is alive and answers a normal call."""
    assert server.alive()
    async with mcp() as c:
        body = h.payload(await c.call_tool("get_current_user", {}), "get_current_user")
    assert body["id"] == world.owner["id"]
    assert "panicked" not in server.log()

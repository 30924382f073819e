"""The stdio bridge: an assistant that starts servers as commands (Claude
Desktop) talks stdio to `worksection-mcp bridge`, which forwards to a server
already running over HTTP (the desktop app's, here `serve --demo`), so one
process owns the sign-in and the rate limit. Driven by the official MCP
Python SDK's stdio client and by the TypeScript SDK's (ts_client.mjs), the
one Claude Desktop runs."""

from __future__ import annotations

import pytest
from mcp import Client, MCPError, StdioServerParameters
from mcp.client.stdio import stdio_client

import helpers as h
import procs
import ts_sdk
from conftest import CALL_TIMEOUT, OUT, unwrapped
from processes import free_port
from sweep import Call

pytestmark = pytest.mark.anyio


@pytest.fixture(scope="module")
def demo_server(binaries, workdir):
    """`worksection-mcp serve --demo` on a free port; its MCP address."""
    with procs.server(
        binaries, None, workdir, "server-demo-bridge", "--demo", WORKSECTION_REQUESTS_PER_SECOND="20"
    ) as served:
        yield served.url


def bridge(binaries, url: str, errlog):
    params = StdioServerParameters(command=str(binaries["mcp"]), args=["bridge", "--url", url], env={})
    return unwrapped(Client(stdio_client(params, errlog=errlog), mode="legacy", read_timeout_seconds=CALL_TIMEOUT))


async def test_the_bridge_forwards_a_whole_session(binaries, demo_server):
    with open(OUT / "bridge.stderr.log", "w") as errlog:
        async with bridge(binaries, demo_server, errlog) as c:
            assert c.server_info is not None and c.server_info.name == "worksection-mcp"
            tools = (await c.list_tools()).tools
            assert len(tools) == 50
            me = h.payload(await c.call_tool("get_current_user", {}), "get_current_user")
            assert me["id"] and me["name"]
            projects = h.payload(await c.call_tool("get_projects", {}), "get_projects")
            assert projects["data"], projects
            # Errors pass through as themselves: a tool error, and JSON-RPC's.
            bad = await c.call_tool("get_task", {"task_id": "abc"})
            assert bad.is_error and "task_id" in h.error_text(bad)
            with pytest.raises(MCPError) as e:
                await c.call_tool("no_such_tool", {})
            assert e.value.error.code == -32602
            resources = (await c.list_resources()).resources
            assert resources


def test_the_bridge_forwards_a_typescript_sdk_session(binaries, demo_server):
    """The TypeScript SDK over the bridge's stdio: the handshake, the tools
    (their output schemas, which it then holds every answer to), answers,
    a tool error and a JSON-RPC error passed through, a clean close."""
    transport = ts_sdk.stdio(str(binaries["mcp"]), ["bridge", "--url", demo_server], {}, OUT / "bridge-ts.stderr.log")
    calls = [
        Call("get_current_user", {}),
        Call("get_projects", {}),
        Call("get_task", {"task_id": "abc"}),
        Call("no_such_tool", {}),
    ]
    run = ts_sdk.run(transport, calls, "bridge-ts", follow=False)
    run.check_clean()
    assert run.initialized["server"]["name"] == "worksection-mcp"
    assert len(run.tools) == 50 and all(t["outputSchema"] for t in run.tools)
    me, projects, bad, unknown = run.calls
    assert not me["isError"] and me["structuredContent"]["id"] and me["structuredContent"]["name"], me
    assert not projects["isError"] and projects["structuredContent"]["data"], projects
    assert bad["isError"] and "task_id" in bad["text"], bad
    assert unknown["error"]["code"] == -32602, unknown


async def test_a_stopped_app_is_a_clear_error(binaries):
    port = free_port()  # nothing listens on it
    with open(OUT / "bridge-stopped.stderr.log", "w") as errlog:
        with pytest.raises(MCPError) as e:
            async with bridge(binaries, f"http://127.0.0.1:{port}/mcp", errlog) as c:
                await c.list_tools()
    assert "not running" in e.value.error.message

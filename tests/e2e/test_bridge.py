"""The stdio bridge: an assistant that starts servers as commands (Claude
Desktop) talks stdio to `worksection-mcp bridge`, which forwards to a server
already running over HTTP (the desktop app's, here `serve --demo`), so one
process owns the sign-in and the rate limit. Driven by the official MCP
Python SDK's stdio client."""

from __future__ import annotations

import os
import subprocess
import time

import pytest
from mcp import Client, MCPError, StdioServerParameters
from mcp.client.stdio import stdio_client

import helpers as h
from conftest import CALL_TIMEOUT, OUT, READY_TIMEOUT, SERVER_ENV_PREFIXES, SERVING_RE, _stop, unwrapped

pytestmark = pytest.mark.anyio


@pytest.fixture(scope="module")
def demo_server(binaries, workdir):
    """`worksection-mcp serve --demo` on a free port; its MCP address."""
    OUT.mkdir(exist_ok=True)
    log_path = OUT / "server-demo-bridge.stderr.log"
    env = {k: v for k, v in os.environ.items() if not k.startswith(SERVER_ENV_PREFIXES)}
    env.update(MCP_SERVER_PORT="0", FILE_CACHE_PATH=str(workdir / "cache-bridge"), WORKSECTION_REQUESTS_PER_SECOND="20")
    with open(log_path, "w") as log:
        proc = subprocess.Popen(
            [str(binaries["mcp"]), "serve", "--demo"],
            env=env,
            cwd=workdir,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=log,
        )
        try:
            deadline = time.monotonic() + READY_TIMEOUT
            match = None
            while match is None and time.monotonic() < deadline and proc.poll() is None:
                match = SERVING_RE.search(log_path.read_text(errors="replace"))
                time.sleep(0.05)
            if match is None:
                pytest.fail(f"serve --demo did not start:\n{log_path.read_text()[-2000:]}")
            yield f"http://127.0.0.1:{match.group(2)}/mcp"
        finally:
            _stop(proc)


def bridge(binaries, url: str, errlog):
    params = StdioServerParameters(command=str(binaries["mcp"]), args=["bridge", "--url", url], env={})
    return unwrapped(Client(stdio_client(params, errlog=errlog), mode="legacy", read_timeout_seconds=CALL_TIMEOUT))


async def test_the_bridge_forwards_a_whole_session(binaries, demo_server):
    with open(OUT / "bridge.stderr.log", "w") as errlog:
        async with bridge(binaries, demo_server, errlog) as c:
            assert c.server_info is not None and c.server_info.name == "worksection-mcp"
            tools = (await c.list_tools()).tools
            assert len(tools) == 48
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


async def test_a_stopped_app_is_a_clear_error(binaries):
    # A port nothing listens on.
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with open(OUT / "bridge-stopped.stderr.log", "w") as errlog:
        with pytest.raises(MCPError) as e:
            async with bridge(binaries, f"http://127.0.0.1:{port}/mcp", errlog) as c:
                await c.list_tools()
    assert "not running" in e.value.error.message

"""The same server over stdio: the assistant starts it, talks JSON-RPC over
stdin/stdout, and the process ends cleanly when the assistant closes."""

from __future__ import annotations

import base64

import pytest

import helpers as h

pytestmark = pytest.mark.anyio


async def test_stdio_session(stdio_server, api, world):
    png = world.file("Checkout error.png")
    png_bytes = api.download(png["id"])
    async with stdio_server.session() as c:
        assert c.server_info is not None and c.server_info.name == "worksection-mcp"
        assert c.server_capabilities.tools is not None and c.server_capabilities.resources is not None
        tools = (await c.list_tools()).tools
        assert len(tools) == 50 and len({t.name for t in tools}) == 50

        me = h.payload(await c.call_tool("get_current_user", {}), "get_current_user")
        # `me` itself is for OAuth2 tokens only; with the admin key the
        # signed-in user is the account owner.
        owner = world.owner
        assert (me["id"], me["name"], me["email"]) == (owner["id"], owner["name"], owner["email"])

        contents = (await c.read_resource(f"worksection://file/{png['id']}")).contents
        assert len(contents) == 1 and contents[0].mime_type == "image/png"
        raw = base64.b64decode(contents[0].blob, validate=True)
        h.check_png(raw)
        assert raw == png_bytes

        prompt = await c.get_prompt("read_task_with_screenshots", {"task_id": world.showcase["id"]})
        assert prompt.messages and world.showcase["id"] in prompt.messages[0].content.text

        users = h.payload(await c.call_tool("get_users", {}), "get_users")
        assert h.id_names(h.check_list(users, "data", "get_users")) == h.id_names(api.data("get_users"))

    status = stdio_server.exit_status()
    assert status is not None, f"the server was killed instead of exiting; log:\n{stdio_server.log()[-2000:]}"
    assert status["rc"] == 0, f"exit status {status['rc']}; log:\n{stdio_server.log()[-2000:]}"


async def test_stdio_stdout_carries_only_json_rpc(stdio_server):
    """A tool error and a JSON-RPC error over stdio leave the session usable
    (anything but JSON-RPC on stdout would break the SDK's reader)."""
    from mcp import MCPError

    async with stdio_server.session() as c:
        bad = await c.call_tool("get_task", {"task_id": "abc"})
        assert bad.is_error and "task_id" in h.error_text(bad)
        with pytest.raises(MCPError) as e:
            await c.call_tool("no_such_tool", {})
        assert e.value.error.code == -32602
        assert len((await c.list_tools()).tools) == 50
    status = stdio_server.exit_status()
    assert status is not None and status["rc"] == 0, status

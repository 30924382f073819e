"""The Health card's "Check every tool": the app calls every tool once
against the account it serves (here its demo account) and shows the report
a person pastes into a bug report; "Copy report" puts that text on the
system clipboard.
"""

from __future__ import annotations

import pathlib
import re
import subprocess

from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC

from conftest import click, launched, text, wait, wait_text

TOOLS_MD = pathlib.Path(__file__).resolve().parents[2] / "TOOLS.md"


def test_check_every_tool_shows_a_report_to_copy(sim):
    tools = set(re.findall(r"^\| \[`(\w+)`\]", TOOLS_MD.read_text(), re.M))
    with launched(sim) as app:
        click(app, "welcome-demo")
        wait(app).until(EC.visibility_of_element_located((By.ID, "dashboard")))
        wait_text(app, "server-state", lambda t: t == "running", timeout=60)
        click(app, "check-tools")
        # Every tool at the demo account's pace: well within a minute.
        wait(app, 100).until(
            lambda d: d.find_element(By.ID, "check-report").text or d.find_element(By.ID, "notice-text").text
        )
        assert not text(app, "notice-text"), text(app, "notice-text")
        report = wait_text(app, "check-report", lambda t: "tools:" in t)
        app.screenshot("check-every-tool", show="h-health")
        lines = report.splitlines()
        assert lines[0].startswith("Worksection MCP check: worksection-mcp "), lines[0]
        reported = {m.group(2) for m in (re.match(r"^(answered|empty|skipped|FAILED)\s+(\w+)", x) for x in lines) if m}
        assert reported == tools
        assert not [x for x in lines if x.startswith("FAILED") or "did not decode" in x], report
        assert lines[-1].startswith(f"{len(tools)} tools: ") and lines[-1].endswith(", 0 failed"), lines[-1]
        assert text(app, "check-tools") == "Check every tool"
        click(app, "copy-report")
        wait_text(app, "copy-report", lambda t: t == "Copied")
        pasted = subprocess.run(["xclip", "-o", "-selection", "clipboard"], capture_output=True, text=True, timeout=10)
        assert pasted.stdout.strip() == report.strip(), (pasted.stdout[:300], pasted.stderr)

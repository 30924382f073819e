"""`worksection-mcp check` against the simulator: every tool called once,
read-only, and reported.

- With `--quirks` (the odd shapes real accounts send) every tool answers or
  is empty; none fails, every field decodes, and the only tools skipped are
  the two that need a person signed in (the check runs with the admin key).
  Counts come from the simulator's own answers.
- With a fault that gives one action's first record a field of the wrong
  type (`shape:get_tasks:user_to.id`), the report names the tool and the
  field's path, what was expected and what kind of value came, exits 1, and
  holds no record data: none of the account's names, emails or texts.

The list of tools is TOOLS.md's (generated from the server's registry).
"""

from __future__ import annotations

import re
import subprocess

import pytest

import procs
from conftest import OUT, REPO, AdminApi, server_env

LINE = re.compile(r"^(answered|empty|skipped|FAILED)\s+(\w+)(?: \((\d+)\))?(?:: (.*))?$")
USER_ONLY = {"get_current_user", "get_my_timer"}


def tool_names() -> set[str]:
    text = (REPO / "TOOLS.md").read_text()
    return set(re.findall(r"^\| \[`(\w+)`\]", text, re.M))


def run_check(binaries, sim, tmp_path, name: str) -> subprocess.CompletedProcess:
    env = server_env(sim, tmp_path / "cache")
    env.pop("LOG_LEVEL", None)
    out = subprocess.run(
        [str(binaries["mcp"]), "check"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,
    )
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / f"{name}.stdout.log").write_text(out.stdout)
    (OUT / f"{name}.stderr.log").write_text(out.stderr)
    return out


def parse(report: str) -> dict[str, dict]:
    """Each tool's outcome, count, words and decode problems."""
    tools: dict[str, dict] = {}
    last = None
    for line in report.splitlines():
        if line.startswith("    did not decode: "):
            assert last is not None, report
            last["undecoded"].append(line.removeprefix("    did not decode: "))
            continue
        m = LINE.match(line)
        if not m:
            continue
        assert m.group(2) not in tools, f"{m.group(2)} reported twice:\n{report}"
        last = {
            "outcome": m.group(1),
            "count": int(m.group(3)) if m.group(3) else None,
            "said": m.group(4) or "",
            "undecoded": [],
        }
        tools[m.group(2)] = last
    return tools


def test_check_with_quirks_answers_every_tool(binaries, tmp_path):
    with procs.simulator(binaries, "sim-check-quirks", "--rps", "0", "--quirks") as sim:
        api = AdminApi(sim.account_url, sim.api_key)
        out = run_check(binaries, sim, tmp_path, "check-quirks")
        report = parse(out.stdout)
        assert out.returncode == 0, out.stdout + out.stderr
        assert set(report) == tool_names()
        for name, r in report.items():
            assert r["outcome"] in ("answered", "empty", "skipped"), f"{name}: {r}"
            assert not r["undecoded"], f"{name}: {r}"
            if r["outcome"] == "skipped":
                assert name in USER_ONLY and "admin API key" in r["said"], f"{name}: {r}"
        assert {n for n, r in report.items() if r["outcome"] == "skipped"} == USER_ONLY
        # Counts are the simulator's.
        assert report["get_projects"]["count"] == len(api.data("get_projects"))
        assert report["get_users"]["count"] == len(api.data("get_users"))
        assert report["get_all_tasks"]["count"] == len(api.data("get_all_tasks"))
        summary = out.stdout.strip().splitlines()[-1]
        answered = sum(r["outcome"] == "answered" for r in report.values())
        empty = sum(r["outcome"] == "empty" for r in report.values())
        assert summary == f"{len(report)} tools: {answered} answered, {empty} empty, 2 skipped, 0 failed", summary
        assert "account 127.0.0.1 (admin API key)" in out.stdout


def record_data(api: AdminApi) -> set[str]:
    """The account's names, emails and texts the report must not hold."""
    found: set[str] = set()

    def take(v):
        if isinstance(v, dict):
            for k, x in v.items():
                if k in ("name", "title", "email", "text", "first_name", "last_name", "comment") and isinstance(x, str):
                    found.add(x)
                else:
                    take(x)
        elif isinstance(v, list):
            for x in v:
                take(x)

    projects = api.data("get_projects", extra="users,text")
    take(projects)
    take(api.data("get_users"))
    take(api.data("get_all_tasks", extra="text"))
    for p in projects:
        take(api.data("get_tasks", id_project=p["id"], extra="text"))
    # Short words ("Design") could be anyone's; names, emails and sentences
    # are the account's.
    return {s for s in found if len(s) >= 6}


def test_check_names_the_tool_and_field_of_a_bad_shape_and_no_data(binaries, tmp_path):
    fault = "shape:get_tasks:user_to.id"
    with procs.simulator(binaries, "sim-check-shape", "--rps", "0", "--faults", fault) as sim:
        api = AdminApi(sim.account_url, sim.api_key)
        out = run_check(binaries, sim, tmp_path, "check-shape")
        report = parse(out.stdout)
        assert out.returncode == 1, out.stdout + out.stderr
        assert set(report) == tool_names()
        problem = "Task.user_to.id: expected an id (a string or a number), got a list"
        assert report["get_tasks"]["undecoded"] == [problem], out.stdout
        # The record was kept: the tool answered its whole list.
        first_project = api.data("get_all_tasks")[0]["project"]["id"]
        assert report["get_tasks"]["count"] == len(api.data("get_tasks", id_project=first_project))
        for name, r in report.items():
            assert r["outcome"] != "FAILED", f"{name}: {r}"
            assert r["undecoded"] in ([], [problem]), f"{name}: {r}"
        # Tools that never read a project's task list are clean.
        for name in ("get_projects", "get_users", "get_all_tasks", "get_costs", "get_comments"):
            assert not report[name]["undecoded"], f"{name}: {report[name]}"
        assert out.stdout.strip().endswith("with fields that did not decode")
        data = record_data(api)
        assert len(data) > 50, data
        leaked = sorted(s for s in data if s in out.stdout or s in out.stderr)
        assert not leaked, f"record data in the report: {leaked[:5]}"

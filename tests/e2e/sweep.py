"""The sweep: every tool called with every id of an account, through a real
MCP client, and every answer held to its tool's `outputSchema`.

What to call comes from the simulator's admin API (`Account`), never from
the server's code: every project, task and subtask, person, file and tag
of the account, each with every tool that takes it, and the tools that
take no id with each value of their enumerations. `plan()` makes the list
of calls; a driver (the Python SDK below, the TypeScript SDK in ts_sdk.py)
makes them and turns each answer into an `Answer`; `Tally` checks them:

- no answer is `isError`, nor a JSON-RPC error, except the documented
  input errors (`DOCUMENTED_ERRORS`: each names the rule in TOOLS.md it
  follows);
- every `structuredContent` of a tool with an `outputSchema` validates
  against it twice: by the SDK itself (it refuses the answer otherwise,
  as Claude, Cursor and VS Code do) and by `jsonschema`'s draft 2020-12
  validator, with formats checked;
- a list answer's further pages (`next_cursor`) and an offloaded answer
  read back are called and checked too (`follow`), as a model would.

A failure is kept with its tool, arguments and message; the test fails
with the list of them, grouped by tool and message.
"""

from __future__ import annotations

import collections
import dataclasses
import datetime as dt
import random
import re
from typing import Any, Iterable

from jsonschema import Draft202012Validator
from jsonschema.exceptions import best_match

import helpers as h

SEARCH_CRITERIA = ("query", "filter_query", "project_id", "task_id", "assignee_email", "author_email")

# Input errors a call of the plan answers on purpose, each by a rule the
# contract documents: (tool, predicate over the arguments, regex of the
# message). Every other `isError` fails the sweep.
DOCUMENTED_ERRORS: list[tuple[str, Any, str]] = [
    # TOOLS.md: "The signed-in person's running timer (not with the admin
    # API key)"; the sweep's servers use the admin API key.
    ("get_my_timer", lambda args: True, r"works only for a signed-in user \(OAuth2\)"),
    # The contract: search_tasks needs at least one criterion; `status`
    # alone is none.
    (
        "search_tasks",
        lambda args: not any(k in args for k in SEARCH_CRITERIA),
        r"needs at least one of query, filter_query, project_id, task_id, assignee_email or author_email",
    ),
]

PERIOD = "30d"
TASK_EXTRA = "text,html,files,comments,relations,subtasks,subscribers"
TASKS_EXTRA = "text,files,comments,relations,subtasks"
PROJECT_EXTRA = "text,options,users"


@dataclasses.dataclass(frozen=True)
class Call:
    tool: str
    arguments: dict

    def key(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in sorted(self.arguments.items()))
        return f"{self.tool}({args})"


@dataclasses.dataclass
class Answer:
    """One call's outcome as a driver saw it: a result (`is_error`, the
    `structuredContent`, the first text block) or, when the SDK refused it
    or the server answered a JSON-RPC error, `refused` (the message)."""

    call: Call
    is_error: bool = False
    structured: Any = None
    text: str = ""
    refused: str | None = None
    follow_up: bool = False


class Account:
    """The ids of an account, from the simulator's admin API."""

    def __init__(self, api, sample: int | None = None, seed: int = 7):
        """`sample`: take that many tasks (and a few projects, people and
        files) at random by `seed`, for an account too large to sweep whole."""
        rnd = random.Random(seed)
        self.today = dt.date.today()
        # How far back the activity tools look: a month of the demo; the
        # tools' default (a day) of a large account, where a month is more
        # events than Worksection lists at once (it answers "Too many
        # records", status 9).
        self.period = {"period": PERIOD} if sample is None else {}
        self.users = api.data("get_users")
        projects = api.data("get_projects")
        if sample is None:
            self.projects = projects
            self.tasks = [
                t
                for p in projects
                for t in h.flatten(api.data("get_tasks", id_project=p["id"], extra="subtasks"))
            ]
        else:
            everything = h.flatten(api.data("get_all_tasks", extra="subtasks,archive"))
            self.tasks = rnd.sample(everything, min(sample, len(everything)))
            in_sample = {t["project"]["id"] for t in self.tasks}
            self.projects = [p for p in projects if p["id"] in in_sample][: max(2, sample // 10)]
            self.users = rnd.sample(self.users, min(len(self.users), max(3, sample // 5)))
        self.files = []
        for p in self.projects:
            self.files += api.data("get_files", id_project=p["id"])
        for t in self.tasks:
            self.files += api.data("get_files", id_task=t["id"])
        if sample is not None:
            self.files = rnd.sample(self.files, min(len(self.files), max(3, sample // 5)))
        self.tag_groups = {
            kind: api.data(f"get_{kind}_tag_groups") for kind in ("task", "project")
        }
        self.task_tags = api.data("get_task_tags")

    def counts(self) -> dict[str, int]:
        return {
            "projects": len(self.projects),
            "tasks": len(self.tasks),
            "people": len(self.users),
            "files": len(self.files),
            "task tags": len(self.task_tags),
        }


def plan(account: Account) -> list[Call]:
    """Every call of the sweep over `account`."""
    calls: list[Call] = []

    def add(tool: str, **arguments):
        calls.append(Call(tool, arguments))

    today = account.today
    month_ago = (today - dt.timedelta(days=30)).isoformat()
    year_ago = (today - dt.timedelta(days=365)).isoformat()

    # Tools that take no id, with each value of their enumerations.
    for tool in ("get_project_groups", "get_contacts", "get_contact_groups", "get_current_user",
                 "get_my_timer", "get_timers", "get_user_groups", "get_webhooks", "health_check"):
        add(tool)
    add("get_projects")
    for status in ("active", "pending", "archive", "all"):
        add("get_projects", status_filter=status)
    add("get_projects", extra=PROJECT_EXTRA)
    add("get_all_tasks")
    for status in ("active", "done", "all"):
        add("get_all_tasks", status_filter=status)
    add("get_all_tasks", extra=TASKS_EXTRA + ",archive")
    add("get_all_tasks", detail="summary")
    add("get_users")
    add("get_users", status_filter="all", detail="summary")
    for kind in ("task", "project"):
        for tool in (f"get_{kind}_tags", f"get_{kind}_tag_groups"):
            add(tool)
            for tag_type in ("status", "label"):
                add(tool, tag_type=tag_type)
            for access in ("public", "private"):
                add(tool, access=access)
        for group in account.tag_groups[kind]:
            add(f"get_{kind}_tags", group=str(group["id"]))
            add(f"get_{kind}_tags", group=group["title"] if "title" in group else group["name"])
    add("get_overdue_tasks")
    add("get_activity_log", **account.period)
    for event in ("project", "task", "comment"):
        add("get_activity_log", **account.period, event_filter=event)
    add("get_costs")
    add("get_costs", date_start=year_ago, date_end=today.isoformat())
    add("get_costs_total")
    for by in ("projects", "tasks"):
        add("get_costs_total", by=by)
    add("get_team_workload_summary")
    add("get_team_workload_summary", date_start=month_ago, date_end=today.isoformat())
    for status in ("active", "done"):
        add("search_tasks", status=status)

    for p in account.projects:
        pid = str(p["id"])
        add("get_project", project_id=pid)
        add("get_project", project_id=pid, extra=PROJECT_EXTRA)
        for tool in ("get_project_team", "get_project_stats", "get_project_time_report"):
            add(tool, project_id=pid)
        add("get_project_files", project_id=pid)
        add("list_image_attachments", project_id=pid)
        add("get_tasks", project_id=pid)
        add("get_tasks", project_id=pid, extra=TASKS_EXTRA)
        add("get_tasks", project_id=pid, detail="summary", status_filter="active")
        for status in ("active", "done"):
            add("get_tasks_by_status", project_id=pid, status=status)
        for priority in range(11):
            add("get_tasks_by_priority", project_id=pid, priority=priority)
        for tag in account.task_tags:
            add("search_tasks_by_tag", project_id=pid, tag=str(tag["id"]))
        add("get_overdue_tasks", project_id=pid)
        add("get_activity_log", project_id=pid, **account.period)
        add("get_costs", project_id=pid)
        add("get_costs_total", project_id=pid)
        add("get_costs_total", project_id=pid, by="tasks")
        add("get_team_workload_summary", project_id=pid, date_start=month_ago, date_end=today.isoformat())
        add("search_tasks", project_id=pid)
        for u in account.users:
            add("get_project_time_report", project_id=pid, user_id=str(u["id"]))

    for t in account.tasks:
        tid = str(t["id"])
        for tool in ("get_task", "get_task_discussion", "get_task_files", "get_task_relations",
                     "get_task_subscribers", "get_task_subtasks", "get_task_with_tags",
                     "get_all_task_attachments"):
            add(tool, task_id=tid)
        add("get_task", task_id=tid, extra=TASK_EXTRA)
        add("get_comments", task_id=tid, include_files=True)
        add("list_image_attachments", task_id=tid)
        add("get_project_files", task_id=tid)
        add("get_costs", task_id=tid)
        add("search_tasks", task_id=tid)

    for u in account.users:
        uid = str(u["id"])
        add("get_user", user_id=uid)
        add("get_user_activity", user_id=uid, **account.period)
        add("get_user_assignments", user_id=uid)
        add("get_user_workload", user_id=uid, date_start=month_ago, date_end=today.isoformat())
        add("get_costs", user_id=uid)
        if u.get("email"):
            add("search_tasks", assignee_email=u["email"])
            add("search_tasks", author_email=u["email"])

    for f in account.files:
        fid = str(f["id"])
        for tool in ("download_file", "get_file_as_base64", "get_file_content"):
            add(tool, file_id=fid)
    return calls


def documented_error(call: Call, message: str) -> str | None:
    """The rule a tool error of `call` follows, if it is a documented one."""
    for tool, applies, pattern in DOCUMENTED_ERRORS:
        if tool == call.tool and applies(call.arguments) and re.search(pattern, message):
            return pattern
    return None


def gist(message: str) -> str:
    """A failure's message without what differs from record to record (the
    answer the SDK quotes, ids), to group the failures by."""
    first = message.strip().splitlines()[0] if message.strip() else message
    return re.sub(r"\d{2,}", "N", re.sub(r"\{.*\}", "{…}", first))


class Tally:
    """Checks the answers of one sweep and counts them."""

    def __init__(self, label: str, tools: Iterable[dict]):
        """`tools`: the tools as listed (`name`, `outputSchema`)."""
        self.label = label
        self.schemas: dict[str, dict | None] = {}
        self.validators: dict[str, Draft202012Validator] = {}
        self.failures: list[tuple[str, str]] = []
        self.calls = 0
        self.sdk_validations = 0
        self.jsonschema_validations = 0
        self.input_errors = 0
        self.tools_called: set[str] = set()
        for t in tools:
            schema = t.get("outputSchema")
            self.schemas[t["name"]] = schema
            if schema is not None:
                dialect = schema.get("$schema", "https://json-schema.org/draft/2020-12/schema")
                if dialect.rstrip("#") != "https://json-schema.org/draft/2020-12/schema":
                    self.failures.append((f"{t['name']} (tools/list)", f"outputSchema declares {dialect}, not 2020-12"))
                Draft202012Validator.check_schema(schema)
                self.validators[t["name"]] = Draft202012Validator(
                    schema, format_checker=Draft202012Validator.FORMAT_CHECKER
                )

    def add(self, a: Answer) -> None:
        self.calls += 1
        self.tools_called.add(a.call.tool)
        if a.refused is not None:
            self.failures.append((a.call.key(), f"refused by the SDK: {a.refused}"))
            return
        if a.is_error:
            if not a.follow_up and documented_error(a.call, a.text):
                self.input_errors += 1
            else:
                self.failures.append((a.call.key(), f"isError: {a.text[:300]}"))
            return
        validator = self.validators.get(a.call.tool)
        if validator is None:
            return
        # The SDK validated it (a mismatch would have come as `refused`).
        self.sdk_validations += 1
        self.jsonschema_validations += 1
        if a.structured is None:
            self.failures.append((a.call.key(), "no structuredContent, though the tool has an outputSchema"))
            return
        error = best_match(validator.iter_errors(a.structured))
        if error is not None:
            where = "/".join(str(p) for p in error.absolute_path) or "(root)"
            self.failures.append((a.call.key(), f"jsonschema: at {where}: {error.message[:300]}"))

    def summary(self) -> str:
        return (
            f"{self.label}: {self.calls} calls of {len(self.tools_called)} tools, "
            f"{self.sdk_validations} structuredContent validated by the SDK and "
            f"{self.jsonschema_validations} by jsonschema (2020-12), "
            f"{self.input_errors} documented input errors, {len(self.failures)} failures"
        )

    def report(self, limit: int = 60) -> str:
        """The failures grouped by tool and message, with the ids that hit each."""
        groups: dict[tuple[str, str], list[str]] = collections.defaultdict(list)
        for key, message in self.failures:
            tool = key.split("(", 1)[0]
            groups[(tool, gist(message))].append(key)
        lines = [self.summary()]
        for (tool, message), keys in sorted(groups.items(), key=lambda kv: -len(kv[1]))[:limit]:
            shown = ", ".join(keys[:4]) + (f", … ({len(keys)} calls)" if len(keys) > 4 else "")
            lines.append(f"- {tool}: {message}\n    {shown}")
        return "\n".join(lines)

    def check(self, listed: set[str]) -> None:
        """Fails with the report when anything failed, or when a listed
        tool was never called."""
        missing = listed - self.tools_called
        assert not missing, f"{self.label}: tools the sweep never called: {sorted(missing)}"
        assert not self.failures, self.report()


# --------------------------------------------------------------- the Python SDK


async def run_python(client_session, calls: list[Call], tally: Tally) -> None:
    """Makes `calls` with an open Python SDK `Client` (tools listed first),
    following pages and offloads; each answer goes to `tally`."""
    from mcp import MCPError

    async def one(call: Call, follow_up: bool) -> Any:
        try:
            result = await client_session.call_tool(call.tool, call.arguments)
        except (MCPError, RuntimeError) as e:
            tally.add(Answer(call, refused=f"{type(e).__name__}: {e}"[:400], follow_up=follow_up))
            return None
        text = "\n".join(h.text_blocks(result))
        tally.add(Answer(call, result.is_error is True, result.structured_content, text, follow_up=follow_up))
        return None if result.is_error else result.structured_content

    for call in calls:
        sc = await one(call, False)
        page = sc
        while isinstance(page, dict) and isinstance(page.get("next_cursor"), str):
            page = await one(Call(call.tool, {**call.arguments, "cursor": page["next_cursor"]}), True)
        for rid in {sc.get("response_id"), sc.get("offload_id")} if isinstance(sc, dict) else ():
            if not isinstance(rid, str):
                continue
            await one(Call("get_offloaded_response_info", {"response_id": rid}), True)
            offset = 0
            while True:
                chunk = await one(Call("read_offloaded_response_text", {"response_id": rid, "offset": offset}), True)
                if not isinstance(chunk, dict) or chunk.get("has_more") is not True:
                    break
                offset = chunk["next_offset"]

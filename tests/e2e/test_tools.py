"""Every tool, resource and prompt over streamable HTTP, checked against the
simulator's own data read independently through its admin API."""

from __future__ import annotations

import base64
import collections
import datetime as dt
import hashlib
import json

import pytest
from mcp import MCPError

import helpers as h

pytestmark = pytest.mark.anyio

# The contract's tool names (TOOLS.md): assistants call them by these names.
CONTRACT_TOOLS = {
    "get_projects", "get_project", "get_project_groups", "get_project_team",
    "get_all_tasks", "get_tasks", "get_task", "search_tasks", "get_task_subtasks",
    "get_task_relations", "get_task_subscribers",
    "get_comments", "get_task_discussion",
    "get_task_files", "get_all_task_attachments", "get_project_files", "download_file",
    "get_file_as_base64", "get_file_content", "list_image_attachments",
    "get_costs", "get_costs_total", "get_user_workload", "get_project_time_report",
    "get_timers", "get_my_timer",
    "get_users", "get_user", "get_current_user", "get_user_groups", "get_contacts",
    "get_contact_groups", "get_user_assignments",
    "get_task_tags", "get_task_tag_groups", "get_project_tags", "get_project_tag_groups",
    "get_task_with_tags", "search_tasks_by_tag",
    "get_project_stats", "get_overdue_tasks", "get_tasks_by_status", "get_tasks_by_priority",
    "get_team_workload_summary",
    "get_activity_log", "get_user_activity",
    "health_check", "get_webhooks",
    "get_offloaded_response_info", "read_offloaded_response_text",
}  # fmt: skip
# Tools that read this server's own store of offloaded answers, not Worksection.
LOCAL_TOOLS = {"get_offloaded_response_info", "read_offloaded_response_text"}

CALLED: set[str] = set()


async def call(c, name: str, args: dict | None = None):
    CALLED.add(name)
    return await c.call_tool(name, args or {})


async def ok(c, name: str, args: dict | None = None, key: str = "data") -> dict:
    """The whole answer: every page of a list, or an offloaded answer read
    back (answers fit a token budget; see test_answers.py for the pages)."""
    CALLED.add(name)
    return await h.whole_answer(c, name, args or {}, key)


async def ok_list(c, name: str, args: dict | None = None, key: str = "data") -> tuple[dict, list]:
    body = await ok(c, name, args, key)
    return body, h.check_list(body, key, name)


def project_tasks(world, project_id: str) -> list[dict]:
    return h.flatten(world.project_tasks[project_id])


def fmt_hm(total_minutes: int) -> str:
    return f"{total_minutes // 60}:{total_minutes % 60:02d}"


def sum_costs(lines: list[dict]) -> tuple[int, int]:
    return sum(h.minutes(c["time"]) for c in lines), sum(h.cents(c["money"]) for c in lines)


def check_totals(totals: dict, lines: list[dict], what: str) -> None:
    mins, money = sum_costs(lines)
    assert totals["lines"] == len(lines), what
    assert totals["minutes"] == mins, f"{what}: minutes {totals['minutes']} != {mins}"
    assert h.minutes(totals["time"]) == mins, f"{what}: time {totals['time']} != {fmt_hm(mins)}"
    assert h.cents(totals["money"]) == money, f"{what}: money {totals['money']} != {money / 100:.2f}"


# --------------------------------------------------------------- tools/list


async def test_tools_list_matches_the_contract(mcp):
    async with mcp() as c:
        tools = (await c.list_tools()).tools
        instructions = c.instructions or ""
    names = [t.name for t in tools]
    assert len(names) == 50 and len(set(names)) == 50, names
    assert set(names) == CONTRACT_TOOLS, set(names) ^ CONTRACT_TOOLS
    for t in tools:
        assert t.annotations is not None, t.name
        assert t.annotations.read_only_hint is True, t.name
        assert t.annotations.open_world_hint is (t.name not in LOCAL_TOOLS), t.name
        assert t.description and len(t.description) > 20, t.name
        schema = t.input_schema
        assert schema.get("type") == "object", t.name
        for prop, spec in (schema.get("properties") or {}).items():
            # `limit`, in each of the list tools, is described once, in the
            # server's instructions (checked below), not 33 times.
            assert spec.get("description") or prop == "limit", f"{t.name}.{prop} has no description"
            assert any(k in spec for k in ("type", "$ref", "anyOf", "oneOf")), f"{t.name}.{prop} has no type"
    assert "limit sets the page size" in instructions, instructions


# --------------------------------------------------------------- projects


async def test_get_projects(mcp, api):
    async with mcp() as c:
        for status in (None, "all", "active", "pending", "archive"):
            _, items = await ok_list(c, "get_projects", {} if status is None else {"status_filter": status})
            truth = api.data("get_projects", filter=None if status in (None, "all") else status)
            assert truth, status
            assert h.id_names(items) == h.id_names(truth), status
            assert [p["status"] for p in items] == [p["status"] for p in truth], status
        _, items = await ok_list(c, "get_projects", {"extra": "users"})
        truth = api.data("get_projects", extra="users")
        assert h.ids(items) == h.ids(truth)
        for got, want in zip(items, truth):
            assert h.ids(got["users"]) == h.ids(want["users"]), got["id"]


async def test_get_project(mcp, api, world):
    pid = world.showcase["project"]["id"]
    async with mcp() as c:
        body = await ok(c, "get_project", {"project_id": pid, "extra": "text,options,users"})
    want = api.data("get_project", id_project=pid, extra="text,options,users")
    for k in ("id", "name", "status", "text", "date_start", "date_end", "company"):
        assert body[k] == want[k], k
    assert body["options"] == want["options"]
    assert h.id_names(body["users"]) == h.id_names(want["users"])
    assert body["user_to"]["id"] == want["user_to"]["id"]


async def test_get_project_groups(mcp, api):
    async with mcp() as c:
        _, items = await ok_list(c, "get_project_groups")
    truth = api.data("get_project_groups")
    assert truth
    assert h.id_names(items, "title") == h.id_names(truth, "title")


async def test_get_project_team(mcp, api, world):
    pid = world.showcase["project"]["id"]
    async with mcp() as c:
        body, items = await ok_list(c, "get_project_team", {"project_id": pid})
    truth = api.data("get_project", id_project=pid, extra="users")["users"]
    assert truth
    assert h.id_names(items) == h.id_names(truth)
    assert body["total_count"] == len(truth)


# --------------------------------------------------------------- tasks


async def test_get_all_tasks_status_filters(mcp, api):
    everything = api.data("get_all_tasks")
    active = api.data("get_all_tasks", filter="active")
    done = [t for t in everything if t["status"] == "done"]
    assert active and done
    async with mcp() as c:
        for args, truth in (
            ({}, everything),
            ({"status_filter": "all"}, everything),
            ({"status_filter": "active"}, active),
            ({"status_filter": "done"}, done),
        ):
            body, items = await ok_list(c, "get_all_tasks", args)
            assert h.id_names(items) == h.id_names(truth), args
            assert body["total_count"] == len(truth), args
        _, items = await ok_list(c, "get_all_tasks", {"status_filter": "done"})
        assert {t["status"] for t in items} == {"done"}
        _, items = await ok_list(c, "get_all_tasks", {"extra": "archive"})
        assert h.ids(items) == h.ids(api.data("get_all_tasks", extra="archive"))


async def test_get_tasks(mcp, api, world):
    pid = world.showcase["project"]["id"]
    top = api.data("get_tasks", id_project=pid)
    async with mcp() as c:
        for status, truth in (
            ("all", top),
            ("done", [t for t in top if t["status"] == "done"]),
            ("active", api.data("get_tasks", id_project=pid, filter="active")),
        ):
            body, items = await ok_list(c, "get_tasks", {"project_id": pid, "status_filter": status})
            assert h.id_names(items) == h.id_names(truth), status
            assert body["total_count"] == len(truth), status
        _, items = await ok_list(c, "get_tasks", {"project_id": pid, "extra": "subtasks"})
    nested = api.data("get_tasks", id_project=pid, extra="subtasks")
    assert h.tree_ids(items) == h.tree_ids(nested)
    assert any(t.get("child") for t in items)


async def test_get_task(mcp, api, world):
    tid = world.showcase["id"]
    extra = "text,files,comments,relations,subtasks,subscribers"
    async with mcp() as c:
        body = await ok(c, "get_task", {"task_id": tid, "extra": extra})
    want = api.data("get_task", id_task=tid, extra=extra)
    for k in ("id", "name", "status", "text", "date_start", "date_end", "date_added"):
        assert body.get(k) == want.get(k), k
    # The compact shape: the page from the ids, people as {id, name} with
    # their emails once, the project as project_id with its name once.
    assert h.page_of(body) == want["page"]
    assert int(body["priority"]) == int(want["priority"])
    assert body["user_to"] == {"id": want["user_to"]["id"], "name": want["user_to"]["name"]}
    assert body["emails"][want["user_to"]["id"]] == want["user_to"]["email"]
    assert body["project_id"] == want["project"]["id"]
    assert body["projects"][body["project_id"]] == want["project"]["name"]
    assert h.ids(body["files"]) == h.ids(want["files"])
    assert h.ids(body["comments"]) == h.ids(want["comments"])
    assert h.ids(body["subscribers"]) == h.ids(want["subscribers"])
    assert h.tree_ids(body["child"]) == h.tree_ids(want["child"])
    assert body["tags"] == want["tags"]
    async with mcp() as c:
        body = await ok(c, "get_task", {"task_id": tid, "extra": "html"})
    assert body["text"] == api.data("get_task", id_task=tid, extra="html")["text"]
    assert body["text"].startswith("<p>")


async def test_search_tasks(mcp, api, world):
    everything = world.tasks  # every project, archived too, subtasks included

    def named(*words):
        return {t["id"] for t in everything if all(w.lower() in t["name"].lower() for w in words)}

    showcase = world.showcase
    pid = showcase["project"]["id"]
    person = showcase["user_to"]["email"]
    author = showcase["user_from"]["email"]
    today = world.today
    cases = [
        ({"query": "CHECKOUT payment"}, named("checkout", "payment")),
        ({"query": "checkout"}, named("checkout")),
        ({"query": "Fix checkout payment error"}, named("fix", "checkout", "payment", "error")),
        (
            {"project_id": pid, "status": "done"},
            {t["id"] for t in project_tasks(world, pid) if t["status"] == "done"},
        ),
        (
            {"assignee_email": person, "status": "active"},
            {t["id"] for t in everything if t["user_to"]["email"] == person and t["status"] == "active"},
        ),
        ({"author_email": author}, {t["id"] for t in everything if t["user_from"]["email"] == author}),
        (
            {"task_id": showcase["id"]},
            {showcase["id"]} | {t["id"] for t in world.task_by_id[showcase["id"]].get("child", [])},
        ),
        (
            {"project_id": pid, "filter_query": f"dateend < '{h.ddmmyyyy(today)}'"},
            {t["id"] for t in project_tasks(world, pid) if h.due(t) and h.due(t) < today},
        ),
        (
            {"project_id": pid, "query": "checkout", "filter_query": f"dateend < '{h.ddmmyyyy(today)}'"},
            {
                t["id"]
                for t in project_tasks(world, pid)
                if h.due(t) and h.due(t) < today and "checkout" in t["name"].lower()
            },
        ),
    ]
    async with mcp() as c:
        for args, truth in cases:
            assert truth, args
            body, items = await ok_list(c, "search_tasks", args)
            assert set(h.ids(items)) == truth, (args, sorted(set(h.ids(items)) ^ truth))
            assert body["total_count"] == len(truth), args
            for t in items:
                assert t["name"] == world.task_by_id[t["id"]]["name"]
        body, items = await ok_list(c, "search_tasks", {"query": "checkout", "max_results": 2})
    assert len(items) == 2 and body["total_count"] == len(named("checkout")) > 2
    assert body["truncation_reason"] == "max_results"
    assert set(h.ids(items)) <= named("checkout")


async def test_get_task_subtasks(mcp, api, world):
    tid = world.showcase["id"]
    async with mcp() as c:
        body, items = await ok_list(c, "get_task_subtasks", {"task_id": tid})
    want = api.data("get_task", id_task=tid, extra="subtasks").get("child", [])
    assert want
    assert h.tree_ids(items) == h.tree_ids(want)
    assert [t["name"] for t in items] == [t["name"] for t in want]
    assert body["total_count"] == len(want)


async def test_get_task_relations(mcp, api, world):
    task = next(t for t in world.tasks if t.get("relations", {}).get("from") and t.get("relations", {}).get("to"))
    async with mcp() as c:
        body = await ok(c, "get_task_relations", {"task_id": task["id"]})
    want = api.data("get_task", id_task=task["id"], extra="relations")["relations"]
    got = body["relations"]
    assert [r["task"]["id"] for r in got["from"]] == [r["task"]["id"] for r in want["from"]]
    assert [r["task"]["id"] for r in got["to"]] == [r["task"]["id"] for r in want["to"]]
    assert [r["type"] for r in got["from"]] == [r["type"] for r in want["from"]]
    assert body["depends_on_count"] == len(want["from"])
    assert body["blocks_count"] == len(want["to"])
    assert body["task"]["id"] == task["id"]


async def test_get_task_subscribers(mcp, api, world):
    task = max(world.tasks, key=lambda t: len(t.get("subscribers", [])))
    async with mcp() as c:
        body, items = await ok_list(c, "get_task_subscribers", {"task_id": task["id"]})
    want = api.data("get_task", id_task=task["id"], extra="subscribers")["subscribers"]
    assert len(want) >= 2
    assert h.id_names(items) == h.id_names(want)


# --------------------------------------------------------------- comments


async def test_get_comments(mcp, api, world):
    tid = world.showcase["id"]
    want = api.data("get_comments", id_task=tid, extra="files")
    assert len(want) >= 3
    async with mcp() as c:
        body, items = await ok_list(c, "get_comments", {"task_id": tid, "include_files": True})
        assert sorted(h.ids(items)) == sorted(h.ids(want))
        files = {c_["id"]: h.ids(c_.get("files", [])) for c_ in items}
        assert files == {c_["id"]: h.ids(c_.get("files", [])) for c_ in want}
        assert {c_["id"]: c_["text"] for c_ in items} == {c_["id"]: c_["text"] for c_ in want}
        _, plain = await ok_list(c, "get_comments", {"task_id": tid})
        assert sorted(h.ids(plain)) == sorted(h.ids(want))
        assert not any("files" in c_ for c_ in plain)
        body, two = await ok_list(c, "get_comments", {"task_id": tid, "max_results": 2})
    assert len(two) == 2 and body["total_count"] == len(want)
    assert body["truncation_reason"] == "max_results"


async def test_get_comments_oldest_first(mcp, world):
    """The tool's description promises comments "oldest first"."""
    tid = world.showcase["id"]
    async with mcp() as c:
        _, items = await ok_list(c, "get_comments", {"task_id": tid})
    dates = [c_["date_added"] for c_ in items]
    assert dates == sorted(dates), f"get_comments order is not oldest first: {dates}"


def expected_attachments(api, task_id: str) -> tuple[list[tuple], dict]:
    """(id, source, comment id) of every file of a task and its comments, and
    each file's bytes."""
    task = api.data("get_task", id_task=task_id, extra="files")
    comments = api.data("get_comments", id_task=task_id, extra="files")
    out = [(f["id"], "task", None) for f in task.get("files", [])]
    for cm in comments:
        out += [(f["id"], "comment", cm["id"]) for f in cm.get("files", [])]
    return out, {fid: api.download(fid) for fid, _, _ in out}


async def test_get_task_discussion(mcp, api, world):
    tid = world.showcase["id"]
    attachments, blobs = expected_attachments(api, tid)
    task = api.data("get_task", id_task=tid, extra="text,files")
    comments = api.data("get_comments", id_task=tid, extra="files")
    images = {fid for fid, b in blobs.items() if h.sniff_mime(b, "").startswith("image/")}
    assert len(images) >= 2 and len(attachments) > len(images)
    async with mcp() as c:
        body = await ok(c, "get_task_discussion", {"task_id": tid})
    got_comments = h.check_list(body, "comments", "get_task_discussion")
    assert body["task"]["id"] == tid and body["task"]["name"] == task["name"]
    assert body["task"]["text"] == task["text"]
    assert sorted(h.ids(got_comments)) == sorted(h.ids(comments))
    got = sorted((a["id"], a["source"], a.get("comment_id")) for a in body["attachments"])
    assert got == sorted(attachments, key=lambda x: (x[0], x[1], x[2] or ""))
    for a in body["attachments"]:
        assert a["resource_uri"] == f"worksection://file/{a['id']}"
        assert a["is_image"] == (a["id"] in images), a
    assert set(body["images"]) == images
    summary = body["summary"]
    assert summary["comments"] == len(comments)
    assert summary["attachments"] == len(attachments)
    assert summary["images"] == len(images)
    assert set(summary["participants"]) == {task["user_from"]["name"]} | {cm["user_from"]["name"] for cm in comments}


# --------------------------------------------------------------- files


async def test_get_task_files(mcp, api, world):
    tid = world.showcase["id"]
    want = api.data("get_task", id_task=tid, extra="files")["files"]
    async with mcp() as c:
        _, items = await ok_list(c, "get_task_files", {"task_id": tid})
    assert h.id_names(items) == h.id_names(want)
    assert all(f["resource_uri"] == f"worksection://file/{f['id']}" for f in items)


async def test_get_all_task_attachments(mcp, api, world):
    tid = world.showcase["id"]
    attachments, _ = expected_attachments(api, tid)
    async with mcp() as c:
        body, items = await ok_list(c, "get_all_task_attachments", {"task_id": tid})
    assert sorted((f["id"], f["source"], f.get("comment_id")) for f in items) == sorted(
        attachments, key=lambda x: (x[0], x[1], x[2] or "")
    )
    assert sorted(h.ids(items)) == sorted(h.ids(api.data("get_files", id_task=tid)))
    assert body["total_count"] == len(attachments)


async def test_get_project_files(mcp, api, world):
    projects = [p["id"] for p in world.projects if api.data("get_files", id_project=p["id"])]
    assert projects
    async with mcp() as c:
        for pid in projects:
            _, items = await ok_list(c, "get_project_files", {"project_id": pid})
            assert h.id_names(items) == h.id_names(api.data("get_files", id_project=pid)), pid
        tid = world.showcase["id"]
        _, items = await ok_list(c, "get_project_files", {"task_id": tid})
        assert h.id_names(items) == h.id_names(api.data("get_files", id_task=tid))


async def test_list_image_attachments(mcp, api, world):
    tid = world.showcase["id"]
    _, blobs = expected_attachments(api, tid)
    images = {fid for fid, b in blobs.items() if h.sniff_mime(b, "").startswith("image/")}
    async with mcp() as c:
        body, items = await ok_list(c, "list_image_attachments", {"task_id": tid})
        assert set(h.ids(items)) == images and len(items) == len(images)
        assert all(f["resource_uri"] == f"worksection://file/{f['id']}" for f in items)
        for p in world.projects:
            files = api.data("get_files", id_project=p["id"])
            want = [f["id"] for f in files if h.sniff_mime(api.download(f["id"]), f["name"]).startswith("image/")]
            _, items = await ok_list(c, "list_image_attachments", {"project_id": p["id"]})
            assert h.ids(items) == want, p["id"]


async def test_download_file(mcp, api, world):
    assert len(world.files) >= 10
    async with mcp() as c:
        for f in world.files:
            data = api.download(f["id"])
            body = await ok(c, "download_file", {"file_id": f["id"]})
            assert body["id"] == f["id"]
            assert body["name"] == f["name"]
            assert body["size"] == len(data) == int(f["size"]), f["name"]
            assert body["mime_type"] == h.sniff_mime(data, f["name"]), f["name"]
            assert body["resource_uri"] == f"worksection://file/{f['id']}"


def image_block(result):
    blocks = [b for b in result.content if getattr(b, "type", None) == "image"]
    assert len(blocks) == 1, [getattr(b, "type", None) for b in result.content]
    return blocks[0]


@pytest.mark.parametrize(
    "name, mime, magic",
    [
        ("Checkout error.png", "image/png", b"\x89PNG\r\n\x1a\n"),
        ("Checkout error - Android.jpg", "image/jpeg", b"\xff\xd8\xff"),
        ("Dashboard mockup v2.png", "image/png", b"\x89PNG\r\n\x1a\n"),
    ],
)
async def test_images_come_back_as_image_blocks(mcp, api, world, name, mime, magic):
    f = world.file(name)
    data = api.download(f["id"])
    assert data.startswith(magic)
    async with mcp() as c:
        for tool in ("get_file_as_base64", "get_file_content"):
            result = await call(c, tool, {"file_id": f["id"]})
            body = h.payload(result, tool)
            block = image_block(result)
            assert block.mime_type == mime, tool
            raw = base64.b64decode(block.data, validate=True)
            assert raw.startswith(magic), tool
            h.check_image(raw, mime)
            assert raw == data, tool
            assert body["mime_type"] == mime and body["size"] == len(data), tool


async def test_get_file_as_base64_of_a_document(mcp, api, world):
    async with mcp() as c:
        for name in ("Brand guidelines v3.pdf", "Launch budget.xlsx", "Résumé notes.txt"):
            f = world.file(name)
            data = api.download(f["id"])
            result = await call(c, "get_file_as_base64", {"file_id": f["id"]})
            assert not [b for b in result.content if getattr(b, "type", None) == "image"], name
            # A file's base64 over the answer budget is offloaded: read it back.
            body = await ok(c, "get_file_as_base64", {"file_id": f["id"]})
            assert base64.b64decode(body["base64"], validate=True) == data, name
            assert body["size"] == len(data) and body["name"] == f["name"]
            assert body["mime_type"] == h.sniff_mime(data, f["name"]), name


DOCUMENTS = [
    "Brand guidelines v3.pdf",
    "Owl brand launch brief.docx",
    "Checkout requirements.docx",
    "Launch budget.xlsx",
    "Campaign pitch.pptx",
    "Résumé notes.txt",
    "Meeting notes 2026-11-17.md",
    "team-capacity.csv",
    "api-response.json",
    "../../etc/passwd.txt",
    "report:final?.txt",
]


@pytest.mark.parametrize("name", DOCUMENTS)
async def test_get_file_content_of_documents(mcp, api, world, name):
    f = world.file(name)
    data = api.download(f["id"])
    phrases = h.document_phrases(data, name)
    assert phrases and all(p.strip() for p in phrases)
    async with mcp() as c:
        # A long document's text over the answer budget is offloaded: read it back.
        body = await ok(c, "get_file_content", {"file_id": f["id"]})
    assert body["name"] == f["name"] and body["id"] == f["id"]
    assert body["mime_type"] == h.sniff_mime(data, name)
    assert body["truncated"] is False
    text = body["text"]
    if body["mime_type"].startswith("text/") or body["mime_type"] == "application/json":
        assert text == data.decode("utf-8")
    flat = h.norm_ws(text)
    missing = [p for p in phrases if h.norm_ws(p) not in flat]
    assert not missing, f"{name}: text lacks {missing[:5]}; got {text[:500]!r}"


# --------------------------------------------------------------- time and money


async def test_get_costs_for_one_person(mcp, api, world):
    pid = world.showcase["project"]["id"]
    lines = api.call("get_costs", id_project=pid)["data"]
    people = collections.Counter(c["user_from"]["id"] for c in lines)
    assert len(people) >= 2
    async with mcp() as c:
        for user, _ in people.most_common(3):
            body, items = await ok_list(c, "get_costs", {"project_id": pid, "user_id": user})
            truth = [x for x in lines if x["user_from"]["id"] == user]
            assert h.ids(items) == h.ids(truth), user
            assert {x["user_from"]["id"] for x in items} == {user}
            assert body["total_count"] == len(truth)
            check_totals(body["totals"], truth, f"get_costs user {user}")
            mins, money = sum_costs(items)
            assert (mins, money) == sum_costs(truth)


async def test_get_costs_filters_and_upstream_total(mcp, api, world):
    today = world.today
    start = today - dt.timedelta(days=20)
    async with mcp() as c:
        body, items = await ok_list(c, "get_costs")
        whole = api.call("get_costs")
        assert h.ids(items) == h.ids(whole["data"])
        assert body["upstream_total"]["time"] == whole["total"]["time"]
        assert h.cents(body["upstream_total"]["money"]) == h.cents(whole["total"]["money"])
        check_totals(body["totals"], whole["data"], "get_costs all")
        assert body["totals"]["minutes"] == h.minutes(whole["total"]["time"])

        args = {"date_start": start.isoformat(), "date_end": h.ddmmyyyy(today), "is_timer": True}
        body, items = await ok_list(c, "get_costs", args)
        want = api.call("get_costs", datestart=h.ddmmyyyy(start), dateend=h.ddmmyyyy(today), is_timer=1)
        assert want["data"]
        assert h.ids(items) == h.ids(want["data"])
        assert all(x["is_timer"] is True for x in items)
        assert all(start.isoformat() <= x["date"] <= today.isoformat() for x in items)
        check_totals(body["totals"], want["data"], "get_costs range+timer")

        body, items = await ok_list(c, "get_costs", {"project_id": world.showcase["project"]["id"], "is_timer": False})
        want = api.call("get_costs", id_project=world.showcase["project"]["id"], is_timer=0)
        assert want["data"] and h.ids(items) == h.ids(want["data"])
        assert all(x["is_timer"] is False for x in items)

        tid = world.showcase["id"]
        body, items = await ok_list(c, "get_costs", {"task_id": tid})
        want = api.call("get_costs", id_task=tid)
        assert h.ids(items) == h.ids(want["data"])
        check_totals(body["totals"], want["data"], "get_costs task")


async def test_get_costs_total(mcp, api, world):
    pid = world.showcase["project"]["id"]
    today = world.today
    start = today - dt.timedelta(days=30)
    cases = [
        ({}, {}),
        ({"project_id": pid}, {"id_project": pid}),
        (
            {"project_id": pid, "date_start": start.isoformat(), "date_end": today.isoformat()},
            {"id_project": pid, "datestart": h.ddmmyyyy(start), "dateend": h.ddmmyyyy(today)},
        ),
        (
            {"date_start": h.ddmmyyyy(start), "date_end": h.ddmmyyyy(today)},
            {"datestart": h.ddmmyyyy(start), "dateend": h.ddmmyyyy(today)},
        ),
    ]
    async with mcp() as c:
        for args, params in cases:
            body = await ok(c, "get_costs_total", args)
            total = api.call("get_costs_total", **params)["total"]
            assert body["time"] == total["time"], args
            assert body["minutes"] == h.minutes(total["time"]), args
            assert h.cents(body["money"]) == h.cents(total["money"]), args


async def test_cost_filters_and_totals_per_project_and_month(mcp, api, world):
    """`filter_query` on get_costs and get_costs_total, and get_costs_total's
    `by` (Worksection's `extra=projects,tasks`): each project's, month's and
    task's figures are the sums of the simulator's own cost lines."""
    lines = api.call("get_costs")["data"]
    words = collections.Counter(w for c in lines for w in set(c["comment"].lower().split()) if len(w) >= 5 and w.isalpha())
    # A word in some comments, not all.
    word = next(w for w, n in words.most_common() if n < len(lines))
    fq = f"comment has '{word}'"
    want = api.call("get_costs", filter=fq)
    assert 0 < len(want["data"]) < len(lines)
    async with mcp() as c:
        body, items = await ok_list(c, "get_costs", {"filter_query": fq})
        assert h.ids(items) == h.ids(want["data"])
        check_totals(body["totals"], want["data"], "get_costs filter_query")

        total = await ok(c, "get_costs_total", {"filter_query": fq})
        assert total["minutes"] == sum_costs(want["data"])[0]
        assert "projects" not in total

        for by in ("projects", "tasks"):
            body = await ok(c, "get_costs_total", {"by": by})
            assert body["minutes"] == sum_costs(lines)[0], by
            truth: dict = collections.defaultdict(list)
            for x in lines:
                truth[x["task"]["project"]["id"]].append(x)
            assert {p["id"] for p in body["projects"]} == set(truth), by
            for p in body["projects"]:
                mine = truth[p["id"]]
                mins, money = sum_costs(mine)
                assert (h.minutes(p["time"]), h.cents(p["money"])) == (mins, money), (by, p["id"])
                months = collections.defaultdict(list)
                for x in mine:
                    months[x["date"][:7]].append(x)
                assert set(p["monthly"]) == set(months), (by, p["id"])
                for m, xs in months.items():
                    assert h.minutes(p["monthly"][m]["time"]) == sum_costs(xs)[0], (by, p["id"], m)
                if by == "tasks":
                    per_task = collections.Counter()
                    for x in mine:
                        per_task[x["task"]["id"]] += h.minutes(x["time"])
                    assert {t["id"]: h.minutes(t["time"]) for t in p["tasks"]} == dict(per_task)
                else:
                    assert not p.get("tasks"), p["id"]

        # A filter and a breakdown together: only the filtered lines' projects.
        body = await ok(c, "get_costs_total", {"filter_query": fq, "by": "projects"})
        assert {p["id"] for p in body["projects"]} == {x["task"]["project"]["id"] for x in want["data"]}


async def test_get_user_workload(mcp, api, world):
    today = world.today
    start = today - dt.timedelta(days=30)
    lines = api.call("get_costs", datestart=h.ddmmyyyy(start), dateend=h.ddmmyyyy(today))["data"]
    user = collections.Counter(c["user_from"]["id"] for c in lines).most_common(1)[0][0]
    truth = [c for c in lines if c["user_from"]["id"] == user]
    async with mcp() as c:
        body, items = await ok_list(
            c, "get_user_workload", {"user_id": user, "date_start": start.isoformat(), "date_end": today.isoformat()}
        )
    assert h.ids(items) == h.ids(truth)
    check_totals(body["totals"], truth, "get_user_workload")
    by_project = collections.defaultdict(list)
    by_day = collections.defaultdict(list)
    for x in truth:
        by_project[x["task"]["project"]["id"]].append(x)
        by_day[x["date"]].append(x)
    assert {p["project_id"] for p in body["by_project"]} == set(by_project)
    for p in body["by_project"]:
        check_totals(p["totals"], by_project[p["project_id"]], f"by_project {p['project_id']}")
    assert {d["date"] for d in body["by_day"]} == set(by_day)
    for d in body["by_day"]:
        check_totals(d["totals"], by_day[d["date"]], f"by_day {d['date']}")


async def test_get_project_time_report(mcp, api, world):
    pid = world.showcase["project"]["id"]
    lines = api.call("get_costs", id_project=pid)["data"]
    async with mcp() as c:
        body = await ok(c, "get_project_time_report", {"project_id": pid})
        check_totals(body["totals"], lines, "report totals")
        people = collections.defaultdict(list)
        tasks = collections.defaultdict(list)
        for x in lines:
            people[x["user_from"]["id"]].append(x)
            tasks[x["task"]["id"]].append(x)
        assert {p["user_id"] for p in body["by_person"]} == set(people)
        for p in body["by_person"]:
            check_totals(p["totals"], people[p["user_id"]], f"person {p['user_id']}")
        assert {t["task_id"] for t in body["by_task"]} == set(tasks)
        for t in body["by_task"]:
            check_totals(t["totals"], tasks[t["task_id"]], f"task {t['task_id']}")
        mins = [p["totals"]["minutes"] for p in body["by_person"]]
        assert mins == sorted(mins, reverse=True)

        user = body["by_person"][-1]["user_id"]
        body = await ok(c, "get_project_time_report", {"project_id": pid, "user_id": user})
        check_totals(body["totals"], people[user], "report for one person")
        assert [p["user_id"] for p in body["by_person"]] == [user]


async def test_get_timers(mcp, api):
    truth = api.data("get_timers")
    assert truth
    async with mcp() as c:
        _, items = await ok_list(c, "get_timers")
    assert h.ids(items) == h.ids(truth)
    assert [t["user_from"]["id"] for t in items] == [t["user_from"]["id"] for t in truth]
    assert [t["task"]["id"] for t in items] == [t["task"]["id"] for t in truth]
    assert [t["date_started"] for t in items] == [t["date_started"] for t in truth]


async def test_get_my_timer_needs_a_signed_in_user(mcp, api):
    """With the admin API key Worksection refuses get_my_timer; the tool says
    so as a tool error (documented in its description)."""
    with pytest.raises(Exception):
        api.call("get_my_timer")
    async with mcp() as c:
        result = await call(c, "get_my_timer")
    assert result.is_error
    assert "OAuth2" in h.error_text(result) or "signed-in" in h.error_text(result)


# --------------------------------------------------------------- people


async def test_get_users(mcp, api):
    truth = api.data("get_users")
    async with mcp() as c:
        for args in ({}, {"status_filter": "active"}, {"status_filter": "all"}):
            body, items = await ok_list(c, "get_users", args)
            assert h.id_names(items) == h.id_names(truth), args
            assert [u["email"] for u in items] == [u["email"] for u in truth]


async def test_get_user(mcp, api, world):
    async with mcp() as c:
        for u in world.users[:4]:
            body = await ok(c, "get_user", {"user_id": u["id"]})
            for k in ("id", "name", "email", "role", "title", "department", "first_name", "last_name"):
                assert body[k] == u[k], (u["id"], k)
        missing = str(max(int(u["id"]) for u in world.users) + 100000)
        result = await call(c, "get_user", {"user_id": missing})
    assert result.is_error and missing in h.error_text(result)


async def test_get_current_user(mcp, world):
    """With the admin API key the signed-in user is the account owner (the
    tool's own description), the member whose role is Owner."""
    async with mcp() as c:
        body = await ok(c, "get_current_user")
    owner = world.owner
    assert (body["id"], body["name"], body["email"]) == (owner["id"], owner["name"], owner["email"])


async def test_get_user_groups_contacts_and_folders(mcp, api):
    async with mcp() as c:
        _, items = await ok_list(c, "get_user_groups")
        truth = api.data("get_user_groups")
        assert truth and h.id_names(items, "title") == h.id_names(truth, "title")
        _, items = await ok_list(c, "get_contacts")
        truth = api.data("get_contacts")
        assert truth and h.id_names(items) == h.id_names(truth)
        assert [x.get("email") for x in items] == [x.get("email") for x in truth]
        _, items = await ok_list(c, "get_contact_groups")
        truth = api.data("get_contact_groups")
        assert truth and h.id_names(items, "title") == h.id_names(truth, "title")


async def test_get_user_assignments(mcp, world):
    """Open tasks and subtasks (at any depth) whose assignee is the member."""
    today = world.today
    open_tasks = world.open_tasks()
    answers = {}
    async with mcp() as c:
        for u in world.users:
            answers[u["id"]] = await ok_list(c, "get_user_assignments", {"user_id": u["id"]})
    wrong = []
    for u in world.users:
        want = {t["id"] for t in open_tasks if h.assignee_id(t) == u["id"]}
        got = set(h.ids(answers[u["id"]][1]))
        if got != want:
            wrong.append(f"user {u['id']} ({u['name']}): missing {sorted(want - got)}, unexpected {sorted(got - want)}")
    assert not wrong, "\n".join(wrong)
    for u in world.users:
        truth = [t for t in open_tasks if h.assignee_id(t) == u["id"]]
        body, items = answers[u["id"]]
        assert body["total_count"] == len(truth)
        assert body["overdue_count"] == sum(h.is_overdue(t, today) for t in truth)
        for t in items:
            src = world.task_by_id[t["id"]]
            assert ("days_overdue" in t) == h.is_overdue(src, today), t["id"]
            if "days_overdue" in t:
                assert t["days_overdue"] == (today - h.due(src)).days, t["id"]
        dues = [h.due(world.task_by_id[t["id"]]) for t in items]
        dated = [d for d in dues if d is not None]
        assert dated == sorted(dated) and dues[: len(dated)] == dated, "soonest due first, undated last"


# --------------------------------------------------------------- tags


TAG_FILTERS = [
    ({}, {}),
    ({"tag_type": "status"}, {"type": "status"}),
    ({"tag_type": "label"}, {"type": "label"}),
    ({"access": "private"}, {"access": "private"}),
    ({"access": "public", "tag_type": "label"}, {"type": "label", "access": "public"}),
]


def tag_pairs(items) -> list[tuple[str, str]]:
    return [(str(t["id"]), t["title"]) for t in items]


@pytest.mark.parametrize("kind", ["task", "project"])
async def test_tags_and_tag_groups(mcp, api, kind):
    tags_tool, groups_tool = f"get_{kind}_tags", f"get_{kind}_tag_groups"
    async with mcp() as c:
        for args, params in TAG_FILTERS:
            _, items = await ok_list(c, tags_tool, args)
            truth = api.data(tags_tool, **params)
            assert tag_pairs(items) == tag_pairs(truth), args
            assert [str(t["group"]["id"]) for t in items] == [str(t["group"]["id"]) for t in truth]
            _, items = await ok_list(c, groups_tool, args)
            truth = api.data(groups_tool, **params)
            assert truth and tag_pairs(items) == tag_pairs(truth), args
            assert [g["type"] for g in items] == [g["type"] for g in truth]
        group = api.data(groups_tool, type="label")[0]
        for by in (group["title"], str(group["id"])):
            _, items = await ok_list(c, tags_tool, {"group": by})
            truth = api.data(tags_tool, group=by)
            assert truth and tag_pairs(items) == tag_pairs(truth), by
            assert {str(t["group"]["id"]) for t in items} == {str(group["id"])}


async def test_get_task_with_tags(mcp, api, world):
    task = max(world.tasks, key=lambda t: len(t.get("tags") or {}))
    want = api.data("get_task", id_task=task["id"])["tags"]
    assert len(want) >= 2
    async with mcp() as c:
        body = await ok(c, "get_task_with_tags", {"task_id": task["id"]})
    assert body["task"]["id"] == task["id"] and body["task"]["name"] == task["name"]
    assert sorted((str(t["id"]), t["name"]) for t in body["tags"]) == sorted(want.items())


async def test_search_tasks_by_tag(mcp, api, world):
    counts = collections.Counter(
        (t["project"]["id"], title) for t in world.tasks for title in (t.get("tags") or {}).values()
    )
    (pid, title), _ = max(
        ((k, n) for k, n in counts.items() if k[1] not in ("In progress", "Done", "To-do")), key=lambda kv: kv[1]
    )
    tag_id = next(i for t in world.tasks for i, n in (t.get("tags") or {}).items() if n == title)
    truth = {
        t["id"] for t in project_tasks(world, pid) if title.lower() in [n.lower() for n in (t.get("tags") or {}).values()]
    }
    top_level = {t["id"] for t in world.project_tasks[pid]}
    assert len(truth) >= 2 and truth - top_level, "the tag is on subtasks too"
    async with mcp() as c:
        for tag in (title.upper(), title, tag_id):
            body, items = await ok_list(c, "search_tasks_by_tag", {"tag": tag, "project_id": pid})
            assert set(h.ids(items)) == truth, tag
            assert body["total_count"] == len(truth)
        _, items = await ok_list(c, "search_tasks_by_tag", {"tag": "no such tag at all", "project_id": pid})
        assert items == []


# --------------------------------------------------------------- analytics


def projects_with_subtasks(world) -> list[str]:
    return [p["id"] for p in world.projects if any(t.get("child") for t in world.project_tasks[p["id"]])]


async def test_get_project_stats(mcp, api, world):
    today = world.today
    pids = [world.showcase["project"]["id"]] + [p for p in projects_with_subtasks(world) if p != world.showcase["project"]["id"]][:2]
    async with mcp() as c:
        for pid in pids:
            tasks = project_tasks(world, pid)
            assert len(tasks) > len(world.project_tasks[pid]), "the project has subtasks"
            body = await ok(c, "get_project_stats", {"project_id": pid})
            done = sum(t["status"] == "done" for t in tasks)
            assert body["tasks"] == {"total": len(tasks), "open": len(tasks) - done, "done": done}, pid
            assert body["by_status"] == dict(collections.Counter(t["status"] for t in tasks)), pid
            assert {int(k): v for k, v in body["by_priority"].items()} == dict(
                collections.Counter(int(t["priority"]) for t in tasks)
            ), pid
            assert body["overdue"] == sum(h.is_overdue(t, today) for t in tasks), pid
            assert body["completion_rate"] == pytest.approx(round(done / len(tasks) * 100, 1), abs=0.05), pid
            total = api.call("get_costs_total", id_project=pid)["total"]
            assert h.minutes(body["time"]["logged"]) == h.minutes(total["time"]), pid
            assert h.cents(body["money"]["logged"]) == h.cents(total["money"]), pid


def check_overdue_list(items, truth, today, world, what):
    got = h.ids(items)
    want = {t["id"] for t in truth}
    assert set(got) == want and len(got) == len(want), (
        f"{what}: missing {sorted(want - set(got))}, unexpected {sorted(set(got) - want)}"
    )
    dues = [h.due(world.task_by_id[i]) for i in got]
    assert dues == sorted(dues), f"{what}: not most overdue first"
    for t in items:
        assert t["days_overdue"] == (today - h.due(world.task_by_id[t["id"]])).days, t["id"]


async def test_get_overdue_tasks_of_a_project(mcp, world):
    today = world.today
    async with mcp() as c:
        for pid in projects_with_subtasks(world):
            truth = [t for t in project_tasks(world, pid) if h.is_overdue(t, today)]
            body, items = await ok_list(c, "get_overdue_tasks", {"project_id": pid, "max_results": 10000})
            check_overdue_list(items, truth, today, world, f"project {pid}")
            assert body["total_count"] == len(truth)


async def test_get_overdue_tasks_of_the_account(mcp, world):
    today = world.today
    truth = [t for t in world.open_tasks() if h.is_overdue(t, today)]
    assert len(truth) > 5
    async with mcp() as c:
        body, items = await ok_list(c, "get_overdue_tasks", {"max_results": 10000})
        check_overdue_list(items, truth, today, world, "account")
        assert body["total_count"] == len(truth)
        body, three = await ok_list(c, "get_overdue_tasks", {"max_results": 3})
    assert len(three) == 3 and body["truncation_reason"] == "max_results"
    assert body["total_count"] == len(truth)
    oldest = sorted(h.due(t) for t in truth)[:3]
    assert [h.due(world.task_by_id[t["id"]]) for t in three] == oldest


async def test_get_tasks_by_status(mcp, world):
    async with mcp() as c:
        for pid in projects_with_subtasks(world)[:3]:
            tasks = project_tasks(world, pid)
            for status in ("active", "done"):
                truth = {t["id"] for t in tasks if t["status"] == status}
                body, items = await ok_list(c, "get_tasks_by_status", {"project_id": pid, "status": status, "max_results": 10000})
                assert set(h.ids(items)) == truth and len(items) == len(truth), (pid, status)
                assert {t["status"] for t in items} <= {status}


async def test_get_tasks_by_priority(mcp, world):
    pid = world.showcase["project"]["id"]
    tasks = project_tasks(world, pid)
    counts = collections.Counter(int(t["priority"]) for t in tasks)
    async with mcp() as c:
        for priority in sorted(counts)[:3] + [p for p in range(11) if p not in counts][:1]:
            truth = {t["id"] for t in tasks if int(t["priority"]) == priority}
            body, items = await ok_list(c, "get_tasks_by_priority", {"project_id": pid, "priority": priority, "max_results": 10000})
            assert set(h.ids(items)) == truth and len(items) == len(truth), priority
            assert body["total_count"] == len(truth)


def workload_truth(world, tasks, costs):
    today = world.today
    rows = collections.defaultdict(lambda: {"open": 0, "overdue": 0, "minutes": 0, "cents": 0})
    for t in tasks:
        who = h.assignee_id(t)
        if who is None or not h.is_open(t):
            continue
        rows[who]["open"] += 1
        rows[who]["overdue"] += h.is_overdue(t, today)
    for x in costs:
        rows[x["user_from"]["id"]]["minutes"] += h.minutes(x["time"])
        rows[x["user_from"]["id"]]["cents"] += h.cents(x["money"])
    return rows


def check_workload(body, items, truth, what):
    got = {
        r["user_id"]: {
            "open": r["open_tasks"],
            "overdue": r["overdue_tasks"],
            "minutes": r["logged_minutes"],
            "cents": h.cents(r["logged_money"]),
        }
        for r in items
    }
    assert len(got) == len(items), f"{what}: a person is listed twice"
    diff = {u: (got.get(u), truth.get(u)) for u in set(got) | set(truth) if got.get(u) != truth.get(u)}
    assert not diff, f"{what}: per person (server, expected): {h.dump(diff, 2000)}"
    for r in items:
        assert h.minutes(r["logged_time"]) == r["logged_minutes"]


async def test_get_team_workload_summary_of_the_account(mcp, api, world):
    today = world.today
    start = today - dt.timedelta(days=6)
    costs = api.call("get_costs", datestart=h.ddmmyyyy(start), dateend=h.ddmmyyyy(today))["data"]
    truth = workload_truth(world, world.open_tasks(), costs)
    async with mcp() as c:
        body, items = await ok_list(c, "get_team_workload_summary")
    assert body["date_start"] == start.isoformat() and body["date_end"] == today.isoformat()
    check_workload(body, items, truth, "whole account, last 7 days")


async def test_get_team_workload_summary_of_a_project(mcp, api, world):
    today = world.today
    pid = world.showcase["project"]["id"]
    start = today - dt.timedelta(days=30)
    costs = api.call("get_costs", id_project=pid, datestart=h.ddmmyyyy(start), dateend=h.ddmmyyyy(today))["data"]
    truth = workload_truth(world, project_tasks(world, pid), costs)
    async with mcp() as c:
        body, items = await ok_list(
            c, "get_team_workload_summary", {"project_id": pid, "date_start": start.isoformat(), "date_end": today.isoformat()}
        )
    check_workload(body, items, truth, f"project {pid}, last 31 days")


# --------------------------------------------------------------- activity


def event_key(e) -> tuple:
    return (e["action"], e["object"]["type"], str(e["object"]["id"]), e["date_added"], str(e["user_from"]["id"]))


async def sandwich(api_fetch, tool_call):
    """Upstream data before and after a tool call: the simulated clock moves,
    so an answer must match one of the two."""
    before = api_fetch()
    body = await tool_call()
    after = api_fetch()
    return body, (before, after)


async def test_get_activity_log(mcp, api, world):
    pid = world.showcase["project"]["id"]
    async with mcp() as c:
        for period in ("7d", "30d", "12h"):
            body, truths = await sandwich(
                lambda: api.data("get_events", period=period), lambda: ok(c, "get_activity_log", {"period": period})
            )
            items = h.check_list(body, "data", "get_activity_log")

            def same(events):
                return [event_key(e) for e in items] == [event_key(e) for e in events] and body[
                    "event_types"
                ] == dict(collections.Counter(e["object"]["type"] for e in events))

            assert any(same(t) for t in truths), (period, body["event_types"], [len(t) for t in truths])
            assert body["total_count"] in [len(t) for t in truths]

        body, truths = await sandwich(
            lambda: api.data("get_events", period="30d"),
            lambda: ok(c, "get_activity_log", {"period": "30d", "event_filter": "comment"}),
        )
        items = h.check_list(body, "data", "get_activity_log")
        assert {e["object"]["type"] for e in items} == {"comment"}
        assert any(
            [event_key(e) for e in items] == [event_key(e) for e in t if e["object"]["type"] == "comment"]
            and body["event_types"] == dict(collections.Counter(e["object"]["type"] for e in t))
            for t in truths
        )

        body, truths = await sandwich(
            lambda: api.data("get_events", period="30d", id_project=pid),
            lambda: ok(c, "get_activity_log", {"period": "30d", "project_id": pid}),
        )
        items = h.check_list(body, "data", "get_activity_log")
        assert items and any([event_key(e) for e in items] == [event_key(e) for e in t] for t in truths)

        body = await ok(c, "get_activity_log", {"period": "30d", "max_results": 5})
        items = h.check_list(body, "data", "get_activity_log")
        assert len(items) == 5 and body["truncation_reason"] == "max_results" and body["total_count"] > 5
        assert sum(body["event_types"].values()) == body["total_count"]


async def test_get_user_activity(mcp, api):
    events = api.data("get_events", period="7d")
    user = collections.Counter(e["user_from"]["id"] for e in events).most_common(1)[0][0]
    async with mcp() as c:
        body, truths = await sandwich(
            lambda: [e for e in api.data("get_events", period="7d") if e["user_from"]["id"] == user],
            lambda: ok(c, "get_user_activity", {"user_id": user, "period": "7d"}),
        )
    items = h.check_list(body, "data", "get_user_activity")
    assert items and {e["user_from"]["id"] for e in items} == {user}
    assert any([event_key(e) for e in items] == [event_key(e) for e in t] for t in truths)
    assert any(body["event_types"] == dict(collections.Counter(e["object"]["type"] for e in t)) for t in truths)


# --------------------------------------------------------------- system


async def test_get_webhooks(mcp, api):
    truth = api.data("get_webhooks")
    assert truth
    async with mcp() as c:
        _, items = await ok_list(c, "get_webhooks")
    assert [(w["id"], w["url"], w["status"], w["events"]) for w in items] == [
        (w["id"], w["url"], w["status"], w["events"]) for w in truth
    ]


async def test_health_check(mcp, sim):
    async with mcp() as c:
        body = await ok(c, "health_check")
    assert body["account"]["url"].rstrip("/") == sim.account_url.rstrip("/")
    assert body["auth"]["kind"] == "admin_api_key"
    assert body["api"]["reachable"] is True, f"health_check says the API is unreachable: {body['api']}"
    assert body["status"] == "ok", body["status"]
    assert body["server"]["name"] == "worksection-mcp" and body["server"]["version"]
    assert "files" in body["cache"]


# --------------------------------------------------------------- resources


async def test_resource_templates(mcp):
    async with mcp() as c:
        templates = (await c.list_resource_templates()).resource_templates
    assert sorted(t.uri_template for t in templates) == [
        "worksection://file/{file_id}",
        "worksection://offload/{response_id}",
        "worksection://task/{task_id}/context",
    ]


async def test_read_cache_stats(mcp, world):
    f = world.file("Dashboard mockup v2.png")
    async with mcp() as c:
        await ok(c, "download_file", {"file_id": f["id"]})
        listed = {r.uri for r in (await c.list_resources()).resources}
        assert "worksection://cache/stats" in listed
        contents = (await c.read_resource("worksection://cache/stats")).contents
    assert len(contents) == 1 and contents[0].mime_type == "application/json"
    stats = json.loads(contents[0].text)
    for k in ("files", "bytes", "hit_rate", "oldest_entry", "retention_hours"):
        assert k in stats, k
    assert isinstance(stats["files"], int) and stats["files"] >= 1
    assert isinstance(stats["bytes"], int) and stats["bytes"] >= int(f["size"])
    assert stats["oldest_entry"] is not None
    assert 0.0 <= stats["hit_rate"] <= 1.0


async def test_hostile_file_names_never_become_paths(mcp, world, workdir):
    """Uploaders' names such as `../../etc/passwd.txt` are shown, never used as paths."""
    hostile = [f for f in world.files if "/" in f["name"] or ":" in f["name"] or "?" in f["name"]]
    assert len(hostile) >= 2
    async with mcp() as c:
        for f in hostile:
            body = await ok(c, "download_file", {"file_id": f["id"]})
            assert body["name"] == f["name"]
            text = await ok(c, "get_file_content", {"file_id": f["id"]})
            assert text["name"] == f["name"]
    everything = [p for p in workdir.rglob("*") if p.is_file()]
    assert everything, "nothing was cached"
    for p in everything:
        rel = p.relative_to(workdir)
        assert rel.parts[0].startswith("cache-") or rel.name == "stdio-exit.json", f"file outside the caches: {rel}"
        assert "passwd" not in p.name and "report:final" not in p.name, f"an uploader's name became a path: {rel}"


@pytest.mark.parametrize(
    "name, mime, magic",
    [
        ("Checkout error.png", "image/png", b"\x89PNG\r\n\x1a\n"),
        ("Checkout error - Android.jpg", "image/jpeg", b"\xff\xd8\xff"),
        ("Brand guidelines v3.pdf", "application/pdf", b"%PDF-"),
    ],
)
async def test_read_file_resource_as_blob(mcp, api, world, name, mime, magic):
    f = world.file(name)
    data = api.download(f["id"])
    async with mcp() as c:
        contents = (await c.read_resource(f"worksection://file/{f['id']}")).contents
    assert len(contents) == 1
    blob = contents[0]
    assert blob.mime_type == mime
    raw = base64.b64decode(blob.blob, validate=True)
    assert raw.startswith(magic) and raw == data
    if mime.startswith("image/"):
        h.check_image(raw, mime)


async def test_read_text_file_resource(mcp, api, world):
    f = world.file("Résumé notes.txt")
    data = api.download(f["id"])
    async with mcp() as c:
        contents = (await c.read_resource(f"worksection://file/{f['id']}")).contents
    assert len(contents) == 1
    assert contents[0].mime_type.startswith("text/plain")
    assert contents[0].text == data.decode("utf-8")


async def test_read_task_context_resource(mcp, api, world):
    tid = world.showcase["id"]
    attachments, _ = expected_attachments(api, tid)
    comments = api.data("get_comments", id_task=tid)
    async with mcp() as c:
        contents = (await c.read_resource(f"worksection://task/{tid}/context")).contents
        tool = await ok(c, "get_task_discussion", {"task_id": tid})
    assert len(contents) == 1 and contents[0].mime_type == "application/json"
    ctx = h.records(json.loads(contents[0].text))
    assert ctx["task"]["id"] == tid
    assert sorted(h.ids(ctx["comments"])) == sorted(h.ids(comments))
    assert sorted(a["id"] for a in ctx["attachments"]) == sorted(a[0] for a in attachments)
    assert ctx["summary"]["comments"] == len(comments)
    assert ctx == tool


# --------------------------------------------------------------- prompts


async def test_prompts(mcp, world):
    async with mcp() as c:
        prompts = (await c.list_prompts()).prompts
        assert len(prompts) == 4, [p.name for p in prompts]
        values = {
            "project": world.showcase["project"]["name"],
            "week_start": (world.today - dt.timedelta(days=7)).isoformat(),
            "person": world.users[2]["name"],
            "date_start": "2026-11-02",
            "date_end": "2026-11-08",
            "task_id": world.showcase["id"],
        }
        for p in prompts:
            assert p.description, p.name
            args = {a.name: values.get(a.name, f"value-for-{a.name}") for a in (p.arguments or [])}
            result = await c.get_prompt(p.name, args)
            assert result.messages, p.name
            text = "\n".join(m.content.text for m in result.messages if getattr(m.content, "type", None) == "text")
            for v in args.values():
                assert v in text, (p.name, v)
            required = [a.name for a in (p.arguments or []) if a.required]
            if required:
                with pytest.raises(MCPError) as e:
                    await c.get_prompt(p.name, {k: v for k, v in args.items() if k != required[0]})
                assert e.value.error.code == -32602, (p.name, e.value.error)
        with pytest.raises(MCPError) as e:
            await c.get_prompt("no_such_prompt", {})
        assert e.value.error.code == -32602


# --------------------------------------------------------------- upstream requests


async def test_upstream_requests_per_tool(mcp, sim, world):
    """Each tool makes at most the upstream requests TOOLS.md lists for it
    (fewer when the response cache answers)."""
    other = next(p for p in world.projects if p["id"] != world.showcase["project"]["id"] and p["status"] == "active")
    pid, tid = other["id"], world.file("Brand guidelines v3.pdf")["on"][1]
    uid = world.users[1]["id"]
    today = world.today
    week = {"date_start": (today - dt.timedelta(days=9)).isoformat(), "date_end": (today - dt.timedelta(days=2)).isoformat()}
    calls = [
        ("get_projects", {"status_filter": "pending"}, {"get_projects"}),
        ("get_project", {"project_id": pid, "extra": "options"}, {"get_project"}),
        ("get_project_groups", {}, {"get_project_groups"}),
        ("get_project_team", {"project_id": pid}, {"get_project"}),
        ("get_all_tasks", {"status_filter": "done", "extra": "text"}, {"get_all_tasks"}),
        ("get_tasks", {"project_id": pid, "extra": "files"}, {"get_tasks"}),
        ("get_task", {"task_id": tid, "extra": "relations,subscribers"}, {"get_task"}),
        ("search_tasks", {"query": "brand guidelines"}, {"search_tasks"}),
        ("get_task_subtasks", {"task_id": tid}, {"get_task"}),
        ("get_task_relations", {"task_id": tid}, {"get_task"}),
        ("get_task_subscribers", {"task_id": tid}, {"get_task"}),
        ("get_comments", {"task_id": tid, "include_files": True}, {"get_comments"}),
        ("get_task_discussion", {"task_id": tid}, {"get_task", "get_comments"}),
        ("get_task_files", {"task_id": tid}, {"get_task"}),
        ("get_all_task_attachments", {"task_id": tid}, {"get_task", "get_comments"}),
        ("list_image_attachments", {"task_id": tid}, {"get_task", "get_comments"}),
        ("get_project_files", {"project_id": pid}, {"get_files"}),
        ("list_image_attachments", {"project_id": pid}, {"get_files"}),
        ("download_file", {"file_id": world.file("team-capacity.csv")["id"]}, {"download"}),
        ("get_file_as_base64", {"file_id": world.file("team-capacity.csv")["id"]}, {"download"}),
        ("get_file_content", {"file_id": world.file("Checkout requirements.docx")["id"]}, {"download"}),
        ("get_costs", {"project_id": pid, **week}, {"get_costs"}),
        ("get_costs_total", {"project_id": pid, **week}, {"get_costs_total"}),
        ("get_user_workload", {"user_id": uid, **week}, {"get_costs"}),
        ("get_project_time_report", {"project_id": pid, **week}, {"get_costs"}),
        ("get_timers", {}, {"get_timers"}),
        ("get_my_timer", {}, {"get_my_timer"}),
        ("get_users", {}, {"get_users"}),
        ("get_user", {"user_id": uid}, {"get_users"}),
        ("get_current_user", {}, {"me", "get_users"}),
        ("get_user_groups", {}, {"get_user_groups"}),
        ("get_contacts", {}, {"get_contacts"}),
        ("get_contact_groups", {}, {"get_contact_groups"}),
        ("get_user_assignments", {"user_id": uid}, {"search_tasks", "get_all_tasks"}),
        ("get_task_tags", {"tag_type": "status"}, {"get_task_tags"}),
        ("get_task_tag_groups", {"access": "public"}, {"get_task_tag_groups"}),
        ("get_project_tags", {"tag_type": "label"}, {"get_project_tags"}),
        ("get_project_tag_groups", {"access": "private"}, {"get_project_tag_groups"}),
        ("get_task_with_tags", {"task_id": tid}, {"get_task"}),
        ("search_tasks_by_tag", {"tag": "design", "project_id": pid}, {"get_tasks"}),
        ("get_project_stats", {"project_id": pid}, {"get_tasks", "get_costs_total"}),
        ("get_overdue_tasks", {"project_id": pid}, {"get_tasks"}),
        ("get_overdue_tasks", {}, {"get_all_tasks"}),
        ("get_tasks_by_status", {"project_id": pid, "status": "active"}, {"get_tasks"}),
        ("get_tasks_by_priority", {"project_id": pid, "priority": 3}, {"get_tasks"}),
        ("get_team_workload_summary", {"project_id": pid, **week}, {"get_tasks", "get_costs"}),
        ("get_team_workload_summary", week, {"get_all_tasks", "get_costs"}),
        ("get_activity_log", {"period": "3d"}, {"get_events"}),
        ("get_user_activity", {"user_id": uid, "period": "2d"}, {"get_events"}),
        ("get_webhooks", {}, {"get_webhooks"}),
    ]
    problems = []
    async with mcp() as c:
        for name, args, allowed in calls:
            sim.reset_stats()
            await call(c, name, args)
            stats = sim.stats()
            used = stats["by_action"]
            extra = {a: n for a, n in used.items() if a not in allowed or n > 1}
            if extra or stats["total"] > len(allowed):
                problems.append(f"{name} {args}: upstream {used} (allowed at most one each of {sorted(allowed)})")
        sim.reset_stats()
        await call(c, "health_check")
        stats = sim.stats()
        if stats["total"] != 1:
            problems.append(f"health_check: {stats['total']} upstream requests {stats['by_action']} (one round trip expected)")
    assert not problems, "\n".join(problems)


# --------------------------------------------------------------- coverage


async def test_offloaded_answer_reads_back_whole(mcp, api):
    """Every cost line of the demo account is over the answer budget: the
    first page says where the whole answer is, and reading it back chunk by
    chunk gives every line, byte for byte as stored."""
    async with mcp() as c:
        first = h.payload(await call(c, "get_costs", {}), "get_costs")
        rid = first["offload_id"]
        info = h.payload(await call(c, "get_offloaded_response_info", {"response_id": rid}), "info")
        stored, offset = b"", 0
        while True:
            chunk = h.payload(
                await call(c, "read_offloaded_response_text", {"response_id": rid, "offset": offset, "max_bytes": 50_000}),
                "read_offloaded_response_text",
            )
            stored += chunk["content"].encode()
            if not chunk["has_more"]:
                break
            offset = chunk["next_offset"]
    assert len(stored) == info["size_bytes"] == first["offload_size_bytes"]
    assert hashlib.sha256(stored).hexdigest() == info["sha256"]
    whole = h.records(json.loads(stored))
    assert h.ids(whole["data"]) == h.ids(api.call("get_costs")["data"])


async def test_every_tool_was_called(request):
    """Runs last: every tool of the contract was called by the tests above."""
    selected = {item.originalname for item in request.session.items if item.module is request.module}
    every = {n for n in dir(request.module) if n.startswith("test_")}
    if selected != every:
        pytest.skip("only meaningful when the whole module runs")
    assert CALLED == CONTRACT_TOOLS, f"never called: {sorted(CONTRACT_TOOLS - CALLED)}"

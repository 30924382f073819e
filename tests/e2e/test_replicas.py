"""Three replicas sharing one Redis (issue 24), each test with a topology
of its own (replicas.py: Debian's `redis-server`, three `worksection-mcp
serve --team --redis-url ...`, Debian's `nginx` in front), a simulator of
its own, and the account's owner signed in through the simulator's OAuth,
seeing what Worksection shows them (no admin key).

- Pace: six clients at once, two on each replica, asking questions none
  of them asked before, with the simulator enforcing one account pace
  (`--rps 2`) and the replicas told the same: the simulator throttles
  nothing, and never counts the account above its pace.
- Sharing: an equivalent of the benchmark's scripted weekly-report session,
  each call to the next replica directly, costs exactly the upstream
  requests it costs on one replica (a topology of one, measured first),
  and again, each call on another replica, nothing but one download per
  file (files stay on each replica's disk); a cursor from replica 1 reads its next page on
  replica 2; an answer offloaded by replica 2 is read on replica 3.
- Faults: `kill -9` of a replica under load through nginx; Redis stopped
  for ten seconds under load and started again (`/readyz` says degraded,
  then not); every replica restarted (the person's tokens and sign-in
  kept; neither Redis's password nor a token in any log). What the
  clients saw (calls answered, errors, the SDK's warnings, upstream
  requests) is recorded as `replicas` and printed at the end of the run.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import subprocess
import time
import urllib.request

import anyio
import httpx2
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

import helpers as h
import replicas
from conftest import OUT, READY_TIMEOUT, SDK_LOGS, AdminApi, unwrapped
from processes import free_port, simulator_process

pytestmark = pytest.mark.anyio

# Small answers, so a list has a next page and a large one an offload.
BUDGET = "2000"
IMAGE = (".png", ".jpg", ".jpeg", ".gif", ".webp")


@pytest.fixture(autouse=True)
def _tools_installed():
    missing = replicas.missing_tools()
    if missing:
        pytest.fail(f"the replicas tests need Debian's {' and '.join(missing)} (apt-get install {' '.join(missing)})")


class World:
    def __init__(self, sim_info: dict, topo: replicas.Topology, person: replicas.Person):
        self.sim_info = sim_info
        self.topo = topo
        self.person = person
        self.api = AdminApi(sim_info["account_url"], sim_info["api_key"])

    def stats(self) -> dict:
        with urllib.request.urlopen(self.sim_info["stats_url"], timeout=10) as r:
            return json.loads(r.read())

    def reset_stats(self) -> None:
        req = urllib.request.Request(self.sim_info["account_url"] + "/__sim/stats/reset", method="POST", data=b"")
        urllib.request.urlopen(req, timeout=10).close()

    def upstream(self) -> int:
        """Requests the simulator's API counted (what Worksection is asked)."""
        return self.stats()["total"]


@contextlib.contextmanager
def world(binaries, name: str, *sim_args: str, count: int = replicas.REPLICAS, **env: str):
    """A simulator, a topology of `count` replicas in front of it, and its
    owner signed in; stopped on leaving."""
    lb_port = free_port()
    args = ("--port", "0", "--dataset", "demo", "--redirect-uri",
            f"http://127.0.0.1:{lb_port}/oauth/worksection/callback", *sim_args)
    if "--rps" not in sim_args:
        args += ("--rps", "0")
    OUT.mkdir(parents=True, exist_ok=True)
    with simulator_process(binaries["sim"], OUT / f"sim-{name}.stderr.log", *args, timeout=READY_TIMEOUT) as (_, info):
        assert info, "the simulator did not start"
        settings = {"MCP_MAX_ANSWER_TOKENS": BUDGET, **env}
        with replicas.topology(binaries, info, lb_port, name=name, count=count, **settings) as topo:
            owner = replicas.owner_email(AdminApi(info["account_url"], info["api_key"]))
            yield World(info, topo, replicas.sign_in(topo.base, owner))


def session(url: str, token: str):
    """An MCP session of the Python SDK at `url` with a bearer token."""
    http = httpx2.AsyncClient(headers={"Authorization": f"Bearer {token}"}, timeout=90)
    return unwrapped(Client(streamable_http_client(url, http_client=http), mode="legacy", read_timeout_seconds=90))


# --------------------------------------------------------------- pace


async def test_one_pace_across_three_replicas(binaries, record_property):
    rps = 2.0
    with world(binaries, "replicas-pace", "--rps", str(rps), WORKSECTION_REQUESTS_PER_SECOND=str(rps)) as w:
        # One request of the test's own (the simulator paces it too).
        tasks = [str(t["id"]) for t in w.api.data("get_all_tasks")]
        clients = 6
        per_client = 4
        assert len(tasks) >= clients * per_client, len(tasks)
        token = w.person.token()
        errors: list[str] = []
        time.sleep(2 / rps)  # the simulator's bucket full again
        w.reset_stats()
        started = time.monotonic()

        async def client(i: int) -> None:
            replica = w.topo.replicas[i % len(w.topo.replicas)]
            async with session(replica.url, token) as c:
                for task in tasks[i * per_client:(i + 1) * per_client]:
                    r = await c.call_tool("get_task", {"task_id": task})
                    if r.is_error:
                        errors.append(h.error_text(r)[:300])

        async with anyio.create_task_group() as tg:
            for i in range(clients):
                tg.start_soon(client, i)
        elapsed = time.monotonic() - started
        stats = w.stats()
    record_property("replicas", f"pace: {stats['total']} upstream requests in {elapsed:.1f} s from {clients} clients on 3 replicas "
          f"(pace {rps}/s), {stats['throttled']} throttled, {len(errors)} errors")
    assert not errors, errors
    assert stats["throttled"] == 0, stats
    assert stats["total"] >= clients * per_client, stats
    # The simulator's own bucket lets two through at once, then one every
    # 1/rps s: the account never went faster than that.
    assert stats["total"] <= rps * elapsed + 2, (stats["total"], elapsed)


# --------------------------------------------------------------- sharing


def weekly_report(api: AdminApi) -> list[tuple[str, dict]]:
    """The benchmark's scripted weekly-report session (worksection-bench's
    `catalogue::weekly_report`), its ids picked from the admin API the same
    way: the project with the most tasks among those with two tasks with an
    image, those two tasks and images, the person with the most open tasks
    of it, a priority an open task of it has, the last seven days."""
    projects = api.data("get_projects")
    best = None
    for p in projects:
        tasks = api.data("get_tasks", id_project=p["id"], extra="files")
        illustrated = []
        for t in h.flatten(tasks):
            image = next((f for f in t.get("files") or [] if f["name"].lower().endswith(IMAGE)), None)
            if image:
                illustrated.append((str(t["id"]), str(image["id"])))
        if len(illustrated) >= 2 and (best is None or len(tasks) > best[1]):
            best = (p, len(tasks), illustrated[:2], h.flatten(tasks))
    assert best, "no project has two tasks with an image"
    project, _, illustrated, tasks = best
    open_tasks = [t for t in tasks if h.is_open(t)]
    by_user: dict[str, int] = {}
    for t in open_tasks:
        if t.get("user_to", {}).get("id"):
            by_user[str(t["user_to"]["id"])] = by_user.get(str(t["user_to"]["id"]), 0) + 1
    user = max(sorted(by_user), key=lambda u: by_user[u]) if by_user else str(api.data("get_users")[0]["id"])
    priority = next((int(t["priority"]) for t in open_tasks if t.get("priority") not in (None, "")), 5)
    today = dt.date.today()
    week = ((today - dt.timedelta(days=6)).isoformat(), today.isoformat())
    p = str(project["id"])
    calls = [
        ("get_current_user", {}),
        ("get_projects", {"status_filter": "active"}),
        ("get_project", {"project_id": p}),
        ("get_project_team", {"project_id": p}),
        ("get_project_stats", {"project_id": p}),
        ("get_tasks", {"project_id": p, "status_filter": "active"}),
        ("get_overdue_tasks", {"project_id": p}),
        ("get_tasks_by_status", {"project_id": p, "status": "done"}),
        ("get_tasks_by_priority", {"project_id": p, "priority": priority}),
        ("get_team_workload_summary", {"project_id": p, "date_start": week[0], "date_end": week[1]}),
        ("get_project_time_report", {"project_id": p, "date_start": week[0], "date_end": week[1]}),
        ("get_costs_total", {"project_id": p, "date_start": week[0], "date_end": week[1]}),
        ("get_activity_log", {"project_id": p, "period": "7d"}),
    ]
    for task, image in illustrated:
        calls += [("get_task_discussion", {"task_id": task}), ("get_file_content", {"file_id": image})]
    calls += [
        ("get_users", {}),
        ("get_user", {"user_id": user}),
        ("get_user_assignments", {"user_id": user}),
        ("get_user_workload", {"user_id": user, "date_start": week[0], "date_end": week[1]}),
        ("get_user_activity", {"user_id": user, "period": "7d"}),
        ("get_overdue_tasks", {}),
        ("get_team_workload_summary", {"date_start": week[0], "date_end": week[1]}),
    ]
    return calls


async def run_session(w: World, calls: list[tuple[str, dict]]) -> list[str]:
    """Each call to the next replica directly (one MCP session on each);
    returns the tools that answered with an error."""
    token = w.person.token()
    failed = []
    async with contextlib.AsyncExitStack() as stack:
        sessions = [await stack.enter_async_context(session(r.url, token)) for r in w.topo.replicas]
        for i, (tool, args) in enumerate(calls):
            r = await sessions[i % len(sessions)].call_tool(tool, args)
            if r.is_error:
                failed.append(f"{tool}: {h.error_text(r)[:200]}")
    return failed


async def test_the_weekly_report_spread_over_replicas_costs_what_it_costs_on_one(binaries, record_property):
    with world(binaries, "replicas-one", count=1) as one:
        calls = weekly_report(one.api)
        one.reset_stats()
        assert not await run_session(one, calls)
        on_one = one.upstream()
    with world(binaries, "replicas-three") as three:
        assert weekly_report(three.api) == calls, "the same account, the same session"
        three.reset_stats()
        assert not await run_session(three, calls)
        spread = three.upstream()
        # Again, each call on another replica than the first time: every
        # answer is in the shared cache; only the files' bytes are not
        # shared (they stay on each replica's disk, file_cache.rs says why),
        # so each file costs one download on the replica new to it.
        three.reset_stats()
        assert not await run_session(three, calls[1:] + calls[:1])
        again = three.stats()["by_action"]
    files = sum(1 for tool, _ in calls if tool == "get_file_content")
    record_property("replicas", f"weekly report, {len(calls)} calls: {on_one} upstream requests on one replica, "
                    f"{spread} spread over three, the second time {again}")
    assert on_one > 0
    assert spread == on_one
    assert again == {"download": files}, again


async def test_a_cursor_and_an_offload_follow_the_person_across_replicas(binaries):
    with world(binaries, "replicas-pages") as w:
        token = w.person.token()
        one, two, three = w.topo.replicas
        async with session(one.url, token) as c:
            first = h.payload(await c.call_tool("get_all_tasks", {}), "get_all_tasks")
        cursor, offload = first.get("next_cursor"), first.get("offload_id")
        assert cursor and offload, sorted(first)
        async with session(two.url, token) as c:
            nxt = h.payload(await c.call_tool("get_all_tasks", {"cursor": cursor}), "get_all_tasks (page 2)")
        assert nxt["data"] and {t["id"] for t in nxt["data"]}.isdisjoint({t["id"] for t in first["data"]})
        async with session(three.url, token) as c:
            text = await c.call_tool("read_offloaded_response_text", {"response_id": offload})
        assert not text.is_error, h.error_text(text)
        assert h.error_text(text).strip(), "the offloaded answer has text"


# --------------------------------------------------------------- faults


class Load:
    """`clients` sessions through nginx calling in a loop until stopped; a
    failed call is counted, and the client opens a new session and goes on."""

    def __init__(self, w: World, calls: list[tuple[str, dict]], clients: int = 4):
        self.w = w
        self.calls = calls
        self.clients = clients
        self.ok = 0
        self.errors: list[tuple[float, str]] = []
        self.stop = anyio.Event()
        self.last_ok: dict[int, float] = {}

    async def client(self, i: int) -> None:
        n = i
        while not self.stop.is_set():
            try:
                async with session(self.w.topo.url, self.w.person.token()) as c:
                    while not self.stop.is_set():
                        tool, args = self.calls[n % len(self.calls)]
                        n += 1
                        r = await c.call_tool(tool, args)
                        if r.is_error:
                            self.errors.append((time.monotonic(), f"{tool}: {h.error_text(r)[:200]}"))
                        else:
                            self.ok += 1
                            self.last_ok[i] = time.monotonic()
            except Exception as e:  # noqa: BLE001 - counted and reported
                self.errors.append((time.monotonic(), f"{type(e).__name__}: {str(e)[:200]}"))
                await anyio.sleep(0.2)

    def report(self, what: str) -> str:
        """What the clients saw. The SDK's own warnings (a stream cut by a
        dying replica) are expected here: they are taken from conftest's
        collector, which would fail the test, and reported instead."""
        logged = SDK_LOGS.take()
        return (f"{what}: {self.ok} calls answered, {len(self.errors)} errors seen by clients, "
                f"{len(logged)} SDK warnings; errors {json.dumps([e for _, e in self.errors][:10])}; "
                f"warnings {json.dumps(logged[:5])}")


def load_calls(api: AdminApi) -> list[tuple[str, dict]]:
    projects = [str(p["id"]) for p in api.data("get_projects")]
    calls: list[tuple[str, dict]] = [("get_projects", {"status_filter": "all"}), ("get_users", {})]
    for p in projects:
        calls += [("get_project", {"project_id": p}), ("get_tasks", {"project_id": p})]
    return calls


async def wait_for(what: str, check, timeout: float) -> float:
    """Polls `check` (blocking, run in a thread) every 0.2 s until it is
    true; the seconds it took. Fails naming `what` after `timeout` s."""
    start = time.monotonic()
    while not await anyio.to_thread.run_sync(check):
        if time.monotonic() - start > timeout:
            raise AssertionError(f"{what}: not within {timeout} s")
        await anyio.sleep(0.2)
    return time.monotonic() - start


async def test_kill_9_of_a_replica_under_load(binaries, record_property):
    with world(binaries, "replicas-kill") as w:
        load = Load(w, load_calls(w.api))
        async with anyio.create_task_group() as tg:
            for i in range(load.clients):
                tg.start_soon(load.client, i)
            await wait_for("every client answered", lambda: len(load.last_ok) == load.clients, 60)
            await anyio.sleep(1)
            before = load.ok
            killed_at = time.monotonic()
            w.topo.replicas[1].kill()
            # Every client answers again. A call that was in flight on the
            # killed replica fails once its client has tried twice to
            # resume its stream elsewhere (refused: rmcp's priming event
            # asks for 3 s between tries), and the client goes on.
            again = await wait_for(
                "every client answers again after the kill",
                lambda: all(load.last_ok.get(i, 0) > killed_at for i in range(load.clients)), 30)
            await anyio.sleep(3)
            after_kill = load.ok - before
            load.stop.set()
        record_property("replicas", load.report("kill -9 of replica 2 under load")
                        + f"; every client answered again {again:.1f} s after the kill")
        assert after_kill > 0, load.report("after the kill")
        # At most the calls in flight on the killed replica failed.
        assert len(load.errors) <= load.clients, load.report("kill")
        _, body = w.topo.replicas[0].get("/readyz")
        assert json.loads(body)["status"] == "ready", body


async def test_a_call_whose_replica_dies_fails_in_seconds_and_the_session_goes_on(binaries, record_property):
    """The call in flight on a replica that dies: its client tries to resume
    the call's stream on the replica the balancer picks next, which never
    held it. That replica refuses (404), so the SDK gives up after its two
    tries and fails the call, instead of reconnecting to an empty stream
    until the call's timeout (90 s here), and the session goes on there."""
    # One upstream request every 5 s: the second cold call waits for its
    # turn on its replica long enough to kill that replica under it.
    with world(binaries, "replicas-inflight", WORKSECTION_REQUESTS_PER_SECOND="0.2") as w:
        answered_by: list[str] = []

        async def note_upstream(response) -> None:
            if response.request.method == "POST" and "x-upstream" in response.headers:
                answered_by.append(response.headers["x-upstream"])

        http = httpx2.AsyncClient(headers={"Authorization": f"Bearer {w.person.token()}"}, timeout=90,
                                  event_hooks={"response": [note_upstream]})
        client = Client(streamable_http_client(w.topo.url, http_client=http), mode="legacy",
                        read_timeout_seconds=90)
        async with unwrapped(client) as c:
            assert not (await c.call_tool("get_projects", {"status_filter": "all"})).is_error
            outcome: dict = {}

            async def slow_call() -> None:
                start = time.monotonic()
                try:
                    r = await c.call_tool("get_users", {})
                    outcome["result"] = "error: " + h.error_text(r)[:200] if r.is_error else "answered"
                except Exception as e:  # noqa: BLE001 - what the client saw is the finding
                    outcome["result"] = f"{type(e).__name__}: {str(e)[:200]}"
                outcome["seconds"] = time.monotonic() - start

            async with anyio.create_task_group() as tg:
                answered_by.clear()
                tg.start_soon(slow_call)
                await wait_for("the call reached a replica", lambda: bool(answered_by), 10)
                port = int(answered_by[0].rsplit(":", 1)[1])
                victim = next(r for r in w.topo.replicas if r.port == port)
                await anyio.sleep(0.5)
                assert "result" not in outcome, f"the call ended before the kill: {outcome}"
                victim.kill()
            # The session goes on, on the replica its id hashes to now.
            after = await c.call_tool("get_projects", {"status_filter": "all"})
        logged = SDK_LOGS.take()
        record_property("replicas", f"a call whose replica died: {outcome}; SDK warnings {logged[:3]}")
        assert outcome["seconds"] < 30, f"the call hung for {outcome['seconds']:.0f} s: {outcome}"
        assert not after.is_error, h.error_text(after)


def readyz(replica: replicas.Replica) -> tuple[int, dict]:
    status, body = replica.get("/readyz")
    try:
        return status, json.loads(body)
    except ValueError:
        return status, {"body": body.decode(errors="replace")[:200]}


async def test_redis_stopped_for_ten_seconds_under_load(binaries, record_property):
    with world(binaries, "replicas-redis") as w:
        load = Load(w, load_calls(w.api))
        readiness: list[tuple[int, dict]] = []

        def every_replica(degraded: bool) -> bool:
            for r in w.topo.replicas:
                status, said = readyz(r)
                if status != 200 or said.get("degraded") is not degraded:
                    return False
            return True

        async with anyio.create_task_group() as tg:
            for i in range(load.clients):
                tg.start_soon(load.client, i)
            # Every client answered once before Redis goes.
            await wait_for("every client answered", lambda: len(load.last_ok) == load.clients, 60)
            w.topo.redis.stop()
            down_at = time.monotonic()
            ok_before = load.ok
            # Each replica finds Redis gone at its next call or heartbeat
            # (every 2 s), and says so.
            noticed = await wait_for("every replica says degraded", lambda: every_replica(True), 10)
            # A session begun while Redis is down (its record cannot be
            # written) works on its replica, and goes on working once Redis
            # is back. (Through the balancer, its requests would go to the
            # replica its id hashes to, which cannot take it up before
            # Redis is back: README, "Replicas".)
            async with session(w.topo.replicas[0].url, w.person.token()) as late:
                assert not (await late.call_tool("get_users", {})).is_error
                while time.monotonic() - down_at < 10:
                    await anyio.sleep(1)
                    readiness.append(await anyio.to_thread.run_sync(readyz, w.topo.replicas[0]))
                ok_while_down = load.ok - ok_before
                w.topo.redis.start()
                up_at = time.monotonic()
                back = await wait_for("every replica shares again", lambda: every_replica(False), 20)
                readiness.append(await anyio.to_thread.run_sync(readyz, w.topo.replicas[0]))
                ok_at_up = load.ok
                # Two looks of the replicas' session watch (every 2 s): the
                # session made while Redis was down is written, not ended.
                await anyio.sleep(5)
                late_after = await late.call_tool("get_users", {})
            load.stop.set()
        record_property("replicas", load.report("Redis stopped for 10 s under load")
                        + f"; degraded noticed in {noticed:.1f} s, sharing again {back:.1f} s after the start"
                        + f"; /readyz said {readiness}")
        assert ok_while_down > 0, "calls kept answering while Redis was down"
        # Every replica kept answering: at most a call in flight per client
        # as Redis went failed, none after.
        while_down = [e for t, e in load.errors if down_at <= t <= up_at]
        assert len(while_down) <= load.clients, load.report("while Redis was down")
        # Degraded while Redis was down (still 200: the replica answers),
        # and not once it was back.
        assert readiness[:-1] and all(r == (200, {**r[1], "degraded": True}) for r in readiness[:-1]), readiness
        assert readiness[-1][0] == 200 and not readiness[-1][1].get("degraded"), readiness
        assert not late_after.is_error, h.error_text(late_after)
        assert load.ok > ok_at_up, "calls answer after Redis is back"
        assert not [e for t, e in load.errors if t > up_at], load.report("after Redis came back")


async def test_every_replica_restarted_keeps_sign_ins(binaries):
    with world(binaries, "replicas-restart") as w:
        async with session(w.topo.url, w.person.token()) as c:
            me = h.payload(await c.call_tool("get_current_user", {}), "get_current_user")
        for r in w.topo.replicas:
            r.stop()
        for r in w.topo.replicas:
            r.start()
        # The access token still works on every replica...
        for r in w.topo.replicas:
            async with session(r.url, w.person.access) as c:
                again = h.payload(await c.call_tool("get_current_user", {}), "get_current_user")
            assert again["id"] == me["id"]
        # ...and the refresh token renews it.
        w.person.renew()
        async with session(w.topo.url, w.person.access) as c:
            assert not (await c.call_tool("get_current_user", {})).is_error
        # The administrator's commands read the same sign-ins from Redis:
        # `team people` lists the person, `team revoke` signs them out on
        # every replica at once.
        env = {k: v for k, v in os.environ.items() if not k.startswith(("MCP_", "WORKSECTION_"))}
        env.update(MCP_REDIS_URL=w.topo.redis.url, MCP_TEAM_KEY=w.topo.key)

        def team(*args: str) -> subprocess.CompletedProcess:
            return subprocess.run([str(binaries["mcp"]), "team", *args], env=env, capture_output=True,
                                  text=True, timeout=60)

        owner = replicas.owner_email(w.api)
        out = team("people")
        assert out.returncode == 0 and owner in out.stdout, out.stderr
        out = team("revoke", owner)
        assert out.returncode == 0, out.stderr
        for r in w.topo.replicas:
            status, _ = r.post_status("/mcp", w.person.access)
            assert status == 401, f"replica {r.index} still takes a revoked token"
        out = team("people")
        assert out.returncode == 0 and "signed out" in out.stdout, out.stdout
        wrong = dict(env, MCP_TEAM_KEY="0" * 64)
        out = subprocess.run([str(binaries["mcp"]), "team", "people"], env=wrong, capture_output=True, text=True,
                             timeout=60)
        assert out.returncode != 0 and "MCP_TEAM_KEY" in out.stderr, out.stderr
        # Neither Redis's password (in the URL) nor a token is in a log.
        logs = w.topo.log() + w.topo.lb.log_path.read_text(errors="replace")
        for secret in [w.topo.redis.password, *w.person.secrets]:
            assert secret not in logs, "a secret in the replicas' or nginx's logs"

"""The replicas' benchmark (BENCHMARKS.md, "Replicas"): figures, not a test.

    eval "$(scripts/e2e-tools)"
    $E2E_PYTHON tests/e2e/bench_replicas.py [--clients 4] [--rounds 3] [--cached-calls 300]

Builds nothing: it runs the binaries in the target folder (or WS_MCP_BIN
and WS_SIM_BIN), each topology of test_replicas.py's `world` (the
simulator at no pace, Debian's Redis and nginx, team-mode replicas, the
account's owner signed in), and prints one JSON object, also written to
tests/e2e/out/bench-replicas.json:

- `topologies`: for one replica and for three behind nginx, the
  benchmark's weekly-report session run by `--clients` clients at once
  (each its own MCP session through the balancer): the upstream requests
  of the first run (cold) and of `--rounds` runs after it (cached), and
  calls per second of each;
- `cached_call_cpu`: one replica's server CPU (user + system, from /proc)
  per cached call, `get_tasks` of one project asked `--cached-calls`
  times after a first call, with `--redis-url` and without it (the same
  team server keeping its state itself).
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import sys
import time

import anyio

HERE = pathlib.Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent / "support")]

import helpers as h  # noqa: E402
import test_replicas as tr  # noqa: E402
from conftest import OUT, _target_dir  # noqa: E402


def binaries() -> dict[str, pathlib.Path]:
    target = None
    found = {}
    for key, env, name in (("mcp", "WS_MCP_BIN", "worksection-mcp"), ("sim", "WS_SIM_BIN", "worksection-sim")):
        given = os.environ.get(env)
        if not given:
            target = target or _target_dir()
            given = str(target / "debug" / name)
        path = pathlib.Path(given)
        if not path.exists():
            raise SystemExit(f"{path} is missing: build it first (cargo build --bins)")
        found[key] = path
    return found


def cpu_seconds(pid: int) -> float:
    """User plus system CPU of a process so far (/proc/PID/stat)."""
    fields = pathlib.Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def clients_at_once(url: str, token: str, calls, clients: int) -> tuple[float, int]:
    """`clients` sessions running `calls` at once: wall seconds, errors."""
    errors = 0

    async def one() -> None:
        nonlocal errors
        async with tr.session(url, token) as c:
            for tool, args in calls:
                if (await c.call_tool(tool, args)).is_error:
                    errors += 1

    started = time.perf_counter()
    async with anyio.create_task_group() as tg:
        for _ in range(clients):
            tg.start_soon(one)
    return time.perf_counter() - started, errors


async def topology_figures(bins, count: int, clients: int, rounds: int) -> dict:
    with tr.world(bins, f"bench-replicas-{count}", count=count) as w:
        calls = tr.weekly_report(w.api)
        token = w.person.token()
        w.reset_stats()
        cold_s, cold_errors = await clients_at_once(w.topo.url, token, calls, clients)
        cold = w.stats()
        w.reset_stats()
        warm_s, warm_errors = 0.0, 0
        for _ in range(rounds):
            s, e = await clients_at_once(w.topo.url, w.person.token(), calls, clients)
            warm_s, warm_errors = warm_s + s, warm_errors + e
        cached = w.stats()
        return {
            "replicas": count,
            "clients": clients,
            "session_calls": len(calls),
            "cold": {"calls": clients * len(calls), "seconds": round(cold_s, 2),
                     "calls_per_second": round(clients * len(calls) / cold_s, 1),
                     "upstream_requests": cold["total"], "by_action": cold["by_action"],
                     "errors": cold_errors},
            "cached": {"calls": rounds * clients * len(calls), "seconds": round(warm_s, 2),
                       "calls_per_second": round(rounds * clients * len(calls) / warm_s, 1),
                       "upstream_requests": cached["total"], "by_action": cached["by_action"],
                       "errors": warm_errors},
        }


async def cached_cpu(bins, with_redis: bool, calls: int) -> dict:
    env = {} if with_redis else {"MCP_REDIS_URL": ""}
    name = "bench-cpu-redis" if with_redis else "bench-cpu-alone"
    with tr.world(bins, name, count=1, **env) as w:
        replica = w.topo.replicas[0]
        project = str(w.api.data("get_projects")[0]["id"])
        args = {"project_id": project, "status_filter": "all"}
        async with tr.session(replica.url, w.person.token()) as c:
            h.payload(await c.call_tool("get_tasks", args), "get_tasks")
            w.reset_stats()
            before = cpu_seconds(replica.proc.pid)
            started = time.perf_counter()
            for _ in range(calls):
                h.payload(await c.call_tool("get_tasks", args), "get_tasks")
            wall = time.perf_counter() - started
            spent = cpu_seconds(replica.proc.pid) - before
        return {"redis": with_redis, "calls": calls, "upstream_requests": w.upstream(),
                "server_cpu_ms_per_call": round(spent * 1000 / calls, 2),
                "wall_ms_per_call": round(wall * 1000 / calls, 2)}


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--cached-calls", type=int, default=300)
    opts = parser.parse_args()
    bins = binaries()
    figures = {
        "topologies": [await topology_figures(bins, n, opts.clients, opts.rounds) for n in (1, 3)],
        "cached_call_cpu": [await cached_cpu(bins, r, opts.cached_calls) for r in (False, True)],
        "load_average": os.getloadavg(),
    }
    OUT.mkdir(parents=True, exist_ok=True)
    text = json.dumps(figures, indent=2)
    (OUT / "bench-replicas.json").write_text(text + "\n")
    print(text)


if __name__ == "__main__":
    anyio.run(main)

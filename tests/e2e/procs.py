"""Dedicated processes for the reliability and security tests: a simulator
and a `worksection-mcp serve` of their own, with settings of their own
(faults, rate limit, cache TTL, auth token), instead of the session-wide
fixtures of conftest.py that other tests rely on staying healthy.

Also the small measurements those tests take: a process's resident memory
from /proc, the simulator's counters, and switching its faults at run time.
"""

from __future__ import annotations

import http.client
import json
import os
import pathlib
import subprocess
import urllib.request
from contextlib import contextmanager

from mcp import Client

from conftest import OUT, READY_TIMEOUT, SERVER_ENV_PREFIXES, Sim, server_env, unwrapped, wait_serving
from processes import free_port, simulator_process, stop_process


@contextmanager
def simulator(binaries, name: str, *args: str):
    """A simulator with its own flags (`--rps`, `--faults`, `--port`,
    `--dataset`, ...; the demo account unless `--dataset` says otherwise);
    its log goes to out/<name>.stderr.log."""
    OUT.mkdir(parents=True, exist_ok=True)
    log_path = OUT / f"{name}.stderr.log"
    defaults = [] if "--port" in args else ["--port", "0"]
    if "--dataset" not in args:
        defaults += ["--dataset", "demo"]
    all_args = [*defaults, *args]
    with simulator_process(binaries["sim"], log_path, *all_args, timeout=READY_TIMEOUT) as (proc, info):
        assert info, f"the simulator {name} did not start; see {log_path}"
        yield Sim(info, proc)


def set_faults(sim: Sim, spec: str) -> None:
    """Switches the simulator's faults now (`none` clears them)."""
    req = urllib.request.Request(sim.account_url + "/__sim/faults", data=spec.encode(), method="POST")
    urllib.request.urlopen(req, timeout=10).close()


def revoke(sim_or_url) -> None:
    base = sim_or_url if isinstance(sim_or_url, str) else sim_or_url.account_url
    req = urllib.request.Request(base + "/__sim/revoke", data=b"", method="POST")
    urllib.request.urlopen(req, timeout=10).close()


class Served:
    """A running `worksection-mcp serve` over streamable HTTP."""

    def __init__(self, proc: subprocess.Popen, port: int, log_path: pathlib.Path):
        self.proc = proc
        self.port = port
        self.url = f"http://127.0.0.1:{port}/mcp"
        self.log_path = log_path

    def alive(self) -> bool:
        return self.proc.poll() is None

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def rss_kb(self) -> int:
        return rss_kb(self.proc.pid)

    def session(self, read_timeout: float = 90.0):
        """`async with served.session() as c:` — a fresh MCP session."""
        return open_session(self.url, read_timeout)


def open_session(url: str, read_timeout: float = 90.0):
    return unwrapped(Client(url, mode="legacy", read_timeout_seconds=read_timeout))


@contextmanager
def server(binaries, sim: Sim | None, workdir: pathlib.Path, name: str, *args: str, **env: str):
    """`worksection-mcp serve` in admin-key mode against `sim` (or, with
    `sim` None, against WORKSECTION_ACCOUNT_URL given in `env`, or its own
    demo account with `--demo` in `args`), with extra settings in `env`;
    its log goes to out/<name>.stderr.log."""
    OUT.mkdir(parents=True, exist_ok=True)
    workdir.mkdir(parents=True, exist_ok=True)
    log_path = OUT / f"{name}.stderr.log"
    log = open(log_path, "w")
    if sim is not None:
        full_env = server_env(sim, workdir / f"cache-{name}", **env)
    else:
        full_env = {k: v for k, v in os.environ.items() if not k.startswith(SERVER_ENV_PREFIXES)}
        full_env.update(MCP_SERVER_PORT="0", FILE_CACHE_PATH=str(workdir / f"cache-{name}"), LOG_LEVEL="info")
        full_env.update(env)
    proc = subprocess.Popen(
        [str(binaries["mcp"]), "serve", *args],
        env=full_env,
        cwd=workdir,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=log,
    )
    try:
        port = int(wait_serving(proc, log_path).group(2))
        yield Served(proc, port, log_path)
    finally:
        stop_process(proc)
        log.close()


@contextmanager
def signed_in(binaries, name: str, home: pathlib.Path, *args: str):
    """A simulator of its own (`simulator`, with `args`) that accepts a
    redirect to a free local port, and `worksection-mcp login` done against
    it in `home`; yields the simulator and the signed-in `test_signin.Run`
    (its `serve()` starts the server in OAuth2 mode)."""
    from test_signin import Run

    port = free_port()
    redirect = f"https://localhost:{port}/oauth/callback"
    with simulator(binaries, name, "--rps", "0", *args, "--redirect-uri", redirect) as osim:
        run = Run(binaries, dict(osim.info, callback_port=port, redirect=redirect), home)
        rc, err = run.login()
        assert rc == 0, err
        yield osim, run


def rss_kb(pid: int) -> int:
    """Resident memory of a process, in KiB, from /proc/<pid>/status."""
    for line in pathlib.Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError(f"no VmRSS for pid {pid}")


def by_action(sim: Sim, action: str) -> int:
    return sim.stats()["by_action"].get(action, 0)


# --------------------------------------------------------------- MCP without the SDK


MCP_HEADERS = {"Content-Type": "application/json", "Accept": "application/json, text/event-stream"}


def _post(port: int, path: str, message: dict, headers: dict, timeout: float) -> tuple[int, dict, list[dict]]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("POST", path, body=json.dumps(message).encode(), headers={**MCP_HEADERS, **headers})
        resp = conn.getresponse()
        text = resp.read().decode("utf-8", "replace")
        hdrs = {k.lower(): v for k, v in resp.getheaders()}
    finally:
        conn.close()
    if "text/event-stream" in hdrs.get("content-type", ""):
        msgs = [json.loads(l[5:]) for l in text.splitlines() if l.startswith("data:") and l[5:].strip()]
    else:
        try:
            msgs = [json.loads(text)] if text.strip() else []
        except ValueError:
            msgs = []
    return resp.status, hdrs, msgs


def raw_call(port: int, tool: str, args: dict | None = None, timeout: float = 60.0, path: str = "/mcp") -> dict:
    """One tool call over plain HTTP (initialize, initialized, tools/call),
    for threads and places where the SDK's event loop is in the way.
    Returns the JSON-RPC result (or raises on a JSON-RPC error)."""
    init = {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "initialize",
        "params": {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "e2e-raw", "version": "0"}},
    }
    status, hdrs, _ = _post(port, path, init, {}, timeout)
    assert status == 200, status
    sid = {"Mcp-Session-Id": hdrs["mcp-session-id"]}
    _post(port, path, {"jsonrpc": "2.0", "method": "notifications/initialized"}, sid, timeout)
    call = {"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {"name": tool, "arguments": args or {}}}
    status, _, msgs = _post(port, path, call, sid, timeout)
    for m in msgs:
        if m.get("id") == 2:
            if "error" in m:
                raise AssertionError(f"JSON-RPC error: {m['error']}")
            return m["result"]
    raise AssertionError(f"no answer to tools/call (HTTP {status})")


def result_text(result: dict) -> str:
    return "\n".join(b.get("text", "") for b in result.get("content", []) if b.get("type") == "text")

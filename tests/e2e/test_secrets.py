"""Secrets: where tokens may and may not end up, and a crash mid-refresh.

1. A crash (kill -9) at points of a token refresh — right as the
   simulator rotates the tokens, a few milliseconds later, while the new set
   is being saved, after — leaves a token store that opens, and a sign-in
   that either still works or says "sign in again"; never a store that
   cannot be read. Each point is tried with `serve` restarted and
   `get_current_user` called.
2. Last of the whole run (marker `last`; after a run spread over xdist's
   workers, alone in a run of its own, as scripts/test does): every file the
   end-to-end tests wrote — the server logs under out/, the file caches, the
   token store folders (all but the encrypted token file and its key), the
   scratch folders — is scanned for the simulator's client secret and admin API
   key, the MCP bearer token, refresh tokens (they start with `def50200`)
   and any 64-hex-digit run (every access token, refresh token and
   authorization code the simulator issues is one). The token file and its
   key are 0600.
"""

from __future__ import annotations

import json
import os
import pathlib
import re
import stat
import threading
import time

import pytest

import procs
from conftest import EARLIER_BASETEMP, OUT
from processes import stop_process

ACCESS_TTL = 3
HEX64 = re.compile(rb"(?<![0-9a-f])[0-9a-f]{64}(?![0-9a-f])")
# Where the kill lands, in seconds after the simulator counted the refresh
# (a negative value: after the call started, without waiting for it).
KILL_POINTS = [0.0, 0.0, 0.001, 0.002, 0.004, 0.008, 0.015, 0.03, 0.06, 0.12, 0.3, -0.005, -0.02]


def refreshes(info: dict) -> int:
    import urllib.request

    with urllib.request.urlopen(info["stats_url"], timeout=10) as r:
        return json.loads(r.read())["oauth"].get("refresh", 0)


def port_of(url: str) -> int:
    return int(url.rsplit(":", 1)[1].split("/", 1)[0])


def test_kill_9_during_a_token_refresh_never_corrupts_the_store(binaries, tmp_path):
    outcomes = {"still works": 0, "sign in again": 0}
    by_point: list[tuple[float, str]] = []
    with procs.signed_in(binaries, "sim-crash", tmp_path, "--access-ttl", str(ACCESS_TTL)) as (_, run):
        info = run.info
        proc, url, _ = run.serve()
        try:
            me = procs.raw_call(port_of(url), "get_current_user")
            assert not me.get("isError"), me
            me_id = me["structuredContent"]["id"]
        finally:
            stop_process(proc)

        for point in KILL_POINTS:
            proc, url, log = run.serve()
            # Renewal comes a tenth of the token's lifetime before it runs
            # out; wait that out, so this call is the one that renews it.
            time.sleep(ACCESS_TTL)
            before = refreshes(info)
            caller = threading.Thread(target=_call_quietly, args=(port_of(url),), daemon=True)
            started = time.monotonic()
            caller.start()
            if point >= 0:
                deadline = time.monotonic() + 30
                while refreshes(info) == before:
                    assert time.monotonic() < deadline, f"no refresh seen; see {log}"
                time.sleep(point)
            else:
                time.sleep(max(0.0, -point - (time.monotonic() - started)))
            proc.kill()
            proc.wait(timeout=10)
            caller.join(timeout=30)

            # Restart: the store must open (serve refuses to start on a store
            # it cannot read), and the sign-in works or asks for a new one.
            proc, url, log = run.serve()
            try:
                result = procs.raw_call(port_of(url), "get_current_user")
            finally:
                stop_process(proc)
            if not result.get("isError"):
                assert result["structuredContent"]["id"] == me_id
                outcomes["still works"] += 1
                by_point.append((point, "still works"))
            else:
                text = procs.result_text(result)
                assert "sign in again" in text.lower(), f"kill at {point}: unclear after the crash: {text}"
                outcomes["sign in again"] += 1
                by_point.append((point, "sign in again"))
                rc, err = run.login()
                assert rc == 0, err
        for name in ("tokens.enc", "tokens.key"):
            mode = stat.S_IMODE((tmp_path / name).stat().st_mode)
            assert mode == 0o600, f"{name} is {oct(mode)}"
    (OUT / "crash-summary.json").write_text(json.dumps({"kills": len(KILL_POINTS), **outcomes, "by_point": by_point}, indent=1))


def _call_quietly(port: int) -> None:
    try:
        procs.raw_call(port, "get_current_user", timeout=30)
    except Exception:  # noqa: BLE001 - the server is killed under it
        pass


# --------------------------------------------------------------- the scan


# Encrypted by design; everything else must be free of secrets.
ENCRYPTED = {"tokens.enc", "tokens.key"}
# Binary downloads in the file caches: scanned for the named secrets only,
# since 64 hex digits could occur in a picture by chance.
BINARY_SUFFIXES = {".bin"}


def _skip(path: pathlib.Path) -> bool:
    parts = set(path.parts)
    if path.name in ENCRYPTED or ".pytest_cache" in parts or "node_modules" in parts or ".venv" in parts:
        return True
    # The simulator is the test double playing Worksection: its own log is
    # not the product's output.
    return path.parent == OUT and path.name.startswith("sim")


@pytest.mark.last
def test_no_secret_in_any_file_written(sim, workdir, tmp_path_factory):
    from test_endpoint import TOKEN

    needles = {
        "the OAuth client secret": sim.info["client_secret"].encode(),
        "the admin API key": sim.info["api_key"].encode(),
        "the MCP bearer token": TOKEN.encode(),
        "a refresh token": b"def50200",
    }
    assert not os.environ.get("PYTEST_XDIST_WORKER"), (
        "the scan must run after every other test, not beside them on an xdist worker: "
        "run the others with `-m 'not last'`, then this one alone with `-m last` and "
        "E2E_EARLIER_BASETEMP set to their --basetemp (scripts/test does)"
    )
    roots = [OUT, pathlib.Path(workdir), tmp_path_factory.getbasetemp()]
    if EARLIER_BASETEMP:
        earlier = pathlib.Path(EARLIER_BASETEMP)
        assert earlier.is_dir(), f"E2E_EARLIER_BASETEMP={earlier} is not a folder"
        roots.append(earlier)
    scanned, total_bytes, server_logs = 0, 0, 0
    leaks: list[str] = []
    seen: set[pathlib.Path] = set()
    for root in roots:
        for path in sorted(root.rglob("*")):
            if not path.is_file() or path in seen or _skip(path):
                continue
            seen.add(path)
            data = path.read_bytes()
            scanned += 1
            total_bytes += len(data)
            if path.suffix == ".log" and (path.name.startswith("server") or path.name.startswith("serve-")):
                server_logs += 1
            for what, needle in needles.items():
                if needle in data:
                    at = data.index(needle)
                    leaks.append(f"{what} in {path}: …{data[max(0, at - 60): at + 20]!r}…")
            if path.suffix not in BINARY_SUFFIXES:
                m = HEX64.search(data)
                if m:
                    leaks.append(f"a 64-hex-digit token in {path}: …{data[max(0, m.start() - 60): m.end()]!r}…")
    summary = {"files": scanned, "bytes": total_bytes, "server_logs": server_logs, "leaks": len(leaks)}
    (OUT / "secrets-summary.json").write_text(json.dumps(summary, indent=1))
    assert server_logs >= 1, f"no server log was scanned: {summary}"
    assert not leaks, "\n".join(leaks[:30])
    # Token files are readable by their owner only.
    for root in roots:
        for path in root.rglob("tokens.*"):
            if path.name in ENCRYPTED:
                mode = stat.S_IMODE(path.stat().st_mode)
                assert mode == 0o600, f"{path} is {oct(mode)}"

"""Process helpers both Python test suites use (tests/e2e and
tests/desktop): reading a child's first line with a timeout, stopping a
child, a free local port, waiting for a port to listen, and running the
simulator (`worksection-sim`).

With WS_SIM_QUIRKS=1 in the environment every simulator runs with
`--quirks`: it answers in the odd shapes real accounts send (see the
simulator's `quirks` module), and the suites run once that way too. The
tests' own view of the account then asks with `quirks=off` (`QUIRKS_OFF`),
so expectations stay those of the plain data.

A plain module on purpose: each suite has its own venv and runs on its own,
and each suite's pytest.ini puts this folder on sys.path (`pythonpath =
../support`).
"""

from __future__ import annotations

import contextlib
import json
import os
import pathlib
import queue
import socket
import subprocess
import threading
import time

QUIRKS = os.environ.get("WS_SIM_QUIRKS", "") not in ("", "0")
# A query parameter that answers one request plainly under `--quirks`.
QUIRKS_OFF = {"quirks": "off"} if QUIRKS else {}


def read_line(stream, timeout: float) -> str | None:
    """The next line of `stream`, or None if none comes within `timeout`
    seconds (the reading thread is left behind, a daemon)."""
    q: queue.Queue = queue.Queue()
    threading.Thread(target=lambda: q.put(stream.readline()), daemon=True).start()
    try:
        return q.get(timeout=timeout)
    except queue.Empty:
        return None


def stop_process(proc: subprocess.Popen, grace: float = 10.0) -> int | None:
    """Terminates `proc` if it still runs (kills it after `grace` seconds);
    returns its exit status."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=grace)
    return proc.returncode


def free_port() -> int:
    """A local TCP port nothing listens on (at the moment of asking)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port: int, timeout: float) -> bool:
    """Whether something listens on the local `port` within `timeout` s."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return True
        except OSError:
            time.sleep(0.1)
    return False


@contextlib.contextmanager
def simulator_process(binary, log_path: pathlib.Path, *args: str, timeout: float):
    """`worksection-sim` with `args`, its stderr to `log_path`; yields the
    process and the account it prints first (a dict), or None for the
    account if it printed none within `timeout` s. Stopped on leaving."""
    with open(log_path, "w") as log:
        argv = [str(binary), *args, *(["--quirks"] if QUIRKS and "--quirks" not in args else [])]
        proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=log, text=True)
        try:
            line = read_line(proc.stdout, timeout)
            yield proc, (json.loads(line) if line else None)
        finally:
            stop_process(proc)

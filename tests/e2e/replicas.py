"""The replicated topology on loopback (issue 24): Debian's `redis-server`,
three `worksection-mcp serve --team --redis-url ...` replicas against one
simulator, and Debian's `nginx` in front of them, all started here and
stopped on leaving; nothing is left running.

- `Redis`: `redis-server` on a free port with `--appendonly yes` in a
  folder of its own (so a stop and start keeps what it held, as the
  sign-ins need) and a password (AUTH, given in the replicas' URL);
  `stop()` and `start()` again on the same port.
- `Replica`: one team server, its own port and data folder, every replica
  with the same store key, public address (the load balancer's) and
  Redis. `kill()` is `kill -9`; `start()` again on the same port.
- `Nginx`: a generated config in a folder of its own (`nginx -p DIR -c
  nginx.conf`, pid, logs and temp files inside it): round robin over the
  replicas for requests without a session (2026-07-28 clients, every
  `initialize`), a session's requests to one replica (a consistent hash
  of `Mcp-Session-Id`: it holds the session's streams, and it keeps
  serving it while Redis is down), HTTP/1.1 keepalive to them, no
  buffering (server-sent events), and `proxy_next_upstream error timeout
  http_502 http_503 non_idempotent`, so a request to a dead replica goes
  to the next one (which takes the session up from Redis).
- `topology(...)` starts the lot and yields a `Topology`; `sign_in(...)`
  signs a person in through the simulator's OAuth (the same walk as
  test_team.py's) and gives a `Person` whose `token()` stays fresh
  (renewed through the refresh token as it nears expiry).

The simulator is the caller's: it has to accept the load balancer's
callback (`--redirect-uri`), so the caller picks the balancer's port first
(`free_port()`) and passes it in.

Missing `redis-server` or `nginx` fails naming the Debian packages
(`redis-server`, `nginx-light`); scripts/test installs them.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import os
import pathlib
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

from conftest import OUT, READY_TIMEOUT, SERVER_ENV_PREFIXES
from processes import free_port, stop_process, wait_port

REPLICAS = 3
REDIS_BIN = "redis-server"
NGINX_BIN = "nginx"
PACKAGES = {REDIS_BIN: "redis-server", NGINX_BIN: "nginx-light"}
# Where Debian puts nginx; /usr/sbin is not on every PATH.
SEARCH = os.pathsep.join([os.environ.get("PATH", ""), "/usr/sbin", "/usr/local/sbin", "/sbin"])
REDIRECT = "http://127.0.0.1:9/callback"


def tool(name: str) -> str:
    """The path of `redis-server` or `nginx`, or an AssertionError naming
    the Debian package to install."""
    found = shutil.which(name, path=SEARCH)
    if not found:
        raise AssertionError(
            f"`{name}` is not installed; the replicated topology needs Debian's `{PACKAGES[name]}` "
            f"(apt-get install redis-server nginx-light)"
        )
    return found


def missing_tools() -> list[str]:
    """The Debian packages to install for the topology (empty when none)."""
    return [PACKAGES[n] for n in PACKAGES if not shutil.which(n, path=SEARCH)]


def _wait_for(what: str, check, timeout: float = READY_TIMEOUT, log: pathlib.Path | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.05)
    tail = log.read_text(errors="replace")[-3000:] if log and log.exists() else ""
    raise AssertionError(f"{what} did not start in {timeout} s\n{tail}")


# --------------------------------------------------------------- Redis


class Redis:
    def __init__(self, folder: pathlib.Path, name: str):
        self.folder = folder
        self.port = free_port()
        self.password = secrets.token_hex(16)
        self.url = f"redis://:{self.password}@127.0.0.1:{self.port}"
        self.log_path = OUT / f"{name}-redis.log"
        self.proc: subprocess.Popen | None = None
        self.log_path.write_text("")

    def start(self) -> None:
        binary = tool(REDIS_BIN)
        log = open(self.log_path, "a")
        self.proc = subprocess.Popen(
            [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.folder),
             "--appendonly", "yes", "--save", "", "--daemonize", "no", "--protected-mode", "yes",
             "--requirepass", self.password],
            cwd=self.folder, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
        )
        log.close()
        _wait_for("redis-server", lambda: self.ping() or self.proc.poll() is not None, log=self.log_path)
        assert self.proc.poll() is None, self.log_path.read_text()[-3000:]

    def ping(self) -> bool:
        try:
            return self.command("PING") == b"+PONG\r\n"
        except OSError:
            return False

    def command(self, *args: str) -> bytes:
        """One command (RESP, after AUTH), its raw answer."""
        def resp(*words: str) -> bytes:
            return b"*%d\r\n" % len(words) + b"".join(b"$%d\r\n%s\r\n" % (len(w.encode()), w.encode()) for w in words)

        with socket.create_connection(("127.0.0.1", self.port), timeout=2) as s:
            s.sendall(resp("AUTH", self.password) + resp(*args))
            out = b""
            while out.count(b"\r\n") < 2 or not out.endswith(b"\r\n"):
                chunk = s.recv(65536)
                if not chunk:
                    break
                out += chunk
            ok = b"+OK\r\n"
            if not out.startswith(ok):
                raise OSError(f"Redis refused AUTH: {out[:100]!r}")
            return out[len(ok):]

    def stop(self) -> None:
        if self.proc:
            stop_process(self.proc)


# --------------------------------------------------------------- replicas


class Replica:
    def __init__(self, binaries, index: int, env: dict[str, str], folder: pathlib.Path, name: str,
                 files: pathlib.Path | None = None):
        self.binaries = binaries
        self.index = index
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.url = f"{self.base}/mcp"
        self.folder = folder / f"replica-{index}"
        self.folder.mkdir(parents=True, exist_ok=True)
        self.env = dict(
            env,
            MCP_SERVER_PORT=str(self.port),
            MCP_DATA_DIR=str(self.folder / "store"),
            FILE_CACHE_PATH=str((files or self.folder) / f"cache-replica-{index}"),
        )
        self.log_path = OUT / f"{name}-replica-{index}.stderr.log"
        self.log_path.write_text("")
        self.proc: subprocess.Popen | None = None
        self.runs = 0

    def start(self) -> None:
        self.runs += 1
        with open(self.log_path, "a") as log:
            log.write(f"--- run {self.runs} ---\n")
        start_at = self.log_path.stat().st_size
        log = open(self.log_path, "a")
        self.proc = subprocess.Popen(
            [str(self.binaries["mcp"]), "serve"],
            env=self.env, cwd=self.folder, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=log,
        )
        log.close()

        def serving() -> bool:
            text = self.log_path.read_bytes()[start_at:].decode(errors="replace")
            if self.proc.poll() is not None:
                raise AssertionError(f"replica {self.index} exited with {self.proc.returncode}:\n{text[-3000:]}")
            return "serving a team at" in text

        _wait_for(f"replica {self.index}", serving, log=self.log_path)

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def kill(self) -> None:
        """`kill -9`: no goodbye, nothing flushed."""
        if self.alive():
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.proc:
            stop_process(self.proc)

    def get(self, path: str) -> tuple[int, bytes]:
        return http_get(self.base + path)

    def post_status(self, path: str, token: str) -> tuple[int, bytes]:
        """A JSON-RPC `ping` POSTed with a bearer token: the status and body."""
        req = urllib.request.Request(
            self.base + path, method="POST",
            data=json.dumps({"jsonrpc": "2.0", "id": 1, "method": "ping"}).encode(),
            headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json",
                     "Accept": "application/json, text/event-stream"},
        )
        try:
            with urllib.request.urlopen(req, timeout=10) as r:
                return r.status, r.read()
        except urllib.error.HTTPError as e:
            return e.code, e.read()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


def http_get(url: str, timeout: float = 10) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


# --------------------------------------------------------------- nginx

NGINX_CONF = """\
# Generated by tests/e2e/replicas.py: the replicas' load balancer.
{user}worker_processes 1;
pid {dir}/nginx.pid;
error_log {dir}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log {dir}/access.log;
    client_body_temp_path {dir}/client_body;
    proxy_temp_path {dir}/proxy;
    fastcgi_temp_path {dir}/fastcgi;
    uwsgi_temp_path {dir}/uwsgi;
    scgi_temp_path {dir}/scgi;
    client_max_body_size 16m;
    upstream replicas {{
        # A session's requests to one replica; none (an empty key): round robin.
        hash $http_mcp_session_id consistent;
{servers}
        keepalive 32;
    }}
    server {{
        listen 127.0.0.1:{port};
        location / {{
            proxy_pass http://replicas;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $http_host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_buffering off;
            proxy_cache off;
            proxy_connect_timeout 2s;
            proxy_read_timeout 300s;
            proxy_send_timeout 300s;
            proxy_next_upstream error timeout http_502 http_503 non_idempotent;
            proxy_next_upstream_tries {tries};
            # Which replica answered (the tests find a call's replica by it).
            add_header X-Upstream $upstream_addr always;
        }}
    }}
}}
"""


class Nginx:
    def __init__(self, folder: pathlib.Path, port: int, replicas: list[Replica], name: str):
        self.folder = folder
        self.port = port
        self.base = f"http://127.0.0.1:{port}"
        self.log_path = OUT / f"{name}-nginx.log"
        servers = "\n".join(f"        server 127.0.0.1:{r.port} max_fails=1 fail_timeout=2s;" for r in replicas)
        user = "user root root;\n" if os.geteuid() == 0 else ""
        conf = NGINX_CONF.format(user=user, dir=folder, servers=servers, port=port, tries=len(replicas))
        (folder / "nginx.conf").write_text(conf)
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        binary = tool(NGINX_BIN)
        log = open(self.log_path, "w")
        # -e: the error log from the first line on (not /var/log/nginx's).
        self.proc = subprocess.Popen(
            [binary, "-p", str(self.folder), "-c", "nginx.conf", "-e", str(self.folder / "error.log"),
             "-g", "daemon off;"],
            cwd=self.folder, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
        )
        log.close()
        _wait_for("nginx", lambda: wait_port(self.port, 0.1) or self.proc.poll() is not None, log=self.log_path)
        assert self.proc.poll() is None, self.log_path.read_text() + (self.folder / "error.log").read_text()

    def stop(self) -> None:
        if self.proc:
            # SIGQUIT: nginx's graceful stop (its workers go with it).
            if self.proc.poll() is None:
                self.proc.send_signal(signal.SIGQUIT)
                try:
                    self.proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    self.proc.kill()
                    self.proc.wait(timeout=10)
            errors = self.folder / "error.log"
            if errors.exists():
                with open(self.log_path, "a") as log:
                    log.write(errors.read_text(errors="replace"))


# --------------------------------------------------------------- the whole


class Topology:
    def __init__(self, redis: Redis, replicas: list[Replica], lb: Nginx, key: str):
        self.redis = redis
        # The key every replica seals with (MCP_TEAM_KEY), which `team
        # people` and `team revoke` need too.
        self.key = key
        self.replicas = replicas
        self.lb = lb
        self.base = lb.base
        self.url = f"{lb.base}/mcp"

    def alive(self) -> bool:
        return all(r.alive() for r in self.replicas) and self.lb.proc.poll() is None

    def log(self) -> str:
        return "".join(r.log() for r in self.replicas)


def replica_env(sim_info: dict, public: str, redis_url: str, key: str, admin: bool, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(SERVER_ENV_PREFIXES)}
    env.update(
        MCP_TEAM="true",
        MCP_PUBLIC_URL=public,
        MCP_REDIS_URL=redis_url,
        MCP_TEAM_KEY=key,
        WORKSECTION_CLIENT_ID=sim_info["client_id"],
        WORKSECTION_CLIENT_SECRET=sim_info["client_secret"],
        WORKSECTION_OAUTH_URL=sim_info["oauth_url"],
        WORKSECTION_REQUESTS_PER_SECOND="20",
        MCP_TEAM_ACCESS_TOKEN_SECONDS="3600",
        LOG_FORMAT="json",
        LOG_LEVEL="info",
    )
    if admin:
        env.update(WORKSECTION_ACCOUNT_URL=sim_info["account_url"], WORKSECTION_API_KEY=sim_info["api_key"],
                   MCP_TEAM_ADMIN_KEY="true")
    env.update(extra)
    return env


@contextlib.contextmanager
def topology(binaries, sim_info: dict, lb_port: int, name: str = "replicas", admin: bool = False,
             count: int = REPLICAS, files: pathlib.Path | None = None, **env: str):
    """Redis, `count` team servers and nginx on `lb_port` (which the
    simulator `sim_info` accepts callbacks at), started in that order and
    stopped in the reverse; `env` adds to every replica's settings. The
    replicas' file caches go to `files` (`cache-replica-N`) when given,
    else to the topology's own temporary folder, removed at the end."""
    for name_ in PACKAGES:
        tool(name_)
    OUT.mkdir(parents=True, exist_ok=True)
    folder = pathlib.Path(tempfile.mkdtemp(prefix="ws-replicas-"))
    (folder / "redis").mkdir()
    (folder / "nginx").mkdir()
    public = f"http://127.0.0.1:{lb_port}"
    redis = Redis(folder / "redis", name)
    key = secrets.token_hex(32)
    started: list = []
    try:
        redis.start()
        started.append(redis)
        common = replica_env(sim_info, public, redis.url, key, admin, **env)
        servers = [Replica(binaries, i + 1, common, folder, name, files) for i in range(count)]
        for r in servers:
            r.start()
            started.append(r)
        lb = Nginx(folder / "nginx", lb_port, servers, name)
        lb.start()
        started.append(lb)
        yield Topology(redis, servers, lb, key)
    finally:
        for part in reversed(started):
            part.stop()
        shutil.rmtree(folder, ignore_errors=True)


# --------------------------------------------------------------- a person signed in


class Person:
    """A person's tokens from the topology's authorization server; `token()`
    is a fresh access token (renewed through the refresh token when less
    than a minute is left), safe to call from several threads."""

    def __init__(self, base: str, client_id: str, tokens: dict, secrets_seen: list[str]):
        self.base = base
        self.client_id = client_id
        self.secrets = secrets_seen
        self._lock = threading.Lock()
        self._take(tokens)

    def _take(self, tokens: dict) -> None:
        self.access = tokens["access_token"]
        self.refresh = tokens["refresh_token"]
        self.until = time.monotonic() + tokens["expires_in"]
        self.secrets.extend([self.access, self.refresh])

    def token(self) -> str:
        with self._lock:
            if self.until - time.monotonic() < 60:
                self.renew()
            return self.access

    def renew(self) -> None:
        from test_team import request

        status, _, body = request(f"{self.base}/token", {
            "grant_type": "refresh_token", "refresh_token": self.refresh, "client_id": self.client_id,
            "resource": f"{self.base}/mcp",
        })
        fresh = json.loads(body)
        assert status == 200, fresh
        self._take(fresh)


def sign_in(base: str, email: str) -> Person:
    """Registers a client, then walks a sign-in as `email` (the server's
    /authorize, the simulator's page, the server's consent, as
    test_team.py's `browse` does) and exchanges the code with PKCE."""
    from test_team import TEAM_SECRETS, browse, request

    reg = urllib.request.Request(
        f"{base}/register",
        data=json.dumps({"redirect_uris": [REDIRECT], "token_endpoint_auth_method": "none",
                         "client_name": "e2e through the replicas"}).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(reg, timeout=30) as r:
        client = json.loads(r.read())["client_id"]
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")
    back = browse(f"{base}/authorize?" + urllib.parse.urlencode({
        "response_type": "code", "client_id": client, "redirect_uri": REDIRECT, "state": "st",
        "code_challenge": challenge, "code_challenge_method": "S256", "resource": f"{base}/mcp",
    }), email)
    assert "code" in back, back
    status, _, body = request(f"{base}/token", {
        "grant_type": "authorization_code", "code": back["code"], "redirect_uri": REDIRECT,
        "client_id": client, "code_verifier": verifier, "resource": f"{base}/mcp",
    })
    tokens = json.loads(body)
    assert status == 200, tokens
    return Person(base, client, tokens, TEAM_SECRETS)


def owner_email(api) -> str:
    return next(u for u in api.data("get_users") if u.get("role") == "Owner")["email"]

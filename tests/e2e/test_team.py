"""Team mode end to end: `worksection-mcp serve --team` in front of the
simulator, reached by the official MCP SDKs' OAuth clients.

- The Python SDK's `OAuthClientProvider` signs in two different people of
  the simulator (discovery from the 401, one through a client ID metadata
  document served over HTTPS by this test, one through dynamic
  registration; PKCE; the simulator's page choosing the person; the
  server's own Allow) and calls tools: each sees exactly the projects
  Worksection shows them (expectations from the admin API's project
  teams), and A's cursor, offload id and file are refused to B.
- The TypeScript SDK's client does the same (team_client.mjs).
- `@modelcontextprotocol/conformance authorization` passes against the
  server's authorization server, and its server suite with
  `--requirements 2026-07-28` passes against /mcp with a person's token
  (the same scenarios as against the plain server; bearer_proxy.py adds
  the token, which the suite cannot send itself).
- Refusals carry the specification's error and status: no token, wrong
  audience, expired, revoked, tampered, a replayed code, a PKCE mismatch,
  an unregistered redirect URI, a metadata document too large, too slow
  or on a private address.
- A restart keeps signed-in clients working through their refresh tokens;
  `team people` and `team revoke` list and end sign-ins.
- No token, code or secret appears in the logs, the metrics or the audit
  log.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import os
import pathlib
import re
import secrets
import shutil
import sqlite3
import ssl
import subprocess
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import SimpleNamespace

import anyio
import httpx2
import pytest
from mcp import Client
from mcp.client.auth import OAuthClientProvider
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.auth import AuthorizationCodeResult, OAuthClientMetadata

import helpers as h
from bearer_proxy import BearerProxy
from conftest import OUT, READY_TIMEOUT, SERVER_ENV_PREFIXES, AdminApi, unwrapped, wait_serving
from processes import free_port, simulator_process, stop_process, wait_port

pytestmark = pytest.mark.anyio

REDIRECT = "http://127.0.0.1:9/callback"
INITIALIZE = json.dumps({
    "jsonrpc": "2.0", "id": 1, "method": "initialize",
    "params": {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "team-e2e", "version": "1"}},
}).encode()
# Small answers, so a list has a next page and a large answer an offload.
BUDGET = "2000"
TEAM_SECRETS: list[str] = []


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


NO_REDIRECT = urllib.request.build_opener(NoRedirect)


def request(url: str, data: dict | None = None, headers: dict | None = None) -> tuple[int, "email.message.Message", bytes]:
    """One HTTP request without following redirects: status, headers, body."""
    body = urllib.parse.urlencode(data).encode() if data is not None else None
    req = urllib.request.Request(url, data=body, headers=headers or {}, method="POST" if body is not None else "GET")
    try:
        with NO_REDIRECT.open(req, timeout=30) as r:
            return r.status, r.headers, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()


def browse(authorize_url: str, email: str, decision: str = "allow") -> dict[str, str]:
    """Walks the browser part of a sign-in as `email`: the server's
    /authorize, the simulator's page, the server's consent. Returns the
    query of the redirect back to the client."""
    status, headers, body = request(authorize_url)
    assert status == 302, (status, re.sub(r"<[^>]+>", " ", body.decode(errors="replace")).split("}")[-1][-400:])
    at_ws = urllib.parse.urlsplit(headers["Location"])
    form = urllib.parse.parse_qsl(at_ws.query) + [("decision", "allow"), ("email", email)]
    status, headers, _ = request(f"{at_ws.scheme}://{at_ws.netloc}/oauth2/authorize", dict(form))
    assert status == 302, status
    # The callback sends the browser on to the consent page with the
    # sign-in in a cookie, so the address shown carries no code.
    status, headers, _ = request(headers["Location"])
    assert status == 303 and headers["Location"] == "/oauth/consent", status
    cookie = headers["Set-Cookie"].split(";")[0]
    base = authorize_url.split("/authorize")[0]
    status, _, page = request(f"{base}/oauth/consent", headers={"Cookie": cookie})
    assert status == 200, (status, page[:500])
    html = page.decode()
    assert "Allow" in html and email in html, html[:2000]
    flow = re.search(r'name="flow" value="([^"]+)"', html).group(1)
    TEAM_SECRETS.append(flow)
    status, headers, _ = request(f"{base}/oauth/consent", {"flow": flow, "decision": decision})
    assert status == 302, status
    back = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(headers["Location"]).query))
    if "code" in back:
        TEAM_SECRETS.append(back["code"])
    return back


# --------------------------------------------------------------- an HTTPS host for metadata documents


def make_certificate(folder: pathlib.Path) -> tuple[pathlib.Path, pathlib.Path, pathlib.Path]:
    """A test CA, and a certificate for 127.0.0.1 it signed: the CA's file
    (for the server to trust), the certificate's and its key's."""
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    now = dt.datetime.now(dt.timezone.utc)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "team-e2e test CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    leaf = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    ca_path, cert_path, key_path = folder / "test-ca.pem", folder / "metadata-host.pem", folder / "metadata-host.key"
    ca_path.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    cert_path.write_bytes(leaf.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return ca_path, cert_path, key_path


class MetadataHost:
    """Client ID metadata documents over HTTPS on loopback: a good one, one
    too large, one too slow."""

    def __init__(self, folder: pathlib.Path):
        self.ca, cert, key = make_certificate(folder)
        host = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                if self.path == "/client.json":
                    body = json.dumps(host.document()).encode()
                elif self.path == "/big.json":
                    doc = host.document("/big.json")
                    doc["padding"] = "x" * 100_000
                    body = json.dumps(doc).encode()
                elif self.path == "/slow.json":
                    time.sleep(8)
                    body = json.dumps(host.document("/slow.json")).encode()
                else:
                    self.send_response(404)
                    self.end_headers()
                    return
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                try:
                    self.wfile.write(body)
                except OSError:
                    pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(cert, key)
        self.server.socket = ctx.wrap_socket(self.server.socket, server_side=True)
        self.base = f"https://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def document(self, path: str = "/client.json") -> dict:
        return {
            "client_id": f"{self.base}{path}",
            "client_name": "Python SDK test (metadata document)",
            "redirect_uris": [REDIRECT],
            "grant_types": ["authorization_code", "refresh_token"],
            "response_types": ["code"],
            "token_endpoint_auth_method": "none",
        }

    def close(self):
        self.server.shutdown()


# --------------------------------------------------------------- the team server


class Team:
    def __init__(self, binaries, sim_info: dict, port: int, data: pathlib.Path, ca: pathlib.Path):
        self.binaries = binaries
        self.sim_info = sim_info
        self.port = port
        self.data = data
        self.base = f"http://127.0.0.1:{port}"
        self.url = f"{self.base}/mcp"
        self.ca = ca
        self.proc: subprocess.Popen | None = None
        self.runs = 0
        self.log_path = OUT / "team-server.stderr.log"

    def env(self, **extra: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(SERVER_ENV_PREFIXES)}
        env.update(
            MCP_TEAM="true",
            MCP_PUBLIC_URL=self.base,
            MCP_SERVER_PORT=str(self.port),
            MCP_DATA_DIR=str(self.data / "store"),
            FILE_CACHE_PATH=str(self.data / "files"),
            WORKSECTION_CLIENT_ID=self.sim_info["client_id"],
            WORKSECTION_CLIENT_SECRET=self.sim_info["client_secret"],
            WORKSECTION_OAUTH_URL=self.sim_info["oauth_url"],
            WORKSECTION_REQUESTS_PER_SECOND="20",
            MCP_MAX_ANSWER_TOKENS=BUDGET,
            MCP_TEAM_METADATA_LOOPBACK="true",
            MCP_TEAM_METADATA_CA_FILE=str(self.ca),
            MCP_TEAM_ACCESS_TOKEN_SECONDS="60",
            LOG_FORMAT="json",
            LOG_LEVEL="debug",
        )
        env.update(extra)
        return env

    def start(self):
        self.runs += 1
        log = open(self.log_path, "a")
        log.write(f"--- run {self.runs} ---\n")
        log.flush()
        start_at = self.log_path.stat().st_size
        self.proc = subprocess.Popen(
            [str(self.binaries["mcp"]), "serve"],
            env=self.env(),
            cwd=self.data,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=log,
        )
        log.close()
        deadline = time.monotonic() + READY_TIMEOUT
        while time.monotonic() < deadline:
            text = self.log_path.read_bytes()[start_at:].decode(errors="replace")
            if "serving a team at" in text:
                return
            assert self.proc.poll() is None, text[-3000:]
            time.sleep(0.05)
        raise AssertionError("the team server did not start")

    def stop(self):
        if self.proc:
            stop_process(self.proc)

    def cli(self, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [str(self.binaries["mcp"]), "team", *args],
            env=self.env(),
            cwd=self.data,
            capture_output=True,
            text=True,
            timeout=60,
        )


@pytest.fixture(scope="module")
def team_world(binaries):
    OUT.mkdir(exist_ok=True)
    (OUT / "team-server.stderr.log").write_text("")
    data = pathlib.Path(tempfile.mkdtemp(prefix="ws-team-e2e-"))
    port = free_port()
    host = MetadataHost(data)
    args = (
        "--port", "0", "--rps", "0", "--dataset", "demo",
        "--redirect-uri", f"http://127.0.0.1:{port}/oauth/worksection/callback",
    )
    with simulator_process(binaries["sim"], OUT / "sim-team.stderr.log", *args, timeout=READY_TIMEOUT) as (_, info):
        assert info, "the simulator did not start"
        team = Team(binaries, info, port, data, host.ca)
        team.start()
        try:
            yield team, AdminApi(info["account_url"], info["api_key"]), host
        finally:
            team.stop()
            host.close()
            shutil.rmtree(data, ignore_errors=True)


class People:
    """Two members who see different projects, and what each should see."""

    def __init__(self, api: AdminApi):
        users = api.data("get_users")
        projects = api.data("get_projects", extra="users")
        teams = {p["id"]: {u["id"] for u in p.get("users", [])} for p in projects}

        def seen_by(u):
            if u["role"] in ("Owner", "Account admin"):
                return set(teams)
            return {p for p, members in teams.items() if u["id"] in members}

        plain = [u for u in users if u["role"] == "User"]
        pairs = [(a, b) for a in plain for b in plain if a["id"] < b["id"] and seen_by(a) - seen_by(b) and seen_by(a)]
        assert pairs, "two members who see different projects"
        self.a, self.b = pairs[0]
        self.sees = {self.a["email"]: seen_by(self.a), self.b["email"]: seen_by(self.b)}
        # A file of a project A sees and B does not.
        only_a = sorted(seen_by(self.a) - seen_by(self.b))
        self.file = None
        for pid in only_a:
            files = api.data("get_files", id_project=pid)
            if files:
                self.file = files[0]["id"]
                break
            for t in api.data("get_tasks", id_project=pid):
                files = api.data("get_files", id_task=t["id"])
                if files:
                    self.file = files[0]["id"]
                    break
            if self.file:
                break
        assert self.file, "a file only A sees"


class MemoryStorage:
    def __init__(self):
        self.tokens = None
        self.client_info = None

    async def get_tokens(self):
        return self.tokens

    async def set_tokens(self, tokens):
        self.tokens = tokens
        TEAM_SECRETS.extend(t for t in (tokens.access_token, tokens.refresh_token) if t)

    async def get_client_info(self):
        return self.client_info

    async def set_client_info(self, info):
        self.client_info = info
        if getattr(info, "client_secret", None):
            TEAM_SECRETS.append(info.client_secret)


def provider(team: Team, email: str, storage: MemoryStorage, metadata_url: str | None = None) -> OAuthClientProvider:
    result: dict = {}

    async def redirect_handler(url: str) -> None:
        back = await anyio.to_thread.run_sync(browse, url, email)
        result.update(back)

    async def callback_handler() -> AuthorizationCodeResult:
        assert "code" in result, result
        return AuthorizationCodeResult(code=result["code"], state=result.get("state"), iss=result.get("iss"))

    return OAuthClientProvider(
        server_url=team.url,
        client_metadata=OAuthClientMetadata(
            client_name="Python SDK test (registered)",
            redirect_uris=[REDIRECT],
            grant_types=["authorization_code", "refresh_token"],
            response_types=["code"],
            token_endpoint_auth_method="none",
        ),
        storage=storage,
        redirect_handler=redirect_handler,
        callback_handler=callback_handler,
        client_metadata_url=metadata_url,
    )


def session(team: Team, auth: OAuthClientProvider):
    http = httpx2.AsyncClient(auth=auth, timeout=90)
    return unwrapped(Client(streamable_http_client(team.url, http_client=http), mode="legacy", read_timeout_seconds=90))


def project_ids(body: dict) -> set[str]:
    return {str(p["id"]) for p in body["data"]}


@pytest.fixture(scope="module")
def people(team_world) -> People:
    return People(team_world[1])


@pytest.fixture(scope="module")
def signed_in(team_world, people):
    """Both people signed in through the Python SDK: A by metadata
    document, B by registration. Their storages survive the module."""
    team, _, host = team_world
    out = {}
    for email, metadata_url in ((people.a["email"], f"{host.base}/client.json"), (people.b["email"], None)):
        storage = MemoryStorage()
        out[email] = (storage, provider(team, email, storage, metadata_url))
    return out


# --------------------------------------------------------------- tests


async def test_python_sdk_two_people_see_their_own_worksection(team_world, people, signed_in):
    team, _, _ = team_world
    seen = {}
    for email, (_, auth) in signed_in.items():
        async with session(team, auth) as c:
            body = h.payload(await c.call_tool("get_projects", {"status_filter": "all"}), "get_projects")
            body = await h.whole_answer(c, "get_projects", {"status_filter": "all"})
            seen[email] = project_ids(body)
            me = h.payload(await c.call_tool("get_current_user", {}), "get_current_user")
            assert email in json.dumps(me), me
    for email, projects in seen.items():
        assert projects == people.sees[email], email
    assert seen[people.a["email"]] != seen[people.b["email"]]
    a_client = signed_in[people.a["email"]][0].client_info.client_id
    b_client = signed_in[people.b["email"]][0].client_info.client_id
    assert a_client.startswith("https://127.0.0.1:") and a_client.endswith("/client.json"), "A used the metadata document"
    assert b_client.startswith("wsc_"), "B registered"


async def test_a_cursor_offload_and_file_of_a_are_not_there_for_b(team_world, people, signed_in):
    team, _, _ = team_world
    _, a_auth = signed_in[people.a["email"]]
    _, b_auth = signed_in[people.b["email"]]
    async with session(team, a_auth) as a:
        first = h.payload(await a.call_tool("get_all_tasks", {}), "get_all_tasks")
        cursor, offload = first.get("next_cursor"), first.get("offload_id")
        assert cursor and offload, sorted(first)
        file = await a.call_tool("get_file_content", {"file_id": str(people.file)})
        assert not file.is_error, h.error_text(file)
        nxt = await a.call_tool("get_all_tasks", {"cursor": cursor})
        assert not nxt.is_error, "A's own cursor works"
    async with session(team, b_auth) as b:
        r = await b.call_tool("get_all_tasks", {"cursor": cursor})
        assert r.is_error and "start over" in h.error_text(r), h.error_text(r)
        r = await b.call_tool("read_offloaded_response_text", {"response_id": offload})
        assert r.is_error, h.error_text(r)
        r = await b.call_tool("get_file_content", {"file_id": str(people.file)})
        assert r.is_error, "B cannot read A's file"
    # A's file is in A's folder only.
    folders = sorted(p.name for p in (team.data / "files" / "team").iterdir())
    assert len(folders) == 2, folders
    holders = [f for f in folders if any((team.data / "files" / "team" / f).rglob("*"))]
    assert holders, folders


def test_typescript_sdk_two_people(team_world, people):
    team, _, _ = team_world
    node = os.environ.get("E2E_NODE")
    if not node:
        pytest.skip("E2E_NODE is not set; run under `eval \"$(scripts/e2e-tools)\"`")
    config = {"url": team.url, "people": [people.a["email"], people.b["email"]], "file": str(people.file)}
    out = subprocess.run(
        [node, str(pathlib.Path(__file__).parent / "team_client.mjs"), json.dumps(config)],
        capture_output=True,
        text=True,
        timeout=240,
        cwd=pathlib.Path(__file__).parent,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    result = json.loads(out.stdout.strip().splitlines()[-1])
    for email in config["people"]:
        assert set(result[email]["projects"]) == people.sees[email], email
        assert result[email]["client_id"].startswith("wsc_")
    cross = result["cross"]
    assert cross["cursor"] and "start over" in cross["cursor"], cross
    assert cross["offload"], cross
    assert cross["file"], cross
    assert cross["own_file_ok"], cross


def test_conformance_authorization_passes(team_world, people):
    team, _, _ = team_world
    node, suite = os.environ.get("E2E_NODE"), os.environ.get("E2E_CONFORMANCE_NEXT")
    if not (node and suite):
        pytest.skip("E2E_NODE/E2E_CONFORMANCE_NEXT are not set; run under `eval \"$(scripts/e2e-tools)\"`")
    port = free_port()
    reg = urllib.request.Request(
        f"{team.base}/register",
        data=json.dumps({
            "redirect_uris": [f"http://127.0.0.1:{port}/callback"],
            "client_name": "MCP conformance suite",
            "token_endpoint_auth_method": "none",
        }).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(reg, timeout=10) as r:
        client_id = json.loads(r.read())["client_id"]
    proc = subprocess.Popen(
        [node, suite, "authorization", "--url", team.base, "--client-id", client_id,
         "--resource", team.url, "--port", str(port), "--output-dir", str(OUT / "conformance-authorization")],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines = []
    try:
        for line in proc.stdout:
            lines.append(line)
            if line.startswith(f"{team.base}/authorize?"):
                back = browse(line.strip(), people.a["email"])
                callback = f"http://127.0.0.1:{port}/callback?" + urllib.parse.urlencode(back)
                # The suite listens for the callback only after printing the address.
                assert wait_port(port, 30), "the conformance suite's callback server did not start"
                threading.Thread(target=lambda: urllib.request.urlopen(callback, timeout=30).close(), daemon=True).start()
        proc.wait(timeout=60)
    finally:
        stop_process(proc)
    text = "".join(lines)
    (OUT / "conformance-authorization.log").write_text(text)
    assert proc.returncode == 0, text[-4000:]
    total = re.search(r"Total: (\d+) passed, (\d+) failed", text)
    assert total and int(total.group(1)) >= 3 and total.group(2) == "0", text[-4000:]


async def test_server_conformance_2026_07_28_passes_with_a_token(team_world, people, tmp_path):
    """The server conformance suite with `--requirements 2026-07-28`
    against the team server's /mcp, with a person's access token: the
    same scenarios pass, and fail, as against the plain server
    (test_conformance.py). The suite has no option for headers, so it
    reaches /mcp through a loopback proxy that adds the token (renewed
    through the refresh token as it nears expiry, as a client would)."""
    if not (os.environ.get("E2E_NODE") and os.environ.get("E2E_CONFORMANCE_NEXT")):
        pytest.skip("E2E_NODE/E2E_CONFORMANCE_NEXT are not set; run under `eval \"$(scripts/e2e-tools)\"`")
    from test_conformance import MUST_PASS_2026, conformance_next, run_suite

    team, _, _ = team_world
    storage = MemoryStorage()
    auth = provider(team, people.a["email"], storage)
    async with session(team, auth) as c:
        assert (await c.list_tools()).tools
    tokens = {"access": storage.tokens.access_token, "refresh": storage.tokens.refresh_token,
              "until": time.monotonic() + storage.tokens.expires_in}
    client_id = storage.client_info.client_id
    lock = threading.Lock()

    def token() -> str:
        with lock:
            if tokens["until"] - time.monotonic() < 20:
                status, _, body = request(f"{team.base}/token", {
                    "grant_type": "refresh_token", "refresh_token": tokens["refresh"], "client_id": client_id,
                    "resource": team.url,
                })
                fresh = json.loads(body)
                assert status == 200, fresh
                TEAM_SECRETS.extend([fresh["access_token"], fresh["refresh_token"]])
                tokens.update(access=fresh["access_token"], refresh=fresh["refresh_token"],
                              until=time.monotonic() + fresh["expires_in"])
            return tokens["access"]

    proxy = BearerProxy(team.base, token)
    try:
        report = run_suite(
            SimpleNamespace(url=f"{proxy.base}/mcp"),
            tmp_path,
            conformance_next(),
            ["--requirements", "2026-07-28"],
            "conformance-2026-07-28-expected-failures.yml",
            "conformance-2026-07-28-team.txt",
        )
    finally:
        proxy.close()
    assert "Baseline check passed" in report, report[-4000:]
    for scenario in MUST_PASS_2026:
        assert re.search(rf"✓ {re.escape(scenario)}: \d+ passed, 0 failed", report), f"{scenario} did not pass:\n{report[-4000:]}"
    assert proxy.requests > 50, proxy.requests
    # Every request went in as the person: the server refused none for its
    # token (counted at the proxy: the report's timestamps hold any number).
    assert not proxy.refused, proxy.refused
    assert "invalid_token" not in report, report[-4000:]


def test_health_metrics_and_audit(team_world, people):
    team, _, _ = team_world
    with urllib.request.urlopen(f"{team.base}/healthz", timeout=10) as r:
        assert r.status == 200
    with urllib.request.urlopen(f"{team.base}/readyz", timeout=10) as r:
        assert json.loads(r.read())["status"] == "ready"
    with urllib.request.urlopen(f"{team.base}/metrics", timeout=10) as r:
        metrics = r.read().decode()
    for name in (
        "worksection_team_tool_calls_total",
        "worksection_team_tool_call_seconds",
        "worksection_team_upstream_requests_total",
        "worksection_team_pace_wait_seconds",
        "worksection_team_sign_ins_total",
    ):
        assert name in metrics, name
    assert 'tool="get_projects"' in metrics
    rows = sqlite3.connect(team.data / "store" / "team.sqlite3").execute("SELECT data FROM audit").fetchall()
    entries = [json.loads(r[0]) for r in rows]
    assert {e["person"] for e in entries} >= {f"{urllib.parse.urlsplit(team.sim_info['account_url']).netloc}/{people.a['id']}"}
    tools = {e["tool"] for e in entries}
    assert {"get_projects", "get_all_tasks", "get_file_content"} <= tools
    assert any(e["ids"] == f'file_id="{people.file}"' for e in entries), [e for e in entries if e["tool"] == "get_file_content"]
    assert all(set(e) == {"at", "person", "client_id", "tool", "ids", "outcome", "bytes", "duration_ms", "upstream_requests"} for e in entries)


def test_refusals_carry_the_specification_errors(team_world, people):
    team, _, host = team_world

    def mcp(token: str | None, body: bytes = INITIALIZE) -> tuple[int, str, dict]:
        headers = {"Content-Type": "application/json", "Accept": "application/json, text/event-stream"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        req = urllib.request.Request(
            team.url,
            data=body,
            headers=headers,
            method="POST",
        )
        try:
            with urllib.request.urlopen(req, timeout=10) as r:
                return r.status, r.headers.get("WWW-Authenticate", ""), {}
        except urllib.error.HTTPError as e:
            return e.code, e.headers.get("WWW-Authenticate", ""), json.loads(e.read() or b"{}")

    status, challenge, _ = mcp(None)
    assert status == 401
    assert f'resource_metadata="{team.base}/.well-known/oauth-protected-resource/mcp"' in challenge
    assert 'scope="worksection:read"' in challenge
    # The token is asked for before anything else is read: a broken body
    # without one gets the challenge too, not a JSON-RPC error.
    status, challenge, _ = mcp(None, b'{"jsonrpc": "2.0", "id": 1, "method": ')
    assert status == 401 and "resource_metadata=" in challenge, (status, challenge)

    reg = urllib.request.Request(
        f"{team.base}/register",
        data=json.dumps({"redirect_uris": [REDIRECT], "token_endpoint_auth_method": "none"}).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(reg, timeout=10) as r:
        client = json.loads(r.read())["client_id"]
    verifier = secrets.token_urlsafe(48)
    challenge_s256 = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")

    def authorize_url(client_id: str, redirect: str = REDIRECT) -> str:
        return f"{team.base}/authorize?" + urllib.parse.urlencode({
            "response_type": "code", "client_id": client_id, "redirect_uri": redirect, "state": "st",
            "code_challenge": challenge_s256, "code_challenge_method": "S256", "resource": team.url,
        })

    def exchange(code: str, v: str = verifier) -> tuple[int, dict]:
        status, _, body = request(f"{team.base}/token", {
            "grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT,
            "client_id": client, "code_verifier": v, "resource": team.url,
        })
        return status, json.loads(body)

    # PKCE mismatch.
    back = browse(authorize_url(client), people.a["email"])
    assert back["iss"] == team.base
    status, body = exchange(back["code"], secrets.token_urlsafe(48))
    assert (status, body["error"]) == (400, "invalid_grant")

    # A replayed code ends the tokens of its first use.
    back = browse(authorize_url(client), people.a["email"])
    status, tokens = exchange(back["code"])
    assert status == 200, tokens
    TEAM_SECRETS.extend([tokens["access_token"], tokens["refresh_token"]])
    assert mcp(tokens["access_token"])[0] == 200
    status, body = exchange(back["code"])
    assert (status, body["error"]) == (400, "invalid_grant")
    status, challenge, body = mcp(tokens["access_token"])
    assert (status, body.get("error")) == (401, "invalid_token") and 'error="invalid_token"' in challenge

    # Tampered, then revoked.
    back = browse(authorize_url(client), people.a["email"])
    status, tokens = exchange(back["code"])
    TEAM_SECRETS.extend([tokens["access_token"], tokens["refresh_token"]])
    tampered = tokens["access_token"][:-1] + ("A" if tokens["access_token"][-1] != "A" else "B")
    status, _, body = mcp(tampered)
    assert (status, body["error"]) == (401, "invalid_token")
    status, _, _ = request(f"{team.base}/revoke", {"token": tokens["refresh_token"], "client_id": client})
    assert status == 200
    status, _, body = mcp(tokens["access_token"])
    assert (status, body["error"]) == (401, "invalid_token")

    # Expired: this server's access tokens live 60 seconds.
    back = browse(authorize_url(client), people.a["email"])
    status, tokens = exchange(back["code"])
    TEAM_SECRETS.extend([tokens["access_token"], tokens["refresh_token"]])
    assert tokens["expires_in"] == 60
    assert mcp(tokens["access_token"])[0] == 200
    expiring = tokens["access_token"]

    # Wrong audience: a resource that is not this server's is refused at
    # the token endpoint, and a token of this server is refused by a
    # server at another address sharing the store (the second server).
    status, _, body = request(f"{team.base}/token", {
        "grant_type": "refresh_token", "refresh_token": tokens["refresh_token"], "client_id": client,
        "resource": "https://other.example/mcp",
    })
    assert (status, json.loads(body)["error"]) == (400, "invalid_target")
    other_port = free_port()
    other = subprocess.Popen(
        [str(team.binaries["mcp"]), "serve"],
        env=team.env(MCP_PUBLIC_URL=f"http://127.0.0.1:{other_port}", MCP_SERVER_PORT=str(other_port)),
        cwd=team.data, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=open(OUT / "team-other.stderr.log", "w"),
    )
    try:
        deadline = time.monotonic() + READY_TIMEOUT
        while "serving a team" not in (OUT / "team-other.stderr.log").read_text(errors="replace"):
            assert other.poll() is None and time.monotonic() < deadline
            time.sleep(0.05)
        req = urllib.request.Request(
            f"http://127.0.0.1:{other_port}/mcp",
            data=INITIALIZE,
            headers={"Authorization": f"Bearer {expiring}", "Content-Type": "application/json",
                     "Accept": "application/json, text/event-stream"},
            method="POST",
        )
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(req, timeout=10)
        assert refused.value.code == 401
        body = json.loads(refused.value.read())
        assert body["error"] == "invalid_token" and "another resource" in body["error_description"]
    finally:
        stop_process(other)

    # An unregistered redirect URI: refused here, never redirected to.
    status, headers, body = request(authorize_url(client, "https://evil.example/callback"), headers={"Accept": "application/json"})
    assert status == 400 and "Location" not in headers
    assert json.loads(body)["error"] == "invalid_request"

    # Metadata documents: too large, too slow, on a private address.
    for client_id, words in (
        (f"{host.base}/big.json", "larger than"),
        (f"{host.base}/slow.json", "did not arrive"),
        ("https://169.254.169.254/latest/meta-data/client.json", "private"),
        ("https://10.1.2.3/client.json", "private"),
    ):
        started = time.monotonic()
        status, _, body = request(authorize_url(client_id), headers={"Accept": "application/json"})
        assert status == 400, (client_id, body)
        body = json.loads(body)
        assert body["error"] == "invalid_client" and words in body["error_description"], (client_id, body)
        assert time.monotonic() - started < 8, f"{client_id} was given up on in time"

    # The expiring token expires.
    time.sleep(61)
    status, _, body = mcp(expiring)
    assert (status, body["error"]) == (401, "invalid_token") and "expired" in body["error_description"]


async def test_a_restart_keeps_clients_signed_in_through_refresh_tokens(team_world, people, signed_in):
    team, _, _ = team_world
    team.stop()
    team.start()
    # Each SDK client renews through its refresh token, which the restarted
    # server knows from its store; no one is asked to sign in again.
    for email, (storage, auth) in signed_in.items():
        before = storage.tokens.refresh_token
        auth.context.token_expiry_time = time.time() - 1

        async def no_browser(url: str) -> None:
            raise AssertionError("a restart must not need a new sign-in")

        auth.context.redirect_handler = no_browser
        async with session(team, auth) as c:
            body = await h.whole_answer(c, "get_projects", {"status_filter": "all"})
            assert project_ids(body) == people.sees[email]
        assert storage.tokens.refresh_token != before, "the refresh token rotated"


def test_people_and_revoke(team_world, people, signed_in):
    team, _, _ = team_world
    out = team.cli("people")
    assert out.returncode == 0, out.stderr
    for email in (people.a["email"], people.b["email"]):
        assert email in out.stdout
    out = team.cli("revoke", people.b["email"])
    assert out.returncode == 0, out.stderr
    storage, _ = signed_in[people.b["email"]]
    status, _, body = request(f"{team.base}/token", {
        "grant_type": "refresh_token", "refresh_token": storage.tokens.refresh_token,
        "client_id": storage.client_info.client_id,
    })
    assert (status, json.loads(body)["error"]) == (400, "invalid_grant")
    out = team.cli("revoke", "nobody@example.com")
    assert out.returncode != 0 and "Nobody signed in as" in out.stderr


def test_no_secret_in_logs_metrics_or_the_audit_log(team_world):
    team, _, _ = team_world
    assert len(TEAM_SECRETS) > 10
    with urllib.request.urlopen(f"{team.base}/metrics", timeout=10) as r:
        metrics = r.read().decode()
    audit = "\n".join(
        r[0] for r in sqlite3.connect(team.data / "store" / "team.sqlite3").execute("SELECT data FROM audit")
    )
    logs = "".join(p.read_text(errors="replace") for p in OUT.glob("team-*.log"))
    store = (team.data / "store" / "team.sqlite3").read_bytes()
    for secret in TEAM_SECRETS + [team.sim_info["client_secret"]]:
        for where, text in (("logs", logs), ("metrics", metrics), ("audit", audit)):
            assert secret not in text, f"a secret in the {where}"
        assert secret.encode() not in store, "a secret in the store"
    for line in (OUT / "team-server.stderr.log").read_text().splitlines():
        if line.startswith("{"):
            json.loads(line)

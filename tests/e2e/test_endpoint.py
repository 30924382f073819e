"""The local endpoint against web pages and the network.

The server listens on the person's own computer, where any page open in a
browser can send requests to it. Raw HTTP (http.client, so every header is
ours) proves:

- it listens on loopback only by default (the socket in /proc/net/tcp);
- a foreign `Origin` (another site, `null`, another port) gets 403, and a
  `Host` that is not loopback (DNS rebinding) gets 403, while the server's
  own origin and loopback names are served;
- no response, preflight or not, carries a CORS header that would let a
  page read an answer;
- a request body over the 4 MB limit is refused with 413, and the server
  keeps serving;
- with `MCP_AUTH_TOKEN` every MCP request needs the bearer token (401
  without it or with a wrong one, served with it), `/healthz` stays open;
- it refuses to listen beyond loopback without a token, and with one it
  serves on 0.0.0.0 (reached here through loopback only).
"""

from __future__ import annotations

import http.client
import json
import subprocess

import pytest

import procs
from conftest import OUT, server_env

INIT = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "e2e-endpoint", "version": "0"}},
}
MCP_HEADERS = {"Content-Type": "application/json", "Accept": "application/json, text/event-stream"}
TOKEN = "e2e-token-" + "0123456789abcdef" * 2
CORS_HEADERS = (
    "access-control-allow-origin",
    "access-control-allow-credentials",
    "access-control-allow-headers",
    "access-control-allow-methods",
    "access-control-expose-headers",
)


def port_of(url: str) -> int:
    return int(url.split("//", 1)[1].split("/", 1)[0].rsplit(":", 1)[1])


def request(port: int, method: str, path: str = "/mcp", body: bytes | None = None, headers: dict | None = None, host: str | None = None):
    """One raw HTTP request to 127.0.0.1:port; returns (status, headers, body)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
        conn.putheader("Host", host if host is not None else f"127.0.0.1:{port}")
        for k, v in (headers or {}).items():
            conn.putheader(k, v)
        if body is not None:
            conn.putheader("Content-Length", str(len(body)))
        conn.endheaders()
        if body is not None:
            conn.send(body)
        resp = conn.getresponse()
        data = resp.read()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, data
    finally:
        conn.close()


def init(port: int, headers: dict | None = None, host: str | None = None):
    return request(port, "POST", body=json.dumps(INIT).encode(), headers={**MCP_HEADERS, **(headers or {})}, host=host)


def no_cors(headers: dict, what: str) -> None:
    found = {k: headers[k] for k in CORS_HEADERS if k in headers}
    assert not found, f"{what}: CORS headers let a web page read the answer: {found}"


# --------------------------------------------------------------- loopback, Host and Origin


def listening_addresses(port: int) -> list[str]:
    """Local addresses of sockets listening on `port`, from /proc/net/tcp{,6}."""
    found = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = open(table).read().splitlines()[1:]
        except FileNotFoundError:
            continue
        for line in lines:
            fields = line.split()
            local, state = fields[1], fields[3]
            addr, hexport = local.rsplit(":", 1)
            if state == "0A" and int(hexport, 16) == port:
                found.append(addr)
    return found


def test_listens_on_loopback_only_by_default(server):
    addrs = listening_addresses(port_of(server.url))
    # 0100007F is 127.0.0.1 in /proc's little-endian hex.
    assert addrs == ["0100007F"], f"listening on {addrs}"


@pytest.mark.parametrize(
    "origin",
    ["http://evil.example", "https://attacker.test", "null", "http://127.0.0.1:1", "http://localhost.evil.example:PORT", "file://"],
)
def test_foreign_origin_is_refused(server, origin):
    port = port_of(server.url)
    status, headers, body = init(port, {"Origin": origin.replace("PORT", str(port))})
    assert status == 403, (status, body[:200])
    no_cors(headers, origin)
    # The refusal comes before any session exists.
    assert "mcp-session-id" not in headers
    status, headers, _ = request(port, "GET", headers={"Origin": origin, "Accept": "text/event-stream"})
    assert status == 403
    no_cors(headers, origin)


@pytest.mark.parametrize(
    "host",
    ["evil.example", "evil.example:PORT", "127.0.0.1.evil.example:PORT", "localhost.evil.example", "192.168.1.10:PORT", "[::2]:PORT", ""],
)
def test_rebinding_host_is_refused(server, host):
    port = port_of(server.url)
    status, headers, body = init(port, host=host.replace("PORT", str(port)))
    assert status in (400, 403), (host, status, body[:200])
    assert status == 403 or not host, (host, status)
    assert "mcp-session-id" not in headers


@pytest.mark.parametrize("host", ["127.0.0.1:PORT", "localhost:PORT", "localhost", "127.0.0.1"])
def test_loopback_names_and_own_origin_are_served(server, host):
    port = port_of(server.url)
    h = host.replace("PORT", str(port))
    status, headers, body = init(port, host=h)
    assert status == 200, (host, status, body[:200])
    assert headers.get("mcp-session-id")
    status, headers, body = init(port, {"Origin": f"http://{'localhost' if 'localhost' in h else '127.0.0.1'}:{port}"}, host=h)
    assert status == 200, (host, status, body[:200])
    no_cors(headers, "own origin")


# --------------------------------------------------------------- CORS


@pytest.mark.parametrize("origin", ["http://evil.example", "http://127.0.0.1:PORT"])
def test_no_cors_lets_a_page_read_answers(server, origin):
    port = port_of(server.url)
    origin = origin.replace("PORT", str(port))
    for path in ("/mcp", "/healthz"):
        status, headers, _ = request(
            port,
            "OPTIONS",
            path,
            headers={
                "Origin": origin,
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "content-type, mcp-session-id, authorization",
            },
        )
        no_cors(headers, f"preflight OPTIONS {path} from {origin} ({status})")
    status, headers, _ = init(port, {"Origin": origin})
    no_cors(headers, f"POST from {origin} ({status})")
    status, headers, _ = request(port, "GET", "/mcp", headers={"Origin": origin, "Accept": "text/event-stream"})
    no_cors(headers, f"GET from {origin} ({status})")
    status, headers, _ = request(port, "GET", "/healthz", headers={"Origin": origin})
    assert status == 200
    no_cors(headers, f"GET /healthz from {origin}")


# --------------------------------------------------------------- body size


@pytest.mark.parametrize("size_mb", [5, 64])
def test_request_bodies_over_the_limit_are_refused(server, size_mb):
    port = port_of(server.url)
    filler = "x" * (size_mb << 20)
    body = json.dumps({**INIT, "params": {**INIT["params"], "clientInfo": {"name": filler, "version": "0"}}}).encode()
    try:
        status, headers, text = init_raw(port, body)
    except (ConnectionError, http.client.HTTPException) as e:
        # Closing the connection on a huge body is a refusal too.
        status, text = None, str(e).encode()
    assert status in (413, None), (status, text[:200])
    # Still serving, and the limit leaves room for real requests (1 MB).
    status, _, _ = init_raw(port, json.dumps({**INIT, "params": {**INIT["params"], "clientInfo": {"name": "y" * (1 << 20), "version": "0"}}}).encode())
    assert status == 200
    assert server.alive()


def init_raw(port: int, body: bytes):
    return request(port, "POST", body=body, headers=MCP_HEADERS)


def test_a_lying_content_length_does_not_hang_the_server(server):
    """A body shorter than its Content-Length: the request fails or times
    out on its own connection; other clients are served meanwhile."""
    import socket

    port = port_of(server.url)
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    try:
        s.sendall(
            f"POST /mcp HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\n"
            f"Accept: application/json, text/event-stream\r\nContent-Length: 1000000\r\n\r\n{{".encode()
        )
        status, _, _ = init(port)
        assert status == 200
    finally:
        s.close()
    assert server.alive()


# --------------------------------------------------------------- the bearer token


@pytest.fixture(scope="module")
def token_server(binaries, sim, tmp_path_factory):
    with procs.server(binaries, sim, tmp_path_factory.mktemp("token"), "server-token", MCP_AUTH_TOKEN=TOKEN) as s:
        yield s


@pytest.mark.parametrize(
    "auth",
    [None, "Bearer wrong-token-0123456789abcdef", f"Bearer {TOKEN}x", f"Basic {TOKEN}", TOKEN, f"Bearer {TOKEN[:-1]}", "Bearer "],
)
def test_token_is_required(token_server, auth):
    port = token_server.port
    headers = {"Authorization": auth} if auth is not None else {}
    status, resp_headers, body = init(port, headers)
    assert status == 401, (auth, status, body[:200])
    assert resp_headers.get("www-authenticate", "").startswith("Bearer")
    assert "mcp-session-id" not in resp_headers
    assert TOKEN.encode() not in body
    for method in ("GET", "DELETE"):
        status, _, _ = request(port, method, headers={**headers, "Accept": "text/event-stream", "Mcp-Session-Id": "x"})
        assert status == 401, (method, auth, status)


def test_token_lets_the_client_in(token_server):
    port = token_server.port
    status, headers, body = init(port, {"Authorization": f"Bearer {TOKEN}"})
    assert status == 200, body[:300]
    sid = headers["mcp-session-id"]
    auth = {"Authorization": f"Bearer {TOKEN}", "Mcp-Session-Id": sid}
    status, _, _ = request(port, "POST", body=json.dumps({"jsonrpc": "2.0", "method": "notifications/initialized"}).encode(), headers={**MCP_HEADERS, **auth})
    assert status in (200, 202)
    call = {"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {"name": "get_users", "arguments": {}}}
    status, headers, body = request(port, "POST", body=json.dumps(call).encode(), headers={**MCP_HEADERS, **auth})
    assert status == 200 and b"total_count" in body, body[:300]
    # The session alone is not enough: every request needs the token.
    status, _, _ = request(port, "POST", body=json.dumps(call).encode(), headers={**MCP_HEADERS, "Mcp-Session-Id": sid})
    assert status == 401
    # Health checks need no token.
    status, _, body = request(port, "GET", "/healthz")
    assert status == 200 and b"ok" in body
    assert TOKEN not in token_server.log(), "the token appears in the server's log"


def serve_once(binaries, sim, workdir, **env) -> subprocess.CompletedProcess | None:
    """Runs `serve` expecting it to refuse to start; None if it started."""
    OUT.mkdir(parents=True, exist_ok=True)
    full = server_env(sim, workdir / "cache-refuse", **env)
    proc = subprocess.Popen(
        [str(binaries["mcp"]), "serve"], env=full, cwd=workdir, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        out, err = proc.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        return None
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.0.2.1"])
def test_refuses_to_listen_beyond_loopback_without_a_token(binaries, sim, tmp_path, host):
    done = serve_once(binaries, sim, tmp_path, MCP_SERVER_HOST=host)
    assert done is not None, f"serve started on {host} without a token"
    assert done.returncode != 0
    assert "MCP_AUTH_TOKEN" in done.stderr, done.stderr
    assert "panicked" not in done.stderr


@pytest.mark.parametrize("token", ["short", "has spaces in it 0123456789"])
def test_weak_tokens_are_refused(binaries, sim, tmp_path, token):
    done = serve_once(binaries, sim, tmp_path, MCP_SERVER_HOST="0.0.0.0", MCP_AUTH_TOKEN=token)
    assert done is not None and done.returncode != 0
    assert "MCP_AUTH_TOKEN" in done.stderr and token not in done.stderr, done.stderr


def test_beyond_loopback_with_a_token(binaries, sim, tmp_path):
    with procs.server(binaries, sim, tmp_path, "server-any-address", MCP_SERVER_HOST="0.0.0.0", MCP_AUTH_TOKEN=TOKEN) as served:
        assert listening_addresses(served.port) == ["00000000"]
        status, _, _ = init(served.port)
        assert status == 401
        status, _, _ = init(served.port, {"Authorization": f"Bearer {TOKEN}"})
        assert status == 200

"""A loopback HTTP proxy that signs every request it forwards with a
bearer token, for MCP test tools that cannot send one themselves (the
conformance suite's `server` command has no option for headers).

It forwards method, path, headers and body to one upstream origin, adds
`Authorization: Bearer <token>`, and streams the answer back as it
arrives (server-sent events included). It stands where the server is: a
`Host` or `Origin` naming the proxy's own address (its port on
`127.0.0.1`, `localhost` or `[::1]`) is rewritten to the server's, as if
the tool had called the server directly; any other (a
DNS-rebinding probe's `evil.example.com`) reaches the server unchanged,
so its Host and Origin checks are what the tool sees. The token comes
from a callable asked before each request, so it can renew itself the way
a real client does.
"""

from __future__ import annotations

import http.client
import threading
import urllib.parse
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

# Headers of one hop only (RFC 9110 §7.6.1), never forwarded.
HOP = {"connection", "keep-alive", "proxy-connection", "transfer-encoding", "te", "trailer", "upgrade"}


class BearerProxy:
    def __init__(self, upstream: str, token: Callable[[], str]):
        up = urllib.parse.urlsplit(upstream)
        assert up.scheme == "http" and up.hostname, upstream
        target = (up.hostname, up.port or 80)
        upstream_host = up.netloc
        self.requests = 0
        # What the server answered with 401 (a token it refused), by path.
        self.refused: list[str] = []
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def forward(self):
                proxy.requests += 1
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP and k.lower() != "authorization"}
                headers["Authorization"] = f"Bearer {token()}"
                for k in list(headers):
                    if k.lower() == "host" and headers[k] in own_hosts:
                        headers[k] = upstream_host
                    elif k.lower() == "origin" and headers[k] in {f"http://{h}" for h in own_hosts}:
                        headers[k] = f"http://{upstream_host}"
                conn = http.client.HTTPConnection(*target, timeout=120)
                try:
                    conn.request(self.command, self.path, body=body, headers=headers)
                    resp = conn.getresponse()
                    if resp.status == 401:
                        proxy.refused.append(f"{self.command} {self.path}")
                    self.send_response_only(resp.status, resp.reason)
                    sized = resp.getheader("Content-Length") is not None
                    for k, v in resp.getheaders():
                        if k.lower() not in HOP:
                            self.send_header(k, v)
                    if not sized and resp.status not in (204, 304) and self.command != "HEAD":
                        self.send_header("Transfer-Encoding", "chunked")
                    self.end_headers()
                    while chunk := resp.read1(65536):
                        self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk) if not sized else chunk)
                        self.wfile.flush()
                    if not sized and resp.status not in (204, 304) and self.command != "HEAD":
                        self.wfile.write(b"0\r\n\r\n")
                    self.wfile.flush()
                except OSError:
                    # The tool closed its end (a stream it was done with).
                    self.close_connection = True
                finally:
                    conn.close()

            do_GET = do_POST = do_DELETE = do_PUT = do_PATCH = do_OPTIONS = do_HEAD = forward

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        own_port = self.server.server_address[1]
        own_hosts = {f"{name}:{own_port}" for name in ("127.0.0.1", "localhost", "[::1]")}
        self.base = f"http://127.0.0.1:{own_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()

"""The file cache against a hostile upstream and a full disk.

A small hostile stand-in for Worksection's admin API (Python, on loopback)
serves `download` with whatever a compromised or broken upstream could
send: names such as `../../../../etc/passwd.txt`, absolute paths,
backslashes, NUL bytes and 5000-character names; a 3 MB file; an endless
stream without a length; a body shorter than its Content-Length; a file of
exactly the size limit. The real server (admin-key mode) downloads from it
through `download_file`. Proves:

- nothing is ever written outside the cache directory, and inside it only
  `<id>.bin`/`<id>.json` pairs, whatever the name (the name is shown, never
  used as a path);
- the size cap (`MAX_FILE_SIZE_MB=1`) holds: larger files and endless
  streams are refused with a clear error, quickly and without the server's
  memory growing with the stream; a file of exactly 1 MB is kept;
- under concurrent downloads the total cap (`FILE_CACHE_MAX_MB=1`) holds,
  every kept file is whole (its facts match its bytes), and concurrent calls
  for one file download it once; an entry past its retention is fetched
  again, once, however many ask;
- a full disk (a tiny tmpfs mounted as the cache, or a small loop file
  system; skipped when neither can be mounted) gives a clear error, leaves
  no partial file, and the server keeps serving and caches again once there
  is room.
"""

from __future__ import annotations

import collections
import datetime as dt
import http.server
import json
import os
import pathlib
import re
import shutil
import subprocess
import threading
import time
import urllib.parse

import anyio
import pytest

import helpers as h
import procs

pytestmark = pytest.mark.anyio

MB = 1 << 20
PART = 300 * 1024

HOSTILE_NAMES = {
    1: "../../../../etc/passwd.txt",
    2: "/etc/shadow",
    3: "..\\..\\Windows\\System32\\evil.dll",
    4: "x" * 5000 + ".txt",
    5: "nul\x00byte\nnewline.txt",
    10: "./.hidden/../../up.txt",
    11: "C:\\evil.txt",
    12: "%2e%2e%2f%2e%2e%2fencoded.txt",
}


def disposition(name: str) -> str:
    ascii_name = "".join(c if (c.isascii() and c.isprintable() and c not in '"\\') else "_" for c in name)
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{urllib.parse.quote(name, safe='')}"


class Upstream:
    """A hostile stand-in for Worksection's `download`; counts requests per file."""

    def __init__(self):
        self.requests: collections.Counter = collections.Counter()
        upstream = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_GET(self):
                self.answer({})

            def do_POST(self):
                # Parameters come as a JSON body (the admin key's HMAC
                # header, as Worksection's SDKs send them) or in the query.
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                try:
                    params = json.loads(body) if body.strip().startswith(b"{") else {}
                except ValueError:
                    params = {}
                self.answer({k: str(v) for k, v in params.items()})

            def json(self, body: dict):
                data = json.dumps(body).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def file(self, name: str, data: bytes, length: int | None = None):
                self.send_response(200)
                self.send_header("Content-Type", "application/octet-stream")
                self.send_header("Content-Disposition", disposition(name))
                self.send_header("Content-Length", str(len(data) if length is None else length))
                self.end_headers()
                self.wfile.write(data)

            def answer(self, body_params: dict):
                q = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(self.path).query))
                q.update(body_params)
                if q.get("action") != "download":
                    return self.json({"status": "ok", "data": []})
                fid = int(q.get("id_file", "0"))
                upstream.requests[fid] += 1
                if fid in HOSTILE_NAMES:
                    return self.file(HOSTILE_NAMES[fid], b"owned\n" * 20)
                if fid == 6:
                    return self.file("big.bin", b"\0" * (3 * MB))
                if fid == 7:
                    return self.endless()
                if fid == 8:
                    self.file("short.bin", b"12345", length=1000)
                    self.close_connection = True
                    return
                if fid == 9:
                    return self.file("exact.bin", b"\1" * MB)
                if 100 <= fid < 200:
                    return self.file(f"part-{fid}.bin", bytes([fid % 256]) * PART)
                if fid == 200:
                    return self.file("small.txt", b"small file\n" * 900)
                if fid == 300:
                    return self.file("filler.bin", b"\2" * (400 * 1024))
                return self.json({"status": "error", "status_code": 4, "message": "File not found"})

            def endless(self):
                self.send_response(200)
                self.send_header("Content-Type", "application/octet-stream")
                self.send_header("Content-Disposition", disposition("endless.bin"))
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                chunk = b"\3" * 65536
                try:
                    for _ in range(4096):  # at most 256 MB, then give up
                        self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                except (BrokenPipeError, ConnectionResetError):
                    pass
                self.close_connection = True

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture(scope="module")
def upstream():
    with Upstream() as u:
        yield u


def serve_from(binaries, upstream: Upstream, root: pathlib.Path, name: str, cache: pathlib.Path | None = None, **env):
    return procs.server(
        binaries,
        None,
        root,
        name,
        WORKSECTION_ACCOUNT_URL=upstream.url,
        WORKSECTION_API_KEY="hostile-upstream-key",
        WORKSECTION_REQUESTS_PER_SECOND="50",
        FILE_CACHE_PATH=str(cache or (root / "cache")),
        MAX_FILE_SIZE_MB="1",
        FILE_CACHE_MAX_MB="1",
        **env,
    )


async def download(served, file_id: int):
    async with served.session() as c:
        return await c.call_tool("download_file", {"file_id": str(file_id)})


def cache_files(cache: pathlib.Path) -> list[pathlib.Path]:
    return sorted(p for p in cache.rglob("*") if p.is_file())


def check_cache_layout(cache: pathlib.Path) -> dict[int, int]:
    """Only `<id>.bin`/`<id>.json` pairs in one account folder, each whole;
    returns the sizes by id."""
    sizes = {}
    for p in cache_files(cache):
        rel = p.relative_to(cache)
        assert len(rel.parts) == 2, f"unexpected path in the cache: {rel}"
        assert re.fullmatch(r"\d+\.(bin|json)", rel.name), f"unexpected file in the cache: {rel}"
        if rel.suffix == ".json":
            meta = json.loads(p.read_text())
            data = p.with_suffix(".bin")
            assert data.is_file(), f"{rel} without its data"
            assert data.stat().st_size == meta["size"], f"{rel}: facts and bytes disagree"
            sizes[meta["id"]] = meta["size"]
    return sizes


async def test_hostile_names_never_leave_the_cache(binaries, upstream, tmp_path):
    before = {p for p in tmp_path.parent.rglob("*")}
    with serve_from(binaries, upstream, tmp_path, "server-hostile") as served:
        for fid, name in HOSTILE_NAMES.items():
            result = await download(served, fid)
            body = h.payload(result, "download_file")
            assert body["size"] == len(b"owned\n" * 20)
            assert body["id"] == str(fid)
            # The uploader's name is shown (as text), never used as a path.
            assert isinstance(body["name"], str) and body["name"]
    sizes = check_cache_layout(tmp_path / "cache")
    assert sorted(sizes) == sorted(HOSTILE_NAMES)
    after = {p for p in tmp_path.parent.rglob("*")}
    outside = [p for p in after - before if tmp_path / "cache" not in p.parents and p != tmp_path / "cache"]
    outside = [p for p in outside if p.parent != procs.OUT and not p.name.startswith("server-")]
    assert not outside, f"written outside the cache: {outside}"
    for p in ("/etc/passwd.txt", "/up.txt", "/encoded.txt", str(tmp_path.parent / "up.txt")):
        assert not os.path.exists(p), p


async def test_size_cap_holds(binaries, upstream, tmp_path):
    with serve_from(binaries, upstream, tmp_path, "server-size-cap") as served:
        idle = served.rss_kb()
        for fid in (6, 7, 8):
            started = time.monotonic()
            result = await download(served, fid)
            took = time.monotonic() - started
            assert result.is_error, f"file {fid} was accepted: {h.dump(result.structured_content)}"
            text = h.error_text(result)
            if fid in (6, 7):
                assert "MAX_FILE_SIZE_MB" in text, text
            assert took < 30, f"file {fid}: {took:.1f} s"
        assert served.rss_kb() < idle + 64 * 1024, "memory grew with the endless stream"
        body = h.payload(await download(served, 9), "download_file")
        assert body["size"] == MB
        assert served.alive()
    sizes = check_cache_layout(tmp_path / "cache")
    assert sizes == {"9": MB} or sizes == {9: MB}, sizes
    assert not list((tmp_path / "cache").rglob("*.tmp"))


async def test_concurrent_downloads_keep_the_caps(binaries, upstream, tmp_path):
    cache = tmp_path / "cache"
    with serve_from(binaries, upstream, tmp_path, "server-concurrent", FILE_CACHE_RETENTION_HOURS="1") as served:
        results: dict[int, object] = {}

        async def one(fid: int):
            results[fid] = await download(served, fid)

        # 16 different files of 300 KB at once, under a 1 MB total cap.
        async with anyio.create_task_group() as tg:
            for fid in range(100, 116):
                tg.start_soon(one, fid)
        for fid, r in results.items():
            body = h.payload(r, "download_file")
            assert body["size"] == PART, fid
        sizes = check_cache_layout(cache)
        assert sum(sizes.values()) <= MB, f"{sum(sizes.values())} bytes kept under a 1 MB cap: {sizes}"
        assert sizes, "nothing kept"
        assert not list(cache.rglob("*.tmp"))

        # One file asked for by ten sessions at once: one download.
        n = upstream.requests[200]
        async with anyio.create_task_group() as tg:
            for _ in range(10):
                tg.start_soon(one, 200)
        assert upstream.requests[200] == n + 1, f"{upstream.requests[200] - n} downloads of one file"

        # Past its retention (an hour; the entry is aged by hand), it is
        # fetched again — once, however many ask.
        meta_path = next(cache.rglob("200.json"))
        meta = json.loads(meta_path.read_text())
        meta["fetched_at"] = (dt.datetime.now(dt.timezone.utc) - dt.timedelta(hours=2)).isoformat().replace("+00:00", "Z")
        meta_path.write_text(json.dumps(meta))
        async with anyio.create_task_group() as tg:
            for _ in range(10):
                tg.start_soon(one, 200)
        assert upstream.requests[200] == n + 2, "an expired file was served from the cache, or fetched more than once"
        fresh = json.loads(meta_path.read_text())
        assert fresh["fetched_at"] != meta["fetched_at"]
        check_cache_layout(cache)


def mount_tiny_fs(where: pathlib.Path, kb: int) -> str | None:
    """Mounts a `kb`-KiB file system at `where`; returns how, or None."""
    where.mkdir(parents=True, exist_ok=True)
    if shutil.which("mount") is None:
        return None
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={kb}k,mode=0700", "tmpfs", str(where)], capture_output=True)
    if r.returncode == 0:
        return "tmpfs"
    image = where.parent / "tiny.img"
    if shutil.which("mkfs.ext4"):
        subprocess.run(["truncate", "-s", f"{max(kb, 1024)}k", str(image)], check=False)
        made = subprocess.run(["mkfs.ext4", "-q", "-F", str(image)], capture_output=True)
        if made.returncode == 0 and subprocess.run(["mount", "-o", "loop", str(image), str(where)], capture_output=True).returncode == 0:
            return "loop ext4"
    return None


async def test_full_disk_gives_a_clear_error(binaries, upstream, tmp_path):
    disk = tmp_path / "tiny"
    how = mount_tiny_fs(disk, 256)
    if how is None:
        pytest.skip("cannot mount a small file system here (needs root for tmpfs or a loop device)")
    try:
        with serve_from(binaries, upstream, tmp_path, "server-full-disk", cache=disk) as served:
            result = await download(served, 300)  # 400 KB on a 256 KB disk
            left = {str(p.relative_to(disk)): p.stat().st_size for p in cache_files(disk)}
            assert result.is_error, (
                f"a full disk was reported as success ({h.dump(result.structured_content, 200)}); "
                f"the cache now holds {left} (the file is 409600 bytes)"
            )
            text = h.error_text(result)
            assert "could not be stored" in text and "disk space" in text, text
            assert not list(disk.rglob("*.tmp")), "a partial file was left behind"
            assert served.alive()
            # Room for a small file: it is cached as usual.
            body = h.payload(await download(served, 200), "download_file")
            assert body["size"] == len(b"small file\n" * 900)
            sizes = check_cache_layout(disk)
            assert sizes and 300 not in sizes and "300" not in sizes
            # A second try at the big one: still a clear error, not a corrupt entry.
            again = await download(served, 300)
            assert again.is_error and "could not be stored" in h.error_text(again)
            check_cache_layout(disk)
    finally:
        subprocess.run(["umount", str(disk)], capture_output=True)

"""Sign-in end to end: `worksection-mcp login --no-browser` against the
simulator, the consent page walked over HTTP, the redirect delivered to the
HTTPS callback, then `serve` in OAuth2 mode answering with the signed-in
user across an access-token expiry (exactly one refresh), a restart, and a
revocation (a clear "sign in again").

Also the ways a sign-in fails: Deny, a wrong state, a reused code, a bad
client secret — each one clear sentence, and no token set left behind. No
secret, code or key ever appears in any output of the run.
"""

from __future__ import annotations

import json
import os
import pathlib
import re
import ssl
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request

import pytest
from mcp import Client

import helpers as h
from conftest import OUT, READY_TIMEOUT, md5_query, unwrapped, wait_serving
from processes import QUIRKS_OFF, free_port, read_line, simulator_process, stop_process

ACCESS_TTL = 4


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def consent(url: str, oauth_url: str, decision: str = "allow") -> str:
    """Walks Worksection's consent page like a browser; returns the redirect."""
    with urllib.request.urlopen(url, timeout=10) as page:
        assert page.status == 200
        assert "Allow" in page.read().decode()
    form = urllib.parse.parse_qsl(urllib.parse.urlsplit(url).query)
    form.append(("decision", decision))
    opener = urllib.request.build_opener(NoRedirect)
    req = urllib.request.Request(oauth_url + "/oauth2/authorize", data=urllib.parse.urlencode(form).encode(), method="POST")
    try:
        opener.open(req, timeout=10)
    except urllib.error.HTTPError as redirect:
        assert redirect.code in (302, 303), redirect.code
        return redirect.headers["Location"]
    raise AssertionError("the consent page did not redirect")


def deliver(location: str) -> int:
    """Follows the redirect to the local HTTPS callback (self-signed)."""
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    with urllib.request.urlopen(location, timeout=10, context=ctx) as r:
        return r.status


@pytest.fixture(scope="module")
def oauth_sim(binaries):
    port = free_port()
    redirect = f"https://localhost:{port}/oauth/callback"
    OUT.mkdir(parents=True, exist_ok=True)
    args = ("--port", "0", "--rps", "0", "--access-ttl", str(ACCESS_TTL), "--redirect-uri", redirect)
    with simulator_process(binaries["sim"], OUT / "sim-signin.stderr.log", *args, timeout=READY_TIMEOUT) as (_, info):
        assert info, "the simulator did not start"
        yield dict(info, callback_port=port, redirect=redirect)


class Run:
    """The environment and outputs of one sign-in scenario."""

    def __init__(self, binaries, info, home: pathlib.Path, secret: str | None = None):
        self.bin = str(binaries["mcp"])
        self.info = info
        self.home = home
        self.outputs: list[str] = []
        self.env = {k: v for k, v in os.environ.items() if not k.startswith(("WORKSECTION_", "MCP_", "TOKEN_", "OAUTH_", "FILE_CACHE_"))}
        self.env.update(
            HOME=str(home),
            XDG_DATA_HOME=str(home / "data"),
            XDG_CACHE_HOME=str(home / "cache"),
            WORKSECTION_CLIENT_ID=info["client_id"],
            WORKSECTION_CLIENT_SECRET=secret or info["client_secret"],
            WORKSECTION_OAUTH_URL=info["oauth_url"],
            WORKSECTION_REDIRECT_URI=info["redirect"],
            TOKEN_STORE="file",
            TOKEN_STORAGE_PATH=str(home / "tokens.enc"),
            MCP_SERVER_PORT="0",
            # Every call goes upstream, so token expiry is really exercised.
            RESPONSE_CACHE_TTL_SECONDS="0",
            LOG_LEVEL="debug",
        )

    def login(self, decide=None, tamper=None) -> tuple[int, str]:
        proc = subprocess.Popen([self.bin, "login", "--no-browser"], env=self.env, cwd=self.home, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        url = read_line(proc.stdout, READY_TIMEOUT)
        assert url and url.startswith(self.info["oauth_url"]), url
        url = url.strip()
        location = consent(url, self.info["oauth_url"], decide or "allow")
        if tamper:
            location = tamper(location)
        self.outputs.append(location)
        try:
            deliver(location)
        except urllib.error.URLError:
            pass
        out, err = proc.communicate(timeout=60)
        self.outputs += [url, out, err]
        return proc.returncode, err

    def serve(self):
        self.serves = getattr(self, "serves", 0) + 1
        log_path = self.home / f"serve-{self.serves}.log"
        log = open(log_path, "w")
        proc = subprocess.Popen([self.bin, "serve"], env=self.env, cwd=self.home, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=log)
        m = wait_serving(proc, log_path)
        return proc, f"http://127.0.0.1:{m.group(2)}/mcp", log_path


def stats(info) -> dict:
    with urllib.request.urlopen(info["stats_url"], timeout=10) as r:
        return json.loads(r.read())


async def call(url: str, tool: str, args: dict | None = None):
    async with unwrapped(Client(url, mode="legacy")) as c:
        return await c.call_tool(tool, args or {})


def secrets_in(text: str, needles: list[str]) -> list[str]:
    return [n for n in needles if n and n in text]


@pytest.mark.anyio
async def test_login_then_serve_across_expiry_restart_and_revocation(binaries, oauth_sim, tmp_path):
    run = Run(binaries, oauth_sim, tmp_path)
    rc, err = run.login()
    assert rc == 0, err
    assert "Signed in to" in err and "encrypted token file" in err
    store = tmp_path / "tokens.enc"
    assert store.is_file()
    assert oct(store.stat().st_mode & 0o777) == "0o600"

    proc, url, log = run.serve()
    try:
        first = await call(url, "get_current_user")
        assert not first.is_error, first
        me = first.structured_content
        assert me["id"] and me["email"]

        before = stats(oauth_sim)["oauth"].get("refresh", 0)
        time.sleep(ACCESS_TTL + 1)
        again = await call(url, "get_current_user")
        assert not again.is_error, again
        assert again.structured_content["id"] == me["id"]
        assert stats(oauth_sim)["oauth"].get("refresh", 0) == before + 1
    finally:
        stop_process(proc)
    run.outputs.append(log.read_text())

    # A restart reads the rotated tokens from the store.
    proc, url, log = run.serve()
    try:
        restarted = await call(url, "get_current_user")
        assert not restarted.is_error, restarted
        assert restarted.structured_content["id"] == me["id"]

        req = urllib.request.Request(oauth_sim["account_url"] + "/__sim/revoke", method="POST", data=b"")
        urllib.request.urlopen(req, timeout=10).close()
        refreshes = stats(oauth_sim)["oauth"].get("refresh", 0)
        revoked = await call(url, "get_projects")
        assert revoked.is_error
        assert "sign in again" in revoked.content[0].text.lower()
        # One refresh attempt, no loop.
        assert stats(oauth_sim)["oauth"].get("refresh", 0) <= refreshes + 1
        assert proc.poll() is None
    finally:
        stop_process(proc)
    run.outputs.append(log.read_text())

    code = urllib.parse.parse_qs(urllib.parse.urlsplit(run.outputs[0]).query)["code"][0]
    everything = "\n".join(run.outputs)
    needles = [oauth_sim["client_secret"], oauth_sim["api_key"], code]
    # The code is in the redirect we captured ourselves (outputs[0]); it must
    # not be anywhere the program wrote.
    written = "\n".join(run.outputs[1:])
    assert secrets_in(written, needles) == [], "a secret leaked into the output"
    assert "Bearer " not in written
    # Tokens: the simulator's refresh tokens start with def50200 and every
    # token is a long run of hex; no log line may carry one.
    assert "def50200" not in written
    assert not re.search(r"[0-9a-f]{40,}", written), re.search(r".{0,80}[0-9a-f]{40,}.{0,20}", written)
    for f in tmp_path.rglob("*"):
        if f.is_file() and f.name not in ("tokens.enc", "tokens.key"):
            assert secrets_in(f.read_text(errors="replace"), needles) == [], f
    assert everything


def test_deny_ends_in_one_sentence_and_saves_nothing(binaries, oauth_sim, tmp_path):
    run = Run(binaries, oauth_sim, tmp_path)
    rc, err = run.login(decide="deny")
    assert rc != 0
    assert "not to allow" in err
    assert "panicked" not in err
    assert not (tmp_path / "tokens.enc").exists()


def test_wrong_state_is_refused(binaries, oauth_sim, tmp_path):
    run = Run(binaries, oauth_sim, tmp_path)
    rc, err = run.login(tamper=lambda loc: re.sub(r"state=[^&]+", "state=forged", loc))
    assert rc != 0
    assert "wrong state" in err
    assert not (tmp_path / "tokens.enc").exists()


def test_bad_client_secret_is_refused(binaries, oauth_sim, tmp_path):
    run = Run(binaries, oauth_sim, tmp_path, secret="not-the-secret")
    rc, err = run.login()
    assert rc != 0
    assert "Worksection refused the sign-in" in err, err
    assert "not-the-secret" not in err
    assert not (tmp_path / "tokens.enc").exists()


def test_reused_code_is_refused(binaries, oauth_sim, tmp_path):
    first = Run(binaries, oauth_sim, tmp_path / "a")
    (tmp_path / "a").mkdir()
    rc, err = first.login()
    assert rc == 0, err
    used = first.outputs[0]
    second = Run(binaries, oauth_sim, tmp_path / "b")
    (tmp_path / "b").mkdir()

    def replay(location: str) -> str:
        state = urllib.parse.parse_qs(urllib.parse.urlsplit(location).query)["state"][0]
        old = urllib.parse.urlsplit(used)
        q = urllib.parse.parse_qs(old.query)
        return location.split("?")[0] + "?" + urllib.parse.urlencode({"code": q["code"][0], "state": state})

    rc, err = second.login(tamper=replay)
    assert rc != 0
    assert "Worksection refused the sign-in" in err, err
    assert not (tmp_path / "b" / "tokens.enc").exists()


@pytest.fixture(scope="module")
def second_sim(binaries, oauth_sim):
    """Another account (another seed, so other people and projects) that
    accepts the same redirect URI."""
    args = ("--port", "0", "--rps", "0", "--seed", "7", "--redirect-uri", oauth_sim["redirect"])
    with simulator_process(binaries["sim"], OUT / "sim-signin-2.stderr.log", *args, timeout=READY_TIMEOUT) as (_, info):
        assert info, "the second simulator did not start"
        yield dict(info, callback_port=oauth_sim["callback_port"], redirect=oauth_sim["redirect"])


def admin(info: dict, action: str, **params) -> list | dict:
    import hashlib

    params = {**params, **QUIRKS_OFF}
    query = md5_query([(k, str(v)) for k, v in {"action": action, **params}.items()])
    digest = hashlib.md5((query + info["api_key"]).encode()).hexdigest()
    req = urllib.request.Request(f"{info['account_url']}/api/admin/v2?{query}&hash={digest}", method="POST", data=b"")
    with urllib.request.urlopen(req, timeout=10) as r:
        body = json.loads(r.read())
    assert body["status"] == "ok", body
    return body["data"]


@pytest.mark.anyio
async def test_two_accounts_are_served_side_by_side(binaries, oauth_sim, second_sim, tmp_path):
    first = Run(binaries, oauth_sim, tmp_path)
    rc, err = first.login()
    assert rc == 0, err
    second = Run(binaries, second_sim, tmp_path)
    rc, err = second.login()
    assert rc == 0, err

    proc, url, log = first.serve()
    try:
        text = log.read_text()
        host_a = urllib.parse.urlsplit(oauth_sim["account_url"]).netloc
        host_b = urllib.parse.urlsplit(second_sim["account_url"]).netloc
        assert f"/mcp/{host_a}" in text and f"/mcp/{host_b}" in text, text
        default = await call(url, "get_projects")
        a = await call(f"{url}/{host_a}", "get_projects")
        b = await call(f"{url}/{host_b}", "get_projects")
        ids = lambda r: [p["id"] for p in h.records(r.structured_content)["data"]]  # noqa: E731
        assert ids(a) == [p["id"] for p in admin(oauth_sim, "get_projects")]
        assert ids(b) == [p["id"] for p in admin(second_sim, "get_projects")]
        assert ids(default) == ids(a), "the first account signed in is the default"
        me_a = (await call(f"{url}/{host_a}", "get_current_user")).structured_content
        me_b = (await call(f"{url}/{host_b}", "get_current_user")).structured_content
        assert me_a["email"] != me_b["email"], "each account answers as its own user"
    finally:
        stop_process(proc)


def test_doctor_checks_a_signed_in_setup_and_names_fixes(binaries, oauth_sim, tmp_path):
    run = Run(binaries, oauth_sim, tmp_path)
    doctor = lambda env: subprocess.run([run.bin, "doctor"], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=60)  # noqa: E731
    before = doctor(run.env)
    assert before.returncode == 1
    assert "FAIL saved sign-in: none yet: run `worksection-mcp login`" in before.stdout, before.stdout

    rc, err = run.login()
    assert rc == 0, err
    after = doctor(run.env)
    assert after.returncode == 0, after.stdout + after.stderr
    for check in ("configuration", "listening port", "file cache folder", "saved sign-in", "API call"):
        assert re.search(rf"^ok +{check}:", after.stdout, re.M), after.stdout

    broken = dict(run.env, WORKSECTION_REDIRECT_URI="http://localhost:8080/cb", MAX_FILE_SIZE_MB="0")
    bad = doctor(broken)
    assert bad.returncode == 1
    assert "FAIL configuration:" in bad.stdout and "https://" in bad.stdout, bad.stdout
    assert oauth_sim["client_secret"] not in bad.stdout + after.stdout + before.stdout

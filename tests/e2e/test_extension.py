"""The Claude Desktop extension (`.mcpb`), end to end: `scripts/mcpb` packs
it from the desktop binary with the MCPB CLI, `mcpb validate` accepts its
manifest, and its entry point, run from the unpacked bundle as Claude
Desktop runs it (`mcp_config`'s command with `${__dirname}` put in), talks
MCP over stdio to the official Python SDK: the handshake, the tools the
manifest lists, and `get_projects` answered with the simulator's projects.

The running app is stood in for by the headless server against the
simulator, on the port and with the local token the app's settings name
(the bridge reads only those), so no display is needed.

The desktop binary is WS_DESKTOP_BIN, else the debug build's. Skipped in
the `--quirks` pass: the bundle does not depend on the simulator's shapes.
"""

from __future__ import annotations

import json
import os
import pathlib
import shutil
import subprocess
import zipfile

import pytest
from mcp import Client, StdioServerParameters
from mcp.client.stdio import stdio_client

import helpers as h
import procs
from conftest import CALL_TIMEOUT, OUT, REPO, _target_dir, unwrapped
from processes import QUIRKS, free_port

pytestmark = [
    pytest.mark.anyio,
    pytest.mark.skipif(QUIRKS, reason="the bundle does not depend on the simulator's shapes"),
]

TOKEN = "extension-test-local-token-0123456789abcdef"


@pytest.fixture(scope="module")
def bundle(tmp_path_factory):
    """The packed bundle, unpacked: its folder and manifest, and the CLI.
    Removed after the module: the unpacked binary is a copy of the app,
    which carries the demo simulator's fixed credentials, and
    test_secrets scans every file the session leaves."""
    binary = pathlib.Path(os.environ.get("WS_DESKTOP_BIN") or _target_dir() / "debug" / "worksection-mcp-desktop")
    if not binary.is_file():
        pytest.fail(f"{binary} does not exist; build the workspace first or set WS_DESKTOP_BIN")
    where = tmp_path_factory.mktemp("mcpb")
    packed = where / "Worksection.mcpb"
    with open(OUT / "mcpb-pack.log", "w") as log:
        done = subprocess.run([REPO / "scripts" / "mcpb", binary, packed], stdout=subprocess.PIPE, stderr=log, text=True, timeout=600)
    assert done.returncode == 0, (OUT / "mcpb-pack.log").read_text()
    assert done.stdout.strip() == str(packed)
    unpacked = where / "unpacked"
    with zipfile.ZipFile(packed) as z:
        z.extractall(unpacked)
        for info in z.infolist():
            # Unix modes survive (the entry point must stay executable).
            mode = info.external_attr >> 16
            if mode:
                (unpacked / info.filename).chmod(mode & 0o777)
    cli = subprocess.run([REPO / "scripts" / "mcpb"], env=dict(os.environ, MCPB_PRINT_CLI="1"), capture_output=True, text=True, timeout=600)
    assert cli.returncode == 0, cli.stderr
    yield {"dir": unpacked, "manifest": json.loads((unpacked / "manifest.json").read_text()), "cli": cli.stdout.strip(), "binary": binary}
    shutil.rmtree(where, ignore_errors=True)


def test_mcpb_validate_accepts_the_built_bundle(bundle):
    checked = subprocess.run(
        ["node", bundle["cli"], "validate", str(bundle["dir"] / "manifest.json")], capture_output=True, text=True, timeout=120
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "valid" in checked.stdout.lower(), checked.stdout
    m = bundle["manifest"]
    assert m["name"] == "worksection-mcp" and m["display_name"] == "Worksection" and m["description"]
    assert (bundle["dir"] / m["icon"]).read_bytes().startswith(b"\x89PNG")
    assert m["server"]["type"] == "binary"
    assert m["server"]["mcp_config"]["args"] == ["--bridge"]
    assert os.access(bundle["dir"] / m["server"]["entry_point"], os.X_OK)
    # The manifest is the binary's own (`--mcpb-manifest`), not typed by hand.
    printed = subprocess.run([bundle["binary"], "--mcpb-manifest"], capture_output=True, text=True, timeout=60)
    assert json.loads(printed.stdout) == m


async def test_the_entry_point_answers_as_claude_desktop_runs_it(bundle, binaries, sim, api, workdir, tmp_path):
    port = free_port()
    # The app's settings and local token, as the app writes them.
    home = tmp_path / "home"
    config = home / ".config" / "com.worksection.mcp"
    config.mkdir(parents=True)
    (config / "settings.json").write_text(json.dumps({"mode": "api_key", "port": port}))
    (config / "local-token").write_text(TOKEN)
    # The running app, stood in for by the headless server.
    with procs.server(binaries, sim, workdir, "extension-app", MCP_SERVER_PORT=str(port), MCP_AUTH_TOKEN=TOKEN):
        run = bundle["manifest"]["server"]["mcp_config"]
        params = StdioServerParameters(
            command=run["command"].replace("${__dirname}", str(bundle["dir"])),
            args=run["args"],
            env={"HOME": str(home), "XDG_CONFIG_HOME": str(home / ".config"), "PATH": os.environ.get("PATH", "")},
        )
        with open(OUT / "extension-bridge.stderr.log", "w") as errlog:
            client = Client(stdio_client(params, errlog=errlog), mode="legacy", read_timeout_seconds=CALL_TIMEOUT)
            async with unwrapped(client) as c:
                assert c.server_info is not None and c.server_info.name == "worksection-mcp"
                served = {t.name for t in (await c.list_tools()).tools}
                assert {t["name"] for t in bundle["manifest"]["tools"]} == served
                projects = h.payload(await c.call_tool("get_projects", {}), "get_projects")["data"]
    assert sorted(p["id"] for p in projects) == sorted(p["id"] for p in api.data("get_projects"))

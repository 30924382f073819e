"""`worksection-mcp doctor` on who can read the served account: over HTTP
without MCP_AUTH_TOKEN every program on the computer can, which doctor
warns about (the CLI keeps serving so by default; the warning does not fail
the check), and says nothing against once a token is set or the server
speaks stdio only. The token itself never appears in the report.
"""

from __future__ import annotations

import re
import subprocess

from conftest import server_env

TOKEN = "doctor-test-token-0123456789abcdef"


def doctor(binaries, env: dict[str, str], cwd) -> subprocess.CompletedProcess:
    return subprocess.run([binaries["mcp"], "doctor"], env=env, cwd=cwd, capture_output=True, text=True, timeout=60)


def test_doctor_warns_when_the_account_is_served_without_a_token(binaries, sim, tmp_path):
    env = server_env(sim, tmp_path / "files", MCP_SERVER_PORT="0")
    open_ = doctor(binaries, env, tmp_path)
    assert open_.returncode == 0, open_.stdout + open_.stderr
    line = re.search(r"^warn local access: (.*)$", open_.stdout, re.M)
    assert line, open_.stdout
    assert sim.account_url in line.group(1) and "any program or user on this computer" in line.group(1)
    assert "MCP_AUTH_TOKEN" in line.group(1)
    # The rest of the report is unchanged: the API call still ran and passed.
    assert re.search(r"^ok +API call:", open_.stdout, re.M), open_.stdout

    with_token = doctor(binaries, dict(env, MCP_AUTH_TOKEN=TOKEN), tmp_path)
    assert with_token.returncode == 0, with_token.stdout + with_token.stderr
    assert re.search(r"^ok +local access: clients must send", with_token.stdout, re.M), with_token.stdout
    assert not re.search(r"^warn ", with_token.stdout, re.M), with_token.stdout
    assert TOKEN not in with_token.stdout + with_token.stderr

    stdio = doctor(binaries, dict(env, MCP_TRANSPORT="stdio"), tmp_path)
    assert stdio.returncode == 0, stdio.stdout + stdio.stderr
    assert re.search(r"^ok +local access: stdio only", stdio.stdout, re.M), stdio.stdout

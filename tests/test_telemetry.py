"""The README's Prefect route prints no telemetry notice (issue 24 item 8).

Its opt-out was ``PREFECT_SERVER_ANALYTICS_ENABLED=false`` in the profile: the server's switch. Prefect's
client (every ``prefect …`` command) reads only ``DO_NOT_TRACK`` and, on a terminal, printed "Prefect collects
anonymous usage data" on a new user's first command. The test runs the README's set-up lines as written, then a
Prefect command, on a pseudo-terminal (the notice is shown only there) with a fresh home."""

from __future__ import annotations

import os
import pty
import re
import select
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
NOTICE = "anonymous usage data"
BIN = Path(sys.executable).parent


def _on_a_terminal(script: str, home: Path) -> str:
    """``bash -c script`` with stdout and stderr on a pseudo-terminal, a fresh HOME and Prefect home, and none
    of the variables that already silence Prefect (CI markers, DO_NOT_TRACK); returns what it printed."""
    home.mkdir(parents=True)
    env = {k: v for k, v in os.environ.items()
           if k not in ("DO_NOT_TRACK", "CI", "PREFECT_HOME", "PREFECT_API_URL", "PREFECT_PROFILES_PATH")
           and not k.startswith(("GITHUB_", "GITLAB_", "BUILDKITE", "JENKINS", "TRAVIS", "CIRCLECI"))}
    env.update(HOME=str(home), PREFECT_HOME=str(home / ".prefect"))
    primary, secondary = pty.openpty()
    proc = subprocess.Popen(["bash", "-c", script], stdin=subprocess.DEVNULL, stdout=secondary, stderr=secondary,
                            env=env, cwd=home)
    os.close(secondary)
    out = bytearray()
    try:
        while select.select([primary], [], [], 120)[0]:
            try:
                chunk = os.read(primary, 65536)
            except OSError:  # the terminal closed with the process
                break
            if not chunk:
                break
            out += chunk
    finally:
        os.close(primary)
        proc.wait(timeout=120)
    return out.decode("utf-8", "replace")


def readme_setup_lines() -> list[str]:
    """The README's deployment set-up block up to its first terminal: what a new user runs once."""
    text = (REPO / "README.md").read_text(encoding="utf-8")
    block = re.search(r"On a fresh machine, after `bash scripts/setup.sh`.*?```bash\n(.*?)\n# terminal 1", text, re.S)
    assert block, "README: the Prefect set-up block was not found"
    return [line.replace(".venv/bin/", f"{BIN}/") for line in block.group(1).splitlines()]


def test_a_prefect_command_on_a_terminal_shows_the_notice_by_default(tmp_path):
    """The check of the check: without an opt-out the notice does appear, so its absence below means something."""
    assert NOTICE in _on_a_terminal(f"{BIN}/prefect version", tmp_path / "home")


def test_the_readmes_opt_out_silences_prefects_commands(tmp_path):
    lines = readme_setup_lines()
    assert any("prefect config set" in line for line in lines)
    out = _on_a_terminal("set -e\n" + "\n".join(lines) + f"\n{BIN}/prefect version\n", tmp_path / "home")
    assert "Version:" in out, out  # both commands ran
    assert NOTICE not in out, out

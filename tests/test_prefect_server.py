"""Prefect's temporary server: a slow start is tried again, a failed one is one line, and it ends with its build.

Slow and failing starts are injected (a stand-in for uvicorn that answers late or never), not made by
loading the machine. The leak tests kill a real `earsense-m2t build` of the bundled mini site.
"""

from __future__ import annotations

import fcntl
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from earsense_m2t import prefect_server
from earsense_m2t.cli import app
from earsense_m2t.schemas.layout import OutputLayout
from earsense_m2t.workdir import BuildLocked, build_lock

# answers GET /api/health with 200 after DELAY seconds (DELAY < 0: exits at once, a server that cannot start)
FAKE_SERVER = """
import http.server, sys, time
port, delay = int(sys.argv[1]), float(sys.argv[2])
if delay < 0:
    sys.exit(1)
time.sleep(delay)
class Health(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200); self.end_headers(); self.wfile.write(b"true")
    def log_message(self, *args):
        pass
http.server.HTTPServer(("127.0.0.1", port), Health).serve_forever()
"""


@pytest.fixture
def fake_starts(monkeypatch):
    """Make Prefect's server start a stand-in whose delays are taken in turn; yield the processes started."""
    from prefect.server.api.server import SubprocessASGIServer

    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    delays: list[float] = []
    started: list[subprocess.Popen[Any]] = []

    def run(self: Any) -> subprocess.Popen[Any]:
        proc = subprocess.Popen([sys.executable, "-c", FAKE_SERVER, str(self.port), str(delays.pop(0))])
        started.append(proc)
        return proc

    monkeypatch.setattr(SubprocessASGIServer, "_run_uvicorn_command", run)
    saved = SubprocessASGIServer._instances.pop(None, None)
    yield delays, started
    server = SubprocessASGIServer._instances.get(None)
    if server is not None:
        server.stop()
    for proc in started:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    if saved is not None:
        SubprocessASGIServer._instances[None] = saved


def test_a_slow_start_is_tried_again_and_the_slow_server_is_stopped(fake_starts):
    from prefect.server.api.server import SubprocessASGIServer

    delays, started = fake_starts
    delays += [30, 0]  # the first never answers within the 2 s; the second at once
    t0 = time.monotonic()
    server = prefect_server.start_temporary_server(timeout_s=2)
    assert len(started) == 2
    assert started[0].poll() is not None  # the slow one does not outlive its try
    assert server.running and server.server_process is started[1]
    assert SubprocessASGIServer() is server  # what Prefect's clients will use: no third start
    assert time.monotonic() - t0 < 15


# a real `earsense-m2t build` process whose Prefect server start fails (exits at once) at every try
FAILING_BUILD = """
import subprocess, sys
from earsense_m2t import prefect_server
starts = sys.argv[1]
prefect_server.startup_timeout_s = lambda: 1
real_class = prefect_server._server_class
def failing_class():
    class Failing(real_class()):
        def _run_uvicorn_command(self):
            with open(starts, "a") as fh:
                fh.write("start\\n")
            return subprocess.Popen([sys.executable, "-c", "import sys; sys.exit(1)"])
    return Failing
prefect_server._server_class = failing_class
from earsense_m2t.cli import app
sys.argv = ["earsense-m2t", "build", "--site", "embedded", "--out", sys.argv[2]]
app()
"""


def test_a_start_that_fails_twice_is_one_line_with_what_to_do(tmp_path):
    env = {**os.environ, "PREFECT_HOME": str(tmp_path / ".prefect")}
    env.pop("PREFECT_API_URL", None)
    starts = tmp_path / "starts"
    proc = subprocess.run([sys.executable, "-c", FAILING_BUILD, str(starts), str(tmp_path / "out")], env=env,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    lines = [line for line in (proc.stdout + proc.stderr).splitlines() if line.strip()]
    assert lines == ["error: build: Prefect's temporary server did not start within 1 s (tried twice); the machine "
                     "may be busy: try again, or start a server with `prefect server start` and set "
                     "PREFECT_API_URL"], proc.stdout + proc.stderr
    assert starts.read_text().split() == ["start", "start"]  # a second try, and no third
    assert not (tmp_path / "out" / "build").exists()  # no work was done


def test_the_build_lock_is_held_before_prefect_starts(monkeypatch, tmp_path):
    """Two builds started together both passed a check-and-release; the second then failed inside the flow."""
    out = tmp_path / "out"
    seen: list[bool] = []

    def start(**_: Any) -> None:
        with open(OutputLayout(out).lock_file, "a+", encoding="utf-8") as fh:
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                seen.append(True)
            else:
                seen.append(False)
        raise prefect_server.ServerDidNotStart(1, 2)

    monkeypatch.setattr(prefect_server, "start_temporary_server", start)
    result = CliRunner().invoke(app, ["build", "--site", "embedded", "--out", str(out)])
    assert result.exit_code == 2 and "did not start" in result.output, result.output
    assert seen == [True]
    with build_lock(out):  # released when the command ended
        pass


def test_the_telemetry_opt_out_is_defined_once_for_the_build_command_and_the_deployments(monkeypatch, tmp_path):
    """The variables were written out twice (the CLI's build and the deployments): one list, used by both."""
    from earsense_m2t.flows import deployments

    assert deployments.NO_TELEMETRY is prefect_server.NO_TELEMETRY  # the workers' flow runs get this one
    assert prefect_server.NO_TELEMETRY == {"PREFECT_SERVER_ANALYTICS_ENABLED": "false", "DO_NOT_TRACK": "1"}
    marker = {**prefect_server.NO_TELEMETRY, "EARSENSE_M2T_TEST_NO_TELEMETRY": "1"}
    monkeypatch.setattr(prefect_server, "NO_TELEMETRY", marker)
    for name in marker:
        monkeypatch.setenv(name, "")  # recorded: the command sets them, the test leaves them as they were
        monkeypatch.delenv(name)

    def start(**_: Any) -> None:
        raise prefect_server.ServerDidNotStart(1, 2)

    monkeypatch.setattr(prefect_server, "start_temporary_server", start)
    result = CliRunner().invoke(app, ["build", "--site", "embedded", "--out", str(tmp_path / "out")])
    assert result.exit_code == 2, result.output
    assert {name: os.environ.get(name) for name in marker} == marker  # the build set exactly the shared list


def test_on_a_terminal_a_build_says_prefect_is_starting_before_it_starts(monkeypatch, tmp_path):
    """Prefect's import and its temporary server took ~40 s on a busy machine, with the terminal blank."""
    from earsense_m2t import cli

    def start(**_: Any) -> None:
        raise prefect_server.ServerDidNotStart(1, 2)

    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    monkeypatch.setattr(prefect_server, "start_temporary_server", start)
    monkeypatch.setattr(cli, "on_terminal", lambda: True)
    result = CliRunner().invoke(app, ["build", "--site", "embedded", "--out", str(tmp_path / "out")])
    lines = result.output.splitlines()
    assert result.exit_code == 2 and lines[0] == cli.PREFECT_STARTING and "did not start" in lines[1], result.output
    assert "starting a temporary Prefect server (takes up to ~40 s on a busy machine" in cli.PREFECT_STARTING


def test_the_build_lock_is_re_entrant_for_the_flow_of_the_process_that_holds_it(tmp_path):
    with build_lock(tmp_path, reentrant=True):
        with build_lock(tmp_path):  # the flow inside `earsense-m2t build`
            pass
        proc = subprocess.run([sys.executable, "-c", "import sys; from pathlib import Path; "
                               "from earsense_m2t.workdir import build_lock\n"
                               "with build_lock(Path(sys.argv[1])): pass", str(tmp_path)],
                              capture_output=True, text=True, timeout=60)
        assert proc.returncode != 0 and BuildLocked.__name__ in proc.stderr
    with build_lock(tmp_path):
        pass


def _server_of(pid: int) -> list[int]:
    """The uvicorn Prefect server processes whose parent is ``pid`` (by /proc, no psutil)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        if ppid == pid and "uvicorn" in cmdline and "prefect.server.api.server:create_app" in cmdline:
            found.append(int(entry.name))
    return found


def _port_of(pid: int) -> int:
    args = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    return int(args[args.index(b"--port") + 1])


def _healthy(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/health", timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux's")
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL], ids=["SIGTERM", "kill-9"])
def test_the_temporary_server_ends_with_its_build(sig):
    out = tempfile.mkdtemp(prefix="earsense-leak-")
    env = {**os.environ, "PREFECT_HOME": str(Path(out) / ".prefect")}
    env.pop("PREFECT_API_URL", None)
    build = subprocess.Popen([sys.executable, "-m", "earsense_m2t.cli", "build", "--site", "embedded", "--out", out,
                              "--no-publish"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                             start_new_session=True)
    servers: list[int] = []
    try:
        deadline = time.monotonic() + 90
        while not servers and time.monotonic() < deadline and build.poll() is None:
            servers = _server_of(build.pid)
            time.sleep(0.2)
        assert servers, "the build's Prefect server never appeared"
        port = _port_of(servers[0])
        while time.monotonic() < deadline and build.poll() is None and not _healthy(port):
            time.sleep(0.2)
        assert _healthy(port), "the build's Prefect server never answered"  # killed once the server is up
        os.kill(build.pid, sig)
        build.wait(timeout=30)
        deadline = time.monotonic() + 10
        while any(_alive(pid) for pid in servers) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not any(_alive(pid) for pid in servers), f"server {servers} outlived its build ({sig.name})"
    finally:
        if build.poll() is None:
            build.kill()
            build.wait()
        for pid in servers:
            if _alive(pid):
                os.kill(pid, signal.SIGKILL)

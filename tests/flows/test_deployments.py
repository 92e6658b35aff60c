"""The deployments as a user runs them: a real Prefect server, `earsense-m2t deployments serve`, and
`prefect deployment run build-dataset/mini-site --watch`, each a process of its own.

The server listens on a free port of 127.0.0.1 with a temporary PREFECT_HOME and its telemetry off;
nothing here talks to anything but 127.0.0.1 (the environment has no EARSENSE_M2T_OUT and the fresh
server no Variable, so even a scheduled refresh of the real site that came due would stop at its
first check). Every process started here is stopped, with its children, whatever the test's outcome.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import datasets
import pytest

from earsense_m2t.build_options import OUTPUT_ROOT_ENV
from tests.conftest import share_minisite_caches

pytestmark = pytest.mark.slow

BIN = Path(sys.executable).parent
ABSENT_TRAINING = "training:             deployment 'train-gtp/gpu' not found; nothing triggered"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def descendants(pid: int) -> list[int]:
    """Every process below ``pid`` (Prefect starts flow runs in sessions of their own, out of our group)."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, IndexError, ValueError):
            ppid = int(stat.read_text().rsplit(")", 1)[1].split()[1])
            children.setdefault(ppid, []).append(int(stat.parent.name))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def stop(proc: subprocess.Popen[str]) -> None:
    """SIGTERM to the process group, SIGKILL after 15 s; then SIGKILL to whatever it started and left behind."""
    below = descendants(proc.pid)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=15)
    for pid in below + descendants(proc.pid):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signal.SIGKILL)


@contextlib.contextmanager
def started(args: list[str], env: dict[str, str], log: Path) -> Iterator[subprocess.Popen[str]]:
    with log.open("w") as out:
        proc = subprocess.Popen(args, env=env, stdout=out, stderr=subprocess.STDOUT, text=True, start_new_session=True)
        try:
            yield proc
        finally:
            stop(proc)


def wait_until(ready, what: str, proc: subprocess.Popen[str], log: Path, timeout: float = 90) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if proc.poll() is not None:
            pytest.fail(f"{what}: the process ended ({proc.returncode}):\n{log.read_text()[-3000:]}")
        with contextlib.suppress(OSError, urllib.error.URLError):
            if ready():
                return
        time.sleep(0.5)
    pytest.fail(f"{what}: not ready after {timeout:.0f} s:\n{log.read_text()[-3000:]}")


def api_get(api: str, path: str) -> bool:
    with urllib.request.urlopen(f"{api}{path}", timeout=5) as response:
        return response.status == 200


def prefect(*args: str, env: dict[str, str], timeout: float = 240) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(BIN / "prefect"), *args], env=env, capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="module")
def served(tmp_path_factory) -> Iterator[dict[str, str]]:
    """A Prefect server and `earsense-m2t deployments serve`, both running; yields the environment to use."""
    home = tmp_path_factory.mktemp("prefect")
    api = f"http://127.0.0.1:{free_port()}/api"
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_") and k != OUTPUT_ROOT_ENV}
    env.update(PREFECT_HOME=str(home / "home"), PREFECT_API_URL=api, PREFECT_SERVER_ANALYTICS_ENABLED="false",
               DO_NOT_TRACK="1", PYTHONUNBUFFERED="1",
               PREFECT_RUNNER_POLL_FREQUENCY="1")  # the served runner looks for new runs every second, not every 10
    port = api.split(":")[2].split("/")[0]
    with started([str(BIN / "prefect"), "server", "start", "--host", "127.0.0.1", "--port", port], env,
                 home / "server.log") as server:
        wait_until(lambda: api_get(api, "/health"), "prefect server", server, home / "server.log")
        with started([str(BIN / "earsense-m2t"), "deployments", "serve"], env, home / "serve.log") as serve:
            wait_until(lambda: api_get(api, "/deployments/name/build-dataset/scheduled-refresh"),
                       "earsense-m2t deployments serve", serve, home / "serve.log")
            yield env


def output_root(tmp_path: Path) -> Path:
    """An output root that shares the synthesized mini-site media (they never change between tests)."""
    return share_minisite_caches(tmp_path / "out")


def flow_run_id(proc: subprocess.CompletedProcess[str]) -> str:
    found = re.search(r"UUID: ([0-9a-f-]{36})", proc.stdout)
    assert found, proc.stdout + proc.stderr
    return found.group(1)


def test_the_mini_site_deployment_publishes_a_loadable_release(served, tmp_path):
    out = output_root(tmp_path)
    run = prefect("deployment", "run", "build-dataset/mini-site", "--param", f"output_root={out}", "--watch", env=served)
    assert run.returncode == 0 and "Completed" in run.stdout, run.stdout[-3000:] + run.stderr[-3000:]
    logs = prefect("flow-run", "logs", flow_run_id(run), env=served, timeout=60)
    assert ABSENT_TRAINING in logs.stdout, logs.stdout[-3000:]  # no training deployment: said so, build succeeded
    assert f"published:            {out}/earsense-m2t v1.0.0 (new version" in logs.stdout
    ds = datasets.load_dataset(str(out / "earsense-m2t"))
    assert sum(split.num_rows for split in ds.values()) > 0


def test_a_bad_parameter_fails_the_run_before_any_work(served, tmp_path):
    out = tmp_path / "never"
    run = prefect("deployment", "run", "build-dataset/mini-site", "--param", f"output_root={out}",
                  "--param", "max_bytes=0", "--watch", env=served, timeout=120)
    assert run.returncode != 0 and "Failed" in run.stdout, run.stdout[-3000:]
    state = json.loads(prefect("flow-run", "inspect", flow_run_id(run), "--output", "json", env=served).stdout)["state"]
    assert "max_bytes: 0 is not a positive whole number" in state["message"]
    assert not out.exists()


def scheduled_runs(api: str, deployment_id: str) -> list[dict]:
    body = json.dumps({"deployments": {"id": {"any_": [deployment_id]}},
                       "flow_runs": {"state": {"type": {"any_": ["SCHEDULED"]}}}}).encode()
    request = urllib.request.Request(f"{api}/flow_runs/filter", data=body, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def test_the_scheduled_refresh_has_a_weekly_cron_schedule_and_the_scheduler_plans_its_runs(served):
    inspected = prefect("deployment", "inspect", "build-dataset/scheduled-refresh", "--output", "json", env=served,
                        timeout=60)
    assert inspected.returncode == 0, inspected.stderr
    deployment = json.loads(inspected.stdout)
    [schedule] = deployment["schedules"]
    assert schedule["schedule"]["cron"] == "0 3 * * 1" and schedule["active"]
    assert deployment["parameters"]["site_url"].startswith("https://")
    assert deployment["entrypoint"] == "earsense_m2t.flows.build.build_dataset"
    # the pins' reason: with Prefect 3.8.8 and SQLAlchemy 2.1 the scheduler created no runs and said nothing
    end, runs = time.monotonic() + 90, []
    while not runs and time.monotonic() < end:
        runs = scheduled_runs(served["PREFECT_API_URL"], deployment["id"])
        time.sleep(1)
    assert runs, "the server's scheduler planned no run of scheduled-refresh"
    starts = {datetime.fromisoformat(r["expected_start_time"]).astimezone(UTC) for r in runs}
    assert all((t.weekday(), t.hour, t.minute) == (0, 3, 0) for t in starts), starts


def test_register_puts_the_deployments_in_a_process_work_pool(served):
    """Last: it moves the served deployments (same names) into the pool."""
    missing = subprocess.run([str(BIN / "earsense-m2t"), "deployments", "register", "--pool", "nowhere"], env=served,
                             capture_output=True, text=True, timeout=120)
    assert missing.returncode == 2 and "--pool nowhere" in missing.stderr and "work-pool create" in missing.stderr
    assert prefect("work-pool", "create", "earsense-test", "--type", "process", env=served, timeout=60).returncode == 0
    registered = subprocess.run([str(BIN / "earsense-m2t"), "deployments", "register", "--pool", "earsense-test"],
                                env=served, capture_output=True, text=True, timeout=120)
    assert registered.returncode == 0, registered.stdout[-2000:] + registered.stderr[-2000:]
    for name in ("earsense-m2t", "mini-site", "scheduled-refresh"):
        with urllib.request.urlopen(f"{served['PREFECT_API_URL']}/deployments/name/build-dataset/{name}") as response:
            deployment = json.loads(response.read())
        assert deployment["work_pool_name"] == "earsense-test" and not deployment["paused"]
        assert deployment["job_variables"]["env"]["DO_NOT_TRACK"] == "1"

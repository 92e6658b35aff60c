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
from earsense_m2t.model.systems import TABLE1_SYSTEMS
from tests.conftest import share_minisite_caches

pytestmark = pytest.mark.slow

BIN = Path(sys.executable).parent


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
        # --train-profile smoke: the training deployments default to 2 folds, 1 seed, 1 epoch
        with started([str(BIN / "earsense-m2t"), "deployments", "serve", "--train-profile", "smoke"], env,
                     home / "serve.log") as serve:
            for name in ("build-dataset/scheduled-refresh", "train-gtp/tiny", "train-gtp/gpu"):
                wait_until(lambda name=name: api_get(api, f"/deployments/name/{name}"),
                           "earsense-m2t deployments serve", serve, home / "serve.log")
            yield env


def output_root(tmp_path: Path) -> Path:
    """An output root that shares the synthesized mini-site media (they never change between tests)."""
    return share_minisite_caches(tmp_path / "out")


def flow_run_id(proc: subprocess.CompletedProcess[str]) -> str:
    found = re.search(r"UUID: ([0-9a-f-]{36})", proc.stdout)
    assert found, proc.stdout + proc.stderr
    return found.group(1)


def api_json(api: str, path: str, body: dict | None = None) -> object:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(f"{api}{path}", data=data, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def deployment_runs(api: str, name: str) -> list[dict]:
    deployment = api_json(api, f"/deployments/name/{name}")
    return api_json(api, "/flow_runs/filter", {"deployments": {"id": {"any_": [deployment["id"]]}}})


def test_a_new_version_of_the_mini_site_is_published_and_trains_the_tiny_model(served, tmp_path):
    """build-dataset/mini-site with train_deployment=train-gtp/tiny: a loadable release, then a Completed training."""
    api = served["PREFECT_API_URL"]
    out = output_root(tmp_path)
    run = prefect("deployment", "run", "build-dataset/mini-site", "--param", f"output_root={out}",
                  "--param", "train_deployment=train-gtp/tiny", "--watch", env=served)
    assert run.returncode == 0 and "Completed" in run.stdout, run.stdout[-3000:] + run.stderr[-3000:]
    logs = prefect("flow-run", "logs", flow_run_id(run), env=served, timeout=60)
    assert f"published:            {out}/earsense-m2t v1.0.0 (new version" in logs.stdout
    assert re.search(r"training: +(started )?flow run '[^']+' \([0-9a-f-]{36}\) of 'train-gtp/tiny' for v1\.0\.0",
                     logs.stdout), logs.stdout[-3000:]
    ds = datasets.load_dataset(str(out / "earsense-m2t"))
    assert sum(split.num_rows for split in ds.values()) > 0

    end, runs = time.monotonic() + 420, []
    while time.monotonic() < end:
        runs = deployment_runs(api, "train-gtp/tiny")
        if runs and runs[0]["state"]["type"] in ("COMPLETED", "FAILED", "CRASHED", "CANCELLED"):
            break
        time.sleep(2)
    [training] = runs
    assert training["parameters"]["dataset_version"] == "1.0.0", training["parameters"]
    assert training["state"]["type"] == "COMPLETED", (training["state"], (out / "training").exists())
    results = json.loads((out / "training" / "v1.0.0-tiny" / "results.json").read_text())
    assert results["dataset_version"] == "1.0.0" and results["folds"] == [0, 1] and results["seeds"] == [0]
    assert list(results["systems"]) == list(TABLE1_SYSTEMS)  # the twelve rows of the paper's Table 1
    artifacts = api_json(api, "/artifacts/filter", {"artifacts": {"key": {"any_": ["train-gtp-tiny"]}}})
    assert any(a["flow_run_id"] == training["id"] and "| GTP |" in a["data"] for a in artifacts), artifacts

    # the field's systems, asked for by the parameter after the release's own run: a run (and a folder) of their own
    field = prefect("deployment", "run", "train-gtp/tiny", "--param", "dataset_version=1.0.0", "--param",
                    f"output_root={out}", "--param", 'systems=["muscaps", "muscall", "title"]', "--watch", env=served)
    assert field.returncode == 0 and "Completed" in field.stdout, field.stdout[-3000:] + field.stderr[-3000:]
    field_results = json.loads((out / "training" / "v1.0.0-tiny-muscaps+muscall+title" / "results.json").read_text())
    assert list(field_results["systems"]) == ["muscaps"]  # the captioning table's row; the others have tables of their own
    assert set(field_results["retrieval"]) == {"muscall"} and field_results["title"]
    assert list(json.loads((out / "training" / "v1.0.0-tiny" / "results.json").read_text())["systems"]) == list(TABLE1_SYSTEMS)


def test_a_gpu_training_run_waits_in_the_gpu_pool_without_a_gpu_worker(served, tmp_path):
    api = served["PREFECT_API_URL"]
    run = prefect("deployment", "run", "train-gtp/gpu", "--param", "dataset_version=1.0.0",
                  "--param", f"output_root={tmp_path}", env=served, timeout=60)
    assert run.returncode == 0, run.stdout + run.stderr
    run_id = flow_run_id(run)
    time.sleep(5)  # time for `deployments serve` to have picked it up, were it served there
    flow_run = api_json(api, f"/flow_runs/{run_id}")
    assert flow_run["work_pool_name"] == "gpu" and flow_run["state"]["type"] == "SCHEDULED", flow_run["state"]
    assert flow_run["parameters"]["dataset_version"] == "1.0.0"
    assert prefect("flow-run", "cancel", run_id, env=served, timeout=60).returncode == 0


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
    pools = {"build-dataset/earsense-m2t": "earsense-test", "build-dataset/mini-site": "earsense-test",
             "build-dataset/scheduled-refresh": "earsense-test", "train-gtp/tiny": "earsense-test", "train-gtp/gpu": "gpu"}
    for name, pool in pools.items():
        deployment = api_json(served["PREFECT_API_URL"], f"/deployments/name/{name}")
        assert deployment["work_pool_name"] == pool and not deployment["paused"], name
        assert deployment["job_variables"]["env"]["DO_NOT_TRACK"] == "1"

"""The flow's parameters, checked before any work; the release trigger; the deployments' definitions (no server)."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace

import pytest
from prefect.exceptions import ObjectNotFound
from prefect.states import Running

from earsense_m2t.build_options import (
    DEFAULT_TRAIN_DEPLOYMENT,
    OUTPUT_ROOT_ENV,
    OUTPUT_ROOT_VARIABLE,
    BadOption,
    resolve_output_root,
)
from earsense_m2t.build_summary import BuildSummary
from earsense_m2t.config import REAL_SITE_URL
from earsense_m2t.flows import build
from earsense_m2t.flows.build import build_dataset, trigger_training_task
from earsense_m2t.flows.deployments import REFRESH_CRON, SPECS, deployments
from earsense_m2t.schemas import Release

NOW = "2026-01-01T00:00:00+00:00"

BAD_PARAMETERS = [
    ("site_url", "ftp://example.org/", "not an http"),
    ("search", "ytsearch{count}:{query}", "only {n} and {query}"),
    ("deadline_s", 0, "not a positive number of seconds"),
    ("max_bytes", 0, "not a positive whole number"),
    ("max_bytes", 1.5, "not a positive whole number"),
    ("max_duration_s", -1, "not a positive number"),
    ("read_timeout_s", float("nan"), "not a positive number"),
    ("download_deadline_s", 0, "not a positive number"),
    ("probe_timeout_s", float("inf"), "not a positive number"),
    ("train_deployment", "train-gtp", "not FLOW/DEPLOYMENT"),
    ("train_deployment", "train-gtp/gpu/x", "not FLOW/DEPLOYMENT"),
    ("train_deployment", " train-gtp/gpu", "not FLOW/DEPLOYMENT"),
    ("workers", 0, "not a whole number of at least 1"),
    ("download_concurrency", 1.5, "not a whole number of at least 1"),
    ("dask", "local:0", "neither 'local', 'local:N'"),
    ("dask", "127.0.0.1:8786", "scheduler address such as 'tcp://host:8786'"),
    ("render_workers", 0, "not a whole number of at least 1"),
]


@pytest.fixture
def no_work(monkeypatch):
    """Any stage that starts fails the test: a bad parameter must stop the flow before the first one."""
    def started(*args, **kwargs):
        raise AssertionError("a stage started")
    for name in ("crawl_task", "run_acquire", "publish_task", "site_for", "build_lock"):
        monkeypatch.setattr(build, name, started)


@pytest.mark.parametrize("name, value, message", BAD_PARAMETERS, ids=lambda v: str(v)[:20])
def test_a_bad_parameter_stops_the_flow_before_any_work_and_names_itself(tmp_path, no_work, name, value, message):
    out = tmp_path / "out"
    with pytest.raises(BadOption) as err:
        build_dataset.fn(output_root=str(out), **{name: value})
    assert str(err.value).startswith(f"{name}: ") and message in str(err.value)
    assert err.value.option == name
    assert not out.exists()


def test_no_parameter_is_a_credential():
    names = set(build_dataset.parameters.properties)
    assert {"site_url", "output_root", "publish", "push_to_hub", "search", "wait", "deadline_s", "max_bytes",
            "max_duration_s", "read_timeout_s", "download_deadline_s", "probe_timeout_s", "train_deployment", "workers",
            "dask", "download_concurrency", "render_workers", "audio", "audio_sample_rate_hz", "audio_format",
            "push_audio"} == names
    assert not [n for n in names if any(word in n for word in ("token", "secret", "password", "key", "credential"))]
    assert build_dataset.parameters.properties["train_deployment"]["default"] == DEFAULT_TRAIN_DEPLOYMENT == "train-gtp/gpu"


def no_variable(name: str) -> object:
    raise AssertionError(f"the Prefect Variable {name} was read")


def test_the_output_root_parameter_wins_and_must_be_absolute_in_a_deployment_run(tmp_path):
    assert resolve_output_root(str(tmp_path), deployment_run=True, env={}, variable=no_variable) == str(tmp_path)
    assert resolve_output_root("local", deployment_run=False, env={}, variable=no_variable) == "local"  # the CLI's --out
    with pytest.raises(BadOption, match="^output_root: 'local' is a relative path"):
        resolve_output_root("local", deployment_run=True, env={OUTPUT_ROOT_ENV: str(tmp_path)}, variable=no_variable)


def test_without_the_parameter_the_environment_then_the_variable(tmp_path):
    env = {OUTPUT_ROOT_ENV: str(tmp_path / "env")}
    assert resolve_output_root(None, deployment_run=True, env=env, variable=no_variable) == str(tmp_path / "env")
    assert resolve_output_root("", deployment_run=True, env={}, variable={OUTPUT_ROOT_VARIABLE: "/data/v"}.get) == "/data/v"
    with pytest.raises(BadOption, match=f"^{OUTPUT_ROOT_ENV}: 'rel' is a relative path"):
        resolve_output_root(None, deployment_run=True, env={OUTPUT_ROOT_ENV: "rel"}, variable=no_variable)
    with pytest.raises(BadOption, match=f"Prefect Variable {OUTPUT_ROOT_VARIABLE}: 'rel' is not an absolute path"):
        resolve_output_root(None, deployment_run=True, env={}, variable={OUTPUT_ROOT_VARIABLE: "rel"}.get)


def test_with_no_setting_the_error_names_both_settings():
    with pytest.raises(BadOption) as err:
        resolve_output_root(None, deployment_run=True, env={}, variable=lambda name: None)
    text = str(err.value)
    assert text.startswith("output_root: not given") and OUTPUT_ROOT_ENV in text and OUTPUT_ROOT_VARIABLE in text


def release(created: bool) -> Release:
    return Release(id="v1.1.0", version="1.1.0", created=created, dataset_dir="out/earsense-m2t", published_at=NOW, rows=3)


def test_a_new_version_starts_the_training_deployment_without_waiting(monkeypatch):
    calls = []

    def run_deployment(name, **kwargs):
        calls.append((name, kwargs))
        return SimpleNamespace(name="brave-otter", id="0000-1", state=Running(), work_pool_name="gpu")
    monkeypatch.setattr(build, "run_deployment", run_deployment)
    line = trigger_training_task.fn("train-gtp/gpu", release(created=True), "/data/out")
    assert line == "started flow run 'brave-otter' (0000-1) of 'train-gtp/gpu' for v1.1.0"
    [(name, kwargs)] = calls
    assert name == "train-gtp/gpu" and kwargs["timeout"] == 0
    assert kwargs["parameters"] == {"dataset_version": "1.1.0", "output_root": "/data/out"}


@pytest.mark.parametrize("pool, waiting_for", [
    ("gpu", "waiting for a worker in pool gpu"),
    (None, "waiting for the process that serves it (`earsense-m2t deployments serve`)"),
])
def test_a_run_that_waits_to_be_picked_up_is_called_scheduled_not_started(monkeypatch, pool, waiting_for):
    from prefect.states import Scheduled

    def run_deployment(name, **kwargs):
        return SimpleNamespace(name="brave-otter", id="0000-1", state=Scheduled(), work_pool_name=pool)
    monkeypatch.setattr(build, "run_deployment", run_deployment)
    assert trigger_training_task.fn("train-gtp/gpu", release(created=True), "/data/out") == \
        f"flow run 'brave-otter' (0000-1) of 'train-gtp/gpu' for v1.1.0 scheduled, {waiting_for}"


def test_an_absent_training_deployment_is_one_line_and_no_error(monkeypatch):
    def run_deployment(name, **kwargs):
        raise ObjectNotFound(http_exc=Exception("404 Not Found"))
    monkeypatch.setattr(build, "run_deployment", run_deployment)
    assert trigger_training_task.fn("train-gtp/gpu", release(created=True)) == \
        "deployment 'train-gtp/gpu' not found; nothing triggered"


def test_any_other_refusal_is_one_line_too(monkeypatch):
    def run_deployment(name, **kwargs):
        raise RuntimeError("server said no\nsecond line")
    monkeypatch.setattr(build, "run_deployment", run_deployment)
    assert trigger_training_task.fn("train-gtp/gpu", release(created=True)) == \
        "could not start 'train-gtp/gpu' (RuntimeError: server said no); nothing triggered"


def test_no_new_version_triggers_nothing(monkeypatch):
    monkeypatch.setattr(build, "run_deployment", lambda *a, **k: pytest.fail("a deployment was started"))
    assert trigger_training_task.fn("train-gtp/gpu", release(created=False)) == \
        "no new version; 'train-gtp/gpu' not triggered"
    assert trigger_training_task.fn("train-gtp/gpu", None) == "no new version; 'train-gtp/gpu' not triggered"


def test_the_summary_has_a_training_line_only_when_there_was_one():
    assert "training:" not in BuildSummary.of("http://x/", []).render()
    text = BuildSummary.of("http://x/", [], training="deployment 'train-gtp/gpu' not found; nothing triggered").render()
    assert "  training:             deployment 'train-gtp/gpu' not found; nothing triggered" in text.splitlines()


def test_three_deployments_by_module_path_and_a_weekly_refresh():
    made = {d.name: d for d in deployments()}
    assert set(made) == {"earsense-m2t", "mini-site", "scheduled-refresh"}
    assert {d.entrypoint for d in made.values()} == {"earsense_m2t.flows.build.build_dataset"}
    assert made["mini-site"].parameters == {"site_url": "embedded"}
    assert all("output_root" not in d.parameters for d in made.values())  # resolved where the run runs
    [schedule] = made["scheduled-refresh"].schedules
    assert schedule.schedule.cron == REFRESH_CRON == "0 3 * * 1" and schedule.active
    assert not made["earsense-m2t"].schedules and not made["mini-site"].schedules
    [custom] = deployments("30 2 * * *", "Europe/Vienna")[2].schedules
    assert (custom.schedule.cron, custom.schedule.timezone) == ("30 2 * * *", "Europe/Vienna")


def test_serve_says_what_it_serves_which_schedule_is_active_and_when_it_runs_next():
    from earsense_m2t.flows.deployments import schedule_lines, served_deployments

    monday_2am = datetime(2026, 12, 7, 2, 0, tzinfo=UTC)  # a Monday: the weekly refresh is due at 03:00
    lines = schedule_lines(served_deployments(), now=monday_2am)
    assert lines[0] == ("serving: build-dataset/earsense-m2t, build-dataset/mini-site, "
                        "build-dataset/scheduled-refresh, train-gtp/tiny")
    [active] = [line for line in lines if line.startswith("schedule active:")]
    assert active == (f"schedule active: build-dataset/scheduled-refresh ({REAL_SITE_URL}), cron '0 3 * * 1' (UTC), "
                      "next run 2026-12-07 03:00 UTC")
    assert lines[-1].endswith("deployments serve --no-schedules")
    # in the schedule's own time zone: 03:00 in Berlin has passed at 02:00 UTC, so the next one is tomorrow's
    [berlin] = [line for line in schedule_lines(served_deployments("30 2 * * *", "Europe/Berlin"), now=monday_2am)
                if line.startswith("schedule active:")]
    assert berlin.endswith("cron '30 2 * * *' (Europe/Berlin), next run 2026-12-08 02:30 CET")


def test_no_schedules_serves_the_refresh_with_its_schedule_inactive():
    from earsense_m2t.flows.deployments import schedule_lines, served_deployments

    made = served_deployments(schedules=False)
    assert "scheduled-refresh" in {d.name for d in made}  # still there, to be started by hand
    schedules = [s for d in made for s in d.schedules or []]
    assert schedules and not any(s.active for s in schedules)  # sent inactive: an earlier active one is replaced
    lines = schedule_lines(made, now=datetime(2026, 12, 7, tzinfo=UTC))
    assert not any(line.startswith("schedule active:") for line in lines)
    assert any(line.startswith("schedule inactive: build-dataset/scheduled-refresh") for line in lines)
    assert "no schedule active (--no-schedules)" in lines[-1]


def test_the_serve_command_passes_no_schedules_on(monkeypatch, tmp_path):
    from typer.testing import CliRunner

    from earsense_m2t import cli as cli_module
    from earsense_m2t.flows import deployments as module

    seen = {}
    monkeypatch.setattr(cli_module, "prefect_api", lambda: "http://127.0.0.1:9/api")
    monkeypatch.setattr(module, "output_root_note", lambda: None)
    monkeypatch.setattr(module, "serve", lambda *args, **kwargs: seen.update(kwargs))
    result = CliRunner().invoke(cli_module.app, ["deployments", "serve", "--no-schedules"])
    assert result.exit_code == 0, result.output
    assert seen["schedules"] is False
    assert "--no-schedules" in CliRunner().invoke(cli_module.app, ["deployments", "serve", "--help"]).output


def test_every_deployment_passes_the_flow_parameter_checks(tmp_path):
    from earsense_m2t.build_options import check_build_options

    for spec in SPECS:
        check_build_options(site_url=spec.parameters["site_url"], output_root=tmp_path, search="auto",
                            train_deployment=DEFAULT_TRAIN_DEPLOYMENT, names={})


def cli(*args: str, cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    return subprocess.run([sys.executable, "-m", "earsense_m2t.cli", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=120, env={**base, "PREFECT_HOME": str(cwd / ".prefect"), **env})


def test_serving_without_a_prefect_server_is_a_one_line_error(tmp_path):
    proc = cli("deployments", "serve", cwd=tmp_path)
    assert proc.returncode == 2 and "PREFECT_API_URL" in proc.stderr and "Traceback" not in proc.stderr, proc.stderr


def test_a_bad_refresh_schedule_is_a_one_line_error(tmp_path):
    proc = cli("deployments", "serve", "--refresh-cron", "every monday", cwd=tmp_path,
               PREFECT_API_URL="http://127.0.0.1:9/api")  # refused before any connection
    assert proc.returncode == 2 and "--refresh-cron 'every monday'" in proc.stderr, proc.stderr
    assert "Traceback" not in proc.stderr and len(proc.stderr.strip().splitlines()) <= 2

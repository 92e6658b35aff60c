"""A publish killed (SIGKILL) at any stage leaves the previous version loadable, and the next publish works."""

from __future__ import annotations

import signal
import time

import datasets
import pytest

from earsense_m2t.publish import load_version, versions
from earsense_m2t.schemas import Movement
from tests.publish._bundle import edit_records, run_publish_subprocess

MID = "Composer2-String-Quartet-No-3-Op-12#2"


def _kill_at(stage, build, dataset_dir, tmp_path):
    marker = tmp_path / f"paused-{stage.replace(':', '_')}"
    proc = run_publish_subprocess(build, dataset_dir, {"EARSENSE_PUBLISH_PAUSE_AT": stage,
                                                        "EARSENSE_PUBLISH_PAUSE_MARKER": str(marker)})
    deadline = time.monotonic() + 120
    while not marker.exists():
        if proc.poll() is not None:
            raise AssertionError(f"publish ended before {stage}: {proc.stderr.read().decode()[-2000:]}")
        if time.monotonic() > deadline:
            proc.kill()
            raise AssertionError(f"publish never reached {stage}")
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL


@pytest.mark.parametrize("stage", ["wrote:spectrograms", "written", "validated", "committed", "renamed"])
def test_kill_during_publish_keeps_previous_version(stage, build, dataset_dir, publish, tmp_path):
    publish(build)
    edit_records(build, "movements", Movement, MID, text="Changed text that a killed publish must not show.")
    _kill_at(stage, build, dataset_dir, tmp_path)

    rows = datasets.load_dataset(str(dataset_dir), split="train")  # the old version, whole
    assert len(rows) == 15
    assert "Changed text" not in " ".join(t for t in rows["text"] if t)

    result = publish(build)
    assert (result.version, result.created, result.changed["default"]) == ("1.1.0", True, [MID])
    assert versions(dataset_dir) == ["1.0.0", "1.1.0"]
    rows = {r["id"]: r for r in datasets.load_dataset(str(dataset_dir), split="train")}
    assert rows[MID]["text"].startswith("Changed text")
    assert len(datasets.load_dataset(str(load_version(dataset_dir, "1.0.0")), split="train")) == 15
    assert not list(dataset_dir.parent.glob("earsense-m2t.versions/.staging-*"))


def test_kill_after_switch_leaves_new_version_live(build, dataset_dir, publish, tmp_path):
    publish(build)
    edit_records(build, "movements", Movement, MID, text="Changed text after the switch.")
    _kill_at("switched", build, dataset_dir, tmp_path)
    rows = {r["id"]: r for r in datasets.load_dataset(str(dataset_dir), split="train")}
    assert rows[MID]["text"].startswith("Changed text")
    again = publish(build)
    assert (again.version, again.created) == ("1.1.0", False)
    assert len(datasets.load_dataset(str(load_version(dataset_dir, "1.0.0")), split="train")) == 15


def test_kill_during_first_publish_leaves_nothing_and_retry_works(build, dataset_dir, publish, tmp_path):
    _kill_at("committed", build, dataset_dir, tmp_path)
    assert not dataset_dir.exists()
    result = publish(build)
    assert (result.version, result.created) == ("1.0.0", True)
    assert versions(dataset_dir) == ["1.0.0"]

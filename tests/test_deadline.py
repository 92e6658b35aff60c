"""The whole-build deadline: once it has passed, a stage takes no new item and lists each one it skipped."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import datasets
import pytest

from earsense_m2t.acquire import acquire_media
from earsense_m2t.egress import EgressPolicy
from earsense_m2t.features import prepare_clips
from earsense_m2t.schemas import Deadline, Media, Movement, Recording, Segment, Work
from earsense_m2t.segment import prepare_segments
from tests.conftest import share_minisite_caches

NOW = "2026-01-01T00:00:00+00:00"
SHA = "a" * 64
PASSED = Deadline(1.0, started=time.monotonic() - 10)


def test_a_deadline_that_has_not_passed_changes_nothing():
    assert not Deadline().passed() and not Deadline(3600).passed() and PASSED.passed()


def test_stages_list_what_the_deadline_left_undone(tmp_path):
    work = Work(id="W", url="http://127.0.0.1:9/chamber-music/W/", title="T", composer="C", fetched_at=NOW,
                page_sha256=SHA)
    rec = Recording(id="W@x", work_id="W", source_url="http://127.0.0.1:9/watch/x", source_id="http://127.0.0.1/watch/x")
    acquired = acquire_media([work], [rec], tmp_path / "media", egress=EgressPolicy(allow_loopback=True), deadline=PASSED)
    movement = Movement(id="W#1", work_id="W", number=1, title="Allegro", title_source="page")
    media = Media(source_id=rec.source_id, source_url=rec.source_url, path="/nope", sha256=SHA, downloaded_at=NOW,
                  duration_s=60.0)
    segmented = prepare_segments([movement], [rec], [media], deadline=PASSED)
    segment = Segment(id="W#1", movement_id="W#1", source_id=rec.source_id, media_sha256=SHA, start_s=0, end_s=60,
                      method="per_movement", confidence=1.0)
    clips = prepare_clips([segment], [media], [movement], derived_dir=tmp_path / "derived", deadline=PASSED)
    for result, item in ((acquired, "W"), (segmented, "W#1"), (clips, "W#1")):
        assert result.records == [] and result.counts["dropped"] == 1
        [failure] = result.failures
        assert (failure.item_id, failure.code) == (item, "deadline") and "deadline of 1 s" in failure.reason


@pytest.mark.slow
def test_a_build_past_its_deadline_publishes_what_finished(tmp_path):
    share_minisite_caches(tmp_path / "local")
    env = {**os.environ, "PREFECT_HOME": str(tmp_path / ".prefect")}
    proc = subprocess.run([sys.executable, "-m", "earsense_m2t.cli", "build", "--deadline", "0.001"], cwd=tmp_path,
                          env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "media downloaded:     0 new, 0 reused" in proc.stdout and "acquire/deadline " in proc.stdout
    rows = datasets.load_dataset(str(tmp_path / "local" / "earsense-m2t"), split="train")
    assert rows.num_rows > 0 and not any(rows["has_audio"])  # the texts the page lists are published

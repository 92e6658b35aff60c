"""StageResult.merge: the result of a stage run per work equals the stage run on all works."""

from __future__ import annotations

import pytest

from earsense_m2t.schemas import Failure, StageResult, Work


def work(i: int) -> Work:
    return Work(id=f"w{i}", url=f"https://example.org/chamber-music/w{i}/", title=f"Work {i}", composer="C",
                fetched_at="2026-01-01T00:00:00+00:00", page_sha256="0" * 64)


def test_merge_concatenates_in_order_adds_counts_and_lists_each_note_once():
    a, b = StageResult(stage="acquire"), StageResult(stage="acquire")
    a.add(work(1))
    a.note("spotify_skipped", "no credentials")
    a.note("works_without_recording", "w1")
    b.add(work(2), reused=True)
    b.add(work(3))
    b.drop(Failure(stage="acquire", item_id="w4", reason="gone", code="download_failed"))
    b.counts["no_audio"] += 2
    b.note("spotify_skipped", "no credentials")
    merged = StageResult.merge("acquire", [a, b])
    assert [r.id for r in merged.records] == ["w1", "w2", "w3"]
    assert [f.item_id for f in merged.failures] == ["w4"]
    assert dict(merged.counts) == {"computed": 2, "reused": 1, "dropped": 1, "no_audio": 2}
    assert merged.notes == {"spotify_skipped": ["no credentials"], "works_without_recording": ["w1"]}
    assert a.counts["computed"] == 1 and len(a.records) == 1  # the parts are left as they were


def test_merge_of_nothing_is_an_empty_result_with_the_base_counts():
    merged = StageResult.merge("features", [])
    assert merged.stage == "features" and merged.records == [] and dict(merged.counts) == {
        "computed": 0, "reused": 0, "dropped": 0}


def test_merge_refuses_another_stage_s_result():
    with pytest.raises(ValueError, match="'segment' result merged into the 'features' stage"):
        StageResult.merge("features", [StageResult(stage="segment")])

"""Each per-work stage splits its own inputs: every item holds exactly its work's records, in the order the
stage walks the works, and a failed item fails under the ids the stage reports (acquire, segment, features)."""

from __future__ import annotations

from pathlib import Path

from earsense_m2t.acquire import acquire_inputs
from earsense_m2t.annotation import annotate_inputs
from earsense_m2t.features import features_inputs
from earsense_m2t.schemas import Clip, Media, Movement, Recording, Segment, StageResult, Work
from earsense_m2t.schemas.io import read_records
from earsense_m2t.schemas.manifests import CHOSEN_RECORDINGS, CLIPS, MEDIA, MOVEMENTS, SEGMENTS, WORKS, Manifest
from earsense_m2t.schemas.stages import Stage
from earsense_m2t.segment import segment_inputs
from tests.publish._bundle import make_build


def result(stage: Stage, build: Path, *manifests: Manifest) -> StageResult:
    """The records of ``manifests`` a build folder holds, as one stage result."""
    out = StageResult(stage=stage)
    for manifest in manifests:
        out.extend(read_records(manifest.path(build), manifest.record))
    return out


def test_each_stage_splits_its_inputs_per_work(tmp_path):
    build = make_build(tmp_path, n_works=5)
    crawl = result(Stage.CRAWL, build, WORKS, CHOSEN_RECORDINGS)  # the bundle lists only the recordings it chose
    acquired = result(Stage.ACQUIRE, build, MEDIA, CHOSEN_RECORDINGS)
    movements = result(Stage.MOVEMENTS, build, MOVEMENTS)
    segmented = result(Stage.SEGMENT, build, SEGMENTS)
    works = sorted(w.id for w in crawl.of(Work))

    acquire = acquire_inputs(crawl)
    assert [i.work_id for i in acquire] == works
    for item in acquire:
        assert all(r.work_id == item.work_id for r in item.recordings) and item.failed_ids() == [item.work_id]
    assert sum(len(i.recordings) for i in acquire) == len(crawl.of(Recording))

    segment = segment_inputs(movements, acquired)
    assert [i.work_id for i in segment] == works  # every work with movements, the one without a recording too
    for item in segment:
        assert {m.work_id for m in item.movements} == {item.work_id}
        assert {m.source_id for m in item.media} == {r.source_id for r in item.chosen}
        assert item.failed_ids() == [m.id for m in item.movements]

    features = features_inputs(segmented, acquired, movements)
    assert sorted(i.work_id for i in features) == works[:-1]  # the work without a recording has no segment
    assert [s for i in features for s in i.segments] == segmented.of(Segment)  # the segment stage's order
    for item in features:
        assert {s.source_id for s in item.segments} == {m.source_id for m in item.media}
        assert {m.work_id for m in item.movements} == {item.work_id}
        assert set(item.memo_inputs()) == {"segments", "media", "movements"}


def test_annotate_takes_its_inputs_from_the_earlier_results(tmp_path):
    build = make_build(tmp_path, n_works=3)
    crawl, acquired = result(Stage.CRAWL, build, WORKS), result(Stage.ACQUIRE, build, MEDIA)
    movements, segmented = result(Stage.MOVEMENTS, build, MOVEMENTS), result(Stage.SEGMENT, build, SEGMENTS)
    clips = result(Stage.FEATURES, build, CLIPS)
    inputs = annotate_inputs(crawl, acquired, movements, segmented, clips)
    assert (len(inputs.works), len(inputs.media), len(inputs.movements), len(inputs.segments), len(inputs.clips)) == (
        len(crawl.of(Work)), len(acquired.of(Media)), len(movements.of(Movement)), len(segmented.of(Segment)),
        len(clips.of(Clip)))

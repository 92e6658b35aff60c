"""The annotate stage end to end on real files: pool, excerpts, triplets, silver, human labels, failures, reruns."""

import dataclasses

import pytest

from earsense_m2t.annotation import prepare_annotations
from earsense_m2t.annotation.paths import AnnotationPaths
from earsense_m2t.annotation.pool import PoolParams
from earsense_m2t.annotation.stage import AnnotationConfig
from earsense_m2t.annotation.tool.store import JudgmentStore
from earsense_m2t.features.excerpt import RenderParams
from earsense_m2t.schemas import Judgment, PoolExcerpt, RelativeAnnotation, Triplet, validate_record
from earsense_m2t.schemas.io import read_records
from tests.annotation._builds import MovementAudio, make_build, render_excerpts

CONFIG = AnnotationConfig(pool=PoolParams(min_duration_s=2.0))
RENDER = RenderParams(excerpt_s=3.0, min_duration_s=2.0, opus_bitrate="32k")
HAPPY, SAD = "A joyful, radiant dance full of delight.", "A mournful lament of grief and despair."


@pytest.fixture(scope="module")
def build(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("build")
    slow = MovementAudio(5.0, attacks_hz=0.5, level_db=-30.0, tempo_tag="slow", text=SAD)
    fast = MovementAudio(5.0, attacks_hz=5.0, level_db=-12.0, tempo_tag="fast", text=HAPPY)
    build = make_build(tmp_path / "media", {
        "A": [fast, slow, fast], "B": [slow, fast, slow], "C": [fast, slow, dataclasses.replace(fast, text=None)],
        "D": [slow, fast, dataclasses.replace(slow, loudness_lufs=-60.0)]}, ensemble={"C": "trio", "D": "trio"})
    return render_excerpts(build, tmp_path / "excerpts", RENDER)  # as the features stage cuts them


def run(build, folder, **kw):
    return prepare_annotations(build.movements, build.clips, build.media, folder, segments=build.segments,
                               excerpts=build.excerpts, works=build.works, config=CONFIG, **kw)


@pytest.fixture(scope="module")
def first(build, tmp_path_factory):
    """The first build's annotation folder and result."""
    folder = tmp_path_factory.mktemp("first") / "annotation"
    return folder, run(build, folder, version="1.3.0")


@pytest.fixture
def folder(first, tmp_path):
    """A fresh annotation folder."""
    target = tmp_path / "annotation"
    target.mkdir()
    return target


def test_first_build(build, first):
    folder, result = first
    pool, triplets, rows = result.of(PoolExcerpt), result.of(Triplet), result.of(RelativeAnnotation)
    assert result.stage == "annotate" and result.failures == []
    assert len(pool) == 11 and result.counts["excluded:too_quiet"] == 1  # D#3 is below the range
    assert result.counts["computed"] == 11 and result.counts["pool"] == 11
    assert len(triplets) == 3 and result.counts["triplets_new"] == 3  # 11 movements: two wait for a later build
    assert len(rows) == 3 * 3 * 2 and all(r.source == "silver" for r in rows)
    assert all(validate_record(r) == [] for r in [*pool, *triplets, *rows])
    paths = AnnotationPaths.at(folder)
    assert read_records(paths.pool, PoolExcerpt) == pool and read_records(paths.triplets, Triplet) == triplets
    excerpts = {e.movement_id: e for e in build.excerpts}
    assert all(e.excerpt_file == excerpts[e.id].file and e.excerpt_sha256 == excerpts[e.id].sha256 for e in pool)
    by_id = {e.id: e for e in pool}
    assert by_id["A#1"].silver_arousal > by_id["A#2"].silver_arousal + 1  # loud, busy, fast vs quiet, sparse, slow
    assert by_id["A#1"].silver_valence == 1.0 and by_id["A#2"].silver_valence < 0
    assert by_id["C#3"].silver_valence is None and by_id["C#1"].ensemble == "trio"
    assert all(t.created_version == "1.3.0" and t.round == 1 for t in triplets)


def test_rerun_reuses_triplets(build, first):
    folder, result = first
    before = AnnotationPaths.at(folder).triplets.read_bytes()
    again = run(build, folder)
    assert again.counts["pool"] == 11 and again.counts["triplets_new"] == 0
    assert AnnotationPaths.at(folder).triplets.read_bytes() == before
    assert again.of(RelativeAnnotation) == result.of(RelativeAnnotation)


def test_a_movement_without_an_excerpt_stays_out_of_the_pool(build, folder):
    """Annotate renders nothing: a movement whose excerpt the features stage did not cut is excluded, counted."""
    excerpts = [e for e in build.excerpts if not e.movement_id.startswith("A#")]
    result = prepare_annotations(build.movements, build.clips, build.media, folder, segments=build.segments,
                                 excerpts=excerpts, works=build.works, config=CONFIG)
    assert result.failures == [] and result.counts["excluded:no_excerpt"] == 3
    assert len(result.of(PoolExcerpt)) == 8


def test_human_labels_replace_silver_ones_pair_by_pair(build, folder):
    triplet = run(build, folder).of(Triplet)[0]
    (a, b), (c, d) = triplet.pairs()[0], triplet.pairs()[1]
    store = JudgmentStore(AnnotationPaths.at(folder).judgments)
    judged = [Judgment(triplet_id=triplet.id, a=a, b=b, question="arousal", answer=x, annotator=f"p{i}",
                       submitted_at="2026-01-02T00:00:00+00:00") for i, x in enumerate(["a", "a", "ab"])]
    waiting = [Judgment(triplet_id=triplet.id, a=c, b=d, question="arousal", answer="b", annotator=f"p{i}",
                        submitted_at="2026-01-02T00:00:00+00:00") for i in range(2)]
    stray = Judgment(triplet_id="t999999999999", a="A#1", b="B#1", question="arousal", answer="a", annotator="p9")
    assert store.add([*judged, *waiting, stray]) == 6
    result = run(build, folder)
    rows = {(r.pair_id, r.question): r for r in result.of(RelativeAnnotation)}
    human = rows[(f"{a}-{b}", "arousal")]
    assert (human.source, human.agreement, human.outcome, human.annotators) == ("human", "majority-agreement", "a", 3)
    assert "gt" in human.subsets and human.triplet_consistency is not None
    assert rows[(f"{a}-{b}", "valence")].source == "silver"
    assert rows[(f"{c}-{d}", "arousal")].source == "silver"  # two of three answers: still silver
    assert result.counts["rows_human"] == 1 and result.counts["pairs_in_progress"] == 1
    assert result.counts["judgments"] == 5 and result.counts["judgments_ignored"] == 1
    assert len(result.of(Judgment)) == 5


def test_a_movement_that_leaves_keeps_its_triplet_marked(build, folder):
    triplets = run(build, folder).of(Triplet)
    gone = triplets[0].movement_ids[0]
    kept = [m for m in build.movements if m.id != gone]
    result = prepare_annotations(kept, build.clips, build.media, folder, segments=build.segments,
                                 excerpts=build.excerpts, works=build.works, config=CONFIG)
    assert result.of(Triplet)[: len(triplets)] == triplets
    marked = [r for r in result.of(RelativeAnnotation) if gone in (r.a, r.b)]
    assert len(marked) == 4 and not any(r.in_dataset for r in marked)
    assert all(r.in_dataset for r in result.of(RelativeAnnotation) if gone not in (r.a, r.b))
    assert result.counts["not_in_dataset"] == 1


def test_an_unreadable_triplets_file_is_left_alone(build, folder):
    paths = AnnotationPaths.at(folder)
    paths.triplets.write_text("not json\n")
    result = run(build, folder)
    assert [f.code for f in result.failures] == ["triplets_unreadable"]
    assert "triplets.jsonl" in result.failures[0].reason and paths.triplets.read_text() == "not json\n"
    assert result.of(RelativeAnnotation) == [] and len(result.of(PoolExcerpt)) == 11


def test_each_excerpt_reports_progress(build, folder):
    """The build's annotate bar: one report per pooled excerpt, up to the pool's size."""
    calls: list[tuple[int, int]] = []
    result = run(build, folder, on_progress=lambda done, total: calls.append((done, total)))
    assert calls == [(n, 11) for n in range(1, 12)]  # 11 admitted movements, reported in order
    assert result.counts["pool"] == 11

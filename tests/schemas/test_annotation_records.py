"""The annotation records: round-trips through a manifest, validation messages that name the record."""

import dataclasses

import pytest

from earsense_m2t.schemas import (
    ANNOTATION_RECORD_TYPES,
    Judgment,
    PoolExcerpt,
    RelativeAnnotation,
    Triplet,
    validate_record,
)
from earsense_m2t.schemas.io import read_records, write_records

SHA = "b" * 64

EXAMPLES = {
    PoolExcerpt: PoolExcerpt(id="W#1", movement_id="W#1", work_id="W", source_id="abc", start_s=45.0, duration_s=30.0,
                             loudness_before_lufs=-27.5, playback_gain_db=4.5, excerpt_sha256=SHA,
                             excerpt_file=f"{SHA}.ogg", ensemble="quartet", tempo_tag="fast", composer="Anon",
                             rms_dbfs=-24.0, onset_rate_hz=3.5, silver_arousal=0.4, silver_valence=-0.2),
    Triplet: Triplet(id="t0123456789ab", round=1, triplet_type="group:ensemble=quartet",
                     movement_ids=("W#1", "W#2", "X#1"), created_version="1.3.0"),
    Judgment: Judgment(triplet_id="t0123456789ab", a="W#1", b="W#2", question="arousal", answer="ab",
                       annotator="p3f2a", source="human", submitted_at="2026-01-01T00:00:00+00:00",
                       played_a=True, played_b=False),
    RelativeAnnotation: RelativeAnnotation(pair_id="W#1-W#2", triplet_id="t0123456789ab", triplet_type="global",
                                           a="W#1", b="W#2", question="valence", outcome="a",
                                           agreement="majority-agreement", subsets=("gt", "gt.ct"),
                                           triplet_consistency="consistent", source="human", annotators=3),
}


def test_every_annotation_record_type_has_an_example():
    assert set(EXAMPLES) == set(ANNOTATION_RECORD_TYPES)


@pytest.mark.parametrize("record", EXAMPLES.values(), ids=lambda r: type(r).__name__)
def test_round_trip_and_valid(tmp_path, record):
    path = tmp_path / "m.jsonl"
    write_records(path, [record])
    assert read_records(path, type(record)) == [record]
    assert validate_record(record) == []


def test_triplet_pairs_are_in_triplet_order():
    assert EXAMPLES[Triplet].pairs() == (("W#1", "W#2"), ("W#1", "X#1"), ("W#2", "X#1"))
    assert EXAMPLES[Judgment].pair_id == "W#1-W#2"
    assert EXAMPLES[RelativeAnnotation].id == "W#1-W#2/valence"


@pytest.mark.parametrize("cls, change, reason", [
    (PoolExcerpt, {"id": "W#2"}, "is not its movement_id"),
    (PoolExcerpt, {"duration_s": 0.0}, "bad excerpt bounds"),
    (PoolExcerpt, {"excerpt_file": "../x.ogg"}, "not a plain file name"),
    (PoolExcerpt, {"excerpt_sha256": "xyz"}, "not a sha256"),
    (PoolExcerpt, {"playback_gain_db": float("nan")}, "playback_gain_db is not finite"),
    (Triplet, {"id": "t12"}, "12 hex digits"),
    (Triplet, {"round": 0}, "round 0 < 1"),
    (Triplet, {"movement_ids": ("W#1", "W#1", "X#1")}, "three different"),
    (Triplet, {"triplet_type": "group:genre=rock"}, "neither 'global'"),
    (Judgment, {"answer": "c"}, "answer 'c' not in"),
    (Judgment, {"question": "mood"}, "question 'mood' not in"),
    (Judgment, {"b": "W#1"}, "two different movement ids"),
    (RelativeAnnotation, {"pair_id": "W#2-W#1"}, "is not a-b"),
    (RelativeAnnotation, {"agreement": "silver"}, "disagrees with agreement"),
    (RelativeAnnotation, {"source": "silver", "agreement": "silver"}, "silver row is in ground-truth subsets"),
    (RelativeAnnotation, {"subsets": ("gt.x",)}, "not in"),
])
def test_problems_name_the_record_and_value(cls, change, reason):
    bad = dataclasses.replace(EXAMPLES[cls], **change)
    problems = validate_record(bad)
    assert problems, f"{bad} passed"
    assert any(reason in p.reason for p in problems), [p.reason for p in problems]
    assert problems[0].record_id == bad.id


def test_a_judgment_without_listening_flags_reads_them_as_unknown():
    old = {"triplet_id": "t1", "a": "W#1", "b": "W#2", "question": "valence", "answer": "a", "annotator": "p1",
           "source": "human", "submitted_at": "2026-01-01T00:00:00Z"}
    judgment = Judgment.from_dict(old)
    assert (judgment.played_a, judgment.played_b) == (None, None)

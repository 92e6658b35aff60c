"""Silver labels: energy and onset measures, fixed-scale scores, one row per pair and question, human first."""

import numpy as np
import pytest

from earsense_m2t.annotation.silver import (
    SilverParams,
    arousal_score,
    compare,
    merge_with_human,
    onset_rate_hz,
    rms_dbfs,
    silver_annotations,
)
from earsense_m2t.schemas import RelativeAnnotation, Triplet, validate_record
from tests.annotation._builds import MovementAudio, tone

RATE = 22050


def test_rms_level():
    sine = np.sin(2 * np.pi * 440 * np.arange(RATE) / RATE).astype(np.float32)
    assert rms_dbfs(sine) == pytest.approx(-3.01, abs=0.02)
    assert rms_dbfs(0.1 * sine) == pytest.approx(-23.01, abs=0.02)
    assert rms_dbfs(np.zeros(100, np.float32)) is None


@pytest.mark.parametrize("rate", [16000, RATE])  # 16 kHz: the decode excerpts are measured on
@pytest.mark.parametrize("attacks", [1.0, 3.0, 6.0])
def test_onset_rate_counts_note_attacks(attacks, rate):
    samples = tone(MovementAudio(10.0, attacks_hz=attacks), rate)
    assert onset_rate_hz(samples, rate) == pytest.approx(attacks, abs=0.35)


def test_a_steady_tone_has_almost_no_onsets():
    assert onset_rate_hz(tone(MovementAudio(10.0, attacks_hz=0.0), RATE), RATE) < 0.5
    assert onset_rate_hz(np.zeros(100, np.float32), RATE) is None


def test_arousal_orders_loud_busy_fast_above_quiet_sparse_slow():
    energetic = arousal_score(-15.0, 6.0, "fast")
    calm = arousal_score(-35.0, 1.0, "slow")
    assert energetic is not None and calm is not None and energetic > calm + 2
    assert arousal_score(None, None, "fast") == 0.5 and arousal_score(None, None, None) is None


def test_compare_with_tolerance():
    assert compare(1.0, 0.5, 0.25) == "a" and compare(0.5, 1.0, 0.25) == "b"
    assert compare(1.0, 0.9, 0.25) == "ab" and compare(None, 1.0, 0.25) is None


TRIPLET = Triplet(id="t000000000001", round=1, triplet_type="global", movement_ids=("x#1", "y#1", "z#1"))


def test_one_silver_row_per_pair_and_question():
    scores = {"x#1": (1.0, 0.8), "y#1": (0.1, 0.75), "z#1": (2.0, None)}
    rows = silver_annotations([TRIPLET], scores, {"x#1": True, "y#1": True, "z#1": False}, SilverParams())
    assert [(r.pair_id, r.question, r.outcome) for r in rows] == [
        ("x#1-y#1", "arousal", "a"), ("x#1-y#1", "valence", "ab"),
        ("x#1-z#1", "arousal", "b"), ("x#1-z#1", "valence", None),
        ("y#1-z#1", "arousal", "b"), ("y#1-z#1", "valence", None)]
    assert all(r.source == "silver" and r.agreement == "silver" and r.subsets == () and r.annotators == 0
               for r in rows)
    assert [r.in_dataset for r in rows] == [True, True, False, False, False, False]
    assert all(validate_record(r) == [] for r in rows)


def test_complete_human_rows_replace_silver_ones_pair_by_pair():
    silver = silver_annotations([TRIPLET], {"x#1": (1.0, 0.0), "y#1": (0.0, 0.0), "z#1": (0.0, 0.0)})
    full = RelativeAnnotation(pair_id="x#1-y#1", triplet_id=TRIPLET.id, triplet_type="global", a="x#1", b="y#1",
                              question="arousal", outcome="b", agreement="full-agreement", subsets=("gt", "gt.fa"),
                              triplet_consistency="incomplete", source="human", annotators=3)
    waiting = RelativeAnnotation(pair_id="x#1-z#1", triplet_id=TRIPLET.id, triplet_type="global", a="x#1", b="z#1",
                                 question="arousal", outcome=None, agreement="incomplete", source="human", annotators=2)
    merged = merge_with_human(silver, [full, waiting])
    assert len(merged) == len(silver) == 6
    assert merged[0] is full
    assert merged[2].source == "silver" and merged[2].pair_id == "x#1-z#1"  # incomplete: silver stays
    assert [r.source for r in merged].count("human") == 1

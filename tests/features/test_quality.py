"""Quality rules: each flag with its reason, table order, thresholds from params."""

from __future__ import annotations

import numpy as np
import pytest

from earsense_m2t.features.params import AudioParams
from earsense_m2t.features.quality import (
    QUALITY_FLAGS,
    ClipMeasurements,
    clipped_fraction,
    describe_quality_rules,
    even_split_duration,
    quality_flags,
)


def _m(**kw) -> ClipMeasurements:
    base = {"duration_s": 300.0, "loudness_lufs": -20.0, "clipped_fraction": 0.0}
    return ClipMeasurements(**{**base, **kw})


def _flags(m: ClipMeasurements, params: AudioParams = AudioParams()) -> dict[str, str]:
    return dict(quality_flags(m, params))


def test_a_clean_clip_has_no_flags():
    assert quality_flags(_m()) == []


def test_silent():
    assert "below -50.0 LUFS" in _flags(_m(loudness_lufs=-60.0))["silent"]
    assert "absolute gate" in _flags(_m(loudness_lufs=None, loudness_note="silent"))["silent"]
    assert "silent" not in _flags(_m(loudness_lufs=None, loudness_note="shorter than one 400 ms gating block"))
    assert "silent" not in _flags(_m(loudness_lufs=-49.9))


def test_clipped():
    assert "0.50% of samples" in _flags(_m(clipped_fraction=0.005))["clipped"]
    assert "clipped" not in _flags(_m(clipped_fraction=0.0005))


def test_too_short_and_too_long():
    assert _flags(_m(duration_s=12.0))["too_short"] == "12.0 s is shorter than 30 s"
    assert "longer than 40 min" in _flags(_m(duration_s=41 * 60.0))["too_long"]
    assert not _flags(_m(duration_s=30.0)) and not _flags(_m(duration_s=40 * 60.0))


def test_duration_mismatch_uses_the_larger_tolerance():
    # 10 % of 600 s = 60 s beats the 10 s floor
    assert "duration_mismatch" not in _flags(_m(duration_s=655.0, expected_duration_s=600.0))
    reason = _flags(_m(duration_s=700.0, expected_duration_s=600.0, expected_duration_source="spotify"))
    assert reason["duration_mismatch"] == "700.0 s differs from the expected 600.0 s (spotify) by more than 60.0 s"
    # short movements: the 10 s floor applies
    assert "duration_mismatch" not in _flags(_m(duration_s=95.0, expected_duration_s=100.0))
    assert "duration_mismatch" in _flags(_m(duration_s=85.0, expected_duration_s=100.0))
    assert "duration_mismatch" not in _flags(_m(duration_s=85.0, expected_duration_s=None))


def test_flags_follow_the_table_order_and_thresholds_come_from_params():
    m = _m(duration_s=5.0, loudness_lufs=-70.0, clipped_fraction=0.5, expected_duration_s=200.0)
    assert [f for f, _ in quality_flags(m)] == ["silent", "clipped", "too_short", "duration_mismatch"]
    assert [f for f, _ in quality_flags(m)] == [f for f in QUALITY_FLAGS if f in _flags(m)]
    lenient = AudioParams(silent_below_lufs=-80.0, too_short_below_s=1.0, clipped_fraction_above=0.6,
                          duration_tolerance_ratio=1.0)
    assert quality_flags(m, lenient) == []


def test_clipped_fraction_counts_both_polarities():
    x = np.zeros(1000, dtype=np.float32)
    x[:3] = 1.0
    x[3:5] = -1.2
    x[5] = 0.98
    assert clipped_fraction(x, 0.99) == pytest.approx(5 / 1000)
    assert clipped_fraction(np.zeros(0, dtype=np.float32), 0.99) == 0.0


def test_even_split_and_card_description():
    assert even_split_duration(1800.0, 4) == 450.0
    assert even_split_duration(None, 4) is None and even_split_duration(100.0, 0) is None
    rules = describe_quality_rules()
    assert [r["flag"] for r in rules] == list(QUALITY_FLAGS)
    assert rules[0]["thresholds"] == {"silent_below_lufs": -50.0}

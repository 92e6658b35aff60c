"""Cutting a whole-work video by the durations its page lists: cumulative sums, snapped to the gaps."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from scipy.io import wavfile

from earsense_m2t.schemas import Media, Movement, Recording, Segment
from earsense_m2t.segment import prepare_segments
from earsense_m2t.segment.durations import (
    MAX_MISMATCH,
    boundaries_from_durations,
    listed_durations,
    segment_by_durations,
)

SR = 8000
SHA = "e" * 64
NOW = "2026-01-01T00:00:00+00:00"


def performance(durations: list[float], gap_s: float, lead_s: float = 0.0, seed: int = 3) -> np.ndarray:
    """Noise-like music per movement, near-silence between them (and before the first, when asked)."""
    rng = np.random.default_rng(seed)
    parts = [np.zeros(int(lead_s * SR))]
    for i, d in enumerate(durations):
        if i:
            parts.append(rng.normal(0, 1e-4, int(gap_s * SR)))
        parts.append(rng.normal(0, 0.2, int(d * SR)))
    return np.concatenate(parts).astype(np.float32)


@pytest.mark.parametrize("listed, n, expected", [
    ((("I. Allegro", 60.0), ("II. Adagio", 40.0)), 2, [60.0, 40.0]),
    ((("I. Allegro", 60.0), ("II. Adagio", None)), 2, None),  # one duration unknown
    ((("I. Allegro", 60.0), ("II. Adagio", 40.0)), 3, None),  # the list is not these movements
    ((("I. Allegro", 60.0),), 1, None),  # one movement needs no cut
    ((("I. Allegro", 0.0), ("II. Adagio", 40.0)), 2, None),
])
def test_listed_durations_need_one_positive_duration_per_movement(listed, n, expected):
    assert listed_durations(listed, n) == expected


def test_cumulative_boundaries_are_scaled_to_the_video():
    assert boundaries_from_durations([60.0, 40.0, 100.0], 200.0) == [60.0, 100.0]
    assert boundaries_from_durations([60.0, 40.0, 100.0], 210.0) == [63.0, 105.0]


def test_boundaries_move_to_the_gaps_between_movements():
    durations = [50.0, 70.0, 45.0, 60.0]
    audio = performance(durations, gap_s=3.0)
    total = audio.size / SR
    spans, confidence = segment_by_durations(durations, total, audio, SR)
    gap_middles = [50 + 1.5, 50 + 3 + 70 + 1.5, 50 + 3 + 70 + 3 + 45 + 1.5]
    assert [round(start, 1) for start, _ in spans[1:]] == pytest.approx(gap_middles, abs=0.15)
    assert spans[0][0] == 0.0 and spans[-1][1] == pytest.approx(total, abs=1e-3)
    assert confidence == 0.9  # every boundary on a gap: the 9 s the gaps add to the sums cost nothing


def test_without_audio_the_scaled_sums_stand_at_a_lower_confidence():
    spans, confidence = segment_by_durations([60.0, 40.0], 101.0, None, SR)
    assert spans == [(0.0, 60.6), (60.6, 101.0)]
    assert confidence == pytest.approx(0.75 * (1 - 0.5 * (1 / 101) / MAX_MISMATCH), abs=1e-3)


def test_a_list_that_does_not_add_up_to_the_video_is_not_used():
    assert segment_by_durations([60.0, 40.0], 100.0 * (1 + MAX_MISMATCH) + 1, None, SR) is None


# ---- the stage ----------------------------------------------------------------------------------

def _stage(tmp_path: Path, listed, titles_ri: int | None):
    durations = [52.0, 41.0, 63.0]
    audio = performance(durations, gap_s=2.0, lead_s=0.5)
    path = tmp_path / "whole.wav"
    wavfile.write(path, SR, (audio * 32767).astype(np.int16))
    total = audio.size / SR
    mvs = [Movement(id=f"W#{n}", work_id="W", number=n, title=t, title_source="page", titles_ri=titles_ri)
           for n, t in enumerate(("Allegro", "Adagio", "Presto"), 1)]
    rec = Recording(id="W@v", work_id="W", source_url="http://127.0.0.1/watch/v", source_id="v",
                    recording_index=1, listed_movements=listed)
    md = Media(source_id="v", source_url=rec.source_url, path=str(path), sha256=SHA, downloaded_at=NOW,
               duration_s=total, description="Recorded live.")
    return prepare_segments(mvs, [rec], [md]), durations


LISTED = (("I. Allegro", 52.0), ("II. Adagio", 41.0), ("III. Presto", 63.0))


def test_the_stage_cuts_by_the_listed_durations_of_the_recording_the_titles_came_from(tmp_path: Path):
    got, durations = _stage(tmp_path, LISTED, titles_ri=1)
    segments = got.of(Segment)
    assert [s.method for s in segments] == ["durations"] * 3
    starts = [s.start_s for s in segments]
    assert starts[1] == pytest.approx(0.5 + 52 + 1.0, abs=0.15) and starts[2] == pytest.approx(0.5 + 52 + 2 + 41 + 1.0, abs=0.15)
    assert all(0.5 < s.confidence <= 0.9 for s in segments)


def test_durations_of_another_recording_are_not_a_cut(tmp_path: Path):
    got, _ = _stage(tmp_path, LISTED, titles_ri=0)  # the titles came from recording 0's list
    assert {s.method for s in got.of(Segment)} == {"silence"}


def test_a_list_that_does_not_fit_falls_back_to_silence_with_one_decode(tmp_path: Path):
    from earsense_m2t.media.decode import decode_mono

    durations = [52.0, 41.0, 63.0]
    audio = performance(durations, gap_s=2.0)
    path = tmp_path / "whole.wav"
    wavfile.write(path, SR, (audio * 32767).astype(np.int16))
    calls: list[str] = []

    def counting(p: str, rate: int) -> np.ndarray:
        calls.append(p)
        return decode_mono(p, rate)

    listed = (("I. Allegro", 80.0), ("II. Adagio", 41.0), ("III. Presto", 63.0))  # 24 s too long
    mvs = [Movement(id=f"W#{n}", work_id="W", number=n, title=t, title_source="page", titles_ri=0)
           for n, (t, _) in enumerate(listed, 1)]
    rec = Recording(id="W@v", work_id="W", source_url="http://127.0.0.1/watch/v", source_id="v", listed_movements=listed)
    md = Media(source_id="v", source_url=rec.source_url, path=str(path), sha256=SHA, downloaded_at=NOW,
               duration_s=audio.size / SR)
    got = prepare_segments(mvs, [rec], [md], decode=counting)
    assert {s.method for s in got.of(Segment)} == {"silence"} and len(calls) == 1

"""Synthesized audio: deterministic, the right length and level, and movement gaps where the spec says."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import ffmpeg
import numpy as np
import pyloudnorm
import pytest

from earsense_m2t.offline.minisite import SPECIAL_CASES, all_videos, load_catalogue, synth, videos_of
from earsense_m2t.offline.minisite.catalogue import find_work
from earsense_m2t.offline.minisite.media import MediaStore

CAT = load_catalogue()
FRAME_S = 0.02


def decode(path: Path, sr: int = synth.SR) -> np.ndarray:
    out, _ = (
        ffmpeg.input(str(path)).output("pipe:", format="f32le", ac=1, ar=sr).global_args("-loglevel", "error")
        .run(capture_stdout=True, capture_stderr=True)
    )
    return np.frombuffer(out, dtype="<f4")


def silent_runs(audio: np.ndarray, sr: int, min_s: float = 1.5, threshold_db: float = -50.0) -> list[tuple[float, float]]:
    hop = int(FRAME_S * sr)
    frames = audio[: len(audio) // hop * hop].reshape(-1, hop)
    db = 20 * np.log10(np.sqrt((frames.astype(np.float64) ** 2).mean(axis=1)) + 1e-12)
    quiet = np.concatenate([[False], db < threshold_db, [False]])
    edges = np.flatnonzero(np.diff(quiet.astype(int)))
    runs = [(s * FRAME_S, e * FRAME_S) for s, e in zip(edges[::2], edges[1::2], strict=False)]
    return [r for r in runs if r[1] - r[0] >= min_s]


def shortest_video():  # noqa: ANN201
    return min((v for v in all_videos(CAT)), key=lambda v: v.duration_s)


def test_render_is_deterministic_and_exact_length() -> None:
    v = shortest_video()
    a, b = synth.render_video(v), synth.render_video(v)
    assert np.array_equal(a, b)
    assert len(a) == v.duration_s * synth.SR and a.dtype == np.float32
    other = dataclasses.replace(v, recording_index=v.recording_index + 1)
    assert not np.array_equal(a, synth.render_video(other)[: len(a)])


def test_levels_differ_and_never_clip() -> None:
    meter = pyloudnorm.Meter(synth.SR)
    measured = []
    for work_key in ("no_article", "second_recording", "article_skips_movement"):
        v = videos_of(find_work(CAT, SPECIAL_CASES[work_key]))[0]
        audio = synth.render_video(v)
        assert np.abs(audio).max() <= synth.PEAK_LIMIT + 1e-6
        target = v.level_lufs + synth.CLASS_LEVEL_OFFSET_DB[v.movements[0].tempo_class or "medium"]
        lufs = meter.integrated_loudness(audio.astype(np.float64))
        assert lufs == pytest.approx(target, abs=0.5)
        measured.append(lufs)
    assert max(measured) - min(measured) > 5


def test_tempo_matches_class() -> None:
    for v in all_videos(CAT):
        for m in v.movements:
            lo, hi = synth.BPM_RANGES[m.tempo_class or synth.DEFAULT_CLASS]
            assert lo <= synth.movement_bpm(v, m.number) <= hi


def test_encoding_is_deterministic_cached_and_the_right_length(tmp_path: Path) -> None:
    v = shortest_video()
    p1 = MediaStore(tmp_path / "a").ensure(v)
    p2 = MediaStore(tmp_path / "b").ensure(v)
    assert p1.read_bytes() == p2.read_bytes() and p1.name == p2.name
    mtime = p1.stat().st_mtime_ns
    assert MediaStore(tmp_path / "a").ensure(v) == p1 and p1.stat().st_mtime_ns == mtime  # reused
    assert not [p for p in (tmp_path / "a").iterdir() if p.name.startswith(".")]  # no temp leftovers
    louder = dataclasses.replace(v, level_lufs=v.level_lufs + 1)
    assert MediaStore(tmp_path / "a").path_for(louder) != p1  # the key follows the spec
    probe = ffmpeg.probe(str(p1))
    stream = probe["streams"][0]
    assert stream["codec_name"] == "opus" and stream["sample_rate"] == "48000"
    assert float(probe["format"]["duration"]) == pytest.approx(v.duration_s, abs=0.05)
    assert len(decode(p1)) / synth.SR == pytest.approx(v.duration_s, abs=0.05)


def _parse_stamps(description: str) -> list[int]:
    out = []
    for mm, ss in re.findall(r"^(\d{1,2}):(\d{2})\b", description, flags=re.M):
        out.append(int(mm) * 60 + int(ss))
    return out


@pytest.mark.parametrize("key", ["whole_with_timestamps", "whole_without_timestamps"])
def test_whole_work_gaps_match_movement_starts(key: str, media_cache: Path) -> None:
    video = videos_of(find_work(CAT, SPECIAL_CASES[key]))[0]
    path = MediaStore(media_cache).ensure(video)
    audio = decode(path)
    assert len(audio) / synth.SR == pytest.approx(video.duration_s, abs=0.05)
    runs = silent_runs(audio, synth.SR)
    assert len(runs) == len(video.movements) - 1, runs
    for (_, end), start in zip(runs, video.movement_starts_s[1:], strict=False):
        assert end == pytest.approx(start, abs=0.25)
    if key == "whole_with_timestamps":
        assert _parse_stamps(video.description) == list(video.movement_starts_s)
    else:
        assert _parse_stamps(video.description) == []

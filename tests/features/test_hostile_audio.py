"""Hostile audio through the real features stage (soundfile writes the file, ffmpeg decodes it; issue 23).

* NaN/±inf samples in a float WAV: the clip is a failure (``non_finite_audio``), never a ``silent`` clip
  with a spectrogram full of non-finite values that would stop publish.
* A full-scale click in digital silence measures about −45 LUFS, loud enough for no other flag: it is
  flagged ``sparse`` because its active (gated) part is a tiny share of its length.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import soundfile

from earsense_m2t.features.features import prepare_clips
from earsense_m2t.features.params import AudioParams
from earsense_m2t.schemas import Clip, Media, Segment
from earsense_m2t.schemas.io import sha256_file
from earsense_m2t.schemas.results import FLAG_NOTE_PREFIX

RATE = 48000


def _music(seconds: float, rate: int = RATE) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    env = 0.3 + 0.7 * np.abs(np.sin(2 * np.pi * t / 1.7))
    return (0.3 * env * np.sin(2 * np.pi * 220 * t)).astype(np.float32)


def _media_and_segment(path: Path, seconds: float) -> tuple[Media, Segment]:
    media = Media(source_id=path.stem, source_url=f"https://example.org/watch/{path.stem}", path=str(path),
                  sha256=sha256_file(path), downloaded_at="2026-01-01T00:00:00+00:00")
    mid = f"Hostile-Work#{path.stem}"
    return media, Segment(id=mid, movement_id=mid, source_id=media.source_id, media_sha256=media.sha256, start_s=0.0,
                          end_s=seconds, method="chapters", confidence=0.9)


def test_non_finite_samples_make_the_clip_a_non_finite_audio_failure(tmp_path):
    results = {}
    for name, bad in (("nan", np.nan), ("inf", np.inf), ("neginf", -np.inf)):
        samples = _music(40.0)
        samples[RATE * 10:RATE * 10 + 5] = bad  # five bad samples in forty seconds of music
        path = tmp_path / f"{name}.wav"
        soundfile.write(path, samples, RATE, subtype="FLOAT")
        media, segment = _media_and_segment(path, 40.0)
        results[name] = prepare_clips([segment], [media], derived_dir=tmp_path / "derived")
    for name, result in results.items():
        assert not result.records, (name, result.records)
        [failure] = result.failures
        assert failure.code == "non_finite_audio", (name, failure)
        assert str(tmp_path / f"{name}.wav") in failure.reason and "non-finite" in failure.reason
    assert not list((tmp_path / "derived").rglob("*.npy"))  # no spectrogram of it was kept


def test_a_click_in_digital_silence_is_flagged_sparse_and_music_is_not(tmp_path):
    click = np.zeros(RATE * 60, dtype=np.float32)
    click[RATE * 30:RATE * 30 + 480] = 1.0  # 10 ms at full scale in a minute of digital silence
    soundfile.write(tmp_path / "click.wav", click, RATE, subtype="PCM_16")
    soundfile.write(tmp_path / "music.wav", _music(60.0), RATE, subtype="PCM_16")
    clips, notes = {}, {}
    for name in ("click", "music"):
        media, segment = _media_and_segment(tmp_path / f"{name}.wav", 60.0)
        result = prepare_clips([segment], [media], derived_dir=tmp_path / "derived")
        assert not result.failures, result.failures
        [clips[name]] = result.of(Clip)
        notes[name] = result.notes.get(FLAG_NOTE_PREFIX + "sparse", [])
    click_clip = clips["click"]
    assert click_clip.loudness_before_lufs is not None and click_clip.loudness_before_lufs > AudioParams().silent_below_lufs
    assert "silent" not in click_clip.flags
    assert "sparse" in click_clip.flags
    assert "sparse" not in clips["music"].flags and not notes["music"]
    [why] = notes["click"]
    assert "%" in why and "400 ms" in why

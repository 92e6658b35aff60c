"""The features stage end to end on real files: clips, cache reuse, atomicity, failures."""

from __future__ import annotations

import json
import subprocess
from collections import Counter
from pathlib import Path

import numpy as np
import pyloudnorm
import pytest
import soundfile

import earsense_m2t.features.features as features
from earsense_m2t.features.features import clip_files, clip_key, load_spectrogram, prepare_clip, prepare_clips
from earsense_m2t.features.params import AudioExport, AudioParams
from earsense_m2t.features.spectrogram import n_frames
from earsense_m2t.schemas import Clip, Media, Movement, Segment
from earsense_m2t.schemas.io import sha256_file

SR = 16000


def prepare_counted(segment: Segment, media: Media, counts: Counter[str], **kwargs) -> Clip:
    """One clip through the stage entrypoint, adding its computed/reused counts to ``counts``."""
    result = prepare_clips([segment], [media], **kwargs)
    assert not result.failures, result.failures
    counts.update({k: v for k, v in result.counts.items() if v})
    [clip] = result.records
    return clip


def _stereo_music(seconds: float, rate: int = 48000, level: float = 0.3) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    env = 0.3 + 0.7 * np.abs(np.sin(2 * np.pi * t / 1.7))
    left = level * env * np.sin(2 * np.pi * 220 * t)
    right = level * env * np.sin(2 * np.pi * 330 * t)
    return np.stack([left, right], axis=1).astype(np.float32)


def _media(path: Path, source_id: str) -> Media:
    return Media(source_id=source_id, source_url=f"https://example.org/watch/{source_id}", path=str(path),
                 sha256=sha256_file(path), downloaded_at="2026-01-01T00:00:00+00:00")


def _segment(media: Media, number: int, start: float, end: float) -> Segment:
    mid = f"Some-Work#{number}"
    return Segment(id=mid, movement_id=mid, source_id=media.source_id, media_sha256=media.sha256, start_s=start,
                   end_s=end, method="chapters", confidence=0.9)


def make_opus_media(folder: Path, source_id: str = "vid-ok", seconds: float = 6.0) -> Media:
    """A short stereo Opus recording in ``folder``, as the acquire stage leaves one."""
    wav = folder / "src.wav"
    soundfile.write(wav, _stereo_music(seconds), 48000)
    opus = folder / "rec.opus"
    subprocess.run(["ffmpeg", "-nostdin", "-loglevel", "error", "-y", "-i", str(wav), "-c:a", "libopus", "-b:a", "96k",
                    str(opus)], check=True)
    return _media(opus, source_id)


@pytest.fixture(scope="module")
def opus_media(tmp_path_factory) -> Media:
    return make_opus_media(tmp_path_factory.mktemp("media"))


def test_clip_is_normalized_and_its_spectrogram_is_stored(opus_media, tmp_path):
    seg = _segment(opus_media, 1, 1.0, 4.5)
    stats: Counter[str] = Counter()
    clip = prepare_counted(seg, opus_media, derived_dir=tmp_path, audio=AudioExport(), counts=stats)
    assert stats == {"computed": 1}
    assert clip.id == clip.movement_id == "Some-Work#1"
    assert clip.sample_rate_hz == SR and clip.duration_s == pytest.approx(3.5, abs=0.01)
    assert clip.loudness_after_lufs == pytest.approx(-23.0, abs=0.01)
    assert clip.true_peak_dbtp is not None and clip.true_peak_dbtp <= -1.0
    assert "too_short" in clip.flags  # 3.5 s < 30 s
    key = clip_key(opus_media.sha256, 1.0, 4.5)
    assert Path(clip.spectrogram_path) == tmp_path / key[:2] / f"{key}.npy"
    spec = load_spectrogram(clip)
    assert spec.shape == (n_frames(int(3.5 * SR), 510, 256), 256) == (clip.spectrogram_frames, 256)
    assert spec.dtype == np.float16
    # the kept audio, measured independently, is at the target
    audio, rate = soundfile.read(clip.audio_path)
    assert rate == SR and audio.ndim == 1
    assert pyloudnorm.Meter(SR).integrated_loudness(audio) == pytest.approx(-23.0, abs=0.5)
    sidecar = json.loads((tmp_path / key[:2] / f"{key}.json").read_text())
    assert sidecar["loudness"]["before_lufs"] == clip.loudness_before_lufs and sidecar["samples"] == int(3.5 * SR)
    assert Clip.from_dict(clip.to_dict()) == clip


def test_rerun_reuses_without_decoding(opus_media, tmp_path, monkeypatch):
    seg = _segment(opus_media, 2, 0.0, 3.0)
    first = prepare_clip(seg, opus_media, derived_dir=tmp_path)
    files = clip_files(tmp_path, clip_key(opus_media.sha256, 0.0, 3.0))
    mtimes = (files.sidecar.stat().st_mtime_ns, files.spectrogram.stat().st_mtime_ns)

    def no_decoding(*args, **kwargs):
        raise AssertionError("decoded on a rerun")

    monkeypatch.setattr(features, "decode_mono", no_decoding)
    stats: Counter[str] = Counter()
    again = prepare_counted(seg, opus_media, derived_dir=tmp_path, counts=stats)
    assert again == first and stats == {"reused": 1}
    assert (files.sidecar.stat().st_mtime_ns, files.spectrogram.stat().st_mtime_ns) == mtimes
    # flags are re-evaluated from the sidecar: a new expectation flags without decoding
    flagged = prepare_clip(seg, opus_media, derived_dir=tmp_path, expected_duration_s=60.0)
    assert "duration_mismatch" in flagged.flags and "duration_mismatch" not in first.flags


def test_other_parameters_or_spans_are_other_files(opus_media, tmp_path):
    seg = _segment(opus_media, 3, 0.0, 2.0)
    stats: Counter[str] = Counter()
    a = prepare_counted(seg, opus_media, derived_dir=tmp_path, counts=stats)
    b = prepare_counted(seg, opus_media, derived_dir=tmp_path, params=AudioParams(hop_length=160), counts=stats)
    c = prepare_counted(_segment(opus_media, 3, 0.0, 2.5), opus_media, derived_dir=tmp_path, counts=stats)
    # a quality threshold is not part of the key
    d = prepare_counted(seg, opus_media, derived_dir=tmp_path, params=AudioParams(too_short_below_s=1.0), counts=stats)
    assert len({a.spectrogram_path, b.spectrogram_path, c.spectrogram_path}) == 3
    assert d.spectrogram_path == a.spectrogram_path and "too_short" not in d.flags
    assert b.spectrogram_frames == n_frames(2 * SR, 510, 160)
    assert stats == {"computed": 3, "reused": 1}


def test_silent_and_clipped_inputs_are_flagged(tmp_path):
    silent_path = tmp_path / "silent.flac"
    soundfile.write(silent_path, np.zeros((SR * 2, 2), dtype=np.float32), SR)
    hot_path = tmp_path / "hot.wav"
    hot = np.clip(_stereo_music(2.0, rate=SR, level=3.0), -1.0, 1.0)
    soundfile.write(hot_path, hot, SR, subtype="PCM_16")
    silent_media, hot_media = _media(silent_path, "silent"), _media(hot_path, "hot")
    silent = prepare_clip(_segment(silent_media, 1, 0.0, 2.0), silent_media, derived_dir=tmp_path / "d")
    assert silent.loudness_before_lufs is None and silent.gain_db == 0.0 and "silent" in silent.flags
    assert np.all(load_spectrogram(silent) == np.float16(-100.0))
    loud = prepare_clip(_segment(hot_media, 1, 0.0, 2.0), hot_media, derived_dir=tmp_path / "d")
    assert "clipped" in loud.flags and "silent" not in loud.flags


def test_a_failed_write_leaves_no_part_file(opus_media, tmp_path, monkeypatch):
    def broken_writer(samples, fh, params, **kwargs):
        fh.write(b"half a spectrogram")
        raise OSError("disk full")

    monkeypatch.setattr(features, "write_spectrogram", broken_writer)
    result = prepare_clips([_segment(opus_media, 4, 0.0, 2.0)], [opus_media], derived_dir=tmp_path)
    clips, failures = result.records, result.failures
    assert clips == [] and len(failures) == 1 and failures[0].code == "clip_failed" and "disk full" in failures[0].reason
    assert opus_media.path in failures[0].reason
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == []


def test_prepare_clips_records_each_failure_and_goes_on(opus_media, tmp_path):
    html = tmp_path / "html.webm"
    html.write_text("<html><body>This video is unavailable</body></html>")
    empty = tmp_path / "empty.opus"
    empty.touch()
    truncated = tmp_path / "cut.opus"
    data = Path(opus_media.path).read_bytes()
    truncated.write_bytes(data[: len(data) // 3])
    bad = {name: _media(path, name) for name, path in (("html", html), ("empty", empty), ("cut", truncated))}
    segments = [
        _segment(opus_media, 1, 0.0, 2.0),
        _segment(bad["html"], 2, 0.0, 2.0),
        _segment(bad["empty"], 3, 0.0, 2.0),
        _segment(bad["cut"], 4, 0.0, 5.5),
        Segment(id="Some-Work#5", movement_id="Some-Work#5", source_id="gone", media_sha256="0" * 64, start_s=0.0,
                end_s=1.0, method="chapters", confidence=0.5),
        _segment(opus_media, 6, 2.0, 4.0),
    ]
    stale = Segment(**{**segments[5].to_dict(), "id": "Some-Work#7", "movement_id": "Some-Work#7",
                       "media_sha256": "f" * 64})
    result = prepare_clips([*segments, stale], [opus_media, *bad.values()], derived_dir=tmp_path / "derived")
    clips, failures = result.records, result.failures
    assert [c.id for c in clips] == ["Some-Work#1", "Some-Work#6"]
    by_item = {f.item_id: f for f in failures}
    assert set(by_item) == {"Some-Work#2", "Some-Work#3", "Some-Work#4", "Some-Work#5", "Some-Work#7"}
    assert all(f.stage == "features" for f in failures)
    assert str(html) in by_item["Some-Work#2"].reason and "ffmpeg" in by_item["Some-Work#2"].reason
    assert str(empty) in by_item["Some-Work#3"].reason and "empty" in by_item["Some-Work#3"].reason
    assert str(truncated) in by_item["Some-Work#4"].reason and "truncated" in by_item["Some-Work#4"].reason
    assert "no downloaded media for source 'gone'" in by_item["Some-Work#5"].reason
    assert "stale" in by_item["Some-Work#7"].reason
    assert by_item["Some-Work#2"].url == "https://example.org/watch/html"
    assert result.counts == {"computed": 2, "reused": 0, "dropped": 5}
    assert {f.item_id: f.code for f in failures} == {"Some-Work#2": "decode_failed", "Some-Work#3": "decode_failed",
                                                     "Some-Work#4": "decode_failed", "Some-Work#5": "no_media",
                                                     "Some-Work#7": "clip_failed"}
    assert not list((tmp_path / "derived").rglob("*.part"))


def test_load_spectrogram_checks_the_file(opus_media, tmp_path):
    clip = prepare_clip(_segment(opus_media, 8, 0.0, 1.0), opus_media, derived_dir=tmp_path)
    assert load_spectrogram(clip, mmap=True).shape == (clip.spectrogram_frames, 256)
    wrong = Clip(**{**clip.to_dict(), "spectrogram_frames": clip.spectrogram_frames + 1})
    with pytest.raises(ValueError, match="Some-Work#8"):
        load_spectrogram(wrong)
    missing = Clip(**{**clip.to_dict(), "spectrogram_path": str(tmp_path / "nope.npy")})
    with pytest.raises(FileNotFoundError, match="clip Some-Work#8"):
        load_spectrogram(missing)


def test_an_unreadable_sidecar_is_recomputed(opus_media, tmp_path):
    seg = _segment(opus_media, 9, 0.0, 1.5)
    first = prepare_clip(seg, opus_media, derived_dir=tmp_path)
    files = clip_files(tmp_path, clip_key(opus_media.sha256, 0.0, 1.5))
    files.sidecar.write_text("{not json")
    stats: Counter[str] = Counter()
    assert prepare_counted(seg, opus_media, derived_dir=tmp_path, counts=stats) == first
    assert stats == {"computed": 1}


def test_quality_flags_keep_their_reasons_in_the_stage_result(opus_media, tmp_path):
    seg = _segment(opus_media, 10, 0.0, 2.0)
    movement = Movement(id=seg.movement_id, work_id="Some-Work", number=10, title="Allegro", title_source="page",
                        expected_duration_s=60.0)
    result = prepare_clips([seg], [opus_media], [movement], derived_dir=tmp_path)
    [clip] = result.records
    assert "duration_mismatch" in clip.flags
    [why] = result.notes["flag:duration_mismatch"]
    assert why.startswith("Some-Work#10: ") and "60" in why

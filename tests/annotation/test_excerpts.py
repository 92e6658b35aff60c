"""Excerpts: only the excerpt is loaded, loudness-matched with its gain recorded, Opus, cached and verified."""

import json
import os

import numpy as np
import pytest
from pydub import AudioSegment

from earsense_m2t.annotation.excerpts import (
    MEASURE_RATE_HZ,
    RenderError,
    RenderParams,
    has_opus_encoder,
    render_excerpt,
)
from earsense_m2t.annotation.pool import PoolParams, choose_pool
from earsense_m2t.features.loudness import integrated_loudness
from earsense_m2t.schemas.io import sha256_file
from tests.annotation._builds import MovementAudio, make_build

FAST = PoolParams(excerpt_s=4.0)


def decoded(path):
    seg = AudioSegment.from_file(path).set_frame_rate(MEASURE_RATE_HZ)
    data = np.asarray(seg.get_array_of_samples(), dtype=np.float32).reshape(-1, seg.channels).mean(axis=1)
    return seg, data / float(1 << (8 * seg.sample_width - 1))


def dominant_hz(samples, rate=MEASURE_RATE_HZ):
    spectrum = np.abs(np.fft.rfft(samples * np.hanning(samples.size)))
    return np.fft.rfftfreq(samples.size, 1 / rate)[int(np.argmax(spectrum))]


@pytest.fixture
def candidates(tmp_path):
    # W#1 is quiet, W#2 loud: both must come out at the target loudness; W#2's middle is at 1000 Hz
    build = make_build(tmp_path / "media", {"W": [MovementAudio(10.0, freq_hz=660.0, level_db=-32.0),
                                                  MovementAudio(12.0, freq_hz=1000.0, level_db=-12.0)]})
    return choose_pool(build.movements, build.clips, build.segments, build.media, build.works, FAST).admitted


def test_renders_only_the_excerpt_loudness_matched(tmp_path, candidates):
    out = tmp_path / "excerpts"
    params = RenderParams()
    for candidate in candidates:
        rendered = render_excerpt(candidate, out, params)
        path = out / rendered.file
        assert rendered.file == f"{path.stem}.ogg" and rendered.sha256 == sha256_file(path)
        seg, samples = decoded(path)
        assert abs(len(seg) / 1000 - candidate.duration_s) < 0.1
        # the excerpt, not the start of the recording: W#2's tone, not W#1's (which the file starts with)
        assert abs(dominant_hz(samples) - (660.0 if candidate.movement.id == "W#1" else 1000.0)) < 5
        assert integrated_loudness(samples, MEASURE_RATE_HZ) == pytest.approx(params.target_lufs, abs=1.0)
        assert rendered.loudness_lufs is not None
        assert rendered.playback_gain_db == pytest.approx(params.target_lufs - rendered.loudness_lufs, abs=0.01)
    quiet, loud = (render_excerpt(c, out, params) for c in candidates)
    assert quiet.playback_gain_db - loud.playback_gain_db == pytest.approx(20.0, abs=1.0)
    assert quiet.rms_dbfs is not None and loud.rms_dbfs is not None and loud.rms_dbfs - quiet.rms_dbfs > 15


def test_short_fades(tmp_path, candidates):
    rendered = render_excerpt(candidates[1], tmp_path, RenderParams(fade_s=0.5))
    _, samples = decoded(tmp_path / rendered.file)
    head = np.abs(samples[: int(0.02 * MEASURE_RATE_HZ)]).max()
    body = np.abs(samples[int(1.0 * MEASURE_RATE_HZ): int(2.0 * MEASURE_RATE_HZ)]).max()
    assert head < 0.1 * body


def test_cache_is_reused_and_verified(tmp_path, candidates, caplog):
    first = render_excerpt(candidates[0], tmp_path)
    path = tmp_path / first.file
    mtime = path.stat().st_mtime_ns
    again = render_excerpt(candidates[0], tmp_path)
    assert again.reused and not first.reused and path.stat().st_mtime_ns == mtime
    assert again.sha256 == first.sha256 and again.playback_gain_db == first.playback_gain_db
    path.write_bytes(path.read_bytes()[:-100])  # truncated: not reused
    fixed = render_excerpt(candidates[0], tmp_path)
    assert not fixed.reused and "does not match its recorded sha256" in caplog.text
    assert fixed.sha256 == first.sha256 == sha256_file(path)  # bit-exact: the same bytes again
    os.unlink(path)
    assert not render_excerpt(candidates[0], tmp_path).reused
    sidecar = path.with_suffix(".json")
    assert json.loads(sidecar.read_text())["sha256"] == first.sha256


def test_other_parameters_are_another_file(tmp_path, candidates):
    a = render_excerpt(candidates[0], tmp_path, RenderParams())
    b = render_excerpt(candidates[0], tmp_path, RenderParams(target_lufs=-20.0))
    assert a.file != b.file and b.playback_gain_db == pytest.approx(a.playback_gain_db + 3.0, abs=0.01)


def test_mp3_when_asked_or_without_opus(tmp_path, candidates):
    rendered = render_excerpt(candidates[0], tmp_path, RenderParams(format="mp3"))
    assert rendered.file.endswith(".mp3") and len(AudioSegment.from_file(tmp_path / rendered.file)) > 3900
    assert has_opus_encoder()  # Debian's ffmpeg: the default is Ogg/Opus


def test_unreadable_media_names_movement_and_file(tmp_path, candidates):
    broken = candidates[0].media.__class__(**{**candidates[0].media.to_dict(), "path": str(tmp_path / "gone.webm")})
    candidate = candidates[0].__class__(**{**candidates[0].__dict__, "media": broken})
    with pytest.raises(RenderError, match=r"W#1: cannot load 4 s at .* of .*gone\.webm"):
        render_excerpt(candidate, tmp_path)
    assert not list(tmp_path.glob("*.ogg")) and not list(tmp_path.glob("*.part"))


@pytest.mark.parametrize("channels", [1, 2])
def test_an_excerpt_is_loaded_by_seeking_with_the_sources_channels(tmp_path, channels):
    import soundfile as sf

    from earsense_m2t.annotation.excerpts import load_excerpt

    rate = 48000
    t = np.arange(12 * rate) / rate
    left, right = 0.3 * np.sin(2 * np.pi * 440 * t), 0.2 * np.sin(2 * np.pi * 660 * t)
    source = tmp_path / "source.flac"
    sf.write(source, np.stack([left, right], axis=1)[:, :channels], rate, subtype="PCM_16")
    excerpt = load_excerpt(source, 9.0, 2.0, rate, tmp_path / "scratch")
    assert (excerpt.channels, excerpt.frame_rate, len(excerpt)) == (channels, rate, 2000)
    got = np.asarray(excerpt.get_array_of_samples(), dtype=np.float64).reshape(-1, channels) / 2 ** 15
    want = np.stack([left, right], axis=1)[9 * rate:11 * rate, :channels]
    assert np.abs(got - want).max() < 2e-4  # the same samples, 16-bit apart, from the right place
    assert not any((tmp_path / "scratch").iterdir())  # the WAV in between is gone

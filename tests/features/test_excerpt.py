"""Excerpts: a tap of the features stage's decode, loudness-matched with its gain recorded, Opus, cached and
verified; the features stage's one decode writes the same excerpt as a decode for the excerpt alone."""

import json
import os
import subprocess
from pathlib import Path

import numpy as np
import pytest
from pydub import AudioSegment

from earsense_m2t.features import prepare_clips
from earsense_m2t.features.excerpt import (
    RenderError,
    RenderParams,
    has_opus_encoder,
    prepare_excerpt,
)
from earsense_m2t.features.loudness import integrated_loudness
from earsense_m2t.schemas import Clip, Excerpt
from earsense_m2t.schemas.io import sha256_file
from tests.annotation._builds import MovementAudio, make_build

FAST = RenderParams(excerpt_s=4.0)
#: the rate the tests read an excerpt file back at
MEASURE_RATE_HZ = 22050


def render_excerpt(candidate, out, params=FAST):
    segment, media = candidate
    return prepare_excerpt(segment, media, out, params)


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
    return [(s, build.media[0]) for s in build.segments]


def test_renders_only_the_excerpt_loudness_matched(tmp_path, candidates):
    out = tmp_path / "excerpts"
    params = FAST
    for candidate in candidates:
        rendered = render_excerpt(candidate, out, params)
        path = out / rendered.file
        assert rendered.file == f"{path.stem}.ogg" and rendered.sha256 == sha256_file(path)
        seg, samples = decoded(path)
        assert abs(len(seg) / 1000 - 4.0) < 0.1 and rendered.duration_s == pytest.approx(4.0, abs=0.01)
        # the excerpt, not the start of the recording: W#2's tone, not W#1's (which the file starts with)
        assert abs(dominant_hz(samples) - (660.0 if rendered.movement_id == "W#1" else 1000.0)) < 5
        assert integrated_loudness(samples, MEASURE_RATE_HZ) == pytest.approx(params.target_lufs, abs=1.0)
        assert rendered.loudness_lufs is not None
        assert rendered.playback_gain_db == pytest.approx(params.target_lufs - rendered.loudness_lufs, abs=0.01)
    quiet, loud = (render_excerpt(c, out, params) for c in candidates)
    assert quiet.playback_gain_db - loud.playback_gain_db == pytest.approx(20.0, abs=1.0)
    assert quiet.rms_dbfs is not None and loud.rms_dbfs is not None and loud.rms_dbfs - quiet.rms_dbfs > 15


def test_short_fades(tmp_path, candidates):
    rendered = render_excerpt(candidates[1], tmp_path, RenderParams(excerpt_s=4.0, fade_s=0.5))
    _, samples = decoded(tmp_path / rendered.file)
    head = np.abs(samples[: int(0.02 * MEASURE_RATE_HZ)]).max()
    body = np.abs(samples[int(1.0 * MEASURE_RATE_HZ): int(2.0 * MEASURE_RATE_HZ)]).max()
    assert head < 0.1 * body


def test_cache_is_reused_and_verified(tmp_path, candidates, caplog):
    first = render_excerpt(candidates[0], tmp_path)
    path = tmp_path / first.file
    mtime = path.stat().st_mtime_ns
    again = render_excerpt(candidates[0], tmp_path)
    assert path.stat().st_mtime_ns == mtime  # reused
    assert again.sha256 == first.sha256 and again.playback_gain_db == first.playback_gain_db
    path.write_bytes(path.read_bytes()[:-100])  # truncated: not reused
    fixed = render_excerpt(candidates[0], tmp_path)
    assert "does not match its recorded sha256" in caplog.text
    assert fixed.sha256 == first.sha256 == sha256_file(path)  # bit-exact: the same bytes again
    os.unlink(path)
    assert render_excerpt(candidates[0], tmp_path).sha256 == first.sha256 and path.is_file()
    sidecar = path.with_suffix(".json")
    assert json.loads(sidecar.read_text())["sha256"] == first.sha256


def test_other_parameters_are_another_file(tmp_path, candidates):
    a = render_excerpt(candidates[0], tmp_path, FAST)
    b = render_excerpt(candidates[0], tmp_path, RenderParams(excerpt_s=4.0, target_lufs=-20.0))
    assert a.file != b.file and b.playback_gain_db == pytest.approx(a.playback_gain_db + 3.0, abs=0.01)


def test_the_opus_effort_is_part_of_the_key_and_checked_by_name(tmp_path, candidates):
    low = render_excerpt(candidates[0], tmp_path, FAST)
    high = render_excerpt(candidates[0], tmp_path, RenderParams(excerpt_s=4.0, opus_complexity=10))
    assert FAST.opus_complexity == 0 and low.file != high.file and low.sha256 != high.sha256
    assert low.playback_gain_db == high.playback_gain_db  # the same measurement, another encoding
    for bad in (11, -1, 2.5):
        with pytest.raises(ValueError, match="opus_complexity"):
            RenderParams(opus_complexity=bad)


def _packet_durations_ms(path) -> set[float]:
    out = subprocess.run(["ffprobe", "-v", "error", "-select_streams", "a:0", "-show_entries", "packet=duration_time",
                          "-of", "csv=p=0", str(path)], capture_output=True, text=True, check=True).stdout
    return {round(float(v.strip(",")) * 1000, 1) for v in out.split() if v.strip(",")}


def test_opus_packets_of_60_ms_decode_to_the_same_samples_as_20_ms_packets(tmp_path, candidates):
    """At this bitrate libopus codes 20-ms CELT frames whatever a packet holds: three to a packet cost less to encode
    and decode to the very same samples, in another file (the packet duration is part of the key)."""
    long = render_excerpt(candidates[0], tmp_path, FAST)
    short = render_excerpt(candidates[0], tmp_path, RenderParams(excerpt_s=4.0, opus_frame_ms=20))
    assert FAST.opus_frame_ms == 60 and long.file != short.file and long.sha256 != short.sha256
    assert max(_packet_durations_ms(tmp_path / long.file)) == 60.0
    assert max(_packet_durations_ms(tmp_path / short.file)) == 20.0
    (_, a), (_, b) = decoded(tmp_path / long.file), decoded(tmp_path / short.file)
    assert a.size == b.size and np.array_equal(a, b)
    for bad in (30, 0, 2.4):
        with pytest.raises(ValueError, match="opus_frame_ms must be one of 2.5, 5, 10, 20, 40, 60, 80, 100, 120"):
            RenderParams(opus_frame_ms=bad)


def test_mp3_when_asked_or_without_opus(tmp_path, candidates):
    rendered = render_excerpt(candidates[0], tmp_path, RenderParams(excerpt_s=4.0, format="mp3"))
    assert rendered.file.endswith(".mp3") and len(AudioSegment.from_file(tmp_path / rendered.file)) > 3900
    assert has_opus_encoder()  # Debian's ffmpeg: the default is Ogg/Opus


def test_unreadable_media_names_movement_and_file(tmp_path, candidates):
    segment, media = candidates[0]
    broken = media.__class__(**{**media.to_dict(), "path": str(tmp_path / "gone.webm")})
    with pytest.raises(RenderError, match=r"W#1: .*gone\.webm"):
        render_excerpt((segment, broken), tmp_path)
    assert not list(tmp_path.glob("*.ogg")) and not list(tmp_path.glob("*.part")) and not list(tmp_path.glob(".tap-*"))


def test_too_short_a_movement_has_no_excerpt(tmp_path, candidates):
    segment, media = candidates[0]
    assert render_excerpt((segment, media), tmp_path, RenderParams(min_duration_s=60.0)) is None


@pytest.mark.parametrize("channels", [1, 2])
def test_the_features_stage_cuts_the_excerpt_from_its_one_decode(tmp_path, channels):
    """One ffmpeg decode gives the spectrogram's samples and the 48 kHz excerpt (the source's channels, from the
    middle of the movement); the file is the one a decode for the excerpt alone gives, so a re-cut is the same."""
    import soundfile as sf

    from earsense_m2t.schemas import Media, Segment

    rate = 44100
    t = np.arange(20 * rate) / rate
    left, right = 0.3 * np.sin(2 * np.pi * 440 * t), 0.2 * np.sin(2 * np.pi * 660 * t)
    source = tmp_path / "source.flac"
    sf.write(source, np.stack([left, right], axis=1)[:, :channels], rate, subtype="PCM_16")
    sha = "ab" * 32
    media = Media(source_id="s", source_url="http://127.0.0.1/s", path=str(source), sha256=sha,
                  downloaded_at="2026-01-01T00:00:00+00:00")
    segment = Segment(id="W#1", movement_id="W#1", source_id="s", media_sha256=sha, start_s=2.0, end_s=16.0,
                      method="chapters", confidence=1.0)
    params = RenderParams(excerpt_s=4.0)
    result = prepare_clips([segment], [media], derived_dir=tmp_path / "derived", excerpts_dir=tmp_path / "ex",
                           render=params)
    (clip,), (excerpt,) = result.of(Clip), result.of(Excerpt)
    assert result.failures == [] and result.counts["computed"] == 1
    assert (excerpt.start_s, excerpt.duration_s) == (5.0, 4.0) and clip.duration_s == pytest.approx(14.0)
    seg = AudioSegment.from_file(excerpt.path)
    assert (seg.channels, seg.frame_rate) == (channels, 48000) and abs(len(seg) - 4000) < 30
    assert not list((tmp_path / "ex").glob(".tap-*"))  # the decode's WAV is gone
    alone = prepare_excerpt(segment, media, tmp_path / "alone", params)
    assert alone is not None and alone.sha256 == excerpt.sha256 == sha256_file(excerpt.path)
    left = sorted(p.name for p in (tmp_path / "alone").rglob("*") if p.is_file())
    assert Path(alone.path).name in left and not [n for n in left if n.startswith(".")]  # no spilled samples, no tap
    again = prepare_clips([segment], [media], derived_dir=tmp_path / "derived", excerpts_dir=tmp_path / "ex",
                          render=params)
    assert again.counts["reused"] == 1 and again.of(Excerpt) == [excerpt]


def test_the_movements_samples_are_freed_before_the_excerpt_is_rendered(tmp_path, monkeypatch):
    """The excerpt (and the exported audio) are rendered after the movement's decoded samples are released, so a
    long movement's peak memory is the larger of the two phases, not their sum (issue 25's memory goal)."""
    import gc
    import weakref

    import soundfile as sf

    from earsense_m2t.features import features as stage
    from earsense_m2t.schemas import Media, Segment

    rate = 44100
    source = tmp_path / "source.flac"
    sf.write(source, 0.3 * np.sin(2 * np.pi * 440 * np.arange(16 * rate) / rate), rate, subtype="PCM_16")
    decoded_arrays: list[weakref.ref] = []
    decoded_files: list[Path] = []
    alive_at_render: list[bool] = []
    real_decode, real_render = stage.decode_mono, stage.render_from_wav

    def decode(*args, **kwargs):
        decoded = real_decode(*args, **kwargs)  # the samples' file: its array is what a worker holds
        real_mapped = decoded.mapped

        def mapped():
            array = real_mapped()
            decoded_arrays.append(weakref.ref(array))
            return array

        decoded.mapped = mapped
        decoded_files.append(decoded.path)
        return decoded

    def render(*args, **kwargs):
        gc.collect()
        alive_at_render.append(any(ref() is not None for ref in decoded_arrays)
                               or any(path.exists() for path in decoded_files))
        return real_render(*args, **kwargs)

    monkeypatch.setattr(stage, "decode_mono", decode)
    monkeypatch.setattr(stage, "render_from_wav", render)
    media = Media(source_id="s", source_url="http://127.0.0.1/s", path=str(source), sha256="cd" * 32,
                  downloaded_at="2026-01-01T00:00:00+00:00")
    segment = Segment(id="W#1", movement_id="W#1", source_id="s", media_sha256="cd" * 32, start_s=0.0, end_s=15.0,
                      method="chapters", confidence=1.0)
    result = prepare_clips([segment], [media], derived_dir=tmp_path / "derived", excerpts_dir=tmp_path / "ex",
                           render=RenderParams(excerpt_s=4.0))
    assert result.failures == [] and len(result.of(Excerpt)) == 1
    assert decoded_arrays and alive_at_render == [False]


def test_an_excerpt_on_its_own_reads_back_only_its_span_of_the_movement(tmp_path):
    """prepare_excerpt decodes the whole segment (as the features stage does, so the two excerpts are the same
    bytes) to a file and reads back only the excerpt's span: a long segment never sits in memory."""
    import tracemalloc

    import soundfile as sf

    from earsense_m2t.schemas import Media, Segment

    rate, seconds = 16000, 240
    t = np.arange(rate * seconds) / rate
    source = tmp_path / "long.flac"
    sf.write(source, (0.3 * np.sin(2 * np.pi * 440 * t) * (1 + 0.5 * np.sin(2 * np.pi * t / 7))).astype(np.float32),
             rate, subtype="PCM_16")
    media = Media(source_id="s", source_url="http://127.0.0.1/s", path=str(source), sha256="cd" * 32,
                  downloaded_at="2026-01-01T00:00:00+00:00")
    segment = Segment(id="L#1", movement_id="L#1", source_id="s", media_sha256="cd" * 32, start_s=0.0,
                      end_s=float(seconds), method="chapters", confidence=1.0)
    short = Segment(id="S#1", movement_id="S#1", source_id="s", media_sha256="cd" * 32, start_s=0.0, end_s=12.0,
                    method="chapters", confidence=1.0)
    assert prepare_excerpt(short, media, tmp_path / "warm", RenderParams(excerpt_s=4.0)) is not None  # imports done
    tracemalloc.start()
    try:
        excerpt = prepare_excerpt(segment, media, tmp_path / "ex", RenderParams(excerpt_s=4.0))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert excerpt is not None and excerpt.duration_s == 4.0
    assert peak < 0.25 * rate * seconds * 4  # the movement in memory would be 15.4 MB (float32)
    assert not [p for p in (tmp_path / "ex").rglob(".*")]


def test_an_excerpt_on_its_own_without_room_for_the_samples_stops_before_ffmpeg(tmp_path, monkeypatch):
    import soundfile as sf

    from earsense_m2t.features import excerpt as module
    from earsense_m2t.media import decode
    from earsense_m2t.schemas import Media, Segment
    from earsense_m2t.schemas.io import DiskFull

    source = tmp_path / "s.flac"
    sf.write(source, np.zeros(16000 * 20, dtype=np.float32), 16000, subtype="PCM_16")
    media = Media(source_id="s", source_url="http://127.0.0.1/s", path=str(source), sha256="ef" * 32,
                  downloaded_at="2026-01-01T00:00:00+00:00")
    segment = Segment(id="D#1", movement_id="D#1", source_id="s", media_sha256="ef" * 32, start_s=0.0, end_s=20.0,
                      method="chapters", confidence=1.0)
    monkeypatch.setattr(decode, "free_bytes", lambda path: 1000)
    monkeypatch.setattr(module, "decode_mono", lambda *a, **k: pytest.fail("decoded without room for the samples"))
    with pytest.raises(DiskFull, match=r"the disk is full writing .*\.samples\.f32 \(it needs about"):
        prepare_excerpt(segment, media, tmp_path / "ex", RenderParams(excerpt_s=4.0))
    assert not [p for p in (tmp_path / "ex").rglob("*") if p.is_file()]

"""The features stage decodes to a file: mapped whole for most movements, read by slices for long ones; the same
files either way, and the same as from the samples piped into memory."""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pytest
import soundfile

import earsense_m2t.features.features as features
from earsense_m2t.features.features import prepare_clips
from earsense_m2t.features.loudness import measure_loudness
from earsense_m2t.features.params import AudioExport, AudioParams
from earsense_m2t.features.spectrogram import write_spectrogram
from earsense_m2t.media.decode import DecodeError, SampleFile, decode_mono
from earsense_m2t.schemas import Excerpt
from earsense_m2t.schemas.io import DiskFull
from tests.features.test_features import _segment, make_opus_media

SR = 16000


@pytest.fixture(scope="module")
def long_media(tmp_path_factory):
    return make_opus_media(tmp_path_factory.mktemp("spill-media"), "vid-long", seconds=40.0)


def _outputs(result) -> dict[str, bytes]:
    """Every file the stage wrote for the movement, by kind, and the sidecar without its time stamp."""
    [clip] = [r for r in result.records if not isinstance(r, Excerpt)]
    [excerpt] = [r for r in result.records if isinstance(r, Excerpt)]
    sidecar = json.loads(Path(clip.spectrogram_path).with_suffix(".json").read_text())
    sidecar.pop("computed_at")
    return {"spectrogram": Path(clip.spectrogram_path).read_bytes(), "audio": Path(str(clip.audio_path)).read_bytes(),
            "excerpt": Path(excerpt.path).read_bytes(), "sidecar": json.dumps(sidecar, sort_keys=True).encode()}


def test_mapped_and_sliced_movements_give_byte_for_byte_the_files_of_samples_in_memory(long_media, tmp_path,
                                                                                     monkeypatch):
    segment = _segment(long_media, 1, 2.0, 39.0)
    decodes: list[object] = []
    real_decode = features.decode_mono

    def spying_decode(*args, **kwargs):
        samples = real_decode(*args, **kwargs)
        decodes.append(samples)
        return samples

    monkeypatch.setattr(features, "decode_mono", spying_decode)

    def run(where: Path):
        result = prepare_clips([segment], [long_media], derived_dir=where / "derived", excerpts_dir=where / "ex",
                               audio=AudioExport())
        assert not result.failures, result.failures
        assert not list(where.rglob("*.f32")), "the decoded samples' file outlived its clip"
        return result

    mapped = run(tmp_path / "mapped")
    monkeypatch.setattr(features, "MAPPED_MAX_S", 30.0)  # this 37-s movement is now a long one: read by slices
    sliced = run(tmp_path / "sliced")
    assert [type(d) for d in decodes] == [SampleFile, SampleFile]
    assert _outputs(sliced) == _outputs(mapped)
    # and the spectrogram is the one the samples piped into memory give (decode_mono without a file)
    piped = decode_mono(long_media.path, SR, start_s=2.0, duration_s=37.0)
    expected = io.BytesIO()
    write_spectrogram(piped, expected, AudioParams(), gain=measure_loudness(piped).gain)
    assert _outputs(mapped)["spectrogram"] == expected.getvalue()


def test_a_sample_file_answers_slices_and_maps_as_the_array_would(long_media, tmp_path):
    in_memory = decode_mono(long_media.path, SR, start_s=1.0, duration_s=20.0)
    spill = tmp_path / "s.f32"
    with decode_mono(long_media.path, SR, start_s=1.0, duration_s=20.0, spill=spill) as samples:
        assert isinstance(samples, SampleFile)
        assert samples.shape == in_memory.shape and samples.size == len(samples) == in_memory.size
        for part in (slice(0, None), slice(5, 17), slice(100_000, 10**9), slice(7, 7), slice(-300, None)):
            got = samples[part]
            assert got.dtype == np.float32 and np.array_equal(got, in_memory[part])
        with pytest.raises(TypeError, match="contiguous slices"):
            samples[::2]
        whole = samples.mapped()
        assert np.array_equal(whole, in_memory) and not whole.flags.writeable
        del whole
    assert not spill.exists()


def test_a_failed_spilled_decode_leaves_no_file(long_media, tmp_path):
    spill = tmp_path / "s.f32"
    with pytest.raises(DecodeError, match="truncated or corrupt"):
        decode_mono(long_media.path, SR, start_s=0.0, duration_s=60.0, spill=spill)  # the file holds 40 s
    assert not spill.exists()
    bad = tmp_path / "not-audio.opus"
    bad.write_bytes(b"no audio here" * 100)
    with pytest.raises(DecodeError, match="not-audio.opus"):
        decode_mono(bad, SR, spill=spill)
    assert not spill.exists()


def test_no_room_for_the_spill_stops_the_stage_before_ffmpeg_runs(long_media, tmp_path, monkeypatch):
    from earsense_m2t.media import decode

    monkeypatch.setattr(decode, "free_bytes", lambda path: 1000)
    monkeypatch.setattr(features, "decode_mono", lambda *a, **k: pytest.fail("decoded without room for the spill"))
    with pytest.raises(DiskFull, match=r"features: the disk is full writing .*\.samples\.f32 \(it needs about"):
        prepare_clips([_segment(long_media, 1, 2.0, 39.0)], [long_media], derived_dir=tmp_path / "derived")


def test_audio_at_another_rate_is_the_same_movement_at_the_same_level(long_media, tmp_path):
    """``build --audio`` at a rate other than the spectrograms' comes from a tap of the same decode, with the same gain."""
    segment = _segment(long_media, 1, 2.0, 39.0)
    levels = {}
    for rate in (16000, 22050):
        result = prepare_clips([segment], [long_media], derived_dir=tmp_path / str(rate), audio=AudioExport(sample_rate_hz=rate))
        assert not result.failures, result.failures
        [clip] = result.records
        audio, got_rate = soundfile.read(str(clip.audio_path), dtype="float32")
        info = soundfile.info(str(clip.audio_path))
        assert got_rate == rate and info.channels == 1 and info.subtype == "PCM_16"
        assert audio.shape[0] == pytest.approx(37.0 * rate, abs=2)
        levels[rate] = 20 * np.log10(np.sqrt(np.mean(np.square(audio, dtype=np.float64))))
        assert not list((tmp_path / str(rate)).rglob(".tap-*")), "the tap outlived its clip"
    assert levels[22050] == pytest.approx(levels[16000], abs=0.1)

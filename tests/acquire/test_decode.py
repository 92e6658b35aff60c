"""Decoding real files with the real ffmpeg: formats, spans, and the ways a file can be bad."""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pytest
import soundfile

from earsense_m2t.media.decode import DecodeError, Tap, decode_command, decode_mono

SR = 16000


def _tone(seconds: float, rate: int, freq: float, amp: float = 0.5, channels: int = 2) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    mono = (amp * np.sin(2 * np.pi * freq * t)).astype(np.float32)
    return np.repeat(mono[:, None], channels, axis=1) if channels > 1 else mono


def _encode(src: Path, dst: Path, *args: str) -> Path:
    subprocess.run(["ffmpeg", "-nostdin", "-loglevel", "error", "-y", "-i", str(src), *args, str(dst)], check=True)
    return dst


@pytest.fixture(scope="module")
def stereo_wav(tmp_path_factory) -> Path:
    """2 s at 44.1 kHz stereo: 1 s of 440 Hz, then 1 s of 2 kHz."""
    path = tmp_path_factory.mktemp("decode") / "two tones.wav"
    soundfile.write(path, np.concatenate([_tone(1, 44100, 440), _tone(1, 44100, 2000)]), 44100)
    return path


def _dominant_hz(x: np.ndarray) -> float:
    spectrum = np.abs(np.fft.rfft(x * np.hanning(x.size)))
    return float(np.argmax(spectrum) * SR / x.size)


def test_wav_stereo_to_16k_mono(stereo_wav):
    x = decode_mono(stereo_wav, SR)
    assert x.dtype == np.float32 and x.ndim == 1
    assert abs(x.size - 2 * SR) <= 2
    # the downmix is the mean of the channels: identical channels keep their amplitude
    assert np.sqrt(np.mean(x[: SR // 2] ** 2)) == pytest.approx(0.5 / np.sqrt(2), rel=0.02)


def test_span_is_sample_accurate(stereo_wav):
    x = decode_mono(stereo_wav, SR, start_s=1.25, duration_s=0.5)
    assert x.size == SR // 2
    assert _dominant_hz(x) == pytest.approx(2000, abs=5)
    head = decode_mono(stereo_wav, SR, start_s=0.2, duration_s=0.5)
    assert _dominant_hz(head) == pytest.approx(440, abs=5)


@pytest.mark.parametrize("suffix, args", [(".flac", ()), (".opus", ("-c:a", "libopus", "-b:a", "96k"))])
def test_compressed_formats(stereo_wav, tmp_path, suffix, args):
    path = _encode(stereo_wav, tmp_path / f"clip{suffix}", *args)
    x = decode_mono(path, SR, start_s=0.5, duration_s=1.0)
    assert abs(x.size - SR) <= 1
    assert np.abs(x).max() < 0.7


def test_name_with_colon_and_spaces(stereo_wav, tmp_path):
    odd = tmp_path / "a:b c.wav"
    odd.write_bytes(stereo_wav.read_bytes())
    assert decode_mono(odd, SR, duration_s=0.5).size == SR // 2


def test_command_is_an_argument_list_that_does_not_flush_every_packet(stereo_wav):
    cmd = decode_command(stereo_wav, SR, start_s=1.5, duration_s=2.0)
    assert isinstance(cmd, list) and cmd[0].endswith("ffmpeg")
    assert cmd[cmd.index("-flush_packets") + 1] == "0"
    assert cmd.index("-ss") < cmd.index("-i")  # input seeking


def test_overs_are_kept(tmp_path):
    path = tmp_path / "hot.wav"
    soundfile.write(path, _tone(0.5, SR, 100, amp=1.5, channels=1), SR, subtype="FLOAT")
    assert decode_mono(path, SR).max() > 1.4


@pytest.mark.parametrize("channels", [1, 2, 6])
def test_the_mono_stream_is_the_same_with_taps_and_keeps_its_overs(tmp_path, channels):
    """A tap's 16-bit, mono-or-stereo conversion is its own: it must not reach back through the split into the mono
    stream (which then came out 16-bit, clipped at full scale, and for 5.1 folded to stereo first)."""
    path = tmp_path / f"hot-{channels}.wav"
    rng = np.random.default_rng(channels)
    hot = _tone(1.0, 48000, 220, amp=2.0, channels=channels) * rng.uniform(0.7, 1.0, channels).astype(np.float32)
    soundfile.write(path, hot, 48000, subtype="FLOAT")
    alone = decode_mono(path, SR, start_s=0.1, duration_s=0.8)
    taps = [Tap(tmp_path / "excerpt.wav", 48000, start_s=0.2, duration_s=0.5),
            Tap(tmp_path / "audio.wav", 22050, channels=1, sample_format="flt")]
    tapped = decode_mono(path, SR, start_s=0.1, duration_s=0.8, taps=taps)
    assert np.array_equal(tapped, alone)
    assert tapped.max() > 1.0  # not clipped by the 16-bit tap
    excerpt, rate = soundfile.read(taps[0].path, dtype="int16", always_2d=True)
    assert rate == 48000 and excerpt.shape == (24000, min(channels, 2)) and excerpt.max() == 32767  # its own clip


def test_missing_file(tmp_path):
    with pytest.raises(DecodeError, match="nothere.opus: no such file"):
        decode_mono(tmp_path / "nothere.opus", SR)


def test_zero_length_file(tmp_path):
    empty = tmp_path / "empty.opus"
    empty.touch()
    with pytest.raises(DecodeError, match=r"empty\.opus: file is empty"):
        decode_mono(empty, SR)


def test_html_instead_of_audio_names_the_file_and_ffmpeg_says_why(tmp_path):
    page = tmp_path / "video.webm"
    page.write_text("<!doctype html><html><body>Sign in to confirm you are not a bot</body></html>")
    with pytest.raises(DecodeError) as info:
        decode_mono(page, SR)
    assert str(page) in str(info.value) and "exited with status" in str(info.value)
    assert info.value.ffmpeg_said and "Invalid data" in info.value.ffmpeg_said
    assert isinstance(info.value, RuntimeError)  # the segmenter catches RuntimeError


@pytest.mark.parametrize("suffix", [".wav", ".flac"])
def test_truncated_file(stereo_wav, tmp_path, suffix):
    full = _encode(stereo_wav, tmp_path / f"full{suffix}") if suffix != ".wav" else stereo_wav
    cut = tmp_path / f"cut{suffix}"
    data = full.read_bytes()
    cut.write_bytes(data[: len(data) // 3])
    with pytest.raises(DecodeError, match=r"cut\.(wav|flac): truncated or corrupt: decoded"):
        decode_mono(cut, SR, duration_s=2.0, shortfall_tolerance_s=0.2)
    with pytest.raises(DecodeError, match=r"cut\.(wav|flac): decoding errors"):
        decode_mono(cut, SR)


def test_span_past_the_end(stereo_wav):
    with pytest.raises(DecodeError, match="no audio samples decoded from 5.000-6.000 s"):
        decode_mono(stereo_wav, SR, start_s=5.0, duration_s=1.0)


def test_empty_span_is_refused(stereo_wav):
    with pytest.raises(DecodeError, match="empty or negative span"):
        decode_mono(stereo_wav, SR, start_s=1.0, duration_s=0.0)

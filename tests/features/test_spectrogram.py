"""Spectrogram layout, scale and the streaming writer."""

from __future__ import annotations

import io

import numpy as np
import pytest

from earsense_m2t.features.params import AudioParams
from earsense_m2t.features.spectrogram import (
    iter_log_spectrogram,
    log_spectrogram,
    mel_filterbank,
    n_frames,
    spectrogram_parameters,
    write_spectrogram,
)

SR = 16000
P = AudioParams()


def _sine(freq: float, seconds: float = 1.0, amp: float = 1.0) -> np.ndarray:
    t = np.arange(int(seconds * SR)) / SR
    return (amp * np.sin(2 * np.pi * freq * t)).astype(np.float32)


@pytest.mark.parametrize("n", [0, 509, 510, 511, 766, 767, 16000, 16001])
def test_shape_dtype_and_frame_formula(n):
    spec = log_spectrogram(np.zeros(n, dtype=np.float32), P)
    expected = 0 if n < 510 else 1 + (n - 510) // 256
    assert spec.shape == (expected, 256) and spec.dtype == np.float16
    assert n_frames(n, 510, 256) == expected


def test_tone_lands_in_its_bin_at_0_db():
    bin_hz = SR / P.n_fft
    spec = log_spectrogram(_sine(32 * bin_hz), P).astype(np.float32)
    assert set(np.argmax(spec, axis=1)) == {32}
    assert np.median(spec[:, 32]) == pytest.approx(0.0, abs=0.1)  # full-scale sine on a bin centre
    assert spec[:, 100].max() < -60


def test_off_centre_tone_and_gain_folding():
    x = _sine(1000.0, amp=0.25)
    spec = log_spectrogram(x, P, gain=4.0).astype(np.float32)
    assert np.argmax(spec.mean(axis=0)) == round(1000 / (SR / P.n_fft))
    direct = log_spectrogram(x * np.float32(4.0), P).astype(np.float32)
    assert np.abs(spec - direct).max() < 0.1


def test_silence_sits_on_the_floor():
    spec = log_spectrogram(np.zeros(SR, dtype=np.float32), P)
    assert np.all(spec == np.float16(-100.0))


def test_chunking_does_not_change_the_result():
    x = np.random.default_rng(0).standard_normal(SR * 2).astype(np.float32) * 0.1
    whole = log_spectrogram(x, P)
    pieces = np.concatenate(list(iter_log_spectrogram(x, P, chunk_frames=7)))
    assert np.array_equal(whole, pieces)


def test_writer_produces_a_loadable_npy():
    x = _sine(440.0, seconds=2.0, amp=0.5)
    buf = io.BytesIO()
    shape = write_spectrogram(x, buf, P, gain=2.0)
    buf.seek(0)
    loaded = np.load(buf)
    assert loaded.shape == shape == (n_frames(x.size, 510, 256), 256)
    assert np.array_equal(loaded, log_spectrogram(x, P, gain=2.0))


def test_mel_variant():
    params = AudioParams(spectrogram_kind="mel", n_mels=128)
    bank = mel_filterbank(SR, 510, 128)
    assert bank.shape == (128, 256) and np.all(bank.sum(axis=1) > 0)  # no empty band
    raw = log_spectrogram(_sine(2000.0), params)
    assert raw.shape == (n_frames(SR, 510, 256), 128) and raw.dtype == np.float16
    spec = raw.astype(np.float32)
    centres = np.argmax(bank, axis=1) * SR / 510
    assert abs(centres[np.argmax(spec.mean(axis=0))] - 2000) < 100
    assert log_spectrogram(_sine(2000.0), P, kind="mel").shape[1] == 128


def test_parameters_for_the_card():
    card = spectrogram_parameters(P)
    assert card["n_bins"] == 256 and card["n_fft"] == 510 and card["hop_length"] == 256
    assert card["frame_rate_hz"] == 62.5 and card["dtype"] == "float16"
    assert "hann" in str(card["window"]) and card["bin_hz"] == pytest.approx(31.37, abs=0.01)
    assert spectrogram_parameters(AudioParams(spectrogram_kind="mel"))["n_bins"] == 128


def test_params_refuse_inconsistent_bins():
    with pytest.raises(ValueError, match="n_fft=512 gives 257"):
        AudioParams(n_fft=512)

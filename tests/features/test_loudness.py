"""Loudness, true peak and gain: equal to pyloudnorm / full oversampling, and honest at the edges."""

from __future__ import annotations

import numpy as np
import pyloudnorm
import pytest
import scipy.signal

from earsense_m2t.features import loudness as L
from earsense_m2t.features.params import AudioParams

SR = 16000


def _music_like(seconds: float, seed: int = 0) -> np.ndarray:
    """Noise and tones under a slow dynamics envelope: blocks on both sides of the gates."""
    rng = np.random.default_rng(seed)
    n = int(seconds * SR)
    t = np.arange(n) / SR
    env = 0.02 + 0.98 * (0.5 + 0.5 * np.sin(2 * np.pi * t / 3.1)) ** 3
    x = env * (0.3 * np.sin(2 * np.pi * 330 * t) + 0.05 * rng.standard_normal(n))
    x[int(0.4 * n):int(0.5 * n)] = 0.0  # a general pause
    return x.astype(np.float32)


@pytest.mark.parametrize("seconds", [0.4, 1.0, 7.3, 33.37])
def test_integrated_loudness_equals_pyloudnorm(seconds):
    x = _music_like(seconds)
    ours = L.integrated_loudness(x, SR)
    reference = pyloudnorm.Meter(SR).integrated_loudness(x.astype(np.float64))
    assert ours == pytest.approx(reference, abs=1e-6)


def test_integrated_loudness_at_48k_equals_pyloudnorm():
    x = np.random.default_rng(3).standard_normal(48000 * 3) * 0.1
    assert L.integrated_loudness(x, 48000) == pytest.approx(pyloudnorm.Meter(48000).integrated_loudness(x), abs=1e-6)


def test_silence_is_minus_infinity_and_short_audio_is_refused():
    assert L.integrated_loudness(np.zeros(SR, dtype=np.float32), SR) == float("-inf")
    with pytest.raises(ValueError, match="shorter than one 400 ms gating block"):
        L.integrated_loudness(np.zeros(SR // 4, dtype=np.float32), SR)


def test_true_peak_equals_full_oversampling():
    h, _ = L.interpolation_filter(4, 12)
    rng = np.random.default_rng(5)
    signals = [_music_like(4.0, seed) for seed in range(3)]
    signals += [rng.standard_normal(n).astype(np.float32) * 0.3 for n in (1, 13, 511, 512, 513, 5000)]
    # sparse loud clicks in quiet music: the screening must still find them
    clicks = _music_like(4.0, 9) * 0.05
    clicks[[100, 30001, 63999]] = [0.2, -0.9, 0.6]
    signals.append(clicks)
    for x in signals:
        full = float(np.abs(scipy.signal.resample_poly(x, 4, 1, window=h)).max())
        assert L.true_peak(x) == pytest.approx(full, rel=1e-6), x.size


def test_true_peak_sees_between_samples():
    # a sine at fs/4 sampled 45 degrees off its crests: every sample is at 0.707, the wave reaches 1.0
    n = np.arange(SR)
    x = np.sin(2 * np.pi * n / 4 + np.pi / 4).astype(np.float32)
    assert np.abs(x).max() == pytest.approx(0.7071, abs=1e-3)
    assert L.true_peak(x) == pytest.approx(1.0, abs=0.02)


def test_interpolation_bound_holds():
    h, rows = L.interpolation_filter(4, 12)
    x = np.random.default_rng(1).standard_normal(4000).astype(np.float32)
    y = scipy.signal.resample_poly(x, 4, 1, window=h)
    m, d = np.abs(x).max(), np.abs(np.diff(x)).max()
    inner = y[400:-400]  # away from the zero-padded ends
    for p in range(4):
        assert np.abs(inner[p::4]).max() <= rows[p, 0] * m + rows[p, 1] * d + 1e-6


def _measure_after(x: np.ndarray, result: L.Loudness) -> float:
    return pyloudnorm.Meter(SR).integrated_loudness(x.astype(np.float64) * 10 ** (result.gain_db / 20))


@pytest.mark.parametrize("level", [0.01, 0.1, 0.5])
def test_normalized_loudness_is_within_half_a_lu_of_target(level):
    x = _music_like(5.0) * level
    result = L.measure_loudness(x)
    assert not result.limited
    assert result.after_lufs == pytest.approx(-23.0, abs=0.01)
    assert _measure_after(x, result) == pytest.approx(-23.0, abs=0.5)


def test_hot_signal_is_held_at_the_true_peak_ceiling():
    # quiet body, one full-scale click: the loudness target would put the click at about +20 dBTP
    x = _music_like(5.0) * 0.02
    x[SR] = 1.0
    result = L.measure_loudness(x)
    assert result.limited
    assert result.true_peak_dbtp <= -1.0
    assert result.true_peak_dbtp == pytest.approx(-1.0, abs=0.002)
    assert result.after_lufs < -23.0
    after = x * np.float32(result.gain)
    assert 20 * np.log10(L.true_peak(after)) <= -1.0 + 1e-4
    assert _measure_after(x, result) == pytest.approx(result.after_lufs, abs=0.01)


def test_silence_gets_no_gain_and_is_marked():
    result = L.measure_loudness(np.zeros(2 * SR, dtype=np.float32))
    assert result.before_lufs is None and result.after_lufs is None
    assert result.gain_db == 0.0 and not result.limited and result.silent
    assert result.true_peak_dbtp is None


def test_too_short_to_measure_is_not_called_silent():
    result = L.measure_loudness(_music_like(0.2))
    assert result.before_lufs is None and not result.silent
    assert "400 ms" in (result.unmeasured or "")


def test_ceiling_and_target_come_from_params():
    x = _music_like(3.0) * 0.1
    result = L.measure_loudness(x, AudioParams(target_lufs=-16.0, true_peak_ceiling_dbtp=-3.0))
    assert result.after_lufs == pytest.approx(-16.0, abs=0.01) or result.limited
    assert result.true_peak_dbtp <= -3.0

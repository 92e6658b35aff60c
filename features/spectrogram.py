"""Log-magnitude spectrograms: 256 linear STFT bins (as in the Music-to-Text Synaesthesia paper), or
log-mel bands.

Layout and scale, the way the dataset card states them (:func:`spectrogram_parameters`):

* frames are not centred or padded: frame ``i`` covers samples ``[i*hop, i*hop + n_fft)``, so a clip of
  ``n`` samples has ``1 + (n - n_fft) // hop`` frames (none if ``n < n_fft``) and frame ``i`` is
  centred at ``(i*hop + n_fft/2) / sample_rate`` seconds;
* periodic Hann window of ``n_fft`` samples, scaled by ``2 / sum(window)`` so that a full-scale sine
  on a bin centre reads 0 dB; values are ``20*log10(max(|X|, floor))`` (mel: ``10*log10`` of the
  band power), floored at ``log_floor_db``;
* stored as float16 ``(frames, bins)``: dB values between -100 and about +6 keep ~0.03 dB precision.

The STFT runs over strided views of the signal (no frame matrix of the whole clip), 512 frames at a
time, each view over its own slice of the samples (so a spilled decode, :class:`earsense_m2t.media.decode.SampleFile`,
is read a slice at a time), in float32 with ``scipy.fft``; the loudness gain is folded into the window, so the normalized
signal never has to exist, and chunks can be written straight into the ``.npy`` file.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from functools import lru_cache
from typing import TYPE_CHECKING, BinaryIO

import numpy as np
import scipy.fft

from earsense_m2t.features.params import AudioParams

if TYPE_CHECKING:
    from earsense_m2t.media.decode import Samples

CHUNK_FRAMES = 512  # a 1 MB frame matrix stays in cache through window, FFT and log
DTYPE = np.dtype("<f2")


def n_frames(n_samples: int, n_fft: int, hop_length: int) -> int:
    """Frames of an uncentred, unpadded STFT."""
    return 0 if n_samples < n_fft else 1 + (n_samples - n_fft) // hop_length


@lru_cache(maxsize=8)
def analysis_window(n_fft: int) -> np.ndarray:
    """Periodic Hann, scaled so a full-scale sine on a bin centre has magnitude 1 (0 dB)."""
    k = np.arange(n_fft)
    w = 0.5 - 0.5 * np.cos(2.0 * np.pi * k / n_fft)
    return (w * (2.0 / w.sum())).astype(np.float32)


def hz_to_mel(f: np.ndarray | float) -> np.ndarray:
    """HTK mel scale."""
    return 2595.0 * np.log10(1.0 + np.asarray(f, dtype=np.float64) / 700.0)


def mel_to_hz(m: np.ndarray | float) -> np.ndarray:
    return 700.0 * (10.0 ** (np.asarray(m, dtype=np.float64) / 2595.0) - 1.0)


@lru_cache(maxsize=8)
def mel_filterbank(sample_rate_hz: int, n_fft: int, n_mels: int, fmin_hz: float = 0.0,
                   fmax_hz: float | None = None) -> np.ndarray:
    """Triangular filters (unit peak) on the HTK mel scale, shape ``(n_mels, n_fft // 2 + 1)``, float32.

    With only 256 bins 31 Hz apart, the lowest of 128 bands are narrower than a bin; a band that
    catches no bin centre takes the nearest bin whole, so no band is ever empty (neighbouring low
    bands then repeat a bin, which is honest about the resolution there).
    """
    fmax_hz = sample_rate_hz / 2 if fmax_hz is None else fmax_hz
    bin_hz = np.arange(n_fft // 2 + 1) * sample_rate_hz / n_fft
    edges = mel_to_hz(np.linspace(hz_to_mel(fmin_hz), hz_to_mel(fmax_hz), n_mels + 2))
    lower, centre, upper = edges[:-2, None], edges[1:-1, None], edges[2:, None]
    rising = (bin_hz - lower) / (centre - lower)
    falling = (upper - bin_hz) / (upper - centre)
    bank = np.clip(np.minimum(rising, falling), 0.0, None)
    for band in np.flatnonzero(bank.sum(axis=1) == 0):
        bank[band, int(np.argmin(np.abs(bin_hz - edges[band + 1])))] = 1.0
    return bank.astype(np.float32)


def output_bins(params: AudioParams, kind: str | None = None) -> int:
    kind = kind or params.spectrogram_kind
    return params.n_mels if kind == "mel" else params.n_bins


def iter_log_spectrogram(samples: Samples, params: AudioParams = AudioParams(), *, gain: float = 1.0,
                         kind: str | None = None, chunk_frames: int = CHUNK_FRAMES) -> Iterator[np.ndarray]:
    """Yield float16 ``(frames, bins)`` pieces of the log spectrogram of ``gain * samples``, in order."""
    kind = kind or params.spectrogram_kind
    if kind not in ("linear", "mel"):
        raise ValueError(f"spectrogram kind must be 'linear' or 'mel', got {kind!r}")
    if samples.ndim != 1:
        raise ValueError(f"spectrogram expects mono samples, got shape {samples.shape}")
    n_fft, hop = params.n_fft, params.hop_length
    total = n_frames(samples.shape[0], n_fft, hop)
    if total == 0:
        return
    window = analysis_window(n_fft) * np.float32(gain)
    bank = (mel_filterbank(params.sample_rate_hz, n_fft, params.n_mels, params.mel_fmin_hz, params.mel_fmax_hz)
            if kind == "mel" else None)
    floor_db = params.log_floor_db
    # the windowed frames and the magnitudes go into buffers kept across chunks: a new ~1 MB temporary per chunk
    # costs fresh pages (the allocator hands such sizes back to the kernel) on top of the arithmetic
    windowed = np.empty((min(chunk_frames, total), n_fft), dtype=np.float32)
    magnitudes = np.empty((min(chunk_frames, total), n_fft // 2 + 1), dtype=np.float32)
    for f0 in range(0, total, chunk_frames):
        count = min(chunk_frames, total - f0)
        span = samples[f0 * hop:(f0 + count - 1) * hop + n_fft]  # the chunk's frames' samples (a view of an array)
        signal = span if span.dtype == np.float32 else span.astype(np.float32)
        frames = np.lib.stride_tricks.sliding_window_view(signal, n_fft)[::hop]  # a view: no copy
        block = np.multiply(frames, window, out=windowed[:count])
        spec = scipy.fft.rfft(block, axis=1)
        if bank is None:
            values = np.abs(spec, out=magnitudes[:count])
            np.maximum(values, np.float32(10.0 ** (floor_db / 20.0)), out=values)
            np.log10(values, out=values)
            values *= np.float32(20.0)
        else:
            power = spec.real * spec.real
            power += spec.imag * spec.imag
            values = power @ bank.T
            np.maximum(values, np.float32(10.0 ** (floor_db / 10.0)), out=values)
            np.log10(values, out=values)
            values *= np.float32(10.0)
        yield values.astype(DTYPE)


def log_spectrogram(samples: Samples, params: AudioParams = AudioParams(), *, gain: float = 1.0,
                    kind: str | None = None) -> np.ndarray:
    """The whole log spectrogram as one float16 ``(frames, bins)`` array."""
    total = n_frames(samples.shape[0], params.n_fft, params.hop_length)
    out = np.empty((total, output_bins(params, kind)), dtype=DTYPE)
    pos = 0
    for piece in iter_log_spectrogram(samples, params, gain=gain, kind=kind):
        out[pos:pos + piece.shape[0]] = piece
        pos += piece.shape[0]
    return out


def write_spectrogram(samples: Samples, fh: BinaryIO | io.BufferedWriter, params: AudioParams = AudioParams(), *,
                      gain: float = 1.0, kind: str | None = None) -> tuple[int, int]:
    """Write the spectrogram as a ``.npy`` to an open binary file, piece by piece; returns its shape.

    The frame count is known from the sample count, so the header is written first and the whole array
    never sits in memory (115 MB for an hour).
    """
    shape = (n_frames(samples.shape[0], params.n_fft, params.hop_length), output_bins(params, kind))
    header = {"descr": np.lib.format.dtype_to_descr(DTYPE), "fortran_order": False, "shape": shape}
    np.lib.format.write_array_header_1_0(fh, header)
    written = 0
    for piece in iter_log_spectrogram(samples, params, gain=gain, kind=kind):
        fh.write(np.ascontiguousarray(piece).data.cast("B"))
        written += piece.shape[0]
    if written != shape[0]:
        raise RuntimeError(f"spectrogram writer produced {written} frames, expected {shape[0]}")
    return shape


def spectrogram_parameters(params: AudioParams = AudioParams()) -> dict[str, object]:
    """What the dataset card says about the spectrograms."""
    kind = params.spectrogram_kind
    out: dict[str, object] = {
        "kind": kind,
        "sample_rate_hz": params.sample_rate_hz,
        "window": f"{params.window} (periodic), {params.n_fft} samples, scaled so a full-scale sine reads 0 dB",
        "n_fft": params.n_fft,
        "hop_length": params.hop_length,
        "frame_rate_hz": params.frame_rate_hz,
        "frames": "1 + (n_samples - n_fft) // hop_length (no centring, no padding)",
        "frame_time_s": "(i * hop_length + n_fft / 2) / sample_rate_hz",
        "n_bins": output_bins(params),
        "scale": ("dB re full-scale sine: 20*log10(|STFT|)" if kind == "linear"
                  else "dB re full-scale sine: 10*log10(mel band power)"),
        "floor_db": params.log_floor_db,
        "dtype": "float16",
        "layout": "(frames, bins)",
        "input": (f"{params.sample_rate_hz} Hz mono, loudness-normalized to {params.target_lufs} LUFS "
                  f"(true peak <= {params.true_peak_ceiling_dbtp} dBTP)"),
    }
    if kind == "linear":
        out["bin_hz"] = params.sample_rate_hz / params.n_fft
    else:
        out["mel"] = {"scale": "HTK", "n_mels": params.n_mels, "fmin_hz": params.mel_fmin_hz,
                      "fmax_hz": params.mel_fmax_hz or params.sample_rate_hz / 2, "filters": "triangular, unit peak"}
    return out


__all__ = ["analysis_window", "iter_log_spectrogram", "log_spectrogram", "mel_filterbank", "n_frames",
           "spectrogram_parameters", "write_spectrogram"]

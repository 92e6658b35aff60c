"""Loudness (EBU R128 / ITU-R BS.1770-4), true peak, and the gain that normalizes a clip.

Measured on the 16 kHz mono signal the dataset publishes (the mean of the channels), so the numbers
describe what a user gets. They are not the stereo file's loudness: BS.1770 sums the channels' power,
so the same stereo recording measures 3 dB (identical channels) to 6 dB (uncorrelated channels)
louder than its mono mean.

* Integrated loudness is pyloudnorm's: the K-weighting filters are taken from ``pyloudnorm.Meter``
  and the block layout and gating repeat ``Meter.integrated_loudness`` step for step (the tests check
  equality). What changes is the cost: pyloudnorm copies the whole signal, filters it in float64 in
  two passes and gates 400 ms blocks in Python loops (0.6 s per 10 minutes, several copies of a
  60-minute movement in memory); here the signal is filtered in 256 Ki-sample chunks with the filter
  state carried across, squared in place and summed between block edges with ``np.add.reduceat``.
* True peak is the maximum of the 4x oversampled signal (``scipy.signal.resample_poly`` with a
  12-taps-per-phase interpolator, as BS.1770-4 Annex 2). It is exact, but computed only where it can
  matter: from each block's largest sample and largest sample-to-sample step follows a bound on its
  oversampled peak (:func:`interpolation_filter`), and blocks whose bound is below the best peak
  found so far are skipped. Music with dynamics oversamples a few per cent of its blocks; loud,
  steady, bright material (noise, distorted rock) up to all of them (0.2 s per 10 minutes).
* Gain brings the clip to the target (−23 LUFS) unless that would push the true peak above the
  ceiling (−1 dBTP); then the gain stops at the ceiling and ``limited`` says so. No limiter or
  compressor touches the signal: the gain is one number.
* ``gated_fraction`` is the share of the 400 ms blocks that pass both gates: the part of the clip the
  integrated loudness describes (a click in digital silence measures a normal loudness from 1 % of it).
* Samples or a loudness that are not finite (NaN, ±inf from a float file) raise :class:`NonFiniteAudio`:
  such a clip is a failure, never "silent" with a spectrogram full of NaN.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np

from earsense_m2t.features.params import AudioParams

if TYPE_CHECKING:
    from earsense_m2t.media.decode import Samples

CHUNK_SAMPLES = 1 << 18  # 2 MB of float64: stays in cache between filtering, squaring and summing
PEAK_BLOCK_SAMPLES = 512
PEAK_RUN_BLOCKS = 128  # longest stretch oversampled in one call: bounds the 4x temporary (1 MB)
ABSOLUTE_GATE_LUFS = -70.0


class NonFiniteAudio(ValueError):
    """The decoded samples (or the loudness measured on them) hold NaN or ±inf: the clip cannot be published."""

    code = "non_finite_audio"


def check_finite(samples: Samples, where: str) -> None:
    """Raise :class:`NonFiniteAudio` naming ``where`` and the count when any sample is NaN or ±inf (chunked:
    no full-length temporary)."""
    bad = 0
    for c0 in range(0, samples.shape[0], CHUNK_SAMPLES):
        bad += int(np.count_nonzero(~np.isfinite(samples[c0:c0 + CHUNK_SAMPLES])))
    if bad:
        raise NonFiniteAudio(f"{where}: {bad} non-finite sample(s) (NaN or ±inf) in the decoded audio")


@dataclass(frozen=True)
class Loudness:
    """What normalization measured and did; the dB values are rounded to 1/1000."""

    before_lufs: float | None  # None: no gated block (digital silence) or shorter than one 400 ms block
    after_lufs: float | None
    gain_db: float
    true_peak_dbtp: float | None  # after gain; None for all-zero audio
    limited: bool  # the true-peak ceiling, not the loudness target, set the gain
    true_peak_before_dbtp: float | None = None
    unmeasured: str | None = None  # why before_lufs is None
    #: share of the 400 ms blocks that pass both gates (0 for silence, None when shorter than one block)
    gated_fraction: float | None = None

    @property
    def silent(self) -> bool:
        return self.unmeasured == "silent"

    @property
    def gain(self) -> float:
        """Linear amplitude factor."""
        return 10.0 ** (self.gain_db / 20.0)


@lru_cache(maxsize=8)
def k_weighting_sos(rate: int) -> np.ndarray:
    """pyloudnorm's K-weighting stages (high shelf, then high pass) as one second-order-section cascade."""
    import pyloudnorm  # here, not at the top: a refresh with nothing to measure never imports scipy.signal
    meter = pyloudnorm.Meter(rate)
    sections = []
    for stage in meter._filters.values():  # noqa: SLF001 - the filters are the part we reuse
        if stage.passband_gain != 1.0:
            raise ValueError(f"pyloudnorm stage {stage.filter_type} has passband gain {stage.passband_gain}")
        sections.append(np.concatenate([stage.b, stage.a]))
    return np.array(sections, dtype=np.float64)


def integrated_loudness(samples: Samples, rate: int) -> float:
    """Integrated loudness of mono ``samples`` in LUFS; ``-inf`` when no block passes the gates.

    Same result as ``pyloudnorm.Meter(rate).integrated_loudness(samples)``, in one pass over chunks.
    Raises ``ValueError`` for audio shorter than one 400 ms block, as pyloudnorm does.
    """
    return gated_loudness(samples, rate)[0]


def gated_loudness(samples: Samples, rate: int) -> tuple[float, float]:
    """(integrated loudness in LUFS as :func:`integrated_loudness`, share of the blocks that pass both gates)."""
    import pyloudnorm
    import scipy.signal
    if samples.ndim != 1:
        raise ValueError(f"integrated_loudness expects mono samples, got shape {samples.shape}")
    meter = pyloudnorm.Meter(rate)
    n = samples.shape[0]
    block_s, step = meter.block_size, 1.0 - meter.overlap
    if n < block_s * rate:
        raise ValueError(f"audio of {n} samples is shorter than one {block_s * 1000:.0f} ms gating block")
    # block edges exactly as pyloudnorm computes them (same float expressions, then truncation)
    n_blocks = int(np.round((n / rate - block_s) / (block_s * step))) + 1
    j = np.arange(n_blocks)
    lo = (block_s * (j * step) * rate).astype(np.int64)
    hi = np.minimum((block_s * (j * step + 1) * rate).astype(np.int64), n)
    edges = np.unique(np.concatenate([lo, hi, np.arange(0, n, CHUNK_SAMPLES), [n]]))
    interval_sums = np.empty(edges.size - 1, dtype=np.float64)  # sum of squares between consecutive edges
    sos = k_weighting_sos(rate)
    zi = np.zeros((sos.shape[0], 2), dtype=np.float64)
    wide = np.empty(CHUNK_SAMPLES, dtype=np.float64)  # one buffer for the float64 copies (no fresh pages per chunk)
    k = 0
    for c0 in range(0, n, CHUNK_SAMPLES):
        c1 = min(c0 + CHUNK_SAMPLES, n)
        chunk = wide[:c1 - c0]
        chunk[:] = samples[c0:c1]
        y, zi = scipy.signal.sosfilt(sos, chunk, zi=zi)
        np.multiply(y, y, out=y)
        starts = edges[(edges >= c0) & (edges < c1)] - c0
        interval_sums[k:k + starts.size] = np.add.reduceat(y, starts)
        k += starts.size
    prefix = np.concatenate([[0.0], np.cumsum(interval_sums)])
    z = (prefix[np.searchsorted(edges, hi)] - prefix[np.searchsorted(edges, lo)]) / (block_s * rate)
    z = np.maximum(z, 0.0)  # a difference of prefix sums can undershoot zero by rounding
    with np.errstate(divide="ignore", invalid="ignore"):
        block_lufs = -0.691 + 10.0 * np.log10(z)
        above_abs = block_lufs >= ABSOLUTE_GATE_LUFS
        if not above_abs.any():
            return float("-inf"), 0.0
        relative_gate = -0.691 + 10.0 * np.log10(z[above_abs].mean()) - 10.0
        gated = (block_lufs > relative_gate) & (block_lufs > ABSOLUTE_GATE_LUFS)
        if not gated.any():
            return float("-inf"), 0.0
        return float(-0.691 + 10.0 * np.log10(z[gated].mean())), int(np.count_nonzero(gated)) / n_blocks


@lru_cache(maxsize=8)
def interpolation_filter(oversampling: int, taps_per_phase: int) -> tuple[np.ndarray, np.ndarray]:
    """The true-peak interpolator (as given to ``resample_poly``) and the bound it implies.

    Output ``oversampling*n + p`` of ``resample_poly`` is ``sum_d w_p(d) * x[n + d]``. Writing each
    ``x[n + d]`` as ``x[n + d0] + (x[n + d] - x[n + d0])``, with ``d0`` the nearest input sample, gives
    ``|y| <= A_p * max|x| + B_p * max|x[i+1] - x[i]|`` with ``A_p = |sum_d w_p(d)|`` and
    ``B_p = sum_d |w_p(d)| * |d - d0|``. The second array holds one ``(A_p, B_p)`` row per phase. Music
    is mostly low-frequency, so sample-to-sample steps are small and this bound is tight (about 2 %
    of blocks need oversampling on a melodic test signal, instead of 12 % with ``sum|w_p| * max|x|``).
    """
    import scipy.signal
    h = scipy.signal.firwin(oversampling * taps_per_phase + 1, 1.0 / oversampling, window=("kaiser", 5.0))
    scaled = h * oversampling  # resample_poly scales the filter by the up factor
    half = (h.size - 1) // 2
    rows = []
    for p in range(oversampling):
        d = np.arange(-(h.size // oversampling) - 2, h.size // oversampling + 3)
        idx = p + half - oversampling * d
        ok = (idx >= 0) & (idx < h.size)
        w, d = scaled[idx[ok]], d[ok]
        rows.append((abs(float(w.sum())), min(float((np.abs(w) * np.abs(d - d0)).sum()) for d0 in (0, 1))))
    return h.astype(np.float32), np.array(rows, dtype=np.float64)


def true_peak(samples: Samples, oversampling: int = 4, taps_per_phase: int = 12) -> float:
    """Largest magnitude of ``resample_poly(samples, oversampling, 1, window=filter)``, linear.

    Exact, but only the blocks whose bound could beat the best peak found so far are oversampled, in
    runs of at most PEAK_RUN_BLOCKS blocks, so the 4x signal never exists as a whole.
    """
    import scipy.signal
    n = samples.shape[0]
    if n == 0:
        return 0.0
    if oversampling == 1:
        return max(float(np.abs(samples[c0:c0 + CHUNK_SAMPLES]).max()) for c0 in range(0, n, CHUNK_SAMPLES))
    h, phase_bounds = interpolation_filter(oversampling, taps_per_phase)
    margin = taps_per_phase + 2  # input samples either side that reach an output inside a run
    block = PEAK_BLOCK_SAMPLES
    n_blocks = -(-n // block)
    peak = np.empty(n_blocks, dtype=np.float32)  # max |x| per block
    step = np.empty(n_blocks, dtype=np.float32)  # max |x[i+1] - x[i]| per block
    per_chunk = CHUNK_SAMPLES // block
    # one buffer for every chunk's |x| and |x[i+1] - x[i]|: a new 1 MB temporary per step costs more in fresh pages
    # (the allocator hands such sizes back to the kernel) than the arithmetic (32 against 7 ms per 10 minutes)
    work = np.empty(CHUNK_SAMPLES + 1, dtype=np.float32)
    for b0 in range(0, n_blocks, per_chunk):
        b1 = min(b0 + per_chunk, n_blocks)
        chunk = samples[b0 * block:min(b1 * block + 1, n)]  # one sample more for the last step
        within = min((b1 - b0) * block, chunk.shape[0])
        peak[b0:b1] = _block_max(np.abs(chunk[:within], out=work[:within]), block)
        steps = np.subtract(chunk[1:], chunk[:-1], out=work[:chunk.shape[0] - 1])
        step[b0:b1] = _block_max(np.abs(steps, out=steps), block, b1 - b0)
    for arr in (peak, step):  # a block's outputs reach a few samples into each neighbour
        wider = arr.copy()
        np.maximum(wider[1:], arr[:-1], out=wider[1:])
        np.maximum(wider[:-1], arr[1:], out=wider[:-1])
        arr[:] = wider
    bound = (phase_bounds[:, :1] * peak.astype(np.float64) + phase_bounds[:, 1:] * step).max(axis=0)
    bound[[0, -1]] = np.inf  # zero padding beyond the ends is a step the block statistics do not see

    def exact(b0: int, b1: int) -> float:
        s0, s1 = b0 * block, min(b1 * block, n)
        lo, hi = max(s0 - margin, 0), min(s1 + margin, n)
        y = scipy.signal.resample_poly(samples[lo:hi], oversampling, 1, window=h)
        y = y[(s0 - lo) * oversampling:(s1 - lo) * oversampling]
        return float(max(y.max(), -y.min()))

    top = int(np.argmax(peak))
    best = exact(top, top + 1)
    candidates = np.flatnonzero(bound > best)
    if candidates.size == 0:
        return best
    # contiguous runs of candidates, cut to PEAK_RUN_BLOCKS, visited from the highest bound down
    breaks = np.flatnonzero(np.diff(candidates) != 1) + 1
    runs: list[tuple[float, int, int]] = []
    for run in np.split(candidates, breaks):
        for r0 in range(0, run.size, PEAK_RUN_BLOCKS):
            piece = run[r0:r0 + PEAK_RUN_BLOCKS]
            runs.append((float(bound[piece].max()), int(piece[0]), int(piece[-1]) + 1))
    runs.sort(reverse=True)
    for run_bound, b0, b1 in runs:
        if run_bound <= best:
            break
        best = max(best, exact(b0, b1))
    return best


def _block_max(values: np.ndarray, block: int, n_blocks: int | None = None) -> np.ndarray:
    """Max of each ``block``-long piece (the last may be shorter); ``n_blocks`` pieces at most."""
    n_blocks = -(-values.size // block) if n_blocks is None else n_blocks
    out = np.zeros(n_blocks, dtype=np.float32)
    full = min(values.size // block, n_blocks)
    if full:
        out[:full] = values[:full * block].reshape(full, block).max(axis=1)
    if full < n_blocks and values.size > full * block:
        out[full] = values[full * block:(full + 1) * block].max()
    return out


def to_db(value: float) -> float | None:
    return 20.0 * math.log10(value) if value > 0 else None


def measure_loudness(samples: Samples, params: AudioParams = AudioParams()) -> Loudness:
    """Measure ``samples`` and choose the normalization gain (the samples are not changed)."""
    rate = params.sample_rate_hz
    peak_db = to_db(true_peak(samples, params.true_peak_oversampling, params.true_peak_taps_per_phase))
    if samples.shape[0] < 0.4 * rate:
        return Loudness(before_lufs=None, after_lufs=None, gain_db=0.0, true_peak_dbtp=_r(peak_db), limited=False,
                        true_peak_before_dbtp=_r(peak_db), unmeasured="shorter than one 400 ms gating block")
    before, gated_fraction = gated_loudness(samples, rate)
    if math.isnan(before) or before == math.inf or (peak_db is not None and not math.isfinite(peak_db)):
        raise NonFiniteAudio(f"the loudness ({before} LUFS) or true peak ({peak_db} dBTP) is not finite: "
                             "the audio holds non-finite or out-of-range values")
    if not math.isfinite(before):  # -inf: no block above the gates
        return Loudness(before_lufs=None, after_lufs=None, gain_db=0.0, true_peak_dbtp=_r(peak_db), limited=False,
                        true_peak_before_dbtp=_r(peak_db), unmeasured="silent", gated_fraction=0.0)
    # the gain is rounded to 1/1000 dB *before* use, so the stored number is the one applied; a
    # limited gain rounds down, so rounding can never lift the peak over the ceiling
    gain_db = round(params.target_lufs - before, 3)
    limited = False
    if peak_db is not None and peak_db + gain_db > params.true_peak_ceiling_dbtp:
        gain_db = math.floor((params.true_peak_ceiling_dbtp - peak_db) * 1000.0) / 1000.0
        limited = True
    # integrated loudness scales with the gain exactly, unless blocks cross the -70 LUFS absolute gate
    return Loudness(before_lufs=_r(before), after_lufs=_r(before + gain_db), gain_db=gain_db,
                    true_peak_dbtp=_r(None if peak_db is None else peak_db + gain_db), limited=limited,
                    true_peak_before_dbtp=_r(peak_db), gated_fraction=round(gated_fraction, 6))


def _r(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


__all__ = ["Loudness", "NonFiniteAudio", "check_finite", "gated_loudness", "integrated_loudness",
           "interpolation_filter", "k_weighting_sos", "measure_loudness", "true_peak"]

"""Movement boundaries of a whole-work recording from its silences, when the number of movements is
known but no chapter list is.

Why it is built this way:

- **Energy envelope in dB** (RMS over 50 ms frames): coarse enough to be cheap on an hour of audio,
  fine enough that a one-second gap spans twenty frames.
- **Levels are relative to the loud parts** (the 95th percentile of the envelope), so a quiet
  recording and a loud one give the same numbers; the *candidate* threshold sits at
  ``GAP_DB`` below that, raised above the recording's own noise floor when hiss or a live hall never
  lets the level fall that far.
- **A gap is the deepest stretch of a quiet run** (within ``CORE_DB`` of its minimum), so a movement
  that fades out into the gap does not drag the boundary back into its last bars.
- **A gap is scored by length and depth**, and depth is measured twice: below the loud parts and
  below the music on either side of it (the mean of the two sides). The second measure is what keeps
  a dip inside a quiet passage (pp at -35 dB falling to -42 dB) from looking like the gap after a
  movement; scaling depth by the recording's own range (loud parts to noise floor) and squaring it
  keeps a long pianissimo passage below a short gap at the noise floor.
- **The N-1 gaps are chosen together**, by dynamic programming over candidates in time order, with
  every boundary at least ``min_movement_s`` from the next and from the start and end of the music
  (leading and trailing silence do not count as music), so one strong candidate cannot push a
  feasible set out of reach the way greedy picking would.
- **Confidence** compares the weakest chosen gap with the best candidate left out (ignoring ones
  within ``SAME_GAP_S`` of a chosen boundary, which would give nearly the same cut), and is scaled
  down when even the chosen gaps are weak.
"""

from __future__ import annotations

import numpy as np
from scipy.ndimage import median_filter

# ---- parameters --------------------------------------------------------------------------------
FRAME_S = 0.05
FLOOR_DB = -120.0  # envelope value of digital silence (log of zero)
LOUD_PERCENTILE = 95.0  # "the loud parts": the level 5 % of frames exceed
GAP_DB = -30.0  # frames this far below the loud parts are gap candidates...
NOISE_MARGIN_DB = 10.0  # ...or this far above the quietest second, when that is higher
MAX_GAP_DB = -15.0  # but never closer to the loud parts than this
SILENT_DB = -90.0  # loud parts below this (dBFS): there is no music to split
SMOOTH_S = 0.25  # median window that keeps a click or a cough from splitting a gap
FLOOR_WINDOW_S = 1.0  # the "quietest second" that estimates the noise floor
MIN_GAP_S = 0.2  # shorter runs are articulation, not gaps
LENGTH_SCALE_S = 1.5  # length term = 1 - exp(-length / LENGTH_SCALE_S): 1 s -> 0.49, 3 s -> 0.86
# depth term = (depth / range)^2, capped at 1, where range is how far the quietest second lies below the
# loud parts, kept within these bounds (digital silence would otherwise stretch it to 120 dB)
MIN_RANGE_DB = 20.0
MAX_RANGE_DB = 60.0
CORE_DB = 10.0  # a quiet run's gap is its stretch within this many dB of the run's minimum
CONTEXT_S = 3.0  # music either side of a gap that its depth is compared with (mean of the two sides)
CONTEXT_PERCENTILE = 75.0
SAME_GAP_S = 5.0  # an unchosen candidate this close to a chosen boundary is the same cut
STRONG_SCORE = 0.5  # a chosen gap scoring this or more needs no further discount


def energy_envelope_db(samples: np.ndarray, sample_rate_hz: int, frame_s: float = FRAME_S) -> np.ndarray:
    """RMS level per frame in dB re full scale (RMS 1.0 = 0 dB), floored at ``FLOOR_DB``.

    Integer samples are scaled to [-1, 1] first, so int16 PCM and float audio give the same levels.
    A last partial frame is kept (averaged over the samples it has) so no audio is lost at the end.
    """
    x = np.asarray(samples)
    if x.ndim != 1:
        raise ValueError(f"samples must be mono (1-D), got an array of shape {x.shape}")
    if sample_rate_hz <= 0:
        raise ValueError(f"sample_rate_hz must be positive, got {sample_rate_hz}")
    if frame_s <= 0:
        raise ValueError(f"frame_s must be positive, got {frame_s}")
    frame = max(1, int(round(frame_s * sample_rate_hz)))
    if x.size == 0:
        return np.empty(0, dtype=np.float64)
    scale = 1.0
    if np.issubdtype(x.dtype, np.integer):
        scale = float(np.iinfo(x.dtype).max)
    n_full = x.size // frame
    power = np.empty(n_full + (1 if x.size % frame else 0), dtype=np.float64)
    # chunks keep the float32 temporaries small on an hour of audio
    chunk_frames = max(1, 2_000_000 // frame)
    for first in range(0, n_full, chunk_frames):
        last = min(n_full, first + chunk_frames)
        block = x[first * frame:last * frame].astype(np.float32).reshape(last - first, frame)
        power[first:last] = np.einsum("ij,ij->i", block, block, dtype=np.float64) / frame
    if x.size % frame:
        tail = x[n_full * frame:].astype(np.float64)
        power[-1] = float(np.mean(tail * tail))
    power /= scale * scale
    if not np.all(np.isfinite(power)):
        raise ValueError("samples contain NaN or infinite values")
    floor_power = 10 ** (FLOOR_DB / 10)
    return 10.0 * np.log10(np.maximum(power, floor_power))


def _runs(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(starts, ends) frame indices of the True runs, ends exclusive."""
    padded = np.concatenate(([False], mask, [False]))
    edges = np.flatnonzero(padded[1:] != padded[:-1])
    return edges[0::2], edges[1::2]


def _choose(times: np.ndarray, scores: np.ndarray, k: int, min_gap_s: float) -> list[int] | None:
    """Indices of k candidates, in time order and ``min_gap_s`` apart, with the largest summed score."""
    c = len(times)
    if c < k:
        return None
    # candidates before index pred[i] end at least min_gap_s before candidate i
    pred = np.searchsorted(times, times - min_gap_s, side="right")
    index = np.arange(c)
    best = scores.astype(np.float64)  # best total of picks ending at candidate i
    back: list[np.ndarray] = []
    for _ in range(1, k):
        prefix_val = np.maximum.accumulate(best)
        # where the running maximum was first reached: argmax of best[:j + 1] for every j at once
        is_new = np.concatenate(([True], best[1:] > prefix_val[:-1]))
        prefix_arg = np.maximum.accumulate(np.where(is_new, index, 0))
        last_allowed = np.maximum(pred - 1, 0)
        prev_val = np.where(pred > 0, prefix_val[last_allowed], -np.inf)
        best = prev_val + scores
        back.append(prefix_arg[last_allowed])
    if not np.isfinite(best).any():
        return None
    end = int(np.argmax(best))
    picks = [end]
    for prev in reversed(back):
        end = int(prev[end])
        picks.append(end)
    return sorted(picks)


def find_movement_boundaries(samples: np.ndarray, sample_rate_hz: int, n_movements: int, *,
                             min_movement_s: float = 20.0) -> tuple[list[float], float]:
    """(N-1 boundary times in seconds, confidence 0..1) for a recording of ``n_movements`` movements.

    Each boundary is the middle of the chosen gap. Raises ValueError when N-1 gaps that respect
    ``min_movement_s`` cannot be found.
    """
    if not isinstance(n_movements, (int, np.integer)) or n_movements < 1:
        raise ValueError(f"n_movements must be a positive integer, got {n_movements!r}")
    if min_movement_s < 0:
        raise ValueError(f"min_movement_s must be >= 0, got {min_movement_s}")
    env = energy_envelope_db(samples, sample_rate_hz)
    duration_s = np.asarray(samples).size / sample_rate_hz
    if n_movements == 1:
        return [], 1.0
    k = int(n_movements) - 1

    def impossible(why: str) -> ValueError:
        return ValueError(f"cannot find {k} gaps for n_movements={n_movements} in {duration_s:.1f} s of audio "
                          f"(min_movement_s={min_movement_s}): {why}")

    if duration_s < n_movements * min_movement_s:
        raise impossible("the recording is shorter than n_movements * min_movement_s")
    loud_db = float(np.percentile(env, LOUD_PERCENTILE))
    if loud_db < SILENT_DB:
        raise impossible(f"the recording is silent (its loud parts are at {loud_db:.0f} dBFS)")
    rel = env - loud_db
    smooth = median_filter(rel, size=max(1, int(round(SMOOTH_S / FRAME_S))), mode="nearest")
    floor_win = max(1, int(round(FLOOR_WINDOW_S / FRAME_S)))
    floor_rel = float(np.min(median_filter(rel, size=floor_win, mode="nearest")))
    threshold = max(GAP_DB, min(floor_rel + NOISE_MARGIN_DB, MAX_GAP_DB))
    quiet = smooth <= threshold
    loud_idx = np.flatnonzero(~quiet)
    music_start_s = loud_idx[0] * FRAME_S
    music_end_s = (loud_idx[-1] + 1) * FRAME_S

    starts, ends = _runs(quiet)
    inner = (starts > loud_idx[0]) & (ends <= loud_idx[-1])  # leading and trailing silence are not gaps
    starts, ends = _cores(smooth, starts[inner], ends[inner])
    keep = ends - starts >= MIN_GAP_S / FRAME_S
    starts, ends = starts[keep], ends[keep]
    mids = (starts + ends) / 2 * FRAME_S
    inside = (mids - music_start_s >= min_movement_s) & (music_end_s - mids >= min_movement_s)
    starts, ends, mids = starts[inside], ends[inside], mids[inside]
    if len(mids) < k:
        raise impossible(f"only {len(mids)} candidate gaps at least {min_movement_s} s from the ends of the music")

    range_db = min(MAX_RANGE_DB, max(MIN_RANGE_DB, -floor_rel))
    scores = _scores(rel, starts, ends, range_db)
    real = scores > 0  # no deeper than the music around it: not a gap at all
    starts, ends, mids, scores = starts[real], ends[real], mids[real], scores[real]
    if len(mids) < k:
        raise impossible(f"only {len(mids)} candidate gaps stand below the music around them")
    picks = _choose(mids, scores, k, min_movement_s)
    if picks is None:
        raise impossible(f"{len(mids)} candidate gaps, but no {k} of them are {min_movement_s} s apart")
    chosen = mids[picks]
    weakest = float(scores[picks].min())
    near = np.min(np.abs(mids[:, None] - chosen[None, :]), axis=1) <= SAME_GAP_S
    others = scores[~near]
    runner_up = float(others.max()) if others.size else 0.0
    margin = max(0.0, (weakest - runner_up) / weakest) if weakest > 0 else 0.0
    confidence = margin * min(1.0, weakest / STRONG_SCORE)
    return [round(float(t), 3) for t in chosen], round(float(confidence), 3)


def _cores(smooth: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each quiet run cut down to its deepest stretch (frames within ``CORE_DB`` of its minimum).

    A movement that ends pianissimo runs straight into the gap after it; without this the run
    would start in the music and its middle would fall seconds before the real gap.
    """
    core_starts = np.empty_like(starts)
    core_ends = np.empty_like(ends)
    for i, (s, e) in enumerate(zip(starts, ends, strict=False)):  # one step per quiet run, not per sample
        run = smooth[s:e]
        cs, ce = _runs(run <= run.min() + CORE_DB)
        longest = int(np.argmax(ce - cs))
        core_starts[i], core_ends[i] = s + cs[longest], s + ce[longest]
    return core_starts, core_ends


def _scores(rel: np.ndarray, starts: np.ndarray, ends: np.ndarray, range_db: float) -> np.ndarray:
    """Length term times depth term.

    Depth is the smaller of "below the loud parts" and "below the music around the gap" (the mean
    of the two sides), so a dip inside quiet music does not pass for a gap; it is taken as a share
    of the recording's dynamic range and squared, so that a pianissimo passage a third of the way
    down scores far below a gap at the noise floor.
    """
    ctx = int(round(CONTEXT_S / FRAME_S))
    n = len(rel)
    scores = np.empty(len(starts), dtype=np.float64)
    for i, (s, e) in enumerate(zip(starts, ends, strict=False)):  # one step per candidate gap, not per sample
        level = float(np.median(rel[s:e]))
        sides = [float(np.percentile(side, CONTEXT_PERCENTILE))
                 for side in (rel[max(0, s - ctx):s], rel[e:min(n, e + ctx)]) if side.size]
        context = float(np.mean(sides)) if sides else 0.0
        depth = min(-level, context - level)
        length_term = 1.0 - np.exp(-(e - s) * FRAME_S / LENGTH_SCALE_S)
        depth_term = min(1.0, max(0.0, depth / range_db)) ** 2
        scores[i] = length_term * depth_term
    return scores

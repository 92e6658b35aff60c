"""Movement boundaries of a whole-work video from the durations the page lists for that recording.

Why it is built this way:

- A page that lists "7:35 I. Allegro con brio" for each movement of the very recording whose video
  is used gives the cut directly: movement k starts where the durations before it add up to. This is
  only trusted when the listed total and the video's length agree within ``MAX_MISMATCH``: otherwise
  the list describes another edit (an intro, an encore, a different recording) and it is not used.
- Listed durations are rounded to the second and a video adds silence, tuning or applause between
  movements, so cumulative sums drift by a few seconds per movement. The sums are therefore scaled to
  the video's length, and each boundary is then moved to the middle of the nearest quiet stretch
  within ``snap_window_s`` (levels relative to the loud parts, as in :mod:`segment.silence`).
- **Confidence** says how much of that held: ``BASE_CONFIDENCE`` plus ``SNAP_BONUS`` times the share of
  boundaries that found a gap, scaled down as the listed total and the video's length drift apart
  (by up to half, at the mismatch limit) for the boundaries that found no gap: a boundary moved onto
  a real gap no longer depends on the sums being exact.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy.ndimage import median_filter

from earsense_m2t.segment.silence import FRAME_S, GAP_DB, LOUD_PERCENTILE, SMOOTH_S, energy_envelope_db

MAX_MISMATCH = 0.05  # |listed total - video length| / video length above this: the list is not this video
BASE_CONFIDENCE = 0.75
SNAP_BONUS = 0.15  # every boundary on a gap: 0.9, as much as description time stamps
MIN_SNAP_WINDOW_S = 6.0
SNAP_WINDOW_SHARE = 0.02  # of the video's length, when that is wider


def listed_durations(listed: Sequence[tuple[str, float | None]], n_movements: int) -> list[float] | None:
    """The listed durations when there is one positive duration per movement, else None."""
    durations = [d for _, d in listed]
    if len(durations) != n_movements or n_movements < 2 or any(d is None or d <= 0 for d in durations):
        return None
    return [float(d) for d in durations if d is not None]


def mismatch(durations: Sequence[float], total_s: float) -> float:
    return abs(sum(durations) - total_s) / total_s if total_s > 0 else float("inf")


def boundaries_from_durations(durations: Sequence[float], total_s: float) -> list[float]:
    """The N-1 cumulative boundaries, scaled so that the durations fill ``total_s``."""
    scale = total_s / sum(durations)
    return [round(float(t) * scale, 3) for t in np.cumsum(durations)[:-1]]


def snap_to_gaps(samples: np.ndarray, sample_rate_hz: int, boundaries: Sequence[float],
                 window_s: float) -> tuple[list[float], int]:
    """Each boundary moved to the middle of the quiet run nearest to it within ``window_s``, and how
    many moved (a boundary with no quiet run in reach stays where the durations put it)."""
    env = energy_envelope_db(samples, sample_rate_hz)
    if env.size == 0:
        return list(boundaries), 0
    rel = env - float(np.percentile(env, LOUD_PERCENTILE))
    smooth = median_filter(rel, size=max(1, int(round(SMOOTH_S / FRAME_S))), mode="nearest")
    quiet = smooth <= GAP_DB
    snapped: list[float] = []
    moved = 0
    for b in boundaries:
        lo = max(0, int((b - window_s) / FRAME_S))
        hi = min(len(quiet), int((b + window_s) / FRAME_S) + 1)
        idx = np.flatnonzero(quiet[lo:hi]) + lo
        if idx.size == 0:
            snapped.append(float(b))
            continue
        runs = np.split(idx, np.flatnonzero(np.diff(idx) > 1) + 1)
        mids = [(run[0] + run[-1] + 1) / 2 * FRAME_S for run in runs]
        snapped.append(round(float(min(mids, key=lambda m: abs(m - b))), 3))
        moved += 1
    return snapped, moved


def segment_by_durations(durations: Sequence[float], total_s: float, samples: np.ndarray | None,
                         sample_rate_hz: int) -> tuple[list[tuple[float, float]], float] | None:
    """((start, end) per movement, confidence), or None when the list does not describe this video."""
    off = mismatch(durations, total_s)
    if off > MAX_MISMATCH:
        return None
    bounds = boundaries_from_durations(durations, total_s)
    moved = 0
    if samples is not None:
        window = max(MIN_SNAP_WINDOW_S, SNAP_WINDOW_SHARE * total_s)
        bounds, moved = snap_to_gaps(samples, sample_rate_hz, bounds, window)
    if any(b <= a for a, b in zip([0.0, *bounds], [*bounds, total_s], strict=True)):
        return None  # snapping crossed two boundaries: the list and the audio disagree
    edges = [0.0, *bounds, round(total_s, 3)]
    share = moved / len(bounds)
    fit = 1.0 - 0.5 * (off / MAX_MISMATCH) * (1.0 - share)
    confidence = (BASE_CONFIDENCE + SNAP_BONUS * share) * fit
    return [(edges[i], edges[i + 1]) for i in range(len(durations))], round(confidence, 3)

"""Quality flags of a clip, each with the reason it was raised.

A flag never drops a clip here: the clip keeps its flags, the dataset card counts them per flag, and
whoever builds a training split decides what to leave out. The rules are a table
(:data:`QUALITY_RULES`) of small pure functions over :class:`ClipMeasurements`, so the card can list
them (:func:`describe_quality_rules`) and a new rule is one line in the table.

Flags are computed from stored measurements on every run, never cached: a changed threshold or a
new expected duration re-flags the corpus without decoding anything.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from earsense_m2t.features.params import AudioParams

if TYPE_CHECKING:
    from earsense_m2t.media.decode import Samples

CHUNK_SAMPLES = 1 << 20


@dataclass(frozen=True)
class ClipMeasurements:
    """What the rules look at (all measured on the decoded 16 kHz mono signal, before gain)."""

    duration_s: float
    loudness_lufs: float | None  # None: not measurable (see loudness_note)
    clipped_fraction: float
    loudness_note: str | None = None  # "silent" or why loudness could not be measured
    expected_duration_s: float | None = None
    expected_duration_source: str | None = None  # e.g. "spotify", "page", "total / movements"
    #: share of the 400 ms blocks that pass both loudness gates (None: not measured)
    gated_fraction: float | None = None


Rule = Callable[[ClipMeasurements, AudioParams], str | None]


def _silent(m: ClipMeasurements, p: AudioParams) -> str | None:
    if m.loudness_lufs is None:
        return "no 400 ms block above the -70 LUFS absolute gate" if m.loudness_note == "silent" else None
    if m.loudness_lufs < p.silent_below_lufs:
        return f"integrated loudness {m.loudness_lufs:.1f} LUFS is below {p.silent_below_lufs:.1f} LUFS"
    return None


def _clipped(m: ClipMeasurements, p: AudioParams) -> str | None:
    if m.clipped_fraction > p.clipped_fraction_above:
        return (f"{m.clipped_fraction:.2%} of samples at or above {p.clip_level} of full scale "
                f"(threshold {p.clipped_fraction_above:.2%})")
    return None


def _sparse(m: ClipMeasurements, p: AudioParams) -> str | None:
    if m.gated_fraction is None or m.loudness_lufs is None:  # silent or unmeasured: the silent rule speaks
        return None
    if m.gated_fraction < p.sparse_below_fraction:
        return (f"only {m.gated_fraction:.1%} of the clip's 400 ms blocks pass the loudness gates "
                f"(threshold {p.sparse_below_fraction:.0%}): its loudness describes a tiny part of it")
    return None


def _too_short(m: ClipMeasurements, p: AudioParams) -> str | None:
    if m.duration_s < p.too_short_below_s:
        return f"{m.duration_s:.1f} s is shorter than {p.too_short_below_s:.0f} s"
    return None


def _too_long(m: ClipMeasurements, p: AudioParams) -> str | None:
    if m.duration_s > p.too_long_above_s:
        return f"{m.duration_s / 60:.1f} min is longer than {p.too_long_above_s / 60:.0f} min"
    return None


def _duration_mismatch(m: ClipMeasurements, p: AudioParams) -> str | None:
    expected = m.expected_duration_s
    if expected is None or expected <= 0:
        return None
    tolerance = max(p.duration_tolerance_s, p.duration_tolerance_ratio * expected)
    if abs(m.duration_s - expected) > tolerance:
        source = f" ({m.expected_duration_source})" if m.expected_duration_source else ""
        return (f"{m.duration_s:.1f} s differs from the expected {expected:.1f} s{source} "
                f"by more than {tolerance:.1f} s")
    return None


#: (flag, rule, what the card says); order is the order flags appear in a clip
QUALITY_RULES: tuple[tuple[str, Rule, str], ...] = (
    ("silent", _silent, "integrated loudness below silent_below_lufs, or no block above the absolute gate"),
    ("clipped", _clipped, "fraction of samples at or above clip_level exceeds clipped_fraction_above"),
    ("sparse", _sparse, "the 400 ms blocks that pass both loudness gates (the active part) are less than "
     "sparse_below_fraction of the clip, e.g. a click in digital silence"),
    ("too_short", _too_short, "shorter than too_short_below_s"),
    ("too_long", _too_long, "longer than too_long_above_s"),
    ("duration_mismatch", _duration_mismatch,
     "differs from the expected duration (Spotify/page, or total / movement count) by more than "
     "max(duration_tolerance_s, duration_tolerance_ratio * expected)"),
)
QUALITY_FLAGS: tuple[str, ...] = tuple(flag for flag, _, _ in QUALITY_RULES)


def quality_flags(measurements: ClipMeasurements, params: AudioParams = AudioParams()) -> list[tuple[str, str]]:
    """The (flag, reason) pairs that apply, in table order."""
    out: list[tuple[str, str]] = []
    for flag, rule, _ in QUALITY_RULES:
        reason = rule(measurements, params)
        if reason is not None:
            out.append((flag, reason))
    return out


def describe_quality_rules(params: AudioParams = AudioParams()) -> list[dict[str, object]]:
    """The rules and their thresholds, for the dataset card."""
    thresholds = {
        "silent": {"silent_below_lufs": params.silent_below_lufs},
        "clipped": {"clip_level": params.clip_level, "clipped_fraction_above": params.clipped_fraction_above},
        "sparse": {"sparse_below_fraction": params.sparse_below_fraction},
        "too_short": {"too_short_below_s": params.too_short_below_s},
        "too_long": {"too_long_above_s": params.too_long_above_s},
        "duration_mismatch": {"duration_tolerance_s": params.duration_tolerance_s,
                              "duration_tolerance_ratio": params.duration_tolerance_ratio},
    }
    return [{"flag": flag, "rule": text, "thresholds": thresholds.get(flag, {})} for flag, _, text in QUALITY_RULES]


def clipped_fraction(samples: Samples, level: float) -> float:
    """Fraction of samples with magnitude at or above ``level``, counted chunk by chunk."""
    n = samples.shape[0]
    if n == 0:
        return 0.0
    count = 0
    lv = np.float32(level)
    for c0 in range(0, n, CHUNK_SAMPLES):
        chunk = samples[c0:c0 + CHUNK_SAMPLES]
        count += int(np.count_nonzero(chunk >= lv)) + int(np.count_nonzero(chunk <= -lv))
    return count / n


def even_split_duration(total_s: float | None, n_movements: int) -> float | None:
    """The expected movement duration when only the work's total is known (a rough expectation)."""
    if not total_s or n_movements <= 0:
        return None
    return total_s / n_movements


__all__ = ["QUALITY_FLAGS", "QUALITY_RULES", "ClipMeasurements", "clipped_fraction", "describe_quality_rules",
           "even_split_duration", "quality_flags"]

"""The annotation pool: which movements people are asked about, and which 30 seconds of each.

MusAV admitted tracks whose integrated loudness lay between -20 and -5 LUFS, to keep out the odd
recording far quieter or louder than popular music is mastered. Classical chamber recordings sit
lower and spread wider: commercial releases are commonly mastered around -16 to -24 LUFS, live and
archival recordings on video sites lower still, and a soft slow movement measures well below its
work's fast ones. The loudness here is also the features stage's, measured on the 16 kHz mono mean
of the channels, which reads about 3 dB (identical channels) to 6 dB (uncorrelated) below the stereo
file's figure. Hence the default range **-35 to -10 LUFS** (:data:`DEFAULT_LOUDNESS_RANGE_LUFS`): it
keeps every ordinary chamber recording, quiet movements included, and drops only near-silent or
broken audio at the bottom and over-compressed or clipped transfers at the top. It is a parameter
(:class:`PoolParams`), and the card states the range used.

One excerpt per movement, cut and rendered by the features stage from its one decode of the movement
(:mod:`earsense_m2t.features.excerpt`: 30 s from the middle, as MusAV; a movement not longer than that
whole); the pool takes the ``Excerpt`` records and renders nothing. A movement shorter than
``min_duration_s`` is left out (there is too little to judge), as is one without an excerpt. Everything
left out is counted by reason (``PoolChoice.excluded``), never silently dropped.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from earsense_m2t.features.excerpt import DEFAULT_EXCERPT_S, DEFAULT_MIN_DURATION_S, excerpt_window
from earsense_m2t.schemas import Clip, Excerpt, Media, Movement, Segment, Work

DEFAULT_LOUDNESS_RANGE_LUFS = (-35.0, -10.0)
#: quality flags (features stage) that keep a movement out of the pool
DEFAULT_EXCLUDED_FLAGS = ("silent",)


@dataclass(frozen=True, kw_only=True)
class PoolParams:
    """Who gets into the pool (the excerpts' span is the features stage's ``RenderParams``)."""

    loudness_min_lufs: float = DEFAULT_LOUDNESS_RANGE_LUFS[0]
    loudness_max_lufs: float = DEFAULT_LOUDNESS_RANGE_LUFS[1]
    min_duration_s: float = DEFAULT_MIN_DURATION_S
    excluded_flags: tuple[str, ...] = DEFAULT_EXCLUDED_FLAGS

    def __post_init__(self) -> None:
        if not self.loudness_min_lufs < self.loudness_max_lufs:
            raise ValueError(f"PoolParams: loudness_min_lufs {self.loudness_min_lufs} is not below "
                             f"loudness_max_lufs {self.loudness_max_lufs}")
        if self.min_duration_s < 0:
            raise ValueError(f"PoolParams: min_duration_s must be >= 0, got {self.min_duration_s}")


@dataclass(frozen=True)
class Candidate:
    """A movement admitted to the pool, with everything the excerpt needs."""

    movement: Movement
    work: Work | None
    segment: Segment
    media: Media
    clip: Clip
    excerpt: Excerpt

    @property
    def start_s(self) -> float:
        """Excerpt start, from the movement's start."""
        return self.excerpt.start_s

    @property
    def duration_s(self) -> float:
        return self.excerpt.duration_s

    @property
    def media_start_s(self) -> float:
        """Where the excerpt starts in the downloaded file."""
        return self.segment.start_s + self.start_s


@dataclass
class PoolChoice:
    admitted: list[Candidate] = field(default_factory=list)
    #: movement id -> (reason code, what a person reads), for each movement with audio left out
    excluded: dict[str, tuple[str, str]] = field(default_factory=dict)

    def excluded_counts(self) -> Counter[str]:
        return Counter(code for code, _ in self.excluded.values())


def choose_pool(movements: Iterable[Movement], clips: Iterable[Clip], segments: Iterable[Segment],
                media: Iterable[Media], works: Iterable[Work] = (), params: PoolParams = PoolParams(),
                excerpts: Iterable[Excerpt] = ()) -> PoolChoice:
    """The movements with audio whose loudness before normalization lies in the range, in movement order.

    A movement without a clip has no audio and is not a candidate at all (not counted); one with a clip
    but no segment or media, a quality flag in ``excluded_flags``, no loudness, a loudness outside the
    range, too short a duration or no excerpt (``excerpts``: the features stage's) is listed in ``excluded``
    with its reason.
    """
    excerpt_of = {e.movement_id: e for e in excerpts}
    clip_of = {c.movement_id: c for c in clips}
    segment_of = {s.movement_id: s for s in segments}
    media_of = {m.source_id: m for m in media}
    work_of = {w.id: w for w in works}
    choice = PoolChoice()
    ordered: Sequence[Movement] = sorted(movements, key=lambda m: (m.work_id, m.number))
    for movement in ordered:
        clip = clip_of.get(movement.id)
        if clip is None:
            continue
        segment = segment_of.get(movement.id)
        medium = media_of.get(segment.source_id) if segment is not None else None
        reason = _exclusion(clip, segment, medium, params)
        if reason is not None or segment is None or medium is None:  # (_exclusion names a missing one)
            choice.excluded[movement.id] = reason or ("no_media", "no segment or media")
            continue
        excerpt = excerpt_of.get(movement.id)
        if excerpt is None or excerpt.media_sha256 != segment.media_sha256:
            choice.excluded[movement.id] = ("no_excerpt", "the features stage cut no excerpt of it (too short or "
                                                          "its excerpt failed)")
            continue
        choice.admitted.append(Candidate(movement=movement, work=work_of.get(movement.work_id), segment=segment,
                                         media=medium, clip=clip, excerpt=excerpt))
    return choice


def _exclusion(clip: Clip, segment: Segment | None, medium: Media | None,
               params: PoolParams) -> tuple[str, str] | None:
    if segment is None:
        return "no_segment", f"clip {clip.id} has no segment: where it lies in its recording is unknown"
    if medium is None:
        return "no_media", f"no downloaded media for source {segment.source_id!r}"
    flagged = sorted(set(clip.flags) & set(params.excluded_flags))
    if flagged:
        return "quality_flag", f"quality flag(s) {', '.join(flagged)}"
    loudness = clip.loudness_before_lufs
    if loudness is None:
        return "no_loudness", "no integrated loudness was measured (silent or too short)"
    if loudness < params.loudness_min_lufs:
        return "too_quiet", f"loudness {loudness:.1f} LUFS below {params.loudness_min_lufs:g} LUFS"
    if loudness > params.loudness_max_lufs:
        return "too_loud", f"loudness {loudness:.1f} LUFS above {params.loudness_max_lufs:g} LUFS"
    if clip.duration_s < params.min_duration_s:
        return "too_short", f"{clip.duration_s:.1f} s is shorter than {params.min_duration_s:g} s"
    return None


__all__ = ["DEFAULT_EXCERPT_S", "DEFAULT_LOUDNESS_RANGE_LUFS", "DEFAULT_MIN_DURATION_S", "Candidate", "PoolChoice",
           "PoolParams", "choose_pool", "excerpt_window"]

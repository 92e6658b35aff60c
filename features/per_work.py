"""The features stage's inputs per work: a work's segments, the media they cut and its movements.

The flow maps one task over :func:`features_inputs` and calls :func:`earsense_m2t.features.prepare_clips`
on each item; the items keep the segment stage's order (which is by work), so the merged clips equal those
of one call on all segments.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from earsense_m2t.schemas import Media, Movement, Segment, StageResult, by_work


@dataclass(frozen=True)
class FeaturesWork:
    """One work's segments, the media they are cut from, and its movements (their expected durations)."""

    work_id: str
    segments: list[Segment]
    media: list[Media]
    movements: list[Movement]

    def failed_ids(self) -> list[str]:
        return [s.movement_id for s in self.segments]

    def memo_inputs(self) -> dict[str, Any]:
        return {"segments": self.segments, "media": self.media, "movements": self.movements}


def features_inputs(segmented: StageResult, acquired: StageResult, movements: StageResult) -> list[FeaturesWork]:
    """One item per work with segments, in the segment stage's order; a segment whose movement is not among
    ``movements`` belongs to the work its movement id starts with."""
    work_of = {m.id: m.work_id for m in movements.of(Movement)}
    mvs = by_work(movements.of(Movement))
    media = {m.source_id: m for m in acquired.of(Media)}
    segments: dict[str, list[Segment]] = {}
    for segment in segmented.of(Segment):
        segments.setdefault(work_of.get(segment.movement_id, segment.movement_id.split("#")[0]), []).append(segment)
    items = []
    for work_id, segs in segments.items():
        sources = dict.fromkeys(s.source_id for s in segs)
        items.append(FeaturesWork(work_id, segs, [media[s] for s in sources if s in media], mvs.get(work_id, [])))
    return items


__all__ = ["FeaturesWork", "features_inputs"]

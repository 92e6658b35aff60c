"""The segment stage's inputs per work: a work's movements, its chosen recordings and their media.

The flow maps one task over :func:`segment_inputs` and calls :func:`earsense_m2t.segment.prepare_segments`
on each item; one call per work gives the manifests of one call on all works, since the stage walks the
works in id order and each work's segments depend on that work's records alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from earsense_m2t.schemas import Media, Movement, Recording, StageResult, by_work


@dataclass(frozen=True)
class SegmentWork:
    """One work's movements, the recordings acquire chose for it and the media they were downloaded to."""

    work_id: str
    movements: list[Movement]
    chosen: list[Recording]
    media: list[Media]

    def failed_ids(self) -> list[str]:
        return [m.id for m in self.movements]

    def memo_inputs(self) -> dict[str, Any]:
        return {"movements": self.movements, "chosen": self.chosen, "media": self.media}


def segment_inputs(movements: StageResult, acquired: StageResult) -> list[SegmentWork]:
    """One item per work with movements, in work-id order; the media of its chosen recordings, each once."""
    chosen = by_work(acquired.of(Recording))
    media = {m.source_id: m for m in acquired.of(Media)}
    items = []
    for work_id, mvs in sorted(by_work(movements.of(Movement)).items()):
        recs = chosen.get(work_id, [])
        sources = dict.fromkeys(r.source_id for r in recs)
        items.append(SegmentWork(work_id, mvs, recs, [media[s] for s in sources if s in media]))
    return items


__all__ = ["SegmentWork", "segment_inputs"]

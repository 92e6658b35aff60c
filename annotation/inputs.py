"""The annotate stage's inputs, taken from the earlier stages' results: what the flow hands to
:func:`earsense_m2t.annotation.prepare_annotations` and what keys the stage's memo.

Annotate runs once per build over everything the build will publish (its pool is drawn across works),
so its inputs are one item, not one per work. Besides these records, the triplets drawn and the judgments
collected so far are inputs too (:attr:`earsense_m2t.schemas.layout.AnnotationLayout.state_files`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from earsense_m2t.schemas import Clip, Excerpt, Media, Movement, Segment, StageResult, Work


@dataclass(frozen=True)
class AnnotateInputs:
    movements: list[Movement]
    clips: list[Clip]
    media: list[Media]
    segments: list[Segment]
    works: list[Work]
    excerpts: list[Excerpt]  # the features stage's, cut from its decode of each movement

    def memo_inputs(self) -> dict[str, Any]:
        return {"movements": self.movements, "clips": self.clips, "media": self.media, "segments": self.segments,
                "works": self.works, "excerpts": self.excerpts}


def annotate_inputs(crawl: StageResult, acquired: StageResult, movements: StageResult, segmented: StageResult,
                    clips: StageResult) -> AnnotateInputs:
    return AnnotateInputs(movements=movements.of(Movement), clips=clips.of(Clip), media=acquired.of(Media),
                          segments=segmented.of(Segment), works=crawl.of(Work),
                          excerpts=clips.of(Excerpt))


__all__ = ["AnnotateInputs", "annotate_inputs"]

"""The pipeline's stages, named once: every ``stage=`` value and every list of stages comes from here.

``Stage`` is a ``StrEnum``, so ``Stage.ACQUIRE == "acquire"`` and a ``Failure`` written with it
serializes exactly as before (a plain string in JSON Lines, parquet and the card). The order of the
members is the data-flow order: crawl → acquire → movements → segment → features → annotate → publish
→ train. The build flow runs all but the last; ``train`` is a separate flow on a published version.
"""

from __future__ import annotations

from enum import StrEnum


class Stage(StrEnum):
    """One stage of the pipeline; its value is the name the summary, the memos and ``Failure.stage`` carry."""

    CRAWL = "crawl"
    ACQUIRE = "acquire"
    MOVEMENTS = "movements"
    SEGMENT = "segment"
    FEATURES = "features"
    ANNOTATE = "annotate"
    PUBLISH = "publish"
    TRAIN = "train"


#: every stage, in data-flow order
PIPELINE: tuple[Stage, ...] = tuple(Stage)
#: the stages one build runs (``build-dataset``), in order; training starts from a published version
BUILD_STAGES: tuple[Stage, ...] = PIPELINE[:PIPELINE.index(Stage.TRAIN)]

__all__ = ["BUILD_STAGES", "PIPELINE", "Stage"]

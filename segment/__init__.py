"""Segment stage: where each movement sits inside the downloaded media.

Entrypoint: :func:`prepare_segments` (chapters, description time stamps, silence, one track per movement).
For the flow's wiring, :func:`segment_inputs` splits the movements and acquire's records per work
(:class:`SegmentWork`).
"""

from earsense_m2t.segment.per_work import SegmentWork, segment_inputs
from earsense_m2t.segment.segment import prepare_segments

__all__ = ["SegmentWork", "prepare_segments", "segment_inputs"]

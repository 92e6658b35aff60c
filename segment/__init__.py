"""Segment stage: where each movement sits inside the downloaded media.

Entrypoint: :func:`prepare_segments` (chapters, description time stamps, silence, one track per movement).
"""

from earsense_m2t.segment.segment import prepare_segments

__all__ = ["prepare_segments"]

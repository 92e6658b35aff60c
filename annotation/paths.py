"""Where the annotation stage and tool keep their files: ``<out>/annotation/``, as the output layout names it.

The folder's layout is :class:`earsense_m2t.schemas.layout.AnnotationLayout` (the one place every path
under ``--out`` is spelled); this module keeps the names the annotation modules import.
"""

from __future__ import annotations

from earsense_m2t.schemas.layout import (
    ANNOTATION_DIR,
    EXCERPTS_DIR,
    JUDGMENTS_FILE,
    POOL_FILE,
    SALT_FILE,
    TRIPLETS_FILE,
)
from earsense_m2t.schemas.layout import AnnotationLayout as AnnotationPaths

__all__ = ["ANNOTATION_DIR", "AnnotationPaths", "EXCERPTS_DIR", "JUDGMENTS_FILE", "POOL_FILE", "SALT_FILE",
           "TRIPLETS_FILE"]

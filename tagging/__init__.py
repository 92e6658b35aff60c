"""Tags derived from titles alone: a movement's tempo class, a work's key, mode, ensemble and family.

Everything here is pure (text in, tags out) and table-driven: the words are in
:mod:`earsense_m2t.tagging.tempo_terms` and the tables at the top of :mod:`earsense_m2t.tagging.work_tags`, so the dataset card
can state exactly what the tags mean.
"""

from earsense_m2t.tagging.tempo import (
    RULES,
    TEMPO_ORDER,
    TempoResult,
    describe_tempo_rules,
    format_tag_line,
    tag_lines,
    tag_tempo,
)
from earsense_m2t.tagging.work_tags import Tag, tag_ensemble, tag_instrument_family, tag_key_mode

__all__ = [
    "RULES",
    "TEMPO_ORDER",
    "Tag",
    "TempoResult",
    "describe_tempo_rules",
    "format_tag_line",
    "tag_ensemble",
    "tag_instrument_family",
    "tag_key_mode",
    "tag_lines",
    "tag_tempo",
]

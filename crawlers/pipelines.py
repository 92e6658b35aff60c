"""Item pipelines: post-processing of the records the spider yields.

A record that fails validation is replaced by a ``Failure`` naming it, so the feed of failures holds
the reason and nothing invalid reaches the works feed.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from earsense_m2t.schemas import Failure, Work, validate_record
from earsense_m2t.schemas.stages import Stage
from earsense_m2t.tagging.work_tags import tag_ensemble, tag_instrument_family, tag_key_mode


class TagWorkPipeline:
    """Key, mode, ensemble and instrument family, each with the source that decided it."""

    def process_item(self, item: Any) -> Any:
        if not isinstance(item, Work):
            return item
        key, mode = tag_key_mode(item.title)
        ensemble = tag_ensemble(item.title, item.genre, item.instrumentation)
        family = tag_instrument_family(item.title, item.genre, item.instrumentation)
        return dataclasses.replace(
            item, key=key.value, mode=mode.value, key_source=key.source if key.value else None,
            ensemble=ensemble.value, ensemble_source=ensemble.source if ensemble.value else None,
            instrument_family=family.value,
            instrument_family_source=family.source if family.value else None,
        )


class ValidateRecordPipeline:
    def process_item(self, item: Any) -> Any:
        if isinstance(item, Failure):
            return item
        problems = validate_record(item)
        if not problems:
            return item
        return Failure(stage=Stage.CRAWL, item_id=getattr(item, "id", "?"), url=getattr(item, "url", None),
                       code="invalid_record", reason="; ".join(p.reason for p in problems))

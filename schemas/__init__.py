"""Typed records: the only currency between stages (see ../shared/DESIGN.md)."""

from earsense_m2t.schemas.records import (
    RECORD_TYPES,
    SCHEMA_VERSION,
    TEMPO_CLASSES,
    Clip,
    Failure,
    Media,
    Movement,
    Record,
    Recording,
    Segment,
    Work,
    movement_id,
    recording_id,
)
from earsense_m2t.schemas.validate import RecordError, validate_bundle, validate_record

__all__ = [
    "RECORD_TYPES",
    "SCHEMA_VERSION",
    "TEMPO_CLASSES",
    "Clip",
    "Failure",
    "Media",
    "Movement",
    "Record",
    "RecordError",
    "Recording",
    "Segment",
    "Work",
    "movement_id",
    "recording_id",
    "validate_bundle",
    "validate_record",
]

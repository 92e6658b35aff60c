"""Typed records: the only currency between stages, and the one result shape every stage returns."""

from earsense_m2t.schemas.records import (
    RECORD_TYPES,
    SCHEMA_VERSION,
    TEMPO_CLASSES,
    AlbumTrack,
    Clip,
    Failure,
    Media,
    Movement,
    Record,
    Recording,
    Release,
    Segment,
    Work,
    WorkText,
    by_work,
    movement_id,
    recording_id,
)
from earsense_m2t.schemas.results import Deadline, StageResult
from earsense_m2t.schemas.validate import RecordError, validate_bundle, validate_record

__all__ = [
    "RECORD_TYPES",
    "SCHEMA_VERSION",
    "TEMPO_CLASSES",
    "AlbumTrack",
    "Clip",
    "Deadline",
    "Failure",
    "Media",
    "Movement",
    "Record",
    "RecordError",
    "Recording",
    "Release",
    "Segment",
    "StageResult",
    "Work",
    "WorkText",
    "by_work",
    "movement_id",
    "recording_id",
    "validate_bundle",
    "validate_record",
]

"""The record the train stage hands on: one evaluated training run of one dataset version and config.

It is not published in the dataset (the dataset's schema version does not move with it): it is what the
``train-gtp`` flow returns and what the Prefect artifact and the CLI report are made from. The table
itself is in ``results_json`` / ``results_md``; ``bleu`` repeats each system's headline figure so a
reader of the record alone sees the outcome.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from earsense_m2t.schemas.records import Record


@dataclass(frozen=True, kw_only=True)
class TrainingRun(Record):
    kind: ClassVar[str] = "training_run"
    id: str  # "v<dataset version>-<config>": the run folder's name
    dataset_version: str
    config: str  # "tiny" | "paper"
    dataset_path: str  # the version's folder that was read (datasets.load_dataset)
    run_dir: str
    results_json: str
    results_md: str
    started_at: str  # ISO 8601 UTC
    finished_at: str
    device: str  # "cpu" | "cuda" (+ the GPU's name)
    epochs: int
    folds: tuple[int, ...]
    seeds: tuple[int, ...]
    systems: tuple[str, ...]
    #: (system, mean sacrebleu corpus BLEU over folds), None where every unit of the system failed
    bleu: tuple[tuple[str, float | None], ...] = ()


__all__ = ["TrainingRun"]

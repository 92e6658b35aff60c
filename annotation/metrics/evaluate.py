"""Evaluation of arousal/valence predictions on the relative ground truth, as MusAV's ``scripts/evaluate.py``.

A prediction is one number per movement and question (higher = more energetic / more positive). For
every ground-truth pair of a subset whose outcome is ``a`` or ``b``, the pair is correctly ordered
when the prediction of the higher movement is the larger one. As in MusAV's script, pairs whose
ground truth is ``ab`` (no difference) are skipped, and so are pairs whose two predictions are equal;
accuracy is correct / (correct + incorrect). MusAV's script stops on a movement without a prediction;
here such a pair is counted as ``missing`` and left out, so a partial prediction file can be scored
and the count says how partial it was.

Predictions come as JSON Lines (``{"id": ..., "arousal": ..., "valence": ...}``) or CSV with a header
``id,arousal,valence``; an empty or null value is "no prediction" for that question.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from earsense_m2t.annotation.metrics.answers import AB, A, B
from earsense_m2t.annotation.metrics.jsonlines import json_objects, read_text
from earsense_m2t.schemas.annotation import QUESTIONS, SUBSETS, RelativeAnnotation

Prediction = tuple[float | None, float | None]  # (arousal, valence)
PREDICTION_FIELDS = ("id", *QUESTIONS)


class PredictionsError(ValueError):
    """A predictions file that cannot be read; the message names the file, the line or row, and the field."""


def evaluate(predictions: Mapping[str, Prediction], annotations: Sequence[RelativeAnnotation]
             ) -> dict[str, dict[str, dict[str, Any]]]:
    """question → subset → {correct, total, accuracy, skipped_ab, skipped_tied, missing}.

    ``total`` = correct + incorrect; ``accuracy`` = correct / total (a fraction; None when total is 0).
    Only human rows in a subset count; silver rows are in no subset.
    """
    result: dict[str, dict[str, dict[str, Any]]] = {
        q: {s: {"correct": 0, "total": 0, "accuracy": None, "skipped_ab": 0, "skipped_tied": 0, "missing": 0}
            for s in SUBSETS} for q in QUESTIONS}
    for row in annotations:
        if row.source != "human" or not row.subsets or row.question not in QUESTIONS:
            continue
        index = QUESTIONS.index(row.question)
        pa, pb = predictions.get(row.a), predictions.get(row.b)
        va, vb = (pa[index] if pa else None), (pb[index] if pb else None)
        for subset in row.subsets:
            cell = result[row.question][subset]
            if row.outcome == AB or row.outcome not in (A, B):
                cell["skipped_ab"] += 1
            elif va is None or vb is None:
                cell["missing"] += 1
            elif va == vb:
                cell["skipped_tied"] += 1
            else:
                cell["total"] += 1
                cell["correct"] += int((va > vb) == (row.outcome == A))
    for per_subset in result.values():
        for cell in per_subset.values():
            cell["accuracy"] = cell["correct"] / cell["total"] if cell["total"] else None
    return result


def _number(value: Any, where: str, name: str) -> float | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        raise PredictionsError(f"{where}: field {name!r} must be a number, got {value!r}")
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise PredictionsError(f"{where}: field {name!r} must be a number, got {value!r}") from None
    if not math.isfinite(number):
        raise PredictionsError(f"{where}: field {name!r} must be a finite number, got {value!r}")
    return number


def _add(out: dict[str, Prediction], seen: dict[str, str], record: Mapping[str, Any], where: str) -> None:
    for name in PREDICTION_FIELDS:
        if name not in record:
            raise PredictionsError(f"{where}: missing field {name!r}")
    movement = record["id"]
    if not isinstance(movement, str) or not movement.strip():
        raise PredictionsError(f"{where}: field 'id' must be a non-empty string, got {movement!r}")
    if movement in seen:
        raise PredictionsError(f"{where}: id {movement!r} again (first at {seen[movement]})")
    seen[movement] = where
    out[movement] = (_number(record["arousal"], where, "arousal"), _number(record["valence"], where, "valence"))


def read_predictions(path: Path) -> dict[str, Prediction]:
    """movement id → (arousal, valence) from a JSON Lines or CSV file (by suffix; .csv is CSV, else JSON Lines)."""
    text = read_text(path, PredictionsError, encoding="utf-8-sig")  # a spreadsheet's CSV may start with a BOM
    out: dict[str, Prediction] = {}
    seen: dict[str, str] = {}
    if path.suffix.lower() == ".csv":
        reader = csv.DictReader(text.splitlines())
        missing = [f for f in PREDICTION_FIELDS if f not in (reader.fieldnames or [])]
        if missing:
            raise PredictionsError(f"{path}:1: header lacks {missing} (expected columns {list(PREDICTION_FIELDS)})")
        for row in reader:
            _add(out, seen, row, f"{path}:{reader.line_num}")
        return out
    for number, record in json_objects(path, PredictionsError, text=text):
        _add(out, seen, record, f"{path}:{number}")
    return out


def format_results(result: Mapping[str, Mapping[str, Mapping[str, Any]]], questions: Iterable[str] = QUESTIONS
                   ) -> list[str]:
    """One line per question and subset: % of correctly ordered pairs and what was skipped."""
    lines = []
    for question in questions:
        for subset, cell in result[question].items():
            accuracy = "   n/a" if cell["accuracy"] is None else f"{100 * cell['accuracy']:6.2f}"
            lines.append(f"{question:8s} {subset:9s} {accuracy} % correct of {cell['total']} pairs "
                         f"(skipped: {cell['skipped_ab']} ab, {cell['skipped_tied']} tied, "
                         f"{cell['missing']} without a prediction)")
    return lines


__all__ = ["PredictionsError", "evaluate", "format_results", "read_predictions"]

"""Inter-annotator agreement of the relative judgments: Krippendorff's alpha, as MusAV reports it.

MusAV's ``scripts/agreement_krippendorff.py`` builds one row per annotator and one column per unit
(a pair of a triplet; one question at a time), codes the answers a → -1, ab → 0, b → 1 and leaves a
cell empty (NaN) where the annotator did not judge the unit, then calls the ``krippendorff`` package's
``alpha`` with ``level_of_measurement`` "nominal" and "ordinal". This module does the same with the
maintained package. ``not_selected`` (a skipped question) is a missing judgment, an empty cell: it has no
code in MusAV's mapping. An annotator who judged a unit twice counts once, with the later answer (a
dict overwrite in MusAV's script); a judgment naming its pair the other way round is turned round.

Alpha is undefined (None here) when there is nothing to compare: no unit judged by two annotators, or
one value only (the package raises or returns NaN then).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Literal

import krippendorff
import numpy as np

from earsense_m2t.annotation.metrics.answers import FLIPPED, NOT_SELECTED, ORDINAL
from earsense_m2t.schemas.annotation import QUESTIONS, Judgment

Level = Literal["nominal", "ordinal"]
LEVELS: tuple[Level, ...] = ("nominal", "ordinal")


def reliability_matrix(judgments: Iterable[Judgment], question: str) -> tuple[np.ndarray, list[str], list[str]]:
    """(annotators × units matrix of ordinal codes with NaN for missing, annotator ids, unit ids)."""
    if question not in QUESTIONS:
        raise ValueError(f"question {question!r} is not one of {list(QUESTIONS)}")
    units: dict[tuple[str, frozenset[str]], tuple[str, str]] = {}  # first-seen orientation of each pair
    cells: dict[tuple[str, tuple[str, frozenset[str]]], int | None] = {}
    annotators: dict[str, None] = {}
    for judgment in judgments:
        if judgment.source != "human" or judgment.question != question:
            continue
        unit = (judgment.triplet_id, frozenset((judgment.a, judgment.b)))
        a, _ = units.setdefault(unit, (judgment.a, judgment.b))
        answer = judgment.answer if judgment.a == a else FLIPPED.get(judgment.answer, judgment.answer)
        if answer != NOT_SELECTED and answer not in ORDINAL:
            raise ValueError(f"judgment {judgment.id}: answer {judgment.answer!r} is not one of "
                             f"{[*ORDINAL, NOT_SELECTED]}")
        annotators.setdefault(judgment.annotator)
        cells[(judgment.annotator, unit)] = None if answer == NOT_SELECTED else ORDINAL[answer]
    unit_keys = list(units)
    matrix = np.full((len(annotators), len(unit_keys)), np.nan)
    column = {unit: j for j, unit in enumerate(unit_keys)}
    row = {annotator: i for i, annotator in enumerate(annotators)}
    for (annotator, unit), code in cells.items():
        if code is not None:
            matrix[row[annotator], column[unit]] = code
    unit_ids = [f"{u[0]}/{units[u][0]}-{units[u][1]}" for u in unit_keys]
    return matrix, list(annotators), unit_ids


def krippendorff_alpha(judgments: Iterable[Judgment], question: str, level: str = "nominal") -> float | None:
    """Krippendorff's alpha of one question's human judgments (units = pairs), or None when undefined.

    ``level`` is "nominal" or "ordinal" (checked here, so callers may pass a plain string).
    """
    if level not in LEVELS:
        raise ValueError(f"level {level!r} is not one of {list(LEVELS)}")
    matrix, _, _ = reliability_matrix(judgments, question)
    pairable = (np.sum(~np.isnan(matrix), axis=0) >= 2) if matrix.size else np.array([], dtype=bool)
    if not pairable.any():
        return None
    try:
        value = float(krippendorff.alpha(reliability_data=matrix, level_of_measurement=level))
    except ValueError:  # "There has to be more than one value in the domain."
        return None
    return None if math.isnan(value) else value


__all__ = ["LEVELS", "krippendorff_alpha", "reliability_matrix"]

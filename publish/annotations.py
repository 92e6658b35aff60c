"""What the card says about the relative annotations, and its plot, from the annotate stage's manifests.

The build folder holds ``annotation_pool.jsonl`` (PoolExcerpt), ``relative_annotations.jsonl``
(RelativeAnnotation: human where complete, else silver) and ``annotation_judgments.jsonl`` (the human
judgments, pseudonymized; read for Krippendorff's alpha only, never published). Everything here is a
pure function of those records, so the same annotations give the same card and the same plot bytes.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from earsense_m2t.annotation.metrics.agreement import krippendorff_alpha  # noqa: E402
from earsense_m2t.annotation.metrics.emotion import LEXICON_CITATION, LEXICON_LICENCE, LEXICON_NAME  # noqa: E402
from earsense_m2t.annotation.metrics.evaluate import evaluate  # noqa: E402
from earsense_m2t.annotation.pool import DEFAULT_EXCERPT_S, DEFAULT_LOUDNESS_RANGE_LUFS  # noqa: E402
from earsense_m2t.annotation.silver import DEFAULT_AROUSAL_TOLERANCE, DEFAULT_VALENCE_TOLERANCE  # noqa: E402
from earsense_m2t.annotation.triplets import DEFAULT_STRATUM  # noqa: E402
from earsense_m2t.schemas import Judgment, PoolExcerpt, RelativeAnnotation  # noqa: E402
from earsense_m2t.schemas.annotation import AGREEMENTS, OUTCOMES, QUESTIONS, SUBSETS  # noqa: E402

PLOT_NAME = "relative_annotations.png"
LEVELS = ("nominal", "ordinal")


def _fmt(value: float | None, digits: int = 3) -> str:
    return "n/a" if value is None else f"{value:.{digits}f}"


def annotation_context(pool: Sequence[PoolExcerpt], rows: Sequence[RelativeAnnotation],
                       judgments: Sequence[Judgment]) -> dict[str, Any] | None:
    """The card's figures about the annotations; None when the build has no annotation pool at all."""
    if not pool and not rows:
        return None
    human = [r for r in rows if r.source == "human"]
    per_question: dict[str, dict[str, Any]] = {}
    predictions = {e.movement_id: (e.silver_arousal, e.silver_valence) for e in pool}
    evaluation = evaluate(predictions, human) if human else None
    for q in QUESTIONS:
        of_q = [r for r in rows if r.question == q]
        agreement = Counter(r.agreement for r in of_q)
        alphas = {level: krippendorff_alpha(judgments, q, level) for level in LEVELS} if judgments else {}
        per_question[q] = {
            "rows": len(of_q),
            "human": sum(r.source == "human" for r in of_q),
            "silver": sum(r.source == "silver" for r in of_q),
            "agreement": {a: agreement[a] for a in AGREEMENTS if agreement[a]},
            "subsets": {s: sum(s in r.subsets for r in of_q) for s in SUBSETS},
            "silver_outcomes": {str(o): sum(r.source == "silver" and r.outcome == o for r in of_q)
                                for o in (*OUTCOMES, None)},
            "alpha": {level: _fmt(alphas.get(level)) for level in LEVELS},
            "baseline": {s: _baseline_cell(evaluation[q][s]) for s in SUBSETS} if evaluation else None,
        }
    loudness = sorted(e.loudness_before_lufs for e in pool)
    types = {r.triplet_id: r.triplet_type for r in rows}
    return {
        "pool": len(pool),
        "pool_loudness": [round(loudness[0], 1), round(loudness[-1], 1)] if loudness else None,
        "loudness_range": list(DEFAULT_LOUDNESS_RANGE_LUFS),
        "excerpt_s": DEFAULT_EXCERPT_S,
        "triplets": len(types),
        "triplet_types": dict(sorted(Counter(types.values()).items())),
        "stratum": DEFAULT_STRATUM,
        "pairs": len({(r.triplet_id, r.pair_id) for r in rows}),
        "not_in_dataset": sum(not r.in_dataset for r in rows),
        "annotators": len({j.annotator for j in judgments}),
        "judgments": len(judgments),
        "questions": per_question,
        "arousal_tolerance": DEFAULT_AROUSAL_TOLERANCE,
        "valence_tolerance": DEFAULT_VALENCE_TOLERANCE,
        "lexicon": {"name": LEXICON_NAME, "licence": LEXICON_LICENCE, "citation": LEXICON_CITATION},
    }


def _baseline_cell(cell: dict[str, Any]) -> dict[str, Any]:
    accuracy = cell.get("accuracy")
    return {"correct": cell["correct"], "total": cell["total"],
            "accuracy": "n/a" if accuracy is None else f"{100 * accuracy:.1f} %"}


#: how the plot names a silver outcome (the context's keys: the outcome, or "None" for a pair without one)
SILVER_LABELS = {"a": "silver: A higher", "b": "silver: B higher", "ab": "silver: no difference",
                 "None": "silver: no outcome (a score missing)"}


def alpha_title(question: str, alpha: Mapping[str, str]) -> str:
    """A plot title naming the question and its ordinal Krippendorff's alpha, or saying why there is none."""
    value = alpha.get("ordinal")
    if value is None or value == "n/a":
        return f"{question}: no human judgments yet (no alpha)"
    return f"{question}: Krippendorff's alpha (ordinal) {value}"


def annotations_figure(context: Mapping[str, Any]) -> plt.Figure:
    """Per question, rows by agreement level (human) and by silver outcome: what the release holds."""
    fig, axes = plt.subplots(1, 2, figsize=(8, 3.4), sharey=True)
    keys = (*OUTCOMES, "None")
    labels = [*[a for a in AGREEMENTS if a != "silver"], *[SILVER_LABELS[o] for o in keys]]
    for ax, question in zip(axes, QUESTIONS, strict=True):
        q = context["questions"][question]
        values = [q["agreement"].get(a, 0) for a in AGREEMENTS if a != "silver"]
        values += [q["silver_outcomes"].get(o, 0) for o in keys]
        colors = ["#4c72b0"] * (len(AGREEMENTS) - 1) + ["#999999"] * len(keys)
        ax.barh(range(len(labels)), values, color=colors)
        ax.set_yticks(range(len(labels)), labels, fontsize=8)
        ax.invert_yaxis()
        ax.set_xlabel("pairs")
        ax.set_title(alpha_title(question, q["alpha"]), fontsize=8)
    fig.suptitle("Relative annotations: human agreement (blue) and silver outcomes (grey)", fontsize=10)
    fig.tight_layout()
    return fig


def plot_annotations(context: Mapping[str, Any], path: Path) -> None:
    fig = annotations_figure(context)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=90, metadata={"Software": None})
    plt.close(fig)


__all__ = ["PLOT_NAME", "alpha_title", "annotation_context", "annotations_figure", "plot_annotations"]

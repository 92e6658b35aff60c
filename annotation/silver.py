"""Silver labels: machine guesses for every pair, so a release is useful before anyone has annotated.

Each pooled movement gets two scores; a pair's silver answer compares them (``a`` when a's score is
higher by more than the tolerance, ``b`` when lower, ``ab`` when within it):

* **arousal** (how energetic): the mean of the available terms, each on a fixed scale so that a
  movement's score never depends on which other movements are in the pool (a new release does not
  reshuffle old labels):
  - the excerpt's RMS level before the playback gain, ``(rms_dbfs + 30) / 10`` (a recording's level
    carries its dynamics, but also its engineer's choices: it is one term of three);
  - its onset rate (note attacks per second, from spectral flux), ``(rate - 2) / 2``; both measured when
    the features stage renders the excerpt (:mod:`earsense_m2t.features.excerpt`);
  - the movement's tempo tag, slow 0 .. super_fast 3, ``tag - 1.5``.
* **valence** (how positive): the emotion of the movement's published expert text
  (:mod:`earsense_m2t.annotation.metrics.emotion`, the NRC lexicon by default), ``(positive - negative) /
  (positive + negative)`` in [-1, 1]. A movement whose text carries no sentiment has no valence, and its
  pairs get no silver valence answer (outcome None): no evidence is not "no difference".

Silver rows are marked ``source="silver"``, agreement ``"silver"``, belong to no ground-truth subset,
and have no triplet consistency; a pair with a complete human aggregation replaces its silver row.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from earsense_m2t.features.excerpt import onset_rate_hz, rms_dbfs
from earsense_m2t.schemas import TEMPO_CLASSES, RelativeAnnotation, Triplet, pair_id

#: scores closer than this give "ab" (no difference); on the scales above one unit is e.g. 10 dB or one tempo class
DEFAULT_AROUSAL_TOLERANCE = 0.25
DEFAULT_VALENCE_TOLERANCE = 0.2
TEMPO_RANK = {tag: i for i, tag in enumerate(TEMPO_CLASSES)}


@dataclass(frozen=True, kw_only=True)
class SilverParams:
    arousal_tolerance: float = DEFAULT_AROUSAL_TOLERANCE
    valence_tolerance: float = DEFAULT_VALENCE_TOLERANCE


def arousal_score(rms: float | None, onset_rate: float | None, tempo_tag: str | None) -> float | None:
    """The mean of the available terms on their fixed scales (module docstring); None when none is available."""
    terms = []
    if rms is not None:
        terms.append((rms + 30.0) / 10.0)
    if onset_rate is not None:
        terms.append((onset_rate - 2.0) / 2.0)
    if tempo_tag in TEMPO_RANK:
        terms.append(TEMPO_RANK[tempo_tag] - 1.5)
    return round(sum(terms) / len(terms), 4) if terms else None


def compare(score_a: float | None, score_b: float | None, tolerance: float) -> str | None:
    """``a`` / ``b``: that one is higher by more than ``tolerance``; ``ab``: within it; None: a score is missing."""
    if score_a is None or score_b is None:
        return None
    if abs(score_a - score_b) <= tolerance:
        return "ab"
    return "a" if score_a > score_b else "b"


def silver_annotations(triplets: Iterable[Triplet], scores: Mapping[str, tuple[float | None, float | None]],
                       in_dataset: Mapping[str, bool] | None = None,
                       params: SilverParams = SilverParams()) -> list[RelativeAnnotation]:
    """One silver row per pair and question of every triplet.

    ``scores``: movement id -> (arousal, valence); a movement missing from it has no scores (its pairs
    get outcome None). ``in_dataset``: movement id -> whether it is still in the dataset (default: all).
    """
    rows = []
    for triplet in triplets:
        for a, b in triplet.pairs():
            present = in_dataset is None or (in_dataset.get(a, False) and in_dataset.get(b, False))
            sa, sb = scores.get(a, (None, None)), scores.get(b, (None, None))
            for question, index, tolerance in (("arousal", 0, params.arousal_tolerance),
                                               ("valence", 1, params.valence_tolerance)):
                rows.append(RelativeAnnotation(
                    pair_id=pair_id(a, b), triplet_id=triplet.id, triplet_type=triplet.triplet_type, a=a, b=b,
                    question=question, outcome=compare(sa[index], sb[index], tolerance), agreement="silver",
                    subsets=(), triplet_consistency=None, source="silver", annotators=0, in_dataset=present))
    return rows


def merge_with_human(silver: Sequence[RelativeAnnotation],
                     human: Sequence[RelativeAnnotation]) -> list[RelativeAnnotation]:
    """Human rows replace silver ones pair by pair (and question): a complete human aggregation (anything but
    ``incomplete``) takes the silver row's place; while a pair still waits for annotators its silver row
    stays (the card counts the pairs in progress). Silver order is kept; a complete human row whose pair has
    no silver row (its triplet is not in ``silver``) is appended."""
    complete = {(r.triplet_id, r.pair_id, r.question): r for r in human if r.agreement != "incomplete"}
    out: list[RelativeAnnotation] = []
    used: set[tuple[str, str, str]] = set()
    for row in silver:
        key = (row.triplet_id, row.pair_id, row.question)
        found = complete.get(key)
        out.append(row if found is None else found)
        if found is not None:
            used.add(key)
    out.extend(r for key, r in complete.items() if key not in used)
    return out


__all__ = ["DEFAULT_AROUSAL_TOLERANCE", "DEFAULT_VALENCE_TOLERANCE", "SilverParams", "arousal_score", "compare",
           "merge_with_human", "onset_rate_hz", "rms_dbfs", "silver_annotations"]

"""Aggregation of relative judgments into agreement levels, outcomes, triplet consistency and ground truth.

MusAV's rules (three annotators per pair; ``scripts/annotations_agreement.py`` and
``scripts/annotations_triplet_consistency.py`` of MTG/musav-dataset), which this module reproduces:

* The answers of a pair are the ``higher_value`` of every record for it, ``not_selected`` included.
* **full agreement**: the sorted answers are [a,a,a], [ab,ab,ab] or [b,b,b];
  **majority agreement**: [a,a,ab], [ab,b,b], [a,ab,ab] or [ab,ab,b] (two agree, the third does not
  say the opposite); **disagreement**: any other set of three; **incomplete**: fewer than three.
* **outcome** (MusAV's ``higher_value``): the answer given at least twice, else none (MusAV writes
  ``undefined``).
* **ground truth** ``gt``: the full- and majority-agreement pairs. **Triplet consistency** is computed on
  them: a triplet whose three pairs are all in ``gt`` is *consistent* when the three relations
  (a>b, a<b, a=b) can hold at once (they are transitive), else *inconsistent*; a triplet with fewer
  than three ``gt`` pairs is *incomplete*. ``gt.ct`` = consistent, ``gt.fa`` = full agreement,
  ``gt.ct.fa`` = both.

``not_selected`` (a skipped question) is a missing *judgment*: it is never a vote, never counts
towards an outcome, and Krippendorff's alpha treats it as missing (:mod:`.agreement`). The record still
shows that the annotator saw the pair, so the pair's set is complete, and a complete set holding a
skip can be neither full nor majority agreement: MusAV's published files have
``[b, b, not_selected]`` as ``disagreement`` with outcome ``b``, and so does this module.

**n annotators** (``n_required = n``; the rules above are the case n = 3). With k records for a pair:

* k < n: *incomplete*.
* otherwise *full agreement* when all k answers are the same vote; *majority agreement* when no answer
  is a skip, a and b are not both given, and one answer is given by more than half of the k
  annotators; else *disagreement*. For k = n = 3 these are exactly MusAV's lists: three votes drawn
  from {a, ab} (or {ab, b}), not all equal, always have one answer twice, and any set holding both a
  and b, or a skip, is on neither list.
* outcome: the vote given by more than half of max(k, n) annotators. For n = 3 that is "at least
  twice" whatever k ≤ 3 is (MusAV's rule: an incomplete [a, a] still has outcome a).

One difference, for k > n only: MusAV's script calls a pair with more than three records
*incomplete*; here the pair is aggregated over all its answers, so a fourth annotator adds evidence
instead of discarding the pair. MusAV collected exactly three annotators per chunk.

A pair is named as its judgments name it (MusAV: ``songid_a-songid_b`` of the raw lines; this
project's web page: triplet order); a judgment that names the pair the other way round is turned
round (a ↔ b) so one pair never becomes two. Rows come out in the order the pairs are first judged,
as MusAV's ``*.all.agreement`` files do.
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from earsense_m2t.annotation.metrics.answers import (
    AB,
    CONSISTENT,
    DISAGREEMENT,
    FLIPPED,
    FULL_AGREEMENT,
    GROUND_TRUTH_AGREEMENTS,
    GT,
    GT_CT,
    GT_CT_FA,
    GT_FA,
    INCOMPLETE,
    INCONSISTENT,
    MAJORITY_AGREEMENT,
    MUSAV_ANNOTATORS,
    NOT_SELECTED,
    VOTES,
    A,
    B,
)
from earsense_m2t.schemas.annotation import ANSWERS, QUESTIONS, Judgment, RelativeAnnotation, Triplet, pair_id


def aggregate_pair(answers: Sequence[str], n_required: int = MUSAV_ANNOTATORS) -> tuple[str, str | None]:
    """(agreement, outcome) of one pair's answers; outcome is None where MusAV writes ``undefined``."""
    if n_required < 1:
        raise ValueError(f"n_required must be at least 1, got {n_required}")
    unknown = sorted({a for a in answers if a not in ANSWERS})
    if unknown:
        raise ValueError(f"answers {unknown} are not among {list(ANSWERS)}")
    k = len(answers)
    counts = Counter(answers)
    votes = {v: counts[v] for v in VOTES if counts[v]}
    # the vote of more than half of max(k, n): "at least twice" for n = 3
    outcome = next((v for v, c in votes.items() if 2 * c > max(k, n_required)), None)
    if k < n_required:
        return INCOMPLETE, outcome
    if counts[NOT_SELECTED] == 0 and len(votes) == 1:
        return FULL_AGREEMENT, outcome
    if counts[NOT_SELECTED] == 0 and not (A in votes and B in votes) and any(2 * c > k for c in votes.values()):
        return MAJORITY_AGREEMENT, outcome
    return DISAGREEMENT, outcome


def _relation_holds(outcome: str, higher: int, lower: int) -> bool:
    return {A: higher > lower, B: higher < lower, AB: higher == lower}[outcome]


def triplet_consistency(relations: Mapping[str, str | None], triplet: Triplet | Sequence[str]) -> str:
    """"consistent" | "inconsistent" | "incomplete": can the triplet's three pair relations hold at once?

    ``relations`` maps pair ids (either orientation, ``f"{a}-{b}"``) to outcomes; give only the pairs
    that count (MusAV: the ground-truth pairs). Pairs are found from the triplet's movement ids, never
    by splitting an id on "-" (movement ids contain hyphens). A missing pair or a None outcome makes the
    triplet incomplete.
    """
    ids = tuple(triplet.movement_ids if isinstance(triplet, Triplet) else triplet)
    if len(ids) != 3 or len(set(ids)) != 3:
        raise ValueError(f"a triplet has three different movements, got {ids}")
    constraints: list[tuple[int, int, str]] = []  # (index of a, index of b, outcome)
    for i, j in ((0, 1), (0, 2), (1, 2)):
        forward, backward = relations.get(pair_id(ids[i], ids[j])), relations.get(pair_id(ids[j], ids[i]))
        if forward is not None:
            constraints.append((i, j, forward))
        elif backward is not None:
            constraints.append((j, i, backward))
        else:
            return INCOMPLETE
    for _, _, outcome in constraints:
        if outcome not in VOTES:
            raise ValueError(f"outcome {outcome!r} is not one of {list(VOTES)}")
    # a weak order of three items is three ranks in {0, 1, 2}: try them all (27)
    for ranks in itertools.product(range(3), repeat=3):
        if all(_relation_holds(outcome, ranks[i], ranks[j]) for i, j, outcome in constraints):
            return CONSISTENT
    return INCONSISTENT


@dataclass
class _Pair:
    triplet_id: str
    a: str
    b: str
    answers: list[str] = field(default_factory=list)
    voters: set[str] = field(default_factory=set)


def group_pairs(judgments: Iterable[Judgment], question: str) -> list[_Pair]:
    """The human judgments of one question, grouped by pair in first-judged order, reversed ones turned round."""
    pairs: dict[tuple[str, frozenset[str]], _Pair] = {}
    for judgment in judgments:
        if judgment.source != "human" or judgment.question != question:
            continue
        key = (judgment.triplet_id, frozenset((judgment.a, judgment.b)))
        pair = pairs.setdefault(key, _Pair(judgment.triplet_id, judgment.a, judgment.b))
        answer = judgment.answer if judgment.a == pair.a else FLIPPED.get(judgment.answer, judgment.answer)
        pair.answers.append(answer)
        if answer != NOT_SELECTED:
            pair.voters.add(judgment.annotator)
    return list(pairs.values())


def aggregate(judgments: Iterable[Judgment], triplets: Iterable[Triplet], question: str,
              n_required: int = MUSAV_ANNOTATORS) -> list[RelativeAnnotation]:
    """One row per judged pair of ``question`` (human judgments only), in first-judged order.

    Ground-truth rows carry their subsets and their triplet's consistency; other rows have no subsets
    and ``triplet_consistency=None`` (MusAV's ``*.all.agreement`` file has no consistency either).
    A judgment of a triplet that is not in ``triplets``, or of two movements that are not a pair of its
    triplet, is an error naming the judgment.
    """
    if question not in QUESTIONS:
        raise ValueError(f"question {question!r} is not one of {list(QUESTIONS)}")
    by_id = {t.id: t for t in triplets}
    pairs = group_pairs(judgments, question)
    for pair in pairs:
        triplet = by_id.get(pair.triplet_id)
        if triplet is None:
            raise ValueError(f"judgment of pair {pair_id(pair.a, pair.b)}: triplet {pair.triplet_id!r} is not "
                             "among the triplets")
        if pair.a == pair.b or not {pair.a, pair.b} <= set(triplet.movement_ids):
            raise ValueError(f"judgment of pair {pair_id(pair.a, pair.b)}: not a pair of triplet {triplet.id} "
                             f"{list(triplet.movement_ids)}")
        unknown = sorted({a for a in pair.answers if a not in ANSWERS})
        if unknown:
            raise ValueError(f"judgment of pair {pair_id(pair.a, pair.b)}: answers {unknown} are not among "
                             f"{list(ANSWERS)}")
    results = [(pair, *aggregate_pair(pair.answers, n_required)) for pair in pairs]
    # consistency on the ground-truth relations of each triplet, as MusAV computes it from its gt file
    gt_relations: dict[str, dict[str, str | None]] = {}
    for pair, agreement, outcome in results:
        if agreement in GROUND_TRUTH_AGREEMENTS:
            gt_relations.setdefault(pair.triplet_id, {})[pair_id(pair.a, pair.b)] = outcome
    consistency = {tid: triplet_consistency(rel, by_id[tid]) for tid, rel in gt_relations.items()}
    rows = []
    for pair, agreement, outcome in results:
        triplet = by_id[pair.triplet_id]
        subsets: tuple[str, ...] = ()
        ct: str | None = None
        if agreement in GROUND_TRUTH_AGREEMENTS:
            ct = consistency[pair.triplet_id]
            subsets = ground_truth_subsets(agreement, ct)
        rows.append(RelativeAnnotation(
            pair_id=pair_id(pair.a, pair.b), triplet_id=triplet.id, triplet_type=triplet.triplet_type, a=pair.a,
            b=pair.b, question=question, outcome=outcome, agreement=agreement, subsets=subsets,
            triplet_consistency=ct, source="human", annotators=len(pair.voters)))
    return rows


def ground_truth_subsets(agreement: str, consistency: str | None) -> tuple[str, ...]:
    """The subsets a pair belongs to, in the schema's order (gt, gt.ct, gt.fa, gt.ct.fa)."""
    if agreement not in GROUND_TRUTH_AGREEMENTS:
        return ()
    full, consistent = agreement == FULL_AGREEMENT, consistency == CONSISTENT
    return tuple(s for s, member in ((GT, True), (GT_CT, consistent), (GT_FA, full), (GT_CT_FA, consistent and full))
                 if member)


def counts(rows: Iterable[RelativeAnnotation]) -> dict[str, int]:
    """How many rows per agreement level and per subset (what the CLI prints and the card reports)."""
    tally: Counter[str] = Counter()
    for row in rows:
        tally["pairs"] += 1
        tally[row.agreement] += 1
        for subset in row.subsets:
            tally[subset] += 1
    order = ["pairs", FULL_AGREEMENT, MAJORITY_AGREEMENT, DISAGREEMENT, INCOMPLETE, GT, GT_CT, GT_FA, GT_CT_FA]
    return {name: tally[name] for name in order}


__all__ = ["aggregate", "aggregate_pair", "counts", "ground_truth_subsets", "group_pairs", "triplet_consistency"]

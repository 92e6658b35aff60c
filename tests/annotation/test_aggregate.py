"""Aggregation: MusAV's agreement and outcome rules for three annotators (every possible answer set), their
generalization to n annotators, triplet consistency (every relation set, against a graph check), ground truth."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from earsense_m2t.annotation.aggregate import aggregate, aggregate_pair, triplet_consistency
from earsense_m2t.annotation.tool.musav import read_raw, read_triplets
from earsense_m2t.schemas.annotation import Judgment, Triplet

SAMPLES = Path(__file__).parent / "samples" / "musav"
ANSWERS = ("a", "b", "ab", "not_selected")


def musav_rule(answers):
    """MusAV's rule for three annotators written from its description: the agreement lists and "given twice"."""
    pair = sorted(answers)
    if pair in (["a", "a", "a"], ["ab", "ab", "ab"], ["b", "b", "b"]):
        agreement = "full-agreement"
    elif pair in (["a", "a", "ab"], ["ab", "b", "b"], ["a", "ab", "ab"], ["ab", "ab", "b"]):
        agreement = "majority-agreement"
    elif len(pair) == 3:
        agreement = "disagreement"
    else:
        agreement = "incomplete"
    outcome = next((v for v in ("a", "b", "ab") if pair.count(v) >= 2), None)
    return agreement, outcome


EVERY_SET_UP_TO_THREE = [combo for k in range(4) for combo in itertools.product(ANSWERS, repeat=k)]


@pytest.mark.parametrize("answers", EVERY_SET_UP_TO_THREE, ids=lambda c: ",".join(c) or "none")
def test_three_annotators_reproduce_musav_for_every_answer_set(answers):
    assert aggregate_pair(list(answers)) == musav_rule(answers)


@pytest.mark.parametrize("answers, n, expected", [
    # four annotators
    (["a", "a", "a", "a"], 4, ("full-agreement", "a")),
    (["a", "a", "a", "ab"], 4, ("majority-agreement", "a")),
    (["ab", "ab", "ab", "b"], 4, ("majority-agreement", "ab")),
    (["a", "a", "ab", "ab"], 4, ("disagreement", None)),  # no strict majority
    (["a", "a", "a", "b"], 4, ("disagreement", "a")),  # a against b: never majority agreement
    (["a", "a", "a", "not_selected"], 4, ("disagreement", "a")),  # a skip keeps it out of gt, as in MusAV
    (["a", "a", "ab"], 4, ("incomplete", None)),  # two of four is not more than half
    (["a", "a", "a"], 4, ("incomplete", "a")),
    # five annotators
    (["b", "b", "b", "ab", "ab"], 5, ("majority-agreement", "b")),
    (["b", "b", "ab", "ab", "a"], 5, ("disagreement", None)),
    # two annotators
    (["a", "a"], 2, ("full-agreement", "a")),
    (["a", "ab"], 2, ("disagreement", None)),
    (["a"], 2, ("incomplete", None)),
    # one annotator: every answer is full agreement with itself
    (["ab"], 1, ("full-agreement", "ab")),
    # more answers than required: aggregated over all of them (MusAV would say incomplete)
    (["a", "a", "a", "ab"], 3, ("majority-agreement", "a")),
    (["a", "a", "b", "b"], 3, ("disagreement", None)),
])
def test_n_annotators(answers, n, expected):
    assert aggregate_pair(answers, n_required=n) == expected


@pytest.mark.parametrize("answers, n, message", [
    (["a", "c", "b"], 3, "['c']"),
    (["a", "A", "b"], 3, "['A']"),
    (["a"], 0, "n_required"),
])
def test_bad_answers_are_errors(answers, n, message):
    with pytest.raises(ValueError, match=message.replace("[", r"\[").replace("]", r"\]")):
        aggregate_pair(answers, n_required=n)


def reference_consistency(relations):
    """Transitivity checked another way: a cycle of >= relations through a strict > is a contradiction."""
    geq = {(i, j): False for i in range(3) for j in range(3)}
    strict = set()
    for (i, j), rel in relations.items():
        if rel in ("a", "ab"):
            geq[i, j] = True
        if rel in ("b", "ab"):
            geq[j, i] = True
        if rel == "a":
            strict.add((i, j))
        if rel == "b":
            strict.add((j, i))
    for k, i, j in itertools.product(range(3), repeat=3):  # Floyd-Warshall closure of >=
        geq[i, j] = geq[i, j] or (geq[i, k] and geq[k, j])
    return "inconsistent" if any(geq[j, i] for i, j in strict) else "consistent"


@pytest.mark.parametrize("outcomes", list(itertools.product(("a", "b", "ab"), repeat=3)), ids="-".join)
def test_triplet_consistency_is_transitivity_for_every_relation_set(outcomes):
    ids = ("op-1#1", "op-1#2", "quartet-no-3#4")  # movement ids hold hyphens: pair ids are never split on "-"
    pairs = [(0, 1), (0, 2), (1, 2)]
    relations = {f"{ids[i]}-{ids[j]}": o for (i, j), o in zip(pairs, outcomes, strict=True)}
    expected = reference_consistency(dict(zip(pairs, outcomes, strict=True)))
    assert triplet_consistency(relations, ids) == expected
    # the same relations named the other way round (b-a with a and b swapped) give the same answer
    flipped = {f"{ids[j]}-{ids[i]}": {"a": "b", "b": "a", "ab": "ab"}[o] for (i, j), o in zip(pairs, outcomes,
                                                                                           strict=True)}
    assert triplet_consistency(flipped, Triplet(id="t", round=1, triplet_type="global", movement_ids=ids)) == expected


@pytest.mark.parametrize("relations, expected", [
    ({"x-y": "a", "y-z": "a", "x-z": "a"}, "consistent"),  # x > y > z
    ({"x-y": "a", "y-z": "a", "x-z": "b"}, "inconsistent"),  # a cycle
    ({"x-y": "a", "y-z": "a", "x-z": "ab"}, "inconsistent"),  # x > z and x = z
    ({"x-y": "ab", "y-z": "ab", "x-z": "ab"}, "consistent"),
    ({"x-y": "ab", "y-z": "ab", "x-z": "a"}, "inconsistent"),
    ({"x-y": "a", "y-z": "ab", "x-z": "a"}, "consistent"),  # x > y = z
    ({"x-y": "a", "x-z": "a"}, "incomplete"),
    ({"x-y": "a", "y-z": "a", "x-z": None}, "incomplete"),
    ({}, "incomplete"),
])
def test_triplet_consistency_cases(relations, expected):
    assert triplet_consistency(relations, ("x", "y", "z")) == expected


def test_sample_rows():
    judgments = read_raw(SAMPLES / "annotations.all")
    rows = {r.pair_id: r for r in aggregate(judgments, read_triplets(SAMPLES / "triplets.jsonl"), "arousal")}
    assert list(rows) == ["s4-s5", "s1-s2", "s7-s8", "s2-s3", "s7-s9", "s5-s6", "s1-s3", "s8-s9", "s4-s6", "s10-s11",
                          "s10-s12"]  # first-judged order
    skipped = rows["s7-s9"]  # [b, b, not_selected]
    assert (skipped.agreement, skipped.outcome, skipped.annotators, skipped.subsets, skipped.triplet_consistency) == (
        "disagreement", "b", 2, (), None)
    assert rows["s1-s2"].subsets == ("gt", "gt.ct", "gt.fa", "gt.ct.fa")
    assert rows["s1-s3"].subsets == ("gt", "gt.ct") and rows["s1-s3"].triplet_consistency == "consistent"
    assert rows["s4-s5"].subsets == ("gt", "gt.fa") and rows["s4-s5"].triplet_consistency == "inconsistent"
    assert rows["s8-s9"].triplet_consistency == "incomplete" and rows["s8-s9"].outcome == "ab"
    assert rows["s10-s11"].agreement == "incomplete" and rows["s10-s11"].outcome == "a"
    assert rows["s4-s5"].triplet_type == "group:genre=forró" and rows["s1-s2"].triplet_type == "global"
    assert all(r.source == "human" and r.question == "arousal" and r.in_dataset for r in rows.values())
    valence = aggregate(judgments, read_triplets(SAMPLES / "triplets.jsonl"), "valence")
    assert [(r.pair_id, r.agreement, r.outcome) for r in valence] == [("s1-s2", "majority-agreement", "b")]


def judgment(a, b, answer, annotator, question="arousal", source="human", triplet="t"):
    return Judgment(triplet_id=triplet, a=a, b=b, question=question, answer=answer, annotator=annotator, source=source)


TRIPLET = Triplet(id="t", round=1, triplet_type="group:ensemble=quartet", movement_ids=("x", "y", "z"))


def test_a_judgment_naming_its_pair_the_other_way_round_is_turned_round():
    rows = aggregate([judgment("x", "y", "a", "p1"), judgment("y", "x", "b", "p2"), judgment("x", "y", "a", "p3")],
                     [TRIPLET], "arousal")
    assert [(r.pair_id, r.agreement, r.outcome, r.annotators) for r in rows] == [("x-y", "full-agreement", "a", 3)]


def test_silver_and_other_question_judgments_do_not_count():
    rows = aggregate([judgment("x", "y", "a", "p1"), judgment("x", "y", "b", "silver", source="silver"),
                      judgment("x", "y", "b", "p2", question="valence")], [TRIPLET], "arousal")
    assert [(r.agreement, r.outcome, r.annotators) for r in rows] == [("incomplete", None, 1)]


def test_n_required_two_completes_pairs_with_two_answers():
    judgments = [judgment(a, b, "a", p) for a, b in (("x", "y"), ("y", "z"), ("x", "z")) for p in ("p1", "p2")]
    rows = aggregate(judgments, [TRIPLET], "arousal", n_required=2)
    assert {r.subsets for r in rows} == {("gt", "gt.ct", "gt.fa", "gt.ct.fa")}
    assert {r.agreement for r in aggregate(judgments, [TRIPLET], "arousal")} == {"incomplete"}


@pytest.mark.parametrize("bad, message", [
    (judgment("x", "y", "a", "p1", triplet="nope"), "triplet 'nope' is not among the triplets"),
    (judgment("x", "w", "a", "p1"), "x-w: not a pair of triplet t"),
    (judgment("x", "x", "a", "p1"), "x-x: not a pair of triplet t"),
    (judgment("x", "y", "maybe", "p1"), "answers ['maybe']"),
])
def test_judgments_that_do_not_fit_the_triplets_are_errors(bad, message):
    with pytest.raises(ValueError) as info:
        aggregate([judgment("y", "z", "a", "p1"), bad], [TRIPLET], "arousal")
    assert message in str(info.value)


def test_unknown_question_is_an_error():
    with pytest.raises(ValueError, match="question 'tempo'"):
        aggregate([], [TRIPLET], "tempo")

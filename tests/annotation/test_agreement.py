"""Krippendorff's alpha of the judgments: the package's value equals an independent computation, MusAV's coding
and missing values, and None where alpha is undefined."""

from __future__ import annotations

import itertools
from collections import Counter
from pathlib import Path

import pytest

from earsense_m2t.annotation.metrics.agreement import krippendorff_alpha, reliability_matrix
from earsense_m2t.annotation.tool.musav import read_raw
from earsense_m2t.schemas.annotation import Judgment

SAMPLES = Path(__file__).parent / "samples" / "musav"


def nominal_alpha_by_hand(units):
    """Krippendorff's nominal alpha from its definition: units are lists of the values given to them."""
    coincidences: Counter[tuple[str, str]] = Counter()
    for values in units:
        m = len(values)
        if m < 2:
            continue
        for i, j in itertools.permutations(range(m), 2):
            coincidences[values[i], values[j]] += 1 / (m - 1)
    n_c: Counter[str] = Counter()
    for (c, _), weight in coincidences.items():
        n_c[c] += weight
    n = sum(n_c.values())
    observed = sum(w for (c, k), w in coincidences.items() if c != k)
    expected = sum(n_c[c] * n_c[k] for c in n_c for k in n_c if c != k) / (n - 1)
    return 1 - observed / expected


def judgment(pair, answer, annotator, question="arousal"):
    a, b = pair
    return Judgment(triplet_id="t", a=a, b=b, question=question, answer=answer, annotator=annotator)


def test_nominal_alpha_of_the_sample_equals_the_definition():
    judgments = read_raw(SAMPLES / "annotations.all")
    units: dict[tuple[str, str], list[str]] = {}
    for j in judgments:
        if j.question == "arousal" and j.answer != "not_selected":
            units.setdefault((j.a, j.b), []).append(j.answer)
    assert krippendorff_alpha(judgments, "arousal", "nominal") == pytest.approx(nominal_alpha_by_hand(units.values()))


def test_sample_alpha_as_musav_s_script_prints_it():
    """The values MusAV's own agreement_krippendorff.py printed for this sample (run outside the repository, with
    the not_selected lines left out: its coding has no value for them), to six decimals as it rounds."""
    judgments = read_raw(SAMPLES / "annotations.all")
    assert round(krippendorff_alpha(judgments, "arousal", "nominal"), 6) == 0.504082
    assert round(krippendorff_alpha(judgments, "arousal", "ordinal"), 6) == 0.72449


def test_matrix_codes_a_ab_b_as_minus_one_zero_one_and_not_selected_as_missing():
    matrix, annotators, units = reliability_matrix(
        [judgment(("x", "y"), "a", "p1"), judgment(("x", "y"), "ab", "p2"), judgment(("x", "y"), "b", "p3"),
         judgment(("x", "z"), "not_selected", "p1"), judgment(("z", "x"), "a", "p2")], "arousal")
    assert annotators == ["p1", "p2", "p3"] and units == ["t/x-y", "t/x-z"]
    assert matrix[:, 0].tolist() == [-1, 0, 1]
    assert matrix[1, 1] == 1  # z-x "a" is x-z "b"
    assert [str(v) for v in (matrix[0, 1], matrix[2, 1])] == ["nan", "nan"]


def test_not_selected_is_the_same_as_no_judgment():
    base = [judgment(p, ans, ann) for p, answers in ((("x", "y"), "aab"), (("x", "z"), "bba"), (("y", "z"), "aaa"))
            for ann, ans in zip(("p1", "p2", "p3"), answers, strict=True)]
    with_skip = [*base, judgment(("x", "w"), "not_selected", "p1"), judgment(("x", "w"), "a", "p2")]
    assert krippendorff_alpha(with_skip, "arousal", "ordinal") == krippendorff_alpha(
        [*base, judgment(("x", "w"), "a", "p2")], "arousal", "ordinal")


def test_ordinal_punishes_a_against_b_more_than_a_against_ab():
    near = [judgment(("x", "y"), "a", "p1"), judgment(("x", "y"), "ab", "p2"),
            judgment(("y", "z"), "b", "p1"), judgment(("y", "z"), "b", "p2"),
            judgment(("x", "z"), "a", "p1"), judgment(("x", "z"), "a", "p2")]
    far = [*near[2:], judgment(("x", "y"), "a", "p1"), judgment(("x", "y"), "b", "p2")]
    assert krippendorff_alpha(near, "arousal", "ordinal") > krippendorff_alpha(far, "arousal", "ordinal")


@pytest.mark.parametrize("judgments, expected", [
    ([], None),
    ([judgment(("x", "y"), "a", "p1"), judgment(("x", "z"), "b", "p2")], None),  # no unit judged twice
    ([judgment(("x", "y"), "a", "p1"), judgment(("x", "y"), "a", "p2")], None),  # one value only
    ([judgment(("x", "y"), "a", "p1"), judgment(("x", "y"), "a", "p2"),
      judgment(("x", "z"), "b", "p1"), judgment(("x", "z"), "b", "p2")], 1.0),
])
def test_undefined_and_perfect_alpha(judgments, expected):
    for level in ("nominal", "ordinal"):
        assert krippendorff_alpha(judgments, "arousal", level) == expected


def test_other_questions_and_silver_labels_are_left_out():
    judgments = [judgment(("x", "y"), "a", "p1"), judgment(("x", "y"), "a", "p2"),
                 judgment(("x", "z"), "b", "p1"), judgment(("x", "z"), "b", "p2"),
                 judgment(("x", "y"), "b", "p3", question="valence"),
                 Judgment(triplet_id="t", a="x", b="y", question="arousal", answer="b", annotator="s", source="silver")]
    assert krippendorff_alpha(judgments, "arousal", "nominal") == 1.0


@pytest.mark.parametrize("question, level, message", [("arousal", "interval", "level 'interval'"),
                                                      ("tempo", "nominal", "question 'tempo'")])
def test_bad_arguments(question, level, message):
    with pytest.raises(ValueError, match=message):
        krippendorff_alpha([], question, level)

"""The real-article table (real_articles.yaml): articles in the shape of real EarSense pages.

The table is scored by ``scripts/align_accuracy.py``; this test checks the table itself (enough
cases, unique ids, valid owners, sentences exactly as the aligner splits them, realistic lengths),
that the aligner's accuracy on it stays at the committed floor, and that every must-pass case is
exactly right.
"""

from __future__ import annotations

from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from earsense_m2t.movements.align import split_sentences
from tests._scripts import load_script

REPO = Path(__file__).resolve().parents[2]


def _load_scorer() -> ModuleType:
    return load_script("scripts/align_accuracy.py")


scorer = _load_scorer()
CASES = scorer.load_cases()


def test_table_is_large_and_ids_are_unique() -> None:
    assert len(CASES) >= 40
    assert len({c.id for c in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_case_is_well_formed(case: Any) -> None:
    sentences = [s for p in case.paragraphs for _, s in p]
    assert len(set(sentences)) == len(sentences), "a sentence occurs twice: scoring could not tell them apart"
    for paragraph in case.paragraphs:
        assert split_sentences(" ".join(s for _, s in paragraph)) == [s for _, s in paragraph]
    numbers = {n for p in case.paragraphs for o, _ in p if isinstance(o, tuple) for n in o}
    if case.titles:
        assert case.count is None, "count is for cases without titles"
    if numbers and not case.titles and case.count is None:
        assert case.movements, "a case with neither titles nor count needs the true count to be scored"
    assert numbers <= set(range(1, case.n_movements + 1))
    words = sum(len(s.split()) for s in sentences)
    assert 180 <= words <= 350, f"{words} words; real articles run about 190-340"
    for n in numbers:
        passage = sum(len(s.split()) for p in case.paragraphs for o, s in p if isinstance(o, tuple) and n in o)
        assert 7 <= passage <= 80, f"movement {n}: {passage} words; real passages run about 7-80"


def test_owners_are_validated() -> None:
    with pytest.raises(ValueError, match="owner"):
        scorer._owner("Q", "some_case")
    assert scorer._owner([2, 3], "c") == (2, 3)
    assert scorer._owner(1, "c") == (1,)


# The aligner's score on the table when issue 10's rules were committed (scripts/align_accuracy.py):
# per-movement 1.000 (205/205), sentence 1.000 (957/957), 55/55 cases. Before them: per-movement
# 0.624, sentence 0.793, 0/55 cases. The five `fresh_` cases, added after the rules were final, scored
# 18/18 movements at once (the aligner before issue 10: 14/18).
# Issue 19 (quoted descriptions are the movements'; the count-only and no-titles modes): the batch
# `issue19`, written before the change, went from 0.500 (42/84) to 1.000 (84/84) per movement, the whole
# file (83 cases) from 0.847 (260/307) to 1.000 (307/307); the rules were written with that batch in
# view, so its "after" is an upper bound (the held-out `issue19-fresh` batch is the estimate).
# A change that lowers the score must lower the floor on purpose, in its own commit, saying which cases
# it gives up and why.
MOVEMENT_ACCURACY_FLOOR = 1.0
SENTENCE_ACCURACY_FLOOR = 1.0
#: what ``earsense-m2t align-text`` may lose, per movement, with only the count or with neither (issue 19)
MODE_GAP = 0.05


def test_accuracy_on_the_table_stays_at_its_floor() -> None:
    report = scorer.score([c for c in CASES if c.batch != "issue19-fresh"])
    assert report.movement_accuracy >= MOVEMENT_ACCURACY_FLOOR, report.render(details=True)
    assert report.sentence_accuracy >= SENTENCE_ACCURACY_FLOOR, report.render(details=True)


@pytest.mark.parametrize("mode", ["count", "none"])
def test_count_only_and_no_titles_stay_close_to_titles(mode: str) -> None:
    with_titles = scorer.score(CASES).movement_accuracy
    report = scorer.score(CASES, mode)
    assert report.movement_accuracy >= with_titles - MODE_GAP, report.render(details=True)


QUOTATION_CASES = [c for c in CASES if c.id.startswith("quote_")]


def test_the_table_has_the_quotation_shapes() -> None:
    assert len(QUOTATION_CASES) >= 12


@pytest.mark.parametrize("case", QUOTATION_CASES, ids=[c.id for c in QUOTATION_CASES])
def test_quotation_cases_align_the_same_with_titles_count_or_neither(case: Any) -> None:
    passages = {mode: [(p.number, p.text, p.quoted) for p in scorer.align_case(case, mode).passages]
                for mode in scorer.MODES}
    assert passages["count"] == passages["titles"]
    assert passages["none"] == passages["titles"]


def test_quoted_passages_lose_their_marks_and_say_so() -> None:
    quoted = 0
    for case in QUOTATION_CASES:
        for passage in scorer.align_case(case).passages:
            assert passage.text[:1] not in "“\"‘«" and passage.text[-1:] not in "”\"’»", passage.text
            quoted += passage.quoted
    assert quoted >= 30


def test_bad_mode_is_refused() -> None:
    with pytest.raises(ValueError, match="mode 'titles-only'"):
        scorer.align_case(CASES[0], "titles-only")
    assert scorer.main(["--mode", "sometimes"]) == 2

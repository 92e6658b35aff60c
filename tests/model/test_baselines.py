"""The TAGS baselines: which training text each test movement gets, ties and unseen tag combinations included."""

from __future__ import annotations

import pytest

pytest.importorskip("torch", reason="torch is not installed: install the model extra (bash scripts/setup.sh --model)")
sacrebleu = pytest.importorskip("sacrebleu")

from earsense_m2t.model.baselines import (  # noqa: E402
    BASELINES,
    PAPER_TAG_FIELDS,
    mean_sentence_bleu,
    select_tags,
    shared_tags,
    tags_knn,
    tags_representative,
)
from earsense_m2t.model.data import Example  # noqa: E402

# made-up texts; the "strings" ones overlap, the others share no word with anything
STRINGS = "the strings play a quiet slow theme"
STRINGS_TOO = "the strings play a quiet slow theme"
STRINGS_FAST = "the strings play a loud fast theme"
BRASS = "brass fanfares blaze"
WINDS = "oboes whisper softly"
PIANO = "piano arpeggios ripple"


def ex(id_: str, text: str, *tags: str | None) -> Example:
    return Example(id=id_, work_id=id_.split("#")[0], fold=0, text=text, index=0, frames=1, tags=tuple(tags))


@pytest.mark.parametrize(("train", "test_tags", "expected"), [
    # most shared tags wins, whatever the order of the rows
    ([ex("a#1", BRASS, "fast", "trio", "C", "major"), ex("b#1", WINDS, "slow", "trio", "D", "minor")],
     ("slow", "trio", "D", "major"), WINDS),
    # a missing tag is no evidence: None does not match None
    ([ex("a#1", BRASS, None, None, None, "major"), ex("b#1", WINDS, "slow", "duo", "G", "minor")],
     (None, None, None, "minor"), WINDS),
    # a tie between texts that share nothing: the smallest id
    ([ex("b#1", WINDS, "slow", "duo"), ex("a#1", PIANO, "slow", "duo"), ex("c#1", BRASS, "fast", "solo")],
     ("slow", "duo"), PIANO),
    # a tie among four: the most typical text (the two "quiet" ones agree), not the smallest id
    ([ex("a#1", BRASS, "slow"), ex("z#1", STRINGS, "slow"), ex("y#1", STRINGS_TOO, "slow"),
      ex("x#1", STRINGS_FAST, "slow"), ex("b#1", PIANO, "fast")], ("slow",), STRINGS),
    # no tag in common with any row: every row ties, the most typical text of the training set
    ([ex("a#1", BRASS, "fast"), ex("z#1", STRINGS, "slow"), ex("y#1", STRINGS_FAST, "slow"), ex("x#1", STRINGS_TOO)],
     (None,), STRINGS),
])
def test_tags_knn_chooses(train, test_tags, expected):
    assert tags_knn(train, [ex("t#1", "unused", *test_tags)]) == {"t#1": expected}


def _classes() -> list[Example]:
    return [ex("a#1", BRASS, "fast", "trio", "C"), ex("a#2", STRINGS_FAST, "fast", "trio", "C"),
            ex("a#3", STRINGS, "fast", "trio", "C"),
            ex("b#1", WINDS, "slow", "duo", "D"), ex("b#2", PIANO, "slow", "duo", "D"),
            ex("c#1", PIANO, "slow", "solo", "E")]


@pytest.mark.parametrize(("test_tags", "expected"), [
    # its own class: a#2 and a#3 are equally close to each other (a#1 shares nothing): the smaller id, a#2
    (("fast", "trio", "C"), STRINGS_FAST),
    (("slow", "duo", "D"), WINDS),  # texts sharing nothing tie: the smallest id, b#1
    (("slow", "solo", "E"), PIANO),  # a class of one
    (("fast", "duo", "C"), STRINGS_FAST),  # unseen: 2 tags with the trio class, 1 with the duo one
    (("slow", "trio", "E"), PIANO),  # unseen: 2 tags with the solo class, 1 with the others
    (("medium", None, "F"), STRINGS_FAST),  # unseen, nothing shared: the largest class (3 rows)
    (("slow", "quartet", None), WINDS),  # unseen, 1 tag with the duo and the solo class: the larger, duo
])
def test_tags_representative_chooses(test_tags, expected):
    assert tags_representative(_classes(), [ex("t#1", "unused", *test_tags)]) == {"t#1": expected}


def test_tags_representative_equal_neighbours_go_to_the_smallest_id():
    train = [ex("b#1", WINDS, "x", "p"), ex("a#1", PIANO, "y", "p")]
    assert tags_representative(train, [ex("t#1", "unused", "z", "p")]) == {"t#1": PIANO}


def test_every_test_row_gets_a_text_and_rows_with_equal_tags_the_same():
    train = _classes()
    test = [ex("t#1", "u", "fast", "trio", "C"), ex("t#2", "u", "fast", "trio", "C"), ex("t#3", "u", None, None, None)]
    for name, baseline in BASELINES.items():
        chosen = baseline(train, test)
        assert set(chosen) == {"t#1", "t#2", "t#3"}, name
        assert chosen["t#1"] == chosen["t#2"], name
    assert set(BASELINES) == {"tags_knn", "tags_representative", "tags_knn_5tags", "tags_representative_5tags"}


def test_no_training_rows_is_an_error():
    for name, baseline in BASELINES.items():
        with pytest.raises(ValueError, match=f"{name}: no training rows"):
            baseline([], [ex("t#1", "u", "fast")])


def test_shared_tags_counts_equal_known_values():
    assert shared_tags(("fast", None, "C"), ("fast", None, "D")) == 1
    assert shared_tags((None, None), (None, None)) == 0
    assert shared_tags((), ("fast",)) == 0


def test_mean_sentence_bleu_is_sacrebleus_sentence_bleu():
    texts = [STRINGS, STRINGS_FAST, BRASS, "", "The strings (again!) play: a quiet, slow theme.", "theme"]
    expected = [sum(sacrebleu.sentence_bleu(h, [r]).score for r in texts[:i] + texts[i + 1:]) / (len(texts) - 1)
                for i, h in enumerate(texts)]
    assert mean_sentence_bleu(texts) == pytest.approx(expected, abs=1e-9)
    assert expected[0] > 0 and expected[3] == 0  # not a vacuous comparison


def full(id_: str, text: str, tempo: str, ensemble: str, key: str, mode: str, family: str) -> Example:
    """An example with the release's five tags, in TAG_FIELDS order (tempo, ensemble, key, mode, family)."""
    return ex(id_, text, tempo, ensemble, key, mode, family)


# b#1 shares tempo and mode with the test row; a#1 the ensemble and the key, which only the five-tag rows see
KEYED = [full("b#1", BRASS, "slow", "solo", "C", "minor", "brass"), full("a#1", WINDS, "fast", "trio", "D", "major", "keys")]
TEST_ROW = full("t#1", "unused", "slow", "trio", "D", "minor", "wind")


@pytest.mark.parametrize(("system", "expected"), [
    ("tags_knn", BRASS),  # four tags: b#1 shares 2, a#1 1
    ("tags_knn_5tags", WINDS),  # five: 2 each; the texts share nothing, so the smallest id, a#1
    ("tags_representative", BRASS),  # the test tuple is unseen: b#1's class shares 2 of the four
    ("tags_representative_5tags", WINDS),  # five: both classes share 2, both have one row: the smallest id
])
def test_the_papers_rows_compare_four_tags_and_the_extra_rows_five(system, expected):
    assert BASELINES[system](KEYED, [TEST_ROW]) == {"t#1": expected}


def test_the_papers_four_tags_are_the_releases_without_key():
    assert PAPER_TAG_FIELDS == ("tempo_tag", "ensemble", "mode", "instrument_family")
    [picked] = select_tags([TEST_ROW], PAPER_TAG_FIELDS)
    assert picked.tags == ("slow", "trio", "minor", "wind")
    [short] = select_tags([ex("s#1", "u", "fast")], PAPER_TAG_FIELDS)  # missing fields are unknown, not errors
    assert short.tags == ("fast", None, None, None)
    with pytest.raises(ValueError, match="unknown tag fields colour"):
        select_tags([TEST_ROW], ["colour"])

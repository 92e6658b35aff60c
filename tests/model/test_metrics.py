"""The metrics: BLEU both ways (hand-computed figures), the coco-caption scorers through Java, and their errors.

Java starts twice in this module (one METEOR process shared by the scorer tests, one inside
``evaluate_texts``); METEOR's start-up reads a 60 MB paraphrase table, a few seconds each.
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest

pytest.importorskip("torch", reason="torch is not installed: install the model extra (bash scripts/setup.sh --model)")
pytest.importorskip("pycocoevalcap", reason="pycocoevalcap is not installed: install the model extra")
sacrebleu = pytest.importorskip("sacrebleu")

from earsense_m2t.annotation.metrics.emotion import LexiconEmotion  # noqa: E402
from earsense_m2t.model.metrics import (  # noqa: E402
    METRICS,
    Evaluator,
    cider_d,
    corpus_bleu,
    corpus_label_correlation,
    corpus_sentiment_correlation,
    evaluate_texts,
    label_distribution,
    meteor,
    meteor_process,
    normalize_text,
    paper_compatible_bleu,
    ptb_tokenize,
    require_java,
    rouge_l,
    sentiment_correlation,
)

# made-up texts (no EarSense text), each with emotion words the NRC lexicon knows
REFERENCES = {
    "m1": "A joyful dance in which the violins celebrate with happy leaps.",
    "m2": "A grim, mournful lament: the cello weeps over a funeral march.",
    "m3": "The horns shout in anger\r\nand the drums threaten a violent storm.",
    "m4": "A calm\u2028pastoral melody of gentle hope and quiet trust.",
}
IDS = sorted(REFERENCES)


@pytest.fixture(scope="module")
def tokens() -> dict[str, list[str]]:
    return ptb_tokenize({i: [REFERENCES[i]] for i in IDS})


@pytest.fixture(scope="module")
def evaluator():
    """One Evaluator, so one METEOR process (seconds to start) for the module."""
    with Evaluator(LexiconEmotion()) as running:
        yield running


@pytest.fixture(scope="module")
def scorer(evaluator):
    return evaluator.scorer()


@pytest.fixture(scope="module")
def evaluated(evaluator) -> dict[str, float | None]:
    """All metrics once: identical texts except m2, whose generated text is empty."""
    [scores] = evaluator.evaluate_many([({**REFERENCES, "m2": ""}, dict(REFERENCES))])
    return scores


def test_many_units_are_scored_in_one_go_each_against_its_own_references(evaluator, evaluated):
    two = {"m1": REFERENCES["m1"], "m3": REFERENCES["m3"]}
    first, second = evaluator.evaluate_many([({**REFERENCES, "m2": ""}, dict(REFERENCES)), (two, two)])
    assert first == pytest.approx(evaluated)  # the same figures as the unit scored alone
    assert second["bleu"] == pytest.approx(100.0) and second["rouge_l"] == pytest.approx(100.0)


def test_tokenizing_writes_nothing_into_the_installed_package(monkeypatch):
    """The package's wrapper writes a temporary file beside its jar; the texts go through a pipe instead."""
    import tempfile

    from pycocoevalcap.tokenizer import ptbtokenizer

    def no_file(*args, **kwargs):
        raise AssertionError(f"a temporary file was written: {kwargs.get('dir')}")
    monkeypatch.setattr(tempfile, "NamedTemporaryFile", no_file)
    folder = Path(ptbtokenizer.__file__).parent
    before = sorted(p.name for p in folder.iterdir())
    assert ptb_tokenize({"x": ["One line.", "Another, here!"]}) == {"x": ["one line", "another here"]}
    assert sorted(p.name for p in folder.iterdir()) == before


def test_corpus_bleu_is_sacrebleus_own_and_the_paper_call_swaps_the_sides():
    hyp, ref = ["a b c d"], ["a b c d e f g h"]
    # every n-gram of the hypothesis matches; it is half as long: brevity penalty exp(1 - 8/4)
    assert corpus_bleu(hyp, ref) == pytest.approx(100 * math.exp(-1))
    assert corpus_bleu(hyp, ref) == pytest.approx(sacrebleu.corpus_bleu(hyp, [ref]).score)
    # swapped, the reference is scored: precisions 4/8, 3/7, 2/6, 1/5 and no brevity penalty
    assert paper_compatible_bleu(hyp, ref) == pytest.approx(100 * (4 / 8 * 3 / 7 * 2 / 6 * 1 / 5) ** 0.25)
    assert paper_compatible_bleu(hyp, ref) == pytest.approx(sacrebleu.corpus_bleu(ref, [hyp]).score)


def test_paper_call_blanks_an_empty_or_full_stop_text_first():
    refs = ["The cat sat.", "A dog ran."]
    assert sacrebleu.corpus_bleu(refs, [[".", ""]]).score > 0  # the reference's "." tokens would match
    assert paper_compatible_bleu([".", ""], refs) == 0.0
    assert corpus_bleu([".", ""], refs) == 0.0


def test_identical_texts_score_the_maximum_and_wrong_ones_lower(tokens, scorer):
    wrong = {i: tokens[IDS[(k + 1) % len(IDS)]] for k, i in enumerate(IDS)}  # each id gets another's text
    best = {"meteor": meteor(tokens, tokens, scorer=scorer), "rouge_l": rouge_l(tokens, tokens),
            "cider_d": cider_d(tokens, tokens)}
    worse = {"meteor": meteor(wrong, tokens, scorer=scorer), "rouge_l": rouge_l(wrong, tokens),
             "cider_d": cider_d(wrong, tokens)}
    assert best == pytest.approx({"meteor": 100.0, "rouge_l": 100.0, "cider_d": 1000.0})
    assert all(worse[k] < best[k] / 2 for k in best), worse
    refs = [REFERENCES[i] for i in IDS]
    assert corpus_bleu(refs, refs) == pytest.approx(100.0)
    assert corpus_bleu([" ".join(wrong[i]) for i in IDS], refs) < 20.0


def test_ptb_tokens_are_lower_case_without_punctuation_and_stay_on_their_id(tokens):
    assert tokens["m3"] == ["the horns shout in anger and the drums threaten a violent storm"]
    assert tokens["m4"] == ["a calm pastoral melody of gentle hope and quiet trust"]


def test_every_metric_once_with_an_empty_hypothesis(evaluated):
    assert tuple(evaluated) == METRICS
    # ROUGE-L is a mean over ids: 3 identical (1.0) and the empty one (0.0), so nothing was shifted
    assert evaluated["rouge_l"] == pytest.approx(75.0)
    assert 0 < evaluated["meteor"] < 100 and 0 < evaluated["cider_d"] < 1000
    assert 0 < evaluated["bleu"] < 100 and 0 < evaluated["bleu_paper_compatible"] < 100
    assert evaluated["sentiment_r"] == pytest.approx(1.0)  # the empty text shows no emotion: left out
    # corpus level: m2's label is missing from the generated side, so the two label distributions differ
    assert evaluated["sentiment_r_corpus"] is not None and -1 <= evaluated["sentiment_r_corpus"] < 1


def test_sentiment_correlation_is_none_without_an_emotion_and_negative_for_opposites():
    model = LexiconEmotion()
    assert sentiment_correlation(["", "table chair"], ["A joyful dance.", "A happy song."], model) is None
    r = sentiment_correlation([REFERENCES["m1"]], [REFERENCES["m3"]], model)
    assert r is not None and r < 0


def test_ids_must_match_on_both_sides():
    with pytest.raises(ValueError, match=r"hypotheses without a reference: b; references without a hypothesis: c"):
        evaluate_texts({"a": "x", "b": "y"}, {"a": "x", "c": "z"}, LexiconEmotion())
    with pytest.raises(ValueError, match=r"references without a hypothesis: m9"):
        rouge_l({"m1": ["x"]}, {"m1": ["x"], "m9": ["y"]})
    with pytest.raises(ValueError, match=r"exactly one hypothesis: m1"):
        cider_d({"m1": ["x", "y"]}, {"m1": ["x"]})
    with pytest.raises(ValueError, match="no ids"):
        evaluate_texts({}, {}, LexiconEmotion())


def test_without_java_the_error_says_how_to_install_it(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(RuntimeError, match=r"`java` is not on PATH.*apt-get install openjdk-17-jre-headless"):
        require_java()
    with pytest.raises(RuntimeError, match="java"):
        evaluate_texts({"a": "x"}, {"a": "x"}, LexiconEmotion())


def test_meteor_process_is_ended_on_exit_even_after_a_failure():
    with pytest.raises(KeyError), meteor_process() as running:
        process = running.meteor_p
        assert process.poll() is None
        running.lock.acquire()  # as a compute_score that failed half-way leaves it
        raise KeyError("failed mid-way")
    assert process.returncode is not None and process.stdin.closed
    assert not running.lock.locked()  # the package's __del__ takes it: it must not hang


def round_trip(text: str) -> str:
    """What a perfect neural output looks like: the reference through the model's tokenizer and back."""
    from earsense_m2t.model.tokenizer import wordpiece

    tok = wordpiece()
    return tok.decode(tok.encode(text, 1 << 30))


ODD = "Dvořák's “Allegro” — in D-flat major, 3/4 time… don't STOP!"


@pytest.mark.parametrize("form", [
    pytest.param(round_trip, id="neural: round-tripped through the uncased tokenizer"),
    pytest.param(lambda t: t, id="TAGS: the raw capitalised text"),
    pytest.param(str.upper, id="upper case"),
    pytest.param(lambda t: "  ".join(t.split(" ")), id="extra spaces"),
])
def test_every_form_of_the_reference_scores_the_maximum_under_the_rule(form):
    refs = [*(REFERENCES[i] for i in IDS), ODD]
    hyps = [form(r) for r in refs]
    assert corpus_bleu(hyps, refs) == pytest.approx(100.0)


def test_the_rule_is_the_tokenizer_round_trip_and_idempotent():
    assert normalize_text(ODD) == round_trip(ODD) == "dvorak ' s “ allegro ” — in d - flat major, 3 / 4 time … don ' t stop!"
    assert normalize_text(normalize_text(ODD)) == normalize_text(ODD)
    # without the rule, the perfect neural output loses to the raw text (the case and the spacing differ)
    assert sacrebleu.corpus_bleu([round_trip(ODD)], [[ODD]]).score < 50


def test_a_perfect_neural_output_scores_the_maximum_of_every_metric_but_the_papers_call(evaluator):
    [scores] = evaluator.evaluate_many([({i: round_trip(t) for i, t in REFERENCES.items()}, dict(REFERENCES))])
    assert {k: scores[k] for k in ("bleu", "meteor", "rouge_l", "cider_d", "sentiment_r_corpus", "sentiment_r")} == \
        pytest.approx({"bleu": 100.0, "meteor": 100.0, "rouge_l": 100.0, "cider_d": 1000.0, "sentiment_r_corpus": 1.0,
                       "sentiment_r": 1.0})
    assert scores["bleu_paper_compatible"] < 100  # the released code's call on raw references, kept as it was


@pytest.mark.parametrize("emotions, expected", [
    ([{"joy": 1.0, "fear": 0.0}], {"fear": 0.0, "joy": 1.0}),
    ([{"joy": 0.6, "fear": 0.4}, {"joy": 0.2, "fear": 0.8}], {"fear": 0.5, "joy": 0.5}),
    ([{"joy": 0.5, "fear": 0.5}, {"joy": 0.0, "fear": 1.0}], {"fear": 0.75, "joy": 0.25}),  # a tie splits its vote
    ([{"joy": 0.0, "fear": 0.0}, {"joy": 1.0}], {"fear": 0.0, "joy": 1.0}),  # no emotion: no vote
    ([{"joy": 0.0, "fear": 0.0}], {"fear": 0.0, "joy": 0.0}),
])
def test_each_text_votes_for_its_emotion_label(emotions, expected):
    assert label_distribution(emotions, ["fear", "joy"]) == pytest.approx(expected)


def test_the_corpus_figure_correlates_label_distributions_and_ignores_which_text_is_whose():
    refs = [REFERENCES[i] for i in IDS]
    shifted = refs[1:] + refs[:1]  # every text in another movement's place
    model = LexiconEmotion()
    assert corpus_sentiment_correlation(shifted, refs, model) == pytest.approx(1.0)
    per_pair = sentiment_correlation(shifted, refs, model)
    assert per_pair is not None and per_pair < 0.5
    assert corpus_sentiment_correlation(["table chair"], [REFERENCES["m1"]], model) is None  # no label on one side
    joy, fear = {"joy": 1.0, "fear": 0.0}, {"joy": 0.0, "fear": 1.0}
    assert corpus_label_correlation([joy, joy, fear], [joy, fear, fear]) == pytest.approx(-1.0)  # two labels: ±1
    three = {"joy": 0.0, "fear": 0.0, "anger": 1.0}
    # (anger, fear, joy): 1/4, 1/4, 1/2 against 1/4, 1/2, 1/4, centred (-1, -1, 2) · (-1, 2, -1) / 6 = -3/6
    assert corpus_label_correlation([joy, joy, fear, three], [joy, fear, fear, three]) == pytest.approx(-0.5)

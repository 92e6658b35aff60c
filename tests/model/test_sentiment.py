"""Emotion targets from the project's emotion module, and the head's loss."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch", reason="torch is not installed: install the model extra (bash scripts/setup.sh --model)")

from earsense_m2t.annotation.metrics.emotion import EMOTIONS, LexiconEmotion  # noqa: E402
from earsense_m2t.model.sentiment import emotion_targets, sentiment_loss  # noqa: E402


def test_lexicon_targets_are_distributions_and_texts_without_emotion_are_left_out():
    t = emotion_targets(["A joyful, happy dance full of delight.", "Bars 1 to 12."], LexiconEmotion())
    assert t.labels == tuple(sorted(EMOTIONS))
    assert t.has.tolist() == [True, False]
    assert float(t.probs[0].sum()) == pytest.approx(1.0)
    assert float(t.probs[0, t.labels.index("joy")]) > 0


def test_sentiment_loss_is_smallest_at_the_target():
    target = torch.tensor([[0.7, 0.2, 0.1]])
    has = torch.tensor([True])
    at = sentiment_loss(target.log(), target, has)
    off = sentiment_loss(torch.tensor([[0.1, 0.2, 0.7]]).log(), target, has)
    assert float(at) < float(off)
    assert float(sentiment_loss(target.log(), target, torch.tensor([False]))) == 0.0

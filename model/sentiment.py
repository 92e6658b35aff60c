"""Sentiment targets and head: the pooled music learns the emotion distribution of its text (weight β = 5).

The paper labels texts with ``j-hartmann/emotion-english-distilroberta-base``. Its weights cannot be
fetched here, so the classifier is the project's one emotion module,
:mod:`earsense_m2t.annotation.metrics.emotion`: that model through ``transformers`` when its weights are on disk
(``emotion_model(model_dir)``), else the NRC emotion lexicon. Any :class:`EmotionModel` can be passed.
A text in which the model finds no emotion (all shares 0) has no target and is left out of the loss.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from earsense_m2t.annotation.metrics.emotion import EmotionModel, text_emotion


@dataclass(frozen=True)
class EmotionTargets:
    """One distribution over ``labels`` per text; ``has`` False where the text showed no emotion."""

    labels: tuple[str, ...]
    probs: Tensor  # (N, labels)
    has: Tensor  # (N,) bool


def emotion_targets(texts: Sequence[str], model: EmotionModel, labels: Sequence[str] | None = None) -> EmotionTargets:
    """Each text's emotion shares from ``model``; the label set is ``labels``, else every label the model gave."""
    scores = [text_emotion(t, model) for t in texts]
    names = tuple(labels) if labels is not None else tuple(sorted({k for s in scores for k in s.emotions}))
    if not names:
        raise ValueError(f"emotion model {getattr(model, 'name', model)!r} gave no emotion labels for {len(texts)} texts")
    probs = torch.tensor([[float(s.emotions.get(n, 0.0)) for n in names] for s in scores], dtype=torch.float32)
    total = probs.sum(dim=1, keepdim=True)
    has = total.squeeze(1) > 0
    return EmotionTargets(names, torch.where(has[:, None], probs / total.clamp(min=1e-12), probs), has)


class SentimentHead(nn.Module):
    """Pooled music (B, segments, hidden) → emotion logits: the segments averaged, then one linear layer."""

    def __init__(self, hidden: int, n_labels: int) -> None:
        super().__init__()
        self.linear = nn.Linear(hidden, n_labels)

    def forward(self, segments: Tensor) -> Tensor:
        return self.linear(segments.mean(dim=1))


def sentiment_loss(logits: Tensor, target: Tensor, has: Tensor) -> Tensor:
    """Cross-entropy against the target distribution, over the texts that have one (0 when none has)."""
    if not bool(has.any()):
        return logits.sum() * 0.0
    return -(target[has] * F.log_softmax(logits[has], dim=-1)).sum(dim=-1).mean()


__all__ = ["EmotionTargets", "SentimentHead", "emotion_targets", "sentiment_loss"]

"""Text similarity for the GTP groups: sentence BLEU between two movement texts, scaled to [0, 1].

The paper measures how alike two texts are with sentence BLEU. ``sacrebleu.sentence_bleu`` is the
maintained implementation (the ``model`` extra installs it); its default smoothing ("exp") keeps short
texts from scoring 0 for lack of 4-gram matches. BLEU is not symmetric: the group member is the
hypothesis and the current sample's text the reference, so each row of a group is scored against one
fixed reference. Scores are cached per pair of texts: a text meets the same queue entries many times.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

import sacrebleu


@functools.lru_cache(maxsize=1 << 16)
def bleu_similarity(reference: str, hypothesis: str) -> float:
    """Sentence BLEU of ``hypothesis`` against ``reference`` / 100, so it sits on the cosine's scale."""
    return float(sacrebleu.sentence_bleu(hypothesis, [reference]).score) / 100.0


def group_similarities(texts: Sequence[str], group: Sequence[str]) -> list[list[float]]:
    """(len(texts), len(group)) sentence BLEU of each group text against each sample's text."""
    return [[bleu_similarity(t, g) for g in group] for t in texts]


__all__ = ["bleu_similarity", "group_similarities"]

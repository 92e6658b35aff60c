"""The losses of Table 1's other neural rows: Joint, and Coordinate + Contrastive / Pairwise / Triplet.

Each row is the Coordinate model (music and text autoencoders, the shared decoder) with one loss added
(:data:`earsense_m2t.model.gtp.SYSTEMS` says which); the weights below are the authors' (their
``configs/``). Where the paper is silent the authors' code decides, and where this
module departs from that code the docstring says so and :data:`DIFFERENCES`
(:data:`earsense_m2t.model.systems.ROW_DIFFERENCES`) lists it for ``results.md``.

- **Joint** (:func:`confusion_loss`, :func:`discriminator_loss`): music and text mapped into one space. Both
  modalities' pooled segments are decoded by the one shared text decoder (music → text and text → text
  cross-entropy, as the Coordinate model has), and a modality discriminator (one linear layer on the flattened
  20 × hidden segments, the authors' ``JointConfusionTrainer``) learns to tell pooled music from pooled text
  while the encoders learn to make them indistinguishable; the authors' code has no reconstruction loss for
  this row, and neither does this one. The authors' encoders *maximize* the discriminator's
  cross-entropy (``loss -= 10 · CE``), which has no lower bound; here they minimize the cross-entropy against
  the uniform distribution (domain confusion), which is lowest when the discriminator says ½ for both and
  cannot run away. Weight 10 (the authors'). The discriminator trains on detached segments, the encoders'
  term sees detached discriminator weights, so one optimizer serves both.
- **Contrastive** (:func:`contrastive_loss`): the pooled music of each of the paper's four augmentations
  (:mod:`earsense_m2t.model.augment`) is pulled to that of the clean spectrogram: the mean over the
  augmentations of their MSE, as the authors' ``CoordinateContrastiveTrainer`` computes it (no negatives),
  weight 500: the paper names the loss and its four augmentations, the formula is the authors' code's.
- **Pairwise** (:func:`pairwise_loss`), the paper's version (the pair-level counterpart of GTP, which matches
  the arrangement of a whole group's music to its texts'): a pair's music cosine should equal its text
  similarity, (cos(f(m_i), f(m_j)) − BLEU(t_i, t_j))², for the sample and its partner j, the group member
  whose text is most like its own (the sample's own movement left out). The authors' version applies
  ``softmax(32 · ·)`` to each of the two scalars (a softmax over one value is 1) and takes the MSE of the two
  ones, so it is exactly 0 and trains nothing; and its partner, the argmax of BLEU over all training texts,
  is the sample itself. Weight 100 (the authors').
- **Triplet** (:func:`triplet_loss`) with k negatives: the anchor is the sample's pooled music, the positive
  the group member with the most similar text, the negatives the k newest other members;
  loss = mean over negatives of max(0, margin + cos(anchor, negative) − cos(anchor, positive)), margin 0.1,
  weight 0.1 (the authors'). The authors draw one random training sample as the negative and take the argmax
  of BLEU over all training texts as the positive, which is the sample itself.

Pairwise and triplet compare against the queue of :class:`earsense_m2t.model.gtp.GroupQueue` (pooled music
of earlier samples from the momentum encoder, with their texts), the group GTP uses: the gradient reaches
the music encoder through the anchor. The authors encode the partner, positive and negative with the online
encoder and let the gradient through them too, at one extra forward pass of a whole movement each.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from earsense_m2t.model.systems import ROW_DIFFERENCES

#: loss weights (the authors' configs): Joint's confusion, Contrastive, Pairwise, Triplet
WEIGHTS = {"confusion": 10.0, "contrastive": 500.0, "pairwise": 100.0, "triplet": 0.1}
TRIPLET_MARGIN = 0.1
#: what these rows do differently from the authors' code (in results.md's list of differences)
DIFFERENCES = ROW_DIFFERENCES


def cosines(query: Tensor, keys: Tensor) -> Tensor:
    """(B, K) cosine of each query row with each key row."""
    return F.normalize(query, dim=1) @ F.normalize(keys, dim=1).T


def contrastive_loss(clean: Tensor, augmented: list[Tensor]) -> Tensor:
    """Mean over the augmentations of MSE(pooled music of the augmentation, pooled music of the clean input)."""
    if not augmented:
        return clean.sum() * 0.0
    return torch.stack([F.mse_loss(a, clean) for a in augmented]).mean()


def partners(text: Tensor, valid: Tensor) -> Tensor:
    """(B,) index of each row's valid group member with the highest text similarity (the first on ties)."""
    return text.masked_fill(~valid, -torch.inf).argmax(dim=1)


def pairwise_loss(music: Tensor, text: Tensor, valid: Tensor) -> Tensor:
    """Mean over rows with a valid member of (music_ij − text_ij)² at each row's partner j (:func:`partners`).

    ``music`` (B, K) cosines, ``text`` (B, K) text similarities, ``valid`` (B, K) group membership; 0 when no
    row has a member."""
    rows = valid.any(dim=1)
    if not bool(rows.any()):
        return music.sum() * 0.0
    j = partners(text, valid)[:, None]
    diff = music.gather(1, j) - text.to(music.dtype).gather(1, j)
    return (diff.squeeze(1) ** 2)[rows].mean()


def triplet_negatives(valid: Tensor, positive: Tensor, k: int) -> Tensor:
    """(B, K) True on each row's negatives: its ``k`` newest valid members other than its positive (the queue's
    last column is its newest entry)."""
    candidates = valid.clone()
    candidates.scatter_(1, positive[:, None], False)
    newest_first = candidates.flip(1)
    chosen = newest_first & (newest_first.cumsum(dim=1) <= k)
    return chosen.flip(1)


def triplet_loss(music: Tensor, text: Tensor, valid: Tensor, k: int, margin: float = TRIPLET_MARGIN) -> Tensor:
    """Per row: mean over its negatives of max(0, margin + cos(anchor, negative) − cos(anchor, positive)); the mean
    over rows that have a positive and a negative (0 when none has)."""
    if k < 1:
        raise ValueError(f"triplet loss: k = {k} negatives, at least 1")
    positive = partners(text, valid)
    negatives = triplet_negatives(valid, positive, k)
    rows = valid.any(dim=1) & negatives.any(dim=1)
    if not bool(rows.any()):
        return music.sum() * 0.0
    pos = music.gather(1, positive[:, None])
    hinge = F.relu(margin + music - pos) * negatives
    per_row = hinge.sum(dim=1) / negatives.sum(dim=1).clamp(min=1)
    return per_row[rows].mean()


class ModalityDiscriminator(nn.Module):
    """Flattened pooled segments (B, segments, hidden) → logits of (music, text): the authors' one linear layer."""

    MUSIC, TEXT = 0, 1

    def __init__(self, segments: int, hidden: int) -> None:
        super().__init__()
        self.linear = nn.Linear(segments * hidden, 2)

    def forward(self, segments: Tensor, *, frozen: bool = False) -> Tensor:
        """Logits; ``frozen``: through detached weights, so the gradient reaches the input and not the layer."""
        x = segments.flatten(1)
        if frozen:
            return F.linear(x, self.linear.weight.detach(), self.linear.bias.detach())
        return self.linear(x)


def discriminator_loss(discriminator: ModalityDiscriminator, music: Tensor, text: Tensor) -> Tensor:
    """Cross-entropy of telling detached pooled music (label 0) from detached pooled text (label 1): trains the
    discriminator only."""
    logits = discriminator(torch.cat([music.detach(), text.detach()]))
    labels = torch.cat([torch.full((len(music),), ModalityDiscriminator.MUSIC, device=music.device),
                        torch.full((len(text),), ModalityDiscriminator.TEXT, device=text.device)])
    return F.cross_entropy(logits.float(), labels)


def confusion_loss(discriminator: ModalityDiscriminator, music: Tensor, text: Tensor) -> Tensor:
    """Cross-entropy of the (frozen) discriminator's output against (½, ½) for both modalities: trains the
    encoders; log 2 is its minimum, when the discriminator cannot tell them apart."""
    logits = discriminator(torch.cat([music, text]), frozen=True)
    return -F.log_softmax(logits.float(), dim=1).mean(dim=1).mean()


__all__ = ["DIFFERENCES", "TRIPLET_MARGIN", "WEIGHTS", "ModalityDiscriminator", "confusion_loss", "contrastive_loss",
           "cosines", "discriminator_loss", "pairwise_loss", "partners", "triplet_loss", "triplet_negatives"]

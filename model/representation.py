"""Is the pooled music representation usable? Off-diagonal cosines and a linear probe of the tempo tag.

The GTP loss compares movements by the cosine of their pooled music (20 segments × hidden, flattened).
When every pair of movements has cosine ≈ 1, no query can be arranged like its texts, and the decoder
receives the same memory for every movement (issue 20 measured 1.0000 with std < 1e-5 for the old
encoder). Two measures say whether that is so:

- :func:`cosine_stats`: the distribution of the off-diagonal cosines of the *uncentred* pooled vectors
  (mean, std, quantiles), as the GTP loss sees them; :func:`check_non_degenerate` turns it into
  (keep, reason) with the threshold :data:`DEGENERATE_COSINE`;
- :func:`tempo_probe`: a linear classifier of the tempo tag fitted on the pooled music of training
  works and scored on validation works, against always answering the training works' majority tag.
  A representation that keeps what the music is like should tell a slow movement from a fast one.
  The probe reads the mean of the 20 segments (``hidden`` values), as the model's own linear head on
  the pooled music (the sentiment head) does: with tens of training movements, a probe of all
  20 × hidden values fits the training works' identity and says nothing about held-out ones.

:func:`text_bleu_stats` gives the matching distribution of pairwise sentence BLEU between texts, the
other side of the GTP loss (the paper's Figures 2 and 4 show both).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor

from earsense_m2t.model.batch import MovementDataset, collate
from earsense_m2t.model.music import MusicEncoder, masked_segments

#: a representation whose mean off-diagonal cosine reaches this is degenerate (issue 20's acceptance line)
DEGENERATE_COSINE = 0.999
#: quantiles reported for a similarity distribution
QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)


@torch.no_grad()
def pooled_music(encoder: MusicEncoder, dataset: MovementDataset, segments: int, batch_size: int = 1,
                 device: torch.device | str = "cpu") -> Tensor:
    """(N, segments × hidden) pooled music of every example of ``dataset``, in its order, in eval mode.

    The encoder is left in the mode it had. One movement per forward pass by default, so a movement's
    vector does not depend on which others share its batch.
    """
    was_training = encoder.training
    encoder.eval()
    time_factor = encoder.time_factor
    out: list[Tensor] = []
    try:
        for start in range(0, len(dataset), batch_size):
            batch = collate([dataset[i] for i in range(start, min(start + batch_size, len(dataset)))], time_factor)
            steps, mask = encoder(batch.spec.to(device), batch.frames.to(device))
            out.append(masked_segments(steps, mask, segments).flatten(1).float().cpu())
    finally:
        encoder.train(was_training)
    return torch.cat(out) if out else torch.zeros(0, 0)


def distribution(values: Tensor) -> dict[str, float]:
    """mean, std, min, the :data:`QUANTILES` (``q05`` …) and max of a 1-D tensor, and ``n``."""
    v = values.double().flatten()
    if v.numel() == 0:
        return {"n": 0}
    stats = {"n": int(v.numel()), "mean": float(v.mean()), "std": float(v.std(unbiased=False)),
             "min": float(v.min()), "max": float(v.max())}
    qs = torch.quantile(v, torch.tensor(QUANTILES, dtype=v.dtype))
    stats.update({f"q{round(q * 100):02d}": float(x) for q, x in zip(QUANTILES, qs, strict=True)})
    return stats


def off_diagonal_cosines(vectors: Tensor) -> Tensor:
    """Cosines of every unordered pair of rows (uncentred: the vectors as they are)."""
    unit = F.normalize(vectors.double(), dim=1)
    sims = unit @ unit.T
    rows, cols = torch.triu_indices(len(vectors), len(vectors), offset=1)
    return sims[rows, cols]


def cosine_stats(vectors: Tensor) -> dict[str, float]:
    """:func:`distribution` of the off-diagonal cosines of ``vectors`` (N, D)."""
    return distribution(off_diagonal_cosines(vectors))


def check_non_degenerate(stats: dict[str, float], threshold: float = DEGENERATE_COSINE) -> tuple[bool, str]:
    """(keep, reason): keep when the mean off-diagonal cosine is below ``threshold``."""
    if stats.get("n", 0) == 0:
        return False, "no pair of movements to compare"
    mean, std = stats["mean"], stats["std"]
    if mean >= threshold:
        return False, (f"degenerate: mean off-diagonal cosine {mean:.6f} ≥ {threshold} (std {std:.2e}): every pooled "
                       "movement points the same way")
    return True, f"mean off-diagonal cosine {mean:.4f} < {threshold} (std {std:.4f})"


def text_bleu_stats(texts: Sequence[str]) -> dict[str, float]:
    """:func:`distribution` of sentence BLEU / 100 over ordered pairs of distinct texts (BLEU is not symmetric)."""
    from earsense_m2t.model.similarity import bleu_similarity

    values = [bleu_similarity(a, b) for i, a in enumerate(texts) for j, b in enumerate(texts) if i != j]
    return distribution(torch.tensor(values, dtype=torch.float64))


@dataclass(frozen=True)
class ProbeResult:
    """A linear probe of one tag scored on held-out works, and the majority-class answer beside it."""

    accuracy: float
    majority: float  # accuracy of always answering the training works' most frequent tag
    majority_label: str
    n_train: int
    n_eval: int
    labels: tuple[str, ...]

    @property
    def beats_majority(self) -> bool:
        return self.accuracy > self.majority

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "beats_majority": self.beats_majority}


def tempo_probe(train: Tensor, train_tags: Sequence[str | None], held_out: Tensor, held_out_tags: Sequence[str | None],
                *, l2: float = 1e-2, steps: int = 200) -> ProbeResult:
    """A multinomial logistic regression (L2, LBFGS) of the tag on ``train`` vectors, scored on ``held_out``.

    Rows without a tag are left out. Features are standardized with the training rows' mean and std (a
    probe of *what differs* between movements, not of the shared direction the cosine also sees). A tag
    of held-out rows that no training row has counts as an error for both the probe and the majority.
    """
    keep_t = [i for i, t in enumerate(train_tags) if t is not None]
    keep_h = [i for i, t in enumerate(held_out_tags) if t is not None]
    y_names = [str(train_tags[i]) for i in keep_t]
    h_names = [str(held_out_tags[i]) for i in keep_h]
    if not y_names or not h_names:
        raise ValueError(f"tempo probe: {len(y_names)} training and {len(h_names)} held-out rows with a tag; "
                         "both need some")
    labels = tuple(sorted(set(y_names)))
    majority_label = Counter(y_names).most_common(1)[0][0]
    majority = sum(n == majority_label for n in h_names) / len(h_names)
    x = train[keep_t].double()
    mean, std = x.mean(dim=0), x.std(dim=0, unbiased=False).clamp(min=1e-8)
    x = (x - mean) / std
    xh = (held_out[keep_h].double() - mean) / std
    y = torch.tensor([labels.index(n) for n in y_names])
    weight = torch.zeros(x.shape[1], len(labels), dtype=torch.float64, requires_grad=True)
    bias = torch.zeros(len(labels), dtype=torch.float64, requires_grad=True)
    optimizer = torch.optim.LBFGS([weight, bias], max_iter=steps, line_search_fn="strong_wolfe")

    def closure() -> Tensor:
        optimizer.zero_grad()
        loss = F.cross_entropy(x @ weight + bias, y) + l2 * (weight ** 2).sum()
        loss.backward()
        return loss

    if len(labels) > 1:
        optimizer.step(closure)
    with torch.no_grad():
        predicted = [labels[i] for i in (xh @ weight + bias).argmax(dim=1).tolist()]
    accuracy = sum(p == n for p, n in zip(predicted, h_names, strict=True)) / len(h_names)
    return ProbeResult(accuracy, majority, majority_label, len(y_names), len(h_names), labels)


__all__ = ["DEGENERATE_COSINE", "ProbeResult", "check_non_degenerate", "cosine_stats", "distribution",
           "off_diagonal_cosines", "pooled_music", "tempo_probe", "text_bleu_stats"]

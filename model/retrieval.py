"""Cross-modal retrieval: rank texts for a movement's audio and audio for its text, and a shuffled-pair control.

Issue 26 asks for MusCALL's evaluation (Manco et al., 2022) on the release, applied with the *same*
code to MusCALL and to the joint/coordinate embeddings of the GTP-family systems, so that their numbers
can stand in one table. This module owns that code and nothing else: it takes embeddings and returns
numbers; which model produced them is the caller's business (:func:`gtp_embeddings` is the one adapter
kept here, because the GTP model's pooled vectors need a rule for what "its embedding" means).

Definitions (one relevant item per query):

- **Similarity** is the cosine of the two embeddings, computed in float64.
- **The relevant item** of audio row ``i`` is text row ``i`` and nothing else, and the other way round.
  Several movements may share one text (a release can repeat a description): the duplicates are *not*
  counted as relevant, so they tie with the true text and, by the tie rule, rank ahead of it. A movement
  whose text is shared by ``m`` others can therefore rank no better than ``m + 1`` from its audio. This
  is the simplest rule that never flatters a system; a caller who wants duplicates to count as hits
  should deduplicate or group texts before calling.
- **Rank** (1-based) of the true item = 1 + the number of *other* candidates whose similarity is at
  least the true one's minus :data:`TIE_TOLERANCE`. Ties are thus decided deterministically and
  pessimistically: every candidate tied with the true item is placed ahead of it. The tolerance exists
  because two equal embeddings can give cosines that differ in the last bits (a matrix product does not
  promise the same rounding for every column); embeddings come from float32 models, whose cosines are
  not meaningful below ~1e-7, so treating differences below 1e-9 as ties changes no real ordering.
- **R@k**: the share of queries whose rank is ≤ k.
- **mAP@10**: with one relevant item, average precision at cut-off 10 is ``1 / rank`` when rank ≤ 10
  and 0 otherwise (the precision at the one relevant position, divided by the one relevant item); mAP@10
  is its mean over queries, i.e. the mean reciprocal rank truncated at 10.
- **Median rank**: the median of the ranks; with an even number of queries, the mean of the two middle
  ranks (as ``numpy.median`` and most retrieval papers report it), so it may end in ``.5``.
- ``N``: the number of queries (= candidates); ``tied``: how many queries had at least one candidate
  tied with their true item (a count of how often the tie rule decided something).

The **shuffled-pair control** (:func:`shuffled_control`) recomputes one metric with the audio–text
pairing permuted at random: what the metric looks like when the embeddings carry no pairing at all.
A system is only said to retrieve when its metric is above the control's 99th percentile.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import TypedDict

import torch
import torch.nn.functional as F
from torch import Tensor

from earsense_m2t.model.batch import Batch
from earsense_m2t.model.gtp import GTPModel

#: similarity differences below this count as ties (module docstring: why a tolerance, and why this size)
TIE_TOLERANCE = 1e-9
#: the two directions: queries of the first modality, candidates of the second
DIRECTIONS = ("audio_to_text", "text_to_audio")
#: the cut-offs of the R@k columns and of mAP
RECALL_AT = (1, 5, 10)
MAP_AT = 10
#: the metrics of one direction, in the order a table shows them
METRICS = (*(f"R@{k}" for k in RECALL_AT), f"mAP@{MAP_AT}", "median_rank", "N", "tied")


class ShuffledControl(TypedDict):
    """One metric against its shuffled-pair control (:func:`shuffled_control`)."""

    direction: str
    metric: str
    observed: float  # the metric on the true pairing
    mean: float  # of the shuffled pairings
    std: float
    p99: float  # 99th percentile of the shuffled pairings (linear interpolation)
    above_p99: bool  # observed > p99: the claim the issue asks to check
    p_value: float  # (1 + #shuffled ≥ observed) / (1 + n_permutations); for a higher-is-better metric
    n_permutations: int  # the length of the shuffled list
    n: int  # movements


class ZeroShot(TypedDict):
    """Zero-shot tag accuracy against the majority-class share on the same rows (:func:`zero_shot_accuracy`)."""

    accuracy: float
    majority: float  # share of the evaluated rows whose truth is the most frequent truth
    majority_label: str
    n: int  # rows with a truth label (the evaluated rows)
    predicted: list[str]  # the top label of every row, evaluated or not


def cosine_matrix(queries: Tensor, candidates: Tensor) -> Tensor:
    """(Q, C) float64 cosines; a zero vector has cosine 0 with everything (so it ties with everything)."""
    return F.normalize(queries.double(), dim=1) @ F.normalize(candidates.double(), dim=1).T


def true_ranks(sims: Tensor, truth: Tensor) -> Tensor:
    """(Q,) 1-based rank of candidate ``truth[q]`` in row ``q`` of ``sims``, ties counted against it.

    The count of candidates at least as similar as the true one (within :data:`TIE_TOLERANCE`) includes
    the true one itself, so it *is* the pessimistic rank.
    """
    true = sims.gather(1, truth[:, None])
    return (sims >= true - TIE_TOLERANCE).sum(dim=1)


def _tied(sims: Tensor, truth: Tensor) -> int:
    """Queries with another candidate within :data:`TIE_TOLERANCE` of the true one."""
    true = sims.gather(1, truth[:, None])
    close = (sims - true).abs() <= TIE_TOLERANCE
    return int((close.sum(dim=1) > 1).sum())


def _median(values: Tensor) -> float:
    """The median, averaging the two middle values when there is an even number of them."""
    ordered = values.double().sort().values
    n = len(ordered)
    mid = n // 2
    return float(ordered[mid]) if n % 2 else float((ordered[mid - 1] + ordered[mid]) / 2)


def metric_from_ranks(ranks: Tensor, name: str) -> float:
    """One metric of :data:`METRICS` (R@k, mAP@10, median_rank, N) from the ranks of every query."""
    if name.startswith("R@") and name[2:].isdigit():
        return float((ranks <= int(name[2:])).double().mean())
    if name == f"mAP@{MAP_AT}":
        ranks = ranks.double()
        return float(torch.where(ranks <= MAP_AT, 1.0 / ranks, torch.zeros_like(ranks)).mean())
    if name == "median_rank":
        return _median(ranks)
    if name == "N":
        return float(len(ranks))
    raise ValueError(f"unknown retrieval metric {name!r}; known: {', '.join(m for m in METRICS if m != 'tied')}")


def _check_pairs(audio: Tensor, text: Tensor) -> None:
    """Both (N, d) with the same N and d, N ≥ 1, finite: an error names the shapes or the bad rows."""
    if audio.dim() != 2 or text.dim() != 2:
        raise ValueError(f"retrieval: embeddings must be (N, d); got audio {tuple(audio.shape)}, "
                         f"text {tuple(text.shape)}")
    if audio.shape != text.shape:
        raise ValueError(f"retrieval: audio {tuple(audio.shape)} and text {tuple(text.shape)} must have the same "
                         "shape (row i of each is the same movement)")
    if not len(audio):
        raise ValueError("retrieval: no movements to rank")
    for name, x in (("audio", audio), ("text", text)):
        bad = (~torch.isfinite(x)).any(dim=1).nonzero().flatten().tolist()
        if bad:
            raise ValueError(f"retrieval: {name} rows {bad[:10]} hold NaN or infinite values")


def _direction_sims(audio: Tensor, text: Tensor) -> dict[str, Tensor]:
    sims = cosine_matrix(audio, text)
    return {"audio_to_text": sims, "text_to_audio": sims.T}


def retrieval_metrics(audio: Tensor, text: Tensor) -> dict[str, dict[str, float]]:
    """R@1, R@5, R@10, mAP@10, median rank, N and tied, for each of :data:`DIRECTIONS`.

    ``audio`` and ``text`` are (N, d) with row ``i`` of each the same movement. The module docstring
    defines every metric, the tie rule (pessimistic) and how shared texts are treated (only the paired
    row is relevant). ``N`` and ``tied`` are counts, given as floats so one table holds every column.
    """
    _check_pairs(audio, text)
    truth = torch.arange(len(audio))
    out: dict[str, dict[str, float]] = {}
    for direction, sims in _direction_sims(audio, text).items():
        ranks = true_ranks(sims, truth)
        row = {name: metric_from_ranks(ranks, name) for name in METRICS if name != "tied"}
        row["tied"] = float(_tied(sims, truth))
        out[direction] = row
    return out


def shuffled_control(audio: Tensor, text: Tensor, *, n_permutations: int = 1000, seed: int = 0,
                     metric: tuple[str, str] = ("audio_to_text", "R@10")) -> ShuffledControl:
    """The metric on the true pairing and on ``n_permutations`` random re-pairings (a seeded ``torch.Generator``).

    Permutation ``p`` pairs audio row ``i`` with text row ``p[i]``: the embeddings and their similarities
    stay as they are, only which candidate counts as relevant moves, so the control keeps everything about
    the embeddings (hubs, duplicates, ties) except their pairing. Permutations are drawn independently and
    may include the identity, as a permutation test's do. The 99th percentile interpolates linearly
    between the sorted shuffled values (``torch.quantile``'s default). ``p_value`` reads higher as better,
    which holds for R@k and mAP; for ``median_rank`` (lower is better) read ``mean`` and ``p99`` directly.
    """
    direction, name = metric
    if direction not in DIRECTIONS:
        raise ValueError(f"shuffled control: unknown direction {direction!r}; known: {', '.join(DIRECTIONS)}")
    if name in ("N", "tied"):
        raise ValueError(f"shuffled control: {name!r} does not depend on the pairing")
    if n_permutations < 1:
        raise ValueError(f"shuffled control: n_permutations {n_permutations} must be ≥ 1")
    _check_pairs(audio, text)
    n = len(audio)
    sims = _direction_sims(audio, text)[direction]
    observed = metric_from_ranks(true_ranks(sims, torch.arange(n)), name)
    generator = torch.Generator().manual_seed(seed)
    values = []
    for _ in range(n_permutations):
        p = torch.randperm(n, generator=generator)
        # audio i ↔ text p[i]: from audio, the truth of query i is p[i]; from text, query p[i]'s truth is i
        truth = p if direction == "audio_to_text" else torch.argsort(p)
        values.append(metric_from_ranks(true_ranks(sims, truth), name))
    shuffled = torch.tensor(values, dtype=torch.float64)
    p99 = float(torch.quantile(shuffled, 0.99))
    return ShuffledControl(direction=direction, metric=name, observed=observed, mean=float(shuffled.mean()),
                           std=float(shuffled.std(unbiased=False)), p99=p99, above_p99=observed > p99,
                           p_value=(1 + int((shuffled >= observed).sum())) / (1 + n_permutations),
                           n_permutations=len(values), n=n)


def zero_shot_accuracy(audio: Tensor, label_embeddings: Tensor, labels: Sequence[str],
                       truth: Sequence[str | None]) -> ZeroShot:
    """MusCALL's zero-shot use: the label whose text embedding is most similar (cosine) to a movement's audio.

    ``label_embeddings`` (L, d) are the text embeddings of ``labels`` (e.g. the four tempo-tag words),
    ``truth`` the release's tag of each row (None: no tag, row not evaluated). A row counts as right only
    when its true label ranks first under the tie rule of :func:`true_ranks`, so a tie with another label is
    an error; ``predicted`` reports the first of the top labels in ``labels`` order. ``majority`` is the
    share of the most frequent truth among the evaluated rows themselves (ties between labels broken by
    ``labels`` order): the accuracy of always answering it, a baseline that has seen the evaluated rows'
    distribution and so is, if anything, optimistic.
    """
    if label_embeddings.dim() != 2 or len(label_embeddings) != len(labels):
        raise ValueError(f"zero-shot: {tuple(label_embeddings.shape)} label embeddings for {len(labels)} labels")
    if len(set(labels)) != len(labels):
        raise ValueError(f"zero-shot: labels {list(labels)} repeat a label")
    if audio.dim() != 2 or len(audio) != len(truth) or audio.shape[1] != label_embeddings.shape[1]:
        raise ValueError(f"zero-shot: audio {tuple(audio.shape)}, {len(truth)} truth labels and label embeddings "
                         f"{tuple(label_embeddings.shape)} do not fit together")
    unknown = sorted({t for t in truth if t is not None and t not in labels})
    if unknown:
        raise ValueError(f"zero-shot: truth labels {unknown} are not among the ranked labels {list(labels)}")
    rows = [i for i, t in enumerate(truth) if t is not None]
    if not rows:
        raise ValueError(f"zero-shot: none of the {len(truth)} rows has a truth label")
    sims = cosine_matrix(audio, label_embeddings)
    # the first label (in ``labels`` order) within the tie tolerance of the best: argmax returns the first maximum
    top = (sims >= sims.max(dim=1, keepdim=True).values - TIE_TOLERANCE).to(torch.uint8).argmax(dim=1)
    predicted = [labels[i] for i in top.tolist()]
    index = {label: i for i, label in enumerate(labels)}
    truth_ids = torch.tensor([index[str(truth[i])] for i in rows])
    right = int((true_ranks(sims[rows], truth_ids) == 1).sum())
    counts = Counter(str(truth[i]) for i in rows)
    majority_label = min(counts, key=lambda label: (-counts[label], index[label]))
    return ZeroShot(accuracy=right / len(rows), majority=counts[majority_label] / len(rows),
                    majority_label=majority_label, n=len(rows), predicted=predicted)


@torch.no_grad()
def gtp_embeddings(model: GTPModel, batch: Batch) -> tuple[Tensor, Tensor]:
    """(B, segments × hidden) pooled music and pooled text of a batch, float32 on the CPU, in eval mode.

    These are the vectors the GTP family compares: the music is the *online* encoder's output pooled to
    ``segments`` spans (:meth:`GTPModel.music_segments`, what the GTP cosine and the decoder read), the
    text the text encoder's pooled the same way (:meth:`GTPModel.text_segments`), both flattened as the
    GTP cosine flattens them, so two movements are alike when they are alike segment by segment. The
    coordinate systems train both to drive the one shared decoder, which is what puts them in one space
    to compare. The model is put in eval mode (no dropout) and left in the mode it had; the encoders mask
    padding (time steps and tokens), so a movement's vectors do not depend on its batch partners.
    """
    was_training = model.training
    model.eval()
    try:
        device = next(model.parameters()).device
        batch = batch.to(device)
        music = model.music_segments(batch.spec, batch.frames)[2]
        text = model.text_segments(batch.tokens, batch.token_mask)
    finally:
        model.train(was_training)
    return music.flatten(1).float().cpu(), text.flatten(1).float().cpu()


__all__ = ["DIRECTIONS", "MAP_AT", "METRICS", "RECALL_AT", "TIE_TOLERANCE", "ShuffledControl", "ZeroShot",
           "cosine_matrix", "gtp_embeddings", "metric_from_ranks", "retrieval_metrics", "shuffled_control",
           "true_ranks", "zero_shot_accuracy"]

"""The GTP model (Kuang et al., 2022): music and text autoencoders, coordinated, with group topology preservation.

Losses of one step (the full system):

- music reconstruction (:mod:`earsense_m2t.model.music`) on a random window of encoder steps;
- text autoencoder: the text encoder's output pooled to 20 segments, decoded by the text decoder (CE);
- coordination: the music encoder's output pooled to 20 segments, decoded by the *same* text decoder (CE);
- GTP, weight α = 500: for each sample a group of the k = 32 newest entries of a MoCo-style queue
  (pooled music from a momentum encoder, momentum 0.999 applied once per sample as the authors do, with
  each entry's text). Music similarity =
  cosine between the sample's pooled music (online encoder) and each entry's; text similarity = sentence
  BLEU between the texts. Loss = MSE between softmax(32 · music sims) and softmax(32 · text sims): the
  group's music should be arranged as its texts are. Entries of the sample's own movement are left out
  of its group (the released code kept the sample in its own group);
- sentiment, weight β = 5 (:mod:`earsense_m2t.model.sentiment`).

The pooled representation compared by the cosine is the 20 × hidden segments flattened to one vector,
so two movements are alike when they are alike segment by segment. :data:`SYSTEMS` is the one table of
which losses each neural row of the paper's Table 1 uses: the ablations turn losses off (encoder-decoder,
coordinate, GTP without sentiment), and the other rows add one loss to the Coordinate model (Joint's modality
confusion, Contrastive, Pairwise, Triplet with k = 1 or 32 negatives, Sentiment; :mod:`earsense_m2t.model.losses`
says what each computes and where it follows the paper or the authors' code).

Every system starts from the fold's pretrained autoencoders (:meth:`GTPModel.load_pretrained`,
:mod:`earsense_m2t.model.pretrain`), the paper's premise: GTP arranges a space that already encodes the
music, and the momentum encoder starts as a copy of the pretrained music encoder, so the first keys are
already distinct.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, replace

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from earsense_m2t.model import losses as extra
from earsense_m2t.model.augment import AUGMENTATIONS, augment
from earsense_m2t.model.batch import Batch
from earsense_m2t.model.config import GTPConfig
from earsense_m2t.model.music import MusicDecoder, MusicEncoder, masked_segments, reconstruct_window
from earsense_m2t.model.sentiment import SentimentHead, sentiment_loss
from earsense_m2t.model.similarity import group_similarities
from earsense_m2t.model.text import TextDecoder, TextEmbeddings, TextEncoder
from earsense_m2t.model.tokenizer import VOCAB_SIZE


@dataclass(frozen=True)
class System:
    """Which losses a trained system uses (the paper's Table 1 rows that are neural).

    The first four are the GTP model's own losses; the others are the extra rows' (:mod:`.losses`):
    ``joint`` the modality discriminator and confusion, ``contrastive`` the augmentations' pull to the clean
    music, ``pairwise`` the pair's cosine against its BLEU, ``triplet_k`` the triplet loss with that many
    negatives (0: none).
    """

    reconstruction: bool = True
    text_autoencoder: bool = True
    gtp: bool = True
    sentiment: bool = True
    joint: bool = False
    contrastive: bool = False
    pairwise: bool = False
    triplet_k: int = 0

    def queue_size(self, cfg: GTPConfig) -> int:
        """Entries the queue keeps: the GTP group's k, or more when the triplet loss needs k negatives and a positive."""
        return max(cfg.group_k, self.triplet_k + 1)


#: the Coordinate model: both autoencoders and the shared decoder, no GTP, no sentiment
_COORDINATE = System(gtp=False, sentiment=False)
SYSTEMS: dict[str, System] = {
    "encoder_decoder": System(reconstruction=False, text_autoencoder=False, gtp=False, sentiment=False),
    # the authors' JointConfusionTrainer: no reconstruction; both modalities through the shared decoder, confused
    "joint": System(reconstruction=False, gtp=False, sentiment=False, joint=True),
    "coordinate": _COORDINATE,
    "coordinate_contrastive": replace(_COORDINATE, contrastive=True),
    "coordinate_pairwise": replace(_COORDINATE, pairwise=True),
    "coordinate_triplet_k1": replace(_COORDINATE, triplet_k=1),
    "coordinate_triplet_k32": replace(_COORDINATE, triplet_k=32),
    "coordinate_sentiment": replace(_COORDINATE, sentiment=True),
    "gtp_no_sentiment": System(sentiment=False),
    "gtp": System(),
}


def matched_spread(music: Tensor, text: Tensor, valid: Tensor, eps: float = 1e-6) -> Tensor:
    """Each row's music similarities standardized over its valid members, times the spread (std) of its text
    similarities over the same members: the music's arrangement on the text's scale."""
    n = valid.sum(dim=1, keepdim=True).clamp(min=1)
    text = text.to(music.dtype)

    def centred(x: Tensor) -> Tensor:
        return (x - (x * valid).sum(dim=1, keepdim=True) / n) * valid

    m, t = centred(music), centred(text)
    m_std = ((m ** 2).sum(dim=1, keepdim=True) / n).sqrt()
    t_std = ((t ** 2).sum(dim=1, keepdim=True) / n).sqrt()
    return m / (m_std + eps) * t_std


def gtp_loss_from_similarities(music: Tensor, text: Tensor, valid: Tensor, temperature: float, *,
                               standardized: bool = False) -> Tensor:
    """MSE between softmax(t · music) and softmax(t · text) over each row's valid group members.

    Rows with fewer than two valid members carry no topology (a softmax over one entry is 1 on both
    sides) and add nothing; the result is the mean over the other rows, 0 when there are none.

    ``standardized`` (``gtp_similarity="standardized"``): the music similarities go in as
    :func:`matched_spread`. With the paper's raw cosines, a text target the music cannot predict
    (``scripts/gtp_targets.py``: most of its mass on the one member whose key and instrumentation match) is
    best answered by an even softmax, and the encoder gets there by making every cosine alike, i.e. by
    pulling the pooled music of every movement toward one direction: the decoder's inputs become alike and
    so do its texts (issue 20: 59-60 % distinct texts on the learnable corpus). Standardized, the music side
    always has the text side's spread, and squeezing its cosines together changes nothing: the loss can only
    be lowered by putting the group's members in the text's order, which is what "topology" asks for.
    """
    counts = valid.sum(dim=1)
    rows = counts >= 2
    if not bool(rows.any()):
        return music.sum() * 0.0
    if standardized:
        music = matched_spread(music, text, valid)
    neg = torch.finfo(music.dtype).min
    p_music = torch.softmax((temperature * music).masked_fill(~valid, neg), dim=1)
    p_text = torch.softmax((temperature * text).masked_fill(~valid, neg), dim=1)
    per_row = ((p_music - p_text) ** 2 * valid).sum(dim=1) / counts.clamp(min=1)
    return per_row[rows].mean()


class GroupQueue:
    """The newest ``k`` keys (pooled music from the momentum encoder) with their movement ids and texts."""

    def __init__(self, k: int, dim: int) -> None:
        self.k = k
        self.keys = torch.zeros(0, dim)
        self.ids: list[str] = []
        self.texts: list[str] = []

    def __len__(self) -> int:
        return len(self.ids)

    def enqueue(self, keys: Tensor, ids: Sequence[str], texts: Sequence[str]) -> None:
        """Append a batch and drop the oldest entries beyond ``k``."""
        self.keys = torch.cat([self.keys.to(keys.device), keys.detach()])[-self.k:]
        self.ids = [*self.ids, *ids][-self.k:]
        self.texts = [*self.texts, *texts][-self.k:]

    def valid(self, ids: Sequence[str]) -> Tensor:
        """(B, len) True where a queue entry may be in sample b's group: any movement but its own."""
        return torch.tensor([[q != i for q in self.ids] for i in ids], dtype=torch.bool, device=self.keys.device)

    def state(self) -> dict[str, object]:
        return {"k": self.k, "keys": self.keys.cpu(), "ids": list(self.ids), "texts": list(self.texts)}

    def load(self, state: dict[str, object]) -> None:
        keys = state["keys"]
        if not isinstance(keys, Tensor):
            raise TypeError("queue state: keys must be a tensor")
        self.keys, self.ids, self.texts = keys, list(state["ids"]), list(state["texts"])  # type: ignore[call-overload, unused-ignore]  # torch-typed only with torch installed


class GTPModel(nn.Module):
    """Both autoencoders, the shared text decoder, the sentiment head, the momentum encoder and the queue."""

    def __init__(self, cfg: GTPConfig, system: System | None = None, n_emotions: int = 0,
                 vocab_size: int = VOCAB_SIZE) -> None:
        super().__init__()
        self.cfg, self.system = cfg, system or SYSTEMS["gtp"]
        self.music_encoder = MusicEncoder(cfg)
        self.music_decoder = MusicDecoder(cfg)
        embeddings = TextEmbeddings(cfg, vocab_size)
        self.text_encoder = TextEncoder(cfg, embeddings)
        self.text_decoder = TextDecoder(cfg, embeddings)
        self.sentiment = SentimentHead(cfg.hidden, n_emotions) if n_emotions and self.system.sentiment else None
        self.discriminator = extra.ModalityDiscriminator(cfg.segments, cfg.hidden) if self.system.joint else None
        # the momentum encoder: a copy that follows the online encoder slowly and is never trained directly
        self.momentum_encoder = copy.deepcopy(self.music_encoder).requires_grad_(False).eval()
        self.queue = GroupQueue(self.system.queue_size(cfg), cfg.segments * cfg.hidden)
        #: samples accumulated since the last optimizer step: the momentum update's exponent (not saved: a
        #: checkpoint is written between steps, where it is 0)
        self.pending_samples = 0

    def load_pretrained(self, music: dict[str, Tensor], text: dict[str, Tensor]) -> None:
        """Weights of the pretrained autoencoders (state dicts of :class:`MusicAutoencoder` and
        :class:`TextAutoencoder`); the momentum encoder becomes a copy of the pretrained music encoder."""
        def part(state: dict[str, Tensor], prefix: str) -> dict[str, Tensor]:
            return {k[len(prefix):]: v for k, v in state.items() if k.startswith(prefix)}

        self.music_encoder.load_state_dict(part(music, "encoder."))
        self.music_decoder.load_state_dict(part(music, "decoder."))
        self.momentum_encoder.load_state_dict(part(music, "encoder."))
        self.text_encoder.load_state_dict(part(text, "encoder."))
        self.text_decoder.load_state_dict(part(text, "decoder."))

    def train(self, mode: bool = True) -> GTPModel:
        super().train(mode)
        self.momentum_encoder.eval()  # keys without dropout noise
        return self

    def music_segments(self, spec: Tensor, frames: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        """Encoder steps, their mask, and the (B, segments, hidden) pooled music."""
        steps, mask = self.music_encoder(spec, frames)
        return steps, mask, masked_segments(steps, mask, self.cfg.segments)

    def text_segments(self, tokens: Tensor, mask: Tensor) -> Tensor:
        return masked_segments(self.text_encoder(tokens, mask), mask, self.cfg.segments)

    @torch.no_grad()
    def keys(self, spec: Tensor, frames: Tensor) -> Tensor:
        """(B, segments × hidden) pooled music from the momentum encoder: what the queue holds."""
        steps, mask = self.momentum_encoder(spec, frames)
        return masked_segments(steps, mask, self.cfg.segments).flatten(1)

    def losses(self, batch: Batch, generator: torch.Generator | None = None) -> tuple[dict[str, Tensor], Tensor]:
        """Every loss of the system on one batch (``total`` weighted), and the batch's keys for the queue."""
        cfg, system = self.cfg, self.system
        steps, smask, music = self.music_segments(batch.spec, batch.frames)
        out: dict[str, Tensor] = {"music_to_text": self.text_decoder.loss(batch.tokens, batch.token_mask, music)}
        if system.reconstruction:
            out["reconstruction"] = reconstruct_window(self.music_decoder, batch.spec, batch.frames, steps, smask, cfg,
                                                       generator)
        if system.text_autoencoder:
            text = self.text_segments(batch.tokens, batch.token_mask)
            out["text_autoencoder"] = self.text_decoder.loss(batch.tokens, batch.token_mask, text)
            if self.discriminator is not None:
                out["discriminator"] = extra.discriminator_loss(self.discriminator, music, text)
                out["confusion"] = extra.confusion_loss(self.discriminator, music, text)
        keys = self.keys(batch.spec, batch.frames)
        if system.gtp:
            out["gtp"] = self.gtp_loss(music.flatten(1), batch.ids, batch.texts)
        if system.contrastive:
            out["contrastive"] = self.contrastive_loss(batch, music, generator)
        if system.pairwise or system.triplet_k:
            out.update(self.queue_losses(music.flatten(1), batch.ids, batch.texts))
        if self.sentiment is not None and batch.emotion is not None and batch.has_emotion is not None:
            out["sentiment"] = sentiment_loss(self.sentiment(music), batch.emotion, batch.has_emotion)
        weights = {"gtp": cfg.alpha, "sentiment": cfg.beta, **extra.WEIGHTS}
        out["total"] = sum((weights.get(k, 1.0) * v for k, v in out.items()), torch.zeros((), device=music.device))
        return out, keys

    def group(self, query: Tensor, ids: Sequence[str], texts: Sequence[str]) -> tuple[Tensor, Tensor, Tensor]:
        """(B, queue) music cosines of the batch's pooled music against the queue's keys, the sentence-BLEU text
        similarities, and which entries may be in each sample's group (not its own movement)."""
        keys = self.queue.keys.to(query.device)
        music = F.normalize(query, dim=1) @ F.normalize(keys, dim=1).T
        text = torch.tensor(group_similarities(texts, self.queue.texts), dtype=music.dtype, device=music.device)
        return music, text, self.queue.valid(ids).to(music.device)

    def gtp_loss(self, query: Tensor, ids: Sequence[str], texts: Sequence[str]) -> Tensor:
        """The GTP loss of a batch's pooled music against the queue's group (0 while the queue is empty); the
        config's ``gtp_similarity`` says how the music side enters (:func:`gtp_loss_from_similarities`)."""
        if not len(self.queue):
            return query.sum() * 0.0
        music, text, valid = self.group(query, ids, texts)
        return gtp_loss_from_similarities(music, text, valid, self.cfg.gtp_temperature,
                                          standardized=self.cfg.gtp_similarity == "standardized")

    def queue_losses(self, query: Tensor, ids: Sequence[str], texts: Sequence[str]) -> dict[str, Tensor]:
        """The system's pairwise and triplet losses against the queue (:mod:`.losses`; 0 while it is empty)."""
        out: dict[str, Tensor] = {}
        if not len(self.queue):
            zero = query.sum() * 0.0
            return {**({"pairwise": zero} if self.system.pairwise else {}),
                    **({"triplet": zero} if self.system.triplet_k else {})}
        music, text, valid = self.group(query, ids, texts)
        if self.system.pairwise:
            out["pairwise"] = extra.pairwise_loss(music, text, valid)
        if self.system.triplet_k:
            out["triplet"] = extra.triplet_loss(music, text, valid, self.system.triplet_k)
        return out

    def contrastive_loss(self, batch: Batch, music: Tensor, generator: torch.Generator | None = None) -> Tensor:
        """The pooled music of each of the four augmentations (:mod:`.augment`) against the clean ``music``."""
        pooled = []
        for name in AUGMENTATIONS:
            spec, frames = augment(name, batch.spec, batch.frames, generator, time_factor=self.cfg.time_factor,
                                   max_frames=self.cfg.max_frames)
            pooled.append(self.music_segments(spec, frames)[2])
        return extra.contrastive_loss(music, pooled)

    @torch.no_grad()
    def update_momentum(self, samples: int = 1) -> None:
        """θ_k ← m^n θ_k + (1 − m^n) θ_q for a step of n = ``samples``: the keys change slowly, so queue entries
        of different steps stay comparable.

        The authors update the momentum encoder once per sample. Within one optimizer step the online
        weights do not change, so n per-sample updates toward the stepped weights are this one update
        with m^n; with the old once-per-step rule (``momentum_per_sample=False``) the keys moved 8× slower
        at the paper's batch of 8 and barely left their start.
        """
        m = self.cfg.momentum ** (max(samples, 1) if self.cfg.momentum_per_sample else 1)
        for k, q in zip(self.momentum_encoder.parameters(), self.music_encoder.parameters(), strict=True):
            k.mul_(m).add_(q.detach(), alpha=1.0 - m)


def accumulate(model: GTPModel, batch: Batch, share: float = 1.0, generator: torch.Generator | None = None, *,
               autocast: AbstractContextManager[object] | None = None, scaler: torch.amp.GradScaler | None = None,
               ) -> dict[str, float]:
    """One micro-batch: losses (under ``autocast``), backward of ``share`` × total, then its keys join the queue.

    Gradients add up over the micro-batches of one optimizer step, so ``share`` is the micro-batch's part of
    the step's samples. The backward runs outside autocast (as torch recommends). The keys enter the queue
    after the loss, so a sample never meets its own key in this step, and the queue's self-exclusion covers
    the same movement met again later; with several micro-batches per step, a later micro-batch's group
    holds the earlier ones' keys (they come from the momentum encoder, which only moves between steps).
    """
    with autocast if autocast is not None else nullcontext():
        losses, keys = model.losses(batch, generator)
    loss = losses["total"] * share
    (scaler.scale(loss) if scaler is not None else loss).backward()
    model.queue.enqueue(keys, batch.ids, batch.texts)
    model.pending_samples += len(batch.ids)
    return {k: float(v.detach()) for k, v in losses.items()}


def apply_gradients(model: GTPModel, optimizer: torch.optim.Optimizer, scaler: torch.amp.GradScaler | None = None) -> None:
    """One optimizer step on the accumulated gradients (through the AMP scaler when given), then the momentum
    update for the samples the step accumulated."""
    if scaler is not None:
        scaler.step(optimizer)
        scaler.update()
    else:
        optimizer.step()
    model.update_momentum(model.pending_samples)
    model.pending_samples = 0


def train_step(model: GTPModel, optimizer: torch.optim.Optimizer, batch: Batch,
               generator: torch.Generator | None = None) -> dict[str, float]:
    """One optimizer step on one batch: :func:`accumulate` with share 1, then :func:`apply_gradients`."""
    model.train()
    optimizer.zero_grad(set_to_none=True)
    losses = accumulate(model, batch, 1.0, generator)
    apply_gradients(model, optimizer)
    return losses


__all__ = ["SYSTEMS", "GTPModel", "GroupQueue", "System", "accumulate", "apply_gradients", "gtp_loss_from_similarities",
           "matched_spread", "train_step"]

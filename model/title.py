"""Song-title prediction from spectrograms (Bleiweiss, 2020): an image-captioning CNN + LSTM that writes the movement title.

For classical movements the title is mostly a tempo marking ("Allegro ma non troppo", "Scherzo. Presto"), so a
system that writes the title from the audio alone asks directly whether the audio carries the tempo the text
claims. This module holds that system on its own (config, model, metrics); the train stage wires it in.

**The paper.** A. Bleiweiss, "Predicting a Song Title from Audio Embeddings on a Pretrained Image-captioning
Network" (SCITEPRESS, 2020). What this module follows is what its
abstract and keywords state: the audio becomes a two-dimensional spectrogram read as an image, a deep image
feature conditions an LSTM ("Long Short-term Memory") language model, titles are decoded by k-beam search, and
BLEU is reported (45.1 out of domain, 61.3 in domain). Only the abstract was readable offline: widths, depths,
k, the optimiser and the BLEU variant are not known here, so :data:`PAPER_VALUES` says "not stated" for them
rather than guess, and :data:`DIFFERENCES` says why each of our values is what it is. The paper's encoder is an
image-captioning network pretrained on Conceptual Captions; no such weights exist offline (and a spectrogram is
no photograph), so the CNN here is trained from scratch on the release (:data:`NOT_REPRODUCED`).

**Model** (:class:`TitleModel`). Show-and-Tell's shape: a CNN over the (bins, frames) standardized spectrogram,
pooled over time (and to a few frequency bands, :attr:`TitleConfig.freq_bands`) to one image feature, which sets
the LSTM's initial hidden and cell states; the LSTM then reads WordPiece ids from [CLS] and predicts the next one.
Batches pad time (:func:`earsense_m2t.model.batch.collate`), and a title must not depend on how long the batch's
longest movement was, so the CNN re-zeroes every padded frame after each block and pools over real steps only
(``frames``): a movement's feature is the same at any padding, whatever the padding holds. There is no batch or
group normalization inside the CNN for the same reason (their statistics would count padded frames); the pooled
feature, computed from real steps only, is batch-normalized across the batch's movements
(:attr:`TitleConfig.feature_norm`): without it the model wrote one title for every movement. Ids are bert-base-uncased
WordPiece (:mod:`.tokenizer`), [PAD] = 0 (:data:`earsense_m2t.model.decode.PAD_ID`), [CLS] / [SEP] are the
tokenizer's.

**Decoding** (:meth:`TitleModel.generate`) follows the rules of the project's beam search
(:mod:`earsense_m2t.model.decode`: 2 × beam continuations per step, an end among the first ``beam`` finishes a
hypothesis, ranking by log-probability / length ** ``length_penalty``, [PAD] and [CLS] never generated, beam 1 =
greedy), but steps the LSTM with its state instead of re-reading the prefix: that search drives the GTP model's
transformer decoder, which has no state to carry.

**Selection** (:attr:`TitleConfig.select_by`). The epoch whose model is kept is the one whose greedy titles for
the validation works score the highest corpus BLEU (:func:`earsense_m2t.model.field.title_validation`). The other
choice, the validation works' teacher-forced loss, bottomed out well before the last epoch on the development
corpus while the titles written from later epochs scored higher and differed more: a lower loss rewards hedging
over the metronome marks, greedy decoding does not.

**Metrics** (:func:`title_metrics`, :func:`tempo_agreement`). Titles are scored under the project's one case rule
(:func:`earsense_m2t.model.metrics.normalize_text`: the uncased WordPiece round trip) with sacrebleu's corpus BLEU
(BLEU-4, 13a tokenisation, sacrebleu's default exponential smoothing; 0-100) as the headline, as every other
system's texts are (:func:`earsense_m2t.model.metrics.corpus_bleu`); the paper's BLEU variant is not known here,
and titles are short (one to five words), so corpus BLEU-1 is reported beside it. Exact match is the share of
titles equal to their reference after that rule. The tempo check runs each generated title through the tempo
rules that tag the release (:func:`earsense_m2t.tagging.tempo.tag_tempo`) and compares the class with the
release's tempo tag, beside the majority-class share a constant guess would reach.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, fields, replace

import sacrebleu
import torch
import torch.nn.functional as F  # noqa: N812
from torch import Tensor, nn

from earsense_m2t.model.decode import PAD_ID, Hypothesis
from earsense_m2t.model.metrics import corpus_bleu, normalize_texts
from earsense_m2t.model.tokenizer import wordpiece
from earsense_m2t.tagging.tempo import TEMPO_ORDER, tag_tempo

#: the paper this system reproduces (as far as its abstract states it)
CITATION = ("A. Bleiweiss, Predicting a Song Title from Audio Embeddings on a Pretrained Image-captioning Network, "
            "SCITEPRESS 2020")
#: the paper's reported BLEU (abstract): on titles of its own domain and out of it; the variant is not stated
PAPER_BLEU = {"in_domain": 61.3, "out_domain": 45.1}
#: a paper value this module could not find (only the abstract was available offline); never a guess
NOT_STATED = "not stated"


#: how the pooled image feature is normalized (:attr:`TitleConfig.feature_norm`)
FEATURE_NORMS = ("batch", "none")
#: how the image feature reaches the LSTM (:attr:`TitleConfig.inject`)
INJECTS = ("init", "par")
#: what picks the best epoch on the validation works (:attr:`TitleConfig.select_by`)
SELECTIONS = ("bleu", "loss")


@dataclass(frozen=True)
class TitleConfig:
    """Every size, rate and decoding choice of one title model; ``paper()`` and ``tiny()`` are the named sets."""

    name: str
    channels: tuple[int, ...] = (32, 64, 128, 256, 256)  # one conv block each; time halves per block
    #: how many of the blocks, the first ones, also halve frequency (None: all of them, as an image CNN does). A
    #: block that keeps it costs nothing more itself but leaves the next block a map twice as tall; the bands the
    #: last map is pooled to (``freq_bands``) can then be finer than the 8-fold pooled bins (a key is told by where
    #: the partials lie: 256 linear bins of 31 Hz pooled 8-fold are 250-Hz bands)
    freq_pools: int | None = None
    kernel: int = 3  # square convolution kernel, "same" padding
    #: the last map is pooled over time only, then to this many frequency bands: pooling frequency away too would
    #: give a spectrum shifted up or down (another register, another timbre) the very same feature
    freq_bands: int = 4
    #: "batch": the pooled feature is batch-normalized across the batch's movements before its projection (running
    #: statistics at evaluation); "none": as pooled. Without it the features of a CNN trained from scratch barely
    #: differ between movements at first, the LSTM learns to write the commonest title, and the captioning loss
    #: then gives the CNN almost no gradient: every movement gets one title
    feature_norm: str = "batch"
    #: "init": the image feature sets the LSTM's initial state only (Show and Tell); "par": it also goes beside every
    #: input word, so each word is chosen seeing the music, not only the first (the LSTM otherwise forgets it once
    #: the tempo word is out and writes that class's commonest rest of a title)
    inject: str = "init"
    feature_dim: int = 512  # the image feature that initialises the LSTM
    embed_dim: int = 512  # WordPiece embedding
    hidden: int = 512  # LSTM state
    layers: int = 1  # LSTM layers
    dropout: float = 0.3  # on the embeddings and the LSTM output (and between LSTM layers)
    max_frames: int = 1875  # frames of a movement the CNN sees: 30 s at the release's 62.5 frames/s
    max_title_tokens: int = 32  # [CLS] … [SEP] in all; longer titles are truncated when encoded
    beam: int = 3  # k of the k-beam search
    length_penalty: float = 1.0  # finished hypotheses ranked by log-prob / length ** this (1.0: per-token mean)
    lr: float = 1e-3  # Adam
    weight_decay: float = 0.0
    batch_size: int = 16
    epochs: int = 40
    grad_clip: float = 5.0  # max gradient norm
    label_smoothing: float = 0.0
    #: what picks the epoch whose model is kept: "bleu", the corpus BLEU of the validation works' greedy titles
    #: (what the system is judged by; the teacher-forced loss bottoms out while the titles written greedily still
    #: get better and more varied), or "loss", the validation works' teacher-forced cross-entropy
    select_by: str = "bleu"

    def __post_init__(self) -> None:
        if self.inject not in INJECTS:
            raise ValueError(f"TitleConfig {self.name}: inject {self.inject!r}; known: {', '.join(INJECTS)}")
        if self.select_by not in SELECTIONS:
            raise ValueError(f"TitleConfig {self.name}: select_by {self.select_by!r}; known: {', '.join(SELECTIONS)}")
        if self.feature_norm not in FEATURE_NORMS:
            raise ValueError(f"TitleConfig {self.name}: feature_norm {self.feature_norm!r}; known: "
                             f"{', '.join(FEATURE_NORMS)}")
        if not self.channels or any(c < 1 for c in self.channels):
            raise ValueError(f"TitleConfig {self.name}: channels {self.channels} must be one or more positive widths")
        if self.freq_pools is not None and not 0 <= self.freq_pools <= len(self.channels):
            raise ValueError(f"TitleConfig {self.name}: freq_pools {self.freq_pools} must lie in 0..{len(self.channels)} "
                             "(the conv blocks) or be None (all)")
        if self.kernel < 1 or self.kernel % 2 == 0:
            raise ValueError(f"TitleConfig {self.name}: kernel {self.kernel} must be odd (\"same\" padding)")
        if min(self.freq_bands, self.feature_dim, self.embed_dim, self.hidden, self.layers) < 1:
            raise ValueError(f"TitleConfig {self.name}: freq_bands, feature_dim, embed_dim, hidden and layers must be ≥ 1")
        if not 0.0 <= self.dropout < 1.0 or not 0.0 <= self.label_smoothing < 1.0:
            raise ValueError(f"TitleConfig {self.name}: dropout {self.dropout} and label_smoothing "
                             f"{self.label_smoothing} must lie in [0, 1)")
        if self.max_frames < 1 or self.max_title_tokens < 3:
            raise ValueError(f"TitleConfig {self.name}: max_frames {self.max_frames} must be ≥ 1 and "
                             f"max_title_tokens {self.max_title_tokens} ≥ 3 ([CLS], one piece, [SEP])")
        if self.beam < 1 or self.length_penalty < 0:
            raise ValueError(f"TitleConfig {self.name}: beam {self.beam} must be ≥ 1 and length_penalty "
                             f"{self.length_penalty} ≥ 0")
        if self.lr <= 0 or self.weight_decay < 0 or self.batch_size < 1 or self.epochs < 0 or self.grad_clip <= 0:
            raise ValueError(f"TitleConfig {self.name}: lr {self.lr} and grad_clip {self.grad_clip} must be > 0, "
                             f"weight_decay {self.weight_decay} ≥ 0, batch_size {self.batch_size} ≥ 1, "
                             f"epochs {self.epochs} ≥ 0")

    @property
    def time_factor(self) -> int:
        """Frames per step of the CNN's last map (each block halves time): inputs are padded to a multiple of it."""
        return 2 ** len(self.channels)

    @classmethod
    def paper(cls) -> TitleConfig:
        return cls(name="paper")

    @classmethod
    def tiny(cls) -> TitleConfig:
        """Small widths for 2 CPU cores; the CNN hears the first 8.2 s (512 frames), where the tempo is plain.

        Chosen on the development corpus (README, "song-title prediction"): the feature beside every word
        (``inject="par"``), the frequency axis halved by the first two blocks only and kept in 64 bands (a key is
        told by where the partials lie), a 128-wide feature and LSTM, and the epoch picked by the validation titles'
        BLEU (the default): 105 of 123 test titles distinct there, against 7 as this config was.
        """
        return cls(name="tiny", channels=(8, 16, 32), freq_pools=2, freq_bands=64, inject="par", feature_dim=128,
                   embed_dim=32, hidden=128, dropout=0.0, max_frames=512, max_title_tokens=24, lr=3e-3, batch_size=8,
                   epochs=30)

    def with_(self, **changes: object) -> TitleConfig:
        """A copy with some values changed (validated again)."""
        return replace(self, **changes)  # type: ignore[arg-type]


TITLE_CONFIGS = {"paper": TitleConfig.paper, "tiny": TitleConfig.tiny}

#: each hyper-parameter → the paper's value, as far as its abstract states one
PAPER_VALUES: dict[str, str] = {
    "channels": NOT_STATED,
    "kernel": NOT_STATED,
    "freq_pools": NOT_STATED,
    "freq_bands": NOT_STATED,
    "feature_norm": NOT_STATED,
    "inject": NOT_STATED,
    "feature_dim": NOT_STATED,
    "embed_dim": NOT_STATED,
    "hidden": NOT_STATED,
    "layers": NOT_STATED,
    "dropout": NOT_STATED,
    "max_frames": NOT_STATED,
    "max_title_tokens": NOT_STATED,
    "beam": NOT_STATED,  # "k-beam search", k not given in the abstract
    "length_penalty": NOT_STATED,
    "lr": NOT_STATED,
    "weight_decay": NOT_STATED,
    "batch_size": NOT_STATED,
    "epochs": NOT_STATED,
    "grad_clip": NOT_STATED,
    "label_smoothing": NOT_STATED,
    "select_by": NOT_STATED,
}

#: each hyper-parameter → why ours is what it is (the paper's is unknown or cannot apply)
DIFFERENCES: dict[str, str] = {
    "channels": "the paper's CNN is a pretrained image-captioning network's (no weights offline): a small VGG-like "
                "stack trained from scratch, deep enough to pool 30 s to a few steps",
    "kernel": "3 × 3, the usual image-CNN kernel; unknown for the paper's network",
    "freq_pools": "an image CNN halves both axes in every block (None, the default); a spectrogram's frequency axis "
                  "holds the pitches a key is told by, so a config can keep it finer in the last blocks",
    "freq_bands": "an image CNN pools both axes away; on a spectrogram the frequency axis is register and timbre, so "
                  "4 bands of it are kept (time, the axis padding varies, is pooled away)",
    "feature_norm": "a pretrained image network's feature already differs between images; a CNN trained from scratch "
                    "on spectrograms gives nearly the same feature to every movement at first, and without batch "
                    "normalization of the pooled feature the title model wrote one title for every movement",
    "inject": "the image feature initialises the LSTM, as Show and Tell does (\"init\"); \"par\", the feature beside "
              "every input word as well, is the other common captioning design",
    "feature_dim": "512, Show-and-Tell's image embedding size, for the common captioning shape",
    "embed_dim": "512 to match the feature and state sizes, as Show-and-Tell does",
    "hidden": "512 LSTM units as in Show-and-Tell; titles are short, so no larger state is needed",
    "layers": "one LSTM layer, the captioning default; the abstract names an LSTM without depth",
    "dropout": "0.3 against overfitting a few thousand titles (the paper trained on Conceptual Captions' millions)",
    "max_frames": "the first 30 s: a title needs no whole movement, and the usual audio of the paper's test sets "
                  "(MSD's previews, FMA's clip subsets) is about that long; the paper's clip length is not known here",
    "max_title_tokens": "32 WordPiece tokens hold every marking-style title with room to spare",
    "beam": "k = 3, the project's beam for every generating system, so systems decode alike",
    "length_penalty": "1.0, the project's decoding rule (per-token mean log-probability)",
    "lr": "Adam at 1e-3, the usual rate for an LSTM captioner trained from scratch",
    "weight_decay": "none: dropout regularises, as in most captioning code",
    "batch_size": "16 spectrograms of 30 s fit a CPU run",
    "epochs": "40 passes over a few thousand movements; selection on validation picks the epoch",
    "grad_clip": "norm 5, the usual guard against exploding LSTM gradients",
    "label_smoothing": "none: plain cross-entropy, as captioning models of the paper's time used",
    "select_by": "the validation titles' BLEU, the figure the paper reports, as captioning models are commonly "
                 "selected by a caption metric on held-out data; the teacher-forced loss reached its lowest many "
                 "epochs before the greedy titles stopped improving on the development corpus",
}

#: what the paper did that this module does not, and why (for results.md)
NOT_REPRODUCED: tuple[str, ...] = (
    "the image-captioning network pretrained on Conceptual Captions: no such weights are available offline, so the "
    "CNN and the LSTM are trained from scratch on the release's training folds",
    "the spectrogram rendered as an image for an image network: the CNN reads the release's standardized "
    "spectrogram as a one-channel map instead",
)


def get_title_config(name: str) -> TitleConfig:
    """The named config; an unknown name is an error that lists the known ones."""
    try:
        return TITLE_CONFIGS[name]()
    except KeyError:
        raise ValueError(f"unknown title config {name!r}; known: {', '.join(sorted(TITLE_CONFIGS))}") from None


def hyperparameters() -> list[str]:
    """The config's fields that are hyper-parameters (all but ``name``): the keys both tables must cover."""
    return [f.name for f in fields(TitleConfig) if f.name != "name"]


# ---------------------------------------------------------------------------------------------
# Model
# ---------------------------------------------------------------------------------------------
def _time_mask(frames: Tensor, width: int) -> Tensor:
    """(B, 1, 1, width) 1.0 on real steps, 0.0 on padding."""
    steps = torch.arange(width, device=frames.device)
    return (steps[None, :] < frames[:, None]).to(torch.float32)[:, None, None, :]


class TitleModel(nn.Module):
    """CNN image feature → LSTM initial state → WordPiece title, trained by teacher forcing."""

    def __init__(self, cfg: TitleConfig, vocab_size: int) -> None:
        super().__init__()
        tok = wordpiece()
        self.cfg, self.vocab_size = cfg, vocab_size
        self.cls_id, self.sep_id = tok.cls_id, tok.sep_id
        if vocab_size <= max(self.cls_id, self.sep_id, PAD_ID):
            raise ValueError(f"TitleModel: vocab_size {vocab_size} has no room for [CLS]={self.cls_id} and "
                             f"[SEP]={self.sep_id}")
        blocks: list[nn.Module] = []
        width = 1
        for channels in cfg.channels:
            blocks.append(nn.Conv2d(width, channels, cfg.kernel, padding=cfg.kernel // 2))
            width = channels
        self.convs = nn.ModuleList(blocks)
        # ceil_mode: an odd number of frequency bins keeps its last bin (time is padded to a multiple first)
        halving = len(cfg.channels) if cfg.freq_pools is None else cfg.freq_pools
        self.pools = nn.ModuleList(nn.MaxPool2d((2 if i < halving else 1, 2), ceil_mode=True)
                                   for i in range(len(cfg.channels)))
        pooled = 2 * width * cfg.freq_bands  # mean and max per channel and band
        # after pooling over the real steps only: padding never reaches its statistics
        self.feature_norm = nn.BatchNorm1d(pooled) if cfg.feature_norm == "batch" else None
        self.project = nn.Linear(pooled, cfg.feature_dim)
        self.init_state = nn.Linear(cfg.feature_dim, 2 * cfg.layers * cfg.hidden)
        self.embed = nn.Embedding(vocab_size, cfg.embed_dim, padding_idx=PAD_ID)
        extra = cfg.feature_dim if cfg.inject == "par" else 0
        self.lstm = nn.LSTM(cfg.embed_dim + extra, cfg.hidden, cfg.layers, batch_first=True,
                            dropout=cfg.dropout if cfg.layers > 1 else 0.0)
        self.drop = nn.Dropout(cfg.dropout)
        self.out = nn.Linear(cfg.hidden, vocab_size)

    def encode(self, spec: Tensor, frames: Tensor) -> Tensor:
        """(B, feature_dim) image feature of (B, bins, T) spectrograms with ``frames`` (B,) real frames each.

        Padded frames are zeroed before every convolution, so a convolution at the edge of the real frames reads
        zeros whatever the padding held, as it would with no padding at all; after ReLU every value is ≥ 0, so a
        pooling window that straddles the edge takes its real value. Time is padded to a multiple of
        :attr:`TitleConfig.time_factor` so no pooling drops a trailing real frame.
        """
        if spec.dim() != 3 or frames.shape != (spec.shape[0],):
            raise ValueError(f"TitleModel: spec {tuple(spec.shape)} must be (B, bins, T) and frames "
                             f"{tuple(frames.shape)} (B,)")
        if int(frames.min()) < 1 or int(frames.max()) > spec.shape[2]:
            raise ValueError(f"TitleModel: frames {frames.tolist()} must lie in 1..{spec.shape[2]} (the padded T)")
        factor = self.cfg.time_factor
        x = F.pad(spec, (0, (-spec.shape[2]) % factor))[:, None]  # (B, 1, bins, T')
        steps = frames.to(spec.device)
        for conv, pool in zip(self.convs, self.pools, strict=True):
            x = torch.relu(conv(x * _time_mask(steps, x.shape[3])))
            x = pool(x * _time_mask(steps, x.shape[3]))
            steps = torch.div(steps + 1, 2, rounding_mode="floor")  # ceil(steps / 2)
        mask = _time_mask(steps, x.shape[3])
        x = x * mask
        mean = x.sum(dim=3) / mask.sum(dim=3)  # (B, C, F) over real steps
        peak = x.amax(dim=3)  # padding is 0 and real values are ≥ 0: the max of the real steps
        bands = self.cfg.freq_bands
        pooled = torch.cat([F.adaptive_avg_pool1d(mean, bands), F.adaptive_max_pool1d(peak, bands)], dim=1).flatten(1)
        norm = self.feature_norm
        if norm is not None:  # a training batch of one movement has no spread: it is normalized as at evaluation
            batch_stats = self.training and pooled.shape[0] > 1
            pooled = F.batch_norm(pooled, norm.running_mean, norm.running_var, norm.weight, norm.bias,
                                  training=batch_stats, momentum=norm.momentum or 0.1, eps=norm.eps)
        return torch.tanh(self.project(pooled))

    def initial_state(self, feature: Tensor) -> tuple[Tensor, Tensor]:
        """The LSTM's (h0, c0), each (layers, B, hidden), from the image feature."""
        layers, hidden = self.cfg.layers, self.cfg.hidden
        h, c = self.init_state(feature).view(feature.shape[0], 2, layers, hidden).permute(1, 2, 0, 3)
        return torch.tanh(h).contiguous(), c.contiguous()

    def forward(self, spec: Tensor, frames: Tensor, tokens: Tensor) -> Tensor:
        """(B, L - 1, vocab) teacher-forced logits of tokens[:, 1:] given tokens[:, :-1] (L ≥ 2)."""
        if tokens.dim() != 2 or tokens.shape[0] != spec.shape[0] or tokens.shape[1] < 2:
            raise ValueError(f"TitleModel: tokens {tuple(tokens.shape)} must be (B={spec.shape[0]}, L ≥ 2)")
        feature = self.encode(spec, frames)
        output, _ = self.lstm(self._inputs(self.drop(self.embed(tokens[:, :-1])), feature), self.initial_state(feature))
        return self.out(self.drop(output))

    def _inputs(self, embedded: Tensor, feature: Tensor) -> Tensor:
        """(B, L, embed [+ feature]) LSTM inputs: the words, with ``inject="par"`` each beside the image feature."""
        if self.cfg.inject != "par":
            return embedded
        return torch.cat([embedded, feature[:, None].expand(-1, embedded.shape[1], -1)], dim=2)

    def loss(self, spec: Tensor, frames: Tensor, tokens: Tensor) -> Tensor:
        """Mean cross-entropy over the real (non-[PAD]) tokens after [CLS]; padding after [SEP] never counts."""
        logits = self(spec, frames, tokens)
        return F.cross_entropy(logits.reshape(-1, self.vocab_size), tokens[:, 1:].reshape(-1), ignore_index=PAD_ID,
                               label_smoothing=self.cfg.label_smoothing)

    def _next_logprobs(self, last: Tensor, state: tuple[Tensor, Tensor], feature: Tensor
                       ) -> tuple[Tensor, tuple[Tensor, Tensor]]:
        """(n, vocab) log-probabilities after feeding ``last`` (n,) ids, [PAD] and [CLS] at -inf; the new state.
        ``feature``: (1, feature_dim), the movement's image feature."""
        output, state = self.lstm(self._inputs(self.embed(last)[:, None], feature.expand(last.shape[0], -1)), state)
        logits = self.out(output[:, 0]).float()
        logits[:, sorted({PAD_ID, self.cls_id} - {self.sep_id})] = float("-inf")
        return torch.log_softmax(logits, dim=-1), state

    def _beam_one(self, state: tuple[Tensor, Tensor], beam: int, steps: int, feature: Tensor) -> list[int]:
        """The best title of one movement from its initial LSTM state (each (layers, 1, hidden)) and its image
        feature (1, feature_dim)."""
        live = [Hypothesis((), 0.0, 0)]
        finished: list[Hypothesis] = []
        last = torch.tensor([self.cls_id], device=state[0].device)
        for _ in range(steps):
            logp, (h, c) = self._next_logprobs(last, state, feature)
            totals = torch.tensor([hyp.logprob for hyp in live], device=logp.device)[:, None] + logp
            values, flat = totals.flatten().topk(min(2 * beam, totals.numel()))
            survivors: list[Hypothesis] = []
            parents: list[int] = []
            for rank, (value, index) in enumerate(zip(values.tolist(), flat.tolist(), strict=True)):
                if value == float("-inf"):
                    break
                parent, token = divmod(index, self.vocab_size)
                if token == self.sep_id:
                    if rank < beam:  # an end further down would finish a hypothesis the beam did not keep
                        finished.append(Hypothesis(live[parent].tokens, value, live[parent].length + 1))
                elif len(survivors) < beam:
                    survivors.append(Hypothesis((*live[parent].tokens, token), value, live[parent].length + 1))
                    parents.append(parent)
            live = survivors
            if len(finished) >= beam or not live:
                break
            index_t = torch.tensor(parents, device=h.device)
            state = (h[:, index_t], c[:, index_t])
            last = torch.tensor([hyp.tokens[-1] for hyp in live], device=h.device)
        else:
            finished.extend(live)  # out of steps: the live hypotheses end here, without an end token
        best = max(finished or live, key=lambda hyp: hyp.score(self.cfg.length_penalty))
        return list(best.tokens)

    @torch.no_grad()
    def generate(self, spec: Tensor, frames: Tensor, beam: int, max_tokens: int) -> list[list[int]]:
        """Title ids (no [CLS], no [SEP]) per movement of a (B, bins, T) batch, at most ``max_tokens`` each.

        Deterministic k-beam search (beam 1 = greedy) in eval mode; the model is left in the mode it had.
        """
        if beam < 1 or max_tokens < 0:
            raise ValueError(f"title beam search: beam {beam} must be ≥ 1 and max_tokens {max_tokens} ≥ 0")
        was_training = self.training
        self.eval()
        try:
            feature = self.encode(spec, frames)
            h, c = self.initial_state(feature)
            return [self._beam_one((h[:, b : b + 1], c[:, b : b + 1]), beam, max_tokens, feature[b : b + 1])
                    for b in range(spec.shape[0])]
        finally:
            self.train(was_training)


# ---------------------------------------------------------------------------------------------
# Metrics
# ---------------------------------------------------------------------------------------------
def title_metrics(predicted: Sequence[str], reference: Sequence[str]) -> dict[str, float]:
    """BLEU-4 and BLEU-1 (sacrebleu corpus BLEU, 13a, 0-100) and the exact-match share (0-1) of generated titles.

    Both sides go through the project's case rule first (:func:`earsense_m2t.model.metrics.normalize_text`), so
    "Scherzo. Presto" and the decoder's "scherzo. presto" are one title.
    """
    if len(predicted) != len(reference) or not predicted:
        raise ValueError(f"title metrics: {len(predicted)} generated titles for {len(reference)} references "
                         "(need the same number, at least one)")
    hyps, refs = normalize_texts(predicted), normalize_texts(reference)
    bleu_1 = sacrebleu.metrics.BLEU(max_ngram_order=1).corpus_score(hyps, [refs]).score
    return {
        "bleu": corpus_bleu(hyps, refs, normalized=True),
        "bleu_1": float(bleu_1),
        "exact_match": sum(h == r for h, r in zip(hyps, refs, strict=True)) / len(hyps),
    }


def tempo_agreement(predicted_titles: Sequence[str], reference_tempo_tags: Sequence[str | None]
                    ) -> dict[str, float | int | str | None]:
    """How often a generated title's tempo class (by the release's own rules) equals the release's tempo tag.

    Each generated title is tagged by :func:`earsense_m2t.tagging.tempo.tag_tempo`, the function that tagged the
    release from the real titles, so a perfectly written title agrees wherever the release has a tag. The rules
    fold case and accents, so the decoder's lower-case text reads as the title did; the one rule lower case
    defeats is the split of run-together words ("AndanteAllegro"), which the decoder would not write apart either.

    Only movements the release tags count for ``agreement`` (``judged`` of ``movements``); a generated title without a
    tag counts as a miss. ``untagged`` is the share of all generated titles the rules leave untagged. ``majority`` is
    the share of judged movements whose tag is the most common one (``majority_tag``; a tie goes to the slower class):
    what always writing that tempo would reach. ``agreement`` and ``majority`` are None when no movement is judged.
    """
    if len(predicted_titles) != len(reference_tempo_tags) or not predicted_titles:
        raise ValueError(f"tempo agreement: {len(predicted_titles)} generated titles for {len(reference_tempo_tags)} "
                         "reference tags (need the same number, at least one)")
    for i, tag in enumerate(reference_tempo_tags):
        if tag is not None and tag not in TEMPO_ORDER:
            raise ValueError(f"tempo agreement: reference tag {tag!r} of movement {i}; expected one of "
                             f"{', '.join(TEMPO_ORDER)} or None")
    tags = [tag_tempo(title).tag for title in predicted_titles]
    judged = [(p, r) for p, r in zip(tags, reference_tempo_tags, strict=True) if r is not None]
    counts = Counter(r for _, r in judged)
    majority_tag = max(TEMPO_ORDER, key=lambda t: (counts[t], -TEMPO_ORDER.index(t))) if judged else None
    return {
        "movements": len(tags),
        "judged": len(judged),
        "agreement": sum(p == r for p, r in judged) / len(judged) if judged else None,
        "untagged": sum(t is None for t in tags) / len(tags),
        "majority_tag": majority_tag,
        "majority": counts[majority_tag] / len(judged) if majority_tag is not None else None,
    }


__all__ = ["CITATION", "DIFFERENCES", "FEATURE_NORMS", "NOT_REPRODUCED", "NOT_STATED", "PAPER_BLEU", "PAPER_VALUES",
           "SELECTIONS", "TITLE_CONFIGS", "TitleConfig", "TitleModel", "get_title_config", "hyperparameters", "tempo_agreement",
           "title_metrics"]

"""MusCALL (Manco et al., ISMIR 2022): an audio encoder and a text encoder trained contrastively for retrieval.

Each side is encoded, projected linearly into one shared space and L2-normalized; the batch's audio–text
cosines, scaled by a learned temperature, go into the symmetric InfoNCE loss of CLIP (each audio should
pick its own text out of the batch's texts, and each text its own audio). The paper's addition is the
**content-aware loss weighting**: batches of free-text descriptions contain texts that say nearly the same
thing, so each sample's InfoNCE term is weighted by how its text relates to the batch's other texts, as a
Sentence-BERT encoder measures it (:func:`content_weights`; the similarities come from
:func:`earsense_m2t.model.sentence_similarity.sentence_similarity`).

Where the figures come from: the paper's PDF is not available offline. :data:`PAPER_VALUES` holds what
the authors' released code and configs say (the model and training configs and the model module, read
while writing this module), marked
"code:"; a value we could not find is "not stated". Where the paper's text and that code disagree, this
module cannot tell. :data:`DIFFERENCES` gives the reason for each place where our ``paper`` config or the
architecture departs from them, and for each size the ``tiny`` config reduces.

The audio side reads the release's standardized log-mel spectrograms (``batch.spec``, (B, bins, T), padded
in time; ``batch.frames`` real frames), not raw audio as the authors' model does, and is trained from
scratch: no pretrained audio weights are available offline (the authors' audio encoder is also trained from
scratch, so this costs nothing but their 250k-pair corpus). Padding never reaches an embedding: every
layer zeroes the time positions past a sample's length, the group norms leave them out of their statistics
and the pooling attends only to real steps.

Not built: the authors' optional audio self-supervised branch (SimCLR on augmented audio, weight 0.3 when on;
off in their default config), and the random 20-s crop of their data loader (the release's examples are cut
from their start by the data path).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields, replace

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from earsense_m2t.model.batch import Batch
from earsense_m2t.model.music import MaskedGroupNorm
from earsense_m2t.model.tokenizer import VOCAB_SIZE

AUDIO_POOLINGS = ("attention", "average")
#: which samples the content-aware weighting favours (:func:`content_weights` says why there are two)
WEIGHT_TOWARD = ("similar", "dissimilar")


@dataclass(frozen=True)
class MusCallConfig:
    """Every size, loss and optimizer setting of one MusCALL model; ``paper()`` and ``tiny()`` are the named sets."""

    name: str
    # audio encoder: a ResNet over (bins, frames) with per-sample group norms, then pooling over time
    stem_channels: int = 16
    channels: tuple[int, ...] = (64, 128, 256, 512)  # one stage each; every stage after the first halves both axes
    blocks: tuple[int, ...] = (3, 4, 6, 3)  # residual blocks per stage (ResNet-50's counts)
    norm_groups: int = 8
    audio_pooling: str = "attention"  # one of AUDIO_POOLINGS
    pool_heads: int = 8
    audio_hidden: int = 256  # the pooled audio feature, before the projection
    max_frames: int = 1250  # 20 s at the release's 16 kHz / hop 256 (62.5 frames/s)
    # text encoder: a pre-norm transformer over WordPiece ids, pooled at the last real token ([SEP])
    text_width: int = 512
    text_layers: int = 4
    text_heads: int = 8
    text_ffn: int = 2048
    max_text_tokens: int = 77
    dropout: float = 0.2
    # the shared space and the loss
    embed_dim: int = 512
    init_temperature: float = 0.07
    learn_temperature: bool = True
    max_logit_scale: float = 100.0  # the learned 1/temperature is clamped here, as CLIP does
    content_aware: bool = True
    kappa: float = 0.01
    weight_toward: str = "similar"  # one of WEIGHT_TOWARD
    # optimization
    batch_size: int = 256
    lr: float = 5e-5
    weight_decay: float = 0.2
    adam_betas: tuple[float, float] = (0.9, 0.98)
    adam_eps: float = 1e-6
    epochs: int = 100

    def __post_init__(self) -> None:
        if len(self.channels) != len(self.blocks) or not self.channels:
            raise ValueError(f"MusCallConfig {self.name}: {len(self.channels)} stage widths but {len(self.blocks)} "
                             "block counts")
        if min(self.blocks) < 1:
            raise ValueError(f"MusCallConfig {self.name}: blocks {self.blocks} must all be ≥ 1")
        if self.audio_pooling not in AUDIO_POOLINGS:
            raise ValueError(f"MusCallConfig {self.name}: audio_pooling {self.audio_pooling!r}; known: "
                             f"{', '.join(AUDIO_POOLINGS)}")
        if self.weight_toward not in WEIGHT_TOWARD:
            raise ValueError(f"MusCallConfig {self.name}: weight_toward {self.weight_toward!r}; known: "
                             f"{', '.join(WEIGHT_TOWARD)}")
        if self.channels[-1] % self.pool_heads or self.text_width % self.text_heads:
            raise ValueError(f"MusCallConfig {self.name}: widths {self.channels[-1]}/{self.text_width} are not multiples "
                             f"of heads {self.pool_heads}/{self.text_heads}")
        if self.kappa <= 0 or self.init_temperature <= 0 or self.max_logit_scale <= 0:
            raise ValueError(f"MusCallConfig {self.name}: kappa {self.kappa}, init_temperature {self.init_temperature} "
                             f"and max_logit_scale {self.max_logit_scale} must be > 0")

    @property
    def time_factor(self) -> int:
        """Frames per pooled audio step: the stem halves time, and so does every stage after the first."""
        return 2 ** len(self.channels)

    @classmethod
    def paper(cls) -> MusCallConfig:
        return cls(name="paper")

    @classmethod
    def tiny(cls) -> MusCallConfig:
        # κ is scaled with the batch: the weighting's logits are (share of the batch's similarity) / κ, and a share
        # is ~1 / batch, so κ · batch fixed keeps the weights as peaked as the paper's κ = 0.01 at 256
        return cls(name="tiny", stem_channels=8, channels=(8, 16, 32), blocks=(1, 1, 1), norm_groups=4, pool_heads=2,
                   audio_hidden=32, max_frames=256, text_width=32, text_layers=1, text_heads=2, text_ffn=64,
                   max_text_tokens=64, dropout=0.0, embed_dim=32, kappa=0.01 * 256 / 8, batch_size=8, lr=1e-3,
                   weight_decay=0.01, epochs=10)

    def with_(self, **changes: object) -> MusCallConfig:
        """A copy with some values changed (validated again)."""
        return replace(self, **changes)  # type: ignore[arg-type]


#: field → the authors' value ("code:" = their released configs and code; the paper's PDF was not at hand)
PAPER_VALUES: dict[str, str] = {
    "stem_channels": "code: 3-convolution stem (CLIP's ModifiedResNet), widths 8, 8, 16 (conv_out_channels 16)",
    "channels": "code: bottleneck stages of width 16·(1, 2, 4, 8), outputs 64, 128, 256, 512",
    "blocks": "code: (3, 4, 6, 3) bottleneck blocks (ResNet-50)",
    "norm_groups": "code: BatchNorm (no groups)",
    "audio_pooling": "code: attention (CLIP's AttentionPool2d over frequency × time, with positions)",
    "pool_heads": "code: 8",
    "audio_hidden": "code: 256 (hidden_size, the attention pool's output)",
    "max_frames": "code: 20 s clips, 128 mels from raw 16 kHz audio, n_fft 1024, hop 512 (~625 frames)",
    "text_width": "code: 512",
    "text_layers": "code: 4",
    "text_heads": "code: 8",
    "text_ffn": "not stated (CLIP's text transformer uses 4 × width = 2048)",
    "max_text_tokens": "code: 77 (CLIP's BPE, 49,408 tokens)",
    "dropout": "code: 0.2 (attention and feed-forward)",
    "embed_dim": "code: 512 (projection_dim; projections without bias)",
    "init_temperature": "code: learned, logit scale initialized to log(1 / 0.07)",
    "learn_temperature": "code: yes (temperature: null)",
    "max_logit_scale": "code: clamped at log(100) after each step",
    "content_aware": "code: optional (loss 'weighted_clip'; default 'clip'); the paper's proposed loss",
    "kappa": "code: 0.01",
    "weight_toward": "code: exp(+share / κ), i.e. samples whose texts resemble the batch's others weigh more",
    "batch_size": "code: 256",
    "lr": "code: 5e-5 (AdamW, cosine annealing)",
    "weight_decay": "code: 0.2",
    "adam_betas": "code: (0.9, 0.98)",
    "adam_eps": "code: 1e-6",
    "epochs": "code: 100",
}

#: field → why our value or architecture differs from :data:`PAPER_VALUES` (the ``paper`` config, and what ``tiny`` shrinks)
DIFFERENCES: dict[str, str] = {
    "stem_channels": "one strided 3×3 convolution, not CLIP's three-convolution stem with average pooling: fewer "
                     "layers to mask for padding; tiny: 8 channels for 2 CPU cores",
    "channels": "basic (two 3×3) residual blocks of these widths instead of 4×-expanding bottlenecks, strided "
                "convolutions instead of CLIP's anti-aliasing average pools; tiny: (8, 16, 32) for 2 CPU cores",
    "blocks": "tiny: one block per stage, for 2 CPU cores",
    "norm_groups": "per-sample group norms (earsense_m2t.model.music.MaskedGroupNorm) instead of BatchNorm: batch "
                   "statistics would count the time padding and make an embedding depend on its batch companions",
    "audio_pooling": "attention over time steps only (frequency averaged first) with no position table: movements "
                     "vary in length, the authors' fixed 20-s grid does not",
    "pool_heads": "tiny: 2 heads for its 32 channels",
    "audio_hidden": "tiny: 32, for 2 CPU cores",
    "max_frames": "the release's standardized log-mel spectrograms (16 kHz, hop 256) instead of raw audio, first "
                  "1,250 frames (20 s) of each example instead of a random 20-s crop; tiny: 256 frames",
    "text_width": "tiny: 32, for 2 CPU cores",
    "text_layers": "tiny: 1 layer, for 2 CPU cores",
    "text_heads": "tiny: 2 heads",
    "text_ffn": "tiny: 64",
    "max_text_tokens": "the project's bert-base-uncased WordPiece (30,522) instead of CLIP's BPE (not in the model "
                       "extra); pooled at [SEP] as the authors pool at the end-of-text token; tiny: 64 tokens",
    "dropout": "tiny: 0, so a few hundred steps converge in the tests",
    "embed_dim": "tiny: 32, for 2 CPU cores",
    "content_aware": "on in the paper config: it is the paper's proposed loss (the code's default is plain CLIP)",
    "kappa": "tiny: 0.01 × 256 / 8, so the weights are as peaked at its batch of 8 as the paper's at 256",
    "batch_size": "tiny: 8, for 2 CPU cores (InfoNCE has 7 negatives instead of 255)",
    "lr": "tiny: 1e-3 with no schedule, so a tiny model moves in few steps",
    "weight_decay": "tiny: 0.01, as weight decay 0.2 at lr 1e-3 shrinks a tiny model faster than it learns",
    "epochs": "tiny: 10, for the ≤ 1 hour budget on 2 cores",
}


def content_weights(text_similarity: Tensor, kappa: float, toward: str = "similar") -> Tensor:
    """(B,) weights summing to 1: MusCALL's content-aware weighting of each sample's InfoNCE term.

    Our formulation, from the authors' released code (``weighted_loss``; the paper's equations were not at
    hand), with S the (B, B) text–text cosines:

    - s̄ᵢ = (1/B) Σ_{j≠i} Sᵢⱼ, how alike the batch's *other* texts are to text i (the diagonal is left out;
      the code divides by B, not B − 1, which only rescales);
    - rᵢ = s̄ᵢ / Σₖ |s̄ₖ|, its share of the batch's total (the code divides by Σₖ s̄ₖ; the absolute value
      keeps a batch whose mean similarities sum to ~0 from blowing up, and changes nothing when all are
      positive, as Sentence-BERT cosines of descriptions nearly always are);
    - wᵢ = softmax(± r / κ)ᵢ. The code's exp(rᵢ / κ) / Σₖ exp(rₖ / κ) is the "+" sign (``toward="similar"``):
      a sample whose text resembles many others, i.e. whose negatives are hard, weighs *more*. The brief of
      issue 26 reads the weighting the other way round ("how dissimilar the other texts are"), which is
      ``toward="dissimilar"``: the sign flips, and samples with near-duplicate negatives weigh less. We are
      unsure which the paper's text states; the default follows the released code.

    Equal similarities give every sample the same share and so weights 1/B: the loss is plain InfoNCE. The
    same weights serve both directions (audio→text and text→audio), as in the code.
    """
    if toward not in WEIGHT_TOWARD:
        raise ValueError(f"content weights: toward {toward!r}; known: {', '.join(WEIGHT_TOWARD)}")
    b = text_similarity.shape[0]
    if text_similarity.shape != (b, b):
        raise ValueError(f"content weights: text similarity of shape {tuple(text_similarity.shape)}, expected ({b}, {b})")
    off = text_similarity * (1.0 - torch.eye(b, dtype=text_similarity.dtype, device=text_similarity.device))
    mean = off.sum(dim=1) / b
    share = mean / mean.abs().sum().clamp(min=1e-12)
    sign = 1.0 if toward == "similar" else -1.0
    return torch.softmax(sign * share / kappa, dim=0)


def info_nce(audio: Tensor, text: Tensor, logit_scale: Tensor | float, weights: Tensor | None = None) -> Tensor:
    """Symmetric InfoNCE of unit-norm (B, d) embeddings: ½ (Σᵢ wᵢ CEᵢ(audio→text) + Σᵢ wᵢ CEᵢ(text→audio)).

    Row i of ``logit_scale · audio @ textᵀ`` is a B-way classification whose answer is i (audio i picks its
    text), column i the same from the text's side. ``weights`` (B,) summing to 1; None = 1/B each (the mean).
    """
    logits = logit_scale * audio @ text.T
    labels = torch.arange(logits.shape[0], device=logits.device)
    a2t = F.cross_entropy(logits, labels, reduction="none")
    t2a = F.cross_entropy(logits.T, labels, reduction="none")
    if weights is None:
        return (a2t.mean() + t2a.mean()) / 2
    w = weights.to(logits.dtype)
    return ((w * a2t).sum() + (w * t2a).sum()) / 2


def _groups(groups: int, channels: int) -> int:
    return math.gcd(groups, channels)


class ResidualBlock(nn.Module):
    """Two 3×3 convolutions with group norms and a shortcut; time positions past the sample's length stay 0."""

    def __init__(self, cin: int, cout: int, stride: int, groups: int) -> None:
        super().__init__()
        self.stride = stride
        self.conv1 = nn.Conv2d(cin, cout, 3, stride=stride, padding=1, bias=False)
        self.norm1 = MaskedGroupNorm(_groups(groups, cout), cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, padding=1, bias=False)
        self.norm2 = MaskedGroupNorm(_groups(groups, cout), cout)
        self.skip: nn.Conv2d | None = None
        self.skip_norm: MaskedGroupNorm | None = None
        if stride != 1 or cin != cout:
            # a 1×1 convolution of stride s keeps ceil(T / s) positions, as the 3×3 one with padding 1 does
            self.skip = nn.Conv2d(cin, cout, 1, stride=stride, bias=False)
            self.skip_norm = MaskedGroupNorm(_groups(groups, cout), cout)

    def forward(self, x: Tensor, lengths: Tensor) -> tuple[Tensor, Tensor]:
        lengths = torch.div(lengths + self.stride - 1, self.stride, rounding_mode="floor")
        h = self.conv1(x)
        keep = torch.arange(h.shape[3], device=h.device)[None, :] < lengths[:, None]
        m = keep[:, None, None, :].to(h.dtype)
        h = F.relu(self.norm1(h, keep)) * m
        h = self.norm2(self.conv2(h), keep)
        s = x if self.skip is None or self.skip_norm is None else self.skip_norm(self.skip(x), keep)
        return F.relu(h + s) * m, lengths


class MaskedAttentionPool(nn.Module):
    """CLIP's attention pooling over time: the masked mean of the steps asks, the real steps (and itself) answer."""

    def __init__(self, dim: int, heads: int, out_dim: int) -> None:
        super().__init__()
        self.attn = nn.MultiheadAttention(dim, heads, batch_first=True)
        self.out = nn.Linear(dim, out_dim)

    def forward(self, x: Tensor, mask: Tensor) -> Tensor:
        w = mask[:, :, None].to(x.dtype)
        mean = (x * w).sum(dim=1, keepdim=True) / w.sum(dim=1, keepdim=True).clamp(min=1.0)
        keys = torch.cat([mean, x], dim=1)
        ignore = torch.cat([torch.zeros_like(mask[:, :1]), ~mask], dim=1)
        pooled, _ = self.attn(mean, keys, keys, key_padding_mask=ignore, need_weights=False)
        return self.out(pooled[:, 0])


class AudioEncoder(nn.Module):
    """(B, bins, T) spectrograms with (B,) real frames → (B, audio_hidden) pooled features."""

    def __init__(self, cfg: MusCallConfig) -> None:
        super().__init__()
        self.stem = nn.Conv2d(1, cfg.stem_channels, 3, stride=2, padding=1, bias=False)
        self.stem_norm = MaskedGroupNorm(_groups(cfg.norm_groups, cfg.stem_channels), cfg.stem_channels)
        self.blocks = nn.ModuleList()
        cin = cfg.stem_channels
        for stage, (cout, n) in enumerate(zip(cfg.channels, cfg.blocks, strict=True)):
            for i in range(n):
                stride = 2 if stage > 0 and i == 0 else 1
                self.blocks.append(ResidualBlock(cin, cout, stride, cfg.norm_groups))
                cin = cout
        self.pool: MaskedAttentionPool | nn.Linear
        if cfg.audio_pooling == "attention":
            self.pool = MaskedAttentionPool(cin, cfg.pool_heads, cfg.audio_hidden)
        else:
            self.pool = nn.Linear(cin, cfg.audio_hidden)

    def forward(self, spec: Tensor, frames: Tensor) -> Tensor:
        keep = torch.arange(spec.shape[2], device=spec.device)[None, :] < frames[:, None]
        x = (spec * keep[:, None, :].to(spec.dtype)).unsqueeze(1)
        lengths = torch.div(frames + 1, 2, rounding_mode="floor")
        x = self.stem(x)
        keep = torch.arange(x.shape[3], device=x.device)[None, :] < lengths[:, None]
        x = F.relu(self.stem_norm(x, keep)) * keep[:, None, None, :].to(x.dtype)
        for block in self.blocks:
            x, lengths = block(x, lengths)
        steps = x.mean(dim=2).transpose(1, 2)  # frequency averaged: (B, T', C)
        mask = torch.arange(steps.shape[1], device=steps.device)[None, :] < lengths[:, None]
        if isinstance(self.pool, MaskedAttentionPool):
            return self.pool(steps, mask)
        w = mask[:, :, None].to(steps.dtype)
        return self.pool((steps * w).sum(dim=1) / w.sum(dim=1).clamp(min=1.0))


class TextEncoder(nn.Module):
    """(B, L) WordPiece ids with their mask → (B, text_width): a pre-norm transformer read at the last real token."""

    def __init__(self, cfg: MusCallConfig, vocab_size: int) -> None:
        super().__init__()
        self.words = nn.Embedding(vocab_size, cfg.text_width, padding_idx=0)
        self.positions = nn.Embedding(cfg.max_text_tokens, cfg.text_width)
        for table in (self.words, self.positions):
            nn.init.normal_(table.weight, std=0.02)
        layer = nn.TransformerEncoderLayer(cfg.text_width, cfg.text_heads, cfg.text_ffn, cfg.dropout,
                                           activation="gelu", batch_first=True, norm_first=True)
        self.layers = nn.TransformerEncoder(layer, cfg.text_layers, enable_nested_tensor=False)
        self.norm = nn.LayerNorm(cfg.text_width)

    def forward(self, ids: Tensor, mask: Tensor) -> Tensor:
        if ids.shape[1] > self.positions.num_embeddings:
            raise ValueError(f"MusCALL text encoder: {ids.shape[1]} tokens, more than the {self.positions.num_embeddings} "
                             "positions (max_text_tokens); encode with that cap")
        x = self.words(ids) + self.positions(torch.arange(ids.shape[1], device=ids.device))[None]
        x = self.norm(self.layers(x, src_key_padding_mask=~mask))
        last = (mask.sum(dim=1) - 1).clamp(min=0)
        return x[torch.arange(x.shape[0], device=x.device), last]


class MusCallModel(nn.Module):
    """Both encoders, their projections into the shared space, and the learned temperature."""

    def __init__(self, cfg: MusCallConfig, vocab_size: int = VOCAB_SIZE) -> None:
        super().__init__()
        self.cfg = cfg
        self.audio_encoder = AudioEncoder(cfg)
        self.text_encoder = TextEncoder(cfg, vocab_size)
        self.audio_projection = nn.Linear(cfg.audio_hidden, cfg.embed_dim, bias=False)
        self.text_projection = nn.Linear(cfg.text_width, cfg.embed_dim, bias=False)
        # log-parameterized, so the scale stays positive and its steps are relative
        self.log_scale = nn.Parameter(torch.tensor(math.log(1.0 / cfg.init_temperature)),
                                      requires_grad=cfg.learn_temperature)

    def logit_scale(self) -> Tensor:
        """1 / temperature, clamped at ``max_logit_scale`` (CLIP's 100: beyond it training becomes unstable)."""
        return self.log_scale.clamp(max=math.log(self.cfg.max_logit_scale)).exp()

    @torch.no_grad()
    def clamp_temperature_(self) -> None:
        """Clamp the parameter itself, as the authors do after each step, so it cannot drift far past the bound
        where the clamp in :meth:`logit_scale` stops its gradient."""
        self.log_scale.clamp_(max=math.log(self.cfg.max_logit_scale))

    def encode_audio(self, spec: Tensor, frames: Tensor) -> Tensor:
        """(B, embed_dim) unit-norm embeddings of (B, bins, T) spectrograms with (B,) real frames."""
        return F.normalize(self.audio_projection(self.audio_encoder(spec, frames)), dim=-1)

    def encode_text(self, tokens: Tensor, mask: Tensor) -> Tensor:
        """(B, embed_dim) unit-norm embeddings of (B, L) WordPiece ids (0 = [PAD]) with their (B, L) mask: also
        what zero-shot use embeds its tag words with."""
        return F.normalize(self.text_projection(self.text_encoder(tokens, mask)), dim=-1)

    def embed_audio(self, batch: Batch) -> Tensor:
        """(B, embed_dim) unit-norm audio embeddings of a batch."""
        return self.encode_audio(batch.spec, batch.frames)

    def embed_text(self, batch: Batch) -> Tensor:
        """(B, embed_dim) unit-norm text embeddings of a batch."""
        return self.encode_text(batch.tokens, batch.token_mask)

    def loss(self, batch: Batch, text_similarity: Tensor | None = None) -> Tensor:
        """Symmetric InfoNCE of the batch; with ``text_similarity`` (B, B) and ``cfg.content_aware``, each
        sample's terms weighted by :func:`content_weights` (the similarities carry no gradient)."""
        audio, text = self.embed_audio(batch), self.embed_text(batch)
        weights = None
        if text_similarity is not None and self.cfg.content_aware:
            weights = content_weights(text_similarity.detach().to(audio.device, audio.dtype), self.cfg.kappa,
                                      self.cfg.weight_toward)
        return info_nce(audio, text, self.logit_scale(), weights)


def make_optimizer(model: MusCallModel) -> torch.optim.AdamW:
    """AdamW with the config's settings; weight decay on matrices and convolution kernels only.

    Decaying the temperature, the norms' gains and the biases would pull them toward 0 for no reason (a
    temperature of 1 makes every logit lie within ±1, a zero gain switches a channel off); CLIP's training
    excludes them too. The authors' MusCALL code decays every parameter; with their small decay per step
    (lr 5e-5 × 0.2) the difference is slight.
    """
    cfg = model.cfg
    params = [p for p in model.parameters() if p.requires_grad]
    decay = [p for p in params if p.dim() >= 2]
    rest = [p for p in params if p.dim() < 2]
    return torch.optim.AdamW([{"params": decay, "weight_decay": cfg.weight_decay}, {"params": rest, "weight_decay": 0.0}],
                             lr=cfg.lr, betas=cfg.adam_betas, eps=cfg.adam_eps)


CONFIGS = {"paper": MusCallConfig.paper, "tiny": MusCallConfig.tiny}


def get_config(name: str) -> MusCallConfig:
    """The named config; an unknown name is an error that lists the known ones."""
    try:
        return CONFIGS[name]()
    except KeyError:
        raise ValueError(f"unknown MusCALL config {name!r}; known: {', '.join(sorted(CONFIGS))}") from None


def config_fields() -> list[str]:
    """The hyper-parameter fields of :class:`MusCallConfig` (all but ``name``), in declaration order."""
    return [f.name for f in fields(MusCallConfig) if f.name != "name"]


__all__ = ["AUDIO_POOLINGS", "CONFIGS", "DIFFERENCES", "PAPER_VALUES", "WEIGHT_TOWARD", "AudioEncoder",
           "MaskedAttentionPool", "MusCallConfig", "MusCallModel", "ResidualBlock", "TextEncoder", "config_fields",
           "content_weights", "get_config", "info_nce", "make_optimizer"]

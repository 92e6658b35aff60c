"""The music autoencoder: spectrogram → one vector per 64 frames → spectrogram again.

Encoder (paper): 8 Conv2d (kernel 3, padding 1, LeakyReLU) with channels 1→64→128→128→128→256→512→768→768
and strides 2,2,2,2,2,(2,1),2,(2,1) as (frequency, time), so 256 bins become 1 and time shrinks 64-fold;
then Linear 768→768 and a 2-layer transformer over the steps. Two additions (issue 20; :class:`MusicEncoder`
says why): a per-sample group norm after each convolution and learned positions before the transformer;
``conv_norm="none"`` and ``music_positions=False`` build the old encoder. The decoder mirrors the
convolutions with ConvTranspose2d. The reconstruction loss is MSE plus the MSE of the differences along frequency and
along time (they make the decoder keep edges, not only levels), computed on a random window of encoder
steps so its memory does not grow with the movement.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from earsense_m2t.model.config import GTPConfig


def step_mask(lengths: Tensor, steps: int) -> Tensor:
    """(B, steps) True where an encoder step covers real frames (a step is real if it has any)."""
    return torch.arange(steps, device=lengths.device)[None, :] < lengths[:, None]


class MaskedGroupNorm(nn.Module):
    """GroupNorm over (channels of a group, frequency, real time positions) of each sample, then a per-channel affine.

    ``nn.GroupNorm`` would count the time padding of a batch in its statistics, so a movement's encoding
    would depend on how much longer the other movements of its batch are; here padded positions are
    left out of the mean and variance (a (B, T) ``keep`` mask), which keeps the encoder's guarantee that
    padding never reaches a real step.
    """

    def __init__(self, groups: int, channels: int, eps: float = 1e-5) -> None:
        super().__init__()
        if channels % groups:
            raise ValueError(f"group norm: {channels} channels are not a multiple of {groups} groups")
        self.groups, self.eps = groups, eps
        self.weight = nn.Parameter(torch.ones(channels))
        self.bias = nn.Parameter(torch.zeros(channels))

    def forward(self, x: Tensor, keep: Tensor | None = None) -> Tensor:
        b, c, f, t = x.shape
        g = x.reshape(b, self.groups, c // self.groups, f, t)
        if keep is None:
            mean = g.mean(dim=(2, 3, 4), keepdim=True)
            var = g.var(dim=(2, 3, 4), keepdim=True, unbiased=False)
        else:
            w = keep[:, None, None, None, :].to(x.dtype)
            count = (w.sum(dim=4, keepdim=True) * (c // self.groups) * f).clamp(min=1.0)
            mean = (g * w).sum(dim=(2, 3, 4), keepdim=True) / count
            var = (((g - mean) ** 2) * w).sum(dim=(2, 3, 4), keepdim=True) / count
        out = ((g - mean) * torch.rsqrt(var + self.eps)).reshape(b, c, f, t)
        return out * self.weight[None, :, None, None] + self.bias[None, :, None, None]


class MusicEncoder(nn.Module):
    """(B, bins, frames) standardized spectrograms → (B, frames / 64, hidden) contextual steps.

    Two additions to the paper's text make the pooled representation usable (issue 20: without them the
    off-diagonal cosine of any two pooled movements was 1.0000, before and after training, because 8
    un-normalized LeakyReLU convolutions drive the correlation of any two inputs from 0.37 to 0.997 and
    time pooling then removes what still differs):

    - ``conv_norm="group"``: a :class:`MaskedGroupNorm` after each convolution, before its LeakyReLU. A
      norm *per sample*, not BatchNorm: the paper's config trains one movement per forward pass
      (``micro_batch`` 1), where batch statistics are one movement's own; BatchNorm would also behave
      differently in eval mode, which is the mode the momentum encoder always runs in, and would make an
      encoding depend on its batch companions. Groups of several channels rather than one per channel
      (instance norm) so the relative level of channels within a group, what a movement's timbre is
      made of, is kept. ``"none"`` builds the old stack (for the tests that show it is degenerate).
    - ``music_positions``: learned position embeddings (one per encoder step, up to
      ``max_encoder_steps``; BERT's initialization) added before the transformer, as the authors' music
      transformer has them: without positions self-attention is blind to order, and every step of a
      movement attends to the same mixture.
    """

    def __init__(self, cfg: GTPConfig) -> None:
        super().__init__()
        self.convs = nn.ModuleList()
        self.norms = nn.ModuleList()
        in_ch = 1
        normed = cfg.conv_norm == "group"
        for out_ch, stride in zip(cfg.channels, cfg.strides, strict=True):
            # a bias before a norm is removed by it (its gradient is rounding noise, which Adam scales up to steps
            # of lr): the norm's own per-channel bias takes its place
            self.convs.append(nn.Conv2d(in_ch, out_ch, kernel_size=3, stride=stride, padding=1, bias=not normed))
            self.norms.append(MaskedGroupNorm(min(cfg.conv_groups, out_ch), out_ch) if normed else nn.Identity())
            in_ch = out_ch
        self.act = nn.LeakyReLU()
        self.time_strides = tuple(t for _, t in cfg.strides)
        self.proj = nn.Linear(in_ch, cfg.hidden)
        self.positions: nn.Embedding | None = None
        if cfg.music_positions:
            self.positions = nn.Embedding(cfg.max_encoder_steps, cfg.hidden)
            nn.init.normal_(self.positions.weight, std=0.02)
        layer = nn.TransformerEncoderLayer(cfg.hidden, cfg.heads, cfg.ffn, cfg.dropout, batch_first=True)
        self.transformer = nn.TransformerEncoder(layer, cfg.music_layers, enable_nested_tensor=False)
        self.time_factor = cfg.time_factor

    def convolve(self, spec: Tensor, frames: Tensor | None = None) -> Tensor:
        """(B, bins, frames) → (B, steps, channels): the convolutions only (frequency collapsed to 1).

        After each layer, the time positions past a sample's real length are set to 0, as the convolution's
        own padding is: otherwise the bias and activation of padded positions leak into the real ones next
        to them, and a movement's encoding would depend on how much longer the others of its batch are.
        The group norm's statistics leave them out for the same reason.
        """
        x = spec.unsqueeze(1)
        lengths = frames
        for conv, norm, stride in zip(self.convs, self.norms, self.time_strides, strict=True):
            x = conv(x)
            keep = None
            if lengths is not None:
                lengths = torch.div(lengths + stride - 1, stride, rounding_mode="floor")
                keep = torch.arange(x.shape[3], device=x.device)[None, :] < lengths[:, None]
            x = self.act(norm(x, keep) if isinstance(norm, MaskedGroupNorm) else norm(x))
            if keep is not None:
                x = x * keep[:, None, None, :].to(x.dtype)
        if x.shape[2] != 1:
            raise ValueError(f"music encoder: {spec.shape[1]} bins leave frequency {x.shape[2]}, expected 1")
        return x.squeeze(2).transpose(1, 2)

    def forward(self, spec: Tensor, frames: Tensor | None = None) -> tuple[Tensor, Tensor]:
        """Steps and their mask; ``frames`` (B,) are the real frames of each padded spectrogram."""
        x = self.proj(self.convolve(spec, frames))
        steps = x.shape[1]
        if self.positions is not None:
            if steps > self.positions.num_embeddings:
                raise ValueError(f"music encoder: {steps} steps, more than the {self.positions.num_embeddings} "
                                 "positions (max_encoder_steps); cut the input to max_frames first")
            x = x + self.positions(torch.arange(steps, device=x.device))[None]
        if frames is None:
            frames = torch.full((spec.shape[0],), spec.shape[2], device=spec.device)
        mask = step_mask(torch.div(frames + self.time_factor - 1, self.time_factor, rounding_mode="floor"), steps)
        return self.transformer(x, src_key_padding_mask=~mask), mask


class MusicDecoder(nn.Module):
    """(B, steps, hidden) → (B, bins, steps × 64): the encoder's convolutions mirrored."""

    def __init__(self, cfg: GTPConfig) -> None:
        super().__init__()
        self.proj = nn.Linear(cfg.hidden, cfg.channels[-1])
        outs = [*reversed(cfg.channels[:-1]), 1]
        layers: list[nn.Module] = []
        in_ch = cfg.channels[-1]
        for i, (out_ch, stride) in enumerate(zip(outs, reversed(cfg.strides), strict=True)):
            # output_padding = stride - 1 makes each layer undo its encoder twin's size exactly
            layers.append(nn.ConvTranspose2d(in_ch, out_ch, kernel_size=3, stride=stride, padding=1,
                                             output_padding=(stride[0] - 1, stride[1] - 1)))
            if i < len(outs) - 1:
                layers.append(nn.LeakyReLU())
            in_ch = out_ch
        self.deconvs = nn.Sequential(*layers)

    def forward(self, steps: Tensor) -> Tensor:
        x = self.proj(steps).transpose(1, 2).unsqueeze(2)  # (B, C, 1, steps)
        return self.deconvs(x).squeeze(1)


def reconstruction_loss(target: Tensor, output: Tensor, frame_mask: Tensor | None = None) -> Tensor:
    """MSE + MSE of frequency differences + MSE of time differences, over real frames only."""
    if frame_mask is None:
        frame_mask = torch.ones(target.shape[0], target.shape[2], dtype=torch.bool, device=target.device)
    m = frame_mask[:, None, :].to(target.dtype)

    def mse(a: Tensor, b: Tensor, w: Tensor) -> Tensor:
        w = w.expand_as(a)
        return ((a - b) ** 2 * w).sum() / w.sum().clamp(min=1.0)

    level = mse(output, target, m)
    freq = mse(output.diff(dim=1), target.diff(dim=1), m)
    time = mse(output.diff(dim=2), target.diff(dim=2), m[:, :, 1:] * m[:, :, :-1])
    return level + freq + time


def random_window(steps: Tensor, mask: Tensor, crop: int, generator: torch.Generator | None = None) -> tuple[Tensor, Tensor]:
    """Per sample, a start step and a window of ``crop`` steps within its real steps (shorter: from 0)."""
    real = mask.sum(dim=1)
    room = (real - crop).clamp(min=0) + 1
    starts = (torch.rand(real.shape, generator=generator, device=steps.device) * room).floor().long()
    index = starts[:, None] + torch.arange(crop, device=steps.device)[None, :]
    index = index.clamp(max=steps.shape[1] - 1)
    window = torch.gather(steps, 1, index[:, :, None].expand(-1, -1, steps.shape[2]))
    return window, starts


def reconstruct_window(decoder: MusicDecoder, spec: Tensor, frames: Tensor, steps: Tensor, mask: Tensor,
                       cfg: GTPConfig, generator: torch.Generator | None = None) -> Tensor:
    """The reconstruction loss on a random window of ``cfg.recon_crop_steps`` encoder steps."""
    crop = min(cfg.recon_crop_steps, steps.shape[1])
    window, starts = random_window(steps, mask, crop, generator)
    out = decoder(window)  # (B, bins, crop × 64)
    span = crop * cfg.time_factor
    first = starts * cfg.time_factor
    index = (first[:, None] + torch.arange(span, device=spec.device)[None, :]).clamp(max=spec.shape[2] - 1)
    target = torch.gather(spec, 2, index[:, None, :].expand(-1, spec.shape[1], -1))
    frame_mask = (first[:, None] + torch.arange(span, device=spec.device)[None, :]) < frames[:, None]
    return reconstruction_loss(target, out, frame_mask)


class MusicAutoencoder(nn.Module):
    """The music encoder and decoder alone, for pretraining (:mod:`earsense_m2t.model.pretrain`).

    Its ``encoder``/``decoder`` are the modules :class:`earsense_m2t.model.gtp.GTPModel` holds as
    ``music_encoder``/``music_decoder``, so pretrained weights load into a system one to one.
    """

    def __init__(self, cfg: GTPConfig) -> None:
        super().__init__()
        self.cfg = cfg
        self.encoder = MusicEncoder(cfg)
        self.decoder = MusicDecoder(cfg)

    def loss(self, spec: Tensor, frames: Tensor, generator: torch.Generator | None = None) -> Tensor:
        """The reconstruction loss (:func:`reconstruct_window`) of one batch."""
        steps, mask = self.encoder(spec, frames)
        return reconstruct_window(self.decoder, spec, frames, steps, mask, self.cfg, generator)


def masked_segments(x: Tensor, mask: Tensor, segments: int) -> Tensor:
    """(B, L, H) with a (B, L) mask → (B, segments, H): each sample's real positions averaged into equal spans.

    A sample shorter than ``segments`` repeats its positions (adaptive pooling upsamples), so both modalities
    always give ``segments`` vectors whatever their length.
    """
    out = []
    for row, keep in zip(x, mask, strict=True):
        real = row[keep] if keep.any() else row[:1]
        out.append(F.adaptive_avg_pool1d(real.T.unsqueeze(0), segments).squeeze(0).T)
    return torch.stack(out)


__all__ = ["MaskedGroupNorm", "MusicAutoencoder", "MusicDecoder", "MusicEncoder", "masked_segments",
           "reconstruct_window", "reconstruction_loss", "step_mask"]

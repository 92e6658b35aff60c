"""Spectrogram augmentations for the contrastive loss (Table 1's "Coordinate + Contrastive loss").

The paper names four augmentations: pitch shift, time stretch, random mask and added noise. The authors'
code applies three to the waveform (uniform noise of a random level up to 0.4; resampling by 95–105 %,
which moves pitch and tempo together; dropping 10 % of its 5-second chunks). The release publishes
spectrograms, not audio, so each augmentation here acts on the standardized ``(B, bins, T)`` batch the
encoder reads, with the authors' ranges where they have one:

- ``pitch_shift``: the frequency axis resampled by a factor r ∈ [1 − 0.05, 1 + 0.05]. The bins are linear in
  frequency, so a pitch shift by r moves the energy of bin f to bin r · f; bins whose source lies above the
  top bin become 0 (the training mean after standardization);
- ``time_stretch``: the real frames resampled by r ∈ [0.95, 1.05] (r > 1 is slower: more frames). The
  movement's frame count changes, the batch is padded again to a multiple of the encoder's time factor and
  cut at ``max_frames``;
- ``random_mask``: each chunk of ``mask_chunk`` frames (312 ≈ 5 s at 62.5 frames/s) is set to 0 with
  probability 0.1, the authors' 10 % of 5-second chunks (masked, not dropped: ``time_stretch`` is the one
  that changes the length);
- ``added_noise``: Gaussian noise of standard deviation a · 1, a ~ U(0, 0.4) per movement, on real frames only.

Every draw comes from the given ``torch.Generator`` (on the batch's device), so a seeded run augments the
same way every time; padding stays 0, so the encoder's guarantee that padding never reaches a real step holds.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import Tensor


@dataclass(frozen=True)
class AugmentSettings:
    """Ranges of the four augmentations (the authors' where they state one)."""

    pitch_range: float = 0.05  # r ∈ [1 − range, 1 + range]
    stretch_range: float = 0.05
    mask_chunk: int = 312  # frames: 5 s at 62.5 frames/s
    mask_p: float = 0.1
    noise_max: float = 0.4  # noise std ~ U(0, noise_max), in standardized units


def _uniform(n: int, low: float, high: float, generator: torch.Generator | None, device: torch.device) -> Tensor:
    return low + (high - low) * torch.rand(n, generator=generator, device=device)


def interpolate(x: Tensor, src: Tensor) -> Tensor:
    """``x`` (..., n) read at fractional positions ``src`` (m,) of its last axis, linearly; 0 outside [0, n − 1]."""
    n = x.shape[-1]
    inside = (src >= -1e-4) & (src <= n - 1 + 1e-4)  # float rounding at the ends is not outside
    src = src.clamp(0, n - 1)
    lo = src.floor().long().clamp(max=n - 1)
    hi = (lo + 1).clamp(max=n - 1)
    w = (src - lo.to(src.dtype)).to(x.dtype)
    out = x[..., lo] * (1 - w) + x[..., hi] * w
    return out * inside.to(x.dtype)


def frame_mask(frames: Tensor, width: int) -> Tensor:
    """(B, width) True on each movement's real frames."""
    return torch.arange(width, device=frames.device)[None, :] < frames[:, None]


def pitch_shift(spec: Tensor, frames: Tensor, generator: torch.Generator | None,
                settings: AugmentSettings) -> tuple[Tensor, Tensor]:
    """Each movement's frequency axis resampled by its own r: bin f takes the value of bin f / r."""
    r = _uniform(spec.shape[0], 1 - settings.pitch_range, 1 + settings.pitch_range, generator, spec.device)
    bins = torch.arange(spec.shape[1], device=spec.device, dtype=spec.dtype)
    out = torch.stack([interpolate(s.T, bins / ri).T for s, ri in zip(spec, r, strict=True)])
    return out, frames


def time_stretch(spec: Tensor, frames: Tensor, generator: torch.Generator | None, settings: AugmentSettings, *,
                 time_factor: int, max_frames: int) -> tuple[Tensor, Tensor]:
    """Each movement's real frames resampled by its own r (frames → ⌊(frames − 1) · r⌋ + 1, at most ``max_frames``);
    the batch padded again with 0 to a multiple of ``time_factor``."""
    r = _uniform(spec.shape[0], 1 - settings.stretch_range, 1 + settings.stretch_range, generator, spec.device)
    stretched = []
    for s, n, ri in zip(spec, frames.tolist(), r.tolist(), strict=True):
        new = min(int((n - 1) * ri) + 1, max_frames) if n > 0 else 0
        src = torch.arange(new, device=spec.device, dtype=spec.dtype) / ri
        stretched.append(interpolate(s[:, :n], src) if n > 0 else s[:, :0])
    lengths = [t.shape[1] for t in stretched]
    width = max(time_factor, -(-max(lengths) // time_factor) * time_factor)
    out = spec.new_zeros(spec.shape[0], spec.shape[1], width)
    for b, t in enumerate(stretched):
        out[b, :, : t.shape[1]] = t
    return out, torch.tensor(lengths, device=frames.device, dtype=frames.dtype)


def random_mask(spec: Tensor, frames: Tensor, generator: torch.Generator | None,
                settings: AugmentSettings) -> tuple[Tensor, Tensor]:
    """Chunks of ``mask_chunk`` frames set to 0, each with probability ``mask_p``."""
    chunks = -(-spec.shape[2] // settings.mask_chunk)
    drop = torch.rand(spec.shape[0], chunks, generator=generator, device=spec.device) < settings.mask_p
    keep = (~drop).repeat_interleave(settings.mask_chunk, dim=1)[:, : spec.shape[2]]
    return spec * keep[:, None, :].to(spec.dtype), frames


def added_noise(spec: Tensor, frames: Tensor, generator: torch.Generator | None,
                settings: AugmentSettings) -> tuple[Tensor, Tensor]:
    """Gaussian noise of a per-movement level a ~ U(0, ``noise_max``) on the real frames."""
    level = _uniform(spec.shape[0], 0.0, settings.noise_max, generator, spec.device)
    noise = torch.randn(spec.shape, generator=generator, device=spec.device, dtype=spec.dtype)
    real = frame_mask(frames, spec.shape[2])[:, None, :].to(spec.dtype)
    return spec + level[:, None, None].to(spec.dtype) * noise * real, frames


Augmentation = Callable[..., tuple[Tensor, Tensor]]
#: the paper's four, in its order
AUGMENTATIONS: dict[str, Augmentation] = {"pitch_shift": pitch_shift, "time_stretch": time_stretch,
                                          "random_mask": random_mask, "added_noise": added_noise}


def augment(name: str, spec: Tensor, frames: Tensor, generator: torch.Generator | None = None, *, time_factor: int,
            max_frames: int, settings: AugmentSettings | None = None) -> tuple[Tensor, Tensor]:
    """The augmentation ``name`` of a padded batch: (spectrograms, real frames), padded to ``time_factor``."""
    if name not in AUGMENTATIONS:
        raise ValueError(f"unknown augmentation {name!r}; known: {', '.join(AUGMENTATIONS)}")
    settings = settings or AugmentSettings()
    if name == "time_stretch":
        return time_stretch(spec, frames, generator, settings, time_factor=time_factor, max_frames=max_frames)
    return AUGMENTATIONS[name](spec, frames, generator, settings)


__all__ = ["AUGMENTATIONS", "AugmentSettings", "added_noise", "augment", "frame_mask", "interpolate", "pitch_shift",
           "random_mask", "time_stretch"]

"""Examples of a release as torch tensors: capped, standardized spectrograms and WordPiece ids, padded per batch.

A spectrogram is read from the release only when its example is asked for (the release keeps the arrays
memory-mapped), cut to the encoder's cap, standardized with the training folds' statistics, and turned
from the published (frames, bins) layout into the encoder's (bins, frames). A batch pads time to a
multiple of 64 frames (one encoder step) with zeros, which after standardization is the training mean.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor
from torch.utils.data import Dataset

from earsense_m2t.model.data import Example, Release, Standardizer
from earsense_m2t.model.sentiment import EmotionTargets
from earsense_m2t.model.tokenizer import WordPiece


@dataclass
class Item:
    id: str
    text: str
    spec: np.ndarray  # (bins, frames) float32, standardized
    tokens: list[int]
    emotion: Tensor | None = None
    has_emotion: bool = False


@dataclass
class Batch:
    ids: list[str]
    texts: list[str]
    spec: Tensor  # (B, bins, T) with T a multiple of the time factor
    frames: Tensor  # (B,) real frames
    tokens: Tensor  # (B, L) ids, 0 = [PAD]
    token_mask: Tensor  # (B, L) True on real tokens
    emotion: Tensor | None = None  # (B, labels)
    has_emotion: Tensor | None = None  # (B,)

    def to(self, device: torch.device | str) -> Batch:
        def move(t: Tensor | None) -> Tensor | None:
            return None if t is None else t.to(device)

        return Batch(self.ids, self.texts, self.spec.to(device), self.frames.to(device), self.tokens.to(device),
                     self.token_mask.to(device), move(self.emotion), move(self.has_emotion))


class MovementDataset(Dataset[Item]):
    """The examples of one split, read lazily from the release."""

    def __init__(self, release: Release, examples: Sequence[Example], standardizer: Standardizer, tokenizer: WordPiece,
                 max_frames: int, max_tokens: int, emotions: EmotionTargets | None = None) -> None:
        self.release, self.examples = release, list(examples)
        self.standardizer, self.tokenizer = standardizer, tokenizer
        self.max_frames, self.max_tokens = max_frames, max_tokens
        if emotions is not None and len(emotions.probs) != len(self.examples):
            raise ValueError(f"{len(emotions.probs)} emotion targets for {len(self.examples)} examples")
        self.emotions = emotions

    def __len__(self) -> int:
        return len(self.examples)

    def __getitem__(self, i: int) -> Item:
        e = self.examples[i]
        spec = self.standardizer(self.release.spectrogram(e, self.max_frames)).T
        item = Item(e.id, e.text, np.ascontiguousarray(spec), self.tokenizer.encode(e.text, self.max_tokens))
        if self.emotions is not None:
            item.emotion, item.has_emotion = self.emotions.probs[i], bool(self.emotions.has[i])
        return item


def collate(items: Sequence[Item], time_factor: int) -> Batch:
    """Pad spectrograms (to a multiple of ``time_factor`` frames) and token ids (with [PAD] = 0)."""
    frames = [it.spec.shape[1] for it in items]
    width = max(time_factor, -(-max(frames) // time_factor) * time_factor)
    bins = items[0].spec.shape[0]
    spec = torch.zeros(len(items), bins, width)
    for b, it in enumerate(items):
        spec[b, :, : it.spec.shape[1]] = torch.from_numpy(it.spec)
    length = max(len(it.tokens) for it in items)
    tokens = torch.zeros(len(items), length, dtype=torch.long)
    for b, it in enumerate(items):
        tokens[b, : len(it.tokens)] = torch.tensor(it.tokens)
    emotion = has = None
    if all(it.emotion is not None for it in items):
        emotion = torch.stack([it.emotion for it in items if it.emotion is not None])
        has = torch.tensor([it.has_emotion for it in items])
    return Batch([it.id for it in items], [it.text for it in items], spec, torch.tensor(frames), tokens, tokens != 0,
                 emotion, has)


__all__ = ["Batch", "Item", "MovementDataset", "collate"]

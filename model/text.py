"""The text autoencoder: a BERT-shaped encoder and a decoder with cross-attention, randomly initialized.

Paper: 5 encoder and 5 decoder layers, hidden 768, 12 heads, feed-forward 3,072, GELU, post-layer-norm
(BERT's shape), learned positions, no pretrained weights. One word-embedding table is shared by the
encoder, the decoder and the decoder's output projection (BERT ties its output to its input
embeddings), which saves 2 × 30,522 × 768 parameters. The decoder is also the music side's: it
cross-attends to whichever 20 pooled segments it is given, text's or music's.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from earsense_m2t.model.config import GTPConfig
from earsense_m2t.model.music import masked_segments


class TextEmbeddings(nn.Module):
    """Word + position embeddings, then LayerNorm and dropout, as BERT's."""

    def __init__(self, cfg: GTPConfig, vocab_size: int) -> None:
        super().__init__()
        self.words = nn.Embedding(vocab_size, cfg.hidden, padding_idx=0)
        self.positions = nn.Embedding(cfg.max_text_tokens, cfg.hidden)
        self.norm = nn.LayerNorm(cfg.hidden)
        self.dropout = nn.Dropout(cfg.dropout)
        # BERT's initialization (normal, std 0.02): with N(0, 1) the tied output layer starts with logits
        # of std √hidden and a cross-entropy far above log(vocab)
        for table in (self.words, self.positions):
            nn.init.normal_(table.weight, std=0.02)
        with torch.no_grad():
            self.words.weight[0].zero_()

    def forward(self, ids: Tensor) -> Tensor:
        pos = torch.arange(ids.shape[1], device=ids.device)[None, :]
        return self.dropout(self.norm(self.words(ids) + self.positions(pos)))


class TextEncoder(nn.Module):
    """(B, L) token ids → (B, L, hidden)."""

    def __init__(self, cfg: GTPConfig, embeddings: TextEmbeddings) -> None:
        super().__init__()
        self.embeddings = embeddings
        layer = nn.TransformerEncoderLayer(cfg.hidden, cfg.heads, cfg.ffn, cfg.dropout, activation="gelu", batch_first=True)
        self.layers = nn.TransformerEncoder(layer, cfg.text_layers, enable_nested_tensor=False)

    def forward(self, ids: Tensor, mask: Tensor) -> Tensor:
        return self.layers(self.embeddings(ids), src_key_padding_mask=~mask)


class TextDecoder(nn.Module):
    """Teacher-forced next-token logits given a memory of segments (text's or music's)."""

    def __init__(self, cfg: GTPConfig, embeddings: TextEmbeddings) -> None:
        super().__init__()
        self.embeddings = embeddings
        layer = nn.TransformerDecoderLayer(cfg.hidden, cfg.heads, cfg.ffn, cfg.dropout, activation="gelu", batch_first=True)
        self.layers = nn.TransformerDecoder(layer, cfg.text_layers)
        self.bias = nn.Parameter(torch.zeros(embeddings.words.num_embeddings))

    def hidden(self, ids: Tensor, mask: Tensor, memory: Tensor) -> Tensor:
        """(B, L, hidden) decoder states, before the projection onto the vocabulary."""
        n = ids.shape[1]
        causal = torch.triu(torch.ones(n, n, dtype=torch.bool, device=ids.device), diagonal=1)
        return self.layers(self.embeddings(ids), memory, tgt_mask=causal, tgt_key_padding_mask=~mask, tgt_is_causal=True)

    def project(self, h: Tensor) -> Tensor:
        """Decoder states → vocabulary logits (the tied word embeddings plus a bias)."""
        return h @ self.embeddings.words.weight.T + self.bias

    def forward(self, ids: Tensor, mask: Tensor, memory: Tensor) -> Tensor:
        return self.project(self.hidden(ids, mask, memory))

    def loss(self, ids: Tensor, mask: Tensor, memory: Tensor) -> Tensor:
        """Cross-entropy of each next token ([CLS] w1 … → w1 … [SEP]), padding ignored."""
        logits = self(ids[:, :-1], mask[:, :-1], memory)
        target = ids[:, 1:].masked_fill(~mask[:, 1:], -100)
        return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), target.reshape(-1), ignore_index=-100)


class TextAutoencoder(nn.Module):
    """The text encoder and decoder with their shared embeddings, for pretraining (:mod:`earsense_m2t.model.pretrain`).

    A text is encoded, pooled to ``cfg.segments`` vectors (as the music is) and decoded from them; its
    ``encoder``/``decoder`` are the modules :class:`earsense_m2t.model.gtp.GTPModel` holds as
    ``text_encoder``/``text_decoder``, so pretrained weights load into a system one to one.
    """

    def __init__(self, cfg: GTPConfig, vocab_size: int) -> None:
        super().__init__()
        self.cfg = cfg
        embeddings = TextEmbeddings(cfg, vocab_size)
        self.encoder = TextEncoder(cfg, embeddings)
        self.decoder = TextDecoder(cfg, embeddings)

    def loss(self, ids: Tensor, mask: Tensor) -> Tensor:
        """The decoder's cross-entropy on a batch of texts, from their own pooled segments."""
        segments = masked_segments(self.encoder(ids, mask), mask, self.cfg.segments)
        return self.decoder.loss(ids, mask, segments)


__all__ = ["TextAutoencoder", "TextDecoder", "TextEmbeddings", "TextEncoder"]

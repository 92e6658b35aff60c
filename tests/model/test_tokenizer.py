"""The packaged bert-base-uncased vocabulary, through transformers and through tokenizers alike."""

from __future__ import annotations

import pytest

pytest.importorskip("torch", reason="torch is not installed: install the model extra (bash scripts/setup.sh --model)")

from earsense_m2t.model.tokenizer import VOCAB_SIZE, vocab_path, wordpiece  # noqa: E402


def test_uncased_wordpiece_over_the_packaged_vocab():
    tok = wordpiece()
    assert vocab_path().name == "vocab.txt" and tok.vocab_size == VOCAB_SIZE
    ids = tok.encode("The Allegro opens, brightly!", 64)
    assert ids == [101, 1996, 25319, 7480, 1010, 14224, 999, 102]  # bert-base-uncased's ids
    assert tok.decode(ids) == "the allegro opens, brightly!"
    assert tok.pieces("") == 0 and tok.pieces("allegro") == 1
    truncated = tok.encode("one two three four five six", 4)
    assert len(truncated) == 4 and truncated[-1] == tok.sep_id


def test_tokenizers_library_gives_the_same_ids():
    from tokenizers import BertWordPieceTokenizer

    other = BertWordPieceTokenizer(str(vocab_path()), lowercase=True)
    text = "Schubert's Scherzo: a quick, dotted dance in C-sharp minor."
    assert other.encode(text).ids == wordpiece().encode(text, 512)

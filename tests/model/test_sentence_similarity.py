"""The packaged all-MiniLM-L6-v2 run by the torch-only BERT forward: sensible similarities, the same embeddings
as sentence-transformers, and a local folder taken instead of the package."""

from __future__ import annotations

import shutil

import pytest

torch = pytest.importorskip("torch", reason="torch is not installed: install the model extra (bash scripts/setup.sh --model)")

from earsense_m2t.model.sentence_similarity import (  # noqa: E402
    bert_state_dict,
    default_model_dir,
    load_encoder,
    sentence_similarity,
)

TEXTS = [
    "A slow, mournful adagio for strings in E minor.",
    "A sad slow movement for string orchestra in E minor.",
    "The quarterly tax report is due on Friday.",
]


def test_a_paraphrase_is_closer_than_an_unrelated_sentence():
    sim = sentence_similarity(TEXTS)
    assert sim.shape == (3, 3)
    assert torch.allclose(sim.diagonal(), torch.ones(3), atol=1e-5)
    assert torch.allclose(sim, sim.T, atol=1e-6)
    assert float(sim[0, 1]) > 0.5 > 0.2 > float(sim[0, 2])
    assert float(sim[0, 1]) > float(sim[1, 2]) + 0.4


def test_padding_does_not_change_an_embedding():
    encoder = load_encoder()
    alone = encoder.embed(TEXTS[2:])
    batched = encoder.embed(TEXTS)  # padded to the longest of the three
    assert torch.allclose(alone[0], batched[2], atol=1e-5)


def test_every_weight_is_used():
    from safetensors.torch import load_file

    raw = load_file(str(default_model_dir() / "model.safetensors"))
    renamed = bert_state_dict(raw)
    assert set(renamed) == set(load_encoder().bert.state_dict())


def test_a_local_folder_is_used_instead_of_the_package(tmp_path):
    folder = tmp_path / "sbert"
    shutil.copytree(default_model_dir(), folder)
    (folder / "tokenizer.json").unlink()  # the vocab.txt path of the tokenizer
    assert torch.allclose(sentence_similarity(TEXTS, folder), sentence_similarity(TEXTS), atol=1e-5)
    (folder / "1_Pooling" / "config.json").write_text('{"pooling_mode_max_tokens": true}')
    load_encoder.cache_clear()
    with pytest.raises(ValueError, match="pooling"):
        sentence_similarity(TEXTS, folder)


def test_same_embeddings_as_sentence_transformers(monkeypatch):
    """The reference implementation of the model's forward, where it is installed (the model extra brings it)."""
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    st = pytest.importorskip("sentence_transformers")
    reference = st.SentenceTransformer(str(default_model_dir()), device="cpu")
    expected = reference.encode(TEXTS, convert_to_tensor=True, normalize_embeddings=True)
    assert torch.allclose(load_encoder().embed(TEXTS), expected.cpu(), atol=1e-5)

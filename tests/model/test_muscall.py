"""MusCALL: embeddings, the symmetric InfoNCE and its content-aware weighting against hand-computed values, and a
tiny model that learns to retrieve four pairs."""

from __future__ import annotations

import math

import pytest

torch = pytest.importorskip("torch", reason="torch is not installed: install the model extra (bash scripts/setup.sh --model)")

from earsense_m2t.model.batch import Batch  # noqa: E402
from earsense_m2t.model.muscall import (  # noqa: E402
    DIFFERENCES,
    PAPER_VALUES,
    MusCallConfig,
    MusCallModel,
    config_fields,
    content_weights,
    get_config,
    info_nce,
    make_optimizer,
)

VOCAB = 40
BINS = 16


def make_batch(specs: list[torch.Tensor], token_lists: list[list[int]], width: int | None = None) -> Batch:
    """A batch as :func:`earsense_m2t.model.batch.collate` builds one: zeros past each spectrogram and token list."""
    frames = [s.shape[1] for s in specs]
    t = width or max(frames)
    spec = torch.zeros(len(specs), BINS, t)
    for b, s in enumerate(specs):
        spec[b, :, : s.shape[1]] = s
    length = max(len(x) for x in token_lists)
    tokens = torch.zeros(len(specs), length, dtype=torch.long)
    for b, x in enumerate(token_lists):
        tokens[b, : len(x)] = torch.tensor(x)
    return Batch([f"m{i}" for i in range(len(specs))], [str(x) for x in token_lists], spec, torch.tensor(frames),
                 tokens, tokens != 0)


def random_batch(sizes: tuple[int, ...] = (40, 64, 23)) -> Batch:
    specs = [torch.randn(BINS, n) for n in sizes]
    tokens = [[1, 5 + i, 9 + i, 2][: 3 + i % 2] for i in range(len(sizes))]
    return make_batch(specs, tokens)


def test_configs_document_every_field():
    names = set(config_fields())
    assert set(PAPER_VALUES) == names, names ^ set(PAPER_VALUES)
    assert set(DIFFERENCES) <= names
    paper, tiny = MusCallConfig.paper(), MusCallConfig.tiny()
    changed = {f for f in names if getattr(paper, f) != getattr(tiny, f)}
    assert changed <= set(DIFFERENCES), changed - set(DIFFERENCES)
    assert get_config("tiny") == tiny
    with pytest.raises(ValueError, match="known: paper, tiny"):
        get_config("huge")
    with pytest.raises(ValueError, match="weight_toward"):
        tiny.with_(weight_toward="sideways")


def test_embeddings_have_the_shared_shape_and_unit_norm():
    cfg = MusCallConfig.tiny()
    model = MusCallModel(cfg, VOCAB).eval()
    batch = random_batch()
    audio, text = model.embed_audio(batch), model.embed_text(batch)
    assert audio.shape == text.shape == (3, cfg.embed_dim)
    assert torch.allclose(audio.norm(dim=1), torch.ones(3), atol=1e-5)
    assert torch.allclose(text.norm(dim=1), torch.ones(3), atol=1e-5)


@pytest.mark.parametrize("pooling", ["attention", "average"])
def test_padding_does_not_change_embeddings(pooling):
    model = MusCallModel(MusCallConfig.tiny().with_(audio_pooling=pooling), VOCAB).eval()
    short, long_ = torch.randn(BINS, 37), torch.randn(BINS, 100)
    alone = make_batch([short], [[1, 7, 2]])
    padded = make_batch([short, long_], [[1, 7, 2], [1, 8, 9, 10, 11, 2]], width=128)
    with torch.no_grad():
        assert torch.allclose(model.embed_audio(alone)[0], model.embed_audio(padded)[0], atol=1e-5)
        assert torch.allclose(model.embed_text(alone)[0], model.embed_text(padded)[0], atol=1e-5)
    # what lies past a sample's frames is not read at all (the collate pads with zeros, but nothing relies on it)
    noisy = make_batch([short, long_], [[1, 7, 2], [1, 8, 9, 10, 11, 2]], width=128)
    noisy.spec[0, :, 37:] = 5.0
    with torch.no_grad():
        assert torch.allclose(model.embed_audio(alone)[0], model.embed_audio(noisy)[0], atol=1e-5)


def _ce(logits: list[float], answer: int) -> float:
    return -logits[answer] + math.log(sum(math.exp(v) for v in logits))


def test_info_nce_equals_the_hand_computed_value():
    audio = torch.tensor([[1.0, 0.0], [0.0, 1.0]])
    text = torch.tensor([[0.6, 0.8], [0.0, 1.0]])
    scale = 2.0
    # logits = 2 · audio @ textᵀ = [[1.2, 0.0], [1.6, 2.0]]
    rows = [_ce([1.2, 0.0], 0), _ce([1.6, 2.0], 1)]  # audio → text
    cols = [_ce([1.2, 1.6], 0), _ce([0.0, 2.0], 1)]  # text → audio
    expected = (sum(rows) / 2 + sum(cols) / 2) / 2
    assert float(info_nce(audio, text, scale)) == pytest.approx(expected, rel=1e-6)
    w = torch.tensor([0.25, 0.75])
    weighted = (0.25 * rows[0] + 0.75 * rows[1] + 0.25 * cols[0] + 0.75 * cols[1]) / 2
    assert float(info_nce(audio, text, scale, w)) == pytest.approx(weighted, rel=1e-6)


def test_content_weights_equal_the_hand_computed_values():
    sim = torch.tensor([[1.0, 0.5, 0.1], [0.5, 1.0, 0.3], [0.1, 0.3, 1.0]])
    kappa = 0.5
    means = [(0.5 + 0.1) / 3, (0.5 + 0.3) / 3, (0.1 + 0.3) / 3]  # the diagonal left out, divided by B
    shares = [m / sum(means) for m in means]
    for toward, sign in (("similar", 1.0), ("dissimilar", -1.0)):
        z = sum(math.exp(sign * s / kappa) for s in shares)
        expected = [math.exp(sign * s / kappa) / z for s in shares]
        got = content_weights(sim, kappa, toward)
        assert got.tolist() == pytest.approx(expected, rel=1e-5)
    # the code's direction: the text most like the others (the second) weighs most
    assert int(content_weights(sim, kappa).argmax()) == 1


def test_content_aware_loss_reduces_to_info_nce_when_texts_are_equally_similar():
    model = MusCallModel(MusCallConfig.tiny(), VOCAB).eval()
    batch = random_batch()
    flat = torch.full((3, 3), 0.4).fill_diagonal_(1.0)
    assert torch.allclose(content_weights(flat, 0.01), torch.full((3,), 1 / 3))
    with torch.no_grad():
        plain = model.loss(batch)
        weighted = model.loss(batch, flat)
        uneven = model.loss(batch, torch.tensor([[1.0, 0.9, 0.0], [0.9, 1.0, 0.1], [0.0, 0.1, 1.0]]))
        off = MusCallModel(MusCallConfig.tiny().with_(content_aware=False), VOCAB).eval()
        off.load_state_dict(model.state_dict())
        ignored = off.loss(batch, torch.tensor([[1.0, 0.9, 0.0], [0.9, 1.0, 0.1], [0.0, 0.1, 1.0]]))
    assert float(weighted) == pytest.approx(float(plain), rel=1e-6)
    assert float(uneven) != pytest.approx(float(plain), rel=1e-3)
    assert float(ignored) == pytest.approx(float(plain), rel=1e-6)


def test_model_loss_uses_the_learned_temperature():
    model = MusCallModel(MusCallConfig.tiny(), VOCAB).eval()
    batch = random_batch()
    with torch.no_grad():
        audio, text = model.embed_audio(batch), model.embed_text(batch)
        assert float(model.logit_scale()) == pytest.approx(1 / 0.07, rel=1e-5)
        assert float(model.loss(batch)) == pytest.approx(float(info_nce(audio, text, 1 / 0.07)), rel=1e-5)
        model.log_scale.fill_(math.log(1000.0))
        assert float(model.logit_scale()) == pytest.approx(100.0, rel=1e-5)  # clamped as CLIP's
        model.clamp_temperature_()
        assert float(model.log_scale) == pytest.approx(math.log(100.0))


def test_gradient_reaches_the_first_audio_layer_and_the_temperature():
    model = MusCallModel(MusCallConfig.tiny(), VOCAB).train()
    model.loss(random_batch()).backward()
    for p in (model.audio_encoder.stem.weight, model.text_encoder.words.weight, model.log_scale):
        assert p.grad is not None and float(p.grad.abs().sum()) > 0


@pytest.mark.parametrize("content_aware", [False, True])
def test_tiny_model_retrieves_each_pairs_text_from_its_audio(content_aware):
    """Four distinct spectrograms (energy in one band each, different lengths) with four distinct texts; with the
    content-aware weights of texts 0 and 1 being near-paraphrases, each pair must still be found."""
    g = torch.Generator().manual_seed(0)
    specs = []
    for i in range(4):
        s = 0.3 * torch.randn(BINS, 48 + 8 * i, generator=g)
        s[4 * i: 4 * i + 4] += 2.0
        specs.append(s)
    texts = [[1, 5 + i, 20 + i, 2] for i in range(4)]
    batch = make_batch(specs, texts)
    similarity = torch.tensor([[1.0, 0.8, 0.1, 0.2], [0.8, 1.0, 0.1, 0.2], [0.1, 0.1, 1.0, 0.3], [0.2, 0.2, 0.3, 1.0]])
    model = MusCallModel(MusCallConfig.tiny().with_(weight_decay=0.0), VOCAB)
    opt = make_optimizer(model)
    model.train()
    for _ in range(200):
        opt.zero_grad()
        loss = model.loss(batch, similarity if content_aware else None)
        loss.backward()
        opt.step()
        model.clamp_temperature_()
    model.eval()
    with torch.no_grad():
        sims = model.embed_audio(batch) @ model.embed_text(batch).T
    assert sims.argmax(dim=1).tolist() == [0, 1, 2, 3]
    assert float(loss.detach()) < 0.1


def test_paper_config_builds_and_embeds():
    """The paper's sizes: the stages and heads fit together, and a short input goes through both encoders."""
    cfg = MusCallConfig.paper()
    model = MusCallModel(cfg).eval()
    batch = make_batch([torch.randn(BINS, 70)], [[101, 2000, 102]])
    with torch.no_grad():
        assert model.embed_audio(batch).shape == model.embed_text(batch).shape == (1, 512)
    assert cfg.time_factor == 16
    groups = make_optimizer(model).param_groups
    assert model.log_scale in groups[1]["params"] and groups[0]["weight_decay"] == pytest.approx(0.2)


def test_content_aware_loss_on_sentence_similarities():
    """The loss takes the packaged sentence encoder's similarities of the batch's texts as they come."""
    from earsense_m2t.model.sentence_similarity import sentence_similarity

    model = MusCallModel(MusCallConfig.tiny(), VOCAB).eval()
    batch = random_batch()
    batch.texts = ["a slow adagio in E minor", "a sad slow movement in E minor", "a fast, bright scherzo"]
    with torch.no_grad():
        loss = model.loss(batch, sentence_similarity(batch.texts))
    assert torch.isfinite(loss) and float(loss) > 0

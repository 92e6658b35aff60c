"""MusCaps (issue 26): shapes, the loss's gradient path, padding invariance, masked attention, beam search, and a
tiny model that learns two different texts for two different spectrograms. One thread, tiny sizes."""

from __future__ import annotations

import dataclasses

import pytest

torch = pytest.importorskip("torch", reason="torch is not installed: install the model extra (bash scripts/setup.sh --model)")

from earsense_m2t.model.batch import Batch, Item, collate  # noqa: E402
from earsense_m2t.model.decode import PAD_ID  # noqa: E402
from earsense_m2t.model.muscaps import (  # noqa: E402
    AUTHORS_CODE_VALUES,
    DIFFERENCES,
    FUSIONS,
    MUSCAPS_CONFIGS,
    PAPER_VALUES,
    TIME_POOLINGS,
    ChunkCNN,
    MusCapsConfig,
    MusCapsModel,
)
from earsense_m2t.model.tokenizer import VOCAB_SIZE, wordpiece  # noqa: E402

TEXTS = ["A lively allegro where the violins race ahead.", "A slow, sad adagio sung by the cello.",
         "A playful minuet with a rustic trio."]
FRAMES = (70, 130, 33)  # partial last chunks (tiny chunk: 32 frames), one movement of 3 chunks, one of 5


def items(cfg: MusCapsConfig, texts=TEXTS, frames=FRAMES, seed: int = 1) -> list[Item]:
    tok = wordpiece()
    gen = torch.Generator().manual_seed(seed)
    return [Item(f"m{i}", t, torch.randn(cfg.n_bins, f, generator=gen).numpy(), tok.encode(t, cfg.max_text_tokens))
            for i, (t, f) in enumerate(zip(texts, frames, strict=True))]


def model(fusion: str = "early", **changes: object) -> MusCapsModel:
    torch.manual_seed(0)
    return MusCapsModel(MusCapsConfig.tiny().with_(fusion=fusion, **changes), VOCAB_SIZE)


def padded(batch: Batch, extra: int, fill: float = 0.0) -> Batch:
    """The same batch with ``extra`` more frames of ``fill`` after every movement's padding."""
    spec = torch.cat([batch.spec, torch.full((*batch.spec.shape[:2], extra), fill)], dim=2)
    return dataclasses.replace(batch, spec=spec)


def test_configs_and_the_tables_name_every_field():
    fields = {f.name for f in dataclasses.fields(MusCapsConfig)} - {"name"}
    assert set(PAPER_VALUES) == fields
    assert set(AUTHORS_CODE_VALUES) <= fields and set(DIFFERENCES) <= fields
    assert all(isinstance(reason, str) and reason and "\n" not in reason for reason in DIFFERENCES.values())
    assert {name: make().name for name, make in MUSCAPS_CONFIGS.items()} == {"paper": "paper", "tiny": "tiny"}


@pytest.mark.parametrize("changes, message", [
    ({"fusion": "middle"}, "fusion"),
    ({"chunk_frames": 4}, "poolings"),
    ({"encoder_hidden": 0}, "sizes"),
    ({"dropout": 1.0}, "dropout"),
    ({"time_pooling": "median"}, "time_pooling"),
])
def test_bad_configs_are_refused(changes, message):
    with pytest.raises(ValueError, match=message):
        MusCapsConfig.tiny().with_(**changes)


@pytest.mark.parametrize("fusion", FUSIONS)
@pytest.mark.parametrize("bidirectional", [True, False])
def test_forward_shapes(fusion, bidirectional):
    m = model(fusion, bidirectional=bidirectional)
    batch = collate(items(m.cfg), m.cfg.time_factor)
    logits, weights = m.teacher_forced(batch)
    length = batch.tokens.shape[1]
    chunks = -(-max(FRAMES) // m.cfg.chunk_frames)
    assert logits.shape == (3, length - 1, VOCAB_SIZE)
    assert weights.shape == (3, length - 1, chunks)
    enc = m.encode(batch.spec, batch.frames)
    assert enc.memory.shape == (3, chunks, m.cfg.encoder_dim)
    assert enc.counts.tolist() == [3, 5, 2]


def test_only_the_first_max_chunks_are_read():
    m = model(max_chunks=2)
    batch = collate(items(m.cfg), m.cfg.time_factor)
    enc = m.encode(batch.spec, batch.frames)
    assert enc.counts.tolist() == [2, 2, 2] and enc.memory.shape[1] == 2


@pytest.mark.parametrize("fusion", FUSIONS)
def test_loss_is_finite_and_reaches_the_first_convolution(fusion):
    m = model(fusion)
    batch = collate(items(m.cfg), m.cfg.time_factor)
    loss = m.loss(batch)
    assert bool(torch.isfinite(loss)) and float(loss.detach()) > 0
    loss.backward()
    first = m.extractor.blocks[0]
    assert isinstance(first, torch.nn.Conv2d)
    assert first.weight.grad is not None and float(first.weight.grad.abs().sum()) > 0
    assert m.embed.weight.grad is not None and float(m.embed.weight.grad[PAD_ID].abs().sum()) == 0.0


@pytest.mark.parametrize("fusion", FUSIONS)
@pytest.mark.parametrize("fill", [0.0, 7.5])
def test_padding_changes_nothing(fusion, fill):
    """The same movements padded by two more chunks (of zeros, or of junk) give the same loss and the same texts,
    in training mode (batch norm on batch statistics) as in eval mode."""
    m = model(fusion)
    batch = collate(items(m.cfg), m.cfg.time_factor)
    more = padded(batch, 2 * m.cfg.chunk_frames + 5, fill)
    for training in (True, False):
        m.train(training)
        assert float(m.loss(more).detach()) == pytest.approx(float(m.loss(batch).detach()), rel=1e-5, abs=1e-6)
    assert m.generate(more, beam=2, max_tokens=6) == m.generate(batch, beam=2, max_tokens=6)


@pytest.mark.parametrize("fusion", FUSIONS)
def test_attention_over_padded_chunks_is_zero(fusion):
    m = model(fusion)
    batch = padded(collate(items(m.cfg), m.cfg.time_factor), 3 * m.cfg.chunk_frames)
    _, weights = m.teacher_forced(batch)
    counts = m.encode(batch.spec, batch.frames).counts
    for b, n in enumerate(counts.tolist()):
        assert bool((weights[b, :, n:] == 0).all())
        assert weights[b, :, :n].sum(dim=-1).tolist() == pytest.approx([1.0] * weights.shape[1], abs=1e-5)


@pytest.mark.parametrize("fusion", FUSIONS)
@pytest.mark.parametrize("beam, max_tokens", [(1, 5), (3, 8), (2, 0)])
def test_generation_is_deterministic_bounded_and_has_no_pad_or_cls(fusion, beam, max_tokens):
    m = model(fusion)
    m.train()
    batch = collate(items(m.cfg), m.cfg.time_factor)
    first = m.generate(batch, beam=beam, max_tokens=max_tokens)
    assert m.training  # left in the mode it had
    assert first == m.generate(batch, beam=beam, max_tokens=max_tokens)
    assert len(first) == 3
    for ids in first:
        assert len(ids) <= max_tokens
        assert not {PAD_ID, m.cls_id, m.sep_id} & set(ids)


def test_bad_beam_arguments_are_refused():
    m = model()
    batch = collate(items(m.cfg), m.cfg.time_factor)
    with pytest.raises(ValueError, match="beam"):
        m.generate(batch, beam=0, max_tokens=5)


def registers(cfg: MusCapsConfig, texts: list[str], frames: int = 64) -> Batch:
    """Noise spectrograms, one louder in its low half of bins, one in its high half: like a cello and a violin, the
    same texture in different registers."""
    tok = wordpiece()
    gen = torch.Generator().manual_seed(3)
    out = []
    for k, text in enumerate(texts):
        spec = torch.randn(cfg.n_bins, frames, generator=gen)
        half = cfg.n_bins // 2
        spec[k * half:(k + 1) * half] += 2.0
        out.append(Item(f"m{k}", text, spec.numpy(), tok.encode(text, cfg.max_text_tokens)))
    return collate(out, cfg.time_factor)


@pytest.mark.parametrize("fusion", FUSIONS)
def test_a_tiny_model_learns_two_texts_for_two_spectrograms(fusion):
    """The outputs depend on the music: two spectrograms, two texts with the same first word; trained with the tiny
    config's learning rate, each input's generated text becomes its own (greedy and beam search).

    Training stops once greedy and beam search give both texts (checked every 10 steps), so the test takes as long
    as the fusion needs (at most 300 steps).
    """
    m = model(fusion)
    texts = ["A lively allegro for the violins.", "A slow sad adagio on the cello."]
    batch = registers(m.cfg, texts)
    tok = wordpiece()
    want = [tok.encode(t, m.cfg.max_text_tokens)[1:-1] for t in texts]
    optimizer = torch.optim.Adam(m.parameters(), lr=m.cfg.lr, fused=True)  # fused: ~30 % faster on a CPU
    got: dict[int, list[list[int]]] = {}
    for step in range(1, 301):
        optimizer.zero_grad()
        m.loss(batch).backward()
        optimizer.step()
        if step % 10 == 0:
            got = {beam: m.generate(batch, beam=beam, max_tokens=20) for beam in (1, 3)}
            if got == {1: want, 3: want}:
                break
    assert got == {1: want, 3: want}, {beam: [tok.decode(ids) for ids in g] for beam, g in got.items()}


def test_the_paper_config_builds_and_encodes():
    cfg = MusCapsConfig.paper()
    m = MusCapsModel(cfg)
    m.eval()
    batch = collate(items(cfg, TEXTS[:1], (cfg.chunk_frames + 7,)), cfg.time_factor)
    with torch.no_grad():
        enc = m.encode(batch.spec, batch.frames)
    assert enc.memory.shape == (1, 2, 2 * cfg.encoder_hidden)


@pytest.mark.parametrize("time_pooling", TIME_POOLINGS)
def test_only_mean_and_max_pooling_over_time_counts_events_in_a_chunk(time_pooling):
    """Two chunks with one and with two identical clicks (far enough apart for the receptive field, at the same
    phase of the poolings): the maximum over time cannot tell them apart, the mean beside it can. A tempo that is a
    rate of notes is what the mean sees."""
    cfg = MusCapsConfig.tiny().with_(chunk_frames=96, time_pooling=time_pooling)
    torch.manual_seed(0)
    cnn = ChunkCNN(cfg).eval()
    one = torch.zeros(1, cfg.n_bins, cfg.chunk_frames)
    one[..., 24] = 1.0
    two = one.clone()
    two[..., 56] = 1.0
    with torch.no_grad():
        difference = (cnn(one) - cnn(two)).abs().max().item()
    if time_pooling == "max":
        assert difference < 1e-5
    else:
        assert difference > 1e-2

"""Beam search over the text decoder: scripted decoders pin the search's rules, a random tiny model checks greedy."""

from __future__ import annotations

import math

import pytest

torch = pytest.importorskip("torch", reason="torch is not installed: install the model extra (bash scripts/setup.sh --model)")

from torch import nn  # noqa: E402

from earsense_m2t.model.batch import Batch, Item, collate  # noqa: E402
from earsense_m2t.model.config import GTPConfig  # noqa: E402
from earsense_m2t.model.decode import PAD_ID, beam_search, generate  # noqa: E402
from earsense_m2t.model.gtp import SYSTEMS, GTPModel  # noqa: E402
from earsense_m2t.model.tokenizer import VOCAB_SIZE, wordpiece  # noqa: E402

TOK = wordpiece()
BOS, EOS = TOK.cls_id, TOK.sep_id
A, B, C, D, E, F = 2000, 2001, 2002, 2003, 2004, 2005


class Scripted(nn.Module):
    """A stand-in text decoder: the next-token distribution is a fixed function of the prefix after [CLS]."""

    def __init__(self, script: dict[tuple[int, ...], dict[int, float]], default: dict[int, float]) -> None:
        super().__init__()
        self.script, self.default = script, default
        self.prefixes: list[tuple[int, ...]] = []

    def forward(self, ids, mask, memory):
        logits = torch.full((*ids.shape, VOCAB_SIZE), -math.inf)
        for row in range(ids.shape[0]):
            assert int(ids[row, 0]) == BOS
            prefix = tuple(ids[row, 1:].tolist())
            self.prefixes.append(prefix)
            for token, p in self.script.get(prefix, self.default).items():
                logits[row, -1, token] = math.log(p)
        return logits

    def hidden(self, ids, mask, memory):  # the decoder's interface: states, then their projection
        return self(ids, mask, memory)

    def project(self, h):
        return h


def scripted_model(script, default) -> GTPModel:
    torch.manual_seed(0)
    model = GTPModel(GTPConfig.tiny(), SYSTEMS["encoder_decoder"])
    model.text_decoder = Scripted(script, default)
    return model


def music(n: int, seed: int = 0):
    gen = torch.Generator().manual_seed(seed)
    frames = torch.tensor([128 + 40 * i for i in range(n)])
    spec = torch.randn(n, 256, int(frames.max()) + (-int(frames.max())) % 64, generator=gen)
    return spec, frames


def search(model, n=1, **kw):
    spec, frames = music(n)
    return beam_search(model, spec, frames, bos=BOS, eos=EOS, **kw)


def test_stops_at_the_end_token_and_leaves_out_specials():
    # after [SEP] the script would go on with C: a search that did not stop would show it
    model = scripted_model({(): {A: 1.0}, (A,): {B: 1.0}, (A, B): {EOS: 1.0}}, {C: 1.0})
    for beam in (1, 3):
        assert search(model, n=2, beam=beam, max_tokens=10) == [[A, B], [A, B]]
    assert not any(len(p) > 2 for p in model.text_decoder.prefixes)


def test_an_end_outside_the_kept_beam_finishes_nothing():
    # beam 1 keeps A (0.6); the end token is second best, so [] is not a hypothesis the search holds
    model = scripted_model({(): {A: 0.6, EOS: 0.4}, (A,): {B: 0.5, D: 0.3, C: 0.2}, (A, B): {EOS: 1.0}}, {C: 1.0})
    assert search(model, beam=1, length_penalty=0.0) == [[A, B]]
    # with two kept, [] (0.4) is held and beats A B (0.6 × 0.5 = 0.3) on the plain sum
    assert search(model, beam=2, length_penalty=0.0) == [[]]


def test_pad_and_cls_are_never_generated():
    model = scripted_model({(): {BOS: 0.8, PAD_ID: 0.15, A: 0.05}, (A,): {PAD_ID: 0.9, EOS: 0.1}}, {C: 1.0})
    assert search(model, beam=3, max_tokens=10) == [[A]]


def test_respects_max_tokens_and_the_position_table():
    model = scripted_model({}, {C: 0.6, D: 0.4})  # never ends by itself
    assert search(model, beam=2, max_tokens=5) == [[C] * 5]
    assert search(model, beam=1, max_tokens=0) == [[]]
    # the tiny decoder has 64 positions: a longer prefix than it was trained on is never asked for
    assert search(model, beam=1, max_tokens=1000) == [[C] * GTPConfig.tiny().max_text_tokens]
    assert max(len(p) for p in model.text_decoder.prefixes) + 1 <= GTPConfig.tiny().max_text_tokens


def test_beam_finds_the_likelier_text_that_greedy_misses():
    # greedy: A (0.5) then D (0.34) then end: mean log-prob per token (1.079 + 0.693) / 3 = 0.59;
    # B (0.4) then end: 0.916 / 2 = 0.46 per token, found only by keeping B in the beam
    script = {(): {A: 0.5, B: 0.4, C: 0.1}, (A,): {D: 0.34, E: 0.33, F: 0.33}, (B,): {EOS: 1.0}}
    model = scripted_model(script, {EOS: 1.0})
    assert search(model, beam=1) == [[A, D]]
    assert search(model, beam=3) == [[B]]
    # with no length normalization the sum decides, and B's -0.92 still beats A-D's -1.77
    assert search(model, beam=3, length_penalty=0.0) == [[B]]


def greedy(model: GTPModel, spec, frames, max_tokens: int) -> list[list[int]]:
    """The reference: at each step the single most likely token ([PAD] and [CLS] excluded), until [SEP]."""
    with torch.no_grad():
        _, _, memory = model.music_segments(spec, frames)
        out = []
        for m in memory:
            ids = [BOS]
            for _ in range(max_tokens):
                x = torch.tensor([ids])
                logits = model.text_decoder(x, torch.ones_like(x, dtype=torch.bool), m[None])[0, -1]
                logits[[PAD_ID, BOS]] = -math.inf
                token = int(logits.argmax())
                if token == EOS:
                    break
                ids.append(token)
            out.append(ids[1:])
    return out


TEXTS = ["A lively allegro where the violins race ahead.", "A slow, sad adagio sung by the cello.",
         "A playful minuet with a rustic trio.", "The finale dances in a joyful rondo."]


def briefly_trained_model() -> tuple[GTPModel, Batch]:
    """A tiny model after 30 steps on four texts: an untrained decoder repeats one token and never ends."""
    torch.manual_seed(3)
    cfg = GTPConfig.tiny()
    model = GTPModel(cfg, SYSTEMS["encoder_decoder"])
    gen = torch.Generator().manual_seed(1)
    items = [Item(f"m{i}", t, torch.randn(cfg.n_bins, 128 + 64 * (i % 2), generator=gen).numpy(),
                  TOK.encode(t, cfg.max_text_tokens)) for i, t in enumerate(TEXTS)]
    batch = collate(items, cfg.time_factor)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-2)
    for _ in range(30):
        opt.zero_grad()
        model.losses(batch)[0]["total"].backward()
        opt.step()
    return model, batch


def test_beam_one_is_greedy_decoding():
    model, batch = briefly_trained_model()
    expected = greedy(model.eval(), batch.spec, batch.frames, max_tokens=12)
    assert all(0 < len(ids) < 12 for ids in expected), expected  # texts that end on their own
    model.train()
    assert beam_search(model, batch.spec, batch.frames, bos=BOS, eos=EOS, beam=1, max_tokens=12) == expected
    assert model.training  # the mode it had is given back
    assert beam_search(model, batch.spec, batch.frames, bos=BOS, eos=EOS, beam=1, max_tokens=4) == [e[:4] for e in expected]
    three = beam_search(model, batch.spec, batch.frames, bos=BOS, eos=EOS, beam=3, max_tokens=12)
    assert len(three) == 4 and all(len(ids) <= 12 and EOS not in ids and BOS not in ids for ids in three)


def test_generate_returns_the_decoded_texts_in_batch_order():
    text = "A lively allegro where the violins race ahead."
    pieces = TOK.encode(text, 64)[1:-1]
    script = {tuple(pieces[:i]): {pieces[i]: 1.0} for i in range(len(pieces))}
    model = scripted_model(script, {EOS: 1.0})
    cfg = model.cfg
    items = [Item(f"m{i}", text, torch.randn(cfg.n_bins, 100 + 50 * i).numpy(), TOK.encode(text, cfg.max_text_tokens))
             for i in range(2)]
    out = generate(model, collate(items, cfg.time_factor), TOK, beam=2, max_tokens=30)
    assert out == ["a lively allegro where the violins race ahead.", "a lively allegro where the violins race ahead."]

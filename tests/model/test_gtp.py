"""GTP loss, queue and momentum encoder: the properties issue 13 names, on the tiny config."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch", reason="torch is not installed: install the model extra (bash scripts/setup.sh --model)")

from earsense_m2t.model.batch import Item, collate  # noqa: E402
from earsense_m2t.model.config import GTPConfig  # noqa: E402
from earsense_m2t.model.gtp import (  # noqa: E402
    SYSTEMS,
    GroupQueue,
    GTPModel,
    gtp_loss_from_similarities,
    matched_spread,
    train_step,
)
from earsense_m2t.model.tokenizer import wordpiece  # noqa: E402

TEXTS = ["A lively allegro where the violins race ahead.", "A slow, sad adagio sung by the cello.",
         "A playful minuet with a rustic trio.", "The finale dances in a joyful rondo."]


def batch(cfg: GTPConfig, texts=TEXTS, frames=(130, 200, 96, 64), prefix="m", with_emotion=True):
    tok = wordpiece()
    gen = torch.Generator().manual_seed(1)
    items = [Item(f"{prefix}{i}", t, torch.randn(cfg.n_bins, f, generator=gen).numpy(), tok.encode(t, cfg.max_text_tokens),
                  torch.softmax(torch.randn(8, generator=gen), 0) if with_emotion else None, with_emotion)
             for i, (t, f) in enumerate(zip(texts, frames, strict=True))]
    return collate(items, cfg.time_factor)


def test_gtp_loss_is_zero_when_music_orders_the_group_as_text_does():
    text = torch.tensor([[0.9, 0.1, 0.4, 0.2], [0.3, 0.8, 0.1, 0.5]])
    valid = torch.ones_like(text, dtype=torch.bool)
    assert float(gtp_loss_from_similarities(text.clone(), text, valid, 32.0)) == 0.0
    # softmax ignores a shift: the same arrangement at another level is the same topology
    assert float(gtp_loss_from_similarities(text - 0.3, text, valid, 32.0)) == pytest.approx(0.0, abs=1e-12)
    swapped = text[:, [1, 0, 2, 3]]
    assert float(gtp_loss_from_similarities(swapped, text, valid, 32.0)) > 1e-3


def test_gtp_loss_ignores_members_outside_the_group():
    text = torch.tensor([[0.9, 0.1, 0.4, 0.2]])
    music = text.clone()
    music[0, 3] = 5.0  # wildly off, but not a member
    valid = torch.tensor([[True, True, True, False]])
    assert float(gtp_loss_from_similarities(music, text, valid, 32.0)) == pytest.approx(0.0, abs=1e-12)
    assert float(gtp_loss_from_similarities(music, text, torch.ones_like(valid), 32.0)) > 1e-3


@pytest.mark.parametrize("standardized", [False, True])
def test_squeezing_the_music_cosines_together_pays_only_with_the_papers_cosine(standardized):
    """Issue 20: against a text target it cannot predict, the paper's loss is lowered by making every cosine alike
    (the pooled music collapses toward one direction); standardized, the same squeeze changes nothing."""
    text = torch.tensor([[0.9, 0.1, 0.15, 0.2, 0.05], [0.1, 0.12, 0.8, 0.1, 0.2]])
    music = torch.tensor([[0.2, 0.9, 0.4, 0.1, 0.6], [0.7, 0.3, 0.1, 0.9, 0.5]])  # a wrong arrangement
    valid = torch.ones_like(text, dtype=torch.bool)
    squeezed = music.mean(dim=1, keepdim=True) + 0.01 * (music - music.mean(dim=1, keepdim=True))
    spread = float(gtp_loss_from_similarities(music, text, valid, 32.0, standardized=standardized))
    alike = float(gtp_loss_from_similarities(squeezed, text, valid, 32.0, standardized=standardized))
    if standardized:
        assert alike == pytest.approx(spread, rel=1e-4)
    else:
        assert alike < 0.5 * spread
    # either way the text's own arrangement is the best answer
    right = float(gtp_loss_from_similarities(text.clone(), text, valid, 32.0, standardized=standardized))
    assert right == pytest.approx(0.0, abs=1e-9)


def test_standardized_music_takes_the_texts_spread_over_the_valid_members_only():
    text = torch.tensor([[0.9, 0.1, 0.5, 7.0]])
    music = torch.tensor([[3.0, 1.0, 2.0, -50.0]])
    valid = torch.tensor([[True, True, True, False]])
    got = matched_spread(music, text, valid)[0, :3]
    assert got.tolist() == pytest.approx([0.4, -0.4, 0.0], abs=1e-5)  # music's order, the text's spread


def test_own_movement_is_excluded_from_its_group():
    queue = GroupQueue(k=4, dim=3)
    queue.enqueue(torch.eye(3), ["a", "b", "c"], ["x", "y", "z"])
    assert queue.valid(["b", "q"]).tolist() == [[True, False, True], [True, True, True]]


def test_queue_keeps_the_last_k():
    queue = GroupQueue(k=5, dim=2)
    for step in range(4):
        queue.enqueue(torch.full((2, 2), float(step)), [f"s{step}a", f"s{step}b"], [f"t{step}a", f"t{step}b"])
    assert queue.ids == ["s1b", "s2a", "s2b", "s3a", "s3b"]
    assert queue.texts == ["t1b", "t2a", "t2b", "t3a", "t3b"]
    assert queue.keys[:, 0].tolist() == [1.0, 2.0, 2.0, 3.0, 3.0]


def test_gradients_of_the_gtp_loss_reach_the_music_encoder():
    cfg = GTPConfig.tiny()
    model = GTPModel(cfg, n_emotions=8)
    b = batch(cfg)
    model.queue.enqueue(torch.randn(4, cfg.segments * cfg.hidden), ["q0", "q1", "q2", "q3"], list(reversed(TEXTS)))
    _, _, music = model.music_segments(b.spec, b.frames)
    loss = model.gtp_loss(music.flatten(1), b.ids, b.texts)
    assert float(loss.detach()) > 0
    loss.backward()
    first_conv = model.music_encoder.convs[0].weight
    assert first_conv.grad is not None and float(first_conv.grad.abs().sum()) > 0
    assert all(p.grad is None for p in model.momentum_encoder.parameters())


def momentum_changes(cfg: GTPConfig):
    """(online change, momentum-encoder change) of one train step on the 4-sample batch."""
    model = GTPModel(cfg, n_emotions=8)
    opt = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=1e-2)
    online0 = [p.detach().clone() for p in model.music_encoder.parameters()]
    key0 = [p.detach().clone() for p in model.momentum_encoder.parameters()]
    train_step(model, opt, batch(cfg))
    assert model.pending_samples == 0
    online = model.music_encoder.parameters()
    online_change = torch.cat([(p.detach() - p0).flatten() for p, p0 in zip(online, online0, strict=True)])
    keys = model.momentum_encoder.parameters()
    key_change = torch.cat([(p.detach() - p0).flatten() for p, p0 in zip(keys, key0, strict=True)])
    assert float(online_change.abs().max()) > 1e-3
    return online_change, key_change


@pytest.mark.parametrize("per_sample", [True, False])
def test_momentum_encoder_moves_once_per_sample(per_sample):
    """The authors' per-sample update: a step of 4 samples moves the keys by 1 − m⁴ of the online change (the
    old rule, once per step: 1 − m)."""
    cfg = GTPConfig.tiny().with_(momentum_per_sample=per_sample)
    online_change, key_change = momentum_changes(cfg)
    expected = (1 - cfg.momentum ** (4 if per_sample else 1)) * online_change
    # float32 rounding of m·θ_k + (1 − m)·θ_q is ~1e-8 per parameter, against changes of ~1e-5
    assert float((key_change - expected).norm() / expected.norm()) < 1e-2


def test_a_train_step_fills_the_queue_and_the_group_enters_the_loss():
    cfg = GTPConfig.tiny()
    model = GTPModel(cfg, n_emotions=8)
    opt = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=cfg.lr)
    first = train_step(model, opt, batch(cfg))
    assert first["gtp"] == 0.0 and model.queue.ids == ["m0", "m1", "m2", "m3"]
    # the same movements again: each one's own entry is left out, the other three form its group
    second = train_step(model, opt, batch(cfg))
    assert second["gtp"] > 0.0
    assert set(first) == {"music_to_text", "reconstruction", "text_autoencoder", "gtp", "sentiment", "total"}


def test_ablations_drop_their_losses():
    cfg = GTPConfig.tiny()
    b = batch(cfg)
    losses, _ = GTPModel(cfg, SYSTEMS["encoder_decoder"], n_emotions=8).losses(b)
    assert set(losses) == {"music_to_text", "total"}
    losses, _ = GTPModel(cfg, SYSTEMS["gtp_no_sentiment"], n_emotions=8).losses(b)
    assert "sentiment" not in losses and "gtp" in losses


def test_tiny_config_training_reduces_the_loss_on_a_fixed_batch():
    cfg = GTPConfig.tiny()
    model = GTPModel(cfg, n_emotions=8)
    opt = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=cfg.lr)
    b = batch(cfg)
    gen = torch.Generator().manual_seed(0)
    train_step(model, opt, b, gen)  # fills the queue: from here on every step has the same losses
    steps = [train_step(model, opt, b, gen) for _ in range(6)]
    # the cross-entropies and the reconstruction fall at every step; the GTP term (α = 500) moves with the queue's
    # keys, which the momentum encoder changes at every step, so only the total's trend is asked of it
    for name in ("music_to_text", "text_autoencoder", "reconstruction"):
        values = [s[name] for s in steps]
        assert all(b < a for a, b in zip(values, values[1:], strict=False)), (name, values)
    totals = [s["total"] for s in steps]
    assert totals[-1] < 0.95 * totals[0], totals

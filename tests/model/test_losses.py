"""The extra rows' losses (Joint, Contrastive, Pairwise, Triplet k = 1 / 32, Sentiment on Coordinate): their values on
small tables, their gradients reaching the music encoder, and one training step of each new system."""

from __future__ import annotations

import math

import pytest

torch = pytest.importorskip("torch", reason="torch is not installed: install the model extra (bash scripts/setup.sh --model)")

from earsense_m2t.model import losses  # noqa: E402
from earsense_m2t.model.config import GTPConfig  # noqa: E402
from earsense_m2t.model.gtp import SYSTEMS, GTPModel, train_step  # noqa: E402
from tests.model.test_gtp import TEXTS, batch  # noqa: E402

NEW_SYSTEMS = ("joint", "coordinate_contrastive", "coordinate_pairwise", "coordinate_triplet_k1",
               "coordinate_triplet_k32", "coordinate_sentiment")
#: the loss each new system adds to the Coordinate model's
ADDED = {"joint": {"discriminator", "confusion"}, "coordinate_contrastive": {"contrastive"},
         "coordinate_pairwise": {"pairwise"}, "coordinate_triplet_k1": {"triplet"}, "coordinate_triplet_k32": {"triplet"},
         "coordinate_sentiment": {"sentiment"}}

T = torch.tensor


@pytest.mark.parametrize("music, text, valid, expected", [
    # the partner is the most text-similar valid member: column 0 in row 0, column 1 in row 1
    ([[0.5, 0.9, 0.1], [0.2, 0.4, 0.3]], [[0.8, 0.3, 0.1], [0.1, 0.6, 0.2]], [[True] * 3] * 2,
     ((0.5 - 0.8) ** 2 + (0.4 - 0.6) ** 2) / 2),
    # row 0's best text is its own movement (not valid): the next best, column 1
    ([[0.5, 0.9, 0.1]], [[0.8, 0.3, 0.1]], [[False, True, True]], (0.9 - 0.3) ** 2),
    # music already equals text at the partner: 0
    ([[0.8, 0.0, 0.0]], [[0.8, 0.3, 0.1]], [[True] * 3], 0.0),
    # a row without members adds nothing
    ([[0.5, 0.9], [0.1, 0.1]], [[0.8, 0.3], [0.5, 0.5]], [[True, True], [False, False]], (0.5 - 0.8) ** 2),
    ([[0.5]], [[0.8]], [[False]], 0.0),
])
def test_pairwise_loss(music, text, valid, expected):
    assert float(losses.pairwise_loss(T(music), T(text), T(valid))) == pytest.approx(expected, abs=1e-6)


def test_the_authors_pairwise_loss_is_always_zero_and_the_papers_is_not():
    """What the released code computes: MSE(softmax(32 p), softmax(32 q)) of two scalars — 1 against 1."""
    p, q = T(0.3), T(0.9)
    authors = torch.nn.functional.mse_loss(p.mul(32).softmax(0), q.mul(32).softmax(0))
    assert float(authors) == 0.0
    assert float(losses.pairwise_loss(T([[0.3]]), T([[0.9]]), T([[True]]))) == pytest.approx(0.36)


@pytest.mark.parametrize("valid, k, expected", [
    # queue columns oldest → newest; the positive (highest text) is column 1
    ([[True, True, True, True]], 1, [[False, False, False, True]]),
    ([[True, True, True, True]], 2, [[False, False, True, True]]),
    ([[True, True, True, True]], 32, [[True, False, True, True]]),
    ([[True, True, True, False]], 1, [[False, False, True, False]]),
    ([[False, True, False, False]], 1, [[False, False, False, False]]),
])
def test_triplet_negatives_are_the_newest_other_members(valid, k, expected):
    text = T([[0.1, 0.9, 0.2, 0.3]])
    positive = losses.partners(text, T(valid))
    assert int(positive[0]) == 1
    assert losses.triplet_negatives(T(valid), positive, k).tolist() == expected


@pytest.mark.parametrize("music, k, expected", [
    # anchor·positive 0.9, negatives 0.1 and 0.85: hinge max(0, 0.1 + n − 0.9)
    ([[0.1, 0.9, 0.85]], 1, 0.05),
    ([[0.1, 0.9, 0.85]], 2, (0.0 + 0.05) / 2),
    ([[0.1, 0.9, 0.2]], 2, 0.0),  # every negative further than the positive by the margin
    ([[0.95, 0.9, 0.85]], 32, (0.15 + 0.05) / 2),
])
def test_triplet_loss(music, k, expected):
    text = T([[0.2, 0.9, 0.3]])
    valid = T([[True, True, True]])
    assert float(losses.triplet_loss(T(music), text, valid, k)) == pytest.approx(expected, abs=1e-6)


def test_triplet_loss_needs_a_negative():
    assert float(losses.triplet_loss(T([[0.5]]), T([[0.5]]), T([[True]]), 1)) == 0.0
    with pytest.raises(ValueError, match="k = 0 negatives"):
        losses.triplet_loss(T([[0.5]]), T([[0.5]]), T([[True]]), 0)


def test_confusion_is_lowest_when_the_discriminator_cannot_tell_and_the_discriminator_learns_to():
    disc = losses.ModalityDiscriminator(2, 3)
    music, text = torch.randn(4, 2, 3), torch.randn(4, 2, 3) + 2.0
    with torch.no_grad():
        disc.linear.weight.zero_()
        disc.linear.bias.zero_()
    assert float(losses.confusion_loss(disc, music, text)) == pytest.approx(math.log(2))
    opt = torch.optim.SGD(disc.parameters(), lr=0.5)
    first = float(losses.discriminator_loss(disc, music, text).detach())
    for _ in range(20):
        opt.zero_grad()
        losses.discriminator_loss(disc, music, text).backward()
        opt.step()
    assert float(losses.discriminator_loss(disc, music, text).detach()) < 0.5 * first
    assert float(losses.confusion_loss(disc, music, text).detach()) > math.log(2)  # now it tells them apart


def test_the_discriminator_term_trains_only_the_discriminator_and_the_confusion_term_only_the_input():
    disc = losses.ModalityDiscriminator(2, 3)
    music = torch.randn(2, 2, 3, requires_grad=True)
    text = torch.randn(2, 2, 3, requires_grad=True)
    losses.discriminator_loss(disc, music, text).backward()
    assert music.grad is None and disc.linear.weight.grad is not None
    disc.zero_grad()
    losses.confusion_loss(disc, music, text).backward()
    assert music.grad is not None and float(music.grad.abs().sum()) > 0 and disc.linear.weight.grad is None


@pytest.mark.parametrize("augmented, expected", [([], 0.0), ([[1.0, 2.0]], 2.5), ([[1.0, 2.0], [0.0, 0.0]], 1.25)])
def test_contrastive_loss_is_the_mean_mse_to_the_clean_music(augmented, expected):
    clean = T([0.0, 0.0])
    assert float(losses.contrastive_loss(clean, [T(a) for a in augmented])) == pytest.approx(expected)


def filled(system: str, cfg: GTPConfig) -> tuple[GTPModel, object]:
    """A model of ``system`` whose queue holds four other movements with the test texts (reversed)."""
    model = GTPModel(cfg, SYSTEMS[system], n_emotions=8)
    model.queue.enqueue(torch.randn(4, cfg.segments * cfg.hidden), ["q0", "q1", "q2", "q3"], list(reversed(TEXTS)))
    return model, batch(cfg)


@pytest.mark.parametrize("system, loss", [
    ("joint", "confusion"), ("coordinate_contrastive", "contrastive"), ("coordinate_pairwise", "pairwise"),
    ("coordinate_triplet_k1", "triplet"), ("coordinate_triplet_k32", "triplet"), ("coordinate_sentiment", "sentiment"),
])
def test_each_added_loss_reaches_the_music_encoder(system, loss):
    cfg = GTPConfig.tiny()
    model, b = filled(system, cfg)
    out, _ = model.losses(b, torch.Generator().manual_seed(0))
    value = out[loss]
    assert float(value.detach()) > 0, (system, loss)
    value.backward()
    first_conv = model.music_encoder.convs[0].weight
    assert first_conv.grad is not None and float(first_conv.grad.abs().sum()) > 0
    assert all(p.grad is None for p in model.momentum_encoder.parameters())


@pytest.mark.parametrize("system", NEW_SYSTEMS)
def test_each_new_system_trains_a_step_with_its_losses(system):
    cfg = GTPConfig.tiny()
    model = GTPModel(cfg, SYSTEMS[system], n_emotions=8)
    opt = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=cfg.lr)
    gen = torch.Generator().manual_seed(0)
    before = [p.detach().clone() for p in model.music_encoder.parameters()]
    train_step(model, opt, batch(cfg), gen)  # fills the queue
    second = train_step(model, opt, batch(cfg, prefix="n"), gen)
    coordinate = {"music_to_text", "text_autoencoder", "total"} | ({"reconstruction"} if system != "joint" else set())
    assert set(second) == coordinate | ADDED[system]
    assert all(math.isfinite(v) for v in second.values())
    assert any(not torch.equal(p, p0) for p, p0 in zip(model.music_encoder.parameters(), before, strict=True))
    assert (model.discriminator is not None) is (system == "joint")


def test_the_triplet_queue_holds_k_negatives_and_a_positive():
    cfg = GTPConfig.tiny()
    assert GTPModel(cfg, SYSTEMS["coordinate_triplet_k32"]).queue.k == 33
    assert GTPModel(cfg, SYSTEMS["coordinate_triplet_k1"]).queue.k == cfg.group_k
    assert GTPModel(cfg, SYSTEMS["gtp"]).queue.k == cfg.group_k


def test_every_table1_row_is_a_system_of_the_train_stage():
    from earsense_m2t.model.run import BASELINE_SYSTEMS, Plan
    from earsense_m2t.model.systems import TABLE1_SYSTEMS, TABLE1_TITLES

    assert len(TABLE1_SYSTEMS) == 12 and set(TABLE1_TITLES) == set(TABLE1_SYSTEMS)
    assert set(SYSTEMS) == set(TABLE1_SYSTEMS) - set(BASELINE_SYSTEMS)
    smoke = Plan.profile("smoke", "tiny", folds=(0,))
    smoke.check()  # every system, one fold, one epoch
    assert smoke.systems == TABLE1_SYSTEMS and smoke.epochs == 1

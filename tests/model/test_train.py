"""Training a system: loss goes down, accumulation equals a big batch, a resumed run equals an uninterrupted one."""

from __future__ import annotations

import json
import math
import time
from typing import Any

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="torch is not installed: install the model extra (bash scripts/setup.sh --model)")

from earsense_m2t.model import train as train_module  # noqa: E402
from earsense_m2t.model.batch import MovementDataset  # noqa: E402
from earsense_m2t.model.config import GTPConfig  # noqa: E402
from earsense_m2t.model.data import Split  # noqa: E402
from earsense_m2t.model.gtp import SYSTEMS, GTPModel  # noqa: E402
from earsense_m2t.model.tokenizer import wordpiece  # noqa: E402
from earsense_m2t.model.train import (  # noqa: E402
    BEST,
    DONE,
    TrainSettings,
    best_epoch,
    resolve_device,
    train_system,
    validation_loss,
)
from tests.model._release import small_fold  # noqa: E402

#: texts of equal WordPiece length and spectrograms of equal frames: then a batch's padding is the same
#: whichever way it is cut into micro-batches, and accumulation must give exactly the big batch's step
TEXTS = ["A lively allegro where the violins race ahead.", "A playful minuet with a rustic trio.",
         "A slow and sad adagio for cello.", "A happy minuet with a rustic trio."]
CFG = GTPConfig.tiny()
CPU = TrainSettings(epochs=1, batch_size=2, micro_batch=2, device="cpu")


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    """8 works × 2 movements, folds by work parity; test fold 0, validation 1 of fold 1's 4 works, train 6 rows."""
    assert len({wordpiece().pieces(t) for t in TEXTS}) == 1
    rows: list[dict[str, Any]] = [{"id": f"w{w}#{m}", "work_id": f"w{w}", "fold": w % 2, "text": TEXTS[(w + m) % len(TEXTS)]}
            for w in range(8) for m in (1, 2)]
    rng = np.random.default_rng(0)
    arrays = {r["id"]: rng.normal(-40.0, 10.0, (128, 256)).astype(np.float32) for r in rows}
    root = tmp_path_factory.mktemp("release")
    release, split, standardizer = small_fold(root, rows, arrays, CFG.max_frames)
    assert (len(split.train), len(split.validation)) == (6, 2)
    return release, split, standardizer


def train(data, path, system="gtp", epochs=1, cfg=CFG, seed=0, log=None, **settings):
    release, split, standardizer = data
    base = {"batch_size": 2, "micro_batch": 2, "device": "cpu", **settings}
    return train_system(release, split, standardizer, cfg, system, seed, TrainSettings(epochs=epochs, **base), path, log=log)


def states_equal(a: dict, b: dict, atol: float = 0.0) -> bool:
    return a.keys() == b.keys() and all(torch.allclose(a[k].float(), b[k].float(), rtol=0.0, atol=atol) for k in a)


@pytest.fixture(scope="module")
def gtp_run(data, tmp_path_factory):
    """10 epochs of 3 steps at lr 1e-2: the tiny GTP term (α · gtp ≈ 25-45) barely trains in so few steps and swings
    with the queue's contents, so the cross-entropies must fall by more than its swing to show in the total."""
    path = tmp_path_factory.mktemp("gtp")
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # conftest's one-thread fixture is per test and starts after this one
    try:
        start = time.perf_counter()
        run = train(data, path, epochs=10, cfg=CFG.with_(lr=1e-2))
        return run, path, time.perf_counter() - start
    finally:
        torch.set_num_threads(threads)


def test_device_resolution():
    assert resolve_device("cpu") == torch.device("cpu")
    assert resolve_device("auto") == torch.device("cuda" if torch.cuda.is_available() else "cpu")
    with pytest.raises(ValueError, match="'tpu'"):
        resolve_device("tpu")


def test_settings_and_inputs_that_cannot_train(data, tmp_path):
    with pytest.raises(ValueError, match="batch_size 4 must be a positive multiple of micro_batch 3"):
        TrainSettings(epochs=1, batch_size=4, micro_batch=3)
    release, split, standardizer = data
    with pytest.raises(ValueError, match="unknown system 'gpt'; known: encoder_decoder, joint, coordinate, .*, gtp"):
        train_system(release, split, standardizer, CFG, "gpt", 0, CPU, tmp_path)
    empty = Split([], split.validation, split.test)
    with pytest.raises(ValueError, match="coordinate, fold 0: no training examples"):
        train_system(release, empty, standardizer, CFG, "coordinate", 0, CPU, tmp_path)


def test_gtp_training_lowers_the_loss(gtp_run):
    run, path, seconds = gtp_run
    first, last = run.history[0], run.history[-1]
    assert last["train_total"] < 0.8 * first["train_total"], [h["train_total"] for h in run.history]
    assert last["train_music_to_text"] < 0.8 * first["train_music_to_text"]
    assert set(first) == {"epoch", "train_total", "train_music_to_text", "train_reconstruction", "train_text_autoencoder",
                          "train_gtp", "train_sentiment", "validation", "validation_cosine_mean", "validation_cosine_std"}
    assert [h["epoch"] for h in run.history] == [float(e) for e in range(1, 11)]
    assert (run.system, run.fold, run.seed, run.resumed_from) == ("gtp", 0, 0, None)
    # 6 samples × 10 epochs over the training loop's seconds, which are fewer than the whole call's
    assert 60 / seconds < run.samples_per_s < math.inf
    assert sorted(p.name for p in path.iterdir()) == [BEST, DONE, "epoch-0010.pt"]
    assert not run.model.training


def test_best_epoch_is_the_lowest_validation_loss_and_its_weights_are_returned(data, tmp_path, monkeypatch):
    states = []

    def scripted_validation(model, *args, **kwargs):
        states.append({k: v.clone() for k, v in model.state_dict().items()})
        return [3.0, 1.0, 2.0][len(states) - 1], {}

    monkeypatch.setattr(train_module, "validation_scores", scripted_validation)
    run = train(data, tmp_path, "encoder_decoder", epochs=3)
    assert [h["validation"] for h in run.history] == [3.0, 1.0, 2.0] and run.best_epoch == 2
    assert states_equal(run.model.state_dict(), states[1]) and not states_equal(run.model.state_dict(), states[2], 1e-4)
    assert best_epoch([{"validation": 3.0}, {"validation": 1.0}, {"validation": 1.0}, {"validation": 2.0}]) == 2
    assert best_epoch([{"validation": math.nan}, {"validation": math.nan}]) == 2  # no validation rows: the last


def test_the_validation_loss_is_the_returned_weights_cross_entropy(data, gtp_run):
    run, _, _ = gtp_run
    validation = [h["validation"] for h in run.history]
    assert run.best_epoch == 1 + int(np.argmin(validation))
    release, split, standardizer = data
    val_set = MovementDataset(release, split.validation, standardizer, wordpiece(), CFG.max_frames, CFG.max_text_tokens)
    assert validation_loss(run.model, val_set, 2, torch.device("cpu")) == pytest.approx(validation[run.best_epoch - 1],
                                                                                         rel=1e-6)


def test_micro_batches_accumulate_to_the_big_batch(data, tmp_path):
    # encoder-decoder: no GTP queue, whose groups differ when keys enter per micro-batch
    whole = train(data, tmp_path / "whole", "encoder_decoder", batch_size=4, micro_batch=4)
    parts = train(data, tmp_path / "parts", "encoder_decoder", batch_size=4, micro_batch=2)
    single = train(data, tmp_path / "single", "encoder_decoder", batch_size=2, micro_batch=2)
    # Adam divides by √v: where a gradient is near zero (attention biases), the rounding of another summation
    # order shows up to ~3e-5 after a step of lr 1e-3; a wrong accumulation moves weights by ~lr
    assert states_equal(whole.model.state_dict(), parts.model.state_dict(), atol=1e-4)
    assert whole.history[0]["train_total"] == pytest.approx(parts.history[0]["train_total"], rel=1e-6)
    # the comparison can tell: steps of 2 samples end elsewhere, and training moved the weights
    assert not states_equal(whole.model.state_dict(), single.model.state_dict(), atol=5e-4)
    torch.manual_seed(0)
    initial = GTPModel(CFG, SYSTEMS["encoder_decoder"]).state_dict()
    assert not states_equal(whole.model.state_dict(), initial, atol=5e-4)


def test_a_resumed_run_ends_as_the_uninterrupted_one(data, tmp_path, monkeypatch):
    cfg = CFG.with_(dropout=0.1)  # dropout draws from the global RNG: its state must come back too
    straight = train(data, tmp_path / "straight", epochs=2, cfg=cfg)
    first = train(data, tmp_path / "resumed", epochs=1, cfg=cfg)
    assert first.resumed_from is None and len(first.history) == 1
    lines: list[str] = []
    resumed = train(data, tmp_path / "resumed", epochs=2, cfg=cfg, log=lines.append)
    assert resumed.resumed_from == 1
    assert lines[0].startswith("gtp fold 0 seed 0: resumed from epoch 1") and "epoch 2/2" in lines[1], lines
    assert resumed.history == straight.history and resumed.best_epoch == straight.best_epoch
    assert states_equal(resumed.model.state_dict(), straight.model.state_dict())
    last = [torch.load(tmp_path / d / "epoch-0002.pt", weights_only=True) for d in ("straight", "resumed")]
    assert states_equal(last[0]["model"], last[1]["model"])
    assert last[0]["queue"]["ids"] == last[1]["queue"]["ids"] and torch.equal(last[0]["queue"]["keys"],
                                                                              last[1]["queue"]["keys"])
    assert not (tmp_path / "resumed" / "epoch-0001.pt").exists()

    # done.json: the same call again trains nothing and gives the stored result
    def no_training(*args, **kwargs):
        raise AssertionError("a finished run was trained again")

    monkeypatch.setattr(train_module, "train_epoch", no_training)
    again = train(data, tmp_path / "straight", epochs=2, cfg=cfg)
    assert again.history == straight.history and again.best_epoch == straight.best_epoch
    assert (again.resumed_from, again.samples_per_s) == (2, 0.0)
    assert states_equal(again.model.state_dict(), straight.model.state_dict())
    assert json.loads((tmp_path / "straight" / DONE).read_text())["epochs"] == 2
    with pytest.raises(ValueError, match=r"checkpoint of another run \(differs in seed\)"):
        train(data, tmp_path / "straight", epochs=2, cfg=cfg, seed=1)

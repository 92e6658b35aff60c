"""Pretraining per fold (issue 20): reused by every system, resumable, never on held-out texts; every music loss
reaches the music encoder; the pooled representation is not degenerate, and the old stack's is."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="torch is not installed: install the model extra (bash scripts/setup.sh --model)")

from earsense_m2t.model.batch import MovementDataset, collate  # noqa: E402
from earsense_m2t.model.config import GTPConfig  # noqa: E402
from earsense_m2t.model.gtp import GTPModel  # noqa: E402
from earsense_m2t.model.music import MusicEncoder  # noqa: E402
from earsense_m2t.model.pretrain import STATS, check_text_corpus, pretrain_fold, pretrain_text  # noqa: E402
from earsense_m2t.model.representation import (  # noqa: E402
    check_non_degenerate,
    cosine_stats,
    pooled_music,
    tempo_probe,
)
from earsense_m2t.model.tokenizer import wordpiece  # noqa: E402
from earsense_m2t.model.train import DONE, TrainSettings, train_system  # noqa: E402
from tests.model._release import small_fold  # noqa: E402

CFG = GTPConfig.tiny().with_(pretrain_music_epochs=2, pretrain_text_epochs=2)
CPU = TrainSettings(epochs=1, batch_size=2, micro_batch=2, device="cpu")
TEMPI = ("slow", "fast")


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    """8 works × 2 movements with texts of their own; test fold 0, validation 1 of fold 1's 4 works, 6 training rows."""
    rows: list[dict[str, Any]] = [
        {"id": f"w{w}#{m}", "work_id": f"w{w}", "fold": w % 2, "tempo_tag": TEMPI[m - 1],
         "text": f"Movement {m} of work {w}: a {TEMPI[m - 1]} piece for strings number {w * 2 + m}."}
        for w in range(8) for m in (1, 2)]
    rng = np.random.default_rng(0)
    arrays = {r["id"]: rng.normal(-40.0, 10.0, (100 + 20 * (i % 3), 256)).astype(np.float32) for i, r in enumerate(rows)}
    root = tmp_path_factory.mktemp("release")
    release, split, standardizer = small_fold(root, rows, arrays, CFG.max_frames)
    assert (len(split.train), len(split.validation)) == (6, 2)
    return release, split, standardizer


def files(directory) -> dict[str, int]:
    return {str(p.relative_to(directory)): p.stat().st_mtime_ns for p in sorted(directory.rglob("*")) if p.is_file()}


def test_a_folds_pretraining_is_trained_once_and_every_system_starts_from_it(data, tmp_path):
    release, split, std = data
    lines: list[str] = []
    first = pretrain_fold(release, split, std, CFG, CPU, tmp_path / "pretrain", log=lines.append)
    assert first.trained_epochs == 4 and first.fold == 0
    written = files(tmp_path / "pretrain")
    assert {"music/epoch-0002.pt", "music/done.json", "text/epoch-0002.pt", "text/done.json", STATS} <= set(written)
    stats = json.loads((tmp_path / "pretrain" / STATS).read_text())
    assert stats["before"]["music_cosine"]["n"] == stats["after"]["music_cosine"]["n"] == 8 * 7 // 2
    assert [h["epoch"] for h in stats["music_history"]] == [1.0, 2.0] and "cosine_std" in stats["music_history"][0]
    assert stats["text_bleu"]["n"] == 6 * 5 and stats["after"]["tempo_probe"]["n_eval"] == 2
    assert any("cosine_mean" in line for line in lines), lines

    trained: list[GTPModel] = []
    for system in ("coordinate", "encoder_decoder"):
        again = pretrain_fold(release, split, std, CFG, CPU, tmp_path / "pretrain", log=lines.append)
        assert again.trained_epochs == 0 and again.digest == first.digest
        assert files(tmp_path / "pretrain") == written  # nothing trained or rewritten
        run = train_system(release, split, std, CFG, system, 0, CPU, tmp_path / system, pretrained=again)
        key = json.loads((tmp_path / system / DONE).read_text())["key"]
        assert key["pretrained"] == first.digest
        trained.append(run.model)
    assert lines[-1].startswith("pretrain fold 0: reused"), lines

    # a system starts from the pretrained weights (and its momentum encoder from the pretrained music encoder)
    model = GTPModel(CFG)
    model.load_pretrained(first.music, first.text)
    for name, value in model.music_encoder.state_dict().items():
        assert torch.equal(value, first.music[f"encoder.{name}"]), name
        assert torch.equal(model.momentum_encoder.state_dict()[name], value), name
    assert torch.equal(model.text_decoder.bias, first.text["decoder.bias"])


def test_a_pretraining_resumes_and_more_epochs_continue_it(data, tmp_path):
    release, split, std = data
    one = CFG.with_(pretrain_music_epochs=1, pretrain_text_epochs=1)
    pretrain_fold(release, split, std, one, CPU, tmp_path)
    (tmp_path / "music" / DONE).unlink()  # killed between the last epoch file and done.json
    lines: list[str] = []
    resumed = pretrain_fold(release, split, std, one, CPU, tmp_path, log=lines.append)
    assert resumed.trained_epochs == 0 and (tmp_path / "music" / DONE).is_file()
    more = pretrain_fold(release, split, std, CFG, CPU, tmp_path, log=lines.append)
    assert more.trained_epochs == 2 and "music autoencoder: resumed from epoch 1" in lines[1]
    assert sorted(p.name for p in (tmp_path / "music").iterdir()) == [DONE, "epoch-0002.pt"]
    straight = pretrain_fold(release, split, std, CFG, CPU, tmp_path / "straight")
    assert all(torch.equal(straight.music[k], more.music[k]) for k in straight.music)
    with pytest.raises(ValueError, match=r"checkpoint of another run \(differs in config\)"):
        pretrain_fold(release, split, std, CFG.with_(lr=1e-2), CPU, tmp_path)


def test_a_held_out_text_in_the_text_autoencoders_data_is_refused(data, tmp_path):
    release, split, _ = data
    check_text_corpus(split.train, split)
    planted = split.test[0]
    for examples in ([*split.train, planted],  # a test row
                     [*split.train[1:], replace(split.train[0], text=planted.text)],  # its text under a training id
                     [*split.train, split.validation[0]]):  # a validation row
        with pytest.raises(ValueError, match=r"text autoencoder, fold 0: 1 texts of validation or test works in its "
                                             r"data \(w\d#\d\); it trains on the fold's training works only"):
            pretrain_text(release, split, CFG, CPU, tmp_path, lambda _: None, examples)
    assert not list(tmp_path.iterdir())  # refused before anything was written


def test_every_music_loss_reaches_the_music_encoder(data):
    """Reconstruction, music→text (the coordination), GTP and sentiment send gradient into the music encoder's
    first convolution and its transformer; the text autoencoder's loss cannot (no music in it): it trains the
    shared decoder that the music is decoded through."""
    release, split, std = data
    tok = wordpiece()
    dataset = MovementDataset(release, split.train[:4], std, tok, CFG.max_frames, CFG.max_text_tokens)
    batch = collate([dataset[i] for i in range(4)], CFG.time_factor)
    gen = torch.Generator().manual_seed(0)
    batch.emotion, batch.has_emotion = torch.softmax(torch.randn(4, 8, generator=gen), 1), torch.ones(4, dtype=torch.bool)
    model = GTPModel(CFG, n_emotions=8)
    model.queue.enqueue(torch.randn(4, CFG.segments * CFG.hidden, generator=gen), ["q0", "q1", "q2", "q3"],
                        [e.text for e in split.validation * 2])
    losses, _ = model.losses(batch, gen)
    assert set(losses) == {"music_to_text", "reconstruction", "text_autoencoder", "gtp", "sentiment", "total"}
    watched = {"first conv": model.music_encoder.convs[0].weight, "first norm": model.music_encoder.norms[0].weight,
               "positions": model.music_encoder.positions.weight,
               "transformer": model.music_encoder.transformer.layers[0].linear1.weight}
    for name in ("reconstruction", "music_to_text", "gtp", "sentiment", "text_autoencoder"):
        assert float(losses[name].detach()) > 0, name
        model.zero_grad(set_to_none=True)
        losses[name].backward(retain_graph=True)
        reached = {part: p.grad is not None and float(p.grad.abs().sum()) > 0 for part, p in watched.items()}
        if name == "text_autoencoder":
            assert not any(reached.values()), reached
            assert float(model.text_decoder.layers.layers[0].linear1.weight.grad.abs().sum()) > 0
        else:
            assert all(reached.values()), (name, reached)
    assert all(p.grad is None for p in model.momentum_encoder.parameters())


def pooled(cfg: GTPConfig, data) -> torch.Tensor:
    release, split, std = data
    examples = [*split.train, *split.validation]
    dataset = MovementDataset(release, examples, std, wordpiece(), cfg.max_frames, cfg.max_text_tokens)
    torch.manual_seed(0)
    return pooled_music(MusicEncoder(cfg), dataset, cfg.segments)


def test_the_non_degeneracy_check_fails_on_the_old_stack_and_passes_on_the_new(data, tmp_path):
    """At initialization and after 2 pretraining epochs on this fixture. (Longer pretraining on real music can
    undo the old stack's collapse too: on the mini site, 20 epochs took it to 0.24-0.70; docs/design-notes.md.)"""
    old = CFG.with_(conv_norm="none", music_positions=False, momentum_per_sample=False)
    ok, reason = check_non_degenerate(cosine_stats(pooled(old, data)))
    assert not ok and reason.startswith("degenerate: mean off-diagonal cosine 0.99"), reason
    ok, reason = check_non_degenerate(cosine_stats(pooled(CFG, data)))
    assert ok, reason
    release, split, std = data
    for cfg, expected in ((old, False), (CFG, True)):  # after pretraining too (stats.json)
        stats = pretrain_fold(release, split, std, cfg, CPU, tmp_path / cfg.conv_norm).stats
        assert (stats["before"]["non_degenerate"], stats["after"]["non_degenerate"]) == (expected, expected), stats


def test_cosine_stats_and_the_tempo_probe_on_known_vectors():
    vectors = torch.tensor([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    stats = cosine_stats(vectors)
    assert stats["n"] == 3 and stats["min"] == pytest.approx(0.0) and stats["max"] == pytest.approx(2 ** -0.5)
    assert stats["mean"] == pytest.approx(2 * 2 ** -0.5 / 3)
    assert check_non_degenerate(cosine_stats(torch.ones(4, 3) + 1e-6 * torch.randn(4, 3)))[0] is False
    # a tag that one feature separates: the probe finds it where the majority answer cannot
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(40, 5, generator=gen)
    tags = ["fast" if v > 0 else "slow" for v in x[:, 2].tolist()]
    probe = tempo_probe(x[:30], tags[:30], x[30:], tags[30:])
    assert probe.accuracy >= 0.9 and probe.beats_majority and probe.n_eval == 10
    assert tags[:30].count(probe.majority_label) == max(tags[:30].count(t) for t in ("fast", "slow"))
    assert probe.majority == tags[30:].count(probe.majority_label) / 10
    with pytest.raises(ValueError, match="tempo probe: 0 training"):
        tempo_probe(x[:3], [None] * 3, x[3:5], ["fast", "slow"])



def test_a_fold_with_more_training_movements_than_the_stats_sample_keeps_validation_ones(data, monkeypatch):
    """The stats sample takes validation movements first: with a cap below the training set they are not lost."""
    import earsense_m2t.model.pretrain as pretrain_module
    from earsense_m2t.model.music import MusicAutoencoder

    release, split, std = data
    monkeypatch.setattr(pretrain_module, "STATS_MOVEMENTS", 4)  # fewer than the 6 training movements
    torch.manual_seed(0)
    stats = pretrain_module.representation_stats(MusicAutoencoder(CFG), release, split, std, torch.device("cpu"))
    assert stats["movements"] == 4
    assert "skipped" not in stats["tempo_probe"], stats["tempo_probe"]

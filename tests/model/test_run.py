"""A training run end to end on a small release: every check before the first step, the table, resuming."""

from __future__ import annotations

import json

import numpy as np
import pytest

pytest.importorskip("torch", reason="torch is not installed: install the model extra (bash scripts/setup.sh --model)")
pytest.importorskip("pycocoevalcap", reason="pycocoevalcap is not installed: install the model extra")

from earsense_m2t.model.run import Plan, prepare, train_release  # noqa: E402
from earsense_m2t.model.systems import TABLE1_SYSTEMS  # noqa: E402
from earsense_m2t.schemas.training import TrainingRun  # noqa: E402
from tests.model._release import movements, spectrograms, write_release  # noqa: E402

TEMPI = ("slow", "fast", "medium")


def tagged_movements(n_works: int, n_folds: int = 2) -> list[dict]:
    rows = movements(n_works, per_work=2, n_folds=n_folds)
    for i, r in enumerate(rows):
        r["tempo_tag"] = TEMPI[i % 3]
        r["ensemble"] = "quartet" if i % 2 else "trio"
    return rows


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    """A published-shaped dataset folder: the live version is the folder itself (v9.9.9)."""
    rows = tagged_movements(6)
    return write_release(tmp_path_factory.mktemp("release") / "earsense-m2t", rows, spectrograms(rows, frames=80))


def test_the_profiles():
    smoke = Plan.profile("smoke", "tiny")
    assert (smoke.epochs, smoke.seeds, smoke.folds, smoke.beam, smoke.max_tokens) == (1, (0,), (0, 1), 3, 200)
    assert smoke.pretrain_epochs == (1, 1)
    full = Plan.profile("full", "paper", seeds=(4,))
    assert full.epochs == 40 and full.seeds == (4,) and full.folds is None and full.systems == TABLE1_SYSTEMS
    assert full.pretrain_epochs is None  # the config's
    with pytest.raises(ValueError, match="unknown training profile 'fast'"):
        Plan.profile("fast", "tiny")
    with pytest.raises(ValueError, match="unknown model config 'huge'"):
        Plan.profile("full", "huge")


@pytest.mark.parametrize("change, message", [
    ({"systems": ("gtp", "bert")}, "unknown systems bert"),
    ({"epochs": 0}, "epochs 0: at least 1"),
    ({"seeds": ()}, "seeds: at least one"),
    ({"micro_batch": 3}, "micro_batch 3: the tiny config's batch of 2 is not a multiple of it"),
    ({"pretrain_epochs": (1, -1)}, r"pretrain_epochs \(1, -1\): \(music, text\), each ≥ 0"),
])
def test_a_bad_plan_is_refused_before_anything_is_read(tmp_path, change, message):
    from dataclasses import replace

    with pytest.raises(ValueError, match=message):
        prepare(tmp_path / "nothing", None, replace(Plan.profile("smoke", "tiny"), **change), tmp_path / "out")


def test_a_version_that_does_not_exist_is_named(dataset, tmp_path):
    with pytest.raises(ValueError, match="version 4.0.0 does not exist"):
        prepare(dataset, "4.0.0", Plan.profile("smoke", "tiny"), tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_a_fold_the_release_does_not_have_is_named(dataset, tmp_path):
    with pytest.raises(ValueError, match=r"version 9.9.9: folds \[3\] have no example"):
        prepare(dataset, None, Plan.profile("smoke", "tiny", folds=(0, 3)), tmp_path / "out")


def test_a_release_with_a_nan_spectrogram_is_refused_with_its_row(tmp_path):
    rows = tagged_movements(4)
    arrays = spectrograms(rows, frames=80)
    arrays["w2#1"][5, 7] = np.nan
    path = write_release(tmp_path / "earsense-m2t", rows, arrays)
    with pytest.raises(ValueError, match=r"version 9.9.9: NaN or infinite spectrogram values: w2#1"):
        prepare(path, None, Plan.profile("smoke", "tiny"), tmp_path / "out")


@pytest.fixture(scope="module")
def smoke_run(dataset, tmp_path_factory):
    out = tmp_path_factory.mktemp("training")
    lines: list[str] = []
    result = train_release(dataset, None, Plan.profile("smoke", "tiny", max_tokens=12), out, log=lines.append)
    return out, result, lines


def test_a_smoke_run_writes_the_table_with_every_system(smoke_run):
    out, result, _ = smoke_run
    [run] = result.of(TrainingRun)
    assert run.id == "v9.9.9-tiny" and run.folds == (0, 1) and run.seeds == (0,) and not result.failures
    assert result.counts["computed"] == 2 * len(TABLE1_SYSTEMS) == 24 and result.counts["reused"] == 0
    results = json.loads((out / "v9.9.9-tiny" / "results.json").read_text())
    assert results["dataset_version"] == "9.9.9" and results["config"] == "tiny"
    assert list(results["systems"]) == list(TABLE1_SYSTEMS)  # all twelve rows of the paper's Table 1, in its order
    for name, metrics in results["systems"].items():
        for metric in ("bleu", "bleu_paper_compatible", "meteor", "rouge_l", "cider_d"):
            stat = metrics[metric]
            assert stat["mean"] is not None and len(stat["per_fold"]) == 2 and stat["n"] == 2, (name, metric)
    md = (out / "v9.9.9-tiny" / "results.md").read_text()
    assert "| GTP without sentiment |" in md and "| Coordinate + Triplet loss (k = 32) |" in md
    assert "Differences from the paper" in md and "always exactly 0" in md  # the authors' pairwise loss, listed
    assert (out / "v9.9.9-tiny" / "loss_curves.png").stat().st_size > 0
    unit = json.loads((out / "v9.9.9-tiny" / "units" / "gtp" / "seed0" / "fold0.json").read_text())
    assert unit["best_epoch"] == 1 and len(unit["history"]) == 1
    test_ids = {g["id"] for g in unit["generations"]}
    assert test_ids and all(i.startswith(("w0#", "w2#", "w4#")) for i in test_ids)  # fold 0: the even works
    assert not list(out.rglob("*.tmp"))


def test_each_fold_is_pretrained_once_before_its_systems(smoke_run):
    out, _, lines = smoke_run
    run_dir = out / "v9.9.9-tiny"
    for fold in (0, 1):
        summaries = [i for i, line in enumerate(lines) if line.startswith(f"pretrain fold {fold}: ")]
        assert len(summaries) == 1 and "trained 2 epochs" in lines[summaries[0]], lines
        first_system = next(i for i, line in enumerate(lines) if line.startswith(("encoder_decoder fold", "coordinate fold",
                                                                                   "gtp fold")) and f"fold {fold} " in line)
        assert summaries[0] < first_system
        stats = json.loads((run_dir / "pretrain" / f"fold{fold}" / "stats.json").read_text())
        assert stats["epochs"] == [1, 1] and stats["before"]["music_cosine"]["n"] > 0
        unit = json.loads((run_dir / "units" / "gtp" / "seed0" / f"fold{fold}.json").read_text())
        assert "validation_cosine_mean" in unit["history"][0]
    results = json.loads((run_dir / "results.json").read_text())
    assert set(results["pretraining"]) == {"fold0", "fold1"}
    assert results["pretraining"]["fold0"]["music_cosine_after"]["mean"] < 0.999


def test_a_second_call_reuses_every_unit_and_another_plan_is_refused(smoke_run, dataset):
    out, first, _ = smoke_run
    lines: list[str] = []
    again = train_release(dataset, None, Plan.profile("smoke", "tiny", max_tokens=12), out, log=lines.append)
    assert again.counts["computed"] == 0 and again.counts["reused"] == 2 * len(TABLE1_SYSTEMS)
    assert not [line for line in lines if line.startswith("pretrain")], lines  # every unit done: nothing to pretrain
    [a], [b] = first.of(TrainingRun), again.of(TrainingRun)
    assert a.bleu == b.bleu
    with pytest.raises(ValueError, match=r"another plan is there \(epochs: 1 there, 2 now\)"):
        prepare(dataset, None, Plan.profile("smoke", "tiny", max_tokens=12, epochs=2), out)


def test_a_fold_whose_pretraining_fails_fails_its_neural_units_once(dataset, tmp_path, monkeypatch):
    from earsense_m2t.model import run as run_module

    calls: list[int] = []

    def out_of_memory(prep, fold, device, log):
        calls.append(fold)
        raise RuntimeError("CUDA out of memory (simulated)")

    monkeypatch.setattr(run_module, "pretrained_for", out_of_memory)
    plan = Plan.profile("smoke", "tiny", folds=(0,), systems=("encoder_decoder", "gtp"))
    result = train_release(dataset, None, plan, tmp_path, log=lambda _: None)
    assert calls == [0] and result.counts["computed"] == 0
    assert [(f.item_id, f.reason) for f in result.failures] == [
        (f"{s}/fold0/seed0", "pretraining fold 0: CUDA out of memory (simulated)") for s in ("encoder_decoder", "gtp")]


def test_the_table_shows_both_bleu_conventions_both_sentiment_figures_and_the_p_values(smoke_run):
    from earsense_m2t.model.results import SCORING_RULE

    out, _, _ = smoke_run
    md = (out / "v9.9.9-tiny" / "results.md").read_text()
    header = next(line for line in md.splitlines() if line.startswith("| system | BLEU |"))
    for title in ("BLEU (paper's call)", "sentiment r (corpus, paper's)", "sentiment r (mean per pair)"):
        assert title in header, header
    assert SCORING_RULE in md and "## Significance: GTP against each system" in md
    sig = json.loads((out / "v9.9.9-tiny" / "results.json").read_text())["significance"]
    assert sig["reference"] == "gtp" and set(sig["against"]) == set(TABLE1_SYSTEMS) - {"gtp"}
    bleu = sig["against"]["tags_knn"]["bleu"]
    assert bleu["n"] == 2 and {"p_t", "p_wilcoxon", "mean_difference"} <= set(bleu)  # 2 folds × 1 seed

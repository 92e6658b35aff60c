"""The table of a training run: means over folds, spread over seeds kept apart, the paper's figures beside ours."""

from __future__ import annotations

import json
import statistics

import pytest

from earsense_m2t.model.results import (
    DIFFERENCES,
    PAPER_BLEU,
    SYSTEM_ORDER,
    SYSTEM_TITLES,
    Unit,
    markdown,
    plot_losses,
    summarize,
    write_json,
)

#: (system, fold, seed) -> bleu
BLEU = {("gtp", 0, 0): 6.0, ("gtp", 0, 1): 8.0, ("gtp", 1, 0): 2.0, ("gtp", 1, 1): 4.0,
        ("tags_knn", 0, 0): 3.0, ("tags_knn", 0, 1): 3.0, ("tags_knn", 1, 0): 1.0, ("tags_knn", 1, 1): 1.0}


def units() -> list[Unit]:
    return [Unit(s, f, seed, {"bleu": v, "meteor": None if s == "tags_knn" else v / 2}) for (s, f, seed), v in BLEU.items()]


def test_a_fold_is_the_mean_of_its_seeds_and_the_spread_over_folds_and_over_seeds_are_kept_apart():
    table = summarize(units(), ["bleu", "meteor"], folds=[0, 1], seeds=[0, 1])
    gtp = table["gtp"]["bleu"]
    assert gtp["per_fold"] == [7.0, 3.0]
    assert gtp["per_fold_seed_std"] == [pytest.approx(statistics.stdev([6.0, 8.0])), pytest.approx(1.4142, abs=1e-4)]
    assert gtp["mean"] == 5.0 and gtp["std"] == pytest.approx(statistics.stdev([7.0, 3.0]))
    assert gtp["per_seed"] == [4.0, 6.0] and gtp["seed_std"] == pytest.approx(statistics.stdev([4.0, 6.0]))
    assert gtp["n"] == 2
    # a deterministic baseline has no spread over seeds
    assert table["tags_knn"]["bleu"]["seed_std"] == 0.0
    # a metric never computed for a system is None, not 0
    assert table["tags_knn"]["meteor"]["mean"] is None and table["gtp"]["meteor"]["mean"] == 2.5


def test_a_fold_whose_units_all_failed_is_left_out_and_said_so():
    kept = [u for u in units() if not (u.system == "gtp" and u.fold == 1)]
    gtp = summarize(kept, ["bleu"], folds=[0, 1], seeds=[0, 1])["gtp"]["bleu"]
    assert gtp["per_fold"] == [7.0, None] and gtp["mean"] == 7.0 and gtp["n"] == 1 and gtp["std"] == 0.0


def test_systems_come_in_the_papers_order():
    table = summarize([Unit(s, 0, 0, {"bleu": 1.0}) for s in reversed(SYSTEM_ORDER)], ["bleu"], [0], [0])
    assert list(table) == list(SYSTEM_ORDER)


def results_payload() -> dict:
    return {"dataset_version": "1.2.0", "config": "tiny", "folds": [0, 1], "seeds": [0, 1],
            "settings": {"epochs": 3}, "environment": {"device": "cpu"},
            "systems": summarize(units(), ["bleu", "meteor"], [0, 1], [0, 1]),
            "failures": [{"item_id": "gtp/fold1/seed2", "code": "training_failed", "reason": "CUDA out of memory"}]}


def test_the_markdown_table_has_each_system_its_folds_the_papers_bleu_and_the_differences():
    text = markdown(results_payload())
    assert text.startswith("# GTP results: dataset v1.2.0, config `tiny`")
    gtp_row = next(line for line in text.splitlines() if line.startswith(f"| {SYSTEM_TITLES['gtp']} |"))
    assert "5.00 ± 2.83" in gtp_row and f"{PAPER_BLEU['gtp']:.2f}" in gtp_row
    knn_row = next(line for line in text.splitlines() if line.startswith(f"| {SYSTEM_TITLES['tags_knn']} |"))
    assert "—" in knn_row  # METEOR missing for it
    assert "| GTP | 7.00 ± 1.41 | 3.00 ± 1.41 | 1.41 |" in text  # per fold: mean ± std over seeds; seeds' spread
    assert "gtp/fold1/seed2: CUDA out of memory" in text
    assert all(d in text for d in DIFFERENCES)


def test_the_loss_plot_and_the_json_are_written(tmp_path):
    histories = {"gtp": [[{"epoch": 1, "train_total": 5.0, "validation": 4.0},
                          {"epoch": 2, "train_total": 3.0, "validation": 3.5}]]}
    png = plot_losses(histories, tmp_path / "plots" / "loss.png")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    path = write_json(tmp_path / "r.json", results_payload())
    assert json.loads(path.read_text())["systems"]["gtp"]["bleu"]["mean"] == 5.0
    assert not list(tmp_path.glob("*.tmp"))

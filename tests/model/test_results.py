"""The table of a training run: means over folds, spread over seeds kept apart, the paper's figures beside ours."""

from __future__ import annotations

import json
import statistics

import pytest

from earsense_m2t.model.results import (
    DIFFERENCES,
    EXTRA_SYSTEMS,
    METRIC_TITLES,
    PAPER_BLEU,
    PAPER_METRICS,
    PAPER_TABLE1,
    PAPER_UNREAD,
    SCORING_RULE,
    SIGNIFICANCE_TEST,
    SYSTEM_ORDER,
    SYSTEM_TITLES,
    Unit,
    markdown,
    paired_test,
    plot_losses,
    significance,
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
    names = ["zz_other", *EXTRA_SYSTEMS, *SYSTEM_ORDER]
    table = summarize([Unit(s, 0, 0, {"bleu": 1.0}) for s in names], ["bleu"], [0], [0])
    assert list(table) == [*SYSTEM_ORDER, *EXTRA_SYSTEMS, "zz_other"]  # the extra rows after the paper's


def keyed(values: list[float]) -> dict[tuple[int, int], float]:
    return {(fold, seed): v for (fold, seed), v in zip([(f, s) for f in range(5) for s in range(3)], values, strict=False)}


@pytest.mark.parametrize(("reference", "other", "expected"), [
    # four pairs, all better: t-test as scipy's, exact Wilcoxon 2 / 2^4 (two-sided)
    ([6.0, 8.0, 2.0, 4.0], [3.0, 3.0, 1.0, 1.0], {"n": 4, "mean_difference": 3.0, "wins": 4, "p_wilcoxon": 0.125}),
    ([1.0, 2.0, 3.0], [1.0, 2.0, 3.0], {"n": 3, "mean_difference": 0.0, "wins": 0, "p_t": 1.0, "p_wilcoxon": 1.0}),
    ([5.0], [1.0], {"n": 1, "mean_difference": 4.0, "wins": 1, "p_t": None, "p_wilcoxon": None}),  # no test
    ([], [], {"n": 0, "mean_difference": None, "wins": 0, "p_t": None, "p_wilcoxon": None}),
    ([3.0, 4.0, 5.0], [2.0, 3.0, 4.0], {"n": 3, "mean_difference": 1.0, "p_t": 0.0}),  # constant gain: t infinite
])
def test_the_paired_test(reference, other, expected):
    got = paired_test(keyed(reference), keyed(other))
    assert {k: got[k] for k in expected} == pytest.approx(expected)
    if expected["n"] == 4:
        from scipy import stats

        assert got["p_t"] == pytest.approx(stats.ttest_rel(reference, other).pvalue)


def test_significance_pairs_gtp_with_each_system_on_the_same_fold_and_seed():
    sig = significance([*units(), Unit("gtp", 2, 0, {"bleu": 9.0})], ["bleu", "meteor"])
    assert sig["reference"] == "gtp" and sig["test"] == SIGNIFICANCE_TEST and list(sig["against"]) == ["tags_knn"]
    bleu = sig["against"]["tags_knn"]["bleu"]
    assert (bleu["n"], bleu["mean_difference"], bleu["wins"]) == (4, 3.0, 4)  # gtp's fold 2 has no partner
    assert sig["against"]["tags_knn"]["meteor"]["n"] == 0  # the baseline has no METEOR
    assert significance([u for u in units() if u.system != "gtp"], ["bleu"])["against"] == {}


def results_payload() -> dict:
    return {"dataset_version": "1.2.0", "config": "tiny", "folds": [0, 1], "seeds": [0, 1],
            "settings": {"epochs": 3}, "environment": {"device": "cpu"},
            "systems": summarize(units(), ["bleu", "meteor"], [0, 1], [0, 1]),
            "significance": significance(units(), ["bleu", "meteor"]),
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
    assert SCORING_RULE in text and "## Significance: GTP against each system" in text
    # 4 pairs, all better: t-test p of the differences 3, 5, 1, 3; Wilcoxon 0.125
    assert "| TAGS kNN | 4 | +3.00, p 0.035, W 0.125 | — |" in text


def test_the_loss_plot_and_the_json_are_written(tmp_path):
    histories = {"gtp": [[{"epoch": 1, "train_total": 5.0, "validation": 4.0},
                          {"epoch": 2, "train_total": 3.0, "validation": 3.5}]]}
    png = plot_losses(histories, tmp_path / "plots" / "loss.png")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    path = write_json(tmp_path / "r.json", results_payload())
    assert json.loads(path.read_text())["systems"]["gtp"]["bleu"]["mean"] == 5.0
    assert not list(tmp_path.glob("*.tmp"))


#: every system the paper's Table 1 has: the two TAGS baselines and the neural systems of gtp.SYSTEMS (kept in
#: step with SYSTEM_ORDER by the systems test); a row not yet read from the paper is an expected failure, strict,
#: so carrying its figures over without taking it out of PAPER_UNREAD fails the suite
TABLE1_ROWS = [pytest.param(s, marks=pytest.mark.xfail(strict=True, reason="the paper's figure is not carried over yet"))
               if s in PAPER_UNREAD else s for s in SYSTEM_ORDER]


def test_the_papers_table_covers_the_tags_baselines_and_every_neural_system():
    gtp = pytest.importorskip("earsense_m2t.model.gtp", reason="torch is not installed: install the model extra")
    assert {"tags_knn", "tags_representative", *gtp.SYSTEMS} == set(SYSTEM_ORDER) == set(PAPER_TABLE1)
    assert list(PAPER_TABLE1) == list(SYSTEM_ORDER)  # the paper's order
    assert "bleu" in PAPER_METRICS


@pytest.mark.parametrize("system", TABLE1_ROWS)
def test_every_table1_row_has_the_papers_figure_for_every_metric_the_paper_gives(system):
    assert all(isinstance(PAPER_TABLE1[system].get(m), float) for m in PAPER_METRICS), PAPER_TABLE1[system]


@pytest.mark.parametrize("system", SYSTEM_ORDER)
def test_an_unread_row_is_all_none_and_a_read_one_has_no_gap(system):
    figures = [PAPER_TABLE1[system].get(m) for m in PAPER_METRICS]
    if system in PAPER_UNREAD:
        assert figures == [None] * len(figures)  # not read is not a zero
    else:
        assert None not in figures and PAPER_BLEU[system] == PAPER_TABLE1[system]["bleu"]


def _row(text: str, system: str) -> str:
    return next(line for line in text.splitlines() if line.startswith(f"| {SYSTEM_TITLES[system]} |"))


@pytest.mark.parametrize("system", [*SYSTEM_ORDER, *EXTRA_SYSTEMS])
def test_a_rows_papers_figures_appear_in_its_markdown_row(system):
    ours = 99.5  # no paper figure is 99.50
    payload = {**results_payload(), "systems": summarize([Unit(system, 0, 0, {"bleu": ours})], ["bleu"], [0], [0]),
               "significance": {}, "failures": []}
    text = markdown(payload)
    header = next(line for line in text.splitlines() if line.startswith("| system | BLEU"))
    assert all(f"paper's {METRIC_TITLES[m]}" in header for m in PAPER_METRICS)
    cells = [c.strip() for c in _row(text, system).strip("|").split("|")]
    assert cells[1] == "99.50 ± 0.00"
    paper_cells = cells[-len(PAPER_METRICS):]
    if system in PAPER_UNREAD:
        assert paper_cells == ["not read"] * len(PAPER_METRICS)
        assert f"not yet carried over for: {SYSTEM_TITLES[system]}" in text
    elif system in PAPER_TABLE1:
        assert paper_cells == [f"{PAPER_TABLE1[system][m]:.2f}" for m in PAPER_METRICS]
        assert "not yet carried over" not in text
    else:  # the five-tag extra rows are not the paper's
        assert paper_cells == ["—"] * len(PAPER_METRICS)


def test_the_model_configs_differences_from_the_papers_are_generated_into_results_md():
    pytest.importorskip("torch", reason="model.run needs the model extra")
    from earsense_m2t.model.config import TINY_ALPHA, GTPConfig
    from earsense_m2t.model.run import config_differences

    tiny = {r["field"]: r for r in config_differences(GTPConfig.tiny())}
    assert tiny["alpha"] == {"field": "alpha", "value": str(TINY_ALPHA), "paper": "500.0"}
    assert "hidden" in tiny and "beta" not in tiny and "name" not in tiny
    assert config_differences(GTPConfig.paper()) == []
    changed = {r["field"] for r in config_differences(GTPConfig.paper().with_(group_k=8))}
    assert changed == {"group_k"}  # a changed field appears, nothing else
    payload = results_payload()
    payload["differences"] = {**payload.get("differences", {}), "config": config_differences(GTPConfig.tiny())}
    text = markdown(payload)
    assert f"alpha {TINY_ALPHA} (paper 500.0)" in text and "Model config `tiny` against the paper's" in text

"""`evaluate`: a saved checkpoint scored on its fold without training, the same figures as the run's; bad input is one line."""

from __future__ import annotations

import json
import shutil

import pytest

pytest.importorskip("torch", reason="torch is not installed: install the model extra (bash scripts/setup.sh --model)")
pytest.importorskip("pycocoevalcap", reason="pycocoevalcap is not installed: install the model extra")

from earsense_m2t.model.evaluate import evaluate_checkpoint, evaluation_path  # noqa: E402
from earsense_m2t.model.metrics import METRICS  # noqa: E402
from earsense_m2t.model.run import Plan, train_release  # noqa: E402
from tests.model._release import movements, spectrograms, write_release  # noqa: E402

SYSTEMS = ("tags_knn", "encoder_decoder")


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """One neural system and one baseline on fold 0, one epoch, no pretraining: the smallest run with a checkpoint."""
    root = tmp_path_factory.mktemp("evaluate")
    rows = movements(4)
    dataset = write_release(root / "earsense-m2t", rows, spectrograms(rows, frames=70))
    plan = Plan.profile("smoke", "tiny", folds=(0,), systems=SYSTEMS, max_tokens=8, pretrain_epochs=(0, 0))
    train_release(dataset, None, plan, root / "runs", log=lambda _: None)
    return root / "runs" / "v9.9.9-tiny"


def test_a_checkpoint_scores_as_the_run_scored_it(trained):
    """The baseline's evaluation goes through the command (tests/model/test_evaluate.py's CLI test)."""
    system = "encoder_decoder"
    lines: list[str] = []
    payload = evaluate_checkpoint(trained, system, 0, 0, device="cpu", log=lines.append)
    unit = json.loads((trained / "units" / system / "seed0" / "fold0.json").read_text())
    assert tuple(payload["metrics"]) == METRICS
    assert payload["generations"] == unit["generations"]  # deterministic decoding: the same texts
    assert payload["metrics"] == pytest.approx(unit["metrics"]) and payload["unit_metrics"] == unit["metrics"]
    assert json.loads(evaluation_path(trained, system, 0, 0).read_text()) == payload
    assert payload["checkpoint"].endswith("checkpoints/encoder_decoder/seed0/fold0/best.pt") and len(lines) == 1


def without_checkpoints(trained, tmp_path):
    copy = tmp_path / "v9.9.9-tiny"
    copy.mkdir()
    shutil.copy(trained / "run.json", copy / "run.json")
    return copy


@pytest.mark.parametrize("case, system, fold, seed, message", [
    ("missing", "encoder_decoder", 0, 0, r"--run .*nowhere: no such folder"),
    ("no run.json", "encoder_decoder", 0, 0, r"no run.json with a plan there"),
    ("run", "gtp", 0, 0, r"--system gtp: the run at .* trained tags_knn, encoder_decoder"),
    ("run", "encoder_decoder", 1, 0, r"--fold 1: the run at .* tested folds 0"),
    ("run", "encoder_decoder", 0, 2, r"--seed 2: the run at .* used seeds 0"),
    ("no checkpoints", "encoder_decoder", 0, 0, r"best.pt: no checkpoint \(the unit encoder_decoder/fold0/seed0"),
])
def test_bad_input_is_one_line_before_the_dataset_is_read(trained, tmp_path, monkeypatch, case, system, fold, seed,
                                                          message):
    import earsense_m2t.model.evaluate as evaluate

    monkeypatch.setattr(evaluate, "prepare", lambda *a, **k: pytest.fail("the dataset was read"))
    run_dir = {"missing": tmp_path / "nowhere", "no run.json": tmp_path, "run": trained,
               "no checkpoints": without_checkpoints(trained, tmp_path) if case == "no checkpoints" else None}[case]
    with pytest.raises(ValueError, match=message) as caught:
        evaluate_checkpoint(run_dir, system, fold, seed, device="cpu")
    assert "\n" not in str(caught.value)


@pytest.fixture
def quiet_threads(monkeypatch):
    """The command sets the process's thread pools; in this test process it must not."""
    import earsense_m2t.model.threads as threads

    monkeypatch.setattr(threads, "configure_threads", lambda *_a, **_k: type("A", (), {"describe": lambda self: ""})())


def invoke(*args: str):
    from typer.testing import CliRunner

    from earsense_m2t.cli import app

    return CliRunner().invoke(app, ["evaluate", *args])


def test_the_command_scores_a_baseline_and_prints_every_metric(trained, quiet_threads):
    result = invoke("--run", str(trained), "--system", "tags_knn", "--fold", "0", "--device", "cpu")
    assert result.exit_code == 0, result.output
    assert "BLEU: " in result.stdout and "BLEU (paper's call): " in result.stdout
    assert "sentiment r (corpus, paper's): " in result.stdout and "sentiment r (mean per pair): " in result.stdout
    unit = json.loads((trained / "units" / "tags_knn" / "seed0" / "fold0.json").read_text())
    assert json.loads(evaluation_path(trained, "tags_knn", 0, 0).read_text())["metrics"] == pytest.approx(unit["metrics"])


@pytest.mark.parametrize("args, needle", [
    (["--run", "{tmp}/nowhere", "--fold", "0"], "no such folder"),
    (["--run", "{run}", "--fold", "7", "--system", "encoder_decoder"], "--fold 7: the run at"),
    (["--run", "{run}", "--fold", "0", "--system", "bert"], "--system bert: the run at"),
    (["--run", "{run}", "--fold", "0", "--device", "tpu"], "tpu"),
])
def test_a_bad_path_or_fold_is_one_line(trained, tmp_path, quiet_threads, args, needle):
    result = invoke(*(a.format(tmp=tmp_path, run=trained) for a in args))
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert result.exit_code == 2 and len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    assert lines[0].startswith("error: evaluate: ") and needle in lines[0], lines

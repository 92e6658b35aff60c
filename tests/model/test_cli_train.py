"""`earsense-m2t train` with bad input: a one- or two-line error naming the option or version, exit 2, nothing trained."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

pytest.importorskip("torch", reason="torch is not installed: install the model extra (bash scripts/setup.sh --model)")

from tests.model._release import movements, spectrograms, write_release  # noqa: E402


def train(*args: str, cwd) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "earsense_m2t.cli", "train", *args], cwd=cwd, env=dict(os.environ),
                          capture_output=True, text=True, timeout=120)


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    rows = movements(4)
    return write_release(tmp_path_factory.mktemp("cli") / "earsense-m2t", rows, spectrograms(rows, frames=70))


def short_error(code: int, stderr: str, needles: list[str]) -> None:
    assert code == 2, stderr
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert 1 <= len(lines) <= 2 and "Traceback" not in stderr, stderr
    for needle in needles:
        assert needle in stderr, stderr


def test_the_command_says_which_version_does_not_exist(dataset, tmp_path):
    """As a user runs it: its own process, no traceback, nothing written."""
    proc = train("--dataset", str(dataset), "--out", str(tmp_path / "runs"), "--version", "7.0.0", cwd=tmp_path)
    short_error(proc.returncode, proc.stderr, ["version 7.0.0 does not exist", "trees present: none"])
    assert not (tmp_path / "runs").exists()


@pytest.mark.parametrize("args, needles", [
    (["--seeds", "1,x"], ["--seeds '1,x'", "comma-separated"]),
    (["--config", "huge"], ["unknown model config 'huge'", "paper, tiny"]),
    (["--profile", "quick"], ["unknown training profile 'quick'"]),
    (["--folds", "0,5"], ["version 9.9.9: folds [5] have no example"]),
    (["--micro-batch", "3"], ["micro_batch 3", "not a multiple"]),
    (["--systems", "muscaps,muscal"], ["unknown systems muscal", "muscaps, muscall, title"]),
])
def test_bad_input_is_a_short_error_and_nothing_is_trained(dataset, tmp_path, args, needles):
    """The same command in this process (typer's runner): each case would cost a torch import as a process."""
    from typer.testing import CliRunner

    from earsense_m2t.cli import app

    result = CliRunner().invoke(app, ["train", "--dataset", str(dataset), "--out", str(tmp_path / "runs"), *args])
    short_error(result.exit_code, result.stderr, needles)
    assert not list((tmp_path / "runs").rglob("*.pt"))


def invoke_train(*args: str):
    from typer.testing import CliRunner

    from earsense_m2t.cli import app

    return CliRunner().invoke(app, ["train", *args])


@pytest.fixture
def no_training(monkeypatch):
    """A check that lets the command reach the stage fails the test: these errors come before any work."""
    import earsense_m2t.model.run as run

    def reached(*_args, **_kwargs):
        raise AssertionError("train_release was called: the option was not checked first")

    monkeypatch.setattr(run, "train_release", reached)
    # nor may a case that reaches the stage set this test process's thread pools and environment
    import earsense_m2t.model.threads as threads

    monkeypatch.setattr(threads, "configure_threads", lambda *_a, **_k: type("A", (), {"describe": lambda self: ""})())


def one_line_error(result, needles: list[str]) -> None:
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert result.exit_code == 2 and len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ") and "Traceback" not in result.stderr, result.stderr
    for needle in needles:
        assert needle in lines[0], lines[0]


def test_an_out_that_is_a_file_is_one_line_before_any_work(dataset, tmp_path, no_training):
    existing = tmp_path / "results.txt"
    existing.write_text("not a folder\n")
    result = invoke_train("--dataset", str(dataset), "--out", str(existing))
    one_line_error(result, ["--out", str(existing), "a file is there"])
    assert existing.read_text() == "not a folder\n"


def test_an_out_below_a_file_is_one_line(dataset, tmp_path, no_training):
    existing = tmp_path / "results.txt"
    existing.write_text("")
    result = invoke_train("--dataset", str(dataset), "--out", str(existing / "runs"))
    one_line_error(result, ["--out", f"{existing} is a file"])


def test_an_out_where_nothing_can_be_written_is_one_line(dataset, tmp_path, no_training):
    """/proc refuses new files even to root (a chmod'ed folder would not: root writes anywhere)."""
    target = "/proc/earsense-m2t-runs/training"
    result = invoke_train("--dataset", str(dataset), "--out", target)
    one_line_error(result, ["--out", target, "cannot write in /proc"])


def test_an_out_that_does_not_exist_yet_is_not_created_by_the_checks(dataset, tmp_path, no_training):
    """A new folder is fine (the stage makes it); a failing later check leaves nothing behind."""
    result = invoke_train("--dataset", str(dataset), "--out", str(tmp_path / "new" / "runs"), "--profile", "quick")
    one_line_error(result, ["unknown training profile 'quick'"])
    assert not (tmp_path / "new").exists()


@pytest.mark.parametrize("seeds, needles", [
    ("1,x", ["--seeds '1,x'", "comma-separated whole numbers"]),
    ("2", None),  # a good value reaches the stage (the spurious "error: train: 2" came from here)
    ("-1", ["--seeds '-1'", "0 or more"]),
    ("", ["--seeds ''", "comma-separated"]),
    ("0,0", ["--seeds '0,0'", "twice"]),
])
def test_seeds_are_checked_first_and_said_once(dataset, tmp_path, no_training, seeds, needles):
    result = invoke_train("--dataset", str(dataset), "--out", str(tmp_path / "runs"), "--seeds", seeds)
    if needles is None:
        assert isinstance(result.exception, AssertionError) and "train_release was called" in str(result.exception)
        return
    one_line_error(result, needles)
    assert "error: train: 2" not in result.stderr


@pytest.mark.parametrize("args, needles", [
    (["--folds", "0,a"], ["--folds '0,a'"]),
    (["--systems", "gtp,,coordinate"], ["--systems 'gtp,,coordinate'", "none empty"]),
    (["--systems", "gtp,bert"], ["unknown systems bert"]),
    (["--config", "huge"], ["unknown model config 'huge'"]),
    (["--settings", "paperish"], ["unknown settings 'paperish'", "authors, corrected"]),
])
def test_other_options_are_one_line_before_any_work(dataset, tmp_path, no_training, args, needles):
    one_line_error(invoke_train("--dataset", str(dataset), "--out", str(tmp_path / "runs"), *args), needles)
    assert not (tmp_path / "runs").exists()


def test_cuda_on_a_machine_without_it_is_one_line(dataset, tmp_path, no_training):
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    result = invoke_train("--dataset", str(dataset), "--out", str(tmp_path / "runs"), "--device", "cuda")
    one_line_error(result, ["--device cuda", "no CUDA device"])

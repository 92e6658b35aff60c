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
])
def test_bad_input_is_a_short_error_and_nothing_is_trained(dataset, tmp_path, args, needles):
    """The same command in this process (typer's runner): each case would cost a torch import as a process."""
    from typer.testing import CliRunner

    from earsense_m2t.cli import app

    result = CliRunner().invoke(app, ["train", "--dataset", str(dataset), "--out", str(tmp_path / "runs"), *args])
    short_error(result.exit_code, result.stderr, needles)
    assert not list((tmp_path / "runs").rglob("*.pt"))

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


@pytest.mark.parametrize("args, needles", [
    (["--version", "7.0.0"], ["version 7.0.0 does not exist", "trees present: none"]),
    (["--seeds", "1,x"], ["--seeds '1,x'", "comma-separated"]),
    (["--config", "huge"], ["unknown model config 'huge'", "paper, tiny"]),
    (["--profile", "quick"], ["unknown training profile 'quick'"]),
    (["--folds", "0,5"], ["version 9.9.9: folds [5] have no example"]),
])
def test_bad_input_is_a_short_error_and_nothing_is_trained(dataset, tmp_path, args, needles):
    proc = train("--dataset", str(dataset), "--out", str(tmp_path / "runs"), *args, cwd=tmp_path)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert 1 <= len(lines) <= 2 and "Traceback" not in proc.stderr, proc.stderr
    for needle in needles:
        assert needle in proc.stderr, proc.stderr
    assert not list((tmp_path / "runs").rglob("*.pt"))

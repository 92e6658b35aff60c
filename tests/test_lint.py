"""The package is lint-clean (ruff: style, errors, import order) and type-checks (mypy), as part of the tests.

mypy cannot follow setuptools' package-dir mapping in an editable install (it does not run import
hooks), so the check runs on a tree of links laid out as the wheel is: ``earsense_m2t/<folder>``.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.test_contracts import PACKAGES

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def test_ruff_is_clean():
    proc = subprocess.run([str(BIN / "ruff"), "check", "--output-format", "concise", "."], cwd=REPO,
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def wheel_layout(root: Path) -> Path:
    """``root/earsense_m2t`` with every repository folder linked where the wheel puts it."""
    package = root / "earsense_m2t"
    package.mkdir()
    for module in (REPO / "earsense_m2t").glob("*.py"):
        (package / module.name).symlink_to(module)
    for folder, name in PACKAGES.items():
        if folder != "earsense_m2t":
            (package / name.split(".", 1)[1]).symlink_to(REPO / folder, target_is_directory=True)
    return root


def test_mypy_is_clean(tmp_path):
    root = wheel_layout(tmp_path)
    env = {**os.environ, "MYPY_CACHE_DIR": str(REPO / "local" / "cache" / "mypy")}
    proc = subprocess.run([str(BIN / "mypy"), "--config-file", str(REPO / "pyproject.toml"), "-p", "earsense_m2t"],
                          cwd=root, capture_output=True, text=True, env=env)
    assert proc.returncode == 0, proc.stdout.replace(str(root) + "/", "") + proc.stderr

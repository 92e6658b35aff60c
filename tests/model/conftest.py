"""Tests of the GTP model's core: small enough for a CPU, one thread, well under a minute in all.

Every test module starts with ``pytest.importorskip("torch", ...)``: without the ``model`` extra the
folder is skipped with that reason instead of failing on an import.
"""

from __future__ import annotations

import pytest

TORCH_MISSING = "torch is not installed: install the model extra (bash scripts/setup.sh --model)"


@pytest.fixture(autouse=True)
def _one_thread():
    """One thread, seeded: the machine's cores are shared, and results must not depend on scheduling."""
    torch = pytest.importorskip("torch", reason=TORCH_MISSING)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    torch.manual_seed(0)
    yield
    torch.set_num_threads(threads)

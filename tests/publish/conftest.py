"""Fixtures for the publish tests (the build generator lives in ``_bundle.py``)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.publish._bundle import CARD_CONTEXT, NOW, make_build


@pytest.fixture(autouse=True)
def _isolated_hf_cache(tmp_path_factory, monkeypatch):
    """load_dataset in tests writes its arrow cache under a temporary folder, not the user's."""
    import datasets.config

    cache = tmp_path_factory.mktemp("hf-cache")
    monkeypatch.setattr(datasets.config, "HF_DATASETS_CACHE", Path(cache))
    monkeypatch.setenv("HF_DATASETS_CACHE", str(cache))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")


@pytest.fixture
def build(tmp_path) -> Path:
    return make_build(tmp_path)


@pytest.fixture
def dataset_dir(tmp_path) -> Path:
    return tmp_path / "local" / "earsense-m2t"


@pytest.fixture
def publish(dataset_dir) -> Callable:
    from earsense_m2t.publish import publish_dataset

    def run(build_dir: Path, **kwargs):
        kwargs.setdefault("card_context", CARD_CONTEXT)
        kwargs.setdefault("now", NOW)
        return publish_dataset(build_dir, dataset_dir, **kwargs)
    return run



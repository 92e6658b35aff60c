"""Shared fixtures: one media cache for the whole session so each video is synthesized once."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from earsense_m2t.offline.minisite import MiniSite, serve


@pytest.fixture(scope="session")
def media_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("minisite-media")


@pytest.fixture(scope="module")
def site(media_cache: Path) -> Iterator[MiniSite]:
    with serve(cache_dir=media_cache) as s:
        yield s

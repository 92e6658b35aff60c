"""The crawler tests' own fixture: the mini site in its second markup ("plain": no class names the profile selects on)."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def plain_minisite():
    """The same catalogue and visible text as ``minisite``, served so that only the text fallback can read it."""
    from earsense_m2t.offline.minisite import serve

    with serve(markup="plain") as site:
        yield site

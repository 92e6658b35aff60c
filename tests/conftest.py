"""Shared fixtures: the mini EarSense site served on a free loopback port, once per session."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest

from earsense_m2t.schemas.layout import OutputLayout

# One compute thread per process (torch reads this when imported; it reaches the training processes tests start):
# the suite runs a worker per core, and torch's spinning threads slow to a crawl when another process holds the
# core they wait for (a tiny training run took 124 s instead of 52 s beside another worker's).
os.environ.setdefault("OMP_NUM_THREADS", "1")

REPO = Path(__file__).resolve().parents[1]
#: media of the mini site are synthesized once per machine and reused by every test session
MINISITE_MEDIA = REPO / OutputLayout().minisite_media
#: the annotation excerpts of the mini site's media: content-addressed by media hash and render parameters
#: and verified by sha256 before reuse, so the builds of one machine's tests can share them as they share media
MINISITE_EXCERPTS = REPO / OutputLayout().cache("minisite-excerpts")


def share_minisite_caches(out: Path) -> Path:
    """Point output root ``out`` at the shared mini-site media and annotation excerpts; returns ``out``."""
    (out / "cache").mkdir(parents=True, exist_ok=True)
    (out / "annotation").mkdir(parents=True, exist_ok=True)
    for shared, link in ((MINISITE_MEDIA, out / "cache" / "minisite-media"),
                         (MINISITE_EXCERPTS, out / "annotation" / "excerpts")):
        shared.mkdir(parents=True, exist_ok=True)
        link.symlink_to(shared, target_is_directory=True)
    return out


@pytest.fixture(scope="session")
def minisite():
    from earsense_m2t.offline.minisite import serve

    with serve(cache_dir=MINISITE_MEDIA) as site:
        yield site


@pytest.fixture(scope="session")
def catalogue():
    from earsense_m2t.offline.minisite import load_catalogue

    return load_catalogue()


@pytest.fixture
def no_sockets(monkeypatch):
    """Any connection attempt fails the test: a refusal must come before a socket is opened."""
    def refuse(*args, **kwargs):
        raise AssertionError("a socket was opened")
    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)

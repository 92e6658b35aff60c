"""A work leaves the next version only when its page answers 404/410; a page that fails for now keeps its rows.

Three builds of one output root through ``earsense-m2t build`` against a three-work mini site: the
first publishes; in the second one work's page answers 503 (every retry), and the work keeps its
published rows (the crawl calls it "unreached"); in the third another work's page answers 410, and the
new version drops it.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import datasets
import pytest

from earsense_m2t.offline.minisite import serve
from tests.conftest import MINISITE_MEDIA, share_minisite_caches

pytestmark = pytest.mark.slow

WORKS = ("Joseph-Haydn-String-Quartet-in-D-major-Op-76-No-5", "Johannes-Brahms-Cello-Sonata-No-1-in-E-minor-Op-38",
         "Amy-Beach-Three-Pieces-for-Wind-Quintet")


def build(cwd: Path, site_url: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env.update(PREFECT_HOME=str(cwd / ".prefect"), PYTHONUNBUFFERED="1")
    return subprocess.run([sys.executable, "-m", "earsense_m2t.cli", "build", "--site", site_url,
                           "--out", str(cwd / "local")], cwd=cwd, env=env, capture_output=True, text=True, timeout=600)


def works_published(cwd: Path) -> set[str]:
    rows = datasets.load_dataset(str(cwd / "local" / "earsense-m2t"), split="train")
    return set(rows["work_id"])


def test_only_a_confirmed_404_or_410_takes_a_work_out(tmp_path: Path, catalogue):
    share_minisite_caches(tmp_path / "local")
    assert set(WORKS) <= {w.slug for w in catalogue}

    with serve(catalogue=catalogue, cache_dir=MINISITE_MEDIA, only=WORKS) as site:
        first = build(tmp_path, site.start_url)
    assert first.returncode == 0, first.stderr[-3000:]
    assert works_published(tmp_path) == set(WORKS)

    down = {f"/chamber-music/{WORKS[1]}/": (503, {"Content-Type": "text/html"}, b"<h1>Service Unavailable</h1>")}
    with serve(catalogue=catalogue, cache_dir=MINISITE_MEDIA, only=WORKS, extra_routes=down) as site:
        second = build(tmp_path, site.start_url)
    assert second.returncode == 0, second.stderr[-3000:]
    assert "unreached 1: kept as published" in second.stdout
    assert works_published(tmp_path) == set(WORKS)  # the unreachable work keeps its rows

    with serve(catalogue=catalogue, cache_dir=MINISITE_MEDIA, only=WORKS, gone={WORKS[2]}) as site:
        third = build(tmp_path, site.start_url)
    assert third.returncode == 0, third.stderr[-3000:]
    assert "gone 1" in third.stdout
    assert works_published(tmp_path) == set(WORKS[:2])
    changelog = (tmp_path / "local" / "earsense-m2t" / "CHANGELOG.md").read_text(encoding="utf-8")
    assert WORKS[2] in changelog

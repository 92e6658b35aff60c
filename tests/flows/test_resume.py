"""A build killed with SIGKILL and started again publishes what an uninterrupted build publishes, without redoing
the work that was done; a 2-process local Dask cluster publishes it too; a refresh runs only the works that
changed (the last test).

Each build is ``earsense-m2t build`` as a process group of its own (Dask's workers are in it), reporting to one
Prefect server the module starts (a build without one starts a temporary server of its own, ~9 s each time),
against a mini site serving three works (``serve(only=...)``): one cut from a whole-work
video by its listed durations, one by silence and one recorded per movement. One uninterrupted build is the
baseline of every test. The test hook ``EARSENSE_M2T_TEST_PAUSE_AT=<point>`` (``flows/build.py``,
``pause_point``) stops a build for good at a known point and says so in ``<out>/.test-paused-at``; a kill during
publish is timed by publish's own staging folder appearing instead. The caches' completion markers present
after the kill are what the next build must reuse, and all it may reuse.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import polars as pl
import pytest

from earsense_m2t.flows.build import PAUSE_ENV
from earsense_m2t.offline.minisite import load_catalogue, replace_work, serve
from earsense_m2t.schemas.layout import OutputLayout
from tests._scripts import load_script
from tests.conftest import MINISITE_MEDIA
from tests.flows.test_deployments import BIN, api_get, free_port, started, wait_until

pytestmark = pytest.mark.slow

#: a whole-work video cut by listed durations, one cut by silence, one video per movement
SUBSET = ("Bernhard-Molique-String-Quartet-No-8-in-A-major-Op-44", "Johannes-Brahms-Cello-Sonata-No-1-in-E-minor-Op-38",
          "Amy-Beach-Three-Pieces-for-Wind-Quintet")
MEDIA = re.compile(r"media downloaded:\s+(\d+) new, (\d+) reused from cache")
SPECTROGRAMS = re.compile(r"spectrograms:\s+(\d+) computed, (\d+) reused from cache")
BUILD_TIMEOUT_S = 300


def compare_config():
    """``scripts/compare_datasets.py``'s row comparison (all columns but fetch provenance)."""
    return load_script("scripts/compare_datasets.py")


def assert_same_release(baseline: Path, other: Path) -> None:
    compare = compare_config()
    base, new = baseline / "earsense-m2t", other / "earsense-m2t"
    names = sorted(p.name for p in (base / "data").iterdir())
    assert names == sorted(p.name for p in (new / "data").iterdir())
    for name in names:
        assert compare.compare_config(compare.read_config(base, name), compare.read_config(new, name), name), name
    assert os.readlink(base) == os.readlink(new)  # the same version number (v1.0.0: each is a first publish)


PREFECT_ENV: dict[str, str] = {}  # the module's server: PREFECT_HOME and PREFECT_API_URL (set by the fixture)


def build_env(out: Path, pause: str | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != PAUSE_ENV and not k.startswith("PREFECT_")}
    env.update(PREFECT_ENV, PYTHONUNBUFFERED="1", PREFECT_SERVER_ANALYTICS_ENABLED="false", DO_NOT_TRACK="1")
    if pause:
        env[PAUSE_ENV] = pause
    return env


def log_of(out: Path, pause: str | None) -> Path:
    return out.parent / f"{out.name}-{pause or 'run'}.log"


def start_build(out: Path, site_url: str, *extra: str, pause: str | None = None) -> subprocess.Popen[str]:
    with log_of(out, pause).open("w") as log:
        return subprocess.Popen([sys.executable, "-m", "earsense_m2t.cli", "build", "--site", site_url, "--out",
                                 str(out), *extra], env=build_env(out, pause), stdout=log, stderr=subprocess.STDOUT,
                                text=True, start_new_session=True)


def output(out: Path, pause: str | None = None) -> str:
    return log_of(out, pause).read_text()


def run_build(out: Path, site_url: str, *extra: str) -> str:
    proc = start_build(out, site_url, *extra)
    try:
        proc.wait(timeout=BUILD_TIMEOUT_S)
    finally:
        kill_group(proc)
    text = output(out)
    assert proc.returncode == 0, text[-4000:]
    return text


def kill_group(proc: subprocess.Popen[str]) -> None:
    """SIGKILL to the build's process group (its temporary Prefect server and any Dask workers are in it)."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=30)


def counts(text: str) -> tuple[tuple[int, int], tuple[int, int]]:
    media, spectrograms = MEDIA.search(text), SPECTROGRAMS.search(text)
    assert media and spectrograms, text[-3000:]
    return (int(media[1]), int(media[2])), (int(spectrograms[1]), int(spectrograms[2]))


def cached(out: Path) -> tuple[int, int]:
    """Completed cache entries: media with their completion marker, spectrograms with their sidecar."""
    media = len(list((out / "cache" / "media").glob("*/*/media.json")))
    spectrograms = len(list((out / "cache" / "derived").glob("*/*.json")))
    return media, spectrograms


@pytest.fixture(scope="module", autouse=True)
def prefect_server(tmp_path_factory) -> Iterator[str]:
    home = tmp_path_factory.mktemp("prefect")
    api = f"http://127.0.0.1:{free_port()}/api"
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env.update(PREFECT_HOME=str(home / "home"), PREFECT_API_URL=api, PREFECT_SERVER_ANALYTICS_ENABLED="false",
               DO_NOT_TRACK="1")
    port = api.split(":")[2].split("/")[0]
    with started([str(BIN / "prefect"), "server", "start", "--host", "127.0.0.1", "--port", port], env,
                 home / "server.log") as server:
        wait_until(lambda: api_get(api, "/health"), "prefect server", server, home / "server.log")
        PREFECT_ENV.update(PREFECT_HOME=env["PREFECT_HOME"], PREFECT_API_URL=api)
        try:
            yield api
        finally:
            PREFECT_ENV.clear()


@pytest.fixture(scope="module")
def site():
    with serve(cache_dir=MINISITE_MEDIA, only=SUBSET) as served:
        yield served


@pytest.fixture(scope="module")
def baseline(site, tmp_path_factory) -> tuple[Path, str]:
    out = tmp_path_factory.mktemp("baseline") / "out"
    return out, run_build(out, site.start_url)


def test_the_baseline_builds_three_works_from_scratch(baseline):
    out, text = baseline
    (media_new, media_reused), (spec_new, spec_reused) = counts(text)
    assert "works crawled:        3" in text and "failures:             0" in text
    assert media_reused == 0 and spec_reused == 0 and media_new >= 3 and spec_new >= 9
    assert cached(out) == (media_new, spec_new)


def wait_for(condition, proc: subprocess.Popen[str], what: str, out: Path, pause: str | None) -> None:
    deadline = time.monotonic() + BUILD_TIMEOUT_S
    while not condition():
        if proc.poll() is not None:
            pytest.fail(f"the build ended before {what}:\n{output(out, pause)[-4000:]}")
        if time.monotonic() > deadline:
            kill_group(proc)
            pytest.fail(f"no {what} within {BUILD_TIMEOUT_S} s:\n{output(out, pause)[-4000:]}")
        time.sleep(0.01)


def staging_folder(out: Path) -> bool:
    return any((out / "earsense-m2t.versions").glob(".staging-*"))


@pytest.mark.parametrize("point", ["crawl", "acquire", "features", "publish"])
def test_a_build_killed_then_run_again_publishes_the_uninterrupted_release_and_reuses_finished_work(
        point, site, baseline, tmp_path):
    out = tmp_path / "out"
    hook = None if point == "publish" else point
    proc = start_build(out, site.start_url, pause=hook)
    if hook:
        wait_for(lambda: OutputLayout(out).paused_marker.exists(), proc, f"the pause at {point}", out, hook)
    else:
        wait_for(lambda: staging_folder(out), proc, "publish's staging folder", out, hook)
    kill_group(proc)
    assert proc.returncode == -signal.SIGKILL
    OutputLayout(out).paused_marker.unlink(missing_ok=True)
    assert not (out / "earsense-m2t").exists()  # nothing was published
    media_done, spectrograms_done = cached(out)

    text = run_build(out, site.start_url)
    assert_same_release(baseline[0], out)
    (media_new, media_reused), (spec_new, spec_reused) = counts(text)
    base_media, base_spectrograms = counts(baseline[1])
    # every finished download and spectrogram is reused (after its checksum was verified), nothing else
    assert (media_reused, spec_reused) == (media_done, spectrograms_done)
    assert media_new + media_reused == base_media[0] and spec_new + spec_reused == base_spectrograms[0]
    if point == "crawl":
        assert media_done == 0 and spectrograms_done == 0
    if point == "acquire":
        assert media_done >= 1 and spectrograms_done == 0
    if point == "features":
        assert media_new == 0 and spectrograms_done >= 1
    if point == "publish":
        assert media_new == 0 and spec_new == 0
        assert not staging_folder(out)  # the new publish removed the killed one's staging


def test_a_local_dask_cluster_of_two_processes_publishes_the_same_release(site, baseline, tmp_path):
    out = tmp_path / "out"
    text = run_build(out, site.start_url, "--dask", "local:2")
    assert_same_release(baseline[0], out)
    assert counts(text) == counts(baseline[1])


def test_the_run_leaves_its_summary_as_a_markdown_artifact(baseline, prefect_server):
    request = urllib.request.Request(f"{prefect_server}/artifacts/filter", method="POST",
                                     data=json.dumps({"artifacts": {"key": {"any_": ["build-dataset-summary"]}}}).encode(),
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        artifacts = json.loads(response.read())
    assert artifacts and all(a["type"] == "markdown" for a in artifacts)
    md = artifacts[-1]["data"]
    assert "Published: **v1.0.0** (new version" in md and "| features |" in md and "## Failures: 0" in md


def live_files(out: Path) -> dict[Path, tuple[int, int]]:
    live = (out / "earsense-m2t").resolve()
    return {p: (p.stat().st_ino, p.stat().st_mtime_ns) for p in live.rglob("*") if p.is_file()}


def test_a_refresh_runs_only_the_works_that_changed(site, baseline):
    """Last in this module: it refreshes the baseline's own output root, then restarts the site with one work
    changed (a sentence of its article, and its recording's videos replaced by new uploads of a louder one)."""
    out, first = baseline
    before = live_files(out)
    text = run_build(out, site.start_url)
    assert "since last crawl:     new 0, changed 0, unchanged 3" in text
    assert "unchanged, not rerun: acquire 3 works, segment 3 works, features 3 works" in text
    assert "(no change, version kept" in text
    (media_new, media_reused), (spec_new, spec_reused) = counts(text)
    assert (media_new, spec_new) == (0, 0) and (media_reused, spec_reused) == (counts(first)[0][0], counts(first)[1][0])
    assert live_files(out) == before  # nothing rewritten, not even the card

    slug = "Amy-Beach-Three-Pieces-for-Wind-Quintet"  # one video per movement: 3 downloads, 3 spectrograms
    work = next(w for w in load_catalogue() if w.slug == slug)
    assert work.article is not None
    changed = replace_work(load_catalogue(), slug, updated="2025-06-01",
                           article=(*work.article[:-1], work.article[-1] + " A later edition added a coda."),
                           recordings=(dataclasses.replace(work.recordings[0], upload=1,  # a new performance
                                                               level_lufs=work.recordings[0].level_lufs + 2.0),
                                           *work.recordings[1:]))
    port = urlsplit(site.start_url).port
    site.close()  # the same port again: page bodies name it, and a new one would change every page
    with serve(catalogue=changed, cache_dir=MINISITE_MEDIA, only=SUBSET, port=port or 0) as again:
        text = run_build(out, again.start_url)
    assert "since last crawl:     new 0, changed 1, unchanged 2" in text
    assert "unchanged, not rerun: acquire 2 works, segment 2 works, features 2 works" in text
    (media_new, _), (spec_new, _) = counts(text)
    assert (media_new, spec_new) == (3, 3)  # that work's, and no other's
    assert "v1.1.0 (new version" in text
    rows = pl.read_parquet(out / "earsense-m2t" / "data" / "default" / "*.parquet")
    assert rows.filter(pl.col("work_id") == slug).height == 3

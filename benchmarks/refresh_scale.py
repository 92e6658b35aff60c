"""Full build, no-op refresh, one changed work, and 1 against 2 workers, side by side through `earsense-m2t build`.

    .venv/bin/python benchmarks/refresh_scale.py [--scale 10] [--keep DIR]

The mini site's catalogue scaled ×``scale`` (``generate_catalogue(14 × scale, seed)``, the same works every time),
served on 127.0.0.1 by this process; its audio is synthesized before the first timing (and kept in
``local/cache/bench-minisite-media``), so every build downloads the same bytes from a warm server. Each build
is the command a user types, a process of its own, timed wall-clock; all report to one Prefect server started
here (without one, each build would start a temporary server of its own: about 9 s more per run):

1. full build, 2 workers (``--workers 2 --download-concurrency 2 --render-workers 2``) into root A;
2. the same build with 1 worker (``--workers 1 --download-concurrency 1 --render-workers 1``) into root B;
3. no-op refresh of A (nothing changed on the site); target: at most 5 % of (1), nothing rewritten;
4. one work's article changed (the site restarted with it), refresh of A: the counts show what ran.

Printed per run: seconds, the summary's counts (crawl new/changed/unchanged, pages answered 200 vs 304,
downloads new/reused, spectrograms computed/reused, the version), parquet files written in the live version
(a file hard-linked from the previous version is not written), and the ratios.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from earsense_m2t.offline.minisite import serve
from earsense_m2t.offline.minisite.catalogue import WorkSpec, replace_work
from earsense_m2t.offline.minisite.generate import generate_catalogue
from earsense_m2t.schemas.layout import OutputLayout

REPO = Path(__file__).resolve().parents[1]
MEDIA_CACHE = REPO / OutputLayout().cache("bench-minisite-media")
BASE_WORKS = 14  # the shipped mini site


@dataclass
class Run:
    name: str
    seconds: float
    summary: str
    pages: dict[int, int] = field(default_factory=dict)  # work-page responses by status
    written: int = 0  # parquet files of the live version that are not hard links into the previous version
    files: int = 0

    def line(self, pattern: str) -> str:
        found = re.search(pattern, self.summary)
        return found.group(1).strip() if found else "?"


def build(name: str, site_url: str, out: Path, workers: int, pages_of, prefect_env: dict[str, str]) -> Run:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env.update(prefect_env, PYTHONUNBUFFERED="1")
    before = pages_of()
    files_before = parquet_files(out)
    started = time.monotonic()
    proc = subprocess.run([sys.executable, "-m", "earsense_m2t.cli", "build", "--site", site_url, "--out", str(out),
                           "--workers", str(workers), "--download-concurrency", str(workers),
                           "--render-workers", str(workers)],
                          env=env, capture_output=True, text=True)
    seconds = time.monotonic() - started
    if proc.returncode != 0:
        raise SystemExit(f"{name}: the build failed ({proc.returncode}):\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
    after = pages_of()
    run = Run(name, seconds, proc.stdout, {s: after.get(s, 0) - before.get(s, 0) for s in after})
    live = parquet_files(out, live_only=True)
    run.files, run.written = len(live), sum(1 for p, key in live.items() if key not in files_before.values())
    return run


def parquet_files(out: Path, live_only: bool = False) -> dict[Path, tuple[int, int]]:
    """Parquet files of every version (or the live one) -> (inode, mtime): a file this run did not write keeps both."""
    layout = OutputLayout(out)
    store = layout.versions.dir
    if not store.is_dir():
        return {}
    roots = [layout.dataset_dir.resolve()] if live_only else [p for p in store.iterdir() if p.is_dir()]
    return {p: (p.stat().st_ino, p.stat().st_mtime_ns) for r in roots for p in r.rglob("*.parquet")}


@contextlib.contextmanager
def prefect_server(home: Path) -> Iterator[dict[str, str]]:
    """One Prefect server for every build, as on a machine where one runs (a build without one starts a temporary
    server of its own, about 9 s of every run); yields the environment that points at it."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {"PREFECT_HOME": str(home), "PREFECT_API_URL": f"http://127.0.0.1:{port}/api",
           "PREFECT_SERVER_ANALYTICS_ENABLED": "false", "DO_NOT_TRACK": "1"}
    home.mkdir(parents=True, exist_ok=True)
    with (home / "server.log").open("w") as log:
        server = subprocess.Popen([str(Path(sys.executable).parent / "prefect"), "server", "start", "--host", "127.0.0.1",
                                   "--port", str(port)], env={**os.environ, **env}, stdout=log, stderr=subprocess.STDOUT,
                                  start_new_session=True)
    try:
        for _ in range(180):
            with contextlib.suppress(OSError):
                with urllib.request.urlopen(f"{env['PREFECT_API_URL']}/health", timeout=2):
                    break
            if server.poll() is not None:
                raise SystemExit(f"prefect server ended:\n{(home / 'server.log').read_text()[-2000:]}")
            time.sleep(0.5)
        yield env
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)


def changed_one(catalogue: tuple[WorkSpec, ...]) -> tuple[tuple[WorkSpec, ...], str]:
    """The catalogue with one work changed the way a real page changes: a sentence added to its article and its
    first recording's videos replaced by new uploads (a new performance, 2 dB louder), so that work's page,
    downloads, cut and spectrograms all have to run again, and no other work's."""
    work = next(w for w in catalogue if w.article and w.recordings and w.recordings[0].layout == "tracks")
    assert work.article is not None
    article = (*work.article[:-1], work.article[-1] + " A later performance added a cadenza of its own.")
    first = work.recordings[0]
    new = dataclasses.replace(first, performers=f"{first.performers} (new recording)",
                              level_lufs=first.level_lufs + 2.0, upload=1)
    return replace_work(catalogue, work.slug, article=article, recordings=(new, *work.recordings[1:]),
                        updated="2025-06-01"), work.slug


def report(runs: dict[str, Run]) -> None:
    print(f"{'run':<28} {'s':>7}  {'crawl (since last)':<44} {'pages 200/304':>13}  {'downloads':<22} "
          f"{'spectrograms':<26} {'parquet written':>15}  version")
    for run in runs.values():
        print(f"{run.name:<28} {run.seconds:7.1f}  {run.line(r'since last crawl:(.*)'):<44} "
              f"{run.pages.get(200, 0):>6}/{run.pages.get(304, 0):<6}  {run.line(r'media downloaded:(.*)'):<22} "
              f"{run.line(r'spectrograms:(.*)'):<26} {run.written:>7} of {run.files:<5}  "
              f"{run.line(r'published:.* (v[0-9.]+ .*)')}")
    for run in runs.values():
        print(f"  {run.name}: {run.line(r'time:(.*)')}")
    full, one, noop = runs["full build, 2 workers"], runs["full build, 1 worker"], runs["no-op refresh"]
    print(f"\nno-op refresh / full build:        {noop.seconds / full.seconds:6.1%}  (target <= 5 %)")
    print(f"one work changed / full build:     {runs['one work changed'].seconds / full.seconds:6.1%}")
    print(f"full build, 1 worker / 2 workers:  {one.seconds / full.seconds:6.2f}x")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=int, default=10, help="the mini site's works ×SCALE (default 10: 140 works)")
    parser.add_argument("--seed", type=int, default=2, help="catalogue seed (default 2, the catalogue of the figures "
                                                              "in the README)")
    parser.add_argument("--keep", type=Path, default=None, help="build into this folder and keep it")
    args = parser.parse_args(argv)
    catalogue = generate_catalogue(BASE_WORKS * args.scale, args.seed)
    changed, slug = changed_one(catalogue)
    with tempfile.TemporaryDirectory() as tmp:
        root = args.keep or Path(tmp)
        root.mkdir(parents=True, exist_ok=True)
        runs: dict[str, Run] = {}
        with prefect_server(root / ".prefect") as prefect_env, \
                serve(catalogue=catalogue, cache_dir=MEDIA_CACHE) as site:
            t = time.monotonic()
            site.prepare_media()
            print(f"{len(catalogue)} works, {len(site.videos)} videos; audio ready in {time.monotonic() - t:.0f} s "
                  f"({MEDIA_CACHE})", flush=True)

            def pages() -> dict[int, int]:
                counts: dict[int, int] = {}
                for _, path, status in list(site.requests):
                    if path.startswith("/chamber-music/") and path != "/chamber-music/":
                        counts[status] = counts.get(status, 0) + 1
                return counts

            for name, out, workers in (("full build, 2 workers", root / "a", 2), ("full build, 1 worker", root / "b", 1),
                                       ("no-op refresh", root / "a", 2)):
                runs[name] = build(name, site.start_url, out, workers, pages, prefect_env)
                print(f"{name}: {runs[name].seconds:.1f} s", flush=True)
            port = urlsplit(site.start_url).port
            site.close()  # the same port again: page bodies name it, and a new one would change every ETag
            with serve(catalogue=changed, cache_dir=MEDIA_CACHE, port=port or 0) as site:
                site.prepare_media()  # the new recording's audio, synthesized before the timing as the rest was
                runs["one work changed"] = build("one work changed", site.start_url, root / "a", 2, pages, prefect_env)
                print(f"one work changed ({slug}): {runs['one work changed'].seconds:.1f} s\n", flush=True)
        report(runs)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

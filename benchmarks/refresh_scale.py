"""Full build, no-op refresh, one changed work, and 1 against 2 workers, side by side through `earsense-m2t build`.

    .venv/bin/python benchmarks/refresh_scale.py [--scale 10] [--keep DIR]
    .venv/bin/python benchmarks/refresh_scale.py --compare-ref HEAD~1 [--runs 3] [--scale 10]

The mini site's catalogue scaled ×``scale`` (``generate_catalogue(14 × scale, seed)``, the same works every time),
served on 127.0.0.1 by this process; its audio is synthesized before the first timing (and kept in
``local/cache/bench-minisite-media``), so every build downloads the same bytes from a warm server. Each build
is the command a user types, a process of its own, timed wall-clock; all report to one Prefect server started
here (without one, each build would start a temporary server of its own: about 9 s more per run):

1. full build, 2 workers (``--workers 2 --download-concurrency 2 --render-workers 2``) into root A;
2. the same build with 1 worker (``--workers 1 --download-concurrency 1 --render-workers 1``) into root B;
3. no-op refresh of A (nothing changed on the site); target: at most 5 % of (1), nothing rewritten;
4. one work's article changed (the site restarted with it), refresh of A: the counts show what ran.

``--compare-ref REF`` instead times full builds (2 workers, each into a fresh root) side by side in one run:
REF's code (``git archive REF``, laid out as the wheel installs it and put first on ``PYTHONPATH``, so the same
venv runs it), this checkout's, and this checkout's with ``--audio``, interleaved ``--runs`` times. Printed: the
median seconds of each, HEAD / REF (issue 25's goal: <= 0.7), the annotate stage's median share of the build
(goal: <= 10 %), and what ``--audio`` adds (goal: <= 15 %).

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
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
import tomllib
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


def build(name: str, site_url: str, out: Path, workers: int, pages_of, prefect_env: dict[str, str],
          extra: tuple[str, ...] = (), code: Path | None = None) -> Run:
    """One ``earsense-m2t build`` process; ``code``: a tree to import ``earsense_m2t`` from instead (``--compare-ref``)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env.update(prefect_env, PYTHONUNBUFFERED="1")
    if code is not None:
        env["PYTHONPATH"] = str(code)
    before = pages_of()
    files_before = parquet_files(out)
    started = time.monotonic()
    proc = subprocess.run([sys.executable, "-m", "earsense_m2t.cli", "build", "--site", site_url, "--out", str(out),
                           "--workers", str(workers), "--download-concurrency", str(workers),
                           "--render-workers", str(workers), *extra],
                          env=env, capture_output=True, text=True,
                          cwd=out.parent if code is not None else None)  # not the repository: its earsense_m2t/
    seconds = time.monotonic() - started                                   # folder would shadow ``code``
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


def checkout(ref: str, into: Path) -> Path:
    """``ref``'s package laid out as the wheel installs it (``earsense_m2t/<folder>``, from its own
    ``package-dir``); returns the folder to put first on ``PYTHONPATH``."""
    src = into / "src"
    src.mkdir(parents=True)
    archive = subprocess.run(["git", "-C", str(REPO), "archive", "--format=tar", ref], check=True,
                             capture_output=True).stdout
    with tempfile.TemporaryFile() as fh:
        fh.write(archive)
        fh.seek(0)
        with tarfile.open(fileobj=fh) as tar:
            tar.extractall(src, filter="data")
    mapping = tomllib.loads((src / "pyproject.toml").read_text())["tool"]["setuptools"]["package-dir"]
    root = into / "pkg"
    package = root / "earsense_m2t"
    root.mkdir()
    package.symlink_to(src / mapping["earsense_m2t"])
    for name, folder in mapping.items():  # earsense_m2t.<sub> -> the repository's <folder>, inside the extracted tree
        if name != "earsense_m2t":
            (src / mapping["earsense_m2t"] / name.split(".", 1)[1]).symlink_to(src / folder)
    where = subprocess.run([sys.executable, "-c", "import earsense_m2t.features as f; print(f.__file__)"],
                           env={**os.environ, "PYTHONPATH": str(root)}, check=True, capture_output=True,
                           text=True, cwd=into).stdout.strip()
    if not os.path.realpath(where).startswith(os.path.realpath(src)):
        raise SystemExit(f"--compare-ref {ref}: earsense_m2t was imported from {where}, not from {src}")
    return root


def stage_seconds(run: Run, stage: str) -> float:
    found = re.search(rf"\b{stage} ([0-9.]+) s", run.line(r"time:(.*)"))
    return float(found.group(1)) if found else float("nan")


def compare(args: argparse.Namespace, catalogue: tuple[WorkSpec, ...], root: Path) -> None:
    """Full builds of REF, HEAD and HEAD --audio, interleaved, each into a fresh root; medians side by side."""
    code = checkout(args.compare_ref, root / "ref")
    kinds: dict[str, tuple[Path | None, tuple[str, ...]]] = {
        f"ref {args.compare_ref}": (code, ()), "HEAD": (None, ()), "HEAD --audio": (None, ("--audio",))}
    runs: dict[str, list[Run]] = {k: [] for k in kinds}
    with prefect_server(root / ".prefect") as prefect_env, serve(catalogue=catalogue, cache_dir=MEDIA_CACHE) as site:
        site.prepare_media()
        print(f"{len(catalogue)} works, {len(site.videos)} videos; {args.runs} runs of each", flush=True)
        for i in range(args.runs):
            for kind, (tree, extra) in kinds.items():
                run = build(kind, site.start_url, root / f"{kind.split()[0]}{len(extra)}-{i}", 2, dict, prefect_env,
                            extra, tree)
                runs[kind].append(run)
                print(f"{kind} #{i + 1}: {run.seconds:.1f} s ({run.line(r'time:(.*)')})", flush=True)
    print(f"\n{'build (2 workers)':<28} {'median s':>9} {'annotate s':>11} {'annotate share':>15}  runs (s)")
    medians = {}
    for kind, done in runs.items():
        seconds = statistics.median(r.seconds for r in done)
        annotate = statistics.median(stage_seconds(r, "annotate") for r in done)
        medians[kind] = seconds
        print(f"{kind:<28} {seconds:9.1f} {annotate:11.1f} {annotate / seconds:15.1%}  "
              f"{[round(r.seconds, 1) for r in done]}")
    ref, head, audio = (medians[k] for k in kinds)
    print(f"\nHEAD / ref:          {head / ref:5.2f}   (goal <= 0.70)")
    print(f"--audio / HEAD:      {audio / head:5.2f}   (goal <= 1.15)")


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
    parser.add_argument("--compare-ref", default=None, help="time full builds of this git ref, HEAD and HEAD --audio "
                                                            "side by side instead (see the module docstring)")
    parser.add_argument("--runs", type=int, default=3, help="--compare-ref: builds of each (default 3; medians)")
    args = parser.parse_args(argv)
    catalogue = generate_catalogue(BASE_WORKS * args.scale, args.seed)
    if args.compare_ref:
        with tempfile.TemporaryDirectory() as tmp:
            root = args.keep or Path(tmp)
            root.mkdir(parents=True, exist_ok=True)
            compare(args, catalogue, root)
        return 0
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

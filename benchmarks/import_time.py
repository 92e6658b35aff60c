"""Import time of each stage package, and which heavy libraries it drags in.

    .venv/bin/python benchmarks/import_time.py [--repeat 5]

Each package is imported in a fresh interpreter (``python -c``), ``--repeat`` times, interleaved across
packages so they see the same machine load; the median is printed with yt-dlp / spotipy / torch /
datasets marked when the import loaded them. Why: a stage that only reads audio (segment, features) or
only writes a release (publish) should not pay for the download libraries, which are the acquire stage's.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys

PACKAGES = ("crawlers", "acquire", "movements", "segment", "features", "annotation", "publish", "model", "flows")
HEAVY = ("yt_dlp", "spotipy", "torch", "datasets", "prefect")
PROBE = """
import sys, time
t = time.perf_counter()
import earsense_m2t.{pkg}
ms = (time.perf_counter() - t) * 1000
print(round(ms, 1), ",".join(m for m in {heavy!r} if m in sys.modules) or "-")
"""


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--packages", default=",".join(PACKAGES))
    args = ap.parse_args(argv)
    packages = [p.strip() for p in args.packages.split(",") if p.strip()]
    times: dict[str, list[float]] = {p: [] for p in packages}
    heavy: dict[str, str] = {}
    for _ in range(args.repeat):
        for pkg in packages:
            out = subprocess.run([sys.executable, "-c", PROBE.format(pkg=pkg, heavy=HEAVY)], capture_output=True,
                                 text=True, check=True).stdout.split()
            times[pkg].append(float(out[0]))
            heavy[pkg] = out[1]
    print(f"| package | median import (ms, {args.repeat} fresh interpreters) | heavy libraries loaded |")
    print("|---|---:|---|")
    for pkg in packages:
        print(f"| earsense_m2t.{pkg} | {statistics.median(times[pkg]):.0f} | {heavy[pkg]} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())

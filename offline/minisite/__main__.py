"""``python -m earsense_m2t.offline.minisite --port 8000``: browse the mini site (media render on first play)."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from earsense_m2t.offline.minisite.catalogue import load_catalogue
from earsense_m2t.offline.minisite.generate import generate_catalogue
from earsense_m2t.offline.minisite.server import MiniSite


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m earsense_m2t.offline.minisite", description=__doc__)
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--cache-dir", type=Path, default=None, help="default: local/cache/minisite-media")
    parser.add_argument("--generated", type=int, default=0, metavar="N", help="serve N generated works instead")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--prepare", action="store_true", help="render all media before serving")
    parser.add_argument("--markup", choices=("default", "plain"), default="default",
                        help="plain: pages without the class names the crawler's profile selects on")
    args = parser.parse_args(argv)
    catalogue = generate_catalogue(args.generated, args.seed) if args.generated else load_catalogue()
    with MiniSite(catalogue, cache_dir=args.cache_dir, port=args.port, markup=args.markup) as site:
        if args.prepare:
            t0 = time.perf_counter()
            site.prepare_media()
            print(f"media ready in {time.perf_counter() - t0:.1f}s", flush=True)
        print(f"EarSense mini site: {site.base_url}/  (start: {site.start_url}); Ctrl-C to stop", flush=True)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()

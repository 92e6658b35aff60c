"""Run the EarSense spider in this process (``python -m crawlers.run``).

The crawl stage starts this in a subprocess: Twisted's reactor cannot be restarted, so a fresh
process per crawl keeps tests, flows and reruns independent of each other.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from scrapy.crawler import CrawlerProcess
from scrapy.settings import Settings

import earsense_m2t.crawlers.settings as project_settings
from earsense_m2t.crawlers.middlewares import EGRESS_SETTING
from earsense_m2t.crawlers.settings import FEED_FILES
from earsense_m2t.crawlers.spiders.earsense import EarSenseSpider
from earsense_m2t.egress import EgressPolicy
from earsense_m2t.schemas.manifests import CRAWL_STATS


def build_settings(out_dir: Path, *, local: bool, httpcache_dir: Path | None, egress: EgressPolicy,
                   time_budget_s: float | None = None) -> Settings:
    settings = Settings()
    settings.setmodule(project_settings, priority="project")
    if time_budget_s is not None:  # Scrapy's CloseSpider extension stops the crawl after so many seconds
        settings.set("CLOSESPIDER_TIMEOUT", time_budget_s, priority="cmdline")
    settings.set(EGRESS_SETTING, egress.to_json(), priority="cmdline")
    if local:
        settings.update(project_settings.LOCAL_OVERRIDES, priority="cmdline")
    if httpcache_dir is not None:
        settings.update({"HTTPCACHE_ENABLED": True, "HTTPCACHE_DIR": str(httpcache_dir.resolve()),
                         "HTTPCACHE_POLICY": "scrapy.extensions.httpcache.RFC2616Policy"}, priority="cmdline")
    settings.set("FEEDS", {
        str((out_dir / name).resolve()): {"format": "jsonlines", "item_classes": [cls], "overwrite": True,
                                          "encoding": "utf-8"}
        for name, cls in FEED_FILES.items()
    }, priority="cmdline")
    return settings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--start-url", required=True)
    parser.add_argument("--out-dir", required=True, type=Path)
    parser.add_argument("--local", action="store_true", help="no throttling (the embedded mini site)")
    parser.add_argument("--httpcache-dir", type=Path)
    parser.add_argument("--previous", type=Path, help="folder of the last crawl's manifests (refresh)")
    parser.add_argument("--egress", help="the egress policy as JSON (EgressPolicy.to_json); "
                                         "default: the policy for the start URL (EgressPolicy.for_site)")
    parser.add_argument("--time-budget", type=float, help="seconds the crawl may take: then it stops, keeping "
                                                          "the pages it finished (CLOSESPIDER_TIMEOUT)")
    args = parser.parse_args(argv)
    args.out_dir.mkdir(parents=True, exist_ok=True)
    egress = EgressPolicy.from_json(args.egress) if args.egress else EgressPolicy.for_site(args.start_url)
    settings = build_settings(args.out_dir, local=args.local, httpcache_dir=args.httpcache_dir, egress=egress,
                              time_budget_s=args.time_budget)
    process = CrawlerProcess(settings, install_root_handler=True)
    crawler = process.create_crawler(EarSenseSpider)
    process.crawl(crawler, start_url=args.start_url, previous=str(args.previous) if args.previous else None)
    process.start()
    stats = {k: v for k, v in (crawler.stats.get_stats() or {}).items()}
    (args.out_dir / CRAWL_STATS).write_text(json.dumps(stats, default=str, indent=1), encoding="utf-8")
    if not stats.get("finish_reason"):
        # Scrapy logs a crawler that failed to start (bad settings, import errors) and returns normally
        print("error: the crawl did not run (see the log above)", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

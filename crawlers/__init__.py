"""Crawl stage: the EarSense spider, its settings and site profile. It only crawls.

Entrypoint: :func:`crawl_site` (the spider runs in a subprocess: Twisted's reactor cannot restart).
"""

from earsense_m2t.crawlers.crawl import CrawlError, crawl_site

__all__ = ["CrawlError", "crawl_site"]

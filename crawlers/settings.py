"""Scrapy settings for the EarSense crawl: every setting the project relies on, commented.

Defaults are polite for a real site. Runs against the local mini site may switch throttling off
(see ``LOCAL_OVERRIDES``); nothing else changes between the two.
"""

BOT_NAME = "earsense-m2t"
SPIDER_MODULES = ["earsense_m2t.crawlers.spiders"]
NEWSPIDER_MODULE = "earsense_m2t.crawlers.spiders"

# Say who we are and how to reach the project (the one User-Agent of the crawl and the downloads); obey robots.txt.
from earsense_m2t.config import USER_AGENT as USER_AGENT  # noqa: E402

ROBOTSTXT_OBEY = True

# At most 2 requests at a time per domain, with a delay adapted to the server's latency.
CONCURRENT_REQUESTS = 8
CONCURRENT_REQUESTS_PER_DOMAIN = 2
DOWNLOAD_DELAY = 0.5
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_MAX_DELAY = 30.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0

# Pages over 5 MB are refused (and logged), larger warnings earlier.
DOWNLOAD_MAXSIZE = 5 * 1024 * 1024
DOWNLOAD_WARNSIZE = 2 * 1024 * 1024
DOWNLOAD_TIMEOUT = 30
RETRY_ENABLED = True
RETRY_TIMES = 2

# Redirects are followed, but the offsite middleware drops any that leave the site's domain.
REDIRECT_ENABLED = True
REDIRECT_MAX_TIMES = 5

# Egress policy (earsense_m2t.egress): every request must be http(s) to a public address, unless the site
# itself is on loopback (the mini site). EgressMiddleware checks in process_request at 40, first of all
# downloader middlewares (before the offsite filter at 50, robots.txt at 100, the cache at 900 and the
# download), and every redirect re-enters the chain there. Scrapy's redirect middlewares are replaced by
# subclasses that also check the target they build, so a redirect to a refused address becomes the
# request's error (a `refused` Failure) instead of being dropped silently by the offsite filter.
DOWNLOADER_MIDDLEWARES = {
    "earsense_m2t.crawlers.middlewares.EgressMiddleware": 40,
    "scrapy.downloadermiddlewares.redirect.MetaRefreshMiddleware": None,
    "earsense_m2t.crawlers.middlewares.EgressMetaRefreshMiddleware": 580,
    "scrapy.downloadermiddlewares.redirect.RedirectMiddleware": None,
    "earsense_m2t.crawlers.middlewares.EgressRedirectMiddleware": 600,
}
#: the policy as JSON (EgressPolicy.to_json; crawlers/run.py sets it from --egress); None: the policy for the
#: start URL (EgressPolicy.for_site)
EARSENSE_EGRESS = None

# Keep 4xx responses reaching the spider so gone pages (404/410) are recorded, not silently dropped.
HTTPERROR_ALLOWED_CODES = [304, 404, 410]

# Breadth-first, so listing pages are done before deep links; stable order.
DEPTH_PRIORITY = 1
SCHEDULER_DISK_QUEUE = "scrapy.squeues.PickleFifoDiskQueue"
SCHEDULER_MEMORY_QUEUE = "scrapy.squeues.FifoMemoryQueue"

# Quiet logs by default; the run summary says what matters.
LOG_LEVEL = "WARNING"
TELNETCONSOLE_ENABLED = False
FEED_EXPORT_ENCODING = "utf-8"

# Items are the dataclasses of schemas/; feeds split them by class (see crawlers.run).
ITEM_PIPELINES = {
    "earsense_m2t.crawlers.pipelines.TagWorkPipeline": 100,
    "earsense_m2t.crawlers.pipelines.ValidateRecordPipeline": 200,
}

REQUEST_FINGERPRINTER_IMPLEMENTATION = "2.7"
TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"

#: applied when crawling the embedded mini site (loopback, no one to be polite to)
LOCAL_OVERRIDES = {
    "DOWNLOAD_DELAY": 0,
    "AUTOTHROTTLE_ENABLED": False,
    "CONCURRENT_REQUESTS_PER_DOMAIN": 8,
}

#: the feed each record type is exported to (one JSON Lines file per type, see crawlers/run.py); the file
#: names are the manifest registry's (earsense_m2t.schemas.manifests.CRAWL_FEEDS)
from earsense_m2t.schemas import manifests as _manifests  # noqa: E402 (lower case: not a Scrapy setting)

FEED_FILES = {m.file: f"{m.record.__module__}.{m.record.__qualname__}" for m in _manifests.CRAWL_FEEDS}

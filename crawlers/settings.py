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

# Caps, so a crawler trap (endless pagination, a calendar, URLs that grow a query each page) ends instead of
# running until the crawl subprocess is killed. Each stops the spider the way a finished crawl stops: the feeds
# keep every page done, the works requested and not reached are "unreached" failures (crawlers/crawl.py).
# - DEPTH_LIMIT: links from the start page. The listing is walked by its "next" links, so listing page N is at
#   depth N-1; 300 is 7,200 works at 24 a page listed in one sequence (the sitemap reaches every work at depth 1
#   anyway), while an endless "?page=N" links N+1 and N+2 and stops near page 600.
# - CLOSESPIDER_PAGECOUNT: responses. A crawl fetches about four pages per work (the work page, its article and
#   database views, its composer's page), so 20,000 is several times what the real site needs; a trap that
#   fans out wide rather than deep (many new links per page) stops here.
# - CLOSESPIDER_TIMEOUT: seconds. crawlers/run.py sets it from --time-budget, which crawl.py derives from the
#   build's --deadline (CRAWL_DEADLINE_SHARE of what is left), else CRAWL_TIME_CAP_S: the crawl stops itself,
#   keeping what it finished, before the subprocess's own timeout would kill it and lose everything.
DEPTH_LIMIT = 300
CLOSESPIDER_PAGECOUNT = 20_000
CLOSESPIDER_TIMEOUT = 0

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

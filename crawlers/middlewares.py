"""Downloader middlewares: the egress policy (:mod:`earsense_m2t.egress`) applied to every request of the crawl.

Where the checks sit in Scrapy's chain (priorities in ``crawlers/settings.py``):

- :class:`EgressMiddleware` checks in ``process_request`` at priority 40, the first downloader middleware,
  so a refused request is dropped before anything else acts on it: before the offsite filter (50), before
  robots.txt is fetched for its host (100), before the HTTP cache (900) and before the download handler
  opens a connection. Every request that reaches the downloader passes there: the start URL, the sitemap,
  followed links, robots.txt (RobotsTxtMiddleware downloads it through the same chain) and every
  redirect: a ``Request`` returned by a ``process_response`` is scheduled again by the engine and runs
  the whole ``process_request`` chain from the start.
- A redirect to another host never gets that far: Scrapy's offsite filter drops it when it is
  scheduled, silently (no errback). :class:`EgressRedirectMiddleware` and
  :class:`EgressMetaRefreshMiddleware` replace Scrapy's redirect middlewares and check the target of the
  redirect they build, so a refused redirect becomes the request's error (a ``refused`` Failure in the
  spider) instead of disappearing.

A refusal raises :class:`RefusedRequest` (an ``IgnoreRequest``): Scrapy calls the request's errback,
where the spider records a ``Failure`` with code ``refused`` naming the URL.

The check resolves the host and decides on the addresses it gets; the download handler then resolves
the name again (Twisted's resolver) to connect. Pinning the connection to the checked address (so DNS
rebinding between the two lookups cannot slip through) is out of scope here. The lookup is synchronous:
it holds the reactor for as long as the system resolver takes, which a polite crawl (two requests at a
time per host) can afford.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from scrapy import Request, Spider
from scrapy.downloadermiddlewares.redirect import MetaRefreshMiddleware, RedirectMiddleware
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response

from earsense_m2t.egress import EgressPolicy, EgressRefused

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)

#: the setting that carries the policy (``EgressPolicy.to_json()``); unset: the policy for the spider's start URL
EGRESS_SETTING = "EARSENSE_EGRESS"
#: stats: how many requests the policy refused
REFUSED_STAT = "earsense/refused"


class RefusedRequest(IgnoreRequest):
    """A request the egress policy refused; ``refusal`` names the URL (without credentials) and why."""

    def __init__(self, refusal: EgressRefused) -> None:
        super().__init__(str(refusal))
        self.refusal = refusal


def egress_policy(crawler: Crawler) -> EgressPolicy:
    """The crawl's policy: the one passed in the settings, else the policy for the spider's start URL.

    Without either (a spider with no ``start_url``) only public addresses are allowed: fail closed.
    """
    raw = crawler.settings.get(EGRESS_SETTING)
    if raw:
        return EgressPolicy.from_json(raw)
    start_url = getattr(crawler.spider, "start_url", None)
    return EgressPolicy.for_site(start_url) if start_url else EgressPolicy()


def refuse(crawler: Crawler, policy: EgressPolicy, url: str) -> None:
    """Raise :class:`RefusedRequest` unless the policy allows ``url`` (resolves the host; opens no socket)."""
    try:
        policy.check(url)
    except EgressRefused as refusal:
        if crawler.stats is not None:
            crawler.stats.inc_value(REFUSED_STAT)
        logger.warning("%s", refusal)
        raise RefusedRequest(refusal) from refusal


class EgressMiddleware:
    """Checks every request against the egress policy before it is downloaded (``process_request``)."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self._policy: EgressPolicy | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> EgressMiddleware:
        return cls(crawler)

    @property
    def policy(self) -> EgressPolicy:
        if self._policy is None:  # the spider exists by the first request, not when middlewares are built
            self._policy = egress_policy(self.crawler)
        return self._policy

    def process_request(self, request: Request, spider: Spider | None = None) -> None:
        refuse(self.crawler, self.policy, request.url)


def _compat(spider: Spider | None) -> tuple[Spider, ...]:
    # older Scrapy versions pass the spider to process_response (and require it back); newer ones do not
    return () if spider is None else (spider,)


class _RedirectCheck:
    """The target of a redirect that a redirect middleware built, checked before it is scheduled."""

    crawler: Crawler
    _egress: EgressPolicy | None = None

    def _checked(self, result: Request | Response) -> Request | Response:
        if isinstance(result, Request):
            if self._egress is None:
                self._egress = egress_policy(self.crawler)
            refuse(self.crawler, self._egress, result.url)
        return result


class EgressRedirectMiddleware(_RedirectCheck, RedirectMiddleware):
    """Scrapy's redirects (3xx + Location), with the target checked when the redirect is built."""

    def process_response(self, request: Request, response: Response,
                         spider: Spider | None = None) -> Request | Response:
        return self._checked(super().process_response(request, response, *_compat(spider)))


class EgressMetaRefreshMiddleware(_RedirectCheck, MetaRefreshMiddleware):
    """Scrapy's ``<meta http-equiv="refresh">`` redirects, with the target checked when the redirect is built."""

    def process_response(self, request: Request, response: Response,
                         spider: Spider | None = None) -> Request | Response:
        return self._checked(super().process_response(request, response, *_compat(spider)))

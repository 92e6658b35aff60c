"""The EarSense spider: discovers work pages and yields ``Work``, ``Recording`` and ``Failure`` records.

It only parses. Where things are on a page is the site profile's business
(:mod:`earsense_m2t.crawlers.site_profile`); tags are added by pipelines; writing is Scrapy's feed exports.
A bad page becomes a ``Failure`` record with the URL and the reason, and the crawl goes on.
"""

from __future__ import annotations

import hashlib
import ipaddress
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from functools import cached_property
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urljoin, urlsplit, urlunsplit

import scrapy
from scrapy.http import Response, TextResponse
from scrapy.selector import Selector
from twisted.python.failure import Failure as TwistedFailure

from earsense_m2t.crawlers.html_text import (
    html_to_text,
    normalize_text,
    repair_encoding,
)
from earsense_m2t.crawlers.middlewares import RefusedRequest, egress_policy
from earsense_m2t.crawlers.previous import PreviousCrawl, content_fingerprint
from earsense_m2t.crawlers.site_profile import EARSENSE, EMBED_RULES, SiteProfile
from earsense_m2t.crawlers.work_title import (
    parse_catalogue,
    parse_duration,
    parse_life_dates,
    parse_number,
    parse_year,
)
from earsense_m2t.egress import EgressPolicy, EgressRefused, redact
from earsense_m2t.schemas import Failure, Recording, Work, recording_id
from earsense_m2t.text import is_slug

if TYPE_CHECKING:
    # scrapy's selectors are parsel's: what .css() gives (and what iterating it gives) is typed by parsel
    import parsel


def utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _text(sel: parsel.Selector | parsel.SelectorList[parsel.Selector]) -> str | None:
    text = normalize_text(" ".join(sel.css("::text").getall()))
    return text or None


class EarSenseSpider(scrapy.Spider):
    name = "earsense"

    def __init__(self, start_url: str, profile: SiteProfile = EARSENSE, previous: str | None = None, **kwargs: Any):
        super().__init__(**kwargs)
        parts = urlsplit(start_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"start URL {start_url!r} is not an http(s) URL")
        self.start_url = start_url
        self.origin = f"{parts.scheme}://{parts.netloc}"
        self.allowed_domains = [parts.hostname]
        self.profile = profile
        self.sel = profile.selectors
        self.works_seen: set[str] = set()
        #: what the last crawl saw, for conditional requests and change detection
        self.previous = PreviousCrawl.load(previous)
        self.changes: dict[str, list[str]] = {"new": [], "changed": [], "unchanged": [], "gone": []}
        #: links off the site to refused addresses, reported once each
        self.refused_links: set[str] = set()

    def closed(self, reason: str) -> None:
        seen_or_gone = self.works_seen | set(self.changes["gone"])
        self.changes["gone"] += sorted(set(self.previous.works) - seen_or_gone)
        self.crawler.stats.set_value("earsense/changes", {k: sorted(v) for k, v in self.changes.items()})

    # ---- discovery -------------------------------------------------------------------------
    async def start(self) -> AsyncIterator[scrapy.Request]:
        yield scrapy.Request(self.start_url, callback=self.parse, errback=self.on_error,
                             meta={"start": True}, dont_filter=True)
        yield scrapy.Request(urljoin(self.origin, self.profile.sitemap_path), callback=self.parse_sitemap,
                             errback=self.on_sitemap_error)

    def parse_sitemap(self, response: Response) -> Iterator[scrapy.Request]:
        if response.status != 200:
            return  # a site without a sitemap is fine: links find the works
        for loc in Selector(text=response.text, type="xml").xpath("//*[local-name()='loc']/text()").getall():
            yield from self._follow(response, loc.strip())

    def parse(self, response: Response) -> Iterator[Any]:
        if not self._is_html(response):
            yield Failure(stage="crawl", item_id=response.url, url=response.url, code="not_html",
                          reason=f"not an HTML page (Content-Type {response.headers.get('Content-Type')!r})")
            return
        slug = self._work_slug(response.url)
        if response.status == 304 and slug is not None and slug in self.previous.works:
            yield from self.reuse_previous(slug)
            return
        if response.status in (404, 410) and slug is not None and slug in self.previous.works:
            # only a work the last crawl had can be gone; a dead link to an unknown work is a Failure below
            self.changes["gone"].append(slug)
            self.works_seen.add(slug)
            return
        if response.status >= 300:
            yield Failure(stage="crawl", item_id=response.url, url=response.url, code="http_error",
                          reason=f"HTTP {response.status}")
            return
        off = self._offsite(response.url)
        if off:
            yield off
            return
        if slug is not None:
            try:
                # materialized, so a page that breaks halfway yields a Failure and none of its records
                items = list(self.parse_work(response, slug))
            except Exception as exc:  # noqa: BLE001 - one bad page must never stop the crawl
                self.logger.exception("%s: could not parse the work page", response.url)
                yield Failure(stage="crawl", item_id=slug, url=response.url, code="parse_error",
                              reason=f"could not parse the page: {type(exc).__name__}: {exc}")
                return
            yield from items
            return
        for href in response.css(f"{self.sel['work_links']}, {self.sel['next_page']}, a::attr(href)").getall():
            yield from self._follow(response, href)

    @cached_property
    def egress(self) -> EgressPolicy:
        """Where requests may go (``crawlers/middlewares.py`` enforces it on every request)."""
        return egress_policy(self.crawler)

    def _follow(self, response: Response, href: str) -> Iterator[Any]:
        url = response.urljoin(href)
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https"):
            return
        if parts.hostname not in self.allowed_domains:
            yield from self._refused_link(url, parts.hostname or "")
            return
        path = unquote(parts.path)
        if path.startswith("/chamber-music/") and self.profile.work_path_re.match(path) is None \
                and path.rstrip("/") != "/chamber-music":
            yield Failure(stage="crawl", item_id=url, url=url, code="rejected_url", reason=f"rejected work path {path!r}")
            return
        m = self.profile.work_path_re.match(path)
        if m:
            slug = m.group("slug")
            if not is_slug(slug):
                yield Failure(stage="crawl", item_id=url, url=url, code="rejected_url", reason=f"rejected slug {slug!r}")
                return
            canonical = self.canonical_work_url(slug)
            yield scrapy.Request(canonical, callback=self.parse, errback=self.on_error,
                                 headers=self.previous.conditional_headers(slug))
        elif self.profile.follow_path_re.match(path):
            yield scrapy.Request(urlunsplit((parts.scheme, parts.netloc, parts.path, parts.query, "")),
                                 callback=self.parse, errback=self.on_error)

    def _refused_link(self, url: str, host: str) -> Iterator[Failure]:
        """A link off the site is not followed; one to an address the policy refuses is reported as such.

        Only hosts that need no DNS lookup are judged (IP literals, and ``localhost``, which the hosts
        file answers): a name elsewhere is neither requested nor resolved.
        """
        try:
            ipaddress.ip_address(host)
        except ValueError:
            if host != "localhost":
                return
        try:
            self.egress.check(url)
        except EgressRefused as refusal:
            if refusal.url in self.refused_links:
                return
            self.refused_links.add(refusal.url)
            yield Failure(stage="crawl", item_id=refusal.url, url=refusal.url, code="refused",
                          reason=f"link not followed: {refusal}")

    def canonical_work_url(self, slug: str) -> str:
        """``?ri=N`` and other variants of a work page collapse to one URL (the work's identity)."""
        return f"{self.origin}/chamber-music/{slug}/"

    def _work_slug(self, url: str) -> str | None:
        m = self.profile.work_path_re.match(unquote(urlsplit(url).path))
        return m.group("slug") if m and is_slug(m.group("slug")) else None

    def _offsite(self, url: str) -> Failure | None:
        host = urlsplit(url).hostname
        if host in self.allowed_domains:
            return None
        return Failure(stage="crawl", item_id=url, url=url, code="off_site_redirect",
                       reason=f"redirected off the site to {host!r}")

    @staticmethod
    def _is_html(response: Response) -> bool:
        ctype = (response.headers.get("Content-Type") or b"").decode("latin-1").lower()
        return isinstance(response, TextResponse) and ("html" in ctype or not ctype)

    # ---- work pages ------------------------------------------------------------------------
    def parse_work(self, response: Response, slug: str) -> Iterator[Any]:
        if slug in self.works_seen:
            return
        self.works_seen.add(slug)
        response, repaired = repair_encoding(response)
        if repaired:
            self.logger.warning("%s: page text was not valid in its declared charset; re-decoded as %s",
                                response.url, repaired)
        page_hash = hashlib.sha256(response.body).hexdigest()
        s = self.sel
        title = _text(response.css(s["title"]))
        composer = _text(response.css(s["composer"]))
        if not title or not composer:
            missing = [n for n, v in (("title", title), ("composer", composer)) if not v]
            yield Failure(stage="crawl", item_id=slug, url=response.url, code="missing_field",
                          reason=f"work page without {' and '.join(missing)}")
            return
        article_html = response.css(s["article"]).get()
        bio_html = response.css(s["biography"]).get()
        birth, death = parse_life_dates(_text(response.css(s["composer_dates"])))
        headers = response.headers
        work = Work(
            id=slug,
            url=self.canonical_work_url(slug),
            title=title,
            composer=composer,
            fetched_at=utc_now(),
            page_sha256=page_hash,
            article=html_to_text(article_html, s["article_drop"]) if article_html else None,
            biography=html_to_text(bio_html, "h2") if bio_html else None,
            composer_birth_year=birth,
            composer_death_year=death,
            genre=_text(response.css(s["genre"])),
            number=parse_number(title),
            catalogue=parse_catalogue(title),
            year=parse_year(_text(response.css(s["year"]))),
            page_movement_titles=tuple(t for t in (_text(li) for li in response.css(s["movement_list"])) if t),
            etag=(headers.get("ETag") or b"").decode("latin-1") or None,
            last_modified=(headers.get("Last-Modified") or b"").decode("latin-1") or None,
        )
        recordings = list(self.parse_recordings(response, slug))
        old = self.previous.fingerprint(slug)
        if old is None:
            self.changes["new"].append(slug)
        elif old == content_fingerprint(work, recordings):
            self.changes["unchanged"].append(slug)
        else:
            self.changes["changed"].append(slug)
        yield work
        yield from recordings

    def parse_recordings(self, response: Response, slug: str) -> Iterator[Recording]:
        s = self.sel
        seen: set[str] = set()
        for i, rec in enumerate(response.css(s["recording"])):
            try:
                ri = int(rec.css(s["recording_index"]).get() or i)
            except ValueError:
                ri = i
            performers = _text(rec.css(s["performers"]))
            tracks = rec.css(s["track"])
            parts: list[tuple[parsel.Selector, int | None, str | None, float | None]]
            if tracks:
                parts = [(t, n, _text(t.css(s["track_title"])), parse_duration(_text(t.css(s["track_duration"]))))
                         for n, t in enumerate(tracks, 1)]
            else:
                parts = [(rec, None, None, parse_duration(_text(rec.css(s["recording_duration"]))))]
            for el, number, track_title, duration in parts:
                embed = el.css(s["embed"]).get()
                if not embed:
                    continue
                source_url, source_id = media_source(response.urljoin(embed))
                if source_id in seen:
                    continue
                seen.add(source_id)
                yield Recording(id=recording_id(slug, source_id), work_id=slug, source_url=source_url,
                                source_id=source_id, recording_index=ri, performers=performers,
                                duration_s=duration, movement_number=number, track_title=track_title)

    def reuse_previous(self, slug: str) -> Iterator[Any]:
        """An unchanged page: its records from the last crawl, with the provenance of that fetch."""
        self.works_seen.add(slug)
        self.changes["unchanged"].append(slug)
        yield self.previous.works[slug]
        yield from self.previous.recordings.get(slug, [])

    # ---- errors ----------------------------------------------------------------------------
    def on_error(self, failure: TwistedFailure) -> Iterator[Failure]:
        request = failure.request  # type: ignore[attr-defined]
        if isinstance(failure.value, RefusedRequest):
            yield self._refused(request, failure.value.refusal)
            return
        error = (failure.type or type(failure.value)).__name__  # Twisted types `type` as optional
        reason = failure.getErrorMessage() or error
        if request.meta.get("start"):
            self.crawler.stats.set_value("earsense/start_failed", f"{request.url}: {reason}")
        yield Failure(stage="crawl", item_id=request.url, url=request.url, code="request_failed",
                      reason=f"{error}: {reason}")

    def _refused(self, request: scrapy.Request, refusal: EgressRefused) -> Failure:
        """The egress policy refused the request, or the redirect it led to (``refusal.url``)."""
        asked = redact((request.meta.get("redirect_urls") or [request.url])[0])  # the URL the spider requested
        reason = str(refusal) if refusal.url == asked else f"{refusal} (redirected from {asked})"
        if request.meta.get("start"):
            self.crawler.stats.set_value("earsense/start_refused", reason)
        return Failure(stage="crawl", item_id=asked, url=refusal.url, code="refused", reason=reason)

    def on_sitemap_error(self, failure: TwistedFailure) -> None:
        self.logger.info("no sitemap: %s", failure.getErrorMessage())


def media_source(embed_url: str) -> tuple[str, str]:
    """The URL to hand yt-dlp and the media's identity at its source, from an embed's ``src``.

    The identity is the acquire stage's (``acquire.download.source_identity``, which the crawler may not
    import; tests/acquire checks that the two agree), never a file name, which two works can share:
    ``<extractor>:<id>`` for a known video host (yt-dlp's extractor key, lower-cased: the host's name,
    ``youtube`` or ``vimeo``), else the full normalized URL: scheme, lower-cased host, port (not a
    default one, nor one on loopback, where a server takes a free port on each start), path and query.
    """
    for pattern, template in EMBED_RULES:
        m = pattern.match(embed_url)
        if m:
            url = template.format(id=m.group("id"))
            host = (urlsplit(url).hostname or "").removeprefix("www.")
            return url, f"{host.split('.')[0]}:{m.group('id')}"
    try:
        parts = urlsplit(embed_url.strip())
        host, port = parts.hostname or "", parts.port
    except ValueError:
        return embed_url, embed_url.strip().split("#", 1)[0]
    try:
        loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    scheme = parts.scheme.lower()
    netloc = f"[{host}]" if ":" in host else host
    if port is not None and port != {"http": 80, "https": 443}.get(scheme) and not loopback:
        netloc += f":{port}"
    return embed_url, urlunsplit((scheme, netloc, parts.path or "/", parts.query, ""))

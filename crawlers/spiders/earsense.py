"""The EarSense spider: discovers work pages and yields ``Work``, ``Recording`` and ``Failure`` records.

It only parses. Where things are on a page is the site profile's business
(:mod:`earsense_m2t.crawlers.site_profile`), field by field, and what the page's visible text says when a
selector finds nothing is :mod:`earsense_m2t.crawlers.page_text`'s (counted in the stats as
``earsense/fallback_pages`` and ``earsense/fallback_fields/<field>``); tags are added by pipelines; writing
is Scrapy's feed exports. A bad page becomes a ``Failure`` record with the URL and the reason, and the
crawl goes on.

URL forms of one work (issue 10) collapse to one id, the slug: ``?ri=N`` links are requested as the
canonical page, whose text wins (a variant is read, under the canonical id, only when the canonical page
fails); an article view or a database entry (``SiteProfile.alias_path_re``) leads to the work page through
its canonical link, else a link to a work page, else it is a ``no_canonical`` Failure naming its URL.
"""

from __future__ import annotations

import dataclasses
import hashlib
import ipaddress
import re
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
    UndecodablePage,
    html_to_text,
    normalize_text,
    repair_encoding,
)
from earsense_m2t.crawlers.middlewares import RefusedRequest, egress_policy
from earsense_m2t.crawlers.page_text import (
    LINE_RULES,
    ListedRecording,
    ListedTrack,
    PageFields,
    read_html_text,
    ri_of,
)
from earsense_m2t.crawlers.previous import PreviousCrawl, content_fingerprint
from earsense_m2t.crawlers.site_profile import EARSENSE, EMBED_RULES, SiteProfile
from earsense_m2t.crawlers.work_facts import (
    parse_born,
    parse_composed,
    parse_died,
    parse_instrumentation,
    parse_minutes,
    parse_plain,
)
from earsense_m2t.crawlers.work_title import (
    parse_catalogue,
    parse_duration,
    parse_life_dates,
    parse_number,
)
from earsense_m2t.egress import EgressPolicy, EgressRefused, redact
from earsense_m2t.folding import is_slug
from earsense_m2t.media.identity import source_identity
from earsense_m2t.schemas import Failure, Recording, Work, recording_id
from earsense_m2t.schemas.stages import Stage

if TYPE_CHECKING:
    # scrapy's selectors are parsel's: what .css() gives (and what iterating it gives) is typed by parsel
    import parsel


def utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _text(sel: parsel.Selector | parsel.SelectorList[parsel.Selector]) -> str | None:
    """The visible text of what a selector matched, as one line (text nodes joined as a browser shows them)."""
    text = normalize_text(re.sub(r"[\r\n]+", " ", "".join(sel.css("::text").getall())))
    return text or None


#: the fields of ``PageFields`` read by the selectors first, then by the text fallback when they found nothing
PAGE_FIELDS: tuple[str, ...] = tuple(f.name for f in dataclasses.fields(PageFields))
_HEADER_RE = next(pattern for rule, pattern in LINE_RULES if rule == "recordings_header")


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
        #: "gone" only on a 404/410 of a work the last crawl had; "unreached": a work the last crawl had whose
        #: page this crawl could not get (timeout, 5xx, refused): it is not gone, and publish keeps its rows
        self.changes: dict[str, list[str]] = {"new": [], "changed": [], "unchanged": [], "gone": [], "unreached": []}
        #: links off the site to refused addresses, reported once each
        self.refused_links: set[str] = set()
        #: the "?ri=N" variants of each work page seen in links: tried when the canonical page cannot be had
        self.variants: dict[str, dict[int, str]] = {}
        #: works whose canonical page failed, and works whose variant was already requested
        self.canonical_failed: set[str] = set()
        self.variant_tried: set[str] = set()
        #: works whose page was asked for, and works whose request came back (a response or an error)
        self.works_requested: set[str] = set()
        self.works_answered: set[str] = set()

    def closed(self, reason: str) -> None:
        seen_or_gone = self.works_seen | set(self.changes["gone"])
        self.changes["unreached"] += sorted(set(self.previous.works) - seen_or_gone)
        self.crawler.stats.set_value("earsense/changes", {k: sorted(v) for k, v in self.changes.items()})
        # works asked for whose request never came back: the crawl stopped first (a cap or the deadline), or the
        # link was past DEPTH_LIMIT; crawl.py reports each as an "unreached" failure with this reason
        unreached = sorted(self.works_requested - self.works_answered - seen_or_gone)
        if unreached:
            self.crawler.stats.set_value("earsense/unreached_works", {slug: self.canonical_work_url(slug)
                                                                       for slug in unreached})
            self.crawler.stats.set_value("earsense/unreached_reason", self._stop_reason(reason))

    def _stop_reason(self, reason: str) -> str:
        settings = self.crawler.settings
        if reason == "closespider_timeout":
            return (f"not crawled: the crawl stopped when its time budget ran out "
                    f"(CLOSESPIDER_TIMEOUT {settings.getfloat('CLOSESPIDER_TIMEOUT'):.0f} s)")
        if reason == "closespider_pagecount":
            return (f"not crawled: the crawl stopped at its page cap "
                    f"(CLOSESPIDER_PAGECOUNT {settings.getint('CLOSESPIDER_PAGECOUNT')})")
        if reason == "finished":
            return f"not crawled: linked only past the depth cap (DEPTH_LIMIT {settings.getint('DEPTH_LIMIT')})"
        return f"not crawled: the crawl stopped early ({reason})"

    def _answered(self, request: scrapy.Request | None, url: str) -> None:
        """The request for ``url`` came back (with a response or an error): its work is not unreached."""
        urls = [url, *((request.meta.get("redirect_urls") or []) if request is not None else [])]
        self.works_answered.update(slug for u in urls if (slug := self._work_slug(u)) is not None)

    def _work_request(self, slug: str, url: str, **kwargs: Any) -> scrapy.Request:
        self.works_requested.add(slug)
        return scrapy.Request(url, callback=self.parse, errback=self.on_error, **kwargs)

    def _inc(self, key: str, count: int = 1) -> None:
        crawler = getattr(self, "crawler", None)  # a spider built outside a crawl (unit tests) has none
        if crawler is not None and crawler.stats is not None:
            crawler.stats.inc_value(key, count)

    # ---- discovery -------------------------------------------------------------------------
    async def start(self) -> AsyncIterator[scrapy.Request]:
        yield scrapy.Request(self.start_url, callback=self.parse, errback=self.on_error,
                             meta={"start": True}, dont_filter=True)
        yield scrapy.Request(urljoin(self.origin, self.profile.sitemap_path), callback=self.parse_sitemap,
                             errback=self.on_sitemap_error)
        # every work the last crawl had is asked for by name, so one no page links to any more is still
        # confirmed (unchanged, changed, or gone on a 404/410), never taken for gone because it went unseen
        for slug in sorted(self.previous.works):
            yield self._work_request(slug, self.canonical_work_url(slug), headers=self.previous.conditional_headers(slug))

    def parse_sitemap(self, response: Response) -> Iterator[scrapy.Request]:
        if response.status != 200:
            return  # a site without a sitemap is fine: links find the works
        for loc in Selector(text=response.text, type="xml").xpath("//*[local-name()='loc']/text()").getall():
            yield from self._follow(response, loc.strip())

    def parse(self, response: Response) -> Iterator[Any]:
        self._answered(response.request, response.url)
        if not self._is_html(response):
            yield Failure(stage=Stage.CRAWL, item_id=response.url, url=response.url, code="not_html",
                          reason=f"not an HTML page (Content-Type {response.headers.get('Content-Type')!r})")
            return
        slug = self._work_slug(response.url)
        if response.status == 304 and slug is not None and slug in self.previous.works:
            yield from self.reuse_previous(slug)
            return
        if response.status >= 300 and slug is not None:
            retry = self._try_variant(slug, response.request)
            if retry is not None:
                yield retry
                return
        if response.status in (404, 410) and slug is not None and slug in self.previous.works:
            # only a work the last crawl had can be gone; a dead link to an unknown work is a Failure below
            self.changes["gone"].append(slug)
            self.works_seen.add(slug)
            return
        if response.status >= 300:
            yield Failure(stage=Stage.CRAWL, item_id=response.url, url=response.url, code="http_error",
                          reason=f"HTTP {response.status}{self._variant_note(response.request)}")
            return
        off = self._offsite(response.url)
        if off:
            yield off
            return
        if slug is not None:
            if not self._is_work_response(response, slug):
                # a "?ri=N" variant reached directly (a start URL, a redirect): the canonical page speaks for it
                yield from self._follow(response, response.url)
                return
            try:
                # materialized, so a page that breaks halfway yields a Failure and none of its records
                items = list(self.parse_work(response, slug))
            except Exception as exc:  # noqa: BLE001 - one bad page must never stop the crawl
                self.logger.exception("%s: could not parse the work page", response.url)
                yield Failure(stage=Stage.CRAWL, item_id=slug, url=response.url, code="parse_error",
                              reason=f"could not parse the page: {type(exc).__name__}: {exc}")
                return
            yield from items
            # a work page links its composer, its recordings' "?ri=N" pages and other works: more ways in
            for href in response.css("a::attr(href)").getall():
                yield from self._follow(response, href)
            return
        if self.profile.alias_path_re.match(unquote(urlsplit(response.url).path)):
            yield from self.parse_alias(response)
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
            yield Failure(stage=Stage.CRAWL, item_id=url, url=url, code="rejected_url", reason=f"rejected work path {path!r}")
            return
        m = self.profile.work_path_re.match(path)
        if m:
            slug = m.group("slug")
            if not is_slug(slug):
                yield Failure(stage=Stage.CRAWL, item_id=url, url=url, code="rejected_url", reason=f"rejected slug {slug!r}")
                return
            ri = ri_of(url)
            if ri is not None:
                self.variants.setdefault(slug, {}).setdefault(ri, urlunsplit((parts.scheme, parts.netloc, parts.path,
                                                                               f"ri={ri}", "")))
                if slug in self.canonical_failed:  # the canonical page failed before this variant was known
                    retry = self._try_variant(slug, None)
                    if retry is not None:
                        yield retry
                        return
            yield self._work_request(slug, self.canonical_work_url(slug), headers=self.previous.conditional_headers(slug))
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
            yield Failure(stage=Stage.CRAWL, item_id=refusal.url, url=refusal.url, code="refused",
                          reason=f"link not followed: {refusal}")

    def canonical_work_url(self, slug: str) -> str:
        """``?ri=N`` and other variants of a work page collapse to one URL (the work's identity)."""
        return f"{self.origin}/chamber-music/{slug}/"

    def _work_slug(self, url: str) -> str | None:
        m = self.profile.work_path_re.match(unquote(urlsplit(url).path))
        return m.group("slug") if m and is_slug(m.group("slug")) else None

    def _is_work_response(self, response: Response, slug: str) -> bool:
        """The canonical page, a variant asked for because the canonical failed, or where the canonical led."""
        if not urlsplit(response.url).query:
            return True
        request = response.request
        meta = request.meta if request is not None else {}
        redirected_from = meta.get("redirect_urls") or []
        return bool(meta.get("variant_of")) or self.canonical_work_url(slug) in redirected_from

    def _try_variant(self, slug: str, request: scrapy.Request | None) -> scrapy.Request | None:
        """After the canonical page of ``slug`` failed: a request for its first "?ri=N" variant, once."""
        if request is not None and request.meta.get("variant_of"):
            return None  # the variant itself failed
        self.canonical_failed.add(slug)
        if slug in self.variant_tried or not self.variants.get(slug):
            return None
        self.variant_tried.add(slug)
        ri = min(self.variants[slug])
        url = self.variants[slug][ri]
        self.logger.warning("%s: the canonical page failed; reading the work from its variant %s",
                            self.canonical_work_url(slug), url)
        self._inc("earsense/variant_pages")
        return scrapy.Request(url, callback=self.parse, errback=self.on_error, dont_filter=True,
                              meta={"variant_of": self.canonical_work_url(slug)})

    def _variant_note(self, request: scrapy.Request | None) -> str:
        variant_of = request.meta.get("variant_of") if request is not None else None
        return f" (read for {variant_of}, whose canonical page failed)" if variant_of else ""

    def _offsite(self, url: str) -> Failure | None:
        host = urlsplit(url).hostname
        if host in self.allowed_domains:
            return None
        return Failure(stage=Stage.CRAWL, item_id=url, url=url, code="off_site_redirect",
                       reason=f"redirected off the site to {host!r}")

    @staticmethod
    def _is_html(response: Response) -> bool:
        ctype = (response.headers.get("Content-Type") or b"").decode("latin-1").lower()
        return isinstance(response, TextResponse) and ("html" in ctype or not ctype)

    # ---- other views of a work ---------------------------------------------------------------
    def parse_alias(self, response: Response) -> Iterator[Any]:
        """An article view or a database entry of a work: the work page it names, else a ``no_canonical`` Failure.

        Its canonical link decides; failing that, the first link in the page's content (not its navigation)
        to a ``/chamber-music/<slug>/`` page.
        """
        self._inc("earsense/alias_pages")
        candidates = response.css(self.sel["canonical"]).getall()
        candidates += response.xpath("//body//a[not(ancestor::nav or ancestor::header or ancestor::footer "
                                     "or ancestor::aside)]/@href").getall()
        for href in candidates:
            url = response.urljoin(href.strip())
            parts = urlsplit(url)
            if parts.hostname in self.allowed_domains and self._work_slug(url) is not None:
                yield from self._follow(response, url)
                return
        yield Failure(stage=Stage.CRAWL, item_id=response.url, url=response.url, code="no_canonical",
                      reason=f"{response.url} is another view of a work but names none: no canonical link and no "
                             f"link to a /chamber-music/<slug>/ page")

    # ---- work pages ------------------------------------------------------------------------
    def read_fields(self, response: Response) -> tuple[PageFields, list[str]]:
        """The page's fields, each from the profile's selectors, else from the page's visible text.

        Returns the fields and the names of those the text fallback supplied.
        """
        by_selectors = self.read_selectors(response)
        missing = [name for name in PAGE_FIELDS if getattr(by_selectors, name) in (None, "")]
        if not missing:
            return by_selectors, []
        by_text = read_html_text(response.text)
        fill = {name: getattr(by_text, name) for name in missing if getattr(by_text, name) not in (None, "")}
        return dataclasses.replace(by_selectors, **fill), sorted(fill)

    def read_selectors(self, response: Response) -> PageFields:
        s = self.sel
        article_html = response.css(s["article"]).get()
        count = None
        header = _HEADER_RE.match(_text(response.css(s["recordings_count"])) or "")
        if header:
            count = (int(header.group("recordings")), int(header.group("videos")) if header.group("videos") else None)
        recordings = tuple(self._read_recording(rec) for rec in response.css(s["recording"]))
        facts = {name: _text(response.css(s[name])) for name in
                 ("nationality", "born", "died", "duration", "composed", "published", "dedication", "note")}
        return PageFields(
            title=_text(response.css(s["title"])),
            composer=_text(response.css(s["composer"])),
            composer_dates=_text(response.css(s["composer_dates"])),
            instrumentation=_text(response.css(s["instrumentation"])),
            article=html_to_text(article_html, s["article_drop"]) if article_html else None,
            recordings_count=count,
            recordings=recordings or None,
            **facts,
        )

    def _read_recording(self, rec: parsel.Selector) -> ListedRecording:
        s = self.sel
        try:
            index: int | None = int(rec.css(s["recording_index"]).get() or "")
        except ValueError:
            index = ri_of(rec.css(s["recording_select"]).get())
        tracks = []
        for track in rec.css(s["track"]):
            title = _text(track.css(s["track_title"])) or _text(track) or ""
            tracks.append(ListedTrack(title=title, duration_s=parse_duration(_text(track.css(s["track_duration"]))),
                                      embed=track.css(s["embed"]).get()))
        in_tracks = {t.embed for t in tracks if t.embed}
        whole = next((src for src in rec.css(s["embed"]).getall() if src not in in_tracks), None)
        return ListedRecording(index=index, performers=_text(rec.css(s["performers"])),
                               total_s=parse_duration(_text(rec.css(s["recording_duration"]))),
                               tracks=tuple(tracks), embed=whole)

    def parse_work(self, response: Response, slug: str) -> Iterator[Any]:
        if slug in self.works_seen:
            return
        self.works_seen.add(slug)
        page_hash = hashlib.sha256(response.body).hexdigest()  # the bytes as served, before any re-decoding
        declared = getattr(response, "encoding", None)  # a TextResponse: parse() let only HTML through
        try:
            response, repaired = repair_encoding(response)
        except UndecodablePage as exc:
            self._inc("earsense/charset_failed")
            yield Failure(stage=Stage.CRAWL, item_id=slug, url=response.url, code="bad_encoding", reason=str(exc))
            return
        if repaired:
            self.logger.warning("%s: page text does not read as its declared charset (%s); re-decoded as %s",
                                response.url, declared, repaired)
            self._inc("earsense/charset_redecoded")
        page, from_text = self.read_fields(response)
        if from_text:
            self.logger.info("%s: read from the page's text (selectors found nothing): %s", response.url,
                             ", ".join(from_text))
            self._inc("earsense/fallback_pages")
            for name in from_text:
                self._inc(f"earsense/fallback_fields/{name}")
        title, composer = page.title, page.composer
        if not title or not composer:
            missing = [n for n, v in (("title", title), ("composer", composer)) if not v]
            yield Failure(stage=Stage.CRAWL, item_id=slug, url=response.url, code="missing_field",
                          reason=f"work page without {' and '.join(missing)}")
            return
        if page.recordings_count is not None and page.recordings is not None \
                and page.recordings_count[0] != len(page.recordings):
            self.logger.warning("%s: the page announces %d recordings, %d were read", response.url,
                                page.recordings_count[0], len(page.recordings))
            self._inc("earsense/recordings_count_mismatch")
        listed = self._indexed(page.recordings or ())
        titles: tuple[str, ...] = ()
        titles_ri = None
        for ri, rec in sorted(listed, key=lambda pair: pair[0]):
            if rec.tracks:
                titles, titles_ri = tuple(t.title for t in rec.tracks), ri
                break
        if not titles:  # older markup: a movement list that belongs to no recording
            titles = tuple(t for t in (_text(li) for li in response.css(self.sel["movement_list"])) if t)
        bio_html = response.css(self.sel["biography"]).get()
        birth, death = parse_life_dates(page.composer_dates)
        born_year, born_place = parse_born(page.born)
        died_year, died_place, _age = parse_died(page.died)
        headers = response.headers
        work = Work(
            id=slug,
            url=self.canonical_work_url(slug),
            title=title,
            composer=composer,
            fetched_at=utc_now(),
            page_sha256=page_hash,
            article=page.article,
            biography=html_to_text(bio_html, "h2") if bio_html else None,
            composer_birth_year=birth if birth is not None else born_year,
            composer_death_year=death if death is not None else died_year,
            genre=_text(response.css(self.sel["genre"])),
            number=parse_number(title),
            catalogue=parse_catalogue(title),
            year=parse_composed(page.composed),
            nationality=parse_plain(page.nationality),
            instrumentation=parse_instrumentation(page.instrumentation),
            approx_duration_s=parse_minutes(page.duration),
            composer_birth_place=born_place,
            composer_death_place=died_place,
            published=parse_plain(page.published),
            dedication=parse_plain(page.dedication),
            page_movement_titles=titles,
            page_movement_titles_ri=titles_ri,
            etag=(headers.get("ETag") or b"").decode("latin-1") or None,
            last_modified=(headers.get("Last-Modified") or b"").decode("latin-1") or None,
        )
        recordings = list(self.recordings_of(response, slug, listed))
        old = self.previous.fingerprint(slug)
        if old is None:
            self.changes["new"].append(slug)
        elif old == content_fingerprint(work, recordings):
            self.changes["unchanged"].append(slug)
        else:
            self.changes["changed"].append(slug)
        yield work
        yield from recordings

    @staticmethod
    def _indexed(listed: tuple[ListedRecording, ...]) -> list[tuple[int, ListedRecording]]:
        """Each recording with its ri: the page's own (data-ri, a "?ri=N" link) when every recording states a
        distinct one, else its place in the recordings block."""
        stated = [rec.index for rec in listed if rec.index is not None]
        if len(stated) == len(listed) and len(set(stated)) == len(stated):
            return list(zip(stated, listed, strict=True))
        return list(enumerate(listed))

    def recordings_of(self, response: Response, slug: str,
                      listed: list[tuple[int, ListedRecording]]) -> Iterator[Recording]:
        """One Recording per video: per movement when the recording is one video per movement, else one whole-work
        recording; a recording without a video yields none. Each carries its recording's movement list."""
        seen: set[str] = set()
        for ri, rec in listed:
            movements = tuple((t.title, t.duration_s) for t in rec.tracks)
            parts: list[tuple[str, int | None, str | None, float | None]]
            if any(t.embed for t in rec.tracks):
                parts = [(t.embed, n, t.title or None, t.duration_s) for n, t in enumerate(rec.tracks, 1) if t.embed]
            elif rec.embed:
                parts = [(rec.embed, None, None, rec.total_s)]
            else:
                continue
            for embed, number, track_title, duration in parts:
                source_url, source_id = media_source(response.urljoin(embed))
                if source_id in seen:
                    continue
                seen.add(source_id)
                yield Recording(id=recording_id(slug, source_id), work_id=slug, source_url=source_url,
                                source_id=source_id, recording_index=ri, performers=rec.performers,
                                duration_s=duration, movement_number=number, track_title=track_title,
                                listed_movements=movements)

    def reuse_previous(self, slug: str) -> Iterator[Any]:
        """An unchanged page: its records from the last crawl, with the provenance of that fetch."""
        self.works_seen.add(slug)
        self.changes["unchanged"].append(slug)
        yield self.previous.works[slug]
        yield from self.previous.recordings.get(slug, [])

    # ---- errors ----------------------------------------------------------------------------
    def on_error(self, failure: TwistedFailure) -> Iterator[Any]:
        request = failure.request  # type: ignore[attr-defined]
        self._answered(request, request.url)
        if isinstance(failure.value, RefusedRequest):
            yield self._refused(request, failure.value.refusal)
            return
        error = (failure.type or type(failure.value)).__name__  # Twisted types `type` as optional
        reason = failure.getErrorMessage() or error
        response = getattr(failure.value, "response", None)  # HttpError: a status Scrapy did not pass on
        code = "request_failed"
        if response is not None and getattr(response, "status", None):
            error, reason, code = f"HTTP {response.status}", "the site answered with an error, after retries", "http_error"
        if request.meta.get("start"):
            self.crawler.stats.set_value("earsense/start_failed", f"{request.url}: {reason}")
        slug = self._work_slug(request.url)
        retry = self._try_variant(slug, request) if slug is not None else None
        if retry is not None:
            yield retry
            return
        yield Failure(stage=Stage.CRAWL, item_id=request.url, url=request.url, code=code,
                      reason=f"{error}: {reason}{self._variant_note(request)}")

    def _refused(self, request: scrapy.Request, refusal: EgressRefused) -> Failure:
        """The egress policy refused the request, or the redirect it led to (``refusal.url``)."""
        asked = redact((request.meta.get("redirect_urls") or [request.url])[0])  # the URL the spider requested
        reason = str(refusal) if refusal.url == asked else f"{refusal} (redirected from {asked})"
        if request.meta.get("start"):
            self.crawler.stats.set_value("earsense/start_refused", reason)
        return Failure(stage=Stage.CRAWL, item_id=asked, url=refusal.url, code="refused", reason=reason)

    def on_sitemap_error(self, failure: TwistedFailure) -> None:
        self.logger.info("no sitemap: %s", failure.getErrorMessage())


def media_source(embed_url: str) -> tuple[str, str]:
    """The URL to hand yt-dlp and the media's identity at its source, from an embed's ``src``.

    A known video host's embed player becomes its watch page (:data:`EMBED_RULES`); any other ``src`` is
    the media itself. The identity is :func:`earsense_m2t.media.identity.source_identity` of that URL,
    the function the acquire stage keys its media cache by, so the two cannot disagree.
    """
    for pattern, template in EMBED_RULES:
        m = pattern.match(embed_url)
        if m:
            url = template.format(id=m.group("id"))
            return url, source_identity(url)
    return embed_url, source_identity(embed_url)

"""Everything the crawler knows about EarSense's markup, in one place.

The spider only asks this profile where things are. When the real site's markup differs from the
mini site's (or changes), adapting the selectors is a change to this file alone. Selectors are CSS
(Scrapy ``Selector.css``); each one is documented by the field it fills. The real markup is unknown
(issue 10: the stored pages are text), so a field whose selector matches nothing is read from the
page's visible text by the rules of :mod:`earsense_m2t.crawlers.page_text`, which need no markup at all.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field


@dataclass(frozen=True)
class SiteProfile:
    name: str
    #: path of a work page; the slug group is the work id
    work_path_re: re.Pattern[str]
    #: paths worth following to discover works (listing pages, blog, composer pages, home, other views of a work)
    follow_path_re: re.Pattern[str]
    #: paths of other views of one work (its article view, its database entry): never a work of their own, they
    #: lead to the work page through their canonical link, else a link to a work page; neither is a Failure
    alias_path_re: re.Pattern[str] = re.compile(r"^/(?!)")
    #: field -> CSS selector
    selectors: dict[str, str] = field(default_factory=dict)
    #: fields that must be present on (nearly) every work page; a crawl that misses one of them on
    #: more than ``max_missing_fraction`` of pages fails loudly instead of publishing empty texts. A field
    #: counts as present when either the selectors or the text fallback (crawlers/page_text.py) found it.
    required_fields: tuple[str, ...] = ("title", "composer", "article")
    max_missing_fraction: float = 0.20
    sitemap_path: str = "/sitemap.xml"


EARSENSE = SiteProfile(
    name="earsense",
    work_path_re=re.compile(r"^/chamber-music/(?P<slug>[^/?#]+)/?$"),
    follow_path_re=re.compile(r"^/(?:$|chamber-music/?$|blog(?:/|$)|composer/|article/|chamberbase/works/detail/?$)"),
    alias_path_re=re.compile(r"^/(?:article/[^/]+/?|chamberbase/works/detail/?)$"),
    selectors={
        # listing pages
        "work_links": "a.work-link::attr(href), main a[href*='/chamber-music/']::attr(href)",
        "next_page": "a[rel=next]::attr(href)",
        "canonical": "link[rel=canonical]::attr(href)",
        # work header (issue 10's default markup); every field here that matches nothing is read from the
        # page's visible text instead (crawlers/page_text.py)
        "title": "h1.work-title",
        "composer": ".work-composer .composer-name",
        "composer_dates": ".work-composer .composer-dates",
        "instrumentation": ".work-instrumentation",
        "genre": ".work-meta .genre",
        # the facts list: one <dd class="fact-<name>"> per "Name:" label
        "nationality": "dl.work-facts dd.fact-nationality",
        "born": "dl.work-facts dd.fact-born",
        "died": "dl.work-facts dd.fact-died",
        "duration": "dl.work-facts dd.fact-duration",
        "composed": "dl.work-facts dd.fact-composed",
        "published": "dl.work-facts dd.fact-published",
        "dedication": "dl.work-facts dd.fact-dedication",
        "note": "dl.work-facts dd.fact-note",
        # texts (HTML handed to BeautifulSoup for cleaning); the glossary is not part of the article
        "article": "article.work-article",
        "article_drop": "h2, .article-author, sup.fn, script, style, .glossary",
        "biography": "section.composer-bio",  # older markup only: the biography now opens the article
        "movement_list": "section.movement-list li",  # older markup only: a list that belongs to no recording
        # recordings: per recording its performers, then a movement list with durations (an iframe in each
        # track when the recording is one video per movement) or a bare total, then a whole-work iframe
        "recordings_count": "section.recordings .recordings-count",
        "recording": "section.recordings .recording",
        "recording_index": "::attr(data-ri)",
        "recording_select": "a.recording-select::attr(href)",
        "performers": ".performers",
        "recording_duration": ".recording-duration",
        "track": "ol.tracks li.track",
        "track_title": ".track-title",
        "track_duration": ".track-duration",
        "embed": "iframe.video-embed::attr(src), iframe::attr(src)",
    },
)

#: embeds of known video hosts, turned into the page URL yt-dlp expects, with the host's id
EMBED_RULES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"^https?://(?:www\.)?youtube(?:-nocookie)?\.com/embed/(?P<id>[\w-]{11})"),
     "https://www.youtube.com/watch?v={id}"),
    (re.compile(r"^https?://player\.vimeo\.com/video/(?P<id>\d+)"), "https://vimeo.com/{id}"),
)

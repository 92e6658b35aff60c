"""Everything the crawler knows about EarSense's markup, in one place.

The spider only asks this profile where things are. When the real site's markup differs from the
mini site's (or changes), adapting the crawler is a change to this file alone. Selectors are CSS
(Scrapy ``Selector.css``); each one is documented by the field it fills.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field


@dataclass(frozen=True)
class SiteProfile:
    name: str
    #: path of a work page; the slug group is the work id
    work_path_re: re.Pattern[str]
    #: paths worth following to discover works (listing pages, blog, composer pages, home)
    follow_path_re: re.Pattern[str]
    #: field -> CSS selector
    selectors: dict[str, str] = field(default_factory=dict)
    #: fields that must be present on (nearly) every work page; a crawl that misses one of them on
    #: more than ``max_missing_fraction`` of pages fails loudly instead of publishing empty texts
    required_fields: tuple[str, ...] = ("title", "composer", "article")
    max_missing_fraction: float = 0.20
    sitemap_path: str = "/sitemap.xml"


EARSENSE = SiteProfile(
    name="earsense",
    work_path_re=re.compile(r"^/chamber-music/(?P<slug>[^/?#]+)/?$"),
    follow_path_re=re.compile(r"^/(?:$|chamber-music/?$|blog(?:/|$)|composer/)"),
    selectors={
        # listing pages
        "work_links": "a.work-link::attr(href), main a[href*='/chamber-music/']::attr(href)",
        "next_page": "a[rel=next]::attr(href)",
        "canonical": "link[rel=canonical]::attr(href)",
        # work header
        "title": "h1.work-title",
        "composer": ".work-composer .composer-name",
        "composer_dates": ".work-composer .composer-dates",
        "genre": ".work-meta .genre",
        "year": ".work-meta .year",
        # texts (HTML handed to BeautifulSoup for cleaning)
        "article": "article.work-article",
        "article_drop": "h2, .article-author, sup.fn, script, style",
        "biography": "section.composer-bio",
        "movement_list": "section.movement-list li",
        # recordings
        "recording": "section.recordings .recording",
        "recording_index": "::attr(data-ri)",
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

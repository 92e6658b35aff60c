"""A local video search that answers in RSS, so the recording search runs through real yt-dlp offline.

``GET /search.rss?q=<query>&n=<count>`` returns an RSS 2.0 feed of the catalogue entries that share
words with the query, most shared words first (ties in catalogue order), like a search engine that
ranks lessons and covers next to the real thing. yt-dlp's generic extractor reads the feed as a
playlist: ``<title>`` → ``title``, ``<link>`` → ``url``, ``<itunes:duration>`` → ``duration`` (absent
for entries without one), ``<guid>`` → ``force_videoid`` smuggled into the URL. ``<itunes:author>``
holds the uploader for a human reader; yt-dlp does not read it.

``GET /watch?v=<id>`` answers a small HTML page so every ``<link>`` resolves. ``fail_status`` makes
the search answer that HTTP status (the search-failure path).

    with serve_search_feed() as feed:
        search_recordings(work, 4, search_template=feed.search_template)
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime
from urllib.parse import parse_qs, urlsplit
from xml.sax.saxutils import escape

from earsense_m2t.offline.devservers import LocalServer, QuietHandler


@dataclass(frozen=True)
class FeedEntry:
    guid: str  # the video id at the (pretend) source
    title: str
    duration_s: int | None
    uploader: str


# Candidates for two works: George Onslow's String Quintet No. 15 in C minor, Op. 38 (4 movements, no
# recording on its page in the mini site) and Bernhard Molique's String Quartet No. 8 in A major,
# Op. 44 (4 movements). Most are what a real search returns around a good hit.
FEED_ENTRIES: tuple[FeedEntry, ...] = (
    FeedEntry("onsLesson01", "Onslow: String Quintet No. 15 in C minor, Op. 38 - Cello Lesson 1", 610, "CelloClass"),
    FeedEntry("onsExcerpt2", "Onslow String Quintet No. 15 Op. 38 excerpt", 95, "Quintet Fan"),
    FeedEntry("onsMvt3Only", "Onslow String Quintet No. 15, Op. 38: III. Andante sostenuto", 452, "Onslow Society"),
    FeedEntry("onsOp39Full", "George Onslow - String Quintet No. 16 in G major, Op. 39", 1650, "Quintette Arven"),
    FeedEntry("onsComplete", "George Onslow - String Quintet No. 15 in C minor, Op. 38 (complete)", 1712,
              "Quintette Arven"),
    FeedEntry("onsKaraoke6", "String Quintet in C minor, Op. 38 - Onslow (play-along, no cello)", 1700, "MinusOne"),
    FeedEntry("onsLive2019", "Onslow: String Quintet No.15 Op.38 | Ensemble Praeteritum, live 2019", 1790,
              "Ensemble Praeteritum"),
    FeedEntry("ons8dAudio9", "Onslow String Quintet 15 Op 38 (8D audio)", 1712, "8D Classics"),
    FeedEntry("onsSlowed10", "Onslow Quintet Op. 38 slowed + reverb", 2400, "lofi room"),
    FeedEntry("molHalden01", "Molique - String Quartet No. 8 in A major, Op. 44 | Halden Quartet", 1850,
              "Halden Quartet"),
    FeedEntry("molHowTo002", "Molique String Quartet Op. 44 - how to play the first violin part", 840, "ViolinTips"),
    FeedEntry("molCover003", "Bernhard Molique: Quartet No. 8, Op. 44 - guitar cover", 1500, "Six Strings"),
    FeedEntry("molReact004", "Molique String Quartet No. 8 Op. 44 REACTION", 1900, "Reacts"),
    FeedEntry("molNoDur005", "Molique: String Quartet No. 8 in A major, Op. 44 (audio)", None, "Archive Uploads"),
)

RSS_TYPE = "application/rss+xml; charset=utf-8"
_PUBLISHED = format_datetime(datetime(2024, 5, 1, tzinfo=UTC), usegmt=True)  # fixed: same bytes on reruns


def _words(text: str) -> set[str]:
    plain = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c)).lower()
    return {w for w in re.split(r"[^0-9a-z]+", plain) if len(w) > 2 or w.isdigit()}


def search(entries: Sequence[FeedEntry], query: str, n: int) -> list[FeedEntry]:
    """Entries sharing words with the query, most shared first; a search engine's recall, not precision."""
    want = _words(query)
    hits = [(len(want & _words(e.title)), i, e) for i, e in enumerate(entries)]
    return [e for score, _, e in sorted(hits, key=lambda h: (-h[0], h[1])) if score > 0][:n]


def _hms(seconds: int) -> str:
    return f"{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


def render_feed(base_url: str, query: str, entries: Sequence[FeedEntry]) -> bytes:
    items = []
    for e in entries:
        duration = f"<itunes:duration>{_hms(e.duration_s)}</itunes:duration>" if e.duration_s is not None else ""
        items.append(
            f"<item><title>{escape(e.title)}</title><link>{escape(base_url)}/watch?v={e.guid}</link>"
            f"<guid isPermaLink=\"false\">{e.guid}</guid><pubDate>{_PUBLISHED}</pubDate>"
            f"<itunes:author>{escape(e.uploader)}</itunes:author>{duration}</item>"
        )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<rss version="2.0" xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd"><channel>'
        f"<title>Search: {escape(query)}</title><link>{escape(base_url)}/</link>"
        f"<description>Local search results</description>{''.join(items)}</channel></rss>\n"
    ).encode()


class SearchFeed(LocalServer):
    """The running search; ``search_template`` is what ``search_recordings`` takes."""

    def __init__(self, entries: Sequence[FeedEntry] = FEED_ENTRIES, *, host: str = "127.0.0.1", port: int = 0) -> None:
        super().__init__(host, port)
        self.entries = tuple(entries)
        self.fail_status: int | None = None
        self.handler = _Handler

    @property
    def search_template(self) -> str:
        return f"{self.base_url}/search.rss?q={{query}}&n={{n}}"


class _Handler(QuietHandler):
    app: SearchFeed

    def do_GET(self) -> None:  # noqa: N802 - stdlib name
        parts = urlsplit(self.path)
        args = parse_qs(parts.query)
        if parts.path == "/search.rss":
            if self.app.fail_status:
                self.send_body(self.app.fail_status, b"search unavailable\n", "text/plain; charset=utf-8")
                return
            query = args.get("q", [""])[0]
            n = int(args.get("n", ["10"])[0])
            body = render_feed(self.app.base_url, query, search(self.app.entries, query, n))
            self.send_body(200, body, RSS_TYPE)
        elif parts.path == "/watch" and args.get("v"):
            entry = next((e for e in self.app.entries if e.guid == args["v"][0]), None)
            if entry is None:
                self.send_body(404, b"no such video\n", "text/plain; charset=utf-8")
                return
            page = f"<!doctype html><html><head><title>{escape(entry.title)}</title></head><body></body></html>"
            self.send_body(200, page.encode("utf-8"), "text/html; charset=utf-8")
        else:
            self.send_body(404, b"not found\n", "text/plain; charset=utf-8")


@contextmanager
def serve_search_feed(entries: Sequence[FeedEntry] = FEED_ENTRIES) -> Iterator[SearchFeed]:
    with SearchFeed(entries) as feed:
        yield feed


__all__ = ["FEED_ENTRIES", "FeedEntry", "SearchFeed", "render_feed", "search", "serve_search_feed"]

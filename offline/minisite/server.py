"""The mini EarSense HTTP server: pages, robots/sitemap, player pages and media, with fault injection.

It behaves like a well-run static site so the crawler's politeness and caching can be tested for
real: strong ETags (hash of the body) and a Last-Modified taken from the catalogue (never the wall
clock, so reruns see the same validators), 304 on ``If-None-Match``/``If-Modified-Since``, HEAD, and
single-range requests on media. Media are synthesized and encoded on first request (then cached on
disk), so starting a server costs nothing; ``MiniSite.prepare_media`` renders everything up front.

URL forms of one work (all lead to the same work; ``MiniSite.url_forms`` lists them):
- ``/chamber-music/<slug>/``: the work page (its canonical link points at itself);
- ``/chamber-music/<slug>/?ri=N``: one per recording, with recording N first and a "Now playing" line;
  canonical link to the work page (an N that is not a recording answers 404);
- ``/article/<article slug>/``: the article alone, with the canonical link and a link to the work page;
- ``/chamberbase/works/detail/?pkey=N``: the database record, with the canonical link, or only a link
  to the work page (``pkey_link_only``), or neither (``pkey_unresolvable``: a crawl cannot tell which
  work it is). The blog links some pkey and article pages, composer pages link every article page,
  and each recording's "Listen" link is its ``?ri=N`` page, so a crawl meets every form.

``markup="plain"`` serves every page without the class names the crawler's profile selects on (see
``render``), for testing a crawler's text fallback.

``extra_routes={path: route}`` adds or replaces pages: a route is ``(status, headers, body)``, or a function of
the request's path and query that returns one (``RouteFn``: a page per query, e.g. endless pagination).

Faults (``faults={video_id: kind}``), for the acquisition stage's error paths:
- ``"404"``: the video is gone — its watch/embed pages and its media URL answer 404;
- ``"media-404"``: the pages are fine, the media URL answers 404;
- ``"html-media"``: the media URL answers 200 ``text/html`` (a consent/login wall);
- ``"truncated"``: the media URL answers 200 with only the first 10 % of the file, with a
  Content-Length that matches what is sent (a cut file, not a dropped connection), so the download
  "succeeds" and only a duration/decoding check can notice;
- ``"empty"``: the media URL answers 200 ``audio/ogg`` with a 0-byte body.
"""

from __future__ import annotations

import email.utils
import hashlib
import re
import threading
from collections.abc import Callable, Collection, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from earsense_m2t.offline.devservers.server_thread import ServerThread
from earsense_m2t.offline.minisite import render
from earsense_m2t.offline.minisite.catalogue import BLOG_POSTS, VideoSpec, WorkSpec, all_videos, load_catalogue
from earsense_m2t.offline.minisite.media import MEDIA_CONTENT_TYPE, MEDIA_EXT, MediaStore, cache_key

FAULT_KINDS: tuple[str, ...] = ("404", "media-404", "html-media", "truncated", "empty")
HTML = "text/html; charset=utf-8"
TRUNCATED_FRACTION = 0.10
DEFAULT_PER_PAGE = 8
LARGE_PER_PAGE = 24  # generated benchmark catalogues (more than LARGE_CATALOGUE works)
LARGE_CATALOGUE = 50

Route = tuple[int, dict[str, str], bytes]
#: an extra route that answers each request itself, from its path and query (``/trap/?page=7``): endless pages
RouteFn = Callable[[str], Route]


@dataclass
class Response:
    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    conditional: bool = False  # validators were set: honour If-None-Match / If-Modified-Since
    ranged: bool = False  # honour Range


def _http_date(day: str) -> str:
    dt = datetime.fromisoformat(day).replace(tzinfo=UTC)
    return email.utils.format_datetime(dt, usegmt=True)


def _etag(body: bytes) -> str:
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


class MiniSite:
    """A running (or startable) mini site. Use ``serve()`` or ``with MiniSite(...) as site``."""

    def __init__(
        self,
        catalogue: Sequence[WorkSpec] | None = None,
        *,
        cache_dir: Path | None = None,
        faults: dict[str, str] | None = None,
        extra_routes: dict[str, Route | RouteFn] | None = None,
        extra_index_links: list[str] | None = None,
        gone: set[str] | None = None,
        port: int = 0,
        per_page: int | None = None,
        host: str = "127.0.0.1",
        markup: str = "default",
        only: Collection[str] | None = None,
    ) -> None:
        self.catalogue: tuple[WorkSpec, ...] = tuple(load_catalogue() if catalogue is None else catalogue)
        if only is not None:  # serve these works alone (small, fast builds: the kill and Dask tests)
            unknown = set(only) - {w.slug for w in self.catalogue}
            if unknown:
                raise ValueError(f"only: slugs not in the catalogue: {sorted(unknown)}")
            self.catalogue = tuple(w for w in self.catalogue if w.slug in set(only))
        if markup not in render.MARKUPS:
            raise ValueError(f"unknown markup {markup!r}; expected one of {', '.join(render.MARKUPS)}")
        self.markup = markup
        self.faults = dict(faults or {})
        bad = {k: v for k, v in self.faults.items() if v not in FAULT_KINDS}
        if bad:
            raise ValueError(f"unknown fault kinds {bad}; expected one of {FAULT_KINDS}")
        self.extra_routes = dict(extra_routes or {})
        self.extra_index_links = list(extra_index_links or [])
        self.gone = set(gone or ())
        slugs = {w.slug for w in self.catalogue}
        if self.gone - slugs:
            raise ValueError(f"gone slugs not in the catalogue: {sorted(self.gone - slugs)}")
        self.live = tuple(w for w in self.catalogue if w.slug not in self.gone)
        self.by_slug = {w.slug: w for w in self.catalogue}
        self.by_article_slug = {w.article_slug: w for w in self.catalogue if w.article is not None}
        self.by_pkey = {w.pkey: w for w in self.catalogue}
        self.videos: dict[str, VideoSpec] = {v.video_id: v for v in all_videos(self.catalogue)}
        self.per_page = per_page or (DEFAULT_PER_PAGE if len(self.catalogue) <= LARGE_CATALOGUE else LARGE_PER_PAGE)
        self.site_updated = max((w.updated for w in self.catalogue), default="2024-01-01")
        self.store = MediaStore(cache_dir)
        self.requests: list[tuple[str, str, int]] = []
        self._requests_lock = threading.Lock()
        self._host, self._port = host, port
        self._running: ServerThread | None = None
        self.base_url = ""

    # ------------------------------------------------------------------ lifecycle

    @property
    def start_url(self) -> str:
        return f"{self.base_url}/chamber-music/"

    def work_url(self, slug: str, ri: int | None = None) -> str:
        """The work page's URL (``ri``: the page with that recording selected)."""
        work = self._known(slug)
        return self.base_url + (work.url_path if ri is None else work.ri_path(ri))

    def article_url(self, slug: str) -> str | None:
        """The work's article view (``/article/<slug>/``), or None when it has no article."""
        path = self._known(slug).article_path
        return None if path is None else self.base_url + path

    def pkey_url(self, slug: str) -> str:
        """The work's database view (``/chamberbase/works/detail/?pkey=N``)."""
        return self.base_url + self._known(slug).pkey_path

    def url_forms(self, slug: str) -> dict[str, list[str]]:
        """Every URL of one work, by form: canonical, ri (one per recording), article (0 or 1), pkey."""
        work = self._known(slug)
        article = self.article_url(slug)
        return {
            "canonical": [self.work_url(slug)],
            "ri": [self.work_url(slug, ri) for ri in range(len(work.recordings))],
            "article": [article] if article else [],
            "pkey": [self.pkey_url(slug)],
        }

    def _known(self, slug: str) -> WorkSpec:
        try:
            return self.by_slug[slug]
        except KeyError:
            raise KeyError(f"no work {slug!r} on this site") from None

    def start(self) -> MiniSite:
        site = self

        class Handler(_Handler):
            pass

        Handler.site = site
        self._running = ServerThread(Handler, self._host, self._port, name="minisite")
        self.base_url = self._running.base_url
        return self

    def close(self) -> None:
        if self._running is not None:
            self._running.stop()
            self._running = None

    def __enter__(self) -> MiniSite:
        return self.start() if self._running is None else self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ media

    def media_path(self, video_id: str) -> Path:
        """The encoded file for a video (rendered now if not cached yet)."""
        try:
            video = self.videos[video_id]
        except KeyError:
            raise KeyError(f"no video {video_id!r} on this site") from None
        return self.store.ensure(video)

    def prepare_media(self, workers: int | None = None) -> list[Path]:
        return self.store.ensure_all(self.videos.values(), workers=workers)

    def count(self, prefix: str, method: str | None = None) -> int:
        """How many requests so far hit paths starting with ``prefix`` (tests count downloads)."""
        with self._requests_lock:
            return sum(1 for m, p, _ in self.requests if p.startswith(prefix) and (method is None or m == method))

    def _log(self, method: str, path: str, status: int) -> None:
        with self._requests_lock:
            self.requests.append((method, path, status))

    # ------------------------------------------------------------------ routing

    def _page(self, body: str, updated: str | None = None, status: int = 200, ctype: str = HTML) -> Response:
        data = body.encode("utf-8")
        headers = {
            "Content-Type": ctype,
            "ETag": _etag(data),
            "Last-Modified": _http_date(updated or self.site_updated),
        }
        return Response(status, headers, data, conditional=status == 200)

    def _error(self, status: int, title: str, text: str) -> Response:
        return self._page(render.message_page(status, title, text), status=status)

    def _redirect(self, location: str) -> Response:
        return Response(301, {"Location": location, "Content-Type": HTML}, b"<p>Moved.</p>")

    def route(self, path_qs: str) -> Response:
        if path_qs in self.extra_routes or urlsplit(path_qs).path in self.extra_routes:
            extra = self.extra_routes.get(path_qs) or self.extra_routes[urlsplit(path_qs).path]
            status, headers, body = extra(path_qs) if callable(extra) else extra
            return Response(status, dict(headers), body)
        parts = urlsplit(path_qs)
        path, query = parts.path, parse_qs(parts.query)
        base = self.base_url
        if path == "/":
            return self._page(render.home_page(self.live, base, self.markup))
        if path == "/robots.txt":
            return self._page(render.robots_txt(base), ctype="text/plain; charset=utf-8")
        if path == "/sitemap.xml":
            return self._page(render.sitemap_xml(self.live, base), ctype="application/xml; charset=utf-8")
        if path == "/chamber-music":
            return self._redirect("/chamber-music/")
        if path == "/chamber-music/":
            return self._index(query)
        if m := re.fullmatch(r"/chamber-music/([^/]+)(/?)", path):
            return self._work(m.group(1), bool(m.group(2)), query, parts.query)
        if m := re.fullmatch(r"/article/([^/]+)(/?)", path):
            return self._article(m.group(1), bool(m.group(2)))
        if path == "/chamberbase/works/detail/":
            return self._pkey(query)
        if path == "/glossary/":
            entries = [e for w in self.live for e in w.glossary]
            return self._page(render.glossary_page(entries, base))
        if path == "/blog/":
            return self._page(render.blog_index_page(BLOG_POSTS, base))
        if m := re.fullmatch(r"/blog/([^/]+)/", path):
            post = next((p for p in BLOG_POSTS if p.slug == m.group(1)), None)
            if post is None:
                return self._error(404, "Not Found", "No such blog post.")
            return self._page(render.blog_post_page(post, {w.slug: w for w in self.live}, base), updated=post.date)
        if m := re.fullmatch(r"/composer/([^/]+)/", path):
            works = [w for w in self.live if w.composer_slug == m.group(1)]
            if not works:
                return self._error(404, "Not Found", "No such composer.")
            return self._page(render.composer_page(works[0].composer, works, base, self.markup))
        if path == "/private" or path.startswith("/private/"):
            return self._page(render.private_page(base))
        if m := re.fullmatch(r"/(embed|watch)/([A-Za-z0-9_-]{11})", path):
            return self._video_page(m.group(2), embed=m.group(1) == "embed")
        if path == "/watch" and "v" in query:
            return self._video_page(query["v"][0], embed=False)
        if m := re.fullmatch(rf"/media/([A-Za-z0-9_-]{{11}})\.{MEDIA_EXT}", path):
            return self._media(m.group(1))
        return self._error(404, "Not Found", f"Nothing at {path}.")

    def _index(self, query: dict[str, list[str]]) -> Response:
        raw = query.get("page", ["1"])[0]
        if not raw.isdigit() or int(raw) < 1:
            return self._error(404, "Not Found", f"No page {raw!r}.")
        page = int(raw)
        n_pages = max(1, -(-len(self.live) // self.per_page))
        if page > n_pages:
            return self._error(404, "Not Found", f"No page {page}; there are {n_pages}.")
        works = self.live[(page - 1) * self.per_page : page * self.per_page]
        extra = self.extra_index_links if page == 1 else ()
        return self._page(render.index_page(works, page, n_pages, self.base_url, extra, self.markup))

    def _work(self, slug: str, slash: bool, query: dict[str, list[str]], raw_query: str) -> Response:
        if slug in self.gone:
            return self._error(410, "Gone", "This work has been removed.")
        work = self.by_slug.get(slug)
        if work is None:
            return self._error(404, "Not Found", "No such work.")
        if not slash:
            return self._redirect(f"/chamber-music/{slug}/" + (f"?{raw_query}" if raw_query else ""))
        ri: int | None = None
        if "ri" in query:
            raw = query["ri"][0]
            if not raw.isdigit() or int(raw) >= len(work.recordings):
                return self._error(404, "Not Found", f"This work has no recording {raw!r}.")
            ri = int(raw)
        return self._page(render.work_page(work, self.base_url, ri, self.markup), updated=work.updated)

    def _article(self, article_slug: str, slash: bool) -> Response:
        work = self.by_article_slug.get(article_slug)
        if work is None:
            return self._error(404, "Not Found", "No such article.")
        if work.slug in self.gone:
            return self._error(410, "Gone", "This article has been removed.")
        if not slash:
            return self._redirect(f"/article/{article_slug}/")
        return self._page(render.article_view_page(work, self.base_url), updated=work.updated)

    def _pkey(self, query: dict[str, list[str]]) -> Response:
        raw = query.get("pkey", [""])[0]
        work = self.by_pkey.get(int(raw)) if raw.isdigit() else None
        if work is None:
            return self._error(404, "Not Found", f"No ChamberBase record {raw!r}.")
        if work.slug in self.gone:
            return self._error(410, "Gone", "This record has been removed.")
        return self._page(render.pkey_page(work, self.base_url), updated=work.updated)

    def _video_page(self, vid: str, *, embed: bool) -> Response:
        video = self.videos.get(vid)
        if video is None or self.faults.get(vid) == "404":
            return self._error(404, "Video unavailable", "This video is unavailable.")
        work = self.by_slug[video.work_slug]
        return self._page(render.video_page(video, self.base_url, embed=embed), updated=work.updated)

    def _media(self, vid: str) -> Response:
        video = self.videos.get(vid)
        fault = self.faults.get(vid)
        if video is None or fault in ("404", "media-404"):
            return self._error(404, "Not Found", "No such media.")
        if fault == "html-media":
            return self._page(render.message_page(200, "Sign in", "Sign in to confirm you are not a robot."))
        body = self.store.ensure(video).read_bytes()
        if fault == "truncated":
            body = body[: int(len(body) * TRUNCATED_FRACTION)]
        elif fault == "empty":
            body = b""
        headers = {
            "Content-Type": MEDIA_CONTENT_TYPE,
            "Accept-Ranges": "bytes",
            "ETag": '"' + cache_key(video)[:32] + (f"-{fault}" if fault else "") + '"',
            "Last-Modified": _http_date(self.by_slug[video.work_slug].updated),
        }
        return Response(200, headers, body, conditional=True, ranged=True)


class _Handler(BaseHTTPRequestHandler):
    site: MiniSite
    protocol_version = "HTTP/1.1"
    server_version = "EarSenseMini/1.0"
    timeout = 30  # idle keep-alive connections are dropped, so shutdown never waits on them

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - stdlib signature
        pass

    def do_GET(self) -> None:  # noqa: N802 - stdlib naming
        self._serve(head=False)

    def do_HEAD(self) -> None:  # noqa: N802
        self._serve(head=True)

    def do_POST(self) -> None:  # noqa: N802
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        self._send(Response(405, {"Content-Type": HTML, "Allow": "GET, HEAD"}, b"<p>Method not allowed.</p>"), False)

    def _serve(self, head: bool) -> None:
        try:
            resp = self.site.route(self.path)
        except Exception as exc:  # a bug in the fixture must show up as a 500, not a hung client
            resp = Response(500, {"Content-Type": "text/plain; charset=utf-8"}, f"minisite error: {exc!r}".encode())
        if resp.conditional and self._not_modified(resp):
            keep = {k: v for k, v in resp.headers.items() if k in ("ETag", "Last-Modified")}
            resp = Response(304, keep, b"")
        elif resp.ranged and resp.status == 200 and self.headers.get("Range"):
            resp = self._range(resp)
        self._send(resp, head)

    def _not_modified(self, resp: Response) -> bool:
        inm = self.headers.get("If-None-Match")
        if inm is not None:
            tags = {t.strip() for t in inm.split(",")}
            return "*" in tags or resp.headers.get("ETag") in tags
        ims = self.headers.get("If-Modified-Since")
        lm = resp.headers.get("Last-Modified")
        if ims and lm:
            try:
                return email.utils.parsedate_to_datetime(lm) <= email.utils.parsedate_to_datetime(ims)
            except (TypeError, ValueError):
                return False
        return False

    def _range(self, resp: Response) -> Response:
        size = len(resp.body)
        m = re.fullmatch(r"\s*bytes=(\d*)-(\d*)\s*", self.headers["Range"])
        if not m or (not m.group(1) and not m.group(2)):
            return resp  # multi-range or malformed: ignoring Range and sending it all is allowed
        if m.group(1):
            start = int(m.group(1))
            end = min(int(m.group(2)), size - 1) if m.group(2) else size - 1
        else:
            start, end = max(0, size - int(m.group(2))), size - 1
        if start >= size or start > end:
            return Response(416, {"Content-Range": f"bytes */{size}", "Content-Type": HTML}, b"")
        headers = dict(resp.headers, **{"Content-Range": f"bytes {start}-{end}/{size}"})
        return Response(206, headers, resp.body[start : end + 1])

    def _send(self, resp: Response, head: bool) -> None:
        # logged before anything is written, so a client that has its answer always finds it logged
        self.site._log(self.command, self.path, resp.status)
        self.send_response(resp.status)
        headers = dict(resp.headers)
        if resp.status != 304:
            headers.setdefault("Content-Length", str(len(resp.body)))
        for k, v in headers.items():
            self.send_header(k, v)
        self.end_headers()
        if not head and resp.status not in (204, 304):
            try:
                self.wfile.write(resp.body)
            except (BrokenPipeError, ConnectionResetError):
                pass


@contextmanager
def serve(
    catalogue: Sequence[WorkSpec] | None = None,
    *,
    cache_dir: Path | None = None,
    faults: dict[str, str] | None = None,
    extra_routes: dict[str, Route | RouteFn] | None = None,
    extra_index_links: list[str] | None = None,
    gone: set[str] | None = None,
    port: int = 0,
    per_page: int | None = None,
    markup: str = "default",
    only: Collection[str] | None = None,
) -> Iterator[MiniSite]:
    """Run the mini site on 127.0.0.1 for the duration of the ``with`` block (``markup``: "default" or "plain";
    ``only``: serve just the works with these slugs)."""
    site = MiniSite(
        catalogue,
        cache_dir=cache_dir,
        faults=faults,
        extra_routes=extra_routes,
        extra_index_links=extra_index_links,
        gone=gone,
        port=port,
        per_page=per_page,
        markup=markup,
        only=only,
    )
    site.start()
    try:
        yield site
    finally:
        site.close()

"""Download recordings with yt-dlp's Python API into a content-addressed media cache.

**Identity.** A recording is known by its source, never by a file name: ``<extractor>:<id>`` or the full
normalized URL, the rule of :mod:`earsense_m2t.media.identity`, which the crawler uses too. The media
cache, the download archive and the records all use that one string (:func:`source_identity`), so
``…/x/track1.ogg`` and ``…/y/track1.ogg`` are two sources.

**Cache.** Media live under a hash of their identity: ``<cache>/<h[:2]>/<h>/`` holds the file, yt-dlp's
info JSON (kept for provenance) and ``media.json``, our completion marker. A folder is only ever
renamed into place once complete, so a killed download leaves no half entry. A rerun checks the
file against the recorded sha256 before it reuses it; a changed or truncated file is downloaded again.
``download-archive.txt`` beside the cache is the record of what was downloaded, in yt-dlp's archive
format but keyed by identity (``youtube <id>``, ``generic <normalized URL>``). We keep it ourselves and
do not hand it to yt-dlp: yt-dlp would key a direct file by its name and skip the second ``track1.ogg``,
and with the cache keyed by identity there is nothing left for it to skip.

**Progress.** yt-dlp's own progress output is off (``noprogress``); its ``progress_hooks`` feed a
:class:`DownloadProgress` per download instead, throttled to one every :data:`PROGRESS_INTERVAL_S` (the first
and the last always): the caller's ``on_progress`` gets them (the build's bars), and the log gets a line when
a download starts and one when it ends, with its size.

**Guard.** Every request yt-dlp makes, and every redirect it would follow, goes through one request
handler that checks the URL against the egress policy and the download against its :class:`Limits`
before a connection is opened; the bytes it reads are counted while they stream. yt-dlp gets only this
handler, sends the project's User-Agent, and never hands a download to an outside program (rtmpdump,
ffmpeg), which would open connections of its own.
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
import hashlib
import http.client
import json
import logging
import os
import re
import shutil
import tempfile
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NoReturn
from urllib.parse import urljoin

import yt_dlp
from yt_dlp.extractor import gen_extractor_classes
from yt_dlp.extractor.common import UnsupportedURLIE
from yt_dlp.networking import Request, Response
from yt_dlp.networking._helper import make_ssl_context
from yt_dlp.networking._urllib import UrllibRH  # the stdlib handler yt-dlp always has; we only extend it
from yt_dlp.networking.exceptions import HTTPError, IncompleteRead, RequestError, TransportError
from yt_dlp.postprocessor import PostProcessor
from yt_dlp.utils import DownloadCancelled, YoutubeDLError, determine_protocol, orderedSet_from_options

from earsense_m2t.acquire.limits import Limits
from earsense_m2t.config import USER_AGENT
from earsense_m2t.egress import EgressPolicy, EgressRefused, redact
from earsense_m2t.media.identity import GENERIC, source_identity
from earsense_m2t.media.probe import ProbeError, probe_media
from earsense_m2t.schemas import Media
from earsense_m2t.schemas.io import atomic_write_text, sha256_file

log = logging.getLogger(__name__)

MARKER = "media.json"
ARCHIVE = "download-archive.txt"  # what was downloaded, by identity, in yt-dlp's archive format
#: protocols yt-dlp downloads itself, through its request handler (and so through the guard)
NATIVE_PROTOCOLS = frozenset({"http", "https", "m3u8", "m3u8_native", "http_dash_segments",
                              "http_dash_segments_generator"})
_READ_CHUNK = 1 << 16


# ---- identity -------------------------------------------------------------------------------------

def archive_id(identity: str) -> str:
    """The download-archive line for an identity, in yt-dlp's format (``<extractor> <id>``)."""
    if "://" in identity:
        return f"{GENERIC} {identity}"
    key, _, video_id = identity.partition(":")
    return f"{key} {video_id}"


# ---- options and errors ---------------------------------------------------------------------------

@dataclass(frozen=True)
class DownloadOptions:
    """How to download; what a download may cost is :class:`Limits` (the defaults and their reasons)."""

    limits: Limits = Limits()
    format: str = "bestaudio/best"  # the audio is what we keep; a video stream only when there is no other
    #: attempts after a failed request or an interrupted transfer: networks drop connections; the
    #: deadline bounds the retries' total time
    retries: int = 3
    rate_limit_bytes_s: int | None = None  # None: as fast as the server sends


#: at most one progress report per download in this many seconds (yt-dlp calls its hooks per block read)
PROGRESS_INTERVAL_S = 0.5


@dataclass(frozen=True)
class DownloadProgress:
    """Where one download is: bytes read so far, of how many (None: the server did not say), and whether it
    has ended (``finished``: the file is complete, still to be checked; or ``failed``). ``url`` is without
    credentials."""

    url: str
    downloaded_bytes: int
    total_bytes: int | None = None
    finished: bool = False
    failed: bool = False

    def line(self) -> str:
        """E.g. ``http://…/watch/abc: 1.2 of 5.0 MB (24 %)``; the URL without credentials."""
        mb = self.downloaded_bytes / 1e6
        if self.failed:
            return f"{redact(self.url)}: failed"
        if self.finished:
            return f"{redact(self.url)}: {mb:.1f} MB, done"
        if self.total_bytes:
            share = min(100, 100 * self.downloaded_bytes // self.total_bytes)
            return f"{redact(self.url)}: {mb:.1f} of {self.total_bytes / 1e6:.1f} MB ({share} %)"
        return f"{redact(self.url)}: {mb:.1f} MB"


class _ProgressHook:
    """yt-dlp's ``progress_hooks`` entry for one download: throttled :class:`DownloadProgress` reports."""

    def __init__(self, url: str, on_progress: Callable[[DownloadProgress], None] | None,
                 interval_s: float = PROGRESS_INTERVAL_S, clock: Callable[[], float] = time.monotonic) -> None:
        self.url, self.on_progress, self.interval_s, self.clock = url, on_progress, interval_s, clock
        self.started: float | None = None
        self.last: float | None = None

    def __call__(self, status: dict[str, Any]) -> None:
        finished = status.get("status") == "finished"
        if status.get("status") not in ("downloading", "finished"):
            return
        now = self.clock()
        if self.started is None:
            self.started = now
            log.info("downloading %s", redact(self.url))
        elif not finished and self.last is not None and now - self.last < self.interval_s:
            return
        self.last = now
        total = status.get("total_bytes") or status.get("total_bytes_estimate")
        report = DownloadProgress(self.url, int(status.get("downloaded_bytes") or 0),
                                  int(total) if total else None, finished)
        if finished:
            log.info("downloaded %s in %.0f s", report.line(), now - self.started)
        if self.on_progress is not None:
            self.on_progress(report)


class DownloadError(RuntimeError):
    """One recording could not be fetched; the message names the URL and the reason.

    ``code`` is the failure code the stage records: ``download_failed`` by default, ``refused`` for a
    URL the egress policy does not allow, ``too_large``/``too_long``/``timed_out`` for a broken limit.
    """

    def __init__(self, message: str, code: str = "download_failed") -> None:
        super().__init__(message)
        self.code = code


# ---- the guard: egress and limits inside yt-dlp ---------------------------------------------------

class Stopped(RequestError, DownloadCancelled):
    """Raised inside yt-dlp to end a download at once: a request error (the request director passes it
    on instead of trying another handler) that is also a cancellation (yt-dlp neither retries nor
    swallows it). The reason is in :attr:`Guard.breach`."""


@dataclass(frozen=True)
class Breach:
    code: str
    reason: str


class Guard:
    """One download's (or one search's) policy and limits, and what it has spent of them."""

    def __init__(self, source_url: str, policy: EgressPolicy, limits: Limits,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.source_url = redact(source_url)
        self.policy, self.limits, self._clock = policy, limits, clock
        self.deadline = clock() + limits.deadline_s
        self.bytes_read = 0
        self.breach: Breach | None = None
        self.timeout: str | None = None  # the last request that timed out, while nothing succeeded after it

    # the first breach is the reason; a later one is its consequence
    def record(self, code: str, reason: str) -> str:
        if self.breach is None:
            self.breach = Breach(code, reason)
        return reason

    def stop(self, code: str, reason: str) -> NoReturn:
        raise Stopped(self.record(code, reason))

    def remaining(self) -> float:
        return self.deadline - self._clock()

    def check_time(self) -> None:
        if self.remaining() <= 0:
            limit = self.limits.deadline_s
            self.stop("timed_out", f"{self.source_url}: not done after {limit:g} s (download deadline {limit:g} s)")

    def admit(self, url: str) -> None:
        """Before every request and every redirect: time left, and a destination the policy allows."""
        self.check_time()
        try:
            self.policy.check(url)
        except EgressRefused as exc:
            where = "" if exc.url == self.source_url else f" (while fetching {self.source_url})"
            self.stop("refused", f"{exc}{where}")

    def request_timeout(self, default: float) -> float:
        return max(0.05, min(default, self.limits.read_timeout_s, self.remaining()))

    def at(self, url: str) -> str:
        """`` (at <url>)`` when a request other than the source's own is meant, else nothing."""
        url = redact(url)
        return "" if url == self.source_url else f" (at {url})"

    def count(self, n: int, url: str) -> None:
        self.bytes_read += n
        if self.bytes_read > self.limits.max_bytes:
            self.stop("too_large", f"{self.source_url}: stopped after {self.bytes_read} bytes{self.at(url)}: "
                                   f"over the size limit of {self.limits.max_bytes} bytes")

    def check_length(self, length: int | None, url: str) -> None:
        if length is not None and self.bytes_read + length > self.limits.max_bytes:
            self.stop("too_large", f"{self.source_url}: announces {length} bytes{self.at(url)}: "
                                   f"over the size limit of {self.limits.max_bytes} bytes")

    def note_error(self, exc: BaseException, url: str) -> None:
        if not _is_timeout(exc):
            return
        if self.remaining() <= 0:
            limit = self.limits.deadline_s
            self.record("timed_out", f"{self.source_url}: not done after {limit:g} s (download deadline {limit:g} s)")
        else:
            self.timeout = (f"{self.source_url}: no data{self.at(url)} within the read timeout of "
                            f"{self.limits.read_timeout_s:g} s")

    def match_filter(self, info: dict[str, Any], *, incomplete: bool = False) -> str | None:
        """yt-dlp's match filter: the host's metadata, before any media byte."""
        if info.get("is_live") or info.get("live_status") in ("is_live", "is_upcoming"):
            return self.record("too_long", f"{self.source_url}: a live stream has no end "
                                           f"(duration limit {self.limits.max_duration_s:g} s)")
        duration = _as_float(info.get("duration"))
        if duration is not None and duration > self.limits.max_duration_s:
            return self.record("too_long", f"{self.source_url}: the host says it lasts {duration:g} s: over the "
                                           f"duration limit of {self.limits.max_duration_s:g} s")
        size = _as_float(info.get("filesize") or info.get("filesize_approx"))
        if size is not None and size > self.limits.max_bytes:
            return self.record("too_large", f"{self.source_url}: the host says it has {size:.0f} bytes: over the "
                                            f"size limit of {self.limits.max_bytes} bytes")
        return None


def _as_float(value: Any) -> float | None:
    try:
        return float(value) if value is not None else None
    except (TypeError, ValueError):
        return None


def _is_timeout(exc: BaseException | None) -> bool:
    seen = 0
    while exc is not None and seen < 8:
        if isinstance(exc, TimeoutError):
            return True
        nxt = getattr(exc, "cause", None) or getattr(exc, "reason", None) or exc.__cause__
        exc = nxt if isinstance(nxt, BaseException) else None
        seen += 1
    return False


class _OpenerGuard(urllib.request.BaseHandler):
    """Inside urllib's opener, ahead of yt-dlp's own handlers (which sit at the default order, 500)."""

    handler_order = 400

    def __init__(self, guard: Guard) -> None:
        self.guard = guard

    def http_error_302(self, req: urllib.request.Request, fp: Any, code: int, msg: str, headers: Any) -> None:
        """Check a redirect's destination before yt-dlp's redirect handler follows it (None: go on)."""
        location = headers.get("location") or headers.get("uri")
        if location:
            try:
                self.guard.admit(urljoin(req.full_url, location))
            except Stopped:
                fp.close()
                raise
        return None

    http_error_301 = http_error_303 = http_error_307 = http_error_308 = http_error_302

    def http_response(self, req: urllib.request.Request, resp: Any) -> Any:
        """yt-dlp's urllib handler reads an encoded body whole to decode it, before anyone could count
        its bytes: we ask for none (``Accept-Encoding: identity``) and refuse one of unknown length."""
        encoding = (resp.headers.get("Content-Encoding") or "identity").strip().lower()
        if encoding != "identity":
            length = _as_float(resp.headers.get("Content-Length"))
            if length is None:
                resp.close()
                self.guard.stop("too_large", f"{self.guard.source_url}: a {encoding} body of unknown length"
                                             f"{self.guard.at(req.full_url)} cannot be held to the size limit of "
                                             f"{self.guard.limits.max_bytes} bytes")
            self.guard.check_length(int(length), req.full_url)
        return resp

    https_response = http_response


class _GuardedResponse(Response):
    """A response whose reads check the deadline, count bytes, and return what one receive brought
    (so a server that drips bytes cannot hold a read past the deadline)."""

    def __init__(self, inner: Any, guard: Guard) -> None:
        super().__init__(fp=inner, url=inner.url, headers=inner.headers, status=inner.status, reason=inner.reason,
                         extensions=inner.extensions)
        self._guard = guard

    def read(self, amt: int | None = None) -> bytes:
        if amt is not None and amt >= 0:
            return self._read_some(amt)
        chunks = []
        while chunk := self._read_some(_READ_CHUNK):
            chunks.append(chunk)
        return b"".join(chunks)

    def _read_some(self, amt: int) -> bytes:
        guard = self._guard
        guard.check_time()
        if amt == 0:
            return b""
        amt = min(amt, max(guard.limits.max_bytes - guard.bytes_read, 0) + 1)  # never more than one byte past the cap
        raw = getattr(self.fp, "fp", None)
        read1 = getattr(raw, "read1", None)
        try:
            data: bytes = read1(amt) if read1 is not None else self.fp.read(amt)
        except RequestError as exc:
            self._guard.note_error(exc, self.url)
            raise
        except http.client.IncompleteRead as exc:
            raise IncompleteRead(partial=len(exc.partial), expected=exc.expected, cause=exc) from exc
        except (OSError, EOFError, http.client.HTTPException) as exc:
            self._guard.note_error(exc, self.url)
            raise TransportError(cause=exc) from exc
        self._guard.count(len(data), self.url)
        return data


class GuardedRH(UrllibRH):
    """yt-dlp's urllib request handler, with every request and redirect checked by a :class:`Guard`."""

    RH_NAME = "guarded-urllib"

    def __init__(self, *, guard: Guard, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.guard = guard

    def _make_sslcontext(self, legacy_ssl_support: Any = None) -> Any:
        """yt-dlp makes a TLS context (loading the CA bundle, ~20 ms) for every handler, i.e. every download, even
        of a plain-HTTP site; one per distinct setting serves every handler of the process (a context is not
        changed after it is made, and Python's ``ssl`` shares one across threads)."""
        legacy = legacy_ssl_support if legacy_ssl_support is not None else self.legacy_ssl_support
        return _ssl_context(bool(self.verify), bool(legacy), not self.prefer_system_certs,
                            tuple(sorted(self._client_cert.items())))

    def _create_instance(self, proxies: Any, cookiejar: Any, legacy_ssl_support: Any = None) -> Any:
        opener = super()._create_instance(proxies, cookiejar, legacy_ssl_support)
        opener.add_handler(_OpenerGuard(self.guard))
        return opener

    def _send(self, request: Request) -> Response:
        guard = self.guard
        guard.admit(request.url)
        request = request.copy()
        request.headers["Accept-Encoding"] = "identity"
        request.extensions["timeout"] = guard.request_timeout(self._calculate_timeout(request))
        try:
            response = super()._send(request)
        except HTTPError as exc:
            exc.response = _GuardedResponse(exc.response, guard)  # an error page is read through the guard too
            raise
        except RequestError as exc:
            guard.note_error(exc, request.url)
            raise
        guard.timeout = None
        length = response.headers.get("Content-Length")
        try:
            guard.check_length(int(length) if length and length.strip().isdigit() else None, response.url)
        except Stopped:
            response.close()
            raise
        return _GuardedResponse(response, guard)


@functools.lru_cache(maxsize=8)
def _ssl_context(verify: bool, legacy_support: bool, use_certifi: bool, client_cert: tuple[tuple[str, Any], ...]) -> Any:
    return make_ssl_context(verify=verify, legacy_support=legacy_support, use_certifi=use_certifi, **dict(client_cert))


class GuardedYoutubeDL(yt_dlp.YoutubeDL):
    """A ``YoutubeDL`` whose only request handler is :class:`GuardedRH`.

    One is made per download (each has its own guard, work folder and hooks). yt-dlp's constructor resolves
    its ~1,750 extractors against ``allowed_extractors`` by regular expression each time, about 55 ms of CPU:
    a third of a download from a local site. The resolution depends only on that option and the installed
    yt-dlp, so it is done once per process (:func:`_extractor_classes`) and each instance adds the same
    extractors in the same order yt-dlp would.
    """

    def __init__(self, params: dict[str, Any], guard: Guard) -> None:
        self.guard = guard
        super().__init__(params)

    def build_request_director(self, handlers: Any, preferences: Any = None) -> Any:
        return super().build_request_director([functools.partial(GuardedRH, guard=self.guard)], [])

    def add_default_info_extractors(self) -> None:
        allowed = self.params.get("allowed_extractors", ["default"])
        try:
            classes = _extractor_classes(tuple(allowed))
        except re.error as exc:  # yt-dlp's own message for a bad pattern
            raise ValueError(f"Wrong regex for allowed_extractors: {exc.pattern!s}") from exc
        for ie in classes:
            self.add_info_extractor(ie if ie is not UnsupportedURLIE else UnsupportedURLIE())  # an instance each
        self.write_debug(f"Loaded {len(classes)} extractors")


@functools.lru_cache(maxsize=8)
def _extractor_classes(allowed: tuple[str, ...]) -> tuple[Any, ...]:
    """yt-dlp's choice of extractors for ``allowed_extractors`` (``YoutubeDL.add_default_info_extractors``), as
    classes; ``UnsupportedURLIE`` stands for the catch-all instance yt-dlp puts last."""
    all_ies: dict[str, Any] = {ie.IE_NAME.lower(): ie for ie in gen_extractor_classes()}
    all_ies["end"] = UnsupportedURLIE
    names = orderedSet_from_options(list(allowed), {
        "all": list(all_ies), "default": [name for name, ie in all_ies.items() if ie._ENABLED]},
        use_regex=True)
    return tuple(all_ies[name] for name in names)


class _NativeFormatsOnly(PostProcessor):
    """After format selection, before any media request: only formats yt-dlp fetches itself."""

    def __init__(self, guard: Guard) -> None:
        super().__init__()
        self.guard = guard

    def run(self, info: dict[str, Any]) -> tuple[list[str], dict[str, Any]]:
        for fmt in info.get("requested_formats") or [info]:
            protocol = fmt.get("protocol") or determine_protocol(fmt)
            for proto in str(protocol).split("+"):
                if proto not in NATIVE_PROTOCOLS:
                    self.guard.stop("refused", f"{self.guard.source_url}: format {fmt.get('format_id')} is fetched over "
                                               f"{proto}, outside the checked HTTP requests")
            if fmt.get("url"):
                self.guard.admit(str(fmt["url"]))
        return [], info


class _YtDlpLog:
    """yt-dlp's messages go to this module's log, not to stderr: its errors reach the build as failures."""

    def debug(self, msg: str) -> None:
        log.debug("yt-dlp: %s", msg)

    info = debug

    def warning(self, msg: str) -> None:
        log.info("yt-dlp: %s", msg)

    error = warning


def ydl_base_options(limits: Limits, guard: Guard) -> dict[str, Any]:
    """What every yt-dlp run of the acquire stage shares (downloads and searches)."""
    return {
        "logger": _YtDlpLog(),
        "quiet": True,
        "no_warnings": True,
        "noprogress": True,
        "cachedir": False,
        "socket_timeout": limits.read_timeout_s,
        "http_headers": {"User-Agent": USER_AGENT},
        "match_filter": guard.match_filter,
        # never an outside program: it would open connections past the guard
        "external_downloader": {"default": "native"},
        "hls_prefer_native": True,
        "fixup": "never",
    }


# ---- the cache ------------------------------------------------------------------------------------

def media_dir(cache_dir: Path, source_id: str) -> Path:
    h = hashlib.sha256(source_id.encode("utf-8")).hexdigest()
    return cache_dir / h[:2] / h


def _cache_problem(cache_dir: Path, source_id: str) -> tuple[Media | None, str | None]:
    """(the cached record, None) when it can be reused; (None, why not) when an entry is there but bad."""
    marker = media_dir(cache_dir, source_id) / MARKER
    if not marker.exists():
        return None, None
    try:
        media = Media.from_dict(json.loads(marker.read_text(encoding="utf-8")))
    except (ValueError, TypeError, KeyError) as exc:
        return None, f"unreadable marker ({exc})"
    path = Path(media.path)
    if not path.is_file():
        return None, f"{path} is missing"
    digest = sha256_file(path)
    if digest != media.sha256:
        return None, f"{path} changed (sha256 {digest[:12]}…, recorded {media.sha256[:12]}…)"
    return media, None


def cached_media(cache_dir: Path, source_id: str) -> Media | None:
    """The cached record, if its file is there and still has the recorded sha256 (a rerun downloads nothing)."""
    return _cache_problem(cache_dir, source_id)[0]


_ARCHIVE_THREADS = threading.Lock()


@contextlib.contextmanager
def _archive_locked(cache_dir: Path) -> Iterator[Path]:
    """The archive, held by this thread and process alone: downloads of several works run at once (threads, or
    processes sharing the cache), and each rewrite of the archive reads it first, so two would lose a line."""
    cache_dir.mkdir(parents=True, exist_ok=True)
    with _ARCHIVE_THREADS, open(cache_dir / f".{ARCHIVE}.lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released by the kernel if the process dies
        yield cache_dir / ARCHIVE


def _record_in_archive(cache_dir: Path, identity: str) -> None:
    line = archive_id(identity)
    with _archive_locked(cache_dir) as archive:
        lines = archive.read_text(encoding="utf-8").splitlines() if archive.exists() else []
        if line not in lines:
            atomic_write_text(archive, "".join(f"{x}\n" for x in [*lines, line]))


def _forget_in_archive(cache_dir: Path, identity: str) -> bool:
    """Drop this identity's line from the archive; True when there was one."""
    line = archive_id(identity)
    with _archive_locked(cache_dir) as archive:
        if not archive.exists():
            return False
        lines = archive.read_text(encoding="utf-8").splitlines()
        kept = [x for x in lines if x.strip() != line]
        if len(kept) == len(lines):
            return False
        atomic_write_text(archive, "".join(f"{x}\n" for x in kept))
        return True


# ---- probing and records --------------------------------------------------------------------------

def probe_audio(path: Path, timeout_s: float = Limits().probe_timeout_s) -> float:
    """Duration of the file's audio (FFmpeg's demuxer in a child process, no decoding: :mod:`earsense_m2t.media.probe`);
    raises naming the file when it has none, cannot be read, or takes over ``timeout_s`` to read."""
    try:
        return probe_media(path, timeout_s).duration_s
    except ProbeError as exc:
        if exc.code == "timed_out":
            raise DownloadError(str(exc), "timed_out") from exc
        raise DownloadError(str(exc)) from exc


def _media_record(source_id: str, url: str, final_dir: Path, media_file: Path, info: dict[str, Any],
                  duration_s: float) -> Media:
    chapters = tuple((float(c.get("start_time") or 0.0), str(c.get("title") or ""))
                     for c in info.get("chapters") or [])
    return Media(
        source_id=source_id, source_url=url, path=str(final_dir / media_file.name), sha256=sha256_file(media_file),
        downloaded_at=datetime.now(UTC).isoformat(timespec="seconds"), extractor=info.get("extractor_key"),
        title=info.get("title"), uploader=info.get("uploader"), duration_s=duration_s,
        description=info.get("description") or None, license=info.get("license"), chapters=chapters,
        info_json_path=str(final_dir / "media.info.json"),
    )


def _ydl_options(workdir: Path, opts: DownloadOptions, guard: Guard,
                 on_progress: Callable[[DownloadProgress], None] | None = None) -> dict[str, Any]:
    retry_sleep = lambda n: min(2.0 ** n, 30.0)  # noqa: E731
    return {
        **ydl_base_options(opts.limits, guard),
        "format": opts.format,
        "outtmpl": {"default": str(workdir / "media.%(ext)s")},
        "writeinfojson": True,
        "noplaylist": True,
        "retries": opts.retries,
        "fragment_retries": opts.retries,
        "extractor_retries": opts.retries,
        "retry_sleep_functions": {"http": retry_sleep, "fragment": retry_sleep, "extractor": retry_sleep},
        "ratelimit": opts.rate_limit_bytes_s,
        "progress_hooks": [_ProgressHook(guard.source_url, on_progress)],
    }


def _extract(url: str, workdir: Path, opts: DownloadOptions, guard: Guard,
             on_progress: Callable[[DownloadProgress], None] | None = None) -> dict[str, Any] | None:
    try:
        with GuardedYoutubeDL(_ydl_options(workdir, opts, guard, on_progress), guard) as ydl:
            ydl.add_post_processor(_NativeFormatsOnly(guard), when="video")
            info: dict[str, Any] | None = ydl.extract_info(url, download=True)
    except YoutubeDLError as exc:
        if guard.breach is not None:
            raise DownloadError(guard.breach.reason, guard.breach.code) from exc
        if guard.timeout is not None:
            raise DownloadError(guard.timeout, "timed_out") from exc
        raise DownloadError(f"{url}: {str(exc).removeprefix('ERROR: ')}") from exc
    if guard.breach is not None:  # a match filter refused it: yt-dlp returns without a file
        raise DownloadError(guard.breach.reason, guard.breach.code)
    return info


def _media_files(workdir: Path) -> list[Path]:
    return [p for p in workdir.iterdir() if p.name.startswith("media.") and not p.name.endswith((".json", ".part"))]


def obtain_media(url: str, cache_dir: Path, opts: DownloadOptions = DownloadOptions(), *,
                 egress: EgressPolicy | None = None,
                 on_progress: Callable[[DownloadProgress], None] | None = None) -> tuple[Media, bool]:
    """The recording at ``url``: (its ``Media``, True when it came from the cache). A download reports to
    ``on_progress`` as it goes (:class:`DownloadProgress`, throttled); a cached one reports nothing.

    Raises :class:`DownloadError` naming the URL, with the failure code (see there).
    """
    identity = source_identity(url)
    cached, problem = _cache_problem(cache_dir, identity)
    if cached is not None:
        return cached, True
    final_dir = media_dir(cache_dir, identity)
    if problem is not None:
        log.warning("%s: cached media not reused, downloading again: %s", url, problem)
        shutil.rmtree(final_dir, ignore_errors=True)
        _forget_in_archive(cache_dir, identity)
    policy = egress if egress is not None else EgressPolicy()
    try:
        policy.check(url)  # before yt-dlp starts; the guard checks every request after this one
    except EgressRefused as exc:
        raise DownloadError(str(exc), "refused") from exc
    guard = Guard(url, policy, opts.limits)
    final_dir.parent.mkdir(parents=True, exist_ok=True)
    workdir = Path(tempfile.mkdtemp(prefix=f".{final_dir.name[:12]}-", dir=final_dir.parent))
    try:
        try:
            info = _extract(url, workdir, opts, guard, on_progress)
        except DownloadError:
            if on_progress is not None:  # its progress ends too
                on_progress(DownloadProgress(guard.source_url, 0, finished=True, failed=True))
            raise
        files = _media_files(workdir)
        if info is None:
            raise DownloadError(f"{url}: yt-dlp returned nothing")
        if not files:
            raise DownloadError(f"{url}: no file was written")
        try:
            duration = probe_audio(files[0], opts.limits.probe_timeout_s)
        except DownloadError as exc:
            raise DownloadError(f"{url}: {exc}", exc.code) from exc
        if duration > opts.limits.max_duration_s:
            raise DownloadError(f"{url}: its audio stream lasts {duration:.0f} s: over the duration limit of "
                                f"{opts.limits.max_duration_s:g} s", "too_long")
        info_path = workdir / "media.info.json"
        if not info_path.exists():
            info_path.write_text(json.dumps(yt_dlp.YoutubeDL.sanitize_info(info)), encoding="utf-8")
        media = _media_record(identity, url, final_dir, files[0], info, duration)
        atomic_write_text(workdir / MARKER, json.dumps(media.to_dict(), ensure_ascii=False, indent=1))
        if final_dir.exists():
            shutil.rmtree(final_dir)  # an older entry without marker, or one that failed its check
        os.replace(workdir, final_dir)
        _record_in_archive(cache_dir, identity)
        return media, False
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def download_media(url: str, source_id: str, cache_dir: Path, opts: DownloadOptions = DownloadOptions(), *,
                   egress: EgressPolicy | None = None) -> Media:
    """Fetch one recording (or return the cached one). Raises :class:`DownloadError` naming the URL.

    ``source_id`` must be the source's identity, :func:`source_identity` of ``url`` (what the crawler and
    the search give a ``Recording``): the cache and the record are keyed by it, so a file name given
    here could label another recording's audio. ``egress=None`` is the policy for a public site.
    """
    identity = source_identity(url)
    if source_id != identity:
        raise ValueError(f"source id {source_id!r} is not the identity of {redact(url)} ({identity!r})")
    return obtain_media(url, cache_dir, opts, egress=egress)[0]


__all__ = [
    "ARCHIVE",
    "MARKER",
    "DownloadError",
    "DownloadOptions",
    "DownloadProgress",
    "Guard",
    "GuardedYoutubeDL",
    "Limits",
    "archive_id",
    "cached_media",
    "download_media",
    "media_dir",
    "obtain_media",
    "probe_audio",
    "source_identity",
    "ydl_base_options",
]

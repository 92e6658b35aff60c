"""A media source's identity: the one rule the crawler and the acquire stage both name recordings by.

A recording is known by its source, never by a file name: ``<extractor>:<id>`` when a yt-dlp extractor
other than the generic one claims the URL and names its id before any request (``youtube:dQw4w9WgXcQ``:
the extractor key, lower-cased as yt-dlp's download archive writes it, and the id), else the full
normalized URL (:func:`normalized_url`). The crawler writes it into each ``Recording`` and the acquire
stage keys its media cache and download archive by it, so the two must compute it with one function:
this one (before, the crawler kept a copy because it may not import the acquire stage).

yt-dlp is imported on the first call, not with this module: the publish stage imports
:data:`SOURCE_IDENTITY_RULE` only and should not load yt-dlp for it.
"""

from __future__ import annotations

import functools
import ipaddress
from typing import Any
from urllib.parse import urlsplit, urlunsplit

GENERIC = "generic"  # yt-dlp's key of the extractor that claims any URL (direct media)
_DEFAULT_PORTS = {"http": 80, "https": 443}

#: the version of the identity rule below and what changed with it; publish names it in the changelog when a
#: new version's rows changed because of it (version 1 keyed media by the last part of the URL path)
SOURCE_IDENTITY_RULE = ("2", "media source ids now name the extractor and its id, or the full URL for direct media, "
                             "never a file name (before, two recordings whose URLs ended in the same file name shared "
                             "one download), so `audio_source_id` changed for every row with audio")


def normalized_url(url: str) -> str:
    """Scheme, lower-cased host, port, path and query; no fragment, no credentials, no default port.

    A loopback host's port is left out too: a server on this machine (the bundled mini site, a test
    server) binds a free port on every start, and a source must keep its identity when its host or
    port moves (the rule crawlers/previous.py and publish/rows.py already keep for page URLs).
    """
    try:
        parts = urlsplit(url.strip())
        host, port = parts.hostname or "", parts.port
    except ValueError:
        return url.strip().split("#", 1)[0]
    scheme = parts.scheme.lower()
    netloc = f"[{host}]" if ":" in host else host
    if port is not None and port != _DEFAULT_PORTS.get(scheme) and not _is_loopback(host):
        netloc += f":{port}"
    return urlunsplit((scheme, netloc, parts.path or "/", parts.query, ""))


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@functools.cache
def _extractors() -> tuple[Any, ...]:
    from yt_dlp.extractor import gen_extractor_classes  # heavy (about a second): only when an identity is asked for

    return tuple(gen_extractor_classes())  # in yt-dlp's order of preference; the generic one is last


@functools.lru_cache(maxsize=4096)
def source_identity(url: str) -> str:
    """The media's identity at its source: ``<extractor>:<id>`` or the normalized URL (never a file name).

    The extractor is the one yt-dlp would pick (the first whose pattern claims the URL) and the id the
    one it reads from the URL before any request (what yt-dlp itself checks its archive with), so
    computing the identity opens no connection.
    """
    for ie in _extractors():
        if ie.suitable(url):
            key = str(ie.ie_key())
            video_id = ie.get_temp_id(url) if key.lower() != GENERIC else None
            if video_id:
                return f"{key.lower()}:{video_id}"
            break
    return normalized_url(url)


__all__ = ["GENERIC", "SOURCE_IDENTITY_RULE", "normalized_url", "source_identity"]

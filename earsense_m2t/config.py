"""The constants a reader looks for first, in one place: where the data comes from and where it goes.

Every stage, the command line and the flow read these names instead of repeating the values; the paths
under the output root are :mod:`earsense_m2t.schemas.layout`'s.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

#: the dataset's name: the published folder under the output root and the default Hub repo name
DATASET_NAME = "earsense-m2t"
#: the real site's catalogue of chamber-music works (the crawl's start page)
REAL_SITE_URL = "https://www.earsense.org/chamber-music/"
#: the ``site_url`` that means "start the bundled mini site on a free loopback port"
EMBEDDED_SITE = "embedded"
#: everything a build writes lives under this root (git-ignored); ``--out`` changes it. The paths under it
#: are named in one place: :class:`earsense_m2t.schemas.layout.OutputLayout`
OUTPUT_ROOT = Path("local")
#: yt-dlp search for works whose page lists no recording (``{n}`` results for ``{query}``)
YOUTUBE_SEARCH_TEMPLATE = "ytsearch{n}:{query}"
#: who we are, on every request (the crawl's pages and the acquire stage's downloads): the project and
#: where to reach it, not a browser's name
USER_AGENT = "earsense-m2t/0.1 (+research crawler for a music-to-text dataset; polite, cached)"
#: host names of this machine: a site there has no one to be polite to (no throttling, no HTTP cache)
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")


def is_loopback(url: str) -> bool:
    return urlsplit(url).hostname in LOOPBACK_HOSTS

"""Acquire stage: find and download each work's recordings (yt-dlp), and look up album tracks on Spotify.

Entrypoint: :func:`acquire_media`. Downloads live in a content-addressed cache, keyed by the source
identity of :mod:`earsense_m2t.media.identity`; the later stages read them back with
:mod:`earsense_m2t.media.decode` (shared, so they do not import this stage, yt-dlp or spotipy).

For the flow's wiring: :func:`acquire_inputs` splits the crawl per work (:class:`AcquireWork`), and
:class:`AcquireOptions` (with :class:`Limits`, the download limits and their defaults) is what each work's
call is given.
"""

from earsense_m2t.acquire.acquire import acquire_media
from earsense_m2t.acquire.download import DownloadProgress
from earsense_m2t.acquire.limits import Limits
from earsense_m2t.acquire.per_work import AcquireOptions, AcquireWork, acquire_inputs

__all__ = ["AcquireOptions", "AcquireWork", "DownloadProgress", "Limits", "acquire_inputs", "acquire_media"]

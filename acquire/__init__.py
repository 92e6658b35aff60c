"""Acquire stage: find and download each work's recordings (yt-dlp), and look up album tracks on Spotify.

Entrypoint: :func:`acquire_media`. Downloads live in a content-addressed cache, keyed by the source
identity of :mod:`earsense_m2t.media.identity`; the later stages read them back with
:mod:`earsense_m2t.media.decode` (shared, so they do not import this stage, yt-dlp or spotipy).
"""

from earsense_m2t.acquire.acquire import acquire_media

__all__ = ["acquire_media"]

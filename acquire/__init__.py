"""Acquire stage: find and download each work's recordings (yt-dlp), and look up album tracks on Spotify.

Entrypoint: :func:`acquire_media`. Downloads live in a content-addressed cache; ``decode`` reads them
back for the later stages.
"""

from earsense_m2t.acquire.acquire import acquire_media

__all__ = ["acquire_media"]

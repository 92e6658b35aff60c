"""An offline stand-in for earsense.org: work pages, blog, robots/sitemap, player pages and audio.

The project's default source when no network is allowed (tests, CI, benchmarks, demos). Pages follow
the markup observed on the real site (see ``earsense_m2t.offline.minisite.render``); the audio is synthesized from the
catalogue's ground truth (``earsense_m2t.offline.minisite.synth``), so every downstream stage can be checked against known
tempo classes, durations and movement boundaries.

    from earsense_m2t.offline.minisite import load_catalogue, serve
    with serve() as site:
        crawl(site.start_url)
"""

from earsense_m2t.offline.minisite.catalogue import (
    BLOG_POSTS,
    GAP_S,
    SPECIAL_CASES,
    TIMESTAMP_STYLES,
    MovementSpec,
    RecordingSpec,
    VideoSpec,
    WorkSpec,
    all_videos,
    find_video,
    find_work,
    load_catalogue,
    replace_work,
    validate_catalogue,
    videos_of,
    with_article,
)
from earsense_m2t.offline.minisite.generate import generate_catalogue
from earsense_m2t.offline.minisite.server import FAULT_KINDS, MiniSite, serve

__all__ = [
    "BLOG_POSTS",
    "FAULT_KINDS",
    "GAP_S",
    "SPECIAL_CASES",
    "TIMESTAMP_STYLES",
    "MiniSite",
    "MovementSpec",
    "RecordingSpec",
    "VideoSpec",
    "WorkSpec",
    "all_videos",
    "find_video",
    "find_work",
    "generate_catalogue",
    "load_catalogue",
    "replace_work",
    "serve",
    "validate_catalogue",
    "videos_of",
    "with_article",
]

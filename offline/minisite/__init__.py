"""An offline stand-in for earsense.org: work pages, blog, robots/sitemap, player pages and audio.

The project's default source when no network is allowed (tests, CI, benchmarks, demos). Pages follow
the shape of stored real work pages (header facts, article with quotation and biography first,
per-recording movement lists, glossary; see ``earsense_m2t.offline.minisite.render``), in the markup the
crawler's profile expects or in a ``"plain"`` variant without it; each work is also served as
``?ri=N``, ``/article/...`` and ``/chamberbase/...?pkey=N`` pages. The audio is synthesized from the
catalogue's ground truth (``earsense_m2t.offline.minisite.synth``), so every downstream stage can be
checked against known tempo classes, durations and movement boundaries, and the aligner against each
article sentence's role and movements (``WorkSpec.article_sentences``).

    from earsense_m2t.offline.minisite import load_catalogue, serve
    with serve() as site:
        crawl(site.start_url)
"""

from earsense_m2t.offline.minisite.catalogue import (
    BLOG_POSTS,
    GAP_S,
    SENTENCE_ROLES,
    SPECIAL_CASES,
    TIMESTAMP_STYLES,
    ArticleSentence,
    GlossaryEntry,
    LifeEvent,
    MovementSpec,
    RecordingSpec,
    VideoSpec,
    WorkSpec,
    all_videos,
    find_video,
    find_work,
    load_catalogue,
    replace_work,
    split_sentences,
    validate_catalogue,
    videos_of,
    with_article,
)
from earsense_m2t.offline.minisite.generate import generate_catalogue
from earsense_m2t.offline.minisite.render import MARKUPS, PROFILE_CLASSES
from earsense_m2t.offline.minisite.server import FAULT_KINDS, MiniSite, serve

__all__ = [
    "BLOG_POSTS",
    "FAULT_KINDS",
    "GAP_S",
    "MARKUPS",
    "PROFILE_CLASSES",
    "SENTENCE_ROLES",
    "SPECIAL_CASES",
    "TIMESTAMP_STYLES",
    "ArticleSentence",
    "GlossaryEntry",
    "LifeEvent",
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
    "split_sentences",
    "validate_catalogue",
    "videos_of",
    "with_article",
]

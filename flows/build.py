"""The ``build-dataset`` flow: crawl → acquire audio → movements → segments → features → publish.

Prefect's own task caching is off: every stage caches by content itself (downloads by source id,
derived files by input hash, parameters and code version), which survives across runs and machines.

Each task calls one stage function and writes that stage's manifest; the logic lives in the stage
packages. A failure of one work or recording is a ``Failure`` record carried to the summary; only a
crawl that cannot be trusted (site unreachable) stops the build, before anything is published.
"""

from __future__ import annotations

import contextlib
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE

from earsense_m2t.acquire.acquire import AcquireResult, acquire_media
from earsense_m2t.acquire.decode import decode_mono
from earsense_m2t.features.features import prepare_clips
from earsense_m2t.features.params import AudioParams
from earsense_m2t.segment.segment import SegmentResult, expected_durations, prepare_segments
from earsense_m2t.acquire.spotify import SpotifyTrack, lookup_works, movement_titles_from_tracks, spotify_client
from earsense_m2t.features.spectrogram import spectrogram_parameters
from earsense_m2t.crawlers.crawl import CrawlResult, crawl_site
from earsense_m2t.movements.movements import prepare_movements
from earsense_m2t.paths import BuildPaths
from earsense_m2t.flows.summary import BuildSummary
from earsense_m2t.publish import publish_dataset
from earsense_m2t.schemas import Clip, Failure, Media, Movement, Recording, Segment
from earsense_m2t.schemas.io import write_records
from earsense_m2t.tagging.card_text import tempo_rules_markdown

EMBEDDED = "embedded"
YOUTUBE_SEARCH = "ytsearch{n}:{query}"


def search_template_for(search: str, local: bool) -> str | None:
    """``auto`` searches YouTube for works without a listed recording, except offline on the mini site."""
    if search == "auto":
        return None if local else YOUTUBE_SEARCH
    return None if search in ("off", "none", "") else search


@task(name="crawl", cache_policy=NO_CACHE)
def crawl_task(site_url: str, paths: BuildPaths, local: bool) -> CrawlResult:
    return crawl_site(site_url, paths.build_dir, local=local, httpcache_dir=None if local else paths.httpcache)


@task(name="acquire-audio", cache_policy=NO_CACHE)
def acquire_task(crawl: CrawlResult, paths: BuildPaths, search_template: str | None) -> AcquireResult:
    result = acquire_media(crawl.recordings, crawl.works, paths.media_cache, search_template=search_template)
    write_records(paths.build_dir / "media.jsonl", result.media)
    write_records(paths.build_dir / "recordings.jsonl", result.chosen)
    return result


@task(name="spotify", cache_policy=NO_CACHE)
def spotify_task(crawl: CrawlResult) -> tuple[dict[str, list[SpotifyTrack]] | None, list[Failure]]:
    """Album tracks per work, or None when no Spotify credentials are configured (the step is skipped)."""
    sp = spotify_client()
    if sp is None:
        return None, []
    return lookup_works(sp, crawl.works)


@task(name="movements", cache_policy=NO_CACHE)
def movements_task(crawl: CrawlResult, acquired: AcquireResult, paths: BuildPaths,
                   spotify: dict[str, list[SpotifyTrack]] | None) -> list[Movement]:
    spotify_titles = {w: movement_titles_from_tracks(t) for w, t in (spotify or {}).items()}
    movements = prepare_movements(crawl.works, acquired.chosen, acquired.media, spotify_titles)
    write_records(paths.build_dir / "works.jsonl", crawl.works)
    write_records(paths.build_dir / "movements.jsonl", movements)
    return movements


@task(name="segment", cache_policy=NO_CACHE)
def segment_task(movements: list[Movement], acquired: AcquireResult, paths: BuildPaths) -> SegmentResult:
    result = prepare_segments(movements, acquired.chosen, acquired.media, decode_mono)
    write_records(paths.build_dir / "segments.jsonl", result.segments)
    return result


@task(name="features", cache_policy=NO_CACHE)
def features_task(segments: list[Segment], media: list[Media], paths: BuildPaths, params: AudioParams,
                  expected: dict[str, float]) -> tuple[list[Clip], list[Failure], dict[str, int]]:
    stats: dict[str, int] = {"computed": 0, "reused": 0}
    clips, failures = prepare_clips(segments, {m.source_id: m for m in media}, derived_dir=paths.derived_cache,
                                    params=params, expected_durations=expected, stats=stats)
    write_records(paths.build_dir / "clips.jsonl", clips)
    return clips, failures, stats


@task(name="publish", cache_policy=NO_CACHE)
def publish_task(paths: BuildPaths, card_context: dict[str, object], push_to_hub: str | None):
    return publish_dataset(paths.build_dir, paths.dataset_dir, card_context=card_context, push_to_hub=push_to_hub)


def is_loopback(url: str) -> bool:
    """A site on this machine has no one to be polite to: no throttling, no HTTP cache."""
    return urlsplit(url).hostname in ("127.0.0.1", "localhost", "::1")


@contextlib.contextmanager
def site_for(site_url: str, paths: BuildPaths) -> Iterator[tuple[str, bool]]:
    """Yield (start URL, is local); ``embedded`` starts the mini site on a free loopback port."""
    if site_url != EMBEDDED:
        yield site_url, is_loopback(site_url)
        return
    from earsense_m2t.offline.minisite import serve

    with serve(cache_dir=paths.minisite_media) as site:
        yield site.start_url, True


@flow(name="build-dataset")
def build_dataset(site_url: str = EMBEDDED, output_root: str = "local", publish: bool = True,
                  push_to_hub: str | None = None, search: str = "auto") -> BuildSummary:
    """Build (or refresh) the dataset. ``search``: ``auto``, ``off``, or a yt-dlp search template with
    ``{n}`` and ``{query}`` for works whose page lists no recording."""
    paths = BuildPaths(Path(output_root))
    params = AudioParams()
    with site_for(site_url, paths) as (start_url, local):
        summary = BuildSummary(site_url=start_url)
        crawl = crawl_task(start_url, paths, local)
        acquired = acquire_task(crawl, paths, search_template_for(search, local))
    spotify, spotify_failures = spotify_task(crawl)
    movements = movements_task(crawl, acquired, paths, spotify)
    segmented = segment_task(movements, acquired, paths)
    expected = expected_durations(movements, acquired.chosen,
                                  {w: [t.duration_s for t in ts] for w, ts in (spotify or {}).items()})
    clips, feature_failures, clip_stats = features_task(segmented.segments, acquired.media, paths, params, expected)

    failures = [*crawl.failures, *acquired.failures, *spotify_failures, *segmented.failures, *feature_failures]
    write_records(paths.build_dir / "failures.jsonl", failures)
    summary.works, summary.recordings = len(crawl.works), len(crawl.recordings)
    summary.changes = crawl.changes
    summary.works_without_recording = acquired.works_without_recording
    summary.found_by_search = acquired.found_by_search
    summary.spotify = ("skipped (no credentials)" if spotify is None
                       else f"album tracks found for {len(spotify)} of {len(crawl.works)} works")
    summary.downloaded, summary.reused_downloads = acquired.downloaded, acquired.reused
    summary.movements = len(movements)
    summary.segments_by_method = dict(Counter(s.method for s in segmented.segments))
    summary.clips_computed, summary.clips_reused = clip_stats["computed"], clip_stats["reused"]
    summary.failures = failures
    if publish:
        card_context = {
            "site_url": "https://www.earsense.org/chamber-music/" if local else start_url,
            "embedded_site": local,
            "tempo_rules": tempo_rules_markdown(),
            "spectrogram": spectrogram_parameters(params),
            "audio": {"sample_rate_hz": params.sample_rate_hz, "target_lufs": params.target_lufs,
                      "true_peak_ceiling_dbtp": params.true_peak_ceiling_dbtp},
            "segmentation": summary.segments_by_method,
            "works_without_recording": acquired.works_without_recording,
        }
        result = publish_task(paths, card_context, push_to_hub)
        summary.version, summary.version_created = result.version, result.created
        summary.dataset_dir = str(paths.dataset_dir)
        summary.rows = result.counts.get("default", 0)
    get_run_logger().info("%s", summary.render())
    return summary

"""The ``build-dataset`` flow: crawl → acquire → movements → segment → features → publish.

Wiring only: each task calls one stage entrypoint and writes that stage's manifests; every stage
returns a ``StageResult`` (records, failures, counts) and the summary is made from those alone.
Prefect's own task caching is off: every stage caches by content itself (downloads by source id,
derived files by input hash, parameters and code version), which survives across runs and machines.
A failure of one work or recording is a ``Failure`` carried to the summary; only a crawl that cannot
be trusted (site unreachable) stops the build, before anything is published.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE

from earsense_m2t.acquire import acquire_media
from earsense_m2t.acquire.discovery import search_template_for
from earsense_m2t.acquire.spotify import spotify_client
from earsense_m2t.build_options import check_build_options
from earsense_m2t.config import EMBEDDED_SITE, OUTPUT_ROOT, BuildPaths, is_loopback
from earsense_m2t.crawlers import crawl_site
from earsense_m2t.egress import EgressPolicy
from earsense_m2t.features import prepare_clips
from earsense_m2t.features.params import AudioParams
from earsense_m2t.movements import prepare_movements
from earsense_m2t.publish import publish_release
from earsense_m2t.schemas import (
    AlbumTrack,
    Clip,
    Deadline,
    Media,
    Movement,
    Record,
    Recording,
    Segment,
    StageResult,
    Work,
    WorkText,
)
from earsense_m2t.schemas.io import write_records
from earsense_m2t.segment import prepare_segments
from earsense_m2t.summary import BuildSummary
from earsense_m2t.workdir import build_lock, sweep_leftovers

#: the manifest each stage's records are written to, under the build folder (publish reads them)
MANIFESTS: Mapping[str, Mapping[type[Record], str]] = {
    "crawl": {Work: "works.jsonl"},
    "acquire": {Media: "media.jsonl", Recording: "recordings.jsonl", AlbumTrack: "album_tracks.jsonl"},
    "movements": {Movement: "movements.jsonl", WorkText: "work_texts.jsonl"},
    "segment": {Segment: "segments.jsonl"},
    "features": {Clip: "clips.jsonl"},
}


def save(result: StageResult, paths: BuildPaths) -> StageResult:
    for cls, name in MANIFESTS[result.stage].items():
        write_records(paths.build_dir / name, result.of(cls))
    return result


@task(name="crawl", cache_policy=NO_CACHE, persist_result=False)
def crawl_task(site_url: str, paths: BuildPaths, local: bool, egress: EgressPolicy) -> StageResult:
    crawled = crawl_site(site_url, paths.build_dir, local=local, httpcache_dir=None if local else paths.httpcache,
                         egress=egress)
    return save(crawled, paths)


@task(name="acquire-audio", cache_policy=NO_CACHE, persist_result=False)
def acquire_task(crawl: StageResult, paths: BuildPaths, search_template: str | None,
                 egress: EgressPolicy, deadline: Deadline) -> StageResult:
    acquired = acquire_media(crawl.of(Work), crawl.of(Recording), paths.media_cache, search_template=search_template,
                             spotify=spotify_client(), egress=egress, deadline=deadline)
    return save(acquired, paths)


@task(name="movements", cache_policy=NO_CACHE, persist_result=False)
def movements_task(crawl: StageResult, acquired: StageResult, paths: BuildPaths) -> StageResult:
    movements = prepare_movements(crawl.of(Work), acquired.of(Recording), acquired.of(Media), acquired.of(AlbumTrack))
    return save(movements, paths)


@task(name="segment", cache_policy=NO_CACHE, persist_result=False)
def segment_task(movements: StageResult, acquired: StageResult, paths: BuildPaths, deadline: Deadline) -> StageResult:
    segmented = prepare_segments(movements.of(Movement), acquired.of(Recording), acquired.of(Media), deadline=deadline)
    return save(segmented, paths)


@task(name="features", cache_policy=NO_CACHE, persist_result=False)
def features_task(segmented: StageResult, acquired: StageResult, movements: StageResult, paths: BuildPaths,
                  params: AudioParams, deadline: Deadline) -> StageResult:
    clips = prepare_clips(segmented.of(Segment), acquired.of(Media), movements.of(Movement),
                          derived_dir=paths.derived_cache, params=params, deadline=deadline)
    return save(clips, paths)


@task(name="publish", cache_policy=NO_CACHE, persist_result=False)
def publish_task(paths: BuildPaths, site_url: str, local: bool, params: AudioParams,
                 push_to_hub: str | None) -> StageResult:
    return publish_release(paths.build_dir, paths.dataset_dir, site_url=site_url, embedded=local, params=params,
                           push_to_hub=push_to_hub)


@contextlib.contextmanager
def site_for(site_url: str, paths: BuildPaths) -> Iterator[tuple[str, bool]]:
    """Yield (start URL, is local); ``embedded`` starts the mini site on a free loopback port."""
    if site_url != EMBEDDED_SITE:
        yield site_url, is_loopback(site_url)
        return
    from earsense_m2t.offline.minisite import serve

    with serve(cache_dir=paths.minisite_media) as site:
        yield site.start_url, True


@flow(name="build-dataset", persist_result=False)
def build_dataset(site_url: str = EMBEDDED_SITE, output_root: str = str(OUTPUT_ROOT), publish: bool = True,
                  push_to_hub: str | None = None, search: str = "auto", wait: bool = False,
                  deadline_s: float | None = None) -> BuildSummary:
    """Build (or refresh) the dataset. ``search``: ``auto``, ``off``, or a yt-dlp search template with
    ``{n}`` and ``{query}`` for works whose page lists no recording. ``wait``: wait for another build
    of the same output root instead of stopping. ``deadline_s``: when this many seconds have passed, the
    stages take no new work, list what is left as ``deadline`` failures, and what finished is published."""
    root = check_build_options(site_url=site_url, output_root=output_root, search=search, deadline_s=deadline_s)
    paths = BuildPaths(root)
    params = AudioParams()
    deadline = Deadline(deadline_s)
    with build_lock(root, wait=wait):
        swept = sweep_leftovers(root)
        if swept:
            get_run_logger().warning("removed %d leftovers of an interrupted build under %s", len(swept), root)
        with site_for(site_url, paths) as (start_url, local):
            egress = EgressPolicy.for_site(start_url)  # loopback is reachable only when the site itself is local
            crawl = crawl_task(start_url, paths, local, egress)
            acquired = acquire_task(crawl, paths, search_template_for(search, local), egress, deadline)
        movements = movements_task(crawl, acquired, paths)
        segmented = segment_task(movements, acquired, paths, deadline)
        clips = features_task(segmented, acquired, movements, paths, params, deadline)
        results = [crawl, acquired, movements, segmented, clips]
        write_records(paths.build_dir / "failures.jsonl", [f for r in results for f in r.failures])
        if publish:
            results.append(publish_task(paths, start_url, local, params, push_to_hub))
    summary = BuildSummary.of(start_url, results, leftovers_removed=len(swept))
    get_run_logger().info("%s", summary.render())
    return summary

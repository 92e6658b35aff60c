"""The ``build-dataset`` flow: crawl → acquire → movements → segment → features → publish.

Wiring only: each task calls one stage entrypoint and writes that stage's manifests; every stage
returns a ``StageResult`` (records, failures, counts) and the summary is made from those alone.
Prefect's own task caching is off: every stage caches by content itself (downloads by source id,
derived files by input hash, parameters and code version), which survives across runs and machines.
A failure of one work or recording is a ``Failure`` carried to the summary; only a crawl that cannot
be trusted (site unreachable) stops the build, before anything is published.

Every parameter is checked before any work (a bad one fails the run with a message naming it), and no
parameter carries a credential: Prefect stores parameters. A publish that creates a version starts
the training deployment named by ``train_deployment`` (``flows/deployments.py`` serves this flow).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping
from typing import cast

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE
from prefect.client.schemas.objects import FlowRun
from prefect.deployments import run_deployment
from prefect.exceptions import ObjectNotFound
from prefect.runtime import deployment as current_deployment
from prefect.runtime import flow_run as current_flow_run
from prefect.variables import Variable

from earsense_m2t.acquire import acquire_media
from earsense_m2t.acquire.discovery import search_template_for
from earsense_m2t.acquire.download import DownloadOptions
from earsense_m2t.acquire.limits import Limits
from earsense_m2t.acquire.spotify import spotify_client
from earsense_m2t.build_options import check_build_options, resolve_output_root
from earsense_m2t.config import EMBEDDED_SITE, BuildPaths, is_loopback
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
    Release,
    Segment,
    StageResult,
    Work,
    WorkText,
)
from earsense_m2t.schemas.io import write_records
from earsense_m2t.segment import prepare_segments
from earsense_m2t.summary import BuildSummary
from earsense_m2t.workdir import build_lock, sweep_leftovers

#: the deployment a new version starts (``FLOW/DEPLOYMENT``; the model issue adds it to ``deployments serve``)
TRAIN_DEPLOYMENT = "train-gtp/gpu"

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
                 egress: EgressPolicy, deadline: Deadline, limits: Limits = Limits()) -> StageResult:
    acquired = acquire_media(crawl.of(Work), crawl.of(Recording), paths.media_cache, DownloadOptions(limits=limits),
                             search_template=search_template, spotify=spotify_client(), egress=egress, deadline=deadline)
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


@task(name="trigger-training", cache_policy=NO_CACHE, persist_result=False)
def trigger_training_task(train_deployment: str, release: Release | None) -> str:
    """Start ``train_deployment`` for a new version; return the summary's ``training:`` line.

    A deployment that does not exist (no training served yet) is one line and the build succeeds; so is
    any other refusal of the Prefect API, since the version is published either way.
    """
    if release is None or not release.created:
        return f"no new version; '{train_deployment}' not triggered"
    this_run = current_flow_run.get_id()
    try:
        # timeout=0: start it and return; as_subflow=False: training outlives this run and is not part of it;
        # the key: a retried build starts one training per version, not two
        run = cast(FlowRun, run_deployment(  # called from sync code it returns the run, not a coroutine
            train_deployment, parameters={"version": release.version}, timeout=0, as_subflow=False,
            idempotency_key=f"{this_run}:{release.version}" if this_run else None))
    except ObjectNotFound:
        return f"deployment '{train_deployment}' not found; nothing triggered"
    except Exception as exc:  # a published version stands whatever the API says; the line tells why
        reason = (str(exc).splitlines() or [""])[0][:200]
        return f"could not start '{train_deployment}' ({type(exc).__name__}: {reason}); nothing triggered"
    return f"started flow run '{run.name}' ({run.id}) of '{train_deployment}' for v{release.version}"


def output_root_setting(name: str) -> object:
    """The Prefect Variable ``name``, or None when it is not set."""
    return Variable.get(name, default=None)


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
def build_dataset(site_url: str = EMBEDDED_SITE, output_root: str | None = None, publish: bool = True,
                  push_to_hub: str | None = None, search: str = "auto", wait: bool = False,
                  deadline_s: float | None = None, max_bytes: int = Limits.max_bytes,
                  max_duration_s: float = Limits.max_duration_s, read_timeout_s: float = Limits.read_timeout_s,
                  download_deadline_s: float = Limits.deadline_s, probe_timeout_s: float = Limits.probe_timeout_s,
                  train_deployment: str = TRAIN_DEPLOYMENT) -> BuildSummary:
    """Build (or refresh) the dataset. Credentials are never parameters (Prefect stores parameters): they
    come from the environment or a Prefect Secret block. (Written as ``Args:`` so that Prefect shows each
    description next to its parameter.)

    Args:
        site_url: the start URL of the site to crawl, or 'embedded' for the bundled mini site.
        output_root: where builds, caches and the dataset go. When empty: EARSENSE_M2T_OUT, else the Prefect
            Variable earsense_m2t_out. A deployment run needs an absolute path.
        publish: publish the dataset at the end.
        push_to_hub: also upload the new version to this Hub repo id (the token comes from HF_TOKEN).
        search: for works whose page lists no recording: 'auto', 'off', or a yt-dlp search template with
            {n} and {query}.
        wait: wait for another build of the same output root instead of stopping.
        deadline_s: seconds the build may take; past them no new work starts, what is left is listed as
            'deadline' failures, and what finished is published.
        max_bytes: bytes one download may read.
        max_duration_s: seconds of audio one recording may last.
        read_timeout_s: seconds a connect or read may wait for the next byte.
        download_deadline_s: wall-clock seconds for one download, retries included.
        probe_timeout_s: seconds ffprobe may take to read a downloaded file.
        train_deployment: the FLOW/DEPLOYMENT a new version starts, with the version as its 'version'
            parameter; '' starts nothing.
    """
    given = {"max_bytes": max_bytes, "max_duration_s": max_duration_s, "read_timeout_s": read_timeout_s,
             "download_deadline_s": download_deadline_s, "probe_timeout_s": probe_timeout_s}
    root = check_build_options(
        site_url=site_url, search=search, deadline_s=deadline_s, limits=given, train_deployment=train_deployment,
        output_root=resolve_output_root(output_root, deployment_run=current_deployment.get_id() is not None,
                                        variable=output_root_setting),
        names={})  # a run is started with --param NAME=VALUE: messages name the parameter
    limits = Limits(max_bytes=max_bytes, max_duration_s=max_duration_s, read_timeout_s=read_timeout_s,
                    deadline_s=download_deadline_s, probe_timeout_s=probe_timeout_s)
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
            acquired = acquire_task(crawl, paths, search_template_for(search, local), egress, deadline, limits)
        movements = movements_task(crawl, acquired, paths)
        segmented = segment_task(movements, acquired, paths, deadline)
        clips = features_task(segmented, acquired, movements, paths, params, deadline)
        results = [crawl, acquired, movements, segmented, clips]
        write_records(paths.build_dir / "failures.jsonl", [f for r in results for f in r.failures])
        if publish:
            results.append(publish_task(paths, start_url, local, params, push_to_hub))
    summary = BuildSummary.of(start_url, results, leftovers_removed=len(swept))
    if publish and train_deployment:
        summary.training = trigger_training_task(train_deployment, summary.release)
    get_run_logger().info("%s", summary.render())
    return summary

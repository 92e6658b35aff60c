"""The ``build-dataset`` flow: crawl → acquire → movements → segment → features → annotate → publish.

Wiring only: each task calls one stage entrypoint and writes that stage's manifests; every stage
returns a ``StageResult`` (records, failures, counts) and the summary is made from those alone.
Acquire, segment and features run as one task per work, each calling the stage's entrypoint on that
work's records; their results are merged in work-id order, the order the stage itself walks the works,
so the manifests equal those of one call on all works. Downloads run on ``download_concurrency``
threads here, with retries and a timeout; segment and features on ``workers`` threads or on Dask
(``flows/runners.py``). Crawl, movements and publish are single tasks.

Prefect's own task caching is off: every stage caches by content itself (downloads by source id,
derived files by input hash, parameters and code version), which survives across runs and machines,
and is what makes a build started again after a kill skip the work that was done (each cached file is
verified before it is reused). A failure of one work or recording is a ``Failure`` carried to the
summary (a per-work task that fails after its retries too); only a crawl that cannot be trusted (site
unreachable) stops the build, before anything is published.

Every parameter is checked before any work (a bad one fails the run with a message naming it), and no
parameter carries a credential: Prefect stores parameters. A publish that creates a version starts
the training deployment named by ``train_deployment`` (``flows/deployments.py`` serves this flow).
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import os
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

from prefect import flow, get_run_logger, task, unmapped
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NO_CACHE
from prefect.client.schemas.objects import FlowRun
from prefect.deployments import run_deployment
from prefect.exceptions import ObjectNotFound
from prefect.futures import PrefectFuture
from prefect.runtime import deployment as current_deployment
from prefect.runtime import flow_run as current_flow_run
from prefect.task_runners import TaskRunner
from prefect.variables import Variable

from earsense_m2t.acquire import acquire_media
from earsense_m2t.acquire.discovery import search_template_for
from earsense_m2t.acquire.download import DownloadOptions
from earsense_m2t.acquire.limits import Limits
from earsense_m2t.acquire.spotify import spotify_client
from earsense_m2t.annotation import prepare_annotations
from earsense_m2t.annotation.stage import AnnotationConfig
from earsense_m2t.build_options import check_build_options, resolve_output_root
from earsense_m2t.code_version import package_data_version
from earsense_m2t.config import EMBEDDED_SITE, is_loopback
from earsense_m2t.crawlers import crawl_site
from earsense_m2t.egress import EgressPolicy
from earsense_m2t.features import prepare_clips
from earsense_m2t.features.params import AudioParams
from earsense_m2t.flows.progress import BuildProgress, build_progress
from earsense_m2t.flows.runners import (
    DEFAULT_DOWNLOAD_CONCURRENCY,
    DEFAULT_WORKERS,
    audio_runner,
    check_scale_out,
    download_runner,
)
from earsense_m2t.memo import StageMemo, file_states, manifests_digest, split_by_memo
from earsense_m2t.movements import prepare_movements
from earsense_m2t.schemas import (
    AlbumTrack,
    Clip,
    Deadline,
    Failure,
    Media,
    Movement,
    PoolExcerpt,
    Recording,
    Release,
    Segment,
    StageResult,
    Work,
    by_work,
)
from earsense_m2t.schemas.io import write_records
from earsense_m2t.schemas.layout import OutputLayout
from earsense_m2t.schemas.manifests import FAILURES, stage_manifests
from earsense_m2t.schemas.stages import BUILD_STAGES, Stage
from earsense_m2t.segment import prepare_segments
from earsense_m2t.summary import BuildSummary
from earsense_m2t.workdir import build_lock, sweep_leftovers

#: the deployment a new version starts (``FLOW/DEPLOYMENT``; the model issue adds it to ``deployments serve``)
TRAIN_DEPLOYMENT = "train-gtp/gpu"
#: a per-work acquire task that raises (not a recording that fails: that is a Failure) is tried again
ACQUIRE_RETRIES = 2
ACQUIRE_RETRY_DELAY_S = 5.0
#: tests only: ``EARSENSE_M2T_TEST_PAUSE_AT=<point>`` makes a build stop for good at that point (see pause_point)
PAUSE_ENV = "EARSENSE_M2T_TEST_PAUSE_AT"
PAUSE_POINTS = (Stage.CRAWL, Stage.ACQUIRE, Stage.SEGMENT, Stage.FEATURES, Stage.PUBLISH)


def save(result: StageResult, paths: OutputLayout) -> StageResult:
    """Write the stage's manifests (:func:`earsense_m2t.schemas.manifests.stage_manifests`; empty ones too:
    publish reads exactly these, and must not find a former build's)."""
    for cls, manifest in stage_manifests(Stage(result.stage)).items():
        write_records(manifest.path(paths.build_dir), result.of(cls))
    return result


def pause_point(point: Stage, paths: OutputLayout) -> None:
    """Tests only, inert unless ``EARSENSE_M2T_TEST_PAUSE_AT`` names ``point``: write ``<out>/.test-paused-at``
    (the point's name) and sleep until killed, so a test can SIGKILL the build at a known stage.

    Points: ``crawl`` (the site is crawled, its manifest not yet written), ``acquire``, ``segment`` and
    ``features`` (one work's task has done its work and not yet returned), ``publish`` (before publish starts).
    """
    if os.environ.get(PAUSE_ENV) != point:
        return
    paths.paused_marker.write_text(point, encoding="utf-8")
    while True:
        time.sleep(3600)


class _ThreadTimeoutNotice(logging.Filter):
    """Drops Prefect's notice, on every acquire task, that a timeout in a worker thread cannot interrupt a
    blocking call. It holds here: yt-dlp reads in 64 KiB chunks in Python (the timeout lands between two),
    ffprobe has its own timeout, and a stalled read is ended by ``Limits.read_timeout_s`` first."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith("Timeout of %s seconds configured for this task, but the task is "
                                              "running in a worker thread")


def route_stage_logs() -> None:
    """The stages log through the standard library (``earsense_m2t.*``); send those records where Prefect's
    own go (the run's log on the server, and the console), in whatever process runs the task."""
    ours, prefects = logging.getLogger("earsense_m2t"), logging.getLogger("prefect.extra")
    for handler in prefects.handlers:
        if handler not in ours.handlers:
            ours.addHandler(handler)
    task_runs = logging.getLogger("prefect.task_runs")
    if not any(isinstance(f, _ThreadTimeoutNotice) for f in task_runs.filters):
        task_runs.addFilter(_ThreadTimeoutNotice())


@dataclass(frozen=True)
class BuildDeadline:
    """The build's deadline in wall-clock time, so a task in another process (Dask) sees the same one."""

    seconds: float | None = None
    started_at: float = field(default_factory=time.time)  # epoch seconds

    def here(self) -> Deadline:
        """The stages' ``Deadline``, started when the build started (in this process's monotonic clock)."""
        return Deadline(self.seconds, started=time.monotonic() - (time.time() - self.started_at))


@task(name="crawl", cache_policy=NO_CACHE, persist_result=False)
def crawl_task(site_url: str, paths: OutputLayout, local: bool, egress: EgressPolicy) -> StageResult:
    crawled = crawl_site(site_url, paths.build_dir, local=local, httpcache_dir=None if local else paths.httpcache,
                         egress=egress)
    pause_point(Stage.CRAWL, paths)
    return save(crawled, paths)


@task(name="acquire", cache_policy=NO_CACHE, persist_result=False, retries=ACQUIRE_RETRIES,
      retry_delay_seconds=ACQUIRE_RETRY_DELAY_S, task_run_name="acquire-{work.id}")
def acquire_work_task(work: Work, recordings: list[Recording], memo_key: str, paths: OutputLayout,
                      search_template: str | None, egress: EgressPolicy, deadline: BuildDeadline, limits: Limits,
                      memo: StageMemo) -> StageResult:
    """One work's media, chosen recordings and album tracks (``acquire_media`` on that work)."""
    route_stage_logs()
    acquired = acquire_media([work], recordings, paths.media_cache, DownloadOptions(limits=limits),
                             search_template=search_template, spotify=spotify_client(), egress=egress,
                             deadline=deadline.here())
    memo.save(work.id, memo_key, acquired)
    pause_point(Stage.ACQUIRE, paths)
    return acquired


def acquire_timeout_s(limits: Limits, recordings_per_work: int) -> float:
    """A per-work acquire task's timeout: every recording of the work (and a search) at its download deadline
    and probe limit, plus a minute. A backstop for a hang the download guard cannot see, not the usual limit."""
    return (recordings_per_work + 1) * (limits.deadline_s + limits.probe_timeout_s) + 60.0


@task(name="movements", cache_policy=NO_CACHE, persist_result=False)
def movements_task(crawl: StageResult, acquired: StageResult, paths: OutputLayout) -> StageResult:
    movements = prepare_movements(crawl.of(Work), acquired.of(Recording), acquired.of(Media), acquired.of(AlbumTrack))
    return save(movements, paths)


@task(name="segment", cache_policy=NO_CACHE, persist_result=False, task_run_name="segment-{work_id}")
def segment_work_task(work_id: str, movements: list[Movement], chosen: list[Recording], media: list[Media],
                      memo_key: str, paths: OutputLayout, deadline: BuildDeadline, memo: StageMemo) -> StageResult:
    """One work's segments (``prepare_segments`` on that work's movements, recordings and media)."""
    route_stage_logs()
    segmented = prepare_segments(movements, chosen, media, deadline=deadline.here())
    memo.save(work_id, memo_key, segmented)
    pause_point(Stage.SEGMENT, paths)
    return segmented


@task(name="features", cache_policy=NO_CACHE, persist_result=False, task_run_name="features-{work_id}")
def features_work_task(work_id: str, segments: list[Segment], media: list[Media], movements: list[Movement],
                       memo_key: str, paths: OutputLayout, params: AudioParams, deadline: BuildDeadline,
                       memo: StageMemo) -> StageResult:
    """One work's clips (``prepare_clips`` on that work's segments): spectrograms come from the derived
    cache when their files pass verification, and are computed otherwise."""
    route_stage_logs()
    clips = prepare_clips(segments, media, movements, derived_dir=paths.derived_cache, params=params,
                          deadline=deadline.here())
    memo.save(work_id, memo_key, clips)
    pause_point(Stage.FEATURES, paths)
    return clips


@task(name="annotate", cache_policy=NO_CACHE, persist_result=False)
def annotate_task(crawl: StageResult, acquired: StageResult, movements: StageResult, segmented: StageResult,
                  clips: StageResult, paths: OutputLayout, deadline: BuildDeadline, workers: int) -> StageResult:
    """The annotation pool, triplets, silver labels and the judgments collected so far (``prepare_annotations``),
    from what this build will publish; its manifests are what publish puts in the two annotation configs."""
    route_stage_logs()
    where = paths.annotation
    mvs, clip_records, media = movements.of(Movement), clips.of(Clip), acquired.of(Media)
    segments, works = segmented.of(Segment), crawl.of(Work)
    config = AnnotationConfig(render_workers=workers)  # excerpts are rendered on the build's worker threads
    memo = StageMemo.of(paths.build_dir, Stage.ANNOTATE, ANNOTATE_MODULE)

    records = memo.key({"movements": mvs, "clips": clip_records, "media": media, "segments": segments,
                        "works": works, "root": str(paths.root),
                        "config": dataclasses.replace(config, render_workers=0)})  # hashed once, used twice

    def key() -> str:  # the collected judgments and the triplets drawn so far are inputs too
        state = file_states([where.triplets, where.judgments, Path(f"{where.judgments}-wal")])
        return memo.key({"records": records, "state": state})

    kept = memo.load("all", key())
    if kept is not None:
        return save(kept, paths)
    annotated = prepare_annotations(mvs, clip_records, media, where.dir, segments=segments, works=works, config=config,
                                    deadline=deadline.here())
    excerpts = [where.excerpts / e.excerpt_file for e in annotated.of(PoolExcerpt)]
    memo.save("all", key(), annotated, files_too=excerpts)  # keyed by the triplets as this run left them
    return save(annotated, paths)


#: the annotate stage's entrypoint module (its code version keys the stage's memo)
ANNOTATE_MODULE = "earsense_m2t.annotation.stage"
#: the publish stage's entrypoint module (imported when publish runs: a refresh with nothing to publish
#: never loads the datasets and plotting stack) and the package whose files the card is rendered from
PUBLISH_MODULE = "earsense_m2t.publish.release"
CARD_PACKAGE = "earsense_m2t.datacards"


@task(name="publish", cache_policy=NO_CACHE, persist_result=False)
def publish_task(paths: OutputLayout, site_url: str, local: bool, params: AudioParams,
                 push_to_hub: str | None, gone: Sequence[str] = ()) -> StageResult:
    """``gone``: the works whose page answered 404/410 (the crawl's ``gone``); a work the build lacks for any
    other reason (its page failed for now: the crawl's ``unreached``) keeps its published rows.

    When the manifests, the options, the publish code and the live version are those of the last publish,
    its result stands (the memo): nothing is read, nothing is written. A push is never taken from the memo.
    """
    pause_point(Stage.PUBLISH, paths)
    memo = StageMemo.of(paths.build_dir, Stage.PUBLISH, PUBLISH_MODULE)

    inputs = {"manifests": manifests_digest(paths.build_dir), "site_url": site_url, "local": local,
              "params": params, "gone": sorted(gone), "card": package_data_version(CARD_PACKAGE)}

    def key() -> str:  # publish reads the manifests and never writes them: only the live version moves
        return memo.key({**inputs, "live": os.path.realpath(paths.dataset_dir)})

    if push_to_hub is None:
        kept = memo.load("release", key())
        if kept is not None:
            return kept_release(kept)
    from earsense_m2t.publish import publish_release

    published = publish_release(paths.build_dir, paths.dataset_dir, site_url=site_url, embedded=local, params=params,
                                push_to_hub=push_to_hub, gone=list(gone))
    memo.save("release", key(), published)  # keyed by the live version as it is now
    return published


def kept_release(kept: StageResult) -> StageResult:
    """The memo's publish result as this run's: the same version, kept, published_at now."""
    now = datetime.now(UTC).isoformat(timespec="seconds")
    result = StageResult(stage=Stage.PUBLISH, notes=kept.notes)
    for release in kept.of(Release):
        result.add(dataclasses.replace(release, created=False, previous=release.version, bump=None,
                                       reason="nothing changed", published_at=now, pushed_to=None), reused=True)
    result.counts["memo_works"] = 1
    return result


def task_failure(stage: str, item_ids: Sequence[str], exc: BaseException) -> StageResult:
    """The result of a per-work task that raised after its retries: each of its items is a failure."""
    result = StageResult(stage=stage)
    reason = (str(exc).splitlines() or [""])[0][:300]
    for item_id in item_ids:
        result.drop(Failure(stage=stage, item_id=item_id, code="task_failed",
                            reason=f"the {stage} task of this work failed: {type(exc).__name__}: {reason}"))
    return result


@dataclass(frozen=True)
class PerWork:
    """How a stage's per-work task is fed: its items (one mapping of task parameters per work, in work-id
    order), the work each item is, the ids a failed task's items fail under, and the inputs its memo key is
    made of (the item's records and the stage's parameters)."""

    stage: Stage
    memo: StageMemo
    work_of: Callable[[Mapping[str, Any]], str]
    failed_ids: Callable[[Mapping[str, Any]], Sequence[str]]
    inputs_of: Callable[[Mapping[str, Any]], Mapping[str, Any]]


def run_per_work(per_work: PerWork, runner: TaskRunner, work_task: Any, items: Sequence[Mapping[str, Any]],
                 common: Mapping[str, Any], progress: BuildProgress) -> StageResult:
    """Map ``work_task`` over the items whose memo does not hold (``earsense_m2t.memo``) on ``runner``, take
    the others' results from their memos, and merge all in the items' order; a task that raised is a
    ``task_failed`` failure of its items."""
    stage = per_work.stage
    progress.stage(stage)
    reused, to_run = split_by_memo(per_work.memo, items, per_work.work_of, per_work.inputs_of)
    computed: dict[str, StageResult] = {}
    if to_run:
        mapped = {name: [item[name] for item in to_run] for name in to_run[0]}
        shared = {name: unmapped(value) for name, value in {**common, "memo": per_work.memo}.items()}
        futures = cast(list[PrefectFuture[StageResult]], list(runner.map(work_task, {**mapped, **shared})))
        for _ in progress.track(futures, stage):
            pass
        for item, future in zip(to_run, futures, strict=True):
            try:
                computed[per_work.work_of(item)] = future.result()
            except Exception as exc:  # after its retries: the rest of the build goes on
                ids = per_work.failed_ids(item)
                get_run_logger().warning("%s of %s failed: %s", stage, ", ".join(ids), exc)
                computed[per_work.work_of(item)] = task_failure(stage, ids, exc)
    if reused:
        get_run_logger().info("%s: %d of %d works unchanged since they were last done (taken from their memos)",
                              stage, len(reused), len(items))
    return StageResult.merge(stage, [reused.get(w) or computed[w] for w in map(per_work.work_of, items)])


def acquire_per_work(crawl: StageResult, paths: OutputLayout, search_template: str | None, egress: EgressPolicy,
                     deadline: BuildDeadline, limits: Limits, download_concurrency: int,
                     progress: BuildProgress) -> StageResult:
    works = sorted(crawl.of(Work), key=lambda w: w.id)
    recordings = by_work(crawl.of(Recording))
    items = [{"work": w, "recordings": recordings.get(w.id, [])} for w in works]
    most = max((len(recordings.get(w.id, [])) for w in works), default=0)
    work_task = acquire_work_task.with_options(timeout_seconds=acquire_timeout_s(limits, most))
    # what else decides a work's downloads: the options, where the cache is, what egress allows, Spotify or not
    options = {"search_template": search_template, "limits": limits, "root": str(paths.root),
               "egress": [egress.allow_loopback, sorted(egress.treat_as_public)], "spotify": spotify_configured()}
    per_work = PerWork(Stage.ACQUIRE, StageMemo.of(paths.build_dir, Stage.ACQUIRE, acquire_media.__module__),
                       work_of=lambda i: i["work"].id, failed_ids=lambda i: [i["work"].id],
                       inputs_of=lambda i: {"work": i["work"], "recordings": i["recordings"], **options})
    with download_runner(download_concurrency) as runner:
        acquired = run_per_work(per_work, runner, work_task, items,
                                {"paths": paths, "search_template": search_template, "egress": egress,
                                 "deadline": deadline, "limits": limits}, progress)
    return save(acquired, paths)


def spotify_configured() -> bool:
    """Whether acquire can ask Spotify (credentials found): a work done without it is done again with it."""
    return spotify_client() is not None


def segment_per_work(movements: StageResult, acquired: StageResult, paths: OutputLayout, deadline: BuildDeadline,
                     runner: TaskRunner, progress: BuildProgress) -> StageResult:
    chosen = by_work(acquired.of(Recording))
    media = {m.source_id: m for m in acquired.of(Media)}
    items = []
    for work_id, mvs in sorted(by_work(movements.of(Movement)).items()):
        recs = chosen.get(work_id, [])
        sources = dict.fromkeys(r.source_id for r in recs)
        items.append({"work_id": work_id, "movements": mvs, "chosen": recs,
                      "media": [media[s] for s in sources if s in media]})
    per_work = PerWork(Stage.SEGMENT, StageMemo.of(paths.build_dir, Stage.SEGMENT, prepare_segments.__module__),
                       work_of=lambda i: i["work_id"], failed_ids=lambda i: [m.id for m in i["movements"]],
                       inputs_of=lambda i: {k: i[k] for k in ("movements", "chosen", "media")})
    segmented = run_per_work(per_work, runner, segment_work_task, items, {"paths": paths, "deadline": deadline},
                             progress)
    return save(segmented, paths)


def features_per_work(segmented: StageResult, acquired: StageResult, movements: StageResult, paths: OutputLayout,
                      params: AudioParams, deadline: BuildDeadline, runner: TaskRunner,
                      progress: BuildProgress) -> StageResult:
    work_of = {m.id: m.work_id for m in movements.of(Movement)}
    mvs = by_work(movements.of(Movement))
    media = {m.source_id: m for m in acquired.of(Media)}
    segments: dict[str, list[Segment]] = {}
    for segment in segmented.of(Segment):  # in the segment stage's order, which is by work
        segments.setdefault(work_of.get(segment.movement_id, segment.movement_id.split("#")[0]), []).append(segment)
    items = []
    for work_id, segs in segments.items():
        sources = dict.fromkeys(s.source_id for s in segs)
        items.append({"work_id": work_id, "segments": segs, "media": [media[s] for s in sources if s in media],
                      "movements": mvs.get(work_id, [])})
    per_work = PerWork(Stage.FEATURES, StageMemo.of(paths.build_dir, Stage.FEATURES, prepare_clips.__module__),
                       work_of=lambda i: i["work_id"], failed_ids=lambda i: [s.movement_id for s in i["segments"]],
                       inputs_of=lambda i: {"segments": i["segments"], "media": i["media"], "movements": i["movements"],
                                            "params": params, "root": str(paths.root)})
    clips = run_per_work(per_work, runner, features_work_task, items,
                         {"paths": paths, "params": params, "deadline": deadline}, progress)
    return save(clips, paths)


@contextlib.contextmanager
def timed(durations: dict[str, float], stage: str) -> Iterator[None]:
    started = time.monotonic()
    try:
        yield
    finally:
        durations[stage] = time.monotonic() - started


def publish_artifact(summary: BuildSummary) -> None:
    """The run's summary as a markdown artifact on the Prefect server (the ephemeral one too); never fails the build."""
    try:
        create_markdown_artifact(markdown=summary.markdown(), key="build-dataset-summary",
                                 description=f"earsense-m2t build of {summary.site_url}")
    except Exception as exc:  # a summary the server did not take is a log line, not a failed build
        get_run_logger().warning("the run's summary artifact was not created: %s: %s", type(exc).__name__, exc)


@task(name="trigger-training", cache_policy=NO_CACHE, persist_result=False)
def trigger_training_task(train_deployment: str, release: Release | None, output_root: str | None = None) -> str:
    """Start ``train_deployment`` for a new version; return the summary's ``training:`` line.

    The run gets the version as ``dataset_version`` and this build's (absolute) output root, so it reads the
    dataset this build published wherever the process that picks it up was started.

    A deployment that does not exist (no training served yet) is one line and the build succeeds; so is
    any other refusal of the Prefect API, since the version is published either way.
    """
    if release is None or not release.created:
        return no_training_line(train_deployment)
    this_run = current_flow_run.get_id()
    try:
        # timeout=0: start it and return; as_subflow=False: training outlives this run and is not part of it;
        # the key: a retried build starts one training per version, not two
        run = cast(FlowRun, run_deployment(  # called from sync code it returns the run, not a coroutine
            train_deployment, parameters=training_parameters(release, output_root), timeout=0, as_subflow=False,
            idempotency_key=f"{this_run}:{release.version}" if this_run else None))
    except ObjectNotFound:
        return f"deployment '{train_deployment}' not found; nothing triggered"
    except Exception as exc:  # a published version stands whatever the API says; the line tells why
        reason = (str(exc).splitlines() or [""])[0][:200]
        return f"could not start '{train_deployment}' ({type(exc).__name__}: {reason}); nothing triggered"
    return f"started flow run '{run.name}' ({run.id}) of '{train_deployment}' for v{release.version}"


def training_parameters(release: Release, output_root: str | None) -> dict[str, str]:
    """The parameters of ``train-gtp`` (flows/train.py) a new version starts it with."""
    params = {"dataset_version": release.version}
    if output_root:
        params["output_root"] = str(Path(output_root).resolve())
    return params


def no_training_line(train_deployment: str) -> str:
    return f"no new version; '{train_deployment}' not triggered"


def output_root_setting(name: str) -> object:
    """The Prefect Variable ``name``, or None when it is not set."""
    return Variable.get(name, default=None)


@contextlib.contextmanager
def site_for(site_url: str, paths: OutputLayout) -> Iterator[tuple[str, bool]]:
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
                  train_deployment: str = TRAIN_DEPLOYMENT, workers: int = DEFAULT_WORKERS, dask: str | None = None,
                  download_concurrency: int = DEFAULT_DOWNLOAD_CONCURRENCY) -> BuildSummary:
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
        train_deployment: the FLOW/DEPLOYMENT a new version starts, with the version as its 'dataset_version'
            parameter and this run's output root as its 'output_root'; '' starts nothing.
        workers: threads for the per-work segment and features tasks (without dask) and for rendering the
            annotation excerpts, and Dask worker processes for dask='local'.
        dask: run the segment and features tasks on Dask: 'local' or 'local:N' (a cluster of N processes on
            the machine that runs the flow), or a scheduler address 'tcp://host:8786' (its workers need
            the package and the output root at the same path on a shared filesystem).
        download_concurrency: works whose recordings are downloaded at once.
    """
    check_scale_out(dask, workers, download_concurrency)
    given = {"max_bytes": max_bytes, "max_duration_s": max_duration_s, "read_timeout_s": read_timeout_s,
             "download_deadline_s": download_deadline_s, "probe_timeout_s": probe_timeout_s}
    root = check_build_options(
        site_url=site_url, search=search, deadline_s=deadline_s, limits=given, train_deployment=train_deployment,
        output_root=resolve_output_root(output_root, deployment_run=current_deployment.get_id() is not None,
                                        variable=output_root_setting),
        names={})  # a run is started with --param NAME=VALUE: messages name the parameter
    limits = Limits(max_bytes=max_bytes, max_duration_s=max_duration_s, read_timeout_s=read_timeout_s,
                    deadline_s=download_deadline_s, probe_timeout_s=probe_timeout_s)
    paths = OutputLayout(root)
    params = AudioParams()
    deadline = BuildDeadline(deadline_s)
    durations: dict[str, float] = {}
    route_stage_logs()
    with build_lock(root, wait=wait), build_progress(BUILD_STAGES if publish else BUILD_STAGES[:-1]) as progress:
        swept = sweep_leftovers(root)
        if swept:
            get_run_logger().warning("removed %d leftovers of an interrupted build under %s", len(swept), root)
        with site_for(site_url, paths) as (start_url, local):
            egress = EgressPolicy.for_site(start_url)  # loopback is reachable only when the site itself is local
            with timed(durations, Stage.CRAWL):
                progress.stage(Stage.CRAWL)
                crawl = crawl_task(start_url, paths, local, egress)
            with timed(durations, Stage.ACQUIRE):
                acquired = acquire_per_work(crawl, paths, search_template_for(search, local), egress, deadline,
                                            limits, download_concurrency, progress)
        with timed(durations, Stage.MOVEMENTS):
            progress.stage(Stage.MOVEMENTS)
            movements = movements_task(crawl, acquired, paths)
        with audio_runner(dask, workers) as runner:
            with timed(durations, Stage.SEGMENT):
                segmented = segment_per_work(movements, acquired, paths, deadline, runner, progress)
            with timed(durations, Stage.FEATURES):
                clips = features_per_work(segmented, acquired, movements, paths, params, deadline, runner, progress)
        with timed(durations, Stage.ANNOTATE):
            progress.stage(Stage.ANNOTATE)
            annotated = annotate_task(crawl, acquired, movements, segmented, clips, paths, deadline, workers)
        results = [crawl, acquired, movements, segmented, clips, annotated]
        write_records(FAILURES.path(paths.build_dir), [f for r in results for f in r.failures])
        if publish:
            with timed(durations, Stage.PUBLISH):
                progress.stage(Stage.PUBLISH)
                results.append(publish_task(paths, start_url, local, params, push_to_hub, crawl.notes.get("gone", [])))
    summary = BuildSummary.of(start_url, results, leftovers_removed=len(swept), durations=durations)
    if publish and train_deployment:
        release = summary.release
        summary.training = (trigger_training_task(train_deployment, release, str(root))
                            if release is not None and release.created
                            else no_training_line(train_deployment))
    publish_artifact(summary)
    get_run_logger().info("%s", summary.render())
    return summary

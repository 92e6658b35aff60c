"""The ``build-dataset`` flow: crawl → acquire → movements → segment → features → annotate → publish.

Wiring only: each task calls one stage entrypoint and writes that stage's manifests; every stage
returns a ``StageResult`` (records, failures, counts) and the summary is made from those alone.
Acquire, segment and features run as one task per work: each of those stages splits its own inputs per
work (``acquire_inputs``, ``segment_inputs``, ``features_inputs``, typed items of
:class:`earsense_m2t.schemas.work_inputs.WorkInputs`), and this module maps a task over the items, keys
their memos, retries them and merges their results in the items' order, the order the stage itself walks
the works, so the manifests equal those of one call on all works. Downloads run on
``download_concurrency`` threads here, with retries and a timeout; segment and features as ``workers``
tasks at once, on threads or on Dask (``flows/runners.py``). Crawl, movements, annotate and publish are
single tasks. From each stage this module imports only what the stage package exports (its entrypoint,
its per-work split and its options), never a stage's inner module.

Prefect's own task caching is off: every stage caches by content itself (downloads by source id,
derived files by input hash, parameters and code version), which survives across runs and machines,
and is what makes a build started again after a kill skip the work that was done (each cached file is
verified before it is reused). A failure of one work or recording is a ``Failure`` carried to the
summary (a per-work task that fails after its retries too); only a crawl that cannot be trusted (site
unreachable) stops the build, before anything is published.

Every parameter is checked before any work by the build's one check
(:func:`earsense_m2t.build_options.check_build_options`; that module holds the defaults too): a bad one
fails the run with a message naming it, and no parameter carries a credential (Prefect stores parameters).
A publish that creates a version starts the training deployment named by ``train_deployment``
(``flows/deployments.py`` serves this flow).
"""

from __future__ import annotations

import contextlib
import logging
import os
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast
from urllib.parse import urlsplit

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

from earsense_m2t.acquire import AcquireOptions, AcquireWork, DownloadProgress, Limits, acquire_inputs, acquire_media
from earsense_m2t.annotation import AnnotationConfig, annotate_inputs, prepare_annotations
from earsense_m2t.build_options import (
    DEFAULT_AUDIO_FORMAT,
    DEFAULT_AUDIO_SAMPLE_RATE_HZ,
    DEFAULT_DOWNLOAD_CONCURRENCY,
    DEFAULT_SEARCH,
    DEFAULT_SITE,
    DEFAULT_TRAIN_DEPLOYMENT,
    DEFAULT_WORKERS,
    check_build_options,
    resolve_output_root,
)
from earsense_m2t.build_summary import BuildSummary
from earsense_m2t.code_version import package_data_version
from earsense_m2t.config import EMBEDDED_SITE, is_loopback
from earsense_m2t.crawlers import crawl_site
from earsense_m2t.egress import EgressPolicy
from earsense_m2t.escape import escape_logs
from earsense_m2t.features import AudioExport, AudioParams, FeaturesWork, RenderParams, features_inputs, prepare_clips
from earsense_m2t.flows.progress import BuildProgress, build_progress
from earsense_m2t.flows.runners import audio_runner, download_runner
from earsense_m2t.memo import StageMemo, file_states, manifests_digest, split_by_memo
from earsense_m2t.movements import prepare_movements
from earsense_m2t.schemas import (
    AlbumTrack,
    Deadline,
    Failure,
    Media,
    PoolExcerpt,
    Recording,
    Release,
    StageResult,
    Work,
)
from earsense_m2t.schemas.io import DiskFull, write_records
from earsense_m2t.schemas.layout import OutputLayout
from earsense_m2t.schemas.manifests import FAILURES, stage_manifests
from earsense_m2t.schemas.stages import BUILD_STAGES, Stage
from earsense_m2t.schemas.work_inputs import WorkInputs
from earsense_m2t.segment import SegmentWork, prepare_segments, segment_inputs
from earsense_m2t.workdir import build_lock, sweep_leftovers

#: the flow's own lines that may come before a run context (site_for); routed like the stages' (route_stage_logs)
log = logging.getLogger(__name__)
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
    the probe has its own timeout, and a stalled read is ended by ``Limits.read_timeout_s`` first."""

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
    # site text (URLs, reasons, exceptions' messages) reaches these lines: no control character gets through
    escape_logs(*{h for name in ("earsense_m2t", "prefect", "prefect.extra", "prefect.flow_runs", "prefect.task_runs")
                  for h in logging.getLogger(name).handlers})


@dataclass(frozen=True)
class BuildDeadline:
    """The build's deadline in wall-clock time, so a task in another process (Dask) sees the same one."""

    seconds: float | None = None
    started_at: float = field(default_factory=time.time)  # epoch seconds

    def here(self) -> Deadline:
        """The stages' ``Deadline``, started when the build started (in this process's monotonic clock)."""
        return Deadline(self.seconds, started=time.monotonic() - (time.time() - self.started_at))


@task(name="crawl", cache_policy=NO_CACHE, persist_result=False)
def crawl_task(site_url: str, paths: OutputLayout, local: bool, egress: EgressPolicy,
               deadline: BuildDeadline | None = None) -> StageResult:
    crawled = crawl_site(site_url, paths.build_dir, local=local, httpcache_dir=None if local else paths.httpcache,
                         egress=egress, deadline=deadline.here() if deadline is not None else None)
    pause_point(Stage.CRAWL, paths)
    return save(crawled, paths)


@task(name="acquire", cache_policy=NO_CACHE, persist_result=False, retries=ACQUIRE_RETRIES,
      retry_delay_seconds=ACQUIRE_RETRY_DELAY_S, task_run_name="acquire-{item.work_id}")
def acquire_work_task(item: AcquireWork, memo_key: str, paths: OutputLayout, options: AcquireOptions,
                      egress: EgressPolicy, deadline: BuildDeadline, memo: StageMemo,
                      on_download: Callable[[DownloadProgress], None] | None = None) -> StageResult:
    """One work's media, chosen recordings and album tracks (``acquire_media`` on that work); each download's
    progress goes to ``on_download`` (the build's bars: these tasks run on threads of the flow's process)."""
    route_stage_logs()
    acquired = acquire_media([item.work], item.recordings, paths.media_cache, options.download(),
                             search_template=options.search_template, spotify=options.spotify(), egress=egress,
                             deadline=deadline.here(), on_download=on_download)
    memo.save(item.work_id, memo_key, acquired)
    pause_point(Stage.ACQUIRE, paths)
    return acquired


@task(name="movements", cache_policy=NO_CACHE, persist_result=False)
def movements_task(crawl: StageResult, acquired: StageResult, paths: OutputLayout) -> StageResult:
    movements = prepare_movements(crawl.of(Work), acquired.of(Recording), acquired.of(Media), acquired.of(AlbumTrack))
    return save(movements, paths)


@task(name="segment", cache_policy=NO_CACHE, persist_result=False, task_run_name="segment-{item.work_id}")
def segment_work_task(item: SegmentWork, memo_key: str, paths: OutputLayout, deadline: BuildDeadline,
                      memo: StageMemo) -> StageResult:
    """One work's segments (``prepare_segments`` on that work's movements, recordings and media)."""
    route_stage_logs()
    segmented = prepare_segments(item.movements, item.chosen, item.media, deadline=deadline.here())
    memo.save(item.work_id, memo_key, segmented)
    pause_point(Stage.SEGMENT, paths)
    return segmented


@task(name="features", cache_policy=NO_CACHE, persist_result=False, task_run_name="features-{item.work_id}")
def features_work_task(item: FeaturesWork, memo_key: str, paths: OutputLayout, params: AudioParams,
                       audio: AudioExport | None, render: RenderParams, deadline: BuildDeadline,
                       memo: StageMemo) -> StageResult:
    """One work's clips and listening excerpts (``prepare_clips`` on that work's segments, one decode each):
    files come from the derived cache and the excerpts folder when they pass verification, and are computed
    otherwise; ``audio`` (``--audio``) also keeps each movement's normalized audio."""
    route_stage_logs()
    clips = prepare_clips(item.segments, item.media, item.movements, derived_dir=paths.derived_cache, params=params,
                          audio=audio, excerpts_dir=paths.annotation.excerpts, render=render,
                          deadline=deadline.here())
    memo.save(item.work_id, memo_key, clips)
    pause_point(Stage.FEATURES, paths)
    return clips


@task(name="annotate", cache_policy=NO_CACHE, persist_result=False)
def annotate_task(crawl: StageResult, acquired: StageResult, movements: StageResult, segmented: StageResult,
                  clips: StageResult, paths: OutputLayout, deadline: BuildDeadline,
                  render_workers: int | None,
                  on_progress: Callable[[int, int], None] | None = None) -> StageResult:
    """The annotation pool, triplets, silver labels and the judgments collected so far (``prepare_annotations``),
    from what this build will publish; its manifests are what publish puts in the two annotation configs.
    ``render_workers``: no longer used (the features tasks cut and render the excerpts, ``workers`` of them at
    once); checked and accepted so existing commands and deployments keep working. ``on_progress(done, total)``:
    called per pooled excerpt."""
    route_stage_logs()
    where = paths.annotation
    inputs = annotate_inputs(crawl, acquired, movements, segmented, clips)
    config = AnnotationConfig()
    memo = StageMemo.of(paths.build_dir, Stage.ANNOTATE, ANNOTATE_MODULE)

    records = memo.key({**inputs.memo_inputs(), "config": config})  # hashed once, used twice

    def key() -> str:  # the collected judgments and the triplets drawn so far are inputs too
        return memo.key({"records": records, "state": file_states(where.state_files)})

    kept = memo.load("all", key())
    if kept is not None:
        return save(kept, paths)
    annotated = prepare_annotations(inputs.movements, inputs.clips, inputs.media, where.dir, segments=inputs.segments,
                                    excerpts=inputs.excerpts, works=inputs.works, config=config, deadline=deadline.here(),
                                    on_progress=on_progress)
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
                 push_to_hub: str | None, gone: Sequence[str] = (),
                 on_progress: Callable[[int, int], None] | None = None, push_audio: bool = False) -> StageResult:
    """``gone``: the works whose page answered 404/410 (the crawl's ``gone``); a work the build lacks for any
    other reason (its page failed for now: the crawl's ``unreached``) keeps its published rows.
    ``on_progress(done, total)``: called as each step of the publish ends.

    When the manifests, the options, the publish code and the live version are those of the last publish,
    its result stands (the memo): nothing is read, nothing is written. A push is never taken from the memo.
    """
    pause_point(Stage.PUBLISH, paths)
    memo = StageMemo.of(paths.build_dir, Stage.PUBLISH, PUBLISH_MODULE)

    inputs = {"manifests": manifests_digest(paths.build_dir), "site_url": site_url, "local": local,
              "params": params, "gone": sorted(gone), "card": package_data_version(CARD_PACKAGE)}

    def key() -> str:  # publish reads the manifests and never writes them: only the live version moves
        return memo.key({**inputs, "live": live_version(paths)})

    if push_to_hub is None:
        kept = memo.load("release", key())
        if kept is not None:
            return kept_release(kept)
    from earsense_m2t.publish import publish_release

    published = publish_release(paths.build_dir, paths.dataset_dir, site_url=site_url, embedded=local, params=params,
                                push_to_hub=push_to_hub, gone=list(gone), on_progress=on_progress,
                                push_audio=push_audio)
    memo.save("release", key(), published)  # keyed by the live version as it is now
    return published


def live_version(paths: OutputLayout) -> str:
    """The version the live link points at, relative to the output root (a memo key names no absolute path)."""
    return os.path.relpath(os.path.realpath(paths.dataset_dir), os.path.realpath(paths.root))


def kept_release(kept: StageResult) -> StageResult:
    """The memo's publish result as this run's: the same version, kept, published_at now."""
    now = datetime.now(UTC).isoformat(timespec="seconds")
    result = StageResult(stage=Stage.PUBLISH, notes=kept.notes)
    for release in kept.of(Release):
        result.add(release.kept(now), reused=True)
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
    """How a stage's per-work task is fed: its memo, and the stage's options that join each item's own
    records (``WorkInputs.memo_inputs``) in the item's memo key."""

    stage: Stage
    memo: StageMemo
    options: Mapping[str, Any] = field(default_factory=dict)


def run_per_work(per_work: PerWork, runner: TaskRunner, work_task: Any, items: Sequence[WorkInputs],
                 common: Mapping[str, Any], progress: BuildProgress) -> StageResult:
    """Map ``work_task`` (called with ``item``, ``memo_key``, ``memo`` and ``common``) over the items whose memo
    does not hold (``earsense_m2t.memo``) on ``runner``, take the others' results from their memos, and merge all
    in the items' order; a task that raised is a ``task_failed`` failure of the item's ``failed_ids``, except a full
    disk (``DiskFull``), which stops the build naming the stage."""
    stage = per_work.stage
    progress.stage(stage)
    reused, to_run = split_by_memo(per_work.memo, [{"item": i} for i in items], lambda m: m["item"].work_id,
                                   lambda m: {**m["item"].memo_inputs(), **per_work.options})
    computed: dict[str, StageResult] = {}
    if to_run:
        mapped = {name: [entry[name] for entry in to_run] for name in ("item", "memo_key")}
        shared = {name: unmapped(value) for name, value in {**common, "memo": per_work.memo}.items()}
        futures = cast(list[PrefectFuture[StageResult]], list(runner.map(work_task, {**mapped, **shared})))
        for _ in progress.track(futures, stage):
            pass
        for entry, future in zip(to_run, futures, strict=True):
            item: WorkInputs = entry["item"]
            try:
                computed[item.work_id] = future.result()
            except DiskFull as exc:  # every later work would fail the same way: stop, naming the stage and file
                raise exc.in_stage(stage) from None
            except Exception as exc:  # after its retries: the rest of the build goes on
                ids = item.failed_ids()
                get_run_logger().warning("%s of %s failed: %s", stage, ", ".join(ids), exc)
                computed[item.work_id] = task_failure(stage, ids, exc)
    if reused:
        get_run_logger().info("%s: %d of %d works unchanged since they were last done (taken from their memos)",
                              stage, len(reused), len(items))
    return StageResult.merge(stage, [reused.get(i.work_id) or computed[i.work_id] for i in items])


def run_acquire(crawl: StageResult, paths: OutputLayout, options: AcquireOptions, egress: EgressPolicy,
                deadline: BuildDeadline, download_concurrency: int, progress: BuildProgress) -> StageResult:
    items = acquire_inputs(crawl)
    work_task = acquire_work_task.with_options(timeout_seconds=options.task_timeout_s(items))
    # besides the options: what egress allows (not where the output root is: the memo's paths are relative to it)
    memo_options = {**options.memo_inputs(),
                    "egress": [egress.allow_loopback, sorted(egress.treat_as_public)]}
    per_work = PerWork(Stage.ACQUIRE, StageMemo.of(paths.build_dir, Stage.ACQUIRE, acquire_media.__module__),
                       memo_options)
    with download_runner(download_concurrency) as runner:
        acquired = run_per_work(per_work, runner, work_task, items,
                                {"paths": paths, "options": options, "egress": egress, "deadline": deadline,
                                 "on_download": progress.download}, progress)
    return save(acquired, paths)


def run_segment(movements: StageResult, acquired: StageResult, paths: OutputLayout, deadline: BuildDeadline,
                runner: TaskRunner, progress: BuildProgress) -> StageResult:
    per_work = PerWork(Stage.SEGMENT, StageMemo.of(paths.build_dir, Stage.SEGMENT, prepare_segments.__module__))
    segmented = run_per_work(per_work, runner, segment_work_task, segment_inputs(movements, acquired),
                             {"paths": paths, "deadline": deadline}, progress)
    return save(segmented, paths)


def run_features(segmented: StageResult, acquired: StageResult, movements: StageResult, paths: OutputLayout,
                 params: AudioParams, deadline: BuildDeadline, runner: TaskRunner,
                 progress: BuildProgress, audio: AudioExport | None = None,
                 render: RenderParams = RenderParams()) -> StageResult:
    per_work = PerWork(Stage.FEATURES, StageMemo.of(paths.build_dir, Stage.FEATURES, prepare_clips.__module__),
                       {"params": params, "audio": audio, "render": render})
    clips = run_per_work(per_work, runner, features_work_task, features_inputs(segmented, acquired, movements),
                         {"paths": paths, "params": params, "audio": audio, "render": render, "deadline": deadline},
                         progress)
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
    if run.state is not None and run.state.is_scheduled():  # timeout=0: nobody has picked it up yet
        waiting_for = (f"a worker in pool {run.work_pool_name}" if run.work_pool_name
                       else "the process that serves it (`earsense-m2t deployments serve`)")
        return (f"flow run '{run.name}' ({run.id}) of '{train_deployment}' for v{release.version} scheduled, "
                f"waiting for {waiting_for}")
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
    """Yield (start URL, is local); ``embedded`` starts the mini site on loopback, on the port it had in this
    output root's last build when that port is free (:func:`remembered_port`), else on a free one."""
    if site_url != EMBEDDED_SITE:
        yield site_url, is_loopback(site_url)
        return
    from earsense_m2t.offline.minisite import serve

    port = remembered_port(paths)
    with contextlib.ExitStack() as stack:
        try:
            site = stack.enter_context(serve(cache_dir=paths.minisite_media, port=port))
        except OSError as exc:
            if not port:
                raise
            log.warning("the mini site's port %d (this output root's last) is taken (%s); serving it on a free port, "
                        "so every work's memo misses once", port, exc.strerror or exc)
            site = stack.enter_context(serve(cache_dir=paths.minisite_media))
        served = urlsplit(site.start_url).port
        if served != port and served is not None:
            paths.minisite_port.parent.mkdir(parents=True, exist_ok=True)
            paths.minisite_port.write_text(f"{served}\n", encoding="utf-8")
        yield site.start_url, True


def remembered_port(paths: OutputLayout) -> int:
    """The port the mini site had in this output root's last build, or 0 (any free port) when none is known.

    The site's URLs carry the port, and they are in the records and so in every memo key: a new port on each
    run would make a refresh redo every work (from the content caches, but still) and never take a memo.
    """
    try:
        port = int(paths.minisite_port.read_text(encoding="utf-8").strip())
    except (OSError, ValueError):
        return 0
    return port if 1024 <= port <= 65535 else 0


@flow(name="build-dataset", persist_result=False)
def build_dataset(site_url: str = DEFAULT_SITE, output_root: str | None = None, publish: bool = True,
                  push_to_hub: str | None = None, search: str = DEFAULT_SEARCH, wait: bool = False,
                  deadline_s: float | None = None, max_bytes: int = Limits.max_bytes,
                  max_duration_s: float = Limits.max_duration_s, read_timeout_s: float = Limits.read_timeout_s,
                  download_deadline_s: float = Limits.deadline_s, probe_timeout_s: float = Limits.probe_timeout_s,
                  train_deployment: str = DEFAULT_TRAIN_DEPLOYMENT, workers: int = DEFAULT_WORKERS,
                  dask: str | None = None, download_concurrency: int = DEFAULT_DOWNLOAD_CONCURRENCY,
                  render_workers: int | None = None, audio: bool = False,
                  audio_sample_rate_hz: int = DEFAULT_AUDIO_SAMPLE_RATE_HZ, audio_format: str = DEFAULT_AUDIO_FORMAT,
                  push_audio: bool = False) -> BuildSummary:
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
        probe_timeout_s: seconds the probe may take to read a downloaded file.
        train_deployment: the FLOW/DEPLOYMENT a new version starts, with the version as its 'dataset_version'
            parameter and this run's output root as its 'output_root'; '' starts nothing.
        workers: per-work segment and features tasks that run at once: threads here, or with dask='local'
            the processes of the local Dask cluster.
        dask: run the segment and features tasks on Dask: 'local' or 'local:N' (a cluster of N processes on
            the machine that runs the flow), or a scheduler address 'tcp://host:8786' (its workers need
            the package and the output root at the same path on a shared filesystem).
        download_concurrency: works whose recordings are downloaded at once.
        render_workers: no longer used: the listening excerpts are cut from the features stage's decode, in
            its tasks ('workers' at once); still accepted so existing runs keep working.
        audio: also keep each movement's loudness-normalized audio and publish it in the local 'audio'
            config (never pushed unless push_audio is given and every row's media licence allows it).
        audio_sample_rate_hz: the sample rate of that audio (default 16000, the spectrograms' rate).
        audio_format: its file format, 'flac' or 'wav' (16-bit mono).
        push_audio: with push_to_hub and audio, upload the 'audio' config too, but only when every row's media
            licence is CC0, CC BY, CC BY-SA or public domain; otherwise the push is refused.
    """
    given = {"max_bytes": max_bytes, "max_duration_s": max_duration_s, "read_timeout_s": read_timeout_s,
             "download_deadline_s": download_deadline_s, "probe_timeout_s": probe_timeout_s}
    root = check_build_options(
        site_url=site_url, search=search, deadline_s=deadline_s, limits=given, train_deployment=train_deployment,
        workers=workers, render_workers=render_workers, dask=dask, download_concurrency=download_concurrency,
        audio_sample_rate_hz=audio_sample_rate_hz, audio_format=audio_format,
        output_root=resolve_output_root(output_root, deployment_run=current_deployment.get_id() is not None,
                                        variable=output_root_setting),
        names={})  # a run is started with --param NAME=VALUE: messages name the parameter
    limits = Limits(max_bytes=max_bytes, max_duration_s=max_duration_s, read_timeout_s=read_timeout_s,
                    deadline_s=download_deadline_s, probe_timeout_s=probe_timeout_s)
    paths = OutputLayout(root)
    params = AudioParams()
    export = AudioExport(sample_rate_hz=audio_sample_rate_hz, format=audio_format) if audio else None
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
                crawl = crawl_task(start_url, paths, local, egress, deadline)
            with timed(durations, Stage.ACQUIRE):
                acquired = run_acquire(crawl, paths, AcquireOptions(limits, search, local), egress, deadline,
                                       download_concurrency, progress)
        with timed(durations, Stage.MOVEMENTS):
            progress.stage(Stage.MOVEMENTS)
            movements = movements_task(crawl, acquired, paths)
        with audio_runner(dask, workers) as runner:
            with timed(durations, Stage.SEGMENT):
                segmented = run_segment(movements, acquired, paths, deadline, runner, progress)
            with timed(durations, Stage.FEATURES):
                clips = run_features(segmented, acquired, movements, paths, params, deadline, runner, progress,
                                     audio=export)
        with timed(durations, Stage.ANNOTATE):
            progress.stage(Stage.ANNOTATE)
            with progress.steps(Stage.ANNOTATE) as report:
                annotated = annotate_task(crawl, acquired, movements, segmented, clips, paths, deadline,
                                          render_workers, report)
        results = [crawl, acquired, movements, segmented, clips, annotated]
        write_records(FAILURES.path(paths.build_dir), [f for r in results for f in r.failures])
        if publish:
            with timed(durations, Stage.PUBLISH):
                progress.stage(Stage.PUBLISH)
                with progress.steps(Stage.PUBLISH) as report:
                    results.append(publish_task(paths, start_url, local, params, push_to_hub,
                                                crawl.notes.get("gone", []), report, push_audio=push_audio))
    summary = BuildSummary.of(start_url, results, leftovers_removed=len(swept), durations=durations)
    if publish and train_deployment:
        release = summary.release
        summary.training = (trigger_training_task(train_deployment, release, str(root))
                            if release is not None and release.created
                            else no_training_line(train_deployment))
    elif publish:
        summary.training = "not requested (train_deployment is '')"
    publish_artifact(summary)
    get_run_logger().info("%s", summary.render())
    return summary

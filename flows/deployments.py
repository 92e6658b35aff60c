"""The deployments of ``build-dataset`` and ``train-gtp``: served by ``earsense-m2t deployments serve``, or
registered to a process work pool by ``earsense-m2t deployments register --pool NAME`` for ``prefect worker start``.

- ``build-dataset/earsense-m2t``: the real site, run when someone asks for it.
- ``build-dataset/mini-site``: the bundled mini site, offline (what the tests and the README demo run).
- ``build-dataset/scheduled-refresh``: the real site on a cron schedule (weekly by default). A refresh is
  incremental through what the build already keeps: the crawl sends each page's ETag and compares the
  extracted content with the previous crawl, downloads and spectrograms come from the content-addressed
  caches, and a dataset with nothing changed publishes no new version. ``serve`` says which schedules are
  active and when each runs next (:func:`schedule_lines`); served with ``schedules=False`` (the CLI's
  ``--no-schedules``) the schedule is sent inactive, so only runs someone starts happen.
- ``train-gtp/tiny``: train and evaluate the tiny config (a CPU, minutes), served like the builds.
- ``train-gtp/gpu``: the paper's config, in the work pool ``gpu`` (created as a process pool when missing)
  and never served here: its runs wait there until a worker on a machine with a GPU runs
  ``prefect worker start --pool gpu``. It is what a new version starts by default.

None of them fixes an output root: a run writes where its ``output_root`` parameter says, else where
``EARSENSE_M2T_OUT`` of the process that runs it says, else the Prefect Variable ``earsense_m2t_out``;
an absolute path, resolved when the run starts, on the machine that runs it
(``earsense_m2t.build_options.resolve_output_root``). The entry point is a module path
(``earsense_m2t.flows.build.build_dataset``), so whatever runs a flow run (this process, or a worker
on another machine) needs the package installed, not this repository's folder.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, cast
from uuid import UUID
from zoneinfo import ZoneInfo

from earsense_m2t.build_options import OUTPUT_ROOT_ENV, OUTPUT_ROOT_VARIABLE
from earsense_m2t.config import EMBEDDED_SITE, REAL_SITE_URL
from earsense_m2t.prefect_server import NO_TELEMETRY  # a worker's flow runs get it as their env

if TYPE_CHECKING:
    from prefect.deployments.runner import RunnerDeployment

#: when the scheduled refresh runs by default: Mondays at 03:00 (in REFRESH_TIMEZONE)
REFRESH_CRON = "0 3 * * 1"
REFRESH_TIMEZONE = "UTC"
#: on every deployment, to find them among others on a shared server
TAGS = ("earsense-m2t",)


@dataclass(frozen=True)
class DeploymentSpec:
    name: str
    description: str
    parameters: Mapping[str, Any] = field(default_factory=dict)
    scheduled: bool = False


SPECS = (
    DeploymentSpec("earsense-m2t", f"Build the dataset from the real EarSense site ({REAL_SITE_URL}) under "
                   f"{OUTPUT_ROOT_ENV} or the Prefect Variable {OUTPUT_ROOT_VARIABLE} (an absolute path).",
                   {"site_url": REAL_SITE_URL}),
    DeploymentSpec("mini-site", "Build the dataset from the bundled mini EarSense site (offline, on 127.0.0.1).",
                   {"site_url": EMBEDDED_SITE}),
    # wait: a refresh that finds a build running on the same output root runs after it, instead of failing
    DeploymentSpec("scheduled-refresh", "Refresh the dataset from the real EarSense site on a schedule: only what "
                   "changed is fetched and computed again, and nothing is published when nothing changed.",
                   {"site_url": REAL_SITE_URL, "wait": True}, scheduled=True),
)


#: the work pool of train-gtp/gpu: a worker on a GPU machine polls it
GPU_POOL = "gpu"
#: training profiles a deployment may default to (model/run.py's Plan.profile)
TRAIN_PROFILES = ("full", "smoke")
TRAIN_SPECS = (
    DeploymentSpec("tiny", "Train and evaluate the GTP model's tiny config and its baselines on a published version "
                   "(a CPU is enough).", {"config": "tiny"}),
    DeploymentSpec("gpu", "Train and evaluate the GTP model at the paper's sizes and its baselines on a published "
                   f"version; runs wait in the work pool '{GPU_POOL}' for a worker on a GPU machine.",
                   {"config": "paper"}),
)


def deployments(refresh_cron: str = REFRESH_CRON, timezone: str = REFRESH_TIMEZONE,
                job_env: Mapping[str, str] | None = None, schedules: bool = True) -> list[RunnerDeployment]:
    """The three deployments; ``job_env`` is the environment of a worker's flow runs (None when served).

    ``schedules=False``: the refresh's schedule is there but inactive. Not left out: Prefect keeps a
    deployment's existing schedules when a redeployment sends none, so a schedule an earlier serve made
    active would stay active (and its planned runs would come due)."""
    from prefect.deployments.runner import EntrypointType
    from prefect.schedules import Cron

    from earsense_m2t.flows.build import build_dataset

    made = []
    for spec in SPECS:  # called from sync code, to_deployment returns the deployment, not a coroutine
        made.append(cast("RunnerDeployment", build_dataset.to_deployment(
            name=spec.name, description=spec.description, parameters=dict(spec.parameters), tags=list(TAGS),
            schedules=[Cron(refresh_cron, timezone=timezone, active=schedules)] if spec.scheduled else None,
            job_variables={"env": dict(job_env)} if job_env is not None else None,
            entrypoint_type=EntrypointType.MODULE_PATH)))
    return made


def training_deployments(profile: str = "full", job_env: Mapping[str, str] | None = None,
                         names: tuple[str, ...] = ("tiny", "gpu")) -> list[RunnerDeployment]:
    """``train-gtp/<name>`` for each name; ``profile`` is their default training profile."""
    from prefect.deployments.runner import EntrypointType

    from earsense_m2t.flows.train import train_gtp

    if profile not in TRAIN_PROFILES:
        raise ValueError(f"training profile {profile!r}; known: {', '.join(TRAIN_PROFILES)}")
    return [cast("RunnerDeployment", train_gtp.to_deployment(
        name=spec.name, description=spec.description, parameters={**spec.parameters, "profile": profile},
        tags=list(TAGS), job_variables={"env": dict(job_env)} if job_env is not None else None,
        entrypoint_type=EntrypointType.MODULE_PATH)) for spec in TRAIN_SPECS if spec.name in names]


def ensure_process_pool(name: str) -> None:
    """Create the process work pool ``name`` when the server has none of that name."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.actions import WorkPoolCreate
    from prefect.exceptions import ObjectAlreadyExists
    from prefect.workers.process import ProcessWorker

    template = ProcessWorker.get_default_base_job_template()  # what `prefect work-pool create --type process` sets
    with get_client(sync_client=True) as client, contextlib.suppress(ObjectAlreadyExists):
        client.create_work_pool(WorkPoolCreate(name=name, type="process", base_job_template=template))


def deploy_to_pool(made: list[RunnerDeployment], pool: str) -> list[UUID]:
    import prefect

    ids = cast(list[UUID], prefect.deploy(*made, work_pool_name=pool, print_next_steps_message=False,
                                          ignore_warnings=True))
    if len(ids) != len(made):
        raise RuntimeError(f"only {len(ids)} of {len(made)} deployments were created in work pool {pool!r} (see above)")
    return ids


def served_deployments(refresh_cron: str = REFRESH_CRON, timezone: str = REFRESH_TIMEZONE, train_profile: str = "full",
                       schedules: bool = True) -> list[RunnerDeployment]:
    """What ``serve`` serves in this process: the three builds and train-gtp/tiny."""
    return [*deployments(refresh_cron, timezone, schedules=schedules),
            *training_deployments(train_profile, names=("tiny",))]


def next_run(cron: str, timezone: str | None, after: datetime) -> datetime:
    """The first time at or after ``after`` that ``cron`` (in ``timezone``) comes due, as Prefect's scheduler
    computes it (its own schedule object, daylight saving time included)."""
    from prefect.server.schemas.schedules import CronSchedule

    zone = timezone or "UTC"
    [when] = asyncio.run(CronSchedule(cron=cron, timezone=zone).get_dates(n=1, start=after))
    return datetime.fromisoformat(when.isoformat()).astimezone(ZoneInfo(zone))  # a plain datetime, in that zone


def schedule_lines(made: Sequence[RunnerDeployment], now: datetime | None = None) -> list[str]:
    """What the person starting ``serve`` reads: what is served, each active schedule with its next run,
    the inactive ones, and how to serve without (or with) them."""
    now = now or datetime.now(UTC)
    lines = [f"serving: {', '.join(f'{d.flow_name}/{d.name}' for d in made)}"]
    active = inactive = 0
    for d in made:
        for s in d.schedules or []:
            cron, tz = getattr(s.schedule, "cron", None), getattr(s.schedule, "timezone", None)
            what = f"cron '{cron}' ({tz or 'UTC'})" if cron else str(s.schedule)
            site = d.parameters.get("site_url")
            runs = f"{d.flow_name}/{d.name}" + (f" ({site})" if site else "")
            if not s.active:
                inactive += 1
                lines.append(f"schedule inactive: {runs}, {what}; it runs only when started")
                continue
            active += 1
            nxt = f", next run {next_run(cron, tz, now):%Y-%m-%d %H:%M %Z}" if cron else ""
            lines.append(f"schedule active: {runs}, {what}{nxt}")
    if active:
        lines.append("to serve without schedules (only runs someone starts): deployments serve --no-schedules")
    elif inactive:
        lines.append("no schedule active (--no-schedules); without --no-schedules the schedules above are active")
    else:
        lines.append("no schedule")
    return lines


def serve(refresh_cron: str = REFRESH_CRON, timezone: str = REFRESH_TIMEZONE, train_profile: str = "full",
          schedules: bool = True, announce: Callable[[str], None] = print) -> None:
    """Put train-gtp/gpu in the GPU pool, then serve the other deployments here until interrupted, after
    announcing them and their schedules (:func:`schedule_lines`)."""
    import prefect

    made = served_deployments(refresh_cron, timezone, train_profile, schedules)
    ensure_process_pool(GPU_POOL)
    deploy_to_pool(training_deployments(train_profile, NO_TELEMETRY, names=("gpu",)), GPU_POOL)
    for line in schedule_lines(made):
        announce(line)
    prefect.serve(*made)


def register(pool: str, refresh_cron: str = REFRESH_CRON, timezone: str = REFRESH_TIMEZONE,
             train_profile: str = "full") -> list[UUID]:
    """Create (or update) the deployments in the process work pool ``pool`` (train-gtp/gpu in the GPU pool);
    ``prefect worker start --pool`` runs them. Raises ValueError when ``pool`` does not exist."""
    ids = deploy_to_pool([*deployments(refresh_cron, timezone, job_env=NO_TELEMETRY),
                          *training_deployments(train_profile, NO_TELEMETRY, names=("tiny",))], pool)
    ensure_process_pool(GPU_POOL)
    return ids + deploy_to_pool(training_deployments(train_profile, NO_TELEMETRY, names=("gpu",)), GPU_POOL)


def output_root_note() -> str | None:
    """A line for the person starting the deployments when runs without ``output_root`` have nowhere to go."""
    if os.environ.get(OUTPUT_ROOT_ENV):
        return None
    from prefect.variables import Variable

    if Variable.get(OUTPUT_ROOT_VARIABLE, default=None):
        return None
    return (f"note: neither {OUTPUT_ROOT_ENV} nor the Prefect Variable {OUTPUT_ROOT_VARIABLE} is set, so every run "
            "must pass --param output_root=/an/absolute/path")

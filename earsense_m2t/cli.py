"""The ``earsense-m2t`` command: the actions a researcher runs."""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from typer.core import TyperOption

from earsense_m2t.annotation.tool.cli import app as annotations_app
from earsense_m2t.build_options import (
    DEFAULT_AUDIO_FORMAT,
    DEFAULT_AUDIO_SAMPLE_RATE_HZ,
    DEFAULT_DOWNLOAD_CONCURRENCY,
    DEFAULT_SEARCH,
    DEFAULT_SITE,
    DEFAULT_TRAIN_DEPLOYMENT,
    DEFAULT_WORKERS,
)
from earsense_m2t.config import EMBEDDED_SITE, OUTPUT_ROOT
from earsense_m2t.escape import for_terminal
from earsense_m2t.schemas.layout import OutputLayout

_display_type_rich = TyperOption.display_type_rich


def _no_type_for_a_flag(self: TyperOption, ctx: Any) -> str | None:
    """A flag (``--publish/--no-publish``, ``--help``) takes no value: help shows no ``<bool>`` beside it."""
    return None if self.is_flag else _display_type_rich(self, ctx)


TyperOption.display_type_rich = _no_type_for_a_flag  # type: ignore[method-assign]

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="Build the EarSense music-to-text dataset and inspect its pieces.")


@app.command()
def build(
    ctx: typer.Context,
    site: Annotated[str, typer.Option(
        help=f"Start URL of the site to crawl, or '{EMBEDDED_SITE}' for the bundled mini site.")] = DEFAULT_SITE,
    out: Annotated[Path, typer.Option(help="Output root (build manifests, caches, the dataset).")] = OUTPUT_ROOT,
    publish: Annotated[bool, typer.Option(help="Publish the dataset at the end.")] = True,
    push_to_hub: Annotated[str | None, typer.Option(help="Also upload the version to this Hub repo id.")] = None,
    search: Annotated[str, typer.Option(help="Search for works whose page lists no recording: 'auto' "
                                        "(YouTube for real sites, off for the mini site), 'off', or a yt-dlp "
                                        "search template with {n} and {query}.")] = DEFAULT_SEARCH,
    wait: Annotated[bool, typer.Option(help="If another build is using --out, wait for it instead of stopping.")]
    = False,
    deadline: Annotated[float | None, typer.Option(help="Seconds the build may take: when they have passed, no new "
                                                   "work starts, what is left is listed as failures, and what "
                                                   "finished is published.")] = None,
    workers: Annotated[int, typer.Option(help="Per-work segment and features tasks at once: threads here, or the "
                                         "processes of --dask local.")] = DEFAULT_WORKERS,
    dask: Annotated[str | None, typer.Option(help="Run the segment and features tasks on Dask: 'local' or "
                                             "'local:N' (N processes here), or a scheduler address "
                                             "'tcp://host:8786' (see the README).")] = None,
    download_concurrency: Annotated[int, typer.Option(help="Works whose recordings are downloaded at once.")]
    = DEFAULT_DOWNLOAD_CONCURRENCY,
    render_workers: Annotated[int | None, typer.Option(help="No longer used: the annotation excerpts are cut from "
                                                       "the features stage's decode, --workers at once.")] = None,
    audio: Annotated[bool, typer.Option(
        "--audio", help="Also keep each movement's loudness-normalized audio and publish it in the local 'audio' "
                        "config (an HF Audio feature); never pushed unless --push-audio allows it.")] = False,
    audio_sample_rate: Annotated[int, typer.Option(help="--audio: the sample rate in Hz (mono, 16-bit).")]
    = DEFAULT_AUDIO_SAMPLE_RATE_HZ,
    audio_format: Annotated[str, typer.Option(help="--audio: 'flac' or 'wav'.")] = DEFAULT_AUDIO_FORMAT,
    push_audio: Annotated[bool, typer.Option(
        "--push-audio", help="With --push-to-hub and --audio: upload the 'audio' config too, only if every row's "
                             "media licence is CC0, CC BY, CC BY-SA or public domain (else the push is refused).")]
    = False,
    train_deployment: Annotated[str | None, typer.Option(
        help="The Prefect deployment (FLOW/DEPLOYMENT) a new version starts, with the version as its "
             f"'dataset_version' parameter, e.g. '{DEFAULT_TRAIN_DEPLOYMENT}' (what a deployment's run starts); "
             "not given: this build starts no training.")] = None,
) -> None:
    """Run the whole build-dataset flow (crawl → acquire → movements → segment → features → annotate → publish)
    here."""
    from earsense_m2t.build_options import BadOption, check_build_options
    from earsense_m2t.workdir import BuildLocked, build_lock

    train_deployment = train_deployment or ""  # a build here trains only when asked to

    held = contextlib.ExitStack()  # the build lock, released when the command ends (or at once by the kernel if killed)
    ctx.call_on_close(held.close)
    try:  # before Prefect starts: it stores flow parameters, and a bad option or a busy --out should cost nothing
        root = check_build_options(site_url=site, output_root=out, search=search, deadline_s=deadline,
                                   train_deployment=train_deployment, workers=workers, render_workers=render_workers,
                                   dask=dask, download_concurrency=download_concurrency,
                                   audio_sample_rate_hz=audio_sample_rate, audio_format=audio_format)
        # held from here, before Prefect starts: a busy --out is said in one line, and no second build slips in
        # while this one's Prefect is starting (the flow takes the same lock again)
        held.enter_context(build_lock(root, wait=wait, reentrant=True))
    except (BadOption, BuildLocked) as exc:
        fail(str(exc))
    # a person at a terminal reads the summary; Prefect's run log stays available with PREFECT_LOGGING_LEVEL=INFO
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
    from earsense_m2t.prefect_server import no_telemetry

    no_telemetry()  # no telemetry calls from a research build (the deployments' flow runs get the same list)
    os.environ.setdefault("DASK_LOGGING__DISTRIBUTED", "warning")  # --dask: no scheduler and worker chatter
    # read by `datasets` when publish imports it (a refresh with nothing to publish never does)
    os.environ.setdefault("HF_DATASETS_DISABLE_PROGRESS_BARS", "1")
    if on_terminal() and not os.environ.get("PREFECT_API_URL"):  # the terminal is not left blank while Prefect
        typer.echo(PREFECT_STARTING, err=True)                    # loads and its temporary server starts
    from earsense_m2t.crawlers.crawl import CrawlError
    from earsense_m2t.flows.build import build_dataset
    from earsense_m2t.prefect_server import ServerDidNotStart, start_temporary_server
    from earsense_m2t.schemas import RecordError

    try:  # a longer wait and a second try on a busy machine; the server ends with this process, even killed
        start_temporary_server()
    except ServerDidNotStart as exc:
        fail(f"build: {exc}")
    try:
        summary = build_dataset(site_url=site, output_root=str(out), publish=publish, push_to_hub=push_to_hub,
                                search=search, wait=wait, deadline_s=deadline, workers=workers, dask=dask,
                                download_concurrency=download_concurrency, render_workers=render_workers,
                                train_deployment=train_deployment, audio=audio, audio_sample_rate_hz=audio_sample_rate,
                                audio_format=audio_format, push_audio=push_audio)
    except (BadOption, BuildLocked) as exc:
        fail(str(exc))
    except CrawlError as exc:
        fail(f"{exc}\nNothing was published.")
    except RecordError as exc:
        fail(f"publish: {len(exc.problems)} invalid record(s), e.g. {exc.problems[0]}; nothing was published "
             f"(all of them: {out}/build/)")
    except Exception as exc:
        from earsense_m2t.publish import PublishError  # here: importing publish loads the datasets stack
        from earsense_m2t.schemas.io import disk_full

        full = disk_full(exc, out)
        if full is not None:  # a stage's own DiskFull names the stage; any other write is the build's
            fail(f"{'' if full.stage else 'build: '}{full}; free some space and run the build again: nothing was "
                 "published (the previous version is intact)")
        if not isinstance(exc, PublishError):
            raise
        fail(f"publish: {exc}")
    if publish and not train_deployment:
        summary.training = "not requested (--train-deployment not given)"
    typer.echo(summary.render())
    if publish and summary.rows == 0:
        typer.echo("error: the build produced no rows", err=True)
        raise typer.Exit(1)
    if push_to_hub and summary.failure_counts().get(("publish", "push_failed")):
        typer.echo(f"error: the upload to {push_to_hub} failed (see above); the local version is published", err=True)
        raise typer.Exit(1)
    if push_to_hub and summary.failure_counts().get(("publish", "push_refused")):
        typer.echo(f"error: nothing was uploaded to {push_to_hub}: the version has the local 'audio' config (see "
                   "above); the local version is published", err=True)
        raise typer.Exit(1)


#: a build's first line on a terminal: Prefect's import and its temporary server take a while before the first bar
PREFECT_STARTING = ("starting a temporary Prefect server (takes up to ~40 s on a busy machine; with PREFECT_API_URL "
                    "set, a running server is used instead)…")


def on_terminal() -> bool:
    """A person is watching (stdout is a terminal): what the progress bars go by, too (flows/progress.py)."""
    return sys.stdout.isatty()


@app.command("tag-tempo")
def tag_tempo() -> None:
    """Read one movement title per line on stdin; print `title<TAB>tag<TAB>source<TAB>term` per line."""
    from earsense_m2t.tagging.tempo import tag_lines

    for line in tag_lines(sys.stdin):
        typer.echo(line)


@app.command("parse-chapters")
def parse_chapters(
    movements: Annotated[int | None, typer.Option(
        min=1, help="The work's number of movements, if known: a list timed only from the second movement on "
                    "then gets the first movement at 0:00.")] = None,
) -> None:
    """Read a video description on stdin; print its movement time stamps as a JSON list."""
    from earsense_m2t.movements.chapters import chapters_to_json
    from earsense_m2t.movements.chapters import parse_chapters as parse

    typer.echo(chapters_to_json(parse(sys.stdin.read(), movements=movements)))


@app.command("align-text")
def align_text(path: Annotated[Path | None, typer.Argument(
        help="JSON Lines file, one work per line (default or '-': stdin).")] = None) -> None:
    r"""Read {"article": \[paragraphs], "titles": [...]} per line; print {"texts": [...], "confidence": [...]} per line."""
    from earsense_m2t.movements.align_text import AlignTextError, align_lines

    try:
        source = sys.stdin.buffer if path is None or str(path) == "-" else path.read_bytes().splitlines()
        output = list(align_lines(source))
    except OSError as exc:
        fail(f"{path}: cannot read it ({exc.strerror or exc})")
    except AlignTextError as exc:
        fail(f"align-text: {exc}")
    for line in output:
        typer.echo(line)


@app.command("serve-site")
def serve_site(port: Annotated[int, typer.Option(min=0, max=65535,
                                                 help="Port on 127.0.0.1 (0 = any free port).")] = 8000,
               markup: Annotated[str, typer.Option(help="Page markup: 'default' (the crawler's selectors match) "
                                                        "or 'plain' (only its text rules can read the pages).")]
               = "default") -> None:
    """Serve the bundled mini EarSense site (pages and media) until interrupted."""
    import time

    from earsense_m2t.offline.minisite import serve
    from earsense_m2t.offline.minisite.render import MARKUPS

    if markup not in MARKUPS:
        fail(f"--markup {markup!r}: expected one of {', '.join(MARKUPS)}")
    with contextlib.ExitStack() as stack:
        try:
            site = stack.enter_context(serve(cache_dir=OutputLayout().minisite_media, port=port, markup=markup))
        except OSError as exc:
            fail(f"--port {port}: cannot serve on 127.0.0.1 ({exc.strerror or exc})")
        typer.echo(f"Mini EarSense site at {site.start_url} (Ctrl-C to stop)")
        with contextlib.suppress(KeyboardInterrupt):
            while True:
                time.sleep(3600)


@app.command("checkout-version")
def checkout_version(
    version: Annotated[str, typer.Argument(help="A published version, e.g. 1.0.0 or v1.0.0.")],
    dataset_dir: Annotated[Path, typer.Option(help="The published dataset repository.")] = OutputLayout().dataset_dir,
) -> None:
    """Materialize a published version as the folder <dataset-dir>@v<version> beside --dataset-dir (kept, and reused
    by the next call), which datasets.load_dataset can read; print its path."""
    from earsense_m2t.publish import PublishError, load_version

    if not dataset_dir.exists():
        fail(f"--dataset-dir {dataset_dir}: no published dataset there (build one with `earsense-m2t build`)")
    try:
        path = load_version(dataset_dir, version)
    except (PublishError, ValueError) as exc:
        fail(f"checkout-version {version}: {exc}")
    from earsense_m2t.build_summary import load_command

    typer.echo(f"{path}\n  {load_command(str(path))}")


@app.command()
def annotate(
    out: Annotated[Path, typer.Option(help="Output root of a build: its annotation/ folder holds the pool, the "
                                      "triplets and the judgments.")] = OUTPUT_ROOT,
    host: Annotated[str, typer.Option(help="Address to listen on; loopback only unless --allow-remote.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=0, max=65535, help="Port (0 = any free port).")] = 8765,
    allow_remote: Annotated[bool, typer.Option(help="Allow a --host other than loopback (the page has no login: "
                                               "anyone who reaches it can submit judgments).")] = False,
    require_listening: Annotated[bool | None, typer.Option(
        "--require-listening/--no-require-listening",
        help="Refuse an answer until both excerpts were played (default: the environment variable "
             "EARSENSE_M2T_REQUIRE_LISTENING, else off).", show_default=False)] = None,
) -> None:
    """Serve the annotation page: people compare pairs of excerpts; judgments go to <out>/annotation/judgments.sqlite."""
    from earsense_m2t.annotation.tool.store import StoreError
    from earsense_m2t.annotation.tool.webapp import NoPool, check_host, serve_forever

    refusal = check_host(host, allow_remote)
    if refusal:
        fail(refusal)
    try:
        serve_forever(OutputLayout(out).annotation.dir, host=host, port=port, announce=typer.echo,
                      require_listening=require_listening)
    except NoPool as exc:
        fail(str(exc))
    except (StoreError, ValueError) as exc:
        fail(f"annotate: {exc}")
    except OSError as exc:
        fail(f"--host {host} --port {port}: cannot listen there ({exc.strerror or exc})")


@app.command()
def train(
    dataset: Annotated[Path, typer.Option(help="The published dataset (the folder `earsense-m2t build` writes).")]
    = OutputLayout().dataset_dir,
    version: Annotated[str | None, typer.Option(help="The version to train on (e.g. 1.2.0); default: the live one.")]
    = None,
    config: Annotated[str, typer.Option(help="'tiny' (a CPU, minutes) or 'paper' (the paper's sizes; a GPU).")]
    = "tiny",
    out: Annotated[Path, typer.Option(help="Where run folders go: <out>/v<version>-<config>/.")]
    = OutputLayout().training_dir,
    profile: Annotated[str, typer.Option(help="'full' (every fold, 3 seeds, the config's epochs) or 'smoke' "
                                         "(2 folds, 1 seed, 1 epoch).")] = "full",
    settings: Annotated[str, typer.Option(help="'corrected' (the project's: weight decay 0.01, the config's epochs, "
                                          "beam search) or 'authors' (the released code's: weight decay 5, 5 epochs, "
                                          "three sampled texts per movement); its own run folder "
                                          "<out>/v<version>-<config>-authors/.")] = "corrected",
    epochs: Annotated[int | None, typer.Option(min=1, help="Epochs per system, instead of the profile's.")] = None,
    seeds: Annotated[str | None, typer.Option(help="Comma-separated seeds, instead of the profile's.")] = None,
    folds: Annotated[str | None, typer.Option(help="Comma-separated test folds (default: every fold).")] = None,
    systems: Annotated[str | None, typer.Option(help="Comma-separated systems (default: all twelve rows of the "
                                                "paper's Table 1: tags_knn, tags_representative, encoder_decoder, "
                                                "joint, coordinate, coordinate_contrastive, coordinate_pairwise, "
                                                "coordinate_triplet_k1, coordinate_triplet_k32, "
                                                "coordinate_sentiment, gtp_no_sentiment, gtp). The field's other "
                                                "systems run when named: muscaps (a captioning row), muscall "
                                                "(the retrieval table, with the GTP family's embeddings) and title "
                                                "(song-title prediction, its own table).")] = None,
    device: Annotated[str, typer.Option(help="'auto' (CUDA when present, mixed precision), 'cpu', 'cuda', "
                                        "'cuda:N'.")] = "auto",
    micro_batch: Annotated[int | None, typer.Option(min=1, help="Samples per forward pass, accumulated to the "
                                                    "config's batch (default: the config's; paper 1 of 8).")] = None,
    emotion_model: Annotated[Path | None, typer.Option(
        help="A local copy of j-hartmann/emotion-english-distilroberta-base for the sentiment loss and metric "
             "(default: the NRC emotion lexicon).")] = None,
) -> None:
    """Train and evaluate the GTP model and its baselines (the paper's Table 1) on one dataset version."""
    # every option is checked before torch is imported or the dataset read: a mistake costs a second, not a
    # minute of loading, and is one line naming the option
    seed_list, fold_list = int_list("--seeds", seeds), int_list("--folds", folds)
    system_list = name_list("--systems", systems)
    check_out_folder("--out", out)
    from earsense_m2t.model.run import Plan

    try:
        plan = Plan.profile(profile, config, settings, epochs=epochs, seeds=seed_list, folds=fold_list, device=device,
                            micro_batch=micro_batch, systems=system_list)
        plan.check()
    except ValueError as exc:
        fail(f"train: {exc}")
    try:
        import torch  # noqa: F401
    except ImportError:
        fail("train needs the model extra: bash scripts/setup.sh --model")
    from earsense_m2t.model.train import resolve_device

    try:
        resolve_device(device)
    except ValueError as exc:
        fail(f"--device {device}: {str(exc).removeprefix(f'device {device!r}: ')}")
    import datasets

    datasets.disable_progress_bars()  # the run's own lines say what happens
    from earsense_m2t.model.run import train_release
    from earsense_m2t.model.threads import configure_threads
    from earsense_m2t.schemas.training import TrainingRun

    typer.echo(configure_threads(plan.config).describe())  # before any torch work: one place sets every pool
    try:
        result = train_release(dataset, version, plan, out, emotion_model_dir=emotion_model, log=typer.echo)
    except (ValueError, RuntimeError) as exc:
        fail(f"train: {exc}")
    [run] = result.of(TrainingRun)
    typer.echo(Path(run.results_md).read_text(encoding="utf-8"))
    typer.echo(f"units: {result.counts['computed']} evaluated now, {result.counts['reused']} from an earlier call, "
               f"{len(result.failures)} failed\nresults: {run.results_json}")
    if result.failures:
        raise typer.Exit(1)


@app.command()
def evaluate(
    run: Annotated[Path, typer.Option(help="A run folder of `earsense-m2t train`: <out>/v<version>-<config>/.")],
    fold: Annotated[int, typer.Option(min=0, help="The test fold to score (one the run tested).")],
    system: Annotated[str, typer.Option(help="The system whose checkpoint is scored (a TAGS baseline is chosen "
                                        "again).")] = "gtp",
    seed: Annotated[int, typer.Option(min=0, help="The seed of the checkpoint.")] = 0,
    device: Annotated[str, typer.Option(help="'auto', 'cpu', 'cuda', 'cuda:N'.")] = "auto",
    emotion_model: Annotated[Path | None, typer.Option(
        help="A local copy of j-hartmann/emotion-english-distilroberta-base for the sentiment metrics "
             "(default: the NRC emotion lexicon).")] = None,
) -> None:
    """Score a saved checkpoint on its fold without training: the train stage's metrics, in <run>/evaluations/."""
    try:
        import torch  # noqa: F401
    except ImportError:
        fail("evaluate needs the model extra: bash scripts/setup.sh --model")
    from earsense_m2t.model.evaluate import evaluate_checkpoint, run_plan
    from earsense_m2t.model.results import METRIC_TITLES
    from earsense_m2t.model.threads import configure_threads
    from earsense_m2t.model.train import resolve_device

    try:
        _, plan = run_plan(run)
        resolve_device(device)
    except ValueError as exc:
        fail(f"evaluate: {exc}")
    import datasets

    datasets.disable_progress_bars()
    typer.echo(configure_threads(plan.config).describe())
    try:
        payload = evaluate_checkpoint(run, system, fold, seed, device=device, emotion_model_dir=emotion_model,
                                      log=typer.echo)
    except (ValueError, RuntimeError) as exc:
        fail(f"evaluate: {exc}")
    for metric, value in payload["metrics"].items():
        typer.echo(f"  {METRIC_TITLES.get(metric, metric)}: {'—' if value is None else f'{value:.2f}'}")


def int_list(option: str, value: str | None) -> tuple[int, ...] | None:
    """"0,1,2" → (0, 1, 2); anything else is an error naming the option."""
    if value is None:
        return None
    try:
        items = tuple(int(v) for v in value.split(","))
    except ValueError:
        fail(f"{option} {value!r}: comma-separated whole numbers, e.g. 0,1,2")
    if not items or any(v < 0 for v in items):
        fail(f"{option} {value!r}: whole numbers of 0 or more")
    if len(set(items)) != len(items):
        fail(f"{option} {value!r}: a number appears twice")
    return items


def name_list(option: str, value: str | None) -> tuple[str, ...] | None:
    """"a, b" → ("a", "b"); an empty item is an error naming the option (the names are checked by the plan)."""
    if value is None:
        return None
    items = tuple(v.strip() for v in value.split(","))
    if not all(items):
        fail(f"{option} {value!r}: comma-separated names with none empty")
    return items


def check_out_folder(option: str, path: Path) -> None:
    """A folder that exists and can be written, or a path where one can be made: otherwise one line naming it.

    Nothing is created here (a run that stops on a later check leaves no folder behind); writability is
    probed with an unnamed temporary file, which is what the process can really do (``os.access`` says yes to
    root on any folder of a writable file system).
    """
    if path.exists() and not path.is_dir():
        fail(f"{option} {path}: a file is there; give a folder (run folders go inside it)")
    existing = path
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        fail(f"{option} {path}: {existing} is a file, so no folder can be made there")
    try:
        with tempfile.TemporaryFile(dir=existing):
            pass
    except OSError as exc:
        fail(f"{option} {path}: cannot write in {existing} ({exc.strerror or exc})")


deployments_app = typer.Typer(no_args_is_help=True, help="The Prefect deployments of build-dataset (earsense-m2t, "
                              "mini-site, scheduled-refresh) and train-gtp (tiny, gpu): serve them here, or "
                              "register them to a work pool.")
app.add_typer(deployments_app, name="deployments")
app.add_typer(annotations_app, name="annotations")  # aggregate, evaluate, MusAV and Label Studio files

RefreshCron = Annotated[str | None, typer.Option(
    help="Cron schedule of build-dataset/scheduled-refresh (default: weekly, '0 3 * * 1', Mondays 03:00).")]
RefreshTimezone = Annotated[str, typer.Option(help="Time zone of --refresh-cron (IANA name).")]


def prefect_api() -> str:
    """The Prefect server the deployments go to; without one, each process would start its own throwaway server."""
    from earsense_m2t.prefect_server import no_telemetry

    no_telemetry()
    from prefect.settings import get_current_settings

    url = get_current_settings().api.url
    if not url:
        fail("PREFECT_API_URL is not set: start a server (`prefect server start`) and point at it, e.g. "
             "`prefect config set PREFECT_API_URL=http://127.0.0.1:4200/api`")
    return url


def refresh_schedule(cron: str | None, timezone: str) -> tuple[str, str]:
    from prefect.schedules import Cron
    from pydantic import ValidationError

    from earsense_m2t.flows.deployments import REFRESH_CRON

    cron = cron or REFRESH_CRON
    try:
        Cron(cron, timezone=timezone)
    except (ValidationError, ValueError) as exc:
        reason = exc.errors()[0]["msg"] if isinstance(exc, ValidationError) else str(exc)
        fail(f"--refresh-cron {cron!r} / --refresh-timezone {timezone!r}: {reason}")
    return cron, timezone


TrainProfile = Annotated[str, typer.Option(help="Default training profile of train-gtp/tiny and train-gtp/gpu: "
                                           "'full' (every fold, 3 seeds) or 'smoke' (2 folds, 1 seed, 1 epoch).")]


def check_train_profile(profile: str) -> None:
    from earsense_m2t.flows.deployments import TRAIN_PROFILES

    if profile not in TRAIN_PROFILES:
        fail(f"--train-profile {profile!r}: use one of {', '.join(TRAIN_PROFILES)}")


@deployments_app.command("serve")
def deployments_serve(refresh_cron: RefreshCron = None, refresh_timezone: RefreshTimezone = "UTC",
                      train_profile: TrainProfile = "full",
                      schedules: Annotated[bool, typer.Option(
                          help="Activate build-dataset/scheduled-refresh's schedule (runs of the real site); "
                               "--no-schedules serves it inactive: only runs someone starts happen.")] = True) -> None:
    """Create the deployments on the Prefect server and run their flow runs here until interrupted (Ctrl-C);
    train-gtp/gpu goes to the work pool 'gpu' instead, for a worker on a GPU machine. Says at start which
    deployments are served, which schedules are active and when each runs next."""
    check_train_profile(train_profile)
    url = prefect_api()
    cron, timezone = refresh_schedule(refresh_cron, refresh_timezone)
    from earsense_m2t.flows.deployments import GPU_POOL, output_root_note, serve

    typer.echo(f"Serving on {url}; train-gtp/gpu waits in work pool '{GPU_POOL}' for "
               f"`prefect worker start --pool {GPU_POOL}` on a machine with a GPU")
    note = output_root_note()
    if note:
        typer.echo(note, err=True)
    serve(cron, timezone, train_profile, schedules=schedules, announce=typer.echo)


@deployments_app.command("register")
def deployments_register(
    pool: Annotated[str, typer.Option(help="A process work pool (`prefect work-pool create NAME --type process`).")],
    refresh_cron: RefreshCron = None, refresh_timezone: RefreshTimezone = "UTC", train_profile: TrainProfile = "full",
) -> None:
    """Create (or update) the deployments in a process work pool; `prefect worker start --pool NAME` runs them
    (train-gtp/gpu goes to the work pool 'gpu')."""
    check_train_profile(train_profile)
    url = prefect_api()
    cron, timezone = refresh_schedule(refresh_cron, refresh_timezone)
    from earsense_m2t.build_options import OUTPUT_ROOT_ENV, OUTPUT_ROOT_VARIABLE
    from earsense_m2t.flows.deployments import register

    try:
        register(pool, cron, timezone, train_profile)
    except ValueError as exc:
        fail(f"--pool {pool}: {exc} (a process pool: `prefect work-pool create {pool} --type process`)")
    typer.echo(f"Registered build-dataset/earsense-m2t, mini-site, scheduled-refresh and train-gtp/tiny in work pool "
               f"{pool!r} on {url}, and train-gtp/gpu in work pool 'gpu'.\n"
               f"Start a worker where {OUTPUT_ROOT_ENV} is set (or set the Prefect Variable {OUTPUT_ROOT_VARIABLE}):\n"
               f"  prefect worker start --pool {pool}")


def fail(message: str, code: int = 2) -> NoReturn:
    """A user-facing error: one or two lines on stderr and exit code 2 (bad input), never a traceback; text from a
    site in it (a URL, a server's answer) is escaped, so it cannot drive the terminal."""
    typer.echo(f"error: {for_terminal(message, newlines=True)}", err=True)
    raise typer.Exit(code)


if __name__ == "__main__":
    app()

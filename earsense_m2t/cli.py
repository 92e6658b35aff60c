"""The ``earsense-m2t`` command: the actions a researcher runs."""

from __future__ import annotations

import contextlib
import os
import sys
from pathlib import Path
from typing import Annotated, NoReturn

import typer

from earsense_m2t.annotation.cli import app as annotations_app
from earsense_m2t.config import EMBEDDED_SITE, OUTPUT_ROOT, BuildPaths

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="Build the EarSense music-to-text dataset and inspect its pieces.")


@app.command()
def build(
    site: Annotated[str, typer.Option(
        help="Start URL of the site to crawl, or 'embedded' for the bundled mini site.")] = EMBEDDED_SITE,
    out: Annotated[Path, typer.Option(help="Output root (build manifests, caches, the dataset).")] = OUTPUT_ROOT,
    publish: Annotated[bool, typer.Option(help="Publish the dataset at the end.")] = True,
    push_to_hub: Annotated[str | None, typer.Option(help="Also upload the version to this Hub repo id.")] = None,
    search: Annotated[str, typer.Option(help="Search for works whose page lists no recording: 'auto' "
                                        "(YouTube for real sites, off for the mini site), 'off', or a yt-dlp "
                                        "search template with {n} and {query}.")] = "auto",
    wait: Annotated[bool, typer.Option(help="If another build is using --out, wait for it instead of stopping.")]
    = False,
    deadline: Annotated[float | None, typer.Option(help="Seconds the build may take: when they have passed, no new "
                                                   "work starts, what is left is listed as failures, and what "
                                                   "finished is published.")] = None,
    workers: Annotated[int, typer.Option(help="Threads for the per-work segment and features tasks and the "
                                         "annotation excerpts (and Dask "
                                         "processes for --dask local).")] = 2,
    dask: Annotated[str | None, typer.Option(help="Run the segment and features tasks on Dask: 'local' or "
                                             "'local:N' (N processes here), or a scheduler address "
                                             "'tcp://host:8786' (see the README).")] = None,
    download_concurrency: Annotated[int, typer.Option(help="Works whose recordings are downloaded at once.")] = 2,
    train_deployment: Annotated[str, typer.Option(help="The Prefect deployment (FLOW/DEPLOYMENT) a new version "
                                                  "starts, with the version as its 'version' parameter; '' starts "
                                                  "nothing.")] = "train-gtp/gpu",
) -> None:
    """Run the whole build-dataset flow (crawl → acquire → movements → segment → features → annotate → publish)
    here."""
    from earsense_m2t.build_options import BadOption, check_build_options
    from earsense_m2t.flows.runners import check_scale_out
    from earsense_m2t.workdir import BuildLocked, ensure_free

    try:  # before Prefect starts: it stores flow parameters, and a bad option or a busy --out should cost nothing
        check_scale_out(dask, workers, download_concurrency,
                        {"dask": "--dask", "workers": "--workers", "download_concurrency": "--download-concurrency"})
        root = check_build_options(site_url=site, output_root=out, search=search, deadline_s=deadline,
                                   train_deployment=train_deployment)
        if not wait:
            ensure_free(root)
    except (BadOption, BuildLocked) as exc:
        fail(str(exc))
    # a person at a terminal reads the summary; Prefect's run log stays available with PREFECT_LOGGING_LEVEL=INFO
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")  # no telemetry calls from a research build
    os.environ.setdefault("DO_NOT_TRACK", "1")  # the client's switch: the server's alone still let it try
    os.environ.setdefault("DASK_LOGGING__DISTRIBUTED", "warning")  # --dask: no scheduler and worker chatter
    # read by `datasets` when publish imports it (a refresh with nothing to publish never does)
    os.environ.setdefault("HF_DATASETS_DISABLE_PROGRESS_BARS", "1")
    from earsense_m2t.crawlers.crawl import CrawlError
    from earsense_m2t.flows.build import build_dataset
    from earsense_m2t.schemas import RecordError

    try:
        summary = build_dataset(site_url=site, output_root=str(out), publish=publish, push_to_hub=push_to_hub,
                                search=search, wait=wait, deadline_s=deadline, workers=workers, dask=dask,
                                download_concurrency=download_concurrency, train_deployment=train_deployment)
    except (BadOption, BuildLocked) as exc:
        fail(str(exc))
    except CrawlError as exc:
        fail(f"{exc}\nNothing was published.")
    except RecordError as exc:
        fail(f"publish: {len(exc.problems)} invalid record(s), e.g. {exc.problems[0]}; nothing was published "
             f"(all of them: {out}/build/)")
    except Exception as exc:
        from earsense_m2t.publish import PublishError  # here: importing publish loads the datasets stack

        if not isinstance(exc, PublishError):
            raise
        fail(f"publish: {exc}")
    typer.echo(summary.render())
    if publish and summary.rows == 0:
        typer.echo("error: the build produced no rows", err=True)
        raise typer.Exit(1)
    if push_to_hub and summary.failure_counts().get(("publish", "push_failed")):
        typer.echo(f"error: the upload to {push_to_hub} failed (see above); the local version is published", err=True)
        raise typer.Exit(1)


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
    """Read {"article": [paragraphs], "titles": [...]} per line; print {"texts": [...], "confidence": [...]} per line."""
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
            site = stack.enter_context(serve(cache_dir=BuildPaths().minisite_media, port=port, markup=markup))
        except OSError as exc:
            fail(f"--port {port}: cannot serve on 127.0.0.1 ({exc.strerror or exc})")
        typer.echo(f"Mini EarSense site at {site.start_url} (Ctrl-C to stop)")
        with contextlib.suppress(KeyboardInterrupt):
            while True:
                time.sleep(3600)


@app.command("checkout-version")
def checkout_version(
    version: Annotated[str, typer.Argument(help="A published version, e.g. 1.0.0 or v1.0.0.")],
    dataset_dir: Annotated[Path, typer.Option(help="The published dataset repository.")] = BuildPaths().dataset_dir,
) -> None:
    """Materialize an older version into a folder that datasets.load_dataset can read."""
    from earsense_m2t.publish import PublishError, load_version

    if not dataset_dir.exists():
        fail(f"--dataset-dir {dataset_dir}: no published dataset there (build one with `earsense-m2t build`)")
    try:
        path = load_version(dataset_dir, version)
    except (PublishError, ValueError) as exc:
        fail(f"checkout-version {version}: {exc}")
    typer.echo(f"{path}\n  python -c 'import datasets; print(datasets.load_dataset(\"{path}\"))'")


@app.command()
def annotate(
    out: Annotated[Path, typer.Option(help="Output root of a build: its annotation/ folder holds the pool, the "
                                      "triplets and the judgments.")] = OUTPUT_ROOT,
    host: Annotated[str, typer.Option(help="Address to listen on; loopback only unless --allow-remote.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=0, max=65535, help="Port (0 = any free port).")] = 8765,
    allow_remote: Annotated[bool, typer.Option(help="Allow a --host other than loopback (the page has no login: "
                                               "anyone who reaches it can submit judgments).")] = False,
) -> None:
    """Serve the annotation page: people compare pairs of excerpts; judgments go to <out>/annotation/judgments.sqlite."""
    from earsense_m2t.annotation.paths import AnnotationPaths
    from earsense_m2t.annotation.store import StoreError
    from earsense_m2t.annotation.webapp import NoPool, check_host, serve_forever

    refusal = check_host(host, allow_remote)
    if refusal:
        fail(refusal)
    try:
        serve_forever(AnnotationPaths(out).dir, host=host, port=port, announce=typer.echo)
    except NoPool as exc:
        fail(str(exc))
    except (StoreError, ValueError) as exc:
        fail(f"annotate: {exc}")
    except OSError as exc:
        fail(f"--host {host} --port {port}: cannot listen there ({exc.strerror or exc})")


deployments_app = typer.Typer(no_args_is_help=True, help="The Prefect deployments of build-dataset (earsense-m2t, "
                              "mini-site, scheduled-refresh): serve them here, or register them to a work pool.")
app.add_typer(deployments_app, name="deployments")
app.add_typer(annotations_app, name="annotations")  # aggregate, evaluate, MusAV and Label Studio files

RefreshCron = Annotated[str | None, typer.Option(
    help="Cron schedule of build-dataset/scheduled-refresh (default: weekly, '0 3 * * 1', Mondays 03:00).")]
RefreshTimezone = Annotated[str, typer.Option(help="Time zone of --refresh-cron (IANA name).")]


def prefect_api() -> str:
    """The Prefect server the deployments go to; without one, each process would start its own throwaway server."""
    from earsense_m2t.flows.deployments import no_telemetry

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


@deployments_app.command("serve")
def deployments_serve(refresh_cron: RefreshCron = None, refresh_timezone: RefreshTimezone = "UTC") -> None:
    """Create the deployments on the Prefect server and run their flow runs here until interrupted (Ctrl-C)."""
    url = prefect_api()
    cron, timezone = refresh_schedule(refresh_cron, refresh_timezone)
    from earsense_m2t.flows.deployments import output_root_note, serve

    typer.echo(f"Serving the build-dataset deployments on {url}")
    note = output_root_note()
    if note:
        typer.echo(note, err=True)
    serve(cron, timezone)


@deployments_app.command("register")
def deployments_register(
    pool: Annotated[str, typer.Option(help="A process work pool (`prefect work-pool create NAME --type process`).")],
    refresh_cron: RefreshCron = None, refresh_timezone: RefreshTimezone = "UTC",
) -> None:
    """Create (or update) the deployments in a process work pool; `prefect worker start --pool NAME` runs them."""
    url = prefect_api()
    cron, timezone = refresh_schedule(refresh_cron, refresh_timezone)
    from earsense_m2t.build_options import OUTPUT_ROOT_ENV, OUTPUT_ROOT_VARIABLE
    from earsense_m2t.flows.deployments import register

    try:
        register(pool, cron, timezone)
    except ValueError as exc:
        fail(f"--pool {pool}: {exc} (a process pool: `prefect work-pool create {pool} --type process`)")
    typer.echo(f"Registered build-dataset/earsense-m2t, mini-site and scheduled-refresh in work pool {pool!r} on {url}.\n"
               f"Start a worker where {OUTPUT_ROOT_ENV} is set (or set the Prefect Variable {OUTPUT_ROOT_VARIABLE}):\n"
               f"  prefect worker start --pool {pool}")


def fail(message: str, code: int = 2) -> NoReturn:
    """A user-facing error: one or two lines on stderr and exit code 2 (bad input), never a traceback."""
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


if __name__ == "__main__":
    app()

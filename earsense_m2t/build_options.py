"""The build's options, checked before any work starts, each error naming the option it is about.

A wrong ``--search`` placeholder used to surface only after the crawl and every download; a URL
with a password in it was echoed to the terminal and stored by Prefect. Here every option is read
once, up front, and a bad one is one line that names it (and never repeats a credential).

The build has two doors, the ``build`` command and the ``build-dataset`` flow's parameters (a deployment
run is started with ``--param NAME=VALUE``, so there the message names the parameter, not the command-line
option). Both take their defaults from the constants here and check with :func:`check_build_options`,
the one check of every option; the command runs it before Prefect starts, because Prefect stores a flow
run's parameters and a bad option (a URL with a password) must not get that far. The download limits'
defaults are :class:`earsense_m2t.acquire.Limits`, the stage's own, with the reason for each. This module
also says where a deployment's build writes when its run names no ``output_root``.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from urllib.parse import urlsplit

from earsense_m2t.config import EMBEDDED_SITE
from earsense_m2t.egress import redact

#: ``--search`` values that are not templates
SEARCH_KEYWORDS = ("auto", "off", "none", "")
#: the defaults of the build's options (the command's and the flow's); the download limits' are the stage's
DEFAULT_SITE = EMBEDDED_SITE
DEFAULT_SEARCH = "auto"
#: segment and features tasks at once: threads in the flow's process, or the processes of ``dask='local'``
DEFAULT_WORKERS = 2
#: downloads at once (polite to the hosts, and enough to keep busy)
DEFAULT_DOWNLOAD_CONCURRENCY = 2
#: the deployment a new version of a flow run starts (``FLOW/DEPLOYMENT``; ``deployments serve`` serves it);
#: the ``build`` command starts none unless ``--train-deployment`` is given
DEFAULT_TRAIN_DEPLOYMENT = "train-gtp/gpu"
#: where a deployment's build writes when its run gives no ``output_root``: this environment variable of
#: the process that runs the flow (``deployments serve`` or a worker), else this Prefect Variable. Both
#: must hold an absolute path: a relative one would land in whatever folder that process works in.
OUTPUT_ROOT_ENV = "EARSENSE_M2T_OUT"
OUTPUT_ROOT_VARIABLE = "earsense_m2t_out"
#: the command line's name for each option the flow takes as a parameter (``build`` names these)
CLI_OPTIONS: Mapping[str, str] = {"site_url": "--site", "output_root": "--out", "search": "--search",
                                  "deadline_s": "--deadline", "train_deployment": "--train-deployment",
                                  "workers": "--workers", "render_workers": "--render-workers", "dask": "--dask",
                                  "download_concurrency": "--download-concurrency",
                                  "audio_sample_rate_hz": "--audio-sample-rate", "audio_format": "--audio-format"}
#: ``build --audio``: the exported audio's defaults (16 kHz mono FLAC) and the formats it can take
DEFAULT_AUDIO_SAMPLE_RATE_HZ = 16000
DEFAULT_AUDIO_FORMAT = "flac"
AUDIO_FORMATS = ("flac", "wav")
_LOCAL_DASK = re.compile(r"local(?::(\d+))?")
_DASK_ADDRESS = re.compile(r"(tcp|tls|ws|wss)://[^\s/:]+:\d+/?")


class BadOption(ValueError):
    """An option the build cannot run with; ``str()`` is the message for a person."""

    def __init__(self, option: str, message: str) -> None:
        super().__init__(f"{option}: {message}")
        self.option = option


def check_site(site_url: str, option: str = "--site") -> None:
    if site_url == EMBEDDED_SITE:
        return
    try:
        parts = urlsplit(site_url)
        _ = parts.port
    except ValueError as exc:
        raise BadOption(option, f"not a valid URL ({exc})") from None
    if parts.username is not None or parts.password is not None:
        raise BadOption(option, f"{redact(site_url)} carries credentials in the URL; a site needs none, "
                                "and anything in the URL would be logged and stored")
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise BadOption(option, f"{site_url!r} is not an http(s) URL with a host (or '{EMBEDDED_SITE}' for the "
                                "bundled mini site)")


def check_output_root(output_root: str | os.PathLike[str], option: str = "--out") -> Path:
    """The output root, created if needed; an error names it when it cannot be created or written."""
    root = Path(output_root)
    try:
        root.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise BadOption(option, f"cannot create {root} ({exc.strerror or exc})") from None
    if not os.access(root, os.W_OK | os.X_OK):
        raise BadOption(option, f"{root} is not writable")
    return root


def check_search(search: str, option: str = "--search") -> None:
    if search in SEARCH_KEYWORDS:
        return
    if "{query}" not in search:
        raise BadOption(option, f"{search!r} has no {{query}} placeholder (use e.g. 'ytsearch{{n}}:{{query}}', "
                                "'auto' or 'off')")
    try:
        search.format(n=1, query="x")
    except (KeyError, IndexError, ValueError) as exc:
        raise BadOption(option, f"{search!r} is not a valid template: only {{n}} and {{query}} may be used "
                                f"({type(exc).__name__}: {exc})") from None


def check_deadline(deadline_s: float | None, option: str = "--deadline") -> None:
    if deadline_s is not None and not deadline_s > 0:
        raise BadOption(option, f"{deadline_s!r} is not a positive number of seconds")


def check_positive(value: object, option: str, *, integer: bool = False) -> None:
    """A limit: a finite number above zero (a whole one when ``integer``)."""
    if (isinstance(value, bool) or not isinstance(value, int | float) or (integer and not isinstance(value, int))
            or not math.isfinite(value) or value <= 0):
        raise BadOption(option, f"{value!r} is not a positive {'whole number' if integer else 'number'}")


def check_train_deployment(name: str, option: str = "train_deployment") -> None:
    """``FLOW/DEPLOYMENT`` (what ``run_deployment`` and ``prefect deployment run`` take), or empty for none."""
    if name == "":
        return
    flow_name, slash, deployment = name.partition("/")
    if not slash or not flow_name.strip() or not deployment.strip() or "/" in deployment or name != name.strip():
        raise BadOption(option, f"{name!r} is not FLOW/DEPLOYMENT (e.g. 'train-gtp/gpu'), or '' to trigger nothing")


def check_count(value: object, option: str) -> None:
    """A number of threads, processes or tasks at once: a whole number of at least 1."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise BadOption(option, f"{value!r} is not a whole number of at least 1")


def check_dask(dask: str | None, option: str = "--dask") -> None:
    """None or '' (threads here), 'local', 'local:N' (N >= 1 processes here), or a scheduler's address."""
    if dask is None or dask == "":
        return
    local = _LOCAL_DASK.fullmatch(dask)
    if local and (local.group(1) is None or int(local.group(1)) >= 1):
        return
    if _DASK_ADDRESS.fullmatch(dask):
        return
    raise BadOption(option, f"{dask!r} is neither 'local', 'local:N' (N worker processes on this machine) nor a "
                            "scheduler address such as 'tcp://host:8786'")


def local_dask_processes(dask: str, workers: int) -> int | None:
    """The processes of a local Dask cluster (``local:N``: N; ``local``: ``workers``), None for an address."""
    local = _LOCAL_DASK.fullmatch(dask)
    return None if local is None else int(local.group(1) or workers)


def resolve_output_root(output_root: str | None, *, deployment_run: bool, env: Mapping[str, str] = os.environ,
                        variable: Callable[[str], object] | None = None) -> str:
    """The output root a flow run uses: its ``output_root`` parameter, else ``EARSENSE_M2T_OUT``, else the
    Prefect Variable ``earsense_m2t_out`` (``variable`` reads one by name; None when it is not set).

    A deployment run (``deployment_run``) must end up with an absolute path: it runs in the folder of
    whichever process picked it up (``deployments serve``, a worker), which is nobody's choice.
    """
    if output_root:
        if deployment_run and not Path(output_root).is_absolute():
            raise BadOption("output_root", f"{output_root!r} is a relative path; a deployment's run works in the folder of "
                                           "the process that runs it, so give an absolute path")
        return output_root
    from_env = env.get(OUTPUT_ROOT_ENV, "")
    if from_env:
        if not Path(from_env).is_absolute():
            raise BadOption(OUTPUT_ROOT_ENV, f"{from_env!r} is a relative path; set it to an absolute one")
        return from_env
    from_variable = variable(OUTPUT_ROOT_VARIABLE) if variable is not None else None
    if from_variable:
        if not isinstance(from_variable, str) or not Path(from_variable).is_absolute():
            raise BadOption(f"Prefect Variable {OUTPUT_ROOT_VARIABLE}", f"{from_variable!r} is not an absolute path")
        return from_variable
    raise BadOption("output_root", f"not given, and neither the environment variable {OUTPUT_ROOT_ENV} nor the Prefect "
                                   f"Variable {OUTPUT_ROOT_VARIABLE} is set; set one of them to an absolute path (e.g. "
                                   f"`export {OUTPUT_ROOT_ENV}=$PWD/local` before `earsense-m2t deployments serve`, or "
                                   f"`prefect variable set {OUTPUT_ROOT_VARIABLE} /data/earsense-m2t`)")


def check_build_options(*, site_url: str, output_root: str | os.PathLike[str], search: str,
                        deadline_s: float | None = None, limits: Mapping[str, float] | None = None,
                        train_deployment: str = "", workers: int = DEFAULT_WORKERS,
                        render_workers: int | None = None, dask: str | None = None,
                        download_concurrency: int = DEFAULT_DOWNLOAD_CONCURRENCY,
                        audio_sample_rate_hz: int = DEFAULT_AUDIO_SAMPLE_RATE_HZ,
                        audio_format: str = DEFAULT_AUDIO_FORMAT,
                        names: Mapping[str, str] = CLI_OPTIONS) -> Path:
    """All the build's options at once, before any work; returns the (created) output root.

    ``names`` says what to call each option in a message: the command line's ``--site`` (the default)
    or, from the flow, the parameter's own name. ``limits`` are download limits by parameter name
    (``max_bytes`` must be a whole number); each must be above zero. ``render_workers`` None: the
    annotate stage's own default.
    """
    def name(parameter: str) -> str:
        return names.get(parameter, parameter)

    check_count(workers, name("workers"))
    if render_workers is not None:
        check_count(render_workers, name("render_workers"))
    check_count(download_concurrency, name("download_concurrency"))
    if isinstance(audio_sample_rate_hz, bool) or not isinstance(audio_sample_rate_hz, int) \
            or not 8000 <= audio_sample_rate_hz <= 192000:
        raise BadOption(name("audio_sample_rate_hz"), f"{audio_sample_rate_hz!r} is not a sample rate in Hz "
                                                      "(a whole number from 8000 to 192000)")
    if audio_format not in AUDIO_FORMATS:
        raise BadOption(name("audio_format"), f"{audio_format!r} is not one of {', '.join(AUDIO_FORMATS)}")
    check_dask(dask, name("dask"))
    check_deadline(deadline_s, name("deadline_s"))
    for parameter, value in (limits or {}).items():
        check_positive(value, name(parameter), integer=parameter == "max_bytes")
    check_train_deployment(train_deployment, name("train_deployment"))
    check_site(site_url, name("site_url"))
    check_search(search, name("search"))
    return check_output_root(output_root, name("output_root"))

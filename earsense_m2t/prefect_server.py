"""Prefect's temporary API server for a build run here: started robustly, and ended with its build.

Without ``PREFECT_API_URL``, Prefect starts a throwaway ``uvicorn`` server as a subprocess on first use
(``prefect.server.api.server.SubprocessASGIServer``) and waits ``PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS``
(20 s) for it. On a loaded machine that wait ran out and the build died with a long traceback; and since
Prefect stops the server only ``atexit``, a build ended by SIGTERM or ``kill -9`` left the server (~220 MB)
running under PID 1. :func:`start_temporary_server` starts it before the flow — at least
:data:`STARTUP_TIMEOUT_S`, a second try after a failed one, and :class:`ServerDidNotStart` (one line, with
what to do) when both fail — as a child that the kernel sends SIGTERM when the build's process dies
(Linux ``PR_SET_PDEATHSIG``). Prefect's clients then find this running server (it is the instance
``SubprocessASGIServer()`` returns) and start no other.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from typing import Any

#: Prefect's telemetry off, for a build run here (the CLI's) and for the deployments' flow runs (their job
#: variables): the server's switch, and the client's (``DO_NOT_TRACK``: the server's alone still let it try)
NO_TELEMETRY = {"PREFECT_SERVER_ANALYTICS_ENABLED": "false", "DO_NOT_TRACK": "1"}
STARTUP_TIMEOUT_S = 60  # a floor: a larger PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS is kept
ATTEMPTS = 2
_PR_SET_PDEATHSIG = 1


class ServerDidNotStart(RuntimeError):
    """Both tries to start Prefect's temporary server ran out of time (or the server exited)."""

    def __init__(self, timeout_s: int, attempts: int) -> None:
        tried = "tried twice" if attempts == 2 else f"tried {attempts} times"
        super().__init__(f"Prefect's temporary server did not start within {timeout_s} s ({tried}); the machine "
                         "may be busy: try again, or start a server with `prefect server start` and set "
                         "PREFECT_API_URL")
        self.timeout_s = timeout_s
        self.attempts = attempts


def no_telemetry() -> None:
    """Turn Prefect's telemetry off in this process and the ones it starts (before Prefect is imported); a
    variable already set is kept."""
    for name, value in NO_TELEMETRY.items():
        os.environ.setdefault(name, value)


def _die_with_parent_hook() -> Callable[[], None] | None:
    """A ``preexec_fn`` that has the child sent SIGTERM when this process dies (Linux), else None."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None
    parent = os.getpid()

    def hook() -> None:
        prctl(_PR_SET_PDEATHSIG, int(signal.SIGTERM), 0, 0, 0)
        if os.getppid() != parent:  # the parent died before the request was in place
            os._exit(1)

    return hook


class _PopenDyingWithParent:
    """``subprocess`` as Prefect's server module sees it while it starts the server: Popen gets the hook."""

    def __init__(self, hook: Callable[[], None]) -> None:
        self._hook = hook

    def Popen(self, *args: Any, **kwargs: Any) -> subprocess.Popen[Any]:  # noqa: N802 - subprocess's name
        kwargs.setdefault("preexec_fn", self._hook)
        return subprocess.Popen(*args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(subprocess, name)


@contextlib.contextmanager
def _server_children_die_with_parent() -> Iterator[None]:
    from prefect.server.api import server as prefect_server

    hook = _die_with_parent_hook()
    if hook is None:
        yield
        return
    saved = prefect_server.subprocess
    prefect_server.subprocess = _PopenDyingWithParent(hook)  # type: ignore[assignment]
    try:
        yield
    finally:
        prefect_server.subprocess = saved


def _server_class() -> type[Any]:
    from prefect.server.api.server import SubprocessASGIServer

    class DyingWithBuildServer(SubprocessASGIServer):
        """Prefect's subprocess server, whose uvicorn child ends when the build's process ends."""

        def _run_uvicorn_command(self) -> subprocess.Popen[Any]:
            with _server_children_die_with_parent():
                return super()._run_uvicorn_command()

    return DyingWithBuildServer


def needs_temporary_server() -> bool:
    """True when Prefect would start its temporary server: no PREFECT_API_URL and ephemeral mode allowed."""
    from prefect.settings import PREFECT_API_URL, PREFECT_SERVER_EPHEMERAL_ENABLED

    return not PREFECT_API_URL.value() and bool(PREFECT_SERVER_EPHEMERAL_ENABLED.value())


def startup_timeout_s() -> int:
    from prefect.settings import PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS

    return max(int(PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS.value()), STARTUP_TIMEOUT_S)


def start_temporary_server(*, timeout_s: int | None = None, attempts: int = ATTEMPTS) -> Any:
    """Start Prefect's temporary server for this process (no-op with PREFECT_API_URL set); return it or None.

    Each try waits ``timeout_s`` (default :func:`startup_timeout_s`); a failed try's process is stopped
    before the next. Raises :class:`ServerDidNotStart` when every try failed.
    """
    if not needs_temporary_server():
        return None
    from prefect.server.api.server import SubprocessASGIServer

    timeout = timeout_s if timeout_s is not None else startup_timeout_s()
    cls = _server_class()
    for _ in range(attempts):
        current = SubprocessASGIServer._instances.get(None)
        if current is not None and current.running:
            return current
        SubprocessASGIServer._instances.pop(None, None)
        server = cls()  # registers itself as the instance SubprocessASGIServer() returns
        try:
            server.start(timeout=timeout)
        except Exception:  # noqa: BLE001 - Prefect raises RuntimeError (timeout) or httpx errors (bad health)
            server.stop()  # a slow server still starting is no use and must not outlive the build
            continue
        return server
    raise ServerDidNotStart(timeout, attempts)

"""Progress bars for a build run from a terminal: one line for the stages, one per stage's items.

The per-work stages' bars advance as their tasks finish (``track``); annotate and publish, single tasks,
report their own steps (``steps``: annotate per excerpt, publish per step of the release); and each
download in progress has a line of its own (``download``: which recording, how many bytes, what share).

Drawn (with ``rich``, on stderr, cleared when the build ends) only when stdout is a terminal, so a
build in a pipe, a log file, a test or a Prefect worker prints nothing extra. Nothing here sends
anything anywhere.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, TypeVar, cast

from prefect.futures import PrefectFuture, as_completed

if TYPE_CHECKING:
    from earsense_m2t.acquire import DownloadProgress

F = TypeVar("F", bound=PrefectFuture[Any])


def _ignore(done: int, total: int) -> None:
    """The report of a stage's steps when no bar is drawn."""


class BuildProgress:
    """``stage(name)`` marks a stage started; ``track(futures, name)`` yields futures as they finish."""

    def __init__(self, stages: Sequence[str], enabled: bool | None = None) -> None:
        self.enabled = sys.stdout.isatty() if enabled is None else enabled
        self._progress: Any = None
        self._stages = list(stages)
        self._overall: Any = None
        self._downloads: dict[str, Any] = {}  # url -> its line, while it downloads
        self._lock = threading.Lock()  # downloads report from the acquire threads

    def __enter__(self) -> BuildProgress:
        if self.enabled:
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

            self._progress = Progress(TextColumn("{task.description:<22}"), BarColumn(), MofNCompleteColumn(),
                                      TimeElapsedColumn(), console=Console(file=sys.stderr), transient=True)
            self._progress.start()
            self._overall = self._progress.add_task("build", total=len(self._stages))
        return self

    def __exit__(self, *exc: object) -> None:
        if self._progress is not None:
            self._progress.stop()
            self._progress = None

    def stage(self, name: str) -> None:
        """``name`` has started: the stages line says so (one step per stage)."""
        if self._progress is not None:
            done = self._stages.index(name) if name in self._stages else 0
            self._progress.update(self._overall, completed=done, description=f"build: {name}")

    def track(self, futures: Sequence[F], name: str) -> Iterator[F]:
        """The futures in the order they finish, a bar of ``name`` advancing with each."""
        if self._progress is None:
            yield from cast(Iterator[F], as_completed(list(futures)))
            return
        bar = self._progress.add_task(f"  {name}", total=len(futures))
        try:
            for future in cast(Iterator[F], as_completed(list(futures))):
                self._progress.advance(bar)
                yield future
        finally:
            self._progress.remove_task(bar)


    @contextmanager
    def steps(self, name: str) -> Iterator[Callable[[int, int], None]]:
        """While the block runs, a bar of ``name``'s own steps, moved by the ``report(done, total)`` it yields
        (a stage calls it as it goes); with no bars drawn, the report does nothing."""
        if self._progress is None:
            yield _ignore
            return
        progress = self._progress
        bar = progress.add_task(f"  {name}", total=None)

        def report(done: int, total: int) -> None:
            progress.update(bar, completed=done, total=total)

        try:
            yield report
        finally:
            progress.remove_task(bar)

    def download(self, status: DownloadProgress) -> None:
        """One download's progress (the acquire stage's ``on_download``): a line per download in progress,
        naming the recording, with its bytes and share; removed when it ends."""
        if self._progress is None:
            return
        from rich.markup import escape

        from earsense_m2t.escape import for_terminal

        text = f"    ↓ {escape(for_terminal(short_url(status.line())))}"
        # the bar and its count in percent (the line has the bytes); a size the server did not say: no bar
        share = dict(total=100, completed=100 * status.downloaded_bytes / status.total_bytes) if status.total_bytes \
            else dict(total=None, completed=0)
        with self._lock:
            line = self._downloads.get(status.url)
            if status.finished:
                if line is not None:
                    self._progress.remove_task(self._downloads.pop(status.url))
                return
            if line is None:
                self._downloads[status.url] = self._progress.add_task(text, **share)
            else:
                self._progress.update(line, description=text, **share)


#: a download's line names its recording by at most this many characters of its URL (the end, which has the id)
URL_WIDTH = 48


def short_url(line: str) -> str:
    """``line`` (``URL: progress``) with the URL's scheme dropped and, past :data:`URL_WIDTH`, its start."""
    url, sep, rest = line.rpartition(": ")
    url = url.split("://", 1)[-1]
    if len(url) > URL_WIDTH:
        url = "…" + url[-(URL_WIDTH - 1):]
    return f"{url}{sep}{rest}"


@contextmanager
def build_progress(stages: Sequence[str], enabled: bool | None = None) -> Iterator[BuildProgress]:
    with BuildProgress(stages, enabled) as progress:
        yield progress


__all__ = ["BuildProgress", "build_progress"]

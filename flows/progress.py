"""Progress bars for a build run from a terminal: one line for the stages, one per stage's items.

Drawn (with ``rich``, on stderr, cleared when the build ends) only when stdout is a terminal, so a
build in a pipe, a log file, a test or a Prefect worker prints nothing extra. Nothing here sends
anything anywhere.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any, TypeVar, cast

from prefect.futures import PrefectFuture, as_completed

F = TypeVar("F", bound=PrefectFuture[Any])


class BuildProgress:
    """``stage(name)`` marks a stage started; ``track(futures, name)`` yields futures as they finish."""

    def __init__(self, stages: Sequence[str], enabled: bool | None = None) -> None:
        self.enabled = sys.stdout.isatty() if enabled is None else enabled
        self._progress: Any = None
        self._stages = list(stages)
        self._overall: Any = None

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
def build_progress(stages: Sequence[str], enabled: bool | None = None) -> Iterator[BuildProgress]:
    with BuildProgress(stages, enabled) as progress:
        yield progress


__all__ = ["BuildProgress", "build_progress"]

"""One build at a time per output root, and no leftovers from a killed one.

Two builds on one ``--out`` used to both do all the work and, with different sites, mix their
manifests. The lock is an advisory ``flock`` on ``<out>/.build.lock`` (``OutputLayout.lock_file``), released by the kernel when
the process dies, so a killed build never leaves a stale lock. The file says who holds it.
Temporary files and folders a killed build left behind are removed by the next one, under the lock.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import socket
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from earsense_m2t.schemas.layout import OutputLayout


class BuildLocked(RuntimeError):
    """Another build holds the output root; the message says which one."""


def _holder(lock_file: Path) -> str:
    try:
        info = json.loads(lock_file.read_text(encoding="utf-8") or "{}")
    except (OSError, ValueError):
        info = {}
    if not info:
        return "another build"
    return f"build pid {info.get('pid')} on {info.get('host')} (started {info.get('started_at')})"


_HELD_FOR_THE_FLOW: set[Path] = set()  # roots held with reentrant=True: the flow this process runs may re-take them


@contextlib.contextmanager
def build_lock(root: Path, *, wait: bool = False, reentrant: bool = False) -> Iterator[None]:
    """Hold ``root`` for this build; raise :class:`BuildLocked` at once when it is held (or wait).

    ``reentrant``: the build this process runs next may take the lock again (it passes at once).
    `earsense-m2t build` holds it so before it starts Prefect: a busy ``--out`` is said in one line
    before any Prefect output, and no second build slips in while this one's Prefect starts.
    """
    root.mkdir(parents=True, exist_ok=True)
    key = root.resolve()
    if key in _HELD_FOR_THE_FLOW:
        yield
        return
    lock_file = OutputLayout(root).lock_file
    with open(lock_file, "a+", encoding="utf-8") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            raise BuildLocked(f"{root} is in use by {_holder(lock_file)}; wait for it to finish or run with "
                              "--wait") from None
        fh.seek(0)
        fh.truncate()
        fh.write(json.dumps({"pid": os.getpid(), "host": socket.gethostname(),
                             "started_at": datetime.now(UTC).isoformat(timespec="seconds")}))
        fh.flush()
        if reentrant:
            _HELD_FOR_THE_FLOW.add(key)
        try:
            yield
        finally:
            _HELD_FOR_THE_FLOW.discard(key)
            fh.seek(0)
            fh.truncate()
            fcntl.flock(fh, fcntl.LOCK_UN)


def ensure_free(root: Path) -> None:
    """Raise :class:`BuildLocked` now if another build holds ``root`` (a cheap check before any work)."""
    with build_lock(root):
        pass


def leftovers(root: Path) -> list[Path]:
    """Temporary files and folders only a build that was killed leaves behind (call under the lock).

    The crawl's spider output (``build/.crawl-*``), half-finished downloads (dot-folders in the media
    cache) and atomic writes that never reached their rename (``.*.part``). Publish sweeps its own
    staging folders when it starts.
    """
    layout = OutputLayout(root)
    found = layout.build.crawls_in_progress()
    media = layout.media_cache
    if media.is_dir():
        found += [p for shard in media.iterdir() if shard.is_dir() for p in shard.glob(".*") if p.is_dir()]
    for folder in (layout.build_dir, layout.derived_cache, media):
        if folder.is_dir():
            found += folder.rglob(".*.part")
    return sorted(found)


def sweep_leftovers(root: Path) -> list[Path]:
    removed = leftovers(root)
    for path in removed:
        if path.is_dir():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)
    return removed

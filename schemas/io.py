"""Reading and writing record manifests, atomically.

Manifests are JSON Lines (one record per line, like lhotse's): they keep nested tuples, stream, and
polars reads them straight into a table (``pl.read_ndjson``). Every write goes to a temporary name in
the same folder and is renamed into place, so a killed run never leaves half a file behind.

A write that finds the disk full (``ENOSPC``, or a quota's ``EDQUOT``) raises :class:`DiskFull`, naming the
file and the space it needed, instead of an ``OSError``: a stage does not count it as one item's failure
(every later item would fail the same way), and the command turns it into one line naming the stage.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

from earsense_m2t.schemas.records import Record

R = TypeVar("R", bound=Record)


#: what a full disk (or a full quota) sets as ``OSError.errno``
DISK_FULL_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT})


def _megabytes(n: int) -> str:
    return f"{n / (1 << 20):.1f} MB"


def free_bytes(path: str | os.PathLike[str]) -> int | None:
    """Free bytes on the filesystem of ``path`` (its nearest existing folder), or None when that cannot be told."""
    folder = Path(path)
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    try:
        return shutil.disk_usage(folder).free
    except OSError:
        return None


class DiskFull(Exception):
    """The disk filled up while ``path`` was written; ``needed``: the bytes that write needed (None: not known),
    ``stage``: the stage that wrote it ('' until the stage says). Pickles (a Dask worker may raise it)."""

    def __init__(self, path: str | os.PathLike[str], needed: int | None = None, stage: str = "") -> None:
        self.path, self.needed, self.stage = str(path), needed, stage
        free = free_bytes(self.path)
        need = f"it needs about {_megabytes(needed)}" if needed else "it needs more space"
        have = "" if free is None else f"; {_megabytes(free)} free there"
        super().__init__(f"{stage + ': ' if stage else ''}the disk is full writing {self.path} ({need}{have})")

    def __reduce__(self) -> tuple[type[DiskFull], tuple[str, int | None, str]]:
        return DiskFull, (self.path, self.needed, self.stage)

    def in_stage(self, stage: str) -> DiskFull:
        """The same, naming ``stage`` (unless a stage is named already)."""
        return self if self.stage else DiskFull(self.path, self.needed, stage)


def disk_full(exc: BaseException, path: str | os.PathLike[str], needed: int | None = None,
              stage: str = "") -> DiskFull | None:
    """``exc`` as a :class:`DiskFull` when it is one (a DiskFull, or an OSError of a full disk), else None."""
    if isinstance(exc, DiskFull):
        return exc.in_stage(stage) if stage else exc
    if isinstance(exc, OSError) and exc.errno in DISK_FULL_ERRNOS:
        return DiskFull(exc.filename or path, needed, stage)
    return None


@contextlib.contextmanager
def disk_full_as(path: str | os.PathLike[str], needed: int | None = None, stage: str = "") -> Iterator[None]:
    """Turn a full disk inside the block into :class:`DiskFull` naming ``path`` (or the OSError's own file)."""
    try:
        yield
    except (OSError, DiskFull) as exc:
        full = disk_full(exc, path, needed, stage)
        if full is None:
            raise
        raise full from exc


@contextlib.contextmanager
def atomic_path(target: str | os.PathLike[str], needed: int | None = None) -> Iterator[Path]:
    """Yield a temporary path beside ``target``; rename it onto ``target`` only if the block succeeds.

    A full disk, in the block or in the rename, is a :class:`DiskFull` naming ``target`` and ``needed`` (the
    bytes the file needs, when the caller knows)."""
    target = Path(target)
    with disk_full_as(target, needed):
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
        os.close(fd)
    tmp_path = Path(tmp)
    try:
        with disk_full_as(target, needed):
            yield tmp_path
            os.replace(tmp_path, target)
    finally:
        tmp_path.unlink(missing_ok=True)


def atomic_write_bytes(target: str | os.PathLike[str], data: bytes) -> None:
    with atomic_path(target, needed=len(data)) as tmp:
        tmp.write_bytes(data)


def atomic_write_text(target: str | os.PathLike[str], text: str) -> None:
    atomic_write_bytes(target, text.encode("utf-8"))


def write_records(path: str | os.PathLike[str], records: Iterable[Record]) -> int:
    """Write a manifest; returns the number of records written."""
    n = 0
    with atomic_path(path) as tmp, tmp.open("w", encoding="utf-8") as fh:
        for rec in records:
            fh.write(json.dumps(rec.to_dict(), ensure_ascii=False, sort_keys=True))
            fh.write("\n")
            n += 1
    return n


def read_records(path: str | os.PathLike[str], cls: type[R]) -> list[R]:
    """Read a manifest; a malformed line raises naming the file and line number."""
    path = Path(path)
    out: list[R] = []
    with path.open(encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                out.append(cls.from_dict(json.loads(line)))
            except (ValueError, TypeError) as exc:
                raise ValueError(f"{path}:{lineno}: not a valid {cls.__name__} record: {exc}") from exc
    return out


def sha256_file(path: str | os.PathLike[str], chunk_size: int = 1 << 20) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(chunk_size):
            digest.update(chunk)
    return digest.hexdigest()


def content_key(*parts: object) -> str:
    """A stable key for derived files: hash of (input hash, parameters, code version)."""
    text = json.dumps(parts, sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# ---- derived files: what their completion marker records, and checking a file against it -------------------
# Shared by the features stage (reuse) and publish (nothing unverified is published), so publish does
# not have to import the audio stack to check a checksum.

def describe_file(path: str | os.PathLike[str], shape: Sequence[int]) -> dict[str, Any]:
    """What a sidecar records about one derived file so that it can be verified before reuse or publication."""
    path = Path(path)
    return {"file": path.name, "bytes": path.stat().st_size, "shape": [int(n) for n in shape],
            "sha256": sha256_file(path)}


def verify_file(path: str | os.PathLike[str], recorded: Mapping[str, Any] | None) -> str | None:
    """Why ``path`` is not the file ``recorded`` (from :func:`describe_file`) describes, or None when it is.

    The cheap checks come first (byte size, then the shape in the file's header), the sha256 last.
    """
    path = Path(path)
    if not isinstance(recorded, Mapping) or not recorded.get("sha256"):
        return f"{path}: the sidecar records no checksum for it (written before checksums were kept)"
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        return f"{path}: missing"
    if size != recorded.get("bytes"):
        return f"{path}: {size} bytes, the sidecar records {recorded.get('bytes')}"
    try:
        shape = _file_shape(path)
    except (OSError, ValueError, RuntimeError) as exc:  # soundfile's LibsndfileError is a RuntimeError
        return f"{path}: unreadable header ({exc})"
    if list(shape) != list(recorded.get("shape") or ()):
        return f"{path}: shape {list(shape)}, the sidecar records {recorded.get('shape')}"
    digest = sha256_file(path)
    if digest != recorded["sha256"]:
        return f"{path}: sha256 {digest[:12]}… differs from the sidecar's {str(recorded['sha256'])[:12]}…"
    return None


def verify_spectrogram(path: str | os.PathLike[str]) -> str | None:
    """Why the spectrogram at ``path`` cannot be trusted, or None when it matches the checksum its sidecar
    (``<stem>.json`` beside it, written by the features stage) records."""
    path = Path(path)
    sidecar = path.with_suffix(".json")
    try:
        recorded = json.loads(sidecar.read_text(encoding="utf-8")).get("spectrogram")
    except FileNotFoundError:
        return f"{path}: no sidecar {sidecar} with its checksum; rerun the features stage"
    except (OSError, ValueError, AttributeError) as exc:
        return f"{path}: unreadable sidecar {sidecar} ({exc}); rerun the features stage"
    return verify_file(path, recorded)


def _file_shape(path: Path) -> tuple[int, ...]:
    """The shape a derived file's header states, without reading its data."""
    import numpy as np  # imported here: manifests alone need neither
    import soundfile

    if path.suffix == ".npy":
        return tuple(np.load(path, mmap_mode="r", allow_pickle=False).shape)
    info = soundfile.info(str(path))
    return (info.frames,) if info.channels == 1 else (info.frames, info.channels)

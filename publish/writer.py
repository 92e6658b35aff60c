"""Streaming parquet writer for one file of a config: ``data/<config>/<split>-NNNNN-of-NNNNN.parquet``.

Rows arrive in batches and leave in row groups, so memory is one row group whatever the dataset
size. The arrow schema is ``Features.arrow_schema``, which carries the HF features as ``huggingface``
schema metadata: ``datasets`` reads it back (``Features.from_arrow_schema``) and restores ``ClassLabel``
and ``Array2D`` instead of plain ints and nested lists.

Every parquet file a publish creates is opened by :class:`ParquetFileWriter` (one file) and
counted in :data:`FILES_OPENED`, so a test can tell that a publish with nothing changed wrote none.
A published file is made read-only: later versions share it by hard link (:func:`link_or_copy`), so
writing into it in place would change every version that holds it.
"""

from __future__ import annotations

import errno
import os
import shutil
from collections import Counter
from pathlib import Path
from types import TracebackType

import pyarrow as pa
import pyarrow.parquet as pq
from datasets import Features

from earsense_m2t.schemas.io import disk_full_as

SHARD_NAME = "{split}-{index:05d}-of-{total:05d}.parquet"
#: parquet files opened for writing in this process (path -> count); tests read it, nothing else does
FILES_OPENED: Counter[str] = Counter()
READ_ONLY = 0o444


def shard_path(config_dir: Path, split: str, index: int, total: int) -> Path:
    return config_dir / SHARD_NAME.format(split=split, index=index, total=total)


def _storage(tp: pa.DataType) -> pa.DataType:
    return tp.storage_type if isinstance(tp, pa.ExtensionType) else tp


class ParquetFileWriter:
    """Writes one parquet file in row groups of at most ``row_group_rows`` rows or ``row_group_bytes``."""

    def __init__(self, path: Path, features: Features, *, row_group_rows: int = 1000,
                 row_group_bytes: int = 64 << 20, compression: str = "zstd"):
        self.path, self.features = Path(path), features
        self.row_group_rows, self.row_group_bytes, self.compression = row_group_rows, row_group_bytes, compression
        self.schema = features.arrow_schema
        self.num_rows = 0
        self.bytes_written = 0  # arrow bytes, as datasets reports num_bytes
        self._buffer: list[pa.Table] = []
        self._buffer_rows = 0
        self._buffer_bytes = 0
        # array columns gain nothing from dictionaries or min/max statistics, and both cost time
        flat = [f.name for f in self.schema if not pa.types.is_list(_storage(f.type))]
        self.path.parent.mkdir(parents=True, exist_ok=True)
        FILES_OPENED[str(self.path)] += 1
        with disk_full_as(self.path):
            self._writer: pq.ParquetWriter | None = pq.ParquetWriter(
                self.path, self.schema, compression=compression, use_dictionary=flat, write_statistics=flat)

    def write(self, table: pa.Table) -> None:
        if not table.schema.equals(self.schema, check_metadata=False):
            raise ValueError(f"{self.path}: batch schema {table.schema} differs from the features' schema")
        if self._writer is None:
            raise ValueError(f"{self.path}: written after it was closed")
        self._buffer.append(table)
        self._buffer_rows += table.num_rows
        self._buffer_bytes += table.nbytes
        self.num_rows += table.num_rows
        if self._buffer_rows >= self.row_group_rows or self._buffer_bytes >= self.row_group_bytes:
            self._flush()

    def close(self) -> Path:
        """Finish the file (an empty one still holds the schema) and make it read-only."""
        if self._writer is not None:
            self._flush()
            with disk_full_as(self.path):
                self._writer.close()
            self._writer = None
            os.chmod(self.path, READ_ONLY)
        return self.path

    def abort(self) -> None:
        if self._writer is not None:
            self._writer.close()
            self._writer = None

    @property
    def size(self) -> int:
        return self.path.stat().st_size

    def __enter__(self) -> ParquetFileWriter:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()

    def _flush(self) -> None:
        if not self._buffer or self._writer is None:
            return
        table = pa.concat_tables(self._buffer) if len(self._buffer) > 1 else self._buffer[0]
        self._buffer, self._buffer_rows, self._buffer_bytes = [], 0, 0
        with disk_full_as(self.path, needed=table.nbytes):  # arrow bytes: the row group's size before compression
            self._writer.write_table(table, row_group_size=self.row_group_rows)
        self.bytes_written += table.nbytes


def link_or_copy(src: Path, dst: Path) -> bool:
    """Put ``src`` at ``dst`` as a hard link (True), or as a copy where the filesystem cannot link (False)."""
    dst.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(src, dst)
        return True
    except OSError as exc:
        if exc.errno not in (errno.EXDEV, errno.EPERM, errno.EMLINK, errno.ENOTSUP, errno.EOPNOTSUPP):
            raise
    shutil.copy2(src, dst)
    return False

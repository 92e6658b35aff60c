"""Streaming parquet writer for one config: ``data/<config>/<split>-NNNNN-of-NNNNN.parquet``.

Rows arrive in batches and leave in row groups, so memory is one row group whatever the dataset
size. The arrow schema is ``Features.arrow_schema``, which carries the HF features as ``huggingface``
schema metadata: ``datasets`` reads it back (``Features.from_arrow_schema``) and restores ``ClassLabel``
and ``Array2D`` instead of plain ints and nested lists.
"""

from __future__ import annotations

from pathlib import Path
from types import TracebackType

import pyarrow as pa
import pyarrow.parquet as pq
from datasets import Features

SHARD_NAME = "{split}-{index:05d}-of-{total:05d}.parquet"


def shard_path(config_dir: Path, split: str, index: int, total: int) -> Path:
    return config_dir / SHARD_NAME.format(split=split, index=index, total=total)


class ShardedParquetWriter:
    """Writes one split of one config; call :meth:`write` with shard indices that never decrease."""

    def __init__(self, config_dir: Path, features: Features, *, n_shards: int = 1, split: str = "train",
                 row_group_rows: int = 1000, row_group_bytes: int = 64 << 20, compression: str = "zstd"):
        if n_shards < 1:
            raise ValueError(f"{config_dir}: n_shards must be >= 1, got {n_shards}")
        self.config_dir, self.features, self.n_shards, self.split = Path(config_dir), features, n_shards, split
        self.row_group_rows, self.row_group_bytes, self.compression = row_group_rows, row_group_bytes, compression
        self.schema = features.arrow_schema
        self.rows_per_shard = [0] * n_shards
        self.bytes_written = 0
        self._shard = -1
        self._writer: pq.ParquetWriter | None = None
        self._buffer: list[pa.Table] = []
        self._buffer_rows = 0
        self._buffer_bytes = 0
        # array columns gain nothing from dictionaries or min/max statistics, and both cost time
        flat = [f.name for f in self.schema if not pa.types.is_list(_storage(f.type))]
        self._dictionary, self._statistics = flat, flat

    # -- writing
    def write(self, table: pa.Table, shard: int = 0) -> None:
        if not table.schema.equals(self.schema, check_metadata=False):
            raise ValueError(f"{self.config_dir}: batch schema {table.schema} differs from the features' schema")
        if not 0 <= shard < self.n_shards:
            raise ValueError(f"{self.config_dir}: shard {shard} outside 0..{self.n_shards - 1}")
        if shard < self._shard:
            raise ValueError(f"{self.config_dir}: shard {shard} after shard {self._shard}; shards must not decrease")
        if shard != self._shard:
            self._flush()
            self._open(shard)
        self._buffer.append(table)
        self._buffer_rows += table.num_rows
        self._buffer_bytes += table.nbytes
        self.rows_per_shard[shard] += table.num_rows
        if self._buffer_rows >= self.row_group_rows or self._buffer_bytes >= self.row_group_bytes:
            self._flush()

    def close(self) -> list[Path]:
        """Finish the last file and create empty ones for shards that got no rows (the names promise them)."""
        self._flush()
        if self._writer is not None:
            self._writer.close()
            self._writer = None
        for index in range(self.n_shards):
            path = shard_path(self.config_dir, self.split, index, self.n_shards)
            if not path.exists():
                self.config_dir.mkdir(parents=True, exist_ok=True)
                pq.write_table(self.schema.empty_table(), path, compression=self.compression)
        return self.paths

    @property
    def paths(self) -> list[Path]:
        return [shard_path(self.config_dir, self.split, i, self.n_shards) for i in range(self.n_shards)]

    @property
    def num_rows(self) -> int:
        return sum(self.rows_per_shard)

    def __enter__(self) -> ShardedParquetWriter:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if exc_type is None:
            self.close()
        elif self._writer is not None:
            self._writer.close()

    # -- internals
    def _open(self, shard: int) -> None:
        if self._writer is not None:
            self._writer.close()
        self.config_dir.mkdir(parents=True, exist_ok=True)
        self._shard = shard
        self._writer = pq.ParquetWriter(
            shard_path(self.config_dir, self.split, shard, self.n_shards), self.schema,
            compression=self.compression, use_dictionary=self._dictionary, write_statistics=self._statistics)

    def _flush(self) -> None:
        if not self._buffer or self._writer is None:
            return
        table = pa.concat_tables(self._buffer) if len(self._buffer) > 1 else self._buffer[0]
        self._buffer, self._buffer_rows, self._buffer_bytes = [], 0, 0
        self._writer.write_table(table, row_group_size=self.row_group_rows)
        self.bytes_written += table.nbytes


def _storage(tp: pa.DataType) -> pa.DataType:
    return tp.storage_type if isinstance(tp, pa.ExtensionType) else tp

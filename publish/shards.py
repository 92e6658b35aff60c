"""Which parquet files a version needs, and which of them the live version already holds.

Rows are sharded by *work*: a row goes to bucket ``sha256(work id) mod n`` of its config, so a change
to one work's rows touches one file per config. A file is named by its bucket and the bucket count
(``train-00003-of-00032.parquet``) and keyed by its content: the config's features and the ordered
``(row id, row hash)`` pairs it holds. A file whose key equals the key the live version recorded for
the same name is reused (hard-linked into the new tree); any other is written.

The bucket count follows the config's size (``TARGET_SHARD_BYTES`` per file, a power of two) but
stays what the live version used while the size is within a factor of four of that, so growing by a
few works does not move every row to another file.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from earsense_m2t.publish.writer import SHARD_NAME

SPLIT = "train"
#: the size a file aims at; smaller files make a one-work change cheaper, bigger ones make fewer files
TARGET_SHARD_BYTES = 128 << 20
#: the bucket count is kept while the ideal one is within this factor of it
HYSTERESIS = 4


@dataclass(frozen=True)
class FileStat:
    """What the card and the next publish need to know about one written file."""

    rows: int
    num_bytes: int  # arrow bytes (datasets' num_bytes)
    size: int  # bytes on disk (the card's download size)
    key: str | None = None  # content key (None: a file from before files were keyed)


@dataclass
class ConfigFiles:
    """The files of one config in one version; ``n_shards`` None for a version from before keyed files."""

    n_shards: int | None
    files: dict[str, FileStat] = field(default_factory=dict)
    #: a version from before keyed files knows its arrow bytes per config only (from its card)
    config_num_bytes: int | None = None

    @property
    def num_rows(self) -> int:
        return sum(f.rows for f in self.files.values())

    @property
    def num_bytes(self) -> int:
        if self.config_num_bytes is not None:
            return self.config_num_bytes
        return sum(f.num_bytes for f in self.files.values())

    @property
    def download_size(self) -> int:
        return sum(f.size for f in self.files.values())

    def to_json(self) -> dict[str, Any]:
        return {"n_shards": self.n_shards, "config_num_bytes": self.config_num_bytes,
                "files": {name: asdict(f) for name, f in sorted(self.files.items())}}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ConfigFiles:
        return cls(data.get("n_shards"), {name: FileStat(**f) for name, f in (data.get("files") or {}).items()},
                   data.get("config_num_bytes"))


@dataclass
class FilePlan:
    """The files of one config in the next version: what goes in each, and which are reused as they are."""

    n_shards: int | None
    rows: dict[str, list[int]]  # file name -> row indices, in order (empty for a file reused whole)
    keys: dict[str, str | None]
    reuse: dict[str, FileStat]  # file name -> the live version's stats, for files taken over unchanged
    config_num_bytes: int | None = None  # taken over from a version from before keyed files

    @property
    def to_write(self) -> list[str]:
        return [name for name in self.rows if name not in self.reuse]


def bucket_of(work_id: str, n_shards: int) -> int:
    return int.from_bytes(hashlib.sha256(work_id.encode("utf-8")).digest()[:8], "big") % n_shards


def shard_count(total_bytes: int, previous: int | None = None, target: int | None = None) -> int:
    """A power of two near ``total_bytes / target``; the live version's count while within the hysteresis."""
    target = target or TARGET_SHARD_BYTES
    ideal = 1 if total_bytes <= target else 2 ** math.ceil(math.log2(total_bytes / target))
    if previous and previous / HYSTERESIS <= ideal <= previous * HYSTERESIS:
        return previous
    return ideal


def file_name(index: int, n_shards: int) -> str:
    return SHARD_NAME.format(split=SPLIT, index=index, total=n_shards)


def content_key(features_json: str, ids: Sequence[str], hashes: Sequence[str]) -> str:
    digest = hashlib.sha256(features_json.encode("utf-8"))
    for row_id, row_hash in zip(ids, hashes, strict=True):
        digest.update(f"\n{row_id}\t{row_hash}".encode())
    return digest.hexdigest()


def features_json(features: Mapping[str, Any]) -> str:
    return json.dumps(features, sort_keys=True, default=str)


def plan_files(*, ids: Sequence[str], hashes: Sequence[str], works: Sequence[str], total_bytes: int,
               features: str, previous: ConfigFiles | None, previous_features: str | None,
               rows_unchanged: bool, present: Mapping[str, int]) -> FilePlan:
    """The files of one config for rows ``ids`` (in order) against the live version's files.

    ``present`` maps the live version's files of this config to their size on disk, as found; a file
    is reused only when it is there with the size the live version recorded. When no row changed and
    the features are the same, the live version's files are taken over whatever their layout (a
    version from before keyed files included), so a publish with nothing changed writes nothing.
    """
    same_features = previous is not None and previous_features == features
    if previous is not None and same_features and rows_unchanged and previous.files and all(
            present.get(name) == stat.size for name, stat in previous.files.items()):
        return FilePlan(previous.n_shards, {name: [] for name in previous.files},
                        {name: stat.key for name, stat in previous.files.items()}, dict(previous.files),
                        previous.config_num_bytes)
    n_shards = shard_count(total_bytes, previous.n_shards if previous is not None else None)
    buckets: list[list[int]] = [[] for _ in range(n_shards)]
    for index, work_id in enumerate(works):
        buckets[bucket_of(work_id, n_shards)].append(index)
    rows: dict[str, list[int]] = {}
    keys: dict[str, str | None] = {}
    reuse: dict[str, FileStat] = {}
    for b, indices in enumerate(buckets):
        name = file_name(b, n_shards)
        key = content_key(features, [ids[i] for i in indices], [hashes[i] for i in indices])
        rows[name], keys[name] = indices, key
        old = previous.files.get(name) if previous is not None and same_features else None
        if old is not None and old.key == key and present.get(name) == old.size:
            reuse[name] = old
    return FilePlan(n_shards, rows, keys, reuse)


__all__ = ["ConfigFiles", "FilePlan", "FileStat", "bucket_of", "content_key", "file_name", "plan_files",
           "shard_count"]

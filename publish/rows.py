"""From build manifests to the rows of each published config.

The manifests are joined as polars tables; every published column is a record field renamed (the
``*_PARTS`` maps below), so its HF feature comes from :mod:`earsense_m2t.schemas.features` and cannot drift from
the record. The few columns that exist only in the dataset (``has_audio``, ``fold``, counts, the
spectrogram checksum) are declared here, next to the configs that carry them.

A config is one entry in :data:`CONFIGS`: its features, its row id column, the columns that describe
*when* something was fetched rather than *what* it is (``volatile``, see :func:`carry_forward`), and a
function yielding encoded arrow batches with one content hash per row.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pyarrow as pa
from datasets import ClassLabel, Features, Value

from earsense_m2t.schemas import Clip, Failure, Media, Movement, Record, RecordError, Recording, Segment, Work, WorkText
from earsense_m2t.schemas.features import as_features, record_features, spectrogram_feature
from earsense_m2t.schemas.io import read_records, verify_spectrogram
from earsense_m2t.schemas.validate import Problem

DEFAULT_N_BINS = 256
MANIFESTS: Mapping[str, type[Record]] = {
    "works": Work, "recordings": Recording, "media": Media, "movements": Movement,
    "segments": Segment, "clips": Clip, "failures": Failure, "work_texts": WorkText,
}
#: manifests a publish cannot do without; the others may be absent (a text-only build)
REQUIRED_MANIFESTS = ("works", "movements")

# field -> published column, per record type, for the `default` config (one row per movement)
MOVEMENT_PART = {"id": "id", "work_id": "work_id", "number": "movement_number", "title": "movement_title",
                 "title_source": "movement_title_source", "text": "text", "text_confidence": "text_confidence",
                 "tempo_tag": "tempo_tag", "tempo_term": "tempo_term", "tempo_source": "tempo_source",
                 "titles_ri": "movement_titles_ri"}
WORK_PART = {"composer": "composer", "composer_birth_year": "composer_birth_year",
             "composer_death_year": "composer_death_year", "title": "work_title", "genre": "genre",
             "number": "work_number", "key": "key", "mode": "mode", "key_source": "key_source",
             "catalogue": "catalogue", "year": "year", "ensemble": "ensemble", "ensemble_source": "ensemble_source",
             "instrument_family": "instrument_family", "instrument_family_source": "instrument_family_source",
             "url": "page_url", "fetched_at": "page_fetched_at", "page_sha256": "page_sha256"}
RECORDING_PART = {"source_url": "audio_url", "performers": "performers", "recording_index": "recording_index"}
SEGMENT_PART = {"source_id": "audio_source_id", "start_s": "audio_start_s", "end_s": "audio_end_s",
                "method": "segment_method", "confidence": "segment_confidence", "media_sha256": "media_sha256"}
MEDIA_PART = {"uploader": "uploader", "title": "media_title", "license": "media_license",
              "extractor": "media_extractor", "downloaded_at": "audio_fetched_at"}
CLIP_PART = {"duration_s": "duration_s", "sample_rate_hz": "sample_rate_hz",
             "loudness_before_lufs": "loudness_before_lufs", "loudness_after_lufs": "loudness_after_lufs",
             "gain_db": "gain_db", "true_peak_dbtp": "true_peak_dbtp", "flags": "quality_flags",
             "spectrogram_frames": "spectrogram_frames"}
DEFAULT_EXTRA = {"has_audio": Value("bool"), "fold": Value("int64")}
WORKS_EXTRA = {"work_text": Value("string"), "n_movements": Value("int64"), "n_movements_with_audio": Value("int64"),
               "fold": Value("int64")}

#: provenance of a fetch: a new crawl changes these without changing what the row says. URLs are among
#: them because a host or port can move while the slug and the media's source id (the identities,
#: which are compared) stay; see crawlers/previous.py for the same rule at crawl time.
DEFAULT_VOLATILE = ("page_fetched_at", "page_sha256", "audio_fetched_at", "media_sha256", "page_url", "audio_url")
WORKS_VOLATILE = ("fetched_at", "page_sha256", "etag", "last_modified", "url")


@dataclass(frozen=True)
class Bundle:
    """Everything one build handed to publish."""

    works: list[Work]
    movements: list[Movement]
    recordings: list[Recording] = field(default_factory=list)
    media: list[Media] = field(default_factory=list)
    segments: list[Segment] = field(default_factory=list)
    clips: list[Clip] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)
    work_texts: list[WorkText] = field(default_factory=list)
    root: Path | None = None  # relative spectrogram paths are resolved against it


def load_bundle(build_dir: Path) -> Bundle:
    build_dir = Path(build_dir)
    loaded: dict[str, list[Record]] = {}
    for name, cls in MANIFESTS.items():
        path = build_dir / f"{name}.jsonl"
        if not path.exists():
            if name in REQUIRED_MANIFESTS:
                raise FileNotFoundError(f"{path}: manifest missing; run the earlier stages first")
            loaded[name] = []
            continue
        loaded[name] = read_records(path, cls)
    return Bundle(root=build_dir, **loaded)  # type: ignore[arg-type]


@dataclass(frozen=True)
class Previous:
    """What publish needs to know about the live version to compare with it."""

    version: str
    path: Path
    meta: dict[str, Any]
    hashes: pl.DataFrame  # config, id, hash

    def config_hashes(self, config: str) -> pl.DataFrame:
        return self.hashes.filter(pl.col("config") == config).select("id", "hash")

    def read(self, config: str, columns: Sequence[str]) -> pl.DataFrame | None:
        files = sorted((self.path / "data" / config).glob("*.parquet"))
        if not files:
            return None
        return pl.concat([pl.read_parquet(f, columns=list(columns)) for f in files])


@dataclass
class Inputs:
    bundle: Bundle
    folds: dict[str, int]  # work id -> fold
    spectrogram_parameters: dict[str, Any]
    previous: Previous | None = None
    n_bins: int = DEFAULT_N_BINS
    problems: list[Problem] = field(default_factory=list)
    frames: dict[str, pl.DataFrame] = field(default_factory=dict)  # decoded tables, for stats and the card


@dataclass(frozen=True)
class Batch:
    table: pa.Table
    ids: list[str]
    hashes: list[str]
    shard: int = 0


@dataclass(frozen=True)
class ConfigSpec:
    name: str
    description: str
    features: Callable[[Inputs], Features]
    batches: Callable[[Inputs, Features], Iterator[Batch]]
    n_shards: Callable[[Inputs], int] = lambda _inputs: 1
    row_group_rows: int = 1000
    row_group_bytes: int = 64 << 20
    default: bool = False
    volatile: tuple[str, ...] = ()


# ---------------------------------------------------------------------------------------------- frames

def _plain(features: Mapping[str, Any]) -> Features:
    """The same columns with class labels as their names: joins and hashes work on what a person reads."""
    return Features({k: Value("string") if isinstance(v, ClassLabel) else v for k, v in features.items()})


def part_features(cls: type[Record], part: Mapping[str, str]) -> dict[str, object]:
    return record_features(cls, include=list(part), rename=dict(part))


def part_frame(records: Sequence[Record], cls: type[Record], part: Mapping[str, str]) -> pl.DataFrame:
    """A polars table of some fields of ``records``, renamed; typed even when there are no records."""
    feats = _plain(part_features(cls, part))
    rows = [{part[k]: v for k, v in r.to_dict().items() if k in part} for r in records]
    return pl.from_arrow(pa.Table.from_pylist(rows, schema=feats.arrow_schema))  # type: ignore[return-value]


def default_features(_inputs: Inputs | None = None) -> Features:
    return as_features(part_features(Movement, MOVEMENT_PART), part_features(Work, WORK_PART),
                       part_features(Recording, RECORDING_PART), part_features(Segment, SEGMENT_PART),
                       part_features(Media, MEDIA_PART), part_features(Clip, CLIP_PART), DEFAULT_EXTRA)


def works_features(_inputs: Inputs | None = None) -> Features:
    return as_features(record_features(Work), WORKS_EXTRA)


def spectrogram_features(inputs: Inputs | None = None) -> Features:
    n_bins = inputs.n_bins if inputs else DEFAULT_N_BINS
    return as_features(
        record_features(Clip, include=["id"]),
        {"fold": Value("int64"), "spectrogram": spectrogram_feature(n_bins)},
        record_features(Clip, include=["spectrogram_frames"]),
        {"spectrogram_sha256": Value("string"), "parameters": Value("string")},
    )


def default_frame(bundle: Bundle, folds: Mapping[str, int]) -> pl.DataFrame:
    """One row per movement, with its work, recording, segment, media and clip (left joins: a movement
    without audio keeps its text, with null audio columns and ``has_audio = False``)."""
    mv = part_frame(bundle.movements, Movement, MOVEMENT_PART)
    wk = part_frame(bundle.works, Work, {"id": "work_id", **WORK_PART})
    seg = part_frame(bundle.segments, Segment, {"movement_id": "id", **SEGMENT_PART})
    rec = (part_frame(bundle.recordings, Recording, {"work_id": "work_id", "source_id": "audio_source_id",
                                                      **RECORDING_PART})
           .sort("recording_index").unique(["work_id", "audio_source_id"], keep="first", maintain_order=True))
    med = (part_frame(bundle.media, Media, {"source_id": "audio_source_id", "sha256": "media_sha256", **MEDIA_PART})
           .unique(["audio_source_id", "media_sha256"], keep="first", maintain_order=True))
    clip = part_frame(bundle.clips, Clip, {"movement_id": "id", **CLIP_PART})
    df = (mv.join(wk, on="work_id", how="left")
          .join(seg, on="id", how="left")
          .join(rec, on=["work_id", "audio_source_id"], how="left")
          .join(med, on=["audio_source_id", "media_sha256"], how="left")
          .join(clip, on="id", how="left")
          .with_columns(has_audio=pl.col("duration_s").is_not_null(),
                        fold=pl.col("work_id").replace_strict(dict(folds), default=None, return_dtype=pl.Int64))
          .sort("work_id", "movement_number"))
    return df.select(list(default_features()))


def works_frame(bundle: Bundle, folds: Mapping[str, int]) -> pl.DataFrame:
    wk = part_frame(bundle.works, Work, {f: f for f in record_features(Work)})
    mv = part_frame(bundle.movements, Movement, {"id": "id", "work_id": "work_id"})
    clip = part_frame(bundle.clips, Clip, {"movement_id": "id"}).with_columns(audio=pl.lit(True))
    counts = (mv.join(clip, on="id", how="left")
              .group_by("work_id")
              .agg(n_movements=pl.len().cast(pl.Int64),
                   n_movements_with_audio=pl.col("audio").fill_null(False).sum().cast(pl.Int64)))
    texts = part_frame(bundle.work_texts, WorkText, {"work_id": "id", "text": "work_text"})
    df = (wk.join(counts.rename({"work_id": "id"}), on="id", how="left")
          .join(texts, on="id", how="left")
          .with_columns(pl.col("n_movements", "n_movements_with_audio").fill_null(0),
                        fold=pl.col("id").replace_strict(dict(folds), default=None, return_dtype=pl.Int64))
          .sort("id"))
    return df.select(list(works_features()))


# ---------------------------------------------------------------------------------------------- hashing

def _canonical(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return repr(value)
    return value


def row_hash(row: Mapping[str, Any], exclude: Sequence[str] = ()) -> str:
    """Content hash of one row: stable across polars/pyarrow versions because it hashes the JSON."""
    payload = {k: _canonical(v) for k, v in row.items() if k not in exclude}
    text = json.dumps(payload, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def carry_forward(df: pl.DataFrame, hashes: list[str], previous: pl.DataFrame | None,
                  volatile: Sequence[str]) -> pl.DataFrame:
    """Keep the previous version's provenance for rows whose content did not change.

    A recrawl refreshes fetch times and page checksums even when nothing the row says has changed;
    publishing those would make every crawl a new version. So an unchanged row keeps the provenance
    of the fetch that produced its content (the version that last changed it), and a changed row
    gets the new fetch's provenance, all columns of one fetch together.
    ``previous`` holds ``id``, ``hash`` and the volatile columns of the live version.
    """
    if previous is None or previous.is_empty() or not volatile:
        return df
    prev = previous.select("id", pl.col("hash").alias("__prev_hash"),
                           *[pl.col(c).alias(f"__prev_{c}") for c in volatile])
    joined = df.with_columns(__hash=pl.Series(hashes, dtype=pl.String)).join(prev, on="id", how="left")
    same = pl.col("__hash") == pl.col("__prev_hash")
    return joined.with_columns(
        [pl.when(same).then(pl.col(f"__prev_{c}")).otherwise(pl.col(c)).alias(c) for c in volatile]
    ).select(df.columns)


# ---------------------------------------------------------------------------------------------- encoding

def encode_table(df: pl.DataFrame, features: Features, id_column: str = "id") -> pa.Table:
    """Encode through the HF features (class names to indices, type checks); a row that does not fit
    raises :class:`RecordError` naming it and the reason."""
    columns = df.to_dict(as_series=False)
    try:
        encoded = features.encode_batch(columns)
        return pa.Table.from_pydict(encoded, schema=features.arrow_schema)
    except (ValueError, TypeError, KeyError, pa.ArrowException):
        pass
    problems = []
    for row in df.iter_rows(named=True):
        try:
            pa.Table.from_pylist([features.encode_example(row)], schema=features.arrow_schema)
        except (ValueError, TypeError, KeyError, pa.ArrowException) as exc:
            problems.append(Problem(str(row.get(id_column)), f"does not fit the published features: {exc}"))
    if not problems:  # the batch failed but no single row does: report it as such rather than guess
        problems.append(Problem("?", "the rows do not encode together with the published features"))
    raise RecordError(problems)


def _table_batches(name: str, frame: Callable[[Bundle, Mapping[str, int]], pl.DataFrame],
                   volatile: Sequence[str]) -> Callable[[Inputs, Features], Iterator[Batch]]:
    def batches(inputs: Inputs, features: Features) -> Iterator[Batch]:
        df = frame(inputs.bundle, inputs.folds)
        rows = df.to_dicts()
        hashes = [row_hash(r, exclude=volatile) for r in rows]
        if inputs.previous is not None:
            prev = inputs.previous.read(name, ["id", *volatile])
            if prev is not None:
                prev = prev.join(inputs.previous.config_hashes(name), on="id", how="inner")
                df = carry_forward(df, hashes, prev, volatile)
        inputs.frames[name] = df
        yield Batch(encode_table(df, features), df["id"].to_list(), hashes)
    return batches


# ---------------------------------------------------------------------------------------------- spectrograms

def spectrogram_storage(arrays: Sequence[np.ndarray], ext_type: pa.DataType) -> pa.ExtensionArray:
    """Arrow ``Array2D`` values from float16 arrays without going through Python lists.

    The storage of ``Array2D((None, n), "float16")`` is ``list<list<float16>>``: one flat buffer and two
    offset arrays, built here directly so a 4,000-frame spectrogram costs one copy, not a million
    Python floats.
    """
    n_bins = arrays[0].shape[1] if arrays else 0
    if len(arrays) == 1:  # the common case for long movements: a view, no copy
        flat = np.ascontiguousarray(arrays[0]).reshape(-1)
    else:
        flat = np.concatenate([np.ascontiguousarray(a).reshape(-1) for a in arrays]) if arrays else np.zeros(0, np.float16)
    frames = np.array([a.shape[0] for a in arrays], dtype=np.int64)
    inner_offsets = np.arange(0, int(frames.sum()) * n_bins + 1, max(n_bins, 1), dtype=np.int32)
    if n_bins == 0:
        inner_offsets = np.zeros(1, dtype=np.int32)
    inner = pa.ListArray.from_arrays(pa.array(inner_offsets), pa.array(flat, type=pa.float16()))
    outer_offsets = np.concatenate([[0], np.cumsum(frames)]).astype(np.int32)
    outer = pa.ListArray.from_arrays(pa.array(outer_offsets), inner)
    return pa.ExtensionArray.from_storage(ext_type, outer)


def resolve_spectrogram(clip: Clip, root: Path | None) -> Path:
    path = Path(clip.spectrogram_path)
    return path if path.is_absolute() or root is None or path.exists() else root / path


def load_spectrogram(clip: Clip, root: Path | None, n_bins: int) -> tuple[np.ndarray | None, str | None]:
    """The clip's array, or the reason it cannot be published (naming the file).

    Only a verified array is returned: the file must match the size, shape and sha256 that the sidecar
    beside it (``<stem>.json``, written by the features stage) records. A file without such a sidecar
    is refused too, since nothing says it is what the features stage wrote.
    """
    path = resolve_spectrogram(clip, root)
    try:
        arr = np.load(path, mmap_mode="r", allow_pickle=False)
    except (OSError, ValueError) as exc:
        return None, f"spectrogram {path}: cannot be read ({exc})"
    if arr.ndim != 2 or arr.shape[1] != n_bins:
        return None, f"spectrogram {path}: shape {arr.shape}, expected (frames, {n_bins})"
    if arr.dtype != np.float16:
        return None, f"spectrogram {path}: dtype {arr.dtype}, expected float16"
    if arr.shape[0] != clip.spectrogram_frames:
        return None, f"spectrogram {path}: {arr.shape[0]} frames, clip says {clip.spectrogram_frames}"
    if arr.shape[0] == 0:
        return None, f"spectrogram {path}: no frames"
    arr = np.ascontiguousarray(arr)
    if not np.isfinite(arr).all():
        return None, f"spectrogram {path}: non-finite values"
    unverified = verify_spectrogram(path)
    if unverified is not None:
        return None, f"spectrogram {unverified}"
    return arr, None


def _ordered_clips(inputs: Inputs) -> list[Clip]:
    numbers = {m.id: (m.work_id, m.number) for m in inputs.bundle.movements}
    return sorted((c for c in inputs.bundle.clips if c.movement_id in numbers), key=lambda c: numbers[c.movement_id])


MAX_SHARD_BYTES = 500 << 20


def _spectrogram_bytes(inputs: Inputs) -> list[int]:
    return [c.spectrogram_frames * inputs.n_bins * 2 for c in _ordered_clips(inputs)]


def spectrogram_shards(inputs: Inputs) -> int:
    return max(1, math.ceil(sum(_spectrogram_bytes(inputs)) / MAX_SHARD_BYTES))


def spectrogram_batches(inputs: Inputs, features: Features) -> Iterator[Batch]:
    """Stream spectrograms a few at a time: memory stays at one row group whatever the dataset size.

    Unreadable or malformed files are collected in ``inputs.problems`` (publish then refuses the whole
    version), so one run reports every bad clip instead of the first.
    """
    clips = _ordered_clips(inputs)
    sizes = _spectrogram_bytes(inputs)
    total, n_shards = max(sum(sizes), 1), spectrogram_shards(inputs)
    params = json.dumps(inputs.spectrogram_parameters, sort_keys=True, default=str)
    ext_type = features.arrow_schema.field("spectrogram").type
    folds = {m.id: inputs.folds.get(m.work_id) for m in inputs.bundle.movements}
    spec = CONFIGS["spectrograms"]
    buf: list[tuple[Clip, np.ndarray, str]] = []
    buf_bytes, done, shard = 0, 0, 0

    def flush() -> Batch:
        ids = [c.id for c, _, _ in buf]
        meta = [{"id": c.id, "fold": folds[c.movement_id], "spectrogram_frames": c.spectrogram_frames,
                 "spectrogram_sha256": digest, "parameters": params} for c, _, digest in buf]
        table = pa.Table.from_arrays(
            [pa.array([m["id"] for m in meta], pa.string()),
             pa.array([m["fold"] for m in meta], pa.int64()),
             spectrogram_storage([a for _, a, _ in buf], ext_type),
             pa.array([m["spectrogram_frames"] for m in meta], pa.int64()),
             pa.array([m["spectrogram_sha256"] for m in meta], pa.string()),
             pa.array([m["parameters"] for m in meta], pa.string())],
            schema=features.arrow_schema)
        return Batch(table, ids, [row_hash(m) for m in meta], shard)

    for clip, size in zip(clips, sizes, strict=False):
        row_shard = min(n_shards - 1, done * n_shards // total)
        done += size
        if buf and (row_shard != shard or len(buf) >= spec.row_group_rows or buf_bytes >= spec.row_group_bytes):
            yield flush()
            buf, buf_bytes = [], 0
        shard = row_shard
        arr, problem = load_spectrogram(clip, inputs.bundle.root, inputs.n_bins)
        if problem:
            inputs.problems.append(Problem(clip.id, problem))
            continue
        if arr is None:  # cannot happen: load_spectrogram gives an array whenever it reports no problem
            raise RuntimeError(f"spectrogram of {clip.id}: neither an array nor a problem")
        if inputs.problems:  # the version will be refused: keep checking, stop building
            continue
        buf.append((clip, arr, hashlib.sha256(arr.data).hexdigest()))  # arr is contiguous: hashed in place
        buf_bytes += arr.nbytes
    if buf and not inputs.problems:
        yield flush()


CONFIGS: dict[str, ConfigSpec] = {
    "default": ConfigSpec(
        name="default", default=True,
        description="one row per movement: text, tags with their sources, provenance, loudness, fold",
        features=default_features, batches=_table_batches("default", default_frame, DEFAULT_VOLATILE),
        volatile=DEFAULT_VOLATILE),
    # row groups of at most 64 rows or 16 MB: parquet's writer needs ~9x a nested row group in memory
    # (repetition/definition levels per value), so 64 one-minute spectrograms would cost ~1 GB
    "spectrograms": ConfigSpec(
        name="spectrograms", row_group_rows=64, row_group_bytes=16 << 20,
        description="one row per movement with audio: its log-magnitude spectrogram (float16, frames x bins)",
        features=spectrogram_features, batches=spectrogram_batches, n_shards=spectrogram_shards),
    "works": ConfigSpec(
        name="works", description="one row per work: the whole article, the text about no single movement, "
                                   "biography and metadata",
        features=works_features, batches=_table_batches("works", works_frame, WORKS_VOLATILE),
        volatile=WORKS_VOLATILE),
}


__all__ = ["Batch", "Bundle", "CONFIGS", "ConfigSpec", "Inputs", "Previous", "default_frame", "encode_table",
           "load_bundle", "row_hash", "works_frame"]

"""From build manifests to the rows of each published config.

The manifests are joined as polars tables; every published column is a record field renamed (the
``*_PART`` maps of :mod:`earsense_m2t.schemas.published`), so its HF feature comes from
:mod:`earsense_m2t.schemas.features` and cannot drift from the record. The few columns that exist only
in the dataset (``has_audio``, ``fold``, counts, the spectrogram checksum) are declared here, next to the
configs that carry them.

A config is one entry in :data:`CONFIGS`: its features, the columns that describe *when* something was
fetched rather than *what* it is (``volatile``, see :func:`carry_forward`), and a ``plan`` function that
returns its rows in memory (a :class:`Plan`: ids, one content hash per row, the work of each row) with a
way to write any subset of them to a file later. Nothing is written while planning: spectrograms are
verified and hashed, not kept, and read again only for a file that must be written.

A work of the live version that the build lacks and that the crawl did not confirm gone is *carried*:
its rows are taken from the live version as they are (``Inputs.carried_works``).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import os
from collections.abc import Callable, Collection, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pyarrow as pa
from datasets import ClassLabel, Features, Value

from earsense_m2t.config import DATASET_NAME
from earsense_m2t.publish.shards import ConfigFiles, FileStat
from earsense_m2t.publish.writer import ParquetFileWriter
from earsense_m2t.schemas import (
    Clip,
    Excerpt,
    Failure,
    Judgment,
    Media,
    Movement,
    PoolExcerpt,
    Record,
    RecordError,
    Recording,
    RelativeAnnotation,
    Segment,
    Work,
    WorkText,
)
from earsense_m2t.schemas.features import as_features, record_features, spectrogram_feature
from earsense_m2t.schemas.io import read_records, verify_spectrogram
from earsense_m2t.schemas.manifests import PUBLISH_INPUTS
from earsense_m2t.schemas.published import (
    ANNOTATION_POOL_CONFIG,
    AUDIO_PATH,
    CLIP_PART,
    DEFAULT_CONFIG,
    EXCERPT_PATH,
    FOLD,
    MEDIA_PART,
    MOVEMENT_PART,
    RECORDING_PART,
    RELATIVE_ANNOTATIONS_CONFIG,
    SEGMENT_PART,
    SPECTROGRAM_FRAMES,
    SPECTROGRAM_SHA256,
    SPECTROGRAMS_CONFIG,
    WORK_PART,
    WORKS_CONFIG,
    WORKS_RENAMED,
)
from earsense_m2t.schemas.validate import Problem

DEFAULT_N_BINS = 256
#: the build manifests publish reads (name -> record type), from the registry; ``works`` and ``movements``
#: are required, the others may be absent (a text-only build)
MANIFESTS: Mapping[str, type[Record]] = {m.name: m.record for m in PUBLISH_INPUTS}
REQUIRED_MANIFESTS = tuple(m.name for m in PUBLISH_INPUTS if m.required)

DEFAULT_EXTRA = {"has_audio": Value("bool"), FOLD: Value("int64"), EXCERPT_PATH: Value("string"),
                 AUDIO_PATH: Value("string")}
WORKS_EXTRA = {"work_text": Value("string"), "n_movements": Value("int64"), "n_movements_with_audio": Value("int64"),
               FOLD: Value("int64")}

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
    excerpts: list[Excerpt] = field(default_factory=list)
    annotation_pool: list[PoolExcerpt] = field(default_factory=list)
    relative_annotations: list[RelativeAnnotation] = field(default_factory=list)
    annotation_judgments: list[Judgment] = field(default_factory=list)
    root: Path | None = None  # relative spectrogram paths are resolved against it
    #: where the release is read (the output root's ``earsense-m2t`` link): the default config's paths to the
    #: excerpt and audio files are relative to it (None: beside ``root``, as in an output root)
    release: Path | None = None


def load_bundle(build_dir: Path) -> Bundle:
    build_dir = Path(build_dir)
    loaded: dict[str, list[Record]] = {}
    for manifest in PUBLISH_INPUTS:
        path = manifest.path(build_dir)
        if not path.exists():
            if manifest.required:
                raise FileNotFoundError(f"{path}: manifest missing; run the earlier stages first")
            loaded[manifest.name] = []
            continue
        loaded[manifest.name] = read_records(path, manifest.record)
    return Bundle(root=build_dir, **loaded)  # type: ignore[arg-type]


ROW_META_COLUMNS = {"config": pl.String, "id": pl.String, "hash": pl.String, "work_id": pl.String, "file": pl.String,
                    "source_sha256": pl.String, "content_sha256": pl.String}


@dataclass(frozen=True)
class Previous:
    """What publish needs to know about the live version to compare with it and to reuse its files.

    ``hashes`` holds one row per published row: ``config, id, hash`` and, for versions written since
    files are keyed, ``work_id`` (the work the row belongs to), ``file`` (the file holding it),
    ``source_sha256`` and ``content_sha256`` (spectrograms: the verified ``.npy`` and its array).
    """

    version: str
    path: Path
    meta: dict[str, Any]
    hashes: pl.DataFrame

    def __post_init__(self) -> None:
        missing = [pl.lit(None, dtype=t).alias(c) for c, t in ROW_META_COLUMNS.items() if c not in self.hashes.columns]
        if missing:
            object.__setattr__(self, "hashes", self.hashes.with_columns(missing))

    def config_hashes(self, config: str) -> pl.DataFrame:
        return self.hashes.filter(pl.col("config") == config).select("id", "hash")

    def config_dir(self, config: str) -> Path:
        return self.path / "data" / config

    def read(self, config: str, columns: Sequence[str] | None = None, ids: Collection[str] | None = None,
             with_file: bool = False) -> pl.DataFrame | None:
        """Columns of the live rows of ``config`` (all rows, or those in ``ids``); ``__file``: the file holding each."""
        files = sorted(self.config_dir(config).glob("*.parquet"))
        if not files:
            return None
        frames = []
        for f in files:
            df = pl.read_parquet(f, columns=list(columns) if columns is not None else None)
            if ids is not None:
                df = df.filter(pl.col("id").is_in(list(ids)))
            frames.append(df.with_columns(__file=pl.lit(f.name)) if with_file else df)
        return pl.concat(frames, how="vertical_relaxed")

    def read_arrow(self, config: str, row_id: str) -> pa.Table:
        """One live row as stored (its file found by its id)."""
        import pyarrow.parquet as pq

        for f in sorted(self.config_dir(config).glob("*.parquet")):
            table = pq.read_table(f, filters=[("id", "==", row_id)])
            if table.num_rows:
                return table
        raise RecordError([Problem(row_id, f"not in {self.config_dir(config)} (v{self.version})")])

    def work_ids(self) -> set[str]:
        """The works the live version publishes (its ``works`` config)."""
        return set(self.hashes.filter(pl.col("config") == WORKS_CONFIG)["id"].to_list())

    def rows_of_works(self, config: str, works: Collection[str]) -> pl.DataFrame:
        """``id, hash, work_id, file, source_sha256, content_sha256`` of the live rows of ``works`` in ``config``."""
        rows = self.hashes.filter(pl.col("config") == config)
        if rows["work_id"].null_count():  # a version from before row meta: the work from the rows themselves
            if config == WORKS_CONFIG:
                mapping = pl.DataFrame({"id": rows["id"], "w": rows["id"]})
            else:  # spectrogram rows are movements, like the default config's
                default = self.read(DEFAULT_CONFIG, ["id", "work_id"])
                mapping = (default if default is not None else pl.DataFrame(schema={"id": pl.String, "work_id": pl.String})
                           ).rename({"work_id": "w"})
            rows = rows.join(mapping, on="id", how="left").with_columns(work_id=pl.coalesce("work_id", "w")).drop("w")
        return rows.filter(pl.col("work_id").is_in(list(works))).drop("config")

    def present(self, config: str) -> dict[str, int]:
        """The live version's files of ``config`` as found on disk: name -> size."""
        return {p.name: p.stat().st_size for p in sorted(self.config_dir(config).glob("*.parquet"))}

    def files(self, config: str) -> ConfigFiles | None:
        """The live version's files of ``config`` as it recorded them; for a version from before keyed files,
        as found, with the config's arrow bytes from its card."""
        recorded = (self.meta.get("files") or {}).get(config)
        if recorded is not None:
            return ConfigFiles.from_json(recorded)
        present = self.present(config)
        if not present:
            return None
        import pyarrow.parquet as pq
        from huggingface_hub import DatasetCard

        info: dict[str, Any] = {}
        with contextlib.suppress(OSError, ValueError, TypeError, AttributeError):
            infos = DatasetCard.load(self.path / "README.md").data.get("dataset_info") or []
            info = next((i for i in ([infos] if isinstance(infos, dict) else infos) if i.get("config_name") == config), {})
        if "dataset_size" not in info:
            return None  # nothing says how big it is: its rows are written again if they are needed
        return ConfigFiles(None, {name: FileStat(pq.ParquetFile(self.config_dir(config) / name).metadata.num_rows, 0, size)
                                  for name, size in present.items()}, int(info["dataset_size"]))

    def verified_contents(self) -> dict[str, str]:
        """sha256 of a verified ``.npy`` -> sha256 of its array, for the spectrograms the live version holds."""
        rows = self.hashes.filter(pl.col("source_sha256").is_not_null() & pl.col("content_sha256").is_not_null())
        return dict(zip(rows["source_sha256"].to_list(), rows["content_sha256"].to_list(), strict=True))


@dataclass
class Inputs:
    bundle: Bundle
    folds: dict[str, int]  # work id -> fold
    spectrogram_parameters: dict[str, Any]
    previous: Previous | None = None
    n_bins: int = DEFAULT_N_BINS
    #: works of the live version the build lacks but that are not confirmed gone: their rows are carried forward
    carried_works: frozenset[str] = frozenset()
    #: config -> whether its features differ from the live version's (rows cannot be carried into it then)
    features_changed: dict[str, bool] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    frames: dict[str, pl.DataFrame] = field(default_factory=dict)  # decoded tables, for stats and the card
    #: config -> ids of rows that could not be carried forward because the config's features changed
    uncarried: dict[str, list[str]] = field(default_factory=dict)


@dataclass
class Plan:
    """One config's rows, decided in memory before any file is written.

    ``write(indices, writer)`` appends the rows at ``indices`` (in that order) to one file; a spectrogram is
    read (and verified) again only then, so a file that is reused never costs a read of its arrays.
    """

    ids: list[str]
    hashes: list[str]
    works: list[str]  # the work of each row: files are buckets of works
    total_bytes: int  # arrow bytes of all rows (chooses the number of files)
    write: Callable[[Sequence[int], ParquetFileWriter], None]
    sources: list[str | None] = field(default_factory=list)  # spectrograms: sha256 of the verified .npy
    contents: list[str | None] = field(default_factory=list)  # spectrograms: sha256 of the array
    carried: list[str] = field(default_factory=list)  # ids of rows taken from the live version

    def row_meta(self, config: str, files: Mapping[int, str]) -> pl.DataFrame:
        n = len(self.ids)
        return pl.DataFrame({"config": [config] * n, "id": self.ids, "hash": self.hashes, "work_id": self.works,
                             "file": [files.get(i) for i in range(n)],
                             "source_sha256": self.sources or [None] * n, "content_sha256": self.contents or [None] * n},
                            schema=ROW_META_COLUMNS)


@dataclass(frozen=True)
class ConfigSpec:
    name: str
    description: str
    features: Callable[[Inputs], Features]
    plan: Callable[[Inputs, Features], Plan]
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
    # the fields themselves, as ``to_dict`` would give them (records are flat: strings, numbers, tuples),
    # without copying every other field of every record first
    rows = [{part[k]: getattr(r, k, None) for k in part} for r in records]
    return pl.from_arrow(pa.Table.from_pylist(rows, schema=feats.arrow_schema))  # type: ignore[return-value]


def default_features(_inputs: Inputs | None = None) -> Features:
    return as_features(part_features(Movement, MOVEMENT_PART), part_features(Work, WORK_PART),
                       part_features(Recording, RECORDING_PART), part_features(Segment, SEGMENT_PART),
                       part_features(Media, MEDIA_PART), part_features(Clip, CLIP_PART), DEFAULT_EXTRA)


def works_features(_inputs: Inputs | None = None) -> Features:
    return as_features(record_features(Work, rename=WORKS_RENAMED), WORKS_EXTRA)


def spectrogram_features(inputs: Inputs | None = None) -> Features:
    n_bins = inputs.n_bins if inputs else DEFAULT_N_BINS
    return as_features(
        record_features(Clip, include=["id"]),
        {"fold": Value("int64"), "spectrogram": spectrogram_feature(n_bins)},
        record_features(Clip, include=["spectrogram_frames"]),
        {"spectrogram_sha256": Value("string"), "parameters": Value("string")},
    )


def annotation_pool_features(_inputs: Inputs | None = None) -> Features:
    return as_features(record_features(PoolExcerpt))


#: a row of ``relative_annotations`` is one pair and one question: its id is ``<pair id>/<question>``
RELATIVE_EXTRA = {"id": Value("string")}


def relative_annotations_features(_inputs: Inputs | None = None) -> Features:
    return as_features(RELATIVE_EXTRA, record_features(RelativeAnnotation))


def annotation_pool_frame(bundle: Bundle, _folds: Mapping[str, int]) -> pl.DataFrame:
    """One row per pooled movement: its excerpt, the loudness it was admitted by, its playback gain."""
    names = list(record_features(PoolExcerpt))
    return part_frame(bundle.annotation_pool, PoolExcerpt, {n: n for n in names}).sort("id")


def relative_annotations_frame(bundle: Bundle, _folds: Mapping[str, int]) -> pl.DataFrame:
    """One row per pair and question, in the order the stage gives them (triplets by round, then pairs)."""
    names = list(record_features(RelativeAnnotation))
    df = part_frame(bundle.relative_annotations, RelativeAnnotation, {n: n for n in names})
    ids = pl.Series("id", [r.id for r in bundle.relative_annotations], dtype=pl.String)
    return df.with_columns(ids).select(list(relative_annotations_features()))


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
    listen = pl.DataFrame(
        [{"id": c.movement_id, AUDIO_PATH: release_relative(bundle, c.audio_path)} for c in bundle.clips],
        schema={"id": pl.String, AUDIO_PATH: pl.String})
    excerpts = pl.DataFrame([{"id": e.movement_id, EXCERPT_PATH: release_relative(bundle, e.path)}
                             for e in bundle.excerpts], schema={"id": pl.String, EXCERPT_PATH: pl.String})
    df = (mv.join(wk, on="work_id", how="left")
          .join(seg, on="id", how="left")
          .join(rec, on=["work_id", "audio_source_id"], how="left")
          .join(med, on=["audio_source_id", "media_sha256"], how="left")
          .join(clip, on="id", how="left")
          .join(listen.unique("id", keep="first"), on="id", how="left")
          .join(excerpts.unique("id", keep="first"), on="id", how="left")
          .with_columns(has_audio=pl.col("duration_s").is_not_null(),
                        fold=pl.col("work_id").replace_strict(dict(folds), default=None, return_dtype=pl.Int64))
          .sort("work_id", "movement_number"))
    return df.select(list(default_features()))


def release_relative(bundle: Bundle, path: str | None) -> str | None:
    """``path`` relative to the release (``<out>/earsense-m2t``, a sibling of ``<out>/build``), '/'-separated:
    ``../annotation/excerpts/<key>.ogg``. Read it against the release path as the card names it, lexically
    (``os.path.normpath(os.path.join(release, p))``): the release is a symlink into the version store."""
    if not path:
        return None
    release = bundle.release or (bundle.root or Path(".")).parent / DATASET_NAME
    return Path(os.path.relpath(os.path.abspath(path), os.path.abspath(release))).as_posix()  # lexical: no link followed


def works_frame(bundle: Bundle, folds: Mapping[str, int]) -> pl.DataFrame:
    wk = part_frame(bundle.works, Work, {f: WORKS_RENAMED.get(f, f) for f in record_features(Work)})
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


# ---------------------------------------------------------------------------------------------- tables

def _decode_labels(df: pl.DataFrame, features: Features) -> pl.DataFrame:
    """Class label indices (as stored) back to their names (as the frames hold them)."""
    return df.with_columns([
        pl.col(name).cast(pl.Int64).replace_strict(dict(enumerate(feature.names)), default=None, return_dtype=pl.String)
        for name, feature in features.items() if isinstance(feature, ClassLabel) and name in df.columns])


def carried_row_meta(inputs: Inputs, config: str) -> pl.DataFrame | None:
    """The live version's row meta (:meth:`Previous.rows_of_works`) of the works carried into ``config``; None when
    there are none, or when the config's columns changed (its old rows do not fit: ``inputs.uncarried`` says so)."""
    previous = inputs.previous
    if previous is None or not inputs.carried_works:
        return None
    meta = previous.rows_of_works(config, inputs.carried_works)
    if meta.is_empty():
        return None
    if inputs.features_changed.get(config):
        inputs.uncarried[config] = sorted(meta["id"].to_list())
        return None
    return meta


def _carried_table_rows(inputs: Inputs, name: str, features: Features, schema: pl.Schema) -> pl.DataFrame | None:
    """The live version's rows of the carried works, decoded like a fresh frame, with their hash as ``__hash``."""
    meta = carried_row_meta(inputs, name)
    if meta is None or inputs.previous is None:
        return None
    previous = inputs.previous
    old = previous.read(name, ids=meta["id"].to_list())
    if old is None:
        return None
    old = _decode_labels(old, features)
    old = old.select([pl.col(c) if c in old.columns else pl.lit(None).alias(c) for c in schema if c != "__hash"])
    old = old.cast({c: t for c, t in schema.items() if c != "__hash"})
    return old.join(meta.select("id", pl.col("hash").alias("__hash")), on="id", how="left")


def _table_plan(name: str, frame: Callable[[Bundle, Mapping[str, int]], pl.DataFrame], volatile: Sequence[str],
                work_column: str, order: Sequence[str]) -> Callable[[Inputs, Features], Plan]:
    def plan(inputs: Inputs, features: Features) -> Plan:
        df = frame(inputs.bundle, inputs.folds)
        hashes = [row_hash(r, exclude=volatile) for r in df.to_dicts()]
        if inputs.previous is not None:
            prev = inputs.previous.read(name, ["id", *volatile])
            if prev is not None:
                prev = prev.join(inputs.previous.config_hashes(name), on="id", how="inner")
                df = carry_forward(df, hashes, prev, volatile)
        df = df.with_columns(__hash=pl.Series(hashes, dtype=pl.String))
        carried = _carried_table_rows(inputs, name, features, df.schema)
        if carried is not None:
            df = pl.concat([df, carried]).sort(list(order), maintain_order=True)
        hashes = df["__hash"].to_list()
        df = df.drop("__hash")
        inputs.frames[name] = df
        table = encode_table(df, features)

        def write(indices: Sequence[int], writer: ParquetFileWriter) -> None:
            writer.write(table.take(pa.array(indices, pa.int64())))

        return Plan(df["id"].to_list(), hashes, df[work_column].to_list(), table.nbytes, write,
                    carried=[] if carried is None else carried["id"].to_list())
    return plan


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


def _header_problem(arr: np.ndarray, path: Path, clip: Clip, n_bins: int) -> str | None:
    """What the array's header (shape, dtype, frames) says is wrong with it, before any data is read."""
    if arr.ndim != 2 or arr.shape[1] != n_bins:
        return f"spectrogram {path}: shape {arr.shape}, expected (frames, {n_bins})"
    if arr.dtype != np.float16:
        return f"spectrogram {path}: dtype {arr.dtype}, expected float16"
    if arr.shape[0] != clip.spectrogram_frames:
        return f"spectrogram {path}: {arr.shape[0]} frames, clip says {clip.spectrogram_frames}"
    if arr.shape[0] == 0:
        return f"spectrogram {path}: no frames"
    return None


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
    problem = _header_problem(arr, path, clip, n_bins)
    if problem:
        return None, problem
    arr = np.ascontiguousarray(arr)
    if not np.isfinite(arr).all():
        return None, f"spectrogram {path}: non-finite values"
    unverified = verify_spectrogram(path)
    if unverified is not None:
        return None, f"spectrogram {unverified}"
    return arr, None


def check_spectrogram(clip: Clip, root: Path | None, n_bins: int,
                      verified: Mapping[str, str]) -> tuple[str | None, str | None, str | None]:
    """(sha256 of the array, sha256 of the verified file, None) or (None, None, the reason it cannot be published).

    The file is verified against its sidecar's checksum every time, as :func:`load_spectrogram` does. The
    array's own checks (finite values) and hash are content-addressed: ``verified`` maps the sha256 of a
    file a published version was built from to its array's sha256, and a file with that checksum holds
    that array, so only a file not seen before is read a second time.
    """
    path = resolve_spectrogram(clip, root)
    try:
        arr = np.load(path, mmap_mode="r", allow_pickle=False)
    except (OSError, ValueError) as exc:
        return None, None, f"spectrogram {path}: cannot be read ({exc})"
    problem = _header_problem(arr, path, clip, n_bins)
    if problem:
        return None, None, problem
    unverified = verify_spectrogram(path)
    if unverified is not None:
        return None, None, f"spectrogram {unverified}"
    try:  # verified a moment ago: the file's sha256 is the one its sidecar records
        source = str(json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))["spectrogram"]["sha256"])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        return None, None, f"spectrogram {path}: sidecar unreadable after verification ({exc})"
    content = verified.get(source)
    if content is None:
        arr = np.ascontiguousarray(arr)
        if not np.isfinite(arr).all():
            return None, None, f"spectrogram {path}: non-finite values"
        content = hashlib.sha256(arr.data).hexdigest()  # arr is contiguous: hashed in place
    return content, source, None


def _ordered_clips(inputs: Inputs) -> list[Clip]:
    numbers = {m.id: (m.work_id, m.number) for m in inputs.bundle.movements}
    return sorted((c for c in inputs.bundle.clips if c.movement_id in numbers), key=lambda c: numbers[c.movement_id])


#: threads that verify spectrograms (hashing and numpy release the GIL)
CHECK_THREADS = max(1, min(4, os.cpu_count() or 1))


@dataclass(frozen=True)
class SpectrogramRow:
    id: str
    work_id: str
    number: int
    hash: str
    frames: int
    content: str
    source: str | None = None
    clip: Clip | None = None  # from the build; None: carried from the live version's ``file``
    file: str | None = None
    meta: Mapping[str, Any] = field(default_factory=dict)


def _array_sha256(column: pa.ChunkedArray, index: int) -> str:
    """sha256 of one row's ``Array2D`` values as stored (row-major float16, like the ``.npy`` data)."""
    chunk = column.combine_chunks()
    storage = chunk.storage if isinstance(chunk, pa.ExtensionArray) else chunk
    values = storage.slice(index, 1).flatten().flatten()
    return hashlib.sha256(values.to_numpy(zero_copy_only=False).tobytes()).hexdigest()


def read_carried_spectrograms(previous: Previous, file: str, rows: Sequence[SpectrogramRow],
                              features: Features) -> pa.Table:
    """The live version's rows ``rows`` from its ``file``, in that order, each array checked against its sha256."""
    import pyarrow.parquet as pq

    path = previous.config_dir(SPECTROGRAMS_CONFIG) / file
    ids = [r.id for r in rows]
    table = pq.read_table(path, filters=[("id", "in", ids)], schema=features.arrow_schema)
    position = {row_id: i for i, row_id in enumerate(table.column("id").to_pylist())}
    missing = [i for i in ids if i not in position]
    if missing:
        raise RecordError([Problem(i, f"carried forward from v{previous.version} but not in {path}") for i in missing])
    table = table.take(pa.array([position[i] for i in ids], pa.int64()))
    spectrograms, digests = table.column("spectrogram"), table.column("spectrogram_sha256").to_pylist()
    bad = [Problem(r.id, f"carried forward from v{previous.version}: its array in {path} no longer matches its sha256")
           for i, r in enumerate(rows) if _array_sha256(spectrograms, i) != digests[i] or digests[i] != r.content]
    if bad:
        raise RecordError(bad)
    return table.cast(features.arrow_schema)


def _carried_spectrogram_rows(inputs: Inputs) -> list[SpectrogramRow]:
    meta = carried_row_meta(inputs, SPECTROGRAMS_CONFIG)
    previous = inputs.previous
    if meta is None or previous is None:
        return []
    ids = meta["id"].to_list()
    stored = previous.read(SPECTROGRAMS_CONFIG, ["id", SPECTROGRAM_FRAMES, SPECTROGRAM_SHA256], ids=ids, with_file=True)
    numbers = previous.read(DEFAULT_CONFIG, ["id", "movement_number"], ids=ids)
    if stored is None:
        return []
    df = (stored.join(meta.select("id", "hash", "work_id", "source_sha256"), on="id", how="left")
          .join(numbers if numbers is not None else pl.DataFrame(schema={"id": pl.String, "movement_number": pl.Int64}),
                on="id", how="left"))
    return [SpectrogramRow(id=r["id"], work_id=r["work_id"], number=r["movement_number"] or 0, hash=r["hash"],
                           frames=r["spectrogram_frames"], content=r["spectrogram_sha256"], source=r["source_sha256"],
                           file=r["__file"])
            for r in df.iter_rows(named=True)]


def _planned_array(row: SpectrogramRow, clip: Clip, root: Path | None, n_bins: int) -> np.ndarray:
    """The array :func:`check_spectrogram` verified for ``row``: read again, and refused unless its sha256 is
    the one recorded then (a file replaced since is not published, whatever its sidecar says now)."""
    path = resolve_spectrogram(clip, root)
    try:
        arr = np.ascontiguousarray(np.load(path, mmap_mode="r", allow_pickle=False))
    except (OSError, ValueError) as exc:
        raise RecordError([Problem(row.id, f"spectrogram {path}: cannot be read ({exc})")]) from exc
    if _header_problem(arr, path, clip, n_bins) or hashlib.sha256(arr.data).hexdigest() != row.content:
        raise RecordError([Problem(row.id, f"spectrogram {path}: changed while this publish ran; publish again")])
    return arr


def spectrogram_plan(inputs: Inputs, features: Features) -> Plan:
    """Verify every clip's spectrogram (keeping no array), hash its row; carry the rows of carried works.

    Unreadable or malformed files are collected in ``inputs.problems`` (publish then leaves those clips out
    and plans again, or refuses the whole version when too many are bad), so one run reports every bad clip.
    """
    clips = _ordered_clips(inputs)
    root, n_bins = inputs.bundle.root, inputs.n_bins
    params = json.dumps(inputs.spectrogram_parameters, sort_keys=True, default=str)
    movements = {m.id: m for m in inputs.bundle.movements}
    verified = inputs.previous.verified_contents() if inputs.previous is not None else {}
    with ThreadPoolExecutor(CHECK_THREADS) as pool:
        checked = list(pool.map(lambda clip: check_spectrogram(clip, root, n_bins, verified), clips))
    rows: list[SpectrogramRow] = []
    for clip, (content, source, problem) in zip(clips, checked, strict=True):
        if problem or content is None:
            inputs.problems.append(Problem(clip.id, problem or f"spectrogram of {clip.id}: not checked", "clip"))
            continue
        movement = movements[clip.movement_id]
        meta = {"id": clip.id, "fold": inputs.folds.get(movement.work_id), "spectrogram_frames": clip.spectrogram_frames,
                "spectrogram_sha256": content, "parameters": params}
        rows.append(SpectrogramRow(id=clip.id, work_id=movement.work_id, number=movement.number, hash=row_hash(meta),
                                   frames=clip.spectrogram_frames, content=content, source=source, clip=clip, meta=meta))
    carried = _carried_spectrogram_rows(inputs)
    rows = sorted([*rows, *carried], key=lambda r: (r.work_id, r.number, r.id))
    spec = CONFIGS[SPECTROGRAMS_CONFIG]
    ext_type = features.arrow_schema.field("spectrogram").type

    def table_of(batch: Sequence[tuple[SpectrogramRow, np.ndarray]]) -> pa.Table:
        meta = [r.meta for r, _ in batch]
        return pa.Table.from_arrays(
            [pa.array([m["id"] for m in meta], pa.string()),
             pa.array([m["fold"] for m in meta], pa.int64()),
             spectrogram_storage([a for _, a in batch], ext_type),
             pa.array([m["spectrogram_frames"] for m in meta], pa.int64()),
             pa.array([m["spectrogram_sha256"] for m in meta], pa.string()),
             pa.array([m["parameters"] for m in meta], pa.string())],
            schema=features.arrow_schema)

    def write(indices: Sequence[int], writer: ParquetFileWriter) -> None:
        """Read each array again, verified, and check it is the one planned; carried rows come from the live file."""
        batch: list[tuple[SpectrogramRow, np.ndarray]] = []
        batch_bytes, i = 0, 0
        while i < len(indices):
            row = rows[indices[i]]
            if row.clip is None:
                if batch:
                    writer.write(table_of(batch))
                    batch, batch_bytes = [], 0
                run = [row]
                while i + len(run) < len(indices) and rows[indices[i + len(run)]].file == row.file \
                        and rows[indices[i + len(run)]].clip is None:
                    run.append(rows[indices[i + len(run)]])
                if inputs.previous is None or row.file is None:
                    raise RecordError([Problem(row.id, "carried forward without a live version to take it from")])
                writer.write(read_carried_spectrograms(inputs.previous, row.file, run, features))
                i += len(run)
                continue
            arr = _planned_array(row, row.clip, root, n_bins)
            batch.append((row, arr))
            batch_bytes += arr.nbytes
            i += 1
            if len(batch) >= spec.row_group_rows or batch_bytes >= spec.row_group_bytes:
                writer.write(table_of(batch))
                batch, batch_bytes = [], 0
        if batch:
            writer.write(table_of(batch))

    return Plan([r.id for r in rows], [r.hash for r in rows], [r.work_id for r in rows],
                sum(r.frames for r in rows) * n_bins * 2, write, sources=[r.source for r in rows],
                contents=[r.content for r in rows], carried=[r.id for r in carried])


def spectrogram_of(inputs: Inputs, row_id: str) -> np.ndarray:
    """One published row's array: from the build, or for a carried row from the live version (for the plots)."""
    clip = next((c for c in inputs.bundle.clips if c.id == row_id), None)
    if clip is not None:
        arr, problem = load_spectrogram(clip, inputs.bundle.root, inputs.n_bins)
        if arr is None:
            raise RecordError([Problem(row_id, problem or "no array")])
        return arr
    if inputs.previous is None:
        raise RecordError([Problem(row_id, "no spectrogram in the build or the live version")])
    table = inputs.previous.read_arrow(SPECTROGRAMS_CONFIG, row_id)
    values = table.column("spectrogram").combine_chunks()
    storage = values.storage if isinstance(values, pa.ExtensionArray) else values
    flat = storage.slice(0, 1).flatten().flatten().to_numpy(zero_copy_only=False)
    return flat.reshape(-1, inputs.n_bins)


CONFIGS: dict[str, ConfigSpec] = {
    DEFAULT_CONFIG: ConfigSpec(
        name=DEFAULT_CONFIG, default=True,
        description="one row per movement: text, tags with their sources, provenance, loudness, fold",
        features=default_features, volatile=DEFAULT_VOLATILE,
        plan=_table_plan(DEFAULT_CONFIG, default_frame, DEFAULT_VOLATILE, "work_id", ("work_id", "movement_number"))),
    # row groups of at most 64 rows or 16 MB: parquet's writer needs ~9x a nested row group in memory
    # (repetition/definition levels per value), so 64 one-minute spectrograms would cost ~1 GB
    SPECTROGRAMS_CONFIG: ConfigSpec(
        name=SPECTROGRAMS_CONFIG, row_group_rows=64, row_group_bytes=16 << 20,
        description="one row per movement with audio: its log-magnitude spectrogram (float16, frames x bins)",
        features=spectrogram_features, plan=spectrogram_plan),
    WORKS_CONFIG: ConfigSpec(
        name=WORKS_CONFIG, description="one row per work: the whole article, the text about no single movement, "
                                   "biography and metadata",
        features=works_features, volatile=WORKS_VOLATILE,
        plan=_table_plan(WORKS_CONFIG, works_frame, WORKS_VOLATILE, "id", ("id",))),
    # the annotate stage's configs; a build without annotations leaves them out (a config needs rows)
    ANNOTATION_POOL_CONFIG: ConfigSpec(
        name=ANNOTATION_POOL_CONFIG,
        description="one row per movement in the annotation pool: its listening excerpt (start, length, file "
                    "sha256), loudness before normalization, playback gain, strata and silver predictor scores",
        features=annotation_pool_features,
        plan=_table_plan(ANNOTATION_POOL_CONFIG, annotation_pool_frame, (), "work_id", ("id",))),
    RELATIVE_ANNOTATIONS_CONFIG: ConfigSpec(
        name=RELATIVE_ANNOTATIONS_CONFIG,
        description="one row per pair of a triplet and question (arousal, valence): which excerpt is higher, "
                    "agreement, ground-truth subsets, triplet consistency, human or silver, number of annotators",
        features=relative_annotations_features,
        plan=_table_plan(RELATIVE_ANNOTATIONS_CONFIG, relative_annotations_frame, (), "triplet_id", ())),
}


__all__ = ["Bundle", "CONFIGS", "ConfigSpec", "Inputs", "Plan", "Previous", "carried_row_meta", "default_frame", "encode_table",
           "load_bundle", "row_hash", "works_frame"]

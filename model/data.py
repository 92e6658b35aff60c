"""A published release as the model's examples: movement rows joined with their spectrograms, checked first.

The model reads one version of the dataset as published (``datasets.load_dataset(<version dir>, config)``):
the ``default`` config gives each movement's ``id``, ``work_id``, ``fold`` and ``text``, the
``spectrograms`` config its float16 (frames × 256 bins) log spectrogram. An example is a movement that
has both. Arrays are never all held in memory: the spectrograms stay in the memory-mapped Arrow table and
one row's first ``max_frames`` frames are read when needed (:meth:`Release.spectrogram`), so peak memory
per sample is bounded by the cap (paper: 131,072 frames × 256 bins × 4 bytes = 128 MiB as float32).

Everything that would stop a training run halfway is checked before it starts (:func:`load_release`) and
reported as one ``ValueError`` naming the version and the row ids: a release without spectrograms, NaN or
empty spectrograms, texts that tokenize to nothing, rows without a fold, fewer works than folds. A movement
whose text is null (the build found no description for it) is no pair and is left out, listed in
``Release.without_text``; an empty or blank text is an error, since a published text should say something.

Each example also carries its tags (:data:`TAG_FIELDS`: tempo tag, ensemble, key, mode, instrument
family), read from the ``default`` config's columns of those names, for the TAGS baselines that choose a
training text by shared tags; a release without one of those columns gives None for it on every row. Its
``title`` is the published movement title (None when the row has none, or the release no such column): the
song-title system's target.

Standardization is per frequency bin, fitted on the training rows only (:func:`fit_standardizer`), so
nothing about the test fold leaks into the input scale.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from earsense_m2t.schemas import published
from earsense_m2t.schemas.layout import VersionStore

#: the configs the model reads (names and columns: :mod:`earsense_m2t.schemas.published`)
DEFAULT_CONFIG = published.DEFAULT_CONFIG
SPECTROGRAM_CONFIG = published.SPECTROGRAMS_CONFIG
#: ids listed in one error message before "… and N more"
MAX_IDS_SHOWN = 20
#: the ``default`` config's columns the TAGS baselines compare, in the order of ``Example.tags``
TAG_FIELDS = published.TAG_COLUMNS
#: the ``default`` config's column of the movement title (``Example.title``)
TITLE_FIELD = published.MOVEMENT_PART["title"]


@dataclass(frozen=True)
class Example:
    """One movement with text and audio: ``index`` is its row in the spectrograms table."""

    id: str
    work_id: str
    fold: int
    text: str
    index: int
    frames: int  # published frames (before the cap)
    tags: tuple[str | None, ...] = ()  # TAG_FIELDS order; None: no value (or no such column in the release)
    #: the movement's published title (``movement_title``), the song-title system's target; None: no title (or
    #: no such column in the release), a row that system neither trains nor is scored on
    title: str | None = None


@dataclass(frozen=True)
class Standardizer:
    """Per-bin mean and standard deviation, fitted on training rows; applied to every split."""

    mean: np.ndarray  # (bins,) float32
    std: np.ndarray  # (bins,) float32, floored so a constant bin does not divide by zero

    def __call__(self, spec: np.ndarray) -> np.ndarray:
        return ((spec.astype(np.float32) - self.mean) / self.std).astype(np.float32)

    def to_dict(self) -> dict[str, list[float]]:
        return {"mean": self.mean.tolist(), "std": self.std.tolist()}

    @classmethod
    def from_dict(cls, d: dict[str, list[float]]) -> Standardizer:
        return cls(np.asarray(d["mean"], np.float32), np.asarray(d["std"], np.float32))


@dataclass
class Release:
    """One version's examples and its memory-mapped spectrogram column."""

    version: str
    path: Path
    examples: list[Example]
    spectrograms: pa.ChunkedArray  # Array2D storage: list<list<float16>> per row
    n_bins: int
    #: movements with a spectrogram whose text is null (no description found): left out, listed for the report
    without_text: list[str] = field(default_factory=list)

    def spectrogram(self, example: Example, max_frames: int | None = None) -> np.ndarray:
        """(frames, bins) float16 of one example, only its first ``max_frames`` frames read."""
        return row_array(self.spectrograms, example.index, max_frames, self.n_bins)

    def works(self) -> list[str]:
        return sorted({e.work_id for e in self.examples})


def _ids(ids: Sequence[str]) -> str:
    shown = ", ".join(ids[:MAX_IDS_SHOWN])
    return shown + (f" … and {len(ids) - MAX_IDS_SHOWN} more" if len(ids) > MAX_IDS_SHOWN else "")


def row_array(column: pa.ChunkedArray, index: int, max_frames: int | None, n_bins: int) -> np.ndarray:
    """One row of an ``Array2D((None, bins), float16)`` column as numpy, without Python lists.

    The nested list storage is sliced before it is flattened, so a capped read touches only the frames
    it keeps (the column is memory-mapped from the dataset's Arrow cache).
    """
    chunk_start = 0
    for chunk in column.chunks:
        if index < chunk_start + len(chunk):
            break
        chunk_start += len(chunk)
    else:
        raise IndexError(f"row {index} outside a column of {len(column)} rows")
    storage = chunk.storage if isinstance(chunk, pa.ExtensionArray) else chunk
    frames = storage.slice(index - chunk_start, 1).flatten()  # list<float16>, one entry per frame
    if max_frames is not None:
        frames = frames.slice(0, max_frames)
    values = frames.flatten().to_numpy(zero_copy_only=False)
    if len(frames) and values.size != len(frames) * n_bins:
        raise ValueError(f"row {index}: {values.size} values for {len(frames)} frames of {n_bins} bins")
    return values.reshape(len(frames), n_bins)


def version_path(dataset: Path, version: str | None = None) -> Path:
    """The folder of ``version`` of the dataset at ``dataset`` (the live one when None).

    Versions live beside the live link as ``<name>.versions/v<X.Y.Z>``; a version whose tree was pruned is
    brought back by ``earsense-m2t checkout-version``.
    """
    dataset = Path(dataset)
    if version is None:
        if not dataset.exists():
            raise ValueError(f"dataset {dataset}: no such folder (build one with `earsense-m2t build`)")
        return dataset
    store = VersionStore(dataset)
    path = store.tree(version)
    if not (path / "README.md").is_file():
        known = [p.name for p in store.trees() if (p / "README.md").is_file()]
        raise ValueError(f"dataset {dataset}: version {version} does not exist here (trees present: "
                         f"{', '.join(known) or 'none'}; a pruned one comes back with `earsense-m2t checkout-version`)")
    return path


def release_version(path: Path) -> str:
    """The version a release folder holds (its ``meta/publish.json``), else the folder's name."""
    try:
        return str(json.loads((Path(path) / "meta" / "publish.json").read_text(encoding="utf-8"))["version"])
    except (OSError, ValueError, KeyError, TypeError):
        return Path(path).resolve().name.removeprefix("v")


def _tag_value(feature: Any, value: Any) -> str | None:
    """A tag cell as text: a ``ClassLabel`` (the published ``tempo_tag``) gives its name, a null gives None."""
    import datasets

    if value is None:
        return None
    if isinstance(feature, datasets.ClassLabel):
        return None if int(value) < 0 else str(feature.int2str(int(value)))
    return str(value)


def _load(path: Path, config: str, cache_dir: Path | None) -> Any:
    import datasets

    return datasets.load_dataset(str(path), config, split="train", cache_dir=str(cache_dir) if cache_dir else None)


def load_release(path: Path, *, n_folds: int, count_pieces: Callable[[str], int], max_frames: int | None = None,
                 cache_dir: Path | None = None) -> Release:
    """The examples of the release at ``path``, every check done before training starts.

    ``count_pieces`` tells how many tokens a text gives (the model's tokenizer); ``max_frames`` is the
    encoder's cap, so the NaN check reads exactly the frames the model will see.
    """
    import datasets

    path = Path(path)
    version = release_version(path)
    configs = datasets.get_dataset_config_names(str(path))
    if SPECTROGRAM_CONFIG not in configs:
        raise ValueError(f"version {version} ({path}): no {SPECTROGRAM_CONFIG!r} config (configs: {', '.join(configs)}); "
                         "the model needs the audio features")
    movements = _load(path, DEFAULT_CONFIG, cache_dir)
    specs = _load(path, SPECTROGRAM_CONFIG, cache_dir)
    if specs.num_rows == 0:
        raise ValueError(f"version {version} ({path}): the {SPECTROGRAM_CONFIG!r} config has no rows")
    spec_index = {row_id: i for i, row_id in enumerate(specs[published.ID])}
    spec_frames = specs[published.SPECTROGRAM_FRAMES]
    n_bins = int(specs.features[published.SPECTROGRAM].shape[1])
    column = specs.data.column(published.SPECTROGRAM)
    tag_features = {name: movements.features[name] for name in TAG_FIELDS if name in movements.column_names}
    title_column = [TITLE_FIELD] if TITLE_FIELD in movements.column_names else []

    examples: list[Example] = []
    no_fold: list[str] = []
    without_text: list[str] = []
    for row in movements.select_columns([published.ID, published.WORK_ID, published.FOLD, published.TEXT,
                                         *tag_features, *title_column]):
        i = spec_index.get(row[published.ID])
        if i is None:
            continue  # a movement without audio: text-only, not a training example
        row_id, text, fold = row[published.ID], row[published.TEXT], row[published.FOLD]
        if text is None:
            without_text.append(row_id)  # no description was found for it: audio-only, not a pair
            continue
        if fold is None:
            no_fold.append(row_id)
            continue
        tags = tuple(_tag_value(tag_features[name], row[name]) if name in tag_features else None for name in TAG_FIELDS)
        title = row.get(TITLE_FIELD)
        title = title.strip() if isinstance(title, str) and title.strip() else None  # a blank title is no title
        examples.append(Example(row_id, row[published.WORK_ID], int(fold), text, i, int(spec_frames[i]), tags, title))
    if not examples:
        raise ValueError(f"version {version} ({path}): no movement of the {DEFAULT_CONFIG!r} config has both a text "
                         f"and a spectrogram ({len(without_text)} with a spectrogram have no text)")
    if no_fold:
        raise ValueError(f"version {version}: rows without a fold: {_ids(no_fold)}")

    empty_text = [e.id for e in examples if count_pieces(e.text) == 0]
    if empty_text:
        raise ValueError(f"version {version}: texts that tokenize to nothing: {_ids(empty_text)}")
    works = {e.work_id for e in examples}
    if len(works) < n_folds:
        raise ValueError(f"version {version}: {len(works)} works with audio and text, fewer than the {n_folds} folds "
                         "(every fold needs a work)")

    empty, non_finite = [], []
    for e in examples:
        arr = row_array(column, e.index, max_frames, n_bins)
        if arr.shape[0] == 0:
            empty.append(e.id)
        elif not np.isfinite(arr).all():
            non_finite.append(e.id)
    if empty or non_finite:
        parts = ([f"empty spectrograms: {_ids(empty)}"] if empty else []) + \
                ([f"NaN or infinite spectrogram values: {_ids(non_finite)}"] if non_finite else [])
        raise ValueError(f"version {version}: " + "; ".join(parts))
    return Release(version, path, examples, column, n_bins, without_text)


def fit_standardizer(release: Release, examples: Sequence[Example], max_frames: int | None = None,
                     min_std: float = 1e-3) -> Standardizer:
    """Per-bin mean and std over every (capped) frame of ``examples``: pass the training rows only."""
    if not examples:
        raise ValueError(f"version {release.version}: no training rows to fit the standardization on")
    total = np.zeros(release.n_bins, np.float64)
    squares = np.zeros(release.n_bins, np.float64)
    count = 0
    for e in examples:
        arr = release.spectrogram(e, max_frames).astype(np.float64)
        total += arr.sum(axis=0)
        squares += (arr ** 2).sum(axis=0)
        count += arr.shape[0]
    mean = total / count
    std = np.sqrt(np.maximum(squares / count - mean ** 2, 0.0))
    return Standardizer(mean.astype(np.float32), np.maximum(std, min_std).astype(np.float32))


@dataclass(frozen=True)
class Split:
    train: list[Example]
    validation: list[Example]
    test: list[Example]


def fold_split(examples: Sequence[Example], test_fold: int, validation_works: float = 0.1, seed: int = 0) -> Split:
    """Test = the release's ``fold`` ``test_fold``; validation = a share of the other folds' works (whole works).

    The paper's code chose its best epoch on the test fold; here the choice is made on works carved from
    the training folds, so no movement of a validation work is trained on.
    """
    test = [e for e in examples if e.fold == test_fold]
    rest = [e for e in examples if e.fold != test_fold]
    if not test:
        raise ValueError(f"fold {test_fold} has no examples (folds present: {sorted({e.fold for e in examples})})")
    works = sorted({e.work_id for e in rest})
    rng = np.random.default_rng(seed)
    n_val = max(1, round(len(works) * validation_works)) if len(works) > 1 else 0
    held = set(rng.permutation(works)[:n_val].tolist())
    return Split([e for e in rest if e.work_id not in held], [e for e in rest if e.work_id in held], test)


__all__ = ["TAG_FIELDS", "TITLE_FIELD", "Example",
           "Release", "Split", "Standardizer", "fit_standardizer", "fold_split", "load_release",
           "release_version", "row_array", "version_path"]

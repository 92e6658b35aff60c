"""Hugging Face ``Features`` derived from the records, so the published columns cannot drift from them.

A published row joins several records (a movement, its work, segment, clip and media); each part's
columns come from :func:`record_features`, which reads the dataclass type hints. The tempo tag is a
``ClassLabel`` (slow < medium < fast < super_fast) whose null means "no tempo information".
"""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Iterable, Mapping

from datasets import Array2D, ClassLabel, Features, List, Value

from earsense_m2t.schemas.records import TEMPO_CLASSES, Record

_SCALARS = {str: Value("string"), int: Value("int64"), float: Value("float64"), bool: Value("bool")}
#: columns whose feature is not what the plain type hint says
SPECIAL_COLUMNS: Mapping[str, object] = {"tempo_tag": ClassLabel(names=list(TEMPO_CLASSES))}


def _strip_optional(tp: object) -> object:
    args = typing.get_args(tp)
    if typing.get_origin(tp) in (typing.Union, types.UnionType) and type(None) in args:
        rest = [a for a in args if a is not type(None)]
        return rest[0] if len(rest) == 1 else tp
    return tp


def feature_for_type(tp: object, name: str = "?") -> object:
    """The HF feature of one type hint; unknown shapes raise so a new field cannot be published silently."""
    tp = _strip_optional(tp)
    if tp in _SCALARS:
        return _SCALARS[tp]
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if origin is tuple and len(args) == 2 and args[1] is Ellipsis:
        inner = args[0]
        if typing.get_origin(inner) is tuple:
            return List({f"f{i}": feature_for_type(a, name) for i, a in enumerate(typing.get_args(inner))})
        return List(feature_for_type(inner, name))
    raise TypeError(f"field {name!r}: no HF feature for type {tp!r}")


def record_features(
    cls: type[Record],
    *,
    include: Iterable[str] | None = None,
    exclude: Iterable[str] = (),
    rename: Mapping[str, str] | None = None,
) -> dict[str, object]:
    """Columns for (a part of) one record type, in field order."""
    hints = typing.get_type_hints(cls)
    wanted = None if include is None else list(include)
    skip, rename = set(exclude), dict(rename or {})
    names = [f.name for f in dataclasses.fields(cls)]  # type: ignore[arg-type]
    if wanted is not None:
        missing = [n for n in wanted if n not in names]
        if missing:
            raise KeyError(f"{cls.__name__} has no field(s) {missing}")
        names = wanted
    out: dict[str, object] = {}
    for name in names:
        if name in skip:
            continue
        column = rename.get(name, name)
        out[column] = SPECIAL_COLUMNS.get(name) or feature_for_type(hints[name], f"{cls.__name__}.{name}")
    return out


def spectrogram_feature(n_bins: int) -> Array2D:
    """Variable number of frames, fixed number of frequency bins, stored as float16."""
    return Array2D(shape=(None, n_bins), dtype="float16")


def as_features(*parts: Mapping[str, object]) -> Features:
    merged: dict[str, object] = {}
    for part in parts:
        clash = set(merged) & set(part)
        if clash:
            raise ValueError(f"columns defined twice: {sorted(clash)}")
        merged.update(part)
    return Features(merged)

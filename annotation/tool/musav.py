"""MusAV's file formats (MTG/musav-dataset, ``data/``): raw judgments, triplets and aggregated annotations.

* raw, ``annotations.<type>.all``: one JSON object per line, ``tripletid``, ``songid_a``, ``songid_b``,
  ``annotator``, ``type`` (arousal | valence), ``higher_value`` (a | b | ab | not_selected);
* triplets, ``triplets.jsonl``: ``tripletid``, ``songids`` (three ids), ``triplet_type``
  (``global_triplet`` or ``<stratum>_triplet--<value>``, e.g. ``genre_triplet--acid trance``);
* aggregated, ``annotations.<type>.all.agreement`` and its ground-truth subsets ``.agreement.gt``,
  ``.agreement.gt.ct``, ``.agreement.gt.fa``, ``.agreement.gt.ct.fa``: ``tripletid``, ``triplet_type``,
  ``pairid`` ("<a>-<b>"), ``agreement``, ``higher_value`` (``undefined`` when no answer was given
  twice), plus ``triplet_consistency`` (last) in all four gt files.

Written as MusAV's scripts write them (``json.dumps`` defaults: ``", "`` and ``": "`` separators,
non-ASCII escaped, keys in that order). The ``.all.agreement`` file lists pairs in first-judged order;
a gt file lists triplets in the order of their first ground-truth pair and each triplet's pairs
together (MusAV's script prints a triplet's pairs in Python set order, which is string-hash order and
so differs from run to run; here they keep their ``.all.agreement`` order). ``gt.ct``, ``gt.fa`` and
``gt.ct.fa`` are the ``gt`` lines filtered (consistent, full agreement, both), in the same order and
with the same fields: MusAV's ``scripts/annotations_groundtruth.sh`` greps all three from the gt file.
That is the form MusAV publishes now (commit e3f3f4ae, "Update post-processed annotations"); the
files of the earlier commit 97243cf had ``gt.fa`` as the full-agreement lines of ``.all.agreement``,
without ``triplet_consistency`` (the pair sets are the same).

The gt files of that earlier commit hold some lines as Python dict literals (single quotes) rather
than JSON; :func:`read_aggregated` reads both. Anything else malformed, an unknown answer or a missing
field is a :class:`MusavFormatError` naming the file and line.
"""

from __future__ import annotations

import ast
import dataclasses
import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from earsense_m2t.annotation.metrics.answers import (
    GLOBAL,
    GROUP_PREFIX,
    GT,
    GT_CT,
    GT_CT_FA,
    GT_FA,
    MUSAV_GLOBAL,
    MUSAV_GROUP_SEPARATOR,
    MUSAV_UNDEFINED,
)
from earsense_m2t.annotation.metrics.jsonlines import json_objects
from earsense_m2t.schemas.annotation import (
    AGREEMENTS,
    ANSWERS,
    CONSISTENCIES,
    OUTCOMES,
    QUESTIONS,
    Judgment,
    RelativeAnnotation,
    Triplet,
)
from earsense_m2t.schemas.io import atomic_write_text

RAW_FIELDS = ("tripletid", "songid_a", "songid_b", "annotator", "type", "higher_value")
TRIPLET_FIELDS = ("tripletid", "songids", "triplet_type")
AGGREGATED_FIELDS = ("tripletid", "triplet_type", "pairid", "agreement", "higher_value")
CONSISTENCY_FIELD = "triplet_consistency"
#: file name suffix after ``annotations.<type>.all`` → the subset it holds (None: every judged pair)
AGGREGATED_FILES: dict[str, str | None] = {
    ".agreement": None, ".agreement.gt": GT, ".agreement.gt.ct": GT_CT, ".agreement.gt.fa": GT_FA,
    ".agreement.gt.ct.fa": GT_CT_FA,
}
#: MusAV's triplets carry no round; imported triplets are all round 1
MUSAV_ROUND = 1


class MusavFormatError(ValueError):
    """A line of a MusAV file that cannot be read; the message names the file and the line."""


def raw_name(question: str) -> str:
    return f"annotations.{question}.all"


def aggregated_name(question: str, subset: str | None = None) -> str:
    suffix = next(s for s, sub in AGGREGATED_FILES.items() if sub == subset)
    return f"annotations.{question}.all{suffix}"


# --- triplet types ------------------------------------------------------------------------------------------
def from_musav_triplet_type(value: str) -> str:
    """``global_triplet`` → ``global``; ``genre_triplet--acid trance`` → ``group:genre=acid trance``; else as is."""
    if value == MUSAV_GLOBAL:
        return GLOBAL
    stratum, sep, rest = value.partition(MUSAV_GROUP_SEPARATOR)
    if sep and stratum and "=" not in stratum:
        return f"{GROUP_PREFIX}{stratum}={rest}"
    return value


def to_musav_triplet_type(value: str) -> str:
    """The inverse of :func:`from_musav_triplet_type`: ``group:ensemble=quartet`` → ``ensemble_triplet--quartet``."""
    if value == GLOBAL:
        return MUSAV_GLOBAL
    if value.startswith(GROUP_PREFIX):
        stratum, sep, rest = value[len(GROUP_PREFIX):].partition("=")
        if sep and stratum:
            return f"{stratum}{MUSAV_GROUP_SEPARATOR}{rest}"
    return value


# --- reading ------------------------------------------------------------------------------------------------
def _objects(path: Path, *, python_literals: bool = False) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line number, object) of each non-blank line; a line that is no object is an error naming it."""
    return json_objects(path, MusavFormatError, fallback=_python_literal if python_literals else None)


def _python_literal(line: str) -> dict[str, Any] | None:
    """A Python dict literal of strings (some lines of MusAV's published gt files), or None."""
    try:
        value = ast.literal_eval(line.strip())
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        return None
    if isinstance(value, dict) and all(isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
        return value
    return None


def _text(path: Path, number: int, obj: Mapping[str, Any], name: str, allowed: Sequence[str] | None = None) -> str:
    if name not in obj:
        raise MusavFormatError(f"{path}:{number}: missing field {name!r}")
    value = obj[name]
    if not isinstance(value, str) or not value:
        raise MusavFormatError(f"{path}:{number}: field {name!r} must be a non-empty string, got {value!r}")
    if allowed is not None and value not in allowed:
        raise MusavFormatError(f"{path}:{number}: field {name!r} is {value!r}, expected one of {list(allowed)}")
    return value


def read_raw(path: Path, question: str | None = None) -> list[Judgment]:
    """The judgments of a raw file, in file order (``question``: keep only that type, after checking every line)."""
    judgments = []
    for number, obj in _objects(path):
        values = {name: _text(path, number, obj, name) for name in ("tripletid", "songid_a", "songid_b", "annotator")}
        kind = _text(path, number, obj, "type", QUESTIONS)
        answer = _text(path, number, obj, "higher_value", ANSWERS)
        if values["songid_a"] == values["songid_b"]:
            raise MusavFormatError(f"{path}:{number}: songid_a and songid_b are the same song {values['songid_a']!r}")
        if question is not None and kind != question:
            continue
        judgments.append(Judgment(triplet_id=values["tripletid"], a=values["songid_a"], b=values["songid_b"],
                                  question=kind, answer=answer, annotator=values["annotator"], source="human"))
    return judgments


_FLIPPED = {"a": "b", "b": "a"}


def orient_to_triplets(judgments: Iterable[Judgment], triplets: Iterable[Triplet], path: Path) -> list[Judgment]:
    """The judgments with each pair named in its triplet's order (MusAV's raw files name a pair either way round:
    the answer is flipped with it); a triplet or pair these triplets do not have raises, naming the file."""
    pairs = {t.id: set(t.pairs()) for t in triplets}
    oriented = []
    for judgment in judgments:
        known = pairs.get(judgment.triplet_id)
        if known is None:
            raise MusavFormatError(f"{path}: triplet {judgment.triplet_id!r} is not one of this build's triplets")
        if (judgment.a, judgment.b) in known:
            oriented.append(judgment)
        elif (judgment.b, judgment.a) in known:
            oriented.append(dataclasses.replace(judgment, a=judgment.b, b=judgment.a,
                                                answer=_FLIPPED.get(judgment.answer, judgment.answer)))
        else:
            raise MusavFormatError(f"{path}: {judgment.a!r} and {judgment.b!r} are not a pair of triplet "
                                   f"{judgment.triplet_id!r}")
    return oriented


def read_triplets(path: Path) -> list[Triplet]:
    """The triplets of a ``triplets.jsonl`` file; ids must be unique and a song may be in one triplet only."""
    triplets: list[Triplet] = []
    seen: dict[str, int] = {}
    songs: dict[str, str] = {}
    for number, obj in _objects(path):
        tid = _text(path, number, obj, "tripletid")
        kind = _text(path, number, obj, "triplet_type")
        if "songids" not in obj:
            raise MusavFormatError(f"{path}:{number}: missing field 'songids'")
        ids = obj["songids"]
        if (not isinstance(ids, list) or len(ids) != 3 or not all(isinstance(s, str) and s for s in ids)
                or len(set(ids)) != 3):
            raise MusavFormatError(f"{path}:{number}: field 'songids' must be three different song ids, got {ids!r}")
        if tid in seen:
            raise MusavFormatError(f"{path}:{number}: triplet {tid!r} again (first on line {seen[tid]})")
        for song in ids:
            if song in songs:
                raise MusavFormatError(f"{path}:{number}: song {song!r} is already in triplet {songs[song]!r}")
            songs[song] = tid
        seen[tid] = number
        triplets.append(Triplet(id=tid, round=MUSAV_ROUND, triplet_type=from_musav_triplet_type(kind),
                                movement_ids=(ids[0], ids[1], ids[2])))
    return triplets


@dataclass(frozen=True)
class AggregatedLine:
    """One line of a MusAV aggregated file, as written."""

    tripletid: str
    triplet_type: str  # MusAV's string
    pairid: str
    agreement: str
    higher_value: str  # a | b | ab | undefined
    triplet_consistency: str | None = None  # gt files only
    line: int = field(default=0, compare=False)  # where it was read

    @property
    def outcome(self) -> str | None:
        return None if self.higher_value == MUSAV_UNDEFINED else self.higher_value


def read_aggregated(path: Path) -> list[AggregatedLine]:
    """The lines of an aggregated file: JSON objects, or Python dict literals (some gt lines of MusAV's earlier commit)."""
    lines = []
    for number, obj in _objects(path, python_literals=True):
        values = {name: _text(path, number, obj, name) for name in ("tripletid", "triplet_type", "pairid")}
        agreement = _text(path, number, obj, "agreement", AGREEMENTS)
        higher = _text(path, number, obj, "higher_value", (*OUTCOMES, MUSAV_UNDEFINED))
        consistency = (_text(path, number, obj, CONSISTENCY_FIELD, CONSISTENCIES) if CONSISTENCY_FIELD in obj
                       else None)
        lines.append(AggregatedLine(values["tripletid"], values["triplet_type"], values["pairid"], agreement, higher,
                                    consistency, line=number))
    return lines


# --- writing ------------------------------------------------------------------------------------------------
def _dumps(obj: Mapping[str, Any]) -> str:
    return json.dumps(obj)  # MusAV's scripts use the defaults: ", " / ": " and ASCII escapes


def _write_lines(path: Path, lines: Iterable[str]) -> int:
    """Write whole lines atomically, so a failure never leaves half a file under the real name."""
    path.parent.mkdir(parents=True, exist_ok=True)
    text = "".join(line + "\n" for line in lines)
    atomic_write_text(path, text)
    return text.count("\n")


def raw_line(judgment: Judgment) -> str:
    return _dumps({"tripletid": judgment.triplet_id, "songid_a": judgment.a, "songid_b": judgment.b,
                   "annotator": judgment.annotator, "type": judgment.question, "higher_value": judgment.answer})


def write_raw(judgments: Iterable[Judgment], path: Path) -> int:
    """Human judgments as a MusAV raw file (silver ones are not judgments of people and stay out)."""
    return _write_lines(path, (raw_line(j) for j in judgments if j.source == "human"))


def write_triplets(triplets: Iterable[Triplet], path: Path) -> int:
    return _write_lines(path, (_dumps({"tripletid": t.id, "songids": list(t.movement_ids),
                                       "triplet_type": to_musav_triplet_type(t.triplet_type)}) for t in triplets))


def aggregated_line(row: RelativeAnnotation, *, with_consistency: bool) -> str:
    obj: dict[str, Any] = {
        "tripletid": row.triplet_id, "triplet_type": to_musav_triplet_type(row.triplet_type), "pairid": row.pair_id,
        "agreement": row.agreement, "higher_value": row.outcome if row.outcome is not None else MUSAV_UNDEFINED,
    }
    if with_consistency:
        obj[CONSISTENCY_FIELD] = row.triplet_consistency
    return _dumps(obj)


def gt_order(rows: Sequence[RelativeAnnotation]) -> list[RelativeAnnotation]:
    """Ground-truth rows grouped by triplet, triplets in the order of their first ground-truth pair."""
    groups: dict[str, list[RelativeAnnotation]] = {}
    for row in rows:
        if GT in row.subsets:
            groups.setdefault(row.triplet_id, []).append(row)
    return [row for group in groups.values() for row in group]


def write_aggregated(rows: Sequence[RelativeAnnotation], out_dir: Path, question: str) -> dict[str, int]:
    """The five aggregated files of one question (human rows only); returns lines written per file name."""
    human = [r for r in rows if r.source == "human" and r.question == question]
    gt = gt_order(human)
    written = {aggregated_name(question): _write_lines(out_dir / aggregated_name(question),
                                                       (aggregated_line(r, with_consistency=False) for r in human))}
    # the gt file and the three greps of it MusAV's script makes: same order, same fields
    for subset in (GT, GT_CT, GT_FA, GT_CT_FA):
        name = aggregated_name(question, subset)
        written[name] = _write_lines(out_dir / name, (aggregated_line(r, with_consistency=True) for r in gt
                                                      if subset in r.subsets))
    return {aggregated_name(question, s): written[aggregated_name(question, s)] for s in AGGREGATED_FILES.values()}


def split_pair_id(pairid: str, known: Iterable[str] | Mapping[str, Any] = ()) -> tuple[str, str] | None:
    """(a, b) of a pair id: the split whose two halves are ``known`` ids, or the only "-"; None if ambiguous."""
    known_ids = set(known)
    cuts = [i for i, ch in enumerate(pairid) if ch == "-"]
    for i in cuts:
        if pairid[:i] in known_ids and pairid[i + 1:] in known_ids:
            return pairid[:i], pairid[i + 1:]
    if len(cuts) == 1:
        return pairid[:cuts[0]], pairid[cuts[0] + 1:]
    return None


def annotations_from_dir(directory: Path, question: str, known_ids: Iterable[str] = ()) -> list[RelativeAnnotation]:
    """Ground-truth rows of one question from a folder of MusAV aggregated gt files (MusAV's own or ours).

    Subset membership is the files a pair is in; a missing subset file is an error naming it.
    """
    known = set(known_ids)
    rows: dict[str, dict[str, Any]] = {}
    for subset in (GT, GT_CT, GT_FA, GT_CT_FA):
        path = directory / aggregated_name(question, subset)
        if not path.is_file():
            raise MusavFormatError(f"{path}: no such file (a folder of aggregated annotations has all four gt files)")
        for line in read_aggregated(path):
            row = rows.get(line.pairid)
            if row is None:
                ab = split_pair_id(line.pairid, known)
                if ab is None:
                    raise MusavFormatError(f"{path}:{line.line}: pairid {line.pairid!r} cannot be split into two "
                                           "movement ids (give predictions for both, or ids without '-')")
                row = rows[line.pairid] = {
                    "pair_id": line.pairid, "triplet_id": line.tripletid,
                    "triplet_type": from_musav_triplet_type(line.triplet_type), "a": ab[0], "b": ab[1],
                    "question": question, "outcome": line.outcome, "agreement": line.agreement, "subsets": [],
                    "triplet_consistency": line.triplet_consistency, "source": "human"}
            row["subsets"].append(subset)
    return [RelativeAnnotation(**{**r, "subsets": tuple(r["subsets"])}) for r in rows.values()]


__all__ = [
    "AGGREGATED_FILES", "AggregatedLine", "MusavFormatError", "aggregated_line", "aggregated_name",
    "annotations_from_dir", "from_musav_triplet_type", "gt_order", "raw_line", "raw_name", "read_aggregated",
    "read_raw", "read_triplets", "split_pair_id", "to_musav_triplet_type", "write_aggregated", "write_raw",
    "write_triplets",
]

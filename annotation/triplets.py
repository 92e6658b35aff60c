"""Triplets: three movements judged against each other, drawn once and never redrawn.

As in MusAV, a triplet's three pairs are each asked both questions, and some triplets are drawn within one
group (MusAV: a genre) and the others from everything ("global"). Here the group is a **stratum**: by
default the work's **ensemble** (solo, duo, trio, quartet, ...). Why ensemble: within one ensemble the
instruments are alike, so a judgment is about energy and mood rather than "a piano against a string
quartet"; the global triplets then add the contrasts across ensembles. The tempo tag would make group
triplets alike in the very thing asked (arousal), and composers have too few movements each in a pool of
this size. ``TripletParams.stratum`` can be ``tempo_tag`` or ``composer`` all the same.

Stable across releases:

* every movement is in at most one triplet, ever; ids are ``"t" + sha256(sorted movement ids, seed)[:12]``;
* the file ``triplets.jsonl`` is append-only: a build reads it, keeps every triplet as it is, and draws
  new triplets only from pooled movements that are in none; those form new rounds numbered after the
  last one (``round_size`` triplets per round at most);
* movements that do not fill a triplet this time wait for a later build;
* a movement that leaves the dataset keeps its triplet (its rows are marked ``in_dataset=False``).

The draw is deterministic from the seed and the movement ids alone (each movement's place is a hash of
the seed and its id), so it does not depend on the order the build lists movements in.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from earsense_m2t.schemas import RecordError, Triplet, validate_record
from earsense_m2t.schemas.annotation import GLOBAL_TRIPLET, STRATA
from earsense_m2t.schemas.io import read_records, write_records
from earsense_m2t.schemas.validate import Problem

DEFAULT_STRATUM = "ensemble"
DEFAULT_GROUP_FRACTION = 0.5
DEFAULT_ROUND_SIZE = 20


@dataclass(frozen=True, kw_only=True)
class TripletParams:
    stratum: str = DEFAULT_STRATUM  # one of STRATA
    #: share of a stratum's new movements drawn into group triplets (the rest go to global triplets)
    group_fraction: float = DEFAULT_GROUP_FRACTION
    round_size: int = DEFAULT_ROUND_SIZE  # triplets per round at most

    def __post_init__(self) -> None:
        if self.stratum not in STRATA:
            raise ValueError(f"TripletParams.stratum must be one of {STRATA}, got {self.stratum!r}")
        if not 0.0 <= self.group_fraction <= 1.0:
            raise ValueError(f"TripletParams.group_fraction must be within 0..1, got {self.group_fraction}")
        if self.round_size < 1:
            raise ValueError(f"TripletParams.round_size must be >= 1, got {self.round_size}")


def triplet_id(movement_ids: Iterable[str], seed: int) -> str:
    text = "\n".join(sorted(movement_ids)) + f"\nseed={seed}"
    return "t" + hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]


def _place(movement_id: str, seed: int, salt: str) -> str:
    return hashlib.sha256(f"{seed}\n{salt}\n{movement_id}".encode()).hexdigest()


def _shuffled(ids: Iterable[str], seed: int, salt: str) -> list[str]:
    return sorted(ids, key=lambda m: (_place(m, seed, salt), m))


def draw_triplets(existing: Sequence[Triplet], pool: Sequence[str], strata: Mapping[str, str | None], *, seed: int = 0,
                  version: str | None = None, params: TripletParams = TripletParams()) -> list[Triplet]:
    """The new triplets for the pooled movements that are in no triplet yet (``existing`` is not changed).

    ``strata``: movement id -> its value of ``params.stratum`` (None: no group; such a movement goes to the
    global triplets only). Group triplets come first in each round, then global ones, each in draw order.
    """
    taken = {m for t in existing for m in t.movement_ids}
    new = sorted(set(pool) - taken)
    groups: dict[str, list[str]] = {}
    for m in new:
        value = strata.get(m)
        if value:
            groups.setdefault(value, []).append(m)
    drawn: list[tuple[str, tuple[str, str, str]]] = []
    in_group: set[str] = set()
    for value in sorted(groups):
        members = _shuffled(groups[value], seed, f"group:{params.stratum}={value}")
        n_triplets = int(len(members) * params.group_fraction) // 3
        for i in range(n_triplets):
            chosen = members[3 * i:3 * i + 3]
            drawn.append((f"group:{params.stratum}={value}", (chosen[0], chosen[1], chosen[2])))
            in_group.update(chosen)
    rest = _shuffled([m for m in new if m not in in_group], seed, GLOBAL_TRIPLET)
    for i in range(len(rest) // 3):
        chosen = rest[3 * i:3 * i + 3]
        drawn.append((GLOBAL_TRIPLET, (chosen[0], chosen[1], chosen[2])))
    first_round = max((t.round for t in existing), default=0) + 1
    return [Triplet(id=triplet_id(ids, seed), round=first_round + i // params.round_size, triplet_type=kind,
                    movement_ids=ids, created_version=version)
            for i, (kind, ids) in enumerate(drawn)]


def check_triplets(triplets: Sequence[Triplet], source: str = "triplets") -> None:
    """Every triplet valid, ids unique, no movement in two triplets; raises :class:`RecordError` naming each."""
    problems = [p for t in triplets for p in validate_record(t)]
    seen_ids: set[str] = set()
    owner: dict[str, str] = {}
    for t in triplets:
        if t.id in seen_ids:
            problems.append(Problem(t.id, f"{source}: duplicate triplet id"))
        seen_ids.add(t.id)
        for m in t.movement_ids:
            if m in owner and owner[m] != t.id:
                problems.append(Problem(t.id, f"{source}: movement {m!r} is already in triplet {owner[m]}"))
            owner.setdefault(m, t.id)
    if problems:
        raise RecordError(problems)


def read_triplets(path: Path) -> list[Triplet]:
    """The triplets written so far ([] when the file does not exist yet), checked."""
    path = Path(path)
    if not path.exists():
        return []
    triplets = read_records(path, Triplet)
    check_triplets(triplets, str(path))
    return triplets


def append_triplets(path: Path, new: Sequence[Triplet]) -> int:
    """Add ``new`` after the triplets already in ``path``; the existing lines are kept byte for byte.

    The whole file is written to a temporary name and renamed (a killed run leaves the old file), and
    it is refused if the result would break a rule (a movement in two triplets, a reused id).
    """
    path = Path(path)
    existing = read_triplets(path)
    check_triplets([*existing, *new], str(path))
    if not new:
        return 0
    old_bytes = path.read_bytes() if path.exists() else b""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.part")
    try:
        write_records(tmp, new)
        data = tmp.read_bytes()
        tmp.write_bytes(old_bytes + (b"" if not old_bytes or old_bytes.endswith(b"\n") else b"\n") + data)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return len(new)


__all__ = ["DEFAULT_ROUND_SIZE", "DEFAULT_STRATUM", "TripletParams", "append_triplets", "check_triplets",
           "draw_triplets", "read_triplets", "triplet_id"]

"""One result shape for every stage: its records, its failures, and what it counted.

Every stage entrypoint returns a :class:`StageResult`. ``counts`` always has ``computed`` (made in
this run), ``reused`` (taken from a cache or an earlier run) and ``dropped`` (items that became a
``Failure``); a stage may add its own counters. ``notes`` names ids a reader wants to see listed
(works new since the last crawl, works found by search, ...). The summary and the card count
failures by stage and reason code from this shape alone, so no stage can drop an item silently.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TypeVar

from earsense_m2t.schemas.records import Failure, Record

R = TypeVar("R", bound=Record)

#: the counters every stage reports, even when zero
BASE_COUNTS = ("computed", "reused", "dropped")
#: ``notes`` keys that the summary reads (acquire), and the prefix of features' quality-flag notes
WORKS_WITHOUT_RECORDING = "works_without_recording"
FOUND_BY_SEARCH = "found_by_search"
ALBUM_TRACKS_FOUND = "album_tracks_found"
SPOTIFY_SKIPPED = "spotify_skipped"
FLAG_NOTE_PREFIX = "flag:"


@dataclass(frozen=True)
class Deadline:
    """The whole build's deadline: when it has passed, a stage stops taking new items and lists the rest
    as ``deadline`` failures, so the build still publishes what finished."""

    seconds: float | None = None  # None: no deadline
    started: float = field(default_factory=time.monotonic)

    def passed(self) -> bool:
        return self.seconds is not None and time.monotonic() - self.started > self.seconds

    def failure(self, stage: str, item_id: str, url: str | None = None) -> Failure:
        return Failure(stage=stage, item_id=item_id, url=url, code="deadline",
                       reason=f"not done: the build's deadline of {self.seconds:g} s had passed")


@dataclass
class StageResult:
    stage: str  # a Stage (earsense_m2t.schemas.stages: crawl … publish, train), or its name as read back from JSON
    records: list[Record] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)
    counts: Counter[str] = field(default_factory=Counter)
    notes: dict[str, list[str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for name in BASE_COUNTS:
            self.counts.setdefault(name, 0)

    def of(self, cls: type[R]) -> list[R]:
        """The records of one type (a stage may hand on more than one, e.g. works and recordings)."""
        return [r for r in self.records if type(r) is cls]

    def add(self, record: Record, *, reused: bool = False) -> None:
        self.records.append(record)
        self.counts["reused" if reused else "computed"] += 1

    def extend(self, records: Iterable[Record], *, reused: bool = False) -> None:
        for record in records:
            self.add(record, reused=reused)

    def drop(self, failure: Failure) -> None:
        """Record an item this stage could not handle: it is a ``Failure`` and counts as dropped."""
        if failure.stage != self.stage:
            raise ValueError(f"a {failure.stage!r} failure reported by the {self.stage!r} stage: {failure.item_id}")
        self.failures.append(failure)
        self.counts["dropped"] += 1

    def note(self, key: str, item_id: str) -> None:
        self.notes.setdefault(key, []).append(item_id)

    def failures_by_code(self) -> Counter[str]:
        return Counter(f.code for f in self.failures)

    @classmethod
    def merge(cls, stage: str, parts: Iterable[StageResult]) -> StageResult:
        """One stage's result from the results of its parts (e.g. one per work), in the order given.

        Records and failures are concatenated, counts added, and each note lists an id once (a part that
        notes what every part notes, such as ``spotify_skipped``, does not repeat it). Given the parts in
        the order the stage itself walks its items, the merged result equals the stage run on all of them.
        """
        merged = cls(stage=stage)
        seen: dict[str, set[str]] = {}
        for part in parts:
            if part.stage != stage:
                raise ValueError(f"a {part.stage!r} result merged into the {stage!r} stage")
            merged.records.extend(part.records)
            merged.failures.extend(part.failures)
            merged.counts.update(part.counts)
            for key, ids in part.notes.items():
                listed, known = merged.notes.setdefault(key, []), seen.setdefault(key, set())
                for item_id in ids:
                    if item_id not in known:
                        known.add(item_id)
                        listed.append(item_id)
        return merged


__all__ = ["ALBUM_TRACKS_FOUND", "BASE_COUNTS", "Deadline", "FLAG_NOTE_PREFIX", "FOUND_BY_SEARCH", "SPOTIFY_SKIPPED",
           "WORKS_WITHOUT_RECORDING", "StageResult"]

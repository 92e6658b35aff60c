"""Plausibility bounds: what a chamber work's page can say, with the reason for each limit.

A value past its bound is a page that is broken or hostile, not music: a page listing 10,000 movements,
"Duration: 99999 minutes". Such a work is a failure (code :data:`IMPLAUSIBLE`) and the rest of the build
publishes. The movements stage enforces the table first (it is where a work's movements come into being,
so nothing downstream aligns, cuts or measures junk); publish checks the same table again as the last gate
before anything is written, so a work that reached it some other way still cannot publish.

The table :data:`BOUNDS` is data: one row per limit (record kind, field, limits, unit, reason). A ``text``
field is measured by its length in characters, the ``movements`` field of a work by how many movements it
has (its own list on the page, or the movements the build made of it), any other field by its value.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from earsense_m2t.schemas import Failure, Movement, Work
from earsense_m2t.schemas.stages import Stage

#: the failure code of a work past a bound
IMPLAUSIBLE = "implausible"

HOUR_S = 3600.0


@dataclass(frozen=True)
class Bound:
    """One row of the table: ``low <= measure(record.field) <= high`` (a missing value is never out of bounds)."""

    record: str  # "work" or "movement" (the record's ``kind``)
    field: str  # a field of the record, or "movements" (a work's movement count)
    low: float | None
    high: float | None
    unit: str  # "s", "characters", "movements"
    reason: str

    def problem(self, value: float | None) -> str | None:
        """Why ``value`` is past this bound, or None when it is inside (or absent)."""
        if value is None:
            return None
        if self.high is not None and value > self.high:
            return f"{self.field} = {value:g} {self.unit} is above {self.high:g} {self.unit}: {self.reason}"
        if self.low is not None and value < self.low:
            return f"{self.field} = {value:g} {self.unit} is below {self.low:g} {self.unit}: {self.reason}"
        return None


#: the bounds, by record and field
BOUNDS: tuple[Bound, ...] = (
    Bound("work", "movements", None, 60, "movements",
          "the chamber works with the most parts (Kurtág's Kafka-Fragmente: 40; Bach's Goldberg Variations: 32) "
          "stay well below 60; a longer list is a listing page or junk, not one work"),
    Bound("work", "approx_duration_s", 1.0, 6 * HOUR_S, "s",
          "the longest chamber work performed, Feldman's String Quartet No. 2, lasts 4 to 6 hours; a stated "
          "duration beyond that (or of zero) is a typo or junk"),
    Bound("work", "title", None, 300, "characters",
          "a work's title with its catalogue number is under 150 characters; a longer one is page text"),
    Bound("work", "composer", None, 200, "characters",
          "a composer's full name is under 100 characters; a longer one is page text"),
    Bound("work", "article", None, 100_000, "characters",
          "an EarSense article runs to a few thousand words (under 20,000 characters); five times that is "
          "not an introduction to one work"),
    Bound("movement", "title", None, 300, "characters",
          "a movement title, even a chain of tempo markings, is under 150 characters; a longer one is page text"),
    Bound("movement", "text", None, 20_000, "characters",
          "a passage is the part of an article about one movement, a few hundred words; one of more than "
          "20,000 characters is the article misassigned or junk"),
    Bound("movement", "expected_duration_s", 1.0, 6 * HOUR_S, "s",
          "no movement outlasts the longest chamber work (6 hours); a listed duration of zero is no duration"),
)


def _measure(bound: Bound, record: object, counts: Mapping[str, int]) -> float | None:
    if bound.field in counts:
        return counts[bound.field]
    value = getattr(record, bound.field, None)
    if value is None:
        return None
    if bound.unit == "characters":
        return len(str(value))
    return float(value)


def record_problems(record: Work | Movement, counts: Mapping[str, int] | None = None) -> list[str]:
    """Every bound ``record`` is past, each as a sentence naming the field, its value, the limit and why.

    ``counts`` gives the counted fields (a work's ``movements``); a counted field not given is not checked.
    """
    counts = dict(counts or {})
    out = []
    for bound in BOUNDS:
        if bound.record != record.kind or (bound.unit == "movements" and bound.field not in counts):
            continue
        problem = bound.problem(_measure(bound, record, counts))
        if problem is not None:
            out.append(problem)
    return out


def work_problems(work: Work, movements: Iterable[Movement] = (), n_movements: int | None = None) -> list[str]:
    """Every bound the work or one of its movements is past. ``n_movements``: how many movements it has
    (default: the larger of its page's list and ``movements``)."""
    movements = list(movements)
    count = max(len(work.page_movement_titles), len(movements)) if n_movements is None else n_movements
    out = record_problems(work, {"movements": count})
    for movement in movements:
        out += [f"movement {movement.number}: {p}" for p in record_problems(movement)]
    return out


def implausible(work: Work, problems: list[str], stage: Stage = Stage.MOVEMENTS) -> Failure:
    shown = "; ".join(problems[:3]) + (f"; … and {len(problems) - 3} more" if len(problems) > 3 else "")
    return Failure(stage=stage, item_id=work.id, url=work.url, code=IMPLAUSIBLE,
                   reason=f"past the plausibility bounds, not published: {shown}")


__all__ = ["BOUNDS", "IMPLAUSIBLE", "Bound", "implausible", "record_problems", "work_problems"]

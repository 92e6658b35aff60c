"""What publish leaves out: records that fail validation or the plausibility bounds, and what hangs on them.

One bad upload must not stop every refresh, so a row that cannot be published becomes a ``Failure`` of the
publish stage (listed in the card's failure table and the build summary) and the rest publishes. But when a
large share of the rows is invalid, the code is more likely wrong than the input: publish then refuses the
whole version (:data:`MAX_INVALID_SHARE`).

A dropped record takes along what cannot stand without it: a work its movements, texts and recordings; a
movement its segment, clip and annotation rows; a segment its clip; a clip its annotation excerpt. A problem
that names no record of the build (a carried row of the live version, an encoding error of no single row)
is not the input's fault either, and refuses the version too.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence

from earsense_m2t.movements.bounds import IMPLAUSIBLE, work_problems
from earsense_m2t.publish.rows import Bundle
from earsense_m2t.schemas import Failure, RecordError, by_work, validate_bundle, validate_record
from earsense_m2t.schemas.stages import Stage
from earsense_m2t.schemas.validate import Problem

MAX_INVALID_SHARE = 0.10
"""Publish refuses the version when more than this share of the build's records is invalid.

A hostile or broken page or upload spoils one work's records: on the real site (about a thousand works,
several thousand movements, segments and clips) even ten such works are well under 1 % of the records, and
on the 14-work mini site one is under 5 %. A code change that breaks a field breaks it in every record that
has it, and the smallest such group the pipeline makes (one tempo class, one segmentation method, the
works without audio) is well over 10 % of the records. So above 10 % the likelier cause is the code, and
publishing the remainder would hide it. Records an earlier stage already failed for the same reason (a work the
movements stage found ``implausible``) are left out but not counted: that is the code working, not failing."""

#: the record kinds publish checks, in the order they cascade (a later one hangs on an earlier one)
KINDS = ("work", "movement", "segment", "clip", "pool_excerpt", "relative_annotation")


def bundle_problems(bundle: Bundle) -> list[Problem]:
    """Every problem of the build's records: field rules, links, and the works' plausibility bounds."""
    problems = validate_bundle(bundle.works, bundle.movements, bundle.segments, bundle.clips)
    problems += [p for r in [*bundle.annotation_pool, *bundle.relative_annotations] for p in validate_record(r)]
    movements = by_work(bundle.movements)
    for work in bundle.works:
        problems += [Problem(work.id, reason, "work", IMPLAUSIBLE)
                     for reason in work_problems(work, movements.get(work.id, []))]
    return problems


def checked_records(bundle: Bundle) -> int:
    """How many records :func:`bundle_problems` checks (the denominator of the invalid share)."""
    return (len(bundle.works) + len(bundle.movements) + len(bundle.segments) + len(bundle.clips)
            + len(bundle.annotation_pool) + len(bundle.relative_annotations))


def _kind_of(problem: Problem, bundle: Bundle) -> str | None:
    if problem.kind in KINDS:
        return problem.kind
    if problem.kind:
        return None
    if any(w.id == problem.record_id for w in bundle.works):
        return "work"
    if any(m.id == problem.record_id for m in bundle.movements):
        return "movement"
    return None


def drop_invalid(bundle: Bundle, problems: Sequence[Problem], *, total: int, invalid_before: int = 0,
                 ) -> tuple[Bundle, list[Failure], int]:
    """``bundle`` without the records ``problems`` name and what hangs on them, the publish failures that
    say so, and the number of invalid records so far (``invalid_before`` plus these).

    ``total``: the records the build offered (:func:`checked_records` of the bundle as loaded). Raises
    :class:`RecordError` with every problem when one names no record of the build, or when the invalid
    records exceed :data:`MAX_INVALID_SHARE` of ``total``.
    """
    if not problems:
        return bundle, [], invalid_before
    bad: dict[tuple[str, str], list[Problem]] = {}
    for problem in problems:
        kind = _kind_of(problem, bundle)
        if kind is None:
            raise RecordError(problems)
        bad.setdefault((kind, problem.record_id), []).append(problem)
    # a record an earlier stage already failed for the same reason (the movements stage: ``implausible``) is the
    # code working, not a sign of it being wrong: it is left out but not counted against the share
    listed = {(f.item_id, f.code) for f in bundle.failures}
    unexpected = [key for key, found in bad.items() if (key[1], found[0].code) not in listed]
    invalid = invalid_before + len(unexpected)
    if invalid > MAX_INVALID_SHARE * total:
        raise RecordError([*problems, Problem("*", f"{invalid} of {total} records are invalid, more than "
                                                   f"{MAX_INVALID_SHARE:.0%}: likelier the code than the input")])

    def ids(kind: str) -> set[str]:
        return {rid for k, rid in bad if k == kind}

    works = ids("work")
    movements = ids("movement") | {m.id for m in bundle.movements if m.work_id in works}
    segments = ids("segment") | {s.id for s in bundle.segments if s.movement_id in movements}
    clips = ids("clip") | {c.id for c in bundle.clips if c.movement_id in movements or c.id in segments}
    excerpts = ids("pool_excerpt") | {p.id for p in bundle.annotation_pool if p.movement_id in movements | clips}
    pairs = ids("relative_annotation")
    gone_movements = movements | excerpts

    def keep(records: Iterable, drop: set[str], key: str = "id") -> list:
        return [r for r in records if getattr(r, key) not in drop]

    kept = dataclasses.replace(
        bundle, works=keep(bundle.works, works), movements=keep(bundle.movements, movements),
        recordings=keep(bundle.recordings, works, "work_id"), work_texts=keep(bundle.work_texts, works, "work_id"),
        segments=keep(bundle.segments, segments), clips=keep(bundle.clips, clips),
        annotation_pool=keep(bundle.annotation_pool, excerpts),
        relative_annotations=[r for r in bundle.relative_annotations
                              if r.id not in pairs and r.a not in gone_movements and r.b not in gone_movements])
    failures = []
    for (kind, rid), found in bad.items():
        code = found[0].code
        if (rid, code) in listed:  # listed once, by the stage that failed it first
            continue
        reasons = "; ".join(dict.fromkeys(p.reason for p in found))
        failures.append(Failure(stage=Stage.PUBLISH, item_id=rid, code=code,
                                reason=f"{kind} left out of the release: {reasons}"))
    kept = dataclasses.replace(kept, failures=[*kept.failures, *failures])
    return kept, failures, invalid


__all__ = ["KINDS", "MAX_INVALID_SHARE", "bundle_problems", "checked_records", "drop_invalid"]

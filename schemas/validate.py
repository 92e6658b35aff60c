"""One validator for every record: field rules, links between records and time bounds.

Problems are collected, not raised one at a time, so a publish that refuses to go ahead can list every
bad row id with its reason at once.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, get_args

from earsense_m2t.folding import is_slug
from earsense_m2t.schemas.annotation import (
    AGREEMENTS,
    ANSWERS,
    CONSISTENCIES,
    GLOBAL_TRIPLET,
    JUDGMENT_SOURCES,
    OUTCOMES,
    QUESTIONS,
    STRATA,
    SUBSETS,
    Judgment,
    PoolExcerpt,
    RelativeAnnotation,
    Triplet,
    pair_id,
)
from earsense_m2t.schemas.records import (
    TEMPO_CLASSES,
    Clip,
    Media,
    Movement,
    Record,
    Recording,
    Segment,
    SegmentMethod,
    TempoSource,
    Work,
)

TEMPO_SOURCES: tuple[str, ...] = get_args(TempoSource)  # one definition: the Literal in records.py
SEGMENT_METHODS: tuple[str, ...] = get_args(SegmentMethod)
MODES = ("major", "minor")
_HEX64 = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True)
class Problem:
    record_id: str
    reason: str
    kind: str = ""  # the record's kind ("work", "movement", "clip", …); "" when not known
    code: str = "invalid_record"  # the failure code when the record is dropped for it

    def __str__(self) -> str:
        return f"{self.record_id}: {self.reason}"


class RecordError(ValueError):
    """Raised with every problem found, each naming the record id and the bad value."""

    def __init__(self, problems: Sequence[Problem]):
        self.problems = list(problems)
        shown = "\n  ".join(str(p) for p in self.problems[:50])
        more = f"\n  … and {len(self.problems) - 50} more" if len(self.problems) > 50 else ""
        super().__init__(f"{len(self.problems)} invalid record(s):\n  {shown}{more}")


def _finite(value: float | None) -> bool:
    return value is None or math.isfinite(value)


def _check_work(w: Work) -> list[str]:
    out = []
    if not is_slug(w.id):
        out.append(f"id {w.id!r} is not a slug (letters, digits and '-', at most 200 characters)")
    if not w.title.strip():
        out.append("empty title")
    if w.mode is not None and w.mode not in MODES:
        out.append(f"mode {w.mode!r} not in {MODES}")
    if len(w.page_sha256) != 64:
        out.append(f"page_sha256 {w.page_sha256!r} is not a sha256 hex digest")
    return out


def _check_movement(m: Movement) -> list[str]:
    out = []
    if m.id != f"{m.work_id}#{m.number}":
        out.append(f"id {m.id!r} does not match work_id#number ({m.work_id}#{m.number})")
    if m.number < 1:
        out.append(f"number {m.number} < 1")
    if m.tempo_tag is not None and m.tempo_tag not in TEMPO_CLASSES:
        out.append(f"tempo_tag {m.tempo_tag!r} not in {TEMPO_CLASSES}")
    if m.tempo_source not in TEMPO_SOURCES:
        out.append(f"tempo_source {m.tempo_source!r} not in {TEMPO_SOURCES}")
    if (m.tempo_tag is None) != (m.tempo_source == "none"):
        out.append(f"tempo_tag {m.tempo_tag!r} disagrees with tempo_source {m.tempo_source!r}")
    if m.text_confidence is not None and not 0.0 <= m.text_confidence <= 1.0:
        out.append(f"text_confidence {m.text_confidence} outside 0..1")
    return out


def _check_segment(s: Segment) -> list[str]:
    out = []
    if not (0.0 <= s.start_s < s.end_s) or not _finite(s.end_s):
        out.append(f"bad time bounds start_s={s.start_s} end_s={s.end_s}")
    if s.method not in SEGMENT_METHODS:
        out.append(f"method {s.method!r} not in {SEGMENT_METHODS}")
    if not 0.0 <= s.confidence <= 1.0:
        out.append(f"confidence {s.confidence} outside 0..1")
    return out


def _check_clip(c: Clip) -> list[str]:
    out = []
    if c.duration_s <= 0:
        out.append(f"duration_s {c.duration_s} <= 0")
    if c.sample_rate_hz <= 0:
        out.append(f"sample_rate_hz {c.sample_rate_hz} <= 0")
    for name in ("loudness_before_lufs", "loudness_after_lufs", "gain_db", "true_peak_dbtp"):
        if not _finite(getattr(c, name)):
            out.append(f"{name} is not finite ({getattr(c, name)})")
    return out


def _check_recording(r: Recording) -> list[str]:
    out = []
    if r.id != f"{r.work_id}@{r.source_id}":
        out.append(f"id {r.id!r} does not match work_id@source_id")
    if not r.source_url.startswith(("http://", "https://")):
        out.append(f"source_url {r.source_url!r} is not http(s)")
    return out


def _check_media(m: Media) -> list[str]:
    return [] if len(m.sha256) == 64 else [f"sha256 {m.sha256!r} is not a hex digest"]


def _check_pool_excerpt(p: PoolExcerpt) -> list[str]:
    out = []
    if p.id != p.movement_id:
        out.append(f"id {p.id!r} is not its movement_id {p.movement_id!r}")
    if not (p.start_s >= 0.0 and p.duration_s > 0.0 and _finite(p.start_s + p.duration_s)):
        out.append(f"bad excerpt bounds start_s={p.start_s} duration_s={p.duration_s}")
    for name in ("loudness_before_lufs", "playback_gain_db", "rms_dbfs", "onset_rate_hz", "silver_arousal",
                 "silver_valence"):
        if not _finite(getattr(p, name)):
            out.append(f"{name} is not finite ({getattr(p, name)})")
    if not _HEX64.fullmatch(p.excerpt_sha256):
        out.append(f"excerpt_sha256 {p.excerpt_sha256!r} is not a sha256 hex digest")
    if "/" in p.excerpt_file or "\\" in p.excerpt_file or p.excerpt_file.startswith("."):
        out.append(f"excerpt_file {p.excerpt_file!r} is not a plain file name under excerpts/")
    if p.tempo_tag is not None and p.tempo_tag not in TEMPO_CLASSES:
        out.append(f"tempo_tag {p.tempo_tag!r} not in {TEMPO_CLASSES}")
    return out


def _check_triplet_type(value: str) -> str | None:
    if value == GLOBAL_TRIPLET:
        return None
    stratum, _, group = value.removeprefix("group:").partition("=")
    if value.startswith("group:") and stratum in STRATA and group:
        return None
    return f"triplet_type {value!r} is neither {GLOBAL_TRIPLET!r} nor 'group:<stratum>=<value>' with a stratum in {STRATA}"


def _check_triplet(t: Triplet) -> list[str]:
    out = []
    if not re.fullmatch(r"t[0-9a-f]{12}", t.id):
        out.append(f"id {t.id!r} is not 't' and 12 hex digits")
    if t.round < 1:
        out.append(f"round {t.round} < 1")
    if len(t.movement_ids) != 3 or len(set(t.movement_ids)) != 3 or not all(t.movement_ids):
        out.append(f"movement_ids {t.movement_ids!r} are not three different movement ids")
    problem = _check_triplet_type(t.triplet_type)
    return out + ([problem] if problem else [])


def _check_judgment(j: Judgment) -> list[str]:
    out = []
    if not j.a or not j.b or j.a == j.b:
        out.append(f"pair ({j.a!r}, {j.b!r}) is not two different movement ids")
    if j.question not in QUESTIONS:
        out.append(f"question {j.question!r} not in {QUESTIONS}")
    if j.answer not in ANSWERS:
        out.append(f"answer {j.answer!r} not in {ANSWERS}")
    if j.source not in JUDGMENT_SOURCES:
        out.append(f"source {j.source!r} not in {JUDGMENT_SOURCES}")
    if not j.annotator.strip():
        out.append("empty annotator")
    return out


def _check_relative_annotation(r: RelativeAnnotation) -> list[str]:
    out = []
    if r.pair_id != pair_id(r.a, r.b):
        out.append(f"pair_id {r.pair_id!r} is not a-b ({pair_id(r.a, r.b)!r})")
    if r.question not in QUESTIONS:
        out.append(f"question {r.question!r} not in {QUESTIONS}")
    if r.outcome is not None and r.outcome not in OUTCOMES:
        out.append(f"outcome {r.outcome!r} not in {OUTCOMES}")
    if r.agreement not in AGREEMENTS:
        out.append(f"agreement {r.agreement!r} not in {AGREEMENTS}")
    bad_subsets = [s for s in r.subsets if s not in SUBSETS]
    if bad_subsets:
        out.append(f"subsets {bad_subsets} not in {SUBSETS}")
    if r.triplet_consistency is not None and r.triplet_consistency not in CONSISTENCIES:
        out.append(f"triplet_consistency {r.triplet_consistency!r} not in {CONSISTENCIES}")
    if r.source not in JUDGMENT_SOURCES:
        out.append(f"source {r.source!r} not in {JUDGMENT_SOURCES}")
    if (r.source == "silver") != (r.agreement == "silver"):
        out.append(f"source {r.source!r} disagrees with agreement {r.agreement!r} (silver rows and only they are 'silver')")
    if r.source == "silver" and r.subsets:
        out.append(f"a silver row is in ground-truth subsets {list(r.subsets)}")
    if r.annotators < 0:
        out.append(f"annotators {r.annotators} < 0")
    problem = _check_triplet_type(r.triplet_type)
    return out + ([problem] if problem else [])


# each check takes the record type it is keyed by, hence Any for its argument
_CHECKS: Mapping[type[Record], Callable[[Any], list[str]]] = {
    Work: _check_work, Movement: _check_movement, Segment: _check_segment,
    Clip: _check_clip, Recording: _check_recording, Media: _check_media,
    PoolExcerpt: _check_pool_excerpt, Triplet: _check_triplet, Judgment: _check_judgment,
    RelativeAnnotation: _check_relative_annotation,
}


def validate_record(record: Record) -> list[Problem]:
    check = _CHECKS.get(type(record))
    rid: str = getattr(record, "id", "") or getattr(record, "source_id", "?")
    return [Problem(rid, reason, record.kind) for reason in (check(record) if check else [])]


def validate_bundle(
    works: Iterable[Work],
    movements: Iterable[Movement],
    segments: Iterable[Segment] = (),
    clips: Iterable[Clip] = (),
) -> list[Problem]:
    """Field rules plus links: every movement's work exists, every segment/clip's movement exists."""
    works, movements, segments, clips = list(works), list(movements), list(segments), list(clips)
    problems: list[Problem] = []
    for rec in [*works, *movements, *segments, *clips]:
        problems += validate_record(rec)
    work_ids = {w.id for w in works}
    movement_ids = {m.id for m in movements}
    for kind, records in (("work", works), ("movement", movements), ("segment", segments), ("clip", clips)):
        seen: set[str] = set()
        for rec in records:
            if rec.id in seen:
                problems.append(Problem(rec.id, f"duplicate {kind} id", kind))
            seen.add(rec.id)
    problems += [Problem(m.id, f"work {m.work_id!r} does not exist", "movement") for m in movements
                 if m.work_id not in work_ids]
    problems += [Problem(s.id, f"movement {s.movement_id!r} does not exist", "segment") for s in segments
                 if s.movement_id not in movement_ids]
    problems += [Problem(c.id, f"movement {c.movement_id!r} does not exist", "clip") for c in clips
                 if c.movement_id not in movement_ids]
    return problems

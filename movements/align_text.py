"""``earsense-m2t align-text``: align article texts to movements, JSON Lines in and out.

Input, one JSON object per line (blank lines are skipped)::

    {"article": ["paragraph", ...], "titles": ["I. Allegro", ...]}
    {"article": ["paragraph", ...], "titles": [], "count": 3}
    {"article": ["paragraph", ...]}

``article`` (required) is the list of the article's paragraphs; ``titles`` (optional, default empty)
the movement titles; ``count`` (optional, only meaningful without titles) the number of movements.
With neither titles nor count, the number of movements is inferred from the article's own cues ("In
four movements", "a three-movement work", ordinals, "the finale"; ``align.infer_movement_count``).
Other keys are ignored, so a caller may carry its own ids along.

Output, one JSON object per input line, in input order::

    {"texts": ["passage" or null, ...], "confidence": [0.85, ..., 0]}

one entry per movement (an empty list when the number of movements cannot be found), ``null`` and
confidence 0 for a movement the article does not describe. A critic's quoted description of the
movements is aligned like the article's own sentences, its quotation marks removed; attributions,
lead-ins, biography and publisher text never appear in a passage (rules in ``movements/align.py``).

A malformed line (not JSON, not an object, a missing or wrongly typed field) is an ``AlignTextError``
naming its line number; the command then writes nothing to stdout (a consumer never gets a stream
whose lines no longer match the input) and exits with code 2.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from earsense_m2t.movements.align import Alignment, align_article, infer_movement_count

CONFIDENCE_DIGITS = 4  # the aligner's confidences are products of a few two-digit constants


class AlignTextError(ValueError):
    """Malformed input; the message names the line number(s)."""


@dataclass(frozen=True)
class WorkText:
    """One input line: an article with whatever the caller knows about its movements."""

    line: int  # 1-based line number in the input
    paragraphs: tuple[str, ...]
    titles: tuple[str, ...] = ()
    count: int | None = None


def _string_list(value: Any, field: str, line: int) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise AlignTextError(f"line {line}: {field!r} must be a list of strings, got {_describe(value)}")
    return tuple(value)


def _describe(value: Any) -> str:
    if isinstance(value, list):
        kinds = sorted({type(v).__name__ for v in value if not isinstance(v, str)})
        return f"a list holding {', '.join(kinds)}" if kinds else "a list"
    return "null" if value is None else type(value).__name__


def parse_line(text: str, line: int) -> WorkText:
    """One JSON Lines record, checked; an AlignTextError names the line and what is wrong."""
    try:
        record = json.loads(text)
    except json.JSONDecodeError as exc:
        raise AlignTextError(f"line {line}: not valid JSON ({exc.msg} at column {exc.colno})") from None
    if not isinstance(record, dict):
        raise AlignTextError(f"line {line}: expected a JSON object, got {_describe(record)}")
    if "article" not in record:
        raise AlignTextError(f"line {line}: missing 'article' (a list of paragraphs)")
    paragraphs = _string_list(record["article"], "article", line)
    titles = _string_list(record.get("titles", []), "titles", line)
    count = record.get("count")
    if count is not None and (isinstance(count, bool) or not isinstance(count, int) or count < 1):
        raise AlignTextError(f"line {line}: 'count' must be a positive whole number, got {count!r}")
    if count is not None and titles and count != len(titles):
        raise AlignTextError(f"line {line}: 'count' is {count} but there are {len(titles)} titles")
    return WorkText(line, paragraphs, titles, count)


def parse_lines(lines: Iterable[bytes | str]) -> list[WorkText]:
    """All records of the input, or one AlignTextError naming the first bad line and any others."""
    works: list[WorkText] = []
    errors: list[AlignTextError] = []
    bad_lines: list[int] = []
    for number, raw in enumerate(lines, 1):
        try:
            text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
        except UnicodeDecodeError:
            errors.append(AlignTextError(f"line {number}: not UTF-8 text"))
            bad_lines.append(number)
            continue
        if not text.strip():
            continue
        try:
            works.append(parse_line(text, number))
        except AlignTextError as exc:
            errors.append(exc)
            bad_lines.append(number)
    if errors:
        rest = bad_lines[1:]
        others = f" (also malformed: line{'s' if len(rest) > 1 else ''} {', '.join(map(str, rest))})" if rest else ""
        raise AlignTextError(f"{errors[0]}{others}")
    return works


def movement_count(work: WorkText, article: str) -> int:
    """Titles, else the caller's count, else what the article implies; 0 when nothing says."""
    return len(work.titles) or work.count or infer_movement_count(article) or 0


def result_record(alignment: Alignment, count: int) -> dict[str, list[Any]]:
    """One output object: a text (or null) and a confidence (0 for null) per movement."""
    passages = {p.number: p for p in alignment.passages}
    numbers = range(1, max([count, *passages]) + 1)
    return {
        "texts": [passages[n].text if n in passages else None for n in numbers],
        "confidence": [round(passages[n].confidence, CONFIDENCE_DIGITS) if n in passages else 0 for n in numbers],
    }


def align_work(work: WorkText) -> dict[str, list[Any]]:
    article = "\n\n".join(p.strip() for p in work.paragraphs if p.strip())
    alignment = align_article(article, work.titles, count=work.count)
    return result_record(alignment, movement_count(work, article))


def align_lines(lines: Iterable[bytes | str]) -> Iterator[str]:
    """Output lines (JSON, no newline), one per input record; raises AlignTextError before yielding any."""
    works = parse_lines(lines)
    for work in works:
        yield json.dumps(align_work(work), ensure_ascii=False)

"""The header facts of a work page, read from their text: "Born: …", "Died: …", "Duration: …", "Composed: …".

Each parser takes the value as the page writes it (after the label) and returns plain values; a piece
that is missing or unreadable is ``None``, never an exception. The shapes are those of the real site:

- ``Born: March 31, 1732, Rohrau`` / ``Born: 1732, Rohrau`` / ``Born: c. 1710, Jesi``
- ``Died: May 31, 1809, Vienna (age 77)`` / ``Died: 1809 (age 77)``
- ``Duration: 22 minutes (approximately)`` / ``Duration: 25-30 minutes`` / ``Duration: 1 hour 5 minutes``
- ``Composed: 1797 (age 64-65)`` / ``Composed: 1825-26 (age 55)`` / ``Composed: c. 1790``
- the instrumentation line ``(for 2 violins, viola and cello)``
"""

from __future__ import annotations

import re

#: a year a composer could be born, die or compose in; not part of a longer number, not a decade ("1840s")
YEAR_RE = re.compile(r"(?<!\d)(1[0-9]\d\d|20\d\d)(?!\d|s\b)")
AGE_RE = re.compile(r"\(\s*age[^)]*\)", re.IGNORECASE)
#: "c.", "ca.", "circa", "about" before a date: the year is still the year
APPROX_RE = re.compile(r"^(?:c\.|ca\.|circa|about|approx\.?|around|bapt(?:ized|\.)?)\s*", re.IGNORECASE)
HOURS_RE = re.compile(r"(\d+(?:[.,]\d+)?)\s*(?:hours?|hrs?\.?|h\b)", re.IGNORECASE)
MINUTES_RE = re.compile(r"(\d+(?:[.,]\d+)?)(?:\s*[-–—]\s*(\d+(?:[.,]\d+)?))?\s*(?:minutes?|mins?\.?|'|′|m\b)", re.IGNORECASE)
CLOCK_RE = re.compile(r"(?<![\d:])(?:(\d+):)?(\d{1,2}):(\d{2})(?![\d:])")
INSTRUMENTATION_RE = re.compile(r"^for\s+(?P<value>.+)$", re.IGNORECASE | re.DOTALL)


def _clean(text: str | None) -> str:
    return re.sub(r"\s+", " ", text or "").strip()


def parse_year_and_place(text: str | None) -> tuple[int | None, str | None]:
    """'March 31, 1732, Rohrau' -> (1732, 'Rohrau'); the place is what follows the date, comma-separated.

    '(age N)' is ignored; a value without a year is taken as a place only when it has no digits at all.
    """
    value = AGE_RE.sub("", _clean(text)).strip(" ,;")
    if not value:
        return None, None
    parts = [p.strip() for p in value.split(",")]
    for i, part in enumerate(parts):
        m = YEAR_RE.search(part)
        if m:
            place = ", ".join(p for p in parts[i + 1:] if p) or None
            return int(m.group(1)), place
    if re.search(r"\d", value):
        return None, None
    return None, value


def parse_born(text: str | None) -> tuple[int | None, str | None]:
    """The birth year and place of a "Born:" value."""
    return parse_year_and_place(APPROX_RE.sub("", _clean(text)))


def parse_died(text: str | None) -> tuple[int | None, str | None, int | None]:
    """The death year, place and age of a "Died:" value ('May 31, 1809, Vienna (age 77)')."""
    value = APPROX_RE.sub("", _clean(text))
    year, place = parse_year_and_place(value)
    age = re.search(r"\(\s*age\s*(\d+)", value, re.IGNORECASE)
    return year, place, int(age.group(1)) if age else None


def parse_composed(text: str | None) -> int | None:
    """The year a "Composed:" value starts with ('1825-26 (age 55)' -> 1825, 'c. 1790' -> 1790)."""
    m = YEAR_RE.search(AGE_RE.sub("", _clean(text)))
    return int(m.group(1)) if m else None


def parse_minutes(text: str | None) -> float | None:
    """A "Duration:" value in seconds: '22 minutes (approximately)' -> 1320.0.

    A range ('25-30 minutes') is its middle; hours count ('1 hour 5 minutes'); a clock ('1:05:00' or
    '32:00') is read as hours/minutes/seconds; a bare number is minutes.
    """
    value = _clean(text)
    if not value:
        return None
    clock = CLOCK_RE.search(value)
    if clock and not MINUTES_RE.search(value):
        hours = int(clock.group(1) or 0)
        return float(hours * 3600 + int(clock.group(2)) * 60 + int(clock.group(3)))
    total = 0.0
    found = False
    hours_m = HOURS_RE.search(value)
    if hours_m:
        total += float(hours_m.group(1).replace(",", ".")) * 3600
        found = True
    minutes_m = MINUTES_RE.search(value)
    if minutes_m:
        low = float(minutes_m.group(1).replace(",", "."))
        high = float(minutes_m.group(2).replace(",", ".")) if minutes_m.group(2) else low
        total += (low + high) / 2 * 60
        found = True
    if not found:
        bare = re.fullmatch(r"(?:c\.|ca\.|about)?\s*(\d+(?:[.,]\d+)?)\s*(?:\(.*\))?", value, re.IGNORECASE)
        if not bare:
            return None
        total = float(bare.group(1).replace(",", ".")) * 60
    return total if total > 0 else None


def parse_instrumentation(text: str | None) -> str | None:
    """'(for 2 violins, viola and cello)' -> '2 violins, viola and cello'; None when it does not start with "for"."""
    value = _clean(text)
    if value.startswith("(") and value.endswith(")"):
        value = value[1:-1].strip()
    m = INSTRUMENTATION_RE.match(value)
    if not m:
        return None
    return m.group("value").strip(" .") or None


def parse_plain(text: str | None) -> str | None:
    """A fact kept as written (nationality, published, dedication): single spaces, None when empty."""
    value = _clean(text).strip(" ;")
    return value or None

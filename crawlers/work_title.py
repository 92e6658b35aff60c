"""Facts read off a work title and the composer line: number, catalogue number, year, life dates."""

from __future__ import annotations

import re

# catalogue systems seen in chamber-music titles, longest first so "Op. posth." wins over "Op."
CATALOGUE_RE = re.compile(
    r"\b(?P<cat>Op\.?\s*posth\.?|Op\.|Opus|K\.|KV|Hob\.|BWV|D\.|WoO|B\.|RV|HWV|L\.|FP|M\.|TrV|Sz\.|JW)\s*"
    r"(?P<num>[IVXLC]+\s*:\s*\d+|\d+[a-z]?(?:\s*(?:No\.|Nr\.)\s*\d+)?)?",
)
NUMBER_RE = re.compile(r"\b(?:No\.|Nr\.|Number)\s*(?P<num>\d+)")
YEAR_RE = re.compile(r"\b(1[5-9]\d\d|20[0-2]\d)\b")
BORN_ONLY_RE = re.compile(r"\b(?:b\.|born)\s*(?P<birth>1[5-9]\d\d|20\d\d)\b", re.IGNORECASE)
LIFE_RE = re.compile(r"(?P<birth>1[5-9]\d\d|20\d\d)\s*[-–—]\s*(?P<death>1[5-9]\d\d|20\d\d)?")


def parse_catalogue(title: str) -> str | None:
    m = CATALOGUE_RE.search(title)
    if not m or not (m.group("num") or "posth" in m.group("cat")):
        return None
    return re.sub(r"\s+", " ", m.group(0)).strip().rstrip(",")


def parse_number(title: str) -> str | None:
    # "No." right after a catalogue number belongs to the catalogue ("Op. 18 No. 4")
    stripped = CATALOGUE_RE.sub("", title)
    m = NUMBER_RE.search(stripped)
    return f"No. {m.group('num')}" if m else None


def parse_year(text: str | None) -> int | None:
    m = YEAR_RE.search(text or "")
    return int(m.group(1)) if m else None


def parse_life_dates(text: str | None) -> tuple[int | None, int | None]:
    """'(1732-1809)' -> (1732, 1809); '(1950-)' and '(b. 1950)' -> (1950, None)."""
    m = LIFE_RE.search(text or "")
    if not m:
        born = BORN_ONLY_RE.search(text or "")
        return (int(born.group("birth")), None) if born else (None, None)
    death = m.group("death")
    return int(m.group("birth")), int(death) if death else None


def parse_duration(text: str | None) -> float | None:
    """'26:14' or '1:02:03' (as a page states it) in seconds; None when absent or unreadable."""
    m = re.search(r"(?:(\d+):)?(\d{1,2}):(\d{2})", text or "")
    if not m:
        return None
    hours = int(m.group(1) or 0)
    return float(hours * 3600 + int(m.group(2)) * 60 + int(m.group(3)))

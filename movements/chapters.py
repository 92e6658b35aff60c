"""Movement starts from a whole-work video's description, and which movement each chapter is.

Uploaders list movement starts in many shapes ("00:00 - I. Allegro", "I.Allegro moderato  0:00",
"[12:30] Finale", "1st movement: 01:31"); every accepted shape is in :mod:`earsense_m2t.movements.chapter_formats`.
This module reads that table and holds the rules a table cannot say:

- **Only lists count.** A chapter line is a line whose time stands first or last; consecutive chapter
  lines (blank lines between them allowed, any other line ends the run) form a list, and only runs
  of at least two chapters are lists. A lone time stamp ("the cello enters at 3:15", "Live, 19:30")
  is prose and yields nothing.
- **Several lists** (a video of two works, each with its heading) are joined in text order when the
  joined times still increase; otherwise the longest list that increases on its own is taken.
- **Times must strictly increase inside a list, or the list is rejected** rather than repaired.
  A list that goes back in time is almost always a list of *durations* ("I. Allegro 8:41",
  "II. Adagio 7:12"), where dropping the "offending" lines would leave confident, wrong segments;
  rejecting it hands the recording to silence detection, which is safe.
- **A first chapter after 0:00 is kept as written**: what comes before it (a spoken introduction,
  tuning, applause) is not part of any movement.
- **An untimed first line** starts at 0:00 only when it carries the numbering of movement 1 and the
  first timed line the numbering of movement 2 (see ``UNTIMED_FIRST_LINE_EXAMPLE``).
- **A list timed from the second movement on** implies movement 1 at 0:00, but only when the caller
  knows the number of movements (``parse_chapters(text, movements=N)``): the list must have N - 1
  chapters, start after 0:00 with movement 2's numbering, and number no later chapter against its
  place. Without the count nothing is added — an unnumbered or short list may as well have lost its
  last movement, or start after an introduction (see ``IMPLIED_FIRST_NAME``).
- **Ranges** ("0:00 - 8:41 Allegro") give their start; a second, trailing time on a time-first line
  ("0:00 I. Allegro (8:41)") is a duration and is cut from the name.
- **A time alone on its line** takes the next line as its name when that line is not a chapter line.
- **Dotted times** ("12.30") are read only when the description has no colon-time list.

Matching chapters to movements (:func:`match_chapters`) aligns the two sequences in order, so one
chapter never serves two movements and the chapters keep their order, scoring each pair by the
movement number the chapter names (numerals, "2nd movement", "Zweiter Satz") and by the words they
share after folding case, accents and numbering.
"""

from __future__ import annotations

import difflib
import json
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

from earsense_m2t.folding import fold, fold_words
from earsense_m2t.movements import chapter_formats as fmt

# ---- matching weights --------------------------------------------------------------------------
# A chapter whose number agrees with the movement scores NUMBER_AGREES plus up to (1 - NUMBER_AGREES)
# for shared words; a chapter that names only its number ("Movement 2") gets NUMBER_ONLY_TEXT as its
# word share. The base is kept low so that "1. Introduction" does not beat "2. Allegro" for the Allegro.
NUMBER_AGREES = 0.4
NUMBER_ONLY_TEXT = 0.75
# A chapter numbered for another movement keeps this share of its word similarity: the words may
# still be right when the uploader numbered an introduction as "1.".
NUMBER_DISAGREES_FACTOR = 0.5
# With as many chapters as movements and nothing against it, the i-th chapter is the i-th movement
# with this score (names in another language, "Part A"/"Part B").
ORDER_ONLY_SCORE = 0.4
# Pairs scoring below this are not matched.
MIN_MATCH_SCORE = 0.35
# Two words are the same when difflib's ratio reaches this (typos, "lent"/"lente").
WORD_RATIO = 0.8


@dataclass(frozen=True)
class Chapter:
    """One movement start as an uploader or host wrote it."""

    start_s: float
    name: str  # cleaned: no time stamp, no surrounding dashes/brackets/bullets; numbering kept

    def __post_init__(self) -> None:
        if not isinstance(self.start_s, (int, float)) or not math.isfinite(self.start_s) or self.start_s < 0:
            raise ValueError(f"chapter {self.name!r}: start_s must be a finite number >= 0, got {self.start_s!r}")


# ---- compiled formats --------------------------------------------------------------------------


def _block(time_re: str) -> str:
    alternatives = [t.replace("<RANGE>", fmt.RANGE_SEPARATOR).replace("<T>", time_re) for _, t, _ in fmt.TIME_BLOCKS]
    return "(?:" + "|".join(alternatives) + ")"


def _compile_style(style: str) -> tuple[re.Pattern[str], re.Pattern[str], tuple[tuple[str, re.Pattern[str]], ...]]:
    time_re = fmt.TIME_FORMATS[style][0]
    block = _block(time_re)
    shapes = tuple(
        (name, re.compile(t.replace("<LEAD>", fmt.LEAD).replace("<BLOCK>", block).replace("<TRAIL>", fmt.TRAIL)))
        for name, t, _ in fmt.LINE_SHAPES
    )
    trailing = re.compile(rf"[{fmt.DASHES}\s:|,;]*{block}{fmt.TRAIL}$")
    return re.compile(time_re), trailing, shapes


_STYLES = {style: _compile_style(style) for style in fmt.TIME_STYLE_ORDER}
_INLINE_SPLIT = re.compile(r"\s+[|\u2022\u00b7/;]\s+|\s{3,}|\t+")
_ROMAN_ALT = "|".join(sorted(fmt.ROMAN_NUMERALS, key=len, reverse=True))
_AFTER_NUMBER = rf"(?=[{fmt.DASHES}.):\s]|$)"
_ROMAN_UPPER = re.compile(rf"^({_ROMAN_ALT}){_AFTER_NUMBER}")
_ROMAN_LOWER = re.compile(rf"^({_ROMAN_ALT.lower()})[.)]")
_SUFFIX_ALT = "|".join(sorted((re.escape(s) for s in fmt.ORDINAL_SUFFIXES), key=len, reverse=True))
_MOVEMENT_ALT = "|".join(sorted((re.escape(w) for w in fmt.MOVEMENT_WORDS), key=len, reverse=True))
_ORDINAL_ALT = "|".join(sorted(fmt.ORDINAL_WORDS, key=len, reverse=True))
# on folded text (lower case, no accents)
_ARABIC = re.compile(rf"^(?:(?:no|nr|#)\.?\s*)?(\d{{1,2}})(?:{_SUFFIX_ALT})?{_AFTER_NUMBER}")
_ORDINAL_THEN_WORD = re.compile(rf"^({_ORDINAL_ALT})\s+(?:{_MOVEMENT_ALT})\b")
_WORD_THEN_NUMBER = re.compile(rf"^(?:{_MOVEMENT_ALT})\.?\s*(\d{{1,2}}|{_ROMAN_ALT.lower()}|{_ORDINAL_ALT})\b")
_SEGMENT_STARTS = re.compile(rf"(?:^|\s[{fmt.DASHES}]\s|:\s|\s\|\s|[{fmt.DASHES}]\s)")
_TOTAL_NAMES = frozenset(fmt.TOTAL_NAMES)
_PROSE_TAIL = frozenset(fmt.PROSE_TAIL_WORDS)
_NUMBERING_TOKENS = frozenset(fmt.MOVEMENT_WORDS) | frozenset(fmt.ORDINAL_WORDS) | {r.lower() for r in fmt.ROMAN_NUMERALS}


def _seconds(time_text: str) -> float:
    parts = [int(p) for p in re.split(r"[:.]", time_text)]
    seconds = 0
    for p in parts:
        seconds = seconds * 60 + p
    return float(seconds)


def _clean_name(name: str) -> str:
    """Cuts the separators the time stamp leaves behind while keeping brackets that belong to the name."""
    name = " ".join(name.split())
    edge = fmt.NAME_EDGE_PUNCTUATION + " "
    while True:
        before = name
        name = name.strip(edge)
        name = re.sub(r"\(\s*\)|\[\s*\]", "", name).strip(edge)
        if name.endswith((")", "]")) and name.count("(") + name.count("[") < name.count(")") + name.count("]"):
            name = name[:-1]
        if name.startswith(("(", "[")) and name.count("(") + name.count("[") > name.count(")") + name.count("]"):
            name = name[1:]
        if (name.startswith("(") and name.endswith(")") and name.count("(") == 1) or (
                name.startswith("[") and name.endswith("]") and name.count("[") == 1):
            name = name[1:-1]
        if name == before:
            return name


def _is_prose_or_total(name: str) -> bool:
    folded = fold_words(name)
    if folded in _TOTAL_NAMES:
        return True
    words = folded.split()
    return len(words) > fmt.MAX_NAME_WORDS or (bool(words) and words[-1] in _PROSE_TAIL)


def _parse_line(line: str, style: str) -> Chapter | None:
    """A chapter when the line is in one of the accepted shapes, else None (prose, header, blank)."""
    time_re, trailing, shapes = _STYLES[style]
    for shape, pattern in shapes:
        m = pattern.match(line)
        if m is None:
            continue
        raw_name = m.group("name") or ""
        if shape == "time_first":
            raw_name = trailing.sub("", raw_name)
        elif not re.search(r"[^\W\d_]", raw_name):
            continue  # "0:00 - 8:41" is a range, not a name followed by a time
        name = _clean_name(raw_name)
        if _is_prose_or_total(name):
            return None
        first_time = time_re.search(m.group("times"))
        if first_time is None:  # the block regex holds a time, so this means the table is inconsistent
            raise ValueError(f"line shape {shape!r} matched {line!r} without a {style} time")
        return Chapter(start_s=_seconds(first_time.group(0)), name=name)
    return None


def _expand_inline(line: str, style: str) -> list[str]:
    """Splits "0:00 Allegro | 8:41 Adagio" into one line per chapter; other lines stay whole."""
    time_re = _STYLES[style][0]
    if len(time_re.findall(line)) < 2:
        return [line]
    pieces = [p for p in _INLINE_SPLIT.split(line) if p.strip()]
    if len(pieces) >= 2 and all(_parse_line(p, style) is not None for p in pieces):
        return pieces
    return [line]


def movement_number(name: str) -> int | None:
    """The movement number a name announces ("III. Presto", "2nd movement", "Zweiter Satz"), if any.

    Looked for at the start of the name and after each separator, so "Quartet No. 1: I. Allegro"
    gives 1 from "I." and not from the work's own number.
    """
    for m in _SEGMENT_STARTS.finditer(name):
        part = name[m.end():]
        number = _leading_number(part)
        if number is not None:
            return number
    return None


def _leading_number(part: str) -> int | None:
    if m := _ROMAN_UPPER.match(part):
        return fmt.ROMAN_NUMERALS[m.group(1)]
    if m := _ROMAN_LOWER.match(part):
        return fmt.ROMAN_NUMERALS[m.group(1).upper()]
    folded = fold(part)
    if m := _ARABIC.match(folded):
        return int(m.group(1)) or None
    if m := _ORDINAL_THEN_WORD.match(folded):
        return fmt.ORDINAL_WORDS[m.group(1)]
    if m := _WORD_THEN_NUMBER.match(folded):
        token = m.group(1)
        if token.isdigit():
            return int(token) or None
        return fmt.ORDINAL_WORDS.get(token) or fmt.ROMAN_NUMERALS.get(token.upper())
    return None


def _lists(lines: Sequence[str], style: str) -> list[list[Chapter]]:
    """Runs of chapter lines, each with the untimed-first-line rule applied; runs of one are dropped."""
    entries: list[Chapter | str | None] = []  # Chapter, other text, or None for a blank line
    for line in lines:
        for piece in _expand_inline(line, style):
            if not piece.strip():
                entries.append(None)
            else:
                entries.append(_parse_line(piece, style) or piece.strip())
    runs: list[list[Chapter]] = []
    run: list[Chapter] = []
    before_run: str | None = None  # the text line right before the current run (blank lines skipped)
    last_text: str | None = None
    i = 0
    while i < len(entries):
        entry = entries[i]
        if isinstance(entry, Chapter):
            if not run:
                before_run = last_text
            if not entry.name:
                j = i + 1
                following = entries[j] if j < len(entries) else None
                if isinstance(following, str) and not _is_prose_or_total(following):
                    entry = Chapter(start_s=entry.start_s, name=_clean_name(following))
                    i = j
            run.append(entry)
        elif isinstance(entry, str):
            if run:
                runs.append(_with_untimed_first(run, before_run))
                run = []
            last_text = entry
        i += 1
    if run:
        runs.append(_with_untimed_first(run, before_run))
    return [r for r in runs if len(r) >= 2]


def _with_untimed_first(run: list[Chapter], before: str | None) -> list[Chapter]:
    if (before is None or run[0].start_s <= 0 or _is_prose_or_total(before)
            or movement_number(before) != 1 or movement_number(run[0].name) != 2):
        return run
    return [Chapter(start_s=0.0, name=_clean_name(before)), *run]


def _increasing(chapters: Sequence[Chapter]) -> bool:
    return all(b.start_s > a.start_s for a, b in zip(chapters, chapters[1:], strict=False))


def parse_chapters(description: str, movements: int | None = None) -> list[Chapter]:
    """Movement starts listed in a video description, in order; [] when it holds no usable list.

    ``movements`` is the work's number of movements when the caller knows it: a list timed only from
    the second movement on then gets movement 1 at 0:00 (see the module docstring). ``None`` (unknown)
    changes nothing.
    """
    if movements is not None and (isinstance(movements, bool) or not isinstance(movements, int) or movements < 1):
        raise ValueError(f"movements must be a whole number >= 1 or None, got {movements!r}")
    lines = description.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    for style in fmt.TIME_STYLE_ORDER:
        lists = _lists(lines, style)
        if not lists:
            continue
        joined = [c for lst in lists for c in lst]
        if _increasing(joined):
            return _with_implied_first(joined, lines, style, movements)
        valid = [lst for lst in lists if _increasing(lst)]
        return _with_implied_first(max(valid, key=len), lines, style, movements) if valid else []
    return []


def _with_implied_first(chapters: list[Chapter], lines: Sequence[str], style: str,
                        movements: int | None) -> list[Chapter]:
    """Adds movement 1 at 0:00 to a list timed from movement 2 on, when the movement count says one is missing."""
    if movements is None or not chapters or len(chapters) != movements - 1 or chapters[0].start_s <= 0:
        return chapters
    numbers = [movement_number(c.name) for c in chapters]
    if numbers[0] != 2 or any(n is not None and n != i + 2 for i, n in enumerate(numbers)):
        return chapters
    name = _untimed_first_name(lines, chapters[0], style) or fmt.IMPLIED_FIRST_NAME
    return [Chapter(start_s=0.0, name=name), *chapters]


def _untimed_first_name(lines: Sequence[str], first: Chapter, style: str) -> str | None:
    """The last line before ``first``'s line that has no time and starts with movement 1's numbering."""
    found: str | None = None
    for line in lines:
        for piece in _expand_inline(line, style):
            chapter = _parse_line(piece, style)
            if chapter is not None and chapter.start_s == first.start_s:
                return found
            name = _clean_name(piece)
            if chapter is None and name and not _is_prose_or_total(name) and _leading_number(name) == 1:
                found = name
    return found


def chapters_to_json(chapters: Sequence[Chapter]) -> str:
    """The chapters as the CLI prints them: a JSON list of {"start": seconds, "name": ...}."""
    return json.dumps([{"start": float(c.start_s), "name": c.name} for c in chapters], ensure_ascii=False, indent=2)


def chapters_from_json(text: str) -> list[Chapter]:
    """Reads what :func:`chapters_to_json` writes, so saved CLI output can be fed back in."""
    data = json.loads(text)
    if not isinstance(data, list):
        raise ValueError(f"chapters JSON must be a list of {{'start', 'name'}} objects, got {type(data).__name__}")
    out: list[Chapter] = []
    for i, item in enumerate(data):
        if not isinstance(item, dict) or "start" not in item or "name" not in item:
            raise ValueError(f"chapters JSON item {i} must have 'start' and 'name', got {item!r}")
        out.append(Chapter(start_s=float(item["start"]), name=str(item["name"])))
    return out


# ---- matching ----------------------------------------------------------------------------------


def _content_words(name: str) -> list[str]:
    """The words that describe the music: numbering, "movement" words and digits removed."""
    number_free = name
    for m in _SEGMENT_STARTS.finditer(name):
        part = name[m.end():]
        if _leading_number(part) is not None:
            number_free = name[:m.end()] + re.sub(
                rf"^(?:{_ROMAN_ALT}|[ivx]+|\S+)[.)]?", "", part, count=1, flags=re.IGNORECASE)
            break
    return [w for w in fold_words(number_free).split() if w not in _NUMBERING_TOKENS and not w.isdigit()]


def _same_word(a: str, b: str) -> bool:
    return a == b or difflib.SequenceMatcher(None, a, b).ratio() >= WORD_RATIO


def _text_similarity(a: Sequence[str], b: Sequence[str]) -> float | None:
    """Word overlap, forgiving typos; None when one side has no words to compare."""
    if not a or not b:
        return None
    shared_a = sum(1 for w in a if any(_same_word(w, v) for v in b))
    shared_b = sum(1 for v in b if any(_same_word(w, v) for w in a))
    containment = max(shared_a / len(a), shared_b / len(b))
    dice = (shared_a + shared_b) / (len(a) + len(b))
    return 0.5 * containment + 0.5 * dice


def _pair_score(chapter_number: int | None, chapter_words: Sequence[str], movement: int,
                title_words: Sequence[str], order_prior: bool) -> float:
    text = _text_similarity(chapter_words, title_words)
    if chapter_number is not None and chapter_number == movement:
        score = NUMBER_AGREES + (1 - NUMBER_AGREES) * (NUMBER_ONLY_TEXT if text is None else text)
    elif chapter_number is not None:
        score = NUMBER_DISAGREES_FACTOR * (text or 0.0)
    else:
        score = text or 0.0
    if order_prior and (chapter_number is None or chapter_number == movement):
        score = max(score, ORDER_ONLY_SCORE)
    return min(1.0, max(0.0, score))


def match_chapters(chapters: Sequence[Chapter], movement_titles: Sequence[str]) -> list[tuple[int, Chapter, float]]:
    """(1-based movement number, chapter, confidence) for each movement a chapter can be assigned to.

    An order-preserving alignment (like aligning two sequences) maximises the summed pair scores, so
    an extra chapter ("Introduction", "Encore") or a missing one shifts nothing else, and the same
    chapter object is returned (callers find it by identity). Unmatched movements are left out.
    """
    n, m = len(chapters), len(movement_titles)
    if n == 0 or m == 0:
        return []
    numbers = [movement_number(c.name) for c in chapters]
    chapter_words = [_content_words(c.name) for c in chapters]
    title_words = [_content_words(t) for t in movement_titles]
    same_count = n == m
    score = [[_pair_score(numbers[i], chapter_words[i], j + 1, title_words[j], same_count and i == j)
              for j in range(m)] for i in range(n)]
    # best[i][j]: best total using chapters[:i] and movements[:j]
    best = [[0.0] * (m + 1) for _ in range(n + 1)]
    for i in range(1, n + 1):
        for j in range(1, m + 1):
            s = score[i - 1][j - 1]
            take = best[i - 1][j - 1] + s if s >= MIN_MATCH_SCORE else -1.0
            best[i][j] = max(best[i - 1][j], best[i][j - 1], take)
    pairs: list[tuple[int, Chapter, float]] = []
    i, j = n, m
    while i > 0 and j > 0:
        s = score[i - 1][j - 1]
        if math.isclose(best[i][j], best[i][j - 1]):
            j -= 1  # on a tie the earlier movement takes the chapter
        elif s >= MIN_MATCH_SCORE and math.isclose(best[i][j], best[i - 1][j - 1] + s):
            pairs.append((j, chapters[i - 1], round(s, 3)))
            i, j = i - 1, j - 1
        elif math.isclose(best[i][j], best[i - 1][j]):
            i -= 1
        else:
            j -= 1
    return sorted(pairs, key=lambda p: p[0])


def segments_from_chapters(chapters: Sequence[Chapter], total_duration_s: float) -> list[tuple[float, float, str]]:
    """(start, end, name) spans: each chapter runs until the next one starts, the last one to the end."""
    if not math.isfinite(total_duration_s) or total_duration_s <= 0:
        raise ValueError(f"total_duration_s must be a positive number of seconds, got {total_duration_s!r}")
    for a, b in zip(chapters, chapters[1:], strict=False):
        if b.start_s <= a.start_s:
            raise ValueError(f"chapter {b.name!r} starts at {b.start_s} s, not after {a.name!r} at {a.start_s} s")
    if chapters and chapters[-1].start_s >= total_duration_s:
        raise ValueError(f"chapter {chapters[-1].name!r} starts at {chapters[-1].start_s} s, at or after the end of "
                         f"the media ({total_duration_s} s)")
    ends = [c.start_s for c in chapters[1:]] + [float(total_duration_s)]
    return [(c.start_s, end, c.name) for c, end in zip(chapters, ends, strict=False)]

"""Every time-stamp format and line shape the description parser accepts, kept as data so a reader
sees them in one place and a new format is a one-line change here (:mod:`earsense_m2t.movements.chapters` holds only
the code that reads these tables).

How the tables are used:

- A *time* is one of ``TIME_FORMATS``. Colon times (``8:41``, ``1:02:03``) are always accepted;
  dotted times (``12.30``) only when the description holds no list of colon times, because a dot
  also ends sentence numbers, dates and version strings. A list must use one style throughout.
- A *time block* is a time, optionally a range (``0:00 - 8:41``: the start is taken, the end is
  dropped) and optionally wrapped in ``[]`` or ``()``.
- A *chapter line* is a line that matches one of ``LINE_SHAPES``: the time block first or last on
  the line, the chapter name on the other side. Lines whose time sits in the middle of a sentence
  ("at 3:15 the cello enters") match no shape and are prose.
- ``UNTIMED_FIRST_LINE`` is the one shape without a time: see its comment.

Templates in ``LINE_SHAPES`` use three placeholders that :mod:`earsense_m2t.movements.chapters` fills in:
``<LEAD>`` (bullets and spaces before the line's content), ``<BLOCK>`` (the time block, as the
named group ``times``) and ``<TRAIL>`` (punctuation after it).
"""

from __future__ import annotations

from collections.abc import Mapping

# ---- times ------------------------------------------------------------------------------------
# name -> (regex, example). Each regex matches one time and nothing around it: the look-arounds stop
# "1:02:03" from being read as "1:02" and "12.05.2019" (a date) from being read as a time.
TIME_FORMATS: Mapping[str, tuple[str, str]] = {
    "colon": (r"(?<![\d:.])(?:\d{1,2}:[0-5]\d:[0-5]\d|\d{1,3}:[0-5]\d)(?![\d:])", "1:02:03"),
    "dotted": (r"(?<![\d:.])(?:\d{1,2}\.[0-5]\d\.[0-5]\d|\d{1,3}\.[0-5]\d)(?![\d:]|\.\d)", "12.30"),
}
#: Tried in this order; a later style is used only when the earlier ones find no list.
TIME_STYLE_ORDER: tuple[str, ...] = ("colon", "dotted")

# Every dash a description may use: hyphen-minus, hyphen, figure, en, em, horizontal bar, minus.
DASHES = "-\u2010\u2012\u2013\u2014\u2015\u2212"
# Bullets and arrows that start list lines.
BULLETS = "\u2022\u00b7\u25aa\u25b8\u25ba\u25b6\u25cf\u25cb\u25e6\u2023\u2192\u27a4\u2794*>+~"
# Between the two times of a range: a dash, "to", "bis", "à", "a", "~" (spaces around optional).
RANGE_SEPARATOR = rf"\s*(?:[{DASHES}~]|to|bis|à|a)\s*"
# Stripped from both ends of a chapter name (with spaces) once the time block is cut out.
NAME_EDGE_PUNCTUATION = DASHES + BULLETS + ":|/,;=@\u00a0"

# ---- line shapes -------------------------------------------------------------------------------
# (name, template, example). Tried in order; the first that matches names the line's shape. The
# name group is cleaned afterwards (edge punctuation stripped, a trailing duration cut off), so the
# templates only say where the time block sits.
LINE_SHAPES: tuple[tuple[str, str, str], ...] = (
    # time first, then the name: "00:00 - I. Allegro", "[12:30] Finale", "0:00 - 8:41 Allegro"
    ("time_first", r"^<LEAD>(?P<times><BLOCK>)(?P<name>.*)$", "00:00 - I. Allegro"),
    # the name, then the time: "I.Allegro moderato  0:00", "1. Allegro (0:00)", "1st movement: 01:31"
    ("time_last", r"^<LEAD>(?P<name>.*?)(?P<times><BLOCK>)<TRAIL>$", "Movement One: Allegro con brio - 0:00"),
)
# Shapes a time block may take inside a line shape (filled in for <BLOCK>, with <T> a time and
# <RANGE> the range separator). Tried in this order.
TIME_BLOCKS: tuple[tuple[str, str, str], ...] = (
    ("square_brackets", r"\[\s*<T>(?:<RANGE><T>)?\s*\]", "[12:30]"),
    ("parentheses", r"\(\s*<T>(?:<RANGE><T>)?\s*\)", "(0:00)"),
    ("bare", r"<T>(?:<RANGE><T>)?", "0:00 - 8:41"),
)
# Dashes come first inside every character class, where "-" is a literal and not a range.
LEAD = rf"\s*(?:[{DASHES}{BULLETS}]+\s*)?"
TRAIL = rf"[{DASHES}\s.,;:|]*"

# A first line *without* a time starts at 0:00 when (a) it directly precedes a list (blank lines
# allowed), (b) it begins with the numbering of movement 1 ("I", "1.", "First movement", …) and
# (c) the list's first timed line begins with the numbering of movement 2. Example:
#     I Moderato
#     II Allegro 8:41
# Without (b) and (c) a header such as "Tracklist:" or the work's title would become a chapter.
UNTIMED_FIRST_LINE_EXAMPLE = "I Moderato"

# When the caller knows the number of movements N and the list has N - 1 chapters, the first after
# 0:00 and numbered 2 ("II.", "2.", "Second movement"), with no later chapter numbered against its
# place, the list was timed from the second movement on: movement 1 starts at 0:00. It is named by
# the last untimed line before the list that starts with the numbering of movement 1 (a program
# listed above the time stamps), else by this name. Example with N = 3:
#     II. Adagio 8:12
#     III. Finale 15:40
# gives "Movement 1" at 0:00, "II. Adagio" at 8:12, "III. Finale" at 15:40.
IMPLIED_FIRST_NAME = "Movement 1"

# ---- lines that carry a time but are not chapters ----------------------------------------------
# Folded names (lower case, no accents) of totals: "Total time: 35:12" is a duration, not a start.
TOTAL_NAMES: tuple[str, ...] = (
    "total", "total time", "total duration", "total length", "total running time", "duration",
    "length", "running time", "runtime", "playing time", "duree", "duree totale", "dauer",
    "gesamtdauer", "spieldauer", "spielzeit", "durata", "durata totale",
)
# A name that ends with one of these words is a sentence pointing at a moment ("the cello enters
# at 3:15"), not a chapter title.
PROSE_TAIL_WORDS: tuple[str, ...] = (
    "at", "from", "around", "after", "before", "until", "till", "since", "about", "by", "in", "to",
    "a", "des", "vers", "ab", "bei", "um", "bis", "seit", "von", "dalle", "alle", "da",
)
# Longer names are prose: the longest real chapter names ("Beethoven: String Quartet No. 13 in
# B-flat major, Op. 130 - V. Cavatina. Adagio molto espressivo") stay under this.
MAX_NAME_WORDS = 20

# ---- numbering ---------------------------------------------------------------------------------
# Roman numerals of movements, upper case; lower case is accepted only when followed by "." or ")".
ROMAN_NUMERALS: Mapping[str, int] = {
    "I": 1, "II": 2, "III": 3, "IV": 4, "V": 5, "VI": 6, "VII": 7, "VIII": 8, "IX": 9, "X": 10,
    "XI": 11, "XII": 12,
}
# Folded ordinal and cardinal words in English, French, German and Italian.
ORDINAL_WORDS: Mapping[str, int] = {
    "first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7,
    "eighth": 8, "ninth": 9, "tenth": 10, "eleventh": 11, "twelfth": 12,
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12,
    "premier": 1, "premiere": 1, "deuxieme": 2, "troisieme": 3, "quatrieme": 4, "cinquieme": 5,
    "sixieme": 6, "septieme": 7, "huitieme": 8,
    "erster": 1, "erste": 1, "zweiter": 2, "zweite": 2, "dritter": 3, "dritte": 3, "vierter": 4,
    "vierte": 4, "funfter": 5, "funfte": 5, "sechster": 6, "sechste": 6,
    "primo": 1, "secondo": 2, "terzo": 3, "quarto": 4, "quinto": 5, "sesto": 6,
}
# Folded suffixes after a digit that make an ordinal: 1st, 2nd, 3rd, 4th, 1er, 1re, 2e, 2ème, 1°.
ORDINAL_SUFFIXES: tuple[str, ...] = ("st", "nd", "rd", "th", "er", "re", "e", "eme", "ieme", "o", "a", "°")
# Folded words for "movement"; they sit before or after the number ("Movement 2", "2nd mvt", "1. Satz").
MOVEMENT_WORDS: tuple[str, ...] = (
    "movement", "movements", "mvt", "mvmt", "mov", "mvt.", "mouvement", "mouv", "satz", "movimento",
    "part", "partie", "teil", "no", "nr",
)
# Numbering written with these examples must be recognised (tests read this table).
NUMBERING_EXAMPLES: Mapping[str, int] = {
    "I. Allegro": 1, "IV - Finale": 4, "iii. Scherzo": 3, "2. Adagio": 2, "3) Menuetto": 3,
    "1st movement": 1, "Third movement: Presto": 3, "Movement One: Allegro con brio": 1,
    "Mvt. 2 - Andante": 2, "2e mouvement : Lent": 2, "Deuxième mouvement": 2, "3. Satz: Presto": 3,
    "Zweiter Satz": 2, "Movement IV": 4, "No. 5 Allegro": 5, "II.Adagio": 2,
}

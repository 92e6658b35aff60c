"""Work-level tags read from a work's title (and, failing that, the page's instrumentation or genre line).

Key and mode, ensemble size and instrument family are facts most titles state outright ("String Quartet
No. 8 in A major", "Klaviertrio in Es-Dur", "Sonate pour violon et piano en ut mineur"), so reading
them from the title is reliable and cheap; where a title is silent ("Fünf Stücke im Volkston") the
page's instrumentation ("for cello and piano") is read the same way, then the genre string, and each
tag records which one it came from ("title", "instrumentation", "genre") or "none".

Conventions a reader of the dataset should know (the dataset card quotes them):

- A sonata for one non-keyboard instrument is a duo with piano ("Violin Sonata" → duo, mixed) unless
  it says solo/unaccompanied; a piano sonata is solo; a suite or partita for one instrument is solo
  ("Cello Suite" → solo, strings).
- An ensemble named after one instrument has strings for its other players ("Piano Trio", "Clarinet
  Quintet", "Horn Trio" → mixed; "Viola Quintet" → strings), except a piano duo (two pianists).
- German key names follow German usage: ``B`` is B-flat, ``H`` is B; ``Es`` is E-flat, ``fis`` F-sharp.
- Harpsichord and continuo count as "piano" (keyboard); guitar and harp as "strings"; a voice or
  percussion part makes the family "mixed".
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from earsense_m2t.folding import fold
from earsense_m2t.tagging.tempo import words


@dataclass(frozen=True)
class Tag:
    """One tag and where it came from, so a wrong tag can be traced to the title or the genre."""

    value: str | None
    source: str  # "title" | "instrumentation" | "genre" | "none"


NO_TAG = Tag(None, "none")

# ---------------------------------------------------------------------------------------------
# Tables
# ---------------------------------------------------------------------------------------------
ENSEMBLE_NAMES: Mapping[int, str] = {
    1: "solo", 2: "duo", 3: "trio", 4: "quartet", 5: "quintet", 6: "sextet", 7: "septet", 8: "octet",
    9: "nonet", 10: "decet",
}

#: Ensemble words (folded) → number of players, in English, German, French and Italian.
ENSEMBLE_WORDS: Mapping[str, int] = {
    "duo": 2, "duet": 2, "duett": 2, "duetto": 2,
    "trio": 3, "terzett": 3,
    "quartet": 4, "quartett": 4, "quartetto": 4, "quatuor": 4,
    "quintet": 5, "quintett": 5, "quintette": 5, "quintetto": 5,
    "sextet": 6, "sextett": 6, "sextuor": 6, "sestetto": 6,
    "septet": 7, "septett": 7, "septuor": 7, "settimino": 7, "septetto": 7,
    "octet": 8, "oktett": 8, "octett": 8, "octuor": 8, "ottetto": 8,
    "nonet": 9, "nonett": 9, "nonetto": 9,
    "decet": 10, "dectet": 10, "dixtuor": 10,
}
#: What may follow an ensemble word inside one German compound ("Quartettsatz").
ENSEMBLE_SUFFIXES: tuple[str, ...] = ("", "satz", "s")

#: Instrument words (folded; several words allowed) → family. Plurals are listed where titles use them.
INSTRUMENTS: Mapping[str, str] = {
    # strings (bowed, plus guitar and harp)
    "violin": "strings", "violins": "strings", "violine": "strings", "violinen": "strings", "geige": "strings",
    "violon": "strings", "violons": "strings", "violino": "strings", "violini": "strings",
    "viola": "strings", "violas": "strings", "bratsche": "strings", "viole": "strings",
    "cello": "strings", "cellos": "strings", "violoncello": "strings", "violoncelli": "strings",
    "violoncelle": "strings", "violoncell": "strings",
    "double bass": "strings", "contrabass": "strings", "kontrabass": "strings", "contrebasse": "strings",
    "contrabbasso": "strings", "viola da gamba": "strings", "gamba": "strings",
    "guitar": "strings", "gitarre": "strings", "guitare": "strings", "chitarra": "strings",
    "harp": "strings", "harfe": "strings", "harpe": "strings", "arpa": "strings",
    # keyboard
    "piano": "piano", "pianos": "piano", "pianoforte": "piano", "fortepiano": "piano", "klavier": "piano",
    "clavier": "piano", "harpsichord": "piano", "cembalo": "piano", "clavecin": "piano",
    "basso continuo": "piano", "continuo": "piano",
    # winds (wood and brass)
    "flute": "winds", "flutes": "winds", "flote": "winds", "flauto": "winds", "piccolo": "winds",
    "recorder": "winds", "blockflote": "winds",
    "oboe": "winds", "oboes": "winds", "hautbois": "winds", "cor anglais": "winds", "english horn": "winds",
    "clarinet": "winds", "clarinets": "winds", "klarinette": "winds", "clarinette": "winds",
    "clarinetto": "winds", "basset horn": "winds",
    "bassoon": "winds", "bassoons": "winds", "fagott": "winds", "basson": "winds", "fagotto": "winds",
    "horn": "winds", "horns": "winds", "cor": "winds", "corno": "winds",
    "trumpet": "winds", "trompete": "winds", "trompette": "winds", "tromba": "winds",
    "trombone": "winds", "posaune": "winds", "tuba": "winds", "saxophone": "winds",
    # neither: makes any family "mixed"
    "voice": "other", "soprano": "other", "mezzo soprano": "other", "baritone": "other", "tenor": "other",
    "percussion": "other", "timpani": "other",
}

#: Words naming a whole section of players: the family is known, the number of players is not.
GROUPS: Mapping[str, str] = {
    "string": "strings", "strings": "strings", "streich": "strings", "streicher": "strings",
    "cordes": "strings", "archi": "strings",
    "wind": "winds", "winds": "winds", "woodwind": "winds", "woodwinds": "winds", "wind instruments": "winds",
    "brass": "winds", "blaser": "winds", "vent": "winds", "vents": "winds", "fiati": "winds",
}

#: Words that introduce a list of instruments ("Sonata for violin and piano").
LIST_INTRODUCERS: frozenset[str] = frozenset({"for", "fur", "pour", "per", "a", "d", "di", "avec", "with", "mit"})
#: Words allowed between instruments of one list.
LIST_CONNECTORS: frozenset[str] = frozenset({"and", "und", "et", "e", "ed", "y", "with", "mit", "avec", "con",
                                             "obbligato", "obligato", "concertante", "a", "la", "le", "l"})
NUMBER_WORDS: Mapping[str, int] = {
    "one": 1, "two": 2, "three": 3, "four": 4, "zwei": 2, "drei": 3, "vier": 4, "deux": 2, "trois": 3,
    "quatre": 4, "due": 2, "tre": 3, "quattro": 4, "2": 2, "3": 3, "4": 4,
}
#: "piano four hands": one instrument, two players.
FOUR_HANDS: tuple[str, ...] = ("four hands", "4 hands", "vierhandig", "zu vier handen", "quatre mains",
                               "a quatre mains", "quattro mani", "a quattro mani")
SOLO_MARKERS: frozenset[str] = frozenset({"solo", "unaccompanied", "allein", "seul", "sola"})
SONATA_WORDS: frozenset[str] = frozenset({"sonata", "sonatas", "sonate", "sonaten", "sonatina", "sonatine"})
SOLO_FORMS: frozenset[str] = frozenset({"suite", "suites", "partita", "partitas", "partie"})

# Key names: letter names, German names and solfège names → the dataset's spelling.
_ACCIDENTAL = {"flat": "-flat", "sharp": "-sharp", "b": "-flat", "#": "-sharp", "♭": "-flat", "♯": "-sharp",
               "bemol": "-flat", "diese": "-sharp", "bemolle": "-flat", "diesis": "-sharp"}
GERMAN_KEYS: Mapping[str, str] = {
    "c": "C", "cis": "C-sharp", "ces": "C-flat", "d": "D", "dis": "D-sharp", "des": "D-flat", "e": "E",
    "eis": "E-sharp", "es": "E-flat", "f": "F", "fis": "F-sharp", "fes": "F-flat", "g": "G", "gis": "G-sharp",
    "ges": "G-flat", "a": "A", "ais": "A-sharp", "as": "A-flat", "b": "B-flat", "h": "B", "his": "B-sharp",
}
SOLFEGE_KEYS: Mapping[str, str] = {"ut": "C", "do": "C", "re": "D", "mi": "E", "fa": "F", "sol": "G", "la": "A",
                                   "si": "B"}
MODE_WORDS: Mapping[str, str] = {"major": "major", "minor": "minor", "dur": "major", "moll": "minor",
                                 "majeur": "major", "mineur": "minor", "maggiore": "major", "minore": "minor"}

_ENGLISH_KEY = re.compile(
    r"(?:\b(?P<in>in)\s+|\b)(?P<letter>[A-G])(?:\s*-?\s*(?P<acc>flat|sharp)\b|(?P<sign>[b#♭♯])(?=[\s,.;:)]|$))?"
    r"(?:[\s-]+(?P<mode>major|minor)\b)?", re.IGNORECASE)
_GERMAN_KEY = re.compile(r"(?:\bin\s+|\b)(?P<name>[a-hA-H](?:is|es|s)?)\s*-\s*(?P<mode>dur|moll)\b", re.IGNORECASE)
_SOLFEGE_KEY = re.compile(
    r"\b(?:en|in)\s+(?P<name>ut|do|re|ré|mi|fa|sol|la|si)(?:\s+(?P<acc>bémol|bemol|dièse|diese|bemolle|diesis))?"
    r"\s+(?P<mode>majeur|mineur|maggiore|minore)\b", re.IGNORECASE)


# ---------------------------------------------------------------------------------------------
# Key and mode
# ---------------------------------------------------------------------------------------------
def _key_mode_from(text: str) -> tuple[str | None, str | None]:
    german = _GERMAN_KEY.search(text)
    if german:
        return GERMAN_KEYS.get(german["name"].lower()), MODE_WORDS[german["mode"].lower()]
    solfege = _SOLFEGE_KEY.search(text)
    if solfege:
        accidental = _ACCIDENTAL.get(fold(solfege["acc"] or ""), "")
        return SOLFEGE_KEYS[fold(solfege["name"])] + accidental, MODE_WORDS[fold(solfege["mode"])]
    for english in _ENGLISH_KEY.finditer(text):
        letter, mode = english["letter"], english["mode"]
        # "in a minor" is a key, "in a hall" is not: a lower-case letter needs its mode word, and a
        # bare letter ("Op. 8 D") counts only after "in" and before punctuation or the end.
        if mode is None and (letter.islower() or english["in"] is None
                             or not re.match(r"\s*(?:[,.;:)(]|$)", text[english.end():])):
            continue
        if english["in"] is None and letter.islower():
            continue
        accidental = _ACCIDENTAL.get((english["acc"] or english["sign"] or "").lower(), "")
        return letter.upper() + accidental, mode.lower() if mode else None
    return None, None


def tag_key_mode(title: str) -> tuple[Tag, Tag]:
    """Key ("A", "E-flat", "F-sharp") and mode ("major"/"minor") as the title states them."""
    key, mode = _key_mode_from(title)
    return (Tag(key, "title") if key else NO_TAG), (Tag(mode, "title") if mode else NO_TAG)


# ---------------------------------------------------------------------------------------------
# Ensemble and instrument family
# ---------------------------------------------------------------------------------------------
@dataclass
class _Reading:
    """What one text (a title or a genre) says about the players."""

    size: int | None = None
    families: set[str] = field(default_factory=set)


@dataclass(frozen=True)
class _Named:
    """An instrument or a group word: its family, and whether it stands for one player or a section."""

    family: str
    group: bool


def _named(entry: str) -> _Named:
    return _Named(GROUPS[entry], True) if entry in GROUPS else _Named(INSTRUMENTS[entry], False)


_PLAYER_WORDS: Mapping[str, str] = {**INSTRUMENTS, **GROUPS}


_Index = Mapping[str, tuple[tuple[str, tuple[str, ...]], ...]]


def _index(table: Iterable[str]) -> _Index:
    """Entries of a table keyed by their first word, longest first, so a lookup tries only a few."""
    index: dict[str, list[tuple[str, tuple[str, ...]]]] = {}
    for entry in table:
        parts = words(entry)
        index.setdefault(parts[0], []).append((entry, parts))
    return {k: tuple(sorted(v, key=lambda e: -len(e[1]))) for k, v in index.items()}


_INSTRUMENT_INDEX = _index(INSTRUMENTS)
_PLAYER_INDEX = _index(_PLAYER_WORDS)
_FOUR_HANDS_INDEX = _index(FOUR_HANDS)


def _phrase_at(tokens: Sequence[str], i: int, index: _Index) -> tuple[str, int] | None:
    """Longest entry of an indexed table starting at ``tokens[i]``, with the index just past it."""
    if not 0 <= i < len(tokens):
        return None
    for entry, parts in index.get(tokens[i], ()):
        if tuple(tokens[i:i + len(parts)]) == parts:
            return entry, i + len(parts)
    return None


def _phrase_ending_at(tokens: Sequence[str], end: int, index: _Index) -> str | None:
    """Entry of ``table`` whose words end right before ``tokens[end]`` ("English horn" before "Trio")."""
    for start in range(max(0, end - 3), end):
        hit = _phrase_at(tokens, start, index)
        if hit and hit[1] == end:
            return hit[0]
    return None


def _prefix(word: str) -> _Named | None:
    """A German compound's first part ("Streich-", "Klarinetten-", "Violin-"), with its linking letters."""
    for candidate in (word, word.removesuffix("n"), word.removesuffix("en"), word.removesuffix("s")):
        if candidate in _PLAYER_WORDS:
            return _named(candidate)
    return None


@lru_cache(maxsize=4096)
def _ensemble_token(token: str) -> tuple[int, _Named | None] | None:
    """Players named by one token, with a compound's first part ("streichquartett" → 4, strings)."""
    for stem, size in ENSEMBLE_WORDS.items():
        for suffix in ENSEMBLE_SUFFIXES:
            whole = stem + suffix
            if token == whole:
                return size, None
            if token.endswith(whole) and (prefix := _prefix(token[: -len(whole)])) is not None:
                return size, prefix
    return None


def _ensemble_families(size: int, named: _Named) -> set[str]:
    """Families of an ensemble named after a section or one instrument ("String Quartet", "Piano Trio")."""
    if named.group or size == 1:
        return {named.family}
    if size == 2 and named.family == "piano":
        return {"piano"}  # a piano duo: two pianists
    return {named.family, "strings"}


def _read_list(tokens: Sequence[str], i: int) -> tuple[int | None, set[str], int]:
    """Players and families of an instrument list starting at ``tokens[i]``, and the index past it.

    The count is None when a section ("winds") or a bare plural ("violins") leaves it open, and 0
    with no families when nothing at ``tokens[i]`` is an instrument.
    """
    count: int | None = 0
    families: set[str] = set()
    multiplier: int | None = None

    def add(players: int | None) -> None:
        nonlocal count, multiplier
        count = None if count is None or players is None else count + players * (multiplier or 1)
        multiplier = None

    while i < len(tokens):
        token = tokens[i]
        hands = _phrase_at(tokens, i, _FOUR_HANDS_INDEX)
        player = _phrase_at(tokens, i, _PLAYER_INDEX)
        compound = _ensemble_token(token)
        if hands:
            count, i = (None if count is None else count + 1), hands[1]
        elif token in NUMBER_WORDS:
            multiplier, i = NUMBER_WORDS[token], i + 1
        elif player:
            named, i = _named(player[0]), player[1]
            following = _ensemble_token(tokens[i]) if i < len(tokens) else None
            if following is not None and following[1] is None:  # "... and string quartet"
                families |= _ensemble_families(following[0], named)
                add(following[0])
                i += 1
            else:
                families.add(named.family)
                bare_plural = player[0].endswith("s") and multiplier is None
                add(None if named.group or bare_plural else 1)
        elif compound is not None and compound[1] is not None:  # "... und Streichquartett"
            families |= _ensemble_families(compound[0], compound[1])
            add(compound[0])
            i += 1
        elif token in LIST_CONNECTORS or token in SOLO_MARKERS:
            i += 1
        else:
            break
    return count, families, i


def _read(text: str) -> _Reading:
    tokens = list(words(text))
    solo = any(t in SOLO_MARKERS for t in tokens)
    sonata = any(t in SONATA_WORDS for t in tokens)

    # 1. an ensemble word, and what names its players: before it ("String"), inside it
    #    ("Streichquartett") or in a list after it ("Octet for winds", "Quatuor à cordes")
    for i, token in enumerate(tokens):
        named = _ensemble_token(token)
        if named is None:
            continue
        size, compound = named
        before = _phrase_ending_at(tokens, i, _PLAYER_INDEX)
        if compound is not None:
            return _Reading(size, _ensemble_families(size, compound))
        if before is not None:
            return _Reading(size, _ensemble_families(size, _named(before)))
        after = i + 2 if i + 1 < len(tokens) and tokens[i + 1] in LIST_INTRODUCERS else next(
            (k + 1 for k in range(i + 1, len(tokens)) if tokens[k] in {"for", "fur", "pour", "per"}), None)
        if after is not None:
            count, families, _ = _read_list(tokens, after)
            if count is not None and 0 < count < size and families != {"strings"}:
                families.add("strings")  # "Trio avec piano": the others are strings
            return _Reading(size, families)
        return _Reading(size, set())

    # 2. a list of instruments: after "for"/"für"/"pour"/"per", or the whole text ("Cello and Piano")
    starts = [i + 1 for i, t in enumerate(tokens) if t in {"for", "fur", "pour", "per"}]
    for start in (*starts, 0):
        count, families, end = _read_list(tokens, start)
        if not families or (start == 0 and end < len(tokens)):
            continue
        if count == 1 and sonata and not solo and "piano" not in families:
            count, families = 2, families | {"piano"}  # "Sonata for violin": with piano
        return _Reading(1 if solo and count in (None, 1) else count, families)

    # 3. "<instrument> Sonata" / "<instrument> Suite", also as one German word ("Violinsonate")
    for i, token in enumerate(tokens):
        form, named_player = token, None
        if token in SONATA_WORDS or token in SOLO_FORMS:
            before = _phrase_ending_at(tokens, i, _INSTRUMENT_INDEX)
            named_player = _named(before) if before else None
        else:
            for candidate in (*SONATA_WORDS, *SOLO_FORMS):
                if token.endswith(candidate) and len(token) > len(candidate):
                    form, named_player = candidate, _prefix(token[: -len(candidate)])
                    break
        if named_player is None or named_player.group:
            continue
        if form in SONATA_WORDS and named_player.family != "piano" and not solo:
            return _Reading(2, {named_player.family, "piano"})
        return _Reading(1, {named_player.family})
    return _Reading(1 if solo else None, set())


def _family_value(families: set[str]) -> str | None:
    if not families or families == {"other"}:
        return None
    return next(iter(families)) if len(families) == 1 else "mixed"


def _sources(title: str, genre: str | None, instrumentation: str | None) -> tuple[tuple[str | None, str], ...]:
    return (title, "title"), (instrumentation, "instrumentation"), (genre, "genre")


def tag_ensemble(title: str, genre: str | None = None, instrumentation: str | None = None) -> Tag:
    """Ensemble by number of players ("solo", "duo", …, "decet"); None when no source can say."""
    for text, source in _sources(title, genre, instrumentation):
        if text:
            size = _read(text).size
            if size is not None and size in ENSEMBLE_NAMES:
                return Tag(ENSEMBLE_NAMES[size], source)
    return NO_TAG


def tag_instrument_family(title: str, genre: str | None = None, instrumentation: str | None = None) -> Tag:
    """Instrument family ("strings", "piano", "winds", "mixed"); None when the players are not named."""
    for text, source in _sources(title, genre, instrumentation):
        if text:
            value = _family_value(_read(text).families)
            if value is not None:
                return Tag(value, source)
    return NO_TAG

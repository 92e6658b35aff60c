"""Tempo rules: a movement title in, one of four tempo classes (or None) out, with the words that decided.

The words live in :mod:`earsense_m2t.tagging.tempo_terms`; this module only says how to read a title with them, so
every decision can be traced to one table entry and one of the ``RULES`` below (which the dataset card
quotes through :func:`describe_tempo_rules`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import TypedDict

from earsense_m2t.folding import fold
from earsense_m2t.tagging import tempo_terms as table

TEMPO_ORDER: tuple[str, ...] = table.TEMPO_CLASSES  # ("slow", "medium", "fast", "super_fast")

#: The rules in the order they apply; kept as data so the dataset card states exactly these.
RULES: tuple[str, ...] = (
    "Leading numbering (\"I.\", \"1.\", \"IV -\", \"Movement 3:\") is not part of the marking.",
    "The title is cut into sections at dashes, semicolons and run-together words (\"AndanteAllegro\"), and "
    "each of those at \". \". A section that starts with a relative word (Trio, Coda, Tempo I, più, a tempo, "
    "da capo, come prima, ...) is ignored together with the rest of its dash-delimited part.",
    "Within a section the first tempo word decides, and at each word the longest table phrase wins "
    "(\"tempo di minuetto\", \"sehr langsam\", \"assez vif\"). A character word (feierlich, lustig, calme, "
    "maestoso, ...) decides only when its section has no tempo word (\"Lustig, nicht zu schnell\" is medium); "
    "mood words that the glossaries give no tempo for (innig, zart, kräftig, léger, ...) decide nothing.",
    "Italian endings: a diminutive (-etto, -ino) of a fast tempo word is one class slower (\"vivacetto\" is "
    "medium), a superlative (-issimo) of a fast tempo word is super_fast (\"vivissimo\"); slow, medium and "
    "character words keep their class (\"lentissimo\" is slow). Words listed in the table win over this rule.",
    "An intensifier (molto, assai, très, sehr, very, ...) that modifies a fast tempo word raises it to "
    "super_fast; one that modifies another word does not (\"Allegro molto moderato\" is fast). A negation or "
    "softener written before a fast tempo word lowers it by one class (\"non troppo presto\" is fast, \"nicht "
    "zu schnell\", \"etwas lebhaft\", \"un peu animé\" and \"poco allegro\" medium); a restraint written "
    "after it does not (\"Allegro ma non troppo\" is fast). Slow and medium terms and character words never "
    "move; ziemlich and assez (rather) change nothing.",
    "Across sections the first marked one decides, unless it is slow or medium and the next marked one is "
    "faster: then it is an introduction and the next one decides (\"Adagio - Allegro vivace\" is super_fast).",
    "A title without any tempo term takes the usual tempo of its form word (source \"form\"); a title with "
    "neither is tagged null (source \"none\").",
)

_RANK: Mapping[str, int] = {tag: i for i, tag in enumerate(TEMPO_ORDER)}
_FAST = frozenset({"fast", "super_fast"})


@dataclass(frozen=True)
class TempoResult:
    """What the rules decided, and the evidence a reader needs to check it."""

    tag: str | None  # "slow" | "medium" | "fast" | "super_fast" | None
    term: str | None  # the words that decided, as written in the title
    source: str  # "marking" | "form" | "none"


NO_TEMPO = TempoResult(tag=None, term=None, source="none")

# ---------------------------------------------------------------------------------------------
# Text handling
# ---------------------------------------------------------------------------------------------
_WORD = re.compile(r"[^\W_]+")
# Within a phrase, words may be separated only by spaces, apostrophes ("d'un") or hyphens.
_SAME_CLAUSE_GAP = re.compile(r"[\s'’‘\-]*")
_NUMBERING = re.compile(
    r"""^\s*\(?\s*
    (?:(?:movement|mvt|mvmt|mov|satz|mouvement|movimento|part|teil|no|nr|n°|track)\.?\s*)?
    (?:\d{1,3}|[IVX]{1,5}|[ivx]{1,5})
    (?:st|nd|rd|th)?
    \s*\)?
    (?:\s*(?:movement|mvt|satz|mouvement|movimento)\b)?
    (?:\s*[.:)\-–—]+\s*|\s+|\s*$)""",
    re.VERBOSE,
)
# Dash-level boundaries: en/em dashes, spaced hyphens, semicolons, and a lower-case letter directly
# followed by a capital ("LargoAllegro molto") where a separator was lost.
_PART_SPLIT = re.compile(r"\s*[–—―‒]\s*|\s+-+\s*|\s*-+\s+|\s*--+\s*|\s*;\s*|(?<=[a-zß-öø-ÿ])(?=[A-ZÀ-ÖØ-Þ])")
_SECTION_SPLIT = re.compile(r"\.\s+|\.(?=[^\W\d_])")


def words(text: str) -> tuple[str, ...]:
    """Table entries are tokenised exactly like titles, so "tempo d'un menuetto" matches as written."""
    return tuple(fold(m.group()) for m in _WORD.finditer(text))


@dataclass(frozen=True)
class _Token:
    word: str  # folded
    start: int  # offsets into the original title
    end: int


@dataclass(frozen=True)
class _Entry:
    words: tuple[str, ...]
    tag: str
    endings: tuple[str, ...]
    kind: str  # "tempo" | "character"


@dataclass(frozen=True)
class _Hit:
    tag: str
    start: int
    end: int


_TEMPO_KINDS = ("tempo",)
_ALL_KINDS = ("tempo", "character")


def italian_forms(word: str) -> dict[str, str]:
    """Diminutive and superlative forms of an Italian word -> "diminutive" | "superlative".

    The final vowel goes (``-io`` may go whole: adagio → adagietto, adagissimo) and a hard ``c``/``g``
    keeps its sound with an ``h`` (largo → larghetto); forms nobody writes are harmless.
    """
    word = fold(word)
    if len(word) < 4 or word[-1] not in "aeiou":
        return {}
    stems = {word[:-1]} | ({word[:-2]} if word.endswith("io") else set())
    forms: dict[str, str] = {}
    for stem in sorted(stems):
        for suffix, degree in table.ITALIAN_SUFFIXES.items():
            hard = stem[-1] in "cg" and word[len(stem):] in ("a", "o", "u") and suffix[0] in "ei"
            forms.setdefault(stem + ("h" if hard else "") + suffix, degree)
    return forms


def derived_tag(tag: str, kind: str, degree: str) -> str:
    """The class of an Italian diminutive/superlative: only fast tempo words move (see the table's decision)."""
    if kind != "tempo" or tag not in _FAST:
        return tag
    rank = min(max(_RANK[tag] + table.SUFFIX_SHIFT[degree], 0), len(TEMPO_ORDER) - 1)
    return TEMPO_ORDER[rank]


@cache
def _term_index() -> Mapping[str, tuple[_Entry, ...]]:
    """Entries by first word, longest first, built once from the table (listed entries, then derived forms)."""
    index: dict[str, list[_Entry]] = {}
    listed: set[tuple[str, ...]] = set()
    for term in table.TERMS:
        entry = _Entry(words(term.term), term.tempo, table.INFLECTED_ENDINGS.get(term.language, ()), term.kind)
        listed.add(entry.words)
        index.setdefault(entry.words[0], []).append(entry)
    for term in table.TERMS:
        if term.language != "it" or len(words(term.term)) != 1 or fold(term.term).endswith("mente"):
            continue
        for form, degree in italian_forms(term.term).items():
            if (form,) not in listed:
                listed.add((form,))
                index.setdefault(form, []).append(_Entry((form,), derived_tag(term.tempo, term.kind, degree), (),
                                                         term.kind))
    return {k: tuple(sorted(v, key=lambda e: -len(e.words))) for k, v in index.items()}


@cache
def _all_endings() -> tuple[str, ...]:
    return tuple(sorted({e for es in table.INFLECTED_ENDINGS.values() for e in es}, key=len, reverse=True))


@cache
def _phrases(entries: tuple[str, ...]) -> tuple[tuple[str, ...], ...]:
    return tuple(sorted((words(e) for e in entries), key=len, reverse=True))


@cache
def _form_phrases() -> tuple[tuple[tuple[str, ...], str], ...]:
    return tuple(sorted(((words(k), v) for k, v in table.FORM_TEMPO.items()), key=lambda kv: -len(kv[0])))


def _word_matches(token: str, word: str, endings: tuple[str, ...]) -> bool:
    return token == word or (token.startswith(word) and token[len(word):] in endings)


def _joined(title: str, left: _Token, right: _Token) -> bool:
    """True when nothing but spaces, apostrophes or hyphens separate two words (same clause)."""
    return _SAME_CLAUSE_GAP.fullmatch(title, left.end, right.start) is not None


def _run_matches(title: str, tokens: Sequence[_Token], i: int, phrase: Sequence[str],
                 endings: tuple[str, ...] = ()) -> bool:
    """Does ``phrase`` occur at ``tokens[i]``, word for word and within one clause?"""
    if i < 0 or i + len(phrase) > len(tokens):
        return False
    for k, word in enumerate(phrase):
        if not _word_matches(tokens[i + k].word, word, endings):
            return False
        if k and not _joined(title, tokens[i + k - 1], tokens[i + k]):
            return False
    return True


def _ending_at(title: str, tokens: Sequence[_Token], end: int, phrases: Iterable[Sequence[str]]) -> int | None:
    """Index where one of ``phrases`` starts if it ends right before ``tokens[end]`` in the same clause."""
    for phrase in phrases:
        start = end - len(phrase)
        if _run_matches(title, tokens, start, phrase) and (end >= len(tokens) or _joined(title, tokens[end - 1], tokens[end])):
            return start
    return None


def _starting_at(title: str, tokens: Sequence[_Token], i: int, phrases: Iterable[Sequence[str]]) -> int | None:
    """Index just past one of ``phrases`` if it starts at ``tokens[i]`` in the same clause as ``tokens[i-1]``."""
    if i >= len(tokens) or (i and not _joined(title, tokens[i - 1], tokens[i])):
        return None
    for phrase in phrases:
        if _run_matches(title, tokens, i, phrase):
            return i + len(phrase)
    return None


def _candidates(token: str) -> Iterator[_Entry]:
    index = _term_index()
    seen: set[str] = set()
    for ending in ("", *_all_endings()):
        if ending and not token.endswith(ending):
            continue
        stem = token[: len(token) - len(ending)] if ending else token
        if stem not in seen:
            seen.add(stem)
            yield from index.get(stem, ())


def _term_at(title: str, tokens: Sequence[_Token], i: int,
             kinds: tuple[str, ...] = _ALL_KINDS) -> tuple[_Entry, int] | None:
    """Longest table entry of one of ``kinds`` starting at ``tokens[i]`` (and the index just past it)."""
    intensifiers = _phrases(table.INTENSIFIERS)
    for entry in sorted(_candidates(tokens[i].word), key=lambda e: -len(e.words)):
        if entry.kind not in kinds or not _run_matches(title, tokens, i, entry.words, entry.endings):
            continue
        end = i + len(entry.words)
        # "Allegro molto moderato": a trailing intensifier that has a word of its own to modify is
        # not part of this phrase; a shorter entry ("allegro") gets the word instead.
        if any(len(p) < len(entry.words) and entry.words[-len(p):] == p for p in intensifiers) and \
                _modifies_next(title, tokens, end):
            continue
        return entry, end
    return None


def _is_fast_term_at(title: str, tokens: Sequence[_Token], i: int) -> bool:
    found = _term_at(title, tokens, i) if i < len(tokens) else None
    return found is not None and found[0].tag in _FAST


def _modifies_next(title: str, tokens: Sequence[_Token], end: int) -> bool:
    """Does the intensifier ending before ``tokens[end]`` modify the next word rather than the term before it?"""
    if end >= len(tokens) or not _joined(title, tokens[end - 1], tokens[end]):
        return False
    if tokens[end].word in _joiner_words():
        return False
    return not _is_fast_term_at(title, tokens, end)


@cache
def _joiner_words() -> frozenset[str]:
    return frozenset(fold(j) for j in table.JOINERS)


def _marking(title: str, tokens: Sequence[_Token]) -> _Hit | None:
    """The first tempo word of one section, after its intensifier or negation is applied; failing
    that, the first character word, as written."""
    for i in range(len(tokens)):
        found = _term_at(title, tokens, i, _TEMPO_KINDS)
        if found is None:
            continue
        entry, end = found
        tag, start = entry.tag, i
        if tag == "fast":
            before = _ending_at(title, tokens, start, _phrases(table.INTENSIFIERS))
            if before is not None:
                tag, start = "super_fast", before
            else:
                after = _starting_at(title, tokens, end, _phrases(table.INTENSIFIERS))
                if after is not None and not _modifies_next(title, tokens, after):
                    tag, end = "super_fast", after
        if tag in _FAST:
            negation = _ending_at(title, tokens, start, _phrases(table.LOWERING))
            if negation is not None:
                tag, start = TEMPO_ORDER[_RANK[tag] - 1], negation
        return _Hit(tag, tokens[start].start, tokens[end - 1].end)
    for i in range(len(tokens)):
        found = _term_at(title, tokens, i, ("character",))
        if found is not None:
            entry, end = found
            return _Hit(entry.tag, tokens[i].start, tokens[end - 1].end)
    return None


def _form(title: str, tokens: Sequence[_Token]) -> _Hit | None:
    for i in range(len(tokens)):
        for phrase, tag in _form_phrases():
            if _run_matches(title, tokens, i, phrase):
                return _Hit(tag, tokens[i].start, tokens[i + len(phrase) - 1].end)
    return None


# ---------------------------------------------------------------------------------------------
# Sections
# ---------------------------------------------------------------------------------------------
def _numbering_end(title: str) -> int:
    """Offset where the marking starts, after any leading movement number."""
    match = _NUMBERING.match(title)
    return match.end() if match else 0


def _spans(title: str, start: int, end: int, pattern: re.Pattern[str]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    pos = start
    for m in pattern.finditer(title, start, end):
        if m.end() == m.start() and m.start() == pos:
            continue
        out.append((pos, m.start()))
        pos = m.end()
    out.append((pos, end))
    return [(a, b) for a, b in out if b > a]


def _tokens(title: str, start: int, end: int) -> list[_Token]:
    return [_Token(fold(m.group()), m.start(), m.end()) for m in _WORD.finditer(title, start, end)]


def _is_relative(title: str, tokens: Sequence[_Token]) -> bool:
    return any(_run_matches(title, tokens, 0, p) for p in _phrases(table.RELATIVE_STARTS))


def _sections(title: str) -> list[list[_Token]]:
    """Token lists of the sections that can set the tempo (relative ones are dropped)."""
    kept: list[list[_Token]] = []
    for part_start, part_end in _spans(title, _numbering_end(title), len(title), _PART_SPLIT):
        for sec_start, sec_end in _spans(title, part_start, part_end, _SECTION_SPLIT):
            tokens = _tokens(title, sec_start, sec_end)
            if not tokens:
                continue
            if _is_relative(title, tokens):
                break  # "Trio. Sehr langsam": the whole part belongs to the trio
            kept.append(tokens)
    return kept


# ---------------------------------------------------------------------------------------------
# Public API
# ---------------------------------------------------------------------------------------------
def tag_tempo(title: str) -> TempoResult:
    """Tag one movement title; never raises, because a title without tempo words is ordinary data."""
    sections = _sections(title)
    marks = [hit for hit in (_marking(title, tokens) for tokens in sections) if hit is not None]
    if marks:
        chosen = marks[0]
        if len(marks) > 1 and _RANK[chosen.tag] <= _RANK["medium"] and _RANK[marks[1].tag] > _RANK[chosen.tag]:
            chosen = marks[1]  # a slow introduction: the movement proper follows it
        return TempoResult(chosen.tag, title[chosen.start:chosen.end], "marking")
    for tokens in sections:
        hit = _form(title, tokens)
        if hit is not None:
            return TempoResult(hit.tag, title[hit.start:hit.end], "form")
    return NO_TEMPO


def format_tag_line(title: str, result: TempoResult) -> str:
    """One tab-separated line; a tab inside the title would shift the columns, so it becomes a space."""
    return "\t".join((title.replace("\t", " "), result.tag or "", result.source, result.term or ""))


def tag_lines(lines: Iterable[str]) -> Iterator[str]:
    """One output line per input line, so output lines up with input (an empty line stays a row)."""
    for line in lines:
        title = line.rstrip("\r\n")
        yield format_tag_line(title, tag_tempo(title))


class TempoRules(TypedDict):
    """What :func:`describe_tempo_rules` returns: JSON-like data for the dataset card."""

    classes: list[str]
    sources: list[str]
    rules: list[str]
    terms: dict[str, dict[str, list[str]]]  # tag -> language -> terms
    phrases: dict[str, dict[str, list[str]]]  # tag -> language -> phrases
    character_terms: list[str]  # the entries that decide only without a tempo word
    character_without_tempo: list[str]  # mood words left out on purpose
    italian_suffixes: dict[str, str]  # ending -> "diminutive" | "superlative"
    term_sources: dict[str, str]  # source key -> citation
    table: list[dict[str, object]]  # every entry: term, class, language, kind, sources
    intensifiers: list[str]
    lowering: list[str]
    relative_section_starts: list[str]
    forms: dict[str, str]  # form -> tag
    no_tempo_forms: list[str]


def describe_tempo_rules() -> TempoRules:
    """The table and rules as plain data, so the dataset card is generated from what the code runs."""
    return {
        "classes": list(TEMPO_ORDER),
        "sources": ["marking", "form", "none"],
        "rules": list(RULES),
        "terms": {tag: {lang: list(terms) for lang, terms in by_lang.items()}
                  for tag, by_lang in table.TEMPO_WORDS.items()},
        "phrases": {tag: {lang: list(terms) for lang, terms in by_lang.items()}
                    for tag, by_lang in table.TEMPO_PHRASES.items()},
        "character_terms": [t.term for t in table.TERMS if t.kind == "character"],
        "character_without_tempo": [w for ws in table.CHARACTER_WITHOUT_TEMPO.values() for w in ws],
        "italian_suffixes": dict(table.ITALIAN_SUFFIXES),
        "term_sources": dict(table.SOURCES),
        "table": [{"term": t.term, "class": t.tempo, "language": t.language, "kind": t.kind,
                   "sources": list(t.sources)} for t in table.TERMS],
        "intensifiers": list(table.INTENSIFIERS),
        "lowering": list(table.LOWERING),
        "relative_section_starts": list(table.RELATIVE_STARTS),
        "forms": dict(table.FORM_TEMPO),
        "no_tempo_forms": list(table.NO_TEMPO_FORMS),
    }

"""Split an EarSense article into per-movement passages.

An EarSense introduction usually walks through the movements ("The opening Allegro …", "The second
movement, an Andante, …", "the light-hearted finale, a buoyant rondo"). The dataset pairs each
movement with the sentences about it, so this module decides, sentence by sentence, which movement
(if any) a sentence talks about. It works on whole sentences only and never rewrites text.

Rules (quoted by the dataset card; word lists live in ``crawlers/align_rules.py``)
-------------------------------------------------------------------------------------
1. Cues. A sentence *names* a movement through
   - an ordinal with a movement noun ("the second movement", "the third piece", "movement II",
     "the first and second movements"), or a sentence-initial bare ordinal ("The fourth is lively",
     "In the second, the cello answers", but not "The first violin");
   - a position: "opening" (first), "the finale" / "the last (or final, closing) movement" (last),
     "the penultimate movement", "the middle movement" (only when the count is odd), "the next
     movement" (the one after the movement being discussed);
   - "the slow movement": the one movement whose title's main section (after its last dash) is slow
     (Adagio, Largo, Lento, Lent, Langsam, … preferred over Andante, Larghetto, …; inner movements
     preferred over outer ones); when no single title is slow, it is placed like an unmatched form
     word (below);
   - title words: the longest run of words shared with a title, compared folded (case and accents
     ignored, "Menuetto" = "minuet", "variazioni" = "variations"). Connectives and numbering never
     count; a single word counts only if it is a tempo term or a form word ("the Adagio", "the
     minuet", "lebhaft"), while ordinary words count only in runs of two ("slow and expressive").
     "Trio" is never a cue: it also names the genre.
   - a form word no title contains ("scherzo" when the titles only say "Allegro vivo") counts when
     it is the sentence's subject or follows an order phrase ("is followed by a scherzo"). It stands
     for a movement an earlier sentence tied it to, else for the next movement after the one being
     discussed that no cue anywhere in the article claims. Without titles it cannot be placed.
   A cue is ignored when negated ("There is no slow movement") or about another work ("the Adagio
   of his Op. 59 quartet", "the finale of the Fifth Symphony"), and a form word is ignored when
   descriptive ("sonata form", "minuet-like").
2. Ambiguous title words ("the Allegro" when two titles say Allegro) go to the candidate an
   ordinal in the same sentence names, else to the movement being discussed, else to the only
   candidate no other cue claims, else to the next candidate in order (low confidence).
3. A sentence that names several movements goes to *each* of them ("The first and second movements
   share a theme", "The Andante offers calm, and the finale drives the work home"), except that a
   movement named only as a reference point, right after "after", "of", "like", "than", "from", …
   ("After the Allegro comes a tender Andante", "the theme of the first movement returns in the
   finale") is dropped when another movement remains. The last movement named is then the one
   being discussed.
4. Continuation. A sentence without a cue continues the movement being discussed, within its
   paragraph, unless it speaks about the whole work ("as a whole", "every movement", "the outer
   movements"). A paragraph whose first sentence has no cue is work-level, unless it opens like a
   continuation ("It", "Its", "Here", "The coda", …) with no whole-work noun ("the work", "the
   quartet"), or mentions the trio right after a minuet or scherzo: then it continues the previous
   paragraph's movement.
5. A cue that cannot be placed (an ordinal beyond the count, "the finale" when the titles are
   unknown) ends the current passage: the sentence is work-level. With no titles, only ordinals and
   "opening" are placed, because the number of movements is unknown.
6. Everything else (introduction, history, conclusion, sentences before the first cue) is work
   text. Every sentence ends up exactly once, in article order, except rule-3 sentences, which are
   repeated in each passage they name.
7. Confidence per passage: the best cue among its sentences: ordinal or position agreeing with a
   title word 0.95; two or more title words 0.9; one tempo term, or an ordinal or position alone
   0.85; a form word 0.8; an ordinal without titles, "slow movement", "middle movement" 0.7; a form
   word tied by an earlier sentence 0.65; "next movement" or an ambiguous title word resolved by
   exclusion 0.6; by order 0.5; a form word placed by order alone 0.4. A cue from a sentence shared
   with another movement counts 0.85 times its value.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from earsense_m2t.movements import align_rules as rules
from earsense_m2t.text import fold

# Confidence of a sentence's assignment, by the kind of cue (rule 7 of the module docstring).
CONF_AGREE = 0.95
CONF_TITLE_RUN = 0.9
CONF_TITLE_TERM = 0.85
CONF_POSITION = 0.85
CONF_FORM = 0.8
CONF_POSITION_NO_TITLES = 0.7
CONF_SLOW = 0.7
CONF_MIDDLE = 0.7
CONF_LEARNED_FORM = 0.65
CONF_NEXT = 0.6
CONF_TITLE_EXCLUSION = 0.6
CONF_TITLE_ORDER = 0.5
CONF_ORDER = 0.4
SHARED_FACTOR = 0.85


@dataclass(frozen=True)
class Passage:
    """What the article says about one movement; the confidence lets the card and filters drop guesses."""

    number: int  # 1-based movement number
    text: str  # whole sentences, article order, " " within a paragraph, "\n\n" between paragraphs
    confidence: float  # 0..1


@dataclass(frozen=True)
class Alignment:
    """Passages plus the rest, so no sentence of the article is lost (the rest describes the work)."""

    passages: tuple[Passage, ...]  # one per movement that got text, sorted by number
    work_text: str  # sentences that belong to no movement, article order


# ----------------------------------------------------------------------------------------------
# Text helpers

_TOKEN_RE = re.compile(r"[^\W_]+")
_PARAGRAPH_RE = re.compile(r"\n[ \t\r\f\v]*\n\s*")
_BOUNDARY_RE = re.compile(r"([.!?…]+)([\"'”’»)\]]*)(\s+)(?=\S)")
_WORD_BEFORE_RE = re.compile(r"[\w.'’]*$")
_WORD_AFTER_RE = re.compile(r"[\"'“‘«(\[]*([\w']+)")
_OPENING_MARKS = "\"'“‘«(["
_SLOW_MOVEMENT_RE = re.compile(
    r"\b(?:" + "|".join(re.escape(p) for p in rules.SLOW_MOVEMENT_PHRASES) + r")s?\b")
_DASH_SPLIT_RE = re.compile(r"\s+-+\s+|\s*-{2,}\s*")
_DETERMINERS = frozenset({"the", "a", "an", "its", "this", "that", "his", "her", "their"})


def _tokens(folded: str) -> list[tuple[str, int, int]]:
    return [(m.group(), m.start(), m.end()) for m in _TOKEN_RE.finditer(folded)]


def _canon(token: str) -> str:
    return rules.FORM_ALIASES.get(token, token)


def _paragraphs(article: str) -> list[str]:
    return [p.strip() for p in _PARAGRAPH_RE.split(article.strip()) if p.strip()]


def _is_boundary(text: str, match: re.Match[str]) -> bool:
    """Only a period can be an abbreviation or an initial; "!", "?" and quotes always end a sentence."""
    following = text[match.end():]
    if not (following[0].isupper() or following[0] in _OPENING_MARKS):
        return False
    if match.group(1) != "." or match.group(2):
        return True
    before = _WORD_BEFORE_RE.search(text[:match.start()])
    if before is None:  # cannot happen: the pattern matches the empty string at the end
        raise AssertionError("the word-before pattern always matches")
    word = before.group().lstrip(".'’")
    if not word:
        return True
    if fold(word) in rules.ABBREVIATIONS:
        return False
    if len(word) == 1 and word.isupper():
        after = _WORD_AFTER_RE.match(following)
        return after is not None and fold(after.group(1)) in rules.SENTENCE_STARTERS
    if word.isupper() and fold(word) in rules.ROMAN_NUMERALS:
        return False
    return True


def _split_paragraph(paragraph: str) -> list[str]:
    sentences: list[str] = []
    start = 0
    for match in _BOUNDARY_RE.finditer(paragraph):
        if _is_boundary(paragraph, match):
            sentence = paragraph[start:match.start(3)].strip()
            if sentence:
                sentences.append(sentence)
            start = match.end()
    tail = paragraph[start:].strip()
    if tail:
        sentences.append(tail)
    return sentences


def split_sentences(text: str) -> list[str]:
    """Sentences stay whole because a passage must never start or end mid-sentence.

    A blank line always ends a sentence. A period does not when it follows an abbreviation from
    ``align_rules.ABBREVIATIONS`` ("Op. 44", "No. 8", "ca. 1850", "e.g."), a roman numeral, or an
    initial ("J. S. Bach", "K. 458"), or when the next word starts in lower case or with a digit.
    """
    return [s for p in _paragraphs(text) for s in _split_paragraph(p)]


# ----------------------------------------------------------------------------------------------
# Titles


@dataclass(frozen=True)
class _Title:
    number: int
    tokens: tuple[str, ...]  # folded, form words canonical
    slowness: int  # 2 clearly slow, 1 moderately slow, 0 not slow (main section only)
    dance: bool  # has a trio: "trio" continues it


def _slowness(title: str) -> int:
    sections = _DASH_SPLIT_RE.split(fold(title))
    main = " " + " ".join(t for t, _, _ in _tokens(sections[-1])) + " "
    if any(f" {w} " in main for w in rules.SLOW_WORDS_STRONG):
        return 2
    if any(f" {w} " in main for w in rules.SLOW_WORDS_MODERATE):
        return 1
    return 0


def _analyse_titles(titles: Sequence[str]) -> list[_Title]:
    out: list[_Title] = []
    for number, title in enumerate(titles, 1):
        tokens = tuple(_canon(t) for t, _, _ in _tokens(fold(title)))
        out.append(_Title(number, tokens, _slowness(title), bool(set(tokens) & rules.DANCE_WORDS)))
    return out


def _slow_target(titles: list[_Title]) -> int | None:
    """The one slow movement, or None when there is none or the choice would be a guess."""
    best = max((t.slowness for t in titles), default=0)
    if best == 0:
        return None
    candidates = [t.number for t in titles if t.slowness == best]
    inner = [n for n in candidates if 1 < n < len(titles)]
    if len(candidates) > 1 and inner:
        candidates = inner
    return candidates[0] if len(candidates) == 1 else None


# ----------------------------------------------------------------------------------------------
# Mentions


@dataclass(frozen=True)
class _Mention:
    start: int  # token index in the sentence
    kind: str  # "position" | "title" | "slow" | "next" | "form"
    candidates: frozenset[int]  # empty: a movement reference that cannot be placed
    confidence: float
    backref: bool = False
    form_word: str | None = None  # for kind "form": the canonical form word


def _preceding(tokens: list[tuple[str, int, int]], index: int, words: frozenset[str], span: int = 3) -> bool:
    return any(t in words for t, _, _ in tokens[max(0, index - span):index])


def _negated(tokens: list[tuple[str, int, int]], index: int) -> bool:
    return _preceding(tokens, index, rules.NEGATION_WORDS)


def _title_mentions(tokens: list[tuple[str, int, int]], titles: list[_Title]) -> list[tuple[int, int, frozenset[int], float]]:
    """(start, end, candidate movements, confidence) for each run of title words in the sentence."""
    words = [_canon(t) for t, _, _ in tokens]
    runs: list[tuple[int, int, int, tuple[int, int]]] = []  # (start, end, movement, score)
    for title in titles:
        i = 0
        while i < len(words):
            best = 0
            for j, tw in enumerate(title.tokens):
                if tw != words[i]:
                    continue
                k = 0
                while i + k < len(words) and j + k < len(title.tokens) and words[i + k] == title.tokens[j + k]:
                    k += 1
                best = max(best, k)
            if not best:
                i += 1
                continue
            lo, hi = i, i + best
            while lo < hi and words[lo] in rules.GENERIC_TITLE_WORDS:
                lo += 1
            while hi > lo and words[hi - 1] in rules.GENERIC_TITLE_WORDS:
                hi -= 1
            significant = [w for w in words[lo:hi] if w not in rules.GENERIC_TITLE_WORDS]
            if len(significant) >= 2 or (
                    len(significant) == 1 and (significant[0] in rules.TEMPO_TERMS or significant[0] in rules.FORM_WORDS)):
                runs.append((lo, hi, title.number, (len(significant), hi - lo)))
            i += best
    runs.sort()
    out: list[tuple[int, int, frozenset[int], float]] = []
    cluster: list[tuple[int, int, int, tuple[int, int]]] = []

    def flush() -> None:
        if not cluster:
            return
        top = max(r[3] for r in cluster)
        winners = frozenset(r[2] for r in cluster if r[3] == top)
        lo = min(r[0] for r in cluster)
        hi = max(r[1] for r in cluster)
        if top[0] >= 2:
            conf = CONF_TITLE_RUN
        elif any(words[k] in rules.FORM_WORDS and words[k] != "finale" for k in range(lo, hi)):
            conf = CONF_FORM
        else:
            conf = CONF_TITLE_TERM
        out.append((lo, hi, winners, conf))
        cluster.clear()

    for run in runs:
        if cluster and run[0] >= max(r[1] for r in cluster):
            flush()
        cluster.append(run)
    flush()
    return out


_POSITION_WORDS = frozenset(rules.ORDINALS) | rules.FIRST_WORDS | rules.LAST_WORDS


def _ordinal(word: str, last: int | None) -> int | None:
    """None for "last" when the count is unknown: the reference is real but cannot be placed."""
    if word in rules.ORDINALS:
        return rules.ORDINALS[word]
    if word in rules.FIRST_WORDS:
        return 1
    return last if word in rules.LAST_WORDS else None


def _bare_reference(tokens: list[tuple[str, int, int]], i: int) -> bool:
    """Sentence-initial "The fourth is lively" / "In the second, …" but not "The first violin"."""
    words = [t for t, _, _ in tokens]
    opens = (i == 1 and words[0] in rules.BARE_ORDINAL_HEADS) or (
        i == 2 and words[0] in rules.BARE_ORDINAL_PREPOSITIONS and words[1] == "the")
    return opens and (i + 1 >= len(words) or words[i + 1] not in rules.NON_MOVEMENT_NOUNS)


def _about_another_work(words: list[str], index: int) -> bool:
    """ "the Adagio of his Op. 59 quartet": the mention points outside the article's work."""
    for k in range(index + 1, min(index + 4, len(words))):
        if words[k] in ("of", "from"):
            tail = words[k + 1:k + 6]
            return any(w in rules.OTHER_WORK_WORDS for w in tail) or any(
                a in rules.ORDINALS and b in rules.WORK_GENRES for a, b in zip(tail, tail[1:], strict=False))
    return False


def _sentence_mentions(sentence: str, titles: list[_Title], count: int | None) -> tuple[list[_Mention], set[str]]:
    """All movement mentions of a sentence (state-free) and the form words it uses descriptively."""
    folded = fold(sentence)
    tokens = _tokens(folded)
    words = [t for t, _, _ in tokens]
    mentions: list[_Mention] = []
    known = count is not None
    pos_conf = CONF_POSITION if known else CONF_POSITION_NO_TITLES
    title_words = {w for t in titles for w in t.tokens if w not in rules.GENERIC_TITLE_WORDS}

    def place(number: int | None) -> frozenset[int]:
        if number is None or number < 1 or (count is not None and number > count):
            return frozenset()
        return frozenset({number})

    def add(index: int, kind: str, candidates: frozenset[int], conf: float, form: str | None = None) -> None:
        if _negated(tokens, index) or _about_another_work(words, index):
            return
        mentions.append(_Mention(index, kind, candidates, conf,
                                 _preceding(tokens, index, rules.BACK_REFERENCE_WORDS), form))

    last = count if known else None
    covered: set[int] = set()  # token indices already part of a positional mention
    i = 0
    while i < len(words):
        w = words[i]
        nxt = words[i + 1] if i + 1 < len(words) else ""
        if w in _POSITION_WORDS:
            # "the first and second movements", "the first and last movements", "the third piece"
            group = [i]
            j = i + 1
            while j + 1 < len(words) and words[j] in ("and", "or") and words[j + 1] in _POSITION_WORDS:
                group.append(j + 1)
                j += 2
            if j < len(words) and words[j] in rules.MOVEMENT_NOUNS:
                for g in group:
                    add(g, "position", place(_ordinal(words[g], last)), pos_conf)
                covered.update(range(i, j + 1))
                i = j + 1
                continue
        if w in rules.ORDINALS:
            if _bare_reference(tokens, i):
                add(i, "position", place(rules.ORDINALS[w]), pos_conf)
                covered.add(i)
        elif w == "movement" and nxt in rules.MOVEMENT_NUMBERS and not (i > 0 and words[i - 1] in rules.ORDINALS):
            add(i, "position", place(rules.MOVEMENT_NUMBERS[nxt]), pos_conf)
            covered.update((i, i + 1))
        elif w in rules.FIRST_WORDS or w in rules.LAST_WORDS:
            target = 1 if w in rules.FIRST_WORDS else last
            conf = pos_conf if target is not None else 0.0
            names_movement = nxt not in rules.NON_MOVEMENT_NOUNS and (
                _canon(nxt) in rules.FORM_WORDS or _canon(nxt) in title_words or nxt in rules.TEMPO_TERMS)
            if names_movement or (w in rules.BARE_LAST_WORDS and _bare_reference(tokens, i)):
                add(i, "position", place(target), conf)
                covered.add(i)
        elif w in rules.PENULTIMATE_WORDS and nxt in rules.MOVEMENT_NOUNS:
            add(i, "position", place(last - 1 if last else None), pos_conf)
        elif w in rules.MIDDLE_WORDS and nxt in rules.MOVEMENT_NOUNS and nxt != "movements":
            middle = (last + 1) // 2 if last and last % 2 == 1 else None
            add(i, "position", place(middle), CONF_MIDDLE)
        elif w in rules.NEXT_WORDS and nxt in ("movement", "piece"):
            add(i, "next", frozenset(), CONF_NEXT)
        elif w in rules.FINALE_WORDS:
            add(i, "position", place(last), pos_conf)
            covered.add(i)
        i += 1

    for m in _SLOW_MOVEMENT_RE.finditer(folded):
        index = next(k for k, (_, s, _) in enumerate(tokens) if s == m.start())
        target = _slow_target(titles) if known else None
        if target is not None:
            add(index, "slow", frozenset({target}), CONF_SLOW)
        elif known:
            add(index, "form", frozenset(), CONF_ORDER, "slow movement")
        else:
            add(index, "slow", frozenset(), 0.0)

    title_spans: set[int] = set()
    for lo, hi, candidates, conf in _title_mentions(tokens, titles):
        title_spans.update(range(lo, hi))
        add(lo, "title", candidates, conf)

    descriptive: set[str] = set()
    order_at = min((m.start() for cue in rules.ORDER_CUES for m in re.finditer(rf"\b{re.escape(cue)}\b", folded)),
                   default=len(folded) + 1)
    for k, (w, start, _) in enumerate(tokens):
        form = _canon(w)
        if (form not in rules.FORM_WORDS or form in rules.SECTION_WORDS or form == "finale"
                or k in title_spans or k in covered):
            continue
        after = words[k + 1] if k + 1 < len(words) else ""
        if after in rules.FORM_DESCRIPTIVE_FOLLOWERS:
            descriptive.add(form)
            continue
        subject = k <= 3 and words[0] in _DETERMINERS and all(
            x not in rules.MOVEMENT_NOUNS for x in words[1:k])
        if subject or order_at < start:
            add(k, "form", frozenset(), CONF_ORDER, form)
    mentions.sort(key=lambda m: m.start)
    return mentions, descriptive


# ----------------------------------------------------------------------------------------------
# Alignment


@dataclass
class _State:
    count: int | None
    claimed: frozenset[int]
    current: int | None = None
    last_assigned: int | None = None
    forms: dict[str, int] = field(default_factory=dict)  # form word → movement an earlier cue tied it to


def _resolve(mentions: list[_Mention], state: _State) -> tuple[list[tuple[int, float]], bool]:
    """The movements a sentence is about, in the order named, and whether it named one it could not place."""
    resolved: list[tuple[int, int, float, str, bool]] = []  # (start, movement, conf, kind, backref)
    unplaceable = False
    explicit = {n for m in mentions if m.kind in ("position", "slow") for n in m.candidates}
    for m in mentions:
        base = max((r[1] for r in resolved), default=state.current or state.last_assigned or 0)
        if m.kind in ("position", "slow"):
            if not m.candidates:
                unplaceable = True
                continue
            resolved.append((m.start, next(iter(m.candidates)), m.confidence, "position", m.backref))
        elif m.kind == "next":
            target = (state.current or state.last_assigned or 0) + 1
            if state.count is not None and target > state.count:
                unplaceable = True
                continue
            resolved.append((m.start, target, m.confidence, "position", m.backref))
        elif m.kind == "title":
            candidates = m.candidates
            if len(candidates) == 1:
                resolved.append((m.start, next(iter(candidates)), m.confidence, "title", m.backref))
            elif candidates & explicit:
                for n in sorted(candidates & explicit):
                    resolved.append((m.start, n, m.confidence, "title", m.backref))
            elif state.current is not None and state.current in candidates:
                resolved.append((m.start, state.current, CONF_TITLE_EXCLUSION, "title", m.backref))
            else:
                free = sorted(candidates - state.claimed)
                if len(free) == 1:
                    resolved.append((m.start, free[0], CONF_TITLE_EXCLUSION, "title", m.backref))
                else:
                    later = [n for n in sorted(candidates) if n > base]
                    pick = later[0] if later else min(candidates)
                    resolved.append((m.start, pick, CONF_TITLE_ORDER, "title", m.backref))
        elif m.kind == "form":
            if m.form_word in state.forms:
                resolved.append((m.start, state.forms[m.form_word], CONF_LEARNED_FORM, "title", m.backref))
            elif state.count is None:
                unplaceable = True
            else:
                taken = {r[1] for r in resolved}
                free = [n for n in range(base + 1, state.count + 1) if n not in state.claimed and n not in taken]
                if free:
                    resolved.append((m.start, free[0], CONF_ORDER, "order", m.backref))
    topical = [r for r in resolved if not r[4]]
    chosen = topical or resolved
    out: dict[int, float] = {}
    kinds: dict[int, set[str]] = {}
    for _, number, conf, kind, _ in chosen:
        out[number] = max(out.get(number, 0.0), conf)
        kinds.setdefault(number, set()).add(kind)
    for number, ks in kinds.items():
        if {"position", "title"} <= ks:
            out[number] = CONF_AGREE
    return list(out.items()), unplaceable


def _claimed(all_mentions: list[list[list[_Mention]]]) -> frozenset[int]:
    """Movements some unambiguous, topical cue names: order inference must not hand them out again."""
    return frozenset(
        next(iter(m.candidates))
        for paragraph in all_mentions for mentions in paragraph for m in mentions
        if len(m.candidates) == 1 and not m.backref and m.kind in ("position", "slow", "title"))


def _starts_like_continuation(folded: str) -> bool:
    return folded.startswith(rules.CONTINUATION_OPENERS) and not any(n in folded for n in rules.WORK_NOUNS)


def _is_work_level(folded: str) -> bool:
    return any(marker in folded for marker in rules.WORK_LEVEL_MARKERS)


def align_article(article: str, movement_titles: Sequence[str]) -> Alignment:
    """Per-movement passages of one article; see the module docstring for the rules and confidences."""
    titles = _analyse_titles(movement_titles)
    count = len(titles) if titles else None
    paragraphs = [_split_paragraph(p) for p in _paragraphs(article or "")]
    mentions = [[_sentence_mentions(s, titles, count) for s in sentences] for sentences in paragraphs]
    state = _State(count=count, claimed=_claimed([[m for m, _ in p] for p in mentions]))

    placed: dict[int, list[tuple[int, str]]] = {}  # movement → (paragraph index, sentence)
    anchors: dict[int, float] = {}
    work: list[tuple[int, str]] = []
    for p_index, sentences in enumerate(paragraphs):
        previous = state.current
        state.current = None
        for s_index, sentence in enumerate(sentences):
            folded = fold(sentence)
            sentence_mentions, descriptive = mentions[p_index][s_index]
            movements, unplaceable = _resolve(sentence_mentions, state)
            if movements:
                shared = len(movements) > 1
                for number, conf in movements:
                    placed.setdefault(number, []).append((p_index, sentence))
                    anchors[number] = max(anchors.get(number, 0.0), conf * (SHARED_FACTOR if shared else 1.0))
                topic = movements[-1][0]
                state.current = state.last_assigned = topic
                if not shared:
                    _learn_forms(folded, descriptive, state, topic)
                continue
            if unplaceable or _is_work_level(folded):
                state.current = None
            elif s_index == 0 and previous is not None and (
                    _starts_like_continuation(folded) or (
                        re.search(r"\btrio\b", folded) and _is_dance(previous, titles, state))):
                state.current = previous
            if state.current is None:
                work.append((p_index, sentence))
            else:
                placed[state.current].append((p_index, sentence))

    passages = tuple(
        Passage(number, _join(placed[number]), anchors.get(number, CONF_ORDER))
        for number in sorted(placed))
    return Alignment(passages=passages, work_text=_join(work))


def _learn_forms(folded: str, descriptive: set[str], state: _State, number: int) -> None:
    """A form word in a sentence about one movement names that movement later ("Its minuet …")."""
    tokens = _tokens(folded)
    for k, (token, _, _) in enumerate(tokens):
        word = _canon(token)
        if word in rules.FORM_WORDS and word != "finale" and word not in descriptive and not _negated(tokens, k):
            state.forms[word] = number


def _is_dance(number: int, titles: list[_Title], state: _State) -> bool:
    """A trio belongs to a minuet or scherzo, whether the title or an earlier sentence says so."""
    if titles and 1 <= number <= len(titles) and titles[number - 1].dance:
        return True
    return any(state.forms.get(w) == number for w in rules.DANCE_WORDS)


def _join(items: list[tuple[int, str]]) -> str:
    parts: list[str] = []
    previous: int | None = None
    for p_index, sentence in items:
        if previous is not None:
            parts.append(" " if p_index == previous else "\n\n")
        parts.append(sentence)
        previous = p_index
    return "".join(parts)

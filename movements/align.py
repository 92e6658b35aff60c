"""Split an EarSense article into per-movement passages.

An EarSense article usually opens with a quotation and its attribution, gives the composer's
biography and the work's history, and then walks through the movements, most often all of them in
one paragraph ("In four movements, it begins with …", "Next comes …", "The finale, Presto, …"). Very
often the opening quotation (a critic's handbook) *is* the movement-by-movement description, or one
is quoted later after a lead-in ("Hartwig describes the Trio as follows:"). It may end with publisher
text ("© Edition …. Used by permission.", "Our edition …"). The dataset pairs each movement with the
sentences about it, so this module decides, sentence by sentence, which movement (if any) a sentence
talks about. It works on whole sentences only; the one rewrite is that a quoted sentence loses the
quotation marks at its edges when it goes to a passage (the passage is the movement's text).

Rules (quoted by the dataset card; word lists live in ``movements/align_rules.py``)
--------------------------------------------------------------------------------------
0. Quotations and text about no movement. A quoted sentence (one that opens with a quotation mark,
   and those after it until a sentence closes the mark or a paragraph ends without the next one
   reopening it) is aligned like the article's own sentences: "“The Adagio is sublime, and the
   finale irresistible.”" goes to both, without its marks, and its passage is ``quoted``; a quoted
   sentence about the work as a whole has no cue and stays work text. A paragraph or sentence
   starting with a dash ("—Jane Roe writing in …", also "…” —Jane Roe" after a closing mark, split
   off as a sentence of its own) is an attribution, and a sentence that introduces a quotation ("…
   as follows:", "Here is what she wrote.") is a lead-in: both are work text with no cues. A
   paragraph whose first sentence holds life dates ("(1811-1874)")
   or a life event ("was born", "studied") is biography, up to the first sentence that speaks of a
   movement. Its sentences are work text and hold no cues, so "in the last decade of her life" or "A
   second marriage" never reach a passage. A sentence with
   publisher wording ("©", "Used by permission", "Our edition", "We also offer", "available from")
   and the rest of its paragraph are publisher text: in no passage and not in the work text, but
   listed apart (``Alignment.excluded``). A sentence that starts with another work of the composer
   ("His first quartet …", "Her opera …") holds no cues either.
1. Cues. A sentence *names* a movement through
   - an ordinal with a movement noun ("the second movement", "the third piece", "movement II",
     "the first and second movements"), or a sentence-initial bare ordinal followed by a comma or a
     verb ("The fourth is lively", "In the second, the cello answers", but not "The first violin",
     "The first concert she gave" or "The last decade of his life"), or "the fourth," after an
     ordinal with a movement noun in the same sentence ("The third movement, …, and the fourth, …");
   - a position: "opening" (first), "the finale" / "the last (or final, closing) movement" (last),
     "the penultimate movement", "the middle movement" (only when the count is odd), "the next
     movement" (the one after the movement being discussed), and as a sentence's subject "the
     (two) inner or middle movements" (2 to n-1) and "the outer movements" (1 and n), not "the
     weight falls on the outer movements";
   - a whole-work subject opening the work: "The quartet begins with …", "In four movements, it
     opens with …", "This four-movement work begins with …" name movement 1 ("it" only when no
     movement is being discussed; "the trio" not while a minuet or scherzo is, whose trio it is);
   - "the slow movement": the one movement whose title's main section (after its last dash) is slow
     (Adagio, Largo, Lento, Lent, Langsam, … preferred over Andante, Larghetto, …; inner movements
     preferred over outer ones); when no single title is slow, it is placed like an unmatched form
     word (below);
   - title words: the longest run of words shared with a title, compared folded (case and accents
     ignored, "Menuetto" = "minuet", "variazioni" = "variations"). Connectives and numbering never
     count; a single word counts only if it is a tempo term or a form word ("the Adagio", "the
     minuet", "lebhaft"), while ordinary words count only in runs of two ("slow and expressive").
     "Trio" and "serenade" are never cues on their own: they also name the genre. Recording titles
     may disagree with the article's names: a title word in apposition right after an ordinal or
     position ("The finale, Allegro assai, …", "The second movement, an Allegretto, …") that
     names another movement is dropped, and the ordinal or position places the sentence;
   - a form word no title contains ("scherzo" when the titles only say "Allegro vivo") counts when
     it is the sentence's subject or follows an order phrase within three words ("is followed by a
     scherzo"). It stands for a movement an earlier sentence tied it to (not after "another" or "a
     second"), else for the next movement after the one being discussed that no cue anywhere in the
     article claims. Without titles, a tempo term written as a name after a determiner ("The Andante
     that follows", "a brilliant Presto") counts as a form word does, unless the sentence speaks of
     the movement being discussed ("It leads to an Allegro") and has no order phrase;
   - the last movement by what it does to the work: "The work closes with a set of variations", "A
     sparkling Vivace rounds off the work" (``align_rules.LAST_PHRASES``), not "It ends with …";
   A cue is ignored when negated ("There is no slow movement") or about another work or event ("the
   Adagio of his Op. 59 quartet", "the finale of the Fifth Symphony", "the finale of a concert"),
   and a form word is ignored when descriptive ("sonata form", "minuet-like").
2. Ambiguous title words ("the Allegro" when two titles say Allegro) go to the candidate an
   ordinal in the same sentence names (not one it names as a reference point), else — after an
   order phrase ("Next comes an Allegro") — to the next candidate after the movement being
   discussed, else to the movement being discussed, else to the only candidate no other cue
   claims, else to the next candidate in order (low confidence).
3. A sentence that names several movements goes to *each* of them ("The first and second movements
   share a theme", "The Andante offers calm, and the finale drives the work home"), except that a
   movement named only as a reference point, right after "after", "of", "like", "than", "from",
   "recalls", … or as a possessive ("the opening movement's theme returns") is dropped when another
   movement remains. The last movement named is then the one being discussed. A sentence whose only
   cues are such back-references stays with the movement being discussed ("Its theme recalls the
   opening movement"); with no movement being discussed, they count.
4. Sequence. A sentence with no placeable cue that has an order phrase ("next comes", "then a",
   "… follows", "after that") and names something movement-like (a tempo term, a form word,
   "movement", a title word written as a name) is about the movement after the one being discussed:
   "Next comes a Lento" places the second movement even when the recording calls it Adagio. A
   sentence opening "Next comes" or "Then comes" needs only that what comes is not a section ("Then
   comes a lament"). "A short development follows" and "Then comes the development" do not move on.
5. Continuation. A sentence without a cue continues the movement being discussed, within its
   paragraph, unless it speaks about the whole work ("as a whole", "every movement"). A paragraph
   whose first sentence has no cue is work-level, unless it opens like a continuation ("It", "Its",
   "Here", "The coda", …) with no whole-work noun ("the work", "a quartet"), or mentions the trio
   right after a minuet or scherzo: then it continues the previous paragraph's movement.
6. Count. The number of movements is the number of titles; without titles, the count the caller
   gives; without either, the count the article states ("In four movements", "a three-movement
   work"), else the highest movement its ordinal, position and sequence cues reach, "the finale"
   counting as one after the highest before it, a movement named by its form (or "the middle
   movement"; "the two middle movements" as two) as one after the movement being discussed, until
   "the finale" is placed (see ``infer_movement_count``). A cue that cannot be
   placed (an ordinal beyond the count, "the finale" when no count can be found) ends the current
   passage: the sentence is work-level.
7. Everything else (introduction, history, conclusion, sentences before the first cue) is work
   text. Every sentence ends up exactly once, in article order — in one passage, in the work text,
   or among the excluded publisher sentences — except rule-3 sentences, which are repeated in each
   passage they name.
8. Confidence per passage: the best cue among its sentences: ordinal or position agreeing with a
   title word 0.95; two or more title words 0.9; one tempo term, or an ordinal, position or work
   opening alone 0.85; a form word 0.8; an ordinal or position without titles when the count was
   inferred, "slow movement", "middle movement" 0.7; a form word tied by an earlier sentence 0.65;
   "next movement", a sequence phrase, or an ambiguous title word resolved by exclusion 0.6; by
   order 0.5; a form word placed by order alone 0.4. A cue from a sentence shared with another
   movement counts 0.85 times its value.
9. Coverage before precision, once: when the titles leave a movement without a passage but the
   article's own cues, read with the count alone (titles ignored), place every movement, those
   placements are used. A movement gets no passage only when the article does not describe it, never
   because its recording title names it differently ("Andante" on the recording, "Adagio" in the text).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from earsense_m2t.folding import fold
from earsense_m2t.movements import align_rules as rules

#: the version of these rules as far as published texts are concerned, and what the last change did to
#: them: a publish names it in the changelog when it differs from the live version's (``publish.RULES``)
TEXT_ALIGNMENT_RULE = ("2", "movement texts now include a critic's quoted description of the movements (EarSense "
                       "articles often quote one as the movement-by-movement description), without its quotation "
                       "marks; the new column `text_from_quotation` says which passages hold quoted sentences, "
                       "and titles that disagree with the article no longer cost a movement its text")

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
CONF_SEQUENCE = 0.6
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
    quoted: bool = False  # some of its sentences come from a quotation (their marks removed)


@dataclass(frozen=True)
class Alignment:
    """Passages plus the rest, so no sentence of the article is lost (the rest describes the work)."""

    passages: tuple[Passage, ...]  # one per movement that got text, sorted by number
    work_text: str  # sentences that belong to no movement, article order (publisher text left out)
    excluded: tuple[str, ...] = ()  # publisher sentences, article order: in no passage and not in work_text


# ----------------------------------------------------------------------------------------------
# Text helpers

_TOKEN_RE = re.compile(r"[^\W_]+")
_PARAGRAPH_RE = re.compile(r"\n[ \t\r\f\v]*\n\s*")
_BOUNDARY_RE = re.compile(r"([.!?…]+)([\"'”’»)\]]*)(\s+)(?=\S)")
_WORD_BEFORE_RE = re.compile(r"[\w.'’]*$")
_WORD_AFTER_RE = re.compile(r"[\"'“‘«(\[]*([\w']+)")
_OPENING_MARKS = "\"'“‘«([©"
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
    return [part for sentence in sentences for part in _INLINE_ATTRIBUTION_RE.split(sentence)]


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
# Text about no movement (rule 0)

ATTRIBUTION, BIOGRAPHY, PUBLISHER, LEAD_IN, TEXT = "attribution", "biography", "publisher", "lead_in", "text"
_LIFE_DATES_RE = re.compile(rules.LIFE_DATES_PATTERN)
_INLINE_ATTRIBUTION_RE = re.compile(r"(?<=[" + re.escape(rules.QUOTE_CLOSERS) + r"])\s+(?=[—–―~])")


def _is_attribution(paragraph: str) -> bool:
    return paragraph.lstrip().startswith(rules.ATTRIBUTION_DASHES)


def unquote(sentence: str) -> str:
    """The sentence without the quotation marks at its edges (a quoted passage reads as the movement's text)."""
    return sentence.strip().lstrip(rules.QUOTE_OPENERS).rstrip(rules.QUOTE_CLOSERS).strip()


def _opens_quotation(sentence: str) -> bool:
    """ "“The opening Allegro …", not "“Rosamunde” is the name …" (a quoted phrase, closed inside)."""
    text = sentence.strip()
    if not text or text[0] not in rules.QUOTE_OPENERS:
        return False
    inner = text[1:].rstrip(rules.QUOTE_CLOSERS)
    return not any(c in rules.INNER_QUOTE_CLOSERS for c in inner)


def _closes_quotation(sentence: str) -> bool:
    text = sentence.rstrip()
    return bool(text) and text[-1] in rules.QUOTE_CLOSERS


def _quoted(paragraphs: list[list[str]]) -> list[list[bool]]:
    """Per sentence: inside a quotation (see ``align_rules.QUOTE_OPENERS`` for where one ends)."""
    out: list[list[bool]] = []
    inside = False
    for sentences in paragraphs:
        if not sentences or not _opens_quotation(sentences[0]):
            inside = False  # a quoted paragraph that is not reopened ended with its paragraph
        flags = []
        for sentence in sentences:
            if not inside and _opens_quotation(sentence):
                inside = True
            flags.append(inside)
            if inside and _closes_quotation(sentence):
                inside = False
        out.append(flags)
    return out


def _is_lead_in(sentence: str) -> bool:
    text = sentence.rstrip()
    return text.endswith(rules.LEAD_IN_ENDINGS) or any(p in fold(text) for p in rules.LEAD_IN_PHRASES)


def _is_publisher(sentence: str) -> bool:
    folded = fold(sentence)
    return any(marker in folded for marker in rules.PUBLISHER_MARKERS)


def _opens_biography(sentence: str) -> bool:
    folded = fold(sentence)
    return bool(_LIFE_DATES_RE.search(sentence)) or any(
        re.search(rf"\b{re.escape(m)}\b", folded) for m in rules.BIOGRAPHY_MARKERS)


def _ends_biography(sentence: str) -> bool:
    folded = fold(sentence)
    return any(marker in folded for marker in rules.BIOGRAPHY_ENDS)


def _roles(paragraphs: list[list[str]], texts: list[str], quoted: list[list[bool]]) -> list[list[str]]:
    """Per sentence: ATTRIBUTION, BIOGRAPHY, LEAD_IN, PUBLISHER or TEXT (the only role with cues).

    Quoted sentences are TEXT like the article's own: the critic's quotation is often the description
    of the movements. The attribution ("—Jane Roe writing in …", also right after the closing mark)
    and the sentence that introduces a quotation stay work text.
    """
    out: list[list[str]] = []
    for p_index, sentences in enumerate(paragraphs):
        if _is_attribution(texts[p_index]):
            out.append([ATTRIBUTION] * len(sentences))
            continue
        roles = [TEXT] * len(sentences)
        if sentences and _opens_biography(sentences[0]):
            for k, sentence in enumerate(sentences):
                if _ends_biography(sentence):
                    break
                roles[k] = BIOGRAPHY
        for k, sentence in enumerate(sentences):
            if _is_attribution(sentence):
                roles[k] = ATTRIBUTION
            elif not quoted[p_index][k] and _is_lead_in(sentence):
                roles[k] = LEAD_IN
        publisher = next((k for k, s in enumerate(sentences) if _is_publisher(s)), None)
        if publisher is not None:
            roles[publisher:] = [PUBLISHER] * (len(sentences) - publisher)
        out.append(roles)
    return out


# ----------------------------------------------------------------------------------------------
# Mentions


@dataclass(frozen=True)
class _Mention:
    start: int  # token index in the sentence
    kind: str  # "position" | "title" | "slow" | "next" | "form" | "begin" | "group" | "last"
    candidates: frozenset[int]  # empty: a movement reference that cannot be placed (yet)
    confidence: float
    backref: bool = False
    form_word: str | None = None  # "form": the canonical form word; "begin": the subject word
    end: int = -1  # token index just after the mention's words


@dataclass(frozen=True)
class _Cues:
    """What one sentence says about movements, before the article's state is known."""

    mentions: tuple[_Mention, ...] = ()
    descriptive: frozenset[str] = frozenset()  # form words it uses descriptively ("sonata form")
    sequence: bool = False  # an order phrase and a movement-like word (rule 4)
    inner_count: str | None = None  # "the two middle movements": "two"


_Tokens = list[tuple[str, int, int]]


def _preceding(tokens: _Tokens, index: int, words: frozenset[str], span: int = 3) -> bool:
    return any(t in words for t, _, _ in tokens[max(0, index - span):index])


def _negated(tokens: _Tokens, index: int) -> bool:
    return _preceding(tokens, index, rules.NEGATION_WORDS)


def _reference_point(tokens: _Tokens, index: int) -> bool:
    """ "recalls the opening movement", "of the first movement", "As in the Scherzo", not "After this the minuet"."""
    for k in range(max(0, index - 3), index):
        if tokens[k][0] in rules.BACK_REFERENCE_WORDS and tokens[k + 1][0] not in rules.PRONOUN_OBJECTS:
            return True
        if k + 1 < index and (tokens[k][0], tokens[k + 1][0]) in rules.BACK_REFERENCE_PAIRS:
            return True
    return False


def _title_mentions(tokens: _Tokens, titles: list[_Title]) -> list[tuple[int, int, frozenset[int], float]]:
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
                    len(significant) == 1 and (significant[0] in rules.TEMPO_TERMS or significant[0] in rules.FORM_WORDS)
                    and significant[0] not in rules.GENRE_FORM_WORDS):
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
_MOVEMENT_LIKE = (rules.TEMPO_TERMS | rules.FORM_WORDS | {"movement", "piece"}) - rules.SECTION_WORDS - rules.GENRE_FORM_WORDS
_NOT_A_MOVEMENT = (rules.NON_MOVEMENT_NOUNS | rules.MOVEMENT_SECTION_NOUNS) - {
    "of", "to", "in", "on", "at", "for", "and", "or", "with", "by", "from", "few"}
_LAST_PHRASE_RE = re.compile(r"\b(?:" + "|".join(re.escape(p) for p in rules.LAST_PHRASES) + r")\b")
_ORDER_RE = re.compile(r"\b(?:" + "|".join(re.escape(c) for c in rules.ORDER_CUES) + r")\b")
_GROUP_RE = re.compile(r"\b(" + "|".join(re.escape(g) for g in rules.GROUP_REFERENCES) + r")\b")


def _bare_reference(tokens: _Tokens, i: int, folded: str) -> bool:
    """Sentence-initial "The fourth is lively" / "In the second, …", not "The first violin" or "A second marriage".

    A leading "Of the three movements," may come first: "Of the three movements, the first is …".
    """
    words = [t for t, _, _ in tokens]
    lead = re.match(r"of (?:the|its|these) (?:[a-z]+ )?movements\s*,\s*", folded)
    offset = len(_tokens(lead.group())) if lead else 0
    opens = (i == offset + 1 and words[offset] in rules.BARE_ORDINAL_HEADS) or (
        i == offset + 2 and words[offset] in rules.BARE_ORDINAL_PREPOSITIONS and words[offset + 1] == "the") or (
        i == offset and i + 1 < len(words) and words[i + 1] in rules.ORDINAL_ARRIVALS)  # "Third comes a Scherzo"
    if not opens:
        return False
    if i + 1 >= len(words) or folded[tokens[i][2]:].lstrip().startswith(","):
        return True
    after = words[i + 1]
    if after in rules.NON_MOVEMENT_NOUNS:
        return False
    return after in rules.BARE_ORDINAL_VERBS or (after.endswith("s") and not after.endswith(("ss", "us")))


def _elliptical_reference(tokens: _Tokens, i: int, folded: str, covered: set[int]) -> bool:
    """ "The third movement, a Scherzo, and the fourth, a Rondo, …": "the fourth," after a movement ordinal."""
    return (i >= 1 and tokens[i - 1][0] == "the" and folded[tokens[i][2]:].lstrip().startswith(",")
            and any(k < i for k in covered))


def _about_another_work(words: list[str], index: int) -> bool:
    """ "the Adagio of his Op. 59 quartet": the mention points outside the article's work."""
    for k in range(index + 1, min(index + 4, len(words))):
        if words[k] in ("of", "from"):
            tail = words[k + 1:k + 6]
            return any(w in rules.OTHER_WORK_WORDS for w in tail) or any(
                a in rules.ORDINALS and b in rules.WORK_GENRES for a, b in zip(tail, tail[1:], strict=False))
    return False


def _starts_with_another_work(words: list[str]) -> bool:
    """ "His first quartet had been criticised …", "Her opera …": the sentence is about another work."""
    for k, word in enumerate(words[:4]):
        if word not in rules.POSSESSIVES:
            continue
        window = words[k + 1:k + 3]
        if any(w in rules.OTHER_GENRES for w in window):
            return True
        if len(window) == 2 and window[1] in rules.WORK_GENRES and (
                window[0] in rules.ORDINALS or window[0] in rules.OTHER_WORK_ADJECTIVES):
            return True
    return False


def _possessive_reference(words: list[str], start: int, end: int, title_words: set[str]) -> bool:
    """ "…, the opening movement's theme returns": a movement named as the owner of something else."""
    if start <= 1 or end >= len(words) or words[end] != "s":
        return False
    after = words[end + 1] if end + 1 < len(words) else ""
    return _canon(after) not in title_words and after not in rules.TEMPO_TERMS and _canon(after) not in rules.FORM_WORDS


def _work_opening(words: list[str], verbs: frozenset[str] = rules.WORK_OPENING_VERBS) -> tuple[int, str] | None:
    """ "The quartet begins with …" → (index of the subject word, the subject word); with
    ``WORK_CLOSING_VERBS``, "The work closes with …"."""
    for v in range(1, len(words) - 1):
        if words[v] in verbs and words[v + 1] == "with" and words[v - 1] in rules.WORK_SUBJECTS:
            return v - 1, words[v - 1]
    return None


def _sentence_cues(sentence: str, titles: list[_Title], count: int | None, inferred: bool = False) -> _Cues:
    """All movement cues of a sentence (state-free); count None: the count is not known yet."""
    folded = fold(sentence)
    tokens = _tokens(folded)
    words = [t for t, _, _ in tokens]
    if _starts_with_another_work(words):
        return _Cues()
    mentions: list[_Mention] = []
    known = count is not None
    pos_conf = CONF_POSITION if known and not inferred else CONF_POSITION_NO_TITLES
    title_words = {w for t in titles for w in t.tokens if w not in rules.GENERIC_TITLE_WORDS}

    def place(number: int | None) -> frozenset[int]:
        if number is None or number < 1 or (count is not None and number > count):
            return frozenset()
        return frozenset({number})

    def add(index: int, kind: str, candidates: frozenset[int], conf: float, form: str | None = None,
            end: int | None = None) -> None:
        if _negated(tokens, index) or _about_another_work(words, index):
            return
        stop = index + 1 if end is None else end
        backref = _reference_point(tokens, index) or _possessive_reference(
            words, index, stop, title_words)
        mentions.append(_Mention(index, kind, candidates, conf, backref, form, stop))

    def add_last(index: int, end: int | None = None) -> None:
        if known:
            add(index, "position", place(count), pos_conf, end=end)
        else:  # placed after the highest movement so far while the count is being inferred
            add(index, "last", frozenset(), pos_conf, end=end)

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
                    if words[g] in rules.LAST_WORDS:
                        add_last(g, end=j + 1)
                    else:
                        add(g, "position", place(1 if words[g] in rules.FIRST_WORDS else rules.ORDINALS[words[g]]),
                            pos_conf, end=j + 1)
                covered.update(range(i, j + 1))
                i = j + 1
                continue
        if w in rules.ORDINALS:
            if _bare_reference(tokens, i, folded) or _elliptical_reference(tokens, i, folded, covered):
                add(i, "position", place(rules.ORDINALS[w]), pos_conf)
                covered.add(i)
        elif w == "movement" and nxt in rules.MOVEMENT_NUMBERS and not (i > 0 and words[i - 1] in rules.ORDINALS):
            add(i, "position", place(rules.MOVEMENT_NUMBERS[nxt]), pos_conf, end=i + 2)
            covered.update((i, i + 1))
        elif w in rules.FIRST_WORDS or w in rules.LAST_WORDS:
            names_movement = nxt not in rules.NON_MOVEMENT_NOUNS and (
                _canon(nxt) in rules.FORM_WORDS or _canon(nxt) in title_words or nxt in rules.TEMPO_TERMS)
            if names_movement or (w in rules.BARE_LAST_WORDS and _bare_reference(tokens, i, folded)):
                if w in rules.FIRST_WORDS:
                    add(i, "position", place(1), pos_conf, end=i + 2)
                else:
                    add_last(i, end=i + 2)
                covered.add(i)
        elif w in rules.PENULTIMATE_WORDS and nxt in rules.MOVEMENT_NOUNS:
            add(i, "position", place(count - 1 if count else None), pos_conf, end=i + 2)
        elif w in rules.MIDDLE_WORDS and nxt in rules.MOVEMENT_NOUNS and nxt != "movements":
            if count is None:  # while the count is inferred: the one after the highest so far, as for a form
                add(i, "form", frozenset(), CONF_MIDDLE, "middle movement", end=i + 2)
            else:
                middle = (count + 1) // 2 if count % 2 == 1 else None
                add(i, "position", place(middle), CONF_MIDDLE, end=i + 2)
        elif w in rules.NEXT_WORDS and nxt in ("movement", "piece"):
            add(i, "next", frozenset(), CONF_NEXT, end=i + 2)
        elif w in rules.FINALE_WORDS:
            add_last(i)
            covered.add(i)
        i += 1

    for m in _GROUP_RE.finditer(folded):
        index = next(k for k, (_, s, _) in enumerate(tokens) if s == m.start())
        if any(w not in rules.GROUP_SUBJECT_LEADS for w in words[:index]):
            continue  # "… so the weight falls on the outer movements": a remark about the work's shape
        which = rules.GROUP_REFERENCES[m.group(1)]
        if count is not None and which == "inner" and count >= 3:
            add(index, "group", frozenset(range(2, count)), pos_conf, end=index + 2)
        elif count is not None and which == "outer" and count >= 2:
            add(index, "group", frozenset({1, count}), pos_conf, end=index + 2)
        elif count is None and which == "inner":  # inferring the count: "the two middle movements"
            add(index, "inner", frozenset(), pos_conf, end=index + 2)
        else:
            add(index, "group", frozenset(), 0.0, end=index + 2)

    opening = _work_opening(words)
    if opening is not None:
        add(opening[0], "begin", frozenset({1}), pos_conf, opening[1], end=opening[0] + 3)
    closing = _work_opening(words, rules.WORK_CLOSING_VERBS)
    if closing is not None and not mentions and closing[1] != "it" and any(  # "It ends with …": the current one
            _canon(w) in _MOVEMENT_LIKE for w in words[closing[0] + 3:closing[0] + 9]):  # not "ends with a grin"
        add_last(closing[0], end=closing[0] + 3)

    for m in _SLOW_MOVEMENT_RE.finditer(folded):
        index = next(k for k, (_, s, _) in enumerate(tokens) if s == m.start())
        target = _slow_target(titles) if known else None
        if target is not None:
            add(index, "slow", frozenset({target}), CONF_SLOW, end=index + 2)
        elif known:
            add(index, "form", frozenset(), CONF_ORDER, "slow movement", end=index + 2)
        else:
            add(index, "form", frozenset(), CONF_ORDER, "slow movement", end=index + 2)

    title_spans: set[int] = set()
    for lo, hi, candidates, conf in _title_mentions(tokens, titles):
        title_spans.update(range(lo, hi))
        add(lo, "title", candidates, conf, end=hi)

    descriptive: set[str] = set()
    order = _ORDER_RE.search(folded)
    order_at = order.start() if order else len(folded) + 1
    order_end = order.end() if order else len(folded) + 1
    cue_tokens = title_spans | covered
    if not any(m.kind in ("position", "begin", "group") for m in mentions) and not folded.startswith(
            rules.CONTINUATION_OPENERS):
        last = _LAST_PHRASE_RE.search(folded)
        if last is not None:  # "A sparkling Vivace rounds off the work", "Closing the work is …"
            add_last(next(k for k, (_, s, _) in enumerate(tokens) if s >= last.start()))
    topical_cue = any(not m.backref for m in mentions)
    named_tempo = _named_tempo_term(sentence, words) if not titles and not topical_cue and (
        order is not None or not _speaks_of_current(folded, words)) else None
    for k, (w, start, _) in enumerate(tokens):
        form = _canon(w)
        if (form not in rules.FORM_WORDS or form in rules.SECTION_WORDS or form in rules.GENRE_FORM_WORDS
                or form == "finale" or k in title_spans or k in covered):
            continue
        after = words[k + 1] if k + 1 < len(words) else ""
        if after in rules.FORM_DESCRIPTIVE_FOLLOWERS:
            descriptive.add(form)
            continue
        subject = k <= 3 and words[0] in _DETERMINERS and all(
            x not in rules.MOVEMENT_NOUNS for x in words[1:k])
        # "is followed by a scherzo", but not "Next comes an Andante … close to a barcarolle" nor "The
        # Scherzo which follows … whose trio section is a gentle ländler" (only right after the phrase)
        introduced = order_at < start and not any(order_at < tokens[c][1] < start for c in cue_tokens) and sum(
            1 for _, t_start, _ in tokens if order_end <= t_start < start) <= rules.ORDER_REACH
        if subject or introduced:
            another = k and words[k - 1] in rules.ANOTHER_WORDS  # "A second Minuet": not the one named before
            add(k, "form", frozenset(), CONF_ORDER, None if another else form)
    if named_tempo is not None and not any(m.kind == "form" for m in mentions):
        # without titles, "The Andante that follows", "a brilliant Presto" name a movement as a form word does
        add(named_tempo, "form", frozenset(), CONF_ORDER, words[named_tempo])
    inner = next((m.start for m in mentions if m.kind == "inner"), None)
    inner_count = words[inner - 1] if inner else None
    return _Cues(tuple(sorted(_drop_appositions(mentions), key=lambda m: m.start)), frozenset(descriptive),
                 _has_sequence(sentence, folded, words, order is not None, title_words), inner_count)


def _speaks_of_current(folded: str, words: list[str]) -> bool:
    """ "It leads to an Allegro …", "The main part of the movement is an Allegro": the movement being discussed."""
    return folded.startswith(rules.CONTINUATION_OPENERS) or any(
        w in rules.MOVEMENT_NOUNS and k and words[k - 1] in rules.ANAPHORIC_DETERMINERS for k, w in enumerate(words))


def _named_tempo_term(sentence: str, words: list[str]) -> int | None:
    """The first tempo term written as a name ("The Andante …", "a sparkling Vivace"), when no form word is.

    Only used without titles: with titles, tempo terms are title words. It must follow a determiner
    within two words (a name, not "played allegro"); a form word that is itself a cue wins ("The
    Scherzo, Presto, …" is one movement), and a run of tempo terms ("Allegro con brio") is one name.
    """
    raw = _TOKEN_RE.findall(sentence)
    if len(raw) != len(words):
        return None
    for k, (w, r) in enumerate(zip(words, raw, strict=True)):
        if w in rules.TEMPO_TERMS and r[:1].isupper() and (k == 0 or words[k - 1] not in rules.TEMPO_TERMS):
            return k if any(d in _DETERMINERS for d in words[max(0, k - 2):k]) else None
    return None


def _has_sequence(sentence: str, folded: str, words: list[str], ordered: bool, title_words: set[str]) -> bool:
    """Rule 4: an order phrase and something movement-like ("Next comes a Lento", "A Very fast follows").

    Movement-like: a tempo term or form word, "movement" (not "the movement": that is the current
    one), or a title word written as a name (capitalised, not first). A sentence-initial "Next comes"
    or "Then comes" needs only that what comes is not a section of a movement ("Then comes a
    lament", not "Then comes the development").
    """
    raw = _TOKEN_RE.findall(sentence)
    named = {k for k, w in enumerate(raw) if k and w[:1].isupper()} if len(raw) == len(words) else set()
    def movement_like(k: int, w: str) -> bool:
        if k and words[k - 1] in rules.ANAPHORIC_DETERMINERS and w in rules.MOVEMENT_NOUNS:
            return False  # "the movement closes quietly": the one being discussed
        if _canon(w) in _MOVEMENT_LIKE:
            return True
        if k in named and w in rules.GENERIC_TITLE_WORDS and k + 1 < len(words):
            return _canon(words[k + 1]) in title_words  # "A Very fast follows": the title "Very fast" as a name
        return k in named and _canon(w) in title_words

    if ordered and any(movement_like(k, w) for k, w in enumerate(words)):
        return True
    if folded.startswith(rules.STRONG_ORDER_OPENERS):
        return not any(w in _NOT_A_MOVEMENT for w in words[2:6])
    return False


def _drop_appositions(mentions: list[_Mention]) -> list[_Mention]:
    """ "The finale, Allegro assai, …" where the recording calls another movement Allegro: trust the position."""
    anchors = [m for m in mentions if m.kind in ("position", "begin") and m.candidates and not m.backref]
    return [m for m in mentions if not (
        m.kind == "title" and any(a.start < m.start <= a.end + 3 and not (m.candidates & a.candidates) for a in anchors))]


# ----------------------------------------------------------------------------------------------
# Alignment


@dataclass
class _State:
    count: int | None
    titles: list[_Title]
    claimed: frozenset[int]
    open_ended: bool = False  # the count is being inferred: "the finale" is one after the highest so far
    closed: bool = False  # … and "the finale" has been placed: nothing named after it extends the count
    current: int | None = None
    last_assigned: int | None = None
    highest: int = 0
    forms: dict[str, int] = field(default_factory=dict)  # form word → movement an earlier cue tied it to


@dataclass(frozen=True)
class _Resolved:
    movements: tuple[tuple[int, float], ...] = ()  # (movement, confidence), in the order named
    unplaceable: bool = False  # it named a movement that cannot be placed: the passage ends
    continues: bool = False  # only back-references: it stays with the movement being discussed


def _resolve(cues: _Cues, state: _State) -> _Resolved:
    """The movements a sentence is about (rules 1-4)."""
    resolved: list[tuple[int, int, float, str, bool]] = []  # (start, movement, conf, kind, backref)
    unplaceable = False
    explicit = {n for m in cues.mentions if m.kind in ("position", "slow", "begin") and not m.backref for n in m.candidates}
    for m in cues.mentions:
        base = max((r[1] for r in resolved), default=state.current or state.last_assigned or 0)
        if m.kind in ("position", "slow", "group"):
            if not m.candidates:
                unplaceable = True
                continue
            for n in sorted(m.candidates):
                resolved.append((m.start, n, m.confidence, "position", m.backref))
        elif m.kind == "begin":
            if state.current is not None and (m.form_word == "it" or (
                    m.form_word == "trio" and _is_dance(state.current, state.titles, state))):
                continue
            resolved.append((m.start, 1, m.confidence, "position", m.backref))
        elif m.kind == "inner":
            if state.open_ended:
                inner = rules.COUNT_WORDS.get(cues.inner_count or "", 2)  # "the two middle movements"; else two
                resolved += [(m.start, base + k, m.confidence, "position", m.backref) for k in range(1, inner + 1)]
            else:
                unplaceable = True
        elif m.kind == "last":
            if state.open_ended and state.highest:
                resolved.append((m.start, state.highest + 1, m.confidence, "position", m.backref))
                state.closed = state.closed or not m.backref
            else:
                unplaceable = True
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
            elif cues.sequence and any(n > base for n in candidates):  # "Next comes an Allegro": not the current one
                resolved.append((m.start, min(n for n in candidates if n > base), CONF_TITLE_ORDER, "title", m.backref))
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
            if m.form_word is not None and m.form_word in state.forms:
                resolved.append((m.start, state.forms[m.form_word], CONF_LEARNED_FORM, "title", m.backref))
            elif state.open_ended:
                # while the count is inferred, a movement named by its form is the next one, unless the
                # sentence places it by position ("The concluding Rondo", "The finale, a Rondo, …")
                if not m.backref and not state.closed and not any(
                        x.kind in ("last", "position", "begin") and not x.backref for x in cues.mentions):
                    resolved.append((m.start, base + 1, CONF_ORDER, "order", m.backref))
            elif state.count is None:
                unplaceable = True
            else:
                taken = {r[1] for r in resolved}
                free = [n for n in range(base + 1, state.count + 1) if n not in state.claimed and n not in taken]
                if free:  # "Then comes a Larghetto": as sure as the order phrase alone
                    conf = CONF_SEQUENCE if cues.sequence and free[0] == base + 1 else CONF_ORDER
                    resolved.append((m.start, free[0], conf, "order", m.backref))
    topical = [r for r in resolved if not r[4]]
    if not topical and cues.sequence and not unplaceable:
        # a movement named only as a reference point ("… variations on …") is not where the sequence stands
        base = state.current or state.last_assigned or 0
        if state.count is not None and base + 1 > state.count:
            return _Resolved(unplaceable=True)
        return _Resolved(((base + 1, CONF_SEQUENCE),))
    if not topical and resolved and state.current is not None:
        return _Resolved(continues=True)
    chosen = topical or resolved
    out: dict[int, float] = {}
    kinds: dict[int, set[str]] = {}
    for _, number, conf, kind, _ in chosen:
        out[number] = max(out.get(number, 0.0), conf)
        kinds.setdefault(number, set()).add(kind)
    for number, ks in kinds.items():
        if {"position", "title"} <= ks:
            out[number] = CONF_AGREE
    return _Resolved(tuple(out.items()), unplaceable)


def _claimed(cues: list[list[_Cues]]) -> frozenset[int]:
    """Movements some unambiguous, topical cue names: order inference must not hand them out again."""
    return frozenset(
        next(iter(m.candidates))
        for paragraph in cues for sentence in paragraph for m in sentence.mentions
        if len(m.candidates) == 1 and not m.backref and m.kind in ("position", "slow", "title", "begin"))


def _starts_like_continuation(folded: str) -> bool:
    if not folded.startswith(rules.CONTINUATION_OPENERS):
        return False
    words = [t for t, _, _ in _tokens(folded)]
    return not any(w in rules.WORK_NOUN_WORDS and any(d in rules.WORK_NOUN_DETERMINERS for d in words[max(0, k - 3):k])
                   for k, w in enumerate(words))


def _is_work_level(folded: str) -> bool:
    """ "as a whole", "every movement", or advice to players about the whole work by name ("Good amateurs
    will find the quartet within their reach"): it ends the passage. Not "A brilliant coda ends the
    work" (no advice) nor a sentence that opens like a continuation."""
    if any(marker in folded for marker in rules.WORK_LEVEL_MARKERS):
        return True
    if folded.startswith(rules.CONTINUATION_OPENERS):
        return False
    words = [t for t, _, _ in _tokens(folded)]
    names_work = any(w in rules.WHOLE_WORK_NOUNS and words[k - 1] in rules.WORK_NOUN_DETERMINERS and (
        k + 1 == len(words) or words[k + 1] != "s") for k, w in enumerate(words) if k)
    return names_work and any(w in rules.RECOMMENDATION_WORDS for w in words)


@dataclass(frozen=True)
class _Article:
    """An article split once: sentences per paragraph, each sentence's role, and whether it is quoted."""

    paragraphs: list[list[str]]
    roles: list[list[str]]
    quoted: list[list[bool]]


@dataclass
class _Assignment:
    placed: dict[int, list[tuple[int, str]]] = field(default_factory=dict)  # movement → (paragraph, sentence)
    anchors: dict[int, float] = field(default_factory=dict)
    work: list[tuple[int, str]] = field(default_factory=list)
    excluded: list[str] = field(default_factory=list)
    quoted: set[int] = field(default_factory=set)  # movements whose passage holds a quoted sentence


def _assign(doc: _Article, titles: list[_Title], count: int | None,
            inferred: bool = False, open_ended: bool = False) -> _Assignment:
    """Sentence by sentence, in article order (rules 0-5)."""
    paragraphs, roles = doc.paragraphs, doc.roles
    cues = [[_sentence_cues(unquote(s), titles, count, inferred) if role == TEXT else _Cues()
             for s, role in zip(sentences, p_roles, strict=True)]
            for sentences, p_roles in zip(paragraphs, roles, strict=True)]
    state = _State(count=count, titles=titles, claimed=_claimed(cues), open_ended=open_ended)
    out = _Assignment()
    for p_index, sentences in enumerate(paragraphs):
        previous = state.current
        state.current = None
        for s_index, sentence in enumerate(sentences):
            role = roles[p_index][s_index]
            if role == PUBLISHER:
                out.excluded.append(sentence)
                continue
            if role != TEXT:
                state.current = None
                out.work.append((p_index, sentence))
                continue
            quoted = doc.quoted[p_index][s_index]
            text = unquote(sentence) if quoted else sentence
            folded = fold(unquote(sentence))
            sentence_cues = cues[p_index][s_index]
            result = _resolve(sentence_cues, state)
            if result.movements:
                shared = len(result.movements) > 1
                for number, conf in result.movements:
                    out.placed.setdefault(number, []).append((p_index, text))
                    if quoted:
                        out.quoted.add(number)
                    out.anchors[number] = max(out.anchors.get(number, 0.0), conf * (SHARED_FACTOR if shared else 1.0))
                    state.highest = max(state.highest, number)
                topic = result.movements[-1][0]
                state.current = state.last_assigned = topic
                if not shared:
                    _learn_forms(folded, sentence_cues.descriptive, state, topic)
                continue
            if not result.continues and (result.unplaceable or _is_work_level(folded)):
                state.current = None
            elif s_index == 0 and previous is not None and (
                    _starts_like_continuation(folded) or (
                        re.search(r"\btrio\b", folded) and _is_dance(previous, titles, state))):
                state.current = previous
            if state.current is None:
                out.work.append((p_index, sentence))
            else:
                out.placed[state.current].append((p_index, text))
                if quoted:
                    out.quoted.add(state.current)
    return out


_COUNT_NUMBER = "|".join(re.escape(w) for w in rules.COUNT_WORDS)
_COUNT_PHRASE_RE = re.compile(
    rf"\b(?:{'|'.join(sorted(rules.COUNT_LEADS))}) ({_COUNT_NUMBER})(?: [a-z]+)? movements\b|\b({_COUNT_NUMBER})[- ]movement\b")


def _stated_count(doc: _Article) -> int | None:
    """ "In four movements, …", "This three-movement work …" in the article's own text."""
    for sentences, p_roles in zip(doc.paragraphs, doc.roles, strict=True):
        for sentence, role in zip(sentences, p_roles, strict=True):
            if role != TEXT:
                continue
            folded = fold(sentence)
            if _starts_with_another_work([t for t, _, _ in _tokens(folded)]):
                continue
            match = _COUNT_PHRASE_RE.search(folded)
            if match:
                return rules.COUNT_WORDS[match.group(1) or match.group(2)]
    return None


def _infer_count(doc: _Article) -> int | None:
    stated = _stated_count(doc)
    if stated is not None:
        return stated
    reached = _assign(doc, [], None, open_ended=True).placed
    return max(reached) if reached else None


def _prepare(article: str) -> _Article:
    texts = _paragraphs(article or "")
    paragraphs = [_split_paragraph(p) for p in texts]
    quoted = _quoted(paragraphs)
    return _Article(paragraphs, _roles(paragraphs, texts, quoted), quoted)


def infer_movement_count(article: str) -> int | None:
    """How many movements an article implies when nothing else says (rule 6); None when it gives no cue."""
    return _infer_count(_prepare(article))


def align_article(article: str, movement_titles: Sequence[str], count: int | None = None) -> Alignment:
    """Per-movement passages of one article; see the module docstring for the rules and confidences.

    ``count`` is the number of movements when the caller knows it but has no titles; it is ignored
    when there are titles (their number is the count), and inferred from the article when neither is
    given.
    """
    titles = _analyse_titles(movement_titles)
    doc = _prepare(article)
    inferred = False
    if titles:
        count = len(titles)
    elif count is None or count < 1:
        count = _infer_count(doc)
        inferred = count is not None
    result = _assign(doc, titles, count, inferred=inferred)
    if titles and count is not None and len(result.placed) < count:
        result = _cover_first(doc, result, count)
    passages = tuple(
        Passage(number, _join(result.placed[number]), result.anchors.get(number, CONF_ORDER), number in result.quoted)
        for number in sorted(result.placed))
    return Alignment(passages=passages, work_text=_join(result.work), excluded=tuple(result.excluded))


def _cover_first(doc: _Article, by_titles: _Assignment, count: int) -> _Assignment:
    """Rule 9: titles that disagree with the article never cost a movement its text.

    When the titles leave a movement without a passage but the article's own cues, read with the count
    alone, place every movement, those placements are used: null is for a movement the article does
    not describe, not for one whose recording title names it differently.
    """
    by_cues = _assign(doc, [], count)
    return by_cues if len(by_cues.placed) == count else by_titles


def _learn_forms(folded: str, descriptive: frozenset[str], state: _State, number: int) -> None:
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

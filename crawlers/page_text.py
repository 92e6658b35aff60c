"""Read a work page from its visible text alone: the crawler's fallback when the profile's selectors miss.

The real site's markup is unknown (the stored copies of its pages are text), so the selectors in
:mod:`earsense_m2t.crawlers.site_profile` are a guess that may not match. What is known is the text a
reader sees, top to bottom (issue 10)::

    Joseph Haydn (1732-1809)                        composer, life dates
    String Quartet in D major, Op. 76 No. 5         title (the <h1>, or the <title> "Composer: Title | Site")
    (for 2 violins, viola and cello)                instrumentation
    Nationality: Austrian                           facts: "Label: value" lines (FACT_LABELS)
    Born: March 31, 1732, Rohrau
    Died: May 31, 1809, Vienna (age 77)
    Duration: 22 minutes (approximately)
    Composed: 1797 (age 64-65)
    <paragraphs>                                    the article: every paragraph between the facts and ...
    3 recordings, 2 videos                          ... the recordings header
    Quartetto Lumen                                 performers of a recording
    7:35 I. Allegro con brio - Allegro di molto     its movement list ("M:SS title" / "H:MM:SS title") ...
    26:14                                           ... or a bare total
    <iframe src=...>                                one whole-work video, or one after each movement line
    glossary                                        the end

:func:`visible_lines` turns HTML into that stream (text lines and iframe srcs in document order, site
chrome left out); :func:`read_page_text` applies :data:`LINE_RULES` to it. Neither looks at a class
name or an id, so any markup that shows this text reads the same.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlsplit

from bs4 import BeautifulSoup, Comment, Declaration, Doctype, NavigableString, ProcessingInstruction, Tag

from earsense_m2t.crawlers.html_text import normalize_text
from earsense_m2t.crawlers.work_title import parse_duration

# ---- the rules: labels and line shapes, in one place ------------------------------------------------------

#: "Label: value" facts of the work header -> the field of :class:`PageFields` they fill
FACT_LABELS: dict[str, str] = {
    "nationality": "nationality",
    "born": "born",
    "died": "died",
    "duration": "duration",
    "composed": "composed",
    "published": "published",
    "dedication": "dedication",
    "note": "note",
}

_CLOCK = r"(?:\d{1,2}:)?\d{1,2}:\d{2}"
_YEAR = r"(?<!\d)(?:1[0-9]|20)\d\d(?!\d)"

#: (rule, pattern) tried in order on one whole line; the first that matches names the line. A rule may
#: have several patterns (several shapes of the same thing).
LINE_RULES: tuple[tuple[str, re.Pattern[str]], ...] = (
    # "Joseph Haydn (1732-1809)", "Eleanor Alberga (b. 1949)", "Joan Tower (born 1938)"
    ("composer", re.compile(rf"^(?P<name>[^()\n]+?)\s*\((?P<dates>(?:b\.|born|c\.|ca\.)?\s*{_YEAR}[^()\n]*)\)$")),
    # "Johannes Brahms, 1833-1897" (the blog's byline shape)
    ("composer", re.compile(rf"^(?P<name>[^,()\n\d]+?),\s*(?P<dates>{_YEAR}\s*[-–—]\s*(?:{_YEAR})?)$")),
    # "(for 2 violins, viola and cello)", one level of nested parentheses allowed inside
    ("instrumentation", re.compile(r"^\(\s*(?P<value>for\s+(?:[^()\n]|\([^()\n]*\))+)\)$", re.IGNORECASE)),
    # "Nationality: Austrian", "Died: May 31, 1809, Vienna (age 77)"
    ("fact", re.compile(rf"^(?P<label>{'|'.join(FACT_LABELS)})\s*:\s*(?P<value>.*)$", re.IGNORECASE | re.DOTALL)),
    # "3 recordings, 2 videos", "1 recording"
    ("recordings_header", re.compile(r"^(?P<recordings>\d+)\s+recordings?(?:\s*[,·|]\s*(?P<videos>\d+)\s+videos?)?$",
                                     re.IGNORECASE)),
    # "7:35 I. Allegro con brio - Allegro di molto", "1:02:03 Variations"
    ("movement", re.compile(rf"^(?P<duration>{_CLOCK})\s+(?P<title>\S.*)$")),
    # "I. Allegro con brio 7:35" (the duration after the title)
    ("movement", re.compile(rf"^(?P<title>\D.*?)\s+(?P<duration>{_CLOCK})$")),
    # "26:14": the recording's total, no movement list
    ("total", re.compile(rf"^(?P<duration>{_CLOCK})$")),
    ("glossary", re.compile(r"^glossary:?$", re.IGNORECASE)),
    # a "?ri=N" page names its selected recording; not a recording of its own
    ("now_playing", re.compile(r"^now playing\b", re.IGNORECASE)),
)

#: a fact's label alone on its line ("Nationality:" in a <dt>); its value is the next line
LABEL_ONLY_RE = re.compile(rf"^(?P<label>{'|'.join(FACT_LABELS)})\s*:?$", re.IGNORECASE)
#: the page <title>: "Composer: Title | Site"
PAGE_TITLE_RE = re.compile(r"^(?P<composer>[^:|]+?):\s+(?P<title>.+?)\s+[|–—]\s+[^|–—]+$")
#: a footnote mark (dropped, like the selector path's ``sup.fn``)
FOOTNOTE_RE = re.compile(r"^[\d*†‡§]+$")

# ---- the visible text -------------------------------------------------------------------------------------

#: never visible, or site chrome
SKIP_TAGS = frozenset({"head", "script", "style", "noscript", "template", "nav", "svg", "canvas", "select",
                       "button", "audio", "video", "object", "img"})
#: site chrome unless inside the page's main content
CHROME_TAGS = frozenset({"header", "footer", "aside"})
BLOCK_TAGS = frozenset({
    "address", "article", "blockquote", "body", "caption", "dd", "details", "dialog", "div", "dl", "dt",
    "fieldset", "figcaption", "figure", "form", "h1", "h2", "h3", "h4", "h5", "h6", "header", "footer", "hr",
    "li", "main", "ol", "p", "pre", "section", "summary", "table", "tbody", "tfoot", "thead", "tr", "ul",
})
CELL_TAGS = frozenset({"td", "th"})
_NOT_TEXT = (Comment, Declaration, Doctype, ProcessingInstruction)


@dataclass(frozen=True)
class Line:
    """One line of the page as a reader sees it, or an embedded frame (``kind="iframe"``, text = its src)."""

    text: str
    kind: str = "text"
    href: str | None = None  # the link's target when the whole line is one link
    heading: bool = False  # the line is the page's <h1>


class _Walker:
    def __init__(self) -> None:
        self.lines: list[Line] = []
        # (text, link element id or None, href, inside <h1>)
        self.parts: list[tuple[str, int | None, str | None, bool]] = []
        self.link: tuple[int, str | None] | None = None
        self.h1 = 0

    def flush(self) -> None:
        text = normalize_text("".join(p[0] for p in self.parts))
        if text:
            visible = [p for p in self.parts if p[0].strip()]
            links = {p[1] for p in visible}
            href = visible[0][2] if len(links) == 1 and None not in links else None
            self.lines.append(Line(text, href=href, heading=any(p[3] for p in visible)))
        self.parts = []

    def walk(self, node: Tag) -> None:
        for child in node.children:
            if isinstance(child, NavigableString):
                if not isinstance(child, _NOT_TEXT):
                    link_id, href = self.link if self.link else (None, None)
                    self.parts.append((re.sub(r"[\r\n]+", " ", str(child)), link_id, href, self.h1 > 0))
                continue
            if not isinstance(child, Tag):
                continue
            name = child.name
            if name in SKIP_TAGS:
                continue
            if name in CHROME_TAGS and child.find_parent(["main", "article"]) is None:
                continue
            if name == "br":
                self.parts.append(("\n", None, None, self.h1 > 0))
                continue
            if name == "iframe":
                self.flush()
                src = child.get("src")
                if isinstance(src, str) and src.strip():
                    self.lines.append(Line(src.strip(), kind="iframe"))
                continue
            if name == "sup" and FOOTNOTE_RE.match(child.get_text().strip()):
                continue
            block = name in BLOCK_TAGS
            if block:
                self.flush()
            if name in CELL_TAGS:
                self.parts.append((" ", None, None, False))
            outer_link = self.link
            if name == "a":
                target = child.get("href")
                self.link = (id(child), target if isinstance(target, str) else None)
            self.h1 += name == "h1"
            self.walk(child)
            self.h1 -= name == "h1"
            self.link = outer_link
            if block:
                self.flush()
            if name in CELL_TAGS:
                self.parts.append((" ", None, None, False))


def visible_lines(html: str) -> tuple[list[Line], str | None]:
    """The page's visible text lines and iframes in document order, and its <title> text."""
    soup = BeautifulSoup(html, "lxml")
    title_tag = soup.find("title")
    page_title = normalize_text(title_tag.get_text(" ")) if isinstance(title_tag, Tag) else None
    walker = _Walker()
    root = soup.body if isinstance(soup.body, Tag) else soup
    walker.walk(root)
    walker.flush()
    return walker.lines, page_title or None


# ---- what the text says -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ListedTrack:
    """One line of a recording's movement list."""

    title: str  # as listed ("I. Allegro con brio")
    duration_s: float | None
    embed: str | None = None  # the video of this movement alone, when the recording is one video per movement


@dataclass(frozen=True)
class ListedRecording:
    """One recording of the recordings block, as the page lists it."""

    index: int | None  # the page's ri (data-ri, or a "?ri=N" link in its block); None: not stated
    performers: str | None
    total_s: float | None  # a bare duration line: the recording's total, stated when there is no list
    tracks: tuple[ListedTrack, ...] = ()
    embed: str | None = None  # the whole-work video


@dataclass(frozen=True)
class PageFields:
    """What a work page says, as text; the selector path and the text path each fill one.

    ``None`` means "not found" (the other path may fill it). ``recordings`` is None when no recordings
    block was found, ``()`` when the block lists none.
    """

    title: str | None = None
    composer: str | None = None
    composer_dates: str | None = None  # "(1732-1809)"
    instrumentation: str | None = None  # the line as written: "(for 2 violins, viola and cello)"
    nationality: str | None = None
    born: str | None = None
    died: str | None = None
    duration: str | None = None
    composed: str | None = None
    published: str | None = None
    dedication: str | None = None
    note: str | None = None
    article: str | None = None  # paragraphs joined by a blank line
    recordings_count: tuple[int, int | None] | None = None  # the header's (recordings, videos)
    recordings: tuple[ListedRecording, ...] | None = None


def classify(text: str) -> tuple[str, re.Match[str]] | None:
    """The rule a line matches first, with its match; None for a line no rule names (prose, performers)."""
    for rule, pattern in LINE_RULES:
        m = pattern.match(text)
        if m:
            return rule, m
    return None


def _prepare(lines: list[Line]) -> list[Line]:
    """One line per thing: a block with <br>s is split when one of its lines is a rule's line, and a
    fact label alone on its line ("Nationality:" in a <dt>) is joined with the value on the next line."""
    split: list[Line] = []
    for line in lines:
        subs = [s.strip() for s in line.text.split("\n") if s.strip()] if line.kind == "text" else []
        if len(subs) > 1 and any(classify(s) or LABEL_ONLY_RE.match(s) for s in subs):
            split.extend(Line(s, heading=line.heading) for s in subs)
        else:
            split.append(line)
    joined: list[Line] = []
    i = 0
    while i < len(split):
        line = split[i]
        nxt = split[i + 1] if i + 1 < len(split) else None
        if (line.kind == "text" and LABEL_ONLY_RE.match(line.text) and nxt is not None and nxt.kind == "text"
                and classify(nxt.text) is None and not LABEL_ONLY_RE.match(nxt.text)):
            label = LABEL_ONLY_RE.match(line.text).group("label")  # type: ignore[union-attr]
            joined.append(Line(f"{label}: {nxt.text}"))
            i += 2
            continue
        joined.append(line)
        i += 1
    return joined


def ri_of(href: str | None) -> int | None:
    if not href:
        return None
    values = parse_qs(urlsplit(href).query).get("ri")
    try:
        return int(values[0]) if values else None
    except ValueError:
        return None


@dataclass
class _Recording:
    performers: str | None = None
    total_s: float | None = None
    tracks: list[tuple[str, float | None]] = field(default_factory=list)
    # (movement lines seen before the iframe, whether the iframe came right after a movement line, src)
    iframes: list[tuple[int, bool, str]] = field(default_factory=list)
    link_ri: int | None = None
    last: str = ""  # rule of the previous line in this block

    def finish(self) -> ListedRecording:
        """Iframes right after movement lines are those movements' videos when there are several of them (or
        the list has one line); otherwise the first iframe is the whole work's."""
        after = [(n, src) for n, right_after, src in self.iframes if right_after]
        others = [src for _n, right_after, src in self.iframes if not right_after]
        per_movement = bool(after) and (len(after) >= 2 or len(self.tracks) == 1)
        embeds = dict(after) if per_movement else {}
        whole = (others[0] if others else None) if per_movement else (self.iframes[0][2] if self.iframes else None)
        tracks = tuple(ListedTrack(title, seconds, embeds.get(n)) for n, (title, seconds) in enumerate(self.tracks, 1))
        return ListedRecording(index=self.link_ri, performers=self.performers, total_s=self.total_s,
                               tracks=tracks, embed=whole)


def _read_recordings(lines: list[Line]) -> tuple[ListedRecording, ...]:
    recs: list[_Recording] = []
    pending_ri: int | None = None

    def start(performers: str | None) -> _Recording:
        nonlocal pending_ri
        rec = _Recording(performers=performers, link_ri=pending_ri)
        pending_ri = None
        recs.append(rec)
        return rec

    for line in lines:
        cur = recs[-1] if recs else None
        if line.kind == "iframe":
            cur = cur or start(None)
            cur.iframes.append((len(cur.tracks), cur.last == "movement", line.text))
            cur.last = "iframe"
            continue
        ri = ri_of(line.href)
        if ri is not None:  # "Listen" (a link to this page's ?ri=N): whose recording it is, not a recording
            if cur is not None and cur.link_ri is None:
                cur.link_ri = ri
            else:
                pending_ri = ri
            continue
        hit = classify(line.text)
        rule = hit[0] if hit else None
        if rule in ("now_playing", "recordings_header", "glossary"):
            continue
        if rule == "movement":
            cur = cur or start(None)
            cur.tracks.append((hit[1].group("title").strip(), parse_duration(hit[1].group("duration"))))  # type: ignore[index]
        elif rule == "total" and (cur is None or cur.total_s is None):
            cur = cur or start(None)
            cur.total_s = parse_duration(hit[1].group("duration"))  # type: ignore[index]
        else:
            cur = start(line.text)
            rule = "performers"
        cur.last = rule or ""
    listed = [r.finish() for r in recs]
    indexes = [r.index for r in listed]
    if None in indexes or len(set(indexes)) != len(indexes):  # partial or repeated links say nothing reliable
        listed = [ListedRecording(index=None, performers=r.performers, total_s=r.total_s, tracks=r.tracks,
                                  embed=r.embed) for r in listed]
    return tuple(listed)


def read_page_text(lines: list[Line], page_title: str | None = None) -> PageFields:
    """Apply :data:`LINE_RULES` to a page's visible lines (see the module docstring for the shape)."""
    lines = _prepare(lines)
    hits = [classify(line.text) if line.kind == "text" else None for line in lines]

    def first(rule: str, start: int = 0, stop: int | None = None) -> int | None:
        for i in range(start, len(lines) if stop is None else stop):
            if hits[i] is not None and hits[i][0] == rule:  # type: ignore[index]
                return i
        return None

    tab = PAGE_TITLE_RE.match(page_title or "")
    tab_composer = tab.group("composer").strip() if tab else None
    # the header comes before the recordings: a performer with years in parentheses is not the composer
    recordings_at = first("recordings_header")
    composer_i = first("composer", 0, recordings_at)
    if tab_composer and (composer_i is None or hits[composer_i][1].group("name").strip() != tab_composer):  # type: ignore[index]
        named = next((i for i, line in enumerate(lines[:recordings_at]) if line.kind == "text" and (
            line.text == tab_composer or line.text.startswith(tab_composer + " ("))), None)
        composer_i = named if named is not None else composer_i
    composer = composer_dates = None
    if composer_i is not None:
        hit = hits[composer_i]
        if hit is not None and hit[0] == "composer":
            composer = hit[1].group("name").strip(" ,")
            composer_dates = f"({hit[1].group('dates').strip()})"
        else:
            composer = lines[composer_i].text

    title_i = next((i for i, line in enumerate(lines[:recordings_at]) if line.heading and i != composer_i), None)
    if title_i is None and composer_i is not None and composer_i + 1 < len(lines):
        nxt = lines[composer_i + 1]
        if nxt.kind == "text" and hits[composer_i + 1] is None and not nxt.href:
            title_i = composer_i + 1
    title = lines[title_i].text if title_i is not None else (tab.group("title").strip() if tab else None)

    head_start = min(i for i in (composer_i, title_i, 0 if composer_i is None and title_i is None else None)
                     if i is not None)
    header_i = first("recordings_header", head_start)
    glossary_i = first("glossary", header_i if header_i is not None else head_start)
    head_end = header_i if header_i is not None else glossary_i if glossary_i is not None else len(lines)
    if header_i is None:  # no header: the article ends where a recording's lines begin
        head_end = next((i for i in range(head_start, head_end) if lines[i].kind == "iframe"
                         or (hits[i] is not None and hits[i][0] in ("movement", "total"))), head_end)  # type: ignore[index]

    facts: dict[str, str] = {}
    instrumentation = None
    article: list[str] = []
    in_facts = True
    for i in range(head_start, head_end):
        line, hit = lines[i], hits[i]
        if i in (composer_i, title_i) or line.kind != "text" or (hit is not None and hit[0] == "now_playing"):
            continue
        if in_facts and hit is not None and hit[0] == "instrumentation":
            instrumentation = instrumentation or line.text
            continue
        if in_facts and hit is not None and hit[0] == "fact":
            facts.setdefault(FACT_LABELS[hit[1].group("label").lower()], hit[1].group("value").strip())
            continue
        in_facts = False
        article.append(line.text)
    if not facts:  # no header facts: not the page shape this reads, so no line is known to be the article
        article = []

    recordings = None
    count = None
    if header_i is not None:
        m = hits[header_i][1]  # type: ignore[index]
        count = (int(m.group("recordings")), int(m.group("videos")) if m.group("videos") else None)
        stop = glossary_i if glossary_i is not None else len(lines)
        recordings = _read_recordings(lines[header_i + 1: stop])
    return PageFields(title=title, composer=composer, composer_dates=composer_dates, instrumentation=instrumentation,
                      article="\n\n".join(article) or None, recordings_count=count, recordings=recordings,
                      **{k: v for k, v in facts.items() if v})


def read_html_text(html: str) -> PageFields:
    """:func:`read_page_text` of an HTML page."""
    lines, page_title = visible_lines(html)
    return read_page_text(lines, page_title)

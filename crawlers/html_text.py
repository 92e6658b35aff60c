"""Turn an article's HTML into clean paragraphs of plain text.

Scrapy selectors find the article; BeautifulSoup does the cleaning because real article HTML is
messy: entities, ``<br>`` line breaks, footnote marks, glossary links and typographic quotes.
Link and emphasis text is kept (it is part of the sentence); footnote marks and headings are not.
"""

from __future__ import annotations

import codecs
import re
import unicodedata

from bs4 import BeautifulSoup

_BLOCKS = ("p", "li", "blockquote", "h3", "h4", "dd")
_SPACE_RE = re.compile(r"[ \t\r\f\v\u00a0\u2009\u202f]+")
#: C0 and C1 control characters other than tab, line feed and carriage return (NUL, ESC, BEL, CSI ...): each
#: becomes a space, so a NUL that separated two words never joins them ("Wolfgang\0Amadeus"); spaces then fold
CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f]")
#: invisible format characters (Unicode category Cf) that published text never needs, removed: every bidi
#: control (embeddings and overrides U+202A-202E, isolates U+2066-2069, the marks LRM, RLM and ALM), soft
#: hyphen, zero-width space, word joiner and invisible operators, BOM, interlinear annotation marks and tag
#: characters. Bidi controls are stripped rather than balanced: a balanced override still shows its text
#: reversed (a title that reads differently from its characters, in the card, the terminal and every table
#: the text is pasted into), and names and titles need none, since the Unicode bidi algorithm orders Hebrew
#: or Arabic text by itself. ZWNJ and ZWJ (U+200C, U+200D) are kept: they spell words in Persian and Indic
#: scripts.
FORMAT_RE = re.compile("[\u00ad\u061c\u180e\u200b\u200e\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f"
                       "\ufeff\ufff9-\ufffb\U000e0001-\U000e007f]")


def strip_controls(text: str) -> str:
    """``text`` without control and invisible format characters (:data:`CONTROL_RE` as spaces, :data:`FORMAT_RE` gone)."""
    return FORMAT_RE.sub("", CONTROL_RE.sub(" ", text))


def normalize_text(text: str) -> str:
    """NFC, no control or invisible format characters, single spaces, no stray spaces before punctuation;
    quotes and dashes are kept as written."""
    text = unicodedata.normalize("NFC", strip_controls(text))
    text = _SPACE_RE.sub(" ", text)
    text = re.sub(r" *\n *", "\n", text)
    text = re.sub(r" ([,.;:!?])", r"\1", text)
    return text.strip()


def html_to_paragraphs(html: str, drop: str = "") -> list[str]:
    """Paragraphs of an HTML fragment, in order; ``drop`` is a CSS selector of elements to remove."""
    # a line break in the source is a space on the page; only <br> breaks a line
    soup = BeautifulSoup(re.sub(r"[\r\n]+", " ", html), "html.parser")
    if drop:
        for el in soup.select(drop):
            el.decompose()
    for br in soup.find_all("br"):
        br.replace_with("\n")
    blocks = soup.find_all(_BLOCKS)
    if not blocks:
        text = normalize_text(soup.get_text(" "))
        return [text] if text else []
    paragraphs = []
    for block in blocks:
        if block.find_parent(_BLOCKS) is not None:
            continue  # nested block: its text is already part of the parent's
        text = normalize_text(block.get_text(""))
        if text:
            paragraphs.append(text)
    return paragraphs


def html_to_text(html: str, drop: str = "") -> str | None:
    """Paragraphs joined by a blank line (the records' convention); None when there is no text."""
    paragraphs = html_to_paragraphs(html, drop)
    return "\n\n".join(paragraphs) if paragraphs else None


class UndecodablePage(ValueError):
    """The page's bytes are text in no encoding: neither the declared one nor any a detector finds."""


def repair_encoding(response):  # noqa: ANN001, ANN201 - scrapy TextResponse in, same type out
    """The page decoded as what its bytes are, with NUL characters as spaces.

    The declared charset (HTTP header, BOM, ``<meta>``; Scrapy's ``response.encoding``) is kept when the
    bytes are valid in it and read no worse in it than in what a detector finds (:func:`detect_encoding`);
    otherwise the page is re-decoded. A page whose bytes are text in no encoding raises
    :class:`UndecodablePage`. A NUL is a space (libxml2 and html5 parsers drop it or make it U+FFFD, which
    joins or breaks the words it separated).

    Returns (response, the encoding used when it is not the declared one, else None).
    """
    body: bytes = response.body
    declared = _codec(response.encoding)
    redecoded = None
    if declared is not None and declared.startswith(("utf-16", "utf-32")):
        pass  # Scrapy found a BOM or was told so: the bytes are not ASCII-compatible, a detector has no say
    elif _NON_ASCII_RE.search(body):
        chosen = detect_encoding(body, declared)
        if chosen is None:
            raise UndecodablePage(f"the page is not text in its declared charset ({response.encoding}) "
                                  f"nor in any other a detector finds")
        if chosen != declared:
            response, redecoded = response.replace(encoding=chosen), chosen
    if "\x00" in response.text:
        response = response.replace(body=response.text.replace("\x00", " ").encode("utf-8"), encoding="utf-8")
    return response, redecoded


_NON_ASCII_RE = re.compile(rb"[\x80-\xff]")
#: text nodes holding non-ASCII bytes: what a detector reads (markup and scripts are ASCII and would dilute it);
#: ``<``, ``>`` and whitespace are never the second byte of a character in the ASCII-compatible encodings
_TEXT_NODE_RE = re.compile(rb">([^<>]*[\x80-\xff][^<>]*)<")
#: how much worse (charset_normalizer's mess ratio, 0..1) the declared decoding may read than the best one found
MESS_TOLERANCE = 0.01
#: on a tie, the encodings a web page most likely is: UTF-8, then windows-1252 (WHATWG: what "iso-8859-1" and
#: "us-ascii" labels mean, and the legacy default of Western pages); the detector's own order would pick
#: windows-1250 for French text and read "è" as "č"
PREFERRED = ("utf_8", "cp1252")


def _codec(name: str | None) -> str | None:
    """Python's codec name for an encoding label (``shift_jis``, ``windows-1252`` ...), None when unknown."""
    if not name:
        return None
    try:
        return codecs.lookup(name).name.replace("-", "_")
    except LookupError:
        return None


def detect_encoding(body: bytes, declared: str | None) -> str | None:
    """The codec the page's bytes are in: UTF-8 when they are valid UTF-8, else the declared one when they are
    valid in it and read (nearly) as well as in the best one charset-normalizer finds, else that best one; None
    when no encoding reads them."""
    try:
        body.decode("utf-8")
        return "utf_8"  # non-ASCII bytes valid as UTF-8 are UTF-8: other encodings practically never are
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    sample = b"\n".join(_TEXT_NODE_RE.findall(body)) or body
    found = [(round(m.chaos, 3), -round(m.coherence, 2), _rank(m.encoding), _codec(m.encoding))
             for m in from_bytes(sample)]
    found = sorted(f for f in found if f[3] is not None)
    if not found:
        return None
    best_mess, *_rest, best = found[0]
    if declared is not None and declared != "utf_8":
        try:
            body.decode(declared)
        except (UnicodeDecodeError, LookupError):
            return best
        own = [m.chaos for m in from_bytes(sample, cp_isolation=[declared])]
        if own and own[0] <= best_mess + MESS_TOLERANCE:
            return declared
    return best


def _rank(encoding: str) -> int:
    name = _codec(encoding)
    return PREFERRED.index(name) if name in PREFERRED else len(PREFERRED)

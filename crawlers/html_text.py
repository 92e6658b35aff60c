"""Turn an article's HTML into clean paragraphs of plain text.

Scrapy selectors find the article; BeautifulSoup does the cleaning because real article HTML is
messy: entities, ``<br>`` line breaks, footnote marks, glossary links and typographic quotes.
Link and emphasis text is kept (it is part of the sentence); footnote marks and headings are not.
"""

from __future__ import annotations

import re
import unicodedata

from bs4 import BeautifulSoup

_BLOCKS = ("p", "li", "blockquote", "h3", "h4", "dd")
_SPACE_RE = re.compile(r"[ \t\r\f\v\u00a0\u2009\u202f]+")


def normalize_text(text: str) -> str:
    """NFC, single spaces, no stray spaces before punctuation; quotes and dashes are kept as written."""
    text = unicodedata.normalize("NFC", text)
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


def repair_encoding(response):  # noqa: ANN001, ANN201 - scrapy TextResponse in, same type out
    """Re-decode a page whose declared charset is wrong (replacement characters or UTF-8 read as Latin-1).

    Returns (response, encoding used or None when the page was fine).
    """
    from bs4 import UnicodeDammit

    text = response.text
    if "\ufffd" not in text and not MOJIBAKE_RE.search(text):
        return response, None
    dammit = UnicodeDammit(response.body, known_definite_encodings=["utf-8"], is_html=False)
    if dammit.unicode_markup is None:
        return response, None
    return response.replace(body=dammit.unicode_markup.encode("utf-8"), encoding="utf-8"), dammit.original_encoding


#: UTF-8 bytes decoded as Latin-1/cp1252 ("Ã©" for "é", "â€™" for "’")
MOJIBAKE_RE = re.compile("[\u00c2\u00c3][\u0080-\u00bf]|\u00e2\u20ac")

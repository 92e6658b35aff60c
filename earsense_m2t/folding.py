"""The one way text is folded for comparison, and the one rule a work slug follows.

Titles, search results, chapter names and articles arrive in every spelling ("Très lent", "tres
lent", "TRÈS LENT"; curly or straight quotes; "Lutosławski" or "Lutoslawski"), so every matcher in
the pipeline compares folded text, folded the same way.
"""

from __future__ import annotations

import re
import unicodedata

#: typographic variants that carry no meaning for matching
_PUNCTUATION = str.maketrans({"’": "'", "‘": "'", "“": '"', "”": '"', "–": "-", "—": "-", "\u00a0": " "})
#: letters NFKD does not decompose, spelled the way an ASCII source writes them
_LETTERS = str.maketrans({"ß": "ss", "œ": "oe", "æ": "ae", "ø": "o", "ł": "l", "đ": "d",
                          "Œ": "Oe", "Æ": "Ae", "Ø": "O", "Ł": "L", "Đ": "D"})
_NON_WORD = re.compile(r"[\W_]+")

#: a work slug: what the crawler accepts from a URL and the validator accepts as a work id
SLUG_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]{0,199}$")


def fold(text: str) -> str:
    """Case, accents, ligatures and quote/dash styles removed; other punctuation and spacing kept."""
    lowered = text.translate(_PUNCTUATION).casefold().translate(_LETTERS)
    return "".join(c for c in unicodedata.normalize("NFKD", lowered) if not unicodedata.combining(c))


def fold_words(text: str) -> str:
    """:func:`fold`, then every run of punctuation or space as one space: a bag of comparable words."""
    return " ".join(_NON_WORD.sub(" ", fold(text)).split())


def slugify(text: str) -> str:
    """EarSense-style slug words: ASCII letters and digits, joined by '-', case kept."""
    ascii_text = unicodedata.normalize("NFKD", text.translate(_LETTERS)).encode("ascii", "ignore").decode("ascii")
    return "-".join(re.findall(r"[A-Za-z0-9]+", ascii_text))


def is_slug(text: str) -> bool:
    return bool(SLUG_RE.match(text))

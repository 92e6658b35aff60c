"""The one text fold and the one slug rule, table-driven (every matcher in the pipeline relies on them)."""

import pytest

from earsense_m2t.folding import fold, fold_words, is_slug, slugify

FOLDS = [
    ("Très lent", "tres lent"),
    ("TRÈS LENT", "tres lent"),
    ("Straße", "strasse"),
    ("Cœur", "coeur"),
    ("Lutosławski", "lutoslawski"),
    ("Dvořák", "dvorak"),
    ("Søren", "soren"),
    ("don’t “stop” – now", "don't \"stop\" - now"),  # quote and dash styles, spacing kept
    ("Allegro\u00a0vivace", "allegro vivace"),
]
WORDS = [
    ("I. Allegro con brio", "i allegro con brio"),
    ("Scherzo: Allegro—Trio", "scherzo allegro trio"),
    ("  Très   lent, (ma non troppo)  ", "tres lent ma non troppo"),
    ("op_18__no_1", "op 18 no 1"),
]
SLUGS = [
    ("Ludwig van Beethoven String Quartet No. 1, Op. 18", "Ludwig-van-Beethoven-String-Quartet-No-1-Op-18"),
    ("Antonín Dvořák: Quartet in F", "Antonin-Dvorak-Quartet-in-F"),
    ("Witold Lutosławski", "Witold-Lutoslawski"),
    ("Øystein Æbelø", "Oystein-Aebelo"),
]


@pytest.mark.parametrize("text, folded", FOLDS)
def test_fold(text, folded):
    assert fold(text) == folded


@pytest.mark.parametrize("text, words", WORDS)
def test_fold_words(text, words):
    assert fold_words(text) == words


@pytest.mark.parametrize("text, slug", SLUGS)
def test_slugify_makes_slugs_the_crawler_accepts(text, slug):
    assert slugify(text) == slug and is_slug(slug)


@pytest.mark.parametrize("text", ["../etc", "a.b", "a%2Fb", "-x", "x" * 201, ""])
def test_not_slugs(text):
    assert not is_slug(text)

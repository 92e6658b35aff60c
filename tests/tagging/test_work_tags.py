"""Work tags: key, mode, ensemble and instrument family with their sources, on work titles written for
these tests in English, German, French and Italian (none copied from a dataset)."""

from __future__ import annotations

import pytest

from earsense_m2t.tagging import Tag, tag_ensemble, tag_instrument_family, tag_key_mode
from earsense_m2t.tagging.work_tags import ENSEMBLE_NAMES, ENSEMBLE_WORDS, GERMAN_KEYS, INSTRUMENTS

N = Tag(None, "none")


def T(value: str) -> Tag:  # noqa: N802 - reads like a table cell
    return Tag(value, "title")


def G(value: str) -> Tag:  # noqa: N802
    return Tag(value, "genre")


# (title, genre, key, mode, ensemble, family)
WORKS = [
    ("String Quartet No. 8 in A major, Op. 44", None, T("A"), T("major"), T("quartet"), T("strings")),
    ("String Quartet in D major, Op. 5 No. 2", "String Quartet", T("D"), T("major"), T("quartet"), T("strings")),
    ("Piano Trio No. 1 in E-flat major, Op. 33", None, T("E-flat"), T("major"), T("trio"), T("mixed")),
    ("Violin Sonata No. 1 in A major, Op. 13", None, T("A"), T("major"), T("duo"), T("mixed")),
    ("Cello Sonata in E minor", None, T("E"), T("minor"), T("duo"), T("mixed")),
    ("Piano Sonata No. 8 in C minor, Op. 13 “Pathétique”", None, T("C"), T("minor"), T("solo"), T("piano")),
    ("Cello Suite No. 1 in G major", None, T("G"), T("major"), T("solo"), T("strings")),
    ("Partita for violin in D minor", None, T("D"), T("minor"), T("solo"), T("strings")),
    ("Sonata for Solo Violin", None, N, N, T("solo"), T("strings")),
    ("Clarinet Quintet in A major, K. 581", None, T("A"), T("major"), T("quintet"), T("mixed")),
    ("Wind Quintet in E-flat major, Op. 88 No. 2", None, T("E-flat"), T("major"), T("quintet"), T("winds")),
    ("Three Pieces for Wind Quintet", "Wind Quintet", N, N, T("quintet"), T("winds")),
    ("Octet for winds in E-flat major", None, T("E-flat"), T("major"), T("octet"), T("winds")),
    ("Serenade for winds in C minor", None, T("C"), T("minor"), N, T("winds")),
    ("Fünf Stücke im Volkston, Op. 102", "Cello and Piano", N, N, G("duo"), G("mixed")),
    ("Octet in E-flat major, Op. 20", "String Octet", T("E-flat"), T("major"), T("octet"), G("strings")),
    ("Octet in E-flat major, Op. 20", None, T("E-flat"), T("major"), T("octet"), N),
    ("Sonata for violin and piano in F minor", None, T("F"), T("minor"), T("duo"), T("mixed")),
    ("Sonata for cello", None, N, N, T("duo"), T("mixed")),
    ("Sonata for flute, viola and harp", None, N, N, T("trio"), T("mixed")),
    ("Trio for piano, violin and cello in B flat", None, T("B-flat"), N, T("trio"), T("mixed")),
    ("Quartet for piano and strings in G minor", None, T("G"), T("minor"), T("quartet"), T("mixed")),
    ("Quintet for piano and string quartet", None, N, N, T("quintet"), T("mixed")),
    ("Sonata for two pianos in D major", None, T("D"), T("major"), T("duo"), T("piano")),
    ("Sonata in B♭ major for piano four hands", None, T("B-flat"), T("major"), T("duo"), T("piano")),
    ("Horn Trio in E-flat major", None, T("E-flat"), T("major"), T("trio"), T("mixed")),
    ("Viola Quintet in C major", None, T("C"), T("major"), T("quintet"), T("strings")),
    ("Piano Quintet in F minor", None, T("F"), T("minor"), T("quintet"), T("mixed")),
    ("Divertimento for string trio in E-flat", None, T("E-flat"), N, T("trio"), T("strings")),
    ("Septet in E-flat major, Op. 20", None, T("E-flat"), T("major"), T("septet"), N),
    ("Nonet in F major", "Nonet for winds and strings", T("F"), T("major"), T("nonet"), G("mixed")),
    # German
    ("Streichquartett Nr. 2 in a-Moll", None, T("A"), T("minor"), T("quartet"), T("strings")),
    ("Klaviertrio in Es-Dur", None, T("E-flat"), T("major"), T("trio"), T("mixed")),
    ("Bläserquintett in B-Dur", None, T("B-flat"), T("major"), T("quintet"), T("winds")),
    ("Klarinettenquintett h-Moll", None, T("B"), T("minor"), T("quintet"), T("mixed")),
    ("Quartettsatz in c-Moll", None, T("C"), T("minor"), T("quartet"), N),
    ("Violinsonate Nr. 1 in G-Dur", None, T("G"), T("major"), T("duo"), T("mixed")),
    ("Sonate für Violoncello und Klavier in fis-Moll", None, T("F-sharp"), T("minor"), T("duo"), T("mixed")),
    ("Streichsextett in As-Dur", None, T("A-flat"), T("major"), T("sextet"), T("strings")),
    # French and Italian
    ("Sonate pour violon et piano en ut mineur", None, T("C"), T("minor"), T("duo"), T("mixed")),
    ("Quatuor à cordes en fa dièse mineur", None, T("F-sharp"), T("minor"), T("quartet"), T("strings")),
    ("Quintette à vent en mi bémol majeur", None, T("E-flat"), T("major"), T("quintet"), T("winds")),
    ("Trio avec piano en ré majeur", None, T("D"), T("major"), T("trio"), T("mixed")),
    ("Quintetto in do minore per archi", None, T("C"), T("minor"), T("quintet"), T("strings")),
    ("Sonata in si bemolle maggiore per violino e cembalo", None, T("B-flat"), T("major"), T("duo"), T("mixed")),
    # titles that say little
    ("Sonata in D", None, T("D"), N, N, N),
    ("Trio in B-flat, Op. 97", "Piano Trio", T("B-flat"), N, T("trio"), G("mixed")),
    ("Serenade in C", None, T("C"), N, N, N),
    ("Quartet (A major)", None, T("A"), T("major"), T("quartet"), N),
    ("Kegelstatt", None, N, N, N, N),
    ("", None, N, N, N, N),
]


def test_enough_work_cases() -> None:
    assert len(WORKS) >= 20


@pytest.mark.parametrize(("title", "genre", "key", "mode", "ensemble", "family"), WORKS,
                         ids=[f"{w[0]!r}|{w[1]}" for w in WORKS])
def test_work(title: str, genre: str | None, key: Tag, mode: Tag, ensemble: Tag, family: Tag) -> None:
    assert tag_key_mode(title) == (key, mode)
    assert tag_ensemble(title, genre) == ensemble
    assert tag_instrument_family(title, genre) == family


@pytest.mark.parametrize(("title", "key", "mode"), [
    ("Sonata in a minor", T("A"), T("minor")),
    ("Trio in a hall of mirrors", N, N),  # a lower-case letter is a key only with its mode
    ("Sonata No. 3, Op. 5 in F-sharp minor", T("F-sharp"), T("minor")),
    ("Sonata in C♯ minor", T("C-sharp"), T("minor")),
    ("Sonata in Bb major", T("B-flat"), T("major")),
    ("Sonata in A flat", T("A-flat"), N),
    ("Sonata, D. 959", N, N),  # a catalogue letter is not a key
    ("Quartet in G major, “Dissonance”", T("G"), T("major")),
])
def test_key_spellings(title: str, key: Tag, mode: Tag) -> None:
    assert tag_key_mode(title) == (key, mode)


@pytest.mark.parametrize(("name", "key"), sorted(GERMAN_KEYS.items()))
def test_every_german_key_name(name: str, key: str) -> None:
    assert tag_key_mode(f"Trio in {name}-Moll") == (T(key), T("minor"))
    assert tag_key_mode(f"Trio in {name.capitalize()}-Dur") == (T(key), T("major"))


@pytest.mark.parametrize(("word", "size"), sorted(ENSEMBLE_WORDS.items()))
def test_every_ensemble_word(word: str, size: int) -> None:
    assert tag_ensemble(f"{word.capitalize()} in C") == T(ENSEMBLE_NAMES[size])


@pytest.mark.parametrize(("instrument", "family"), sorted(INSTRUMENTS.items()))
def test_every_instrument_names_its_family(instrument: str, family: str) -> None:
    expected = N if family == "other" else T(family)
    assert tag_instrument_family(f"Suite for {instrument}") == expected


def I(value: str) -> Tag:  # noqa: N802, E743 - reads like a table cell
    return Tag(value, "instrumentation")


# A title that names no players ("Fünf Stücke im Volkston") is read from the page's "(for …)" line,
# which the crawler keeps without "for" and the parentheses; the title still wins when it names them.
@pytest.mark.parametrize(("title", "instrumentation", "genre", "ensemble", "family"), [
    ("Fünf Stücke im Volkston, Op. 102", "cello and piano", None, I("duo"), I("mixed")),
    ("Shining Gate", "horn, 2 violins, viola and cello", "Chamber Music", I("quintet"), I("mixed")),
    ("Three Pieces", "flute, oboe, clarinet, horn and bassoon", None, I("quintet"), I("winds")),
    ("Märchenbilder, Op. 113", "viola and piano", "Duo", I("duo"), I("mixed")),
    ("Nocturne", "piano", None, I("solo"), I("piano")),
    ("Souvenir", "2 violins, 2 violas and 2 cellos", None, I("sextet"), I("strings")),
    ("String Quartet No. 3", "2 violins, viola and cello", None, T("quartet"), T("strings")),
    ("Divertimento", None, "String Trio", G("trio"), G("strings")),
    ("Divertimento", None, None, N, N),
])
def test_instrumentation_names_the_players_when_the_title_does_not(title, instrumentation, genre, ensemble, family):
    assert tag_ensemble(title, genre, instrumentation) == ensemble
    assert tag_instrument_family(title, genre, instrumentation) == family

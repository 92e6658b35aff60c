"""Tempo rules: exact tag, source and term for movement titles written for these tests, one group per rule,
plus generic checks over the whole table (every entry reachable, every modifier effective).

The titles are invented in the style of real markings; none is copied from a dataset.
"""

from __future__ import annotations

import pytest

from earsense_m2t.schemas import TEMPO_CLASSES
from earsense_m2t.schemas.validate import TEMPO_SOURCES
from earsense_m2t.tagging import (
    RULES,
    TEMPO_ORDER,
    TempoResult,
    describe_tempo_rules,
    format_tag_line,
    tag_lines,
    tag_tempo,
)
from earsense_m2t.tagging import tempo_terms as table
from earsense_m2t.tagging.tempo import derived_tag, fold, italian_forms, words

SLOW, MEDIUM, FAST, SUPER = "slow", "medium", "fast", "super_fast"

# (title, tag, source, term)
SINGLE_WORDS = [
    ("Grave", SLOW, "marking", "Grave"),
    ("Largo", SLOW, "marking", "Largo"),
    ("Larghetto", SLOW, "marking", "Larghetto"),
    ("Lento", SLOW, "marking", "Lento"),
    ("Adagio", SLOW, "marking", "Adagio"),
    ("Adagietto", SLOW, "marking", "Adagietto"),
    ("Andante", MEDIUM, "marking", "Andante"),
    ("Andantino", MEDIUM, "marking", "Andantino"),
    ("Moderato", MEDIUM, "marking", "Moderato"),
    ("Allegretto", MEDIUM, "marking", "Allegretto"),
    ("Comodo", MEDIUM, "marking", "Comodo"),
    ("Maestoso", MEDIUM, "marking", "Maestoso"),
    ("Allegro", FAST, "marking", "Allegro"),
    ("Vivace", FAST, "marking", "Vivace"),
    ("Vivo", FAST, "marking", "Vivo"),
    ("Animato", FAST, "marking", "Animato"),
    ("Agitato", FAST, "marking", "Agitato"),
    ("Presto", SUPER, "marking", "Presto"),
    ("Prestissimo", SUPER, "marking", "Prestissimo"),
    ("Vivacissimo", SUPER, "marking", "Vivacissimo"),
]

CASE_AND_ACCENTS = [
    ("ADAGIO CANTABILE", SLOW, "marking", "ADAGIO"),
    ("andante espressivo", MEDIUM, "marking", "andante"),
    ("Modéré, sans rigueur", MEDIUM, "marking", "Modéré"),
    ("Modere", MEDIUM, "marking", "Modere"),
    ("Anime et decide", FAST, "marking", "Anime"),
    ("Animé et passionné", FAST, "marking", "Animé"),
    ("Mäßig, mit Ausdruck", MEDIUM, "marking", "Mäßig"),
    ("Mässig", MEDIUM, "marking", "Mässig"),
    ("Massig, doch innig", MEDIUM, "marking", "Massig"),
    ("MÄSSIG BEWEGT", MEDIUM, "marking", "MÄSSIG BEWEGT"),
    ("Gemächlich", MEDIUM, "marking", "Gemächlich"),
    ("Gemachlich und zart", MEDIUM, "marking", "Gemachlich"),
]

FRENCH = [
    ("Lent", SLOW, "marking", "Lent"),
    ("Lent et grave", SLOW, "marking", "Lent"),
    ("Lentement, avec douleur", SLOW, "marking", "Lentement"),
    ("Très lent", SLOW, "marking", "Très lent"),
    ("Assez lent et soutenu", SLOW, "marking", "Assez lent"),
    ("Allant, sans hâte", MEDIUM, "marking", "Allant"),
    ("Assez modéré", MEDIUM, "marking", "Assez modéré"),
    ("Mouvement de menuet", MEDIUM, "marking", "Mouvement de menuet"),
    ("Vif", FAST, "marking", "Vif"),
    ("Vif et léger", FAST, "marking", "Vif"),
    ("Vite", FAST, "marking", "Vite"),
    ("Assez vif, bien rythmé", FAST, "marking", "Assez vif"),
    ("Animée", FAST, "marking", "Animée"),
    ("Très vif", SUPER, "marking", "Très vif"),
    ("Très animé", SUPER, "marking", "Très animé"),
    ("Très vite et léger", SUPER, "marking", "Très vite"),
]

GERMAN = [
    ("Langsam", SLOW, "marking", "Langsam"),
    ("Langsame Einleitung", SLOW, "marking", "Langsame"),
    ("Langsames Zeitmaß", SLOW, "marking", "Langsames"),
    ("Im langsamen Zeitmaß", SLOW, "marking", "langsamen"),
    ("Sehr langsam", SLOW, "marking", "Sehr langsam"),
    ("Sehr langsam und ausdrucksvoll", SLOW, "marking", "Sehr langsam"),
    ("Ziemlich langsam", SLOW, "marking", "Ziemlich langsam"),
    ("In mäßiger Bewegung", MEDIUM, "marking", "mäßiger"),
    ("Mäßiges Tempo", MEDIUM, "marking", "Mäßiges"),
    ("Gehend", MEDIUM, "marking", "Gehend"),
    ("Lebhaft", FAST, "marking", "Lebhaft"),
    ("Lebhafte Bewegung", FAST, "marking", "Lebhafte"),
    ("Schnell", FAST, "marking", "Schnell"),
    ("Rasch", FAST, "marking", "Rasch"),
    ("Bewegt", FAST, "marking", "Bewegt"),
    ("Ruhig bewegt", MEDIUM, "marking", "Ruhig bewegt"),
    ("Sehr schnell", SUPER, "marking", "Sehr schnell"),
    ("So rasch wie möglich", SUPER, "marking", "So rasch wie möglich"),
    ("So rasch wie moglich", SUPER, "marking", "So rasch wie moglich"),
]

ENGLISH = [
    ("Slow", SLOW, "marking", "Slow"),
    ("Slow and expressive", SLOW, "marking", "Slow"),
    ("Very slow", SLOW, "marking", "Very slow"),
    ("Moderately", MEDIUM, "marking", "Moderately"),
    ("Flowing", MEDIUM, "marking", "Flowing"),
    ("Gently flowing", MEDIUM, "marking", "Gently flowing"),
    ("At a walking pace", MEDIUM, "marking", "At a walking pace"),
    ("Fast", FAST, "marking", "Fast"),
    ("Quick", FAST, "marking", "Quick"),
    ("Lively", FAST, "marking", "Lively"),
    ("Lively and bright", FAST, "marking", "Lively"),
    ("With movement", FAST, "marking", "With movement"),
    ("Moderately fast", FAST, "marking", "Moderately fast"),
    ("Very fast", SUPER, "marking", "Very fast"),
    ("Very quick and light", SUPER, "marking", "Very quick"),
    ("As fast as possible", SUPER, "marking", "As fast as possible"),
]

PHRASES_BEAT_WORDS = [
    ("Tempo di minuetto", MEDIUM, "marking", "Tempo di minuetto"),
    ("Tempo di Menuetto, grazioso", MEDIUM, "marking", "Tempo di Menuetto"),
    ("In tempo d'un menuetto", MEDIUM, "marking", "tempo d'un menuetto"),
    ("Tempo di valse", MEDIUM, "marking", "Tempo di valse"),
    ("Poco allegretto", MEDIUM, "marking", "Poco allegretto"),
    ("Poco allegretto e grazioso", MEDIUM, "marking", "Poco allegretto"),
    ("Allegro con brio", FAST, "marking", "Allegro con brio"),
    ("Allegro con fuoco", FAST, "marking", "Allegro con fuoco"),
    ("Con fuoco", FAST, "marking", "Con fuoco"),
    ("Allegro ma non troppo", FAST, "marking", "Allegro ma non troppo"),
    ("Allegro non troppo", FAST, "marking", "Allegro non troppo"),
    ("Allegro vivace", SUPER, "marking", "Allegro vivace"),
    ("Allegro assai", SUPER, "marking", "Allegro assai"),
    ("Allegro molto", SUPER, "marking", "Allegro molto"),
    ("Molto allegro", SUPER, "marking", "Molto allegro"),
    ("Allegro di molto", SUPER, "marking", "Allegro di molto"),
    ("Mäßig schnell", FAST, "marking", "Mäßig schnell"),
    ("Etwas bewegt", MEDIUM, "marking", "Etwas bewegt"),
    ("Adagio molto", SLOW, "marking", "Adagio molto"),
]

WITHIN_A_SECTION_THE_FIRST_TERM_DECIDES = [
    ("Allegro moderato", FAST, "marking", "Allegro"),
    ("Allegro quasi presto", FAST, "marking", "Allegro"),
    ("Allegro vivo", FAST, "marking", "Allegro"),
    ("Andante con moto", MEDIUM, "marking", "Andante"),
    ("Andante, ma moderato", MEDIUM, "marking", "Andante"),
    ("Andante quasi allegretto", MEDIUM, "marking", "Andante"),
    ("Allegretto quasi Andantino", MEDIUM, "marking", "Allegretto"),
    ("Lebhaft, doch nicht zu schnell", FAST, "marking", "Lebhaft"),
    ("Adagio sostenuto", SLOW, "marking", "Adagio"),
    ("Poco adagio", SLOW, "marking", "adagio"),
    ("Largo e mesto", SLOW, "marking", "Largo"),
    ("Moderato cantabile, molto espressivo", MEDIUM, "marking", "Moderato"),
]

INTENSIFIERS = [
    ("Allegro molto e con brio", SUPER, "marking", "Allegro molto"),
    ("Allegro molto, con fuoco", SUPER, "marking", "Allegro molto"),
    ("Allegro molto vivace", SUPER, "marking", "Allegro molto"),
    ("Allegro molto quasi presto", SUPER, "marking", "Allegro molto"),
    ("Allegro molto moderato", FAST, "marking", "Allegro"),
    ("Allegro assai moderato", FAST, "marking", "Allegro"),
    ("Allegro molto espressivo", FAST, "marking", "Allegro"),
    ("Allegro moderato e molto espressivo", FAST, "marking", "Allegro"),
    ("Allegro di molto e con brio", SUPER, "marking", "Allegro di molto"),
    ("Vivace assai", SUPER, "marking", "Vivace assai"),
    ("Vivace molto", SUPER, "marking", "Vivace molto"),
    ("Vivace molto cantabile", FAST, "marking", "Vivace"),
    ("Molto vivace", SUPER, "marking", "Molto vivace"),
    ("Sehr lebhaft", SUPER, "marking", "Sehr lebhaft"),
    ("Sehr rasch, mit Feuer", SUPER, "marking", "Sehr rasch"),
    ("Ganz schnell", SUPER, "marking", "Ganz schnell"),
    ("Very lively", SUPER, "marking", "Very lively"),
    ("Très rapide", SUPER, "marking", "Très rapide"),
    ("Molto adagio", SLOW, "marking", "Molto adagio"),
    ("Molto moderato", MEDIUM, "marking", "moderato"),
    ("Andante molto", MEDIUM, "marking", "Andante"),
    ("Très lent et expressif", SLOW, "marking", "Très lent"),
    ("Allegro, molto", FAST, "marking", "Allegro"),
    ("Animé et très décidé", FAST, "marking", "Animé"),
    ("Presto assai", SUPER, "marking", "Presto"),
]

LOWERING = [
    ("Non troppo presto", FAST, "marking", "Non troppo presto"),
    ("Nicht zu schnell", MEDIUM, "marking", "Nicht zu schnell"),
    ("Nicht schnell, mit viel Ton", MEDIUM, "marking", "Nicht schnell"),
    ("Pas trop vite", MEDIUM, "marking", "Pas trop vite"),
    ("Not too fast", MEDIUM, "marking", "Not too fast"),
    ("Non troppo allegro", MEDIUM, "marking", "Non troppo allegro"),
    ("Nicht zu rasch", MEDIUM, "marking", "Nicht zu rasch"),
    ("Nicht zu langsam", SLOW, "marking", "Nicht zu langsam"),
    ("Pas trop lent", SLOW, "marking", "lent"),
    ("Non troppo lento", SLOW, "marking", "lento"),
    ("Presto ma non troppo", SUPER, "marking", "Presto"),
    ("Vivace, ma non troppo presto", FAST, "marking", "Vivace"),
]

SECTIONS = [
    ("Adagio – Allegro vivace", SUPER, "marking", "Allegro vivace"),
    ("Andante - Allegro", FAST, "marking", "Allegro"),
    ("Allegro - Allegretto", FAST, "marking", "Allegro"),
    ("Scherzo. Presto - Trio. Sehr langsam", SUPER, "marking", "Presto"),
    ("Grave – Allegro di molto e con brio", SUPER, "marking", "Allegro di molto"),
    ("Largo — Presto", SUPER, "marking", "Presto"),
    ("Lento; Allegro", FAST, "marking", "Allegro"),
    ("Introduction: Lent – Allegro", FAST, "marking", "Allegro"),
    ("Introduzione. Adagio – Allegro ma non troppo", FAST, "marking", "Allegro ma non troppo"),
    ("Moderato – Presto", SUPER, "marking", "Presto"),
    ("Allegretto – Allegro", FAST, "marking", "Allegro"),
    ("Modéré – Très vif", SUPER, "marking", "Très vif"),
    ("Andante – Adagio", MEDIUM, "marking", "Andante"),
    ("Adagio – Andante – Allegro", MEDIUM, "marking", "Andante"),
    ("Presto – Adagio", SUPER, "marking", "Presto"),
    ("Allegro – Presto", FAST, "marking", "Allegro"),
    ("Largo. Allegro", FAST, "marking", "Allegro"),
    ("Largo. Cantabile e mesto", SLOW, "marking", "Largo"),
    ("Adagio – Adagio molto", SLOW, "marking", "Adagio"),
    ("Menuetto. Allegro – Trio", FAST, "marking", "Allegro"),
    ("Langsam - Schnell", FAST, "marking", "Schnell"),
    ("Lent -- Vif", FAST, "marking", "Vif"),
]

RELATIVE_SECTIONS = [
    ("Menuetto. Allegretto – Trio. Presto", MEDIUM, "marking", "Allegretto"),
    ("Scherzo. Allegro molto – Trio. Meno allegro", SUPER, "marking", "Allegro molto"),
    ("Andante – Più mosso", MEDIUM, "marking", "Andante"),
    ("Adagio – Più allegro", SLOW, "marking", "Adagio"),
    ("Lento – Meno mosso – Tempo I", SLOW, "marking", "Lento"),
    ("Andante – Coda. Presto", MEDIUM, "marking", "Andante"),
    ("Largo – Tempo primo", SLOW, "marking", "Largo"),
    ("Adagio – A tempo, allegro", SLOW, "marking", "Adagio"),
    ("Andantino – Da capo al fine", MEDIUM, "marking", "Andantino"),
    ("Lento – Come prima", SLOW, "marking", "Lento"),
    ("Sehr langsam – Schneller", SLOW, "marking", "Sehr langsam"),
    ("Lent – Un peu plus animé", SLOW, "marking", "Lent"),
    ("Moderato; poco più mosso", MEDIUM, "marking", "Moderato"),
    ("Trio. Allegro", None, "none", None),
    ("Più mosso", None, "none", None),
    ("Menuetto – Trio I – Trio II", MEDIUM, "form", "Menuetto"),
]

RUN_TOGETHER = [
    ("AndanteAllegro", FAST, "marking", "Allegro"),
    ("LargoAllegro molto", SUPER, "marking", "Allegro molto"),
    ("AdagioPresto", SUPER, "marking", "Presto"),
    ("Scherzo.Presto", SUPER, "marking", "Presto"),
    ("AllegroAndante", FAST, "marking", "Allegro"),
]

FORMS = [
    ("Menuetto", MEDIUM, "form", "Menuetto"),
    ("Minuet", MEDIUM, "form", "Minuet"),
    ("Menuet", MEDIUM, "form", "Menuet"),
    ("Scherzo", FAST, "form", "Scherzo"),
    ("Scherzo – Trio", FAST, "form", "Scherzo"),
    ("Sarabande", SLOW, "form", "Sarabande"),
    ("Gigue", FAST, "form", "Gigue"),
    ("Giga", FAST, "form", "Giga"),
    ("Allemande", MEDIUM, "form", "Allemande"),
    ("Courante", FAST, "form", "Courante"),
    ("Gavotte I & II", MEDIUM, "form", "Gavotte"),
    ("Bourrée", FAST, "form", "Bourrée"),
    ("Siciliano", SLOW, "form", "Siciliano"),
    ("Tarantella", SUPER, "form", "Tarantella"),
    ("Barcarolle", MEDIUM, "form", "Barcarolle"),
    ("Nocturne", SLOW, "form", "Nocturne"),
    ("Alla marcia", MEDIUM, "form", "marcia"),
    ("Marcia funebre", SLOW, "form", "Marcia funebre"),
    ("Polonaise", MEDIUM, "form", "Polonaise"),
    ("Valse", MEDIUM, "form", "Valse"),
    ("Waltz", MEDIUM, "form", "Waltz"),
    ("Finale: Moto perpetuo", SUPER, "form", "Moto perpetuo"),
    ("Menuetto. Allegro", FAST, "marking", "Allegro"),
    ("Scherzo: Allegretto", MEDIUM, "marking", "Allegretto"),
    ("Rondo. Poco allegretto e grazioso", MEDIUM, "marking", "Poco allegretto"),
    ("Sarabande. Lento", SLOW, "marking", "Lento"),
    ("Finale. Presto", SUPER, "marking", "Presto"),
    ("Allegretto quasi Menuetto", MEDIUM, "marking", "Allegretto"),
    ("Tema con variazioni. Andante", MEDIUM, "marking", "Andante"),
    ("Gigue. Presto", SUPER, "marking", "Presto"),
]

NO_TEMPO = [
    ("Finale", None, "none", None),
    ("Rondo", None, "none", None),
    ("Romance", None, "none", None),
    ("Theme and variations", None, "none", None),
    ("Intermezzo", None, "none", None),
    ("Vanitas vanitatum. Mit Humor", None, "none", None),
    ("Stark und markiert", None, "none", None),
    ("Cantabile e espressivo", None, "none", None),
    ("", None, "none", None),
    ("   ", None, "none", None),
    ("Movement 3:", None, "none", None),
    ("Fantasia", None, "none", None),
]

NUMBERING = [
    ("I. Allegro", FAST, "marking", "Allegro"),
    ("1. Allegro", FAST, "marking", "Allegro"),
    ("IV - Presto", SUPER, "marking", "Presto"),
    ("IV – Presto", SUPER, "marking", "Presto"),
    ("Movement 3: Adagio", SLOW, "marking", "Adagio"),
    ("II: Largo", SLOW, "marking", "Largo"),
    ("3) Andante", MEDIUM, "marking", "Andante"),
    ("(II) Lento", SLOW, "marking", "Lento"),
    ("02 Vivace", FAST, "marking", "Vivace"),
    ("1st movement: Allegro moderato", FAST, "marking", "Allegro"),
    ("No. 2 – Andantino", MEDIUM, "marking", "Andantino"),
    ("iii. Menuetto", MEDIUM, "form", "Menuetto"),
    ("VI. Adagio – Allegro", FAST, "marking", "Allegro"),
    ("Vivace e leggiero", FAST, "marking", "Vivace"),  # "Vi" is not a numeral
]

# ---------------------------------------------------------------------------------------------
# German and French descriptive markings, softeners and Italian endings (issue 10, part 5). Before the
# table was extended, 47 of these 74 titles got a wrong tag (38 null where a tag is due, 9 the wrong
# class) and one more the wrong deciding words.
# ---------------------------------------------------------------------------------------------
GERMAN_CHARACTER = [
    ("Feierlich", SLOW, "marking", "Feierlich"),
    ("III. Feierlich, nicht schleppend", SLOW, "marking", "Feierlich"),
    ("Sehr feierlich und gemessen", SLOW, "marking", "feierlich"),
    ("Feierlich – Lebhaft", FAST, "marking", "Lebhaft"),
    ("Schwer", SLOW, "marking", "Schwer"),
    ("Schwer, nicht zu langsam", SLOW, "marking", "nicht zu langsam"),
    ("Fröhlich", FAST, "marking", "Fröhlich"),
    ("Lustig", FAST, "marking", "Lustig"),
    ("Lustig, nicht zu schnell", MEDIUM, "marking", "nicht zu schnell"),
    ("Heiter bewegt", FAST, "marking", "bewegt"),
    ("Heiter", FAST, "marking", "Heiter"),
    ("Mit Feuer", FAST, "marking", "Mit Feuer"),
    ("Geschwind", FAST, "marking", "Geschwind"),
    ("Sehr geschwind", SUPER, "marking", "Sehr geschwind"),
    ("Eilig", SUPER, "marking", "Eilig"),
    ("Lebendig", FAST, "marking", "Lebendig"),
    ("Belebt, doch nicht eilig", FAST, "marking", "Belebt"),
    ("Gemäßigt", MEDIUM, "marking", "Gemäßigt"),
    ("Gemütlich", MEDIUM, "marking", "Gemütlich"),
    ("Schreitend", MEDIUM, "marking", "Schreitend"),
    ("II. Ziemlich langsam – Lebhaft", FAST, "marking", "Lebhaft"),
    ("Ruhig, doch nicht schleppend", SLOW, "marking", "Ruhig"),
]

GERMAN_AND_FRENCH_SOFTENERS = [
    ("Etwas lebhaft und mit der innigsten Empfindung", MEDIUM, "marking", "Etwas lebhaft"),
    ("Ein wenig schnell", MEDIUM, "marking", "Ein wenig schnell"),
    ("Etwas rasch", MEDIUM, "marking", "Etwas rasch"),
    ("Un peu animé", MEDIUM, "marking", "Un peu animé"),
    ("Un peu vif", MEDIUM, "marking", "Un peu vif"),
    ("Un peu lent", SLOW, "marking", "lent"),
    ("Poco allegro", MEDIUM, "marking", "Poco allegro"),
    ("Un poco presto", FAST, "marking", "Un poco presto"),
    ("Ziemlich rasch", FAST, "marking", "rasch"),
]

FRENCH_CHARACTER = [
    ("Lourd", SLOW, "marking", "Lourd"),
    ("Large et soutenu", SLOW, "marking", "Large"),
    ("Largement", SLOW, "marking", "Largement"),
    ("Gravement", SLOW, "marking", "Gravement"),
    ("Tranquille", SLOW, "marking", "Tranquille"),
    ("Avec lenteur", SLOW, "marking", "Avec lenteur"),
    ("À l'aise", SLOW, "marking", "À l'aise"),
    ("Gaiement", FAST, "marking", "Gaiement"),
    ("Allègre", FAST, "marking", "Allègre"),
    ("Agité", FAST, "marking", "Agité"),
    ("Avec feu", FAST, "marking", "Avec feu"),
    ("Enlevé", SUPER, "marking", "Enlevé"),
    ("Modérément animé", FAST, "marking", "Modérément animé"),
    ("Calme, mais pas trop lent", SLOW, "marking", "lent"),
    ("Gai, pas trop vite", MEDIUM, "marking", "pas trop vite"),
]

DIMINUTIVES = [
    ("Lentissimo", SLOW, "marking", "Lentissimo"),
    ("Gravissimo", SLOW, "marking", "Gravissimo"),
    ("Vivacetto", MEDIUM, "marking", "Vivacetto"),
    ("Vivissimo", SUPER, "marking", "Vivissimo"),
    ("Allegrettino", MEDIUM, "marking", "Allegrettino"),
    ("Moderatissimo", MEDIUM, "marking", "Moderatissimo"),
    ("Tranquillissimo", SLOW, "marking", "Tranquillissimo"),
    ("Largamente", SLOW, "marking", "Largamente"),
    ("Allegramente", FAST, "marking", "Allegramente"),
    ("Solenne", SLOW, "marking", "Solenne"),
    ("IV. Andantino quasi allegretto", MEDIUM, "marking", "Andantino"),
    ("Prestissimo possibile", SUPER, "marking", "Prestissimo"),
]

CHARACTER_WITHOUT_TEMPO = [
    ("Innig", None, "none", None),
    ("Sehr innig", None, "none", None),
    ("Zart", None, "none", None),
    ("Kräftig", None, "none", None),
    ("Kräftig. Entschieden", None, "none", None),
    ("Wuchtig", None, "none", None),
    ("Einfach", None, "none", None),
    ("Ausdrucksvoll", None, "none", None),
    ("Leidenschaftlich", None, "none", None),
    ("Léger", None, "none", None),
    ("Doux et expressif", None, "none", None),
    ("Retenu", None, "none", None),
    ("Giocoso", None, "none", None),
    ("Zart und nicht zu langsam", SLOW, "marking", "nicht zu langsam"),
    ("Kräftig, nicht zu schnell", MEDIUM, "marking", "nicht zu schnell"),
    ("Innig, doch bewegt", FAST, "marking", "bewegt"),
]

CASES = [
    *SINGLE_WORDS, *CASE_AND_ACCENTS, *FRENCH, *GERMAN, *ENGLISH, *PHRASES_BEAT_WORDS,
    *WITHIN_A_SECTION_THE_FIRST_TERM_DECIDES, *INTENSIFIERS, *LOWERING, *SECTIONS, *RELATIVE_SECTIONS,
    *RUN_TOGETHER, *FORMS, *NO_TEMPO, *NUMBERING, *GERMAN_CHARACTER, *GERMAN_AND_FRENCH_SOFTENERS,
    *FRENCH_CHARACTER, *DIMINUTIVES, *CHARACTER_WITHOUT_TEMPO,
]
NEW_IN_ISSUE_10 = [*GERMAN_CHARACTER, *GERMAN_AND_FRENCH_SOFTENERS, *FRENCH_CHARACTER, *DIMINUTIVES,
                   *CHARACTER_WITHOUT_TEMPO]


def test_enough_handwritten_cases() -> None:
    assert len(CASES) >= 150
    assert len(NEW_IN_ISSUE_10) >= 40
    assert sum(1 for c in NEW_IN_ISSUE_10 if c[1] is None) >= 10, "negative cases: mood words that imply no tempo"
    titles = [c[0] for c in CASES]
    assert len(titles) == len(set(titles)), "a title is listed twice"


@pytest.mark.parametrize(("title", "tag", "source", "term"), CASES, ids=[repr(c[0]) for c in CASES])
def test_title(title: str, tag: str | None, source: str, term: str | None) -> None:
    assert tag_tempo(title) == TempoResult(tag, term, source)


@pytest.mark.parametrize(("title", "tag", "source", "term"), CASES[::7], ids=[repr(c[0]) for c in CASES[::7]])
def test_term_is_a_substring_of_the_title(title: str, tag: str | None, source: str, term: str | None) -> None:
    result = tag_tempo(title)
    assert result.term is None or result.term in title


# ---------------------------------------------------------------------------------------------
# Generic checks over the table
# ---------------------------------------------------------------------------------------------
def _entries(source: object) -> list[tuple[str, str, str]]:
    return [(term, tag, lang) for tag, by_lang in source.items() for lang, terms in by_lang.items() for term in terms]


TABLE_ENTRIES = _entries(table.TEMPO_WORDS) + _entries(table.TEMPO_PHRASES)


@pytest.mark.parametrize(("term", "tag", "lang"), TABLE_ENTRIES, ids=[f"{e[2]}:{e[0]}" for e in TABLE_ENTRIES])
def test_every_table_term_alone_tags_to_its_class(term: str, tag: str, lang: str) -> None:
    assert tag_tempo(term) == TempoResult(tag, term, "marking")
    assert tag_tempo(term.upper()).tag == tag


@pytest.mark.parametrize(("word", "tag", "lang"), [e for e in TABLE_ENTRIES if e[2] == "de" and " " not in e[0]])
def test_german_words_match_their_inflected_forms(word: str, tag: str, lang: str) -> None:
    for ending in table.INFLECTED_ENDINGS["de"]:
        if ending == "er":
            continue  # "-er" forms at the start of a section are comparatives (relative), tested there
        assert tag_tempo(f"Im {word}{ending} Zeitmaß").tag == tag


@pytest.mark.parametrize(("form", "tag"), sorted(table.FORM_TEMPO.items()))
def test_every_form_alone_takes_its_usual_tempo(form: str, tag: str) -> None:
    assert tag_tempo(form) == TempoResult(tag, form, "form")
    assert tag_tempo(f"{form.title()}. Adagio") == TempoResult("slow", "Adagio", "marking")


@pytest.mark.parametrize("title", table.NO_TEMPO_FORMS)
def test_forms_without_a_usual_tempo_are_null(title: str) -> None:
    assert tag_tempo(title) == TempoResult(None, None, "none")


@pytest.mark.parametrize("intensifier", table.INTENSIFIERS)
def test_every_intensifier_raises_a_fast_term_before_or_after_it(intensifier: str) -> None:
    assert tag_tempo(f"{intensifier} vivo") == TempoResult(SUPER, f"{intensifier} vivo", "marking")
    assert tag_tempo(f"Vivo {intensifier}") == TempoResult(SUPER, f"Vivo {intensifier}", "marking")
    assert tag_tempo(f"Vivo {intensifier} cantabile").tag == FAST  # it modifies "cantabile"
    assert tag_tempo(f"{intensifier} lento").tag == SLOW
    assert tag_tempo(f"{intensifier} andante").tag == MEDIUM


@pytest.mark.parametrize("negation", table.LOWERING)
def test_every_lowering_phrase_lowers_a_fast_term_by_one_class(negation: str) -> None:
    assert tag_tempo(f"{negation} presto") == TempoResult(FAST, f"{negation} presto", "marking")
    assert tag_tempo(f"{negation} vivo") == TempoResult(MEDIUM, f"{negation} vivo", "marking")
    assert tag_tempo(f"{negation} lento").tag == SLOW


@pytest.mark.parametrize("start", table.RELATIVE_STARTS)
def test_every_relative_section_is_ignored(start: str) -> None:
    # without the relative word, "Andante – Presto" would be an introduction followed by a presto
    assert tag_tempo(f"Andante – {start} presto") == TempoResult(MEDIUM, "Andante", "marking")


def test_table_has_no_term_in_two_classes() -> None:
    seen: dict[str, str] = {}
    for term, tag, _ in TABLE_ENTRIES:
        key = fold(term)
        assert seen.setdefault(key, tag) == tag, f"{term!r} is both {seen[key]} and {tag}"


@pytest.mark.parametrize("entry", table.TERMS, ids=[f"{e.language}:{e.term}" for e in table.TERMS])
def test_every_entry_has_a_class_a_kind_and_a_known_source(entry: table.TempoTerm) -> None:
    assert entry.tempo in TEMPO_ORDER and entry.language in table.LANGUAGES and entry.kind in table.KINDS
    assert entry.sources and set(entry.sources) <= set(table.SOURCES), entry
    assert entry.sources == ("v1",) or "v1" not in entry.sources  # a later entry names where it comes from


def test_every_source_is_cited_and_no_entry_is_listed_twice() -> None:
    assert {s for e in table.TERMS for s in e.sources} == set(table.SOURCES)
    folded = [(e.language, words(e.term)) for e in table.TERMS]
    assert len(folded) == len(set(folded)), "an entry is listed twice in one language"


def test_table_views_hold_every_entry_once() -> None:
    assert sorted(t for t, _, _ in TABLE_ENTRIES) == sorted(e.term for e in table.TERMS)


@pytest.mark.parametrize("word", [w for ws in table.CHARACTER_WITHOUT_TEMPO.values() for w in ws])
def test_mood_words_without_a_glossary_tempo_stay_out_of_the_table(word: str) -> None:
    assert all(words(e.term) != words(word) for e in table.TERMS)
    assert tag_tempo(word) == TempoResult(None, None, "none")
    assert tag_tempo(f"{word.title()}, nicht zu schnell") == TempoResult(MEDIUM, "nicht zu schnell", "marking")


CHARACTER = [e for e in table.TERMS if e.kind == "character"]


@pytest.mark.parametrize("entry", CHARACTER, ids=[e.term for e in CHARACTER])
def test_a_character_word_yields_to_a_tempo_word_and_ignores_modifiers(entry: table.TempoTerm) -> None:
    assert tag_tempo(f"{entry.term}, nicht zu langsam") == TempoResult(SLOW, "nicht zu langsam", "marking")
    assert tag_tempo(f"Presto, {entry.term}") == TempoResult(SUPER, "Presto", "marking")
    for modifier in ("molto", "sehr", "très", "nicht zu", "poco", "un peu"):
        assert tag_tempo(f"{modifier} {entry.term}") == TempoResult(entry.tempo, entry.term, "marking")


ITALIAN_WORDS = {fold(e.term): e for e in table.TERMS if e.language == "it" and len(words(e.term)) == 1}
LISTED_DERIVED = sorted((form, base, degree) for base, e in ITALIAN_WORDS.items()
                        for form, degree in italian_forms(base).items() if form in ITALIAN_WORDS)


def test_listed_italian_endings_are_the_ones_the_rule_derives() -> None:
    assert {f for f, _, _ in LISTED_DERIVED} >= {"larghetto", "adagietto", "andantino", "allegretto", "larghissimo",
                                                 "adagissimo", "lentissimo", "prestissimo", "vivacissimo",
                                                 "allegrissimo", "velocissimo"}


@pytest.mark.parametrize(("form", "base", "degree"), LISTED_DERIVED)
def test_listed_italian_endings_agree_with_the_rule(form: str, base: str, degree: str) -> None:
    e = ITALIAN_WORDS[base]
    assert ITALIAN_WORDS[form].tempo == derived_tag(e.tempo, e.kind, degree)


@pytest.mark.parametrize(("title", "tag"), [
    ("Prestino", FAST), ("Animatissimo", SUPER), ("Agitatissimo", FAST), ("Larghino", SLOW), ("Calmissimo", SLOW),
    ("Andantissimo", MEDIUM), ("Lentino", SLOW), ("Vivacissima", SUPER),
])
def test_derived_italian_endings(title: str, tag: str) -> None:
    assert tag_tempo(title) == TempoResult(tag, title, "marking")


def test_tempo_order_is_the_schema_class_order() -> None:
    assert TEMPO_ORDER == TEMPO_CLASSES == ("slow", "medium", "fast", "super_fast")
    assert set(table.TEMPO_WORDS) == set(table.TEMPO_PHRASES) == set(TEMPO_ORDER)
    assert set(table.FORM_TEMPO.values()) <= set(TEMPO_ORDER)


@pytest.mark.parametrize("title", [c[0] for c in CASES])
def test_results_satisfy_the_schema_rules(title: str) -> None:
    result = tag_tempo(title)
    assert result.source in TEMPO_SOURCES
    assert (result.tag is None) == (result.source == "none") == (result.term is None)


# ---------------------------------------------------------------------------------------------
# Output format of the tag-tempo command
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("title", "line"), [
    ("I. Allegro", "I. Allegro\tfast\tmarking\tAllegro"),
    ("Menuetto", "Menuetto\tmedium\tform\tMenuetto"),
    ("Finale", "Finale\t\tnone\t"),
    ("", "\t\tnone\t"),
    ("Adagio\t– Presto", "Adagio – Presto\tsuper_fast\tmarking\tPresto"),
])
def test_format_tag_line(title: str, line: str) -> None:
    assert format_tag_line(title, tag_tempo(title)) == line


def test_tag_lines_gives_one_line_per_input_line() -> None:
    lines = ["Allegro con brio\n", "\n", "Rondo\r\n", "Très lent"]
    assert list(tag_lines(lines)) == [
        "Allegro con brio\tfast\tmarking\tAllegro con brio",
        "\t\tnone\t",
        "Rondo\t\tnone\t",
        "Très lent\tslow\tmarking\tTrès lent",
    ]
    assert list(tag_lines([])) == []


def test_describe_tempo_rules_is_plain_data_for_the_card() -> None:
    import json

    described = describe_tempo_rules()
    assert described["classes"] == list(TEMPO_ORDER)
    assert described["rules"] == list(RULES)
    assert described["forms"]["tarantella"] == SUPER
    assert "feierlich" in described["character_terms"] and "innig" in described["character_without_tempo"]
    assert {row["term"] for row in described["table"]} == {e.term for e in table.TERMS}
    assert set(described["term_sources"]) == set(table.SOURCES)
    json.dumps(described)  # the card template receives it as JSON-like data

"""The tempo table: every word the tempo rules know, where it comes from, and nothing else.

Read this file first. :mod:`earsense_m2t.tagging.tempo` holds only the rules that read it, so a new term, a new
language or a different decision about a dance form is a one-line change here. Entries are written
the way scores print them (accents, ``ß``, capitals as you like): the rules compare them after
folding case and accents, so ``mäßig``, ``Mässig`` and ``MASSIG`` are one entry. German entries also
match their inflected forms (``langsam`` → ``langsame``, ``langsames``, ``langsamen``…) and French
ones their feminine/plural forms (``lent`` → ``lente``, ``animé`` → ``animée``); see
``INFLECTED_ENDINGS``.

Every entry of ``TERMS`` is one record: the term, its class, its language, its *kind* and the
glossaries it was taken from (keys of ``SOURCES``). Entries of the project's first table carry the
source ``"v1"`` (no source was recorded then); every later entry names at least one public glossary,
or ``"decision"`` when it applies a decision written below to a new wording.

The four classes are ordinal: slow < medium < fast < super_fast. A movement with no tempo information
is tagged ``None`` (the dataset's null), never a guess.

Decisions written down here (the dataset card quotes them):

- ``allegro moderato`` / ``mäßig schnell`` / ``moderately fast`` / ``modérément animé`` are *fast*:
  the tempo word is the main word, the moderating one qualifies it. ``Allegro molto moderato``
  therefore stays fast (the intensifier belongs to ``moderato``).
- ``allegro (ma) non troppo`` stays fast: a restraint written *after* a term never changes its class;
  only a negation or softener written *before* a fast term lowers it (``non troppo presto`` → fast,
  ``nicht zu schnell`` → medium, ``etwas lebhaft`` / ``un peu animé`` / ``poco allegro`` → medium).
  ``ziemlich`` / ``assez`` (rather) change nothing: ``ziemlich rasch`` is as fast as ``rasch``.
- ``bewegt`` / ``con moto`` / ``with movement`` are fast, but ``mäßig bewegt``, ``ruhig bewegt`` and
  ``etwas bewegt`` (moderately/calmly/somewhat moving) are medium.
- **Tempo words and character words.** A *tempo* word names a speed (``langsam``, ``vif``,
  ``allegro``). A *character* word names a mood that the glossaries give as the equivalent of a
  tempo word (``feierlich`` / ``schwer`` / ``lourd`` ≈ grave, ``lustig`` / ``fröhlich`` /
  ``gaiement`` ≈ allegro, ``ruhig`` / ``calme`` ≈ tranquillo). A character word decides only when its
  section has no tempo word (``Lustig, nicht zu schnell`` is medium, decided by ``nicht zu
  schnell``), and modifiers do not move it (``sehr lustig`` is merrier, not faster).
- **Character words that imply no tempo.** A mood word gets a class only when at least one glossary
  in ``SOURCES`` gives it as the equivalent of a tempo term or glosses it with a definite speed. Words
  glossed only by a mood or a manner of playing — ``innig``, ``zart``, ``kräftig``, ``wuchtig``,
  ``einfach``, ``ausdrucksvoll``, ``leidenschaftlich``, ``léger``, ``doux``, ``expressif``,
  ``giocoso`` (``CHARACTER_WITHOUT_TEMPO``) — are absent from the table on purpose: scores use them
  from slow movements to scherzos ("Sehr innig und nicht zu rasch", "Kräftig, nicht zu schnell"), so
  on their own they leave a title null. ``sostenuto`` / ``soutenu`` stays out too: one glossary hedges
  ("sustained, perhaps a bit slow") and scores pair it with any tempo ("Un poco sostenuto – Allegro").
- ``retenu``, like ``più mosso``, names a change relative to a tempo set elsewhere; a section that
  starts with it is ignored (``RELATIVE_STARTS``), so ``Retenu`` alone is null.
- Italian endings (``ITALIAN_SUFFIXES``): a diminutive (``-etto``, ``-ino``) of a fast tempo word is
  one class slower (``allegretto``, ``vivacetto`` → medium), a superlative (``-issimo``) of a fast
  word is super_fast (``vivissimo``); slow and medium words keep their class (``larghetto``,
  ``andantino``, ``lentissimo``), and so do character words. Listed entries win over the rule.
- Where glossaries disagree the first table's decision stands and the entry keeps ``v1``:
  ``gemächlich`` (one table gives it for adagio) stays medium, ``assez vite`` (given for allegretto)
  stays fast, ``geschwind`` (given for presto and allegrissimo) is fast like its literal synonym
  ``schnell``, so that ``sehr geschwind`` is the super_fast one.
- Forms take their usual tempo only when the title has no tempo word at all (source ``form``); a
  tarantella is super_fast, a funeral march slow, a scherzo fast, a minuet medium.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import NamedTuple

#: The classes, slowest first; the rules compare positions in this tuple.
TEMPO_CLASSES: tuple[str, ...] = ("slow", "medium", "fast", "super_fast")
#: Languages of the entries, in the order the card lists them.
LANGUAGES: tuple[str, ...] = ("it", "fr", "de", "en")
#: "tempo": names a speed; "character": names a mood, decides only when its section has no tempo word.
KINDS: tuple[str, ...] = ("tempo", "character")

# ---------------------------------------------------------------------------------------------
# Where the entries come from. Each is a public glossary read for this table (stored copies); the
# key is what an entry's ``sources`` names.
# ---------------------------------------------------------------------------------------------
SOURCES: Mapping[str, str] = {
    # (the table of the project's commit 24fb83a; the card shows this text, so no repository detail in it)
    "v1": "The project's first hand-written table; no source was recorded for its entries.",
    "decision": "A decision written in this module's docstring, applied to a new wording.",
    "lilypond": "LilyPond Music Glossary (lilypond.org/doc/v2.24/Documentation/music-glossary; source "
                "Documentation/en/music-glossary.tely), French and German equivalents under adagio, allegro, "
                "andante, grave, largo, presto.",
    "gehrkens": "K. W. Gehrkens, Music Notation and Terminology (1914), §109-110 tempo groups and combinations "
                "(Project Gutenberg #19499).",
    "wikipedia-tempo": "Wikipedia-derived tempo lists: Italian tempo markings listed alphabetically "
                       "(sites.google.com/egrps.org/ibmusicinteractive/time/meter/tempo) and the French and German "
                       "tempo markings (scribd.com/document/519444740/Tempo-Markings-Guide).",
    "thoughtco": "ThoughtCo / LiveAbout, 'Multilingual Tempo Commands & BPM' (Italian, French and German "
                 "equivalents per tempo).",
    "columbia": "Columbia CTL Ear Training, 'Tempo: Smorgasbord' (English / Italian / German / French, slow to fast).",
    "treblis": "treblis.com/Notation/Tempo.html (Italian, German and French tempo terms).",
    "klavier-gerdts": "klavier.susannegerdts.de/tempo (Italian tempo words with their German meanings).",
    "drum-info": "drum-info.de/theoretisches/tempoangaben.html (Italian tempo words with German meanings).",
    "artsentertainment": "de.artsentertainment.cc/Musik/Musik--Grundlagen/1001130830.html (Italian tempo words in "
                         "German: 'Grave: Sehr langsam und feierlich').",
    "radio-cz": "deutsch.radio.cz/tempo-der-musik-8302964 (andante: schreitend; moderato: gemäßigt).",
    "studylib-glossar": "studylibde.com/doc/5832836 (German music glossary: 'Allegro (ital. heiter) munter, rasch').",
    "music-fr": "musique-harmonie.fr 'Les tempos' and tous-au-piano.com 'Tempo' (Italian tempo words with "
                "French translations).",
    "savard": "Savard, Principes de la musique (Wikisource, p. 176): Italian terms with French equivalents "
              "(allegro: gaiement; con fuoco: avec feu).",
    "artikel33": "artikel33.com/musik/1/metronomtempo.php (con fuoco = mit Feuer).",
    "music21": "music21 tempo.defaultTempoValues (largamente, très vite, ...).",
    "earsense-glossary": "The glossary block of real EarSense pages (stored copies): 'lento, lent, lentement, avec "
                         "lenteur', 'agitato, agité', 'gajo, gaja — gay, merry, lively'.",
}


class TempoTerm(NamedTuple):
    """One table entry and its provenance."""

    term: str  # as scores print it; folded before comparison
    tempo: str  # one of TEMPO_CLASSES
    language: str  # one of LANGUAGES
    kind: str  # one of KINDS
    sources: tuple[str, ...]  # keys of SOURCES


def _t(term: str, tempo: str, language: str, kind: str, *sources: str) -> TempoTerm:
    return TempoTerm(term, tempo, language, kind, sources)


_T, _C = "tempo", "character"
_S, _M, _F, _X = "slow", "medium", "fast", "super_fast"

# ---------------------------------------------------------------------------------------------
# The table. Single words and multiword phrases alike; at any position the longest entry wins over
# the words inside it, so phrases override the single words they contain.
# ---------------------------------------------------------------------------------------------
TERMS: tuple[TempoTerm, ...] = (
    # ---- slow ----------------------------------------------------------------------------------
    *(_t(w, _S, "it", _T, "v1") for w in ("grave", "largo", "larghetto", "larghissimo", "lento", "lentamente",
                                          "adagio", "adagietto", "adagissimo")),
    *(_t(w, _S, "it", _C, "v1") for w in ("calmo", "tranquillo")),
    _t("lentissimo", _S, "it", _T, "gehrkens", "wikipedia-tempo", "thoughtco"),
    _t("largamente", _S, "it", _T, "wikipedia-tempo", "music21"),
    _t("solenne", _S, "it", _C, "thoughtco", "wikipedia-tempo"),
    *(_t(p, _S, "it", _T, "v1") for p in ("adagio assai", "lento assai", "adagio molto", "molto adagio", "largo assai")),
    *(_t(w, _S, "fr", _T, "v1") for w in ("lent", "lentement", "grave")),
    _t("calme", _S, "fr", _C, "v1"),
    _t("large", _S, "fr", _T, "lilypond", "thoughtco", "music-fr"),
    _t("largement", _S, "fr", _T, "thoughtco", "wikipedia-tempo"),
    _t("ample", _S, "fr", _T, "lilypond", "music-fr"),
    _t("gravement", _S, "fr", _T, "treblis", "savard"),
    _t("avec lenteur", _S, "fr", _T, "earsense-glossary"),
    _t("à l'aise", _S, "fr", _T, "thoughtco"),
    _t("lourd", _S, "fr", _C, "columbia"),
    _t("tranquille", _S, "fr", _C, "thoughtco"),
    *(_t(p, _S, "fr", _T, "v1") for p in ("très lent", "assez lent", "très lentement")),
    *(_t(w, _S, "de", _T, "v1") for w in ("langsam", "getragen", "breit")),
    _t("ruhig", _S, "de", _C, "v1"),
    _t("feierlich", _S, "de", _C, "artsentertainment"),
    _t("schwer", _S, "de", _C, "thoughtco", "columbia", "drum-info", "klavier-gerdts"),
    *(_t(p, _S, "de", _T, "v1") for p in ("sehr langsam", "ziemlich langsam", "mäßig langsam", "nicht zu langsam")),
    *(_t(w, _S, "en", _T, "v1") for w in ("slow", "slowly")),
    _t("calm", _S, "en", _C, "v1"),
    *(_t(p, _S, "en", _T, "v1") for p in ("very slow", "very slowly", "moderately slow", "not too slow")),
    # ---- medium --------------------------------------------------------------------------------
    *(_t(w, _M, "it", _T, "v1") for w in ("andante", "andantino", "moderato", "moderatamente", "allegretto", "comodo",
                                          "commodo", "scorrevole")),
    _t("maestoso", _M, "it", _C, "v1"),
    *(_t(p, _M, "it", _T, "v1") for p in ("tempo di minuetto", "tempo di menuetto", "tempo d'un menuetto",
                                          "tempo di valse", "tempo di valzer", "tempo di marcia", "tempo di polacca",
                                          "tempo comodo", "tempo moderato", "poco allegretto")),
    *(_t(w, _M, "fr", _T, "v1") for w in ("modéré", "modérément", "allant", "coulant")),
    *(_t(p, _M, "fr", _T, "v1") for p in ("assez modéré", "mouvement de menuet", "mouvement de valse", "sans lenteur")),
    *(_t(w, _M, "de", _T, "v1") for w in ("mäßig", "gemächlich", "gehend", "fließend")),
    _t("gemäßigt", _M, "de", _T, "drum-info", "radio-cz"),
    _t("schreitend", _M, "de", _T, "klavier-gerdts", "radio-cz"),
    _t("gemütlich", _M, "de", _C, "klavier-gerdts"),
    *(_t(p, _M, "de", _T, "v1") for p in ("mäßig bewegt", "ruhig bewegt", "etwas bewegt", "im zeitmaß eines menuetts",
                                          "im tempo eines menuetts")),
    *(_t(w, _M, "en", _T, "v1") for w in ("moderate", "moderately", "flowing", "leisurely")),
    _t("stately", _M, "en", _C, "v1"),
    *(_t(p, _M, "en", _T, "v1") for p in ("walking pace", "at a walking pace", "in the tempo of a minuet",
                                          "gently flowing")),
    # ---- fast ----------------------------------------------------------------------------------
    *(_t(w, _F, "it", _T, "v1") for w in ("allegro", "vivace", "vivo", "animato", "veloce", "rapido", "mosso")),
    _t("agitato", _F, "it", _C, "v1"),
    _t("allegramente", _F, "it", _T, "wikipedia-tempo"),
    _t("gaio", _F, "it", _C, "earsense-glossary"),
    _t("gajo", _F, "it", _C, "earsense-glossary"),
    *(_t(p, _F, "it", _T, "v1") for p in ("allegro con brio", "allegro con fuoco", "allegro ma non troppo",
                                          "allegro non troppo", "allegro non tanto", "con moto")),
    *(_t(p, _F, "it", _C, "v1") for p in ("con fuoco", "con brio")),
    *(_t(w, _F, "fr", _T, "v1") for w in ("animé", "vif", "vive", "vite", "vivement", "rapide")),
    _t("gai", _F, "fr", _C, "v1"),
    _t("allègre", _F, "fr", _T, "thoughtco", "music-fr"),
    _t("gaiement", _F, "fr", _C, "lilypond", "savard"),
    _t("agité", _F, "fr", _C, "earsense-glossary", "music-fr"),
    _t("avec feu", _F, "fr", _C, "savard"),
    *(_t(p, _F, "fr", _T, "v1") for p in ("assez vif", "assez animé", "avec mouvement", "assez vite")),
    _t("modérément animé", _F, "fr", _T, "decision"),
    *(_t(w, _F, "de", _T, "v1") for w in ("lebhaft", "schnell", "rasch", "bewegt")),
    *(_t(w, _F, "de", _C, "v1") for w in ("frisch", "feurig", "munter")),
    _t("geschwind", _F, "de", _T, "thoughtco", "klavier-gerdts", "treblis"),
    _t("lebendig", _F, "de", _T, "klavier-gerdts"),
    _t("belebt", _F, "de", _T, "treblis"),
    _t("fröhlich", _F, "de", _C, "lilypond", "thoughtco", "klavier-gerdts"),
    _t("lustig", _F, "de", _C, "lilypond", "thoughtco"),
    _t("heiter", _F, "de", _C, "studylib-glossar"),
    _t("mit feuer", _F, "de", _C, "artikel33"),
    *(_t(p, _F, "de", _T, "v1") for p in ("mäßig schnell", "mit bewegung", "ziemlich schnell", "ziemlich lebhaft")),
    *(_t(w, _F, "en", _T, "v1") for w in ("fast", "quick", "quickly", "lively", "brisk", "briskly", "rapid", "rapidly")),
    *(_t(p, _F, "en", _T, "v1") for p in ("with movement", "moderately fast", "fairly fast", "moderately quick")),
    # ---- super_fast ----------------------------------------------------------------------------
    *(_t(w, _X, "it", _T, "v1") for w in ("presto", "prestissimo", "vivacissimo", "allegrissimo", "velocissimo")),
    *(_t(p, _X, "it", _T, "v1") for p in ("allegro molto", "allegro assai", "allegro di molto", "allegro vivace",
                                          "allegro vivacissimo", "molto allegro", "molto vivace", "vivace assai",
                                          "il più presto possibile")),
    _t("enlevé", _X, "fr", _C, "lilypond"),
    *(_t(p, _X, "fr", _T, "v1") for p in ("très vif", "très vite", "très animé", "très rapide", "le plus vite possible",
                                          "aussi vite que possible")),
    _t("eilig", _X, "de", _T, "columbia", "drum-info"),
    *(_t(p, _X, "de", _T, "v1") for p in ("sehr schnell", "sehr lebhaft", "sehr rasch", "so rasch wie möglich",
                                          "so schnell wie möglich", "äußerst schnell", "äußerst rasch")),
    *(_t(p, _X, "en", _T, "v1") for p in ("very fast", "very quick", "very lively", "as fast as possible",
                                          "extremely fast")),
)

#: Mood words looked up in the glossaries and left out on purpose: none is given there as a tempo
#: term's equivalent, and scores use them at every speed. Listed so a reader sees they were
#: considered (and the tests check they stay out of ``TERMS``); a title made only of them is null.
CHARACTER_WITHOUT_TEMPO: Mapping[str, tuple[str, ...]] = {
    "de": ("innig", "zart", "kräftig", "wuchtig", "einfach", "ausdrucksvoll", "leidenschaftlich", "stark",
           "markiert", "entschieden", "energisch", "klagend"),
    "fr": ("léger", "doux", "expressif", "tendre", "marqué"),
    "it": ("giocoso", "scherzando", "espressivo", "cantabile", "grazioso", "dolce", "energico", "leggiero",
           "sostenuto"),
    "en": ("tender", "expressive", "vigorous"),
}


def _is_phrase(term: str) -> bool:
    return len(re.findall(r"[^\W_]+", term)) > 1


def _grouped(phrases: bool) -> Mapping[str, Mapping[str, tuple[str, ...]]]:
    return {tempo: {lang: tuple(e.term for e in TERMS if e.tempo == tempo and e.language == lang
                                and _is_phrase(e.term) == phrases) for lang in LANGUAGES}
            for tempo in TEMPO_CLASSES}


#: Single words per class and language, derived from ``TERMS`` (read-only views for the card and tests).
TEMPO_WORDS: Mapping[str, Mapping[str, tuple[str, ...]]] = _grouped(phrases=False)
#: Multiword phrases per class and language, derived from ``TERMS``.
TEMPO_PHRASES: Mapping[str, Mapping[str, tuple[str, ...]]] = _grouped(phrases=True)

# ---------------------------------------------------------------------------------------------
# Italian diminutive and superlative endings (see the decision above). A listed entry always wins.
# ---------------------------------------------------------------------------------------------
#: ending -> "diminutive" | "superlative" (Gehrkens §109: larghetto "a little largo", adagietto "a
#: little adagio"; the Wikipedia-derived list: "composers freely apply Italian diminutive and
#: superlative suffixes").
ITALIAN_SUFFIXES: Mapping[str, str] = {
    "etto": "diminutive", "etta": "diminutive", "ino": "diminutive", "ina": "diminutive",
    "issimo": "superlative", "issima": "superlative",
}
#: How an ending moves a fast or super_fast *tempo* word, in classes (clamped to the scale).
SUFFIX_SHIFT: Mapping[str, int] = {"diminutive": -1, "superlative": +1}

#: Endings a German or French term may carry (adjective inflection, feminine, plural).
INFLECTED_ENDINGS: Mapping[str, tuple[str, ...]] = {
    "de": ("e", "er", "es", "em", "en"),
    "fr": ("e", "s", "es"),
    "it": (),
    "en": (),
}

# ---------------------------------------------------------------------------------------------
# Modifiers.
# ---------------------------------------------------------------------------------------------
#: Raise a fast term to super_fast when they modify it: right before it ("molto allegro", "sehr
#: lebhaft") or right after it with nothing else to modify ("vivace assai", "Allegro molto e con
#: brio"). Slow and medium terms are not changed ("molto adagio" is slow, "molto moderato" medium).
INTENSIFIERS: tuple[str, ...] = ("molto", "di molto", "assai", "très", "sehr", "very", "ganz", "äußerst",
                                 "extremely", "extrêmement")

#: After a trailing intensifier, these words show it has nothing else to modify, so it modifies the
#: term before it ("Allegro molto e con brio"); any other word is what it modifies ("Allegro molto
#: moderato" stays fast).
JOINERS: tuple[str, ...] = ("e", "ed", "ma", "con", "col", "colla", "quasi", "und", "doch", "aber", "mit", "et",
                            "mais", "avec", "and", "but", "with")

#: Written right before a fast or super_fast tempo word, lower it by one class: negations ("non troppo
#: presto" → fast, "nicht zu schnell" → medium) and softeners ("poco allegro", "etwas lebhaft", "ein
#: wenig schnell", "un peu animé" → medium; the glossaries give the last three for allegretto:
#: thoughtco, columbia; Gehrkens §110 "largo un poco"). Slow and medium terms are not changed.
LOWERING: tuple[str, ...] = ("non troppo", "non tanto", "non", "nicht zu", "nicht so", "nicht", "pas trop", "pas",
                             "not too", "not so", "not",
                             "un poco", "poco", "un peu", "etwas", "ein wenig", "a little", "somewhat")

# ---------------------------------------------------------------------------------------------
# Sections.
# ---------------------------------------------------------------------------------------------
#: A section (between dashes, semicolons or ". ") that starts with one of these is relative to
#: another section (a trio, a coda, a return, a change of pace) and does not set the movement's
#: tempo; the rest of its dash-delimited part is ignored with it.
RELATIVE_STARTS: tuple[str, ...] = (
    # it
    "trio", "coda", "tempo i", "tempo 1", "tempo primo", "tempo 1o", "primo tempo", "a tempo", "da capo",
    "come prima", "come sopra", "più", "meno", "poco più", "poco meno", "un poco più", "un poco meno",
    "l'istesso tempo", "istesso tempo", "lo stesso tempo", "doppio movimento", "stretta", "stretto",
    "accelerando", "ritardando", "rallentando", "allargando", "stringendo", "poco a poco", "rit", "rall",
    # fr
    "au mouvement", "1er mouvement", "1er mouvt", "premier mouvement", "mouvement du début", "plus lent",
    "plus vite", "plus animé", "un peu plus", "un peu moins", "moins", "cédez", "retenu",
    # de
    "wie vorher", "wie zu anfang", "wie anfangs", "im ersten zeitmaß", "erstes zeitmaß",
    "etwas langsamer", "etwas schneller", "etwas ruhiger", "etwas lebhafter", "etwas rascher", "noch schneller",
    "noch rascher", "immer schneller", "langsamer", "schneller", "rascher", "lebhafter", "ruhiger",
    # en
    "faster", "slower", "a little faster", "a little slower", "as before", "as at first",
)

# ---------------------------------------------------------------------------------------------
# Forms: their usual tempo, used only when the title has no tempo word (source "form").
# ---------------------------------------------------------------------------------------------
FORM_TEMPO: Mapping[str, str] = {
    # slow
    "sarabande": "slow", "sarabanda": "slow", "zarabanda": "slow", "siciliano": "slow", "siciliana": "slow",
    "sicilienne": "slow", "nocturne": "slow", "notturno": "slow", "nachtstück": "slow", "berceuse": "slow",
    "lullaby": "slow", "wiegenlied": "slow", "elegy": "slow", "elegie": "slow", "élégie": "slow", "elegia": "slow",
    "lament": "slow", "lamento": "slow", "pavane": "slow", "pavana": "slow", "loure": "slow",
    "marcia funebre": "slow", "marche funèbre": "slow", "funeral march": "slow", "trauermarsch": "slow",
    "chorale": "slow", "choral": "slow",
    # medium
    "minuet": "medium", "menuet": "medium", "menuett": "medium", "menuetto": "medium", "minuetto": "medium",
    "allemande": "medium", "allemanda": "medium", "gavotte": "medium", "gavotta": "medium",
    "barcarolle": "medium", "barcarola": "medium", "march": "medium", "marcia": "medium", "marche": "medium",
    "marsch": "medium", "polonaise": "medium", "polacca": "medium", "waltz": "medium", "valse": "medium",
    "walzer": "medium", "valzer": "medium", "mazurka": "medium", "ländler": "medium", "bolero": "medium",
    "habanera": "medium", "tango": "medium", "chaconne": "medium", "ciaccona": "medium",
    "passacaglia": "medium", "musette": "medium", "forlane": "medium",
    # fast
    "scherzo": "fast", "scherzino": "fast", "gigue": "fast", "giga": "fast", "jig": "fast", "courante": "fast",
    "corrente": "fast", "bourrée": "fast", "rigaudon": "fast", "passepied": "fast", "hornpipe": "fast",
    "saltarello": "fast", "polka": "fast", "galop": "fast", "toccata": "fast", "burlesca": "fast",
    # super_fast
    "tarantella": "super_fast", "tarantelle": "super_fast", "moto perpetuo": "super_fast",
    "perpetuum mobile": "super_fast",
}

#: Forms and titles that say nothing about tempo; listed so a reader sees they were considered. A
#: title made only of these is tagged None with source "none".
NO_TEMPO_FORMS: tuple[str, ...] = (
    "finale", "rondo", "rondeau", "romance", "romanze", "romanza", "theme and variations", "variations",
    "tema con variazioni", "intermezzo", "capriccio", "fantasia", "prelude", "praeludium", "fugue", "fuga",
    "introduction", "introduzione", "aria", "air", "cavatina", "serenade", "serenata", "humoresque",
    "impromptu", "dumka", "burleske", "romance sans paroles",
)

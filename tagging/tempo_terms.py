"""The tempo table: every word the tempo rules know, and nothing else.

Read this file first. :mod:`earsense_m2t.tagging.tempo` holds only the rules that read it, so a new term, a new
language or a different decision about a dance form is a one-line change here. Entries are written
the way scores print them (accents, ``ß``, capitals as you like): the rules compare them after
folding case and accents, so ``mäßig``, ``Mässig`` and ``MASSIG`` are one entry. German entries also
match their inflected forms (``langsam`` → ``langsame``, ``langsames``, ``langsamen``…) and French
ones their feminine/plural forms (``lent`` → ``lente``, ``animé`` → ``animée``); see
``INFLECTED_ENDINGS``.

The four classes are ordinal: slow < medium < fast < super_fast. A movement with no tempo information
is tagged ``None`` (the dataset's null), never a guess.

Decisions written down here (the dataset card quotes them):

- ``allegro moderato`` / ``mäßig schnell`` / ``moderately fast`` are *fast*: the tempo word is the
  main word, the moderating one qualifies it. ``Allegro molto moderato`` therefore stays fast (the
  intensifier belongs to ``moderato``).
- ``allegro (ma) non troppo`` stays fast: a restraint written *after* a term never changes its class;
  only a negation written *before* a fast term lowers it (``non troppo presto`` → fast, ``nicht zu
  schnell`` → medium).
- ``bewegt`` / ``con moto`` / ``with movement`` are fast, but ``mäßig bewegt``, ``ruhig bewegt`` and
  ``etwas bewegt`` (moderately/calmly/somewhat moving) are medium.
- Calm words without a tempo word (``ruhig``, ``calme``, ``tranquillo``) are slow.
- Forms take their usual tempo only when the title has no tempo word at all (source ``form``); a
  tarantella is super_fast, a funeral march slow, a scherzo fast, a minuet medium.
"""

from __future__ import annotations

from collections.abc import Mapping

#: The classes, slowest first; the rules compare positions in this tuple.
TEMPO_CLASSES: tuple[str, ...] = ("slow", "medium", "fast", "super_fast")

# ---------------------------------------------------------------------------------------------
# Single words, per class and language ("it", "fr", "de", "en").
# ---------------------------------------------------------------------------------------------
TEMPO_WORDS: Mapping[str, Mapping[str, tuple[str, ...]]] = {
    "slow": {
        "it": ("grave", "largo", "larghetto", "larghissimo", "lento", "lentamente", "adagio", "adagietto",
               "adagissimo", "calmo", "tranquillo"),
        "fr": ("lent", "lentement", "grave", "calme"),
        "de": ("langsam", "getragen", "breit", "ruhig"),
        "en": ("slow", "slowly", "calm"),
    },
    "medium": {
        "it": ("andante", "andantino", "moderato", "moderatamente", "allegretto", "comodo", "commodo",
               "maestoso", "scorrevole"),
        "fr": ("modéré", "modérément", "allant", "coulant"),
        "de": ("mäßig", "gemächlich", "gehend", "fließend"),
        "en": ("moderate", "moderately", "flowing", "stately", "leisurely"),
    },
    "fast": {
        "it": ("allegro", "vivace", "vivo", "animato", "agitato", "veloce", "rapido", "mosso"),
        "fr": ("animé", "vif", "vive", "vite", "vivement", "rapide", "gai"),
        "de": ("lebhaft", "schnell", "rasch", "bewegt", "frisch", "feurig", "munter"),
        "en": ("fast", "quick", "quickly", "lively", "brisk", "briskly", "rapid", "rapidly"),
    },
    "super_fast": {
        "it": ("presto", "prestissimo", "vivacissimo", "allegrissimo", "velocissimo"),
        "fr": (),
        "de": (),
        "en": (),
    },
}

# ---------------------------------------------------------------------------------------------
# Multiword phrases, per class and language. At any position the longest phrase wins over the
# words inside it, so these override the single words above.
# ---------------------------------------------------------------------------------------------
TEMPO_PHRASES: Mapping[str, Mapping[str, tuple[str, ...]]] = {
    "slow": {
        "it": ("adagio assai", "lento assai", "adagio molto", "molto adagio", "largo assai"),
        "fr": ("très lent", "assez lent", "très lentement"),
        "de": ("sehr langsam", "ziemlich langsam", "mäßig langsam", "nicht zu langsam"),
        "en": ("very slow", "very slowly", "moderately slow", "not too slow"),
    },
    "medium": {
        "it": ("tempo di minuetto", "tempo di menuetto", "tempo d'un menuetto", "tempo di valse",
               "tempo di valzer", "tempo di marcia", "tempo di polacca", "tempo comodo", "tempo moderato",
               "poco allegretto"),
        "fr": ("assez modéré", "mouvement de menuet", "mouvement de valse", "sans lenteur"),
        "de": ("mäßig bewegt", "ruhig bewegt", "etwas bewegt", "im zeitmaß eines menuetts",
               "im tempo eines menuetts"),
        "en": ("walking pace", "at a walking pace", "in the tempo of a minuet", "gently flowing"),
    },
    "fast": {
        "it": ("allegro con brio", "allegro con fuoco", "allegro ma non troppo", "allegro non troppo",
               "allegro non tanto", "con fuoco", "con brio", "con moto"),
        "fr": ("assez vif", "assez animé", "avec mouvement", "assez vite"),
        "de": ("mäßig schnell", "mit bewegung", "ziemlich schnell", "ziemlich lebhaft"),
        "en": ("with movement", "moderately fast", "fairly fast", "moderately quick"),
    },
    "super_fast": {
        "it": ("allegro molto", "allegro assai", "allegro di molto", "allegro vivace", "allegro vivacissimo",
               "molto allegro", "molto vivace", "vivace assai", "il più presto possibile"),
        "fr": ("très vif", "très vite", "très animé", "très rapide", "le plus vite possible",
               "aussi vite que possible"),
        "de": ("sehr schnell", "sehr lebhaft", "sehr rasch", "so rasch wie möglich",
               "so schnell wie möglich", "äußerst schnell", "äußerst rasch"),
        "en": ("very fast", "very quick", "very lively", "as fast as possible", "extremely fast"),
    },
}

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

#: Written right before a fast or super_fast term, lower it by one class ("non troppo presto" → fast,
#: "nicht zu schnell" → medium). Slow and medium terms are not changed.
LOWERING: tuple[str, ...] = ("non troppo", "non tanto", "non", "nicht zu", "nicht so", "nicht", "pas trop", "pas",
                             "not too", "not so", "not")

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

"""Word lists the article aligner (``crawlers/align.py``) reads; data only, no logic.

Every word here is written *folded*: lower case, accents removed, "ß" as "ss" (the aligner folds the
article and the movement titles the same way before comparing), so "Très lent", "TRES LENT" and
"tres lent" are one phrase. Lists are deliberately small: each entry should be a word an EarSense
author actually uses to point at a movement, and adding a common English word costs precision
everywhere. Change a list here, re-run ``tests/crawlers/test_align.py``, and say so in the dataset
card, which quotes these rules.
"""

from __future__ import annotations

# ----------------------------------------------------------------------------------------------
# Ordinal and positional references

#: "the second movement", "the third piece", "the first and second movements", sentence-initial
#: "The fourth, …". Numbers are 1-based movement numbers.
ORDINALS: dict[str, int] = {
    "first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5,
    "sixth": 6, "seventh": 7, "eighth": 8, "ninth": 9, "tenth": 10,
    "1st": 1, "2nd": 2, "3rd": 3, "4th": 4, "5th": 5, "6th": 6, "7th": 7, "8th": 8, "9th": 9, "10th": 10,
}

#: "movement two", "movement II", "movement 3": the number after the noun.
MOVEMENT_NUMBERS: dict[str, int] = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10,
    "i": 1, "ii": 2, "iii": 3, "iv": 4, "v": 5, "vi": 6, "vii": 7, "viii": 8, "ix": 9, "x": 10,
    "1": 1, "2": 2, "3": 3, "4": 4, "5": 5, "6": 6, "7": 7, "8": 8, "9": 9, "10": 10,
}

#: adjectives that name the first movement when followed by a movement noun, a form word or a title
#: word ("the opening Allegro", "the opening movement"); never on their own ("a door opening onto").
FIRST_WORDS: frozenset[str] = frozenset({"opening"})

#: adjectives that name the last movement under the same condition ("the last movement", "the closing
#: Rondo", "the final piece"). "last" alone ("left for last") is not a reference.
LAST_WORDS: frozenset[str] = frozenset({"last", "final", "closing", "concluding"})

#: nouns for the last movement on their own: "the finale", "a brilliant finale".
FINALE_WORDS: frozenset[str] = frozenset({"finale", "finales"})

#: "the penultimate movement" → movement n-1.
PENULTIMATE_WORDS: frozenset[str] = frozenset({"penultimate"})

#: "the middle movement" → movement (n+1)/2, only when n is odd (otherwise there is no middle one).
MIDDLE_WORDS: frozenset[str] = frozenset({"middle", "central", "centre", "center"})

#: "the next movement", "the following movement" → the movement after the one being discussed.
NEXT_WORDS: frozenset[str] = frozenset({"next", "following"})

#: nouns that make an ordinal a movement reference ("second movement", "third piece").
MOVEMENT_NOUNS: frozenset[str] = frozenset({
    "movement", "movements", "mvt", "mvts", "piece", "pieces", "number", "numbers",
})

#: words that, right after an ordinal or "opening"/"last", show it is *not* a movement reference:
#: "the first violin", "the second theme", "the opening bars", "the last chord", "the fifth of the set".
NON_MOVEMENT_NOUNS: frozenset[str] = frozenset({
    "violin", "violins", "violinist", "viola", "cello", "cellist", "bass", "horn", "oboe", "flute",
    "clarinet", "bassoon", "piano", "pianist", "player", "players", "voice", "voices", "part", "parts",
    "theme", "themes", "subject", "subjects", "idea", "ideas", "motif", "motive", "motto", "tune",
    "melody", "phrase", "phrases", "gesture", "chord", "chords", "note", "notes", "bar", "bars",
    "measure", "measures", "beat", "beats", "page", "pages", "section", "sections", "half", "episode",
    "episodes", "variation", "variations", "trio", "trios", "statement", "entry", "entries",
    "time", "times", "performance", "performances", "recording", "recordings", "edition", "version",
    "versions", "publication", "printing", "draft", "sketch", "sketches", "set", "book", "year",
    "years", "work", "works", "quartet", "quartets", "quintet", "sonata", "sonatas", "few",
    "of", "to", "in", "on", "at", "for", "and", "or", "with", "by", "from", "place", "step",
    "impression", "glance", "sight", "hearing", "climax", "cadence", "key",
})

#: sentence-initial "The third, …" / "The fourth is lively" counts as an ordinal reference when the
#: word after the ordinal is not in NON_MOVEMENT_NOUNS. Only these heads may start such a sentence.
BARE_ORDINAL_HEADS: frozenset[str] = frozenset({"the", "a"})
#: … and "In the second, the cello answers": a preposition, "the", the ordinal.
BARE_ORDINAL_PREPOSITIONS: frozenset[str] = frozenset({"in", "by", "for", "throughout", "during"})
BARE_LAST_WORDS: frozenset[str] = frozenset({"last"})

#: "the slow movement" → the movement whose title is slow (see SLOW_WORDS).
SLOW_MOVEMENT_PHRASES: tuple[str, ...] = (
    "slow movement", "slow middle movement", "slow central movement", "slow inner movement",
)

#: tempo words that make a title slow, strongest first. A title is slow when its *main* section
#: (after the last dash: "Adagio – Allegro vivace" is fast with a slow introduction) holds one.
#: Kept here because the aligner may not depend on the tempo tagger.
SLOW_WORDS_STRONG: frozenset[str] = frozenset({
    "adagio", "adagietto", "largo", "larghissimo", "lento", "lent", "lentement", "grave",
    "langsam", "langsamer", "slow", "slowly", "tres lent",
})
SLOW_WORDS_MODERATE: frozenset[str] = frozenset({
    "andante", "andantino", "larghetto", "sehr ruhig", "getragen", "lentamente",
})

# ----------------------------------------------------------------------------------------------
# Words in titles and in the article

#: form words, folded alias → canonical word; both titles and article are mapped before matching, so
#: "the minuet" finds "Menuetto. Allegro" and "variations" finds "Allegretto con variazioni".
#: "trio" is deliberately absent: it also names the genre ("the trio ends in shadow" in a piano
#: trio article), so the aligner treats it as continuation of a dance movement, never as a cue.
FORM_ALIASES: dict[str, str] = {
    "minuet": "minuet", "minuets": "minuet", "menuetto": "minuet", "minuetto": "minuet",
    "menuet": "minuet", "menuett": "minuet", "minuetto's": "minuet",
    "scherzo": "scherzo", "scherzos": "scherzo", "scherzi": "scherzo",
    "rondo": "rondo", "rondos": "rondo", "rondeau": "rondo",
    "variations": "variations", "variation": "variations", "variazioni": "variations",
    "variazione": "variations", "variationen": "variations",
    "fugue": "fugue", "fuga": "fugue", "fugato": "fugue", "fuge": "fugue",
    "romance": "romance", "romanze": "romance", "romanza": "romance",
    "intermezzo": "intermezzo", "intermezzi": "intermezzo",
    "introduction": "introduction", "introduzione": "introduction", "einleitung": "introduction",
    "finale": "finale", "finales": "finale",
    "march": "march", "marcia": "march", "marche": "march", "marsch": "march",
    "waltz": "waltz", "valse": "waltz", "walzer": "waltz",
    "landler": "landler", "polonaise": "polonaise", "polacca": "polonaise",
    "barcarolle": "barcarolle", "barcarola": "barcarolle",
    "elegy": "elegy", "elegie": "elegy", "elegia": "elegy",
    "nocturne": "nocturne", "notturno": "nocturne",
    "serenade": "serenade", "serenata": "serenade", "canzonetta": "canzonetta",
    "cavatina": "cavatina", "chaconne": "chaconne", "ciaccona": "chaconne",
    "passacaglia": "passacaglia", "sarabande": "sarabande", "sarabanda": "sarabande",
    "gavotte": "gavotte", "gavotta": "gavotte", "gigue": "gigue", "giga": "gigue",
    "allemande": "allemande", "courante": "courante", "corrente": "courante",
    "toccata": "toccata", "fantasia": "fantasia", "fantasie": "fantasia",
    "prelude": "prelude", "preludio": "prelude", "praludium": "prelude",
    "capriccio": "capriccio", "burlesque": "burlesque", "burlesca": "burlesque",
    "dumka": "dumka", "siciliano": "siciliano", "siciliana": "siciliano", "pastorale": "pastorale",
    "recitative": "recitative", "recitativo": "recitative", "aria": "aria", "arioso": "arioso",
    "chorale": "chorale", "choral": "chorale",
}

#: canonical form words (values of FORM_ALIASES), for "is this token a form word?"
FORM_WORDS: frozenset[str] = frozenset(FORM_ALIASES.values())

#: form words that name a *section* inside a movement as often as a movement ("a slow
#: introduction", "a hushed chorale", "a fugal coda"): they find a title that contains them, but
#: never stand for a movement no title names.
SECTION_WORDS: frozenset[str] = frozenset({
    "introduction", "chorale", "recitative", "arioso", "fugue", "prelude", "aria",
})

#: single title words that are enough on their own to point at a title ("the Adagio", "lebhaft").
#: A title word *not* listed here (an ordinary word such as "slow", "lively", "flowing", "humor")
#: only counts as part of a run of at least two significant title words ("slow and expressive").
TEMPO_TERMS: frozenset[str] = frozenset({
    # Italian
    "allegro", "allegretto", "andante", "andantino", "adagio", "adagietto", "largo", "larghetto",
    "larghissimo", "lento", "presto", "prestissimo", "vivace", "vivacissimo", "vivo", "moderato",
    "grave", "maestoso", "cantabile", "sostenuto", "scherzando", "grazioso", "animato", "agitato",
    "comodo", "tranquillo", "mesto", "energico", "espressivo", "risoluto", "giocoso", "appassionato",
    "lamentoso", "marcato", "affettuoso", "amoroso", "dolce", "spiritoso", "lentamente",
    # French
    "lent", "lentement", "vif", "vite", "modere", "anime", "calme", "decide", "rythme", "expressif",
    # German
    "langsam", "lebhaft", "rasch", "schnell", "bewegt", "ruhig", "massig", "innig", "zart", "kraftig",
    "feurig", "munter", "getragen", "frisch", "markiert", "heiter", "lustig", "gemachlich", "humor",
})

#: title words that never count: connectives, intensifiers and numbering. "trio" is here because a
#: "Scherzo – Trio" title must be found by "scherzo", not by the genre word.
GENERIC_TITLE_WORDS: frozenset[str] = frozenset({
    "e", "ed", "ma", "non", "troppo", "con", "di", "del", "della", "molto", "poco", "assai", "piu",
    "meno", "quasi", "un", "una", "il", "la", "le", "les", "l", "et", "tres", "assez", "peu", "avec",
    "und", "nicht", "zu", "doch", "sehr", "mit", "etwas", "ziemlich", "im", "in", "the", "and", "a",
    "an", "of", "with", "very", "not", "too", "but", "trio", "tempo", "primo", "i", "ii", "iii", "iv",
    "v", "vi", "no", "op", "sempre", "ben", "bien", "mais", "moto", "mosso", "movement", "satz",
    "mouvement", "doucement", "ton", "spielen", "viel", "s",
})

# ----------------------------------------------------------------------------------------------
# What a sentence says about its own scope

#: a movement mention right after one of these words is a *reference point*, not the topic ("After
#: the Allegro comes a tender Andante", "the theme of the first movement returns"). It is dropped
#: when the same sentence names another movement as its topic; alone it still counts.
BACK_REFERENCE_WORDS: frozenset[str] = frozenset({
    "after", "following", "like", "unlike", "than", "of", "from", "recalls", "recalling", "recall",
    "echoes", "echoing", "echo", "before", "preceding", "quotes", "quoting", "since", "resembles",
})

#: a mention followed closely by "of"/"from" and one of these words is about *another* work ("the
#: Adagio of his Op. 59 quartet", "the finale of the Fifth Symphony") and is no cue at all.
OTHER_WORK_WORDS: frozenset[str] = frozenset({
    "op", "opus", "opp", "symphony", "symphonies", "concerto", "concertos", "opera", "operas",
    "other", "earlier", "previous", "another", "bwv", "kv", "hob", "woo",
})
#: "… of his first quartet": an ordinal followed by one of these also names another work.
WORK_GENRES: frozenset[str] = frozenset({
    "quartet", "quintet", "sextet", "septet", "octet", "nonet", "sonata", "trio", "symphony",
    "concerto", "serenade", "suite", "divertimento", "quartets", "sonatas", "trios", "symphonies",
})

#: a movement mention right after one of these is negated and ignored ("There is no slow movement").
NEGATION_WORDS: frozenset[str] = frozenset({"no", "without", "not", "lacks", "instead", "rather", "nor"})

#: phrases that announce the next movement; they let a form word that matches no title ("is followed
#: by a quicksilver scherzo") stand for the next movement no other cue claims.
ORDER_CUES: tuple[str, ...] = (
    "next comes", "then comes", "comes next", "there follows", "that follows", "which follows",
    "follows", "followed by", "after this", "after that", "then a", "next a", "next, a",
)

#: words right after a form word that make it descriptive, not a reference ("sonata form",
#: "a minuet-like lilt", "rondo rhythm").
FORM_DESCRIPTIVE_FOLLOWERS: frozenset[str] = frozenset({
    "form", "forms", "like", "style", "rhythm", "rhythms", "character", "manner", "fashion", "spirit",
    "theme", "themes", "subject", "tradition", "traditions",
})

#: phrases that make a cue-less sentence about the whole work; inside a paragraph they end the
#: passage being built ("Taken as a whole, …", "every movement surprises").
WORK_LEVEL_MARKERS: tuple[str, ...] = (
    "as a whole", "whole work", "entire work", "the work as", "every movement", "each movement",
    "all the movements", "all of the movements", "all four movements", "all three movements",
    "all five movements", "the four movements", "the three movements", "the five movements",
    "across the movements", "the outer movements", "the inner movements", "the middle movements",
    "both movements", "the movements", "taken together", "in sum", "in short", "overall",
)

#: a paragraph whose first sentence has no cue continues the previous paragraph's movement only
#: when it opens with one of these (folded, matched against the sentence start) and names no
#: whole-work noun from WORK_NOUNS.
CONTINUATION_OPENERS: tuple[str, ...] = (
    "it ", "its ", "it's ", "here ", "here,", "this movement", "the movement", "then ", "later ",
    "soon ", "now ", "again ", "meanwhile", "towards the end", "toward the end", "at the end",
    "in the middle", "the middle section", "its middle section", "the coda", "the trio", "its trio",
    "in the trio", "the reprise", "the recapitulation", "the development", "the return", "when the",
)

#: nouns that show a sentence is about the whole work (used only for cue-less paragraph openers).
WORK_NOUNS: tuple[str, ...] = (
    "the work", "this work", "the quartet", "the quintet", "the sextet", "the septet", "the octet",
    "the sonata", "the suite", "the set", "the cycle", "the composer", "the piece as", "the whole",
)

#: movements whose title holds one of these have a trio; "trio" in a new paragraph continues them.
DANCE_WORDS: frozenset[str] = frozenset({"minuet", "scherzo", "landler", "waltz", "trio"})

# ----------------------------------------------------------------------------------------------
# Sentence splitting

#: a period after one of these (folded, without the period) does not end a sentence: "Op. 44",
#: "No. 8", "ca. 1850", "e.g. the Adagio", "St. Petersburg", "cf. the trio".
ABBREVIATIONS: frozenset[str] = frozenset({
    "op", "opp", "no", "nos", "nr", "ca", "c", "e.g", "i.e", "eg", "ie", "st", "mr", "mrs", "ms",
    "dr", "prof", "vs", "cf", "vol", "vols", "p", "pp", "ed", "eds", "arr", "fig", "approx", "jr",
    "sr", "mme", "mlle", "mt", "ft", "bwv", "hob", "kv", "woo", "sz", "mvt", "mvts",
    "resp", "viz", "incl", "orig", "transl", "rv", "hwv", "trv", "posth",
})

#: roman numerals that may precede a period inside a sentence ("Part II. Andante" numbering); "I"
#: is left out because "… than I." ends sentences.
ROMAN_NUMERALS: frozenset[str] = frozenset({
    "ii", "iii", "iv", "v", "vi", "vii", "viii", "ix", "x", "xi", "xii",
})

#: after a single capital letter and a period ("J. S. Bach", "in A. The finale"), a following word
#: from this list means the letter ended a sentence; any other word means it was an initial.
SENTENCE_STARTERS: frozenset[str] = frozenset({
    "the", "a", "an", "it", "its", "this", "that", "these", "those", "in", "on", "at", "after",
    "before", "but", "and", "yet", "so", "then", "here", "there", "when", "while", "with", "as",
    "his", "her", "their", "our", "we", "you", "he", "she", "they", "one", "each", "every", "both",
    "all", "no", "nothing", "few", "many", "most", "some", "next", "finally", "later",
})

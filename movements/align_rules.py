"""Word lists the article aligner (``movements/align.py``) reads; data only, no logic.

Every word here is written *folded*: lower case, accents removed, "ß" as "ss" (the aligner folds the
article and the movement titles the same way before comparing), so "Très lent", "TRES LENT" and
"tres lent" are one phrase. Lists are deliberately small: each entry should be a word an EarSense
author actually uses to point at a movement, and adding a common English word costs precision
everywhere. Change a list here, re-run ``tests/movements/test_align.py`` and
``scripts/align_accuracy.py`` (the real-article table), and say so in the dataset card, which quotes
these rules.
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

#: "the two middle movements", "the inner movements" → movements 2..n-1; "the outer movements" → 1
#: and n (only when the count is known, and only as the sentence's subject: "The two middle
#: movements are conventional", not "the weight falls on the outer movements"). Matched on folded text.
GROUP_REFERENCES: dict[str, str] = {
    "inner movements": "inner", "middle movements": "inner", "central movements": "inner",
    "outer movements": "outer",
}

#: the words that may precede such a subject group reference at the start of a sentence.
GROUP_SUBJECT_LEADS: frozenset[str] = frozenset({"the", "both", "two", "its", "all", "of"})

#: "The quartet begins with …", "In four movements, it opens with …", "This four-movement work
#: begins with …": a whole-work subject, one of these verbs, then "with" names movement 1.
WORK_OPENING_VERBS: frozenset[str] = frozenset({"begins", "opens", "starts", "commences"})
#: "The work closes with …", "The quartet ends with a set of variations": the last movement, as "the
#: finale" is (same subjects; "it" only when no movement is being discussed).
WORK_CLOSING_VERBS: frozenset[str] = frozenset({"closes", "ends", "concludes", "finishes"})
#: the subjects of such a sentence ("it" only when no movement is being discussed; "trio" only when
#: the movement being discussed is not a minuet or scherzo, whose trio section it would be).
WORK_SUBJECTS: frozenset[str] = frozenset({
    "it", "work", "quartet", "quintet", "sextet", "septet", "octet", "nonet", "trio", "sonata",
    "sonatina", "serenade", "suite", "divertimento", "piece", "duo", "cassation", "notturno",
})

#: number words of "In four movements", "a three-movement work", "all five movements": the count of
#: movements when the caller knows neither titles nor count.
COUNT_WORDS: dict[str, int] = {
    "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10,
    "2": 2, "3": 3, "4": 4, "5": 5, "6": 6, "7": 7, "8": 8, "9": 9, "10": 10,
}
#: … and the words that may stand right before the number ("in four movements", "its three
#: movements", "a four-movement work" is matched by the hyphen).
COUNT_LEADS: frozenset[str] = frozenset({"in", "its", "all", "has", "of", "with", "into"})

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
#: … and only when the ordinal is followed by a comma ("The second, a tender song, …") or by one of
#: these verbs ("The fourth is lively"): "The first concert she gave", "A second marriage" and "The
#: last decade of his life" are not movement references.
BARE_ORDINAL_VERBS: frozenset[str] = frozenset({
    "is", "was", "has", "begins", "opens", "starts", "brings", "offers", "follows", "comes", "returns",
    "sets", "dances", "sings", "ends", "closes", "moves", "takes", "turns", "features", "presents",
})

#: … and a sentence-initial ordinal right before one of these: "Second comes a Minuet", "Third follows …".
ORDINAL_ARRIVALS: frozenset[str] = frozenset({"comes", "follows"})

#: phrases that name the last movement by what it does to the work ("A sparkling Vivace rounds off the
#: work", "Closing the work is an Allegro giocoso"), used when the sentence names no position itself.
LAST_PHRASES: tuple[str, ...] = (
    "rounds off the work", "round off the work", "closing the work", "closes the work", "concludes the work",
    "ends the work", "to close the work", "to end the work", "rounds off the quartet", "closes the quartet",
    "concludes the quartet", "ends the quartet", "rounds off the trio", "closes the trio", "ends the trio",
    "concludes the trio", "rounds off the sonata", "closes the sonata", "ends the sonata",
    "concludes the sonata", "rounds off the quintet", "closes the quintet", "ends the quintet",
)
#: "A second Minuet", "another Scherzo": a form word named before now stands for a new movement.
ANOTHER_WORDS: frozenset[str] = frozenset({"second", "another", "other"})

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
    "chorale": "chorale", "choral": "chorale", "sicilienne": "siciliano",
}

#: canonical form words (values of FORM_ALIASES), for "is this token a form word?"
FORM_WORDS: frozenset[str] = frozenset(FORM_ALIASES.values())

#: form words that also name the genre of a whole work ("His Serenade in E-flat", "The serenade is
#: not difficult"): like "trio", they find a title that contains them but never stand for a movement
#: no title names.
GENRE_FORM_WORDS: frozenset[str] = frozenset({"serenade"})

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

#: … and these word pairs do the same: "As in the Scherzo, dance rhythms dominate the finale".
BACK_REFERENCE_PAIRS: frozenset[tuple[str, str]] = frozenset({("as", "in"), ("as", "at"), ("as", "with")})

#: … except when the word has its own pronoun object: in "After this the minuet brings us back" the
#: minuet is the topic.
PRONOUN_OBJECTS: frozenset[str] = frozenset({"this", "that", "it", "which", "these", "those", "them"})

#: "the movement", "this movement": the one being discussed, not a new one (rule 4 of align.py:
#: "A graceful second subject follows, and the movement closes quietly" does not move on).
ANAPHORIC_DETERMINERS: frozenset[str] = frozenset({"the", "this", "that", "its"})

#: a mention followed closely by "of"/"from" and one of these words is about *another* work ("the
#: Adagio of his Op. 59 quartet", "the finale of the Fifth Symphony") and is no cue at all.
OTHER_WORK_WORDS: frozenset[str] = frozenset({
    "op", "opus", "opp", "symphony", "symphonies", "concerto", "concertos", "opera", "operas",
    "other", "earlier", "previous", "another", "bwv", "kv", "hob", "woo",
    # "the finale of a concert", "the opening of the season": an event, not a movement
    "concert", "concerts", "evening", "programme", "program", "recital", "season", "festival",
})
#: "… of his first quartet": an ordinal followed by one of these also names another work.
WORK_GENRES: frozenset[str] = frozenset({
    "quartet", "quintet", "sextet", "septet", "octet", "nonet", "sonata", "trio", "symphony",
    "concerto", "serenade", "suite", "divertimento", "quartets", "sonatas", "trios", "symphonies",
})

#: a sentence that *starts* with another work of the composer ("His first quartet had been
#: criticised for the length of its opening movement", "Her opera's finale …") has no cues: a
#: possessive, then within two words a genre that is another work outright (OTHER_GENRES), or a genre
#: from WORK_GENRES after one of OTHER_WORK_ADJECTIVES or an ordinal.
POSSESSIVES: frozenset[str] = frozenset({"his", "her", "their"})
OTHER_GENRES: frozenset[str] = frozenset({
    "opera", "operas", "symphony", "symphonies", "concerto", "concertos", "oratorio", "mass",
    "cantata", "ballet", "overture",
})
OTHER_WORK_ADJECTIVES: frozenset[str] = frozenset({"earlier", "previous", "other", "later", "next", "last", "early"})

#: a movement mention right after one of these is negated and ignored ("There is no slow movement").
NEGATION_WORDS: frozenset[str] = frozenset({"no", "without", "not", "lacks", "instead", "rather", "nor"})

#: phrases that announce the next movement. They let a form word that matches no title ("is followed
#: by a quicksilver scherzo") stand for the next movement no other cue claims, and a sentence with no
#: placeable cue that names a movement-like thing (a tempo term, a form word, "movement": "Next comes
#: a Lento" when the recording says Adagio) stand for the movement after the one being discussed.
#: "A short development follows" names no such thing and stays where it is.
ORDER_CUES: tuple[str, ...] = (
    "next comes", "then comes", "comes next", "there follows", "that follows", "which follows",
    "follows", "followed by", "after this", "after that", "then a", "next a", "next, a", "then an",
    "next is", "then follows", "succeeded by",
)
#: a form word counts as introduced by an order phrase only within this many words after it
ORDER_REACH: int = 3

#: a sentence opening with one of these walks on to the next movement unless what comes (the next
#: five words) is a section of a movement or another non-movement noun: "Then comes a lament, not
#: fast" moves on, "Then comes the development" does not.
STRONG_ORDER_OPENERS: tuple[str, ...] = ("next comes ", "then comes ", "next there is ", "after that comes ")
MOVEMENT_SECTION_NOUNS: frozenset[str] = frozenset({
    "development", "recapitulation", "reprise", "coda", "codetta", "exposition", "transition",
    "bridge", "cadenza", "fugato", "introduction", "return", "passage", "climax", "interlude",
    "trio", "middle", "second", "contrasting", "solo", "outburst", "surprise",
})

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
    "across the movements", "both movements", "the movements", "taken together", "in sum", "in short",
    "overall",
)

#: a paragraph whose first sentence has no cue continues the previous paragraph's movement only
#: when it opens with one of these (folded, matched against the sentence start) and names no
#: whole-work noun from WORK_NOUNS.
#: ("the trio" is not here: a trio continues the previous paragraph only after a minuet or scherzo,
#: see DANCE_WORDS; in a piano trio article "The trio is well worth exploring" is about the work.)
CONTINUATION_OPENERS: tuple[str, ...] = (
    "it ", "its ", "it's ", "here ", "here,", "this movement", "the movement", "then ", "later ",
    "soon ", "now ", "again ", "meanwhile", "towards the end", "toward the end", "at the end",
    "in the middle", "the middle section", "its middle section", "the coda", "its trio",
    "the reprise", "the recapitulation", "the development", "the return", "when the",
)

#: nouns that show a sentence is about the whole work (used only for cue-less paragraph openers):
#: "the work", "a quartet", "a fine work", … (a noun within three words after a determiner).
WORK_NOUN_DETERMINERS: frozenset[str] = frozenset({"the", "this", "a", "an", "that"})
WORK_NOUN_WORDS: frozenset[str] = frozenset({
    "work", "quartet", "quintet", "sextet", "septet", "octet", "sonata", "sonatina", "suite", "set",
    "cycle", "composer", "whole", "serenade", "divertimento", "trio",
})

#: a sentence without a cue that names the whole work by one of these, after a WORK_NOUN_DETERMINERS
#: word, and speaks to players or listeners with one of RECOMMENDATION_WORDS ("Good amateurs will find the
#: quartet well within their reach") is about the work: work text ("A brilliant coda ends the work" is not)
RECOMMENDATION_WORDS: frozenset[str] = frozenset({
    "amateur", "amateurs", "players", "listeners", "audiences", "recommend", "recommended", "deserves",
    "reach", "repertoire", "ensembles", "performers"})
WHOLE_WORK_NOUNS: frozenset[str] = frozenset({
    "work", "quartet", "quintet", "sextet", "septet", "octet", "sonata", "sonatina", "suite"})

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

# ----------------------------------------------------------------------------------------------
# Text that belongs to no movement: quotations, attributions, biography, publisher text

#: quotation marks. A sentence that opens with one (a critic quoted at length: "“The opening Allegro
#: …") is part of a quotation until a sentence ends with a closing mark, or its paragraph ends and the
#: next one does not open with a mark again (English prints a mark at the start of every quoted
#: paragraph and closes only the last; a copy cut short may never close). Quoted sentences are aligned
#: like the article's own: on EarSense the quotation is often the movement-by-movement description.
QUOTE_OPENERS: str = "“\"„«‘'"
QUOTE_CLOSERS: str = "”\"»’“'"
#: a quotation whose mark closes inside its first sentence ("“Rosamunde” is the name …") quotes a phrase,
#: not the passage: only these closers, which are never apostrophes, are looked for inside a sentence.
INNER_QUOTE_CLOSERS: str = "”\"»"
#: a sentence that announces a quotation ("Hartwig describes the Trio as follows:", "Here is what he
#: wrote:") is work text, whatever cues it holds: it names the work the quotation then describes.
LEAD_IN_ENDINGS: tuple[str, ...] = (":",)
LEAD_IN_PHRASES: tuple[str, ...] = ("as follows", "had this to say", "has this to say", "in these words",
                                    "here is what", "here is how")
#: a paragraph that starts with one of these is an attribution ("—Jane Roe writing in her Handbook").
ATTRIBUTION_DASHES: tuple[str, ...] = ("—", "–", "―", "--", "- ", "~")

#: a sentence holding one of these (folded) is publisher text: it goes to no passage and not to the
#: work text either (``Alignment.excluded``), and so does the rest of its paragraph.
PUBLISHER_MARKERS: tuple[str, ...] = (
    "©", "(c) ", "copyright", "used by permission", "reprinted by permission", "by kind permission",
    "our edition", "our new edition", "our reprint", "we also offer", "we also publish", "we are pleased to", "we offer",
    "also available from", "available from", "parts are available", "score and parts are",
)

#: a paragraph whose first sentence holds life dates ("Anton Feldmayer (1811-1874) was …") or one
#: of these phrases is the composer's biography: its sentences are work text and hold no cues ("in
#: the last decade of her life", "A second marriage", "a Rondo for piano brought her first fame"),
#: up to the first sentence that speaks of movements (BIOGRAPHY_ENDS).
LIFE_DATES_PATTERN: str = r"\(\s*(?:c\.\s*|ca\.\s*|b\.\s*)?\d{4}\s*[-–—]\s*(?:c\.\s*)?\d{2,4}\s*\)"
BIOGRAPHY_MARKERS: tuple[str, ...] = (
    "was born", "born in", "born at", "studied", "took lessons", "the son of", "the daughter of",
    "his father", "her father", "his mother", "her mother", "his parents", "her parents", "married",
    "his career", "her career", "his life", "her life", "grew up", "childhood", "emigrated",
    "was appointed", "pupil of",
)
BIOGRAPHY_ENDS: tuple[str, ...] = (
    "movement", "begins with", "opens with", "starts with",
)

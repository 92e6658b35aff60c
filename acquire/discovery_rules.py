"""The rules the recording search scores candidates by, kept as data so they can be read and tuned
without touching the scoring code (:mod:`earsense_m2t.acquire.discovery`).

Words are matched on *folded* titles (accents removed, lower case, punctuation turned into spaces),
so every pattern here is written in that form: ``how to play`` also matches "How-To Play".
Patterns carry a word boundary on both sides, so ``cover`` does not fire on "discovery".
"""

from __future__ import annotations

# ---- hard rejects -------------------------------------------------------------------------------
# reason -> folded regexes. A title that matches any of them is not a performance of the whole work
# as written: teaching material, another instrumentation, a fragment, or an edited/derived track.
REJECT_PATTERNS: dict[str, tuple[str, ...]] = {
    "lesson": (r"lessons?", r"masterclass(es)?", r"master class", r"how to play", r"learn to play",
               r"for beginners", r"practice (video|track)", r"technique tips?"),
    "tutorial": (r"tutorials?", r"synthesia", r"sheet music tutorial"),
    "analysis": (r"analysis", r"explained", r"lecture", r"walkthrough", r"podcast"),
    "cover": (r"covers?", r"cover version", r"my version", r"guitar version", r"piano version",
              r"arr", r"arranged", r"arrangement", r"transcription", r"transcribed"),
    "karaoke": (r"karaoke", r"backing tracks?", r"play along", r"playalong", r"minus one",
                r"accompaniment track", r"no (violin|cello|viola|piano)"),
    "excerpt": (r"excerpts?", r"highlights?", r"snippet", r"preview", r"trailer", r"teaser",
                r"shorts", r"clip", r"fragment", r"theme only"),
    "reaction": (r"reacts?", r"reaction", r"reacting", r"first time hearing"),
    "derived_audio": (r"ringtones?", r"slowed", r"reverb", r"sped up", r"nightcore", r"8d",
                      r"8d audio", r"remix(ed)?", r"lo ?fi", r"bass boosted", r"mashup", r"midi",
                      r"\d+ hours?", r"loop(ed)?"),
    "rehearsal": (r"rehearsals?", r"sound ?check", r"warm ?up"),
}

# ---- soft signals -------------------------------------------------------------------------------
# Positive weights are normalised by the weights that apply to a work (a work without a catalogue
# number cannot earn the catalogue weight), so a perfect candidate scores 1.0 either way.
WEIGHTS: dict[str, float] = {
    "title_similarity": 0.45,  # share of the work's title tokens found in the candidate title
    "composer": 0.15,  # the composer's surname is in the title (or the uploader)
    "catalogue": 0.25,  # the catalogue number (Op. 44, K. 458, D. 810) is in the title
    "duration": 0.15,  # the duration fits the number of movements
}
# A duration we do not know earns this share of the duration weight: neither proof nor disproof.
UNKNOWN_DURATION_CREDIT = 0.5

# Penalties are subtracted after normalisation. They say "probably another work" or "only a part".
PENALTIES: dict[str, float] = {
    "catalogue_mismatch": 0.60,  # same catalogue kind, another number (Op. 45 for Op. 44)
    "number_mismatch": 0.40,  # "No. 9" for "No. 8"
    "key_mismatch": 0.30,  # "in D minor" for "in A major"
    "single_movement": 0.35,  # "II. Andante", "2nd movement" when the whole work is wanted
    "composer_missing": 0.0,  # recorded as a reason only; the missing weight already costs
}
# Small bonus for titles that announce the whole work (capped by the 1.0 ceiling).
BONUSES: dict[str, float] = {"complete_marker": 0.05}
COMPLETE_MARKERS: tuple[str, ...] = (r"complete", r"full", r"entire", r"integral", r"all movements")
SINGLE_MOVEMENT_PATTERNS: tuple[str, ...] = (
    r"(?:^|\s)(?:i|ii|iii|iv|v|vi|vii|viii)\s+(?:allegro|adagio|andante|largo|lento|presto|vivace|"
    r"menuet|menuetto|minuet|scherzo|finale|rondo|moderato|allegretto|grave|poco|molto|tema|"
    r"larghetto|romanze|romance|intermezzo)",
    r"(?:1st|2nd|3rd|[4-9]th|first|second|third|fourth|fifth|sixth) (?:movement|mvt|mov)",
    r"(?:movement|mvt|mov|satz) (?:[1-9]|i|ii|iii|iv|v|vi)\b",
)

# Default acceptance threshold for search_recordings: below it, nothing is taken.
THRESHOLD = 0.60

# ---- duration plausibility (seconds) ------------------------------------------------------------
# A whole-work recording of n movements lasts between n*min and n*max. Chamber movements run from a
# two-minute scherzo to a twenty-minute slow movement; outside that the video is an excerpt, a
# compilation or a loop.
PER_MOVEMENT_MIN_S = 120.0
PER_MOVEMENT_MAX_S = 20 * 60.0
# When the number of movements is unknown: a short single-movement piece up to a long quintet.
WHOLE_WORK_BOUNDS_S = (4 * 60.0, 90 * 60.0)
# One movement searched for on its own (scherzi can be short; some slow movements long).
SINGLE_MOVEMENT_BOUNDS_S = (60.0, 25 * 60.0)

# ---- text folding -------------------------------------------------------------------------------
# Tokens that carry no identity: a title match should not count "in", "op" or "no".
STOPWORDS: frozenset[str] = frozenset(
    "in for and the of a an no nr nro num op opus de di da la le el les des del von van der den und "
    "en et with from by on at to".split()
)
# Spellings of the same genre word in the languages classical titles come in.
TOKEN_ALIASES: dict[str, str] = {
    "quartett": "quartet", "quatuor": "quartet", "quartetto": "quartet", "cuarteto": "quartet",
    "quintett": "quintet", "quintuor": "quintet", "quintetto": "quintet",
    "sextett": "sextet", "sestetto": "sextet", "septett": "septet", "oktett": "octet",
    "ottetto": "octet", "sonate": "sonata", "sonaten": "sonata", "sonatas": "sonata",
    "streich": "string", "streichquartett": "quartet", "streichquintett": "quintet", "strings": "string",
    "klavier": "piano", "klaviertrio": "trio", "violine": "violin", "violon": "violin",
    "violino": "violin", "violoncello": "cello", "violoncelle": "cello", "bratsche": "viola",
    "dur": "major", "moll": "minor", "majeur": "major", "mineur": "minor", "maggiore": "major",
    "minore": "minor", "quartets": "quartet", "quintets": "quintet", "trios": "trio",
}
# Catalogue prefixes as they are written, folded -> canonical kind.
CATALOGUE_KINDS: dict[str, str] = {
    "op": "op", "opus": "op", "k": "k", "kv": "k", "bwv": "bwv", "d": "d", "hob": "hob",
    "rv": "rv", "woo": "woo", "sz": "sz", "bb": "bb", "twv": "twv", "hwv": "hwv", "l": "l",
    "fs": "fs", "jb": "jb", "b": "b", "h": "h", "m": "m", "s": "s", "trv": "trv", "cff": "cff",
}

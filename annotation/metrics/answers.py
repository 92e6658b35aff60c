"""The vocabulary of the relative annotations as data: answers, agreement levels, MusAV's patterns and codes.

The allowed values themselves are defined once in :mod:`earsense_m2t.schemas.annotation` (the records
validate against them); this module adds what the aggregation, the agreement measure and MusAV's file
format need on top: the names one at a time, MusAV's agreement patterns for three annotators, the
ordinal codes its Krippendorff script uses, and the strings its files write where this project writes
something else (``undefined`` for "no outcome", ``global_triplet`` / ``genre_triplet--<genre>`` for
triplet types).
"""

from __future__ import annotations

from types import MappingProxyType

from earsense_m2t.schemas.annotation import AGREEMENTS, ANSWERS, CONSISTENCIES, OUTCOMES, QUESTIONS, SUBSETS

# --- answers -------------------------------------------------------------------------------------------
A = "a"  # excerpt a is higher (more energetic / more positive)
B = "b"
AB = "ab"  # no difference
#: a skipped question (MusAV's raw files hold it): a record that the annotator saw the pair, but no vote
NOT_SELECTED = "not_selected"
#: the answers that are votes, in MusAV's ordinal order a < ab < b
VOTES: tuple[str, ...] = (A, AB, B)
#: what the web page accepts: a vote; imports also accept NOT_SELECTED (all of ANSWERS)
WEB_ANSWERS: tuple[str, ...] = VOTES

#: a → b and b → a when a judgment names its pair the other way round
FLIPPED = {A: B, B: A, AB: AB, NOT_SELECTED: NOT_SELECTED}

# --- agreement levels (exactly as MusAV's files write them) ------------------------------------------
FULL_AGREEMENT = "full-agreement"
MAJORITY_AGREEMENT = "majority-agreement"
DISAGREEMENT = "disagreement"
INCOMPLETE = "incomplete"
SILVER = "silver"  # not MusAV's: a computed label, never ground truth
#: ground truth: a complete pair whose annotators agree fully or by majority (MusAV's README: "FA or MA")
GROUND_TRUTH_AGREEMENTS: frozenset[str] = frozenset({FULL_AGREEMENT, MAJORITY_AGREEMENT})

# --- MusAV's rules for three annotators, as its script states them (answers sorted) ---------------------
MUSAV_ANNOTATORS = 3
MUSAV_FULL_AGREEMENT: tuple[tuple[str, str, str], ...] = ((A, A, A), (AB, AB, AB), (B, B, B))
#: two annotators agree and the third does not contradict them outright (a against b)
MUSAV_MAJORITY_AGREEMENT: tuple[tuple[str, str, str], ...] = ((A, A, AB), (AB, B, B), (A, AB, AB), (AB, AB, B))
#: MusAV's ``higher_value`` of a pair where no answer was given at least twice (this project: ``None``)
MUSAV_UNDEFINED = "undefined"

# --- Krippendorff's alpha: MusAV's ordinal codes (a < ab < b) ----------------------------------------------
ORDINAL: MappingProxyType[str, int] = MappingProxyType({A: -1, AB: 0, B: 1})

# --- triplet consistency and ground-truth subsets -------------------------------------------------------
CONSISTENT = "consistent"
INCONSISTENT = "inconsistent"
GT = "gt"  # full or majority agreement
GT_CT = "gt.ct"  # ... and the triplet's three ground-truth relations are transitive
GT_FA = "gt.fa"  # full agreement
GT_CT_FA = "gt.ct.fa"  # full agreement and a consistent triplet

# --- triplet types: this project's names and MusAV's --------------------------------------------------------
GLOBAL = "global"
GROUP_PREFIX = "group:"  # "group:<stratum>=<value>"
MUSAV_GLOBAL = "global_triplet"
MUSAV_GROUP_SEPARATOR = "_triplet--"  # "<stratum>_triplet--<value>", e.g. "genre_triplet--acid trance"

# the names above must be the schema's values: a rename in one place fails at import, not in a release
if set(VOTES) != set(OUTCOMES) or set(ANSWERS) != {*VOTES, NOT_SELECTED}:
    raise ImportError(f"annotation.metrics.answers: answers {VOTES} + {NOT_SELECTED!r} differ from the schema's {ANSWERS}")
if {FULL_AGREEMENT, MAJORITY_AGREEMENT, DISAGREEMENT, INCOMPLETE, SILVER} != set(AGREEMENTS):
    raise ImportError(f"annotation.metrics.answers: agreement names differ from the schema's {AGREEMENTS}")
if (GT, GT_CT, GT_FA, GT_CT_FA) != SUBSETS or {CONSISTENT, INCONSISTENT, INCOMPLETE} != set(CONSISTENCIES):
    raise ImportError(f"annotation.metrics.answers: subsets or consistency values differ from the schema's {SUBSETS}, "
                      f"{CONSISTENCIES}")

__all__ = [
    "AB", "A", "B", "NOT_SELECTED", "VOTES", "WEB_ANSWERS", "QUESTIONS",
    "FULL_AGREEMENT", "MAJORITY_AGREEMENT", "DISAGREEMENT", "INCOMPLETE", "SILVER", "GROUND_TRUTH_AGREEMENTS",
    "MUSAV_ANNOTATORS", "MUSAV_FULL_AGREEMENT", "MUSAV_MAJORITY_AGREEMENT", "MUSAV_UNDEFINED", "ORDINAL",
    "CONSISTENT", "INCONSISTENT", "GT", "GT_CT", "GT_FA", "GT_CT_FA",
    "GLOBAL", "GROUP_PREFIX", "MUSAV_GLOBAL", "MUSAV_GROUP_SEPARATOR",
]

"""Records of the MusAV-style relative annotations: the pool, the triplets, the judgments and the published rows.

MusAV (Bogdanov et al., ISMIR 2022) asks people which of two excerpts is more energetic (arousal) and
which more positive (valence) instead of asking for absolute ratings. Here one movement gives one
excerpt (:class:`PoolExcerpt`); three movements form a :class:`Triplet`, whose three pairs are each
asked both questions; every answer is a :class:`Judgment`; the answers of one pair and question are
aggregated into one :class:`RelativeAnnotation`, the row of the published ``relative_annotations``
config. Silver labels (computed from the audio and the expert text, so a release is useful before
anyone annotates) use the same two records with ``source="silver"``.

A pair is always named in triplet order: for a triplet ``(x, y, z)`` the pairs are ``x-y``, ``x-z``,
``y-z`` and ``pair_id = f"{a}-{b}"``. The vocabularies below are the single definition of the
allowed values (the aggregation, the web page and the validator read them from here).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Literal, get_args

from earsense_m2t.schemas.records import Record

Question = Literal["arousal", "valence"]
QUESTIONS: tuple[str, ...] = get_args(Question)
#: what an annotator may answer; ``not_selected`` (a skipped question, as in MusAV's raw files) counts as missing
Answer = Literal["a", "b", "ab", "not_selected"]
ANSWERS: tuple[str, ...] = get_args(Answer)
Outcome = Literal["a", "b", "ab"]
OUTCOMES: tuple[str, ...] = get_args(Outcome)
Agreement = Literal["full-agreement", "majority-agreement", "disagreement", "incomplete", "silver"]
AGREEMENTS: tuple[str, ...] = get_args(Agreement)
Subset = Literal["gt", "gt.ct", "gt.fa", "gt.ct.fa"]
SUBSETS: tuple[str, ...] = get_args(Subset)
Consistency = Literal["consistent", "inconsistent", "incomplete"]
CONSISTENCIES: tuple[str, ...] = get_args(Consistency)
JudgmentSource = Literal["human", "silver"]
JUDGMENT_SOURCES: tuple[str, ...] = get_args(JudgmentSource)
#: the stratum a "group" triplet is drawn within: ``group:<stratum>=<value>``
Stratum = Literal["ensemble", "tempo_tag", "composer"]
STRATA: tuple[str, ...] = get_args(Stratum)
GLOBAL_TRIPLET = "global"


def pair_id(a: str, b: str) -> str:
    """The id of a pair, its two movement ids in triplet order (MusAV's ``pairid``)."""
    return f"{a}-{b}"


@dataclass(frozen=True, kw_only=True)
class PoolExcerpt(Record):
    """One movement's listening excerpt: where it was cut, how loud the movement was, how it is played back."""

    kind: ClassVar[str] = "pool_excerpt"
    id: str  # the movement id (one excerpt per movement)
    movement_id: str
    work_id: str
    source_id: str  # the media the movement was cut from
    start_s: float  # excerpt start, seconds from the movement's start
    duration_s: float
    #: the movement's integrated loudness before normalization (the Clip's), the pool's admission test
    loudness_before_lufs: float
    #: gain applied to the excerpt so every excerpt plays at the same loudness (dB, can be negative)
    playback_gain_db: float
    excerpt_sha256: str  # of the rendered file: a cached file is reused only when it still hashes to this
    excerpt_file: str  # file name under the annotation folder's ``excerpts/`` ("<key>.ogg" or ".mp3")
    ensemble: str | None = None  # strata the group triplets are drawn within
    tempo_tag: str | None = None
    composer: str | None = None
    #: the excerpt's energy before playback gain (RMS in dB re full scale) and onsets per second: the
    #: silver arousal predictor's audio inputs
    rms_dbfs: float | None = None
    onset_rate_hz: float | None = None
    #: silver predictors: higher means more energetic / more positive; None when there was nothing to measure
    silver_arousal: float | None = None
    silver_valence: float | None = None


@dataclass(frozen=True, kw_only=True)
class Triplet(Record):
    """Three movements judged against each other; written once, never changed (rounds are append-only)."""

    kind: ClassVar[str] = "triplet"
    id: str  # "t" + the first 12 hex of sha256 over the sorted movement ids and the seed (stable across releases)
    round: int  # 1-based; a later release appends new rounds for new movements
    triplet_type: str  # "global" or "group:<stratum>=<value>"
    movement_ids: tuple[str, str, str]
    created_version: str | None = None  # the dataset version whose build first drew it

    def pairs(self) -> tuple[tuple[str, str], tuple[str, str], tuple[str, str]]:
        """The triplet's three pairs, in triplet order (as MusAV orders them)."""
        x, y, z = self.movement_ids
        return ((x, y), (x, z), (y, z))


@dataclass(frozen=True, kw_only=True)
class Judgment(Record):
    """One annotator's answer to one question about one pair (human) or one silver label."""

    kind: ClassVar[str] = "judgment"
    triplet_id: str
    a: str  # movement ids, in triplet order
    b: str
    question: str  # one of QUESTIONS
    answer: str  # one of ANSWERS: which one is higher, "ab" for no difference
    annotator: str  # a pseudonym, never the raw id a person typed
    source: str = "human"  # one of JUDGMENT_SOURCES
    submitted_at: str = ""  # ISO 8601 UTC
    #: whether the annotator played excerpt A / B before answering (the page reports it); None: not known
    #: (judgments stored before the page recorded it, imported files, silver labels)
    played_a: bool | None = None
    played_b: bool | None = None

    @property
    def pair_id(self) -> str:
        return pair_id(self.a, self.b)

    @property
    def id(self) -> str:
        """One answer per (triplet, pair, question, annotator): what makes a submission idempotent."""
        return f"{self.triplet_id}/{self.pair_id}/{self.question}/{self.annotator}"


@dataclass(frozen=True, kw_only=True)
class RelativeAnnotation(Record):
    """One pair and question, aggregated: the row of the published ``relative_annotations`` config."""

    kind: ClassVar[str] = "relative_annotation"
    pair_id: str  # "<a>-<b>"
    triplet_id: str
    triplet_type: str
    a: str
    b: str
    question: str  # one of QUESTIONS
    outcome: str | None  # one of OUTCOMES, None when there is no answer given often enough
    agreement: str  # one of AGREEMENTS
    subsets: tuple[str, ...] = ()  # the ground-truth subsets the row belongs to (SUBSETS)
    triplet_consistency: str | None = None  # one of CONSISTENCIES; None for silver rows
    source: str = "human"  # one of JUDGMENT_SOURCES
    annotators: int = 0  # how many people answered (not counting not_selected)
    in_dataset: bool = True  # False when one of the two movements has left the dataset (kept, marked)

    @property
    def id(self) -> str:
        return f"{self.pair_id}/{self.question}"


ANNOTATION_RECORD_TYPES: tuple[type[Record], ...] = (PoolExcerpt, Triplet, Judgment, RelativeAnnotation)

__all__ = [
    "AGREEMENTS",
    "ANNOTATION_RECORD_TYPES",
    "ANSWERS",
    "CONSISTENCIES",
    "GLOBAL_TRIPLET",
    "JUDGMENT_SOURCES",
    "OUTCOMES",
    "QUESTIONS",
    "STRATA",
    "SUBSETS",
    "Judgment",
    "PoolExcerpt",
    "RelativeAnnotation",
    "Triplet",
    "pair_id",
]

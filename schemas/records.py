"""The typed records that stages hand to each other.

One record type per concept, required fields first, ids as links (never nesting), units in the
field names (``_s`` seconds, ``_lufs``, ``_db``, ``_dbtp``, ``_hz``). Records are frozen: a stage that
changes one returns a new object (``dataclasses.replace``). The crawler yields these same classes as
Scrapy items (itemadapter understands dataclasses), and the published HF ``Features`` are derived
from them in :mod:`earsense_m2t.schemas.features`, so there is exactly one definition of each field.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, ClassVar, Literal, Protocol, TypeVar, get_args

# MAJOR: a field is removed or changes meaning/type; MINOR: a field is added; PATCH: docs only.
SCHEMA_VERSION = "1.5.0"  # 1.5: Excerpt, Clip.audio_sha256
# 1.4: Movement.text_from_quotation; 1.3: the relative annotations (PoolExcerpt, …)
# 1.2: the page's facts and per-recording movement lists, WorkText
# 1.1: Failure.code, Movement.expected_duration_s, AlbumTrack, Release

TempoTag = Literal["slow", "medium", "fast", "super_fast"]
TEMPO_CLASSES: tuple[str, ...] = get_args(TempoTag)
TempoSource = Literal["marking", "form", "none"]
TitleSource = Literal["page", "tracks", "chapters", "description", "spotify", "article"]
SegmentMethod = Literal["chapters", "description", "durations", "silence", "per_movement"]


class Record:
    """Shared helpers: every record round-trips through a plain dict (JSON/parquet friendly)."""

    kind: ClassVar[str] = "record"

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)  # type: ignore[call-overload]

    @classmethod
    def from_dict(cls, data: dict[str, Any]):  # noqa: ANN206 - returns cls
        names = {f.name for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
        unknown = set(data) - names
        if unknown:
            raise ValueError(f"{cls.__name__}: unknown fields {sorted(unknown)} in {data.get('id')!r}")
        values = dict(data)
        for f in dataclasses.fields(cls):  # type: ignore[arg-type]
            if f.name in values and isinstance(values[f.name], list) and "tuple" in str(f.type):
                values[f.name] = _as_tuple(values[f.name])
        return cls(**values)


def _as_tuple(value: Any) -> Any:
    """JSON has no tuples: lists read back inside tuple-typed fields become tuples again, all the way down."""
    return tuple(_as_tuple(v) for v in value) if isinstance(value, list) else value


@dataclass(frozen=True, kw_only=True)
class Work(Record):
    """One EarSense work page (``?ri=N`` variants collapse to this one canonical page)."""

    kind: ClassVar[str] = "work"
    id: str  # the EarSense slug
    url: str  # canonical page URL
    title: str
    composer: str
    fetched_at: str  # ISO 8601 UTC, when the page body was fetched
    page_sha256: str  # hash of the page body as served
    article: str | None = None  # the expert's introductory text, paragraphs separated by "\n\n"
    biography: str | None = None
    composer_birth_year: int | None = None
    composer_death_year: int | None = None
    genre: str | None = None  # as the page says it ("String Quartet")
    number: str | None = None  # "No. 8"
    key: str | None = None  # "A", "E-flat", "F-sharp"
    mode: str | None = None  # "major" | "minor"
    catalogue: str | None = None  # "Op. 44", "K. 458", "BWV 1001"
    year: int | None = None  # composed ("Composed: 1849 (age 52-53)")
    nationality: str | None = None  # the composer's, as the page says it ("Austrian")
    instrumentation: str | None = None  # "2 violins, viola and cello" (the page's "(for …)" line)
    approx_duration_s: float | None = None  # "Duration: 22 minutes (approximately)"
    composer_birth_place: str | None = None
    composer_death_place: str | None = None
    published: str | None = None  # the page's "Published:" fact, as written
    dedication: str | None = None
    ensemble: str | None = None  # solo, duo, trio, quartet, quintet, sextet, ...
    ensemble_source: str | None = None
    instrument_family: str | None = None  # strings, piano, winds, mixed
    instrument_family_source: str | None = None
    key_source: str | None = None
    page_movement_titles: tuple[str, ...] = ()  # movement titles the page itself lists, in order
    #: the page's recording (``?ri=N``) whose movement list gave ``page_movement_titles``; None for a
    #: list that belongs to no recording
    page_movement_titles_ri: int | None = None
    etag: str | None = None
    last_modified: str | None = None


@dataclass(frozen=True, kw_only=True)
class Recording(Record):
    """One video/audio source the work page points to.

    A whole-work recording has ``movement_number=None``; a per-movement track has its number.
    """

    kind: ClassVar[str] = "recording"
    id: str  # "<work id>@<source id>"
    work_id: str
    source_url: str  # the URL yt-dlp is given
    source_id: str  # stable id of the media at its source (e.g. the YouTube id)
    recording_index: int = 0  # the page's ?ri=N
    performers: str | None = None
    duration_s: float | None = None  # as the page states it
    movement_number: int | None = None
    track_title: str | None = None  # the title the track list gives this recording
    #: this recording's movement list on the page: (title as listed, duration in seconds or None)
    listed_movements: tuple[tuple[str, float | None], ...] = ()


@dataclass(frozen=True, kw_only=True)
class Media(Record):
    """A downloaded media file in the content-addressed cache, with the source's own metadata."""

    kind: ClassVar[str] = "media"
    source_id: str
    source_url: str
    path: str  # cache path of the downloaded file
    sha256: str
    downloaded_at: str  # ISO 8601 UTC
    extractor: str | None = None
    title: str | None = None
    uploader: str | None = None
    duration_s: float | None = None
    description: str | None = None
    license: str | None = None
    chapters: tuple[tuple[float, str], ...] = ()  # (start_s, title) as the source reports them
    info_json_path: str | None = None


@dataclass(frozen=True, kw_only=True)
class Movement(Record):
    """One movement of a work: its title, the expert text aligned to it, and its tempo tag."""

    kind: ClassVar[str] = "movement"
    id: str  # "<work id>#<number>"
    work_id: str
    number: int  # 1-based
    title: str
    title_source: str  # one of TitleSource
    text: str | None = None  # the article passage about this movement
    text_confidence: float | None = None  # 0..1
    #: the passage holds sentences of a critic's quotation (marks removed); None when there is no text
    text_from_quotation: bool | None = None
    tempo_tag: str | None = None  # one of TEMPO_CLASSES or None
    tempo_term: str | None = None  # the words that decided
    tempo_source: str = "none"  # one of TempoSource
    #: what the sources say the movement lasts (the page's track duration, else the album track's),
    #: to check the cut against; None when no source states it
    expected_duration_s: float | None = None
    #: the page's recording (``?ri=N``) whose movement list gave the titles; None for other sources
    titles_ri: int | None = None


@dataclass(frozen=True, kw_only=True)
class WorkText(Record):
    """The article's sentences that describe no single movement (history, biography, the work as a whole)."""

    kind: ClassVar[str] = "work_text"
    id: str  # the work id (one per work with an article)
    work_id: str
    text: str  # whole sentences, article order: history, biography, quotations and their attributions
    #: publisher sentences ("© … Used by permission"), kept out of every passage and out of ``text``
    excluded: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class Segment(Record):
    """Where a movement sits inside a downloaded media file."""

    kind: ClassVar[str] = "segment"
    id: str  # the movement id (one segment per movement)
    movement_id: str
    source_id: str
    media_sha256: str
    start_s: float
    end_s: float
    method: str  # one of SegmentMethod
    confidence: float  # 0..1


@dataclass(frozen=True, kw_only=True)
class Clip(Record):
    """A decoded, loudness-normalized movement and the measurements taken on it."""

    kind: ClassVar[str] = "clip"
    id: str  # the movement id
    movement_id: str
    sample_rate_hz: int
    duration_s: float
    loudness_before_lufs: float | None  # None when the audio is silent (no gated blocks)
    loudness_after_lufs: float | None
    gain_db: float
    true_peak_dbtp: float | None
    spectrogram_path: str  # derived file (.npy, float16, (frames, n_bins))
    spectrogram_frames: int
    flags: tuple[str, ...] = ()  # quality flags: silent, clipped, too_short, too_long, ...
    #: the movement's loudness-normalized audio (``build --audio``): kept locally, published only in the
    #: local ``audio`` config, never pushed unless its licence allows (publish/audio.py)
    audio_path: str | None = None
    audio_sha256: str | None = None


@dataclass(frozen=True, kw_only=True)
class Excerpt(Record):
    """A movement's listening excerpt, cut by the features stage from the same decode as its clip.

    The annotation pool takes its excerpts from these; the file is content-addressed (media sha256, span,
    render parameters, render version) under the annotation folder's ``excerpts/``.
    """

    kind: ClassVar[str] = "excerpt"
    id: str  # the movement id (one excerpt per movement)
    movement_id: str
    media_sha256: str
    start_s: float  # from the movement's start
    duration_s: float  # as rendered
    file: str  # file name under ``<out>/annotation/excerpts/`` ("<key>.ogg" or ".mp3")
    path: str  # the file itself (local)
    sha256: str
    #: the one gain (dB) that brings the excerpt to the playback loudness (below the peak ceiling)
    playback_gain_db: float
    loudness_lufs: float | None = None  # the excerpt's own loudness before the gain (None: silent)
    rms_dbfs: float | None = None  # energy before the gain: the silver arousal predictor's inputs
    onset_rate_hz: float | None = None


@dataclass(frozen=True, kw_only=True)
class Failure(Record):
    """Something that did not work for one item; recorded, reported, never fatal to the build."""

    kind: ClassVar[str] = "failure"
    stage: str  # a Stage (earsense_m2t.schemas.stages: crawl … publish, train); a plain string once read back
    item_id: str  # the work, recording or movement id the failure is about
    reason: str  # for a person: what went wrong with this item, naming the file, URL or value
    url: str | None = None
    #: for counting: a short, stable name of the kind of failure (``download_failed``, ``no_titles``)
    code: str = "error"


@dataclass(frozen=True, kw_only=True)
class AlbumTrack(Record):
    """One movement as a track of a studio album (Spotify): a title source and a duration to check against."""

    kind: ClassVar[str] = "album_track"
    id: str  # "<work id>#<number>@<service>"
    work_id: str
    number: int  # the movement number within the work (1-based), not the album track number
    title: str  # the movement's part of the track name ("Allegro con brio")
    track_name: str  # the track name as released ("Quartet No. 1 in F, Op. 18 No. 1: I. Allegro con brio")
    duration_s: float
    url: str
    service: str = "spotify"


@dataclass(frozen=True, kw_only=True)
class Release(Record):
    """A published dataset version (or the version kept when nothing changed)."""

    kind: ClassVar[str] = "release"
    id: str  # "v<version>"
    version: str
    created: bool  # False when nothing changed and the live version was kept
    dataset_dir: str
    published_at: str  # ISO 8601 UTC, when this publish ran
    previous: str | None = None
    bump: str | None = None  # initial | major | minor | patch | None
    reason: str = ""
    rows: int = 0  # rows of the default config
    pushed_to: str | None = None

    def kept(self, published_at: str) -> Release:
        """This version as a later publish that found nothing changed reports it: kept, not created or pushed."""
        return dataclasses.replace(self, created=False, previous=self.version, bump=None, reason="nothing changed",
                                   published_at=published_at, pushed_to=None)


RECORD_TYPES: tuple[type[Record], ...] = (Work, Recording, Media, AlbumTrack, Movement, WorkText, Segment, Clip,
                                          Excerpt, Failure, Release)


class _OfWork(Protocol):
    @property
    def work_id(self) -> str: ...


W = TypeVar("W", bound=_OfWork)


def by_work(records: Iterable[W]) -> dict[str, list[W]]:
    """Records grouped by the work they belong to (records link by id; a stage often needs them per work)."""
    grouped: dict[str, list[W]] = {}
    for record in records:
        grouped.setdefault(record.work_id, []).append(record)
    return grouped


def movement_id(work_id: str, number: int) -> str:
    return f"{work_id}#{number}"


def recording_id(work_id: str, source_id: str) -> str:
    return f"{work_id}@{source_id}"


__all__ = [
    "Excerpt",
    "SCHEMA_VERSION",
    "TEMPO_CLASSES",
    "RECORD_TYPES",
    "Record",
    "Work",
    "Recording",
    "Media",
    "Movement",
    "WorkText",
    "Segment",
    "Clip",
    "Failure",
    "AlbumTrack",
    "Release",
    "by_work",
    "movement_id",
    "recording_id",
]

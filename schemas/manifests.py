"""Which stage writes which JSON Lines file of which record type, and which of them publish cannot do without.

Two folders hold manifests (paths from :class:`earsense_m2t.schemas.layout.BuildFolder`):

* ``build/``: one file per record type, written by the build flow after each stage and read by publish
  (:data:`BUILD_MANIFESTS`). Its ``recordings.jsonl`` is :data:`CHOSEN_RECORDINGS`: the recordings the
  acquire stage chose and downloaded, one or more per work.
* ``build/crawl/``: the crawl's own output, the Scrapy feeds (:data:`CRAWL_FEEDS`), kept for the next
  refresh's conditional requests and change detection. Its recordings file is :data:`LISTED_RECORDINGS`:
  every recording every work page lists. It was called ``recordings.jsonl`` too until 2026-12; the old
  name is still read (:meth:`Manifest.find`), so an output root crawled before keeps refreshing.

The file names are the record kinds' plural, and the build manifest's stem is also the
:class:`earsense_m2t.publish.rows.Bundle` field publish fills from it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from earsense_m2t.schemas.annotation import Judgment, PoolExcerpt, RelativeAnnotation
from earsense_m2t.schemas.records import (
    AlbumTrack,
    Clip,
    Excerpt,
    Failure,
    Media,
    Movement,
    Record,
    Recording,
    Segment,
    Work,
    WorkText,
)
from earsense_m2t.schemas.stages import Stage

MANIFEST_SUFFIX = ".jsonl"


@dataclass(frozen=True)
class Manifest:
    """One JSON Lines file of one record type, written by one stage (None: every stage, the failures)."""

    name: str  # the file's stem ("works"), and the Bundle field publish reads it into
    record: type[Record]
    stage: Stage | None
    required: bool = False  # publish refuses a build folder without it
    legacy_names: tuple[str, ...] = ()  # earlier file names, still read from an existing output root

    @property
    def file(self) -> str:
        return self.name + MANIFEST_SUFFIX

    def path(self, folder: Path) -> Path:
        """Where this manifest is written in ``folder`` (``build/`` or ``build/crawl/``)."""
        return Path(folder) / self.file

    def find(self, folder: Path) -> Path | None:
        """The file to read in ``folder``: the current name, else a legacy one, else None (absent)."""
        for name in (self.file, *self.legacy_names):
            if (Path(folder) / name).exists():
                return Path(folder) / name
        return None


WORKS = Manifest("works", Work, Stage.CRAWL, required=True)
MEDIA = Manifest("media", Media, Stage.ACQUIRE)
#: ``build/recordings.jsonl``: the recordings acquire chose (not every listed one: see LISTED_RECORDINGS)
CHOSEN_RECORDINGS = Manifest("recordings", Recording, Stage.ACQUIRE)
ALBUM_TRACKS = Manifest("album_tracks", AlbumTrack, Stage.ACQUIRE)
MOVEMENTS = Manifest("movements", Movement, Stage.MOVEMENTS, required=True)
WORK_TEXTS = Manifest("work_texts", WorkText, Stage.MOVEMENTS)
SEGMENTS = Manifest("segments", Segment, Stage.SEGMENT)
CLIPS = Manifest("clips", Clip, Stage.FEATURES)
#: the listening excerpts the features stage cut from the same decode (the annotation pool's, and a column of
#: the default config)
EXCERPTS = Manifest("excerpts", Excerpt, Stage.FEATURES)
# the annotate stage's, written on every build, empty ones too: publish reads exactly these and must not
# find a former build's (the judgments are read for Krippendorff's alpha in the card; never published)
ANNOTATION_POOL = Manifest("annotation_pool", PoolExcerpt, Stage.ANNOTATE)
RELATIVE_ANNOTATIONS = Manifest("relative_annotations", RelativeAnnotation, Stage.ANNOTATE)
ANNOTATION_JUDGMENTS = Manifest("annotation_judgments", Judgment, Stage.ANNOTATE)
#: every stage's failures, written by the build flow once every stage has run
FAILURES = Manifest("failures", Failure, None)

#: ``build/``: what publish reads, in the order it reads them
PUBLISH_INPUTS: tuple[Manifest, ...] = (WORKS, CHOSEN_RECORDINGS, MEDIA, MOVEMENTS, SEGMENTS, CLIPS, FAILURES,
                                        WORK_TEXTS, EXCERPTS, ANNOTATION_POOL, RELATIVE_ANNOTATIONS, ANNOTATION_JUDGMENTS)
#: ``build/``: every manifest (the album tracks are the movements stage's input only; publish does not read them)
BUILD_MANIFESTS: tuple[Manifest, ...] = (*PUBLISH_INPUTS, ALBUM_TRACKS)

#: ``build/crawl/``: the crawl's feeds (one per item class the spider yields)
CRAWLED_WORKS = Manifest("works", Work, Stage.CRAWL)
#: every recording the work pages list (acquire chooses among them)
LISTED_RECORDINGS = Manifest("listed_recordings", Recording, Stage.CRAWL, legacy_names=("recordings.jsonl",))
CRAWL_FAILURES = Manifest("failures", Failure, Stage.CRAWL)
CRAWL_FEEDS: tuple[Manifest, ...] = (CRAWLED_WORKS, LISTED_RECORDINGS, CRAWL_FAILURES)
#: the crawl's Scrapy stats, beside its feeds (not records)
CRAWL_STATS = "stats.json"


def stage_manifests(stage: Stage) -> Mapping[type[Record], Manifest]:
    """The ``build/`` manifests one stage writes: record type -> manifest (empty for a stage that writes none)."""
    return {m.record: m for m in BUILD_MANIFESTS if m.stage == stage}


__all__ = ["ALBUM_TRACKS", "ANNOTATION_JUDGMENTS", "ANNOTATION_POOL", "BUILD_MANIFESTS", "CHOSEN_RECORDINGS", "CLIPS",
           "CRAWLED_WORKS", "CRAWL_FAILURES", "CRAWL_FEEDS", "CRAWL_STATS", "EXCERPTS", "FAILURES", "LISTED_RECORDINGS", "MEDIA",
           "MOVEMENTS", "Manifest", "PUBLISH_INPUTS", "RELATIVE_ANNOTATIONS", "SEGMENTS", "WORKS", "WORK_TEXTS",
           "stage_manifests"]

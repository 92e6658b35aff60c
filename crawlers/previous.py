"""What the previous crawl saw: the basis of conditional requests and of change detection.

A refresh sends each work page's last ``ETag``/``Last-Modified`` back; a 304, or a 200 whose body
hashes the same, means the work is unchanged and its earlier records are reused as they were.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from earsense_m2t.schemas import Recording, Work
from earsense_m2t.schemas.io import content_key, read_records
from earsense_m2t.schemas.manifests import CRAWLED_WORKS, LISTED_RECORDINGS

#: fields that say when/where a page was fetched (not what it says), and tags derived from the rest by
#: pipelines after the spider; a change in them alone is no change of the page
VOLATILE_WORK_FIELDS = ("fetched_at", "page_sha256", "etag", "last_modified", "url",
                        "key", "mode", "key_source", "ensemble", "ensemble_source",
                        "instrument_family", "instrument_family_source")
VOLATILE_RECORDING_FIELDS = ("source_url",)


def content_fingerprint(work: Work, recordings: list[Recording]) -> str:
    """Hash of what a work page says (texts, facts, recordings by source id), without fetch details.

    Raw page bytes change with ads, tokens or the host's port; the extracted content is what the
    dataset is made of, so it decides whether a work changed.
    """
    w = {k: v for k, v in work.to_dict().items() if k not in VOLATILE_WORK_FIELDS}
    recs = sorted(({k: v for k, v in r.to_dict().items() if k not in VOLATILE_RECORDING_FIELDS}
                   for r in recordings), key=lambda r: (r["recording_index"], r["movement_number"] or 0, r["source_id"]))
    return content_key(w, recs)


@dataclass(frozen=True)
class PreviousCrawl:
    works: dict[str, Work] = field(default_factory=dict)
    recordings: dict[str, list[Recording]] = field(default_factory=dict)

    @classmethod
    def load(cls, folder: str | Path | None) -> PreviousCrawl:
        works_file = CRAWLED_WORKS.find(Path(folder)) if folder is not None else None
        if folder is None or works_file is None:
            return cls()
        works = {w.id: w for w in read_records(works_file, Work)}
        recordings: dict[str, list[Recording]] = {}
        listed = LISTED_RECORDINGS.find(Path(folder))  # or its name before 2026-12, in a crawl folder made then
        if listed is not None:
            for rec in read_records(listed, Recording):
                recordings.setdefault(rec.work_id, []).append(rec)
        return cls(works=works, recordings=recordings)

    def fingerprint(self, slug: str) -> str | None:
        work = self.works.get(slug)
        return None if work is None else content_fingerprint(work, self.recordings.get(slug, []))

    def conditional_headers(self, slug: str) -> dict[str, str]:
        work = self.works.get(slug)
        headers: dict[str, str] = {}
        if work is not None and work.etag:
            headers["If-None-Match"] = work.etag
        if work is not None and work.last_modified:
            headers["If-Modified-Since"] = work.last_modified
        return headers

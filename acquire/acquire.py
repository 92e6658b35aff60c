"""The acquire stage: download the recordings a work needs, with a fallback to its next recording.

A work's page may list several recordings (``?ri=N``); the first one that downloads completely is
used. One failed recording is a ``Failure`` record in the summary, never the end of the build.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from earsense_m2t.acquire.discovery import DiscoveryError, search_recordings
from earsense_m2t.acquire.download import DownloadError, DownloadOptions, cached_media, download_media
from earsense_m2t.schemas import Failure, Media, Recording, Work


@dataclass
class AcquireResult:
    media: list[Media]
    chosen: list[Recording]  # the recordings whose media are used
    failures: list[Failure]
    downloaded: int = 0
    reused: int = 0
    works_without_recording: list[str] = field(default_factory=list)
    found_by_search: list[str] = field(default_factory=list)


def recordings_by_choice(recordings: Iterable[Recording]) -> dict[str, list[list[Recording]]]:
    """work id -> its recordings grouped by page recording index, in the order they should be tried."""
    groups: dict[str, dict[int, list[Recording]]] = defaultdict(lambda: defaultdict(list))
    for rec in recordings:
        groups[rec.work_id][rec.recording_index].append(rec)
    return {w: [sorted(g[ri], key=lambda r: r.movement_number or 0) for ri in sorted(g)] for w, g in groups.items()}


def search_fallback(work: Work, search_template: str, result: AcquireResult) -> list[list[Recording]]:
    """Recordings found by searching for a work its page lists none for (one candidate group, or none)."""
    n_movements = len(work.page_movement_titles) or None
    try:
        found, candidates = search_recordings(work, n_movements, search_template=search_template)
    except DiscoveryError as exc:
        result.failures.append(exc.failure())
        return []
    if not found:
        best = candidates[0] if candidates else None
        detail = f"best candidate {best.title!r} scored {best.score:.2f} ({', '.join(best.reasons)})" if best else "no results"
        result.failures.append(Failure(stage="acquire", item_id=work.id, url=None,
                                       reason=f"no recording listed and none found by search: {detail}"))
        return []
    result.found_by_search.append(work.id)
    return [found]


def acquire_media(recordings: Iterable[Recording], works: Iterable[Work], cache_dir: Path,
                  opts: DownloadOptions = DownloadOptions(), *, search_template: str | None = None) -> AcquireResult:
    """Download each work's first complete recording; search for works whose page lists none.

    ``search_template`` (e.g. ``ytsearch8:{query}``) turns the search fallback on; without it a work
    with no listed recording is reported as such.
    """
    by_work = recordings_by_choice(recordings)
    result = AcquireResult(media=[], chosen=[], failures=[])
    for work in sorted(works, key=lambda w: w.id):
        work_id = work.id
        options = by_work.get(work_id)
        if not options and search_template:
            options = search_fallback(work, search_template, result)
        if not options:
            result.works_without_recording.append(work_id)
            continue
        for group in options:
            got: list[tuple[Recording, Media]] = []
            for rec in group:
                was_cached = cached_media(cache_dir, rec.source_id) is not None
                try:
                    media = download_media(rec.source_url, rec.source_id, cache_dir, opts)
                except DownloadError as exc:
                    item = f"{work_id}#{rec.movement_number}" if rec.movement_number else rec.id
                    result.failures.append(Failure(stage="acquire", item_id=item, url=rec.source_url, reason=str(exc)))
                    continue
                result.reused += was_cached
                result.downloaded += not was_cached
                got.append((rec, media))
            if got:
                result.chosen += [r for r, _ in got]
                result.media += [m for _, m in got]
                break
    return result

"""The acquire stage: download the recordings a work needs, and look its movements up on an album.

A work's page may list several recordings (``?ri=N``); the first one that downloads completely is
used, trying those whose movements the page lists first. A work whose page lists none is searched
for (when a search template is given). With a Spotify client, each work's album tracks are looked up
too: the movements stage takes titles from them when the recordings carry none, and their durations
are what the cut movements are checked against.
One failed recording or lookup is a ``Failure`` in the result, never the end of the build.

Every recording is known by its source's identity (``earsense_m2t.media.identity.source_identity``: the extractor's id,
or the full normalized URL of direct media), whatever id an older crawl gave it: the chosen
``Recording`` and its ``Media`` carry that one id, so a file name can never join a row to another
recording's audio. Downloads run under an egress policy (``egress``; None is the policy for a public
site, which refuses loopback and private addresses) and the limits of ``DownloadOptions.limits``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from pathlib import Path

import spotipy

from earsense_m2t.acquire.discovery import DiscoveryError, search_recordings
from earsense_m2t.acquire.download import (
    DownloadError,
    DownloadOptions,
    DownloadProgress,
    obtain_media,
    source_identity,
)
from earsense_m2t.acquire.limits import Limits
from earsense_m2t.acquire.spotify import SpotifyTrack, lookup_works, movement_title
from earsense_m2t.egress import EgressPolicy
from earsense_m2t.schemas import AlbumTrack, Deadline, Failure, Recording, StageResult, Work, movement_id, recording_id
from earsense_m2t.schemas.results import ALBUM_TRACKS_FOUND, FOUND_BY_SEARCH, SPOTIFY_SKIPPED, WORKS_WITHOUT_RECORDING
from earsense_m2t.schemas.stages import Stage

STAGE = Stage.ACQUIRE


def recordings_by_choice(recordings: Iterable[Recording]) -> dict[str, list[list[Recording]]]:
    """work id -> its recordings grouped by page recording index, in the order they should be tried.

    A recording whose movement list the page gives comes before one it does not (then by ``?ri``): its
    titles and durations describe that very performance, so its audio is the one to cut.
    """
    groups: dict[str, dict[int, list[Recording]]] = defaultdict(lambda: defaultdict(list))
    for rec in recordings:
        groups[rec.work_id][rec.recording_index].append(rec)

    def order(group: list[Recording]) -> tuple[bool, int]:
        return (not any(r.listed_movements for r in group), group[0].recording_index)

    return {w: sorted((sorted(g[ri], key=lambda r: r.movement_number or 0) for ri in g), key=order)
            for w, g in groups.items()}


def search_fallback(work: Work, search_template: str, result: StageResult,
                    egress: EgressPolicy | None = None, limits: Limits = Limits()) -> list[list[Recording]]:
    """Recordings found by searching for a work its page lists none for (one candidate group, or none)."""
    n_movements = len(work.page_movement_titles) or None
    try:
        found, candidates = search_recordings(work, n_movements, search_template=search_template, egress=egress,
                                              limits=limits)
    except DiscoveryError as exc:
        result.drop(exc.failure())
        return []
    if not found:
        best = candidates[0] if candidates else None
        detail = f"best candidate {best.title!r} scored {best.score:.2f} ({', '.join(best.reasons)})" if best else "no results"
        result.drop(Failure(stage=STAGE, item_id=work.id, url=None, code="not_found_by_search",
                            reason=f"no recording listed and none found by search: {detail}"))
        return []
    result.note(FOUND_BY_SEARCH, work.id)
    return [found]


def by_identity(rec: Recording) -> Recording:
    """The recording under its source's identity (a crawl before identities were full, or a hand-made
    record, may carry a file name as its source id)."""
    identity = source_identity(rec.source_url)
    if rec.source_id == identity:
        return rec
    return replace(rec, source_id=identity, id=recording_id(rec.work_id, identity))


def download_first_complete(work_id: str, options: Sequence[Sequence[Recording]], cache_dir: Path,
                            opts: DownloadOptions, result: StageResult, egress: EgressPolicy | None = None,
                            on_download: Callable[[DownloadProgress], None] | None = None) -> None:
    """Try the work's recordings in order; keep the first group of which at least one file downloads."""
    for group in options:
        got = False
        for rec in map(by_identity, group):
            try:
                media, reused = obtain_media(rec.source_url, cache_dir, opts, egress=egress, on_progress=on_download)
            except DownloadError as exc:
                item = movement_id(work_id, rec.movement_number) if rec.movement_number else rec.id
                result.drop(Failure(stage=STAGE, item_id=item, url=rec.source_url, code=exc.code, reason=str(exc)))
                continue
            result.add(media, reused=reused)
            result.records.append(rec)  # the chosen recording: not counted, it was listed, not made
            got = True
        if got:
            return


def album_tracks(tracks: dict[str, list[SpotifyTrack]]) -> list[AlbumTrack]:
    return [AlbumTrack(id=f"{work_id}#{t.number}@spotify", work_id=work_id, number=t.number,
                       title=movement_title(t.title), track_name=t.title, duration_s=t.duration_s, url=t.url)
            for work_id, ts in sorted(tracks.items()) for t in ts]


def lookup_album_tracks(spotify: spotipy.Spotify | None, works: Sequence[Work], result: StageResult) -> None:
    """Album tracks per work from Spotify; skipped (and noted) without a client."""
    if spotify is None:
        result.note(SPOTIFY_SKIPPED, "no credentials")
        return
    found, failures = lookup_works(spotify, works)
    for failure in failures:
        result.drop(failure)
    for track in album_tracks(found):
        result.records.append(track)
    for work_id in sorted(found):
        result.note(ALBUM_TRACKS_FOUND, work_id)


def acquire_media(works: Iterable[Work], recordings: Iterable[Recording], cache_dir: Path,
                  opts: DownloadOptions = DownloadOptions(), *, search_template: str | None = None,
                  spotify: spotipy.Spotify | None = None, egress: EgressPolicy | None = None,
                  deadline: Deadline = Deadline(),
                  on_download: Callable[[DownloadProgress], None] | None = None) -> StageResult:
    """Media, the chosen recordings and album tracks for ``works``.

    Records: ``Media`` (counted computed = downloaded now, reused = from the cache), the
    ``Recording`` each medium came from, and ``AlbumTrack`` (when ``spotify`` is given).
    ``search_template`` (e.g. ``ytsearch8:{query}``) turns the search fallback on; without it a work
    with no listed recording is noted in ``notes["works_without_recording"]``.
    ``egress`` is where downloads and searches may go (None: ``EgressPolicy()``, the policy for a public
    site; the bundled mini site needs ``EgressPolicy(allow_loopback=True)``). A refused URL is a
    ``refused`` failure; a broken limit a ``too_large``, ``too_long`` or ``timed_out`` one.
    ``on_download`` gets each download's progress as it goes (:class:`DownloadProgress`, throttled).
    """
    egress = egress if egress is not None else EgressPolicy()
    works = sorted(works, key=lambda w: w.id)
    by_work = recordings_by_choice(recordings)
    result = StageResult(stage=STAGE)
    for work in works:
        if deadline.passed():
            result.drop(deadline.failure(STAGE, work.id, work.url))
            continue
        options = by_work.get(work.id)
        if not options and search_template:
            options = search_fallback(work, search_template, result, egress, opts.limits)
        if not options:
            result.note(WORKS_WITHOUT_RECORDING, work.id)
            continue
        download_first_complete(work.id, options, cache_dir, opts, result, egress, on_download)
    lookup_album_tracks(spotify, works, result)
    return result

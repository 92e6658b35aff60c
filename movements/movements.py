"""The movements of each work: their titles, the expert text about each, and their tags.

Titles come from the best source available, in this order: the movement list the page gives for the
recording whose audio is used (its titles and durations describe that very performance), the page's
movement list of another recording (or its own list), the recording's track list, chapters reported
by the media host, time stamps in the video description, the work's album tracks (Spotify). Each
movement records the page's recording (``titles_ri``) when its title came from a recording's list.
The article is then split into per-movement passages (the rest is the work's ``WorkText``), each
title is tagged, and each movement gets the duration its sources state (to check the cut against
later). A work for which no source names its movements is a ``Failure`` (``no_titles``), never a
silent gap; so is a work past a plausibility bound (:mod:`earsense_m2t.movements.bounds`: too many
movements, an absurd duration, a passage longer than an article; ``implausible``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from earsense_m2t.movements.align import align_article
from earsense_m2t.movements.bounds import implausible, work_problems
from earsense_m2t.movements.chapters import parse_chapters
from earsense_m2t.schemas import (
    AlbumTrack,
    Failure,
    Media,
    Movement,
    Recording,
    StageResult,
    Work,
    WorkText,
    by_work,
    movement_id,
)
from earsense_m2t.schemas.stages import Stage
from earsense_m2t.tagging.tempo import tag_tempo

#: leading movement numbering that is not part of the title ("I. ", "2 - ", "IV: ", "Movement 3:")
NUMBERING_RE = re.compile(
    r"^\s*(?:(?:mvt\.?|movement|satz|mouvement)\s*)?(?:[IVX]{1,5}|\d{1,2})(?:\s*[.:)\-–—]\s*|\s+(?=[A-ZÀ-Ý]))",
    re.IGNORECASE)


def clean_title(title: str) -> str:
    cleaned = NUMBERING_RE.sub("", title.strip(), count=1).strip(" -–—:")
    return cleaned or title.strip()


@dataclass(frozen=True)
class TitleList:
    titles: tuple[str, ...]
    source: str  # TitleSource
    ri: int | None = None  # the page's recording whose list it is


def listing_recording(chosen: Sequence[Recording]) -> Recording | None:
    """The chosen recording that carries the page's movement list for it (lowest ``?ri`` first)."""
    listed = [r for r in chosen if r.listed_movements]
    return min(listed, key=lambda r: (r.recording_index, r.movement_number or 0)) if listed else None


def movement_titles(work: Work, chosen: Sequence[Recording], media: dict[str, Media],
                    album: Sequence[AlbumTrack] = ()) -> TitleList | None:
    own = listing_recording(chosen)
    if own is not None:
        return TitleList(tuple(clean_title(t) for t, _ in own.listed_movements), "page", own.recording_index)
    if work.page_movement_titles:
        return TitleList(tuple(clean_title(t) for t in work.page_movement_titles), "page", work.page_movement_titles_ri)
    tracks = [r for r in chosen if r.movement_number is not None]
    if tracks:
        ordered = sorted(tracks, key=lambda r: r.movement_number or 0)
        return TitleList(tuple(clean_title(r.track_title or f"Movement {r.movement_number}") for r in ordered), "tracks")
    for rec in chosen:
        m = media.get(rec.source_id)
        if m is None:
            continue
        if len(m.chapters) >= 2:
            return TitleList(tuple(clean_title(name) for _, name in m.chapters), "chapters")
        described = parse_chapters(m.description or "")
        if len(described) >= 2:
            return TitleList(tuple(clean_title(c.name) for c in described), "description")
    if album:
        return TitleList(tuple(clean_title(t.title) for t in sorted(album, key=lambda t: t.number)), "spotify")
    return None


def expected_duration(number: int, chosen: Sequence[Recording], album: Sequence[AlbumTrack],
                      titles: TitleList | None = None) -> float | None:
    """What a movement should last: the page's listed duration for the recording whose audio is used
    (when the titles came from that list), else its track duration, else the album track's."""
    own = listing_recording(chosen)
    if own is not None and titles is not None and titles.ri == own.recording_index \
            and len(own.listed_movements) == len(titles.titles) and 1 <= number <= len(titles.titles):
        listed = own.listed_movements[number - 1][1]
        if listed:
            return float(listed)
    for rec in chosen:
        if rec.movement_number == number and rec.duration_s:
            return float(rec.duration_s)
    for track in album:
        if track.number == number:
            return float(track.duration_s)
    return None


def no_titles(work: Work, chosen: Sequence[Recording]) -> Failure:
    tried = "the page, " + ("its recordings' tracks, chapters and descriptions" if chosen else "no recording")
    return Failure(stage=Stage.MOVEMENTS, item_id=work.id, url=work.url, code="no_titles",
                   reason=f"no movement titles found (tried {tried}, album tracks)")


def prepare_movements(works: Iterable[Work], chosen: Sequence[Recording], media: Sequence[Media],
                      album_tracks: Sequence[AlbumTrack] = ()) -> StageResult:
    """One Movement per title found, with its aligned passage, tempo tag and expected duration, and one
    ``WorkText`` per work with an article: what it says about no single movement."""
    media_by_source = {m.source_id: m for m in media}
    recordings, albums = by_work(chosen), by_work(album_tracks)
    result = StageResult(stage=Stage.MOVEMENTS)
    for work in works:
        recs, album = recordings.get(work.id, []), albums.get(work.id, [])
        titles = movement_titles(work, recs, media_by_source, album)
        if titles is None:
            result.drop(no_titles(work, recs))
            continue
        # the work's own bounds first: a page listing 10,000 movements is not aligned or tagged at all
        problems = work_problems(work, n_movements=max(len(titles.titles), len(work.page_movement_titles)))
        if problems:
            result.drop(implausible(work, problems))
            continue
        alignment = align_article(work.article or "", list(titles.titles))
        passages = {p.number: p for p in alignment.passages}
        made: list[Movement] = []
        for number, title in enumerate(titles.titles, 1):
            tempo = tag_tempo(title)
            passage = passages.get(number)
            made.append(Movement(
                id=movement_id(work.id, number), work_id=work.id, number=number, title=title,
                title_source=titles.source, text=passage.text if passage else None,
                text_confidence=round(passage.confidence, 3) if passage else None,
                text_from_quotation=passage.quoted if passage else None,
                tempo_tag=tempo.tag, tempo_term=tempo.term, tempo_source=tempo.source,
                expected_duration_s=expected_duration(number, recs, album, titles),
                titles_ri=titles.ri,
            ))
        problems = work_problems(work, made, n_movements=len(made))
        if problems:
            result.drop(implausible(work, problems))
            continue
        if work.article:
            # not counted: the stage's counts are movements
            result.records.append(WorkText(id=work.id, work_id=work.id, text=alignment.work_text,
                                           excluded=alignment.excluded))
        result.extend(made)
    return result

"""The movements of each work: their titles, the expert text about each, and their tags.

Titles come from the best source available, in this order: the page's own movement list, the
recording's track list, chapters reported by the media host, time stamps in the video description,
the work's album tracks on Spotify (the real site rarely lists movements itself). The article is then split into per-movement
passages and each title is tagged.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from earsense_m2t.movements.chapters import parse_chapters
from earsense_m2t.movements.align import align_article
from earsense_m2t.schemas import Media, Movement, Recording, Work, movement_id
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


def movement_titles(work: Work, chosen: Sequence[Recording], media: dict[str, Media],
                    spotify_titles: Sequence[str] = ()) -> TitleList | None:
    if work.page_movement_titles:
        return TitleList(tuple(clean_title(t) for t in work.page_movement_titles), "page")
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
    if spotify_titles:
        return TitleList(tuple(clean_title(t) for t in spotify_titles), "spotify")
    return None


def prepare_movements(works: Iterable[Work], chosen: Sequence[Recording], media: Sequence[Media],
                      spotify_titles: Mapping[str, Sequence[str]] | None = None) -> list[Movement]:
    """One Movement per title found, with its aligned passage and tempo tag."""
    spotify_titles = spotify_titles or {}
    media_by_source = {m.source_id: m for m in media}
    by_work: dict[str, list[Recording]] = {}
    for rec in chosen:
        by_work.setdefault(rec.work_id, []).append(rec)
    out: list[Movement] = []
    for work in works:
        titles = movement_titles(work, by_work.get(work.id, []), media_by_source, spotify_titles.get(work.id, ()))
        if titles is None:
            continue
        alignment = align_article(work.article or "", list(titles.titles))
        passages = {p.number: p for p in alignment.passages}
        for number, title in enumerate(titles.titles, 1):
            tempo = tag_tempo(title)
            passage = passages.get(number)
            out.append(Movement(
                id=movement_id(work.id, number), work_id=work.id, number=number, title=title,
                title_source=titles.source, text=passage.text if passage else None,
                text_confidence=round(passage.confidence, 3) if passage else None,
                tempo_tag=tempo.tag, tempo_term=tempo.term, tempo_source=tempo.source,
            ))
    return out


"""Where each movement sits in the downloaded media.

In order of preference, each with the method and a confidence recorded: chapters reported by the
media host, time stamps in the video description, the durations the page lists for that recording's
movements (``segment.durations``), silence detection when the number of movements is known, and one
recording per movement. A movement that cannot be placed is a ``Failure``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence

import numpy as np

from earsense_m2t.media.decode import decode_mono
from earsense_m2t.movements.chapters import Chapter, match_chapters, parse_chapters, segments_from_chapters
from earsense_m2t.schemas import Deadline, Failure, Media, Movement, Recording, Segment, StageResult, by_work
from earsense_m2t.schemas.stages import Stage
from earsense_m2t.segment.durations import listed_durations, segment_by_durations
from earsense_m2t.segment.silence import find_movement_boundaries

SILENCE_SAMPLE_RATE_HZ = 8000  # enough to see gaps; a quarter of the work of 16 kHz


Decoder = Callable[[str, int], np.ndarray]


def _whole_work_segments(movements: Sequence[Movement], media: Media, decode: Decoder,
                         recording: Recording | None = None) -> tuple[list[Segment], str | None]:
    total = media.duration_s or 0.0
    decode = functools.lru_cache(maxsize=1)(decode)  # the durations cut and silence detection share one decode
    titles = [m.title for m in movements]
    candidates: list[tuple[str, list[Chapter]]] = []
    if len(media.chapters) >= 2:
        candidates.append(("chapters", [Chapter(start_s=s, name=n) for s, n in media.chapters]))
    described = parse_chapters(media.description or "", movements=len(movements) or None)
    if len(described) >= 2:
        candidates.append(("description", described))
    for method, chapters in candidates:
        try:
            spans = segments_from_chapters(chapters, total)
        except ValueError:
            continue  # unknown duration, or chapters past the end: try the next method

        if movements and movements[0].title_source in ("chapters", "description") and len(spans) == len(movements):
            matched = [(m.number, 1.0, spans[i]) for i, m in enumerate(movements)]
        else:
            pairs = match_chapters(chapters, titles)
            index = {id(c): i for i, c in enumerate(chapters)}
            matched = [(n, conf, spans[index[id(ch)]]) for n, ch, conf in pairs]
        if matched:
            conf_base = 0.95 if method == "chapters" else 0.9
            by_number = {m.number: m for m in movements}
            return [Segment(id=by_number[n].id, movement_id=by_number[n].id, source_id=media.source_id,
                            media_sha256=media.sha256, start_s=round(start, 3), end_s=round(end, 3), method=method,
                            confidence=round(conf_base * conf, 3))
                    for n, conf, (start, end, _name) in matched if n in by_number], None
    if len(movements) == 1:
        m = movements[0]
        return [Segment(id=m.id, movement_id=m.id, source_id=media.source_id, media_sha256=media.sha256,
                        start_s=0.0, end_s=round(total, 3), method="per_movement", confidence=0.8)], None
    by_durations = _duration_segments(movements, media, decode, recording)
    if by_durations:
        return by_durations, None
    try:
        samples = decode(media.path, SILENCE_SAMPLE_RATE_HZ)
        bounds, confidence = find_movement_boundaries(samples, SILENCE_SAMPLE_RATE_HZ, len(movements))
    except (ValueError, RuntimeError) as exc:
        return [], f"no chapters or description time stamps, and silence detection failed: {exc}"
    edges = [0.0, *bounds, len(samples) / SILENCE_SAMPLE_RATE_HZ]
    return [Segment(id=m.id, movement_id=m.id, source_id=media.source_id, media_sha256=media.sha256,
                    start_s=round(edges[i], 3), end_s=round(edges[i + 1], 3), method="silence",
                    confidence=round(float(confidence), 3))
            for i, m in enumerate(movements)], None


def _duration_segments(movements: Sequence[Movement], media: Media, decode: Decoder,
                       recording: Recording | None) -> list[Segment]:
    """The cut the page's listed durations give, when the titles came from that same recording's list."""
    if recording is None or not media.duration_s or any(m.titles_ri != recording.recording_index for m in movements):
        return []
    durations = listed_durations(recording.listed_movements, len(movements))
    if durations is None:
        return []
    try:
        samples = decode(media.path, SILENCE_SAMPLE_RATE_HZ)
    except (ValueError, RuntimeError):
        samples = None  # the cut stands without snapping to gaps, at a lower confidence
    cut = segment_by_durations(durations, media.duration_s, samples, SILENCE_SAMPLE_RATE_HZ)
    if cut is None:
        return []
    spans, confidence = cut
    return [Segment(id=m.id, movement_id=m.id, source_id=media.source_id, media_sha256=media.sha256,
                    start_s=round(start, 3), end_s=round(end, 3), method="durations", confidence=confidence)
            for m, (start, end) in zip(movements, spans, strict=True)]


def prepare_segments(movements: Sequence[Movement], chosen: Sequence[Recording], media: Sequence[Media],
                     decode: Decoder = decode_mono, deadline: Deadline = Deadline()) -> StageResult:
    """One ``Segment`` per movement placed in its work's media; one ``Failure`` per movement that is not.

    Movements of a work without audio are counted (``no_audio``) but are not failures here: the
    acquire stage reported why the work has none, and the movement is published without audio.
    """
    media_by_source = {m.source_id: m for m in media}
    recs_by_work = by_work(chosen)
    result = StageResult(stage=Stage.SEGMENT)
    for work_id, mvs in sorted(by_work(movements).items()):
        if deadline.passed():
            for mv in mvs:
                result.drop(deadline.failure("segment", mv.id))
            continue
        mvs = sorted(mvs, key=lambda m: m.number)
        recs = [r for r in recs_by_work.get(work_id, []) if r.source_id in media_by_source]
        if not recs:
            result.counts["no_audio"] += len(mvs)  # the acquire stage reported why
            continue
        tracks = {r.movement_number: r for r in recs if r.movement_number is not None}
        if tracks:
            for mv in mvs:
                track = tracks.get(mv.number)
                if track is None:
                    result.counts["no_audio"] += 1  # its download failed: the acquire stage reported it
                    continue
                md = media_by_source[track.source_id]
                result.add(Segment(id=mv.id, movement_id=mv.id, source_id=md.source_id, media_sha256=md.sha256,
                                   start_s=0.0, end_s=round(md.duration_s or 0.0, 3), method="per_movement",
                                   confidence=1.0))
            continue
        md = media_by_source[recs[0].source_id]
        segments, error = _whole_work_segments(mvs, md, decode, recs[0])
        result.extend(segments)
        placed = {s.movement_id for s in segments}
        for mv in mvs:
            if mv.id not in placed:
                result.drop(Failure(stage=Stage.SEGMENT, item_id=mv.id, url=md.source_url, code="not_placed",
                                    reason=error or f"movement {mv.title!r} not found in the chapters"))
    return result

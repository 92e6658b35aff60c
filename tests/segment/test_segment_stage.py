"""The segment stage's entrypoint: per-track and chapter placement, movements without audio, failures."""

from __future__ import annotations

from pathlib import Path

from earsense_m2t.schemas import Media, Movement, Recording, Segment
from earsense_m2t.segment import prepare_segments

SHA = "d" * 64
NOW = "2026-01-01T00:00:00+00:00"


def movements(work_id: str, *titles: str) -> list[Movement]:
    return [Movement(id=f"{work_id}#{n}", work_id=work_id, number=n, title=t, title_source="page")
            for n, t in enumerate(titles, 1)]


def media(source_id: str, path: str = "/nope", duration_s: float = 300.0, chapters=()) -> Media:
    return Media(source_id=source_id, source_url=f"http://127.0.0.1/watch/{source_id}", path=path, sha256=SHA,
                 downloaded_at=NOW, duration_s=duration_s, chapters=chapters)


def whole(work_id: str, source_id: str) -> Recording:
    return Recording(id=f"{work_id}@{source_id}", work_id=work_id, source_url=f"http://127.0.0.1/watch/{source_id}",
                     source_id=source_id)


def test_segments_failures_and_movements_without_audio(tmp_path: Path):
    not_audio = tmp_path / "not-audio.webm"
    not_audio.write_text("<html>This video is unavailable</html>")
    mvs = [*movements("Chaptered", "Allegro", "Adagio"), *movements("Broken", "Allegro", "Largo"),
           *movements("Silent-Work", "Allegro")]
    chosen = [whole("Chaptered", "ch"), whole("Broken", "br")]
    got = prepare_segments(mvs, chosen, [media("ch", chapters=((0.0, "I. Allegro"), (140.0, "II. Adagio"))),
                                         media("br", path=str(not_audio))])
    assert [(s.id, s.method, s.start_s, s.end_s) for s in got.of(Segment)] == [
        ("Chaptered#1", "chapters", 0.0, 140.0), ("Chaptered#2", "chapters", 140.0, 300.0)]
    assert {f.item_id: f.code for f in got.failures} == {"Broken#1": "not_placed", "Broken#2": "not_placed"}
    assert all(str(not_audio) in f.reason for f in got.failures)
    assert got.counts == {"computed": 2, "reused": 0, "dropped": 2, "no_audio": 1}


def test_description_timed_from_the_second_movement_on_starts_the_first_at_zero():
    description = "Live in Basel.\nII. Adagio 2:10\nIII. Presto 4:30"
    md = Media(source_id="d2", source_url="http://127.0.0.1/watch/d2", path="/nope", sha256=SHA, downloaded_at=NOW,
               duration_s=400.0, description=description)
    got = prepare_segments(movements("Desc", "Allegro", "Adagio", "Presto"), [whole("Desc", "d2")], [md])
    assert [(s.id, s.method, s.start_s, s.end_s) for s in got.of(Segment)] == [
        ("Desc#1", "description", 0.0, 130.0), ("Desc#2", "description", 130.0, 270.0),
        ("Desc#3", "description", 270.0, 400.0)]

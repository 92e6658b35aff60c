"""Shared rules across every record type: round-trips, validation messages, derived features."""

import dataclasses

import pytest
from datasets import ClassLabel, List, Value

from earsense_m2t.schemas import (
    RECORD_TYPES,
    AlbumTrack,
    Clip,
    Excerpt,
    Failure,
    Media,
    Movement,
    RecordError,
    Recording,
    Release,
    Segment,
    StageResult,
    Work,
    WorkText,
    validate_bundle,
    validate_record,
)
from earsense_m2t.schemas.features import as_features, record_features
from earsense_m2t.schemas.io import content_key, read_records, write_records

SHA = "a" * 64

EXAMPLES = {
    Work: Work(id="Anon-Quartet-Op-1", url="http://x/chamber-music/Anon-Quartet-Op-1/", title="Quartet", composer="Anon",
               fetched_at="2026-01-01T00:00:00+00:00", page_sha256=SHA, page_movement_titles=("Allegro", "Adagio")),
    Recording: Recording(id="W@abc", work_id="W", source_url="http://x/embed/abc", source_id="abc",
                         listed_movements=(("I. Allegro", 61.0), ("II. Adagio", None))),
    WorkText: WorkText(id="W", work_id="W", text="Written in 1799.", excluded=("© A publisher.",)),
    Media: Media(source_id="abc", source_url="http://x/embed/abc", path="/tmp/m.ogg", sha256=SHA,
                 downloaded_at="2026-01-01T00:00:00+00:00", chapters=((0.0, "I. Allegro"), (61.5, "II. Adagio"))),
    Movement: Movement(id="W#1", work_id="W", number=1, title="Allegro", title_source="tracks", tempo_tag="fast",
                       tempo_term="Allegro", tempo_source="marking"),
    Segment: Segment(id="W#1", movement_id="W#1", source_id="abc", media_sha256=SHA, start_s=0.0, end_s=60.0,
                     method="per_movement", confidence=1.0),
    Clip: Clip(id="W#1", movement_id="W#1", sample_rate_hz=16000, duration_s=60.0, loudness_before_lufs=-30.0,
               loudness_after_lufs=-23.0, gain_db=7.0, true_peak_dbtp=-3.0, spectrogram_path="x.npy",
               spectrogram_frames=3750, flags=("clipped",)),
    Excerpt: Excerpt(id="W#1", movement_id="W#1", media_sha256=SHA, start_s=15.0, duration_s=30.0, file="ab.ogg",
                     path="/out/annotation/excerpts/ab.ogg", sha256=SHA, playback_gain_db=-2.5, loudness_lufs=-20.5,
                     rms_dbfs=-24.0, onset_rate_hz=2.5),
    Failure: Failure(stage="acquire", item_id="W#2", reason="HTTP Error 404", url="http://x/embed/zz",
                     code="download_failed"),
    AlbumTrack: AlbumTrack(id="W#1@spotify", work_id="W", number=1, title="Allegro", track_name="Quartet: I. Allegro",
                           duration_s=301.5, url="https://open.spotify.com/track/abc"),
    Release: Release(id="v1.2.0", version="1.2.0", created=True, dataset_dir="local/earsense-m2t",
                     published_at="2026-01-01T00:00:00+00:00", previous="1.1.0", bump="minor", reason="rows changed",
                     rows=54),
}


def test_every_record_type_has_an_example():
    assert set(EXAMPLES) == set(RECORD_TYPES)


@pytest.mark.parametrize("record", EXAMPLES.values(), ids=lambda r: type(r).__name__)
def test_round_trip_through_manifest(tmp_path, record):
    path = tmp_path / "m.jsonl"
    assert write_records(path, [record, record]) == 2
    assert read_records(path, type(record)) == [record, record]
    assert not list(tmp_path.glob("*.part"))


@pytest.mark.parametrize("record", EXAMPLES.values(), ids=lambda r: type(r).__name__)
def test_examples_are_valid(record):
    assert validate_record(record) == []


def test_malformed_manifest_names_file_and_line(tmp_path):
    path = tmp_path / "works.jsonl"
    path.write_text('{"id": "x", "nope": 1}\n')
    with pytest.raises(ValueError, match=r"works.jsonl:1: not a valid Work.*nope"):
        read_records(path, Work)


@pytest.mark.parametrize("change, reason", [
    ({"tempo_tag": "quick"}, "tempo_tag 'quick' not in"),
    ({"number": 0, "id": "W#0"}, "number 0 < 1"),
    ({"id": "W#7"}, "does not match work_id#number"),
    ({"tempo_tag": None}, "disagrees with tempo_source"),
    ({"text_confidence": 1.5}, "outside 0..1"),
])
def test_movement_problems_name_the_record(change, reason):
    bad = dataclasses.replace(EXAMPLES[Movement], **change)
    problems = validate_record(bad)
    assert problems and problems[0].record_id == bad.id and reason in problems[0].reason


@pytest.mark.parametrize("start, end", [(-1.0, 5.0), (5.0, 5.0), (10.0, 2.0)])
def test_segment_time_bounds(start, end):
    bad = dataclasses.replace(EXAMPLES[Segment], start_s=start, end_s=end)
    assert "bad time bounds" in validate_record(bad)[0].reason


def test_bundle_checks_links_and_duplicates():
    work = dataclasses.replace(EXAMPLES[Work], id="W")
    orphan = dataclasses.replace(EXAMPLES[Movement], id="X#1", work_id="X")
    mv = EXAMPLES[Movement]
    problems = validate_bundle([work], [mv, mv, orphan], [EXAMPLES[Segment]], [EXAMPLES[Clip]])
    reasons = {(p.record_id, p.reason) for p in problems}
    assert ("W#1", "duplicate movement id") in reasons
    assert ("X#1", "work 'X' does not exist") in reasons
    err = RecordError(problems)
    assert "X#1: work 'X' does not exist" in str(err)


@pytest.mark.parametrize("slug", ["../etc", "a.b", "a/b", "-lead", "x" * 201, "Dvořák-Quartet", ""])
def test_bad_slug_is_rejected(slug):
    bad = dataclasses.replace(EXAMPLES[Work], id=slug)
    assert "is not a slug" in validate_record(bad)[0].reason


def test_features_follow_the_records():
    feats = as_features(record_features(Movement), record_features(Clip, include=["flags", "gain_db"]))
    assert feats["tempo_tag"] == ClassLabel(names=["slow", "medium", "fast", "super_fast"])
    assert feats["number"] == Value("int64")
    assert feats["flags"] == List(Value("string"))
    with pytest.raises(ValueError, match="defined twice"):
        as_features(record_features(Movement), record_features(Segment))
    with pytest.raises(KeyError, match="no field"):
        record_features(Clip, include=["nope"])


def test_content_key_is_stable_and_sensitive():
    assert content_key("abc", {"sr": 16000}, "1") == content_key("abc", {"sr": 16000}, "1")
    assert content_key("abc", {"sr": 16000}, "1") != content_key("abc", {"sr": 22050}, "1")


def test_stage_result_counts_what_it_is_given():
    result = StageResult(stage="segment")
    assert result.counts == {"computed": 0, "reused": 0, "dropped": 0}
    result.add(EXAMPLES[Segment])
    result.add(EXAMPLES[Segment], reused=True)
    result.drop(Failure(stage="segment", item_id="W#2", reason="not in the chapters", code="not_placed"))
    assert result.counts == {"computed": 1, "reused": 1, "dropped": 1}
    assert result.of(Segment) == [EXAMPLES[Segment]] * 2 and result.of(Clip) == []
    assert result.failures_by_code() == {"not_placed": 1}


def test_a_stage_cannot_report_another_stages_failure():
    with pytest.raises(ValueError, match="'acquire' failure reported by the 'segment' stage: W#2"):
        StageResult(stage="segment").drop(EXAMPLES[Failure])

"""The default catalogue meets the content rules the pipeline's tests are written against."""

from __future__ import annotations

import re

import pytest

from earsense_m2t.offline.minisite import (
    SPECIAL_CASES,
    all_videos,
    generate_catalogue,
    load_catalogue,
    validate_catalogue,
    videos_of,
)
from earsense_m2t.offline.minisite.catalogue import TIMESTAMP_STYLES, WorkSpec, timestamp_line, video_id, with_article

CAT = load_catalogue()
TS_RE = re.compile(r"\b\d{1,2}:\d{2}\b")


def by_slug(slug: str) -> WorkSpec:
    return next(w for w in CAT if w.slug == slug)


def test_size_and_movements_with_audio() -> None:
    assert len(CAT) >= 13
    with_audio = [m for w in CAT if w.recordings for m in w.movements]
    assert len(with_audio) >= 40
    total_s = sum(v.duration_s for v in all_videos(CAT))
    assert 30 * 60 < total_s < 50 * 60


def test_genres_cover_the_brief() -> None:
    genres = [w.genre for w in CAT]
    assert genres.count("String Quartet") == 3
    assert genres.count("Piano Trio") == 2
    for g in ("Violin Sonata", "Cello Sonata", "Piano Sonata", "Clarinet Quintet", "Wind Quintet", "String Sextet"):
        assert g in genres


def test_slugs_and_ids() -> None:
    validate_catalogue(CAT)
    assert by_slug("Bernhard-Molique-String-Quartet-No-8-in-A-major-Op-44")
    ids = [v.video_id for v in all_videos(CAT)]
    assert len(ids) == len(set(ids))
    assert all(re.fullmatch(r"[A-Za-z0-9_-]{11}", i) for i in ids)
    assert video_id("x", 0, 0) == video_id("x", 0, 0) != video_id("x", 0, 1)


def test_exactly_one_of_each_special_case() -> None:
    no_article = [w.slug for w in CAT if w.article is None]
    no_rec = [w.slug for w in CAT if not w.recordings]
    whole_ts = [w.slug for w in CAT
                if len(w.recordings) == 1 and w.recordings[0].layout == "whole" and w.recordings[0].timestamp_style]
    whole_plain = [w.slug for w in CAT if any(r.layout == "whole" and not r.timestamp_style for r in w.recordings)]
    second = [w.slug for w in CAT if len(w.recordings) > 1]
    assert no_article == [SPECIAL_CASES["no_article"]]
    assert no_rec == [SPECIAL_CASES["no_recording"]]
    assert whole_ts == [SPECIAL_CASES["whole_with_timestamps"]]
    assert whole_plain == [SPECIAL_CASES["whole_without_timestamps"]]
    assert second == [SPECIAL_CASES["second_recording"]]
    assert by_slug(SPECIAL_CASES["whole_without_timestamps"]).list_movements
    listed = [w for w in CAT if w.list_movements]
    assert 2 <= len(listed) <= 3
    others = [w for w in CAT if w.recordings and w.slug not in (whole_ts + whole_plain)]
    assert all(r.layout == "tracks" for w in others for r in w.recordings)
    assert len([w for w in CAT if not w.in_sitemap]) == 2


def test_articles_walk_through_movements() -> None:
    for w in CAT:
        if w.article is None:
            continue
        assert 3 <= len(w.article) <= 6, w.slug
        owners = [n for p in w.paragraph_movements for n in p]
        if w.slug == SPECIAL_CASES["article_out_of_order"]:
            assert owners != sorted(owners)
        else:
            assert owners == sorted(owners), w.slug
        if w.slug == SPECIAL_CASES["article_skips_movement"]:
            assert set(owners) < {m.number for m in w.movements}
    text = "\n".join(p for w in CAT for p in w.article or ())
    for mark in ("&", "*", "[[", "^1", "“", "\n"):
        assert mark in text
    assert "The opening Allegro" in text and "The second movement, " in text and "finale, a buoyant" in text


def test_tempo_markings_in_four_languages() -> None:
    titles = [m.title for w in CAT for m in w.movements]
    for needle in ("Adagio – Allegro", "Scherzo. Presto – Trio", "Introduction: Lent – Allegro", "Sehr langsam",
                   "Lebhaft, doch nicht zu schnell", "Très vif", "Assez vif et bien rythmé", "Modéré",
                   "Slow and expressive", "Lively"):
        assert any(needle in t for t in titles), needle
    classes = {m.tempo_class for w in CAT for m in w.movements}
    assert classes == {"slow", "medium", "fast", "super_fast", None}


def test_durations_bio_glossary() -> None:
    for w in CAT:
        assert all(35 <= m.duration_s <= 75 for m in w.movements)
        sentences = len(re.findall(r"[.!?](?:\s|$)", w.biography))
        assert 2 <= sentences <= 4, w.slug
        assert 2 <= len(w.glossary) <= 4, w.slug


def test_descriptions() -> None:
    whole = videos_of(by_slug(SPECIAL_CASES["whole_with_timestamps"]))[0]
    stamps = TS_RE.findall(whole.description)
    assert len(stamps) == len(whole.movements)
    plain = videos_of(by_slug(SPECIAL_CASES["whole_without_timestamps"]))[0]
    assert not TS_RE.search(plain.description) and not plain.has_timestamps
    assert [timestamp_line(521, "II. Andante", s) for s in TIMESTAMP_STYLES] == [
        "08:41 II. Andante", "II. Andante - 8:41", "(8:41) II. Andante", "0:08:41 - II. Andante"]


def test_with_article_returns_modified_copy() -> None:
    slug = SPECIAL_CASES["second_recording"]
    new = with_article(CAT, slug, ["One & only."])
    assert next(w for w in new if w.slug == slug).article == ("One & only.",)
    assert by_slug(slug).article != ("One & only.",)
    with pytest.raises(KeyError):
        with_article(CAT, "nope", [])


def test_generated_catalogue_is_valid_and_deterministic() -> None:
    a, b = generate_catalogue(300, seed=3), generate_catalogue(300, seed=3)
    assert a == b and len(a) == 300
    assert a != generate_catalogue(300, seed=4)
    styles = {r.timestamp_style for w in a for r in w.recordings}
    assert set(TIMESTAMP_STYLES) <= styles and None in styles
    assert any(not w.recordings for w in a) and any(w.article is None for w in a)

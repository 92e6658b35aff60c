"""Where movement titles come from (page, tracks, chapters, description, Spotify) and what they get."""

import pytest

from earsense_m2t.movements.movements import clean_title, movement_titles, prepare_movements
from earsense_m2t.schemas import AlbumTrack, Media, Movement, Recording, Work, WorkText

SHA = "b" * 64
WORK = Work(id="W", url="http://x/chamber-music/W/", title="String Quartet in A major, Op. 1", composer="Anon",
            fetched_at="2026-01-01T00:00:00+00:00", page_sha256=SHA,
            article="The opening Allegro runs. \n\nThe second movement, an Adagio, sings.\n\nThe finale is a Presto.")


def media(source_id, description=None, chapters=()):
    return Media(source_id=source_id, source_url=f"http://x/{source_id}", path="/nope", sha256=SHA,
                 downloaded_at="2026-01-01T00:00:00+00:00", description=description, chapters=chapters,
                 duration_s=600.0)


def whole(source_id="v", ri=0, listed=()):
    return Recording(id=f"W@{source_id}", work_id="W", source_url=f"http://x/{source_id}", source_id=source_id,
                     recording_index=ri, listed_movements=listed)


def track(n, title, duration=None, listed=()):
    return Recording(id=f"W@t{n}", work_id="W", source_url=f"http://x/t{n}", source_id=f"t{n}",
                     movement_number=n, track_title=title, duration_s=duration, listed_movements=listed)


LISTED = (("I. Allegro non troppo", 455.0), ("II. Adagio", 370.0), ("III. Presto", 301.0))


@pytest.mark.parametrize("title, cleaned", [
    ("I. Allegro", "Allegro"), ("2 - Adagio", "Adagio"), ("IV: Presto", "Presto"),
    ("Movement 3: Minuet", "Minuet"), ("III Scherzo", "Scherzo"), ("Allegro", "Allegro"),
    ("Introduction", "Introduction"), ("Vivace", "Vivace"),  # roman-looking words are not numbering
])
def test_clean_title(title, cleaned):
    assert clean_title(title) == cleaned


DESCRIPTION = "Live, 2019\n0:00 I. Allegro\n3:10 II. Adagio\n7:00 III. Presto"


@pytest.mark.parametrize("work_titles, chosen, media_list, spotify, expected", [
    (("Allegro", "Adagio"), [whole()], [media("v", DESCRIPTION)], (), (("Allegro", "Adagio"), "page")),
    ((), [track(1, "I. Allegro"), track(2, "II. Adagio")], [], (), (("Allegro", "Adagio"), "tracks")),
    ((), [whole()], [media("v", DESCRIPTION, ((0.0, "I. Allegro vivo"), (190.0, "II. Largo")))], (),
     (("Allegro vivo", "Largo"), "chapters")),
    ((), [whole()], [media("v", DESCRIPTION)], (), (("Allegro", "Adagio", "Presto"), "description")),
    ((), [whole()], [media("v", "A fine performance.")], ["I. Lento", "II. Vivace"], (("Lento", "Vivace"), "spotify")),
    ((), [whole()], [media("v", "A fine performance.")], (), None),
])
def test_title_sources_in_order_of_preference(work_titles, chosen, media_list, spotify, expected):
    import dataclasses

    work = dataclasses.replace(WORK, page_movement_titles=work_titles)
    album = [AlbumTrack(id=f"W#{n}@spotify", work_id="W", number=n, title=name, track_name=f"Work: {name}",
                        duration_s=100.0, url="https://open.spotify.com/track/x") for n, name in enumerate(spotify, 1)]
    got = movement_titles(work, chosen, {m.source_id: m for m in media_list}, album)
    assert (got.titles, got.source) == expected if expected else got is None


@pytest.mark.parametrize("work_titles, chosen, media_list, expected", [
    # the list the page gives for the recording whose audio is used wins over the page's own list,
    # over chapters and over the description, and says which recording it came from
    (("Allegro", "Adagio"), [whole(ri=1, listed=LISTED)], [media("v", DESCRIPTION, ((0.0, "I. Vivo"), (9.0, "II. Lento")))],
     (("Allegro non troppo", "Adagio", "Presto"), "page", 1)),
    ((), [track(1, "I. Allegro", listed=LISTED), track(2, "II. Adagio", listed=LISTED)], [],
     (("Allegro non troppo", "Adagio", "Presto"), "page", 0)),
    # a list of another (videoless) recording still names the movements, with its recording
    (("I. Allegro", "II. Adagio"), [whole()], [media("v", DESCRIPTION)], (("Allegro", "Adagio"), "page", 2)),
])
def test_titles_come_from_the_recording_lists_first(work_titles, chosen, media_list, expected):
    import dataclasses

    work = dataclasses.replace(WORK, page_movement_titles=work_titles, page_movement_titles_ri=2 if work_titles else None)
    got = movement_titles(work, chosen, {m.source_id: m for m in media_list})
    assert (got.titles, got.source, got.ri) == expected


def test_listed_durations_of_the_used_recording_are_the_expected_durations():
    result = prepare_movements([WORK], [whole(ri=1, listed=LISTED)], [media("v", DESCRIPTION)])
    movements = result.of(Movement)
    assert [(m.title, m.expected_duration_s, m.titles_ri, m.title_source) for m in movements] == [
        ("Allegro non troppo", 455.0, 1, "page"), ("Adagio", 370.0, 1, "page"), ("Presto", 301.0, 1, "page")]


def test_prepare_movements_aligns_and_tags():
    result = prepare_movements([WORK], [whole()], [media("v", DESCRIPTION)])
    movements = result.of(Movement)
    assert result.counts == {"computed": 3, "reused": 0, "dropped": 0}
    assert [(m.id, m.title, m.tempo_tag) for m in movements] == [
        ("W#1", "Allegro", "fast"), ("W#2", "Adagio", "slow"), ("W#3", "Presto", "super_fast")]
    assert "Adagio" in movements[1].text and "finale" in movements[2].text.lower()
    assert all(m.title_source == "description" and m.titles_ri is None for m in movements)
    [work_text] = result.of(WorkText)
    assert work_text.work_id == "W" and work_text.text == ""  # every sentence of this article is about a movement


def test_expected_durations_prefer_the_page_then_the_album():
    album = [AlbumTrack(id=f"W#{n}@spotify", work_id="W", number=n, title=title, track_name=f"Work: {title}",
                        duration_s=d, url=f"https://open.spotify.com/track/{n}")
             for n, title, d in ((1, "Allegro", 210.0), (2, "Adagio", 330.0))]
    result = prepare_movements([WORK], [track(1, "I. Allegro", 200.0), track(2, "II. Adagio")], [], album)
    assert {m.id: m.expected_duration_s for m in result.of(Movement)} == {"W#1": 200.0, "W#2": 330.0}


def test_a_work_without_any_title_source_is_a_failure_not_a_gap():
    result = prepare_movements([WORK], [], [])
    assert result.records == [] and result.counts["dropped"] == 1
    [failure] = result.failures
    assert (failure.stage, failure.item_id, failure.code) == ("movements", "W", "no_titles")
    assert "no movement titles" in failure.reason


REAL_SHAPE = "\n\n".join([
    "“Few quartets of the period wear their learning so lightly.”",
    "—Hedda Morrow writing in her Notes for Quartet Players.",
    "Anselm Kerber (1791-1853) was born in Linz and studied with his uncle, the cathedral organist. "
    "In the last decade of his life he taught at the conservatory.",
    "In three movements, the quartet begins with an Allegro of quiet momentum. Next comes an Adagio, "
    "whose long melody recalls the opening movement. The finale, a Presto, races to a bright close.",
    "© Edition Lindenhof. Used by permission. Our edition is the first in modern times.",
])


def test_work_text_keeps_what_no_movement_owns_and_leaves_out_publisher_text():
    import dataclasses

    work = dataclasses.replace(WORK, article=REAL_SHAPE, page_movement_titles=("I. Allegro", "II. Adagio", "III. Presto"))
    result = prepare_movements([work], [whole()], [media("v")])
    passages = [m.text or "" for m in result.of(Movement)]
    assert [p.split(".")[0] for p in passages] == [
        "In three movements, the quartet begins with an Allegro of quiet momentum",
        "Next comes an Adagio, whose long melody recalls the opening movement",
        "The finale, a Presto, races to a bright close"]
    [work_text] = result.of(WorkText)
    assert work_text.text.startswith("“Few quartets") and "was born in Linz" in work_text.text
    assert "Edition Lindenhof" not in work_text.text and "Edition Lindenhof" not in " ".join(passages)
    assert work_text.excluded == ("© Edition Lindenhof.", "Used by permission.", "Our edition is the first in modern times.")

"""Recording search: table-driven scoring of search entries, and real yt-dlp against a local RSS search."""

from __future__ import annotations

import pytest

from earsense_m2t.acquire import discovery_rules as rules
from earsense_m2t.acquire.discovery import (
    SEARCH_RECORDING_INDEX,
    DiscoveryError,
    build_query,
    catalogue_ids,
    entry_source_id,
    entry_url,
    query_url,
    score_candidate,
    search_recordings,
)
from earsense_m2t.acquire.download import source_identity
from earsense_m2t.egress import EgressPolicy
from earsense_m2t.offline.devservers.search_feed import FEED_ENTRIES, serve_search_feed
from earsense_m2t.schemas import Failure, Recording, Work, validate_record


def _work(slug: str, title: str, composer: str, catalogue: str | None = None, key: str | None = None,
          mode: str | None = None, number: str | None = None) -> Work:
    return Work(id=slug, url=f"https://www.earsense.org/chamber-music/{slug}/", title=title, composer=composer,
                fetched_at="2025-01-01T00:00:00Z", page_sha256="0" * 64, catalogue=catalogue, key=key, mode=mode,
                number=number)


WORKS = {
    "onslow": _work("George-Onslow-String-Quintet-No-15-in-C-minor-Op-38", "String Quintet No. 15 in C minor, Op. 38",
                    "George Onslow", "Op. 38", "C", "minor", "No. 15"),
    "molique": _work("Bernhard-Molique-String-Quartet-No-8-in-A-major-Op-44", "String Quartet No. 8 in A major, Op. 44",
                     "Bernhard Molique", "Op. 44", "A", "major", "No. 8"),
    "mozart": _work("Wolfgang-Amadeus-Mozart-Clarinet-Quintet-in-A-major-K-581", "Clarinet Quintet in A major, K. 581",
                    "Wolfgang Amadeus Mozart", "K. 581", "A", "major"),
    "beethoven": _work("Ludwig-van-Beethoven-Piano-Sonata-No-8-in-C-minor-Op-13-Pathetique",
                       "Piano Sonata No. 8 in C minor, Op. 13 “Pathétique”", "Ludwig van Beethoven", "Op. 13", "C",
                       "minor", "No. 8"),
    "beach": _work("Amy-Beach-Three-Pieces-for-Wind-Quintet", "Three Pieces for Wind Quintet", "Amy Beach"),
    "haydn": _work("Joseph-Haydn-String-Quartet-in-D-major-Op-76-No-5", "String Quartet in D major, Op. 76 No. 5",
                   "Joseph Haydn", "Op. 76 No. 5", "D", "major"),
}

# (case, work, movements, movement searched, title, duration s, uploader, expected, reason substring)
# expected: "ok" = scores at or above the threshold; "low" = kept but below it; "reject:<why>" = refused.
CASES = [
    ("complete", "onslow", 4, None, "George Onslow - String Quintet No. 15 in C minor, Op. 38 (complete)", 1712,
     "Quintette Arven", "ok", "catalogue op 38"),
    ("live_no_marker", "onslow", 4, None, "Onslow: String Quintet No.15 Op.38 | Ensemble Praeteritum, live 2019", 1790,
     None, "ok", "composer"),
    ("german_accents_case", "onslow", 4, None, "ONSLOW: Streichquintett Nr. 15 c-Moll, op. 38", 1750, None, "ok",
     "catalogue op 38"),
    ("cover_not_in_discover", "onslow", 4, None, "Onslow String Quintet No. 15 Op. 38 – a rediscovered masterpiece",
     1700, None, "ok", "title"),
    ("composer_from_uploader", "onslow", 4, None, "String Quintet No. 15 in C minor, Op. 38", 1712,
     "George Onslow - Topic", "ok", "composer"),
    ("no_duration", "onslow", 4, None, "George Onslow: String Quintet No. 15 in C minor, Op. 38", None, None, "ok",
     "duration_unknown"),
    ("lesson", "onslow", 4, None, "Onslow: String Quintet No. 15 in C minor, Op. 38 - Cello Lesson 1", 610, None,
     "reject:lesson", ""),
    ("how_to_play", "molique", 4, None, "Molique String Quartet Op. 44 - How to Play the first violin part", 1400,
     None, "reject:lesson", ""),
    ("masterclass", "molique", 4, None, "Masterclass: Molique Quartet No. 8, Op. 44", 2400, None, "reject:lesson", ""),
    ("tutorial", "beethoven", 3, None, "Beethoven Pathetique Sonata Op. 13 - Piano Tutorial (Synthesia)", 1100, None,
     "reject:tutorial", ""),
    ("cover", "molique", 4, None, "Bernhard Molique: Quartet No. 8, Op. 44 - guitar cover", 1500, None,
     "reject:cover", ""),
    ("arrangement", "mozart", 4, None, "Mozart Clarinet Quintet K. 581 arr. for clarinet and piano", 1900, None,
     "reject:cover", ""),
    ("karaoke", "onslow", 4, None, "Onslow Quintet Op. 38 KARAOKE", 1700, None, "reject:karaoke", ""),
    ("play_along", "onslow", 4, None, "String Quintet in C minor, Op. 38 - Onslow (play-along, no cello)", 1700, None,
     "reject:karaoke", ""),
    ("backing_track", "mozart", 4, None, "Mozart Clarinet Quintet K 581 backing track", 1900, None, "reject:karaoke",
     ""),
    ("excerpt", "onslow", 4, None, "Onslow String Quintet No. 15 Op. 38 excerpt", 95, None, "reject:excerpt", ""),
    ("reaction", "molique", 4, None, "Molique String Quartet No. 8 Op. 44 REACTION", 1900, None, "reject:reaction",
     ""),
    ("ringtone", "mozart", 4, None, "Mozart Clarinet Quintet K. 581 Larghetto ringtone", 30, None,
     "reject:derived_audio", ""),
    ("slowed", "onslow", 4, None, "Onslow Quintet Op. 38 slowed + reverb", 2400, None, "reject:derived_audio", ""),
    ("8d", "onslow", 4, None, "Onslow String Quintet 15 Op 38 (8D audio)", 1712, None, "reject:derived_audio", ""),
    ("remix", "beethoven", 3, None, "Beethoven - Pathétique Sonata Op. 13 (Trap Remix)", 1150, None,
     "reject:derived_audio", ""),
    ("too_short", "onslow", 4, None, "Onslow: String Quintet No. 15 in C minor, Op. 38", 300, None,
     "reject:duration", ""),
    ("too_long", "molique", 4, None, "Molique: String Quartets Op. 42, 43, 44 - complete", 3 * 3600 + 5, None,
     "reject:duration", ""),
    ("wrong_opus", "onslow", 4, None, "George Onslow - String Quintet No. 16 in G major, Op. 39", 1650, None, "low",
     "catalogue_mismatch"),
    ("wrong_number", "molique", 4, None, "Molique - String Quartet No. 7 in B-flat major", 1750, None, "low",
     "number_mismatch"),
    ("wrong_key", "mozart", 4, None, "Mozart: Clarinet Quintet in B-flat major", 1900, None, "low", "key_mismatch"),
    ("single_movement", "onslow", 4, None, "Onslow String Quintet No. 15, Op. 38: II. Menuetto. Allegro energico", 500,
     None, "low", "single_movement"),
    ("other_composer", "onslow", 4, None, "Boccherini: String Quintet in C minor, G. 348", 1500, None, "low",
     "composer_missing"),
    ("movement_search", "onslow", 4, "Andante sostenuto", "Onslow String Quintet Op. 38: III. Andante sostenuto", 457,
     None, "ok", "title 0.71"),
    ("movement_search_whole_work", "onslow", 4, "Andante sostenuto",
     "Onslow String Quintet Op. 38 (complete) Allegro, Menuetto, Andante sostenuto, Finale", 1712, None,
     "reject:duration", ""),
    ("mozart_full", "mozart", 4, None, "Mozart - Clarinet Quintet in A major, K. 581 (Full)", 1980, None, "ok",
     "catalogue k 581"),
    ("mozart_wrong_k", "mozart", 4, None, "Mozart: Clarinet Concerto in A major, K. 622", 1700, None, "low",
     "catalogue_mismatch"),
    ("quoted_title_accents", "beethoven", 3, None, "Beethoven - Piano Sonata No. 8 in C minor Op. 13 'Pathetique'",
     1150, "Clara Venn", "ok", "catalogue op 13"),
    ("no_catalogue_work", "beach", 3, None, "Amy Beach: Three Pieces for Wind Quintet", 700, None, "ok", "title 1.00"),
    ("haydn_other_no", "haydn", 4, None, "Haydn: String Quartet Op. 76 No. 4 'Sunrise'", 1380, None, "low",
     "number_mismatch"),
]


@pytest.mark.parametrize(("case", "work", "n", "movement", "title", "duration", "uploader", "expected", "reason"),
                         CASES, ids=[c[0] for c in CASES])
def test_score_candidate(case, work, n, movement, title, duration, uploader, expected, reason):
    entry = {"id": f"id-{case}", "url": f"https://www.youtube.com/watch?v=id-{case}", "title": title,
             "duration": duration, "uploader": uploader}
    cand = score_candidate(entry, WORKS[work], n, movement)
    assert cand.title == title and cand.source_id == source_identity(entry["url"]) and cand.duration_s == duration
    if expected.startswith("reject:"):
        assert cand.rejected and cand.score == 0.0
        assert any(r.startswith(expected) for r in cand.reasons), cand.reasons
        return
    assert not cand.rejected, cand.reasons
    assert any(reason in r for r in cand.reasons), cand.reasons
    if expected == "ok":
        assert cand.score >= rules.THRESHOLD, cand.reasons
    else:
        assert cand.score < rules.THRESHOLD, cand.reasons


def test_table_is_large_and_covers_every_reject_reason():
    assert len(CASES) >= 20
    rejected = {c[7].removeprefix("reject:") for c in CASES if c[7].startswith("reject:")}
    assert set(rules.REJECT_PATTERNS) - {"analysis", "rehearsal"} <= rejected


def test_scores_rank_complete_above_unknown_duration_above_wrong_work():
    w = WORKS["onslow"]
    full = score_candidate({"id": "a", "title": CASES[0][4], "duration": 1712}, w, 4)
    unknown = score_candidate({"id": "b", "title": CASES[0][4], "duration": None}, w, 4)
    wrong = score_candidate({"id": "c", "title": "George Onslow - String Quintet No. 16 in G major, Op. 39",
                             "duration": 1650}, w, 4)
    assert full.score > unknown.score > wrong.score


def test_duration_bounds_follow_the_number_of_movements():
    w, title = WORKS["onslow"], "George Onslow: String Quintet No. 15 in C minor, Op. 38"
    # 10 minutes: plausible for 3 movements (>= 6 min) and not for 6 (>= 12 min)
    assert not score_candidate({"id": "x", "title": title, "duration": 600}, w, 3).rejected
    assert score_candidate({"id": "x", "title": title, "duration": 600}, w, 6).rejected
    # unknown movement count: whole-work bounds
    lo, hi = rules.WHOLE_WORK_BOUNDS_S
    assert not score_candidate({"id": "x", "title": title, "duration": lo + 1}, w, None).rejected
    assert score_candidate({"id": "x", "title": title, "duration": hi + 1}, w, None).rejected


@pytest.mark.parametrize(("work", "movement", "query"), [
    ("onslow", None, "Onslow String Quintet No. 15 in C minor, Op. 38"),
    ("beethoven", None, "Beethoven Piano Sonata No. 8 in C minor, Op. 13 Pathétique"),
    ("onslow", "Andante sostenuto", "Onslow String Quintet No. 15 in C minor, Op. 38 Andante sostenuto"),
    ("beach", None, "Beach Three Pieces for Wind Quintet"),
])
def test_build_query(work, movement, query):
    assert build_query(WORKS[work], movement) == query


def test_build_query_appends_a_catalogue_the_title_lacks():
    w = _work("x", "Clarinet Quintet in A major", "Wolfgang Amadeus Mozart", "K. 581")
    assert build_query(w) == "Mozart Clarinet Quintet in A major K. 581"


def test_query_url_encodes_only_url_templates():
    q = "Onslow String Quintet No. 15 in C minor, Op. 38"
    assert query_url("ytsearch{n}:{query}", q, 8) == f"ytsearch8:{q}"
    assert query_url("http://127.0.0.1:1/search.rss?q={query}&n={n}", q, 5) == (
        "http://127.0.0.1:1/search.rss?q=Onslow+String+Quintet+No.+15+in+C+minor%2C+Op.+38&n=5")


@pytest.mark.parametrize(("text", "ids"), [
    ("String Quartet No. 8 in A major, Op. 44", {("op", "44")}),
    ("Op.44", {("op", "44")}),
    ("Clarinet Quintet KV 581", {("k", "581")}),
    ("String Quartet, Op. 76 No. 5, Hob. III:79", {("op", "76"), ("hob", "iii 79")}),
    ("Death and the Maiden, D. 810", {("d", "810")}),
    ("in D major", set()),
    ("8D audio", set()),
])
def test_catalogue_ids(text, ids):
    assert catalogue_ids(text) == ids


@pytest.mark.parametrize(("entry", "source_id", "url"), [
    ({"id": "dQw4w9WgXcQ", "url": "https://www.youtube.com/watch?v=dQw4w9WgXcQ"}, "youtube:dQw4w9WgXcQ",
     "https://www.youtube.com/watch?v=dQw4w9WgXcQ"),
    ({"_type": "url", "ie_key": "Youtube", "id": "dQw4w9WgXcQ", "url": "https://www.youtube.com/watch?v=dQw4w9WgXcQ"},
     "youtube:dQw4w9WgXcQ", "https://www.youtube.com/watch?v=dQw4w9WgXcQ"),
    # a feed's guid is not the source's identity: the generic extractor's media are known by their URL
    ({"url": "http://h/watch?v=abc#__youtubedl_smuggle=%7B%22force_videoid%22%3A+%22guid42%22%7D"}, "http://h/watch?v=abc",
     "http://h/watch?v=abc"),
    ({"url": "https://youtu.be/dQw4w9WgXcQ"}, "youtube:dQw4w9WgXcQ", "https://youtu.be/dQw4w9WgXcQ"),
    ({"url": "http://H:8080/media/track-7.ogg"}, "http://h:8080/media/track-7.ogg", "http://H:8080/media/track-7.ogg"),
])
def test_entry_source_id_and_url(entry, source_id, url):
    assert entry_source_id(entry) == source_id
    assert entry_url(entry) == url


# ---- real yt-dlp against the local RSS search ------------------------------------------------------

LOCAL = EgressPolicy(allow_loopback=True)  # the search feed is on this machine


@pytest.fixture
def feed():
    with serve_search_feed() as f:
        yield f


def guid(candidate) -> str:
    """The feed entry a candidate came from (its identity is its URL, ``…/watch?v=<guid>``)."""
    return candidate.source_id.rsplit("v=", 1)[-1]


def test_search_picks_the_complete_recording(feed):
    work = WORKS["onslow"]
    recs, cands = search_recordings(work, 4, search_template=feed.search_template, n=10, egress=LOCAL)
    assert len(recs) == 1
    rec = recs[0]
    assert isinstance(rec, Recording)
    identity = "http://127.0.0.1/watch?v=onsComplete"  # the normalized URL (a loopback port is no part of it)
    assert rec.source_id == identity and rec.id == f"{work.id}@{identity}"
    assert rec.recording_index == SEARCH_RECORDING_INDEX and rec.movement_number is None
    assert rec.source_url == f"{feed.base_url}/watch?v=onsComplete"  # the smuggled data is stripped
    assert rec.duration_s == 1712.0  # from <itunes:duration>
    assert rec.track_title == "George Onslow - String Quintet No. 15 in C minor, Op. 38 (complete)"
    assert validate_record(rec) == []
    # every result is scored and explained, best first; lessons and excerpts are refused with reasons
    assert [c.score for c in cands] == sorted((c.score for c in cands), reverse=True)
    by_id = {guid(c): c for c in cands}
    assert "reject:lesson" in by_id["onsLesson01"].reasons
    assert "reject:excerpt" in by_id["onsExcerpt2"].reasons
    assert by_id["onsOp39Full"].score < rules.THRESHOLD
    assert by_id["onsLive2019"].score >= rules.THRESHOLD  # a good second choice
    assert all(c.uploader is None for c in cands)  # RSS carries no uploader yt-dlp reads
    searches = [r for r in feed.requests if r.path.startswith("/search.rss")]
    assert len(searches) == 1 and "q=Onslow+String+Quintet" in searches[0].path  # one request, no page fetches


def test_search_reads_durations_and_keeps_entries_without_one(feed):
    recs, cands = search_recordings(WORKS["molique"], 4, search_template=feed.search_template, egress=LOCAL)
    assert [r.source_id for r in recs] == ["http://127.0.0.1/watch?v=molHalden01"]
    by_id = {guid(c): c for c in cands}
    assert by_id["molNoDur005"].duration_s is None and "duration_unknown" in by_id["molNoDur005"].reasons
    assert by_id["molHalden01"].score > by_id["molNoDur005"].score >= rules.THRESHOLD
    assert by_id["molCover003"].rejected and by_id["molReact004"].rejected and by_id["molHowTo002"].rejected


def test_search_limits_results_to_n(feed):
    _, cands = search_recordings(WORKS["onslow"], 4, search_template=feed.search_template, n=3, egress=LOCAL)
    assert len(cands) == 3


def test_nothing_passes_gives_no_recording_but_all_candidates(feed):
    recs, cands = search_recordings(WORKS["beach"], 3, search_template=feed.search_template, egress=LOCAL)
    assert recs == [] and cands  # the word "quintet" finds Onslow's entries, which are not Beach's work
    assert all(c.score < rules.THRESHOLD for c in cands)


def test_threshold_is_respected(feed):
    recs, cands = search_recordings(WORKS["onslow"], 4, search_template=feed.search_template, threshold=1.01,
                                    egress=LOCAL)
    assert recs == [] and cands


def test_empty_search_result(feed):
    work = _work("Nobody-Nothing", "Zzyzx", "Nobody")
    assert search_recordings(work, 2, search_template=feed.search_template, egress=LOCAL) == ([], [])


def test_search_failure_names_work_and_url(feed):
    feed.fail_status = 503
    work = WORKS["onslow"]
    with pytest.raises(DiscoveryError) as err:
        search_recordings(work, 4, search_template=feed.search_template, egress=LOCAL)
    msg = str(err.value)
    assert work.id in msg and f"{feed.base_url}/search.rss?q=Onslow" in msg and "503" in msg
    failure = err.value.failure()
    assert isinstance(failure, Failure) and failure.item_id == work.id and failure.url.startswith(feed.base_url)


def test_feed_catalogue_is_unique():
    assert len({e.guid for e in FEED_ENTRIES}) == len(FEED_ENTRIES)

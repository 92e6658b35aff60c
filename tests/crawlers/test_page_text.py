"""The text fallback (crawlers/page_text.py): the line rules as a table, the visible-text stream, and whole pages.

Lines are written for these tests in the shapes of the real site's stored pages (labels, "(age N)",
"N recordings, M videos", "M:SS title"); none is copied from a real page.
"""

import pytest

from earsense_m2t.crawlers.page_text import (
    Line,
    ListedRecording,
    ListedTrack,
    classify,
    read_html_text,
    read_page_text,
    visible_lines,
)
from tests.crawlers._pages import ARTICLE, BASE, COMPOSER, SLUG, TITLE, embed, work_page

#: (line, rule it matches or None, groups the match must have)
RULE_CASES = [
    ("Aurelio Brenta (1788-1851)", "composer", {"name": "Aurelio Brenta", "dates": "1788-1851"}),
    ("Marta Ilves (b. 1949)", "composer", {"name": "Marta Ilves", "dates": "b. 1949"}),
    ("Jonas Weller (born 1938)", "composer", {"name": "Jonas Weller", "dates": "born 1938"}),
    ("Henrik Sandal, 1833-1897", "composer", {"name": "Henrik Sandal", "dates": "1833-1897"}),
    ("Ada Kell (horn), Ruth Omen (violin), Piet Lau (cello)", None, {}),  # performers with instruments
    ("(for 2 violins, viola and cello)", "instrumentation", {"value": "for 2 violins, viola and cello"}),
    ("(for violin, viola da gamba (or cello) and piano)", "instrumentation",
     {"value": "for violin, viola da gamba (or cello) and piano"}),
    ("(arranged 1902)", None, {}),
    ("Nationality: German", "fact", {"label": "Nationality", "value": "German"}),
    ("Born: c. 1710, Jesi", "fact", {"label": "Born", "value": "c. 1710, Jesi"}),
    ("Died: December 2, 1858, Leipzig (age 56)", "fact", {"label": "Died", "value": "December 2, 1858, Leipzig (age 56)"}),
    ("Duration: 32 minutes (approximately)", "fact", {"label": "Duration"}),
    ("Composed: 1825-26 (age 55)", "fact", {"label": "Composed", "value": "1825-26 (age 55)"}),
    ("Published: 1799, Vienna", "fact", {"label": "Published"}),
    ("Dedication: his brother", "fact", {"label": "Dedication"}),
    ("Note: the slow movement was added in 1830.", "fact", {"label": "Note"}),
    ("3 recordings, 2 videos", "recordings_header", {"recordings": "3", "videos": "2"}),
    ("1 recording", "recordings_header", {"recordings": "1", "videos": None}),
    ("2 recordings, 1 video", "recordings_header", {"recordings": "2", "videos": "1"}),
    ("7:35 I. Allegro con brio - Allegro di molto", "movement",
     {"duration": "7:35", "title": "I. Allegro con brio - Allegro di molto"}),
    ("1:02:03 Theme and variations", "movement", {"duration": "1:02:03", "title": "Theme and variations"}),
    ("12:04 2. Scherzo: Presto", "movement", {"duration": "12:04", "title": "2. Scherzo: Presto"}),
    ("III. Menuetto 4:02", "movement", {"duration": "4:02", "title": "III. Menuetto"}),
    ("26:14", "total", {"duration": "26:14"}),
    ("1:01:05", "total", {"duration": "1:01:05"}),
    ("glossary", "glossary", {}),
    ("Glossary", "glossary", {}),
    ("Now playing: Quartetto Aria", "now_playing", {}),
    ("Quartetto Aria", None, {}),
    ("The quartet was first played in 1827 at a private concert.", None, {}),
]


@pytest.mark.parametrize("line, rule, groups", RULE_CASES)
def test_line_rules(line, rule, groups):
    hit = classify(line)
    assert (hit[0] if hit else None) == rule
    for name, value in groups.items():
        assert hit[1].group(name) == value


def _texts(html: str) -> list[tuple[str, str]]:
    lines, _title = visible_lines(html)
    return [(line.kind, line.text) for line in lines]


def test_visible_text_leaves_out_chrome_scripts_and_footnote_marks():
    html = ("<html><head><title>T</title><style>p{}</style></head><body><header><nav><a href='/'>Home</a></nav></header>"
            "<main><header><p>Inside main</p></header><p>One<sup class='x'>2</sup> two.</p><script>var x;</script>"
            "<!-- a comment --><p>Three <em>four</em></p></main><footer>Footer text</footer></body></html>")
    assert _texts(html) == [("text", "Inside main"), ("text", "One two."), ("text", "Three four")]


def test_visible_text_keeps_iframes_in_order_and_joins_table_cells_and_inline_spans():
    html = ("<body><table><tr><td>7:35</td><td>I. Allegro</td></tr></table><iframe src='/embed/a'></iframe>"
            "<p><span>6:10</span> <span>II. Adagio</span><iframe src='/embed/b'></iframe></p><iframe></iframe></body>")
    assert _texts(html) == [("text", "7:35 I. Allegro"), ("iframe", "/embed/a"), ("text", "6:10 II. Adagio"),
                            ("iframe", "/embed/b")]


def test_visible_text_marks_whole_line_links_and_the_h1():
    lines, title = visible_lines("<title>A: B | S</title><body><h1>B</h1><p><a href='/x/?ri=2'>Listen</a></p>"
                                 "<p>See <a href='/y/'>this</a> page</p></body>")
    assert title == "A: B | S"
    assert lines == [Line("B", heading=True), Line("Listen", href="/x/?ri=2"), Line("See this page")]


def test_br_separated_facts_are_split_and_dt_dd_labels_joined():
    html = ("<body><p>Ana Lenz (1801-1860)</p><p>Trio in C</p><p>Nationality: Czech<br>Born: 1801, Brno</p>"
            "<dl><dt>Died:</dt><dd>1860, Prague (age 59)</dd></dl><p>Line one<br>line two.</p>"
            "<p>1 recording</p></body>")
    fields = read_html_text(html)
    assert (fields.nationality, fields.born, fields.died) == ("Czech", "1801, Brno", "1860, Prague (age 59)")
    assert fields.article == "Line one\nline two."  # a paragraph's own line break is kept


@pytest.mark.parametrize("markup", ["default", "plain"])
def test_a_whole_page_reads_the_same_in_both_markups(markup):
    fields = read_html_text(work_page(markup))
    assert (fields.composer, fields.composer_dates, fields.title) == (COMPOSER, "(1788-1851)", TITLE)
    assert fields.instrumentation == "(for 2 violins, viola and cello)"
    assert fields.nationality == "Italian" and fields.died == "March 3, 1851, Padua (age 62)"
    assert fields.composed == "1825-26 (age 37)" and fields.note is None
    assert fields.article == "\n\n".join(ARTICLE)  # the glossary is not part of it
    assert fields.recordings_count == (4, 3)
    per_movement, whole_listed, whole_total, no_video = fields.recordings
    assert per_movement.index == 0 and per_movement.embed is None
    assert [(t.title, t.duration_s, t.embed) for t in per_movement.tracks] == [
        ("I. Allegro con brio", 455.0, embed(0, 1)), ("II. Adagio", 370.0, embed(0, 2)),
        ("III. Menuetto", 242.0, embed(0, 3)), ("IV. Rondo. Allegro", 341.0, embed(0, 4))]
    assert whole_listed.embed == embed(1, 0) and not any(t.embed for t in whole_listed.tracks)
    assert whole_listed.tracks[-1] == ListedTrack("IV. Rondo", 3665.0)
    assert whole_total == ListedRecording(index=2, performers="Trio Nordlys and friends", total_s=1574.0,
                                          embed=embed(2, 0))
    assert no_video.embed is None and len(no_video.tracks) == 2 and no_video.index == 3


def _lines(*items: str) -> list[Line]:
    """Test lines: "iframe:<src>" is an iframe, "link:<href>|<text>" a line that is one link."""
    out = []
    for item in items:
        if item.startswith("iframe:"):
            out.append(Line(item.removeprefix("iframe:"), kind="iframe"))
        elif item.startswith("link:"):
            href, text = item.removeprefix("link:").split("|")
            out.append(Line(text, href=href))
        else:
            out.append(Line(item))
    return out


HEAD = ("Aurelio Brenta (1788-1851)", TITLE, "Nationality: Italian", "A paragraph of the article.")


def test_the_real_text_shape_of_a_recordings_block():
    """Performers with instruments in parentheses, a bare total, a recording without list or video."""
    fields = read_page_text(_lines(*HEAD, "2 recordings", "Ada Kell (horn), Ruth Omen (violin)", "14:20",
                                   "Petra Sund, Ensemble Lodestar", "glossary", "quintet—a work for five players"))
    assert fields.recordings == (
        ListedRecording(index=None, performers="Ada Kell (horn), Ruth Omen (violin)", total_s=860.0),
        ListedRecording(index=None, performers="Petra Sund, Ensemble Lodestar", total_s=None))


def test_a_variant_page_lists_its_selected_recording_first_and_the_links_keep_the_indexes():
    fields = read_page_text(_lines(
        *HEAD, "2 recordings, 2 videos", "Now playing: Duo Halm",
        "Duo Halm", "5:00 I. Lento", "4:00 II. Presto", "iframe:/embed/h", f"link:/chamber-music/{SLUG}/?ri=1|Listen",
        "Trio Vela", "9:12", "iframe:/embed/v", f"link:/chamber-music/{SLUG}/?ri=0|Listen"))
    assert [(r.index, r.performers, r.embed) for r in fields.recordings] == [(1, "Duo Halm", "/embed/h"),
                                                                            (0, "Trio Vela", "/embed/v")]
    assert fields.article == "A paragraph of the article."  # "Now playing" is no paragraph


def test_links_before_their_recording_and_repeated_indexes():
    before = read_page_text(_lines(*HEAD, "2 recordings", "link:?ri=0|Listen", "Duo A", "link:?ri=1|Listen", "Duo B"))
    assert [(r.index, r.performers) for r in before.recordings] == [(0, "Duo A"), (1, "Duo B")]
    repeated = read_page_text(_lines(*HEAD, "2 recordings", "Duo A", "link:?ri=0|Listen", "Duo B", "link:?ri=0|Listen"))
    assert [r.index for r in repeated.recordings] == [None, None]  # the block's order decides


def test_which_iframe_is_whose():
    fields = read_page_text(_lines(
        *HEAD, "3 recordings", "iframe:/first",
        "Whole after its list", "1:00 I. A", "2:00 II. B", "iframe:/w",
        "One per movement, one missing", "1:00 I. A", "iframe:/m1", "2:00 II. B", "3:00 III. C", "iframe:/m3",
        "iframe:/extra"))
    nobody, whole, per_movement = fields.recordings
    assert nobody == ListedRecording(index=None, performers=None, total_s=None, embed="/first")
    assert whole.embed == "/w" and [t.embed for t in whole.tracks] == [None, None]
    assert [t.embed for t in per_movement.tracks] == ["/m1", None, "/m3"] and per_movement.embed == "/extra"


def test_title_and_composer_from_the_page_title_when_the_text_does_not_say():
    fields = read_page_text(_lines("Aurelio Brenta", "(for piano)", "Nationality: Italian", "Text."),
                            page_title=f"Aurelio Brenta: {TITLE} | EarSense")
    assert (fields.composer, fields.composer_dates, fields.title) == ("Aurelio Brenta", None, TITLE)
    assert fields.instrumentation == "(for piano)" and fields.article == "Text."


def test_a_page_without_facts_has_no_article_by_text():
    """Without the header facts nothing says where the article is: better none than the page's chrome."""
    fields = read_page_text(_lines("Aurelio Brenta (1788-1851)", TITLE, "Some text.", "More text."))
    assert fields.title == TITLE and fields.article is None


def test_without_a_recordings_header_the_article_ends_where_recordings_begin():
    fields = read_page_text(_lines(*HEAD, "Second paragraph.", "Duo Halm", "5:00 I. Lento", "iframe:/x"))
    assert fields.article == "A paragraph of the article.\n\nSecond paragraph.\n\nDuo Halm"
    assert fields.recordings is None  # recordings are read only below their header


def test_a_note_after_the_article_has_begun_is_prose_and_facts_come_first_come_served():
    fields = read_page_text(_lines(*HEAD[:3], "Nationality: Czech", "Note: written for a pupil.", "Prose.",
                                   "Note: this one is prose.", "1 recording"))
    assert fields.nationality == "Italian" and fields.note == "written for a pupil."
    assert fields.article == "Prose.\n\nNote: this one is prose."


def test_base_is_loopback():
    assert BASE.startswith("http://127.0.0.1")

"""Description time stamps → chapters, chapters → movements, chapters → spans: exact values, one row a case."""

from __future__ import annotations

import json
import re

import pytest

from earsense_m2t.movements import chapter_formats as fmt
from earsense_m2t.movements.chapters import (
    Chapter,
    _parse_line,
    chapters_from_json,
    chapters_to_json,
    match_chapters,
    movement_number,
    parse_chapters,
    segments_from_chapters,
)

# (id, description, expected [(start_s, name)])
DESCRIPTIONS: list[tuple[str, str, list[tuple[float, str]]]] = [
    ("time_first_padded_dash",
     "00:00 - I. Allegro\n08:41 - II. Adagio\n15:20 - III. Presto",
     [(0, "I. Allegro"), (521, "II. Adagio"), (920, "III. Presto")]),
    ("time_last_no_space_after_numeral",
     "I.Allegro moderato  0:00\nII.Scherzo. Allegro vivace  9:58\nIII.Adagio  14:12\nIV.Finale. Presto  22:40",
     [(0, "I.Allegro moderato"), (598, "II.Scherzo. Allegro vivace"), (852, "III.Adagio"), (1360, "IV.Finale. Presto")]),
    ("time_last_in_parentheses",
     "1. Allegro (0:00)\n2. Andante (7:45)\n3. Rondo (13:02)",
     [(0, "1. Allegro"), (465, "2. Andante"), (782, "3. Rondo")]),
    ("movement_words_then_dash_time",
     "Movement One: Allegro con brio - 0:00\nMovement Two: Andante cantabile - 10:21\nMovement Three: Scherzo - 18:40",
     [(0, "Movement One: Allegro con brio"), (621, "Movement Two: Andante cantabile"), (1120, "Movement Three: Scherzo")]),
    ("french_titles_time_first",
     "00:00 Large - Animé\n06:12 Vif et agité\n11:30 Très lent",
     [(0, "Large - Animé"), (372, "Vif et agité"), (690, "Très lent")]),
    ("untimed_first_line_roman",
     "I Moderato\nII Allegro 8:41\nIII Presto 15:00",
     [(0, "I Moderato"), (521, "II Allegro"), (900, "III Presto")]),
    ("untimed_first_line_needs_numbering",
     "Allegro\nII Adagio 8:41\nIII Presto 15:00",
     [(521, "II Adagio"), (900, "III Presto")]),
    ("ordinal_label_colon_time",
     "1st movement: 00:00\n2nd movement: 01:31\n3rd movement: 05:31",
     [(0, "1st movement"), (91, "2nd movement"), (331, "3rd movement")]),
    ("hms_time_first",
     "0:00:00 I. Allegro\n0:12:41 II. Adagio\n1:02:03 III. Finale",
     [(0, "I. Allegro"), (761, "II. Adagio"), (3723, "III. Finale")]),
    ("hms_padded_dash",
     "00:00:00 - I. Allegro\n00:10:02 - II. Largo",
     [(0, "I. Allegro"), (602, "II. Largo")]),
    ("minutes_over_sixty",
     "0:00 I. Adagio\n75:30 II. Fuga",
     [(0, "I. Adagio"), (4530, "II. Fuga")]),
    ("mixed_mm_ss_and_hms",
     "0:00 I. Allegro\n48:10 II. Adagio\n1:05:00 III. Finale",
     [(0, "I. Allegro"), (2890, "II. Adagio"), (3900, "III. Finale")]),
    ("square_brackets_first",
     "[00:00] I. Allegro\n[12:30] II. Finale",
     [(0, "I. Allegro"), (750, "II. Finale")]),
    ("square_brackets_last",
     "I. Allegro [0:00]\nII. Finale [12:30]",
     [(0, "I. Allegro"), (750, "II. Finale")]),
    ("parentheses_first",
     "(0:00) I. Allegro\n(8:41) II. Adagio",
     [(0, "I. Allegro"), (521, "II. Adagio")]),
    ("range_first_takes_start",
     "0:00 - 8:41 Allegro\n8:41 - 15:00 Adagio\n15:00 - 21:13 Presto",
     [(0, "Allegro"), (521, "Adagio"), (900, "Presto")]),
    ("range_last_en_dash",
     "I. Allegro 0:00–8:41\nII. Adagio 8:41–15:00",
     [(0, "I. Allegro"), (521, "II. Adagio")]),
    ("range_german_bis",
     "0:00 bis 9:12 Mäßig bewegt\n9:12 bis 17:40 Langsam",
     [(0, "Mäßig bewegt"), (552, "Langsam")]),
    ("round_bullets",
     "• 0:00 I. Allegro\n• 8:41 II. Adagio",
     [(0, "I. Allegro"), (521, "II. Adagio")]),
    ("dash_bullets",
     "- 0:00 Allegro\n- 8:41 Adagio",
     [(0, "Allegro"), (521, "Adagio")]),
    ("arrow_bullets",
     "▶ 0:00 Allegro\n▶ 8:41 Adagio",
     [(0, "Allegro"), (521, "Adagio")]),
    ("star_bullets",
     "* 00:00 I. Allegro\n* 08:41 II. Andante",
     [(0, "I. Allegro"), (521, "II. Andante")]),
    ("unicode_en_dash_after_time",
     "0:00 – I. Allegro\n8:41 – II. Adagio",
     [(0, "I. Allegro"), (521, "II. Adagio")]),
    ("unicode_em_dash_before_time",
     "I. Allegro — 0:00\nII. Adagio — 8:41",
     [(0, "I. Allegro"), (521, "II. Adagio")]),
    ("pipe_separator",
     "00:00 | I. Allegro\n08:41 | II. Andante",
     [(0, "I. Allegro"), (521, "II. Andante")]),
    ("spaced_colon_separator",
     "0:00 : I. Allegro\n8:41 : II. Adagio",
     [(0, "I. Allegro"), (521, "II. Adagio")]),
    ("prose_around_list",
     "Recorded live at Wigmore Hall, 2019. Thanks to everyone who came!\n\nTracklist:\n0:00 I. Allegro\n"
     "8:41 II. Adagio\n15:20 III. Presto\n\nAt 3:15 the cello enters with the second theme.\nSubscribe for more.",
     [(0, "I. Allegro"), (521, "II. Adagio"), (920, "III. Presto")]),
    ("prose_line_ending_in_time_next_to_list",
     "The cello enters at 3:15\n0:00 I. Allegro\n8:41 II. Adagio",
     [(0, "I. Allegro"), (521, "II. Adagio")]),
    ("blank_lines_inside_list",
     "0:00 I. Allegro\n\n8:41 II. Adagio\n\n15:20 III. Presto",
     [(0, "I. Allegro"), (521, "II. Adagio"), (920, "III. Presto")]),
    ("single_timestamp_in_prose_is_not_a_list",
     "Beautiful performance! My favourite moment is 3:15",
     []),
    ("single_chapter_line_is_not_a_list",
     "0:00 I. Allegro",
     []),
    ("times_inside_sentences",
     "At 3:15 the cello enters, and at 7:40 the viola answers.",
     []),
    ("prose_lines_ending_with_prepositions",
     "Listen to the cello from 3:15\nand to the viola from 7:40",
     []),
    ("no_times",
     "Complete performance, in one take.\n#chambermusic",
     []),
    ("empty", "", []),
    ("durations_not_starts_rejected",
     "I. Allegro 8:41\nII. Adagio 7:12\nIII. Presto 5:03",
     []),
    ("repeated_time_rejected",
     "0:00 Intro\n0:00 I. Allegro\n8:41 II. Adagio",
     []),
    ("first_chapter_after_zero_kept",
     "0:12 I. Allegro\n8:41 II. Adagio",
     [(12, "I. Allegro"), (521, "II. Adagio")]),
    ("total_line_is_not_a_chapter",
     "0:00 I. Allegro\n8:41 II. Adagio\nTotal time: 15:20",
     [(0, "I. Allegro"), (521, "II. Adagio")]),
    ("german_satz_titles",
     "0:00 1. Satz: Mäßig bewegt\n9:12 2. Satz: Langsam\n17:40 3. Satz: Sehr lebhaft",
     [(0, "1. Satz: Mäßig bewegt"), (552, "2. Satz: Langsam"), (1060, "3. Satz: Sehr lebhaft")]),
    ("german_ordinal_words",
     "Erster Satz: Allegro 0:00\nZweiter Satz: Adagio 10:05",
     [(0, "Erster Satz: Allegro"), (605, "Zweiter Satz: Adagio")]),
    ("french_mouvement_en_dash",
     "1er mouvement : Modéré – 0:00\n2e mouvement : Assez vif – 7:52",
     [(0, "1er mouvement : Modéré"), (472, "2e mouvement : Assez vif")]),
    ("italian_tempo_titles",
     "I. Allegro ma non troppo – 00:00\nII. Andante con moto – 12:04\nIII. Scherzo: Allegro molto – 19:48",
     [(0, "I. Allegro ma non troppo"), (724, "II. Andante con moto"), (1188, "III. Scherzo: Allegro molto")]),
    ("two_works_with_headings_joined",
     "Quartet No. 1\n0:00 I. Allegro\n8:00 II. Adagio\nQuartet No. 2\n20:00 I. Moderato\n30:00 II. Presto",
     [(0, "I. Allegro"), (480, "II. Adagio"), (1200, "I. Moderato"), (1800, "II. Presto")]),
    ("starts_then_durations_keeps_starts",
     "0:00 I. Allegro\n8:41 II. Adagio\n15:20 III. Presto\n\nDurations:\nI. 8:41\nII. 6:39\nIII. 5:02",
     [(0, "I. Allegro"), (521, "II. Adagio"), (920, "III. Presto")]),
    ("dotted_times_when_no_colon_list",
     "0.00 I. Allegro\n8.41 II. Adagio\n15.20 III. Presto",
     [(0, "I. Allegro"), (521, "II. Adagio"), (920, "III. Presto")]),
    ("colon_list_wins_over_dotted_date",
     "0:00 I. Allegro\n8:41 II. Adagio\nRecorded 12.05.2019",
     [(0, "I. Allegro"), (521, "II. Adagio")]),
    ("dates_are_not_dotted_times",
     "Recorded 12.05.2019\nLive 19.30",
     []),
    ("time_alone_then_name_line",
     "0:00\nI. Allegro\n8:41\nII. Adagio",
     [(0, "I. Allegro"), (521, "II. Adagio")]),
    ("inline_list_with_pipes",
     "0:00 Allegro | 8:41 Adagio | 15:02 Presto",
     [(0, "Allegro"), (521, "Adagio"), (902, "Presto")]),
    ("composer_and_work_in_each_name",
     "0:00 Beethoven: String Quartet Op. 18 No. 1 - I. Allegro con brio\n"
     "9:31 Beethoven: String Quartet Op. 18 No. 1 - II. Adagio affettuoso ed appassionato",
     [(0, "Beethoven: String Quartet Op. 18 No. 1 - I. Allegro con brio"),
      (571, "Beethoven: String Quartet Op. 18 No. 1 - II. Adagio affettuoso ed appassionato")]),
    ("parentheses_in_name_kept",
     "0:00 I. Allegro (Sonata form)\n8:41 II. Adagio (attacca)",
     [(0, "I. Allegro (Sonata form)"), (521, "II. Adagio (attacca)")]),
    ("trailing_duration_cut_from_name",
     "0:00 I. Allegro (8:41)\n8:41 II. Adagio (6:39)",
     [(0, "I. Allegro"), (521, "II. Adagio")]),
    ("crlf_line_endings",
     "0:00 I. Allegro\r\n8:41 II. Adagio\r\n",
     [(0, "I. Allegro"), (521, "II. Adagio")]),
    ("minisite_time_last_style",
     "Amy Beach: Three Pieces\nThe Ensemble\n\nI. Pastorale - 0:00\nII. Valse - 1:02\n\n#chambermusic #beach",
     [(0, "I. Pastorale"), (62, "II. Valse")]),
]


@pytest.mark.parametrize("description, expected", [(d, e) for _, d, e in DESCRIPTIONS],
                         ids=[i for i, _, _ in DESCRIPTIONS])
def test_parse_chapters(description: str, expected: list[tuple[float, str]]) -> None:
    assert [(c.start_s, c.name) for c in parse_chapters(description)] == [(float(s), n) for s, n in expected]


def test_enough_description_cases() -> None:
    assert len(DESCRIPTIONS) >= 40
    assert len({i for i, _, _ in DESCRIPTIONS}) == len(DESCRIPTIONS)


@pytest.mark.parametrize("description, expected", [(d, e) for _, d, e in DESCRIPTIONS[:12]],
                         ids=[i for i, _, _ in DESCRIPTIONS[:12]])
def test_json_round_trip(description: str, expected: list[tuple[float, str]]) -> None:
    text = chapters_to_json(parse_chapters(description))
    assert json.loads(text) == [{"start": float(s), "name": n} for s, n in expected]
    assert chapters_from_json(text) == parse_chapters(description)


def test_cli_prints_chapters_json() -> None:
    from typer.testing import CliRunner

    from earsense_m2t.cli import app

    description = "Tracklist\n00:00 – I. Large – Animé\n06:12 – II. Vif et agité\nMerci !"
    result = CliRunner().invoke(app, ["parse-chapters"], input=description)
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == [{"start": 0.0, "name": "I. Large – Animé"},
                                         {"start": 372.0, "name": "II. Vif et agité"}]
    assert chapters_from_json(result.output) == parse_chapters(description)


@pytest.mark.parametrize("bad", ['{"start": 0}', '[{"start": 0}]', '[{"start": -1, "name": "x"}]'])
def test_chapters_from_json_rejects_malformed(bad: str) -> None:
    with pytest.raises(ValueError):
        chapters_from_json(bad)


# ---- the format table --------------------------------------------------------------------------


@pytest.mark.parametrize("style", list(fmt.TIME_FORMATS))
def test_time_format_examples_match_their_regex(style: str) -> None:
    regex, example = fmt.TIME_FORMATS[style]
    assert re.fullmatch(regex, example)


@pytest.mark.parametrize("shape, example", [(s, e) for s, _, e in fmt.LINE_SHAPES])
def test_line_shape_examples_parse(shape: str, example: str) -> None:
    chapter = _parse_line(example, "colon")
    assert chapter is not None and chapter.start_s == 0.0 and chapter.name


@pytest.mark.parametrize("block, example", [(b, e) for b, _, e in fmt.TIME_BLOCKS])
def test_time_block_examples_parse(block: str, example: str) -> None:
    chapter = _parse_line(f"{example} Allegro", "colon")
    assert chapter is not None and chapter.name == "Allegro"


def test_untimed_first_line_example() -> None:
    got = parse_chapters(f"{fmt.UNTIMED_FIRST_LINE_EXAMPLE}\nII Allegro 8:41")
    assert got[0] == Chapter(0.0, fmt.UNTIMED_FIRST_LINE_EXAMPLE)


@pytest.mark.parametrize("name, number", list(fmt.NUMBERING_EXAMPLES.items()))
def test_numbering_examples(name: str, number: int) -> None:
    assert movement_number(name) == number


@pytest.mark.parametrize("name", ["Vivace", "Intermezzo", "Allegro", "Introduction", "Variations on a theme",
                                  "String Quartet No. 1 in D"])
def test_names_without_movement_number(name: str) -> None:
    assert movement_number(name) is None


# ---- matching ----------------------------------------------------------------------------------


def _ch(*names: str) -> list[Chapter]:
    return [Chapter(start_s=60.0 * i, name=n) for i, n in enumerate(names)]


# (id, chapter names, movement titles, expected [(movement number, chapter index)])
MATCHES: list[tuple[str, list[str], list[str], list[tuple[int, int]]]] = [
    ("numbered_same_words", ["I. Allegro", "II. Adagio", "III. Scherzo", "IV. Finale"],
     ["Allegro", "Adagio", "Scherzo", "Finale"], [(1, 0), (2, 1), (3, 2), (4, 3)]),
    ("accents_and_case_folded", ["LARGE - ANIME", "vif et agite", "Tres lent"],
     ["Large – Animé", "Vif et agité", "Très lent"], [(1, 0), (2, 1), (3, 2)]),
    ("introduction_chapter_skipped", ["Introduction", "I. Allegro", "II. Adagio"],
     ["Allegro", "Adagio"], [(1, 1), (2, 2)]),
    ("missing_movement_left_out", ["I. Allegro", "III. Presto"],
     ["Allegro", "Adagio", "Presto"], [(1, 0), (3, 1)]),
    ("numbers_only", ["1st movement", "2nd movement", "3rd movement"],
     ["Allegro moderato", "Adagio", "Presto"], [(1, 0), (2, 1), (3, 2)]),
    ("german_numbers_fewer_chapters", ["1. Satz", "2. Satz"],
     ["Allegro", "Adagio", "Presto"], [(1, 0), (2, 1)]),
    ("repeated_titles_in_order", ["Allegro", "Andante", "Allegro"],
     ["Allegro", "Andante", "Allegro"], [(1, 0), (2, 1), (3, 2)]),
    ("order_only_when_counts_agree", ["Part A", "Part B"], ["Allegro", "Adagio"], [(1, 0), (2, 1)]),
    ("unrelated_chapters_unmatched", ["Encore: Danny Boy", "Applause"],
     ["Allegro", "Adagio", "Presto"], []),
    ("typo_in_chapter", ["Allegreto", "Adagio cantabile"],
     ["Allegretto", "Adagio cantabile"], [(1, 0), (2, 1)]),
    ("titles_numbered_too", ["1. Allegro", "2. Menuetto", "3. Presto"],
     ["I. Allegro", "II. Menuetto", "III. Presto"], [(1, 0), (2, 1), (3, 2)]),
    ("encore_at_end_ignored", ["I. Allegro", "II. Adagio", "III. Presto", "Encore: Haydn Minuet"],
     ["Allegro", "Adagio", "Presto"], [(1, 0), (2, 1), (3, 2)]),
    ("one_chapter_two_equal_titles", ["Allegro"], ["Allegro", "Allegro"], [(1, 0)]),
    ("introduction_numbered_as_one", ["1. Introduction", "2. Allegro", "3. Adagio", "4. Presto"],
     ["Allegro", "Adagio", "Presto"], [(1, 1), (2, 2), (3, 3)]),
    ("longer_titles_than_chapters", ["I. Allegro", "II. Andante", "III. Rondo"],
     ["Allegro ma non troppo", "Andante con moto", "Rondo. Allegro vivace"], [(1, 0), (2, 1), (3, 2)]),
    ("composer_prefix_in_chapter", ["Beethoven: Op. 18 No. 1 - I. Allegro con brio",
                                    "Beethoven: Op. 18 No. 1 - II. Adagio affettuoso"],
     ["Allegro con brio", "Adagio affettuoso ed appassionato"], [(1, 0), (2, 1)]),
    ("no_chapters", [], ["Allegro"], []),
]


@pytest.mark.parametrize("names, titles, expected", [(c, t, e) for _, c, t, e in MATCHES],
                         ids=[i for i, _, _, _ in MATCHES])
def test_match_chapters(names: list[str], titles: list[str], expected: list[tuple[int, int]]) -> None:
    chapters = _ch(*names)
    got = match_chapters(chapters, titles)
    index = {id(c): i for i, c in enumerate(chapters)}  # the caller finds chapters by identity
    assert [(n, index[id(c)]) for n, c, _ in got] == expected
    assert all(0.0 <= conf <= 1.0 for _, _, conf in got)
    assert len({id(c) for _, c, _ in got}) == len(got)  # never one chapter for two movements


def test_match_confidence_orders_evidence() -> None:
    chapters = _ch("I. Allegro", "Part B")
    (_, _, named), (_, _, order_only) = match_chapters(chapters, ["Allegro", "Adagio"])
    assert named == 1.0
    assert order_only < 0.5


# ---- spans -------------------------------------------------------------------------------------


def test_segments_from_chapters() -> None:
    chapters = _ch("I. Allegro", "II. Adagio", "III. Presto")
    assert segments_from_chapters(chapters, 200.5) == [(0.0, 60.0, "I. Allegro"), (60.0, 120.0, "II. Adagio"),
                                                       (120.0, 200.5, "III. Presto")]
    assert segments_from_chapters([], 10.0) == []


@pytest.mark.parametrize("chapters, total, message", [
    ([Chapter(0.0, "a"), Chapter(0.0, "b")], 100.0, "not after"),
    ([Chapter(10.0, "a"), Chapter(5.0, "b")], 100.0, "not after"),
    ([Chapter(0.0, "a"), Chapter(120.0, "b")], 100.0, "end of the media"),
    ([Chapter(0.0, "a")], 0.0, "positive"),
])
def test_segments_from_chapters_rejects(chapters: list[Chapter], total: float, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        segments_from_chapters(chapters, total)


@pytest.mark.parametrize("start", [-1.0, float("nan"), float("inf")])
def test_chapter_rejects_bad_start(start: float) -> None:
    with pytest.raises(ValueError, match="start_s"):
        Chapter(start_s=start, name="x")


# ---- the first movement at 0:00 when the count is known ------------------------------------------

PROGRAM = "Program:\nI. Allegro moderato\nII. Adagio\nIII. Scherzo\nIV. Finale\n\n"
FROM_II = "II. Adagio 8:12\nIII. Scherzo 15:40\nIV. Finale 21:03"
FROM_II_EXPECTED = [(492, "II. Adagio"), (940, "III. Scherzo"), (1263, "IV. Finale")]

# (id, description, movements, expected [(start_s, name)])
IMPLIED_FIRST: list[tuple[str, str, int | None, list[tuple[float, str]]]] = [
    ("numbered_from_II", FROM_II, 4, [(0, fmt.IMPLIED_FIRST_NAME), *FROM_II_EXPECTED]),
    ("numbered_from_2_time_last",
     "2. Andante – 7:05\n3. Rondo – 13:40", 3,
     [(0, fmt.IMPLIED_FIRST_NAME), (425, "2. Andante"), (820, "3. Rondo")]),
    ("numbered_from_II_time_first",
     "08:12 II. Adagio\n15:40 III. Presto", 3,
     [(0, fmt.IMPLIED_FIRST_NAME), (492, "II. Adagio"), (940, "III. Presto")]),
    ("ordinal_words_from_second",
     "Second movement: 9:58\nThird movement: 17:02", 3,
     [(0, fmt.IMPLIED_FIRST_NAME), (598, "Second movement"), (1022, "Third movement")]),
    ("missing_only_the_first_later_ones_unnumbered",
     "II. Adagio 8:12\nScherzo 15:40\nFinale 21:03", 4,
     [(0, fmt.IMPLIED_FIRST_NAME), (492, "II. Adagio"), (940, "Scherzo"), (1263, "Finale")]),
    ("first_named_by_a_program_line_above",
     PROGRAM + FROM_II, 4, [(0, "I. Allegro moderato"), *FROM_II_EXPECTED]),
    ("first_named_by_its_untimed_line_right_above",
     "I. Allegro moderato\n" + FROM_II, 4, [(0, "I. Allegro moderato"), *FROM_II_EXPECTED]),
    ("unnumbered_line_above_is_not_the_name",
     "Allegro\nII Adagio 8:41\nIII Presto 15:00", 3,
     [(0, fmt.IMPLIED_FIRST_NAME), (521, "II Adagio"), (900, "III Presto")]),
    ("work_title_above_is_not_the_name",
     "String Quartet No. 1 in G major\n" + FROM_II, 4, [(0, fmt.IMPLIED_FIRST_NAME), *FROM_II_EXPECTED]),
    # negative: nothing is added
    ("count_unknown_unchanged", FROM_II, None, FROM_II_EXPECTED),
    ("count_equals_lines_unchanged", FROM_II, 3, FROM_II_EXPECTED),
    ("two_missing_unchanged", FROM_II, 5, FROM_II_EXPECTED),
    ("gap_after_II_unchanged",
     "II. Adagio 8:12\nIV. Finale 21:03", 3, [(492, "II. Adagio"), (1263, "IV. Finale")]),
    ("first_not_numbered_2_unchanged",
     "Adagio 8:12\nFinale 15:40", 3, [(492, "Adagio"), (940, "Finale")]),
    ("first_already_at_zero_unchanged",
     "0:00 II. Adagio\n8:12 III. Finale", 3, [(0, "II. Adagio"), (492, "III. Finale")]),
    ("complete_list_unchanged",
     "0:00 I. Allegro\n8:12 II. Adagio\n15:40 III. Finale", 3, [(0, "I. Allegro"), (492, "II. Adagio"),
                                                               (940, "III. Finale")]),
    ("lone_line_is_still_not_a_list", "II. Adagio 8:12", 2, []),
    ("durations_still_rejected", "II. Adagio 8:12\nIII. Scherzo 5:40\nIV. Finale 7:03", 4, []),
    ("no_list", "A lovely performance, at 3:15 the cello enters.", 3, []),
]


@pytest.mark.parametrize("description, movements, expected", [(d, n, e) for _, d, n, e in IMPLIED_FIRST],
                         ids=[i for i, _, _, _ in IMPLIED_FIRST])
def test_first_movement_implied_at_zero(description: str, movements: int | None,
                                        expected: list[tuple[float, str]]) -> None:
    got = parse_chapters(description, movements=movements)
    assert [(c.start_s, c.name) for c in got] == [(float(s), n) for s, n in expected]


@pytest.mark.parametrize("_id, description, expected", DESCRIPTIONS, ids=[i for i, _, _ in DESCRIPTIONS])
def test_a_count_that_matches_the_list_changes_nothing(_id: str, description: str,
                                                       expected: list[tuple[float, str]]) -> None:
    assert parse_chapters(description, movements=max(len(expected), 1)) == parse_chapters(description)


@pytest.mark.parametrize("bad", [0, -2, True, 2.0])
def test_movements_must_be_a_positive_whole_number(bad: object) -> None:
    with pytest.raises(ValueError, match="movements"):
        parse_chapters(FROM_II, movements=bad)  # type: ignore[arg-type]


def test_cli_movements_option() -> None:
    from typer.testing import CliRunner

    from earsense_m2t.cli import app

    result = CliRunner().invoke(app, ["parse-chapters", "--movements", "4"], input=FROM_II)
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == [{"start": 0.0, "name": fmt.IMPLIED_FIRST_NAME},
                                         *({"start": float(s), "name": n} for s, n in FROM_II_EXPECTED)]
    unchanged = CliRunner().invoke(app, ["parse-chapters"], input=FROM_II)
    assert [c["start"] for c in json.loads(unchanged.output)] == [492.0, 940.0, 1263.0]
    assert CliRunner().invoke(app, ["parse-chapters", "--movements", "0"], input=FROM_II).exit_code == 2

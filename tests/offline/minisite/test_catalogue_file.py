"""The catalogue's data file: the shipped file loads into valid specs, and broken files say what is wrong."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import pytest

from earsense_m2t.offline.minisite import BLOG_POSTS, SPECIAL_CASES, load_catalogue, validate_catalogue
from earsense_m2t.offline.minisite.catalogue import (
    CATALOGUE_FILE,
    CATALOGUE_PACKAGE,
    SPECIAL_CASE_NAMES,
    WorkSpec,
    parse_catalogue,
    work_slug,
)

SHIPPED = resources.files(CATALOGUE_PACKAGE).joinpath(CATALOGUE_FILE)
PARSED = parse_catalogue(SHIPPED.read_text(encoding="utf-8"), CATALOGUE_FILE)

# A small valid file; each broken case below changes one line of it.
MINIMAL = """\
glossary:
  largo:
    definition: a very slow, broad tempo.
  string quartet:
    names: Streichquartett [G]
    definition: a work for two violins, viola and cello.
works:
  - composer: Joseph Haydn
    title: String Quartet in D major, Op. 76 No. 5
    born: {date: 1732-03-31, place: Rohrau}
    died: {date: 1809-05-31, place: Vienna}
    nationality: Austrian
    instrumentation: 2 violins, viola and cello
    genre: String Quartet
    key: D
    mode: major
    timbre: [strings, strings]
    updated: 2024-02-11
    special_cases: [second_recording]
    movements:
      - {number: 1, title: "Allegretto – Allegro", tempo_class: fast, duration_s: 50}
      - {number: 2, title: "Largo. Cantabile e mesto", tempo_class: slow, duration_s: 64}
    article:
      - role: quote
        text: >-
          “Late, and light.”
      - role: attribution
        text: —Anna Weber writing in her Guide.
      - about: []
        text: >-
          Haydn wrote this quartet late, with nothing left to prove
          & every reason to experiment.
      - sentences:
          - {role: bio, text: "Haydn was born in Rohrau."}
          - about: [2]
            text: >-
              The [[Largo|largo]] is marked *cantabile e mesto*.^1
          - about: [1, 2]
            text: Both movements are short.
    glossary: [string quartet, largo]
    recordings:
      - performers: Aurora String Quartet
        layout: tracks
        level_lufs: -22
        uploader: Aurora String Quartet
        recorded: 2018
      - performers: Quartetto Lumen
        layout: none
        titles: [Allegretto, Largo]
blog_posts:
  - slug: a-post
    title: A post
    date: 2024-01-15
    author: Marta Lindqvist
    paragraphs:
      - >-
        Hear [the quartet](work:@second_recording?ri=0) or [the same
        page](work:Joseph Haydn|String Quartet in D major, Op. 76 No. 5), its [record](pkey:@second_recording).
"""
HAYDN = "Joseph-Haydn-String-Quartet-in-D-major-Op-76-No-5"


def test_shipped_file_is_the_default_catalogue() -> None:
    assert SHIPPED.is_file()
    assert PARSED.works == load_catalogue()
    assert PARSED.blog_posts == BLOG_POSTS
    assert PARSED.special_cases == SPECIAL_CASES
    assert tuple(SPECIAL_CASES) == SPECIAL_CASE_NAMES
    assert load_catalogue() is load_catalogue()  # read once


@pytest.mark.parametrize("work", PARSED.works, ids=lambda w: w.slug)
def test_every_work_in_the_file_round_trips(work: WorkSpec) -> None:
    validate_catalogue([work])
    assert work.slug == work_slug(work.composer, work.title)
    assert len(work.paragraph_movements) == len(work.article or ())
    assert work in load_catalogue()


def test_blog_links_resolve_to_work_slugs() -> None:
    slugs = {w.slug for w in PARSED.works}
    links = [link for p in PARSED.blog_posts for para in p.paragraphs for link in para.split("](work:")[1:]]
    assert links
    for link in links:
        assert link.split(")")[0].split("?")[0] in slugs


def test_minimal_file_reads_as_written(tmp_path: Path) -> None:
    path = tmp_path / "catalogue.yaml"
    path.write_text(MINIMAL, encoding="utf-8")
    works, posts, special = parse_catalogue(path.read_text(encoding="utf-8"), str(path))
    (work,) = works
    assert work.slug == HAYDN
    assert work.article == (
        "“Late, and light.”",
        "—Anna Weber writing in her Guide.",
        "Haydn wrote this quartet late, with nothing left to prove & every reason to experiment.",
        "Haydn was born in Rohrau. The [[Largo|largo]] is marked *cantabile e mesto*.^1 Both movements are short.",
    )
    assert work.paragraph_movements == ((), (), (), (1, 2))
    assert [[(s.role, s.about) for s in p] for p in work.article_sentences() or ()] == [
        [("quote", ())], [("attribution", ())], [("work", ())], [("bio", ()), ("movement", (2,)), ("movement", (1, 2))]]
    assert work.article_sentences()[3][1].text == "The largo is marked cantabile e mesto."  # type: ignore[index]
    assert work.biography == "Haydn was born in Rohrau."
    assert [(e.term, e.heading) for e in work.glossary] == [
        ("string quartet", "string quartet, Streichquartett [G]"), ("largo", "largo")]
    assert (work.composer_born, work.composer_died) == (1732, 1809)
    assert dict(work.facts())["Died"] == "May 31, 1809, Vienna (age 77)"
    assert work.updated == "2024-02-11"
    assert work.recordings[0].level_lufs == -22.0 and work.recordings[0].recorded == "2018"
    assert work.recordings[1].layout == "none" and work.listed_movements(1) == (("I. Allegretto", 50), ("II. Largo", 64))
    assert work.year is None and work.in_sitemap and "Composed" not in dict(work.facts())
    assert special == {"second_recording": HAYDN}
    assert posts[0].date == "2024-01-15"
    assert posts[0].paragraphs == (
        f"Hear [the quartet](work:{HAYDN}?ri=0) or [the same page](work:{HAYDN}), its [record](pkey:{HAYDN}).",
    )
    validate_catalogue(works)


BROKEN = [
    # (what, text in MINIMAL, replacement, words the error must contain)
    ("typo'd field", "  - composer: Joseph Haydn", "  - composr: Joseph Haydn",
     ["work 1 ('String Quartet in D major, Op. 76 No. 5')", "unknown field 'composr'", "did you mean 'composer'"]),
    ("missing field", "    genre: String Quartet\n", "",
     [f"work '{HAYDN}'", "missing field 'genre'"]),
    ("missing movement field", ", duration_s: 64}", "}",
     [f"work '{HAYDN}': movement 2", "missing field 'duration_s'"]),
    ("wrong type", "duration_s: 50", "duration_s: fifty",
     [f"work '{HAYDN}': movement 1", "field 'duration_s' must be a whole number, got text"]),
    ("unknown value", "tempo_class: slow", "tempo_class: slowish",
     [f"work '{HAYDN}': movement 2", "field 'tempo_class' is 'slowish'"]),
    ("bad recording", "layout: tracks", "layout: track",
     [f"work '{HAYDN}': recording 1", "field 'layout' is 'track'"]),
    ("video recording without level", "        level_lufs: -22\n", "",
     [f"work '{HAYDN}': recording 1", "missing field 'level_lufs'"]),
    ("titles that do not fit", "titles: [Allegretto, Largo]", "titles: [Allegretto]",
     [f"{HAYDN}: recording 1", "1 titles for 2 movements"]),
    ("sentence about a missing movement", "about: [2]", "about: [5]",
     [f"work '{HAYDN}': article paragraph 4: sentence 2", "'about'", "[5]"]),
    ("unknown sentence role", "role: quote", "role: quotation",
     [f"work '{HAYDN}': article paragraph 1", "field 'role' is 'quotation'"]),
    ("movement role without movements", "{role: bio, text:", "{role: movement, text:",
     [f"{HAYDN}: article paragraph 4", "a movement sentence cannot be about movements []"]),
    ("two sentences given as one", "text: Both movements are short.", "text: Both are short. Very.",
     [f"{HAYDN}: article paragraph 4", "not how the text splits"]),
    ("bad date", "updated: 2024-02-11", "updated: last spring",
     [f"work '{HAYDN}'", "field 'updated' is 'last spring'"]),
    ("bad life date", "date: 1732-03-31", "date: spring 1732",
     [f"work '{HAYDN}': born", "field 'date' is 'spring 1732'"]),
    ("unknown special case", "special_cases: [second_recording]", "special_cases: [second_recordings]",
     [f"work '{HAYDN}'", "unknown special case 'second_recordings'"]),
    ("rule of validate_catalogue", "duration_s: 50", "duration_s: 500",
     [f"{HAYDN}#1: duration 500s"]),
    ("glossary term not in the glossary", "glossary: [string quartet, largo]", "glossary: [string quartet, lento]",
     [f"work '{HAYDN}'", "glossary term 'lento' is not in the file's glossary"]),
    ("glossary link without entry", "glossary: [string quartet, largo]", "glossary: [string quartet]",
     [HAYDN, "glossary link 'Largo'"]),
    ("blog link to an unknown work", "work:@second_recording?ri=0", "work:@no_article",
     ["blog post 'a-post'", "paragraph 1", "unknown work '@no_article'"]),
    ("not YAML", "    key: D", "    key: [D",
     ["not valid YAML (line 16, column 9)", "expected ',' or ']'"]),
]


@pytest.mark.parametrize("what, old, new, expected", BROKEN, ids=[b[0] for b in BROKEN])
def test_broken_file_names_file_work_and_field(
    tmp_path: Path, what: str, old: str, new: str, expected: list[str]
) -> None:
    assert MINIMAL.count(old) == 1, what
    path = tmp_path / "broken.yaml"
    path.write_text(MINIMAL.replace(old, new), encoding="utf-8")
    with pytest.raises(ValueError) as err:
        parse_catalogue(path.read_text(encoding="utf-8"), str(path))
    message = str(err.value)
    assert message.startswith(f"{path}: "), message
    for words in expected:
        assert words in message, message
    assert "\n" not in message

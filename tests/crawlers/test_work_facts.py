"""Table-driven tests of the header-fact parsers (crawlers/work_facts.py): many shapes, missing pieces."""

import pytest

from earsense_m2t.crawlers.work_facts import (
    parse_born,
    parse_composed,
    parse_died,
    parse_instrumentation,
    parse_minutes,
    parse_plain,
)


@pytest.mark.parametrize("text, expected", [
    ("March 31, 1732, Rohrau", (1732, "Rohrau")),
    ("1732, Rohrau", (1732, "Rohrau")),
    ("c. 1710, Jesi", (1710, "Jesi")),
    ("ca. 1745, Mannheim", (1745, "Mannheim")),
    ("31 March 1732, Rohrau, Lower Austria", (1732, "Rohrau, Lower Austria")),
    ("September 25, 1906, St. Petersburg", (1906, "St. Petersburg")),
    ("1732", (1732, None)),
    ("Rohrau", (None, "Rohrau")),
    ("March 31", (None, None)),  # a date without its year says neither
    ("", (None, None)),
    (None, (None, None)),
])
def test_born(text, expected):
    assert parse_born(text) == expected


@pytest.mark.parametrize("text, expected", [
    ("May 31, 1809, Vienna (age 77)", (1809, "Vienna", 77)),
    ("1809 (age 77)", (1809, None, 77)),
    ("December 2, 1858, Leipzig (age 56)", (1858, "Leipzig", 56)),
    ("1975, Moscow", (1975, "Moscow", None)),
    ("c. 1780, Naples (age about 70)", (1780, "Naples", None)),
    ("(age 40)", (None, None, 40)),
    (None, (None, None, None)),
])
def test_died(text, expected):
    assert parse_died(text) == expected


@pytest.mark.parametrize("text, expected", [
    ("1797 (age 64-65)", 1797),
    ("1825-26 (age 55)", 1825),
    ("1849 (age 52-53)", 1849),
    ("c. 1790", 1790),
    ("1840s", None),  # a decade is not a year
    ("(age 30)", None),
    ("", None),
    (None, None),
])
def test_composed(text, expected):
    assert parse_composed(text) == expected


@pytest.mark.parametrize("text, expected", [
    ("22 minutes (approximately)", 1320.0),
    ("32 minutes (approximately)", 1920.0),
    ("Duration 9 minutes", 540.0),
    ("25-30 minutes", 1650.0),
    ("1 hour 5 minutes", 3900.0),
    ("1 hour", 3600.0),
    ("ca. 40 min.", 2400.0),
    ("18", 1080.0),
    ("1:05:00", 3900.0),
    ("approximately", None),
    ("", None),
    (None, None),
])
def test_minutes(text, expected):
    assert parse_minutes(text) == expected


@pytest.mark.parametrize("text, expected", [
    ("(for 2 violins, viola and cello)", "2 violins, viola and cello"),
    ("(for piano)", "piano"),
    ("(For String Quartet)", "String Quartet"),
    ("for flute, viola and harp", "flute, viola and harp"),
    ("(for violin, viola da gamba (or cello) and piano)", "violin, viola da gamba (or cello) and piano"),
    ("(1797)", None),
    ("", None),
    (None, None),
])
def test_instrumentation(text, expected):
    assert parse_instrumentation(text) == expected


@pytest.mark.parametrize("text, expected", [
    ("Austrian", "Austrian"), ("  German ", "German"), ("1799,  Vienna", "1799, Vienna"), ("", None), (None, None)])
def test_plain(text, expected):
    assert parse_plain(text) == expected

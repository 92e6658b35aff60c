"""The user-facing commands, run as a user runs them (a real process, stdin in, stdout out)."""

import json
import subprocess
import sys

import pytest


def cli(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "earsense_m2t.cli", *args], input=stdin,
                          capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("title, tag, source", [
    ("I. Adagio – Allegro vivace", "super_fast", "marking"),
    ("Sehr langsam", "slow", "marking"),
    ("Menuetto", "medium", "form"),
    ("Finale", "", "none"),
])
def test_tag_tempo_one_line_per_title(title, tag, source):
    result = cli("tag-tempo", stdin=f"{title}\n")
    assert result.returncode == 0, result.stderr
    fields = result.stdout.rstrip("\n").split("\t")
    assert fields[:3] == [title, tag, source] and len(fields) == 4


def test_tag_tempo_keeps_line_count():
    titles = ["Allegro", "", "Largo", "Presto"]
    result = cli("tag-tempo", stdin="\n".join(titles) + "\n")
    assert [line.split("\t")[0] for line in result.stdout.splitlines()] == titles


def test_parse_chapters_prints_json():
    description = "Recorded live.\n00:00 I. Allegro moderato\n08:41 II. Andante\n1:02:03 III. Finale. Presto\n"
    result = cli("parse-chapters", stdin=description)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == [{"start": 0.0, "name": "I. Allegro moderato"},
                                         {"start": 521.0, "name": "II. Andante"},
                                         {"start": 3723.0, "name": "III. Finale. Presto"}]


def test_parse_chapters_without_a_list_is_empty():
    assert json.loads(cli("parse-chapters", stdin="A lovely performance, at 3:15 the cello enters.").stdout) == []

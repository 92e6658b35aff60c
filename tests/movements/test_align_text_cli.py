"""``earsense-m2t align-text`` as a real process: JSON Lines in, JSON Lines out, numbered errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from earsense_m2t.movements.align_text import AlignTextError, parse_line

QUARTET_ARTICLE = [
    "“A quartet every amateur ensemble will be glad to know.”",
    "—Jane Roe writing in her Handbook for Quartet Amateurs.",
    "Anton Feldmayer (1811-1874) was born in Kolin. In the last decade of his life he wrote chamber music.",
    "His Quartet in G major was composed in 1846.",
    "In four movements, it begins with an Allegro con moto whose theme is given to the cello. Next comes a Lento, "
    "a gentle song. Then a Scherzo lightens the mood. The finale, Presto, is a good-natured romp.",
    "© Edition Lindqvist. Used by permission.",
]
QUARTET_TITLES = ["I. Allegro non troppo", "II. Adagio", "III. Menuetto", "IV. Allegro"]
NEVER_IN_A_PASSAGE = ("amateur ensemble", "Jane Roe", "Kolin", "last decade", "1846", "Lindqvist", "permission")


def run(*args: str, stdin: str = "", cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "earsense_m2t.cli", "align-text", *args], input=stdin, cwd=cwd,
                          env={**os.environ, "PYTHONIOENCODING": "utf-8"}, capture_output=True, text=True,
                          encoding="utf-8", timeout=120)


def jsonl(*records: object) -> str:
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)


def outputs(proc: subprocess.CompletedProcess[str]) -> list[dict]:
    assert proc.returncode == 0, proc.stderr
    return [json.loads(line) for line in proc.stdout.splitlines()]


def assert_numbered_error(proc: subprocess.CompletedProcess[str], line: int, *needles: str) -> None:
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert proc.stdout == ""  # nothing half-written: the output lines would no longer match the input
    lines = [x for x in proc.stderr.splitlines() if x.strip()]
    assert 1 <= len(lines) <= 2 and "Traceback" not in proc.stderr, proc.stderr
    assert f"line {line}:" in proc.stderr, proc.stderr
    for needle in needles:
        assert needle in proc.stderr, proc.stderr


def test_happy_path_one_output_per_line_in_order(tmp_path):
    sonata = {"article": ["The first movement is stormy. The Adagio which follows is calm.",
                          "The finale is a rondo."], "titles": ["Allegro", "Adagio", "Rondo. Allegro"]}
    records = [{"article": QUARTET_ARTICLE, "titles": QUARTET_TITLES}, sonata, {"article": [], "titles": ["A", "B"]}]
    out = outputs(run(stdin=jsonl(*records), cwd=tmp_path))
    assert len(out) == 3
    quartet, second, empty = out
    assert quartet["texts"] == [
        "In four movements, it begins with an Allegro con moto whose theme is given to the cello.",
        "Next comes a Lento, a gentle song.",  # the recording says Adagio: the sequence places it
        "Then a Scherzo lightens the mood.",
        "The finale, Presto, is a good-natured romp.",
    ]
    assert all(needle not in text for text in quartet["texts"] for needle in NEVER_IN_A_PASSAGE)
    assert all(0 < c <= 1 for c in quartet["confidence"])
    assert second["texts"] == ["The first movement is stormy.", "The Adagio which follows is calm.",
                               "The finale is a rondo."]
    assert empty == {"texts": [None, None], "confidence": [0, 0]}


def test_empty_titles_with_a_count(tmp_path):
    record = {"article": ["The first movement is bold.", "The finale is a rondo."], "titles": [], "count": 4}
    [out] = outputs(run(stdin=jsonl(record), cwd=tmp_path))
    assert out["texts"] == ["The first movement is bold.", None, None, "The finale is a rondo."]
    assert out["confidence"][1:3] == [0, 0] and out["confidence"][0] > 0 and out["confidence"][3] > 0


def test_count_is_inferred_without_titles_or_count(tmp_path):
    stated = {"article": ["This three-movement work begins with a march. Then comes a Larghetto."]}
    by_cues = {"article": ["It begins with an Allegro. Next comes an Andante.", "The finale is a gallop."]}
    nothing = {"article": ["Franziska Ebner wrote it for her salon. It is charming."]}
    out = outputs(run(stdin=jsonl(stated, by_cues, nothing), cwd=tmp_path))
    assert out[0]["texts"] == ["This three-movement work begins with a march.", "Then comes a Larghetto.", None]
    assert out[0]["confidence"][2] == 0
    assert out[1]["texts"] == ["It begins with an Allegro.", "Next comes an Andante.", "The finale is a gallop."]
    assert out[2] == {"texts": [], "confidence": []}


def test_a_file_argument_and_blank_lines(tmp_path):
    path = tmp_path / "works.jsonl"
    path.write_text("\n" + jsonl({"article": ["The first movement is bold."], "count": 2}) + "\n", encoding="utf-8")
    assert outputs(run(str(path), cwd=tmp_path)) == [{"texts": ["The first movement is bold.", None],
                                                     "confidence": [0.85, 0]}]
    assert outputs(run("-", stdin=path.read_text(encoding="utf-8"), cwd=tmp_path))[0]["texts"][0].startswith("The first")


def test_a_missing_file_is_a_one_line_error(tmp_path):
    proc = run(str(tmp_path / "nowhere.jsonl"), cwd=tmp_path)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert "nowhere.jsonl" in proc.stderr and len(proc.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("bad, needle", [
    ('{"article": ["x"], "titles": ', "not valid JSON"),
    ('["a list", "not an object"]', "expected a JSON object"),
    ('{"titles": ["Allegro"]}', "missing 'article'"),
    ('{"article": "one string, not a list"}', "'article' must be a list of strings"),
    ('{"article": ["x"], "titles": ["Allegro", 2]}', "'titles' must be a list of strings"),
    ('{"article": ["x"], "count": true}', "'count' must be a positive whole number"),
    ('{"article": ["x"], "count": 0}', "'count' must be a positive whole number"),
    ('{"article": ["x"], "titles": ["A", "B"], "count": 3}', "there are 2 titles"),
])
def test_a_malformed_line_is_named_and_nothing_is_written(tmp_path, bad, needle):
    good = jsonl({"article": ["The first movement is bold."], "count": 1})
    assert_numbered_error(run(stdin=good + good + bad + "\n" + good, cwd=tmp_path), 3, needle)


def test_several_malformed_lines_are_counted_on_one_line(tmp_path):
    proc = run(stdin='{"article": []}\n{bad\n[1]\n{"article": []}\n{"titles": []}\n', cwd=tmp_path)
    assert_numbered_error(proc, 2, "also malformed: lines 3, 5")


def test_bytes_that_are_not_utf8_are_a_numbered_error(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "earsense_m2t.cli", "align-text"],
                          input=b'{"article": []}\n{"article": ["\xff"]}\n', cwd=tmp_path, capture_output=True,
                          timeout=120)
    assert proc.returncode == 2 and proc.stdout == b""
    assert b"line 2: not UTF-8" in proc.stderr and b"Traceback" not in proc.stderr


def test_parse_line_names_the_line():
    assert parse_line('{"article": ["p"], "titles": ["A"], "id": 7}', 4).titles == ("A",)  # other keys ignored
    with pytest.raises(AlignTextError, match=r"^line 9: "):
        parse_line("{}", 9)

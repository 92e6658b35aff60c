"""MusAV's file formats: `annotations aggregate` writes the aggregated files as MusAV's scripts do (byte for
byte on hand-written samples; on excerpts of MusAV's real files, byte for byte up to the order of a triplet's pairs,
which MusAV's script leaves to Python's string hashing), readers round-trip, bad lines are one-line errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from earsense_m2t.annotation.tool.musav import (
    MusavFormatError,
    annotations_from_dir,
    from_musav_triplet_type,
    read_aggregated,
    read_raw,
    read_triplets,
    split_pair_id,
    to_musav_triplet_type,
    write_raw,
    write_triplets,
)

SAMPLES = Path(__file__).parent / "samples" / "musav"
EXPECTED = SAMPLES / "expected"
#: verbatim excerpts of MusAV's real files, the gt files as published now (see its README.md)
PUBLISHED = Path(__file__).parent / "samples" / "musav_published"
GOOD_RAW = {"tripletid": "t1", "songid_a": "s1", "songid_b": "s2", "annotator": "ann1", "type": "arousal",
            "higher_value": "a"}


def cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "earsense_m2t.cli", "annotations", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=120)


def one_line_error(proc: subprocess.CompletedProcess[str], *needles: str) -> None:
    assert proc.returncode == 2, proc.stdout + proc.stderr
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "Traceback" not in proc.stderr, proc.stderr
    for needle in needles:
        assert needle in proc.stderr, proc.stderr


def test_aggregate_command_writes_musav_s_files_byte_for_byte(tmp_path):
    proc = cli("aggregate", "--raw", str(SAMPLES / "annotations.all"), "--triplets", str(SAMPLES / "triplets.jsonl"),
               "--type", "arousal", "--out", str(tmp_path / "out"), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    written = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert written == sorted(p.name for p in EXPECTED.iterdir())
    for name in written:
        assert (tmp_path / "out" / name).read_bytes() == (EXPECTED / name).read_bytes(), name
    for line in ("30 judgments of 11 pairs", "full-agreement       4", "majority-agreement   3", "disagreement         2",
                 "incomplete           2", "gt.ct.fa             1", "alpha (nominal)     0.504082",
                 "alpha (ordinal)     0.724490"):
        assert line in proc.stdout, proc.stdout


def test_aggregate_command_of_the_other_type_keeps_to_its_lines(tmp_path):
    proc = cli("aggregate", "--raw", str(SAMPLES / "annotations.all"), "--triplets", str(SAMPLES / "triplets.jsonl"),
               "--type", "valence", "--out", str(tmp_path), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "annotations.valence.all.agreement").read_text() == (
        '{"tripletid": "t1", "triplet_type": "global_triplet", "pairid": "s1-s2", "agreement": "majority-agreement", '
        '"higher_value": "b"}\n')
    assert (tmp_path / "annotations.valence.all.agreement.gt").read_text().endswith('"triplet_consistency": '
                                                                                   '"incomplete"}\n')


def triplet_blocks(text: str) -> list[tuple[str, frozenset[str]]]:
    """A gt file as its triplets in file order, each with the set of its lines: MusAV's script prints a
    triplet's pairs in Python set (string-hash) order, which changes from run to run."""
    blocks: list[tuple[str, set[str]]] = []
    for line in text.splitlines():
        tripletid = json.loads(line)["tripletid"]
        if not blocks or blocks[-1][0] != tripletid:
            blocks.append((tripletid, set()))
        blocks[-1][1].add(line)
    return [(tripletid, frozenset(lines)) for tripletid, lines in blocks]


@pytest.mark.parametrize("question", ["arousal", "valence"])
def test_aggregate_command_reproduces_musav_s_published_files(tmp_path, question):
    """Real raw judgments of five MusAV triplets give the five aggregated files as MusAV publishes them now:
    ``.all.agreement`` byte for byte, the gt files line for line in triplet order (gt.fa with triplet_consistency)."""
    proc = cli("aggregate", "--raw", str(PUBLISHED / f"annotations.{question}.all"), "--triplets",
               str(PUBLISHED / "triplets.jsonl"), "--type", question, "--out", str(tmp_path / "out"), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    published = sorted((PUBLISHED / "published").glob(f"annotations.{question}.*"))
    assert len(published) == 5 and sorted(p.name for p in (tmp_path / "out").iterdir()) == [p.name for p in published]
    for path in published:
        ours = (tmp_path / "out" / path.name).read_bytes()
        if path.name.endswith(".all.agreement"):
            assert ours == path.read_bytes(), path.name
        else:
            assert sorted(ours.splitlines(keepends=True)) == sorted(path.read_bytes().splitlines(keepends=True)), path.name
            assert triplet_blocks(ours.decode()) == triplet_blocks(path.read_text(encoding="utf-8")), path.name
    # gt.ct, gt.fa and gt.ct.fa are the gt lines filtered, in gt order (MusAV greps them from the gt file)
    out = tmp_path / "out" / f"annotations.{question}.all.agreement"
    gt = out.with_name(out.name + ".gt").read_text().splitlines()
    consistent = [line for line in gt if '"triplet_consistency": "consistent"' in line]
    for suffix, lines in ((".gt.ct", consistent), (".gt.fa", [line for line in gt if '"full-agreement"' in line]),
                          (".gt.ct.fa", [line for line in consistent if '"full-agreement"' in line])):
        assert out.with_name(out.name + suffix).read_text().splitlines() == lines, suffix
    assert all(json.loads(line).popitem()[0] == "triplet_consistency" for line in gt)


def write_lines(path: Path, *lines: str) -> Path:
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path


def raw(**changes):
    obj = {**GOOD_RAW, **changes}
    return json.dumps({k: v for k, v in obj.items() if v is not ...})


@pytest.mark.parametrize("bad_line, message", [
    ('{"tripletid": "t1", "songid_a": ', "malformed JSON"),
    ("[1, 2]", "expected a JSON object, got list"),
    (raw(higher_value="c"), "field 'higher_value' is 'c', expected one of ['a', 'b', 'ab', 'not_selected']"),
    (raw(type="tempo"), "field 'type' is 'tempo'"),
    (raw(annotator=...), "missing field 'annotator'"),
    (raw(tripletid=7), "field 'tripletid' must be a non-empty string, got 7"),
    (raw(songid_b="s1"), "songid_a and songid_b are the same song 's1'"),
])
def test_bad_raw_lines_name_file_and_line(tmp_path, bad_line, message):
    path = write_lines(tmp_path / "raw.jsonl", raw(), "", bad_line)
    with pytest.raises(MusavFormatError) as info:
        read_raw(path)
    assert str(info.value).startswith(f"{path}:3: {message}"), str(info.value)


@pytest.mark.parametrize("bad_line, message", [
    ('{"tripletid": "t9", "songids": ["x", "y"], "triplet_type": "global_triplet"}', "three different song ids"),
    ('{"tripletid": "t9", "songids": ["x", "x", "y"], "triplet_type": "global_triplet"}', "three different song ids"),
    ('{"tripletid": "t9", "triplet_type": "global_triplet"}', "missing field 'songids'"),
    ('{"tripletid": "t1", "songids": ["x", "y", "z"], "triplet_type": "global_triplet"}', "triplet 't1' again"),
    ('{"tripletid": "t9", "songids": ["x", "y", "s3"], "triplet_type": "global_triplet"}',
     "song 's3' is already in triplet 't1'"),
])
def test_bad_triplet_lines_name_file_and_line(tmp_path, bad_line, message):
    path = write_lines(tmp_path / "triplets.jsonl", *SAMPLES.joinpath("triplets.jsonl").read_text().splitlines(),
                       bad_line)
    with pytest.raises(MusavFormatError, match=f"{path}:5: .*{message}".replace("[", r"\[").replace("]", r"\]")):
        read_triplets(path)


@pytest.mark.parametrize("musav, ours", [
    ("global_triplet", "global"),
    ("genre_triplet--acid trance", "group:genre=acid trance"),
    ("genre_triplet--r&b--soul", "group:genre=r&b--soul"),
    ("ensemble_triplet--string quartet", "group:ensemble=string quartet"),
    ("something else", "something else"),
])
def test_triplet_types_map_both_ways(musav, ours):
    assert from_musav_triplet_type(musav) == ours
    assert to_musav_triplet_type(ours) == musav


def test_raw_and_triplet_files_round_trip(tmp_path):
    judgments = read_raw(SAMPLES / "annotations.all")
    triplets = read_triplets(SAMPLES / "triplets.jsonl")
    assert write_raw(judgments, tmp_path / "raw") == 33
    assert (tmp_path / "raw").read_bytes() == (SAMPLES / "annotations.all").read_bytes()
    write_triplets(triplets, tmp_path / "triplets.jsonl")
    assert (tmp_path / "triplets.jsonl").read_bytes() == (SAMPLES / "triplets.jsonl").read_bytes()
    assert read_raw(SAMPLES / "annotations.all", "valence") == [j for j in judgments if j.question == "valence"]


def test_published_gt_lines_written_as_python_dicts_are_read(tmp_path):
    """Some lines of MusAV's published gt files are Python dict literals (single quotes), not JSON."""
    path = write_lines(tmp_path / "annotations.arousal.all.agreement.gt",
                       "{'tripletid': 'T', 'triplet_type': 'global_triplet', 'pairid': 'P-Q', 'agreement': "
                       "'full-agreement', 'higher_value': 'a', 'triplet_consistency': 'incomplete'}",
                       '{"tripletid": "U", "triplet_type": "genre_triplet--zikir", "pairid": "R-S", "agreement": '
                       '"majority-agreement", "higher_value": "ab", "triplet_consistency": "consistent"}')
    lines = read_aggregated(path)
    assert [(x.pairid, x.outcome, x.triplet_consistency, x.line) for x in lines] == [
        ("P-Q", "a", "incomplete", 1), ("R-S", "ab", "consistent", 2)]
    bad = write_lines(tmp_path / "bad", "{'tripletid': __import__('os')}")
    with pytest.raises(MusavFormatError, match=f"{bad}:1: malformed JSON"):
        read_aggregated(bad)


def test_annotations_from_a_folder_of_aggregated_files():
    rows = {r.pair_id: r for r in annotations_from_dir(EXPECTED, "arousal")}
    assert len(rows) == 7
    assert rows["s1-s2"].subsets == ("gt", "gt.ct", "gt.fa", "gt.ct.fa")
    assert rows["s4-s6"].subsets == ("gt",) and rows["s4-s6"].outcome == "b"
    assert (rows["s4-s5"].a, rows["s4-s5"].b, rows["s4-s5"].triplet_type) == ("s4", "s5", "group:genre=forró")
    with pytest.raises(MusavFormatError, match="annotations.valence.all.agreement.gt: no such file"):
        annotations_from_dir(EXPECTED, "valence")


@pytest.mark.parametrize("pairid, known, expected", [
    ("s1-s2", (), ("s1", "s2")),
    ("string-quartet#1-string-quartet#2", ("string-quartet#1", "string-quartet#2"), ("string-quartet#1",
                                                                                     "string-quartet#2")),
    ("a-b-c", (), None),
])
def test_pair_ids_are_split_with_known_ids(pairid, known, expected):
    assert split_pair_id(pairid, known) == expected


@pytest.mark.parametrize("raw_lines, needles", [
    (['{"tripletid": "t1", "songid_a": "s1", "songid_b": "s2", "annotator": "x", "type": "arousal", '
      '"higher_value": "maybe"}'], ["raw.jsonl:1:", "'higher_value'", "'maybe'"]),
    (['{"tripletid": "t1", "songid_a": "s1"'], ["raw.jsonl:1:", "malformed JSON"]),
    (['{"tripletid": "t7", "songid_a": "s1", "songid_b": "s2", "annotator": "x", "type": "arousal", '
      '"higher_value": "a"}'], ["raw.jsonl", "triplet 't7' is not among the triplets"]),
])
def test_aggregate_command_refuses_bad_files_in_one_line(tmp_path, raw_lines, needles):
    path = write_lines(tmp_path / "raw.jsonl", *raw_lines)
    proc = cli("aggregate", "--raw", str(path), "--triplets", str(SAMPLES / "triplets.jsonl"), "--out",
               str(tmp_path / "out"), cwd=tmp_path)
    one_line_error(proc, *needles)
    assert not (tmp_path / "out").exists()


def test_aggregate_command_refuses_an_unknown_type_and_a_missing_file(tmp_path):
    one_line_error(cli("aggregate", "--raw", str(SAMPLES / "annotations.all"), "--triplets",
                       str(SAMPLES / "triplets.jsonl"), "--type", "tempo", "--out", str(tmp_path), cwd=tmp_path),
                   "--type 'tempo'")
    one_line_error(cli("aggregate", "--raw", str(tmp_path / "none.jsonl"), "--triplets",
                       str(SAMPLES / "triplets.jsonl"), "--out", str(tmp_path), cwd=tmp_path),
                   "none.jsonl: cannot read it")

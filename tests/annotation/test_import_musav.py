"""`earsense-m2t annotations import-musav`: raw judgments in MusAV's format into the build's judgment store."""

from __future__ import annotations

import json

import pytest

from earsense_m2t.annotation.paths import AnnotationPaths
from earsense_m2t.annotation.tool.store import JudgmentStore
from tests.annotation.test_label_studio import TRIPLET, cli, out  # noqa: F401 - `out` is a fixture

X, Y, Z = TRIPLET.movement_ids


def raw_line(a: str, b: str, annotator: str, kind: str, answer: str, triplet: str = TRIPLET.id) -> str:
    return json.dumps({"tripletid": triplet, "songid_a": a, "songid_b": b, "annotator": annotator, "type": kind,
                       "higher_value": answer})


def test_raw_judgments_are_stored_pseudonymized_in_triplet_order_once(out, tmp_path):  # noqa: F811
    raw = tmp_path / "annotations.arousal.all"
    # MusAV names a pair either way round: (Y, X) answered "a" is (X, Y) answered "b"
    raw.write_text("\n".join([raw_line(X, Y, "annotator014", "arousal", "a"),
                              raw_line(Y, X, "annotator015", "arousal", "a"),
                              raw_line(X, Z, "annotator014", "valence", "not_selected")]) + "\n")
    proc = cli("import-musav", str(raw), "--out", str(out), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "3 new judgment(s) stored" in proc.stdout
    stored = JudgmentStore(AnnotationPaths(out).judgments).all()
    assert {(j.a, j.b, j.question, j.answer) for j in stored} == {
        (X, Y, "arousal", "a"), (X, Y, "arousal", "b"), (X, Z, "valence", "not_selected")}
    assert not any(j.annotator.startswith("annotator01") for j in stored)  # pseudonyms only
    again = cli("import-musav", str(raw), "--out", str(out), cwd=tmp_path)
    assert again.returncode == 0 and "0 new judgment(s) stored" in again.stdout


@pytest.mark.parametrize("lines, needles", [
    ([raw_line(X, Y, "a1", "arousal", "a", triplet="t-elsewhere")], ["t-elsewhere", "not one of this build's"]),
    ([raw_line(X, "op-9#1", "a1", "arousal", "a")], ["op-9#1", "not a pair of triplet"]),
    ([raw_line(X, Y, "a1", "arousal", "maybe")], ["higher_value"]),
    (["{not json"], ["annotations.arousal.all:2", "malformed JSON"]),
    # issue 23 item 8: a RecursionError traceback of 85 lines before
    (['{"tripletid": ' + "[" * 100_000 + "]" * 100_000 + "}"], ["annotations.arousal.all:2", "nested too deeply"]),
])
def test_a_bad_raw_file_stores_nothing(out, tmp_path, lines, needles):  # noqa: F811
    raw = tmp_path / "annotations.arousal.all"
    raw.write_text("\n".join([raw_line(X, Y, "a0", "arousal", "a"), *lines]) + "\n")
    proc = cli("import-musav", str(raw), "--out", str(out), cwd=tmp_path)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr, proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr
    for needle in needles:
        assert needle in proc.stderr, proc.stderr
    assert not AnnotationPaths(out).judgments.exists() or JudgmentStore(AnnotationPaths(out).judgments).all() == []

"""Evaluation of predictions as MusAV's evaluate.py: correctly ordered pairs per subset, ab ground truth and tied
predictions skipped; prediction files (JSON Lines, CSV) and the `annotations evaluate` command."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from earsense_m2t.annotation.metrics.evaluate import PredictionsError, evaluate, read_predictions
from earsense_m2t.schemas.annotation import RelativeAnnotation

SAMPLES = Path(__file__).parent / "samples" / "musav"


def row(a, b, outcome, subsets=("gt",), question="arousal", source="human"):
    return RelativeAnnotation(pair_id=f"{a}-{b}", triplet_id="t", triplet_type="global", a=a, b=b, question=question,
                              outcome=outcome, agreement="full-agreement" if subsets else "disagreement",
                              subsets=subsets, source=source)


PREDICTIONS = {"w": (0.9, 0.1), "x": (0.5, 0.5), "y": (0.1, 0.9), "z": (0.5, None)}


@pytest.mark.parametrize("annotation, cell", [
    (row("w", "y", "a"), {"correct": 1, "total": 1}),  # 0.9 > 0.1 and w is higher: correct
    (row("w", "y", "b"), {"correct": 0, "total": 1}),
    (row("y", "w", "b"), {"correct": 1, "total": 1}),
    (row("w", "y", "ab"), {"total": 0, "skipped_ab": 1}),  # no difference: skipped
    (row("x", "z", "a"), {"total": 0, "skipped_tied": 1}),  # 0.5 == 0.5: skipped
    (row("x", "unknown", "a"), {"total": 0, "missing": 1}),
    (row("x", "y", "a", subsets=()), {"total": 0}),  # not ground truth
    (row("w", "y", "a", source="silver"), {"total": 0}),
])
def test_one_pair(annotation, cell):
    result = evaluate(PREDICTIONS, [annotation])["arousal"]["gt"]
    for key, value in cell.items():
        assert result[key] == value, (key, result)
    assert result["accuracy"] == (result["correct"] / result["total"] if result["total"] else None)


def test_subsets_and_questions_are_counted_apart():
    rows = [row("w", "y", "a", ("gt", "gt.fa")), row("x", "y", "b", ("gt",)), row("w", "x", "a", ("gt", "gt.ct")),
            row("w", "y", "b", ("gt",), question="valence"), row("x", "z", "a", ("gt",), question="valence")]
    result = evaluate(PREDICTIONS, rows)
    assert (result["arousal"]["gt"]["correct"], result["arousal"]["gt"]["total"]) == (2, 3)
    assert result["arousal"]["gt"]["accuracy"] == pytest.approx(2 / 3)
    assert result["arousal"]["gt.fa"]["accuracy"] == 1.0 and result["arousal"]["gt.ct.fa"]["accuracy"] is None
    assert result["valence"]["gt"] == {"correct": 1, "total": 1, "accuracy": 1.0, "skipped_ab": 0, "skipped_tied": 0,
                                       "missing": 1}  # z has no valence prediction


def test_predictions_from_json_lines_and_csv(tmp_path):
    jsonl = tmp_path / "p.jsonl"
    jsonl.write_text('{"id": "w", "arousal": 0.9, "valence": 0.1}\n\n{"id": "z", "arousal": "0.5", "valence": null}\n')
    csv = tmp_path / "p.csv"
    csv.write_text("id,arousal,valence\nw,0.9,0.1\nz,0.5,\n")
    assert read_predictions(jsonl) == read_predictions(csv) == {"w": (0.9, 0.1), "z": (0.5, None)}


@pytest.mark.parametrize("name, text, message", [
    ("p.jsonl", '{"id": "w", "arousal": 1, "valence": 2}\n{"id": "x", "arousal": 1}\n', ":2: missing field 'valence'"),
    ("p.jsonl", '{"id": "w", "arousal": 1, "valence": 2}\n{"id": "x", "arousal": "high", "valence": 2}\n',
     ":2: field 'arousal' must be a number, got 'high'"),
    ("p.jsonl", '{"id": "w", "arousal": 1, "valence": 2}\n{"id": "w", "arousal": 1, "valence": 2}\n',
     ":2: id 'w' again"),
    ("p.jsonl", '{"id": "w", "arousal": 1, "valence": 2}\n{"id": \n', ":2: malformed JSON"),
    ("p.jsonl", '{"id": "w", "arousal": NaN, "valence": 2}\n', ":1: field 'arousal' must be a finite number"),
    ("p.csv", "id,arousal\nw,1\n", ":1: header lacks ['valence']"),
    ("p.csv", "id,arousal,valence\nw,1,2\nx,1,two\n", ":3: field 'valence' must be a number, got 'two'"),
])
def test_bad_prediction_files_name_file_line_and_field(tmp_path, name, text, message):
    path = tmp_path / name
    path.write_text(text)
    with pytest.raises(PredictionsError) as info:
        read_predictions(path)
    assert str(info.value).startswith(f"{path}{message}"), str(info.value)


def cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "earsense_m2t.cli", "annotations", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=120)


def test_evaluate_command_on_a_folder_of_musav_files(tmp_path):
    # arousal ground truth of the sample (expected/): s4>s5, s5>s6, s6>s4 (inconsistent), s1>s2, s3>s2, s1>s3, s8=s9
    predictions = {"s1": 3, "s2": 1, "s3": 2, "s4": 3, "s5": 2, "s6": 1, "s8": 5, "s9": 5}
    path = tmp_path / "predictions.jsonl"
    path.write_text("".join(json.dumps({"id": k, "arousal": v, "valence": 0}) + "\n" for k, v in predictions.items()))
    proc = cli("evaluate", "--predictions", str(path), "--annotations", str(SAMPLES / "expected"), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    lines = {" ".join(line.split()[:2]): line for line in proc.stdout.splitlines()}
    assert set(lines) == {"arousal gt", "arousal gt.ct", "arousal gt.fa", "arousal gt.ct.fa"}  # no valence files
    assert "83.33 % correct of 6 pairs (skipped: 1 ab, 0 tied, 0 without a prediction)" in lines["arousal gt"]
    assert "100.00 % correct of 3 pairs" in lines["arousal gt.ct"]
    assert "100.00 % correct of 3 pairs (skipped: 1 ab" in lines["arousal gt.fa"]


def test_evaluate_command_on_a_published_dataset(tmp_path):
    rows = [row("op-1#1", "op-1#2", "a", ("gt", "gt.fa")), row("op-1#2", "op-1#3", "b", ("gt",)),
            row("op-1#1", "op-1#3", "a", (), question="valence")]
    folder = tmp_path / "dataset" / "data" / "relative_annotations"
    folder.mkdir(parents=True)
    table = pa.Table.from_pylist([{**r.to_dict(), "subsets": list(r.subsets)} for r in rows])
    pq.write_table(table, folder / "train-00000-of-00001.parquet")
    path = tmp_path / "p.csv"
    path.write_text("id,arousal,valence\nop-1#1,1,0\nop-1#2,2,0\nop-1#3,3,0\n")
    proc = cli("evaluate", "--predictions", str(path), "--annotations", str(tmp_path / "dataset"), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    lines = [" ".join(line.split()) for line in proc.stdout.splitlines()]
    assert "arousal gt 50.00 % correct of 2 pairs (skipped: 0 ab, 0 tied, 0 without a prediction)" in lines, lines
    assert "arousal gt.fa 0.00 % correct of 1 pairs (skipped: 0 ab, 0 tied, 0 without a prediction)" in lines, lines
    assert "valence gt n/a % correct of 0 pairs (skipped: 0 ab, 0 tied, 0 without a prediction)" in lines, lines


@pytest.mark.parametrize("predictions, annotations, needles", [
    ('{"id": "s1", "arousal": "x", "valence": 0}\n', "expected", ["predictions.jsonl:1:", "'arousal'"]),
    ('{"id": "s1", "arousal": 1, "valence": 0}\n', "nowhere", ["--annotations", "nowhere"]),
    ('{"id": "s1", "arousal": 1, "valence": 0}\n', ".", ["--annotations", "neither a published dataset"]),
])
def test_evaluate_command_errors_are_one_line(tmp_path, predictions, annotations, needles):
    path = tmp_path / "predictions.jsonl"
    path.write_text(predictions)
    proc = cli("evaluate", "--predictions", str(path), "--annotations", str(SAMPLES / annotations), cwd=tmp_path)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr, proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr
    for needle in needles:
        assert needle in proc.stderr

"""Label Studio: tasks and labeling config out; its JSON export in (as Label Studio writes it: annotations[].result[]
with from_name and value.choices, completed_by); an export of another project is refused and nothing is stored."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from earsense_m2t.annotation.paths import AnnotationPaths
from earsense_m2t.annotation.tool.label_studio import (
    PROJECT,
    LabelStudioError,
    export_tasks,
    import_label_studio,
    labeling_config,
)
from earsense_m2t.annotation.tool.store import JudgmentStore
from earsense_m2t.schemas.annotation import PoolExcerpt, Triplet
from earsense_m2t.schemas.io import write_records

TRIPLET = Triplet(id="t1", round=1, triplet_type="global", movement_ids=("op-1#1", "op-1#2", "op-7#3"))
URLS = {m: f"http://127.0.0.1:8000/excerpts/{i}.ogg" for i, m in enumerate(TRIPLET.movement_ids)}


def region(name, choice):
    return {"id": f"r{name}", "from_name": name, "to_name": "audio_a", "type": "choices",
            "value": {"choices": [choice]}}


def ls_export():
    """An export as Label Studio writes it for the tasks of export_tasks (ids, timestamps and users are its own)."""
    tasks = export_tasks([TRIPLET], URLS)
    out = []
    for number, task in enumerate(tasks, start=101):
        out.append({"id": number, "data": task["data"], "project": 7, "predictions": [],
                    "annotations": [
                        {"id": 1000 + number, "completed_by": 3, "was_cancelled": False, "ground_truth": False,
                         "created_at": "2026-05-01T10:00:00.000000Z", "updated_at": "2026-05-01T10:00:05.000000Z",
                         "lead_time": 12.5, "task": number,
                         "result": [region("arousal", "a"), region("valence", "ab")]},
                        {"id": 2000 + number, "completed_by": {"id": 4, "email": "ana@example.org", "first_name": "",
                                                               "last_name": ""},
                         "was_cancelled": False, "created_at": "2026-05-01T11:00:00Z", "task": number,
                         "result": [region("arousal", "b"),
                                    {"id": "c", "from_name": "notes", "to_name": "audio_a", "type": "textarea",
                                     "value": {"text": ["nice"]}}]},
                        {"id": 3000 + number, "completed_by": 5, "was_cancelled": True, "task": number, "result": []},
                    ]})
    return out


def test_tasks_are_one_per_pair_in_triplet_order():
    tasks = export_tasks([TRIPLET], URLS)
    assert [(t["data"]["a"], t["data"]["b"], t["data"]["pair_id"]) for t in tasks] == [
        ("op-1#1", "op-1#2", "op-1#1-op-1#2"), ("op-1#1", "op-7#3", "op-1#1-op-7#3"), ("op-1#2", "op-7#3",
                                                                                       "op-1#2-op-7#3")]
    assert tasks[2]["data"]["audio_a"] == URLS["op-1#2"] and tasks[2]["data"]["audio_b"] == URLS["op-7#3"]
    assert {t["data"]["project"] for t in tasks} == {PROJECT}
    with pytest.raises(LabelStudioError, match="no excerpt for movement 'op-7#3'"):
        export_tasks([TRIPLET], {k: v for k, v in URLS.items() if k != "op-7#3"})


def test_labeling_config_has_two_players_and_two_single_choice_questions():
    root = ET.fromstring(labeling_config())
    players = {a.get("name"): a.get("value") for a in root.iter("Audio")}
    assert players == {"audio_a": "$audio_a", "audio_b": "$audio_b"}  # the task data keys
    choices = {c.get("name"): c for c in root.iter("Choices")}
    assert set(choices) == {"arousal", "valence"}
    for control in choices.values():
        assert control.get("toName") in players and control.get("choice") == "single-radio"
        assert [c.get("value") for c in control.iter("Choice")] == ["a", "b", "ab"]
    hotkeys = [c.get("hotkey") for c in root.iter("Choice")]
    assert len(set(hotkeys)) == len(hotkeys) == 6


def test_import_turns_annotations_into_judgments():
    judgments = import_label_studio(ls_export(), [TRIPLET], annotator_id=lambda raw: f"<{raw}>")
    got = {(j.pair_id, j.question, j.annotator): j.answer for j in judgments}
    assert len(got) == 12  # 3 pairs x 2 annotators x 2 questions; the cancelled annotation gives nothing
    assert got["op-1#1-op-1#2", "arousal", "<label-studio 3>"] == "a"
    assert got["op-1#1-op-1#2", "valence", "<label-studio 3>"] == "ab"
    assert got["op-1#2-op-7#3", "arousal", "<label-studio ana@example.org>"] == "b"
    assert got["op-1#2-op-7#3", "valence", "<label-studio ana@example.org>"] == "not_selected"  # skipped question
    first = next(j for j in judgments if j.annotator == "<label-studio 3>")
    assert (first.triplet_id, first.source, first.submitted_at) == ("t1", "human", "2026-05-01T10:00:05.000000Z")


def test_a_second_annotation_of_the_same_user_replaces_the_first():
    export = ls_export()
    later = copy.deepcopy(export[0]["annotations"][0])
    later["result"] = [region("arousal", "b"), region("valence", "b")]
    export[0]["annotations"].append(later)
    judgments = import_label_studio(export, [TRIPLET])
    mine = [j for j in judgments if j.annotator == "label-studio 3" and j.pair_id == "op-1#1-op-1#2"]
    assert sorted((j.question, j.answer) for j in mine) == [("arousal", "b"), ("valence", "b")]


def broken(change):
    export = ls_export()
    change(export)
    return export


@pytest.mark.parametrize("export, message", [
    (broken(lambda e: e[1]["annotations"][0]["result"].__setitem__(0, region("sentiment", "Positive"))),
     "task 102 annotation 1102: from_name 'sentiment' is not one of ['arousal', 'valence']: an export from another"),
    (broken(lambda e: e[0]["data"].pop("project")), "task 101: not a task of this project's export"),
    (broken(lambda e: e[0].__setitem__("data", {"image": "http://127.0.0.1/x.png"})),
     "task 101: not a task of this project's export"),
    (broken(lambda e: e[2]["data"].__setitem__("triplet_id", "t9")), "task 103: unknown triplet 't9'"),
    (broken(lambda e: e[2]["data"].update(a="op-7#3", b="op-1#2", pair_id="op-7#3-op-1#2")),
     "task 103: pair 'op-7#3-op-1#2' is not a pair of triplet t1"),
    (broken(lambda e: e[0]["annotations"][0]["result"][0]["value"].__setitem__("choices", ["c"])),
     "arousal choices ['c'], expected exactly one of ['a', 'ab', 'b']"),
    (broken(lambda e: e[0]["annotations"][0]["result"][0]["value"].__setitem__("choices", ["a", "b"])),
     "arousal choices ['a', 'b']"),
    (broken(lambda e: e[0]["annotations"][0]["result"][0].__setitem__("type", "labels")),
     "from_name 'arousal' is of type 'labels'"),
    (broken(lambda e: e[0]["annotations"][0].pop("completed_by")), "completed_by None names no user"),
    ({"tasks": []}, "a Label Studio JSON export is a list of tasks, got dict"),
])
def test_exports_of_another_project_are_refused(export, message):
    with pytest.raises(LabelStudioError) as info:
        import_label_studio(export, [TRIPLET])
    assert message in str(info.value), str(info.value)


def cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "earsense_m2t.cli", "annotations", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=120)


@pytest.fixture
def out(tmp_path):
    """An output root whose annotation folder has the triplets and the pool (as the annotation stage writes them)."""
    paths = AnnotationPaths(tmp_path / "out")
    paths.dir.mkdir(parents=True)
    write_records(paths.triplets, [TRIPLET])
    write_records(paths.pool, [PoolExcerpt(id=m, movement_id=m, work_id=m.split("#")[0], source_id="src", start_s=10.0,
                                           duration_s=30.0, loudness_before_lufs=-23.0, playback_gain_db=-1.0,
                                           excerpt_sha256="0" * 64, excerpt_file=f"{i}.ogg")
                               for i, m in enumerate(TRIPLET.movement_ids)])
    return tmp_path / "out"


def test_export_command_writes_tasks_and_config(out, tmp_path):
    proc = cli("export-label-studio", "--out", str(out), "--audio-base-url", "http://127.0.0.1:8000/excerpts",
               "--dest", str(tmp_path / "ls"), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    tasks = json.loads((tmp_path / "ls" / "tasks.json").read_text())
    assert tasks == export_tasks([TRIPLET], URLS)
    assert (tmp_path / "ls" / "labeling_config.xml").read_text() == labeling_config()


def test_import_command_stores_pseudonymized_judgments_once(out, tmp_path):
    export = tmp_path / "export.json"
    export.write_text(json.dumps(ls_export()))
    proc = cli("import-label-studio", str(export), "--out", str(out), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "12 new judgment(s) stored" in proc.stdout
    stored = JudgmentStore(AnnotationPaths(out).judgments).all()
    assert len(stored) == 12 and all(j.annotator.startswith("p") and "label-studio" not in j.annotator for j in stored)
    assert len({j.annotator for j in stored}) == 2
    again = cli("import-label-studio", str(export), "--out", str(out), cwd=tmp_path)
    assert again.returncode == 0 and "0 new judgment(s) stored" in again.stdout and "12 already there" in again.stdout


@pytest.mark.parametrize("content, needles", [
    (json.dumps(broken(lambda e: e[2]["annotations"][0]["result"].__setitem__(0, region("mood", "happy")))),
     ["task 103", "from_name 'mood'", "nothing was imported"]),
    ("[{", ["export.json: not a Label Studio JSON export"]),
    # issue 23 item 8: a RecursionError traceback of 85 lines before
    ("[" * 100_000 + "]" * 100_000, ["export.json: not a Label Studio JSON export", "nested too deeply"]),
])
def test_import_command_stores_nothing_from_a_bad_export(out, tmp_path, content, needles):
    store = JudgmentStore(AnnotationPaths(out).judgments)
    good = tmp_path / "good.json"
    good.write_text(json.dumps(ls_export()[:1]))
    assert cli("import-label-studio", str(good), "--out", str(out), cwd=tmp_path).returncode == 0
    before = store.all()
    export = tmp_path / "export.json"
    export.write_text(content)
    proc = cli("import-label-studio", str(export), "--out", str(out), cwd=tmp_path)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr and len(proc.stderr.strip().splitlines()) == 1
    for needle in needles:
        assert needle in proc.stderr, proc.stderr
    assert store.all() == before


def test_import_command_refuses_answers_that_contradict_stored_ones(out, tmp_path):
    first = tmp_path / "first.json"
    first.write_text(json.dumps(ls_export()))
    assert cli("import-label-studio", str(first), "--out", str(out), cwd=tmp_path).returncode == 0
    store = JudgmentStore(AnnotationPaths(out).judgments)
    before = store.all()
    changed = ls_export()
    changed[0]["annotations"][0]["result"] = [region("arousal", "b"), region("valence", "ab")]
    changed.append({**changed[0], "id": 999, "data": {**changed[0]["data"]}, "annotations": [
        {**changed[0]["annotations"][0], "completed_by": 42}]})  # a new user too: not stored either
    second = tmp_path / "second.json"
    second.write_text(json.dumps(changed))
    proc = cli("import-label-studio", str(second), "--out", str(out), cwd=tmp_path)
    assert proc.returncode == 2 and "differ from ones already stored" in proc.stderr, proc.stderr
    assert store.all() == before

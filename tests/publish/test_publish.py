"""End-to-end publish on a tiny build: loadable configs and features, the card, versions, changelog, hub."""

from __future__ import annotations

import json
import os
import subprocess

import datasets
import numpy as np
import pytest
from datasets import Array2D, ClassLabel
from huggingface_hub import DatasetCard

from earsense_m2t.publish import HubTokenError, load_version, versions
from earsense_m2t.publish.publish import PUBLISH_STEPS
from earsense_m2t.schemas import Movement, Work
from tests.publish._bundle import NOW, edit_records, make_build


def test_configs_load_with_expected_features(build, dataset_dir, publish):
    result = publish(build)
    assert (result.version, result.created, result.previous) == ("1.0.0", True, None)
    assert result.counts == {"default": 15, "spectrograms": 11, "works": 5}

    rows = datasets.load_dataset(str(dataset_dir))["train"]
    assert rows.features["tempo_tag"] == ClassLabel(names=["slow", "medium", "fast", "super_fast"])
    assert len(rows) == 15
    tags = {r["id"]: r["tempo_tag"] for r in rows}
    assert tags["Composer0-String-Quartet-No-1-Op-10#2"] == 0  # Adagio -> slow
    assert None in tags.values()  # "no tempo information" stays null, not a fifth class

    specs = datasets.load_dataset(str(dataset_dir), "spectrograms")["train"]
    assert specs.features["spectrogram"] == Array2D(shape=(None, 256), dtype="float16")
    assert specs.data.schema.field("spectrogram").type.storage_type.value_type.value_type == "halffloat"
    first = specs.with_format("numpy")[0]
    clip_path = next(c for c in map(json.loads, (build / "clips.jsonl").read_text().splitlines())
                     if c["id"] == first["id"])["spectrogram_path"]
    np.testing.assert_array_equal(first["spectrogram"], np.load(clip_path).astype(np.float32))
    assert json.loads(first["parameters"])["hop_length"] == 256

    works = datasets.load_dataset(str(dataset_dir), "works")["train"]
    assert len(works) == 5 and works[0]["article"].startswith("The opening movement")
    assert [w["work_text"] for w in works][:2] == ["Work 0 was written for friends.", None]
    assert not any("publisher" in (w["work_text"] or "") for w in works)


def test_rows_carry_provenance_and_no_audio_rows_are_kept(build, dataset_dir, publish):
    publish(build)
    rows = {r["id"]: r for r in datasets.load_dataset(str(dataset_dir), split="train")}
    with_audio = rows["Composer1-String-Quartet-No-2-Op-11#1"]
    assert with_audio["has_audio"] and with_audio["audio_source_id"] == "vid001"
    assert with_audio["page_url"].startswith("https://www.earsense.org/chamber-music/")
    assert with_audio["audio_fetched_at"] and with_audio["page_fetched_at"] and len(with_audio["media_sha256"]) == 64
    assert with_audio["audio_end_s"] > with_audio["audio_start_s"]
    no_recording = rows["Composer4-String-Quartet-No-5-Op-14#1"]
    assert not no_recording["has_audio"] and no_recording["audio_source_id"] is None
    assert no_recording["text"] and no_recording["loudness_before_lufs"] is None
    failed_clip = rows["Composer0-String-Quartet-No-1-Op-10#2"]  # segment found, features failed
    assert not failed_clip["has_audio"] and failed_clip["audio_source_id"] == "vid000"


def test_card_yaml_parses_and_plots_exist(build, dataset_dir, publish):
    publish(build)
    card = DatasetCard.load(dataset_dir / "README.md")
    assert [c["config_name"] for c in card.data.configs] == ["default", "spectrograms", "works"]
    assert card.data.license == "other" and card.data.pretty_name
    assert {i["config_name"] for i in card.data.dataset_info} == {"default", "spectrograms", "works"}
    text = card.text
    for needle in ("2210.00434", "Kuang", "Tempo words map to classes", "hop_length", "-23.0 LUFS",
                   "no recording found", "decode failed", "load_version", "fold", "whitespace"):
        assert needle in text, needle
    for png in ("duration_hist", "tempo_tags", "loudness_hist", "spectrogram_slow", "spectrogram_medium",
                "spectrogram_fast", "spectrogram_super_fast"):
        path = dataset_dir / "plots" / f"{png}.png"
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert f"plots/{png}.png" in text


def test_publish_twice_without_changes_creates_one_version_and_reports_each_step(build, dataset_dir, publish):
    calls: list[tuple[int, int]] = []  # the build's publish bar: one report as each step ends
    assert publish(build, on_progress=lambda done, total: calls.append((done, total))).created
    assert calls == [(n, len(PUBLISH_STEPS)) for n in range(1, len(PUBLISH_STEPS) + 1)]
    calls.clear()
    again = publish(build, now=NOW.replace(day=3), on_progress=lambda done, total: calls.append((done, total)))
    assert (again.version, again.created, again.bump) == ("1.0.0", False, None)
    assert versions(dataset_dir) == ["1.0.0"]
    # nothing to write: it stops after the card's comparison, and says it is done
    assert calls == [(n, 7) for n in (1, 2, 3, 4, 5, 7)] and PUBLISH_STEPS[4] == "card"


def test_a_new_crawl_with_the_same_content_is_not_a_change(tmp_path, dataset_dir, publish):
    publish(make_build(tmp_path / "a", fetched_at="2026-01-01T00:00:00+00:00"))
    result = publish(make_build(tmp_path / "b", fetched_at="2026-02-01T00:00:00+00:00"))
    assert not result.created
    rows = datasets.load_dataset(str(dataset_dir), split="train")
    assert set(rows["page_fetched_at"]) == {"2026-01-01T00:00:00+00:00"}


def test_changed_text_is_a_minor_version_naming_the_movement(build, dataset_dir, publish):
    publish(build)
    mid = "Composer2-String-Quartet-No-3-Op-12#2"
    edit_records(build, "movements", Movement, mid, text="A new, better description of this movement.")
    edit_records(build, "works", Work, "Composer2-String-Quartet-No-3-Op-12",
                 fetched_at="2026-03-01T00:00:00+00:00", page_sha256="b" * 64)
    result = publish(build, now=NOW.replace(month=3))
    assert (result.version, result.created, result.previous, result.bump) == ("1.1.0", True, "1.0.0", "minor")
    assert result.changed["default"] == [mid]
    assert result.added["default"] == [] and result.removed["default"] == []
    assert result.changed["works"] == [] and result.changed["spectrograms"] == []
    changelog = (dataset_dir / "CHANGELOG.md").read_text()
    assert changelog.index("## 1.1.0") < changelog.index("## 1.0.0")
    assert f"changed: `{mid}`" in changelog
    rows = {r["id"]: r for r in datasets.load_dataset(str(dataset_dir), split="train")}
    assert rows[mid]["text"].startswith("A new, better")
    assert rows[mid]["page_fetched_at"] == "2026-03-01T00:00:00+00:00"  # changed row: the new fetch's provenance
    sibling = rows["Composer2-String-Quartet-No-3-Op-12#1"]
    assert sibling["page_fetched_at"] == "2026-01-01T00:00:00+00:00"  # unchanged row keeps its provenance

    old = load_version(dataset_dir, "1.0.0")
    assert old.name == "earsense-m2t@v1.0.0"
    old_rows = {r["id"]: r for r in datasets.load_dataset(str(old), split="train")}
    assert old_rows[mid]["text"].startswith("Movement 2 of work 2")
    assert load_version(dataset_dir, "v1.0.0") == old  # reused
    assert versions(dataset_dir) == ["1.0.0", "1.1.0"]
    git = subprocess.run(["git", "-C", str(dataset_dir), "status", "--porcelain"], capture_output=True, text=True)
    assert git.returncode == 0 and git.stdout == ""
    log = subprocess.run(["git", "-C", str(dataset_dir), "log", "--format=%s"], capture_output=True, text=True)
    assert log.stdout.splitlines() == ["earsense-m2t v1.1.0: rows changed in default",
                                       "earsense-m2t v1.0.0: first version"]


def test_added_and_removed_movements(build, dataset_dir, publish):
    publish(build)
    lines = (build / "movements.jsonl").read_text().splitlines()
    gone = json.loads(lines[-1])["id"]
    (build / "movements.jsonl").write_text("\n".join(lines[:-1]) + "\n")
    result = publish(build)
    assert result.version == "1.1.0" and result.removed["default"] == [gone]


def test_card_only_change_is_a_patch(build, dataset_dir, publish):
    from tests.publish._bundle import CARD_CONTEXT

    publish(build)
    result = publish(build, card_context={**CARD_CONTEXT, "tempo_rules": "Revised rules text."})
    assert (result.version, result.bump) == ("1.0.1", "patch")
    assert "Revised rules text." in (dataset_dir / "README.md").read_text()


def test_feature_change_is_a_major_version(build, dataset_dir, publish):
    from tests.publish._bundle import CARD_CONTEXT

    publish(build)
    meta = dataset_dir / "meta" / "publish.json"
    data = json.loads(meta.read_text())
    data["features"]["default"]["tempo_tag"] = {"dtype": "string", "_type": "Value"}  # as if the old one differed
    os.chmod(meta, 0o644)
    meta.write_text(json.dumps(data))
    result = publish(build, card_context=CARD_CONTEXT)
    assert (result.version, result.bump) == ("2.0.0", "major")


def test_folds_group_works_and_stay_put(tmp_path, dataset_dir, publish):
    publish(make_build(tmp_path / "a", n_works=5))
    first = {r["id"]: r["fold"] for r in datasets.load_dataset(str(dataset_dir), "works", split="train")}
    assert sorted(first.values()) == [0, 1, 2, 3, 4]
    rows = datasets.load_dataset(str(dataset_dir), split="train")
    for work_id, fold in zip(rows["work_id"], rows["fold"], strict=False):
        assert first[work_id] == fold
    publish(make_build(tmp_path / "b", n_works=6))
    second = {r["id"]: r["fold"] for r in datasets.load_dataset(str(dataset_dir), "works", split="train")}
    assert {k: second[k] for k in first} == first


def test_invalid_rows_are_left_out_and_named(build, dataset_dir, publish):
    """Issue 23: a row that fails validation is a publish failure, the rest publishes (see test_invalid_rows.py)."""
    publish(build)
    bad = "Composer1-String-Quartet-No-2-Op-11#2"
    edit_records(build, "movements", Movement, bad, tempo_tag="quick")
    clips = [json.loads(line) for line in (build / "clips.jsonl").read_text().splitlines()]
    np.save(clips[0]["spectrogram_path"], np.zeros((clips[0]["spectrogram_frames"], 128), np.float16))
    result = publish(build)
    reasons = {f.item_id: f.reason for f in result.dropped}
    assert set(reasons) == {bad, clips[0]["id"]}
    assert "tempo_tag 'quick'" in reasons[bad] and "expected (frames, 256)" in reasons[clips[0]["id"]]
    assert versions(dataset_dir) == ["1.0.0", "1.1.0"]
    assert len(datasets.load_dataset(str(dataset_dir), split="train")) == 14
    assert not list(dataset_dir.parent.glob("earsense-m2t.versions/.staging-*"))


def test_push_without_token_is_a_clear_error_and_uploads_nothing(build, dataset_dir, publish, monkeypatch, tmp_path):
    import huggingface_hub

    monkeypatch.delenv("HF_TOKEN", raising=False)
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf-home"))
    monkeypatch.setattr(huggingface_hub, "get_token", lambda: None)
    calls = []
    monkeypatch.setattr(huggingface_hub.HfApi, "upload_folder", lambda *a, **k: calls.append(a))
    with pytest.raises(HubTokenError, match="earsense/m2t-test"):
        publish(build, push_to_hub="earsense/m2t-test")
    assert calls == [] and not dataset_dir.exists()


def test_load_version_of_unknown_version_lists_the_published_ones(build, dataset_dir, publish):
    from earsense_m2t.publish import PublishError

    publish(build)
    with pytest.raises(PublishError, match="available: 1.0.0"):
        load_version(dataset_dir, "3.0.0")

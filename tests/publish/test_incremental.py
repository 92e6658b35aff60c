"""Incremental publish: nothing changed writes nothing; a change to one work writes only the files holding its
rows and hard-links the rest; a work the build lacks leaves only when the crawl confirmed it gone (404/410)."""

from __future__ import annotations

import dataclasses
import json
import os
from pathlib import Path

import datasets
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import earsense_m2t.publish.shards as shards
from earsense_m2t.publish import publish_release, versions
from earsense_m2t.publish.writer import FILES_OPENED
from earsense_m2t.schemas import Clip, Failure, Movement, RecordError, Release
from earsense_m2t.schemas.io import describe_file, read_records, write_records
from tests.publish._bundle import NOW, edit_records, make_build

WORK = "Composer2-String-Quartet-No-3-Op-12"
MID = f"{WORK}#2"
OTHER = "Composer1-String-Quartet-No-2-Op-11"
MANIFESTS = {"works": "id", "movements": "work_id", "recordings": "work_id", "work_texts": "work_id"}


def tree_state(dataset_dir: Path) -> dict[str, tuple[int, int, int, int]]:
    """Every file of every version tree: inode, mtime, size and link count."""
    store = dataset_dir.parent / f"{dataset_dir.name}.versions"
    return {str(p.relative_to(store)): (s.st_ino, s.st_mtime_ns, s.st_size, s.st_nlink)
            for p in sorted(store.glob("v*/**/*")) if p.is_file() for s in [p.stat()]}


def parquet_files(dataset_dir: Path) -> dict[str, int]:
    """``<config>/<file>`` -> inode, for the live version."""
    return {f"{p.parent.name}/{p.name}": p.stat().st_ino for p in sorted((dataset_dir / "data").glob("*/*.parquet"))}


def rows_by_id(path: Path, config: str = "default") -> dict[str, dict]:
    return {r["id"]: r for r in datasets.load_dataset(str(path), config, split="train")}


def replace_spectrogram(build: Path, clip_id: str, seed: int) -> np.ndarray:
    """A new array for one clip, with the sidecar the features stage would write for it."""
    clips = read_records(build / "clips.jsonl", Clip)
    clip = next(c for c in clips if c.id == clip_id)
    array = np.random.default_rng(seed).standard_normal((clip.spectrogram_frames, 256)).astype(np.float16)
    path = Path(clip.spectrogram_path).with_name(f"replaced-{seed}.npy")
    np.save(path, array)
    sidecar = {"spectrogram": {**describe_file(path, array.shape), "frames": array.shape[0], "bins": 256}}
    path.with_suffix(".json").write_text(json.dumps(sidecar), encoding="utf-8")
    write_records(build / "clips.jsonl", [dataclasses.replace(c, spectrogram_path=str(path)) if c.id == clip_id else c
                                          for c in clips])
    return array


def drop_work(build: Path, work_id: str, failure: Failure | None = None) -> None:
    """The build as a crawl leaves it when ``work_id``'s page could not be had: none of its records."""
    movements = {m.id for m in read_records(build / "movements.jsonl", Movement) if m.work_id == work_id}
    for name, column in MANIFESTS.items():
        lines = (build / f"{name}.jsonl").read_text().splitlines()
        (build / f"{name}.jsonl").write_text("".join(line + "\n" for line in lines if json.loads(line)[column] != work_id))
    for name in ("segments", "clips"):
        lines = (build / f"{name}.jsonl").read_text().splitlines()
        (build / f"{name}.jsonl").write_text("".join(line + "\n" for line in lines
                                                     if json.loads(line)["movement_id"] not in movements))
    if failure is not None:
        with open(build / "failures.jsonl", "a", encoding="utf-8") as fh:
            fh.write(json.dumps(failure.to_dict()) + "\n")


@pytest.fixture
def small_files(monkeypatch):
    """Files of ~256 KB, so the tiny build's spectrograms spread over several files (8 for 5 works)."""
    monkeypatch.setattr(shards, "TARGET_SHARD_BYTES", 256 << 10)


# ------------------------------------------------------------------------------------------ nothing changed

def test_nothing_changed_writes_no_file(build, dataset_dir, publish, small_files):
    first = publish(build)
    assert first.created and len(first.written) > 3 and first.reused == []
    before, opened = tree_state(dataset_dir), sum(FILES_OPENED.values())

    again = publish(build, now=NOW.replace(day=9))
    assert (again.version, again.created, again.bump) == ("1.0.0", False, None)
    assert again.written == [] and sorted(again.reused) == sorted(first.written)
    assert sum(FILES_OPENED.values()) == opened  # no parquet file opened for writing, in staging or anywhere
    assert tree_state(dataset_dir) == before  # not one file of the live tree written, touched or linked
    store = dataset_dir.parent / f"{dataset_dir.name}.versions"
    assert not list(store.glob(".staging-*")) and versions(dataset_dir) == ["1.0.0"]


def test_a_new_crawl_of_the_same_content_writes_no_file(tmp_path, dataset_dir, publish):
    publish(make_build(tmp_path / "a", fetched_at="2026-01-01T00:00:00+00:00"))
    before, opened = tree_state(dataset_dir), sum(FILES_OPENED.values())
    result = publish(make_build(tmp_path / "b", fetched_at="2026-02-01T00:00:00+00:00"))  # other .npy files too
    assert not result.created and result.written == []
    assert sum(FILES_OPENED.values()) == opened and tree_state(dataset_dir) == before


# ------------------------------------------------------------------------------------------ one work changed

def test_one_work_text_changed_rewrites_only_the_files_holding_its_rows(build, dataset_dir, publish, small_files):
    publish(build)
    old_files = parquet_files(dataset_dir)
    assert sum(name.startswith("spectrograms/") for name in old_files) == 8
    edit_records(build, "movements", Movement, MID, text="A new text for this movement only.")
    opened = sum(FILES_OPENED.values())

    result = publish(build, now=NOW.replace(month=2))
    assert (result.version, result.bump, result.changed["default"]) == ("1.1.0", "minor", [MID])
    assert result.written == ["default/train-00000-of-00001.parquet"]  # the movement text lives in `default` only
    assert sum(FILES_OPENED.values()) == opened + 1
    new_files = parquet_files(dataset_dir)
    assert set(new_files) == set(old_files)
    assert {n for n in new_files if new_files[n] != old_files[n]} == {"default/train-00000-of-00001.parquet"}
    rows = rows_by_id(dataset_dir)
    assert rows[MID]["text"] == "A new text for this movement only." and len(rows) == 15
    assert len(rows_by_id(dataset_dir, "spectrograms")) == 11


def test_one_work_audio_changed_rewrites_one_spectrogram_file(build, dataset_dir, publish, small_files):
    publish(build)
    old_files = parquet_files(dataset_dir)
    array = replace_spectrogram(build, MID, seed=7)

    result = publish(build, now=NOW.replace(month=2))
    assert (result.version, result.changed["spectrograms"], result.changed["default"]) == ("1.1.0", [MID], [])
    new_files = parquet_files(dataset_dir)
    changed = sorted(n for n in new_files if new_files[n] != old_files[n])
    spectrogram_files = [n for n in changed if n.startswith("spectrograms/")]
    assert len(spectrogram_files) == 1 and sorted(result.written) == changed
    bucket = shards.bucket_of(WORK, 8)
    assert spectrogram_files == [f"spectrograms/train-{bucket:05d}-of-00008.parquet"]
    unchanged = [n for n in new_files if n not in changed]
    assert len(unchanged) >= 8
    store = dataset_dir.parent / f"{dataset_dir.name}.versions"
    for name in unchanged:  # the same file in both trees: a hard link, not a copy
        assert os.path.samefile(store / "v1.0.0" / "data" / name, store / "v1.1.0" / "data" / name)
        assert (store / "v1.1.0" / "data" / name).stat().st_nlink == 2

    specs = datasets.load_dataset(str(dataset_dir), "spectrograms", split="train").with_format("numpy")
    assert len(specs) == 11
    row = next(r for r in specs if r["id"] == MID)
    np.testing.assert_array_equal(row["spectrogram"], array.astype(np.float32))
    old = {r["id"]: r for r in datasets.load_dataset(str(store / "v1.0.0"), "spectrograms",
                                                      split="train").with_format("numpy")}
    for r in specs:
        if r["id"] != MID:
            np.testing.assert_array_equal(r["spectrogram"], old[r["id"]]["spectrogram"])


def test_a_damaged_live_file_is_written_again_not_reused(build, dataset_dir, publish, small_files):
    publish(build)
    victim = sorted((dataset_dir / "data" / "spectrograms").glob("*.parquet"))[0]
    os.chmod(victim, 0o644)
    with open(victim, "ab") as fh:
        fh.write(b"junk")
    edit_records(build, "movements", Movement, MID, text="Another text.")
    result = publish(build, now=NOW.replace(month=2))
    assert f"spectrograms/{victim.name}" in result.written
    assert len(rows_by_id(dataset_dir, "spectrograms")) == 11


# ------------------------------------------------------------------------------------------ absent works

def test_a_work_whose_page_failed_keeps_its_rows(build, dataset_dir, publish):
    publish(build)
    before = {config: rows_by_id(dataset_dir, config) for config in ("default", "works")}
    old_specs = {r["id"]: r for r in datasets.load_dataset(str(dataset_dir), "spectrograms", split="train")
                 .with_format("numpy")}
    drop_work(build, WORK, Failure(stage="crawl", item_id=f"https://www.earsense.org/chamber-music/{WORK}/",
                                   code="http_error", reason="HTTP 503"))
    array = replace_spectrogram(build, f"{OTHER}#1", seed=3)  # and the one spectrogram file is written again,
    edit_records(build, "movements", Movement, f"{OTHER}#1", text="New text.")  # and the one default file

    result = publish(build, gone=[], now=NOW.replace(month=2))  # the crawl confirmed nothing gone
    assert result.created and result.carried == [WORK] and result.gone == []
    assert result.removed == {"default": [], "spectrograms": [], "works": []}
    assert result.changed["spectrograms"] == result.changed["default"] == [f"{OTHER}#1"]
    assert result.written == ["default/train-00000-of-00001.parquet", "spectrograms/train-00000-of-00001.parquet"]
    for config, rows in before.items():
        now_rows = rows_by_id(dataset_dir, config)
        assert now_rows.keys() == rows.keys()
        kept = [i for i in rows if i == WORK or i.startswith(f"{WORK}#")]
        assert kept and all(now_rows[i] == rows[i] for i in kept)  # every column as it was
    specs = {r["id"]: r for r in datasets.load_dataset(str(dataset_dir), "spectrograms", split="train")
             .with_format("numpy")}
    assert specs.keys() == old_specs.keys()
    for mid in (m for m in specs if m.startswith(f"{WORK}#")):
        np.testing.assert_array_equal(specs[mid]["spectrogram"], old_specs[mid]["spectrogram"])
        assert specs[mid]["spectrogram_sha256"] == old_specs[mid]["spectrogram_sha256"]
    np.testing.assert_array_equal(specs[f"{OTHER}#1"]["spectrogram"], array.astype(np.float32))
    changelog = (dataset_dir / "CHANGELOG.md").read_text().split("\n## ")[1]
    assert "Kept unchanged from 1.0.0" in changelog and WORK in changelog

    # the page fails again: still kept, and with nothing else changed nothing is published
    again = publish(build, gone=[], now=NOW.replace(month=3))
    assert (again.created, again.carried, again.written) == (False, [WORK], [])


def test_without_a_list_of_gone_works_nothing_leaves(build, dataset_dir, publish):
    publish(build)
    drop_work(build, WORK)
    result = publish(build, now=NOW.replace(month=2))
    assert result.carried == [WORK] and not any(result.removed.values())
    assert not result.created  # the same rows: nothing to publish


def test_a_work_confirmed_gone_leaves(build, dataset_dir, publish):
    publish(build)
    drop_work(build, WORK)
    result = publish(build, gone=[WORK, "A-Work-Never-Published"], now=NOW.replace(month=2))
    assert (result.version, result.gone, result.carried) == ("1.1.0", [WORK], [])
    assert result.removed["works"] == [WORK]
    assert result.removed["default"] == [f"{WORK}#{n}" for n in (1, 2, 3)]
    assert result.removed["spectrograms"] == [f"{WORK}#{n}" for n in (1, 2, 3)]
    assert not any(i.startswith(WORK) for i in rows_by_id(dataset_dir))
    changelog = (dataset_dir / "CHANGELOG.md").read_text().split("\n## ")[1]
    assert f"Gone from the site (404/410): `{WORK}`" in changelog


def test_a_gone_work_that_the_build_has_stays(build, dataset_dir, publish):
    publish(build)
    result = publish(build, gone=[WORK])  # the build has its records: the crawl got the page after all
    assert not result.created and result.gone == []


def test_a_carried_spectrogram_that_no_longer_matches_its_checksum_is_refused(build, dataset_dir, publish):
    publish(build)
    drop_work(build, WORK)
    replace_spectrogram(build, f"{OTHER}#1", seed=5)  # the one spectrogram file must be written again
    live = next((dataset_dir / "data" / "spectrograms").glob("*.parquet"))
    table = pq.read_table(live)
    sha = table.column("spectrogram_sha256").to_pylist()
    ids = table.column("id").to_pylist()
    sha[ids.index(f"{WORK}#1")] = "0" * 64  # the published checksum no longer matches the array
    os.chmod(live, 0o644)
    pq.write_table(table.set_column(table.schema.get_field_index("spectrogram_sha256"), "spectrogram_sha256",
                                    pa.array(sha)), live)
    with pytest.raises(RecordError, match=f"{WORK}#1.*carried forward from v1.0.0"):
        publish(build, now=NOW.replace(month=2))
    assert versions(dataset_dir) == ["1.0.0"]


def test_publish_release_passes_the_gone_works_on(build, dataset_dir):
    first = publish_release(build, dataset_dir, site_url="https://www.earsense.org/chamber-music/", embedded=False,
                            now=NOW)
    assert first.notes == {"carried": [], "gone": []}
    drop_work(build, WORK)
    kept = publish_release(build, dataset_dir, site_url="https://www.earsense.org/chamber-music/", embedded=False,
                           now=NOW, gone=[])
    assert kept.notes == {"carried": [WORK], "gone": []}
    left = publish_release(build, dataset_dir, site_url="https://www.earsense.org/chamber-music/", embedded=False,
                           now=NOW, gone=[WORK])
    assert left.notes == {"carried": [], "gone": [WORK]}
    assert left.of(Release)[0].created


# ------------------------------------------------------------------------------------------ older stores

def make_legacy(dataset_dir: Path) -> None:
    """Make the live version look like one published before files were keyed: its meta as that code wrote it."""
    meta_path = dataset_dir / "meta" / "publish.json"
    meta = json.loads(meta_path.read_text())
    for key in ("files", "plots_key", "plots", "carried"):
        meta.pop(key)
    meta_path.write_text(json.dumps(meta, indent=1, sort_keys=True) + "\n")
    hashes = pq.read_table(dataset_dir / "meta" / "row_hashes.parquet").select(["config", "id", "hash"])
    pq.write_table(hashes, dataset_dir / "meta" / "row_hashes.parquet")


def test_a_store_from_before_keyed_files_writes_nothing_when_nothing_changed(build, dataset_dir, publish, small_files):
    publish(build)
    make_legacy(dataset_dir)
    before, opened = tree_state(dataset_dir), sum(FILES_OPENED.values())
    again = publish(build, now=NOW.replace(month=2))
    assert (again.created, again.written) == (False, [])
    assert sum(FILES_OPENED.values()) == opened and tree_state(dataset_dir) == before

    drop_work(build, WORK)  # a page that failed, in a store whose rows know no work: found from the rows
    edit_records(build, "movements", Movement, f"{OTHER}#1", text="New text.")
    changed = publish(build, now=NOW.replace(month=3))
    assert (changed.version, changed.carried, changed.changed["default"]) == ("1.1.0", [WORK], [f"{OTHER}#1"])
    assert changed.written == ["default/train-00000-of-00001.parquet"]  # spectrograms and works: taken over whole
    assert len(rows_by_id(dataset_dir)) == 15 and len(rows_by_id(dataset_dir, "spectrograms")) == 11

"""Published history is append-only: no state of the live link makes a publish forget, renumber or delete a
published version (issue 9, defect 2). Only a tag that was never published (an aborted publish's) may go."""

from __future__ import annotations

import json
import os
import shutil
import subprocess

import datasets
import pytest

from earsense_m2t.publish import PublishError, load_version, versions
from earsense_m2t.schemas import Movement
from tests.publish._bundle import NOW, edit_records
from tests.publish.test_kill import _kill_at

MID = "Composer2-String-Quartet-No-3-Op-12#2"
OTHER = "Composer1-String-Quartet-No-2-Op-11#1"


def _store(dataset_dir):
    return dataset_dir.parent / f"{dataset_dir.name}.versions"


def _tags(dataset_dir) -> dict[str, str]:
    """tag -> the commit it points at, straight from the git store."""
    out = subprocess.run(["git", "--git-dir", str(_store(dataset_dir) / "repo.git"), "for-each-ref",
                          "--format=%(refname:short) %(*objectname)", "refs/tags"],
                         capture_output=True, text=True, check=True).stdout
    return dict(line.split() for line in out.splitlines())


def _texts(path) -> dict[str, str]:
    return {r["id"]: r["text"] for r in datasets.load_dataset(str(path), split="train")}


def _two_versions(build, publish):
    assert publish(build).version == "1.0.0"
    edit_records(build, "movements", Movement, MID, text="Changed text of version 1.1.0.")
    result = publish(build, now=NOW.replace(month=2))
    assert (result.version, result.created) == ("1.1.0", True)


def _assert_both_versions_intact(dataset_dir, tags_before):
    assert _tags(dataset_dir) == tags_before  # not one tag deleted, moved or re-made
    assert versions(dataset_dir) == ["1.0.0", "1.1.0"]
    assert _texts(load_version(dataset_dir, "1.0.0"))[MID].startswith("Movement 2 of work 2")
    assert _texts(load_version(dataset_dir, "1.1.0"))[MID].startswith("Changed text of version 1.1.0")
    assert os.readlink(dataset_dir) == os.path.join(f"{dataset_dir.name}.versions", "v1.1.0")
    assert _texts(dataset_dir)[MID].startswith("Changed text of version 1.1.0")


def test_publish_after_the_link_was_deleted_keeps_every_version(build, dataset_dir, publish):
    """Defect: with no link, recovery deleted every tag and tree and the same build came out as a new v1.0.0."""
    _two_versions(build, publish)
    tags = _tags(dataset_dir)
    dataset_dir.unlink()

    again = publish(build, now=NOW.replace(month=3))
    assert (again.version, again.created, again.previous) == ("1.1.0", False, "1.1.0")
    _assert_both_versions_intact(dataset_dir, tags)


@pytest.mark.parametrize("breakage", ["tree removed", "points at no version", "points at a non-version"])
def test_publish_after_the_link_broke_restores_the_newest_version(breakage, build, dataset_dir, publish):
    """Defect: a dangling link made every publish fail (or, once removed, wiped the history)."""
    _two_versions(build, publish)
    tags = _tags(dataset_dir)
    if breakage == "tree removed":
        shutil.rmtree(_store(dataset_dir) / "v1.1.0")
    else:
        target = "v9.9.9" if breakage == "points at no version" else "garbage"
        dataset_dir.unlink()
        dataset_dir.symlink_to(os.path.join(f"{dataset_dir.name}.versions", target))

    again = publish(build, now=NOW.replace(month=3))
    assert (again.version, again.created) == ("1.1.0", False)
    assert (_store(dataset_dir) / "v1.1.0" / "README.md").exists()  # re-materialized from its tag
    _assert_both_versions_intact(dataset_dir, tags)
    status = subprocess.run(["git", "-C", str(dataset_dir), "status", "--porcelain"], capture_output=True, text=True)
    assert status.returncode == 0 and status.stdout == ""


def test_after_recovery_a_changed_build_continues_the_numbering(build, dataset_dir, publish):
    """Defect: after the link was lost the next version was 1.0.0 again, diffed against nothing."""
    _two_versions(build, publish)
    dataset_dir.unlink()
    edit_records(build, "movements", Movement, OTHER, text="Changed text of version 1.2.0.")

    result = publish(build, now=NOW.replace(month=3))
    assert (result.version, result.created, result.previous, result.bump) == ("1.2.0", True, "1.1.0", "minor")
    assert result.changed["default"] == [OTHER]  # diffed against 1.1.0, not against nothing
    assert versions(dataset_dir) == ["1.0.0", "1.1.0", "1.2.0"]
    changelog = (dataset_dir / "CHANGELOG.md").read_text()
    assert changelog.index("## 1.2.0") < changelog.index("## 1.1.0") < changelog.index("## 1.0.0")
    assert _texts(load_version(dataset_dir, "1.0.0"))[OTHER].startswith("Movement 1 of work 1")


@pytest.mark.parametrize("stage", ["committed", "renamed"])
def test_recovery_removes_only_the_tag_of_an_aborted_publish(stage, build, dataset_dir, publish, tmp_path):
    """Defect: with no link, recovery could not tell an aborted publish's tag from published ones and deleted all."""
    publish(build)
    edit_records(build, "movements", Movement, MID, text="Changed text of version 1.1.0.")
    _kill_at(stage, build, dataset_dir, tmp_path)  # tagged v1.1.0 (and its tree renamed into place), never switched to
    published = _tags(dataset_dir)
    aborted = published.pop("v1.1.0")
    dataset_dir.unlink()

    result = publish(build, now=NOW.replace(month=2))
    assert (result.version, result.created, result.previous) == ("1.1.0", True, "1.0.0")
    tags = _tags(dataset_dir)
    assert tags["v1.0.0"] == published["v1.0.0"]  # the published tag stays as it was
    assert tags["v1.1.0"] != aborted  # the aborted one was removed, and this publish made its own
    assert versions(dataset_dir) == ["1.0.0", "1.1.0"]
    assert _texts(load_version(dataset_dir, "1.0.0"))[MID].startswith("Movement 2 of work 2")


def test_checkout_of_an_aborted_publish_names_it_and_the_published_versions(build, dataset_dir, publish, tmp_path):
    """Defect: the tag of a publish killed before its switch checked out as if that version had been published."""
    publish(build)
    edit_records(build, "movements", Movement, MID, text="Changed text that was never published.")
    _kill_at("committed", build, dataset_dir, tmp_path)
    assert "v1.1.0" in _tags(dataset_dir)
    with pytest.raises(PublishError) as info:
        load_version(dataset_dir, "1.1.0")
    message = str(info.value)
    assert "\n" not in message and "1.1.0 was never published" in message and "available: 1.0.0" in message
    assert versions(dataset_dir) == ["1.0.0"]


def test_checkout_with_nothing_published_names_the_version(dataset_dir):
    """Defect: the message named the git folder, not the version asked for."""
    with pytest.raises(PublishError) as info:
        load_version(dataset_dir, "v1.0.0")
    message = str(info.value)
    assert "\n" not in message and "1.0.0 was never published" in message and "available: none" in message


def test_each_published_version_is_recorded_in_the_store(build, dataset_dir, publish):
    """The durable record: one line per published version, written after the switch, never rewritten."""
    _two_versions(build, publish)
    record = _store(dataset_dir) / "published.jsonl"
    first = record.read_text()
    entries = [json.loads(line) for line in first.splitlines()]
    assert [(e["version"], e["tag"]) for e in entries] == [("1.0.0", "v1.0.0"), ("1.1.0", "v1.1.0")]
    tags = _tags(dataset_dir)
    assert [e["commit"] for e in entries] == [tags["v1.0.0"], tags["v1.1.0"]]
    assert [e["date"] for e in entries] == [NOW.isoformat(), NOW.replace(month=2).isoformat()]
    assert publish(build).created is False
    assert record.read_text() == first  # nothing new published, nothing written


def test_a_store_from_before_the_record_keeps_its_versions(build, dataset_dir, publish):
    """A store published before the record existed: its tags are adopted, not deleted, even with no link."""
    _two_versions(build, publish)
    tags = _tags(dataset_dir)
    (_store(dataset_dir) / "published.jsonl").unlink(missing_ok=True)
    dataset_dir.unlink()

    again = publish(build, now=NOW.replace(month=3))
    assert (again.version, again.created) == ("1.1.0", False)
    _assert_both_versions_intact(dataset_dir, tags)
    entries = [json.loads(line) for line in (_store(dataset_dir) / "published.jsonl").read_text().splitlines()]
    assert [e["version"] for e in entries] == ["1.0.0", "1.1.0"]


def test_pruning_keeps_a_tree_whose_tag_is_missing(build, dataset_dir, publish):
    """Old trees are pruned only when their tag (hence checkout-version) can bring them back."""
    _two_versions(build, publish)
    subprocess.run(["git", "--git-dir", str(_store(dataset_dir) / "repo.git"), "tag", "-d", "v1.0.0"], check=True,
                   capture_output=True)
    edit_records(build, "movements", Movement, OTHER, text="Changed text of version 1.2.0.")
    assert publish(build, now=NOW.replace(month=3)).version == "1.2.0"
    assert (_store(dataset_dir) / "v1.0.0" / "README.md").exists()  # the only copy left: kept
    assert (_store(dataset_dir) / "v1.2.0" / "README.md").exists()


def test_a_version_switched_to_but_not_yet_recorded_is_adopted(build, dataset_dir, publish, tmp_path):
    """Killed between the switch and the record: readers saw 1.1.0, so recovery records it and it stays."""
    publish(build)
    edit_records(build, "movements", Movement, MID, text="Changed text of version 1.1.0.")
    _kill_at("switched", build, dataset_dir, tmp_path)
    tags = _tags(dataset_dir)
    assert publish(build).created is False  # recovery adopts the live 1.1.0 into the record
    entries = [json.loads(line) for line in (_store(dataset_dir) / "published.jsonl").read_text().splitlines()]
    assert [(e["version"], e["commit"]) for e in entries] == [("1.0.0", tags["v1.0.0"]), ("1.1.0", tags["v1.1.0"])]
    dataset_dir.unlink()
    again = publish(build)
    assert (again.version, again.created) == ("1.1.0", False)
    _assert_both_versions_intact(dataset_dir, tags)

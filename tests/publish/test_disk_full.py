"""A full disk during publish: one line naming the stage, the path and the space needed, and the live version
untouched (issue 23 item 9)."""

from __future__ import annotations

import errno

import datasets
import pytest

from earsense_m2t.publish import writer
from earsense_m2t.schemas import Movement
from earsense_m2t.schemas.io import DiskFull, read_records
from tests.publish._bundle import edit_records


def full_disk(*args, **kwargs):
    raise OSError(errno.ENOSPC, "No space left on device")  # as pyarrow raises it: no file name


def test_a_full_disk_during_publish_names_the_file_and_keeps_the_live_version(build, dataset_dir, publish,
                                                                              monkeypatch):
    first = publish(build)
    card = (dataset_dir / "README.md").read_bytes()
    mid = read_records(build / "movements.jsonl", Movement)[0].id
    edit_records(build, "movements", Movement, mid, title="Adagio molto e cantabile")
    monkeypatch.setattr(writer.pq.ParquetWriter, "write_table", full_disk)  # pyarrow's own writer
    with pytest.raises(DiskFull) as err:
        publish(build)
    message = str(err.value)
    assert message.startswith("publish: the disk is full writing ") and err.value.path.endswith(".parquet")
    assert "needs about" in message and "\n" not in message
    monkeypatch.undo()
    assert (dataset_dir / "README.md").read_bytes() == card
    rows = datasets.load_dataset(str(dataset_dir), split="train")
    assert len(rows) == first.counts["default"]

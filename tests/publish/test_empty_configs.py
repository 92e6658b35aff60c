"""A build in which no clip finished still publishes its texts: a config without rows is left out."""

from __future__ import annotations

import datasets
from huggingface_hub import DatasetCard

from tests.publish._bundle import make_build


def test_a_build_without_clips_publishes_default_and_works(publish, dataset_dir, tmp_path):
    build = make_build(tmp_path)
    (build / "clips.jsonl").write_text("")
    (build / "segments.jsonl").write_text("")
    result = publish(build)
    assert result.created and set(result.counts) == {"default", "works"}
    card = DatasetCard.load(dataset_dir / "README.md")
    assert [c["config_name"] for c in card.data["configs"]] == ["default", "works"]
    rows = datasets.load_dataset(str(dataset_dir), split="train")
    assert rows.num_rows == result.counts["default"] and not any(rows["has_audio"])
    assert not (dataset_dir / "data" / "spectrograms").exists()

"""A row that fails validation is left out and listed as a failure; many invalid rows still refuse the release.

Issue 23 item 1: one clip with NaN samples used to stop every release ("1 invalid record(s) … nothing was
published"). Publish now leaves such rows out (with what hangs on them) and names them in the card's failure
table and ``PublishResult.dropped``; when more than ``MAX_INVALID_SHARE`` of the records are invalid the code
is the likelier culprit and nothing is published.
"""

from __future__ import annotations

import json
import math

import datasets
import numpy as np
import pytest

from earsense_m2t.publish import versions
from earsense_m2t.publish.screen import MAX_INVALID_SHARE
from earsense_m2t.schemas import Clip, Movement, RecordError
from earsense_m2t.schemas.io import describe_file, read_records
from tests.publish._bundle import edit_records


def _nan_spectrogram(clip: Clip) -> None:
    """Overwrite the clip's array with NaN and record it in its sidecar, as a features run without the finite
    check left it (the sidecar's checksum matches: only the values are wrong)."""
    path = clip.spectrogram_path
    arr = np.full((clip.spectrogram_frames, 256), np.nan, np.float16)
    np.save(path, arr)
    sidecar = {"spectrogram": {**describe_file(path, arr.shape), "frames": arr.shape[0], "bins": 256, "kind": "linear"}}
    with open(path.removesuffix(".npy") + ".json", "w", encoding="utf-8") as fh:
        json.dump(sidecar, fh, indent=1, sort_keys=True)


def test_invalid_rows_are_left_out_and_listed_and_the_rest_publishes(build, dataset_dir, publish):
    bad_movement = "Composer1-String-Quartet-No-2-Op-11#2"
    edit_records(build, "movements", Movement, bad_movement, tempo_tag="quick")
    clips = read_records(build / "clips.jsonl", Clip)
    nan_loudness, nan_array = clips[0], clips[-1]
    edit_records(build, "clips", Clip, nan_loudness.id, loudness_before_lufs=math.nan, true_peak_dbtp=math.inf)
    _nan_spectrogram(nan_array)

    result = publish(build)

    assert result.created and versions(dataset_dir) == ["1.0.0"]
    dropped = {f.item_id: f for f in result.dropped}
    assert set(dropped) == {bad_movement, nan_loudness.id, nan_array.id}
    assert {f.code for f in dropped.values()} == {"invalid_record"} and {f.stage for f in dropped.values()} == {"publish"}
    assert "tempo_tag 'quick'" in dropped[bad_movement].reason
    assert "loudness_before_lufs is not finite" in dropped[nan_loudness.id].reason
    assert "non-finite values" in dropped[nan_array.id].reason
    rows = {r["id"]: r for r in datasets.load_dataset(str(dataset_dir), split="train")}
    assert len(rows) == 14 and bad_movement not in rows  # 15 movements, one left out
    assert not rows[nan_loudness.id]["has_audio"] and not rows[nan_array.id]["has_audio"]  # published without audio
    spectrograms = datasets.load_dataset(str(dataset_dir), "spectrograms", split="train")
    assert {nan_loudness.id, nan_array.id}.isdisjoint(spectrograms["id"])
    assert np.isfinite(np.concatenate([np.asarray(s, dtype=np.float32).ravel()
                                       for s in spectrograms.with_format("numpy")["spectrogram"]])).all()
    card = (dataset_dir / "README.md").read_text(encoding="utf-8")
    assert "`invalid_record`" in card and "| publish |" in card


def test_a_large_share_of_invalid_rows_refuses_the_release(build, dataset_dir, publish):
    publish(build)
    movements = read_records(build / "movements.jsonl", Movement)
    n_bad = math.floor(MAX_INVALID_SHARE * 43) + 1  # 43 records: 5 works, 15 movements, 12 segments, 11 clips
    for movement in movements[:n_bad]:
        edit_records(build, "movements", Movement, movement.id, tempo_tag="quick")
    with pytest.raises(RecordError, match=rf"{n_bad} of 43 records are invalid, more than 10%") as info:
        publish(build)
    assert {p.record_id for p in info.value.problems} >= {m.id for m in movements[:n_bad]}
    assert versions(dataset_dir) == ["1.0.0"]  # the live version stays
    assert not list(dataset_dir.parent.glob("earsense-m2t.versions/.staging-*"))

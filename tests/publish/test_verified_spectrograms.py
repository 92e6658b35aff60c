"""Publish never publishes an unverified spectrogram: each ``.npy`` must match the checksum its sidecar records.

End to end with the real features stage: a cached spectrogram damaged after a publish is recomputed by the
next features run (identical bytes), so the next publish keeps the live version instead of publishing the
damage or failing on it.
"""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path

import datasets
import pytest

from earsense_m2t.features.features import prepare_clips
from earsense_m2t.publish import versions
from earsense_m2t.schemas import Clip, Failure, Media, Movement, Segment
from earsense_m2t.schemas.io import read_records, write_records
from tests.features.test_derived_cache import DAMAGE, flip_a_byte
from tests.features.test_features import make_opus_media
from tests.publish._bundle import make_build


def clips_of(build: Path) -> list[Clip]:
    return read_records(build / "clips.jsonl", Clip)


# ------------------------------------------------------------------------------------------ end to end

def real_audio_build(root: Path) -> tuple[Path, Media]:
    """One work of four movements cut from a real 8 s Opus file; clips still to be made."""
    build = make_build(root, n_works=1)
    media = make_opus_media(root, source_id="vid000", seconds=8.0)
    segments = read_records(build / "segments.jsonl", Segment)
    segments = [dataclasses.replace(s, media_sha256=media.sha256, start_s=2.0 * i, end_s=2.0 * (i + 1))
                for i, s in enumerate(segments)]
    write_records(build / "media.jsonl", [media])
    write_records(build / "segments.jsonl", segments)
    write_records(build / "failures.jsonl", [])
    return build, media


def run_features(build: Path, media: Media, derived: Path) -> dict[str, int]:
    result = prepare_clips(read_records(build / "segments.jsonl", Segment), [media],
                           read_records(build / "movements.jsonl", Movement), derived_dir=derived)
    assert not result.failures, result.failures
    write_records(build / "clips.jsonl", result.records)
    return {k: v for k, v in result.counts.items() if v}


@pytest.mark.parametrize("damage", list(DAMAGE))
def test_a_damaged_cache_is_recomputed_and_publishes_no_new_version(tmp_path, dataset_dir, publish, damage):
    build, media = real_audio_build(tmp_path)
    derived = tmp_path / "derived-real"
    assert run_features(build, media, derived) == {"computed": 4}
    first = publish(build)
    assert (first.version, first.created, first.counts["spectrograms"]) == ("1.0.0", True, 4)

    victim = Path(clips_of(build)[1].spectrogram_path)
    original = victim.read_bytes()
    DAMAGE[damage](victim)
    counts = run_features(build, media, derived)
    again = publish(build)  # on a reused damaged file: a new version (changed) or a refused publish (truncated)
    assert (again.version, again.created) == ("1.0.0", False), again.reason
    assert versions(dataset_dir) == ["1.0.0"]
    assert counts == {"computed": 1, "reused": 3} and victim.read_bytes() == original


# ------------------------------------------------------------------------------------------ publish leaves out

def left_out(result, match: str) -> Failure:
    """The one record publish left out (issue 23: a bad row is a failure, the rest publishes), matching ``match``."""
    [failure] = result.dropped
    assert failure.stage == "publish" and failure.code == "invalid_record" and re.search(match, failure.reason)
    return failure


def spectrogram_ids(dataset_dir: Path) -> set[str]:
    return set(datasets.load_dataset(str(dataset_dir), "spectrograms", split="train")["id"])


def test_a_spectrogram_that_does_not_match_its_checksum_is_left_out(build, dataset_dir, publish):
    publish(build)
    clip = clips_of(build)[3]
    path = Path(clip.spectrogram_path)
    flip_a_byte(path)  # same size and shape, still finite: only the checksum tells
    failure = left_out(publish(build), "sha256")
    assert failure.item_id == clip.movement_id and str(path) in failure.reason
    assert versions(dataset_dir) == ["1.0.0", "1.1.0"] and clip.id not in spectrogram_ids(dataset_dir)


def test_a_spectrogram_without_its_sidecar_is_left_out(build, dataset_dir, publish):
    clip = clips_of(build)[0]
    sidecar = Path(clip.spectrogram_path).with_suffix(".json")
    sidecar.unlink(missing_ok=True)
    failure = left_out(publish(build), "sidecar")
    assert failure.item_id == clip.movement_id and str(sidecar) in failure.reason
    assert clip.id not in spectrogram_ids(dataset_dir)


def test_a_sidecar_without_checksum_is_left_out(build, dataset_dir, publish):
    clip = clips_of(build)[2]
    sidecar = Path(clip.spectrogram_path).with_suffix(".json")
    data = json.loads(sidecar.read_text()) if sidecar.exists() else {"spectrogram": {}}
    data["spectrogram"].pop("sha256", None)
    sidecar.write_text(json.dumps(data))
    assert left_out(publish(build), "checksum").item_id == clip.movement_id
    assert clip.id not in spectrogram_ids(dataset_dir)

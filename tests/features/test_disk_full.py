"""A full disk during features stops the stage with one line naming it, the path and the space needed (issue 23
item 9); it is not a failure per clip (every later clip would fail the same way, and a release of clips that
all failed would be published)."""

from __future__ import annotations

import errno
import pathlib

import pytest

import earsense_m2t.features.features as features
from earsense_m2t.features.features import prepare_clips
from earsense_m2t.schemas.io import DiskFull
from tests.features.test_features import _segment, make_opus_media


@pytest.fixture(scope="module")
def opus_media(tmp_path_factory):
    return make_opus_media(tmp_path_factory.mktemp("media"))


def full_disk(*args, **kwargs):
    raise OSError(errno.ENOSPC, "No space left on device")


# the spectrogram writer, and the byte writer under the sidecar's atomic_write_text
@pytest.mark.parametrize("target, helper", [(features, "write_spectrogram"), (pathlib.Path, "write_bytes")])
def test_a_full_disk_stops_the_features_stage_naming_the_stage_path_and_space(opus_media, tmp_path, monkeypatch,
                                                                               target, helper):
    monkeypatch.setattr(target, helper, full_disk)
    with pytest.raises(DiskFull) as err:
        prepare_clips([_segment(opus_media, 1, 0.0, 2.0)], [opus_media], derived_dir=tmp_path)
    message = str(err.value)
    assert message.startswith("features: the disk is full writing ")
    assert err.value.path.startswith(str(tmp_path)) and err.value.path in message
    suffix = ".npy" if helper == "write_spectrogram" else ".json"
    assert err.value.path.endswith(suffix)
    assert err.value.needed and "needs about" in message and "free there" in message
    assert "\n" not in message
    assert [p for p in tmp_path.rglob("*.part") if p.is_file()] == []

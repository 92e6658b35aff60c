"""Cached derived files are verified before reuse: a changed, truncated or unverifiable file is recomputed."""

from __future__ import annotations

import json
import logging
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest

from earsense_m2t.features.features import clip_files, clip_key
from earsense_m2t.features.params import AudioExport
from earsense_m2t.schemas import Media
from tests.features.test_features import _segment, make_opus_media, prepare_counted


@pytest.fixture(scope="module")
def media(tmp_path_factory) -> Media:
    return make_opus_media(tmp_path_factory.mktemp("media"))


def flip_a_byte(path: Path) -> None:
    """Same size, one low mantissa bit of the last float16 changed: still a loadable, finite array."""
    data = bytearray(path.read_bytes())
    data[-2] ^= 0x01
    path.write_bytes(bytes(data))


def truncate(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


DAMAGE: dict[str, Callable[[Path], None]] = {"changed": flip_a_byte, "truncated": truncate}


@pytest.mark.parametrize("damage", list(DAMAGE))
def test_a_damaged_cached_spectrogram_is_recomputed(media, tmp_path, caplog, damage):
    seg = _segment(media, 1, 0.5, 3.5)
    stats: Counter[str] = Counter()
    first = prepare_counted(seg, media, derived_dir=tmp_path, counts=stats)
    files = clip_files(tmp_path, clip_key(media.sha256, 0.5, 3.5))
    original = files.spectrogram.read_bytes()
    DAMAGE[damage](files.spectrogram)
    assert files.spectrogram.read_bytes() != original

    stats.clear()
    with caplog.at_level(logging.WARNING, logger="earsense_m2t.features.features"):
        again = prepare_counted(seg, media, derived_dir=tmp_path, counts=stats)
    assert stats == {"computed": 1}  # never a silent reuse
    assert files.spectrogram.read_bytes() == original and again == first
    assert any(str(files.spectrogram) in r.getMessage() for r in caplog.records), caplog.text
    stats.clear()
    prepare_counted(seg, media, derived_dir=tmp_path, counts=stats)  # now intact: reused
    assert stats == {"reused": 1}


def test_a_damaged_kept_audio_file_is_recomputed(media, tmp_path):
    seg = _segment(media, 2, 0.0, 3.0)
    stats: Counter[str] = Counter()
    first = prepare_counted(seg, media, derived_dir=tmp_path, counts=stats, audio=AudioExport())
    files = clip_files(tmp_path, clip_key(media.sha256, 0.0, 3.0))
    original = files.audio.read_bytes()
    data = bytearray(original)
    data[len(data) // 2] ^= 0xFF
    files.audio.write_bytes(bytes(data))

    stats.clear()
    again = prepare_counted(seg, media, derived_dir=tmp_path, counts=stats, audio=AudioExport())
    assert stats == {"computed": 1} and again == first
    assert files.audio.read_bytes() == original


def test_a_sidecar_without_checksum_is_recomputed(media, tmp_path, caplog):
    """A sidecar written before checksums were recorded cannot vouch for its file: recompute, once."""
    seg = _segment(media, 3, 1.0, 4.0)
    stats: Counter[str] = Counter()
    prepare_counted(seg, media, derived_dir=tmp_path, counts=stats)
    files = clip_files(tmp_path, clip_key(media.sha256, 1.0, 4.0))
    sidecar = json.loads(files.sidecar.read_text())
    old = {k: v for k, v in sidecar["spectrogram"].items() if k in ("file", "frames", "bins", "kind")}
    files.sidecar.write_text(json.dumps({**sidecar, "spectrogram": old}))

    stats.clear()
    with caplog.at_level(logging.WARNING, logger="earsense_m2t.features.features"):
        prepare_counted(seg, media, derived_dir=tmp_path, counts=stats)
    assert stats == {"computed": 1}
    assert any(str(files.spectrogram) in r.getMessage() for r in caplog.records), caplog.text
    stats.clear()
    prepare_counted(seg, media, derived_dir=tmp_path, counts=stats)
    assert stats == {"reused": 1}

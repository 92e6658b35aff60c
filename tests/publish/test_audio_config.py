"""The local ``audio`` config: an HF ``Audio`` feature that loads with the core install (``decode=False``) and
decodes with the ``audio`` extra; the paths from a default row to its audio; a push refuses while the config
exists unless --push-audio is given and every row's licence is on the allow-list (table-driven)."""

from __future__ import annotations

import dataclasses
import os

import datasets
import numpy as np
import pytest
import soundfile

from earsense_m2t.publish.audio import PUSHABLE_LICENSES, normalize_license, push_refusal
from earsense_m2t.schemas import Clip, Media
from earsense_m2t.schemas.io import read_records, sha256_file, write_records
from tests.publish._bundle import make_build

LICENSES = [  # free text as sources give it -> normalised, and whether it may be pushed
    ("Creative Commons Attribution license (reuse allowed)", "cc-by", True),
    ("CC BY 4.0", "cc-by", True),
    ("https://creativecommons.org/licenses/by/4.0/", "cc-by", True),
    ("CC BY-SA 3.0", "cc-by-sa", True),
    ("Attribution-ShareAlike 4.0 International", "cc-by-sa", True),
    ("CC0 1.0 Universal", "cc0", True),
    ("Creative Commons Zero", "cc0", True),
    ("Public Domain", "public-domain", True),
    ("Public Domain Mark 1.0", "public-domain", True),
    ("https://creativecommons.org/publicdomain/zero/1.0/", "cc0", True),
    ("https://creativecommons.org/licenses/by-nc/4.0/", "cc-nc", False),
    ("CC BY-NC 4.0", "cc-nc", False),
    ("Attribution-NonCommercial-ShareAlike", "cc-nc", False),
    ("CC BY-ND 4.0", "cc-nd", False),
    ("Attribution-NoDerivatives 4.0", "cc-nd", False),
    ("Standard YouTube License", None, False),
    ("All rights reserved", None, False),
    ("", None, False),
    (None, None, False),
]


@pytest.mark.parametrize("text, normalised, pushable", LICENSES, ids=lambda v: repr(v)[:30])
def test_a_free_text_licence_is_normalised_and_only_the_allow_list_is_pushable(text, normalised, pushable):
    assert normalize_license(text) == normalised
    assert (normalize_license(text) in PUSHABLE_LICENSES) is pushable
    refusal = push_refusal([text, "CC0"], push_audio=True, row_ids=["W#1", "W#2"])
    assert (refusal is None) is pushable
    if refusal is not None:
        assert "W#1" in refusal and "W#2" not in refusal and "nothing was uploaded" in refusal


def test_without_push_audio_nothing_with_audio_is_pushed_whatever_the_licence():
    refusal = push_refusal(["CC0", "CC BY"], push_audio=False)
    assert refusal is not None and "--push-audio" in refusal and "'audio' config" in refusal


def with_audio(build, licenses):
    """Give every clip a short loudness-normalized FLAC (as ``build --audio`` writes) and the media licences."""
    clips = read_records(build / "clips.jsonl", Clip)
    out = []
    for i, clip in enumerate(clips):
        path = build.parent / "derived" / f"audio-{i}.flac"
        tone = 0.1 * np.sin(2 * np.pi * (220 + 20 * i) * np.arange(8000) / 16000)
        soundfile.write(path, tone.astype(np.float32), 16000, format="FLAC", subtype="PCM_16")
        out.append(dataclasses.replace(clip, audio_path=str(path), audio_sha256=sha256_file(path)))
    write_records(build / "clips.jsonl", out)
    media = read_records(build / "media.jsonl", Media)
    write_records(build / "media.jsonl", [dataclasses.replace(m, license=licenses[i % len(licenses)])
                                          for i, m in enumerate(media)])
    return out


@pytest.fixture
def audio_build(tmp_path):
    build = make_build(tmp_path, n_works=3, frames=(20, 40))  # two works with a recording
    clips = with_audio(build, ["Creative Commons Attribution license (reuse allowed)", "Standard YouTube License"])
    return build, clips


def test_the_audio_config_loads_with_the_core_install_and_rows_lead_to_their_audio(publish, dataset_dir,
                                                                                    audio_build):
    build, clips = audio_build
    result = publish(build)
    assert result.created and result.counts["audio"] == len(clips) and result.push_refused is None
    rows = datasets.load_dataset(str(dataset_dir), "audio", split="train")
    assert isinstance(rows.features["audio"], datasets.Audio)
    rows = rows.cast_column("audio", datasets.Audio(decode=False))  # the core install cannot decode
    by_id = {c.id: c for c in clips}
    for row in rows:
        clip = by_id[row["id"]]
        assert row["audio"]["bytes"] == open(clip.audio_path, "rb").read()  # noqa: SIM115
        assert row["sample_rate_hz"] == 16000 and row["audio_sha256"] == clip.audio_sha256
    assert {row["license"] for row in rows} == {"cc-by", None}
    default = datasets.load_dataset(str(dataset_dir), split="train")
    for row in default:
        if row["id"] in by_id:  # a path relative to the release, read lexically (the release is a link)
            target = os.path.normpath(os.path.join(dataset_dir, row["audio_path"]))
            assert os.path.samefile(target, by_id[row["id"]].audio_path)
        else:
            assert row["audio_path"] is None
        assert row["excerpt_path"] is None  # this build cut no excerpts


def test_a_push_refuses_while_the_audio_config_exists(publish, dataset_dir, audio_build, monkeypatch):
    build, _ = audio_build
    monkeypatch.setenv("HF_TOKEN", "hf_not_a_real_token")  # the refusal comes before any upload
    result = publish(build, push_to_hub="someone/earsense-m2t")
    assert result.created and result.pushed_to is None and result.push_error is None
    assert result.push_refused is not None and "--push-audio" in result.push_refused
    result = publish(build, push_to_hub="someone/earsense-m2t", push_audio=True)  # one licence is not free
    assert result.pushed_to is None and "'Standard YouTube License'" in (result.push_refused or "")


def test_the_audio_decodes_with_the_audio_extra(publish, dataset_dir, audio_build):
    # the extra: bash scripts/setup.sh --audio (torchcodec 0.13.0 on torch 2.13.0+cpu, Debian's FFmpeg libraries).
    # A torchcodec that is installed but does not load (a CUDA wheel on the CPU torch) fails here, it is not skipped
    pytest.importorskip("torchcodec", reason="the audio extra is not installed: bash scripts/setup.sh --audio")
    build, clips = audio_build
    publish(build)
    rows = datasets.load_dataset(str(dataset_dir), "audio", split="train")
    by_id = {c.id: c for c in clips}
    assert len(rows) == len(clips)
    for row in rows:
        samples = row["audio"].get_all_samples()  # datasets 5 decodes Audio to a torchcodec AudioDecoder
        assert samples.sample_rate == 16000 and tuple(samples.data.shape) == (1, 8000)
        written, _ = soundfile.read(by_id[row["id"]].audio_path, dtype="float32")
        np.testing.assert_allclose(samples.data[0].numpy(), written, atol=1e-4)


def test_a_work_whose_page_failed_keeps_its_audio_rows(publish, dataset_dir, audio_build):
    """A carried work keeps its rows in the audio config as in every other config: the same bytes, read from the live
    version and checked against its sha256; a carried row whose audio no longer matches is refused by name."""
    from earsense_m2t.schemas import Failure
    from tests.publish._bundle import NOW
    from tests.publish.test_incremental import drop_work

    build, clips = audio_build
    publish(build)

    def audio_rows():
        rows = datasets.load_dataset(str(dataset_dir), "audio", split="train")
        return {r["id"]: r for r in rows.cast_column("audio", datasets.Audio(decode=False))}

    before = audio_rows()
    work = clips[0].movement_id.split("#")[0]
    kept = sorted(i for i in before if i.startswith(f"{work}#"))
    assert kept and len(kept) < len(before)
    drop_work(build, work, Failure(stage="crawl", item_id=f"https://www.earsense.org/chamber-music/{work}/",
                                   code="http_error", reason="HTTP 503"))
    result = publish(build, gone=[], now=NOW.replace(month=2))
    assert result.carried == [work] and result.removed.get("audio") == []
    after = audio_rows()
    assert after.keys() == before.keys() and all(after[i] == before[i] for i in kept)  # every column, the bytes too
    changelog = (dataset_dir / "CHANGELOG.md").read_text().split("\n## ")[1]
    assert "Not kept in `audio`" not in changelog


def test_a_carried_audio_row_that_no_longer_matches_its_checksum_is_refused(audio_build, dataset_dir):
    import pyarrow as pa
    import pyarrow.parquet as pq

    from earsense_m2t.publish import publish_dataset
    from earsense_m2t.schemas import Failure, RecordError
    from tests.publish._bundle import NOW
    from tests.publish.conftest import CARD_CONTEXT
    from tests.publish.test_incremental import drop_work

    build, clips = audio_build
    publish_dataset(build, dataset_dir, card_context=CARD_CONTEXT, now=NOW)
    work = clips[0].movement_id.split("#")[0]
    victim = next(iter(sorted((dataset_dir / "data" / "audio").glob("*.parquet"))))
    table = pq.read_table(victim)
    audio = table.column("audio").to_pylist()
    ids = table.column("id").to_pylist()
    audio = [{**a, "bytes": a["bytes"][:-8] + b"tampered" if i.startswith(f"{work}#") else a["bytes"]}
             for a, i in zip(audio, ids, strict=True)]
    table = table.set_column(table.schema.get_field_index("audio"), "audio", pa.array(audio, table.schema.field("audio").type))
    real = victim.resolve()
    os.chmod(real, 0o644)
    pq.write_table(table, real)
    drop_work(build, work, Failure(stage="crawl", item_id=f"https://www.earsense.org/chamber-music/{work}/",
                                   code="http_error", reason="HTTP 503"))
    with pytest.raises(RecordError, match=f"{work}#1.*carried forward from v1.0.0: its audio no longer matches"):
        publish_dataset(build, dataset_dir, card_context=CARD_CONTEXT, now=NOW.replace(month=2), gone=[])

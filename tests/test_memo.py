"""Per-work stage memos and the computed code versions they are keyed by."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from earsense_m2t.code_version import code_version, import_closure, package_data_version
from earsense_m2t.memo import StageMemo, file_states, manifests_digest
from earsense_m2t.schemas import Failure, Media, Release, Segment, StageResult

MODULE = "earsense_m2t.segment.segment"


def media_result(path: Path) -> StageResult:
    result = StageResult(stage="acquire", notes={"works_without_recording": []})
    result.add(Media(source_id="vid", source_url="https://example.org/v", path=str(path), sha256="0" * 64,
                     downloaded_at="2026-01-01T00:00:00+00:00"))
    result.counts["computed"] = 1
    return result


def test_a_memo_gives_the_result_back_as_reused_for_the_same_key_only(tmp_path):
    media = tmp_path / "media.ogg"
    media.write_bytes(b"audio")
    memo = StageMemo.of(tmp_path / "build", "acquire", "earsense_m2t.acquire.acquire")
    key = memo.key({"work": "w1", "limits": [1, 2]})
    assert memo.save("w1", key, media_result(media))
    found = memo.load("w1", key)
    assert found is not None and found.of(Media) == media_result(media).of(Media)
    assert (found.counts["computed"], found.counts["reused"], found.counts["memo_works"]) == (0, 1, 1)
    assert memo.load("w1", memo.key({"work": "w1", "limits": [1, 3]})) is None  # other parameters
    assert memo.load("w2", key) is None  # another work


def test_a_memo_is_void_when_a_file_it_points_at_is_not_as_it_was(tmp_path):
    media = tmp_path / "media.ogg"
    media.write_bytes(b"audio")
    memo = StageMemo.of(tmp_path / "build", "acquire", "earsense_m2t.acquire.acquire")
    key = memo.key({"work": "w1"})
    memo.save("w1", key, media_result(media))
    stat = media.stat()
    os.utime(media, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))  # rewritten in place, same size
    assert memo.load("w1", key) is None
    memo.save("w1", key, media_result(media))
    media.unlink()
    assert memo.load("w1", key) is None


def test_a_result_with_a_failure_or_a_missing_file_is_not_kept(tmp_path):
    memo = StageMemo.of(tmp_path / "build", "segment", MODULE)
    key = memo.key({"work": "w1"})
    failed = StageResult(stage="segment")
    failed.drop(Failure(stage="segment", item_id="w1#1", code="deadline", reason="not done"))
    assert not memo.save("w1", key, failed) and memo.load("w1", key) is None
    assert not memo.save("w1", key, media_result(tmp_path / "absent.ogg"))


def test_records_of_every_kind_round_trip(tmp_path):
    memo = StageMemo.of(tmp_path / "build", "segment", MODULE)
    result = StageResult(stage="segment")
    segment = Segment(id="w#1", movement_id="w#1", source_id="v", media_sha256="a" * 64, start_s=0.0, end_s=61.5,
                      method="durations", confidence=0.9)
    result.add(segment)
    key = memo.key({"movements": [segment]})
    memo.save("w", key, result)
    loaded = memo.load("w", key)
    assert loaded is not None and loaded.of(Segment) == [segment]


def test_a_release_memo_holds_while_the_live_version_is_the_one_it_names(tmp_path):
    meta = tmp_path / "earsense-m2t" / "meta"
    meta.mkdir(parents=True)
    (meta / "publish.json").write_text("{}")
    result = StageResult(stage="publish")
    result.add(Release(id="v1.0.0", version="1.0.0", created=True, dataset_dir=str(tmp_path / "earsense-m2t"),
                       published_at="2026-01-01T00:00:00+00:00"))
    memo = StageMemo.of(tmp_path / "build", "publish", "earsense_m2t.publish.release")
    key = memo.key({"manifests": "x"})
    memo.save("release", key, result)
    assert memo.load("release", key) is not None
    (meta / "publish.json").write_text('{"version": "1.0.1"}')  # another publish since
    assert memo.load("release", key) is None


def test_the_manifests_digest_ignores_line_order_and_sees_any_change(tmp_path):
    (tmp_path / "works.jsonl").write_text('{"id": "a"}\n{"id": "b"}\n')
    first = manifests_digest(tmp_path)
    (tmp_path / "works.jsonl").write_text('{"id": "b"}\n{"id": "a"}\n')
    assert manifests_digest(tmp_path) == first  # pages answer in any order
    (tmp_path / "works.jsonl").write_text('{"id": "b"}\n{"id": "c"}\n')
    assert manifests_digest(tmp_path) != first


def test_the_manifests_digest_does_not_depend_on_where_the_output_root_is(tmp_path, monkeypatch):
    """Issue 24 item 2, measured: a CLI build (relative --out) writes its manifests with paths as ``local/cache/...``,
    a deployment's build of the same root as ``/abs/local/cache/...``; publish's memo key (the manifests' digest) then
    missed on every switch between the two, and publish ran again in full."""
    def digest(root: Path, media: str) -> str:
        (root / "build").mkdir(parents=True, exist_ok=True)
        record = {"id": "m1", "path": media, "info_json_path": None, "title": "local/ is text, not a path"}
        (root / "build" / "media.jsonl").write_text(json.dumps(record) + "\n")
        return manifests_digest(root / "build")

    first = tmp_path / "a" / "local"
    key = digest(first, str(first / "cache" / "m.ogg"))
    monkeypatch.chdir(tmp_path / "a")
    assert digest(Path("local"), "local/cache/m.ogg") == key  # the CLI's relative --out
    assert digest(tmp_path / "moved", str(tmp_path / "moved" / "cache" / "m.ogg")) == key  # a moved root
    assert digest(Path("local"), "local/cache/other.ogg") != key  # another file is another input
    assert digest(Path("local"), "/elsewhere/local/cache/m.ogg") != key  # a path outside the root stays as it is


@pytest.mark.parametrize(("module", "included", "excluded"), [
    # the tempo table is part of what the movements (titles) and segment (chapter titles) stages run
    ("earsense_m2t.segment.segment", "earsense_m2t.tagging.tempo_terms", "earsense_m2t.features.features"),
    ("earsense_m2t.features.features", "earsense_m2t.features.params", "earsense_m2t.tagging.tempo_terms"),
    ("earsense_m2t.acquire.acquire", "earsense_m2t.acquire.download", "earsense_m2t.segment.segment"),
    ("earsense_m2t.publish.release", "earsense_m2t.publish.card", "earsense_m2t.flows.build"),
])
def test_a_stages_code_is_the_closure_of_what_it_imports(module, included, excluded):
    closure = import_closure(module)
    assert module in closure and included in closure and excluded not in closure
    assert all(path.is_file() for path in closure.values())
    assert "earsense_m2t" in closure  # a parent package runs on import too


def test_code_versions_are_stable_and_differ_between_stages():
    assert code_version(MODULE) == code_version(MODULE)
    assert len({code_version(m) for m in ("earsense_m2t.segment.segment", "earsense_m2t.features.features",
                                          "earsense_m2t.acquire.acquire")}) == 3
    assert len(package_data_version("earsense_m2t.datacards")) == 64
    with pytest.raises(ValueError, match="not a module"):
        code_version("earsense_m2t.no_such_module")


def test_memo_keys_and_memos_do_not_depend_on_where_the_output_root_is(tmp_path, monkeypatch):
    """Issue 24 item 2: a CLI build (relative --out) and a deployment build (absolute) of one output root, or the
    root moved elsewhere, take the same memos: no absolute path in a key, the memo's files found where they are now."""
    def key_and_memo(root: Path) -> tuple[str, StageMemo]:
        memo = StageMemo.of(root / "build", "segment", MODULE)
        media = root / "cache" / "media" / "m.ogg"
        key = memo.key({"records": media_result(media).records,
                        "state": file_states([root / "annotation" / "judgments.sqlite"])})
        return key, memo

    first = tmp_path / "a" / "local"
    (first / "cache" / "media").mkdir(parents=True)
    (first / "cache" / "media" / "m.ogg").write_bytes(b"audio")
    key, memo = key_and_memo(first)
    assert memo.save("w1", key, media_result(first / "cache/media/m.ogg"))
    assert str(tmp_path) not in (memo.directory / os.listdir(memo.directory)[0]).read_text()
    monkeypatch.chdir(tmp_path / "a")
    assert key_and_memo(Path("local"))[0] == key  # the CLI's relative --out
    assert key_and_memo(tmp_path / "elsewhere" / "local")[0] == key
    moved = tmp_path / "elsewhere" / "local"
    moved.parent.mkdir()
    os.rename(first, moved)
    moved_key, moved_memo = key_and_memo(moved)
    found = moved_memo.load("w1", moved_key)
    assert found is not None and found.of(Media)[0].path == str(moved / "cache" / "media" / "m.ogg")

"""Exact values on the small pieces: folds, versions, diffs, changelog, row hashes, the writer."""

from __future__ import annotations

import numpy as np
import polars as pl
import pyarrow.parquet as pq
import pytest
from datasets import Features, Value

from earsense_m2t.publish.folds import assign_folds
from earsense_m2t.publish.rows import carry_forward, row_hash, spectrogram_storage
from earsense_m2t.publish.shards import ConfigFiles, FileStat, bucket_of, content_key, plan_files, shard_count
from earsense_m2t.publish.stats import failure_stats, size_category
from earsense_m2t.publish.versions import (
    Version,
    changelog_entry,
    decide_bump,
    diff_hashes,
    next_version,
    prepend_changelog,
)
from earsense_m2t.publish.writer import ParquetFileWriter
from earsense_m2t.schemas import Failure
from earsense_m2t.schemas.features import as_features, spectrogram_feature
from tests.publish._bundle import NOW


def test_folds_are_balanced_grouped_and_order_independent():
    sizes = {f"w{i}": s for i, s in enumerate([6, 5, 4, 4, 3, 3, 2, 2, 1, 1])}
    folds = assign_folds(sizes)
    assert folds == assign_folds(dict(reversed(list(sizes.items()))))
    load = [sum(sizes[w] for w, f in folds.items() if f == k) for k in range(5)]
    assert max(load) - min(load) <= 1 and sum(load) == 31


def test_folds_are_sticky_for_published_works():
    previous = {"a": 4, "b": 4}
    folds = assign_folds({"a": 3, "b": 3, "c": 1, "d": 1}, previous)
    assert folds["a"] == 4 and folds["b"] == 4 and {folds["c"], folds["d"]} == {0, 1}


def test_version_parse_and_bump():
    assert str(Version.parse("v1.2.3").bump("minor")) == "1.3.0"
    assert Version.parse("1.9.0") < Version.parse("1.10.0")
    assert next_version(None, "initial") == "1.0.0" and next_version("1.3.2", "major") == "2.0.0"
    with pytest.raises(ValueError, match="not a version"):
        Version.parse("1.2")


def test_diff_hashes():
    old = pl.DataFrame({"id": ["a", "b", "c"], "hash": ["1", "2", "3"]})
    new = pl.DataFrame({"id": ["b", "c", "d"], "hash": ["2", "x", "4"]})
    ch = diff_hashes(old, new)
    assert (ch.added, ch.changed, ch.removed) == (["d"], ["c"], ["a"])
    assert diff_hashes(None, new).added == ["b", "c", "d"]


def test_decide_bump_order():
    feats = {"default": {"x": 1}}
    meta = {"schema_version": "1.0.0", "features": feats, "card_fingerprint": "f"}
    no = diff_hashes(pl.DataFrame({"id": ["a"], "hash": ["1"]}), pl.DataFrame({"id": ["a"], "hash": ["1"]}))
    yes = diff_hashes(pl.DataFrame({"id": ["a"], "hash": ["1"]}), pl.DataFrame({"id": ["a"], "hash": ["2"]}))
    assert decide_bump(None, "1.0.0", feats, {}, "f")[0] == "initial"
    assert decide_bump(meta, "1.0.0", feats, {"default": no}, "f")[0] is None
    assert decide_bump(meta, "1.0.0", feats, {"default": no}, "g")[0] == "patch"
    assert decide_bump(meta, "1.0.0", feats, {"default": yes}, "g")[0] == "minor"
    assert decide_bump(meta, "1.0.0", {**feats, "new": {}}, {"default": no}, "f")[0] == "minor"
    assert decide_bump(meta, "2.0.0", feats, {"default": no}, "f")[0] == "major"
    assert decide_bump(meta, "1.0.0", {"default": {"x": 2}}, {"default": no}, "f")[0] == "major"


def test_changelog_lists_ids_and_prepends():
    ch = diff_hashes(pl.DataFrame({"id": ["a"], "hash": ["1"]}), pl.DataFrame({"id": ["a", "b"], "hash": ["2", "3"]}))
    entry = changelog_entry("1.1.0", NOW, "minor", "rows changed in default", "1.0.0", {"default": ch}, {"default": 2})
    assert "1 added, 1 changed, 0 removed" in entry and "added: `b`" in entry and "changed: `a`" in entry
    log = prepend_changelog(prepend_changelog(None, "## 1.0.0 — x\n\nfirst\n"), entry)
    assert log.startswith("# Changelog") and log.index("## 1.1.0") < log.index("## 1.0.0") and log.count("# Changelog") == 1


def test_row_hash_ignores_volatile_columns_and_carry_forward_keeps_old_provenance():
    a = {"id": "m", "text": "t", "page_fetched_at": "2026-01-01"}
    b = {**a, "page_fetched_at": "2026-02-01"}
    assert row_hash(a, ["page_fetched_at"]) == row_hash(b, ["page_fetched_at"])
    assert row_hash(a) != row_hash(b)
    df = pl.DataFrame([b, {"id": "n", "text": "new", "page_fetched_at": "2026-02-01"}])
    hashes = [row_hash(r, ["page_fetched_at"]) for r in df.to_dicts()]
    prev = pl.DataFrame({"id": ["m", "n"], "hash": [hashes[0], "old"], "page_fetched_at": ["2026-01-01", "2026-01-01"]})
    out = carry_forward(df, hashes, prev, ["page_fetched_at"])
    assert out["page_fetched_at"].to_list() == ["2026-01-01", "2026-02-01"]


def test_writer_streams_row_groups_with_hf_metadata(tmp_path):
    features = as_features({"id": Value("string"), "spectrogram": spectrogram_feature(4)})
    ext = features.arrow_schema.field("spectrogram").type
    import pyarrow as pa

    paths = []
    for index, n in ((0, 3), (1, 0)):  # a file with no rows is still written, with its schema
        path = tmp_path / "data" / "s" / f"train-{index:05d}-of-00002.parquet"
        with ParquetFileWriter(path, features, row_group_rows=2) as writer:
            arrays = [np.full((k + 1, 4), k, np.float16) for k in range(n)]
            writer.write(pa.Table.from_arrays([pa.array([f"r{index}{k}" for k in range(n)], pa.string()),
                                               spectrogram_storage(arrays, ext)], schema=features.arrow_schema))
        assert writer.num_rows == n and writer.size == path.stat().st_size
        paths.append(path)
    first = pq.ParquetFile(paths[0])
    assert first.metadata.num_rows == 3 and first.metadata.num_row_groups == 2
    assert pq.ParquetFile(paths[1]).metadata.num_rows == 0
    assert Features.from_arrow_schema(first.schema_arrow) == features
    table = pq.read_table(paths[0])
    assert np.asarray(table.column("spectrogram").to_pylist()[2], dtype=np.float16).shape == (3, 4)
    assert not paths[0].stat().st_mode & 0o222  # published files are read-only: later versions share them


def test_shards_are_buckets_of_works_and_keep_their_count():
    assert [shard_count(n << 20, target=128 << 20) for n in (0, 128, 129, 1000, 4000)] == [1, 1, 2, 8, 32]
    assert shard_count(100 << 20, previous=4, target=128 << 20) == 4  # 1 is within 4x of the live count: kept
    assert shard_count(100 << 20, previous=8, target=128 << 20) == 1  # more than 4x below it: counted again
    assert shard_count(300 << 20, previous=1, target=128 << 20) == 1  # within 4x of the live count: kept
    assert shard_count(600 << 20, previous=1, target=128 << 20) == 8
    assert bucket_of("Some-Work", 8) == bucket_of("Some-Work", 8) and 0 <= bucket_of("x", 3) < 3
    assert content_key("f", ["a", "b"], ["1", "2"]) != content_key("f", ["b", "a"], ["2", "1"])


def test_file_plan_reuses_files_whose_rows_did_not_change():
    ids, works = ["a#1", "a#2", "b#1", "c#1"], ["a", "a", "b", "c"]
    first = plan_files(ids=ids, hashes=["1", "2", "3", "4"], works=works, total_bytes=4 << 20, features="f",
                       previous=None, previous_features=None, rows_unchanged=False, present={})
    assert first.n_shards == 1 and first.to_write == ["train-00000-of-00001.parquet"]
    planned = plan_files(ids=ids, hashes=["1", "2", "3", "4"], works=works, total_bytes=600 << 20, features="f",
                         previous=None, previous_features=None, rows_unchanged=False, present={})
    assert planned.n_shards == 8
    live = ConfigFiles(8, {name: FileStat(len(rows), 10, 100, planned.keys[name]) for name, rows in planned.rows.items()})
    present = dict.fromkeys(planned.rows, 100)
    changed = plan_files(ids=ids, hashes=["1", "2", "3", "x"], works=works, total_bytes=600 << 20, features="f",
                         previous=live, previous_features="f", rows_unchanged=False, present=present)
    [name] = changed.to_write  # the file of work c's bucket, with every row of that bucket
    assert changed.rows[name] == [i for i, w in enumerate(works) if bucket_of(w, 8) == bucket_of("c", 8)]
    assert set(changed.reuse) == set(planned.rows) - {name}
    same = plan_files(ids=ids, hashes=["1", "2", "3", "4"], works=works, total_bytes=600 << 20, features="f",
                      previous=live, previous_features="f", rows_unchanged=True, present=present)
    assert same.to_write == [] and same.reuse == live.files
    damaged = plan_files(ids=ids, hashes=["1", "2", "3", "4"], works=works, total_bytes=600 << 20, features="f",
                         previous=live, previous_features="f", rows_unchanged=True, present={**present, name: 7})
    assert damaged.to_write == [name]  # a live file that is not the size it was written with is not reused
    other = plan_files(ids=ids, hashes=["1", "2", "3", "4"], works=works, total_bytes=600 << 20, features="g",
                       previous=live, previous_features="f", rows_unchanged=True, present=present)
    assert sorted(other.to_write) == sorted(planned.rows)  # new features: every file is new


def test_failure_stats_group_by_stage_and_code():
    fails = [Failure(stage="acquire", item_id=f"w{i}", code="download_failed", reason=f"http://x/{i}: HTTP Error 404")
             for i in (2, 0, 1)]
    fails.append(Failure(stage="crawl", item_id="w9", code="missing_field", reason="work page without composer"))
    fails.append(Failure(stage="segment", item_id="w8#2", code="download_failed", reason="same code, other stage"))
    stats = failure_stats(fails)
    assert stats["total"] == 5 and stats["by_stage"] == {"acquire": 3, "crawl": 1, "segment": 1}
    assert stats["by_reason"][0] == {"stage": "acquire", "code": "download_failed", "count": 3, "example": "w0",
                                     "example_reason": "http://x/0: HTTP Error 404"}
    assert [(r["stage"], r["code"]) for r in stats["by_reason"][1:]] == [("crawl", "missing_field"),
                                                                       ("segment", "download_failed")]
    assert size_category(15) == "n<1K" and size_category(2000) == "1K<n<10K"


def test_failure_examples_name_loopback_servers_without_their_ephemeral_port():
    """The mini site takes a free port on each start: the same failure must render the same card."""
    def stats(port: int) -> dict:
        url = f"http://127.0.0.1:{port}/chamberbase/works/detail/?pkey=7"
        return failure_stats([Failure(stage="crawl", item_id=url, code="no_canonical",
                                      reason=f"{url} names no work; https://www.earsense.org:8443/x is kept")])

    first, second = stats(45565), stats(43597)
    assert first == second
    [row] = first["by_reason"]
    assert row["example"] == "http://127.0.0.1/chamberbase/works/detail/?pkey=7"
    assert "https://www.earsense.org:8443/x" in row["example_reason"]

"""Reading a release: the join, the cap, training-only standardization, and every error named by version and row."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("torch", reason="torch is not installed: install the model extra (bash scripts/setup.sh --model)")

from earsense_m2t.model.data import fit_standardizer, fold_split, load_release, version_path  # noqa: E402
from earsense_m2t.model.tokenizer import wordpiece  # noqa: E402
from tests.model._release import movements, spectrograms, write_release  # noqa: E402


def load(path, tmp_path, n_folds=2, max_frames=None):
    return load_release(path, n_folds=n_folds, count_pieces=wordpiece().pieces, max_frames=max_frames,
                        cache_dir=tmp_path / "hf-cache")


def test_joins_movements_with_spectrograms_and_leaves_out_null_texts(tmp_path):
    rows = movements(3)
    rows.append({"id": "w9#1", "work_id": "w9", "fold": 1, "text": "No audio for this one."})  # text only
    arrays = spectrograms(rows[:6])
    rows.append({"id": "w8#1", "work_id": "w8", "fold": 0, "text": None})
    arrays["w8#1"] = np.zeros((64, 256), np.float32)
    release = load(write_release(tmp_path / "r", rows, arrays), tmp_path)
    assert release.version == "9.9.9"
    assert [e.id for e in release.examples] == [r["id"] for r in rows[:6]]
    assert release.without_text == ["w8#1"]
    first = release.examples[0]
    assert release.spectrogram(first).shape == (150, 256)
    assert release.spectrogram(first, max_frames=64).shape == (64, 256)
    np.testing.assert_allclose(release.spectrogram(first, 64), arrays[first.id][:64].astype(np.float16))


def test_standardizer_is_fitted_on_training_rows_only(tmp_path):
    rows = movements(4)
    arrays = spectrograms(rows)
    for r in rows:  # the test fold (0) is far louder: a leak would move the mean
        if r["fold"] == 0:
            arrays[r["id"]] += 30.0
    release = load(write_release(tmp_path / "r", rows, arrays), tmp_path)
    split = fold_split(release.examples, test_fold=0, validation_works=0.0)
    assert {e.fold for e in split.test} == {0} and {e.fold for e in split.train} == {1}
    std = fit_standardizer(release, split.train)
    train = np.concatenate([arrays[e.id].astype(np.float16).astype(np.float64) for e in split.train])
    np.testing.assert_allclose(std.mean, train.mean(axis=0), rtol=1e-4)
    np.testing.assert_allclose(std.std, train.std(axis=0), rtol=1e-3)
    z = np.concatenate([std(release.spectrogram(e)) for e in split.train])
    assert abs(float(z.mean())) < 1e-3 and abs(float(z.std()) - 1.0) < 1e-2


def test_validation_works_are_carved_from_training_folds_whole(tmp_path):
    rows = movements(10, per_work=3, n_folds=2)
    release = load(write_release(tmp_path / "r", rows, spectrograms(rows, frames=64)), tmp_path)
    split = fold_split(release.examples, test_fold=1, validation_works=0.2, seed=3)
    train_works = {e.work_id for e in split.train}
    val_works = {e.work_id for e in split.validation}
    assert len(val_works) == 1 and not train_works & val_works
    assert all(e.fold == 0 for e in split.train + split.validation)


def test_no_spectrograms_config_names_the_version(tmp_path):
    path = write_release(tmp_path / "r", movements(3), None, version="1.2.3")
    with pytest.raises(ValueError, match=r"version 1\.2\.3 .*no 'spectrograms' config"):
        load(path, tmp_path)


def test_nan_and_empty_spectrograms_are_named(tmp_path):
    rows = movements(3)
    arrays = spectrograms(rows)
    arrays["w1#2"][5, 7] = np.nan
    arrays["w2#1"] = np.zeros((0, 256), np.float32)
    with pytest.raises(ValueError, match=r"version 9\.9\.9: empty spectrograms: w2#1; NaN or infinite spectrogram "
                                         r"values: w1#2$"):
        load(write_release(tmp_path / "r", rows, arrays), tmp_path)


def test_nan_beyond_the_cap_is_not_read(tmp_path):
    rows = movements(2)
    arrays = spectrograms(rows)
    arrays["w0#1"][140, 0] = np.nan  # past the first 128 frames the encoder sees
    release = load(write_release(tmp_path / "r", rows, arrays), tmp_path, max_frames=128)
    assert len(release.examples) == 4


def test_texts_that_tokenize_to_nothing_are_named(tmp_path):
    rows = movements(3)
    rows[1]["text"] = "  \u200b "
    rows[4]["text"] = ""
    with pytest.raises(ValueError, match=r"version 9\.9\.9: texts that tokenize to nothing: w0#2, w2#1$"):
        load(write_release(tmp_path / "r", rows, spectrograms(rows)), tmp_path)


def test_fewer_works_than_folds(tmp_path):
    rows = movements(3, n_folds=3)
    with pytest.raises(ValueError, match=r"version 9\.9\.9: 3 works with audio and text, fewer than the 5 folds"):
        load(write_release(tmp_path / "r", rows, spectrograms(rows)), tmp_path, n_folds=5)


def test_a_version_that_does_not_exist(tmp_path):
    store = tmp_path / "earsense-m2t.versions" / "v1.0.0"
    store.mkdir(parents=True)
    (store / "README.md").write_text("---\n---\n")
    assert version_path(tmp_path / "earsense-m2t", "1.0.0") == store
    with pytest.raises(ValueError, match=r"version 2\.0\.0 does not exist here \(trees present: v1\.0\.0"):
        version_path(tmp_path / "earsense-m2t", "2.0.0")


def test_tags_come_from_the_default_config_and_a_missing_column_is_none(tmp_path):
    from datasets import Dataset, Features, Value

    from earsense_m2t.model.data import TAG_FIELDS
    from earsense_m2t.schemas.features import SPECIAL_COLUMNS

    rows = movements(2)
    path = write_release(tmp_path / "r", rows, spectrograms(rows, frames=16))
    plain = load(path, tmp_path)
    assert [e.tags for e in plain.examples] == [(None,) * len(TAG_FIELDS)] * 4  # a release without tag columns
    tempo = ["fast", None, "slow", "super_fast"]  # published as a ClassLabel: read back as its name
    tagged = [{**r, "tempo_tag": t, "ensemble": "quartet", "key": "D" if i < 2 else None, "mode": "minor"}
              for i, (r, t) in enumerate(zip(rows, tempo, strict=True))]
    features = Features({"id": Value("string"), "work_id": Value("string"), "fold": Value("int64"),
                         "text": Value("string"), "tempo_tag": SPECIAL_COLUMNS["tempo_tag"], "ensemble": Value("string"),
                         "key": Value("string"), "mode": Value("string")})  # no instrument_family column
    Dataset.from_list(tagged, features=features).to_parquet(str(path / "data" / "default" / "train-00000-of-00001.parquet"))
    release = load(path, tmp_path / "other-cache")
    assert TAG_FIELDS == ("tempo_tag", "ensemble", "key", "mode", "instrument_family")
    assert {e.id: e.tags for e in release.examples} == {
        "w0#1": ("fast", "quartet", "D", "minor", None), "w0#2": (None, "quartet", "D", "minor", None),
        "w1#1": ("slow", "quartet", None, "minor", None), "w1#2": ("super_fast", "quartet", None, "minor", None)}

"""Small published-shaped releases written with the real ``datasets`` API (parquet + a card with configs)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from datasets import Dataset, Features, Value

from earsense_m2t.schemas.features import spectrogram_feature

CARD = """---
configs:
- config_name: default
  data_files:
  - split: train
    path: data/default/train-*.parquet
  default: true
{spectrograms}---
# test release
"""
SPECTROGRAMS = """- config_name: spectrograms
  data_files:
  - split: train
    path: data/spectrograms/train-*.parquet
"""


def write_release(root: Path, rows: Sequence[dict], arrays: dict[str, np.ndarray] | None, version: str = "9.9.9") -> Path:
    """``rows``: id, work_id, fold, text per movement; ``arrays``: id -> (frames, 256); None: no spectrograms config."""
    root.mkdir(parents=True)
    (root / "README.md").write_text(CARD.format(spectrograms=SPECTROGRAMS if arrays is not None else ""), encoding="utf-8")
    (root / "meta").mkdir()
    (root / "meta" / "publish.json").write_text(json.dumps({"version": version}), encoding="utf-8")
    default = Features({"id": Value("string"), "work_id": Value("string"), "fold": Value("int64"), "text": Value("string"),
                        # tag columns (tempo_tag, ensemble, ...) when the rows have them: strings here
                        **{k: Value("string") for k in (rows[0] if rows else {}) if k not in ("id", "work_id", "fold", "text")}})
    (root / "data" / "default").mkdir(parents=True)
    Dataset.from_list(list(rows), features=default).to_parquet(str(root / "data" / "default" / "train-00000-of-00001.parquet"))
    if arrays is not None:
        feats = Features({"id": Value("string"), "fold": Value("int64"), "spectrogram": spectrogram_feature(256),
                          "spectrogram_frames": Value("int64")})
        folds = {r["id"]: r["fold"] for r in rows}
        spec_rows = [{"id": i, "fold": folds.get(i), "spectrogram": a.astype(np.float16), "spectrogram_frames": a.shape[0]}
                     for i, a in arrays.items()]
        (root / "data" / "spectrograms").mkdir(parents=True)
        Dataset.from_list(spec_rows, features=feats).to_parquet(
            str(root / "data" / "spectrograms" / "train-00000-of-00001.parquet"))
    return root


def movements(n_works: int, per_work: int = 2, n_folds: int = 2) -> list[dict]:
    texts = ["A lively allegro where the violins race ahead.", "A slow, sad adagio sung by the cello.",
             "A playful minuet with a rustic trio.", "The finale dances in a joyful rondo."]
    return [{"id": f"w{w}#{m}", "work_id": f"w{w}", "fold": w % n_folds, "text": texts[(w + m) % len(texts)]}
            for w in range(n_works) for m in range(1, per_work + 1)]


def spectrograms(rows: Sequence[dict], frames: int = 150, seed: int = 0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    return {r["id"]: (rng.normal(-40.0, 10.0, (frames + 10 * i, 256))).astype(np.float32) for i, r in enumerate(rows)}


def small_fold(root: Path, rows: Sequence[dict], arrays: dict[str, np.ndarray], max_frames: int) -> tuple:
    """(release, split, standardizer) of a small release: test fold 0, a quarter of the other works for validation.

    The model tests' shared fixture shape; the model modules are imported here, not at the top, so this file
    stays usable without the model extra.
    """
    from earsense_m2t.model.data import fit_standardizer, fold_split, load_release
    from earsense_m2t.model.tokenizer import wordpiece

    release = load_release(write_release(root / "r", rows, arrays), n_folds=2, count_pieces=wordpiece().pieces,
                           max_frames=max_frames, cache_dir=root / "hf-cache")
    split = fold_split(release.examples, test_fold=0, validation_works=0.25, seed=0)
    return release, split, fit_standardizer(release, split.train, max_frames)

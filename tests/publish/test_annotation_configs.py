"""The annotate stage's configs in a release: annotation_pool and relative_annotations load with datasets,
the card explains them with counts, alpha and the silver baseline, and draws their plot."""

import dataclasses

import datasets

from earsense_m2t.annotation.aggregate import aggregate
from earsense_m2t.annotation.silver import merge_with_human, silver_annotations
from earsense_m2t.annotation.triplets import draw_triplets
from earsense_m2t.schemas import Clip, Judgment, Movement, PoolExcerpt
from earsense_m2t.schemas.io import read_records, write_records

SHA = "c" * 64


def add_annotations(build_dir, *, judged: bool = True):
    clips = read_records(build_dir / "clips.jsonl", Clip)
    works = {m.id: m.work_id for m in read_records(build_dir / "movements.jsonl", Movement)}
    pool = [PoolExcerpt(id=c.movement_id, movement_id=c.movement_id, work_id=works[c.movement_id], source_id="s",
                        start_s=10.0, duration_s=30.0, loudness_before_lufs=-24.0 - i, playback_gain_db=1.0 + i,
                        excerpt_sha256=SHA, excerpt_file=f"{SHA}.ogg", ensemble="quartet", tempo_tag="fast",
                        composer="X", rms_dbfs=-20.0 - i, onset_rate_hz=2.0, silver_arousal=1.0 - 0.5 * i,
                        silver_valence=0.5 if i % 2 else -0.5)
            for i, c in enumerate(clips[:9])]
    triplets = draw_triplets([], [e.id for e in pool], {}, seed=0, version="1.0.0")
    scores = {e.id: (e.silver_arousal, e.silver_valence) for e in pool}
    silver = silver_annotations(triplets, scores)
    judgments = []
    if judged:
        t = triplets[0]
        for n, (a, b) in enumerate(t.pairs()):
            for k, answer in enumerate([["a", "a", "a"], ["a", "ab", "b"], ["b", "b", "ab"]][n]):
                for question in ("arousal", "valence"):
                    judgments.append(Judgment(triplet_id=t.id, a=a, b=b, question=question, answer=answer,
                                              annotator=f"p{k}", submitted_at="2026-01-02T00:00:00+00:00"))
    human = [r for q in ("arousal", "valence") for r in aggregate(judgments, triplets, q)]
    rows = merge_with_human(silver, human)
    write_records(build_dir / "annotation_pool.jsonl", pool)
    write_records(build_dir / "relative_annotations.jsonl", rows)
    write_records(build_dir / "annotation_judgments.jsonl", judgments)
    return pool, rows


def test_both_configs_load_and_the_card_explains_them(build, dataset_dir, publish):
    pool, rows = add_annotations(build)
    result = publish(build)
    assert result.counts["annotation_pool"] == 9 and result.counts["relative_annotations"] == len(rows) == 18
    ds = datasets.load_dataset(str(dataset_dir), "relative_annotations", split="train")
    assert len(ds) == 18 and ds.features["subsets"].feature.dtype == "string"
    first = ds[0]
    assert first["id"] == f"{first['pair_id']}/{first['question']}" and first["source"] == "human"
    assert {r["source"] for r in ds} == {"human", "silver"} and all(r["in_dataset"] for r in ds)
    full = next(r for r in ds if r["agreement"] == "full-agreement")
    assert full["annotators"] == 3 and "gt.fa" in full["subsets"]
    pool_ds = datasets.load_dataset(str(dataset_dir), "annotation_pool", split="train")
    assert len(pool_ds) == 9 and pool_ds.features["tempo_tag"].names[2] == "fast"
    assert {"start_s", "duration_s", "loudness_before_lufs", "playback_gain_db", "excerpt_sha256"} <= set(pool_ds.features)
    card = (dataset_dir / "README.md").read_text()
    assert "## Relative emotion annotations (MusAV-style)" in card and "NRC Word-Emotion Association Lexicon" in card
    assert "-35.0 to -10.0 LUFS" in card and "**9 excerpts**" in card and "**3 triplets, 9 pairs**" in card
    assert "n/a" not in card.split("| arousal |")[1].split("\n")[0]  # alpha computed from the judgments
    assert "Silver predictors as a baseline" in card and "gt " in card
    assert (dataset_dir / "plots" / "relative_annotations.png").stat().st_size > 5000
    assert "config_name: relative_annotations" in card and "config_name: annotation_pool" in card


def test_without_judgments_alpha_is_na_and_rows_are_silver(build, dataset_dir, publish):
    add_annotations(build, judged=False)
    publish(build)
    ds = datasets.load_dataset(str(dataset_dir), "relative_annotations", split="train")
    assert {r["source"] for r in ds} == {"silver"} and all(r["subsets"] == [] for r in ds)
    card = (dataset_dir / "README.md").read_text()
    assert "| arousal | 18 | 0 | 18 |" not in card  # 9 rows per question
    assert "| arousal | 9 | 0 | 9 |" in card and card.split("| arousal | 9 |")[1].split("\n")[0].endswith("n/a | n/a |")
    assert "arousal: n/a (no human ground truth yet)" in card


def test_no_annotations_no_configs(build, dataset_dir, publish):
    publish(build)
    card = (dataset_dir / "README.md").read_text()
    assert "relative_annotations" not in card.split("---")[1] and "has no annotation pool" in card


def test_an_invalid_annotation_row_is_left_out(build, dataset_dir, publish):
    _, rows = add_annotations(build, judged=False)
    bad = dataclasses.replace(rows[0], outcome="c")
    write_records(build / "relative_annotations.jsonl", [bad, *rows[1:]])
    [failure] = publish(build).dropped
    assert failure.item_id == bad.id and "outcome 'c' not in" in failure.reason

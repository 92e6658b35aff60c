"""Retrieval metrics, the shuffled-pair control and zero-shot accuracy on hand-computed examples; GTP embeddings.

Most examples are written as a similarity matrix ``S`` (rows: audio, columns: text) and turned into
embeddings whose cosines are ``S / sqrt(c)`` (:func:`embeddings_for`), so the ranks can be read off the
matrix by hand: audio → text ranks from the rows, text → audio ranks from the columns.
"""

from __future__ import annotations

import math

import pytest

torch = pytest.importorskip("torch", reason="torch is not installed: install the model extra (bash scripts/setup.sh --model)")

from earsense_m2t.model.batch import Item, collate  # noqa: E402
from earsense_m2t.model.config import get_config  # noqa: E402
from earsense_m2t.model.gtp import SYSTEMS, GTPModel  # noqa: E402
from earsense_m2t.model.retrieval import (  # noqa: E402
    METRICS,
    cosine_matrix,
    gtp_embeddings,
    retrieval_metrics,
    shuffled_control,
    zero_shot_accuracy,
)
from earsense_m2t.model.tokenizer import wordpiece  # noqa: E402


def embeddings_for(sims: list[list[float]]) -> tuple[torch.Tensor, torch.Tensor]:
    """Audio and text embeddings whose cosine matrix is ``sims`` / sqrt(c).

    Text j is the unit vector e_j (one extra dimension left 0); audio i is row i of ``sims`` plus one
    extra coordinate that brings every audio vector to the same squared norm c. Then
    cos(audio_i, text_j) = sims[i][j] / sqrt(c) for every i, j: one positive scale, so every order
    (and every tie) of ``sims`` is the order of the cosines, along rows and along columns alike.
    """
    s = torch.tensor(sims, dtype=torch.float64)
    n = len(s)
    c = float((s ** 2).sum(dim=1).max()) + 1.0
    audio = torch.cat([s, (c - (s ** 2).sum(dim=1, keepdim=True)).sqrt()], dim=1)
    text = torch.cat([torch.eye(n, dtype=torch.float64), torch.zeros(n, 1, dtype=torch.float64)], dim=1)
    return audio, text


def test_the_construction_gives_the_similarity_matrix_up_to_one_scale():
    sims = [[4, 0, 0, 0], [3, 2, 1, 0], [3, 4, 2, 0], [3, 4, 5, 1]]
    audio, text = embeddings_for(sims)
    scale = math.sqrt(3 ** 2 + 4 ** 2 + 5 ** 2 + 1 + 1)  # c = largest squared row norm (row 3: 51) + 1
    torch.testing.assert_close(cosine_matrix(audio, text) * scale, torch.tensor(sims, dtype=torch.float64))


def twelve() -> list[list[float]]:
    """12 movements: diagonal 10 (the true pair wins) except where changed below; off-diagonal 0.

    audio → text (rows), the true entry S[i][i] against the others of row i:
      row 1:  S[1][1] = 1, S[1][0] = 2             → 1 entry above → rank 2
      row 2:  S[2][2] = 1, S[2][0, 4, 5, 6] = 2    → 4 above       → rank 5
      row 3:  S[3][3] = 1, S[3][j] = 2 for the 10 j ∉ {2, 3} → 10 above → rank 11
      row 11: S[11][11] = -1, the other 11 entries 0 → 11 above   → rank 12
      rows 0, 4-10: 10 against 0s and 2s            → rank 1
    text → audio (columns), S[j][j] against the others of column j:
      column 1:  1 against S[3][1] = 2 and 0s       → rank 2
      column 11: -1 against S[3][11] = 2 and ten 0s → rank 12
      columns 2, 3: 1 against 0s only (row 3 skips column 2) → rank 1
      columns 0, 4-10: 10 against 2s and 0s         → rank 1
    """
    s = [[10.0 if i == j else 0.0 for j in range(12)] for i in range(12)]
    for i in (1, 2, 3):
        s[i][i] = 1.0
    s[11][11] = -1.0
    s[1][0] = 2.0
    for j in (0, 4, 5, 6):
        s[2][j] = 2.0
    for j in (0, 1, *range(4, 12)):
        s[3][j] = 2.0
    return s


def test_every_metric_on_a_hand_computed_example_of_twelve():
    got = retrieval_metrics(*embeddings_for(twelve()))
    # audio → text ranks: [1, 2, 5, 11, 1, 1, 1, 1, 1, 1, 1, 12]
    #   R@1  = 8 / 12 (rows 0, 4-10)   R@5 = R@10 = 10 / 12 (+ rows 1, 2; 11 and 12 are beyond 10)
    #   mAP@10 = (8 × 1 + 1/2 + 1/5 + 0 + 0) / 12 = 8.7 / 12 = 0.725
    #   median: sorted, the 6th and 7th of 12 are both 1 → 1
    assert got["audio_to_text"] == pytest.approx(
        {"R@1": 8 / 12, "R@5": 10 / 12, "R@10": 10 / 12, "mAP@10": 0.725, "median_rank": 1.0, "N": 12.0,
         "tied": 0.0})
    # text → audio ranks: [1, 2, 1, 1, 1, 1, 1, 1, 1, 1, 1, 12]
    #   R@1 = 10 / 12   R@5 = R@10 = 11 / 12   mAP@10 = (10 + 1/2 + 0) / 12 = 0.875   median 1
    assert got["text_to_audio"] == pytest.approx(
        {"R@1": 10 / 12, "R@5": 11 / 12, "R@10": 11 / 12, "mAP@10": 0.875, "median_rank": 1.0, "N": 12.0,
         "tied": 0.0})
    assert list(got["audio_to_text"]) == list(METRICS)


def test_median_rank_of_an_even_count_is_the_mean_of_the_middle_two():
    sims = [[4, 0, 0, 0],  # row 0: 4 is the largest               → rank 1
            [3, 2, 1, 0],  # row 1: 2 beaten by 3                 → rank 2
            [3, 4, 2, 0],  # row 2: 2 beaten by 3 and 4           → rank 3
            [3, 4, 5, 1]]  # row 3: 1 beaten by 3, 4 and 5        → rank 4
    got = retrieval_metrics(*embeddings_for(sims))
    # audio → text ranks [1, 2, 3, 4]: median (2 + 3) / 2 = 2.5; mAP@10 = (1 + 1/2 + 1/3 + 1/4) / 4 = 25/48
    assert got["audio_to_text"] == pytest.approx(
        {"R@1": 0.25, "R@5": 1.0, "R@10": 1.0, "mAP@10": 25 / 48, "median_rank": 2.5, "N": 4.0, "tied": 0.0})
    # columns: 0: 4 vs 0, 3, 3 → 1;  1: 2 vs 0, 4, 4 → 3;  2: 2 vs 0, 1, 5 → 2;  3: 1 vs 0, 0, 0 → 1
    # text → audio ranks [1, 3, 2, 1]: sorted [1, 1, 2, 3], median 1.5; mAP@10 = (1 + 1/3 + 1/2 + 1) / 4 = 17/24
    assert got["text_to_audio"] == pytest.approx(
        {"R@1": 0.5, "R@5": 1.0, "R@10": 1.0, "mAP@10": 17 / 24, "median_rank": 1.5, "N": 4.0, "tied": 0.0})


def test_the_two_directions_are_one_code_path_with_the_roles_swapped():
    gen = torch.Generator().manual_seed(3)
    audio, text = torch.randn(30, 8, generator=gen), torch.randn(30, 8, generator=gen)
    forward, backward = retrieval_metrics(audio, text), retrieval_metrics(text, audio)
    assert forward["audio_to_text"] == backward["text_to_audio"]
    assert forward["text_to_audio"] == backward["audio_to_text"]


def test_metrics_do_not_depend_on_the_order_of_the_movements_or_the_scale_of_a_vector():
    gen = torch.Generator().manual_seed(4)
    audio, text = torch.randn(25, 6, generator=gen), torch.randn(25, 6, generator=gen)
    order = torch.randperm(25, generator=gen)
    scale = torch.rand(25, 1, generator=gen) + 0.5
    moved = retrieval_metrics(audio[order] * scale[order], text[order])
    for direction, row in retrieval_metrics(audio, text).items():
        assert moved[direction] == pytest.approx(row)


def test_a_tie_with_the_true_item_counts_against_it():
    sims = [[2, 2, 0],  # row 0: the true 2 ties with S[0][1] = 2       → rank 2 (pessimistic)
            [0, 3, 0],  # row 1: 3 alone at the top                     → rank 1
            [1, 1, 1]]  # row 2: ties with both others                  → rank 3
    got = retrieval_metrics(*embeddings_for(sims))
    # audio → text ranks [2, 1, 3]: R@1 = 1/3, mAP@10 = (1/2 + 1 + 1/3) / 3 = 11/18, median 2; rows 0 and 2 tied
    assert got["audio_to_text"] == pytest.approx(
        {"R@1": 1 / 3, "R@5": 1.0, "R@10": 1.0, "mAP@10": 11 / 18, "median_rank": 2.0, "N": 3.0, "tied": 2.0})
    # columns: 0: 2 vs 0, 1 → 1;  1: 3 vs 2, 1 → 1;  2: 1 vs 0, 0 → 1: no ties
    assert got["text_to_audio"]["R@1"] == 1.0
    assert got["text_to_audio"]["tied"] == 0.0


def test_a_competitor_just_above_or_below_the_true_item_is_not_a_tie():
    # far above the tie tolerance (1e-9) but far below what a float32 model would ever tell apart
    eps = 1e-6
    above = retrieval_metrics(*embeddings_for([[1, 1 + eps], [0, 1]]))["audio_to_text"]
    below = retrieval_metrics(*embeddings_for([[1, 1 - eps], [0, 1]]))["audio_to_text"]
    assert (above["R@1"], above["tied"]) == (0.5, 0.0)
    assert (below["R@1"], below["tied"]) == (1.0, 0.0)


def test_movements_that_share_a_text_can_only_rank_behind_their_duplicates():
    # texts 0 and 1 are the same description; the audio of 0 and 1 differ
    text = torch.tensor([[1.0, 0.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, 1.0]])
    audio = torch.tensor([[1.0, 0.1, 0.0], [1.0, -0.1, 0.0], [0.0, 0.0, 1.0]])
    got = retrieval_metrics(audio, text)
    # audio 0 and 1: their text and the duplicate have the same cosine → tie → rank 2; audio 2 → rank 1
    assert got["audio_to_text"]["R@1"] == pytest.approx(1 / 3)
    assert got["audio_to_text"]["tied"] == 2.0
    # text 0 (= text 1): audio 0 and audio 1 are equally close (cos 1/√1.01 each) → tie → rank 2, both
    assert got["text_to_audio"]["R@1"] == pytest.approx(1 / 3)
    assert got["text_to_audio"]["mAP@10"] == pytest.approx((0.5 + 0.5 + 1) / 3)


def test_bad_shapes_and_values_are_errors_that_say_what_is_wrong():
    with pytest.raises(ValueError, match="same shape"):
        retrieval_metrics(torch.zeros(3, 4), torch.zeros(2, 4))
    with pytest.raises(ValueError, match="no movements"):
        retrieval_metrics(torch.zeros(0, 4), torch.zeros(0, 4))
    bad = torch.ones(3, 2)
    bad[1, 0] = float("nan")
    with pytest.raises(ValueError, match=r"text rows \[1\]"):
        retrieval_metrics(torch.ones(3, 2), bad)


def test_aligned_embeddings_beat_the_99th_percentile_of_the_shuffled_control():
    gen = torch.Generator().manual_seed(5)
    text = torch.randn(50, 16, generator=gen)
    audio = text + 0.1 * torch.randn(50, 16, generator=gen)
    control = shuffled_control(audio, text, n_permutations=1000, seed=0)
    assert control["observed"] == 1.0
    # a random pairing puts the true item at a uniform rank in 1..50, so R@10 is 10/50 on average
    assert control["mean"] == pytest.approx(0.2, abs=0.01)
    assert control["p99"] < 0.5
    assert control["above_p99"]
    assert control["p_value"] == pytest.approx(1 / 1001)
    assert (control["n_permutations"], control["n"], control["direction"], control["metric"]) == (
        1000, 50, "audio_to_text", "R@10")


def test_unrelated_embeddings_do_not_beat_the_shuffled_control():
    gen = torch.Generator().manual_seed(6)
    audio, text = torch.randn(50, 16, generator=gen), torch.randn(50, 16, generator=gen)
    for metric in (("audio_to_text", "R@10"), ("text_to_audio", "R@10"), ("audio_to_text", "mAP@10")):
        control = shuffled_control(audio, text, n_permutations=500, seed=1, metric=metric)
        assert not control["above_p99"], (metric, control)
        assert control["p_value"] > 0.01


def test_two_movements_can_never_beat_the_control():
    """With 2 items a shuffle is the true pairing or the swap, each half the time: R@1 is 1 or 0, so the 99th
    percentile is 1 and a perfect system is not above it (the control says N is too small to claim anything)."""
    audio = text = torch.eye(2)
    control = shuffled_control(audio, text, n_permutations=400, seed=2, metric=("text_to_audio", "R@1"))
    assert control["observed"] == 1.0
    assert control["p99"] == 1.0
    assert not control["above_p99"]
    assert control["mean"] == pytest.approx(0.5, abs=0.1)


def test_the_shuffled_control_is_seeded():
    gen = torch.Generator().manual_seed(7)
    audio, text = torch.randn(20, 4, generator=gen), torch.randn(20, 4, generator=gen)
    first = shuffled_control(audio, text, n_permutations=50, seed=3)
    assert shuffled_control(audio, text, n_permutations=50, seed=3) == first
    assert shuffled_control(audio, text, n_permutations=50, seed=4)["mean"] != first["mean"]
    with pytest.raises(ValueError, match="unknown direction"):
        shuffled_control(audio, text, metric=("music_to_text", "R@10"))
    with pytest.raises(ValueError, match="does not depend"):
        shuffled_control(audio, text, metric=("audio_to_text", "N"))


LABELS = ["fast", "slow", "moderate"]
LABEL_EMBEDDINGS = torch.tensor([[1.0, 0.0], [-1.0, 0.0], [0.0, 1.0]])


def test_zero_shot_on_a_hand_example():
    audio = torch.tensor([[0.9, 0.1],   # cos: fast 0.99, slow -0.99, moderate 0.11 → fast
                          [-1.0, 0.2],  # slow 0.98 → slow
                          [0.1, 1.0],   # moderate 0.995 → moderate
                          [1.0, 0.0]])  # fast → fast (no truth: not evaluated)
    got = zero_shot_accuracy(audio, LABEL_EMBEDDINGS, LABELS, ["fast", "fast", "moderate", None])
    # evaluated rows 0-2: right, wrong (slow ≠ fast), right → 2/3; truth fast, fast, moderate → majority fast 2/3
    assert got == {"accuracy": pytest.approx(2 / 3), "majority": pytest.approx(2 / 3), "majority_label": "fast",
                   "n": 3, "predicted": ["fast", "slow", "moderate", "fast"]}


def test_zero_shot_counts_a_tie_with_the_true_label_as_an_error():
    audio = torch.tensor([[1.0, 1.0], [1.0, 1.0]])  # fast and moderate equally close (cos 1/√2 each)
    got = zero_shot_accuracy(audio, LABEL_EMBEDDINGS, LABELS, ["fast", "moderate"])
    assert got["accuracy"] == 0.0
    assert got["predicted"] == ["fast", "fast"]  # the first of the tied top labels, in label order
    # the truths are one each: the majority is the first in label order, with half the rows
    assert (got["majority_label"], got["majority"]) == ("fast", 0.5)


def test_zero_shot_rejects_truths_it_cannot_predict_and_rows_without_any_truth():
    audio = torch.ones(2, 2)
    with pytest.raises(ValueError, match="'presto'"):
        zero_shot_accuracy(audio, LABEL_EMBEDDINGS, LABELS, ["fast", "presto"])
    with pytest.raises(ValueError, match="none of the 2 rows"):
        zero_shot_accuracy(audio, LABEL_EMBEDDINGS, LABELS, [None, None])
    with pytest.raises(ValueError, match="label embeddings"):
        zero_shot_accuracy(audio, LABEL_EMBEDDINGS[:2], LABELS, ["fast", "slow"])


TEXTS = ["A lively allegro where the violins race ahead.", "A slow, sad adagio sung by the cello.",
         "A playful minuet with a rustic trio.", "The finale dances in a joyful rondo with horns and a long coda."]
FRAMES = (130, 200, 96, 64)  # different lengths: every movement but the longest is padded in a batch


def items(cfg):
    tok = wordpiece()
    gen = torch.Generator().manual_seed(1)
    return [Item(f"m{i}", t, torch.randn(cfg.n_bins, f, generator=gen).numpy(), tok.encode(t, cfg.max_text_tokens))
            for i, (t, f) in enumerate(zip(TEXTS, FRAMES, strict=True))]


@pytest.mark.parametrize("system", ["coordinate", "joint", "gtp"])
def test_gtp_embeddings_are_the_pooled_vectors_and_do_not_depend_on_batch_partners(system):
    cfg = get_config("tiny")
    model = GTPModel(cfg, SYSTEMS[system]).train()
    its = items(cfg)
    music, text = gtp_embeddings(model, collate(its, cfg.time_factor))
    assert music.shape == text.shape == (4, cfg.segments * cfg.hidden)
    assert music.dtype == text.dtype == torch.float32
    assert model.training  # the mode it had
    for i, it in enumerate(its):
        alone_music, alone_text = gtp_embeddings(model, collate([it], cfg.time_factor))
        torch.testing.assert_close(music[i:i + 1], alone_music, atol=1e-5, rtol=1e-5)
        torch.testing.assert_close(text[i:i + 1], alone_text, atol=1e-5, rtol=1e-5)
    # with other partners, in another order: the same vectors
    others = [3, 2, 1]
    music_rev, text_rev = gtp_embeddings(model, collate([its[i] for i in others], cfg.time_factor))
    torch.testing.assert_close(music_rev, music[others], atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(text_rev, text[others], atol=1e-5, rtol=1e-5)
    # what the GTP cosine compares: the online encoder's pooled segments, flattened
    model.eval()
    with torch.no_grad():
        batch = collate(its, cfg.time_factor)
        torch.testing.assert_close(music, model.music_segments(batch.spec, batch.frames)[2].flatten(1))
    # and the retrieval code takes them as they are
    assert retrieval_metrics(music, text)["audio_to_text"]["N"] == 4.0

"""The learnability experiment: a corpus whose texts the audio explains, and a small run of it.

The full experiment (``scripts/learnability.py``, up to 2 hours) does not run here; a small one does:
a few works, two folds, one neural system, a few epochs. It must show what the full one measures: the
texts differ across test movements, and the same trained model gives other texts when the spectrograms
are shuffled across the test movements (the control). The rest checks the pieces with exact values.
"""

from __future__ import annotations

import math
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("torch", reason="torch is not installed: install the model extra (bash scripts/setup.sh --model)")

from earsense_m2t.model.learnability import (  # noqa: E402
    Experiment,
    FoldOutcome,
    compare,
    cosine_spread,
    derangement,
    load_settings,
    markdown,
    run_experiment,
    score,
    tempo_of,
    write_release,
)
from earsense_m2t.offline.learnable import (  # noqa: E402
    TEMPO_WORDS,
    assign_folds,
    fold_counts,
    learnable_corpus,
    movement_audio,
    movement_spec,
    movement_title,
)
from earsense_m2t.tagging.tempo import tag_tempo  # noqa: E402

REPO = Path(__file__).resolve().parents[2]


def test_every_tempo_word_is_its_class_under_the_projects_tempo_rules():
    for tag, words in TEMPO_WORDS.items():
        for word in words:
            assert tag_tempo(word).tag == tag, word


def test_the_default_corpus_has_over_100_movements_in_each_of_5_folds_and_balanced_tempi():
    corpus = learnable_corpus()
    assert learnable_corpus() == corpus  # deterministic
    assert min(fold_counts(corpus).values()) >= 100 and len(fold_counts(corpus)) == 5
    works = {}
    for m in corpus:
        assert works.setdefault(m.work_id, m.fold) == m.fold  # whole works per fold
        assert tempo_of(m.text, TEMPO_WORDS) == m.tempo_tag and m.instrumentation in m.text and m.form in m.text
        assert f"in {m.key} {m.mode}" in m.text and f"at about {5 * round(m.bpm / 5)} beats a minute" in m.text
    shares = Counter(m.tempo_tag for m in corpus)
    assert max(shares.values()) / len(corpus) < 0.3


def test_a_title_is_the_tempo_word_and_with_metronome_marks_the_synths_tempo_too():
    corpus = learnable_corpus(12, seed=3)
    for m in corpus:
        marking, metronome = movement_title(m, "marking"), movement_title(m, "metronome")
        assert marking == m.tempo_word.capitalize() == movement_spec(m).title  # what the synth reads is unchanged
        keyed = movement_title(m, "metronome_key")
        assert metronome == f"{marking} (M.M. {round(m.bpm)})" and keyed == f"{metronome} in {m.key} {m.mode}"
        assert tag_tempo(keyed).tag == tag_tempo(metronome).tag == tag_tempo(marking).tag == m.tempo_tag
    assert len({movement_title(m, "metronome") for m in corpus}) > 3 * len({movement_title(m, "marking") for m in corpus})
    assert len({movement_title(m, "metronome_key") for m in corpus}) > len({movement_title(m, "metronome") for m in corpus})
    with pytest.raises(ValueError, match="title style 'roman'; known: marking, metronome, metronome_key"):
        movement_title(corpus[0], "roman")


def test_an_experiment_with_an_unknown_title_style_is_refused_by_name(tmp_path, capsys):
    import importlib.util

    spec = importlib.util.spec_from_file_location("learnability_script", REPO / "scripts" / "learnability.py")
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    settings = tmp_path / "s.toml"
    settings.write_text('[experiment.x]\nepochs = 1\nfolds = [0]\nsystems = ["title"]\ntitles = "roman"\n')
    with pytest.raises(SystemExit):
        script.main(["--settings", str(settings), "--experiment", "x", "--out", str(tmp_path / "out")])
    assert "experiment x: titles 'roman'; known: marking, metronome, metronome_key" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()  # refused before any corpus is made


def test_folds_are_filled_evenly_by_whole_works():
    works = learnable_corpus(12, seed=4, n_folds=3)
    folds = assign_folds(list({m.work_id: m.work for m in works}.values()), 3, seed=4)
    assert set(folds.values()) == {0, 1, 2}
    counts = fold_counts(works)
    assert max(counts.values()) - min(counts.values()) <= 5  # at most one work's movements apart


def onset_rate(audio: np.ndarray, rate: int = 16_000) -> float:
    """Note starts per second: peaks of the positive log-spectral flux (32 ms frames) above 2.5 × its median."""
    frames = audio[: len(audio) // 512 * 512].reshape(-1, 512) * np.hanning(512)
    flux = np.maximum(np.diff(np.log(np.abs(np.fft.rfft(frames, axis=1)) + 1e-3), axis=0), 0).sum(axis=1)
    peaks = (flux[1:-1] > 2.5 * np.median(flux)) & (flux[1:-1] >= flux[:-2]) & (flux[1:-1] > flux[2:])
    return float(peaks.sum()) / (len(audio) / rate)


def test_the_audio_is_the_synth_at_16_khz_and_its_tempo_is_audible():
    """Notes start more often from class to class (measured: ~0.7, 1.6, 5 and 7 a second)."""
    corpus = learnable_corpus(16, seed=2, n_folds=2, duration_s=(12, 12))
    rates = []
    for tag in ("slow", "medium", "fast", "super_fast"):
        values = []
        for m in [m for m in corpus if m.tempo_tag == tag][:3]:
            audio = movement_audio(m)
            assert audio.dtype == np.float32 and len(audio) == 12 * 16_000
            values.append(onset_rate(audio[: 10 * 16_000]))
        rates.append(float(np.mean(values)))
    assert rates == sorted(rates) and rates[3] > 3 * rates[0], rates


def test_tempo_of_takes_the_first_lexicon_word():
    assert tempo_of("A presto, not an adagio.", TEMPO_WORDS) == "super_fast"
    assert tempo_of("Largo!", TEMPO_WORDS) == "slow"
    assert tempo_of("the the the", TEMPO_WORDS) is None
    assert tempo_of("allegretto", TEMPO_WORDS) is None  # a whole word, not a prefix


def test_the_control_permutation_moves_every_movement_and_is_seeded():
    for n in (2, 3, 10, 101):
        perm = derangement(n, 5)
        assert sorted(perm) == list(range(n)) and all(p != i for i, p in enumerate(perm))
        assert derangement(n, 5) == perm
    with pytest.raises(ValueError, match="at least 2"):
        derangement(1, 0)


def test_cosine_spread_of_uncentred_vectors():
    spread = cosine_spread(np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]]))
    assert spread["min"] == pytest.approx(0.0) and spread["max"] == pytest.approx(math.sqrt(0.5))
    assert spread["mean"] == pytest.approx(2 * math.sqrt(0.5) / 3)


def test_scores_pool_folds_and_the_verdict_needs_distinct_texts_and_a_margin():
    tags = ["slow", "fast", "medium", "super_fast"] * 10
    refs = [f"a {t} piece" for t in tags]
    real = [f"an {TEMPO_WORDS[t][0]} piece {i}" for i, t in enumerate(tags)]
    control = ["an allegro piece"] * 40
    outcome = FoldOutcome(0, [f"m{i}" for i in range(40)], refs, tags, "fast", real, control, 40, {"mean": 0.5})
    s = score("gtp", [outcome], TEMPO_WORDS)
    assert (s.n, s.distinct, s.agree, s.agree_control, s.majority, s.changed_by_control) == (40, 40, 40, 10, 10, 40)
    assert s.p_majority < 1e-10 and s.p_control < 1e-8 and s.passed is True
    same = FoldOutcome(0, outcome.ids, refs, tags, "fast", control, control, 40, None)
    s = score("gtp", [same], TEMPO_WORDS)
    assert (s.distinct, s.agree, s.passed) == (1, 10, False)
    tags_row = score("tags_knn", [FoldOutcome(0, outcome.ids, refs, tags, "fast", real, None, None)], TEMPO_WORDS)
    assert tags_row.passed is None and tags_row.agree_control is None
    diff, p = compare(tags_row, s)
    assert diff == pytest.approx(75.0) and p < 1e-8


def test_the_committed_settings_freeze_both_experiments():
    settings = load_settings(REPO / "scripts" / "learnability.toml")
    one, five = settings.experiments["one_fold"], settings.experiments["five_folds"]
    assert one.folds == (0,) and set(one.systems) == {"tags_knn", "tags_representative", "encoder_decoder",
                                                        "coordinate", "gtp_no_sentiment", "gtp"}
    assert five.folds == (0, 1, 2, 3, 4) and set(five.systems) == {"encoder_decoder", "coordinate", "gtp"}
    assert one.config == five.config == "tiny" and one.beam == five.beam
    corpus = learnable_corpus(**{k: tuple(v) if isinstance(v, list) else v for k, v in settings.corpus.items()})
    assert min(fold_counts(corpus).values()) >= 100


@pytest.fixture(scope="module")
def small_run(tmp_path_factory):
    """16 works of 8-9 s movements in 2 folds (29 test movements), the encoder-decoder trained 8 epochs (~40 s)."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # conftest's one-thread fixture is per test and starts after this one
    try:
        corpus = learnable_corpus(16, seed=7, n_folds=2, duration_s=(8, 9))
        by_id = {m.id: m for m in corpus}
        root = tmp_path_factory.mktemp("learnability")
        release = write_release(root / "release", [m.row() for m in corpus], lambda i: movement_audio(by_id[i]),
                                version="learnable-test", log=lambda _: None)
        experiment = Experiment("test", epochs=SMALL_EPOCHS, folds=(0,), systems=("tags_knn", "encoder_decoder"),
                                beam=1, max_tokens=24)
        # jobs=2: the parallel path (pretraining here, training in a spawned process) with one neural system
        return run_experiment(release, experiment, root / "runs", TEMPO_WORDS, jobs=2, log=lambda _: None)
    finally:
        torch.set_num_threads(threads)


SMALL_EPOCHS = 8


def test_a_small_run_gives_texts_that_depend_on_the_spectrogram(small_run):
    [tags, neural] = small_run.scores
    assert neural.system == "encoder_decoder" and neural.n >= 15
    assert neural.distinct >= 2, "every test movement got the same text"
    assert neural.changed_by_control and neural.changed_by_control >= 1, "shuffled spectrograms changed no text"
    assert neural.reproduced == neural.n  # the control scored the models the train stage trained and decoded
    assert tags.agree_control is None and tags.changed_by_control is None
    table = markdown(small_run)
    assert "| Encoder-Decoder |" in table and "control" in table and "Wall time" in table


@pytest.mark.parametrize("systems, jobs, groups", [
    (["encoder_decoder", "coordinate", "gtp"], 1, [["encoder_decoder", "coordinate", "gtp"]]),
    (["encoder_decoder", "coordinate", "gtp"], 2, [["encoder_decoder", "coordinate"], ["gtp"]]),
    (["coordinate_contrastive", "coordinate", "gtp", "joint"], 2, [["coordinate_contrastive"], ["coordinate", "gtp",
                                                                                                  "joint"]]),
    (["gtp"], 4, [["gtp"]]),
])
def test_systems_are_shared_between_processes_by_their_cost(systems, jobs, groups):
    from earsense_m2t.model.learnability import share_systems

    assert share_systems(systems, jobs) == groups


def test_the_table_compares_gtp_with_coordinate_and_the_encoder_decoder():
    from earsense_m2t.model.learnability import Report

    tags = ["slow", "fast"] * 10
    refs = [f"a {t} piece" for t in tags]
    ids = [f"m{i}" for i in range(20)]

    def row(system: str, right: int):
        real = [f"{TEMPO_WORDS[t][0] if i < right else 'lento'} {i}" for i, t in enumerate(tags)]
        return score(system, [FoldOutcome(0, ids, refs, tags, "fast", real, ["x"] * 20, 20, {"mean": 0.9, "std": 0.1,
                                                                                           "min": 0.5, "max": 1.0})],
                     TEMPO_WORDS)

    report = Report(Experiment("t", 1, (0,), ("encoder_decoder", "coordinate", "gtp")), "r", "d",
                    [row("encoder_decoder", 10), row("coordinate", 14), row("gtp", 18)], {"training": 60.0}, {0: 20})
    table = markdown(report)
    assert "GTP against Coordinate: tempo agreement +20.0 points" in table
    assert "GTP against Encoder-Decoder: tempo agreement +40.0 points" in table
    assert "| GTP | 20 / 20 |  90.0 % |   0.0 % |  50.0 % |" in table and "total 1.0 min" in table

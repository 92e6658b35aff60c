"""The field's other systems in the train stage (issue 26): MusCaps, MusCALL and song-title prediction, end to end
through ``train_release`` on a tiny release, their tables in results.md, the plan's checks, and resuming."""

from __future__ import annotations

import json

import pytest

pytest.importorskip("torch", reason="torch is not installed: install the model extra (bash scripts/setup.sh --model)")
pytest.importorskip("pycocoevalcap", reason="pycocoevalcap is not installed: install the model extra")

from earsense_m2t.model.run import Plan, prepare, train_release  # noqa: E402
from earsense_m2t.model.systems import FIELD_SYSTEMS, TABLE1_SYSTEMS  # noqa: E402
from tests.model._release import movements, spectrograms, write_release  # noqa: E402

TEMPI = ("slow", "fast", "medium")
TITLES = {"slow": "Adagio", "fast": "Allegro", "medium": "Andante"}
SYSTEMS = ("muscaps", "muscall", "title", "coordinate")


def titled_movements(n_works: int) -> list[dict]:
    """Tagged rows whose title names their tempo; every fifth row has no title (left out of the title system)."""
    rows = movements(n_works, per_work=2, n_folds=2)
    for i, r in enumerate(rows):
        r["tempo_tag"] = TEMPI[i % 3]
        r["ensemble"] = "quartet" if i % 2 else "trio"
        r["movement_title"] = None if i % 5 == 4 else TITLES[r["tempo_tag"]]
    return rows


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    rows = titled_movements(6)
    return write_release(tmp_path_factory.mktemp("release") / "earsense-m2t", rows, spectrograms(rows, frames=80))


def plan(**changes) -> Plan:
    return Plan.profile("smoke", "tiny", **{"folds": (0,), "systems": SYSTEMS, "max_tokens": 12, "beam": 1, **changes})


@pytest.fixture(scope="module")
def field_run(dataset, tmp_path_factory):
    out = tmp_path_factory.mktemp("training")
    lines: list[str] = []
    result = train_release(dataset, None, plan(), out, log=lines.append)
    return out / "v9.9.9-tiny-muscaps+muscall+title+coordinate", result, lines  # the field systems' own folder


def test_the_default_systems_are_table_1s_and_an_unknown_one_is_one_line(tmp_path):
    assert Plan.profile("full", "tiny").systems == TABLE1_SYSTEMS
    assert not set(FIELD_SYSTEMS) & set(TABLE1_SYSTEMS)
    Plan.profile("smoke", "tiny", systems=FIELD_SYSTEMS).check()
    with pytest.raises(ValueError, match=r"^unknown systems muscap; known: tags_knn, .*muscaps, muscall, title$"):
        prepare(tmp_path / "nothing", None, Plan.profile("smoke", "tiny", systems=("muscap", "gtp")), tmp_path / "o")


def test_the_release_gives_each_row_its_title_or_none(field_run):
    run_dir, _, _ = field_run
    from earsense_m2t.model.data import load_release
    from earsense_m2t.model.tokenizer import wordpiece

    run = json.loads((run_dir / "run.json").read_text())
    release = load_release(run["dataset_path"], n_folds=2, count_pieces=wordpiece().pieces,
                           cache_dir=run_dir.parent / ".cache" / "datasets")
    titles = {e.id: e.title for e in release.examples}
    assert titles["w0#1"] == "Adagio" and titles["w2#1"] is None and titles["w0#2"] == "Allegro"


def test_the_title_systems_validation_figure_is_minus_the_bleu_of_its_greedy_validation_titles(field_run):
    import math

    import torch

    from earsense_m2t.model.batch import MovementDataset
    from earsense_m2t.model.data import fit_standardizer, fold_split, load_release
    from earsense_m2t.model.field import caption_test_fold, title_validation, titled
    from earsense_m2t.model.title import TitleConfig, TitleModel, title_metrics
    from earsense_m2t.model.tokenizer import VOCAB_SIZE, wordpiece

    run_dir, _, _ = field_run
    run = json.loads((run_dir / "run.json").read_text())
    release = load_release(run["dataset_path"], n_folds=2, count_pieces=wordpiece().pieces,
                           cache_dir=run_dir.parent / ".cache" / "datasets")
    split = fold_split(release.examples, 0, validation_works=0.5)
    cfg = TitleConfig.tiny()
    assert cfg.select_by == "bleu"
    rows = titled(split.validation)
    data = MovementDataset(release, rows, fit_standardizer(release, split.train, 80), wordpiece(), cfg.max_frames,
                           cfg.max_title_tokens)
    torch.manual_seed(0)
    model = TitleModel(cfg, VOCAB_SIZE)
    texts = caption_test_fold(model, data, cfg.time_factor, 1, cfg.max_title_tokens,
                              lambda m, b, k, n: m.generate(b.spec, b.frames, beam=k, max_tokens=n))
    expected = -title_metrics([texts[e.id] for e in rows], [str(e.title) for e in rows])["bleu"]
    assert rows and title_validation(data, rows, cfg)(model) == expected
    assert math.isnan(title_validation(data, [], cfg)(model))  # no titled validation row: no figure
    with pytest.raises(ValueError, match="select_by 'cider'; known: bleu, loss"):
        cfg.with_(select_by="cider")


def test_every_field_system_lands_in_its_table(field_run):
    run_dir, result, lines = field_run
    assert not result.failures, result.failures
    assert result.counts["computed"] == len(SYSTEMS)
    results = json.loads((run_dir / "results.json").read_text())
    # MusCaps: one more row of the captioning table, scored with the same metrics
    assert set(results["systems"]) == {"coordinate", "muscaps"}
    assert results["systems"]["muscaps"]["bleu"]["mean"] is not None
    md = (run_dir / "results.md").read_text()
    assert "| MusCaps |" in md
    # MusCALL and the GTP-family system: the retrieval table, both directions, the control, zero-shot for MusCALL
    assert set(results["retrieval"]) == {"muscall", "coordinate"}
    muscall = results["retrieval"]["muscall"]
    assert muscall["audio_to_text/N"]["mean"] == 6 and muscall["text_to_audio/R@10"]["mean"] == 1.0
    assert muscall["control/audio_to_text/p99"]["mean"] is not None
    assert muscall["zero_shot/tempo_tag/majority"]["mean"] == pytest.approx(1 / 3)  # 2 each of slow, fast, medium
    assert muscall["zero_shot/tempo_tag/labels"]["mean"] == 4 and muscall["zero_shot/ensemble/labels"]["mean"] == 2
    assert results["retrieval"]["coordinate"]["zero_shot/tempo_tag/accuracy"]["mean"] is None  # MusCALL's use only
    assert "## Retrieval per system" in md and "| MusCALL |" in md and "| Coordinate |" in md
    assert "Shuffled-pair control of R@10" in md and "| system | tempo accuracy | tempo majority class | ensemble " in md
    # the title system: its own table, scored on the titled test rows only
    unit = json.loads((run_dir / "units" / "title" / "seed0" / "fold0.json").read_text())
    assert unit["metrics"]["n"] == 4 and unit["untitled_test_rows"] == 2 and unit["best_epoch"] == 1
    assert -100.0 <= unit["history"][0]["validation"] <= 0.0  # the epoch is chosen on minus the validation titles' BLEU
    assert {g["id"] for g in unit["generations"]} == {"w0#1", "w0#2", "w2#2", "w4#1"}  # w2#1, w4#2: no title
    assert set(results["title"]) == {"title"} and results["title"]["title"]["exact_match"]["n"] == 1
    assert "## Song-title prediction" in md and "| Song-title prediction (Bleiweiss) |" in md
    # what could not be reproduced, per system, without an address outside the repository
    assert set(results["field_differences"]) == {"muscaps", "muscall", "title"}
    assert "not reproduced: the image-captioning network pretrained" in md
    assert "http" not in md and "github.com" not in md
    # the field systems need no GTP pretraining, and train from their own checkpoints
    for system in ("muscaps", "muscall", "title"):
        assert (run_dir / "checkpoints" / system / "seed0" / "fold0" / "done.json").is_file()
    assert not list(run_dir.rglob("*.tmp"))


def test_a_killed_field_unit_resumes_from_its_epoch_checkpoint(dataset, tmp_path):
    """A title unit killed after its first epoch of two continues from that epoch and ends as an uninterrupted run.

    The kill is made from files: a two-epoch run's unit, ``done.json`` and last epoch file are removed and a one-epoch
    run's epoch file (the same key: epochs are not part of it) is put in their place, as a kill after epoch 1 leaves.
    """
    import torch

    from earsense_m2t.model.train import DONE, epoch_path, save_torch

    def run(name: str, epochs: int, log=lambda _: None):
        result = train_release(dataset, None, plan(systems=("title",), epochs=epochs), tmp_path / name, log=log)
        assert not result.failures, result.failures
        run_dir = tmp_path / name / "v9.9.9-tiny-title"
        return (result, run_dir / "checkpoints" / "title" / "seed0" / "fold0",
                run_dir / "units" / "title" / "seed0" / "fold0.json")

    _, _, whole = run("whole", 2)
    _, killed, unit = run("killed", 2)
    _, one, _ = run("one", 1)
    unit.unlink()
    (killed / DONE).unlink()
    epoch_path(killed, 2).unlink()
    save_torch(torch.load(epoch_path(one, 1), weights_only=True), epoch_path(killed, 1))
    lines: list[str] = []
    again, _, _ = run("killed", 2, lines.append)
    assert again.counts["computed"] == 1 and any("resumed from epoch 1" in line for line in lines), lines
    resumed, uninterrupted = json.loads(unit.read_text()), json.loads(whole.read_text())
    assert resumed["history"] == uninterrupted["history"] and resumed["resumed_from"] == 1
    assert resumed["generations"] == uninterrupted["generations"]


def test_the_train_flow_takes_the_field_systems_by_name():
    pytest.importorskip("prefect", reason="prefect is not installed")
    from earsense_m2t.build_options import BadOption
    from earsense_m2t.flows.train import train_gtp

    assert train_gtp.parameters.properties["systems"]["default"] is None  # None: Table 1's rows
    with pytest.raises(BadOption, match="^systems: unknown systems muscap; known: .*muscaps, muscall, title$"):
        train_gtp.fn(systems=["muscap", "gtp"])  # checked before the output root or Prefect's runtime is read


def test_the_committed_field_experiment_is_on_an_unscored_corpus():
    from earsense_m2t.model.learnability import load_settings
    from tests.model.test_learnability import REPO

    experiments = load_settings(REPO / "scripts" / "learnability.toml").experiments
    field = experiments["field_systems"]
    assert field.corpus_seed == 4 and field.folds == (0,) and field.beam == 1 and field.config == "tiny"
    assert field.systems == ("muscaps", "muscall", "title", "coordinate")
    assert field.corpus_seed not in {e.corpus_seed for name, e in experiments.items() if name != "field_systems"}


@pytest.mark.parametrize(("name", "titles", "seed", "epochs"), [
    ("field_systems_metronome", "metronome", 6, 40),
    ("field_systems_metronome_key", "metronome_key", 7, 80),
])
def test_the_metronome_field_experiments_are_frozen_on_unscored_corpora(name, titles, seed, epochs):
    from earsense_m2t.model.learnability import load_settings
    from tests.model.test_learnability import REPO

    experiments = load_settings(REPO / "scripts" / "learnability.toml").experiments
    field = experiments[name]
    assert field.systems == ("muscaps", "muscall", "title") and field.titles == titles and field.beam == 1
    assert field.corpus_seed == seed and field.folds == (0,) and field.epochs == epochs and field.config == "tiny"
    others = {e.corpus_seed for other, e in experiments.items() if other != name}
    # None: the settings file's seed 0; 1: the development corpus the configs were chosen on (never frozen)
    assert field.corpus_seed not in others and None in others and field.corpus_seed != 1


def test_the_learnability_report_scores_the_field_systems_from_their_units_and_shows_retrieval():
    """MusCaps' and the title system's rows come from the stage's texts (titles on the titled rows only); the
    retrieval table shows R@10 beside the control's mean and 99th percentile."""
    from earsense_m2t.model.data import Example
    from earsense_m2t.model.learnability import Experiment, Report, field_outcome, markdown, score

    words = {"fast": ("allegro",), "slow": ("adagio",)}
    tags = {"allegro": "fast", "adagio": "slow"}
    test = [Example(f"m{i}", f"w{i}", 0, f"a {w} piece", i, 10, (tags[w],), None if i == 3 else w.capitalize())
            for i, w in enumerate(["allegro", "adagio", "allegro", "adagio"])]
    unit = {"generations": [{"id": "m0", "hypothesis": "allegro"}, {"id": "m1", "hypothesis": "allegro"},
                            {"id": "m2", "hypothesis": "allegro"}]}  # m3 has no title: not generated
    outcome = field_outcome(0, test, unit, 0, titles=True)
    assert outcome.ids == ["m0", "m1", "m2"] and outcome.references == ["Allegro", "Adagio", "Allegro"]
    assert outcome.majority == "fast" and outcome.control is None
    row = score("title", [outcome], words)
    assert (row.n, row.distinct, row.agree, row.majority, row.passed) == (3, 1, 2, 2, None)
    retrieval = {"muscall": {"audio_to_text/R@10": {"mean": 0.5}, "control/audio_to_text/mean": {"mean": 0.1},
                             "control/audio_to_text/p99": {"mean": 0.2}, "control/audio_to_text/above_p99": {"mean": 1.0},
                             "zero_shot/tempo_tag/accuracy": {"mean": 0.4}, "zero_shot/tempo_tag/majority": {"mean": 0.3}}}
    report = Report(Experiment("x", 1, (0,), ("title", "muscall")), "r", "d", [row], {"train": 60.0}, {0: 4},
                    retrieval=retrieval)
    table = markdown(report)
    assert "| Song-title prediction (Bleiweiss) | 1 / 3 |" in table
    assert "| MusCALL | 50.0 % | 10.0 % | 20.0 % | 100.0 % | — |" in table and "| 40.0 % | 30.0 % | — | — |" in table


def test_a_release_without_titles_fails_the_title_units_in_one_line(tmp_path):
    rows = titled_movements(4)
    for r in rows:
        r.pop("movement_title")
    path = write_release(tmp_path / "earsense-m2t", rows, spectrograms(rows, frames=40))
    result = train_release(path, None, plan(systems=("title",)), tmp_path / "out", log=lambda _: None)
    assert [(f.item_id, f.code) for f in result.failures] == [("title/fold0/seed0", "training_failed")]
    assert result.failures[0].reason == "title fold 0 seed 0: none of the 2 training rows has a title (the release's " \
                                        "movement_title column)"
    run_dir = tmp_path / "out" / "v9.9.9-tiny-title"
    results = json.loads((run_dir / "results.json").read_text())
    assert results["title"] == {} and "## Song-title prediction" not in (run_dir / "results.md").read_text()

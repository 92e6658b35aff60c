"""Settings profiles (`--settings authors|corrected`): the generated differences, the plan and run folder they make,
seeded sampling of three texts, BLEU over three streams, and a smoke run under the authors' settings."""

from __future__ import annotations

import json
import re
from dataclasses import replace

import pytest

torch = pytest.importorskip("torch", reason="torch is not installed: install the model extra (bash scripts/setup.sh --model)")

from earsense_m2t.model.config import GTPConfig  # noqa: E402
from earsense_m2t.model.results import DIFFERENCES, markdown  # noqa: E402
from earsense_m2t.model.run import Plan, check_same_plan, run_dir_for  # noqa: E402
from earsense_m2t.model.settings import PROFILES, SETTING_ROWS, Settings, differences, get_settings  # noqa: E402

AUTHORS, CORRECTED = PROFILES["authors"], PROFILES["corrected"]


def resolved(settings: Settings, epochs: int = 40) -> Settings:
    return replace(settings, epochs=settings.epochs or epochs, momentum_per_sample=True,
                   gtp_similarity=settings.gtp_similarity or GTPConfig.tiny().gtp_similarity)


@pytest.mark.parametrize("settings, listed, differs", [
    # corrected: weight decay against the authors', 40 epochs, beam search against their beam-sample, one text
    (resolved(CORRECTED), ["weight_decay", "epochs", "momentum_per_sample", "decoding", "outputs"],
     {"weight_decay": "not in the paper, authors' code", "decoding": "authors' code", "outputs":
      "not in the paper, authors' code", "momentum_per_sample": "not in the paper"}),
    # tiny's 5 epochs are the authors' 5 (still a value the paper does not state)
    (resolved(CORRECTED, epochs=5), ["weight_decay", "epochs", "momentum_per_sample", "decoding", "outputs"],
     {"epochs": "not in the paper"}),
    # authors: only plain sampling differs from their code; weight decay 5 is listed as a value the paper lacks
    (resolved(AUTHORS), ["weight_decay", "epochs", "momentum_per_sample", "decoding", "top_k", "outputs"],
     {"weight_decay": "not in the paper", "decoding": "paper, authors' code", "top_k": "not in the paper"}),
    # a changed setting changes the list
    (resolved(CORRECTED).with_(max_tokens=100), ["weight_decay", "epochs", "momentum_per_sample", "decoding",
                                                 "outputs", "max_tokens"], {"max_tokens": "paper, authors' code"}),
    (resolved(CORRECTED).with_(beam=5), ["weight_decay", "epochs", "momentum_per_sample", "decoding", "beam",
                                         "outputs"], {"beam": "paper, authors' code"}),
    (resolved(AUTHORS).with_(weight_decay=0.01), ["weight_decay", "epochs", "momentum_per_sample", "decoding", "top_k",
                                                  "outputs"], {"weight_decay": "not in the paper, authors' code"}),
    (resolved(AUTHORS).with_(gtp_similarity="standardized"), ["weight_decay", "epochs", "momentum_per_sample",
                                                         "gtp_similarity", "decoding", "top_k", "outputs"],
     {"gtp_similarity": "paper, authors' code"}),
    (resolved(AUTHORS).with_(momentum_per_sample=False), ["weight_decay", "epochs", "momentum_per_sample", "decoding",
                                                          "top_k", "outputs"],
     {"momentum_per_sample": "not in the paper, authors' code"}),
])
def test_the_differences_are_computed_from_the_settings(settings, listed, differs):
    rows = differences(settings)
    assert [r["field"] for r in rows] == listed
    for field, text in differs.items():
        assert next(r for r in rows if r["field"] == field)["differs_from"] == text, field


def test_every_row_names_a_settings_field_and_unresolved_settings_are_refused():
    names = {f for f in Settings.__dataclass_fields__ if f != "name"}
    assert {r.field for r in SETTING_ROWS} == names
    with pytest.raises(ValueError, match="epochs, momentum_per_sample, gtp_similarity unresolved"):
        differences(CORRECTED)


@pytest.mark.parametrize("change, message", [
    ({"decoding": "nucleus"}, "decoding 'nucleus'; known: beam, sample"),
    ({"outputs": 3}, "beam search gives one text per movement, not 3"),
    ({"decoding": "sample", "top_k": None}, "sampling needs top_k ≥ 1"),
    ({"weight_decay": -1.0}, "weight_decay -1.0 must be ≥ 0"),
])
def test_impossible_settings_are_refused(change, message):
    with pytest.raises(ValueError, match=message):
        CORRECTED.with_(**change)


@pytest.mark.parametrize("profile, config, settings, expected", [
    ("full", "paper", None, {"settings": "corrected", "epochs": 40, "weight_decay": 0.01, "decoding": "beam",
                             "outputs": 1, "momentum_per_sample": None}),
    ("full", "tiny", "corrected", {"epochs": 5, "beam": 3, "top_k": None}),
    ("full", "paper", "authors", {"settings": "authors", "epochs": 5, "weight_decay": 5.0, "decoding": "sample",
                                  "top_k": 50, "outputs": 3, "momentum_per_sample": True, "max_tokens": 200}),
    ("smoke", "tiny", "authors", {"epochs": 1, "weight_decay": 5.0, "outputs": 3}),  # the smoke profile's epoch
])
def test_the_plan_takes_its_fields_from_the_settings_profile(profile, config, settings, expected):
    plan = Plan.profile(profile, config, settings)
    plan.check()
    assert {k: getattr(plan, k) for k in expected} == expected


def test_an_unknown_profile_is_one_line_and_each_profile_has_its_own_run_folder(tmp_path):
    with pytest.raises(ValueError, match=r"^unknown settings 'paperish'; known: authors, corrected$"):
        Plan.profile("full", "tiny", "paperish")
    with pytest.raises(ValueError, match="unknown settings"):
        get_settings("")
    assert run_dir_for(tmp_path, "1.0.0", "tiny") == tmp_path / "v1.0.0-tiny"
    assert run_dir_for(tmp_path, "1.0.0", "tiny", "authors") == tmp_path / "v1.0.0-tiny-authors"


def test_a_run_with_the_fields_systems_has_its_own_folder_named_by_them(tmp_path):
    from earsense_m2t.model.systems import TABLE1_SYSTEMS

    assert run_dir_for(tmp_path, "1.0.0", "tiny", systems=TABLE1_SYSTEMS) == tmp_path / "v1.0.0-tiny"
    assert run_dir_for(tmp_path, "1.0.0", "tiny", systems=("gtp", "coordinate")) == tmp_path / "v1.0.0-tiny"
    field = run_dir_for(tmp_path, "1.0.0", "tiny", systems=("muscaps", "muscall", "title"))
    assert field == tmp_path / "v1.0.0-tiny-muscaps+muscall+title"
    assert run_dir_for(tmp_path, "1.0.0", "tiny", "authors", ("title",)) == tmp_path / "v1.0.0-tiny-authors-title"
    many = run_dir_for(tmp_path, "1.0.0", "tiny", systems=(*TABLE1_SYSTEMS, "muscaps"))
    assert re.fullmatch(rf"v1\.0\.0-tiny-{len(TABLE1_SYSTEMS) + 1}-systems-[0-9a-f]{{8}}", many.name), many.name
    assert many != run_dir_for(tmp_path, "1.0.0", "tiny", systems=(*TABLE1_SYSTEMS, "title"))


def test_a_run_folder_keeps_its_settings_and_one_written_before_them_counts_as_corrected(tmp_path):
    corrected, authors = Plan.profile("smoke", "tiny"), Plan.profile("smoke", "tiny", "authors")
    older = {k: v for k, v in corrected.comparable().items()
             if k not in ("settings", "weight_decay", "momentum_per_sample", "decoding", "top_k", "outputs")}
    (tmp_path / "run.json").write_text(json.dumps({"plan": older}))
    check_same_plan(tmp_path, corrected)  # the plan of a run before profiles existed: the corrected one
    with pytest.raises(ValueError, match=r"another plan is there \(decoding: 'beam' there, 'sample' now; .*"
                                         r"settings: 'corrected' there, 'authors' now; .*weight_decay: 0.01 there, 5.0"):
        check_same_plan(tmp_path, authors)


def test_results_md_prints_the_generated_rows_then_the_fixed_differences():
    base = {"dataset_version": "1.0.0", "config": "tiny", "folds": [0], "seeds": [0], "environment": {"device": "cpu"},
            "systems": {}, "settings": {"epochs": 5}, "settings_profile": "authors", "decoding": "top-k sampling"}
    md = markdown({**base, "differences": {"settings": differences(resolved(AUTHORS)), "fixed": list(DIFFERENCES)}})
    assert "Decoding (settings `authors`): top-k sampling" in md
    assert "| AdamW weight decay (after pretraining) | 5 | not stated | 5 | not in the paper |" in md
    assert "| decoding | sample | beam | beam_sample | paper, authors' code |" in md
    assert all(f"- {d}" in md for d in DIFFERENCES)  # the hand-kept ones (model/systems.py's rows too) follow
    changed = markdown({**base, "differences": {"settings": differences(resolved(AUTHORS).with_(weight_decay=0.01)),
                                                "fixed": list(DIFFERENCES)}})
    assert "| AdamW weight decay (after pretraining) | 0.01 | not stated | 5 | not in the paper, authors' code |" in changed
    assert "| AdamW weight decay (after pretraining) | 5 |" not in changed


# --- BLEU over three streams ------------------------------------------------------------------------------------

REFS = ["a slow and quiet adagio", "a fast bright allegro for strings"]


@pytest.mark.parametrize("streams, expected", [
    ([["a slow and quiet adagio", "a fast bright allegro for strings"]], 100.0),  # one stream: the one-stream call
    ([["nothing alike", "words"], ["still", "no"], REFS], 100.0),  # any stream holding the n-grams counts
    ([["nothing alike", "words"], ["still", "no"], ["x", "y"]], 0.0),
])
def test_the_papers_call_scores_every_stream_as_a_reference_stream(streams, expected):
    from earsense_m2t.model.metrics import paper_compatible_bleu, paper_compatible_bleu_streams

    assert paper_compatible_bleu_streams(streams, REFS) == pytest.approx(expected, abs=1e-6)
    assert paper_compatible_bleu_streams(streams[:1], REFS) == paper_compatible_bleu(streams[0], REFS)
    with pytest.raises(ValueError, match="1 hypotheses for 2 references"):
        paper_compatible_bleu_streams([REFS, REFS[:1]], REFS)


# --- seeded sampling ----------------------------------------------------------------------------------------------

def scripted(probs: dict[int, float]):
    from tests.model.test_decode import scripted_model

    return scripted_model({}, probs)


def sampled(model, ids, seed, **kw):
    from earsense_m2t.model.decode import sample
    from tests.model.test_decode import BOS, EOS, music

    spec, frames = music(len(ids))
    kw = {"top_k": 50, "outputs": 3, "max_tokens": 6, **kw}
    return sample(model, spec, frames, ids, bos=BOS, eos=EOS, seed=seed, **kw)


def test_sampling_is_seeded_per_movement_and_keeps_to_the_top_k():
    from tests.model.test_decode import EOS, A, B, C, D

    model = scripted({A: 0.3, B: 0.25, C: 0.2, D: 0.15, EOS: 0.1})
    first = sampled(model, ["w0#1", "w1#1"], seed=0)
    assert len(first) == 2 and all(len(streams) == 3 for streams in first)
    assert sampled(model, ["w0#1", "w1#1"], seed=0) == first  # the same seed: the same three texts
    assert sampled(model, ["w1#1"], seed=0) == [first[1]]  # whatever batch the movement is decoded in
    assert sampled(model, ["w0#1", "w1#1"], seed=1) != first
    assert len({tuple(s) for streams in first for s in streams}) > 1  # three draws, not one text thrice
    top2 = sampled(model, ["w0#1"], seed=0, top_k=2)
    assert {t for s in top2[0] for t in s} <= {A, B}
    assert sampled(model, ["w0#1"], seed=0, top_k=1) == [[[A] * 6] * 3]  # top-1 sampling is greedy


def test_generate_streams_gives_one_beam_text_or_the_sampled_ones():
    from earsense_m2t.model.batch import Item, collate
    from earsense_m2t.model.decode import generate_streams
    from tests.model.test_decode import TOK, A, B

    model = scripted({A: 0.5, B: 0.5})
    cfg = model.cfg
    items = [Item(f"m{i}", "x", torch.randn(cfg.n_bins, 100).numpy(), TOK.encode("x", 8)) for i in range(2)]
    batch = collate(items, cfg.time_factor)
    beam = generate_streams(model, batch, TOK, decoding="beam", beam=2, max_tokens=3)
    assert [len(t) for t in beam] == [1, 1]
    three = generate_streams(model, batch, TOK, decoding="sample", top_k=2, outputs=3, max_tokens=3, seed=4)
    assert [len(t) for t in three] == [3, 3] and three == generate_streams(
        model, batch, TOK, decoding="sample", top_k=2, outputs=3, max_tokens=3, seed=4)
    with pytest.raises(ValueError, match="decoding 'nucleus'"):
        generate_streams(model, batch, TOK, decoding="nucleus")


# --- a smoke run under the authors' settings ---------------------------------------------------------------------

@pytest.fixture(scope="module")
def authors_run(tmp_path_factory):
    pytest.importorskip("pycocoevalcap", reason="pycocoevalcap is not installed: install the model extra")
    from earsense_m2t.model.run import train_release
    from tests.model._release import movements, spectrograms, write_release

    root = tmp_path_factory.mktemp("authors")
    rows = movements(4)
    dataset = write_release(root / "earsense-m2t", rows, spectrograms(rows, frames=70))
    plan = Plan.profile("smoke", "tiny", "authors", folds=(0,), systems=("tags_knn", "encoder_decoder"),
                        max_tokens=8, pretrain_epochs=(0, 0))
    result = train_release(dataset, None, plan, root / "runs", log=lambda _: None)
    return root / "runs" / "v9.9.9-tiny-authors", result


def test_a_smoke_run_with_the_authors_settings_scores_three_texts_and_lists_its_differences(authors_run):
    from earsense_m2t.model.evaluate import checkpoint_path, run_plan
    from earsense_m2t.model.run import decode_test_fold, prepare
    from earsense_m2t.model.train import load_best

    run_dir, result = authors_run
    assert not result.failures and result.counts["computed"] == 2
    unit = json.loads((run_dir / "units" / "encoder_decoder" / "seed0" / "fold0.json").read_text())
    assert all(len(g["hypotheses"]) == 3 and g["hypothesis"] == g["hypotheses"][0] for g in unit["generations"])
    assert unit["metrics"]["bleu_paper_compatible"] is not None
    baseline = json.loads((run_dir / "units" / "tags_knn" / "seed0" / "fold0.json").read_text())
    assert all("hypotheses" not in g for g in baseline["generations"])  # a TAGS baseline: one text
    results = json.loads((run_dir / "results.json").read_text())
    rows = {r["field"]: r for r in results["differences"]["settings"]}
    assert rows["weight_decay"]["value"] == "5" and rows["outputs"]["value"] == "3"
    assert rows["epochs"]["value"] == "1" and rows["epochs"]["differs_from"] == "not in the paper, authors' code"
    md = (run_dir / "results.md").read_text()
    assert "| AdamW weight decay (after pretraining) | 5 |" in md and "always exactly 0" in md
    assert "3 texts (streams) per movement" in md and "every other metric" in md  # how three streams are scored
    # the saved model decoded again (as `earsense-m2t evaluate` does): seeded, the unit's three texts again
    _, plan = run_plan(run_dir, "cpu")
    prep = prepare(run_dir.parents[1] / "earsense-m2t", None, plan, run_dir.parent)
    best = checkpoint_path(run_dir, "encoder_decoder", 0, 0)
    model = load_best(best.parent, prep.cfg, "encoder_decoder", torch.load(best, weights_only=True)["key"],
                      torch.device("cpu"))
    again = decode_test_fold(prep, model, 0, seed=0)
    assert {i: list(t) for i, t in again.items()} == {g["id"]: g["hypotheses"] for g in unit["generations"]}


def test_the_train_flow_takes_the_settings_profile():
    pytest.importorskip("prefect", reason="prefect is not installed")
    from earsense_m2t.build_options import BadOption
    from earsense_m2t.flows.train import train_gtp

    assert train_gtp.parameters.properties["settings"]["default"] == "corrected"
    with pytest.raises(BadOption, match="^settings: unknown settings 'paperish'; known: authors, corrected$"):
        train_gtp.fn(settings="paperish")  # checked before the output root or Prefect's runtime is read

"""What the dataset card claims is true of the release next to it (issue 24 item 8): which configs have a
fold column, what the folds are grouped by, who wrote the texts, where the annotation excerpts are, an import
that works outside the repository, the citations, a tempo section that says each thing once; and its plots
(Hz and dB on spectrograms, whole titles, seconds, no "None"/"n/a" labels)."""

from __future__ import annotations

import dataclasses
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from huggingface_hub import DatasetCard

from earsense_m2t.features.params import AudioParams
from earsense_m2t.publish import publish_dataset
from earsense_m2t.publish.release import card_context
from earsense_m2t.publish.versions import decide_bump
from earsense_m2t.schemas import Work
from earsense_m2t.schemas.io import read_records, write_records
from earsense_m2t.schemas.layout import AnnotationLayout
from tests.publish._bundle import CARD_CONTEXT, NOW, SPEC_PARAMS, make_build
from tests.publish.test_annotation_configs import add_annotations

#: the card context a real build of the bundled site passes (its tempo rules, audio and spectrogram parameters)
REAL_CONTEXT = card_context(site_url="embedded-site-url-unused", embedded=True, params=AudioParams())


def _publish(root: Path, *, annotations: bool = False, page_host: str | None = None,
             context: dict | None = None, n_works: int = 5, judged: bool = True) -> Path:
    build = make_build(root, n_works=n_works)
    if page_host is not None:  # the works' pages on another site (the bundled mini site's loopback address)
        works = read_records(build / "works.jsonl", Work)
        write_records(build / "works.jsonl", [dataclasses.replace(w, url=f"http://{page_host}/{w.id}/") for w in works])
    if annotations:
        add_annotations(build, judged=judged)
    dataset = root / "earsense-m2t"
    publish_dataset(build, dataset, card_context=context or CARD_CONTEXT, now=NOW)
    return dataset


@pytest.fixture(scope="module")
def annotated(tmp_path_factory) -> Path:
    """One release with annotations and the real card context (8 works: composers repeat)."""
    with pytest.MonkeyPatch.context() as mp:
        cache = tmp_path_factory.mktemp("hf-cache")
        mp.setenv("HF_DATASETS_CACHE", str(cache))
        mp.setenv("HF_HUB_OFFLINE", "1")
        return _publish(tmp_path_factory.mktemp("annotated") / "local", annotations=True, context=REAL_CONTEXT,
                        n_works=8)


def _card(dataset: Path) -> str:
    return (dataset / "README.md").read_text(encoding="utf-8")


def _section(card: str, title: str) -> str:
    start = card.index(f"## {title}")
    end = card.find("\n## ", start + 3)
    return card[start:end if end > 0 else None]


def _features(dataset: Path) -> dict[str, dict]:
    return json.loads((dataset / "meta" / "publish.json").read_text())["features"]


# ------------------------------------------------------------------------------------------------ the text

def test_the_fold_column_is_claimed_for_exactly_the_configs_that_have_it(annotated):
    features = _features(annotated)
    with_fold = [name for name, feats in features.items() if "fold" in feats]
    without = [name for name, feats in features.items() if "fold" not in feats]
    assert without == ["annotation_pool", "relative_annotations"]  # the fixture has both kinds
    folds = _section(_card(annotated), "Configs and how to load them").replace("\n", " ")
    assert "Each config has a single split, `train`, and a `fold` column" not in folds
    assert ", ".join(f"`{n}`" for n in with_fold) + " have a `fold` column" in folds
    assert " and ".join(f"`{n}`" for n in without) + " have none" in folds


def test_folds_are_said_to_be_grouped_by_work_and_not_by_composer(annotated):
    card = _card(annotated).replace("\n", " ")
    assert "no composer's article leaks" not in card
    default = pl.read_parquet(sorted((annotated / "data" / "default").glob("*.parquet")))
    spread = default.group_by("composer").agg(pl.col("fold").n_unique()).filter(pl.col("fold") > 1).height
    composers = default["composer"].n_unique()
    assert spread > 0  # 8 works of 6 composers: some composer's two works are in two folds
    assert "Folds are **grouped by work**" in card
    assert f"**not** grouped by composer: {spread} of the {composers} composers have works in more than one fold" in card


def test_who_wrote_the_texts_follows_the_site_of_the_pages(tmp_path):
    earsense = _card(_publish(tmp_path / "a" / "local"))
    assert "are written by EarSense's experts" in earsense and "written for the project as test data" not in earsense
    assert DatasetCard.load(tmp_path / "a/local/earsense-m2t/README.md").data.language_creators == ["expert-generated"]

    bundled_dir = _publish(tmp_path / "b" / "local", page_host="127.0.0.1:8123",
                           context={**CARD_CONTEXT, "embedded_site": True})
    bundled = _card(bundled_dir)
    assert "EarSense's experts" not in bundled and "expert wrote" not in bundled
    licence = _section(bundled, "License and ethics").replace("\n  ", " ")
    assert "come from the bundled offline mini site: they were written for the project as test data" in licence
    assert DatasetCard.load(bundled_dir / "README.md").data.language_creators == ["other"]
    assert "127.0.0.1" not in bundled


def test_annotations_creators_are_the_rules_and_the_people_only_once_someone_judged(annotated, tmp_path):
    """The tempo tags (and silver labels) come from rules; people's judgments count only when the release has some."""
    assert DatasetCard.load(annotated / "README.md").data.annotations_creators == ["machine-generated", "crowdsourced"]
    unjudged = _publish(tmp_path / "a" / "local", annotations=True, judged=False)
    assert DatasetCard.load(unjudged / "README.md").data.annotations_creators == ["machine-generated"]
    plain = _publish(tmp_path / "b" / "local")
    assert DatasetCard.load(plain / "README.md").data.annotations_creators == ["machine-generated"]


def test_the_card_says_where_the_excerpts_are(annotated):
    excerpts = AnnotationLayout(Path("path/to")).excerpts.as_posix()  # the layout's folder, under the output root
    card = _card(annotated).replace("\n  ", " ")
    assert f"`{excerpts}/<excerpt_file>`" in card
    assert "check it against `excerpt_sha256`" in card


def test_the_cards_load_version_example_runs_outside_the_repository(annotated, tmp_path):
    card = _card(annotated)
    block = next(b for b in re.findall(r"```python\n(.*?)```", card, re.S) if "load_version" in b)
    code = block.replace("path/to/", f"{annotated.parent}/") + "\nprint('loaded', old['train'].num_rows)\n"
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env.update(HF_DATASETS_CACHE=str(tmp_path / "hf"), HF_HUB_OFFLINE="1", HF_DATASETS_DISABLE_PROGRESS_BARS="1")
    # -I: neither the working folder nor PYTHONPATH is on the path; only what is installed is importable
    done = subprocess.run([sys.executable, "-I", "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "loaded " in done.stdout


def test_the_card_cites_the_dataset_with_its_version_gtp_and_musav(annotated):
    citation = _section(_card(annotated), "Citation")
    assert re.search(r"@misc\{earsense_m2t,.*?version\s*=\s*\{1\.0\.0\}", citation, re.S)
    assert "note         = {texts of the bundled offline mini site" not in citation  # the fixture's pages are EarSense's
    assert "2210.00434" in citation and "Kuang" in citation
    assert "@inproceedings{bogdanov2022musav" in citation and "Arousal-Valence" in citation


def test_the_tempo_section_says_each_thing_once_and_shows_no_commit(annotated):
    tempo = _section(_card(annotated), "Tempo classes")
    assert tempo.count("`tempo_source`") == 1 and tempo.count("no tempo information") == 1, tempo[:600]
    assert not re.search(r"\bcommit\b|\b(?=[0-9a-f]*[0-9])(?=[0-9a-f]*[a-f])[0-9a-f]{7,40}\b", tempo)
    character_line = next(line for line in tempo.splitlines() if line.startswith("Character words"))
    rows = [line for line in tempo.splitlines() if line.startswith("| `")]
    assert len(rows) == 4
    for row in rows:
        terms = [t.strip() for t in row.split("|")[2].split(",")]
        assert len(terms) == len(set(terms)), row  # a word two languages share ("grave") is shown once
        assert not [t for t in terms if re.search(rf"[:,] {re.escape(t)}[,;.]", character_line)], row


def test_renamed_columns_have_plain_names_and_the_card_and_changelog_say_so(annotated):
    features = _features(annotated)
    assert "movement_titles_recording_index" in features["default"] and "movement_titles_ri" not in features["default"]
    assert "page_movement_titles_recording_index" in features["works"] and "page_movement_titles_ri" not in features["works"]
    assert "was named `movement_titles_ri` before" in _card(annotated).replace("\n  ", " ")
    old = {"schema_version": "1.0.0", "features": {"default": {"id": 1, "movement_titles_ri": 2}}}
    part, reason = decide_bump(old, "1.0.0", {"default": {"id": 1, "movement_titles_recording_index": 2}}, {}, "x")
    assert part == "major"
    assert reason.endswith("(columns removed: `movement_titles_ri`; added: `movement_titles_recording_index`)")


# ------------------------------------------------------------------------------------------------ the plots

def test_spectrogram_plots_have_a_hz_axis_a_db_colour_bar_and_a_whole_title():
    import matplotlib.pyplot as plt

    from earsense_m2t.publish.card import bin_frequencies_hz, spectrogram_figure

    freqs = bin_frequencies_hz(SPEC_PARAMS, 256)
    assert freqs is not None and freqs[1] == pytest.approx(16000 / 510)
    title = "super_fast: " + "Composer-With-A-Long-Name-String-Quartet-No-1-Op-10#4" * 2 + " (Presto con fuoco e molto)"
    fig = spectrogram_figure(np.zeros((300, 256), dtype=np.float16), title, 62.5, freqs)
    try:
        ax, bar = fig.axes
        assert ax.get_ylabel() == "frequency (Hz)" and ax.get_ylim()[1] == pytest.approx(255.5 * 16000 / 510)
        assert ax.get_xlabel() == "time (s)" and bar.get_ylabel() == "level (dB)"
        assert re.sub(r"\s", "", ax.get_title()) == re.sub(r"\s", "", title)  # wrapped, not shortened
        fig.canvas.draw()
        box, shown = ax.title.get_window_extent(), fig.bbox
        assert box.x0 >= shown.x0 and box.x1 <= shown.x1 and box.y1 <= shown.y1  # inside the picture
    finally:
        plt.close(fig)
    mel = {"kind": "mel", "mel": {"n_mels": 128, "fmin_hz": 0.0, "fmax_hz": 8000.0}}
    centres = bin_frequencies_hz(mel, 128)
    assert centres is not None and 0 < centres[0] < centres[1] < centres[-1] < 8000
    fig = spectrogram_figure(np.zeros((50, 128), dtype=np.float16), "mel", 62.5, centres)
    try:
        fig.canvas.draw()
        assert fig.axes[0].get_ylabel() == "frequency (Hz, mel-spaced)"
        assert [t.get_text() for t in fig.axes[0].get_yticklabels() if t.get_text()][-1].isdigit()
    finally:
        plt.close(fig)


def test_the_duration_plot_is_in_seconds_as_the_statistics_table():
    import matplotlib.pyplot as plt

    from earsense_m2t.publish.card import duration_figure

    default = pl.DataFrame({"has_audio": [True, True, False], "duration_s": [90.0, 300.0, None]})
    fig = duration_figure(default)
    try:
        ax = fig.axes[0]
        assert ax.get_xlabel() == "movement duration (s)"
        lo, hi = ax.get_xlim()
        assert lo < 90 < 300 < hi and hi < 400
    finally:
        plt.close(fig)


def test_the_annotation_plot_has_no_none_or_na_labels():
    import matplotlib.pyplot as plt

    from earsense_m2t.publish.annotations import annotations_figure

    questions = {q: {"agreement": {"full-agreement": 1}, "silver_outcomes": {"a": 2, "b": 1, "ab": 0, "None": 3},
                     "alpha": {"nominal": "n/a", "ordinal": "n/a" if q == "valence" else "0.412"}}
                 for q in ("arousal", "valence")}
    fig = annotations_figure({"questions": questions})
    try:
        labels = [t.get_text() for ax in fig.axes for t in ax.get_yticklabels()] + [ax.get_title() for ax in fig.axes]
        assert not [s for s in labels if "None" in s or "n/a" in s], labels
        assert "valence: no human judgments yet (no alpha)" in labels
        assert "arousal: Krippendorff's alpha (ordinal) 0.412" in labels
    finally:
        plt.close(fig)

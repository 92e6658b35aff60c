"""The whole build as a user runs it: the CLI, the mini site, Prefect, and `datasets.load_dataset`."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import datasets
import pytest

from earsense_m2t.offline.minisite import serve
from earsense_m2t.offline.minisite.catalogue import all_videos
from tests.conftest import MINISITE_MEDIA, share_minisite_caches

pytestmark = pytest.mark.slow


def run_cli(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PREFECT_HOME=str(cwd / ".prefect"), PYTHONUNBUFFERED="1")
    return subprocess.run([sys.executable, "-m", "earsense_m2t.cli", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=1200)


def workdir(tmp_path_factory, name: str) -> Path:
    """A fresh folder that shares the synthesized mini-site media (they never change between tests)."""
    d = tmp_path_factory.mktemp(name)
    share_minisite_caches(d / "local")
    return d


@pytest.fixture(scope="module")
def two_builds(tmp_path_factory):
    cwd = workdir(tmp_path_factory, "e2e")
    first = run_cli(cwd, "build")
    second = run_cli(cwd, "build")
    return cwd, first, second


def test_first_build_publishes_a_loadable_dataset(two_builds):
    cwd, first, _ = two_builds
    assert first.returncode == 0, first.stderr[-3000:]
    assert "published:" in first.stdout and "datasets.load_dataset" in first.stdout
    ds = datasets.load_dataset(str(cwd / "local" / "earsense-m2t"))
    rows = datasets.concatenate_datasets(list(ds.values()))
    assert rows.num_rows >= 30
    assert rows.features["tempo_tag"].names == ["slow", "medium", "fast", "super_fast"]
    with_text = [r for r in rows if r["text"]]
    assert len(with_text) >= 20
    tags = {r["tempo_tag"] for r in rows}
    assert len(tags - {None}) == 4  # every class occurs on the mini site


def test_spectrograms_are_reachable(two_builds):
    cwd, _, _ = two_builds
    spec = datasets.load_dataset(str(cwd / "local" / "earsense-m2t"), "spectrograms")
    split = next(iter(spec.values()))
    row = split.with_format("numpy")[0]
    assert row["spectrogram"].ndim == 2 and row["spectrogram"].shape[1] == 256
    assert split.features["spectrogram"].dtype == "float16"


def test_the_tiny_model_trains_on_the_mini_site_release_and_a_killed_run_resumes(two_builds, tmp_path):
    """`earsense-m2t train` on the published release: killed after its first epoch file, started again, it
    continues from that checkpoint; every neural system's music-to-text loss goes down; the table is written."""
    import json
    import signal
    import time

    pytest.importorskip("torch", reason="the model extra is not installed (bash scripts/setup.sh --model)")
    cwd, first, _ = two_builds
    assert first.returncode == 0
    args = ["train", "--dataset", str(cwd / "local" / "earsense-m2t"), "--config", "tiny", "--epochs", "2",
            "--folds", "0", "--seeds", "0", "--systems", "tags_knn,encoder_decoder,gtp", "--out", str(tmp_path / "training")]
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    proc = subprocess.Popen([sys.executable, "-m", "earsense_m2t.cli", *args], cwd=cwd, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    checkpoints = tmp_path / "training" / "v1.0.0-tiny" / "checkpoints" / "encoder_decoder" / "seed0" / "fold0"
    end = time.monotonic() + 300
    while not list(checkpoints.glob("epoch-*.pt")) and proc.poll() is None and time.monotonic() < end:
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    assert not (checkpoints / "done.json").exists(), "the run ended before it could be killed"

    again = run_cli(cwd, *args)
    assert again.returncode == 0, again.stdout[-3000:] + again.stderr[-3000:]
    assert "| GTP |" in again.stdout and "| TAGS kNN |" in again.stdout and "results: " in again.stdout
    run_dir = tmp_path / "training" / "v1.0.0-tiny"
    resumed = json.loads((run_dir / "units" / "encoder_decoder" / "seed0" / "fold0.json").read_text())
    assert resumed["resumed_from"] == 1 and [h["epoch"] for h in resumed["history"]] == [1, 2]
    for system in ("encoder_decoder", "gtp"):
        history = json.loads((run_dir / "units" / system / "seed0" / "fold0.json").read_text())["history"]
        losses = [h["train_music_to_text"] for h in history]
        assert losses[-1] < losses[0], (system, losses)
    results = json.loads((run_dir / "results.json").read_text())
    assert results["systems"]["gtp"]["bleu"]["per_fold"][0] is not None
    assert (run_dir / "loss_curves.png").stat().st_size > 0


def test_second_build_reuses_everything_and_adds_no_rows(two_builds):
    cwd, first, second = two_builds
    assert second.returncode == 0, second.stderr[-3000:]
    assert "media downloaded:     0 new" in second.stdout
    assert "spectrograms:         0 computed" in second.stdout
    assert "no change" in second.stdout
    ds = datasets.load_dataset(str(cwd / "local" / "earsense-m2t"))
    ids = [r["id"] for split in ds.values() for r in split]
    assert len(ids) == len(set(ids))


def test_a_refresh_of_the_embedded_site_takes_every_work_from_its_memo(two_builds):
    """The mini site is served on the port this output root's last build used (the port is in every URL, so
    in every memo key): the second build runs no work of acquire, segment or features, and keeps the version."""
    from earsense_m2t.schemas.io import read_records
    from earsense_m2t.schemas.layout import OutputLayout
    from earsense_m2t.schemas.manifests import MOVEMENTS, SEGMENTS, WORKS

    cwd, first, second = two_builds
    assert first.returncode == 0 and second.returncode == 0, second.stderr[-3000:]
    out = OutputLayout(cwd / "local")
    start_urls = [line.split(" build of ")[1] for run in (first, second) for line in run.stdout.splitlines()
                  if " build of " in line]
    assert len(start_urls) == 2 and start_urls[0] == start_urls[1]  # the same port
    assert out.minisite_port.read_text().strip() == start_urls[0].split(":")[2].split("/")[0]
    works = {
        "acquire": len(read_records(WORKS.path(out.build_dir), WORKS.record)),
        "segment": len({m.work_id for m in read_records(MOVEMENTS.path(out.build_dir), MOVEMENTS.record)}),
        "features": len({s.movement_id.split("#")[0]
                         for s in read_records(SEGMENTS.path(out.build_dir), SEGMENTS.record)}),
    }
    [line] = [line for line in second.stdout.splitlines() if "unchanged, not rerun:" in line]
    assert line.split(": ", 1)[1].startswith(", ".join(f"{stage} {n} works" for stage, n in works.items())), line
    assert works["acquire"] >= 10
    assert "no change, version kept" in second.stdout
    assert [p.name for p in out.versions.trees()] == ["v1.0.0"]  # the refresh published no version


def test_a_broken_recording_is_reported_and_the_build_goes_on(tmp_path_factory, catalogue):
    cwd = workdir(tmp_path_factory, "e2e-broken")
    tracks = [v for v in all_videos(catalogue) if v.recording_index == 0 and len(v.movements) == 1]
    broken, html = tracks[0], tracks[1]
    with serve(catalogue=catalogue, cache_dir=MINISITE_MEDIA,
               faults={broken.video_id: "media-404", html.video_id: "html-media"}) as site:
        result = run_cli(cwd, "build", "--site", site.start_url)
    assert result.returncode == 0, result.stderr[-3000:]
    for video in (broken, html):
        movement = f"{video.work_slug}#{video.movements[0].number}"
        assert f"[acquire] {movement}:" in result.stdout
    assert "404" in result.stdout
    ds = datasets.load_dataset(str(cwd / "local" / "earsense-m2t"))
    ids = {r["id"] for split in ds.values() for r in split}
    assert len(ids) >= 30


def test_unreachable_site_fails_and_publishes_nothing(tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = f"http://127.0.0.1:{port}/chamber-music/"
    result = run_cli(tmp_path, "build", "--site", url)
    assert result.returncode != 0
    assert url in result.stderr
    assert not (tmp_path / "local" / "earsense-m2t").exists()


def test_changing_one_movement_text_is_a_minor_version(two_builds, catalogue):
    cwd, first, second = two_builds
    assert first.returncode == 0 and second.returncode == 0
    from earsense_m2t.offline.minisite.catalogue import with_article

    work = next(w for w in catalogue if w.article and any(pm == (2,) for pm in w.paragraph_movements))
    i = next(i for i, pm in enumerate(work.paragraph_movements) if pm == (2,))
    paragraphs = list(work.article)
    paragraphs[i] = paragraphs[i] + " Its last bars fade into a long, quiet chord."
    edited = with_article(catalogue, work.slug, paragraphs, work.paragraph_movements)
    with serve(catalogue=edited, cache_dir=MINISITE_MEDIA) as site:
        third = run_cli(cwd, "build", "--site", site.start_url)
    assert third.returncode == 0, third.stderr[-3000:]
    assert "v1.1.0 (new version" in third.stdout
    assert "changed 1," in third.stdout  # the crawl saw exactly one changed work
    changelog = (cwd / "local" / "earsense-m2t" / "CHANGELOG.md").read_text()
    assert f"{work.slug}#2" in changelog
    rows = datasets.load_dataset(str(cwd / "local" / "earsense-m2t"), split="train")
    text = {r["id"]: r["text"] for r in rows}[f"{work.slug}#2"]
    assert "long, quiet chord" in text
    old = run_cli(cwd, "checkout-version", "1.0.0")
    assert old.returncode == 0, old.stderr
    old_path = cwd / old.stdout.splitlines()[0].strip()
    old_rows = datasets.load_dataset(str(old_path), split="train")
    assert "long, quiet chord" not in ({r["id"]: r["text"] for r in old_rows}[f"{work.slug}#2"] or "")


def test_published_texts_and_cuts_follow_the_real_page_shape(two_builds, catalogue):
    """The mini site in the real shape: passages hold no biography, attribution, publisher sentence or
    quotation about the work as a whole, while a quotation that describes the movements is their text
    (marks removed, `text_from_quotation`); every movement the article describes has a text; titles come
    from the page's recording lists; a whole-work video cut by the listed durations starts each movement
    within a second and a half of where the audio really starts it."""
    cwd, first, _ = two_builds
    assert first.returncode == 0, first.stderr[-3000:]
    rows = datasets.load_dataset(str(cwd / "local" / "earsense-m2t"), split="train")
    works = {w["id"]: w for w in datasets.load_dataset(str(cwd / "local" / "earsense-m2t"), "works", split="train")}
    by_work: dict[str, list[dict]] = {}
    for row in rows:
        by_work.setdefault(row["work_id"], []).append(row)
    outside = {"bio", "quote", "attribution", "publisher"}
    checked = 0
    for spec in catalogue:
        if spec.slug not in by_work or spec.article is None:
            continue
        passages = " ".join(r["text"] or "" for r in by_work[spec.slug])
        text = {r["movement_number"]: r["text"] for r in by_work[spec.slug]}
        for paragraph in spec.article_sentences():
            for sentence in paragraph:
                if sentence.role in outside and not sentence.about:
                    assert sentence.text not in passages, (spec.slug, sentence.role, sentence.text)
                    checked += 1
                for number in sentence.about:
                    if number in text:  # described by the article: never left without text
                        assert text[number], (spec.slug, number)
                if sentence.role == "publisher":
                    assert sentence.text not in (works[spec.slug]["work_text"] or "")
    assert checked >= 30
    quoted = [r for r in rows if r["text_from_quotation"]]
    assert {r["work_id"] for r in quoted} == {
        w.slug for w in catalogue if any(s.about for s in w.sentences() if s.role == "quote")} & set(by_work)
    assert quoted and all(r["text"][0] not in "“\"" and r["text"][-1] not in "”\"" for r in quoted)
    assert all(r["text_from_quotation"] is None for r in rows if r["text"] is None)
    from_page = [r for r in rows if r["movement_title_source"] == "page"]
    assert len(from_page) >= 45 and all(r["movement_titles_recording_index"] is not None for r in from_page)
    # the one work whose recording shows only its total takes its titles from the video description
    assert {r["work_id"] for r in rows if r["movement_title_source"] != "page"} == {
        w.slug for w in catalogue if w.recordings and not any(r.listed for r in w.recordings)}
    videos = {v.video_id: v for v in all_videos(catalogue)}
    cut = [r for r in rows if r["segment_method"] == "durations"]
    assert cut, "no whole-work video was cut by its listed durations"
    for row in cut:
        video = next(v for v in videos.values() if v.work_slug == row["work_id"] and len(v.movements) > 1
                     and v.recording_index == row["recording_index"])
        true_start = video.movement_starts_s[row["movement_number"] - 1]
        assert abs(row["audio_start_s"] - true_start) <= 1.5, (row["id"], row["audio_start_s"], true_start)


def test_judgments_made_on_the_annotation_page_are_published_by_the_next_build(two_builds):
    """A person's route: build, `earsense-m2t annotate`, three people judge the first triplet's pairs on the
    page, build again: those pairs are published as human labels with their agreement, the rest stay silver."""
    import requests

    from tests.annotation._webfixtures import page_process

    cwd, first, second = two_builds
    assert first.returncode == 0 and second.returncode == 0
    answers = {"arousal": "a", "valence": "ab"}
    judged: set[tuple[str, str, str]] = set()
    with page_process(cwd / "local") as url:
        for annotator in ("ana", "ben", "cleo"):
            for _ in range(3):  # the three pairs of the first triplet, in the page's order
                pair = requests.post(f"{url}/api/next", json={"annotator": annotator}, timeout=10).json()["pair"]
                body = {"annotator": annotator, "triplet_id": pair["triplet_id"], "a": pair["a"], "b": pair["b"],
                        "answers": answers}
                response = requests.post(f"{url}/api/judgments", json=body, timeout=10)
                assert response.status_code == 201, response.text
                judged.add((pair["triplet_id"], pair["a"], pair["b"]))
    assert len(judged) == 3 and len({t for t, _, _ in judged}) == 1

    third = run_cli(cwd, "build")
    assert third.returncode == 0, third.stderr[-3000:]
    assert "rows: 6 human" in third.stdout and "(18 judgments so far)" in third.stdout
    rows = datasets.load_dataset(str(cwd / "local" / "earsense-m2t"), "relative_annotations", split="train")
    human = [r for r in rows if r["source"] == "human"]
    assert {(r["triplet_id"], r["a"], r["b"]) for r in human} == judged
    assert {(r["question"], r["outcome"], r["agreement"], r["annotators"]) for r in human} == {
        ("arousal", "a", "full-agreement", 3), ("valence", "ab", "full-agreement", 3)}
    assert all("gt" in r["subsets"] and "gt.fa" in r["subsets"] for r in human)
    assert all(r["triplet_consistency"] == "consistent" for r in human if r["question"] == "valence")  # a = b = c
    assert sum(r["source"] == "silver" for r in rows) > 0

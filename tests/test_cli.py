"""The user-facing commands, run as a user runs them (a real process, stdin in, stdout out)."""

import json
import os
import subprocess
import sys

import pytest


def cli(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "earsense_m2t.cli", *args], input=stdin,
                          capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("title, tag, source", [
    ("I. Adagio – Allegro vivace", "super_fast", "marking"),
    ("Sehr langsam", "slow", "marking"),
    ("Menuetto", "medium", "form"),
    ("Finale", "", "none"),
])
def test_tag_tempo_one_line_per_title(title, tag, source):
    result = cli("tag-tempo", stdin=f"{title}\n")
    assert result.returncode == 0, result.stderr
    fields = result.stdout.rstrip("\n").split("\t")
    assert fields[:3] == [title, tag, source] and len(fields) == 4


def test_tag_tempo_keeps_line_count():
    titles = ["Allegro", "", "Largo", "Presto"]
    result = cli("tag-tempo", stdin="\n".join(titles) + "\n")
    assert [line.split("\t")[0] for line in result.stdout.splitlines()] == titles


def test_parse_chapters_prints_json():
    description = "Recorded live.\n00:00 I. Allegro moderato\n08:41 II. Andante\n1:02:03 III. Finale. Presto\n"
    result = cli("parse-chapters", stdin=description)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == [{"start": 0.0, "name": "I. Allegro moderato"},
                                         {"start": 521.0, "name": "II. Andante"},
                                         {"start": 3723.0, "name": "III. Finale. Presto"}]


def test_parse_chapters_without_a_list_is_empty():
    assert json.loads(cli("parse-chapters", stdin="A lovely performance, at 3:15 the cello enters.").stdout) == []


def help_pages() -> dict[str, str]:
    """Every command's --help as a person sees it (wide, so no line wraps inside a phrase)."""
    import typer
    from typer.testing import CliRunner

    from earsense_m2t.cli import app

    def paths(command: object, path: tuple[str, ...]) -> list[tuple[str, ...]]:
        subs = getattr(command, "commands", {})  # a group's subcommands
        return [path] + [p for name, sub in subs.items() for p in paths(sub, (*path, name))]

    runner = CliRunner()
    return {" ".join(path): runner.invoke(app, [*path, "--help"], env={"COLUMNS": "400"}).output
            for path in paths(typer.main.get_command(app), ())}


def test_help_shows_no_type_for_a_flag_and_keeps_square_brackets():
    pages = help_pages()
    assert len(pages) > 10 and all("Usage:" in page for page in pages.values())
    assert [path for path, page in pages.items() if "<bool>" in page] == []
    assert '{"article": [paragraphs], "titles": [...]}' in pages["align-text"]
    assert '{"article": [paragraphs], "titles": [...]}' in pages[""]


def test_checkout_version_help_says_where_it_writes():
    assert "<dataset-dir>@v<version>" in help_pages()["checkout-version"]


def test_build_triggers_no_training_unless_asked(tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from earsense_m2t import prefect_server
    from earsense_m2t.build_summary import BuildSummary
    from earsense_m2t.cli import app
    from earsense_m2t.flows import build
    from earsense_m2t.schemas import Release, StageResult

    for name in ("PREFECT_LOGGING_LEVEL", "PREFECT_SERVER_ANALYTICS_ENABLED", "DO_NOT_TRACK",
                 "DASK_LOGGING__DISTRIBUTED", "HF_DATASETS_DISABLE_PROGRESS_BARS"):
        monkeypatch.setenv(name, os.environ.get(name, ""))  # the command sets them; the test leaves them as they were
    calls: list[dict[str, object]] = []

    def build_dataset(**kwargs: object) -> BuildSummary:
        calls.append(kwargs)
        publish = StageResult(stage="publish")
        publish.add(Release(id="v1.0.0", version="1.0.0", created=True, dataset_dir="out/earsense-m2t", rows=1,
                            published_at="2026-01-01T00:00:00+00:00"))
        return BuildSummary.of("http://x/", [publish])
    monkeypatch.setattr(build, "build_dataset", build_dataset)
    monkeypatch.setattr(prefect_server, "start_temporary_server", lambda: None)  # no flow here: no Prefect server
    plain = CliRunner().invoke(app, ["build", "--out", str(tmp_path / "a")])
    assert plain.exit_code == 0, plain.output
    assert calls[-1]["train_deployment"] == ""
    assert "  training:             not requested (--train-deployment not given)" in plain.output.splitlines()
    asked = CliRunner().invoke(app, ["build", "--out", str(tmp_path / "b"), "--train-deployment", "train-gtp/gpu"])
    assert asked.exit_code == 0, asked.output
    assert calls[-1]["train_deployment"] == "train-gtp/gpu" and "not requested" not in asked.output

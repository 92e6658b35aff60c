"""Bad input is a one- or two-line error naming the option, exit code 2, before any work; never a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from earsense_m2t.workdir import BuildLocked, build_lock, leftovers, sweep_leftovers


def cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PREFECT_HOME": str(cwd / ".prefect")}
    return subprocess.run([sys.executable, "-m", "earsense_m2t.cli", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=120)


def short_error(proc: subprocess.CompletedProcess[str], *needles: str) -> None:
    assert proc.returncode == 2, proc.stdout + proc.stderr
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert 1 <= len(lines) <= 2 and "Traceback" not in proc.stderr, proc.stderr
    for needle in needles:
        assert needle in proc.stderr, proc.stderr


@pytest.mark.parametrize("args, needles", [
    (["build", "--site", "ftp://example.org/chamber-music/"], ["--site", "ftp://example.org"]),
    (["build", "--site", "not a url"], ["--site"]),
    (["build", "--search", "ytsearch{count}:{query}"], ["--search", "{n} and {query}"]),
    (["build", "--search", "ytsearch8:{title}"], ["--search", "no {query} placeholder"]),
    (["build", "--train-deployment", "nodash"], ["--train-deployment", "FLOW/DEPLOYMENT"]),
    (["checkout-version", "1.0.0", "--dataset-dir", "nowhere/earsense-m2t"], ["--dataset-dir", "nowhere"]),
])
def test_bad_options_are_one_line_errors(tmp_path, args, needles):
    short_error(cli(*args, cwd=tmp_path), *needles)
    assert not (tmp_path / "local" / "build").exists()  # no work was done


def test_credentials_in_the_site_url_are_refused_and_never_repeated(tmp_path):
    proc = cli("build", "--site", "https://reader:hunter2@example.org/chamber-music/", cwd=tmp_path)
    short_error(proc, "--site", "credentials")
    assert "hunter2" not in proc.stdout + proc.stderr
    stored = [p for p in tmp_path.rglob("*") if p.is_file() and b"hunter2" in p.read_bytes()]
    assert stored == []  # not in Prefect's database either: the flow never started


def test_an_output_root_that_cannot_be_created(tmp_path):
    (tmp_path / "a-file").write_text("x")
    short_error(cli("build", "--out", str(tmp_path / "a-file" / "out"), cwd=tmp_path), "--out", "cannot create")


def test_serve_site_with_an_impossible_port(tmp_path):
    proc = cli("serve-site", "--port", "99999", cwd=tmp_path)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr and "--port" in proc.stderr
    assert len(proc.stderr.splitlines()) < 10  # click's usage error, not a traceback


def test_serve_site_with_an_unknown_markup(tmp_path):
    short_error(cli("serve-site", "--port", "0", "--markup", "fancy", cwd=tmp_path), "--markup", "fancy", "plain")


def test_a_second_build_on_the_same_output_root_says_who_holds_it(tmp_path):
    out = tmp_path / "local"
    with build_lock(out):
        proc = cli("build", "--out", str(out), cwd=tmp_path)
    short_error(proc, f"{out} is in use by build pid {os.getpid()}", "--wait")


def test_the_lock_is_released_and_can_be_waited_for(tmp_path):
    with build_lock(tmp_path):
        with pytest.raises(BuildLocked):
            with build_lock(tmp_path):
                pass
    with build_lock(tmp_path, wait=True):
        pass


def test_leftovers_of_a_killed_build_are_swept(tmp_path):
    kept = [tmp_path / "build" / "works.jsonl", tmp_path / "cache" / "media" / "ab" / "abcd" / "media.json",
            tmp_path / "cache" / "derived" / "ab" / "abcd.npy"]
    junk = [tmp_path / "build" / ".crawl-x1y2" / "works.jsonl", tmp_path / "cache" / "media" / "ab" / ".abcd-x1" / "f",
            tmp_path / "cache" / "derived" / "ab" / ".abcd.npy.x1.part", tmp_path / "build" / ".works.jsonl.x2.part"]
    for path in kept + junk:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("x")
    expected = sorted({tmp_path / "build" / ".crawl-x1y2", tmp_path / "cache" / "media" / "ab" / ".abcd-x1",
                       junk[2], junk[3]})
    assert leftovers(tmp_path) == expected
    assert sweep_leftovers(tmp_path) == expected
    assert all(p.exists() for p in kept) and not any(p.exists() for p in expected)


def test_checkout_of_a_version_that_was_never_published(tmp_path):
    from earsense_m2t.publish import publish_dataset
    from tests.publish._bundle import CARD_CONTEXT, NOW, make_build

    dataset = tmp_path / "local" / "earsense-m2t"
    publish_dataset(make_build(tmp_path / "b"), dataset, card_context=CARD_CONTEXT, now=NOW)
    short_error(cli("checkout-version", "9.9.9", "--dataset-dir", str(dataset), cwd=tmp_path),
                "checkout-version 9.9.9", "never published", "1.0.0")

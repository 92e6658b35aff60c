"""A full disk ends `earsense-m2t build` with one line naming the stage, the path and the space needed, and says
nothing was published (issue 23 item 9: a 429-453-line traceback ending in OSError: [Errno 28] before)."""

from __future__ import annotations

import errno

import pytest
from typer.testing import CliRunner

import earsense_m2t.flows.build as build_flow
from earsense_m2t.cli import app

CASES = [
    ("a stage's write helper", lambda: __import__("earsense_m2t.schemas.io", fromlist=["DiskFull"]).DiskFull(
        "/out/derived/ab/ab12.npy", 12_582_912, "features"),
     ["error: features: the disk is full writing /out/derived/ab/ab12.npy (it needs about 12.0 MB"]),
    ("any other write", lambda: OSError(errno.ENOSPC, "No space left on device", "/out/build/clips.jsonl"),
     ["error: build: the disk is full writing /out/build/clips.jsonl"]),
]


@pytest.mark.parametrize("case, exc, needles", CASES, ids=[c[0] for c in CASES])
def test_a_full_disk_is_one_line_saying_nothing_was_published(tmp_path, monkeypatch, case, exc, needles):
    def build_dataset(**kwargs):
        raise exc()

    monkeypatch.setattr(build_flow, "build_dataset", build_dataset)
    result = CliRunner().invoke(app, ["build", "--out", str(tmp_path / "out")])
    assert result.exit_code == 2, result.output
    assert not isinstance(result.exception, OSError) and "Traceback" not in result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, result.output
    for needle in [*needles, "nothing was published (the previous version is intact)"]:
        assert needle in lines[0], lines[0]


def test_disk_full_crosses_process_boundaries_with_its_stage():
    """A Dask worker's DiskFull reaches the flow pickled: path, space and stage survive."""
    import pickle

    from earsense_m2t.schemas.io import DiskFull

    full = DiskFull("/out/derived/x.npy", 1 << 20).in_stage("features")
    again = pickle.loads(pickle.dumps(full))
    assert (again.path, again.needed, again.stage) == ("/out/derived/x.npy", 1 << 20, "features")
    assert str(again) == str(full) and str(full).startswith("features: the disk is full writing /out/derived/x.npy")
